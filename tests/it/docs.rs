//! `anonlog man`, `anonlog completions SHELL` and `--version`: the page
//! renders with the real `man` and its examples run as written; every
//! completion script loads in its real shell and completes real options.
//! `.ci/run` installs man-db, bash, zsh and fish.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;

use crate::util::{bin, expected, have_program, run, sample, stderr};

fn man_page() -> String {
    let out = run(&["man"], b"");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    String::from_utf8(out.stdout).expect("the page is UTF-8")
}

#[test]
fn man_page_has_the_sections_of_a_manual() {
    let page = man_page();
    let heads: Vec<&str> = page.lines().filter(|l| l.starts_with(".SH ")).collect();
    assert_eq!(
        heads,
        [
            ".SH NAME",
            ".SH SYNOPSIS",
            ".SH DESCRIPTION",
            ".SH OPTIONS",
            ".SH COMMANDS",
            ".SH EXAMPLES",
            ".SH \"EXIT STATUS\"",
            ".SH ENVIRONMENT",
            ".SH FILES",
            ".SH \"SEE ALSO\"",
            ".SH VERSION",
        ]
    );
    assert!(
        page.lines().any(|l| l.starts_with(".TH anonlog 1 ")),
        "{page}"
    );
    // Every option of the main command and of the subcommands, escaped as
    // roff wants hyphens.
    for option in [
        "\\-\\-in\\-place",
        "\\-\\-pseudonymize",
        "\\-\\-nginx\\-format",
        "\\-\\-key\\-rotation",
        "\\-\\-out",
        "\\-\\-mode",
    ] {
        assert!(page.contains(option), "{option} missing");
    }
    for sub in ["check", "keygen", "reveal", "man", "completions"] {
        assert!(
            page.contains(&format!(".SS \"anonlog {sub}")),
            "{sub} has no subsection"
        );
    }
    assert!(!page.contains("block\\-size"), "a hidden option is shown");
    assert_eq!(page.matches(".ie \\n(.g").count(), 1, "one preamble");
}

