//! Property tests of the real binary: it never panics, never loses or
//! invents a line, and no client address of the input survives, truncated
//! or pseudonymized.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::sync::OnceLock;

use proptest::prelude::*;

use crate::util::{count_lines, run};

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
        // Input that starts like gzip (or zstd, xz, bzip2) is decoded as
        // such, and a corrupt archive is an I/O error by design (tested
        // elsewhere).
        let head = &input[..input.len().min(anonlog::engine::compress::MAGIC_LEN)];
        prop_assume!(anonlog::engine::compress::detect(head).is_none());
        let out = run(&["-q", "-j", &threads.to_string(), "--block-size", "512"], &input);
        // 1: the format does not fit (arbitrary bytes rarely are a log).
        prop_assert!(matches!(out.status.code(), Some(0 | 1)), "stderr: {}", String::from_utf8_lossy(&out.stderr));
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
            let out = run(&["-q", "--max-unparsed", "100%", "--referrer", referrer], input.as_bytes());
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
            let mut args = vec!["-q", "--max-unparsed", "100%", "--referrer", "keep", "--key-file", key];
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
            let mut a = vec!["-q", "--max-unparsed", "100%"];
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

/// A secret value: `Zq` and a run of letters and digits. No rule may let
/// one through, so the test looks for `Zq` in the output.
fn secret() -> impl Strategy<Value = String> {
    "[A-Za-z0-9]{6,12}".prop_map(|s| format!("Zq{s}"))
}

/// An address with a non-zero host part under /24 and /48, as it may be
/// written in free text.
fn host_address() -> impl Strategy<Value = String> {
    prop_oneof![
        (1u8..=254).prop_map(|h| format!("198.51.100.{h}")),
        (1u16..=0xffff).prop_map(|h| format!("2001:db8:abcd:12::{h:x}")),
        (1u8..=254, 1u16..=65535).prop_map(|(h, p)| format!("203.0.113.{h}:{p}")),
        (1u16..=0xffff, 1u16..=65535).prop_map(|(h, p)| format!("[2001:db8:77:1::{h:x}]:{p}")),
        (1u8..=254).prop_map(|h| format!("::ffff:192.0.2.{h}")),
        (1u8..=254).prop_map(|h| format!("http://192.0.2.{h}/x")),
        (1u8..=254).prop_map(|h| format!("198%2E51%2E100%2E{h}")),
    ]
}

/// One planted item: what is written into the line.
fn planted() -> impl Strategy<Value = String> {
    prop_oneof![
        host_address(),
        ("/[a-z]{1,6}", "[a-z_]{1,6}", secret()).prop_map(|(p, k, v)| format!("{p}?{k}={v}")),
        ("/[a-z]{1,6}", secret()).prop_map(|(p, v)| format!("{p}?q=it's+{v}")),
        ("https?://[a-z]{1,8}\\.example", secret()).prop_map(|(h, v)| format!("{h}/p?x={v}")),
        ("https?", secret()).prop_map(|(s, v)| format!("{s}://u:{v}@host.example/")),
        (secret(), "[a-z]{1,8}").prop_map(|(v, d)| format!("{v}@{d}.example")),
        (secret(), "[a-z]{1,8}").prop_map(|(v, d)| format!("{v}%40{d}.example")),
        secret().prop_map(|v| format!("Cookie: sid={v}")),
        (
            prop::sample::select(vec![
                "token",
                "session",
                "sid",
                "password",
                "auth",
                "user",
                "email",
                "api_key",
                "PHPSESSID",
                "access_token",
            ]),
            secret()
        )
            .prop_map(|(k, v)| format!("{k}={v}")),
        secret().prop_map(|v| format!("/shop;jsessionid={v}")),
    ]
}

/// What separates planted items and filler words: whitespace, quotes and
/// the punctuation that used to end a scrubber token early.
fn separator() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        " ", "  ", "\t", " \"", "\" ", " '", "' ", " <", "> ", " `", "` ", ", ", " (", ") ", " [",
        "] ", " \\\" ",
    ])
    .prop_map(str::to_owned)
}

/// A line: optionally a CLF start (address, ident, user, time, the start of
/// a request), then planted items and filler words in any order.
fn planted_line() -> impl Strategy<Value = String> {
    let word = "[A-Ya-z0-9/._-]{1,10}";
    let item = prop_oneof![planted(), word.prop_map(|w| w)];
    (
        any::<bool>(),
        host_address(),
        secret(),
        secret(),
        proptest::collection::vec((item, separator()), 1..10),
    )
        .prop_map(|(clf, addr, ident, user, items)| {
            let mut line = String::new();
            if clf {
                let addr = addr.trim_start_matches("http://").trim_end_matches("/x");
                line.push_str(&format!(
                    "{addr} {ident} {user} [22/Nov/2026:08:38:17 +0000] \"GET "
                ));
            }
            for (i, s) in items {
                line.push_str(&i);
                line.push_str(&s);
            }
            line
        })
}

/// Every IPv4 or IPv6 address in `text` that has a host part under /24 or
/// /48: none may come out of anonlog. Percent-encoded dots count.
fn raw_addresses(text: &str) -> Vec<String> {
    let text = text
        .replace("%2E", ".")
        .replace("%2e", ".")
        .replace("%3A", ":");
    let mut found = Vec::new();
    for tok in text.split(|c: char| !(c.is_ascii_hexdigit() || c == '.' || c == ':')) {
        let tok = tok.trim_matches(|c| c == ':' || c == '.');
        if let Ok(a) = tok.parse::<Ipv4Addr>() {
            if u32::from(a) & 0xff != 0 {
                found.push(tok.to_owned());
            }
        } else if let Ok(a) = tok.parse::<Ipv6Addr>() {
            let x = u128::from(a);
            let host = match a.to_ipv4_mapped() {
                Some(v4) => u32::from(v4) & 0xff != 0,
                None => x & ((1u128 << 80) - 1) != 0,
            };
            if host {
                found.push(tok.to_owned());
            }
        }
    }
    found
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Addresses, queries, users, cookies, credentials and e-mails planted
    /// anywhere in arbitrary lines: none survives, whatever the format
    /// option, parsed or not.
    #[test]
    fn planted_personal_data_never_survives(lines in proptest::collection::vec(planted_line(), 1..12)) {
        let input = lines.join("\n") + "\n";
        for args in [
            &["-q", "--max-unparsed", "100%"][..],
            &["-q", "--max-unparsed", "100%", "-f", "combined"],
            &["-q", "--max-unparsed", "100%", "-f", "json"],
            &["-q", "--max-unparsed", "100%", "-f", "nginx-error"],
        ] {
            let out = run(args, input.as_bytes());
            prop_assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            prop_assert_eq!(count_lines(&out.stdout), lines.len());
            let text = String::from_utf8_lossy(&out.stdout);
            prop_assert!(!text.contains("Zq"), "{:?}: a secret survived in {}\nfrom {}", args, text, input);
            let raw = raw_addresses(&text);
            prop_assert!(raw.is_empty(), "{:?}: {:?} survived in {}\nfrom {}", args, raw, text, input);
        }
    }
}
