//! `--user-agent generalize`: a user agent reduced to its browser family
//! and major version and its OS family, written back as a short user-agent
//! string that analyzers classify as they did the original.
//!
//! A full user agent is one of the strongest quasi-identifiers of a log
//! line: device models, build numbers, locales, toolbars and plug-ins make
//! many of them unique. The classification is the ua-parser project's
//! (uap-core's `regexes.yaml`, shipped in `data/uap-core/`, matched by the
//! `ua-parser` crate), which most log tools share; nothing of the original
//! is written except the family names and major versions it yields.
//!
//! The string written follows the shape browsers use, with the product
//! tokens that GoAccess (a first-match list of substrings:
//! `src/browsers.c`, `src/opesys.c`) and Matomo's device detector key on:
//! `Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko)
//! Chrome/120.0 Safari/537.36`. Versions are `MAJOR.0`, which the
//! `\d+[.\d]+` patterns of such detectors read.

use std::collections::HashMap;

use ua_parser::{os, user_agent};

/// The uap-core data (user-agent and OS parsers), converted from YAML to
/// JSON once (see `data/uap-core/README.md`).
const REGEXES: &str = include_str!("../../data/uap-core/regexes.json");

/// What is done with User-Agent fields (`--user-agent`).
#[derive(Clone, Debug, Default)]
pub enum UaPolicy {
    /// Kept, scrubbed of what the scrubber removes from any text (the
    /// default).
    #[default]
    Keep,
    /// Reduced to browser family and major version and OS family.
    Generalize(std::sync::Arc<UaClassifier>),
    /// Replaced by `-`.
    Remove,
}

/// The classifier, built once per run and shared by the workers.
pub struct UaClassifier {
    ua: user_agent::Extractor<'static>,
    os: os::Extractor<'static>,
}

impl std::fmt::Debug for UaClassifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UaClassifier(uap-core)")
    }
}

impl UaClassifier {
    /// Compiles the shipped uap-core parsers (a few hundred regexes: tens
    /// of milliseconds, done once).
    ///
    /// # Errors
    /// Only if the shipped data were broken, which a test rules out.
    pub fn new() -> Result<UaClassifier, String> {
        let r: ua_parser::Regexes<'static> =
            serde_json::from_str(REGEXES).map_err(|e| format!("uap-core data: {e}"))?;
        let ua = user_agent::Builder::new()
            .push_all(r.user_agent_parsers)
            .map_err(|e| format!("uap-core user agents: {e}"))?
            .build()
            .map_err(|e| format!("uap-core user agents: {e}"))?;
        let os = os::Builder::new()
            .push_all(r.os_parsers)
            .map_err(|e| format!("uap-core systems: {e}"))?
            .build()
            .map_err(|e| format!("uap-core systems: {e}"))?;
        Ok(UaClassifier { ua, os })
    }

    /// Appends the generalized form of `ua` to `out` (see the module
    /// documentation); when uap-core knows neither its browser nor its OS,
    /// `Mozilla/5.0` if it starts so, else `-`.
    ///
    /// Guarantees: what is written depends only on the browser family,
    /// its major version, the OS family and its major (and, for macOS,
    /// minor) version as uap-core reads them; family names that come from
    /// the user agent itself are cut to 32 bytes of `[A-Za-z0-9._-]`.
    pub fn generalize(&self, ua: &str, out: &mut Vec<u8>) {
        let b = self.ua.extract(ua);
        let o = self.os.extract(ua);
        let family = b.as_ref().map_or("Other", |b| &b.family);
        let major = digits(b.as_ref().and_then(|b| b.major));
        let os_family = o.as_ref().map_or("Other", |o| &o.os);
        let os_major = digits(o.as_ref().and_then(|o| o.major.as_deref()));
        let os_minor = digits(o.as_ref().and_then(|o| o.minor.as_deref()));
        if family == "Other" && os_family == "Other" {
            // `Mozilla/5.0` alone still says "a browser" to analyzers.
            let v: &[u8] = if ua.starts_with("Mozilla/") {
                b"Mozilla/5.0"
            } else {
                b"-"
            };
            out.extend_from_slice(v);
            return;
        }
        let sys = system(os_family, os_major, os_minor);
        let mobile = matches!(os_family, "iOS" | "Android");
        let name = product_name(ua, family).unwrap_or(family);
        render(name, major, &sys, mobile, ua.starts_with("Mozilla/"), out);
    }
}

