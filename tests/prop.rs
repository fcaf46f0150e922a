//! Property tests of the real binary: it never panics, never loses or
//! invents a line, and no client address of the input survives, truncated
//! or pseudonymized.

mod util;

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::sync::OnceLock;

use proptest::prelude::*;
use util::{count_lines, run};

fn truncated_v4(a: Ipv4Addr) -> String {
    Ipv4Addr::from(u32::from(a) & 0xffff_ff00).to_string()
}

fn truncated_v6(a: Ipv6Addr) -> String {
    let x = u128::from(a);
    if let Some(v4) = a.to_ipv4_mapped() {
        return format!("::ffff:{}", truncated_v4(v4));
    }
    if x >> 112 == 0x2002 {
        // 6to4: the embedded IPv4 address is truncated by the IPv4 rule too.
        return Ipv6Addr::from(x & !((1u128 << 88) - 1)).to_string();
    }
    if x >> 32 == 0x0064_ff9b_0000_0000_0000_0000 {
        return Ipv6Addr::from(x & !0xffu128).to_string();
    }
    Ipv6Addr::from(x & !((1u128 << 80) - 1)).to_string()
}

/// An address as it may be spelled in a log, and the spelling of its truncation.
fn address() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        any::<u32>().prop_map(|a| {
            let a = Ipv4Addr::from(a);
            (a.to_string(), truncated_v4(a))
        }),
        any::<u128>().prop_map(|a| {
            let a = Ipv6Addr::from(a);
            (a.to_string(), truncated_v6(a))
        }),
        any::<u128>().prop_map(|a| {
            // Fully expanded, upper case.
            let a = Ipv6Addr::from(a);
            let s = a
                .segments()
                .iter()
                .map(|g| format!("{g:04X}"))
                .collect::<Vec<_>>()
                .join(":");
            (s, truncated_v6(a))
        }),
        any::<u32>().prop_map(|a| {
            let m = Ipv4Addr::from(a).to_ipv6_mapped();
            (m.to_string(), truncated_v6(m))
        }),
        (any::<u32>(), any::<u64>()).prop_map(|(v4, rest)| {
            let a = Ipv6Addr::from((0x2002u128 << 112) | (u128::from(v4) << 80) | u128::from(rest));
            (a.to_string(), truncated_v6(a))
        }),
    ]
}

/// Text between addresses: anything but the characters that can extend an
/// address literal, so each inserted address is a literal on its own.
fn filler() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[ g-zG-Z/\"\\[\\],=?&\\-]{0,12}").unwrap()
}

fn combined_line(client: &str, path_addr: &str, ua_addr: &str, referrer: &str) -> String {
    format!(
        "{client} - - [22/Nov/2026:08:38:17 +0000] \"GET /whois/{path_addr}?ip={client} HTTP/1.1\" 200 1 \"{referrer}\" \"agent {ua_addr}\""
    )
}

