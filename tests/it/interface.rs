//! The command line as a user meets it (issue 14): help that fits the
//! terminal, hints for arguments that look like a mistaken option, each
//! cause of an error said once, counts in the singular when there is one,
//! suggestions that lead to the right format, and `--stats` naming the
//! format each input was read with.

use std::process::{Command, Stdio};

/// `anonlog ARGS` with stdout a pipe and `COLUMNS` as given (unset when
/// `None`): the help text clap writes when no terminal can be asked.
fn help(args: &[&str], columns: Option<&str>) -> String {
    let mut cmd = Command::new(crate::util::bin());
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match columns {
        Some(c) => cmd.env("COLUMNS", c),
        None => cmd.env_remove("COLUMNS"),
    };
    let out = cmd.output().expect("run anonlog");
    assert!(out.status.success(), "{args:?}: {:?}", out.status);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn help_is_wrapped_to_100_columns_or_columns() {
    for args in [
        &["--help"][..],
        &["-h"],
        &["keygen", "--help"],
        &["reveal", "--help"],
    ] {
        let text = help(args, None);
        assert!(text.lines().count() > 5, "{args:?}: {text}");
        let long: Vec<&str> = text.lines().filter(|l| l.chars().count() > 100).collect();
        assert!(
            long.is_empty(),
            "{args:?}: lines over 100 columns: {long:#?}"
        );
    }
    // A narrower COLUMNS is followed; no line of anonlog's help has a word
    // that cannot be broken at 80.
    let text = help(&["--help"], Some("80"));
    let long: Vec<&str> = text.lines().filter(|l| l.chars().count() > 80).collect();
    assert!(long.is_empty(), "lines over 80 columns: {long:#?}");
    // A wider one is capped: lines of 200 characters are hard to read.
    let text = help(&["--help"], Some("200"));
    assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
}

/// A combined line with an address to truncate.
const LINE: &[u8] =
    b"192.0.2.7 - - [22/Nov/2026:08:38:17 +0000] \"GET /a?q=1 HTTP/1.1\" 200 1 \"-\" \"-\"\n";

/// `anonlog ARGS` run in `dir`, with no input on stdin.
fn run_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(crate::util::bin())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run anonlog")
}

#[test]
fn words_taken_for_missing_files_get_the_syntax_that_was_meant() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.log"), LINE).unwrap();
    for (args, hint) in [
        (&["--stats", "json", "a.log"][..], "use --stats=json"),
        (&["a.log", "--stats", "json"], "use --stats=json"),
        (&["--stats", "text", "a.log"], "(--stats=text)"),
        (&["help"], "use `anonlog --help`"),
        (&["version"], "use `anonlog --version`"),
    ] {
        let out = run_in(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = crate::util::stderr(&out);
        let word = args
            .iter()
            .find(|a| ["json", "text", "help", "version"].contains(a));
        assert!(
            err.starts_with(&format!("anonlog: error: no file `{}`; ", word.unwrap())),
            "{args:?}: {err}"
        );
        assert!(err.contains(hint), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "nothing is read before the hint");
    }
    // Without --stats, `json` is an ordinary missing file.
    let err = crate::util::stderr(&run_in(dir.path(), &["json"]));
    assert!(
        err.starts_with("anonlog: error: cannot read json: "),
        "{err}"
    );
    // Files of those names that exist are read.
    for word in ["json", "text", "help", "version"] {
        std::fs::write(dir.path().join(word), LINE).unwrap();
    }
    for args in [
        &["--stats", "json"][..],
        &["--stats", "text"],
        &["help"],
        &["version"],
    ] {
        let out = run_in(dir.path(), args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            crate::util::stderr(&out)
        );
        assert!(out.stdout.starts_with(b"192.0.2.0 - - "), "{args:?}");
    }
}

/// Asserts that the first line of `err` names `value` once and says no
/// `: `-separated part of itself twice.
fn says_each_cause_once(args: &[&str], err: &str, value: &str) {
    let line = err.lines().next().unwrap_or_default();
    assert_eq!(line.matches(value).count(), 1, "{args:?}: {err}");
    let parts: Vec<&str> = line.split(": ").collect();
    for (i, p) in parts.iter().enumerate() {
        assert!(
            !parts[i + 1..].contains(p),
            "{args:?}: `{p}` twice in {err}"
        );
    }
}

#[test]
fn each_cause_of_an_error_is_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-key");
    let missing = missing.to_str().unwrap();
    for (args, value) in [
        (&["--json-key", "foo=bogus"][..], "foo=bogus"),
        (&["--json-key", "foo"], "\"foo\""),
        (&["--json-key", "=addr"], "=addr"),
        (&["--pseudonymize", "pfx", "--key-file", missing], missing),
        (&["reveal", "--key-file", missing, "192.0.2.1"], missing),
        (&["--max-unparsed", "5x"], "5x"),
        (&["--listen", "udp:nope"], "nope"),
    ] {
        let out = run_in(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = crate::util::stderr(&out);
        says_each_cause_once(args, &err, value);
    }
    // The key file's error keeps its cause, once.
    let err = crate::util::stderr(&run_in(
        dir.path(),
        &["--pseudonymize", "pfx", "--key-file", missing],
    ));
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}
