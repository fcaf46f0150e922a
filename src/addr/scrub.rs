//! Address literals in free text: each one found is rewritten, or has its
//! digits zeroed when it does not parse but might be an address.

use super::class::{C_DIGIT, C_DOT, C_HEX, class};
use super::{Addr, AddrRewrite, parse_v4, parse_v6, write_addr};
use crate::bytes::sep_block;

/// Lazily copies `text` to `out`: unchanged bytes are copied in one piece
/// when the next replacement (or the end) is reached.
struct Sink<'a> {
    text: &'a [u8],
    out: &'a mut Vec<u8>,
    copied: usize,
    count: u32,
}

impl Sink<'_> {
    #[inline]
    fn flush_to(&mut self, at: usize) {
        crate::bytes::append(self.out, &self.text[self.copied..at]);
    }

    /// Replaces `text[start..end]` by the canonical form of `addr`.
    #[inline]
    fn put_addr(&mut self, start: usize, end: usize, addr: Addr) {
        self.flush_to(start);
        write_addr(addr, self.out);
        self.copied = end;
        self.count += 1;
    }

    /// Replaces every byte of `text[start..end]` whose class has a bit of
    /// `which` by `'0'`, and tells `r` when that changed a byte.
    fn zero<R: AddrRewrite>(&mut self, r: &mut R, start: usize, end: usize, which: u8) {
        self.flush_to(start);
        let run = &self.text[start..end];
        self.out.extend(
            run.iter()
                .map(|&b| if class(b) & which != 0 { b'0' } else { b }),
        );
        if run.iter().any(|&b| class(b) & which != 0 && b != b'0') {
            r.zeroed();
        }
        self.copied = end;
        self.count += 1;
    }
}

/// Finds the IPv6 address in a run: the whole run, or the run without some
/// leading/trailing `.`/`:` characters (which then stay verbatim). Returns
/// the parsed range within the run and the address.
fn find_v6(run: &[u8]) -> Option<(usize, usize, u128)> {
    let is_sep = |b: &u8| matches!(b, b'.' | b':');
    let lead = run.iter().take_while(|b| is_sep(b)).count();
    if lead == run.len() {
        return None;
    }
    let trail = run.iter().rev().take_while(|b| is_sep(b)).count();
    let len = run.len();
    // Starts to try: the run as is, and the run without its leading
    // separators, except that a "::" right before the first digit stays:
    // dropping it would shift the groups to the front of the address, and
    // the kept "::" plus the rewritten text could then spell the original
    // ("::ffff:0:1::ffff:0:0" would become "::" + "ffff:0:1::").
    let keep = if lead >= 2 && run[lead - 2] == b':' && run[lead - 1] == b':' {
        lead - 2
    } else {
        lead
    };
    let starts: &[usize] = if keep == 0 { &[0] } else { &[0, keep] };
    for &lo in starts {
        // Ends from the full run down to the last non-separator; anything
        // longer than 45 bytes cannot parse, so skip those ends outright.
        let top = len.min(lo + 45);
        let bottom = len - trail;
        let mut hi = top;
        while hi >= bottom && hi > lo {
            if let Some(a) = parse_v6(&run[lo..hi]) {
                return Some((lo, hi, a));
            }
            hi -= 1;
        }
    }
    None
}

/// 1-3 decimal digits with a value of at most 255 (leading zeros allowed).
#[inline]
fn is_octet(g: &[u8]) -> bool {
    match g.len() {
        1 | 2 => true,
        3 => (g[0], g[1], g[2]) <= (b'2', b'5', b'5'),
        _ => false,
    }
}

/// True when four consecutive non-empty dot-separated groups g0.g1.g2.g3 have
/// g1 and g2 valid octets: an IPv4 address glued to neighbouring digits or
/// dots (`9203.0.113.9`, `203.0.113.456`, `5.203.0.113.9`) still shows this
/// shape.
/// `s` holds only digits and dots.
fn suspicious_v4(s: &[u8]) -> bool {
    let mut streak = 0u32;
    // Validity of the group one before and two before the current one.
    let (mut prev1, mut prev2) = (false, false);
    for g in s.split(|&b| b == b'.') {
        if g.is_empty() {
            streak = 0;
            prev1 = false;
            prev2 = false;
            continue;
        }
        streak += 1;
        if streak >= 4 && prev1 && prev2 {
            return true;
        }
        prev2 = prev1;
        prev1 = is_octet(g);
    }
    false
}

