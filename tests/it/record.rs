//! `--report FILE`: one JSON line per run, whole even when runs append at
//! the same time, with the policy and key id but never the key, and
//! never a byte of log content.

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::util::{bin, eventually, expected, run, sample, stderr};

/// Lines whose every personal part is a marker that must not reach the
/// record: address, user, path, query, referrer, agent; and one line
/// that parses as nothing.
const MARKED: &[u8] = b"198.51.100.77 - alicemarker [22/Nov/2026:10:00:00 +0000] \
\"GET /privatepathmarker?token=querymarker HTTP/1.1\" 200 5 \
\"https://referrermarker.example/x?q=1\" \"AgentMarker/1.0\"\n\
unparsedmarker 203.0.113.9 free text\n";
const MARKERS: &[&str] = &[
    "198.51.100.77",
    "203.0.113.9",
    "alicemarker",
    "privatepathmarker",
    "querymarker",
    "referrermarker",
    "AgentMarker",
    "unparsedmarker",
];

/// Every line of the record file, parsed.
fn records(p: &Path) -> Vec<Value> {
    let text = fs::read_to_string(p).unwrap();
    assert!(text.ends_with('\n'), "{text}");
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Seconds since the epoch of an RFC 3339 UTC time as the record writes
/// it (`2026-11-22T03:14:07.123Z`), checked digit by digit.
fn epoch_ms(t: &Value) -> u64 {
    let s = t.as_str().unwrap();
    let b = s.as_bytes();
    assert_eq!(s.len(), 24, "{s}");
    for (i, c) in b.iter().enumerate() {
        let want_digit = !matches!(i, 4 | 7 | 10 | 13 | 16 | 19 | 23);
        assert_eq!(c.is_ascii_digit(), want_digit, "{s}");
    }
    assert_eq!(
        (b[4], b[7], b[10], b[13], b[16], b[19], b[23]),
        (b'-', b'-', b'T', b':', b':', b'.', b'Z')
    );
    let n = |r: std::ops::Range<usize>| s[r].parse::<u64>().unwrap();
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    // Days from civil (Howard Hinnant), independent of the code under test.
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y / 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let doe = (y - era * 400) * 365 + (y - era * 400) / 4 - (y - era * 400) / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    ((days * 24 + n(11..13)) * 60 + n(14..16)) * 60_000 + n(17..19) * 1000 + n(20..23)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// A stream run's record: times, version, the policy as given, each input
/// with its absolute path, size, format and counters, the status; a file
/// created 0640; a second run appends a second line.
#[test]
fn a_stream_run_is_recorded_in_one_json_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    fs::write(&log, sample("access.log")).unwrap();
    let report = dir.path().join("runs.jsonl");
    let before = now_ms();
    let mut cmd = Command::new(bin());
    cmd.current_dir(dir.path())
        .args([
            "--report",
            "runs.jsonl",
            "--referrer",
            "origin",
            "--ipv4-prefix",
            "16",
        ])
        .args(["access.log", "-"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: umask is async-signal-safe and touches no memory.
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0o022);
            Ok(())
        })
    };
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(out.stdout.len() as u64, {
        let r = &records(&report)[0];
        r["totals"]["bytes_written"].as_u64().unwrap()
    });
    let mode = fs::metadata(&report).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "{mode:o}");
    let r = &records(&report)[0];
    let (start, end) = (epoch_ms(&r["start"]), epoch_ms(&r["end"]));
    assert!(
        before / 1000 * 1000 <= start && start <= end && end <= now_ms(),
        "{r}"
    );
    assert_eq!(r["anonlog_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(r["command"], "anonymize");
    assert_eq!(r["mode"], "stream");
    assert_eq!(r["exit_status"], 0);
    assert_eq!(r["error"], Value::Null);
    let p = &r["policy"];
    assert_eq!(p["format"], "auto");
    assert_eq!(
        (&p["ipv4_prefix"], &p["ipv6_prefix"]),
        (&16.into(), &48.into())
    );
    assert_eq!(
        (&p["referrer"], &p["query"], &p["user"]),
        (&"origin".into(), &"remove".into(), &"remove".into())
    );
    assert_eq!(
        (&p["pseudonymize"], &p["key_id"], &p["key_rotation"]),
        (&Value::Null, &Value::Null, &"none".into())
    );
    let inputs = r["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 2);
    let abs = fs::canonicalize(&log).unwrap();
    assert_eq!(inputs[0]["path"], abs.to_str().unwrap());
    assert_eq!(inputs[0]["size"], sample("access.log").len());
    assert_eq!(inputs[0]["format"], "combined");
    assert_eq!(inputs[0]["stats"]["lines_read"], 13);
    assert_eq!(inputs[0]["stats"]["lines_written"], 13);
    assert_eq!(inputs[0]["stats"]["queries_removed"], 6);
    assert_eq!(inputs[1]["path"], "<stdin>");
    assert_eq!(
        (&inputs[1]["size"], &inputs[1]["format"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(inputs[1]["stats"]["lines_read"], 0);
    assert_eq!(r["totals"]["lines_read"], 13);

    let out = run(
        &["--report", report.to_str().unwrap(), "-f", "common"],
        b"1.2.3.4 - - [22/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5\n",
    );
    assert!(out.status.success());
    let all = records(&report);
    assert_eq!(all.len(), 2);
    assert_eq!(all[1]["policy"]["format"], "common");
    assert_ne!(all[0]["pid"], all[1]["pid"]);
}

/// A retention sweep's record lists every file with what became of it,
/// its size and mtime; the status is that of the run (2: a file was held
/// open); the record file itself, though in the tree and named like a
/// log, is never rewritten.
#[test]
fn a_batch_records_every_file_and_never_rewrites_its_record() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let day = Duration::from_secs(86_400);
    let put = |name: &str, age: Duration| {
        let p = d.join(name);
        fs::write(&p, sample("access.log")).unwrap();
        let f = OpenOptions::new().write(true).open(&p).unwrap();
        f.set_modified(SystemTime::now() - age).unwrap();
        p
    };
    let old = put("access.log.9", day * 9);
    let young = put("access.log.1", day);
    let held = put("other_access.log", day * 20);
    let _writer = OpenOptions::new().append(true).open(&held).unwrap();
    let report = d.join("anonlog-runs.log");
    let args = [
        "-i",
        "-r",
        d.to_str().unwrap(),
        "--older-than",
        "7d",
        "--report",
    ];
    let out = run(&[&args[..], &[report.to_str().unwrap()]].concat(), b"");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = run(&[&args[..], &[report.to_str().unwrap()]].concat(), b"");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(fs::read(&old).unwrap(), expected("access.out"));
    let all = records(&report);
    assert_eq!(all.len(), 2, "the record file was read as a log");
    let r = &all[0];
    assert_eq!(
        (&r["mode"], &r["exit_status"]),
        (&"in_place".into(), &2.into())
    );
    assert_eq!(r["policy"]["older_than"], "7d");
    let files = r["inputs"].as_array().unwrap();
    let find = |p: &Path| {
        files
            .iter()
            .find(|f| f["path"] == p.to_str().unwrap())
            .unwrap_or_else(|| panic!("{} not in {r}", p.display()))
    };
    assert_eq!(files.len(), 3, "{r}");
    let f = find(&old);
    assert_eq!(
        (&f["outcome"], &f["format"]),
        (&"rewritten".into(), &"combined".into())
    );
    assert_eq!(f["size"], sample("access.log").len());
    assert_eq!(f["stats"]["lines_read"], 13);
    let mtime = epoch_ms(&f["modified"]);
    assert!(now_ms() - mtime > 9 * 86_400_000 - 60_000, "{f}");
    assert_eq!(find(&young)["outcome"], "younger");
    let h = find(&held);
    assert_eq!(h["outcome"], "open_for_writing");
    assert!(
        h["reason"].as_str().unwrap().contains("open for writing"),
        "{h}"
    );
    assert_eq!(h["stats"]["lines_read"], 0);
    let c = &r["files"];
    assert_eq!(
        (&c["rewritten"], &c["younger"], &c["open_for_writing"]),
        (&1.into(), &1.into(), &1.into())
    );
    assert_eq!(all[1]["files"]["already_anonymized"], 1);
}

/// Eight runs started together, each appending a line of over 16 KiB
/// (far past PIPE_BUF) to one record file, held at a gate until all eight
/// are about to write, then let go at once (debug builds, which have the
/// gate), three times over: exactly eight whole lines a round, each valid
/// JSON, one per run.
#[test]
fn concurrent_runs_append_whole_lines() {
    const RUNS: usize = 8;
    const ROUNDS: usize = 3;
    const INPUTS: usize = 40;
    let dir = tempfile::tempdir().unwrap();
    let mut names = Vec::new();
    for i in 0..INPUTS {
        let p = dir.path().join(format!("in{i}.log"));
        fs::write(&p, sample("access.log")).unwrap();
        names.push(p.to_str().unwrap().to_owned());
    }
    let report = dir.path().join("runs.jsonl");
    let mut pids = Vec::new();
    for round in 1..=ROUNDS {
        let gate = tempfile::tempdir().unwrap();
        let fifo = std::ffi::CString::new(gate.path().join("gate").to_str().unwrap()).unwrap();
        // SAFETY: a valid C string and a mode.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let children: Vec<_> = (0..RUNS)
            .map(|_| {
                let mut cmd = Command::new(bin());
                if cfg!(debug_assertions) {
                    cmd.env("ANONLOG_TEST_RECORD_GATE", gate.path());
                }
                cmd.args(["-j", "1", "--report", report.to_str().unwrap()])
                    .args(&names)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        pids.extend(children.iter().map(|c| c.id()));
        let mut open = None;
        if cfg!(debug_assertions) {
            let ready = || fs::read_dir(gate.path()).unwrap().count() == RUNS + 1;
            eventually("every run at the gate", ready, String::new);
            // Opening the FIFO for writing lets every reader blocked on it
            // go, and any still on its way to it; kept open until all end.
            open = Some(File::create(gate.path().join("gate")).unwrap());
        }
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert!(out.status.success(), "{}", stderr(&out));
        }
        drop(open);
        let text = fs::read_to_string(&report).unwrap();
        assert_eq!(text.lines().count(), RUNS * round);
    }
    let text = fs::read_to_string(&report).unwrap();
    assert!(
        text.lines().all(|l| l.len() > 16 << 10),
        "lines long enough to be cut"
    );
    let mut seen: Vec<u32> = records(&report)
        .iter()
        .map(|r| {
            assert_eq!(r["inputs"].as_array().unwrap().len(), INPUTS);
            assert_eq!(r["totals"]["lines_read"], 13 * INPUTS as u64);
            r["pid"].as_u64().unwrap() as u32
        })
        .collect();
    seen.sort_unstable();
    pids.sort_unstable();
    assert_eq!(seen, pids);
}

/// A keyed run records the key id (the one `--stats` shows), the mode and
/// rotation, never the key: neither its hex (whole or in halves) nor its
/// bytes. No log content is in any record either, whether the run ends
/// well or stops on a line it must fail on.
#[test]
fn the_record_holds_neither_the_key_nor_log_content() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("anonlog.key");
    assert!(
        run(&["keygen", "--out", key.to_str().unwrap()], b"")
            .status
            .success()
    );
    let hex = fs::read_to_string(&key).unwrap().trim().to_owned();
    assert_eq!(hex.len(), 64);
    let report = dir.path().join("runs.jsonl");
    let rep = report.to_str().unwrap();
    let keyed = [
        "--pseudonymize",
        "pfx",
        "--user",
        "pseudonymize",
        "--key-rotation",
        "daily",
    ];
    let out = run(
        &[
            &[
                "--report",
                rep,
                "--stats=json",
                "-f",
                "combined",
                "--max-unparsed",
                "50%",
                "--key-file",
                key.to_str().unwrap(),
            ][..],
            &keyed,
        ]
        .concat(),
        MARKED,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let stats: Value = serde_json::from_str(stderr(&out).trim()).unwrap();
    let out = run(
        &["--report", rep, "-f", "combined", "--on-unparsed", "fail"],
        MARKED,
    );
    assert_eq!(out.status.code(), Some(1));
    let out = run(&["--report", rep, "-f", "json"], MARKED);
    assert_eq!(out.status.code(), Some(1), "a format that does not fit");
    let all = records(&report);
    assert_eq!(all.len(), 3);
    let p = &all[0]["policy"];
    assert_eq!(p["key_id"], stats["key_id"]);
    assert_eq!(p["key_id"].as_str().unwrap().len(), 16);
    assert_eq!(
        (&p["pseudonymize"], &p["user"], &p["key_rotation"]),
        (&"pfx".into(), &"pseudonymize".into(), &"daily".into())
    );
    assert_eq!(
        all[0]["inputs"][0]["stats"]["addresses_pseudonymized"],
        stats["addresses_pseudonymized"]
    );
    assert_eq!(
        (&all[1]["exit_status"], &all[2]["exit_status"]),
        (&1.into(), &1.into())
    );
    assert!(
        all[1]["error"]
            .as_str()
            .unwrap()
            .contains("line 2 of <stdin>"),
        "{}",
        all[1]
    );

    let text = fs::read(&report).unwrap();
    let has = |needle: &[u8]| {
        text.windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
    };
    let raw: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    for needle in [
        hex.as_bytes(),
        &hex.as_bytes()[..32],
        &hex.as_bytes()[32..],
        &raw[..],
    ] {
        assert!(!has(needle), "the key is in the record");
    }
    for m in MARKERS {
        assert!(!has(m.as_bytes()), "{m} from the log is in the record");
    }
}

/// A record file that cannot be opened stops the run before it changes
/// anything (status 2, the file named, no output).
#[test]
fn an_unwritable_record_stops_the_run_first() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("access.log");
    fs::write(&f, sample("access.log")).unwrap();
    let missing = dir.path().join("no/such/dir/runs.jsonl");
    let out = run(
        &[
            "-i",
            f.to_str().unwrap(),
            "--report",
            missing.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!(
            "cannot open the --report file {}",
            missing.display()
        )),
        "{}",
        stderr(&out)
    );
    assert_eq!(fs::read(&f).unwrap(), sample("access.log"));
    let out = run(&["--report", missing.to_str().unwrap()], MARKED);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}
