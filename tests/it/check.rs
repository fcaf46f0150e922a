//! `anonlog check`: the audit that changes nothing. Every golden output is
//! clean under the options that made it, every raw sample has findings of
//! what it holds, line numbers are right across blocks, threads and gzip,
//! and no report ever holds a byte of a line.

use std::fs;
use std::io::Write;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::Value;

use crate::cli::GOLDEN;
use crate::util::{run, sample, samples, stderr};

const T: &str = "[22/Nov/2026:08:38:17 +0000]";

/// Runs `anonlog check ARGS` on `stdin`; returns status, stdout and stderr.
fn check(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    let out = run(&all, stdin);
    let text = String::from_utf8(out.stdout.clone()).expect("the report is UTF-8");
    (out.status.code().unwrap(), text, stderr(&out))
}

/// `anonlog check --json ARGS`, parsed; the status must be the document's.
fn check_json(args: &[&str], stdin: &[u8]) -> (i32, Value) {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let (status, out, err) = check(&all, stdin);
    let doc: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    assert_eq!(doc["status"], status, "{out}");
    assert_eq!(out.lines().count(), 1, "one document, one line");
    (status, doc)
}

/// The first line numbers of `class` in the document's input `i`.
fn first(doc: &Value, i: usize, class: &str) -> Vec<u64> {
    let lines = if class == "unparsed" {
        &doc["inputs"][i]["unparsed"]
    } else {
        &doc["inputs"][i]["findings"][class]
    };
    let first = lines["first"]
        .as_array()
        .unwrap_or_else(|| panic!("{class}: {doc}"));
    first.iter().map(|v| v.as_u64().unwrap()).collect()
}

fn count(doc: &Value, i: usize, class: &str) -> u64 {
    doc["inputs"][i]["findings"][class]["count"]
        .as_u64()
        .unwrap()
}

/// Every finding class of the schema.
const CLASSES: [&str; 8] = [
    "address",
    "non_address",
    "query",
    "referrer",
    "user",
    "secret",
    "email",
    "oversized",
];

fn path(name: &str) -> String {
    samples().join(name).to_str().unwrap().to_owned()
}

#[test]
fn every_anonymized_sample_is_clean_under_the_options_that_made_it() {
    for (input, opts, expected) in GOLDEN {
        let out = run(&[&["-q"], *opts, &[&path(input)]].concat(), b"");
        let (status, text, err) = check(&[*opts, &["-"]].concat(), &out.stdout);
        assert_eq!(status, 0, "{input} {opts:?}: {text}{err}");
        assert!(text.starts_with("<stdin>: "), "{text}");
        assert!(text.lines().next().unwrap().ends_with(": clean"), "{text}");
        // And the golden file itself, as a file.
        let golden = format!("expected/{expected}");
        let (status, text, _) = check(&[*opts, &[&path(&golden)]].concat(), b"");
        assert_eq!(status, 0, "{golden} {opts:?}: {text}");
    }
}

#[test]
fn unparsed_lines_are_listed_but_are_no_finding() {
    // edge, app and truncated hold lines that do not parse; scrubbed,
    // they are clean.
    let (status, doc) = check_json(&["--max-unparsed", "100%", &path("expected/app.out")], b"");
    assert_eq!(status, 0);
    assert_eq!(first(&doc, 0, "unparsed"), [1, 2, 3, 4]);
    assert_eq!(doc["inputs"][0]["clean"], true);
    let (_, text, _) = check(&["--max-unparsed", "100%", &path("expected/app.out")], b"");
    assert!(text.contains("unparsed"), "{text}");
    assert!(text.contains("no finding by itself"), "{text}");
}

#[test]
fn every_raw_sample_has_findings() {
    for (input, opts, _) in GOLDEN {
        let (status, doc) = check_json(&[*opts, &[&path(input)]].concat(), b"");
        assert_eq!(status, 1, "{input} {opts:?}: {doc}");
        assert!(count(&doc, 0, "address") > 0, "{input}: {doc}");
        assert_eq!(doc["inputs"][0]["clean"], false);
    }
}

