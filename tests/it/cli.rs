//! End-to-end tests of the `anonlog` binary on the checked-in samples.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::util::{bin, count_lines, run, samples};

/// Every sample with the options it is checked with, and its golden output.
pub const GOLDEN: &[(&str, &[&str], &str)] = &[
    ("access.log", &[], "access.out"),
    (
        "access.log",
        &["--referrer", "origin", "--keep-user"],
        "access.origin.out",
    ),
    (
        "access.log",
        &["--referrer", "keep", "--keep-query"],
        "access.keep.out",
    ),
    ("access.log", &["--on-unparsed", "drop"], "access.drop.out"),
    (
        "access.log",
        &["--ipv4-prefix", "16", "--ipv6-prefix", "32"],
        "access.p16.out",
    ),
    ("main.log", &["-f", "main"], "main.out"),
    (
        "vhost_combined.log",
        &["-f", "vhost_combined"],
        "vhost_combined.out",
    ),
    ("common.log", &["-f", "common"], "common.out"),
    // Edge cases of bytes; most lines are no access log, so the run says
    // so and ends with status 1 (a_format_that_does_not_fit_is_reported_even_with_quiet).
    ("edge.log", &["--max-unparsed", "100%"], "edge.out"),
    ("json.log", &["-f", "json"], "json.out"),
    ("nginx-error.log", &["-f", "nginx-error"], "nginx-error.out"),
    (
        "apache-error.log",
        &["-f", "apache-error"],
        "apache-error.out",
    ),
    ("json.log", &["-f", "auto"], "json.out"),
    // The default, -f auto, on every sample.
    ("main.log", &[], "main.out"),
    ("vhost_combined.log", &[], "vhost_combined.out"),
    ("common.log", &[], "common.out"),
    ("json.log", &[], "json.out"),
    ("nginx-error.log", &[], "nginx-error.out"),
    ("apache-error.log", &[], "apache-error.out"),
    ("combined-extra.log", &[], "combined-extra.out"),
    ("combined-cookie.log", &[], "combined-cookie.out"),
    ("json-keys.log", &[], "json-keys.out"),
    // No access log: every line is scrubbed (status 1 without the option).
    (
        "truncated.log",
        &["--max-unparsed", "100%"],
        "truncated.out",
    ),
    ("app.log", &["--max-unparsed", "100%"], "app.out"),
    ("nginx-error.log", &["-f", "auto"], "nginx-error.out"),
    ("apache-error.log", &["-f", "auto"], "apache-error.out"),
];

#[test]
fn samples_match_golden_outputs() {
    for (input, opts, expected) in GOLDEN {
        let path = samples().join(input);
        for threads in ["1", "2"] {
            let mut args: Vec<&str> = opts.to_vec();
            args.extend(["-q", "-j", threads, path.to_str().unwrap()]);
            let out = run(&args, b"");
            assert!(
                out.status.success(),
                "{input} {opts:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(out.stderr.is_empty(), "-q must keep stderr empty");
            let want = fs::read(samples().join("expected").join(expected)).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&want),
                "{input} with {opts:?} -j {threads} differs from expected/{expected}"
            );
            assert_eq!(out.stdout, want);
        }
    }
}

#[test]
fn golden_outputs_hold_no_raw_addresses() {
    // The privacy claim of the samples, independent of the golden files'
    // correctness: no host address of the inputs survives the defaults.
    for raw in [
        "198.51.100.77",
        "203.0.113.9",
        "192.0.2.44",
        "2001:db8:abcd:12::1",
        "jane%40example.com",
        "alice",
        "token=s3cr3t",
        "0A1B2C3D4E",
    ] {
        let out = fs::read_to_string(samples().join("expected/access.out")).unwrap();
        assert!(!out.contains(raw), "{raw} leaked");
    }
}

#[test]
fn stdin_dash_and_files_concatenate_in_order() {
    let a = samples().join("common.log");
    let a = a.to_str().unwrap();
    let stdin = fs::read(a).unwrap();
    let out = run(&["-q", "-f", "common", a, "-", a], &stdin);
    assert!(out.status.success());
    let one = fs::read(samples().join("expected/common.out")).unwrap();
    assert_eq!(out.stdout, [one.clone(), one.clone(), one].concat());
}

