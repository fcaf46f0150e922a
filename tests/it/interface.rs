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

/// `anonlog ARGS` on `stdin`, in `dir`; stderr as text.
fn err_of(dir: &std::path::Path, args: &[&str], stdin: &[u8]) -> (Option<i32>, String) {
    use std::io::Write;
    let mut child = Command::new(crate::util::bin())
        .args(args)
        .current_dir(dir)
        .env_remove("ANONLOG_KEY_FILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run anonlog");
    let _ = child.stdin.take().unwrap().write_all(stdin);
    let out = child.wait_with_output().unwrap();
    (out.status.code(), crate::util::stderr(&out))
}

#[test]
fn counts_agree_with_their_nouns() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The in-place summary: files, lines and bytes.
    std::fs::write(d.join("a.log"), LINE).unwrap();
    let (_, err) = err_of(d, &["-i", "a.log"], b"");
    let bytes = LINE.len();
    assert!(err.contains("anonlog: 1 file: 1 rewritten"), "{err}");
    assert!(
        err.contains(&format!("; 1 line, {bytes} bytes read")),
        "{err}"
    );
    for f in ["b.log", "c.log"] {
        std::fs::write(d.join(f), LINE).unwrap();
    }
    let (_, err) = err_of(d, &["-i", "b.log", "c.log"], b"");
    assert!(err.contains("anonlog: 2 files: 2 rewritten"), "{err}");
    assert!(err.contains("; 2 lines, "), "{err}");
    // Unparsed and over-long lines, one and two of them.
    let many = LINE.repeat(98);
    for (n, was) in [(1, "was"), (2, "were")] {
        let input = [&many[..], &b"not a log line\n".repeat(n)].concat();
        let (code, err) = err_of(d, &["-f", "combined", "--max-unparsed", "5%"], &input);
        assert_eq!(code, Some(0), "{err}");
        let total = 98 + n;
        let want = format!("{n} of {total} lines did not parse as combined and {was} scrubbed");
        assert!(err.contains(&want), "{err}");
        let long = [&[b'x'; 200][..], b"\n"].concat().repeat(n);
        let input = [&many[..], &long[..]].concat();
        let (_, err) = err_of(d, &["-f", "combined", "--max-line-bytes", "150"], &input);
        let lines = if n == 1 { "line was" } else { "lines were" };
        assert_eq!(
            err,
            format!("anonlog: warning: {n} {lines} longer than --max-line-bytes\n")
        );
    }
    // A format that does not fit one line, and a better one for it.
    let (code, err) = err_of(d, &["-f", "json"], LINE);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("<stdin>: 1 of 1 line (100.0%"), "{err}");
    assert!(
        err.contains("Try -f combined (it parses the first line)"),
        "{err}"
    );
    let (code, err) = err_of(d, &["-f", "json"], &LINE.repeat(2));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("<stdin>: 2 of 2 lines (100.0%"), "{err}");
    assert!(err.contains("(it parses 2 of the first 2 lines)"), "{err}");
    // The limit of --max-line-bytes.
    let (_, err) = err_of(d, &["--max-line-bytes", "1", "--on-unparsed", "fail"], LINE);
    assert!(err.contains("--max-line-bytes (1 byte)"), "{err}");
    let (_, err) = err_of(d, &["--max-line-bytes", "2", "--on-unparsed", "fail"], LINE);
    assert!(err.contains("--max-line-bytes (2 bytes)"), "{err}");
}

#[test]
fn undated_lines_are_counted_in_the_singular_too() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (code, err) = err_of(d, &["keygen", "--out", "key"], b"");
    assert_eq!(code, Some(0), "{err}");
    let args = [
        "--key-file",
        "key",
        "--pseudonymize",
        "pfx",
        "--key-rotation",
        "daily",
    ];
    // 31 November is no date: the line is truncated, not pseudonymized.
    let undated = String::from_utf8(LINE.to_vec())
        .unwrap()
        .replace("22/Nov", "31/Nov");
    for n in [1, 2] {
        let input = undated.repeat(n);
        let (code, err) = err_of(d, &args, input.as_bytes());
        assert_eq!(code, Some(0), "{err}");
        let want = match n {
            1 => "1 line had no readable timestamp for --key-rotation and was truncated",
            _ => "2 lines had no readable timestamp for --key-rotation and were truncated",
        };
        assert!(err.contains(want), "{err}");
    }
}

