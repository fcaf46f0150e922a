//! Personal data in URL paths (`--path-rules`): e-mail addresses and JWTs
//! by default, and on request UUIDs, long hex tokens and long numbers.
//! Password-reset links, unsubscribe links and single-page-app routes put
//! them there (`/unsubscribe/jane@example.com`, `/auth/eyJhbGciOi…`),
//! where no query cut reaches them.
//!
//! Each match is replaced whole by a placeholder that is valid in a URL
//! path and groups in analyzers (`email-redacted`, `jwt-redacted`,
//! `uuid-redacted`, `hex-redacted`, `digits-redacted`); the bytes around it,
//! and every other byte of the path, are written as before (addresses
//! rewritten).
//!
//! # Where a class matches
//!
//! * **email**: as the scrubber reads e-mail addresses
//!   ([`crate::anonymize::scrub`], rule 6), `@` plain or `%40`.
//! * **jwt**: `eyJ` and base64url (`[A-Za-z0-9_-]`), at least 10 bytes,
//!   then `.`, at least 2 base64url bytes, `.` and any number of them
//!   (a JWE's further parts too), not glued to a base64url byte before.
//! * **uuid**, **hex**, **digits** match *words*. A path is cut into
//!   segments at `/`, `;`, `,`, `=` and `&`; a segment's final extension
//!   (`.` and one to five letters and digits, at least one a letter) is set
//!   aside and kept; the rest is cut into words at `-`, `_`, `~`, `+` and
//!   `:`, never at a dot. **uuid** is five words of 8, 4, 4, 4 and 12 hex
//!   digits joined by `-`; **hex** a word of 16 or more hex digits;
//!   **digits** a word of 6 or more digits. A dot inside a word keeps it
//!   whole, so fingerprinted assets (`app.3f2a9c.js`,
//!   `main.3f2a9c8b7d6e5f4a3b2c.js`, `jquery-3.7.1.min.js`) survive every
//!   class, while `/reset/3f2a9c8b7d6e5f4a3b2c.json` and
//!   `/orders/12345678` do not.

use crate::addr::{AddrRewrite, scrub_text};
use crate::anonymize::scrub::{EMAIL_PLACEHOLDER, email_span};
use crate::bytes::{ByteSet, find_in_set};

/// The classes of personal data removed from paths: a small bit set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PathRules(u8);

impl PathRules {
    /// No class: paths are kept as they are (addresses still rewritten).
    pub const NONE: PathRules = PathRules(0);
    /// E-mail addresses, plain and percent-encoded.
    pub const EMAIL: PathRules = PathRules(1);
    /// JSON Web Tokens.
    pub const JWT: PathRules = PathRules(2);
    /// UUIDs (8-4-4-4-12 hex digits).
    pub const UUID: PathRules = PathRules(4);
    /// Words of 16 or more hex digits.
    pub const HEX: PathRules = PathRules(8);
    /// Words of 6 or more digits.
    pub const DIGITS: PathRules = PathRules(16);
    /// The default: e-mail addresses and JWTs.
    pub const DEFAULT: PathRules = PathRules(1 | 2);

    /// Both sets' classes.
    pub const fn with(self, other: PathRules) -> PathRules {
        PathRules(self.0 | other.0)
    }

    /// Whether every class of `other` is in the set.
    pub const fn has(self, other: PathRules) -> bool {
        self.0 & other.0 == other.0
    }

    /// No class at all.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The classes of both sets.
    pub const fn only(self, other: PathRules) -> PathRules {
        PathRules(self.0 & other.0)
    }

    /// Whether a class that matches words (uuid, hex, digits) is set.
    pub const fn words(self) -> bool {
        self.0 & (Self::UUID.0 | Self::HEX.0 | Self::DIGITS.0) != 0
    }
}

/// What [`write_path`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PathCounts {
    /// Addresses rewritten.
    pub addresses: u32,
    /// E-mail addresses replaced.
    pub emails: u32,
    /// JWTs, UUIDs, hex tokens and numbers replaced.
    pub tokens: u32,
}

/// Appends `path` (a path, or a part of one) to `out` with every match of
/// `rules`' classes replaced by its placeholder (see the module
/// documentation) and every other byte as [`scrub_text`] writes it.
///
/// Guarantees: with [`PathRules::NONE`] the output is exactly
/// [`scrub_text`]'s; bytes outside matches are copied in order, addresses
/// rewritten; a match never extends past `path`. No allocation beyond
/// `out`, one pass with a bounded look-back.
pub fn write_path<R: AddrRewrite>(
    r: &mut R,
    rules: PathRules,
    path: &[u8],
    out: &mut Vec<u8>,
) -> PathCounts {
    write_with(r, rules, path, out, true)
}