/// The product name as `ua` writes it (`python-requests` for the family
/// `Python Requests`): the name of a `NAME/` token equal to `family` but
/// for case and punctuation, so that analyzers matching the original's
/// spelling still match. Only a name equal to the family is taken.
fn product_name<'u>(ua: &'u str, family: &str) -> Option<&'u str> {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let want = norm(family);
    ua.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/')))
        .filter_map(|t| t.split_once('/').map(|(n, _)| n))
        .find(|n| !n.is_empty() && norm(n) == want)
}

/// The leading digits of a version part (at most four), `0` without any.
fn digits(v: Option<&str>) -> &str {
    let v = v.unwrap_or("");
    let n = v.bytes().take(4).take_while(u8::is_ascii_digit).count();
    if n == 0 { "0" } else { &v[..n] }
}

/// The comment naming the OS, as browsers write it; empty when unknown.
fn system(family: &str, major: &str, minor: &str) -> String {
    match family {
        "Windows" => {
            let nt = match major {
                "7" => "6.1",
                "8" if minor == "1" => "6.3",
                "8" => "6.2",
                "0" => "10.0",
                _ if major.parse::<u32>().is_ok_and(|m| m >= 10) => "10.0",
                _ => "10.0",
            };
            format!("Windows NT {nt}")
        }
        "Windows XP" => "Windows NT 5.1".into(),
        "Windows Vista" => "Windows NT 6.0".into(),
        "Mac OS X" => format!("Macintosh; Intel Mac OS X {major}_{minor}"),
        "iOS" => format!("iPhone; CPU iPhone OS {major}_0 like Mac OS X"),
        "Android" => format!("Linux; Android {major}"),
        "Chrome OS" => "X11; CrOS x86_64".into(),
        "Ubuntu" => "X11; Ubuntu; Linux x86_64".into(),
        "Linux" | "Fedora" | "Debian" | "Red Hat" | "Arch Linux" | "Mint" | "openSUSE" => {
            "X11; Linux x86_64".into()
        }
        "FreeBSD" => "X11; FreeBSD amd64".into(),
        "OpenBSD" => "X11; OpenBSD amd64".into(),
        _ => String::new(),
    }
}

/// Writes the user agent of a browser family on a system.
/// A family name as a product token: at most 32 of `[A-Za-z0-9._-]`. A
/// family can be text captured from the user agent itself, and this
/// output is not scrubbed again, so a `.` next to a digit is dropped: no
/// dotted address (`1.2.3.4bot`) can survive, while `Mail.ru` keeps its
/// dot.
fn token_name(family: &str) -> String {
    let b = family.as_bytes();
    let digit = |i: Option<usize>| i.and_then(|i| b.get(i)).is_some_and(u8::is_ascii_digit);
    b.iter()
        .enumerate()
        .filter(|&(i, &c)| match c {
            b'.' => !digit(i.checked_sub(1)) && !digit(Some(i + 1)),
            _ => c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-'),
        })
        .map(|(_, &c)| char::from(c))
        .take(32)
        .collect()
}

fn render(family: &str, v: &str, sys: &str, mobile: bool, mozilla: bool, out: &mut Vec<u8>) {
    let paren = |sys: &str| {
        if sys.is_empty() {
            String::new()
        } else {
            format!(" ({sys})")
        }
    };
    let mob = if mobile { "Mobile " } else { "" };
    let webkit = "AppleWebKit/537.36 (KHTML, like Gecko)";
    let s = match family {
        "Chrome" | "Chrome Mobile" | "Chromium" | "Chrome Mobile WebView" => {
            format!(
                "Mozilla/5.0{} {webkit} Chrome/{v}.0 {mob}Safari/537.36",
                paren(sys)
            )
        }
        "Chrome Mobile iOS" => format!(
            "Mozilla/5.0{} AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/{v}.0 Mobile/15E148 Safari/604.1",
            paren(sys)
        ),
        "Edge" | "Edge Mobile" => format!(
            "Mozilla/5.0{} {webkit} Chrome/{v}.0 {mob}Safari/537.36 Edg/{v}.0",
            paren(sys)
        ),
        "Opera" | "Opera Mobile" => format!(
            "Mozilla/5.0{} {webkit} Chrome/{v}.0 {mob}Safari/537.36 OPR/{v}.0",
            paren(sys)
        ),
        "Samsung Internet" => format!(
            "Mozilla/5.0{} {webkit} SamsungBrowser/{v}.0 Chrome/{v}.0 Mobile Safari/537.36",
            paren(sys)
        ),
        "Firefox" | "Firefox Mobile" => {
            let sys = if sys.is_empty() {
                format!("rv:{v}.0")
            } else {
                format!("{sys}; rv:{v}.0")
            };
            format!("Mozilla/5.0 ({sys}) Gecko/20100101 Firefox/{v}.0")
        }
        "Firefox iOS" => format!(
            "Mozilla/5.0{} AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/{v}.0 Mobile/15E148 Safari/605.1.15",
            paren(sys)
        ),
        "Safari" | "Mobile Safari" | "Mobile Safari UI/WKWebView" => format!(
            "Mozilla/5.0{} AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{v}.0 {}Safari/605.1.15",
            paren(sys),
            if mobile { "Mobile/15E148 " } else { "" }
        ),
        "IE" | "IE Mobile" if v == "11" => {
            let sys = if sys.is_empty() {
                "Windows NT 10.0"
            } else {
                sys
            };
            format!("Mozilla/5.0 ({sys}; Trident/7.0; rv:11.0) like Gecko")
        }
        "IE" | "IE Mobile" => {
            let sys = if sys.is_empty() {
                "Windows NT 6.1"
            } else {
                sys
            };
            format!("Mozilla/4.0 (compatible; MSIE {v}.0; {sys})")
        }
        "Other" => format!("Mozilla/5.0{}", paren(sys)),
        // Bots, tools and the rarer browsers: their name as a product
        // token, which is what the analyzers' lists match.
        other => {
            let name = token_name(other);
            if mozilla {
                format!("Mozilla/5.0 (compatible; {name}/{v}.0)")
            } else {
                format!("{name}/{v}.0")
            }
        }
    };
    out.extend_from_slice(s.as_bytes());
}

