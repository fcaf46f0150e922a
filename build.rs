//! Records what `anonlog --version` says about the build: the git commit
//! (`ANONLOG_COMMIT`: short hash, `-dirty` when the work tree differs from
//! it, `unknown` outside a git checkout) and the target triple
//! (`ANONLOG_TARGET`).
//!
//! Never fails: a crate tarball, a source archive or a machine without git
//! builds the same binary, only with `unknown` for the commit.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".into());
    println!("cargo:rustc-env=ANONLOG_TARGET={target}");
    println!("cargo:rustc-env=ANONLOG_COMMIT={}", commit(&dir));

    // Any rerun-if-changed turns off cargo's default (rerun on any change in
    // the package), so name everything the answer depends on: the commit
    // (HEAD, its ref, the index) and the files whose edits make it dirty.
    for path in ["build.rs", "Cargo.toml", "Cargo.lock", "src"] {
        println!("cargo:rerun-if-changed={path}");
    }
    for path in git_paths(&dir) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

/// `git` in `dir`, its trimmed stdout when it succeeds.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The short commit hash of `dir`'s checkout, `-dirty` appended when
/// tracked files differ from it; `unknown` when `dir` is not the top of a
/// git work tree. An unpacked crate inside some other repository (as
/// `cargo package` verifies it, under `target/package/`) is not that
/// repository's commit.
fn commit(dir: &Path) -> String {
    let top = git(dir, &["rev-parse", "--show-toplevel"]).map(PathBuf::from);
    let same = |top: &Path| match (top.canonicalize(), dir.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !top.as_deref().is_some_and(same) {
        return "unknown".into();
    }
    let Some(hash) = git(dir, &["rev-parse", "--short", "HEAD"]) else {
        return "unknown".into();
    };
    // `git status` compares contents where stat data differ, so a file that
    // was only touched is not a change (`git diff-index` alone would say it
    // is); without optional locks it leaves the index as it is, so a build
    // never races a `git commit` for index.lock.
    match git(
        dir,
        &[
            "--no-optional-locks",
            "status",
            "--porcelain",
            "--untracked-files=no",
        ],
    ) {
        Some(s) if s.is_empty() => hash,
        Some(_) => format!("{hash}-dirty"),
        None => "unknown".into(),
    }
}

/// The files in the git directory whose change means another commit: HEAD,
/// the branch it points to (loose or packed) and the index. Work trees
/// keep HEAD and the index in their own git directory and refs in the
/// common one.
fn git_paths(dir: &Path) -> Vec<PathBuf> {
    let abs = |p: String| {
        let p = PathBuf::from(p);
        if p.is_absolute() { p } else { dir.join(p) }
    };
    let (Some(git_dir), Some(common)) = (
        git(dir, &["rev-parse", "--git-dir"]).map(abs),
        git(dir, &["rev-parse", "--git-common-dir"]).map(abs),
    ) else {
        return Vec::new();
    };
    let mut paths = vec![
        git_dir.join("HEAD"),
        git_dir.join("index"),
        common.join("packed-refs"),
    ];
    if let Some(head) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        paths.push(common.join(head));
    }
    paths.retain(|p| p.exists());
    paths
}