/// Handles one maximal `[0-9.]` run at `text[start..end]`.
fn scrub_v4_subrun<R: AddrRewrite>(
    r: &mut R,
    sink: &mut Sink<'_>,
    mut start: usize,
    mut end: usize,
) {
    let text = sink.text;
    while start < end && text[start] == b'.' {
        start += 1;
    }
    while end > start && text[end - 1] == b'.' {
        end -= 1;
    }
    let sub = &text[start..end];
    if !sub.contains(&b'.') {
        return;
    }
    if let Some(a) = parse_v4(sub) {
        let new = r.rewrite(Addr::V4(a));
        // `v4:port` whose address became IPv6 (ipcrypt-det): bracket it, so
        // the port does not read as the address's last group.
        let port =
            text.get(end) == Some(&b':') && text.get(end + 1).is_some_and(u8::is_ascii_digit);
        if port && matches!(new, Addr::V6(_)) {
            sink.flush_to(start);
            sink.out.push(b'[');
            write_addr(new, sink.out);
            sink.out.push(b']');
            sink.copied = end;
            sink.count += 1;
        } else {
            sink.put_addr(start, end, new);
        }
    } else if suspicious_v4(sub) {
        sink.zero(r, start, end, C_DIGIT);
    }
}

/// Handles one maximal run of address characters at `text[start..end]`.
fn scrub_run<R: AddrRewrite>(r: &mut R, sink: &mut Sink<'_>, start: usize, end: usize) {
    let run = &sink.text[start..end];
    let mut seen = 0u8;
    let mut colons = 0u32;
    let mut double = false;
    let mut prev_colon = false;
    // Positions plus one, so that 0 means "none".
    let mut last_colon = 0usize;
    let mut last_dot = 0usize;
    let mut dots = 0u32;
    for (i, &b) in run.iter().enumerate() {
        seen |= class(b);
        if b == b':' {
            colons += 1;
            double |= prev_colon;
            prev_colon = true;
            last_colon = i + 1;
        } else {
            prev_colon = false;
            if b == b'.' {
                last_dot = i + 1;
                dots += 1;
            }
        }
    }
    if seen & C_HEX == 0 {
        // Only dots and colons: nothing that could identify anyone.
        return;
    }
    // Six colons and a trailing dotted part is the mixed form
    // "x:x:x:x:x:x:d.d.d.d", which has neither "::" nor seven colons.
    let v6_candidate = double || colons >= 7 || (colons >= 6 && last_dot > last_colon);
    if v6_candidate {
        let keep6 = r.keeps_v6();
        match find_v6(run) {
            Some((lo, hi, a)) => {
                if !keep6 {
                    let new = r.rewrite(Addr::V6(a));
                    sink.put_addr(start + lo, start + hi, new);
                }
                return;
            }
            None if !keep6 => {
                sink.zero(r, start, end, C_HEX);
                return;
            }
            // IPv6 is kept, but this is not a valid IPv6 address, so IPv4
            // literals inside it must still be handled below.
            None => {}
        }
    }
    // A dotted quad and a suspicious window both have at least three dots
    // ("10.0", "537.36" stop here).
    if seen & C_DIGIT == 0 || dots < 3 || r.keeps_v4() {
        return;
    }
    let mut i = 0;
    while i < run.len() {
        if class(run[i]) & (C_DIGIT | C_DOT) == 0 {
            i += 1;
            continue;
        }
        let j = i + run[i..]
            .iter()
            .position(|&b| class(b) & (C_DIGIT | C_DOT) == 0)
            .unwrap_or(run.len() - i);
        scrub_v4_subrun(r, sink, start + i, start + j);
        i = j;
    }
}

