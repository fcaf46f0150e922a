//! Keyed pseudonyms end to end: `anonlog keygen`, `--pseudonymize` with
//! key rotation from the lines' own timestamps, `--user pseudonymize`, and
//! `anonlog reveal`, all through the real binary.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::util::{bin, have_root, run, stderr};

/// A key made by `anonlog keygen --out`, in its own directory.
struct Key {
    _dir: tempfile::TempDir,
    path: PathBuf,
    id: String,
}

impl Key {
    fn new() -> Key {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("anonlog.key");
        let out = run(&["keygen", "--out", path.to_str().unwrap()], b"");
        assert!(out.status.success(), "{}", stderr(&out));
        let err = stderr(&out);
        let id = err
            .split_whitespace()
            .nth(3)
            .expect("keygen names the key id")
            .to_owned();
        assert_eq!(id.len(), 16, "{err}");
        Key {
            _dir: dir,
            path,
            id,
        }
    }

    fn arg(&self) -> &str {
        self.path.to_str().unwrap()
    }

    fn hex(&self) -> String {
        fs::read_to_string(&self.path).unwrap().trim().to_owned()
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Runs anonlog with the key and `args` on `input`; must succeed.
fn anon(key: &Key, args: &[&str], input: &str) -> String {
    let mut all = vec!["-q", "--key-file", key.arg()];
    all.extend_from_slice(args);
    let out = run(&all, input.as_bytes());
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

fn line(client: &str, user: &str, time: &str) -> String {
    format!(
        "{client} - {user} [{time}] \"GET /p?q=1 HTTP/1.1\" 200 5 \"https://example.org/?r\" \"agent\"\n"
    )
}

/// The first field of every output line.
fn clients(out: &str) -> Vec<&str> {
    out.lines().map(|l| l.split(' ').next().unwrap()).collect()
}

/// Pseudonyms of one address on lines at `times`, with `rotation`.
fn pseudonyms(key: &Key, mode: &str, rotation: &str, times: &[&str]) -> Vec<String> {
    let input: String = times
        .iter()
        .map(|t| line("198.51.100.77", "-", t))
        .collect();
    let out = anon(
        key,
        &["--pseudonymize", mode, "--key-rotation", rotation],
        &input,
    );
    clients(&out).into_iter().map(str::to_owned).collect()
}

#[test]
fn rotation_changes_pseudonyms_exactly_at_period_boundaries() {
    let key = Key::new();
    // (rotation, [last second of a period, first second of the next,
    //             another second of the first period])
    let cases = [
        (
            "daily",
            [
                "22/Nov/2026:23:59:59 +0000",
                "23/Nov/2026:00:00:00 +0000",
                "22/Nov/2026:00:00:00 +0000",
            ],
        ),
        (
            // Sunday 22 November is the last day of ISO week 47.
            "weekly",
            [
                "22/Nov/2026:23:59:59 +0000",
                "23/Nov/2026:00:00:00 +0000",
                "16/Nov/2026:00:00:00 +0000",
            ],
        ),
        (
            "monthly",
            [
                "30/Nov/2026:23:59:59 +0000",
                "01/Dec/2026:00:00:00 +0000",
                "01/Nov/2026:00:00:00 +0000",
            ],
        ),
        (
            // Across a year: 31 Dec 2026 and 3 Jan 2027 share week 2026-W53.
            "weekly",
            [
                "31/Dec/2026:12:00:00 +0000",
                "04/Jan/2027:00:00:00 +0000",
                "03/Jan/2027:23:59:59 +0000",
            ],
        ),
    ];
    for (rotation, times) in cases {
        let p = pseudonyms(&key, "pfx", rotation, &times);
        assert_ne!(p[0], p[1], "{rotation}: a new period, a new pseudonym");
        assert_eq!(p[0], p[2], "{rotation}: one period, one pseudonym");
        assert!(p.iter().all(|a| a != "198.51.100.77"));
    }
    // The zone is not applied: 23:30 at -0800 is still the 22nd.
    let p = pseudonyms(
        &key,
        "pfx",
        "daily",
        &["22/Nov/2026:23:30:00 -0800", "22/Nov/2026:01:00:00 +0000"],
    );
    assert_eq!(p[0], p[1]);
    // Without rotation, one key for all time.
    let p = pseudonyms(
        &key,
        "det",
        "none",
        &["22/Nov/2026:23:59:59 +0000", "01/Jan/2030:00:00:00 +0000"],
    );
    assert_eq!(p[0], p[1]);
    // The same key gives the same pseudonyms on a second run (an archive
    // re-processed later matches the live run).
    let times = ["22/Nov/2026:23:59:59 +0000", "23/Nov/2026:00:00:00 +0000"];
    assert_eq!(
        pseudonyms(&key, "pfx", "daily", &times),
        pseudonyms(&key, "pfx", "daily", &times)
    );
    // Another key, other pseudonyms.
    assert_ne!(
        pseudonyms(&Key::new(), "pfx", "daily", &times),
        pseudonyms(&key, "pfx", "daily", &times)
    );
}

#[test]
fn every_address_field_is_pseudonymized_and_family_rules_hold() {
    let key = Key::new();
    let t = "22/Nov/2026:08:00:00 +0000";
    let input = format!(
        "198.51.100.77 - - [{t}] \"GET /whois/198.51.100.77 HTTP/1.1\" 200 5 \"-\" \"bot 2001:db8::7\" \"203.0.113.9, 2001:db8::7\"\n\
         ::ffff:198.51.100.77 - - [{t}] \"GET / HTTP/1.1\" 200 5 \"-\" \"-\" \"-\"\n"
    );
    for mode in ["pfx", "cryptopan", "det"] {
        let out = anon(&key, &["-f", "main", "--pseudonymize", mode], &input);
        for raw in ["198.51.100.", "203.0.113.", "2001:db8::7"] {
            assert!(!out.contains(raw), "{mode}: {raw} survived in {out}");
        }
        let lines: Vec<&str> = out.lines().collect();
        let client = clients(&out)[0];
        // The client, the path and the forwarded address: one pseudonym
        // for one address in every field.
        assert!(
            lines[0].contains(&format!("/whois/{client} ")),
            "{mode}: {out}"
        );
        let mapped = clients(&out)[1];
        match mode {
            // An IPv4 address and its mapped form give the same result.
            "det" => {
                assert_eq!(mapped, client, "{out}");
                assert!(!client.contains('.'), "det output is IPv6: {out}");
            }
            _ => {
                assert_eq!(mapped, format!("::ffff:{client}"), "{out}");
                assert_eq!(client.split('.').count(), 4, "{mode} keeps IPv4: {out}");
            }
        }
    }
}

#[test]
fn det_drops_client_ports_and_keeps_other_ports_readable() {
    let key = Key::new();
    let input = "198.51.100.77:51234 - - [22/Nov/2026:08:00:00 +0000] \"GET /via/198.51.100.77:8080/x HTTP/1.1\" 200 5 \"-\" \"-\"\n";
    let out = anon(&key, &["--pseudonymize", "det"], input);
    // The client's port is gone, and with it the brackets.
    let client = clients(&out)[0];
    assert!(client.parse::<std::net::Ipv6Addr>().is_ok(), "{out}");
    // An address with a port inside text keeps the port, readable in
    // brackets.
    assert!(
        out.contains(&format!("/via/[{client}]:8080/x ")),
        "the same pseudonym, bracketed: {out}"
    );
    let back = run(
        &["reveal", "--key-file", key.arg(), "--mode", "det", client],
        b"",
    );
    assert_eq!(stdout(&back), "198.51.100.77\n", "{}", stderr(&back));
    let back = run(
        &[
            "reveal",
            "--key-file",
            key.arg(),
            "--mode",
            "det",
            &format!("[{client}]:8080"),
        ],
        b"",
    );
    assert_eq!(stdout(&back), "198.51.100.77:8080\n", "{}", stderr(&back));
}

#[test]
fn browser_versions_are_not_pseudonymized() {
    let key = Key::new();
    let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91";
    let firefox = "Mozilla/5.0 (Windows; U; Windows NT 5.1; en-US; rv:1.8.1.4) Gecko/20070515 Firefox/2.0.0.4";
    let t = "22/Nov/2026:08:00:00 +0000";
    let clf = format!(
        "198.51.100.77 - - [{t}] \"GET / HTTP/1.1\" 200 5 \"-\" \"{chrome}\"\n\
         198.51.100.77 - - [{t}] \"GET / HTTP/1.1\" 200 5 \"-\" \"{firefox} bot 203.0.113.9\"\n"
    );
    let json = format!("{{\"remote_addr\":\"198.51.100.77\",\"http_user_agent\":\"{chrome}\"}}\n");
    for mode in ["pfx", "det", "cryptopan"] {
        for rotation in ["none", "daily"] {
            let args = ["--pseudonymize", mode, "--key-rotation", rotation];
            let out = anon(&key, &args, &clf);
            let lines: Vec<&str> = out.lines().collect();
            assert!(
                lines[0].ends_with(&format!("\"{chrome}\"")),
                "{mode}: {out}"
            );
            assert!(
                lines[1].contains(&format!("\"{firefox} bot ")),
                "{mode}: {out}"
            );
            assert!(!out.contains("198.51.100.77") && !out.contains("203.0.113.9"));
            let mut args = args.to_vec();
            args.extend(["-f", "json"]);
            let out = anon(&key, &args, &json);
            assert!(
                out.contains(&format!("\"http_user_agent\":\"{chrome}\"")),
                "{mode}: {out}"
            );
            assert!(!out.contains("198.51.100.77"), "{mode}: {out}");
        }
    }
}

#[test]
fn reveal_inverts_pseudonyms() {
    let key = Key::new();
    let addresses = ["198.51.100.77", "2001:db8:abcd:12::1", "::ffff:203.0.113.9"];
    let days = [
        ("22/Nov/2026:23:59:59 +0000", "2026-11-22"),
        ("23/Nov/2026:00:00:00 +0000", "2026-11-23"),
    ];
    for mode in ["pfx", "det", "cryptopan"] {
        for rotation in ["none", "daily", "weekly", "monthly"] {
            for (time, date) in days {
                let input: String = addresses.iter().map(|a| line(a, "-", time)).collect();
                let out = anon(
                    &key,
                    &["--pseudonymize", mode, "--key-rotation", rotation],
                    &input,
                );
                let pseudonyms = clients(&out);
                let mut args = vec!["reveal", "--key-file", key.arg(), "--mode", mode];
                if rotation != "none" {
                    args.extend(["--key-rotation", rotation, "--date", date]);
                }
                args.extend(&pseudonyms);
                let back = run(&args, b"");
                assert!(back.status.success(), "{}", stderr(&back));
                let want: Vec<&str> = match mode {
                    // det encrypts the mapped form as the plain address.
                    "det" => vec!["198.51.100.77", "2001:db8:abcd:12::1", "203.0.113.9"],
                    _ => addresses.to_vec(),
                };
                assert_eq!(
                    stdout(&back).lines().collect::<Vec<_>>(),
                    want,
                    "{mode} {rotation} {date}"
                );
            }
        }
    }
    // The wrong day's key does not reveal the address.
    let out = anon(
        &key,
        &["--pseudonymize", "pfx", "--key-rotation", "daily"],
        &line("198.51.100.77", "-", "22/Nov/2026:12:00:00 +0000"),
    );
    let back = run(
        &[
            "reveal",
            "--key-file",
            key.arg(),
            "--key-rotation",
            "daily",
            "--date",
            "2026-11-23",
            clients(&out)[0],
        ],
        b"",
    );
    assert!(back.status.success());
    assert_ne!(stdout(&back), "198.51.100.77\n");
}

#[test]
fn reveal_usage_errors() {
    let key = Key::new();
    let cases: &[(&[&str], &str)] = &[
        (&["--key-rotation", "daily", "192.0.2.1"], "needs --date"),
        (
            &["--date", "2026-11-22", "192.0.2.1"],
            "needs --key-rotation",
        ),
        (
            &[
                "--key-rotation",
                "daily",
                "--date",
                "22/11/2026",
                "192.0.2.1",
            ],
            "YYYY-MM-DD",
        ),
        (&["not-an-address"], "not an address"),
        (&["--mode", "nd", "192.0.2.1"], "invalid value"),
    ];
    for (args, want) in cases {
        let mut all = vec!["reveal", "--key-file", key.arg()];
        all.extend_from_slice(args);
        let out = run(&all, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(want), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty());
    }
    let out = Command::new(bin())
        .args(["reveal", "192.0.2.1"])
        .env_remove("ANONLOG_KEY_FILE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("needs a key"), "{}", stderr(&out));
}

#[test]
fn key_files_readable_by_others_are_refused() {
    let key = Key::new();
    let input = line("198.51.100.77", "-", "22/Nov/2026:08:00:00 +0000");
    for mode in [0o644, 0o640, 0o604] {
        fs::set_permissions(&key.path, fs::Permissions::from_mode(mode)).unwrap();
        let runs = [
            run(
                &["--pseudonymize", "pfx", "--key-file", key.arg()],
                input.as_bytes(),
            ),
            run(&["reveal", "--key-file", key.arg(), "192.0.2.1"], b""),
        ];
        for out in runs {
            assert_eq!(out.status.code(), Some(2), "{mode:o}");
            let err = stderr(&out);
            assert!(err.contains(&format!("chmod 600 {}", key.arg())), "{err}");
            assert!(
                out.stdout.is_empty(),
                "nothing is written with a refused key"
            );
        }
    }
    fs::set_permissions(&key.path, fs::Permissions::from_mode(0o400)).unwrap();
    assert!(!anon(&key, &["--pseudonymize", "pfx"], &input).is_empty());
}

#[test]
fn keygen_writes_0600_and_never_overwrites() {
    let key = Key::new();
    let meta = fs::metadata(&key.path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let hex = key.hex();
    assert_eq!(hex.len(), 64);
    assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(Key::new().hex() != hex, "every key is new");
    let again = run(&["keygen", "--out", key.arg()], b"");
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    assert_eq!(key.hex(), hex, "the existing key is untouched");
    // The key is never printed, only its id.
    assert!(!stderr(&again).contains(&hex));
    // Without --out: a usage error, nothing printed.
    let out = run(&["keygen"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

#[test]
fn keygen_to_stdout_only_into_a_pipe_or_private_file() {
    // A pipe is fine: the key goes to the program reading it.
    let out = run(&["keygen", "--out", "-"], b"");
    assert!(out.status.success(), "{}", stderr(&out));
    let hex = stdout(&out);
    assert_eq!(hex.trim().len(), 64);
    assert!(!stderr(&out).contains(hex.trim()));
    // A file others can read is refused.
    let dir = tempfile::tempdir().unwrap();
    for (mode, ok) in [(0o644, false), (0o600, true)] {
        let path = dir.path().join(format!("k{mode:o}"));
        let file = fs::File::create(&path).unwrap();
        file.set_permissions(fs::Permissions::from_mode(mode))
            .unwrap();
        let status = Command::new(bin())
            .args(["keygen", "--out", "-"])
            .stdout(file)
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert_eq!(status.success(), ok, "{mode:o}");
        assert_eq!(
            fs::read_to_string(&path).unwrap().trim().len(),
            if ok { 64 } else { 0 }
        );
    }
}

#[test]
fn keys_on_the_command_line_are_refused_without_echo() {
    let hex = "1522178d33a4cf80130a5b1649907d10d8988f837979652762574c2d2a842202";
    let out = run(&["--pseudonymize", "pfx", "--key-file", hex], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("not a key"), "{err}");
    assert!(
        !err.contains(&hex[..16]),
        "the key must not be echoed: {err}"
    );
    let out = Command::new(bin())
        .args(["--pseudonymize", "pfx", "-"])
        .env("ANONLOG_KEY_FILE", hex)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains(&hex[..16]));
}

#[test]
fn key_file_from_the_environment_and_usage_errors() {
    let key = Key::new();
    let input = line("198.51.100.77", "-", "22/Nov/2026:08:00:00 +0000");
    let via_env = Command::new(bin())
        .args(["-q", "--pseudonymize", "pfx", "-"])
        .env("ANONLOG_KEY_FILE", &key.path)
        .stdin(fs::File::open(write_tmp(&key.path, &input)).unwrap())
        .output()
        .unwrap();
    assert!(via_env.status.success(), "{}", stderr(&via_env));
    assert_eq!(
        stdout(&via_env),
        anon(&key, &["--pseudonymize", "pfx"], &input)
    );
    // The variable alone changes nothing.
    let plain = Command::new(bin())
        .args(["-q", "-"])
        .env("ANONLOG_KEY_FILE", &key.path)
        .stdin(fs::File::open(write_tmp(&key.path, &input)).unwrap())
        .output()
        .unwrap();
    assert!(stdout(&plain).starts_with("198.51.100.0 "));
    let cases: &[(&[&str], &str)] = &[
        (&["--key-rotation", "daily"], "applies only with"),
        (&["--key-file", key.arg()], "applies only with"),
        (
            &[
                "--pseudonymize",
                "pfx",
                "--key-file",
                key.arg(),
                "--in-place",
                "x.log",
            ],
            "--in-place",
        ),
        (&["--user", "keep", "--keep-user"], "cannot be used with"),
    ];
    for (args, want) in cases {
        let out = run(args, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(want), "{args:?}: {}", stderr(&out));
    }
    let out = Command::new(bin())
        .args(["--pseudonymize", "pfx", "-"])
        .env_remove("ANONLOG_KEY_FILE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("anonlog keygen --out"),
        "{}",
        stderr(&out)
    );
}

/// Writes `text` next to the key and returns its path.
fn write_tmp(near: &Path, text: &str) -> PathBuf {
    let p = near.with_file_name(format!("in-{}.log", text.len()));
    fs::write(&p, text).unwrap();
    p
}

#[test]
fn log_files_named_like_subcommands() {
    let dir = tempfile::tempdir().unwrap();
    let input = line("198.51.100.77", "-", "22/Nov/2026:08:00:00 +0000");
    fs::write(dir.path().join("keygen"), &input).unwrap();
    let out = Command::new(bin())
        .args(["-q", "./keygen"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("198.51.100.0 "));
}

#[test]
fn output_is_identical_for_every_thread_count_and_block_size() {
    let key = Key::new();
    let mut input = String::new();
    for i in 0..3000u32 {
        // Three days, lines straddling midnights, repeating and new
        // addresses of both families, users, and unparsed lines.
        let day = 21 + i / 1000;
        let (h, m) = if i % 1000 < 500 { (23, 59) } else { (0, 0) };
        let day = if h == 0 { day + 1 } else { day };
        let time = format!("{day}/Nov/2026:{h:02}:{m:02}:{:02} +0000", i % 60);
        let client = match i % 5 {
            0 => format!("2001:db8:{:x}::{:x}", i % 7, i % 13),
            1 => format!("::ffff:198.51.100.{}", i % 11),
            _ => format!("203.0.{}.{}", i % 3, i % 17),
        };
        let user = if i % 4 == 0 {
            format!("user{}", i % 3)
        } else {
            "-".into()
        };
        if i % 97 == 0 {
            input.push_str(&format!("garbage from {client} at {time}\n"));
        } else {
            input.push_str(&line(&client, &user, &time));
        }
    }
    let args = [
        "--pseudonymize",
        "pfx",
        "--key-rotation",
        "daily",
        "--user",
        "pseudonymize",
        // One line in 97 is garbage, on purpose: more than the default 1%.
        "--max-unparsed",
        "2%",
    ];
    let reference = anon(&key, &[&args[..], &["-j", "1"]].concat(), &input);
    assert_eq!(reference.lines().count(), 3000);
    for threads in ["2", "8"] {
        for block in ["100", "4096", "1048576"] {
            let out = anon(
                &key,
                &[&args[..], &["-j", threads, "--block-size", block]].concat(),
                &input,
            );
            assert!(
                out == reference,
                "-j {threads} --block-size {block} differs"
            );
        }
    }
}

#[test]
fn user_tokens_per_day() {
    let key = Key::new();
    let input = [
        line("192.0.2.1", "alice", "22/Nov/2026:08:00:00 +0000"),
        line("192.0.2.2", "alice", "22/Nov/2026:23:59:59 +0000"),
        line("192.0.2.3", "bob", "22/Nov/2026:12:00:00 +0000"),
        line("192.0.2.4", "alice", "23/Nov/2026:00:00:00 +0000"),
        line("192.0.2.5", "-", "22/Nov/2026:08:00:00 +0000"),
    ]
    .concat();
    let out = anon(
        &key,
        &["--user", "pseudonymize", "--key-rotation", "daily"],
        &input,
    );
    let users: Vec<&str> = out.lines().map(|l| l.split(' ').nth(2).unwrap()).collect();
    for token in &users[..4] {
        assert_eq!(token.len(), 16, "{token}");
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
        );
    }
    assert_eq!(users[0], users[1], "same user, same day");
    assert_ne!(users[0], users[2], "another user");
    assert_ne!(users[0], users[3], "another day");
    assert_eq!(users[4], "-");
    assert!(!out.contains("alice") && !out.contains("bob"));
    // Addresses are still truncated (no --pseudonymize).
    assert!(out.starts_with("192.0.2.0 "));
    // --user keep and --keep-user keep; --user remove (the default) removes.
    let plain = |args: &[&str]| stdout(&run(&[&["-q"], args].concat(), input.as_bytes()));
    let keep = plain(&["--user", "keep"]);
    assert_eq!(keep, plain(&["--keep-user"]));
    assert!(keep.contains(" - alice ["), "{keep}");
    assert!(!plain(&["--user", "remove"]).contains("alice"));
    assert_eq!(plain(&["--user", "remove"]), plain(&[]));
}

#[test]
fn undated_lines_are_truncated_and_counted() {
    let key = Key::new();
    let input = [
        line("198.51.100.77", "alice", "22/Nov/2026:08:00:00 +0000"),
        // Parses as combined, but the time field is not a date.
        line("198.51.100.78", "alice", "31/Nov/2026:08:00:00 +0000"),
        // Does not parse: scrubbed, and its period is unknown.
        "garbage 198.51.100.79 [22/Nov/2026:08:00:00 +0000]\n".to_owned(),
    ]
    .concat();
    let args = [
        "--key-file",
        key.arg(),
        "--pseudonymize",
        "pfx",
        "--key-rotation",
        "daily",
        "--user",
        "pseudonymize",
        "--max-unparsed",
        "100%",
    ];
    let out = run(&[&args[..], &["--stats=json"]].concat(), input.as_bytes());
    assert!(out.status.success());
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(!lines[0].starts_with("198.51.100."), "{text}");
    assert!(lines[1].starts_with("198.51.100.0 - - ["), "{text}");
    assert_eq!(
        lines[2],
        "garbage 198.51.100.0 [22/Nov/2026:08:00:00 +0000]"
    );
    let err = stderr(&out);
    assert!(err.contains("\"undated_truncated\":2"), "{err}");
    assert!(err.contains("\"addresses_pseudonymized\":1"), "{err}");
    assert!(err.contains("\"addresses_truncated\":2"), "{err}");
    assert!(err.contains("\"users_pseudonymized\":1"), "{err}");
    // Without --stats, a warning says so.
    let out = run(&args, input.as_bytes());
    assert!(
        stderr(&out).contains("2 lines had no readable timestamp"),
        "{}",
        stderr(&out)
    );
    // Without rotation every line has the one key: nothing is undated.
    let out = run(
        &[
            "--key-file",
            key.arg(),
            "--pseudonymize",
            "pfx",
            "--stats=json",
        ],
        input.as_bytes(),
    );
    assert!(stderr(&out).contains("\"undated_truncated\":0"));
    assert!(!stdout(&out).contains("198.51.100."));
}

#[test]
fn stats_show_the_key_id_never_the_key() {
    let key = Key::new();
    let hex = key.hex();
    let input = line("198.51.100.77", "alice", "22/Nov/2026:08:00:00 +0000");
    let common = [
        "--key-file",
        key.arg(),
        "--pseudonymize",
        "det",
        "--user",
        "pseudonymize",
    ];
    let text = run(&[&common[..], &["--stats"]].concat(), input.as_bytes());
    let json = run(&[&common[..], &["--stats=json"]].concat(), input.as_bytes());
    for out in [&text, &json] {
        assert!(out.status.success());
        let err = stderr(out);
        assert!(err.contains(&key.id), "{err}");
        for i in 0..=48 {
            assert!(
                !err.contains(&hex[i..i + 16]),
                "key material in stderr: {err}"
            );
        }
        assert!(!stdout(out).contains(&hex[..16]));
    }
    let err = stderr(&text);
    let id_line = err
        .lines()
        .find(|l| l.starts_with("anonlog: key id"))
        .unwrap();
    assert!(id_line.ends_with(&format!(" {}", key.id)), "{err}");
    let err = stderr(&json);
    assert!(err.contains(&format!("\"key_id\":\"{}\"", key.id)), "{err}");
    assert!(err.contains("\"pseudonymize\":\"det\""), "{err}");
    assert!(
        err.trim_end().ends_with('}') && err.lines().count() == 1,
        "{err}"
    );
    // Without keys, no key id.
    let plain = run(&["--stats=json"], input.as_bytes());
    assert!(!stderr(&plain).contains("key_id"));
}

/// Runs every way of reading a key file (`--key-file`, `$ANONLOG_KEY_FILE`,
/// `reveal --key-file`) and returns their outputs.
fn key_runs(path: &Path) -> Vec<Output> {
    let input = line("198.51.100.77", "-", "22/Nov/2026:08:00:00 +0000");
    let p = path.to_str().unwrap();
    let via_env = Command::new(bin())
        .args(["-q", "--pseudonymize", "pfx", "-"])
        .env("ANONLOG_KEY_FILE", path)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    vec![
        run(
            &["-q", "--pseudonymize", "pfx", "--key-file", p],
            input.as_bytes(),
        ),
        via_env,
        run(&["reveal", "--key-file", p, "192.0.2.1"], b""),
    ]
}

fn assert_refused(key: &Key, path: &Path, want: &str) {
    for out in key_runs(path) {
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{want}: {err}");
        assert!(err.contains(want), "want {want:?} in {err}");
        assert!(!err.contains(&key.hex()), "the key is never echoed");
        assert!(
            out.stdout.is_empty(),
            "nothing is written with a refused key"
        );
    }
}

fn assert_accepted(path: &Path) {
    for out in key_runs(path) {
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
}

/// Anyone who can replace the key file can choose the key: a key in a
/// directory that group or others can write to is refused, unless the
/// directory is sticky (like /tmp) and the key file is ours.
#[test]
fn key_files_in_directories_others_can_write_are_refused() {
    let key = Key::new();
    let dir = key.path.parent().unwrap().join("keys");
    fs::create_dir(&dir).unwrap();
    let path = dir.join("anonlog.key");
    fs::rename(&key.path, &path).unwrap();
    let moved = Key {
        _dir: tempfile::tempdir().unwrap(),
        path: path.clone(),
        id: key.id.clone(),
    };
    for (mode, want) in [
        (0o777, "writable by others"),
        (0o770, "writable by its group"),
    ] {
        fs::set_permissions(&dir, fs::Permissions::from_mode(mode)).unwrap();
        assert_refused(&moved, &path, &format!("directory {}", dir.display()));
        assert_refused(&moved, &path, want);
    }
    // A symlink in an open directory could be pointed elsewhere, too.
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
    let open = key.path.parent().unwrap().join("open");
    fs::create_dir(&open).unwrap();
    fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
    let link = open.join("anonlog.key");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    assert_refused(&moved, &link, "writable by others");
    // Sticky, like /tmp: only the owner of an entry can replace it.
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o1777)).unwrap();
    assert_accepted(&path);
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
    assert_accepted(&path);
}

/// A key file owned by another user (not root) is refused: its owner can
/// rewrite it and so choose the key.
#[test]
fn key_files_owned_by_another_user_are_refused() {
    if !have_root("key_files_owned_by_another_user_are_refused") {
        return;
    }
    let key = Key::new();
    std::os::unix::fs::chown(&key.path, Some(65534), Some(65534)).unwrap();
    assert_refused(&key, &key.path, "is owned by uid 65534");
    // Even in a sticky directory: the entry is then not ours.
    let dir = key.path.parent().unwrap();
    fs::set_permissions(dir, fs::Permissions::from_mode(0o1777)).unwrap();
    assert_refused(&key, &key.path, "is owned by uid 65534");
    std::os::unix::fs::chown(&key.path, Some(0), Some(0)).unwrap();
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).unwrap();
    assert_accepted(&key.path);
}
