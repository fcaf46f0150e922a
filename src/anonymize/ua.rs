//! The User-Agent field: product versions are versions, not addresses.
//!
//! Chrome and Edge write four-part versions (`Chrome/120.0.0.0`), and so do
//! old Firefox builds (`Firefox/2.0.0.4`, `rv:1.8.1.4`). They have the shape
//! of an IPv4 address, and plain address scrubbing rewrote them: under a
//! keyed mode every current Chrome became `Chrome/77.22.82.185`, a new one
//! each day, and browser reports showed invented versions. Here such a
//! version is recognised by what precedes it, and only there; every other
//! address literal in the user agent is rewritten as in any text field.
//!
//! No allocation and no pass of its own: the rule is asked only about the
//! runs of address characters that [`addr::scrub_text`] stops at.

use crate::addr::{self, AddrRewrite};

/// Copies a User-Agent value to `out` as [`addr::scrub_text`] does (every IP
/// literal rewritten through `r`, the number rewritten returned), except
/// that a product version is kept as written and not counted, in every
/// mode.
///
/// A product version is a run of four dot-separated groups of digits
/// (`120.0.0.0`, `120.0.2210.91`, `23.11.0.2419`) that directly follows
/// * `NAME/`, where `NAME` is one or more RFC 9110 token characters other
///   than `/` (`Chrome/`, `Edg/`, `Firefox/`, `com.example.app/`) at the
///   start of the value or after whitespace, `(`, `)`, `;` or `,`; or
/// * `rv:` at the start of the value or after one of those delimiters;
///
/// and is followed by a byte that is not an address character
/// (`[0-9A-Fa-f.:]`), or by the end. Everything else, an address after a
/// URL's `//` (`+http://198.51.100.7/bot`), in a URL path
/// (`example.com/198.51.100.7`), after a space (`bot 192.0.2.77`), with a
/// fifth group or a port glued on, is rewritten.
///
/// The one shape that is kept although it could be an address is an IPv4
/// address written as a product version (`Device/192.0.2.7`): there it
/// cannot be told from `Firefox/2.0.0.4`.
pub fn scrub_user_agent<R: AddrRewrite>(r: &mut R, ua: &[u8], out: &mut Vec<u8>) -> u32 {
    addr::scrub_text_keeping(r, ua, out, is_version)
}

/// Whether the maximal run of address characters `text[start..end]` is a
/// product version (see [`scrub_user_agent`]). A run after `rv` starts at
/// its `:`, which is an address character.
pub(crate) fn is_version(text: &[u8], start: usize, end: usize) -> bool {
    if text[start] == b':' {
        let Some(rv) = start.checked_sub(2) else {
            return false;
        };
        return text[rv..start].eq_ignore_ascii_case(b"rv")
            && delimited(text, rv)
            && four_groups(&text[start + 1..end]);
    }
    let Some(slash) = start.checked_sub(1) else {
        return false;
    };
    if text[slash] != b'/' || !four_groups(&text[start..end]) {
        return false;
    }
    let name = text[..slash]
        .iter()
        .rev()
        .take_while(|&&b| is_tchar(b))
        .count();
    name > 0 && delimited(text, slash - name)
}

/// `d+.d+.d+.d+`: exactly four non-empty groups of digits.
fn four_groups(v: &[u8]) -> bool {
    let mut groups = 0;
    for g in v.split(|&b| b == b'.') {
        if g.is_empty() || !g.iter().all(u8::is_ascii_digit) {
            return false;
        }
        groups += 1;
    }
    groups == 4
}

/// Whether `text[at]` starts a product: at the start of the value or
/// after a delimiter of the User-Agent grammar (a comment's parentheses,
/// the `;` and `,` inside comments, whitespace).
fn delimited(text: &[u8], at: usize) -> bool {
    at == 0 || matches!(text[at - 1], b' ' | b'\t' | b'(' | b')' | b';' | b',')
}