#[test]
fn a_raw_log_is_reported_class_by_class_on_its_lines() {
    let (status, doc) = check_json(&[&path("access.log")], b"");
    assert_eq!(status, 1);
    let input = &doc["inputs"][0];
    assert_eq!(input["format"], "combined");
    assert_eq!(input["lines"], 13);
    // Line 7's client is a host name and holds no address; the others hold
    // host addresses: plain, IPv6, IPv4-mapped, 6to4, with a port, zoned,
    // in a path and in a user agent.
    assert_eq!(count(&doc, 0, "address"), 12);
    assert_eq!(first(&doc, 0, "address"), [1, 2, 3, 4, 5, 6, 8, 9, 10, 11]);
    assert_eq!(first(&doc, 0, "non_address"), [7]);
    assert_eq!(first(&doc, 0, "query"), [1, 4, 5, 6, 8, 9]);
    assert_eq!(first(&doc, 0, "referrer"), [1, 3, 4, 8, 13]);
    assert_eq!(first(&doc, 0, "user"), [2]);
    // A session id (5) and a client port (6).
    assert_eq!(first(&doc, 0, "secret"), [5, 6]);
    assert_eq!(first(&doc, 0, "email"), [] as [u64; 0]);
    assert_eq!(input["lines_with_findings"]["count"], 13);

    // The error log's `client:`, its request query, the user in a message.
    let (_, doc) = check_json(&[&path("nginx-error.log")], b"");
    assert_eq!(doc["inputs"][0]["format"], "nginx-error");
    assert_eq!(first(&doc, 0, "address"), [1, 2, 3]);
    assert_eq!(first(&doc, 0, "query"), [1, 3]);
    assert_eq!(first(&doc, 0, "user"), [2]);
    assert_eq!(doc["inputs"][0]["lines_with_findings"]["count"], 3);

    // JSON keys: e-mails in a note, credentials, a client port.
    let (_, doc) = check_json(&[&path("json-keys.log")], b"");
    assert_eq!(first(&doc, 0, "email"), [3]);
    assert_eq!(first(&doc, 0, "secret"), [1, 2, 3]);
    assert_eq!(first(&doc, 0, "user"), [1, 2]);

    // What a policy keeps is no finding.
    let keep = ["--referrer", "keep", "--keep-query", "--keep-user"];
    let (_, doc) = check_json(&[&keep[..], &[&path("access.log")]].concat(), b"");
    for class in ["query", "referrer", "user"] {
        assert_eq!(count(&doc, 0, class), 0, "{class}");
    }
    assert_eq!(count(&doc, 0, "address"), 12);
}

