//! Credential- and session-like `name=value` and `name: value` pairs: which
//! names are secret, and how far their value runs.

use super::text::{
    END_BARE, END_BRACKET, END_DQ, END_HEADER, END_SQ, Ends, closing_quote, escape_len, is_ws,
    past_escape, run_start, value_end,
};
use super::{Cursor, Scrubber};
use crate::addr::AddrRewrite;

/// Matched anywhere in a name, ASCII case-insensitively: these words are
/// long or specific enough that a name containing them names a secret
/// (`access_token`, `PHPSESSID`, `X-CSRF-Token`, `Proxy-Authorization`,
/// `oauth_verifier`, `client_secret`, `user_password`, `apikey`).
const ANYWHERE: &[&[u8]] = &[
    b"session",
    b"sessid",
    b"token",
    b"passw",
    b"passphrase",
    b"passcode",
    b"secret",
    b"auth",
    b"apikey",
    b"jwt",
    b"csrf",
    b"xsrf",
    b"cookie",
    b"username",
    b"userid",
    b"email",
    b"credential",
    b"signature",
];

/// Matched only as a whole part of a name (parts are split at `_`, `-`,
/// `.`, `[`, `]` and lower-to-upper case changes): short words that occur
/// inside harmless names (`sid` in `inside`, `key` in `monkey`, `pin` in
/// `mapping`, `user` in `users`).
const PARTS: &[&[u8]] = &[
    b"sid", b"key", b"pwd", b"pw", b"pass", b"passwd", b"user", b"uid", b"login", b"mail", b"otp",
    b"pin", b"sig", b"ticket",
];

/// Bytes of a pair's name.
#[inline]
pub(super) fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'[' | b']')
}

/// How much of the value goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Secret {
    /// Not a secret name.
    No,
    /// The value up to the usual end of a value.
    Value,
    /// A `Cookie:`, `Set-Cookie:` or `Authorization:` header: its value
    /// holds spaces and `;`, so all of it goes, up to the closing quote or
    /// the end.
    Header,
}

fn contains_ci(hay: &[u8], word: &[u8]) -> bool {
    hay.windows(word.len())
        .any(|w| w.eq_ignore_ascii_case(word))
}

/// Classifies a pair name (`sep` is `=` or `:`).
pub(super) fn classify(name: &[u8], sep: u8) -> Secret {
    let secret = ANYWHERE.iter().any(|w| contains_ci(name, w)) || has_part(name);
    if !secret {
        Secret::No
    } else if sep == b':' && (contains_ci(name, b"cookie") || contains_ci(name, b"authorization")) {
        Secret::Header
    } else {
        Secret::Value
    }
}

/// Whether a part of `name` is one of [`PARTS`]. The `user` of
/// `User-Agent` (`user_agent`, `userAgent`) does not count: the agent
/// string is no credential and is what a debugger most wants to see.
fn has_part(name: &[u8]) -> bool {
    let mut parts = Parts { s: name, at: 0 }.peekable();
    while let Some(p) = parts.next() {
        if PARTS.iter().any(|w| p.eq_ignore_ascii_case(w)) {
            let agent = p.eq_ignore_ascii_case(b"user")
                && parts
                    .peek()
                    .is_some_and(|n| n.eq_ignore_ascii_case(b"agent"));
            if !agent {
                return true;
            }
        }
    }
    false
}

/// The parts of a name: maximal runs of letters and digits, also split
/// where a lower-case letter is followed by an upper-case one.
struct Parts<'a> {
    s: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Parts<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let s = self.s;
        while self.at < s.len() && !s[self.at].is_ascii_alphanumeric() {
            self.at += 1;
        }
        if self.at == s.len() {
            return None;
        }
        let start = self.at;
        self.at += 1;
        while self.at < s.len()
            && s[self.at].is_ascii_alphanumeric()
            && !(s[self.at].is_ascii_uppercase() && s[self.at - 1].is_ascii_lowercase())
        {
            self.at += 1;
        }
        Some(&s[start..self.at])
    }
}

