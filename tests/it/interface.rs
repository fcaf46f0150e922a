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