/// RFC 9110 `tchar`: the characters of a product name.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::Truncate;
    use crate::anonymize::pseudonym::{MasterKey, Mode, Pseudonymizer, mode_key};

    /// Truncation and every keyed mode, as boxed rewriters.
    fn rewriters() -> Vec<(&'static str, Box<dyn AddrRewrite>)> {
        let master =
            MasterKey::from_hex("1522178d33a4cf80130a5b1649907d10d8988f837979652762574c2d2a842202")
                .unwrap();
        let keyed = |mode| {
            Box::new(
                Pseudonymizer::with_cache(mode, &mode_key(&master, mode, "2026-11-22"), 0).unwrap(),
            )
        };
        vec![
            ("truncate", Box::new(Truncate::new(24, 48).unwrap())),
            ("pfx", keyed(Mode::Pfx)),
            ("det", keyed(Mode::Det)),
            ("cryptopan", keyed(Mode::CryptoPan)),
        ]
    }

    struct Dyn<'a>(&'a mut dyn AddrRewrite);
    impl AddrRewrite for Dyn<'_> {
        fn rewrite(&mut self, addr: addr::Addr) -> addr::Addr {
            self.0.rewrite(addr)
        }
    }

    fn scrub(r: &mut dyn AddrRewrite, ua: &str) -> (String, u32) {
        let mut out = Vec::new();
        let n = scrub_user_agent(&mut Dyn(r), ua.as_bytes(), &mut out);
        (String::from_utf8(out).unwrap(), n)
    }

    const BROWSERS: &[&str] = &[
        // Chrome, Edge, Opera, Yandex (four-part versions)
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 YaBrowser/23.11.0.2419 Yowser/2.5 Safari/537.36",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/105.0.0.0",
        // Firefox, old and new
        "Mozilla/5.0 (Windows; U; Windows NT 5.1; en-US; rv:1.8.1.4) Gecko/20070515 Firefox/2.0.0.4",
        "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
        // Safari
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Safari/605.1.15",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1",
        // Apps with dotted product names
        "com.example.app/4.2.0.1 (Linux; U; Android 12)",
        "Dalvik/2.1.0 (Linux; U; Android 12; SM-G991B Build/SP1A.210812.016)",
    ];

    #[test]
    fn browser_versions_are_kept_byte_for_byte_in_every_mode() {
        for (name, mut r) in rewriters() {
            for ua in BROWSERS {
                assert_eq!(scrub(r.as_mut(), ua), (ua.to_string(), 0), "{name}");
            }
        }
    }

    #[test]
    fn other_addresses_in_user_agents_are_rewritten() {
        // (user agent, with truncation to /24 and /48)
        let cases = [
            ("bot 192.0.2.77", "bot 192.0.2.0"),
            (
                "Mozilla/5.0 (compatible; +http://198.51.100.7/bot)",
                "Mozilla/5.0 (compatible; +http://198.51.100.0/bot)",
            ),
            (
                "crawler (+example.org/ip/198.51.100.7)",
                "crawler (+example.org/ip/198.51.100.0)",
            ),
            ("x/198.51.100.7:8080", "x/198.51.100.0:8080"),
            ("x/2001:db8:1:2::7", "x/2001:db8:1::"),
            ("x rv:198.51.100.7:1", "x rv:198.51.100.0:1"),
            ("xrv:198.51.100.7", "xrv:198.51.100.0"),
            (r"\x22Chrome/198.51.100.7", r"\x22Chrome/198.51.100.0"),
            ("/198.51.100.7", "/198.51.100.0"),
            ("x//198.51.100.7", "x//198.51.100.0"),
            (
                "198.51.100.7 Chrome/120.0.0.0",
                "198.51.100.0 Chrome/120.0.0.0",
            ),
            // A fifth group could hide an address glued to a version.
            ("x/5.198.51.100.7", "x/0.000.00.000.0"),
        ];
        for (name, mut r) in rewriters() {
            for (ua, truncated) in cases {
                let (out, n) = scrub(r.as_mut(), ua);
                assert_eq!(n, 1, "{name}: {ua} -> {out}");
                if name == "truncate" {
                    assert_eq!(out, truncated, "{ua}");
                } else {
                    assert!(
                        !out.contains("198.51.100.7") && !out.contains("192.0.2.77"),
                        "{name}: {ua} -> {out}"
                    );
                    assert!(!out.contains("2001:db8:1:2::7"), "{name}: {ua} -> {out}");
                }
            }
        }
    }

    #[test]
    fn plain_text_scrubbing_still_takes_versions_for_addresses() {
        // The rule is the user agent's: elsewhere a dotted quad is an address.
        let mut out = Vec::new();
        let mut r = rewriters().remove(1).1;
        addr::scrub_text(&mut Dyn(r.as_mut()), b"Chrome/120.0.0.0", &mut out);
        assert_ne!(out, b"Chrome/120.0.0.0");
    }
}