#[test]
fn man_page_renders_without_warnings() {
    if !have_program("man", &["--version"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("anonlog.1");
    fs::write(&file, man_page()).unwrap();
    let out = Command::new("man")
        .args(["--warnings", "-l"])
        .arg(&file)
        .env("MANWIDTH", "80")
        .env("MANPAGER", "cat")
        .env("LC_ALL", "C.UTF-8")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stderr.is_empty(), "groff warns: {}", stderr(&out));
    for words in [
        "NAME",
        "anonlog - Fail-closed",
        "SYNOPSIS",
        "anonlog completions <SHELL>",
        "--in-place",
        "EXAMPLES",
        "anonlog -- man > man.anon",
        "compresscmd /usr/bin/anonlog",
        "EXIT STATUS",
    ] {
        assert!(text.contains(words), "{words:?} missing in\n{text}");
    }
    // No hyphen added inside a word someone would type.
    assert!(!text.contains("anon\u{2010}"), "{text}");
}

/// The EXAMPLES block lines, unescaped back to what a user types.
fn example_lines(page: &str) -> Vec<String> {
    let examples = page.split(".SH EXAMPLES").nth(1).unwrap();
    let examples = examples.split("\n.SH ").next().unwrap();
    let mut lines = Vec::new();
    let mut literal = false;
    for line in examples.lines() {
        match line {
            ".nf" => literal = true,
            ".fi" => literal = false,
            _ if literal => lines.push(
                line.trim_start_matches("\\&")
                    .replace("\\-", "-")
                    .replace("\\*(Aq", "'")
                    .replace("\\(aq", "'")
                    .replace("\\\\", "\\"),
            ),
            _ => {}
        }
    }
    lines
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn gunzip(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    MultiGzDecoder::new(fs::File::open(path).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn man_page_examples_run_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let log = sample("access.log");
    for name in ["access.log", "access.log.1", "man"] {
        fs::write(d.join(name), &log).unwrap();
    }
    fs::write(d.join("access.log.2.gz"), gz(&log)).unwrap();
    fs::write(
        d.join("access.log.3.zst"),
        zstd::encode_all(&log[..], 3).unwrap(),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin().parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // The examples on files in the current directory, in the page's order;
    // the rest need a server, root or a terminal.
    let local: Vec<String> = example_lines(&man_page())
        .into_iter()
        .filter(|l| l.starts_with("anonlog "))
        .filter(|l| !l.replace("./", "").contains('/') && !l.contains('|'))
        .collect();
    assert_eq!(local.len(), 8, "{local:#?}");
    for line in &local {
        let out = Command::new("sh")
            .args(["-c", line])
            .current_dir(d)
            .env("PATH", &path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{line}: {}", stderr(&out));
    }
    let want = expected("access.out");
    // Once by the first example, twice more appended by `-o`.
    assert_eq!(fs::read(d.join("access.anon.log")).unwrap(), want.repeat(3));
    assert_eq!(gunzip(&d.join("access.log.1.anon.gz")), want);
    assert_eq!(fs::read(d.join("access.log.1")).unwrap(), want);
    assert_eq!(gunzip(&d.join("access.log.2.gz")), want);
    let unzstd = |name: &str| zstd::decode_all(fs::File::open(d.join(name)).unwrap()).unwrap();
    assert_eq!(unzstd("access.log.1.anon.zst"), want);
    assert_eq!(unzstd("access.log.3.zst"), want, "zstd stays zstd");
    // `./man` and `-- man` read the file named man, not the page.
    assert_eq!(fs::read(d.join("man.anon")).unwrap(), want);
}

#[test]
fn a_file_named_like_a_command_is_read_after_a_path_or_dashes() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["check", "man", "completions", "keygen", "reveal"] {
        let file = dir.path().join(name);
        fs::write(&file, sample("access.log")).unwrap();
        for args in [vec!["--", name], vec![file.to_str().unwrap()]] {
            let out = Command::new(bin())
                .args(&args)
                .current_dir(dir.path())
                .output()
                .unwrap();
            assert!(out.status.success(), "{args:?}: {}", stderr(&out));
            assert_eq!(out.stdout, expected("access.out"), "{args:?}");
        }
    }
}

fn completion(shell: &str) -> String {
    let out = run(&["completions", shell], b"");
    assert!(out.status.success(), "{shell}: {}", stderr(&out));
    let script = String::from_utf8(out.stdout).unwrap();
    for word in [
        "--in-place",
        "--pseudonymize",
        "--key-rotation",
        "keygen",
        "reveal",
    ] {
        assert!(script.contains(word), "{shell}: {word} missing");
    }
    // Elvish's and PowerShell's generators complete no values.
    if ["bash", "zsh", "fish"].contains(&shell) {
        assert!(script.contains("nginx-error"), "{shell}: no -f values");
    }
    script
}

#[test]
fn every_completion_script_names_the_real_options() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        completion(shell);
    }
    let out = run(&["completions", "tcsh"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("possible values"), "{}", stderr(&out));
}

/// `script` run by `shell` with `args` (ending in `-c`), the completion
/// script in the file `$COMP`.
fn in_shell(shell: &str, args: &[&str], script: &str, completions: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let comp = dir.path().join("anonlog.completion");
    fs::write(&comp, completions).unwrap();
    Command::new(shell)
        .args(args)
        .arg(script)
        .env("COMP", &comp)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn bash_completion_completes_options_values_and_commands() {
    if !have_program("bash", &["--version"]) {
        return;
    }
    let comp = completion("bash");
    let out = in_shell("bash", &["-c"], r#"bash -n "$COMP""#, &comp);
    assert!(out.status.success(), "{}", stderr(&out));
    // Complete as readline would: the words so far, the index of the one
    // under the cursor, then the function with (command, word, previous).
    let script = r#"
        set -e
        source "$COMP"
        complete -p anonlog
        try() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=();
                _anonlog anonlog "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}";
                echo "$*: ${COMPREPLY[*]}"; }
        try anonlog --in
        try anonlog --format ''
        try anonlog comp
        try anonlog completions ''
        try anonlog reveal --mo
    "#;
    let out = in_shell("bash", &["-c"], script, &comp);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}{}", text, stderr(&out));
    for want in [
        "complete -o bashdefault -o default -o nosort -F _anonlog anonlog",
        "anonlog --in: --in-place",
        "combined common main vhost_combined json nginx-error apache-error auto",
        "anonlog comp: completions",
        "bash elvish fish powershell zsh",
        "anonlog reveal --mo: --mode",
    ] {
        assert!(text.contains(want), "{want:?} missing in\n{text}");
    }
}

#[test]
fn zsh_completion_parses() {
    if !have_program("zsh", &["--version"]) {
        return;
    }
    let comp = completion("zsh");
    assert!(comp.starts_with("#compdef anonlog"));
    let out = in_shell("zsh", &["-f", "-c"], r#"zsh -n "$COMP""#, &comp);
    assert!(out.status.success(), "{}", stderr(&out));
    // Loaded for real: it defines the completion function and nothing
    // in it fails at load time.
    let out = in_shell(
        "zsh",
        &["-f", "-c"],
        r#"autoload -U compinit && compinit -u -D && source "$COMP" && whence -w _anonlog"#,
        &comp,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "_anonlog: function\n");
}

#[test]
fn fish_completion_loads_and_completes() {
    if !have_program("fish", &["--version"]) {
        return;
    }
    let comp = completion("fish");
    let script = r#"source $COMP; complete -C 'anonlog --in'; complete -C 'anonlog --format='; complete -C 'anonlog reveal --mode='"#;
    let out = in_shell("fish", &["--no-config", "-c"], script, &comp);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", stderr(&out));
    // A value description that fish cannot parse is reported on stderr
    // while the rest still loads.
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    for want in [
        "--in-place\tRewrite each FILE in place",
        "--format=nginx-error\tnginx error log",
        "--format=combined\t`remote_addr - remote_user",
        "--mode=pfx\tipcrypt-pfx",
    ] {
        assert!(text.contains(want), "{want:?} missing in\n{text}");
    }
}

#[test]
fn version_names_commit_and_target() {
    let out = run(&["--version"], b"");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let rest = text
        .strip_prefix(&format!("anonlog {} (commit ", env!("CARGO_PKG_VERSION")))
        .unwrap_or_else(|| panic!("{text}"));
    let (commit, target) = rest
        .strip_suffix(")\n")
        .and_then(|r| r.split_once(", "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        target.starts_with(std::env::consts::ARCH) && target.contains("-linux-"),
        "{text}"
    );
    let hash = commit.strip_suffix("-dirty").unwrap_or(commit);
    // Built from this checkout, so the commit is its HEAD (whether the
    // tree is dirty depends on edits made since the build).
    let head = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    match head {
        Ok(h) if h.status.success() => {
            assert_eq!(hash, String::from_utf8_lossy(&h.stdout).trim(), "{text}")
        }
        _ => assert_eq!(commit, "unknown", "{text}"),
    }
    for args in [&["-V"][..], &["keygen", "--version"], &["man", "--version"]] {
        let out = run(args, b"");
        let v = String::from_utf8_lossy(&out.stdout);
        assert!(
            v.ends_with(&text[text.find(' ').unwrap()..]),
            "{args:?}: {v}"
        );
    }
}