/// Copies `text` to `out`, replacing every IPv4 and IPv6 literal inside it by
/// the canonical form ([`write_addr`]) of its rewrite, and returns how many
/// replacements were made. Bytes outside replaced spans are copied unchanged.
///
/// The text is cut into maximal runs of `[0-9A-Fa-f.:]` that contain a `.`
/// or `:`; each run is handled on its own:
/// 1. A run with `::`, at least seven colons, or six colons followed by a
///    dotted part is an IPv6 candidate. If it (or it without some leading or
///    trailing `.`/`:`, which stay verbatim) parses as IPv6, the address is
///    rewritten. Otherwise it is handled fail-closed: every hex digit in the
///    run becomes `0`.
/// 2. Otherwise every maximal `[0-9.]` part of the run, with leading and
///    trailing dots set aside, is examined: a dotted quad (leading zeros
///    allowed) is rewritten; a part that has four consecutive non-empty
///    groups whose middle two are octets (an address glued to other digits,
///    `5.198.51.100.7`) has all its digits replaced by `0`; anything else
///    (`537.36`, `2026.11.22`) is copied.
///
/// Every address found counts, even when its rewritten text equals the
/// original (`Chrome/120.0.0.0` under a /24 truncation counts 1), and every
/// fail-closed replacement counts 1. When `r.keeps_v6()`, valid IPv6
/// addresses are copied verbatim (and not counted) and invalid IPv6
/// candidates go through step 2; when `r.keeps_v4()`, step 2 is skipped; when
/// both hold, `text` is copied unchanged and 0 is returned.
///
/// Guarantee: every dotted-quad IPv4 address and every IPv6 address in the
/// text, even when glued to neighbouring address characters, ends up either
/// rewritten or with its digits zeroed, never copied, unless the rewrite keeps
/// its family unchanged.
pub fn scrub_text<R: AddrRewrite>(r: &mut R, text: &[u8], out: &mut Vec<u8>) -> u32 {
    scrub_text_keeping(r, text, out, |_, _, _| false)
}

/// [`scrub_text`], except that a maximal run of address characters
/// `text[start..end]` for which `keep(text, start, end)` holds is copied
/// verbatim and not counted. `keep` is only asked about runs that
/// [`scrub_text`] would examine, so a field-specific rule (user-agent
/// versions, `anonymize::ua`) costs nothing on the bytes between
/// them and needs no pass of its own.
pub(crate) fn scrub_text_keeping<R, K>(r: &mut R, text: &[u8], out: &mut Vec<u8>, keep: K) -> u32
where
    R: AddrRewrite,
    K: Fn(&[u8], usize, usize) -> bool,
{
    let (keep4, keep6) = (r.keeps_v4(), r.keeps_v6());
    if keep4 && keep6 {
        out.extend_from_slice(text);
        return 0;
    }
    let mut sink = Sink {
        text,
        out,
        copied: 0,
        count: 0,
    };
    // Only some runs can make `scrub_run` do anything; the others are
    // skipped without being delimited:
    // * A run without a ':' is never an IPv6 candidate, so it is handled
    //   only in step 2, and there only a "d.d+.d+.d" chain (three dots, each
    //   between digits, with only digits between them) can be a dotted quad
    //   or a suspicious window; `dotted_chain` looks for one.
    // * A ':' matters when it has an address character next to it (a lone
    //   ':' is a run without hex digits). When IPv6 is kept, a run with
    //   colons still only matters through step 2, so it needs a chain too.
    // * When IPv4 is kept, step 2 is skipped, so only colons matter.
    //
    // `at`: the first byte not yet examined; `done`: end of the last run
    // handled. Runs are only expanded back to `done`; a run handled is
    // always maximal, so this never cuts one short.
    let mut at = 0usize;
    let mut done = 0usize;
    while at < text.len() {
        // Every '.' and ':' of a block of up to 16 bytes at once; anchors
        // that a chain or run examined already (before `at`) are passed.
        let (block, mut seps) = sep_block(text, at);
        while seps != 0 {
            let anchor = block + seps.trailing_zeros() as usize;
            seps &= seps - 1;
            if anchor < at {
                continue;
            }
            at = anchor + 1;
            let before = anchor.checked_sub(1).map_or(0, |i| text[i]);
            let after = text.get(anchor + 1).map_or(0, |&b| b);
            if text[anchor] == b'.' {
                if keep4 || !before.is_ascii_digit() || !after.is_ascii_digit() {
                    continue;
                }
                if let Err(resume) = dotted_chain(text, anchor) {
                    at = resume;
                    continue;
                }
            } else if keep6 || (class(before) | class(after)) == 0 {
                // (0, the stand-in past the edges, is of class 0)
                continue;
            }
            at = handle_run(r, &mut sink, done, anchor, &keep);
            done = at;
        }
        at = at.max(block + 16);
    }
    sink.flush_to(text.len());
    sink.count
}

