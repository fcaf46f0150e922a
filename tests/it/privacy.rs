//! The finer privacy options end to end (issue 16): `--preset`,
//! `--keep-net`, `--keep-query-param`, `--path-rules`,
//! `--time-resolution` and `--user-agent`, on the samples and on lines
//! made for each rule.

use crate::util::{run, sample, samples, stderr};

/// Runs anonlog with `args` on `input` and returns its standard output,
/// asserting success.
fn anon(args: &[&str], input: &str) -> String {
    let out = run(args, input.as_bytes());
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    String::from_utf8(out.stdout).unwrap()
}

const T: &str = "[10/Oct/2000:13:55:36 -0700]";

fn combined(client: &str, request: &str, referrer: &str, ua: &str) -> String {
    format!("{client} - - {T} \"{request}\" 200 1 \"{referrer}\" \"{ua}\"\n")
}

#[test]
fn presets_truncate_as_their_sources_do() {
    let input = [
        combined("198.51.100.77", "GET / HTTP/1.1", "-", "-"),
        combined("2001:db8:abcd:1234:5678::1", "GET / HTTP/1.1", "-", "-"),
    ]
    .concat();
    for (preset, v4, v6) in [
        ("default", "198.51.100.0", "2001:db8:abcd::"),
        ("ga", "198.51.100.0", "2001:db8:abcd::"),
        ("strict", "198.51.0.0", "2001:db8::"),
        ("goaccess-1", "198.51.100.0", "2001:db8:abcd:1234::"),
        ("goaccess-2", "198.51.0.0", "2001:db8:abcd::"),
        ("goaccess-3", "198.0.0.0", "2001:db8::"),
        ("matomo-1", "198.51.100.0", "2001:db8:abcd:1234::"),
        ("matomo-2", "198.51.0.0", "2001:db8:abcd::"),
        ("matomo-3", "198.0.0.0", "2001:d00::"),
    ] {
        let out = anon(&["--preset", preset], &input);
        let clients: Vec<&str> = out.lines().map(|l| l.split(' ').next().unwrap()).collect();
        assert_eq!(clients, [v4, v6], "--preset {preset}");
    }
}

#[test]
fn explicit_prefixes_override_the_preset() {
    let input = [
        combined("198.51.100.77", "GET / HTTP/1.1", "-", "-"),
        combined("2001:db8:abcd:1234:5678::1", "GET / HTTP/1.1", "-", "-"),
    ]
    .concat();
    let out = anon(&["--preset", "strict", "--ipv4-prefix", "24"], &input);
    assert!(out.starts_with("198.51.100.0 "), "{out}");
    assert!(out.contains("\n2001:db8:: "), "{out}");
}

#[test]
fn preset_default_is_byte_identical_to_no_option() {
    let want = anon(&[], &String::from_utf8(sample("access.log")).unwrap());
    let path = samples().join("access.log");
    let out = run(&["--preset", "default", path.to_str().unwrap()], b"");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), want);
}

#[test]
fn explain_says_what_a_preset_does_and_exits_0() {
    for (preset, needle) in [
        ("default", "keeps IPv4 /24 and IPv6 /48"),
        ("ga", "anonymizeIp"),
        ("strict", "CNIL"),
        ("goaccess-1", "--anonymize-level"),
        ("goaccess-3", "IPv4 /8 and IPv6 /32"),
        ("matomo-2", "Anonymize Visitors' IP addresses"),
        ("matomo-3", "IPv4 /8 and IPv6 /24"),
    ] {
        let out = run(&["--preset", preset, "--explain"], b"");
        assert!(out.status.success(), "{preset}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(needle), "{preset}: {text}");
        assert!(text.contains("source: "), "{preset}: {text}");
    }
    let out = run(&["--explain"], b"");
    assert_eq!(out.status.code(), Some(2), "--explain needs --preset");
    let out = run(&["--preset", "nope"], b"");
    assert_eq!(out.status.code(), Some(2));
}

/// A key for the keyed runs, made by `anonlog keygen` in its own directory.
fn keygen() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.key");
    let out = run(&["keygen", "--out", path.to_str().unwrap()], b"");
    assert!(out.status.success(), "{}", stderr(&out));
    let path = path.to_str().unwrap().to_owned();
    (dir, path)
}