#[test]
fn a_server_named_for_a_format_gets_its_access_log_formats_first() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = err_of(dir.path(), &["-f", "nginx"], b"");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("tip: did you mean `combined`, `main` or `nginx-error`?"),
        "{err}"
    );
    assert!(!err.contains("similar value"), "{err}");
    let at = |s: &str| err.find(s).unwrap_or_else(|| panic!("{s}: {err}"));
    assert!(at("`combined` is nginx's built-in") < at("`main` is combined plus"));
    assert!(at("`main` is combined plus") < at("`nginx-error` is the error log"));
    let (code, err) = err_of(dir.path(), &["-f", "apache2"], b"");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("did you mean `combined`, `common`, `vhost_combined` or `apache-error`?"),
        "{err}"
    );
    // A near spelling of a format keeps clap's own suggestion.
    let (_, err) = err_of(dir.path(), &["-f", "nginx_error"], b"");
    assert!(
        err.contains("a similar value exists: 'nginx-error'"),
        "{err}"
    );
    // The values themselves are unchanged.
    let (code, _) = err_of(dir.path(), &["-f", "main"], b"");
    assert_eq!(code, Some(0));
}

/// A JSON line whose key `trace_note` has no rule.
const JSON_LINE: &[u8] =
    b"{\"remote_addr\":\"192.0.2.7\",\"request\":\"GET /x HTTP/1.1\",\"trace_note\":\"a\"}\n";

#[test]
fn stats_name_auto_and_the_format_detected_for_each_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let write = |name: &str, body: &[u8]| std::fs::write(d.join(name), body).unwrap();
    let text_of = |args: &[&str]| {
        let (code, err) = err_of(d, args, b"");
        assert_eq!(code, Some(0), "{args:?}: {err}");
        err
    };
    // In place, the files are rewritten: each run gets them afresh.
    let reset = || {
        write("a.log", LINE);
        write("j.log", JSON_LINE);
        write(
            "m.log",
            &[&LINE[..LINE.len() - 1], b" \"203.0.113.9\"\n"].concat(),
        );
    };
    for mode in [&[][..], &["-i"], &["-i", "-j", "1"]] {
        reset();
        let files = ["a.log", "j.log", "m.log"];
        let err = text_of(&[mode, &["--stats"], &files].concat());
        let head: Vec<&str> = err.lines().take(4).collect();
        assert_eq!(
            head,
            [
                "anonlog: format                  auto",
                "anonlog: detected format         combined for a.log",
                "anonlog: detected format         json for j.log",
                "anonlog: detected format         main for m.log",
            ],
            "{mode:?}: {err}"
        );
        assert!(err.contains("scrubbed: trace_note"), "{mode:?}: {err}");
        reset();
        let err = text_of(&[mode, &["--stats=json"], &files].concat());
        assert!(err.starts_with("{\"format\":\"auto\","), "{mode:?}: {err}");
        assert!(
            err.contains(
                "\"unknown_fields\":[\"trace_note\"],\"unknown_fields_more\":0,\"detected\":[\
                 {\"input\":\"a.log\",\"format\":\"combined\"},\
                 {\"input\":\"j.log\",\"format\":\"json\"},\
                 {\"input\":\"m.log\",\"format\":\"main\"}]"
            ),
            "{mode:?}: {err}"
        );
    }
    // A forced format is named alone.
    write("a.log", LINE);
    let err = text_of(&["-f", "combined", "--stats", "a.log"]);
    assert!(
        err.starts_with("anonlog: format                  combined\nanonlog: lines read"),
        "{err}"
    );
    // The warning names the format the lines were read with, not `auto`.
    let bad = [&LINE.repeat(199)[..], b"not a log line\n"].concat();
    write("bad.log", &bad);
    let err = text_of(&["bad.log"]);
    assert_eq!(
        err,
        "anonlog: warning: 1 of 200 lines did not parse as combined and was scrubbed\n"
    );
}