/// The name before the separator at `sep` (`=` or `:`), not before
/// `floor`: `(start, end, quoted)`. Blanks between name and separator are
/// allowed (`password = x`); a name in quotes (`"token":`) is quoted.
pub(super) fn name_before(s: &[u8], floor: usize, sep: usize) -> (usize, usize, bool) {
    let mut end = run_start(s, floor, sep, |b| b == b' ' || b == b'\t');
    let quote = match end.checked_sub(1).map(|k| s[k]) {
        Some(q @ (b'"' | b'\'')) if end - 1 > floor => Some(q),
        _ => None,
    };
    if quote.is_some() {
        end -= 1;
    }
    let start = past_escape(s, run_start(s, floor, end, is_name_byte), end);
    // In `x"token"=` the quotes do not open at the name, but the name is
    // still `token`: reading it as no name at all would keep the value.
    let quoted = quote.is_some_and(|q| start > floor && s[start - 1] == q);
    (start, end, quoted)
}

/// The value after a separator: the bytes `content_start..content_end`
/// are replaced by `replacement` (`-`; inside quotes, which stay, `-`;
/// `["-"]` or `[-]` for an array; `"-"` or `-` for an object).
pub(super) struct Value {
    pub content_start: usize,
    pub content_end: usize,
    /// Bytes written in place of `content_start..content_end`.
    pub replacement: &'static [u8],
}

/// Where the value of a secret pair runs, starting at `from`, or after
/// blanks there when `blanks` (`name: value`, `name = value`; in
/// `name= x` the value is empty).
///
/// - A quoted value (`"…"`, `'…'`) runs to its matching unescaped quote
///   that is followed by the end or a byte that is no letter or digit (so
///   `'it's'` is one value); the quotes stay.
/// - `[…]` and `{…}` run to their matching bracket, quoted strings
///   skipped (a JSON array or object under a secret name goes whole).
/// - A header value ([`Secret::Header`]) runs to the next closing quote or
///   the end.
/// - Anything else runs to whitespace, a closer, `&`, `;` or `,`, or a
///   `)`, `]`, `}` that is followed by the end, whitespace, or `,;"'`.
pub(super) fn value_at(
    s: &[u8],
    from: usize,
    blanks: bool,
    kind: Secret,
    quoted_name: bool,
    ends: &mut Ends,
) -> Value {
    let start = if blanks { skip_blanks(s, from) } else { from };
    let value = |content_start, content_end, replacement| Value {
        content_start,
        content_end,
        replacement,
    };
    match s.get(start) {
        Some(&q @ (b'"' | b'\'')) => {
            let k = if q == b'"' { END_DQ } else { END_SQ };
            let end = ends.get(k, start + 1, || quoted_end(s, start + 1, q));
            value(start + 1, end, b"-")
        }
        Some(b'[') => {
            let end = ends.get(END_BRACKET, start, || bracket_end(s, start, b'[', b']'));
            let inner_quoted = s.get(start + 1) == Some(&b'"');
            value(start, end, if inner_quoted { b"[\"-\"]" } else { b"[-]" })
        }
        Some(b'{') => {
            let end = ends.get(END_BRACKET, start, || bracket_end(s, start, b'{', b'}'));
            value(start, end, if quoted_name { b"\"-\"" } else { b"-" })
        }
        _ if kind == Secret::Header => {
            let end = ends.get(END_HEADER, start, || {
                closing_quote(s, start).unwrap_or(s.len())
            });
            value(start, end, b"-")
        }
        _ => {
            let end = ends.get(END_BARE, start, || value_end(s, start, bare_stop));
            value(start, end, b"-")
        }
    }
}