#[test]
fn kept_networks_stay_raw_everywhere_in_every_mode() {
    let line = |client: &str, xff: &str| {
        format!(
            "{client} - - {T} \"GET /whois/10.9.8.7 HTTP/1.1\" 200 1 \"-\" \"probe 10.1.1.1\" \"{xff}\"\n"
        )
    };
    let input = [
        line("10.20.30.40", "10.0.0.1, 198.51.100.77"),
        line("[2001:db8:1::5]:443", "2001:db8:1::6"),
        line("198.51.100.77", "-"),
    ]
    .concat();
    let (_dir, key) = keygen();
    let mut runs: Vec<Vec<&str>> = vec![vec![]];
    for mode in ["pfx", "det", "cryptopan"] {
        runs.push(vec!["--key-file", &key, "--pseudonymize", mode]);
    }
    runs.push(vec![
        "--key-file",
        &key,
        "--pseudonymize",
        "pfx",
        "--key-rotation",
        "daily",
    ]);
    for extra in runs {
        let mut args = vec!["-f", "main", "--keep-net", "10.0.0.0/8,2001:db8:1::/48"];
        args.extend(&extra);
        let out = anon(&args, &input);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("10.20.30.40 - - "), "{extra:?}: {out}");
        assert!(
            lines[0].contains("GET /whois/10.9.8.7 HTTP/1.1"),
            "{extra:?}: {out}"
        );
        assert!(lines[0].contains("\"probe 10.1.1.1\""), "{extra:?}: {out}");
        assert!(lines[0].contains("\"10.0.0.1, "), "{extra:?}: {out}");
        assert!(!lines[0].contains("198.51.100.77"), "{extra:?}: {out}");
        // The client's port still goes: it is no part of the address.
        assert!(
            lines[1].starts_with("2001:db8:1::5 - - "),
            "{extra:?}: {out}"
        );
        assert!(lines[1].ends_with("\"2001:db8:1::6\""), "{extra:?}: {out}");
        assert!(!lines[2].starts_with("198.51.100.77 "), "{extra:?}: {out}");
    }
}