/// A key made once by `anonlog keygen` in the test's scratch directory.
fn key_file() -> &'static str {
    static KEY: OnceLock<String> = OnceLock::new();
    KEY.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("prop-pseudonyms.key");
        if !path.exists() {
            let out = run(&["keygen", "--out", path.to_str().unwrap()], b"");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        path.to_str().unwrap().to_owned()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_and_keep_line_count(input in proptest::collection::vec(any::<u8>(), 0..4000), threads in 1usize..4) {
        // Input that starts like gzip is decoded as gzip, and corrupt gzip
        // is an I/O error by design (tested elsewhere).
        prop_assume!(!input.starts_with(&[0x1f, 0x8b]));
        let out = run(&["-q", "-j", &threads.to_string(), "--block-size", "512"], &input);
        prop_assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
        prop_assert_eq!(count_lines(&out.stdout), count_lines(&input));
    }

    #[test]
    fn no_input_address_survives(
        lines in proptest::collection::vec(
            (address(), address(), address(), filler(), filler(), any::<bool>()),
            1..30,
        )
    ) {
        let mut input = String::new();
        let mut secrets = Vec::new();
        for ((c, ct), (p, pt), (u, ut), f1, f2, parsed) in &lines {
            if *parsed {
                input.push_str(&combined_line(c, p, u, &format!("http://{f1}/{u}")));
            } else {
                input.push_str(&format!("{f1} {c}{f2}{p} {u}"));
            }
            input.push('\n');
            for (s, t) in [(c, ct), (p, pt), (u, ut)] {
                if s != t {
                    secrets.push(s.clone());
                }
            }
        }
        for referrer in ["remove", "keep", "origin"] {
            let out = run(&["-q", "--referrer", referrer], input.as_bytes());
            prop_assert!(out.status.success());
            let text = String::from_utf8_lossy(&out.stdout);
            prop_assert_eq!(count_lines(&out.stdout), lines.len());
            for s in &secrets {
                prop_assert!(!text.contains(s.as_str()), "{} survived in {}", s, text);
            }
        }
    }

    #[test]
    fn no_input_address_survives_pseudonyms(
        lines in proptest::collection::vec(
            (address(), address(), address(), filler(), filler(), any::<bool>()),
            1..30,
        )
    ) {
        let mut input = String::new();
        // Every address of a parsed line; of an unparsed one, those that
        // truncation changes (with rotation, an unparsed line has no
        // period and is truncated instead).
        let mut parsed_secrets = Vec::new();
        let mut unparsed_secrets = Vec::new();
        for ((c, ct), (p, pt), (u, ut), f1, f2, parsed) in &lines {
            if *parsed {
                input.push_str(&combined_line(c, p, u, &format!("http://{f1}/{u}")));
            } else {
                input.push_str(&format!("{f1} {c}{f2}{p} {u}"));
            }
            input.push('\n');
            // A raw quote in the filler breaks the referrer's quoting, so
            // such a line goes through the scrubber instead.
            let parses = *parsed && !f1.contains('"');
            for (s, t) in [(c, ct), (p, pt), (u, ut)] {
                if parses {
                    parsed_secrets.push(s.clone());
                } else {
                    unparsed_secrets.push((s.clone(), s != t));
                }
            }
        }
        let key = key_file();
        let runs: [(&[&str], bool); 4] = [
            (&["--pseudonymize", "pfx"], false),
            (&["--pseudonymize", "det"], false),
            (&["--pseudonymize", "cryptopan"], false),
            (&["--pseudonymize", "pfx", "--key-rotation", "daily"], true),
        ];
        for (mode, rotation) in runs {
            let mut args = vec!["-q", "--referrer", "keep", "--key-file", key];
            args.extend_from_slice(mode);
            let out = run(&args, input.as_bytes());
            prop_assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let text = String::from_utf8_lossy(&out.stdout);
            prop_assert_eq!(count_lines(&out.stdout), lines.len());
            let unparsed = unparsed_secrets
                .iter()
                .filter(|(_, changed)| *changed || !rotation)
                .map(|(s, _)| s);
            for s in parsed_secrets.iter().chain(unparsed) {
                prop_assert!(!text.contains(s.as_str()), "{:?}: {} survived in {}", mode, s, text);
            }
        }
    }
}

/// A line of `format` with the three addresses in its client, header and
/// free-text positions.
fn line_in(format: &str, c: &str, p: &str, u: &str, f: &str) -> String {
    match format {
        "json" => format!(
            r#"{{"remote_addr":"{c}","request":"GET /w/{p}?ip={c} HTTP/1.1","http_x_forwarded_for":"{u}, {p}","msg":"{f} {u}"}}"#
        ),
        "nginx-error" => format!(
            r#"2026/11/22 08:39:58 [error] 1#1: *5 open() "/w/{p}" failed {f}, client: {c}, server: x, request: "GET /{u}?q={c} HTTP/1.1", host: "h""#
        ),
        "apache-error" => format!(
            "[Sun Nov 22 08:41:15.668627 2026] [core:info] [pid 1:tid 2] [client {c}:38498] AH00128: {f} /w/{p}, referer: http://{u}/"
        ),
        _ => format!("{c} {f} \"{u}, {p}\" \"GET /{p}?x={c} HTTP/1.1\" 0.001 {u}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn no_input_address_survives_in_any_format(
        lines in proptest::collection::vec((address(), address(), address(), filler()), 1..20)
    ) {
        let custom = r#"$remote_addr $upstream_cache_status "$http_x_forwarded_for" "$request" $request_time $http_x_custom"#;
        for (format, args) in [
            ("json", vec!["-f", "json"]),
            ("nginx-error", vec!["-f", "nginx-error"]),
            ("apache-error", vec!["-f", "apache-error"]),
            ("auto-json", vec!["-f", "auto"]),
            ("custom", vec!["--nginx-format", custom]),
        ] {
            let mut input = String::new();
            let mut secrets = Vec::new();
            for ((c, ct), (p, pt), (u, ut), f) in &lines {
                input.push_str(&line_in(format.trim_start_matches("auto-"), c, p, u, f));
                input.push('\n');
                for (s, t) in [(c, ct), (p, pt), (u, ut)] {
                    if s != t {
                        secrets.push(s.clone());
                    }
                }
            }
            let mut a = vec!["-q"];
            a.extend(args.iter().copied());
            let out = run(&a, input.as_bytes());
            prop_assert!(out.status.success());
            let text = String::from_utf8_lossy(&out.stdout);
            prop_assert_eq!(count_lines(&out.stdout), lines.len());
            for s in &secrets {
                prop_assert!(!text.contains(s.as_str()), "{}: {} survived in {}", format, s, text);
            }
        }
    }
}