#[test]
fn unterminated_last_line_of_a_middle_file_does_not_merge() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.log");
    fs::write(&a, "x 192.0.2.1").unwrap();
    let a = a.to_str().unwrap();
    let out = run(&["-q", a, a], b"");
    assert_eq!(out.stdout, b"x 192.0.2.0\nx 192.0.2.0");
}

#[test]
fn output_file_is_appended() {
    let dir = tempfile::tempdir().unwrap();
    let o = dir.path().join("out.log");
    fs::write(&o, "existing\n").unwrap();
    let line = "192.0.2.1 - - [22/Nov/2026:08:38:17 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"\n";
    let out = run(&["-q", "-o", o.to_str().unwrap(), "-"], line.as_bytes());
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    assert_eq!(
        fs::read(&o).unwrap(),
        format!("existing\n{}", line.replace("192.0.2.1", "192.0.2.0")).into_bytes()
    );
}

#[test]
fn fail_policy_names_file_and_line_without_content() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("mixed.log");
    let good = "192.0.2.1 - - [22/Nov/2026:08:38:17 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"\n";
    fs::write(
        &f,
        format!("{good}{good}secret-token 198.51.100.77\n{good}"),
    )
    .unwrap();
    for threads in ["1", "2"] {
        let out = run(
            &[
                "--on-unparsed",
                "fail",
                "-f",
                "combined",
                "--block-size",
                "100",
                "-j",
                threads,
                f.to_str().unwrap(),
            ],
            b"",
        );
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains("line 3 of"), "{err}");
        assert!(err.contains("mixed.log"), "{err}");
        assert!(
            !err.contains("secret") && !err.contains("198.51.100"),
            "diagnostic leaked content: {err}"
        );
        assert_eq!(
            count_lines(&out.stdout),
            2,
            "lines before the bad one are written"
        );
    }
}

#[test]
fn usage_and_io_errors_exit_2() {
    let out = run(&["--ipv4-prefix", "33"], b"");
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["/nonexistent/anonlog-test.log"], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("anonlog: error: cannot read /nonexistent/anonlog-test.log: "),
        "{err}"
    );
    assert_eq!(
        err.lines().count(),
        1,
        "one error line with its context chain: {err}"
    );
}

#[test]
fn closed_stdout_is_a_quiet_success() {
    let big: Vec<u8> = (0..200_000)
        .flat_map(|i| format!("192.0.2.{} - - [22/Nov/2026:08:38:17 +0000] \"GET /{i} HTTP/1.1\" 200 1 \"-\" \"-\"\n", i % 256).into_bytes())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("big.log");
    fs::write(&f, &big).unwrap();
    for threads in ["1", "2"] {
        let mut child = Command::new(bin())
            .args(["-j", threads, f.to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(first.starts_with("192.0.2.0 - - "));
    }
}

#[test]
fn stats_text_and_json() {
    let path = samples().join("access.log");
    let out = run(&["--stats=json", path.to_str().unwrap()], b"");
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1);
    let lines = count_lines(&fs::read(&path).unwrap());
    assert!(err.contains(&format!("\"lines_read\":{lines},")), "{err}");
    assert!(err.contains("\"scrubbed\":0,"), "{err}");
    assert!(err.contains("\"users_removed\":1,"), "{err}");
    let out = run(&["--stats", path.to_str().unwrap()], b"");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("anonlog: lines read"), "{err}");
    assert!(!err.contains("198.51.100"), "stats never hold content");
    // --quiet and --stats contradict each other.
    assert_eq!(run(&["--stats", "-q"], b"").status.code(), Some(2));
}

#[test]
fn unparsed_lines_warn_unless_quiet() {
    // One bad line in 200 (0.5%) is within --max-unparsed 1%: a warning,
    // and none with -q.
    let good = "192.0.2.1 - - [22/Nov/2026:08:38:17 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"\n";
    let input = format!("{}not a log line 192.0.2.1\n", good.repeat(199));
    let out = run(&[], input.as_bytes());
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("1 of 200 lines did not parse"), "{err}");
    assert!(!err.contains("192.0.2"), "{err}");
    let out = run(&["-q"], input.as_bytes());
    assert!(out.status.success());
    assert!(out.stderr.is_empty());
}