#[test]
fn an_address_of_an_error_log_and_x_forwarded_for_are_found() {
    let lines = [
        format!("192.0.2.0 - - {T} \"GET / HTTP/1.1\" 200 1 \"-\" \"-\" \"-\"\n"),
        format!(
            "192.0.2.0 - - {T} \"GET / HTTP/1.1\" 200 1 \"-\" \"-\" \"203.0.113.0, 2001:db8::\"\n"
        ),
        format!(
            "192.0.2.0 - - {T} \"GET / HTTP/1.1\" 200 1 \"-\" \"-\" \"203.0.113.0, 2001:db8::7\"\n"
        ),
        format!("192.0.2.0 - - {T} \"GET / HTTP/1.1\" 200 1 \"-\" \"-\" \"proxy.example.com\"\n"),
    ]
    .concat();
    let (status, doc) = check_json(&["-f", "main", "-"], lines.as_bytes());
    assert_eq!(status, 1);
    assert_eq!(first(&doc, 0, "address"), [3]);
    assert_eq!(first(&doc, 0, "non_address"), [4]);
    let apache = "[Sun Nov 22 08:38:17.123456 2026] [core:error] [pid 1:tid 2] [client 2001:db8::1:51234] AH00126: Invalid URI\n[Sun Nov 22 08:38:18.123456 2026] [core:error] [pid 1:tid 2] [client 2001:db8::] AH00126: Invalid URI\n";
    let (status, doc) = check_json(&["-f", "apache-error", "-"], apache.as_bytes());
    assert_eq!(status, 1, "{doc}");
    assert_eq!(first(&doc, 0, "address"), [1]);
    assert_eq!(first(&doc, 0, "secret"), [1]);
    assert_eq!(doc["inputs"][0]["lines_with_findings"]["count"], 1);
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn one_raw_address_in_a_gzip_archive_is_found_on_its_line() {
    let clean = format!("192.0.2.0 - - {T} \"GET /page HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\n");
    let raw = format!("192.0.2.77 - - {T} \"GET /page HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\n");
    let mut log = String::new();
    for n in 1..=20_000 {
        log.push_str(if n == 7777 { &raw } else { &clean });
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("access.log.3.gz");
    fs::write(&file, gzip(log.as_bytes())).unwrap();
    let file = file.to_str().unwrap();
    let mut reports = Vec::new();
    for threads in ["1", "2", "3"] {
        for block in ["4096", "65536", "1048576"] {
            let (status, doc) = check_json(&["-j", threads, "--block-size", block, file], b"");
            assert_eq!(status, 1, "-j {threads} --block-size {block}");
            assert_eq!(doc["inputs"][0]["lines"], 20_000);
            assert_eq!(count(&doc, 0, "address"), 1, "{doc}");
            assert_eq!(first(&doc, 0, "address"), [7777]);
            assert_eq!(doc["inputs"][0]["lines_with_findings"]["first"][0], 7777);
            reports.push(doc);
        }
    }
    assert!(
        reports.windows(2).all(|w| w[0] == w[1]),
        "the same report every way"
    );
    let (status, text, _) = check(&[file], b"");
    assert_eq!(status, 1);
    assert!(text.contains("address") && text.contains("7777"), "{text}");
    assert!(!text.contains("192.0.2.77"), "{text}");
}

#[test]
fn over_long_lines_are_findings_wherever_the_block_is_cut() {
    let short = format!("192.0.2.0 - - {T} \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"\n");
    let long = format!(
        "192.0.2.0 - - {T} \"GET /{} HTTP/1.1\" 200 1 \"-\" \"-\"\n",
        "a".repeat(300)
    );
    let mut log = String::new();
    let mut want = Vec::new();
    for n in 1..=400u64 {
        if n % 37 == 0 {
            log.push_str(&long);
            want.push(n);
        } else {
            log.push_str(&short);
        }
    }
    for block in ["64", "1000", "1048576"] {
        for threads in ["1", "2"] {
            let args = [
                "--max-line-bytes",
                "200",
                "--block-size",
                block,
                "-j",
                threads,
                "-",
            ];
            let (status, doc) = check_json(&args, log.as_bytes());
            assert_eq!(status, 1);
            assert_eq!(
                first(&doc, 0, "oversized"),
                want,
                "--block-size {block} -j {threads}"
            );
            assert_eq!(count(&doc, 0, "oversized"), want.len() as u64);
            assert_eq!(doc["inputs"][0]["lines"], 400);
        }
    }
}

/// A key made by `anonlog keygen` in `dir`.
fn keygen(dir: &Path) -> String {
    let key = dir.join("key");
    let out = run(&["keygen", "--out", key.to_str().unwrap()], b"");
    assert!(out.status.success(), "{}", stderr(&out));
    key.to_str().unwrap().to_owned()
}

#[test]
fn keyed_outputs_are_clean_with_pseudonymized_only() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path());
    let inputs: &[(&str, &[&str])] = &[
        ("access.log", &[]),
        ("main.log", &[]),
        ("json.log", &[]),
        ("json-keys.log", &[]),
        ("nginx-error.log", &[]),
        ("apache-error.log", &[]),
        ("combined-extra.log", &[]),
        ("edge.log", &["--max-unparsed", "100%"]),
        ("app.log", &["--max-unparsed", "100%"]),
    ];
    for mode in ["pfx", "det", "cryptopan"] {
        for (input, opts) in inputs {
            let keyed = ["-q", "--pseudonymize", mode, "--key-file", &key];
            let out = run(&[&keyed[..], opts, &[&path(input)]].concat(), b"");
            assert!(out.status.success(), "{}", stderr(&out));
            let with = [*opts, &["--pseudonymized", "-"]].concat();
            let (status, doc) = check_json(&with, &out.stdout);
            assert_eq!(status, 0, "{mode} {input}: {doc}");
            let (status, doc) = check_json(&[*opts, &["-"]].concat(), &out.stdout);
            assert_eq!(
                status, 1,
                "{mode} {input}: pseudonyms are no network addresses"
            );
            assert!(count(&doc, 0, "address") > 0);
            for class in CLASSES.iter().filter(|c| **c != "address") {
                assert_eq!(count(&doc, 0, class), 0, "{mode} {input} {class}: {doc}");
            }
        }
    }
}

#[test]
fn the_json_report_follows_its_documented_schema() {
    let dir = tempfile::tempdir().unwrap();
    let skipped = dir.path().join("fifo.log");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&skipped)
            .status()
            .unwrap()
            .success()
    );
    fs::write(dir.path().join("access.log"), sample("access.log")).unwrap();
    let missing = dir.path().join("missing.log");
    let args = [
        "-r",
        dir.path().to_str().unwrap(),
        missing.to_str().unwrap(),
    ];
    let (status, doc) = check_json(&args, b"");
    assert_eq!(status, 2, "an input could not be checked");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["clean"], false);
    assert_eq!(doc["policy"]["ipv4_prefix"], 24);
    assert_eq!(doc["policy"]["referrer"], "remove");
    assert_eq!(doc["policy"]["pseudonymized"], false);
    let inputs = doc["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 2);
    assert!(inputs[0]["name"].as_str().unwrap().ends_with("/access.log"));
    assert_eq!(inputs[0]["error"], Value::Null);
    let keys: Vec<&str> = inputs[0]["findings"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut want = CLASSES.to_vec();
    want.sort_unstable();
    assert_eq!(keys, want, "serde_json sorts keys");
    assert!(inputs[1]["error"].as_str().unwrap().contains("missing.log"));
    assert_eq!(inputs[1]["format"], Value::Null);
    assert_eq!(inputs[1]["clean"], false);
    assert!(
        doc["skipped"][0]["path"]
            .as_str()
            .unwrap()
            .ends_with("fifo.log")
    );
    // Every key of the document is named in the schema of the help.
    let (_, help, _) = check(&["--help"], b"");
    for key in CLASSES.iter().chain(&[
        "version",
        "status",
        "lines_with_findings",
        "unparsed",
        "skipped",
        "first",
        "younger",
        "older_than",
    ]) {
        assert!(
            help.contains(&format!("\"{key}\"")),
            "{key} is not documented"
        );
    }
}

/// Tokens of `raw` that are personal: address literals, queries, e-mail
/// addresses and user names, as they are written in it.
fn personal_tokens(raw: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(raw);
    let mut tokens = Vec::new();
    for word in text.split(|c: char| c.is_whitespace() || "\"',[]{}()".contains(c)) {
        let w = word.trim_end_matches(['.', ':', ';']);
        let bare = w.rsplit_once(':').filter(|(_, p)| p.parse::<u16>().is_ok());
        let ip = |s: &str| s.parse::<std::net::IpAddr>().is_ok();
        if ip(w) || bare.is_some_and(|(a, _)| ip(a)) {
            tokens.push(w.to_owned());
        }
        if let Some((_, q)) = w.split_once('?') {
            if q.len() > 2 {
                tokens.push(q.to_owned());
            }
        }
        if w.contains('@') && w.len() > 3 {
            tokens.push(w.to_owned());
        }
    }
    tokens.extend(["alice", "bob", "Zq6"].map(str::to_owned));
    tokens
}

#[test]
fn no_report_holds_any_content_of_a_line() {
    let raws = [
        "access.log",
        "main.log",
        "json.log",
        "json-keys.log",
        "nginx-error.log",
        "apache-error.log",
        "combined-cookie.log",
        "edge.log",
        "app.log",
        "truncated.log",
    ];
    for raw in raws {
        let data = sample(raw);
        let tokens = personal_tokens(&data);
        assert!(tokens.len() > 3, "{raw}: {tokens:?}");
        for json in [false, true] {
            let mut args = vec!["-"];
            if json {
                args.insert(0, "--json");
            }
            let (status, out, err) = check(&args, &data);
            assert_eq!(status, 1, "{raw}");
            for t in &tokens {
                assert!(
                    !out.contains(t.as_str()),
                    "{raw}: {t:?} in the report:\n{out}"
                );
                assert!(!err.contains(t.as_str()), "{raw}: {t:?} on stderr:\n{err}");
            }
        }
    }
}

#[test]
fn paths_directories_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    fs::create_dir(&logs).unwrap();
    fs::write(logs.join("access.log"), crate::util::expected("access.out")).unwrap();
    fs::write(logs.join("access.log.2.gz"), gzip(&sample("access.log"))).unwrap();
    fs::write(logs.join("notes.txt"), "198.51.100.7\n").unwrap();
    let logs = logs.to_str().unwrap();
    // A directory needs -r.
    let (status, text, err) = check(&[logs], b"");
    assert_eq!(status, 2, "{text}");
    assert!(err.contains("use -r"), "{err}");
    let (status, doc) = check_json(&["-r", logs], b"");
    assert_eq!(status, 1);
    let names: Vec<&str> = doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "log names only: {names:?}");
    assert!(names[0].ends_with("access.log") && names[1].ends_with("access.log.2.gz"));
    assert_eq!(doc["inputs"][0]["clean"], true);
    assert_eq!(doc["inputs"][1]["clean"], false);
    // An input that cannot be read is reported; the others are still checked.
    let (status, text, err) = check(&["/nonexistent/x.log", "-r", logs], b"");
    assert_eq!(status, 2);
    assert!(text.contains("x.log: not checked"), "{text}");
    assert!(
        text.contains("access.log.2.gz: combined, 13 lines: findings"),
        "{text}"
    );
    assert!(err.contains("cannot read /nonexistent/x.log"), "{err}");
    // Nothing to check is no clean bill.
    let empty = dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let (status, text, _) = check(&["-r", empty.to_str().unwrap()], b"");
    assert_eq!(status, 2, "{text}");
    // Options of a run that say nothing about a log are refused.
    for bad in [
        &["-o", "x", "-"][..],
        &["--in-place", "-"],
        &["--pseudonymize", "pfx", "-"],
    ] {
        assert_eq!(check(bad, b"").0, 2, "{bad:?}");
    }
}

