//! Property tests of the finer privacy options on whole lines: each option
//! does what it says on generated lines, and nothing else.

use std::sync::Arc;

use proptest::prelude::*;

use super::path::PathRules;
use super::pseudonym::Rewriter;
use super::query::QueryParams;
use super::time::TimeResolution;
use super::uagen::{UaClassifier, UaPolicy};
use super::{Anonymizer, ReferrerMode, Rules};
use crate::addr::{NetSet, Truncate};
use crate::format::{Parser, Predefined};
use crate::stats::Stats;

fn rules() -> Rules {
    Rules::new(Parser::Template(Predefined::Combined.template()))
}

fn anon_with(rules: &Rules, rw: Rewriter, line: &str) -> (String, Stats) {
    let mut a = Anonymizer::new(rules, rw);
    let mut out = Vec::new();
    let mut stats = Stats::default();
    a.process_block(line.as_bytes(), &mut out, &mut stats)
        .unwrap();
    (String::from_utf8(out).unwrap(), stats)
}

fn anon(rules: &Rules, line: &str) -> String {
    anon_with(
        rules,
        Rewriter::new(Truncate::new(24, 48).unwrap(), None),
        line,
    )
    .0
}

fn line(client: &str, time: &str, target: &str, referrer: &str, ua: &str) -> String {
    format!("{client} - - [{time}] \"GET {target} HTTP/1.1\" 200 1 \"{referrer}\" \"{ua}\"\n")
}

const T: &str = "22/Nov/2026:08:38:17 +0000";
const JWT: &str =
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";

