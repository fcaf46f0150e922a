//! IP literals spelled with encoded separators: `198%2E51%2E100%2E7`,
//! `2001%3Adb8%3A%3A1`, double-encoded `%252E`, and the `\x2e` / `\u002e`
//! escapes of nginx and JSON writers.

use super::{Cursor, Scrubber};
use crate::addr::{AddrRewrite, scrub_text};

/// Longest decoded run parsed as text. An address with brackets, zone and
/// port is under 64 bytes; a longer run of address characters is not one
/// address, and is zeroed instead of parsed.
pub(super) const RUN_MAX: usize = 96;

/// The separator an encoding at `s[i..]` stands for (`.` or `:`) and the
/// encoding's length: `%2E` `%3A` (3), `%252E` `%253A` (5), `\x2e` `\x3a`
/// (4), `\u002e` `\u003a` (6), hex digits in either case.
#[inline]
pub(super) fn encoded_sep(s: &[u8], i: usize) -> Option<(u8, usize)> {
    let hex2 = |at: usize| -> Option<u8> {
        match s.get(at..at + 2)? {
            [b'2', b'e' | b'E'] => Some(b'.'),
            [b'3', b'a' | b'A'] => Some(b':'),
            _ => None,
        }
    };
    match (s[i], s.get(i + 1)) {
        (b'%', _) => hex2(i + 1).map(|c| (c, 3)).or_else(|| {
            // `%25` is an encoded `%`: `%252E` is a `%2E` encoded again.
            (s.get(i + 1..i + 3) == Some(b"25"))
                .then(|| hex2(i + 3).map(|c| (c, 5)))
                .flatten()
        }),
        (b'\\', Some(b'x')) => hex2(i + 2).map(|c| (c, 4)),
        (b'\\', Some(b'u')) if s.get(i + 2..i + 4) == Some(b"00") => hex2(i + 4).map(|c| (c, 6)),
        _ => None,
    }
}

/// Bytes that can be part of a textual IP address.
#[inline]
pub(super) fn is_addr_byte(b: u8) -> bool {
    b.is_ascii_hexdigit() || b == b'.' || b == b':'
}

/// Whether `s[k]` is one of the hex digits of a `%hh`, `\xhh` or `\uhhhh`
/// escape. Such digits belong to the escape, not to an address run: the
/// `5B` of `%5B2001` or the `20` of `%20198` must not be read as part of
/// `2001` or `198`.
#[inline]
pub(super) fn in_escape(s: &[u8], k: usize) -> bool {
    let at = |j: usize, b: u8| s.get(j) == Some(&b);
    let hex = |j: usize| s[j].is_ascii_hexdigit();
    // `%h` / `\xh` (k is the first digit) and `%hh` / `\xhh` (the second).
    if k >= 1 && (at(k - 1, b'%') || (k >= 2 && at(k - 1, b'x') && at(k - 2, b'\\'))) {
        return true;
    }
    if k >= 2 && hex(k - 1) && (at(k - 2, b'%') || (k >= 3 && at(k - 2, b'x') && at(k - 3, b'\\')))
    {
        return true;
    }
    // `\uhhhh`: k is digit 1..=4.
    (1..=4).any(|d| k > d && at(k - d, b'u') && at(k - d - 1, b'\\') && (k - d + 1..k).all(hex))
}

/// The run of address bytes and encoded separators around the encoding at
/// `s[at..]`: starts no earlier than `floor`, and returns `(start, end,
/// decoded, len)` with the decoded text in `decoded[..len]`, or `len >
/// RUN_MAX` (and a partial buffer) when the run is too long to be one
/// address.
pub(super) fn encoded_run(
    s: &[u8],
    floor: usize,
    at: usize,
) -> (usize, usize, [u8; RUN_MAX], usize) {
    let mut start = at;
    while start > floor && is_addr_byte(s[start - 1]) && !in_escape(s, start - 1) {
        start -= 1;
    }
    let mut buf = [0u8; RUN_MAX];
    let mut len = 0;
    let mut push = |b: u8, len: &mut usize| {
        if *len < RUN_MAX {
            buf[*len] = b;
        }
        *len += 1;
    };
    for &b in &s[start..at] {
        push(b, &mut len);
    }
    let mut end = at;
    while end < s.len() {
        if let Some((c, n)) = encoded_sep(s, end) {
            push(c, &mut len);
            end += n;
        } else if is_addr_byte(s[end]) {
            push(s[end], &mut len);
            end += 1;
        } else {
            break;
        }
    }
    (start, end, buf, len)
}

/// Copies the run `s[start..end]` with every hex digit outside an encoding
/// replaced by `0`: the fail-closed form of a run too long to parse.
pub(super) fn zero_run(s: &[u8], start: usize, end: usize, out: &mut Vec<u8>) -> bool {
    let mut k = start;
    let mut changed = false;
    while k < end {
        if let Some((_, n)) = encoded_sep(s, k) {
            out.extend_from_slice(&s[k..k + n]);
            k += n;
        } else {
            let hex = s[k].is_ascii_hexdigit();
            changed |= hex && s[k] != b'0';
            out.push(if hex { b'0' } else { s[k] });
            k += 1;
        }
    }
    changed
}

impl<R: AddrRewrite> Scrubber<'_, R> {
    pub(super) fn percent(&mut self, c: &mut Cursor<'_>) {
        if c.s[c.i + 1..].starts_with(b"40") {
            self.email(c, 3);
        } else if encoded_sep(c.s, c.i).is_some() {
            self.encoded(c);
        } else {
            c.i += 1;
        }
    }

    /// An encoded `.` or `:` at `c.i`.
    pub(super) fn encoded(&mut self, c: &mut Cursor<'_>) {
        let (start, end, buf, len) = encoded_run(c.s, c.flushed, c.i);
        if len > RUN_MAX {
            self.flush(c, start);
            if zero_run(c.s, start, end, self.out) {
                self.r.zeroed();
            }
            self.counts.addresses += 1;
            Self::skip(c, end);
            return;
        }
        // A trial rewrite at the end of `out`: a run without an address
        // stays pending, so that a later rule can still claim it (the
        // `jane%2Edoe` of `jane%2Edoe@example.com`).
        let mark = self.out.len();
        let n = scrub_text(self.r, &buf[..len], self.out);
        if n == 0 {
            self.out.truncate(mark);
            c.i = end;
            return;
        }
        // Put the pending bytes before the rewritten run. Each byte is
        // rotated at most once, as both are written now.
        let run_len = self.out.len() - mark;
        self.flush(c, start);
        self.out[mark..].rotate_left(run_len);
        self.counts.addresses += n;
        Self::skip(c, end);
    }
}
