//! Byte-level helpers shared by the scrubber's rules: log escapes, where a
//! value ends, and the plain-text pass that rewrites IP literals.

use memchr::memchr;

use crate::addr::AddrRewrite;

/// ASCII whitespace as it separates tokens in a log line.
#[inline]
pub(super) fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0b' | b'\x0c')
}

/// `s[k]`, or `None` past the end (the end of a slice is the end of the
/// value: callers treat it like whitespace).
#[inline]
fn ends_after(s: &[u8], k: usize, extra: &[u8]) -> bool {
    match s.get(k + 1) {
        None => true,
        Some(&b) => is_ws(b) || extra.contains(&b),
    }
}

/// Whether the raw byte `s[k]` closes a quoted or bracketed string that
/// surrounds a URL or value, rather than being part of it.
///
/// A raw `"` is never valid inside a URL and log writers escape it, so one
/// followed by the end, whitespace or `,;)]}>` (JSON and HTML) closes. A
/// `'`, backtick or `>` may well sit inside a query (`q=it's`), so those
/// close only right before the end or whitespace, where the value ends
/// anyway: that keeps the closing character without letting anything after
/// it survive. Escaped quotes (`\"`, `\x22`) never close: callers skip
/// escapes before asking.
#[inline]
pub(super) fn is_closer(s: &[u8], k: usize) -> bool {
    match s[k] {
        b'"' => ends_after(s, k, b",;)]}>"),
        b'\'' | b'`' | b'>' => ends_after(s, k, b""),
        _ => false,
    }
}

/// Length of the log escape at the start of `s` (which starts with `\`), or
/// 0 if it is not one: nginx's `\xhh` and Apache's `\\`, `\"`, `\b`, `\f`,
/// `\n`, `\r`, `\t`, `\v`.
pub(super) fn escape_len(s: &[u8]) -> usize {
    match s.get(1) {
        Some(b'x') if s.len() >= 4 && s[2].is_ascii_hexdigit() && s[3].is_ascii_hexdigit() => 4,
        Some(b'\\' | b'"' | b'b' | b'f' | b'n' | b'r' | b't' | b'v') => 2,
        _ => 0,
    }
}

/// End of the value that starts at `from`: the first raw whitespace, closer
/// ([`is_closer`]) or byte for which `stop` holds, or the end of `s`.
/// Escapes are stepped over whole, so `\"` and `\x22` never end a value.
#[inline]
pub(super) fn value_end(s: &[u8], from: usize, stop: impl Fn(&[u8], usize) -> bool) -> usize {
    let mut k = from;
    while k < s.len() {
        let b = s[k];
        if b == b'\\' {
            k += escape_len(&s[k..]).max(1);
            continue;
        }
        if is_ws(b) || is_closer(s, k) || stop(s, k) {
            return k;
        }
        k += 1;
    }
    s.len()
}

/// No extra stop: a query or URL runs to whitespace or a closer.
#[inline]
pub(super) fn no_stop(_: &[u8], _: usize) -> bool {
    false
}

/// The first raw `"` at or after `from` that closes ([`is_closer`]), with
/// escapes stepped over.
pub(super) fn closing_quote(s: &[u8], from: usize) -> Option<usize> {
    let mut k = from;
    while k < s.len() {
        match s[k] {
            b'\\' => k += escape_len(&s[k..]).max(1),
            b'"' if is_closer(s, k) => return Some(k),
            _ => k += 1,
        }
    }
    None
}

/// Start of the run of bytes satisfying `f` that ends at `end`, not before
/// `floor`.
#[inline]
pub(super) fn run_start(s: &[u8], floor: usize, end: usize, f: impl Fn(u8) -> bool) -> usize {
    let mut k = end;
    while k > floor && f(s[k - 1]) {
        k -= 1;
    }
    k
}

