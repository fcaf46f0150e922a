//! Helpers shared by the integration tests: they run the real binary.

#![allow(dead_code)]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_anonlog"))
}

/// The repository's samples directory.
pub fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// The bytes of `samples/<name>`.
pub fn sample(name: &str) -> Vec<u8> {
    fs::read(samples().join(name)).unwrap()
}

/// The golden output `samples/expected/<name>`.
pub fn expected(name: &str) -> Vec<u8> {
    fs::read(samples().join("expected").join(name)).unwrap()
}

/// Runs anonlog with `args`, feeding `stdin`, and returns its output.
/// `COLUMNS` is removed so that help text is wrapped the same everywhere.
pub fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(bin())
        .args(args)
        .env_remove("COLUMNS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn anonlog");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        // The child may exit early (errors); a broken pipe here is fine.
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait for anonlog");
    feeder.join().unwrap();
    out
}

/// Counts lines the way anonlog does: terminated lines plus a final
/// unterminated one.
pub fn count_lines(b: &[u8]) -> usize {
    let n = b.iter().filter(|&&c| c == b'\n').count();
    n + usize::from(!b.is_empty() && b.last() != Some(&b'\n'))
}

/// A run's stderr as text (lossy: a test may feed it any bytes).
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// True when the test may use root's powers (CAP_LEASE, mounting,
/// signalling and running as another user). Without root it fails under
/// CI, which runs the tests as root, so that a missing capability must not
/// look like a pass; elsewhere it skips loudly.
pub fn have_root(what: &str) -> bool {
    // SAFETY: geteuid has no preconditions, cannot fail and touches no
    // memory.
    if unsafe { libc::geteuid() } == 0 {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI runs the tests as root; {what} needs it"
    );
    eprintln!("SKIPPED {what}: needs root");
    false
}

/// True when `program` runs (`program ARG...` could be spawned). Missing,
/// it fails under CI, whose `.ci/run` installs it, so that a missing tool
/// must not look like a pass; elsewhere the test says it is skipped.
pub fn have_program(program: &str, args: &[&str]) -> bool {
    let found = std::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install {program} (.ci/run)"
        );
        eprintln!("SKIPPED: {program} is not installed");
    }
    found
}

/// Limit for every "eventually": far beyond what any of these waits needs,
/// even on a loaded 2-core machine.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// Polls `done` until it holds; panics with `what` (and `context()`) after
/// [`PATIENCE`].
pub fn eventually(what: &str, mut done: impl FnMut() -> bool, context: impl FnOnce() -> String) {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > PATIENCE {
            panic!("timed out waiting for {what}\n{}", context());
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// The value of `key` in the one-line JSON object of `--stats=json`.
pub fn stat(json: &str, key: &str) -> Option<u64> {
    let rest = json.split_once(&format!("\"{key}\":"))?.1;
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// The temporary files of in-place rewrites (`.anonlog-*`) left in `dir`.
/// Entries that vanish while it looks are skipped: a run may be renaming
/// them.
pub fn temps(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".anonlog-"))
        .map(|e| e.path())
        .collect()
}