/// Writes `content` to `dir/name`, last modified `days` days ago.
fn aged(dir: &Path, name: &str, content: &[u8], days: u64) -> std::path::PathBuf {
    let p = dir.join(name);
    fs::write(&p, content).unwrap();
    let when = std::time::SystemTime::now() - std::time::Duration::from_secs(86_400 * days);
    let times = fs::FileTimes::new().set_modified(when).set_accessed(when);
    fs::File::options()
        .write(true)
        .open(&p)
        .unwrap()
        .set_times(times)
        .unwrap();
    p
}

#[test]
fn older_than_checks_what_a_retention_sweep_takes() {
    let dir = tempfile::tempdir().unwrap();
    let raw = sample("access.log");
    aged(dir.path(), "access.log.8", &raw, 8);
    let young = aged(dir.path(), "access.log.6", &raw, 6);
    let (d, young) = (dir.path().to_str().unwrap(), young.to_str().unwrap());
    let (status, doc) = check_json(&["-r", "--older-than", "7d", d], b"");
    assert_eq!(status, 1, "the old raw file has findings: {doc}");
    assert_eq!(doc["policy"]["older_than"], "7d");
    let inputs = doc["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 1, "{doc}");
    assert!(
        inputs[0]["name"]
            .as_str()
            .unwrap()
            .ends_with("/access.log.8")
    );
    let younger = doc["younger"].as_array().unwrap();
    assert_eq!(younger.len(), 1, "{doc}");
    assert!(younger[0].as_str().unwrap().ends_with("/access.log.6"));
    // A named file is judged the same way; a check that finds only younger
    // files is clean, and says why it read nothing.
    let (status, text, err) = check(&["--older-than", "7d", young], b"");
    assert_eq!(status, 0, "{text}{err}");
    assert!(
        text.contains(
            "checked 0 inputs: 0 clean, 0 with findings, 0 not checked, 1 younger than 7d"
        ),
        "{text}"
    );
    assert!(text.contains("--older-than 7d"), "{text}");
    // After the sweep with the same age, the same check is clean; without
    // the age, the younger raw file is still found.
    let out = run(&["-q", "--in-place", "-r", "--older-than", "7d", d], b"");
    assert!(out.status.success(), "{}", stderr(&out));
    let (status, doc) = check_json(&["-r", "--older-than", "7d", d], b"");
    assert_eq!(status, 0, "{doc}");
    assert_eq!(doc["inputs"][0]["clean"], true);
    assert_eq!(check(&["-r", d], b"").0, 1);
    // Standard input has no age; a bad age is a usage error.
    for bad in [&["--older-than", "7d", "-"][..], &["--older-than", "7x", d]] {
        let (status, _, err) = check(bad, b"");
        assert_eq!(status, 2, "{bad:?}");
        assert!(err.contains("older-than") || err.contains("7x"), "{err}");
    }
}

#[test]
fn report_appends_the_findings_as_a_run_record_line() {
    let dir = tempfile::tempdir().unwrap();
    let raw = sample("access.log");
    fs::write(dir.path().join("access.log"), &raw).unwrap();
    // The record lies in the walked directory under a log's name: a check
    // does not audit its own record.
    let rec = dir.path().join("check.log");
    let (d, r) = (dir.path().to_str().unwrap(), rec.to_str().unwrap());
    let (status, _, err) = check(&["-r", "--report", r, d], b"");
    assert_eq!(status, 1, "{err}");
    let (status, _, err) = check(&["--report", r, "-r", d], b"");
    assert_eq!(status, 1, "{err}");
    let clean = crate::util::expected("access.out");
    let (status, _, err) = check(&["--report", r, "-"], &clean);
    assert_eq!(status, 0, "{err}");
    let text = fs::read_to_string(&rec).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), 3, "one line per check, appended: {text}");
    let (first, last) = (&lines[0], &lines[2]);
    assert_eq!(first["command"], "check");
    assert_eq!(first["exit_status"], 1);
    assert_eq!(first["clean"], false);
    assert_eq!(first["anonlog_version"], env!("CARGO_PKG_VERSION"));
    assert!(first["start"].is_string() && first["end"].is_string());
    let inputs = first["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 1, "the record is left out: {text}");
    let path = inputs[0]["path"].as_str().unwrap();
    assert!(
        path.starts_with('/') && path.ends_with("/access.log"),
        "{path}"
    );
    // The findings are those of --json.
    let (_, doc) = check_json(&["-r", d], b"");
    assert_eq!(inputs[0]["findings"], doc["inputs"][0]["findings"]);
    assert_eq!(
        inputs[0]["lines_with_findings"],
        doc["inputs"][0]["lines_with_findings"]
    );
    assert!(count(&doc, 0, "address") > 0);
    assert_eq!(first["policy"], doc["policy"]);
    assert_eq!(last["exit_status"], 0);
    assert_eq!(last["clean"], true);
    assert_eq!(last["inputs"][0]["path"], "-");
    // Never a byte of a line.
    for t in personal_tokens(&raw) {
        assert!(!text.contains(t.as_str()), "{t:?} in the record:\n{text}");
    }
    // A record that cannot be opened stops the check before it reads.
    let (status, out, err) = check(&["--report", d, "-"], &raw);
    assert_eq!(status, 2, "{out}");
    assert!(err.contains("--report"), "{err}");
    assert!(out.is_empty(), "{out}");
}