#[test]
fn stats_count_the_kept_addresses() {
    let input = [
        combined("10.20.30.40", "GET /p/10.0.0.9 HTTP/1.1", "-", "-"),
        combined("198.51.100.77", "GET / HTTP/1.1", "-", "-"),
        "not a log line 10.3.3.3 and 203.0.113.9\n".to_owned(),
    ]
    .concat();
    let out = run(
        &[
            "--keep-net",
            "10.0.0.0/8",
            "--stats=json",
            "--max-unparsed",
            "100%",
        ],
        input.as_bytes(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("\"addresses_kept\":3"), "{err}");
    assert!(err.contains("\"addresses_truncated\":2"), "{err}");
    let text = run(&["--keep-net", "10.0.0.0/8", "--stats"], input.as_bytes());
    assert!(
        stderr(&text).contains("anonlog: addresses kept"),
        "{}",
        stderr(&text)
    );
}

#[test]
fn keep_net_refuses_what_is_no_network() {
    for (arg, needle) in [
        ("10.1.2.3/8", "the network is 10.0.0.0/8"),
        ("intranet", "expected an address or a network"),
        ("10.0.0.0/33", "expected an address or a network"),
    ] {
        let out = run(&["--keep-net", arg], b"");
        assert_eq!(out.status.code(), Some(2), "{arg}");
        assert!(stderr(&out).contains(needle), "{arg}: {}", stderr(&out));
    }
}

/// The time of each line of a default run, rounded by hand: what
/// `--time-resolution` must give, every other byte the same.
fn round_clf_by_hand(out: &str, keep: usize) -> String {
    out.lines()
        .map(|l| {
            let open = l.find('[').unwrap();
            let mut b = l.as_bytes().to_vec();
            // `[dd/Mon/yyyy:HH:MM:SS`: the clock starts 13 bytes in.
            for i in [
                open + 13,
                open + 14,
                open + 16,
                open + 17,
                open + 19,
                open + 20,
            ]
            .into_iter()
            .skip(keep)
            {
                b[i] = b'0';
            }
            String::from_utf8(b).unwrap() + "\n"
        })
        .collect()
}

#[test]
fn time_resolution_rounds_only_the_time_on_the_samples() {
    let path = samples().join("access.log");
    let path = path.to_str().unwrap();
    let default = String::from_utf8(crate::util::expected("access.out")).unwrap();
    // access.log is one access log plus lines that do not parse: only the
    // parsed lines' times are rounded.
    let parsed: Vec<bool> = default.lines().map(|l| l.contains(" [")).collect();
    for (res, keep) in [("second", 6), ("minute", 4), ("hour", 2), ("day", 0)] {
        let out = anon(&["-q", "--time-resolution", res, path], "");
        assert_eq!(out.lines().count(), default.lines().count());
        for ((got, want), parsed) in out.lines().zip(default.lines()).zip(&parsed) {
            let want = if *parsed && want.contains("] \"") {
                round_clf_by_hand(want, keep).trim_end().to_owned()
            } else {
                want.to_owned()
            };
            assert_eq!(got, want, "--time-resolution {res}");
        }
    }
}

#[test]
fn time_resolution_in_json_logs() {
    let input = concat!(
        r#"{"time":"2026-11-22T08:38:17.250+01:00","remote_addr":"198.51.100.7","request":"GET / HTTP/1.1"}"#,
        "\n",
        r#"{"ts":1795340297.12,"request":{"remote_ip":"198.51.100.7","uri":"/"}}"#,
        "\n",
        r#"{"@timestamp":"not a time 198.51.100.7","time_local":"22/Nov/2026:08:38:17 +0000"}"#,
        "\n",
    );
    let out = anon(&["-f", "json", "--time-resolution", "hour"], input);
    let want = concat!(
        r#"{"time":"2026-11-22T08:00:00.000+01:00","remote_addr":"198.51.100.0","request":"GET / HTTP/1.1"}"#,
        "\n",
        r#"{"ts":1795338000.00,"request":{"remote_ip":"198.51.100.0","uri":"/"}}"#,
        "\n",
        r#"{"@timestamp":"not a time 198.51.100.0","time_local":"22/Nov/2026:08:00:00 +0000"}"#,
        "\n",
    );
    assert_eq!(out, want);
    // The default leaves every time as it was.
    let out = anon(&["-f", "json"], input);
    assert!(
        out.contains("08:38:17.250+01:00") && out.contains("1795340297.12"),
        "{out}"
    );
}

/// samples/privacy.log (a path e-mail, a JWT, fingerprinted assets, a
/// UUID, hex and digit tokens, campaign parameters, kept networks, the
/// common browsers and bots, an unparsed line) with each option, and its
/// golden output.
const GOLDEN: &[(&[&str], &str)] = &[
    (&[], "privacy.out"),
    (&["--path-rules", "none"], "privacy.none.out"),
    (
        &[
            "--path-rules",
            "email,jwt,uuid,hex,digits",
            "--referrer",
            "keep",
        ],
        "privacy.all.out",
    ),
    (
        &[
            "--keep-query-param",
            "utm_*,page,lang",
            "--referrer",
            "keep",
        ],
        "privacy.params.out",
    ),
    (
        &["--keep-net", "10.0.0.0/8,2001:db8:abcd:12::2"],
        "privacy.keepnet.out",
    ),
    (&["--time-resolution", "hour"], "privacy.hour.out"),
    (&["--preset", "strict"], "privacy.strict.out"),
    (&["--user-agent", "generalize"], "privacy.ua.out"),
    (&["--user-agent", "remove"], "privacy.uaremove.out"),
];

#[test]
fn privacy_sample_matches_golden_outputs() {
    let path = samples().join("privacy.log");
    for (opts, expected) in GOLDEN {
        for threads in ["1", "2"] {
            let mut args = opts.to_vec();
            args.extend([
                "-q",
                "--max-unparsed",
                "100%",
                "-j",
                threads,
                path.to_str().unwrap(),
            ]);
            let out = run(&args, b"");
            assert!(out.status.success(), "{opts:?}: {}", stderr(&out));
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&crate::util::expected(expected)),
                "{opts:?} -j {threads} differs from expected/{expected}"
            );
        }
    }
}

/// The samples of tests/it/cli.rs's golden table whose outputs the new
/// options must leave alone when they have nothing to act on.
const SAMPLES: &[(&str, &[&str], &str)] = &[
    ("access.log", &[], "access.out"),
    (
        "access.log",
        &["--referrer", "keep", "--keep-query"],
        "access.keep.out",
    ),
    ("main.log", &[], "main.out"),
    ("vhost_combined.log", &[], "vhost_combined.out"),
    ("common.log", &[], "common.out"),
    ("json.log", &[], "json.out"),
    ("json-keys.log", &[], "json-keys.out"),
    ("nginx-error.log", &[], "nginx-error.out"),
    ("apache-error.log", &[], "apache-error.out"),
    ("combined-extra.log", &[], "combined-extra.out"),
    ("combined-cookie.log", &[], "combined-cookie.out"),
    (
        "truncated.log",
        &["--max-unparsed", "100%"],
        "truncated.out",
    ),
    ("app.log", &["--max-unparsed", "100%"], "app.out"),
    ("edge.log", &["--max-unparsed", "100%"], "edge.out"),
];