/// A path segment: plain words, asset names, e-mail addresses (plain and
/// encoded), JWTs, UUIDs, hex and digit tokens.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,8}",
        "[a-z]{1,5}\\.[0-9a-f]{6}\\.(js|css)",
        "[a-z]{1,5}\\.[0-9a-f]{20}\\.js",
        "[a-z]{1,6}@example\\.(com|org)",
        "[a-z]{1,6}%40example\\.net",
        Just(JWT.to_owned()),
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[0-9a-f]{16,24}",
        "[0-9]{6,10}",
        "[0-9]{1,5}",
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(segment(), 1..5).prop_map(|s| format!("/{}", s.join("/")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Default path rules: no e-mail address or JWT survives in the
    /// request, asset names always do, and everything else of the line is
    /// what `--path-rules none` writes.
    #[test]
    fn path_rules_remove_only_their_classes(p in path()) {
        let mut r = rules();
        let input = line("198.51.100.7", T, &p, "-", "-");
        let out = anon(&r, &input);
        prop_assert!(!out.contains("@example") && !out.contains("%40example"), "{}", out);
        prop_assert!(!out.contains("eyJhbGciOi"), "{}", out);
        for seg in p.split('/').filter(|s| s.ends_with(".js") || s.ends_with(".css")) {
            prop_assert!(out.contains(seg), "{} lost {}", out, seg);
        }
        r.path_rules = PathRules::NONE;
        let raw = anon(&r, &input);
        prop_assert!(raw.contains(&p));
        // Outside the request, both agree byte for byte.
        let tail = |s: &str| s.rsplit_once(" HTTP/1.1\"").unwrap().1.to_owned();
        prop_assert_eq!(tail(&out), tail(&raw));
        r.path_rules = PathRules::DEFAULT
            .with(PathRules::UUID)
            .with(PathRules::HEX)
            .with(PathRules::DIGITS);
        let all = anon(&r, &input);
        for seg in p.split('/').filter(|s| s.ends_with(".js") || s.ends_with(".css")) {
            prop_assert!(all.contains(seg), "{} lost {}", all, seg);
        }
        for seg in p.split('/').filter(|s| s.len() >= 16 && s.bytes().all(|b| b.is_ascii_hexdigit())) {
            prop_assert!(!all.contains(seg), "{} kept {}", all, seg);
        }
    }

    /// --keep-query-param: exactly the listed parameters, in order.
    #[test]
    fn kept_parameters_are_the_listed_ones_in_order(
        params in prop::collection::vec(("(utm_[a-z]{1,3}|page|q|sid|lang)", "[a-z0-9]{0,4}"), 0..6),
    ) {
        let mut r = rules();
        r.keep_params = Some(Arc::new(QueryParams::new(vec![b"utm_*".to_vec(), b"page".to_vec()])));
        let query: Vec<String> = params.iter().map(|(n, v)| format!("{n}={v}")).collect();
        let target = format!("/p?{}", query.join("&"));
        let out = anon(&r, &line("198.51.100.7", T, &target, "-", "-"));
        let kept: Vec<&String> = query
            .iter()
            .filter(|p| p.starts_with("utm_") || p.starts_with("page="))
            .collect();
        let want = if kept.is_empty() {
            "/p".to_owned()
        } else {
            format!("/p?{}", kept.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("&"))
        };
        prop_assert!(out.contains(&format!("\"GET {want} HTTP/1.1\"")), "{} want {}", out, want);
    }

    /// --keep-net: an address is written unchanged exactly when it is in
    /// the kept network, wherever it is, and counted.
    #[test]
    fn kept_networks_and_only_they_stay(a in any::<u32>(), b in any::<u32>()) {
        let ip = |x: u32| std::net::Ipv4Addr::from(x).to_string();
        let nets = [ipnet::IpNet::from(ipnet::Ipv4Net::new(std::net::Ipv4Addr::from(a), 12).unwrap())];
        let keep = Arc::new(NetSet::new(&nets));
        let rw = Rewriter::new(Truncate::new(24, 48).unwrap(), None).keeping(Some(&keep));
        let r = rules();
        let input = line(&ip(a), T, &format!("/x/{}", ip(b)), "-", "-");
        let (out, stats) = anon_with(&r, rw, &input);
        let inside = (a ^ b) >> 20 == 0;
        prop_assert!(out.starts_with(&format!("{} ", ip(a))), "{}", out);
        prop_assert_eq!(out.contains(&format!("/x/{} ", ip(b))), inside || b & 0xff == 0, "{}", out);
        prop_assert_eq!(stats.kept, 1 + u64::from(inside));
    }

    /// --time-resolution: the time rounds down, everything else stays.
    #[test]
    fn times_round_down_and_nothing_else_changes(h in 0u32..24, m in 0u32..60, s in 0u32..60) {
        let time = format!("22/Nov/2026:{h:02}:{m:02}:{s:02} -0700");
        let input = line("198.51.100.7", &time, "/a", "-", "ua");
        let mut r = rules();
        let plain = anon(&r, &input);
        for (res, want) in [
            (TimeResolution::Minute, format!("22/Nov/2026:{h:02}:{m:02}:00 -0700")),
            (TimeResolution::Hour, format!("22/Nov/2026:{h:02}:00:00 -0700")),
            (TimeResolution::Day, "22/Nov/2026:00:00:00 -0700".to_owned()),
        ] {
            r.time_resolution = res;
            prop_assert_eq!(anon(&r, &input), plain.replace(&time, &want));
        }
    }

    /// --user-agent: remove writes `-`; generalize writes only family
    /// names and versions (never an e-mail address, an address or a
    /// device model the agent carried), and the same agent always gives
    /// the same result.
    #[test]
    fn user_agents_reduce_to_their_families(
        model in "[A-Z]{2}-[A-Z][0-9]{3}[a-z]",
        major in 60u32..130,
        chrome in any::<bool>(),
    ) {
        let ua = if chrome {
            format!("Mozilla/5.0 (Linux; Android 13; {model}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{major}.0.1234.5 Mobile Safari/537.36 jane@example.com 192.0.2.7")
        } else {
            format!("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{major}.0; {model}) Gecko/20100101 Firefox/{major}.0 jane@example.com 192.0.2.7")
        };
        let input = line("198.51.100.7", T, "/", "-", &ua);
        let mut r = rules();
        r.user_agent = UaPolicy::Remove;
        prop_assert!(anon(&r, &input).ends_with(" \"-\"\n"));
        r.user_agent = UaPolicy::Generalize(classifier());
        let out = anon(&r, &input);
        prop_assert!(!out.contains(&model) && !out.contains("example.com") && !out.contains("192.0.2"), "{}", out);
        let want = if chrome { format!("Chrome/{major}.0 Mobile Safari") } else { format!("Firefox/{major}.0\"") };
        prop_assert!(out.contains(&want), "{} lacks {}", out, want);
        prop_assert_eq!(anon(&r, &[input.clone(), input.clone()].concat()), [out.clone(), out].concat());
    }
}

/// One classifier for every case (compiling it takes a moment).
fn classifier() -> Arc<UaClassifier> {
    static C: std::sync::OnceLock<Arc<UaClassifier>> = std::sync::OnceLock::new();
    Arc::clone(C.get_or_init(|| Arc::new(UaClassifier::new().unwrap())))
}

#[test]
fn kept_referrers_get_path_rules_and_parameters() {
    let mut r = rules();
    r.referrer = ReferrerMode::Keep;
    r.keep_params = Some(Arc::new(QueryParams::new(vec![b"lang".to_vec()])));
    let input = line(
        "198.51.100.7",
        T,
        "/",
        "https://u:p@mail.example/u/jane@example.com/inbox?sid=1&lang=de",
        "-",
    );
    let (out, stats) = anon_with(
        &r,
        Rewriter::new(Truncate::new(24, 48).unwrap(), None),
        &input,
    );
    assert!(
        out.contains("\"https://mail.example/u/email-redacted/inbox?lang=de\""),
        "{out}"
    );
    assert_eq!((stats.emails, stats.params, stats.secrets), (1, 1, 1));
}