#[test]
fn a_format_that_does_not_fit_is_reported_even_with_quiet() {
    let good = "192.0.2.1 - - [22/Nov/2026:08:38:17 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"\n";
    // 2 bad lines in 100: more than 1%.
    let input = format!("{}not a log line 192.0.2.1\n?\n", good.repeat(98));
    for args in [
        &["-q", "-f", "combined"][..],
        &["-q", "-f", "combined", "-j", "2"],
    ] {
        let out = run(args, input.as_bytes());
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(count_lines(&out.stdout), 100, "every line is written");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("anonlog: error: <stdin>: 2 of 100 lines (2.0%"),
            "{err}"
        );
        assert!(err.contains("--nginx-format"), "{err}");
        assert!(!err.contains("192.0.2"), "{err}");
    }
    // With -f auto, no format is chosen that fails on more than 1%: every
    // line took the fail-closed path.
    let out = run(&["-q"], input.as_bytes());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("100 of 100 lines (100.0%"), "{err}");
    assert!(err.contains("match no format"), "{err}");
    assert!(
        err.contains("The closest format, combined, parses 98"),
        "{err}"
    );
    // A forced format that does not fit gets a better one suggested.
    let main = fs::read(samples().join("vhost_combined.log")).unwrap();
    let out = run(&["-q", "-f", "combined"], &main);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("Try -f vhost_combined"), "{err}");
    // The golden edge cases: the same bytes, with status 1.
    let edge = samples().join("edge.log");
    let out = run(&["-q", edge.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        out.stdout,
        fs::read(samples().join("expected/edge.out")).unwrap()
    );
    // The share can be raised.
    let out = run(
        &["-q", "--max-unparsed", "2%", "-f", "combined"],
        input.as_bytes(),
    );
    assert!(out.status.success());
    assert!(out.stderr.is_empty());
    let out = run(&["--max-unparsed", "101"], b"");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn identical_output_for_every_thread_count_and_block_size() {
    let mut input = Vec::new();
    for name in ["access.log", "edge.log", "main.log"] {
        input.extend(fs::read(samples().join(name)).unwrap());
        input.push(b'\n');
    }
    // A line far longer than the small block sizes, and CRLF lines.
    let long = format!(
        "198.51.100.1 - - [22/Nov/2026:08:38:17 +0000] \"GET /{}?q=1 HTTP/1.1\" 200 1 \"-\" \"-\"\r\n",
        "a".repeat(5000)
    );
    input.extend(long.as_bytes());
    input.extend(fs::read(samples().join("edge.log")).unwrap()); // ends without newline
    let reference = run(&["-q", "-j", "1", "--max-unparsed", "100%"], &input);
    assert!(reference.status.success());
    assert_eq!(count_lines(&reference.stdout), count_lines(&input));
    for threads in ["1", "2", "8"] {
        for bs in ["1", "7", "64", "4096", "1048576"] {
            let out = run(
                &[
                    "-q",
                    "-j",
                    threads,
                    "--block-size",
                    bs,
                    "--max-unparsed",
                    "100%",
                ],
                &input,
            );
            assert!(out.status.success());
            assert_eq!(
                out.stdout, reference.stdout,
                "-j {threads} --block-size {bs}"
            );
        }
    }
}

#[test]
fn over_long_lines_follow_the_policy() {
    let long = format!("198.51.100.1 {}\n", "x".repeat(3000));
    let input = format!("a 192.0.2.1\n{long}b 192.0.2.2\n");
    for threads in ["1", "2"] {
        let out = run(
            &[
                "--max-unparsed",
                "100%",
                "--max-line-bytes",
                "1000",
                "--block-size",
                "256",
                "-j",
                threads,
            ],
            input.as_bytes(),
        );
        assert!(out.status.success());
        assert_eq!(out.stdout, b"a 192.0.2.0\n\nb 192.0.2.0\n");
        let out = run(
            &[
                "--max-line-bytes",
                "1000",
                "--on-unparsed",
                "drop",
                "-j",
                threads,
            ],
            input.as_bytes(),
        );
        assert_eq!(out.stdout, b"");
        let out = run(
            &[
                "--max-line-bytes",
                "1000",
                "--on-unparsed",
                "fail",
                "-f",
                "common",
                "-j",
                threads,
            ],
            long.as_bytes(),
        );
        assert_eq!(out.status.code(), Some(1));
        assert!(
            String::from_utf8_lossy(&out.stderr)
                .contains("line 1 of <stdin> is longer than --max-line-bytes")
        );
    }
}

#[test]
fn live_pipe_line_comes_out_while_input_stays_open() {
    for threads in ["1", "2"] {
        let mut child = Command::new(bin())
            .args(["-q", "-j", threads])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            tx.send(line).unwrap();
        });
        stdin
            .write_all(b"198.51.100.7 - - [22/Nov/2026:08:38:17 +0000] \"GET /?q=1 HTTP/1.1\" 200 1 \"-\" \"-\"\n")
            .unwrap();
        stdin.flush().unwrap();
        // Generous: this checks that the line is not held until EOF, not speed.
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("line held back while the pipe stayed open");
        assert_eq!(
            line,
            "198.51.100.0 - - [22/Nov/2026:08:38:17 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"\n"
        );
        drop(stdin);
        assert!(child.wait().unwrap().success());
    }
}