/// Moves `start`, the start of a run found by looking back, past the body
/// of an escape that the run begins inside: the `x22` of `\x22`, the
/// `u0022` of `\u0022`, the `t` of `\t`, the `22` of `%22`. Without this
/// `\x22sid` would be the name `x22sid`, which hides the `sid`.
pub(super) fn past_escape(s: &[u8], start: usize, end: usize) -> usize {
    let hex = |from: usize, n: usize| {
        s.get(from..from + n)
            .is_some_and(|h| from + n <= end && h.iter().all(u8::is_ascii_hexdigit))
    };
    match start.checked_sub(1).map(|k| s[k]) {
        Some(b'\\') => match s.get(start) {
            Some(b'x') if hex(start + 1, 2) => start + 3,
            Some(b'u') if hex(start + 1, 4) => start + 5,
            Some(b'b' | b'f' | b'n' | b'r' | b't' | b'v') => start + 1,
            _ => start,
        },
        Some(b'%') if hex(start, 2) => start + 2,
        _ => start,
    }
}

/// Runs `scrub_text` on the text between log escapes and returns the
/// number of addresses it rewrote. No address literal contains a `\`, so
/// splitting there never cuts one apart, and the hex digits of an escape
/// such as `\x22` never merge with a following address.
pub(super) fn scrub_piece<R: AddrRewrite>(r: &mut R, piece: &[u8], out: &mut Vec<u8>) -> u32 {
    scrub_piece_keeping(r, piece, out, |_, _, _| false)
}

/// [`scrub_piece`], copying the runs of address characters for which
/// `keep` holds (user-agent product versions) as they are.
pub(super) fn scrub_piece_keeping<R: AddrRewrite>(
    r: &mut R,
    piece: &[u8],
    out: &mut Vec<u8>,
    keep: impl Fn(&[u8], usize, usize) -> bool + Copy,
) -> u32 {
    let scrub_text =
        |r: &mut R, t: &[u8], out: &mut Vec<u8>| crate::addr::scrub_text_keeping(r, t, out, keep);
    let mut n = 0;
    let mut from = 0;
    let mut search = 0;
    while let Some(i) = memchr(b'\\', &piece[search..]) {
        let bs = search + i;
        let len = escape_len(&piece[bs..]);
        if len == 0 {
            search = bs + 1;
            continue;
        }
        n += scrub_text(r, &piece[from..bs], out);
        out.extend_from_slice(&piece[bs..bs + len]);
        from = bs + len;
        search = from;
    }
    n + scrub_text(r, &piece[from..], out)
}

/// The kinds of value end [`Ends`] remembers: each is "the first position
/// at or after the start where …", so a value of a kind that starts inside
/// one already measured ends no later than it.
pub(super) const END_PLAIN: usize = 0;
/// A plain pair value.
pub(super) const END_BARE: usize = 1;
/// A `;jsessionid=` value.
pub(super) const END_SESSION: usize = 2;
/// A header value (to the closing quote).
pub(super) const END_HEADER: usize = 3;
/// A value in `"` quotes.
pub(super) const END_DQ: usize = 4;
/// A value in `'` quotes.
pub(super) const END_SQ: usize = 5;
/// A `[` or `{` value.
pub(super) const END_BRACKET: usize = 6;

/// The last value end measured per kind, as `(start, end)`.
///
/// Inside a removal the scan goes on (muted) to find anything that runs
/// past its end; without this, every `?` in `/?/?/?…` would measure the
/// same query again, and the pass would be quadratic.
#[derive(Default)]
pub(super) struct Ends([(usize, usize); 7]);

impl Ends {
    /// The end of the value of `kind` starting at `from`: the remembered
    /// one when `from` lies inside it (never earlier than the true end,
    /// which is what removal needs), else `measure()`.
    #[inline]
    pub(super) fn get(
        &mut self,
        kind: usize,
        from: usize,
        measure: impl FnOnce() -> usize,
    ) -> usize {
        let (a, b) = self.0[kind];
        if a <= from && from < b {
            return b;
        }
        let e = measure();
        self.0[kind] = (from, e);
        e
    }
}
