//! E-mail addresses, plain (`jane@example.com`) and percent-encoded
//! (`jane%40example.com`).

use super::encoded::encoded_sep;
use super::text::{past_escape, run_start};
use super::{Cursor, Scrubber};
use crate::addr::AddrRewrite;

/// What an e-mail address is replaced by: valid in a URL path and in a
/// header, and not itself an address, so a second pass leaves it alone.
pub(crate) const PLACEHOLDER: &[u8] = b"email-redacted";

/// Bytes of a local part as the scrubber reads it. Wider than what mail
/// systems produce in practice only by `%`, so that an encoded local part
/// (`jane%2Bdoe`) is masked whole instead of leaving its head behind.
#[inline]
fn is_local_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-' | b'%')
}

/// The span of the e-mail address whose `@` (or `%40`, `at_len` 3) is at
/// `s[at..]`, if there is one; its local part starts no earlier than
/// `floor`.
///
/// An address is a local part with at least one letter or digit, and a
/// domain of two or more non-empty labels of `[A-Za-z0-9-]` (dots may be
/// encoded) whose last label starts with two or more ASCII letters; the
/// address ends after them. Not addresses:
/// `@scope/pkg`, `pkg@1.2.3`, `user@localhost`, and the image-density
/// suffix `logo@2x.png` (a first label of digits and `x`).
pub(crate) fn email_span(
    s: &[u8],
    floor: usize,
    at: usize,
    at_len: usize,
) -> Option<(usize, usize)> {
    let start = past_escape(s, run_start(s, floor, at, is_local_byte), at);
    if !s[start..at].iter().any(u8::is_ascii_alphanumeric) {
        return None;
    }
    let from = at + at_len;
    let mut k = from;
    let mut labels = 0;
    // (start, end) of the first and of the last label.
    let mut first = (from, from);
    // End of the address if the domain ended at the latest label so far
    // that can end it: one after the first that starts with two letters.
    // Taking only the letters (`com` of `example.com-http://…` or of
    // `example.com-198%2E51…`) leaves what follows to the other rules.
    let mut best = None;
    let alpha = |l: usize, e: usize| {
        s[l..e]
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count()
    };
    loop {
        let label = k;
        while k < s.len() && (s[k].is_ascii_alphanumeric() || s[k] == b'-') {
            k += 1;
        }
        // A label never ends with `-`: `jane@example.com-` ends before it.
        while k > label && s[k - 1] == b'-' {
            k -= 1;
        }
        if k == label {
            break;
        }
        labels += 1;
        if labels == 1 {
            first = (label, k);
        }
        if labels >= 2 && alpha(label, k) >= 2 {
            best = Some(label + alpha(label, k));
        }
        let dot = match s.get(k) {
            Some(b'.') => 1,
            Some(b'%') => match encoded_sep(s, k) {
                Some((b'.', n)) => n,
                _ => break,
            },
            _ => break,
        };
        let next = s.get(k + dot);
        if !next.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'-') {
            break;
        }
        k += dot;
    }
    let density = {
        let f = &s[first.0..first.1];
        f.len() >= 2
            && f[f.len() - 1].eq_ignore_ascii_case(&b'x')
            && f[..f.len() - 1].iter().all(u8::is_ascii_digit)
    };
    best.filter(|_| !density).map(|end| (start, end))
}

impl<R: AddrRewrite> Scrubber<'_, R> {
    /// An `@` (`at_len` 1) or `%40` (3) at `c.i`.
    pub(super) fn email(&mut self, c: &mut Cursor<'_>, at_len: usize) {
        match email_span(c.s, c.flushed, c.i, at_len) {
            Some((start, end)) => {
                self.flush(c, start);
                self.out.extend_from_slice(PLACEHOLDER);
                self.counts.emails += 1;
                Self::skip(c, end);
            }
            None => c.i += at_len,
        }
    }
}