/// [`write_path`] on text that is already scrubbed (an unparsed line's
/// output): bytes outside matches are copied as they are, not scrubbed
/// again, which under a keyed mode would pseudonymize a pseudonym.
pub fn write_path_scrubbed(rules: PathRules, path: &[u8], out: &mut Vec<u8>) -> PathCounts {
    let mut unused = crate::addr::Truncate::new(32, 128).expect("full prefixes");
    write_with(&mut unused, rules, path, out, false)
}

fn write_with<R: AddrRewrite>(
    r: &mut R,
    rules: PathRules,
    path: &[u8],
    out: &mut Vec<u8>,
    scrub: bool,
) -> PathCounts {
    let mut w = Writer {
        s: path,
        flushed: 0,
        counts: PathCounts::default(),
        scrub,
    };
    if rules.words() {
        let mut start = 0;
        loop {
            let end = path[start..]
                .iter()
                .position(|b| matches!(b, b'/' | b';' | b',' | b'=' | b'&'))
                .map_or(path.len(), |i| start + i);
            w.segment(r, rules, start, end, out);
            if end == path.len() {
                break;
            }
            start = end + 1;
        }
    } else if !rules.is_empty() {
        w.tokens(r, rules, 0, path.len(), out);
    }
    w.flush(r, path.len(), out);
    w.counts
}

struct Writer<'s> {
    s: &'s [u8],
    /// Everything before this is written.
    flushed: usize,
    counts: PathCounts,
    /// Bytes outside matches go through `scrub_text` (else copied).
    scrub: bool,
}

impl Writer<'_> {
    fn flush<R: AddrRewrite>(&mut self, r: &mut R, to: usize, out: &mut Vec<u8>) {
        if to > self.flushed {
            let s = &self.s[self.flushed..to];
            if self.scrub {
                self.counts.addresses += scrub_text(r, s, out);
            } else {
                out.extend_from_slice(s);
            }
            self.flushed = to;
        }
    }

    fn replace<R: AddrRewrite>(
        &mut self,
        r: &mut R,
        (start, end): (usize, usize),
        placeholder: &[u8],
        out: &mut Vec<u8>,
    ) {
        self.flush(r, start, out);
        out.extend_from_slice(placeholder);
        self.flushed = end;
    }

    /// E-mail addresses and JWTs in `s[from..to]`.
    fn tokens<R: AddrRewrite>(
        &mut self,
        r: &mut R,
        rules: PathRules,
        from: usize,
        to: usize,
        out: &mut Vec<u8>,
    ) {
        static TRIGGERS: ByteSet<3> = ByteSet::new([b'@', b'%', b'J']);
        let s = &self.s[..to];
        let mut pos = from;
        while let Some(i) = find_in_set(s, pos, &TRIGGERS) {
            let floor = self.flushed.max(from);
            let found = match s[i] {
                b'@' if rules.has(PathRules::EMAIL) => {
                    email_span(s, floor, i, 1).map(|m| (m, EMAIL_PLACEHOLDER))
                }
                b'%' if rules.has(PathRules::EMAIL) && s[i..].starts_with(b"%40") => {
                    email_span(s, floor, i, 3).map(|m| (m, EMAIL_PLACEHOLDER))
                }
                b'J' if rules.has(PathRules::JWT) && i >= floor + 2 && &s[i - 2..i] == b"ey" => {
                    jwt_span(s, i - 2).map(|m| (m, &b"jwt-redacted"[..]))
                }
                _ => None,
            };
            match found {
                Some((m, placeholder)) => {
                    if placeholder == EMAIL_PLACEHOLDER {
                        self.counts.emails += 1;
                    } else {
                        self.counts.tokens += 1;
                    }
                    self.replace(r, m, placeholder, out);
                    pos = m.1;
                }
                None => pos = i + 1,
            }
        }
    }

    /// One segment `s[start..end]`: its e-mail addresses and JWTs, or, when
    /// it has none, its words.
    fn segment<R: AddrRewrite>(
        &mut self,
        r: &mut R,
        rules: PathRules,
        start: usize,
        end: usize,
        out: &mut Vec<u8>,
    ) {
        // E-mail addresses and JWTs first: a word class must not take the
        // local part of an address and leave its domain behind.
        let before = self.flushed;
        if rules.has(PathRules::EMAIL) || rules.has(PathRules::JWT) {
            self.tokens(r, rules, start, end, out);
        }
        if self.flushed != before {
            return;
        }
        let stem_end = start + stem_len(&self.s[start..end]);
        let mut w = start;
        while w < stem_end {
            let word_end = self.s[w..stem_end]
                .iter()
                .position(|b| matches!(b, b'-' | b'_' | b'~' | b'+' | b':'))
                .map_or(stem_end, |i| w + i);
            if rules.has(PathRules::UUID) {
                if let Some(u) = uuid_at(self.s, w, stem_end) {
                    self.counts.tokens += 1;
                    self.replace(r, (w, u), b"uuid-redacted", out);
                    w = u + 1;
                    continue;
                }
            }
            let word = &self.s[w..word_end];
            let placeholder: Option<&[u8]> = if rules.has(PathRules::DIGITS)
                && word.len() >= 6
                && word.iter().all(u8::is_ascii_digit)
            {
                Some(b"digits-redacted")
            } else if rules.has(PathRules::HEX)
                && word.len() >= 16
                && word.iter().all(u8::is_ascii_hexdigit)
            {
                Some(b"hex-redacted")
            } else {
                None
            };
            if let Some(p) = placeholder {
                self.counts.tokens += 1;
                self.replace(r, (w, word_end), p, out);
            }
            w = word_end + 1;
        }
    }
}

