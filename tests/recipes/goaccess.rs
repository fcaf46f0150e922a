//! What GoAccess reads from anonlog's output: the real `goaccess` (its own
//! first-match lists of browser and OS substrings) reports the same
//! browser-family and OS-family panels for `--user-agent generalize`
//! output as for the raw log, and the same hits per hour for
//! `--time-resolution hour` output.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use crate::harness::{Check, Need, needed};
use crate::util::{run, sample, stderr};

#[path = "../../benches/corpus.rs"]
mod corpus;

const GOACCESS: Need = Need::Program("goaccess");

pub const CHECKS: &[Check] = &[
    Check {
        name: "goaccess::generalized_user_agents_keep_browser_and_os_families",
        needs: &[GOACCESS],
        run: generalized_user_agents_keep_browser_and_os_families,
    },
    Check {
        name: "goaccess::hour_resolution_keeps_hits_per_hour",
        needs: &[GOACCESS],
        run: hour_resolution_keeps_hits_per_hour,
    },
];

/// Browsers and bots beyond the corpus's: one line each.
const MORE_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0",
    "Mozilla/5.0 (Linux; Android 13; SM-S908B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
    "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Wget/1.21.3",
    "python-requests/2.31.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0",
    "-",
];

/// A combined log: the generated corpus, samples/privacy.log and a line
/// for each of [`MORE_AGENTS`].
fn input() -> Vec<u8> {
    let mut log = corpus::generate_vec(400_000, 16, false);
    log.extend(
        String::from_utf8(sample("privacy.log"))
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("garbage"))
            .flat_map(|l| [l, "\n"])
            .collect::<String>()
            .bytes(),
    );
    for (i, ua) in MORE_AGENTS.iter().enumerate() {
        log.extend(
            format!(
                "192.0.2.{i} - - [22/Nov/2026:11:{i:02}:00 +0000] \"GET /p/{i} HTTP/1.1\" 200 1 \"-\" \"{ua}\"\n"
            )
            .bytes(),
        );
    }
    log
}

/// GoAccess's JSON report of the combined log `log` (written to `dir`).
fn report(dir: &Path, name: &str, log: &[u8]) -> serde_json::Value {
    let path = dir.join(format!("{name}.log"));
    fs::write(&path, log).unwrap();
    let out = dir.join(format!("{name}.json"));
    let status = Command::new(needed("goaccess"))
        .arg(&path)
        .args(["--log-format=COMBINED", "--no-global-config", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "goaccess: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    serde_json::from_slice(&fs::read(&out).unwrap()).unwrap()
}

/// A panel's top-level items (families, hours) and their hits.
fn panel(r: &serde_json::Value, name: &str) -> BTreeMap<String, u64> {
    r[name]["data"]
        .as_array()
        .unwrap_or_else(|| panic!("no {name} panel"))
        .iter()
        .map(|d| {
            (
                d["data"].as_str().unwrap().to_owned(),
                d["hits"]["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn anonlog(args: &[&str], log: &[u8]) -> Vec<u8> {
    let out = run(args, log);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    out.stdout
}

/// GoAccess's browser and OS panels, family by family (Chrome, Firefox,
/// Crawlers, ...; Windows, Android, ...), count the same hits for the
/// generalized log as for the raw one, and every user agent did change.
fn generalized_user_agents_keep_browser_and_os_families() {
    let dir = tempfile::tempdir().unwrap();
    let raw = input();
    let generalized = anonlog(&["-q", "--user-agent", "generalize"], &raw);
    let before = report(dir.path(), "raw", &raw);
    let after = report(dir.path(), "generalized", &generalized);
    for name in ["browsers", "os"] {
        let (b, a) = (panel(&before, name), panel(&after, name));
        assert!(b.len() >= 6, "{name}: {b:?}");
        assert_eq!(a, b, "{name} panel, generalized vs raw");
    }
    let text = String::from_utf8(generalized).unwrap();
    assert!(!text.contains("Chrome/120.0.0.0") && !text.contains("Pixel 8"));
    assert!(text.contains("Chrome/120.0 Safari/537.36"), "{text}");
    assert_eq!(
        before["general"]["valid_requests"],
        after["general"]["valid_requests"]
    );
}

/// A log rounded to the hour still parses (the same valid requests) and
/// GoAccess's time distribution counts the same hits in every hour.
fn hour_resolution_keeps_hits_per_hour() {
    let dir = tempfile::tempdir().unwrap();
    let raw = input();
    let plain = anonlog(&["-q"], &raw);
    let hourly = anonlog(&["-q", "--time-resolution", "hour"], &raw);
    assert!(String::from_utf8_lossy(&hourly).contains(":00:00 +0000]"));
    let before = report(dir.path(), "plain", &plain);
    let after = report(dir.path(), "hourly", &hourly);
    let (b, a) = (panel(&before, "visit_time"), panel(&after, "visit_time"));
    assert!(b.len() >= 2, "{b:?}");
    assert_eq!(a, b, "hits per hour");
    for key in ["total_requests", "valid_requests", "failed_requests"] {
        assert_eq!(before["general"][key], after["general"][key], "{key}");
    }
    assert!(before["general"]["valid_requests"].as_u64().unwrap() > 1000);
}