/// Skips blanks (spaces and tabs) from `from`.
fn skip_blanks(s: &[u8], from: usize) -> usize {
    let mut k = from;
    while k < s.len() && (s[k] == b' ' || s[k] == b'\t') {
        k += 1;
    }
    k
}

fn bare_stop(s: &[u8], k: usize) -> bool {
    match s[k] {
        b'&' | b';' | b',' => true,
        b')' | b']' | b'}' => s
            .get(k + 1)
            .is_none_or(|&b| is_ws(b) || matches!(b, b',' | b';' | b'"' | b'\'')),
        _ => false,
    }
}

/// End (exclusive, the position of the closing quote) of a string opened
/// by `q` before `from`; the end of `s` if it is never closed.
fn quoted_end(s: &[u8], from: usize, q: u8) -> usize {
    let mut k = from;
    while k < s.len() {
        let b = s[k];
        if b == b'\\' {
            k += escape_len(&s[k..]).max(1);
            continue;
        }
        if b == q && s.get(k + 1).is_none_or(|n| !n.is_ascii_alphanumeric()) {
            return k;
        }
        k += 1;
    }
    s.len()
}

/// End (exclusive, after the closing bracket) of the bracketed value that
/// opens at `start`, skipping quoted strings; the end of `s` if unclosed.
fn bracket_end(s: &[u8], start: usize, open: u8, close: u8) -> usize {
    let mut depth = 0usize;
    let mut k = start;
    while k < s.len() {
        match s[k] {
            b'\\' => {
                k += escape_len(&s[k..]).max(1);
                continue;
            }
            b'"' => {
                k = quoted_end(s, k + 1, b'"') + 1;
                continue;
            }
            b if b == open => depth += 1,
            b if b == close => {
                depth -= 1;
                if depth == 0 {
                    return k + 1;
                }
            }
            _ => {}
        }
        k += 1;
    }
    s.len()
}

/// Whether a value is nothing to remove: empty, `-`, or an empty or
/// `-` string or array.
pub(super) fn is_blank(v: &[u8]) -> bool {
    matches!(
        v,
        b"" | b"-" | b"\"\"" | b"\"-\"" | b"[]" | b"[-]" | b"[\"-\"]" | b"{}"
    )
}

/// Whether `s` starts with a port: 1 to 5 digits not followed by a letter
/// or digit.
fn is_port(s: &[u8]) -> bool {
    let n = s.iter().take_while(|b| b.is_ascii_digit()).count();
    (1..=5).contains(&n) && s.get(n).is_none_or(|b| !b.is_ascii_alphanumeric())
}

impl<R: AddrRewrite> Scrubber<'_, R> {
    /// A `=` or `:` at `c.i` that may end a credential name: removes the
    /// value if the name is secret.
    ///
    /// The name is read from the input, not only from pending bytes: a cut
    /// that ended at the blank before `= value` removed the name but not
    /// the value, which still has to go.
    pub(super) fn pair(&mut self, c: &mut Cursor<'_>) {
        let (s, sep) = (c.s, c.i);
        let (ns, ne, quoted) = name_before(s, 0, sep);
        let name = &s[ns..ne];
        let host_port = s[sep] == b':' && !quoted && name.contains(&b'.') && is_port(&s[sep + 1..]);
        let kind = if name.is_empty() || host_port {
            Secret::No
        } else {
            classify(name, s[sep])
        };
        if kind == Secret::No {
            c.i += 1;
            return;
        }
        let blanks = s[sep] == b':' || (sep > 0 && matches!(s[sep - 1], b' ' | b'\t'));
        let v = value_at(s, sep + 1, blanks, kind, quoted, &mut c.ends);
        if is_blank(&s[v.content_start..v.content_end]) {
            c.i += 1;
            return;
        }
        self.flush(c, v.content_start);
        self.out.extend_from_slice(v.replacement);
        self.counts.secrets += 1;
        self.cut(c, v.content_start, v.content_end);
    }
}