#[test]
fn worker_panic_is_an_error_not_a_hang() {
    let mut input = Vec::new();
    for i in 0..2000 {
        input.extend(format!("line {i} 192.0.2.1\n").into_bytes());
    }
    input.extend(b"ANONLOG-TEST-PANIC\n");
    input.extend(input.clone());
    let out = std::process::Command::new(bin())
        .args(["-q", "-j", "2", "--block-size", "4096", "-"])
        .env("ANONLOG_TEST_PANIC", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            // The run stops at the panic; the rest of the input may bounce.
            let _ = c.stdin.take().unwrap().write_all(&input);
            c.wait_with_output()
        })
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("anonlog: error: a worker thread panicked"),
        "{err}"
    );
}

#[test]
fn unreadable_input_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["-q", dir.path().to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot read") && err.contains("directory"),
        "{err}"
    );
}

#[test]
fn compiled_formats_round_trip_to_the_predefined_ones() {
    let path = samples().join("access.log");
    let p = path.to_str().unwrap();
    let reference = run(&["-q", p], b"").stdout;
    assert_eq!(
        reference,
        fs::read(samples().join("expected/access.out")).unwrap()
    );
    let nginx_combined = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#;
    let apache_pasted = r#""%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\"""#;
    for args in [
        ["--nginx-format", nginx_combined],
        ["--apache-format", apache_pasted],
    ] {
        let out = run(&["-q", args[0], args[1], p], b"");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            out.stdout, reference,
            "{} differs from -f combined",
            args[0]
        );
    }
    let main = run(
        &[
            "-q",
            "-f",
            "main",
            samples().join("main.log").to_str().unwrap(),
        ],
        b"",
    )
    .stdout;
    let conf_dir = tempfile::tempdir().unwrap();
    fs::create_dir(conf_dir.path().join("conf.d")).unwrap();
    fs::write(
        conf_dir.path().join("nginx.conf"),
        "http {\n  include conf.d/*.conf;\n  access_log /var/log/nginx/access.log main;\n}\n",
    )
    .unwrap();
    fs::write(
        conf_dir.path().join("conf.d/log.conf"),
        "# the packaged format\nlog_format  main  '$remote_addr - $remote_user [$time_local] \"$request\" '\n                  '$status $body_bytes_sent \"$http_referer\" '\n                  '\"$http_user_agent\" \"$http_x_forwarded_for\"';\n",
    )
    .unwrap();
    let conf = conf_dir.path().join("nginx.conf");
    let out = run(
        &[
            "-q",
            "--nginx-conf",
            conf.to_str().unwrap(),
            "--log-format",
            "main",
            samples().join("main.log").to_str().unwrap(),
        ],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, main);
}