/// A worker's memo of generalized user agents: logs repeat a few thousand
/// user agents, and classifying one runs the uap-core matcher. Bounded:
/// emptied when full, so a stream of made-up user agents cannot grow it.
#[derive(Debug, Default)]
pub struct UaMemo {
    map: HashMap<Box<[u8]>, Box<[u8]>>,
}

impl UaMemo {
    /// Entries held at most.
    pub const MAX: usize = 4096;

    /// Appends the generalized `ua` (raw field bytes) to `out`: from the
    /// memo, or classified by `c` and remembered. No allocation when `ua`
    /// was seen since the memo was last emptied.
    pub fn generalize(&mut self, c: &UaClassifier, ua: &[u8], out: &mut Vec<u8>) {
        if let Some(g) = self.map.get(ua) {
            out.extend_from_slice(g);
            return;
        }
        let start = out.len();
        c.generalize(&String::from_utf8_lossy(ua), out);
        if self.map.len() >= Self::MAX {
            self.map.clear();
        }
        self.map.insert(ua.into(), out[start..].into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_family_name_never_carries_a_dotted_address() {
        assert_eq!(token_name("198.51.100.7bot"), "198511007bot");
        assert_eq!(
            token_name("Mail.ru Chromium Browser"),
            "Mail.ruChromiumBrowser"
        );
        assert_eq!(token_name("WebPageTest.org bot"), "WebPageTest.orgbot");
        assert_eq!(token_name("a@b.example"), "ab.example");
    }

    fn general(c: &UaClassifier, ua: &str) -> String {
        let mut out = Vec::new();
        c.generalize(ua, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn common_browsers_and_bots() {
        let c = UaClassifier::new().unwrap();
        let cases = [
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
                "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
                "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/605.1.15",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
                "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
                "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0",
            ),
            (
                "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                "Mozilla/5.0 (compatible; Googlebot/2.0)",
            ),
            (
                "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
                "Mozilla/5.0 (compatible; bingbot/2.0)",
            ),
            ("curl/7.88.1", "curl/7.0"),
            ("python-requests/2.31.0", "python-requests/2.0"),
            ("-", "-"),
            ("", "-"),
            ("jane.doe@example.com's own tool", "-"),
            ("Mozilla/5.0", "Mozilla/5.0"),
        ];
        for (ua, want) in cases {
            assert_eq!(general(&c, ua), want, "{ua}");
        }
    }

    #[test]
    fn memo_gives_what_the_classifier_gives() {
        let c = UaClassifier::new().unwrap();
        let mut m = UaMemo::default();
        let uas: [&[u8]; 4] = [
            b"curl/7.88.1",
            b"Wget/1.21",
            b"curl/7.88.1",
            b"\xff bad utf-8",
        ];
        for ua in uas {
            let mut out = Vec::new();
            m.generalize(&c, ua, &mut out);
            assert_eq!(out, general(&c, &String::from_utf8_lossy(ua)).into_bytes());
        }
        assert_eq!(m.map.len(), 3);
    }
}
