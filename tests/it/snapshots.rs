//! Snapshots of what a user reads: `--help` and every kind of error
//! message. A change to any of them shows up as a diff to review
//! (`cargo insta review`, or `INSTA_UPDATE=always cargo test --test it
//! snapshots::` to accept), never silently.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use crate::util::{run, samples};

/// stdout and stderr of a run, with its status, temporary and sample paths
/// replaced so the text is the same on every machine.
fn shown(args: &[&str], stdin: &[u8], tmp: &str) -> String {
    let out = run(args, stdin);
    let sam = samples().display().to_string();
    let clean = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .replace(tmp, "$TMP")
            .replace(&sam, "$SAMPLES")
    };
    format!(
        "status: {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        clean(&out.stdout),
        clean(&out.stderr)
    )
}

#[test]
fn help_texts() {
    insta::assert_snapshot!("help", shown(&["--help"], b"", "\0"));
    insta::assert_snapshot!("check_help", shown(&["check", "--help"], b"", "\0"));
    insta::assert_snapshot!("keygen_help", shown(&["keygen", "--help"], b"", "\0"));
    insta::assert_snapshot!("reveal_help", shown(&["reveal", "--help"], b"", "\0"));
}

#[test]
fn error_messages() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().display().to_string();
    let log = dir.path().join("access.log");
    fs::write(&log, fs::read(samples().join("access.log")).unwrap()).unwrap();
    let log = log.to_str().unwrap();
    let key = dir.path().join("key");
    fs::write(
        &key,
        "1522178d33a4cf80130a5b1649907d10d8988f837979652762574c2d2a842202\n",
    )
    .unwrap();
    fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
    let key = key.to_str().unwrap();
    let garbage = b"not a log line 198.51.100.7\n".repeat(3);
    let good = "192.0.2.1 - - [22/Nov/2026:08:38:17 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"\n";
    let fail_input = format!("{good}bad line\n");
    let cases: &[(&str, &[&str], &[u8])] = &[
        ("prefix_out_of_range", &["--ipv4-prefix", "33"], b""),
        ("unknown_option", &["--frobnicate"], b""),
        ("missing_input", &["/nonexistent/anonlog-test.log"], b""),
        ("in_place_without_files", &["--in-place"], b""),
        ("in_place_stdin", &["--in-place", "-"], b""),
        ("stats_and_quiet", &["--stats", "-q"], b""),
        ("max_unparsed_range", &["--max-unparsed", "101"], b""),
        (
            "nginx_variable_typo",
            &["--nginx-format", "$remote_addr - $remote_usr [$time_local]"],
            b"",
        ),
        (
            "nginx_adjacent_variables",
            &["--nginx-format", "$remote_addr$remote_user"],
            b"",
        ),
        (
            "apache_unknown_directive",
            &["--apache-format", "%h %Z"],
            b"",
        ),
        ("json_key_rule", &["--json-key", "foo=bogus"], b""),
        ("listen_address", &["--listen", "tcp:1.2.3.4"], b""),
        ("tag_output_without_listen", &["--tag-output", "a=b"], b""),
        ("pseudonymize_without_key", &["--pseudonymize", "pfx"], b""),
        (
            "key_file_readable_by_others",
            &["--pseudonymize", "pfx", "--key-file", key],
            b"",
        ),
        ("format_does_not_fit", &["-q"], &garbage),
        (
            "format_does_not_fit_forced",
            &["-q", "-f", "json"],
            &garbage,
        ),
        (
            "on_unparsed_fail",
            &["-q", "-f", "combined", "--on-unparsed", "fail"],
            fail_input.as_bytes(),
        ),
        ("output_is_input", &["-o", log, log], b""),
    ];
    for (name, args, stdin) in cases {
        insta::assert_snapshot!(*name, shown(args, stdin, &tmp));
    }
}