/// Handles the run around `anchor` (which starts no earlier than `done`)
/// and returns its end. Kept out of line, so that the scan loop of
/// [`scrub_text`], which most texts never leave, stays small.
#[inline(never)]
fn handle_run<R, K>(r: &mut R, sink: &mut Sink<'_>, done: usize, anchor: usize, keep: &K) -> usize
where
    R: AddrRewrite,
    K: Fn(&[u8], usize, usize) -> bool,
{
    let text = sink.text;
    let mut start = anchor;
    while start > done && class(text[start - 1]) != 0 {
        start -= 1;
    }
    let mut end = anchor + 1;
    while end < text.len() && class(text[end]) != 0 {
        end += 1;
    }
    if keep(text, start, end) {
        return end;
    }
    match parse_v4(&text[start..end]) {
        // What `scrub_run` does with a run that is exactly a dotted quad (no
        // colon, one [0-9.] part without outer dots), unless IPv4 is kept.
        Some(a) if !r.keeps_v4() => sink.put_addr(start, end, r.rewrite(Addr::V4(a))),
        _ => scrub_run(r, sink, start, end),
    }
    end
}

/// Looks for a "d.d+.d+.d" chain starting at the dot `text[dot]`, which has
/// a digit on each side: three dots, each followed by a digit, with only
/// digits between them. `Ok` when there is one; otherwise `Err` with the
/// position of the first byte after the digits and dots examined, which
/// starts no chain either (a chain from it would be a tail of this one).
#[inline]
fn dotted_chain(text: &[u8], dot: usize) -> Result<(), usize> {
    let mut i = dot + 1;
    let mut dots = 1;
    loop {
        while i < text.len() && text[i].is_ascii_digit() {
            i += 1;
        }
        let next_digit = text.get(i + 1).is_some_and(u8::is_ascii_digit);
        if text.get(i) != Some(&b'.') || !next_digit {
            return Err(i);
        }
        dots += 1;
        if dots == 3 {
            return Ok(());
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::testutil::*;
    use crate::addr::{LOW32, NAT64_PREFIX};
    use proptest::prelude::*;

    fn scrub(r: &mut impl AddrRewrite, s: &[u8]) -> (Vec<u8>, u32) {
        let mut out = b"prefix|".to_vec();
        let n = scrub_text(r, s, &mut out);
        assert!(out.starts_with(b"prefix|"), "scrub_text must append");
        (out[7..].to_vec(), n)
    }

    #[derive(Debug, Clone)]
    enum Piece {
        Filler(Vec<u8>),
        V4(u32, u8),
        V6(u128, u8, usize, u8),
    }

    fn filler() -> impl Strategy<Value = Vec<u8>> {
        let byte = prop_oneof![
            4 => prop::sample::select(b"abcdefxyzABCDEF0123456789.:/ []%?=&-_,;\t".to_vec()),
            1 => any::<u8>(),
        ];
        prop::collection::vec(byte, 0..6)
    }

    fn piece() -> impl Strategy<Value = Piece> {
        prop_oneof![
            2 => filler().prop_map(Piece::Filler),
            1 => (any_v4(), any::<u8>()).prop_map(|(a, p)| Piece::V4(a, p)),
            1 => (any_v6(), any::<u8>(), any::<usize>(), any::<u8>())
                .prop_map(|(a, s, c, u)| Piece::V6(a, s, c, u)),
        ]
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        memchr::memmem::find(hay, needle).is_some()
    }

    fn strip_class(s: &[u8]) -> Vec<u8> {
        s.iter().copied().filter(|&b| class(b) == 0).collect()
    }

    /// The run splitting of `scrub_text` without anchors or shortcuts:
    /// every maximal run of address characters that holds a '.' or ':'.
    fn scrub_reference<R: AddrRewrite>(r: &mut R, text: &[u8], out: &mut Vec<u8>) -> u32 {
        if r.keeps_v4() && r.keeps_v6() {
            out.extend_from_slice(text);
            return 0;
        }
        let mut sink = Sink {
            text,
            out,
            copied: 0,
            count: 0,
        };
        let mut i = 0;
        while i < text.len() {
            if class(text[i]) == 0 {
                i += 1;
                continue;
            }
            let j = i + text[i..].iter().take_while(|&&b| class(b) != 0).count();
            if text[i..j].iter().any(|&b| b == b'.' || b == b':') {
                scrub_run(r, &mut sink, i, j);
            }
            i = j;
        }
        sink.flush_to(text.len());
        sink.count
    }

    #[test]
    fn family_change_in_text_brackets_ports() {
        let cases: &[(&[u8], &[u8])] = &[
            (
                b"to 198.51.100.7:8080 ok",
                b"to [2001:db8::c633:6407]:8080 ok",
            ),
            (b"to 198.51.100.7 ok", b"to 2001:db8::c633:6407 ok"),
            (b"to 198.51.100.7: ok", b"to 2001:db8::c633:6407: ok"),
            (b"198.51.100.7:x", b"2001:db8::c633:6407:x"),
        ];
        for &(input, want) in cases {
            let (out, n) = scrub(&mut Flip, input);
            assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(want));
            assert_eq!(n, 1);
        }
    }

    #[test]
    fn scrub_text_table() {
        let cases: &[(&[u8], &[u8], u32)] = &[
            (b"", b"", 0),
            (b"no addresses here", b"no addresses here", 0),
            (b"/whois/203.0.113.9?x", b"/whois/203.0.113.0?x", 1),
            (
                b"a 203.0.113.9 b 198.51.100.7",
                b"a 203.0.113.0 b 198.51.100.0",
                2,
            ),
            // Unchanged by truncation, still counted.
            (b"Chrome/120.0.0.0 Safari", b"Chrome/120.0.0.0 Safari", 1),
            (
                b"AppleWebKit/537.36 (KHTML)",
                b"AppleWebKit/537.36 (KHTML)",
                0,
            ),
            (
                b"Windows NT 10.0; rv:109.0",
                b"Windows NT 10.0; rv:109.0",
                0,
            ),
            (b"Chrome/120.0.6099.109", b"Chrome/120.0.6099.109", 0),
            (b"date 2026.11.22 12:34:56", b"date 2026.11.22 12:34:56", 0),
            (b"www.example.com", b"www.example.com", 0),
            (b"http://x/a..b...c", b"http://x/a..b...c", 0),
            (b"mac 00:1a:2b:3c:4d:5e", b"mac 00:1a:2b:3c:4d:5e", 0),
            // Leading zeros are normalized.
            (b"x=198.051.100.007&", b"x=198.51.100.0&", 1),
            // Ports and glued letters do not hide an address.
            (b"203.0.113.9:8080", b"203.0.113.0:8080", 1),
            (b"a203.0.113.9", b"a203.0.113.0", 1),
            (b"cafe203.0.113.9beef", b"cafe203.0.113.0beef", 1),
            (b"203.0.113.9:198.51.100.7", b"203.0.113.0:198.51.100.0", 2),
            // Dots around the address stay verbatim.
            (b"end 203.0.113.9.", b"end 203.0.113.0.", 1),
            (b"...203.0.113.9...", b"...203.0.113.0...", 1),
            // Glued to digits: fail closed.
            (b"9203.0.113.9", b"0000.0.000.0", 1),
            (b"203.0.113.456", b"000.0.000.000", 1),
            (b"5.203.0.113.9", b"0.000.0.000.0", 1),
            (b"v=1203.0.113.91", b"v=0000.0.000.00", 1),
            (b"198.51.100.7203.0.113.9", b"000.00.000.0000.0.000.0", 1),
            (b"198.51.100.7..1", b"000.00.000.0..0", 1),
            (b"198.51.100", b"198.51.100", 0),
            (b"198..51.100.7", b"198..51.100.7", 0),
            (b"198.51.300.7", b"198.51.300.7", 0),
            // IPv6.
            (b"from 2001:db8:1:2::1 to", b"from 2001:db8:1:: to", 1),
            (b"2001:DB8:0:0:0:0:0:1", b"2001:db8::", 1),
            (b"[2001:db8:1:2::1]:443", b"[2001:db8:1::]:443", 1),
            (b"fe80::1%eth0", b"fe80::%eth0", 1),
            (b"ip=::ffff:198.51.100.7;", b"ip=::ffff:198.51.100.0;", 1),
            (b"2001:db8:1:2:3:4:192.0.2.1", b"2001:db8:1::", 1),
            (b"64:ff9b::192.0.2.1", b"64:ff9b::c000:200", 1),
            // Trailing (and leading) separators are trimmed and kept.
            (b"2001:db8:1:2::1.", b"2001:db8:1::.", 1),
            (b"2001:db8:1:2::1:", b"2001:db8:1:::", 1),
            (b"host:2001:db8:1:2::1", b"host:2001:db8:1::", 1),
            (b":::2001:db8:1:2::1", b":::0000:000:0:0::0", 1),
            (b":::2001:db8:1:2:3:4:5", b":0:2001:db8::", 1),
            (b"2001:db8:1::::", b"2001:db8:1::::", 1),
            // Invalid IPv6 candidates: every hex digit zeroed.
            (b"2001:db8::1::2", b"0000:000::0::0", 1),
            (b"2001:db8:1:2:3:4:5:6:7", b"0000:000:0:0:0:0:0:0:0", 1),
            (b"2001:db8::192.0.2.1.5", b"0000:000::000.0.0.0.0", 1),
            (b"::ffff:198.051.100.7", b"::0000:000.000.000.0", 1),
            (b"f2001:db8::1", b"00000:000::0", 1),
            // A leading "::" is never dropped to make a run parse.
            (b"::ffff:0:1::ffff:0:0", b"::0000:0:0::0000:0:0", 1),
            // Skipped anchors never cut a run short.
            (b"ab.cd::1", b"00.00::0", 1),
            (b"a.b198.51.100.7", b"a.b198.51.100.0", 1),
            (b"x.y.2001:db8:1:2::1", b"x.y.2001:db8:1::", 1),
            // Runs of only separators are not addresses.
            (b"a :: b ::: c", b"a :: b ::: c", 0),
            // Non-UTF-8 bytes pass through.
            (b"\xff203.0.113.9\xfe", b"\xff203.0.113.0\xfe", 1),
        ];
        for &(input, want, n) in cases {
            let (out, got_n) = scrub(&mut t(24, 48), input);
            let shown = String::from_utf8_lossy(input);
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(want),
                "{shown}"
            );
            assert_eq!(out, want, "{shown}");
            assert_eq!(got_n, n, "count for {shown}");
        }
    }

    #[test]
    fn scrub_text_respects_keep_flags() {
        let text: &[u8] = b"a 203.0.113.9 b 2001:db8:1:2::1 c 2001:db8::1::2 d 198.51.100.7.5";
        // (32, 128): byte-identical.
        let (out, n) = scrub(&mut t(32, 128), text);
        assert_eq!((out.as_slice(), n), (text, 0));
        // (32, 48): IPv4 kept, IPv6 rewritten and invalid IPv6 zeroed.
        let (out, n) = scrub(&mut t(32, 48), text);
        assert_eq!(
            out,
            b"a 203.0.113.9 b 2001:db8:1:: c 0000:000::0::0 d 198.51.100.7.5"
        );
        assert_eq!(n, 2);
        // IPv6 kept, IPv4 not: valid IPv6 copied, IPv4 inside an invalid
        // IPv6 candidate is still found.
        let mut r = KeepV6Only(t(24, 48));
        let (out, n) = scrub(
            &mut r,
            b"2001:db8:1:2::1 x 2001:db8::1::198.51.100.7 y 203.0.113.9",
        );
        assert_eq!(
            out,
            b"2001:db8:1:2::1 x 2001:db8::1::198.51.100.0 y 203.0.113.0"
        );
        assert_eq!(n, 2);
    }

    #[test]
    fn scrub_text_identity_canonicalizes() {
        let (out, n) = scrub(&mut Identity, b"2001:DB8:0:0::1 198.051.100.010");
        assert_eq!(out, b"2001:db8::1 198.51.100.10");
        assert_eq!(n, 2);
    }

    #[test]
    fn scrub_text_block_edges() {
        // Addresses and chains across the 16-byte blocks of the scan and at
        // the ends of texts of every length.
        let pieces: &[&[u8]] = &[
            b"203.0.113.9",
            b"1.2.3",
            b"1.2.3.4.5",
            b"2001:db8::1",
            b"a:b",
            b"x.y",
        ];
        for piece in pieces {
            for before in 0..40 {
                for after in 0..20 {
                    let mut text = vec![b'x'; before];
                    text.extend_from_slice(piece);
                    text.extend(std::iter::repeat_n(b'/', after));
                    let (mut a, mut b) = (Vec::new(), Vec::new());
                    let na = scrub_text(&mut t(24, 48), &text, &mut a);
                    let nb = scrub_reference(&mut t(24, 48), &text, &mut b);
                    assert_eq!((na, &a), (nb, &b), "{:?}", String::from_utf8_lossy(&text));
                }
            }
        }
    }

    proptest! {
        #[test]
        fn prop_scrub_matches_reference(
            text in prop::collection::vec(prop_oneof![
                4 => prop::sample::select(b"0123456789abcdefABCDEF.:.:xyz/ ".to_vec()),
                1 => any::<u8>(),
            ], 0..200),
            p4 in prop::sample::select(vec![0u8, 8, 24, 32]),
            p6 in prop::sample::select(vec![0u8, 48, 64, 128]),
        ) {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            let na = scrub_text(&mut t(p4, p6), &text, &mut a);
            let nb = scrub_reference(&mut t(p4, p6), &text, &mut b);
            prop_assert_eq!((na, &a), (nb, &b));
            let (mut a, mut b) = (Vec::new(), Vec::new());
            let na = scrub_text(&mut KeepV6Only(t(24, 48)), &text, &mut a);
            let nb = scrub_reference(&mut KeepV6Only(t(24, 48)), &text, &mut b);
            prop_assert_eq!((na, &a), (nb, &b));
        }

        #[test]
        fn prop_scrub_hides_addresses(pieces in prop::collection::vec(piece(), 0..12)) {
            let mut text = Vec::new();
            // (spelling, text of its truncation, end offset in `text`, NAT64?)
            let mut spellings: Vec<(String, String, usize, bool)> = Vec::new();
            let mut r = t(24, 48);
            for p in &pieces {
                match p {
                    Piece::Filler(f) => text.extend_from_slice(f),
                    Piece::V4(a, pad) => {
                        let s = spell_v4(*a, *pad);
                        let tr = addr_text(r.rewrite(Addr::V4(*a)));
                        text.extend_from_slice(s.as_bytes());
                        spellings.push((s, tr, text.len(), false));
                    }
                    Piece::V6(a, st, c, u) => {
                        let s = spell_v6(*a, *st, *c, *u);
                        let tr = addr_text(r.rewrite(Addr::V6(*a)));
                        text.extend_from_slice(s.as_bytes());
                        let nat64 = *a & !LOW32 == NAT64_PREFIX;
                        spellings.push((s, tr, text.len(), nat64));
                    }
                }
            }
            let mut out = Vec::new();
            scrub_text(&mut r, &text, &mut out);
            for (s, tr, end, nat64) in &spellings {
                // A spelling whose digits are all zero survives fail-closed
                // zeroing as itself, but then it reveals nothing.
                let all_zero = s.bytes().all(|b| class(b) & C_HEX == 0 || b == b'0');
                // Hex digits glued after a NAT64 address make a different
                // NAT64 address (64:ff9b::3f3f:470 + "a"); its truncation
                // keeps 24 bits of the IPv4 part, which is not a whole hex
                // group, so its text can start with the original spelling
                // ("64:ff9b::3f3f:4700"). What is written is the truncation
                // of the address that is really in the text.
                let glued_nat64 = *nat64 && text.get(*end).is_some_and(|&b| class(b) & C_HEX != 0);
                if *s != *tr && !all_zero && !glued_nat64 {
                    prop_assert!(
                        !contains(&out, s.as_bytes()),
                        "{} survived in {:?} -> {:?}", s,
                        String::from_utf8_lossy(&text), String::from_utf8_lossy(&out)
                    );
                }
            }
        }

        #[test]
        fn prop_scrub_only_touches_runs(text in prop::collection::vec(prop_oneof![
            3 => prop::sample::select(b"0123456789abcdefABCDEF.:xyz/ ".to_vec()),
            1 => any::<u8>(),
        ], 0..200)) {
            let mut out = Vec::new();
            let n = scrub_text(&mut t(24, 48), &text, &mut out);
            // Non-address bytes are copied in order; replacements consist of
            // address characters only.
            prop_assert_eq!(strip_class(&out), strip_class(&text));
            if n == 0 {
                prop_assert_eq!(&out, &text);
            }
            let mut same = Vec::new();
            prop_assert_eq!(scrub_text(&mut t(32, 128), &text, &mut same), 0);
            prop_assert_eq!(&same, &text);
        }

        #[test]
        fn prop_scrub_never_panics(
            text in prop::collection::vec(any::<u8>(), 0..300), p4 in 0u8..=32, p6 in 0u8..=128,
        ) {
            let mut out = Vec::new();
            let n = scrub_text(&mut t(p4, p6), &text, &mut out);
            prop_assert_eq!(strip_class(&out), strip_class(&text));
            if n == 0 {
                prop_assert_eq!(&out, &text);
            }
        }

        #[test]
        fn prop_scrub_dotted_matches_reference(
            pieces in prop::collection::vec(prop_oneof![
                6 => "[0-9]{1,4}",
                4 => prop::sample::select(vec![".", ".", "..", ":", "::", "a", "f:", " ", "/"])
                    .prop_map(String::from),
            ], 0..40),
        ) {
            let text = pieces.concat().into_bytes();
            for (p4, p6) in [(24, 48), (32, 48), (24, 128), (32, 128), (0, 0)] {
                let (mut a, mut b) = (Vec::new(), Vec::new());
                let na = scrub_text(&mut t(p4, p6), &text, &mut a);
                let nb = scrub_reference(&mut t(p4, p6), &text, &mut b);
                prop_assert_eq!((na, &a), (nb, &b), "({}, {})", p4, p6);
            }
            let (mut a, mut b) = (Vec::new(), Vec::new());
            let na = scrub_text(&mut KeepV6Only(t(24, 48)), &text, &mut a);
            let nb = scrub_reference(&mut KeepV6Only(t(24, 48)), &text, &mut b);
            prop_assert_eq!((na, &a), (nb, &b));
            let (mut a, mut b) = (Vec::new(), Vec::new());
            let na = scrub_text(&mut Identity, &text, &mut a);
            let nb = scrub_reference(&mut Identity, &text, &mut b);
            prop_assert_eq!((na, &a), (nb, &b));
        }

        #[test]
        fn prop_scrub_without_anchor_is_identity(
            text in prop::collection::vec(
                any::<u8>().prop_map(|b| if b == b'.' || b == b':' { b'x' } else { b }),
                0..200,
            ),
        ) {
            let mut out = Vec::new();
            prop_assert_eq!(scrub_text(&mut Identity, &text, &mut out), 0);
            prop_assert_eq!(&out, &text);
        }
    }
}