#[test]
fn format_errors_point_at_the_offending_position() {
    let out = run(&["--nginx-format", "$remote_addr$remote_user"], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("at byte 12"), "{err}");
    assert!(
        err.contains("\n            ^"),
        "caret under the position: {err}"
    );
    let out = run(&["--apache-format", "%h %Q"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at byte 4"));
}

#[test]
fn unknown_variables_are_kept_scrubbed_and_named_in_stats() {
    let out = run(
        &[
            "--stats=json",
            "--nginx-var",
            "upstream_cache_zone",
            "--nginx-format",
            "$remote_addr $upstream_cache_zone \"$http_x_custom\" $cookie_sid",
        ],
        b"198.51.100.7 hit-203.0.113.9 \"via 192.0.2.44\" abc123\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        out.stdout,
        b"198.51.100.0 hit-203.0.113.0 \"via 192.0.2.0\" -\n"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("\"unknown_fields\":[\"upstream_cache_zone\",\"http_x_custom\"],\"unknown_fields_more\":0,"),
        "{err}"
    );
    assert!(err.contains("\"format\":\"nginx-format\""), "{err}");
}

#[test]
fn nginx_variable_typos_are_errors_with_a_suggestion() {
    let spec = "$remote_addr - $remote_usr [$time_local] \"$request\"";
    let out = run(
        &["--nginx-format", spec],
        b"192.0.2.1 - bob [t] \"GET / HTTP/1.1\"\n",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing is written");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("did you mean `$remote_user`?"), "{err}");
    assert!(err.contains("--nginx-var"), "{err}");
    assert!(
        err.contains(&format!("{spec}\n{}^", " ".repeat(15))),
        "caret under the variable: {err}"
    );
    // A custom variable must be declared; declared, it is unknown.
    let out = run(&["-q", "--nginx-format", "$remote_addr $my_map"], b"");
    assert_eq!(out.status.code(), Some(2));
    let out = run(
        &[
            "--stats",
            "--nginx-var",
            "$my_map,other",
            "--nginx-format",
            "$remote_addr $my_map",
        ],
        b"198.51.100.7 sid=abc;203.0.113.9\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Unknown is not safe: the session id goes, the addresses are truncated.
    assert_eq!(out.stdout, b"198.51.100.0 sid=-;203.0.113.0\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no rule, kept only if inert, else scrubbed: my_map\n"),
        "{err}"
    );
    let out = run(
        &["--nginx-var", "a-b", "--nginx-format", "$remote_addr"],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["--nginx-var", "a"], b"");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn pasted_directives_work_like_the_bare_string() {
    let main = samples().join("main.log");
    let main = main.to_str().unwrap();
    let bare = run(
        &[
            "-q",
            "--nginx-format",
            "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\" \"$http_x_forwarded_for\"",
            main,
        ],
        b"",
    );
    assert!(bare.status.success());
    assert_eq!(
        bare.stdout,
        fs::read(samples().join("expected/main.out")).unwrap()
    );
    let pasted = "log_format  main  '$remote_addr - $remote_user [$time_local] \"$request\" '\n                  '$status $body_bytes_sent \"$http_referer\" '\n                  '\"$http_user_agent\" \"$http_x_forwarded_for\"';";
    let out = run(&["-q", "--nginx-format", pasted, main], b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, bare.stdout);

    let access = samples().join("access.log");
    let access = access.to_str().unwrap();
    let want = run(&["-q", access], b"").stdout;
    for line in [
        r#"LogFormat "%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"" combined"#,
        r#"CustomLog "|/usr/bin/anonlog -o /var/log/apache2/access.log" combined env=!dontlog"#,
    ] {
        let out = run(&["-q", "--apache-format", line, access], b"");
        assert!(
            out.status.success(),
            "{line}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, want, "{line}");
    }
    let out = run(&["--apache-format", "CustomLog logs/x mine"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("paste that line instead"));
}

#[test]
fn json_keys_without_a_rule_are_scrubbed_and_named_in_stats() {
    let input = b"{\"url\":\"/a?token=1\",\"user_name\":\"jane\",\"query\":\"q=1\",\"client_port\":\"4242\",\"note\":\"from 198.51.100.7\",\"192.0.2.1\":\"x\",\"n\":\"0.5ms\"}\n";
    for threads in ["1", "2"] {
        let out = run(&["-f", "json", "--stats=json", "-j", threads], input);
        assert!(out.status.success());
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "{\"url\":\"/a\",\"user_name\":\"-\",\"query\":\"-\",\"client_port\":\"-\",\"note\":\"from 198.51.100.0\",\"192.0.2.0\":\"x\",\"n\":\"0.5ms\"}\n"
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("\"unknown_fields\":[\"note\",\"n\"],\"unknown_fields_more\":1,"),
            "{err}"
        );
    }
    let out = run(&["-f", "json", "--stats"], input);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no rule, kept only if inert, else scrubbed: note, n and 1 more"),
        "{err}"
    );
}

#[test]
fn auto_detects_each_input_on_its_own() {
    let names = [
        ("main.log", "main.out"),
        ("vhost_combined.log", "vhost_combined.out"),
        ("access.log", "access.out"),
        ("common.log", "common.out"),
    ];
    let paths: Vec<String> = names
        .iter()
        .map(|(n, _)| samples().join(n).to_str().unwrap().to_owned())
        .collect();
    let want: Vec<u8> = names
        .iter()
        .flat_map(|(_, e)| fs::read(samples().join("expected").join(e)).unwrap())
        .collect();
    for threads in ["1", "2"] {
        let mut args = vec!["--stats=json", "-f", "auto", "-j", threads];
        args.extend(paths.iter().map(String::as_str));
        let out = run(&args, b"");
        assert!(out.status.success());
        assert_eq!(out.stdout, want, "-j {threads}");
        let err = String::from_utf8_lossy(&out.stderr);
        for (n, f) in [
            ("main.log", "main"),
            ("vhost_combined.log", "vhost_combined"),
            ("access.log", "combined"),
            ("common.log", "common"),
        ] {
            assert!(
                err.contains(&format!("{n}\",\"format\":\"{f}\"")),
                "{n} -> {f}: {err}"
            );
        }
    }
}

#[test]
fn fail_policy_counts_lines_across_blocks() {
    let good =
        "192.0.2.1 - - [22/Nov/2026:08:38:17 +0000] \"GET /page HTTP/1.1\" 200 1 \"-\" \"-\"\n";
    let mut input = good.repeat(20_000);
    input.push_str("bad line\n");
    input.push_str(&good.repeat(3_000));
    assert!(input.len() > 1_400_000);
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("big.log");
    fs::write(&f, &input).unwrap();
    for format in ["combined", "auto"] {
        for bs in ["4096", "1048576"] {
            for threads in ["1", "2"] {
                let out = run(
                    &[
                        "--on-unparsed",
                        "fail",
                        "-f",
                        format,
                        "--block-size",
                        bs,
                        "-j",
                        threads,
                        f.to_str().unwrap(),
                    ],
                    b"",
                );
                assert_eq!(out.status.code(), Some(1));
                let err = String::from_utf8(out.stderr).unwrap();
                assert!(
                    err.contains("line 20001 of"),
                    "-f {format} --block-size {bs} -j {threads}: {err}"
                );
                assert_eq!(count_lines(&out.stdout), 20_000);
            }
        }
    }
}

#[test]
fn a_stream_says_so_once_after_its_first_thousand_lines() {
    // stdin is a pipe here: a stream that may never end.
    let input = "not a log line\n".repeat(5000);
    let out = run(&["-q", "--block-size", "4096"], input.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(count_lines(&out.stdout), 5000);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("anonlog: warning: <stdin>: "), "{err}");
    let seen: u64 = err["anonlog: warning: <stdin>: ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1000..5000).contains(&seen),
        "said after {seen} lines: {err}"
    );
}

/// The corpora of real-life shapes, with the default options: nothing
/// personal survives, and the client's network stays visible in every line
/// that has a client.
#[test]
fn corpora_keep_nothing_personal_and_the_network_visible() {
    let corpora: &[(&str, Option<i32>, &[&str])] = &[
        (
            "main.log",
            Some(0),
            &["198.51.100.0", "2001:db8:1::", "192.0.2.0"],
        ),
        (
            "combined-extra.log",
            Some(0),
            &[
                "198.51.100.0",
                "2001:db8:abcd::",
                "192.0.2.0",
                "203.0.113.0",
                "198.51.100.0",
            ],
        ),
        (
            "combined-cookie.log",
            Some(0),
            &["198.51.100.0", "192.0.2.0", "2001:db8:abcd::"],
        ),
        (
            "vhost_combined.log",
            Some(0),
            &["198.51.100.0", "2001:db8:aaaa::"],
        ),
        (
            "json-keys.log",
            Some(0),
            &["198.51.100.0", "2001:db8:abcd::", "192.0.2.0"],
        ),
        (
            "truncated.log",
            Some(1),
            &[
                "198.51.100.0",
                "192.0.2.0",
                "2001:db8:abcd::",
                "203.0.113.0",
                "198.51.100.0",
            ],
        ),
        (
            "app.log",
            Some(1),
            &[
                "198.51.100.0",
                "2001:db8:abcd::",
                "192.0.2.0",
                "203.0.113.0",
            ],
        ),
    ];
    let never = [
        "Zq",
        "alice",
        "bob",
        "carol",
        "dave",
        "jane",
        "www.example.org",
        "ref.example",
        "51234",
        "40000",
        "198.51.100.77",
        "198.51.100.78",
        "198.51.100.23",
        "192.0.2.44",
        "192.0.2.45",
        "203.0.113.9",
        "2001:db8:abcd:12::1",
        "2001:db8:1:2::99",
        "GA1.2",
        "sid=7f3a",
    ];
    for &(file, status, networks) in corpora {
        let path = samples().join(file);
        let out = run(&["-q", path.to_str().unwrap()], b"");
        assert_eq!(out.status.code(), status, "{file}");
        let text = String::from_utf8(out.stdout).unwrap();
        for s in never {
            assert!(!text.contains(s), "{file}: {s:?} survived in\n{text}");
        }
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), networks.len(), "{file}");
        for (line, net) in lines.iter().zip(networks) {
            assert!(line.contains(net), "{file}: {net} missing in {line}");
        }
        // A Chrome user agent is byte-identical.
        let raw = fs::read_to_string(&path).unwrap();
        if raw.contains("Chrome/120.0.0.0") {
            assert!(text.contains("Chrome/120.0.0.0"), "{file}");
        }
    }
}

#[test]
fn origin_referrers_lose_session_ids_after_the_host() {
    let line = "192.0.2.1 - - [22/Nov/2026:08:38:17 +0000] \"GET / HTTP/1.1\" 200 1 \"https://example.com;jsessionid=ABC123/x?y=1\" \"ua\"\n";
    let out = run(&["-q", "--referrer", "origin"], line.as_bytes());
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\"https://example.com/\""), "{text}");
    assert!(!text.contains("ABC123"), "{text}");
}

#[test]
fn user_agents_lose_what_the_scrubber_removes_but_keep_versions_and_bot_urls() {
    // Found by the `line` fuzz target: the user agent was only scrubbed
    // of addresses.
    let line = "192.0.2.1 - - [22/Nov/2026:08:41:08 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"bot ZqA@a.example.org http://u:ZqB@h.example/p?q=ZqC token=ZqD Chrome/120.0.0.0 rv:1.8.1.4 (+http://www.google.com/bot.html) 198.51.100.7\"\n";
    let out = run(&["-q"], line.as_bytes());
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("Zq"), "{text}");
    for kept in [
        "Chrome/120.0.0.0",
        "rv:1.8.1.4",
        "(+http://www.google.com/bot.html)",
        "http://h.example/p",
    ] {
        assert!(text.contains(kept), "{kept} in {text}");
    }
    assert!(text.contains(" 198.51.100.0\""), "{text}");
}