#[test]
fn options_with_nothing_to_act_on_keep_every_golden_output() {
    let idle: &[&[&str]] = &[
        &["--preset", "default"],
        &["--keep-net", "100.64.0.0/10"],
        &["--time-resolution", "second"],
        &["--path-rules", "email,jwt"],
        &["--user-agent", "keep"],
    ];
    for (input, opts, expected) in SAMPLES {
        let path = samples().join(input);
        for extra in idle {
            let mut args = opts.to_vec();
            args.extend(*extra);
            args.extend(["-q", path.to_str().unwrap()]);
            let out = run(&args, b"");
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&crate::util::expected(expected)),
                "{input} {args:?}"
            );
        }
    }
}

#[path = "../../benches/corpus.rs"]
mod corpus;

/// The generated corpus's fingerprinted asset (`/static/js/app.4f3a9c.js`)
/// and every other path of it survive the default path rules and every
/// class; its JWTs sit in queries, which go.
#[test]
fn asset_fingerprints_survive_on_the_generated_corpus() {
    let log = String::from_utf8(corpus::generate_vec(300_000, 7, false)).unwrap();
    let asset = "\"GET /static/js/app.4f3a9c.js";
    let n = log.matches(asset).count();
    assert!(n > 10, "the corpus has the asset");
    let default = anon(&["-q"], &log);
    let none = anon(&["-q", "--path-rules", "none"], &log);
    let all = anon(&["-q", "--path-rules", "email,jwt,uuid,hex,digits"], &log);
    for out in [&default, &all] {
        assert_eq!(out.matches(asset).count(), n);
        assert!(!out.contains("eyJ"), "no JWT survives");
    }
    // The corpus has no e-mail address or JWT in a path: the defaults
    // write what --path-rules none writes.
    assert_eq!(default, none);
}

#[test]
fn contradictory_options_are_refused() {
    for args in [
        &["--keep-query", "--keep-query-param", "page"][..],
        &["--path-rules", "none,email"],
        &["--path-rules", "emails"],
        &["--keep-query-param", "a=b"],
        &["--time-resolution", "week"],
        &["--user-agent", "hide"],
    ] {
        let out = run(args, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn user_agent_policies_in_json_logs() {
    let input = concat!(
        r#"{"remote_addr":"198.51.100.7","http_user_agent":"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0 jane@example.com"}"#,
        "\n",
        r#"{"request":{"remote_ip":"198.51.100.7","headers":{"User-Agent":["curl/7.88.1"]}},"ua":"-"}"#,
        "\n",
    );
    let out = anon(&["-f", "json", "--user-agent", "generalize"], input);
    assert_eq!(
        out,
        concat!(
            r#"{"remote_addr":"198.51.100.0","http_user_agent":"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"}"#,
            "\n",
            r#"{"request":{"remote_ip":"198.51.100.0","headers":{"User-Agent":["curl/7.0"]}},"ua":"-"}"#,
            "\n",
        )
    );
    let out = anon(&["-f", "json", "--user-agent", "remove"], input);
    assert!(
        out.contains(r#""http_user_agent":"-""#) && out.contains(r#"["-"]"#),
        "{out}"
    );
}

#[test]
fn the_run_record_names_the_privacy_policy() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("runs.jsonl");
    let record = record.to_str().unwrap();
    let line = combined("10.1.2.3", "GET /?page=2 HTTP/1.1", "-", "-");
    let policy = |args: &[&str]| -> serde_json::Value {
        let _ = std::fs::remove_file(record);
        let mut all = vec!["-q", "--report", record];
        all.extend(args);
        anon(&all, &line);
        let text = std::fs::read_to_string(record).unwrap();
        serde_json::from_str::<serde_json::Value>(text.trim()).unwrap()["policy"].clone()
    };
    let p = policy(&[]);
    assert_eq!(p["path_rules"], "email,jwt");
    assert_eq!(p["time_resolution"], "second");
    assert_eq!(p["user_agent"], "keep");
    assert_eq!(p["keep_net"], serde_json::json!([]));
    assert_eq!(p["query_params"], serde_json::Value::Null);
    let p = policy(&[
        "--preset",
        "goaccess-2",
        "--keep-net",
        "10.0.0.0/8,2001:db8::/32",
        "--keep-query-param",
        "utm_*,page",
        "--path-rules",
        "none",
        "--time-resolution",
        "hour",
        "--user-agent",
        "remove",
    ]);
    assert_eq!(
        (&p["ipv4_prefix"], &p["ipv6_prefix"]),
        (&16.into(), &48.into())
    );
    assert_eq!(
        p["keep_net"],
        serde_json::json!(["10.0.0.0/8", "2001:db8::/32"])
    );
    assert_eq!(p["query_params"], serde_json::json!(["utm_*", "page"]));
    assert_eq!(p["path_rules"], "none");
    assert_eq!(p["time_resolution"], "hour");
    assert_eq!(p["user_agent"], "remove");
}