/// The length of `seg` without its final extension: a `.` and one to five
/// ASCII letters and digits, one of them a letter.
fn stem_len(seg: &[u8]) -> usize {
    match memchr::memrchr(b'.', seg) {
        Some(dot) if dot > 0 => {
            let ext = &seg[dot + 1..];
            let ok = (1..=5).contains(&ext.len())
                && ext.iter().all(u8::is_ascii_alphanumeric)
                && ext.iter().any(u8::is_ascii_alphabetic);
            if ok { dot } else { seg.len() }
        }
        _ => seg.len(),
    }
}

/// The end of a UUID starting at `s[at]` and ending at a word boundary no
/// later than `limit`.
fn uuid_at(s: &[u8], at: usize, limit: usize) -> Option<usize> {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    let mut k = at;
    for (i, n) in GROUPS.into_iter().enumerate() {
        if k + n > limit || !s[k..k + n].iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        k += n;
        if i < 4 {
            if s.get(k) != Some(&b'-') {
                return None;
            }
            k += 1;
        }
    }
    let bounded = k == limit || matches!(s[k], b'-' | b'_' | b'~' | b'+' | b':');
    bounded.then_some(k)
}

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// The span of a JWT starting at `s[at]` (`eyJ`), if it is one.
fn jwt_span(s: &[u8], at: usize) -> Option<(usize, usize)> {
    if at > 0 && is_b64url(s[at - 1]) {
        return None;
    }
    let run = |from: usize| s[from..].iter().take_while(|&&b| is_b64url(b)).count();
    let header = run(at);
    if header < 10 || s.get(at + header) != Some(&b'.') {
        return None;
    }
    let p = at + header + 1;
    let payload = run(p);
    if payload < 2 || s.get(p + payload) != Some(&b'.') {
        return None;
    }
    let mut end = p + payload + 1;
    end += run(end);
    // A JWE has five parts.
    while s.get(end) == Some(&b'.') && s.get(end + 1).is_some_and(|&b| is_b64url(b)) {
        end += 1 + run(end + 1);
    }
    Some((at, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::Truncate;

    fn path(rules: PathRules, p: &str) -> (String, PathCounts) {
        let mut out = Vec::new();
        let c = write_path(
            &mut Truncate::new(24, 48).unwrap(),
            rules,
            p.as_bytes(),
            &mut out,
        );
        (String::from_utf8(out).unwrap(), c)
    }

    const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    const ALL: PathRules = PathRules::DEFAULT
        .with(PathRules::UUID)
        .with(PathRules::HEX)
        .with(PathRules::DIGITS);

    #[test]
    fn defaults_replace_emails_and_jwts() {
        let d = PathRules::DEFAULT;
        let cases = [
            (
                "/unsubscribe/jane@example.com",
                "/unsubscribe/email-redacted",
            ),
            ("/u/jane.doe%40example.co.uk/x", "/u/email-redacted/x"),
            ("/u/JANE%40EXAMPLE.COM", "/u/email-redacted"),
            (&format!("/auth/{JWT}/next")[..], "/auth/jwt-redacted/next"),
            (&format!("/a;t={JWT}")[..], "/a;t=jwt-redacted"),
            (
                "/p/198.51.100.7/jane@example.com",
                "/p/198.51.100.0/email-redacted",
            ),
            // Not e-mail addresses, not JWTs.
            ("/img/logo@2x.png", "/img/logo@2x.png"),
            ("/npm/@scope/pkg@1.2.3", "/npm/@scope/pkg@1.2.3"),
            ("/eyJhbGciOiJIUzI1NiJ9", "/eyJhbGciOiJIUzI1NiJ9"),
            (
                "/xeyJhbGciOiJIUzI1NiJ9.eyJz.x",
                "/xeyJhbGciOiJIUzI1NiJ9.eyJz.x",
            ),
            ("/static/js/app.3f2a9c.js", "/static/js/app.3f2a9c.js"),
            ("/JJJ/eyJ/%4", "/JJJ/eyJ/%4"),
            ("", ""),
        ];
        for (p, want) in cases {
            assert_eq!(path(d, p).0, want, "{p}");
        }
        assert_eq!(
            path(d, "/a/jane@example.com/eyJhbGciOiJIUzI1NiJ9.eyJ9.").1,
            PathCounts {
                addresses: 0,
                emails: 1,
                tokens: 1
            }
        );
    }

    #[test]
    fn none_is_scrub_text() {
        for p in [
            "/u/jane@example.com",
            &format!("/{JWT}")[..],
            "/198.51.100.7/x",
        ] {
            let mut want = Vec::new();
            scrub_text(&mut Truncate::new(24, 48).unwrap(), p.as_bytes(), &mut want);
            assert_eq!(path(PathRules::NONE, p).0.as_bytes(), want, "{p}");
        }
    }

    #[test]
    fn word_classes() {
        let cases = [
            (
                "/o/123e4567-e89b-12d3-a456-426614174000/x",
                "/o/uuid-redacted/x",
            ),
            (
                "/o/123E4567-E89B-12D3-A456-426614174000.json",
                "/o/uuid-redacted.json",
            ),
            (
                "/reset/3f2a9c8b7d6e5f4a3b2c.json",
                "/reset/hex-redacted.json",
            ),
            ("/orders/12345678", "/orders/digits-redacted"),
            ("/user-1234567/a_12345", "/user-digits-redacted/a_12345"),
            ("/a;id=1234567,x", "/a;id=digits-redacted,x"),
            // Fingerprints and versions: a dot keeps a word whole.
            ("/static/js/app.3f2a9c.js", "/static/js/app.3f2a9c.js"),
            (
                "/assets/main.3f2a9c8b7d6e5f4a3b2c.js",
                "/assets/main.3f2a9c8b7d6e5f4a3b2c.js",
            ),
            ("/jquery-3.7.1.min.js", "/jquery-3.7.1.min.js"),
            ("/chunk.123456.js", "/chunk.123456.js"),
            ("/2026/11/22/post", "/2026/11/22/post"),
            ("/v12345678", "/v12345678"),
            ("/3f2a9c8b7d6e5f4", "/3f2a9c8b7d6e5f4"),
            (
                "/u/jane@example.com/12345678",
                "/u/email-redacted/digits-redacted",
            ),
        ];
        for (p, want) in cases {
            assert_eq!(path(ALL, p).0, want, "{p}");
        }
        // Each class only when asked for.
        let p = "/o/123e4567-e89b-12d3-a456-426614174000/3f2a9c8b7d6e5f4a3b2c/12345678";
        assert_eq!(path(PathRules::DEFAULT, p).0, p);
        assert_eq!(
            path(PathRules::UUID, p).0,
            "/o/uuid-redacted/3f2a9c8b7d6e5f4a3b2c/12345678"
        );
        assert_eq!(
            path(PathRules::HEX, p).0,
            "/o/123e4567-e89b-12d3-a456-426614174000/hex-redacted/12345678"
        );
        assert_eq!(
            path(PathRules::DIGITS, p).0,
            // The UUID's last group is a word of twelve digits.
            "/o/123e4567-e89b-12d3-a456-digits-redacted/3f2a9c8b7d6e5f4a3b2c/digits-redacted"
        );
    }
}
