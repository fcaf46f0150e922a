//! Exact parsers of IPv4 and IPv6 text, accepting what std accepts.

use crate::bytes::byte_masks;

const NOT_HEX: u8 = 0xff;

/// Value of a hex digit, or `NOT_HEX`.
static HEX_VAL: [u8; 256] = {
    let mut t = [NOT_HEX; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// Exact parse of a dotted-quad IPv4 address: four decimal octets 0..=255,
/// each 1-3 digits (leading zeros allowed and read as decimal, so `"010"` is
/// 10), separated by single dots, and nothing else (no whitespace, no port).
/// Returns the address as a big-endian integer, or `None`.
///
/// Branch-free apart from the length check and the verdict, so that octets
/// of varying lengths cost no mispredicted branches: the text is read as
/// two overlapping 8-byte words, whose `ByteMasks` give the positions of
/// the dots; each octet is then read backwards from the dot after it.
#[inline]
pub fn parse_v4(s: &[u8]) -> Option<u32> {
    parse_dotted::<false>(s)
}

/// [`parse_v4`] that also rejects leading zeros ("01"), which is what std
/// does for an IPv4 address embedded in IPv6 text, and what Python's
/// `ipaddress` does for any IPv4 address.
#[inline]
pub fn parse_v4_strict(s: &[u8]) -> Option<u32> {
    parse_dotted::<true>(s)
}

/// [`parse_v4`], and [`parse_v4_strict`] when `STRICT`.
#[inline(always)]
fn parse_dotted<const STRICT: bool>(s: &[u8]) -> Option<u32> {
    let n = s.len();
    if !(7..=15).contains(&n) {
        return None;
    }
    // `lo` is s[0..8] and `hi` is s[hi_at..n]; when n is 7 both are s[0..7]
    // and a zero byte.
    let (lo, hi, hi_at) = if n >= 8 {
        let lo = u64::from_le_bytes(s[..8].try_into().unwrap());
        let hi = u64::from_le_bytes(s[n - 8..].try_into().unwrap());
        (lo, hi, n - 8)
    } else {
        let a = u32::from_le_bytes(s[..4].try_into().unwrap());
        let b = u32::from_le_bytes(s[3..7].try_into().unwrap());
        let w = u64::from(a) | u64::from(b) << 24;
        (w, w, 0)
    };
    let m = byte_masks(lo, hi);
    // Bit k for s[k], k < n.
    let spread = |x: u32| (x & 0xff) | (x >> 8) << hi_at;
    let dots = spread(m.dot);
    let valid = spread(m.dot | m.digit);
    let live = (1u32 << n) - 1;
    // Every byte a digit or a dot, and no more than three dots.
    let mut bad = valid & live != live;
    let d1 = dots.trailing_zeros() as usize;
    let rest = dots & dots.wrapping_sub(1);
    let d2 = rest.trailing_zeros() as usize;
    let rest = rest & rest.wrapping_sub(1);
    let d3 = rest.trailing_zeros() as usize;
    bad |= rest & rest.wrapping_sub(1) != 0;
    // The text at buf[4..4 + n], after zero bytes, so that the three bytes
    // before the end of any octet can be read.
    let mut buf = [0u8; 24];
    buf[4..12].copy_from_slice(&lo.to_le_bytes());
    buf[4 + (hi_at & 7)..12 + (hi_at & 7)].copy_from_slice(&hi.to_le_bytes());
    // Octet ends and lengths. With fewer than three dots a missing position
    // is 32, which makes a length wrap to a huge value.
    let octets = [
        (d1, d1),
        (d2, d2.wrapping_sub(d1 + 1)),
        (d3, d3.wrapping_sub(d2 + 1)),
        (n, n.wrapping_sub(d3 + 1)),
    ];
    let mut a = 0u32;
    for (end, len) in octets {
        bad |= len.wrapping_sub(1) > 2;
        // The three bytes before the end, hundreds first (lowest), with
        // those outside the octet masked off: the digit values, right
        // aligned.
        let at = end & 15;
        let w = u32::from_le_bytes(buf[at + 1..at + 5].try_into().unwrap()) & 0x00ff_ffff;
        let keep = 0x00ff_ffff_u32 << (8 * (3 - len.min(3))) & 0x00ff_ffff;
        let digits = (w & keep).wrapping_sub(0x0030_3030 & keep);
        // 100 * hundreds + 10 * tens + ones lands in bits 16.. and nothing
        // below carries into it; bits 16..24 are the octet when it fits.
        let octet = (digits.wrapping_mul(0x0064_0a01) >> 16) & 0xff;
        // Too big when the digits, read as a big-endian number, exceed 255.
        bad |= digits.swap_bytes() >> 8 > 0x02_05_05;
        if STRICT {
            // A leading zero: two or three digits, the first one 0.
            let first = (digits >> (8 * (3 - len.min(3)))) & 0xff;
            bad |= len >= 2 && first == 0;
        }
        a = a << 8 | octet;
    }
    if bad { None } else { Some(a) }
}

/// Dotted-quad parser in one pass, byte by byte: the reference that
/// [`parse_dotted`] is tested against. `STRICT` rejects leading zeros
/// ("01").
#[cfg(test)]
fn parse_v4_inner<const STRICT: bool>(s: &[u8]) -> Option<u32> {
    if s.len() < 7 || s.len() > 15 {
        return None;
    }
    let mut acc: u32 = 0;
    let mut octet: u32 = 0;
    let mut digits = 0u32;
    let mut dots = 0u32;
    for &b in s {
        let d = b.wrapping_sub(b'0');
        if d < 10 {
            if digits == 3 || (STRICT && digits > 0 && octet == 0) {
                return None;
            }
            octet = octet * 10 + u32::from(d);
            digits += 1;
        } else if b == b'.' {
            if digits == 0 || octet > 255 || dots == 3 {
                return None;
            }
            acc = (acc << 8) | octet;
            octet = 0;
            digits = 0;
            dots += 1;
        } else {
            return None;
        }
    }
    if digits == 0 || octet > 255 || dots != 3 {
        return None;
    }
    Some((acc << 8) | octet)
}

/// Exact parse of an IPv6 address (no brackets, no zone, no port): hex groups
/// of 1-4 digits in upper or lower case, at most one `::` standing for one or
/// more zero groups, or the fully expanded eight-group form, optionally with
/// an embedded dotted-quad IPv4 address as the last 32 bits
/// (`"::ffff:198.51.100.7"`, `"2001:db8:1:2:3:4:192.0.2.1"`).
///
/// Accepts exactly the inputs that std's `Ipv6Addr` `FromStr` accepts and
/// returns the same address; in particular the embedded IPv4 address must
/// not have leading zeros (unlike [`parse_v4`]).
pub fn parse_v6(s: &[u8]) -> Option<u128> {
    let n = s.len();
    // Longest valid form: six full groups plus the longest dotted quad.
    if !(2..=45).contains(&n) {
        return None;
    }
    // The groups parsed so far, the last one lowest.
    let mut acc: u128 = 0;
    let mut ng = 0usize;
    // Number of groups before the "::".
    let mut gap: Option<usize> = None;
    let mut i = 0usize;
    if s[0] == b':' {
        if s[1] != b':' {
            return None;
        }
        gap = Some(0);
        i = 2;
        if n == 2 {
            return Some(0);
        }
    }
    loop {
        let start = i;
        let mut v: u32 = 0;
        while i < n {
            let h = HEX_VAL[usize::from(s[i])];
            if h == NOT_HEX {
                break;
            }
            if i - start == 4 {
                return None;
            }
            v = (v << 4) | u32::from(h);
            i += 1;
        }
        if i == start {
            return None;
        }
        if i < n && s[i] == b'.' {
            // An embedded IPv4 address must run to the end of the input.
            if ng > 6 {
                return None;
            }
            let v4 = parse_v4_strict(&s[start..])?;
            acc = acc << 32 | u128::from(v4);
            ng += 2;
            break;
        }
        if ng == 8 {
            return None;
        }
        acc = acc << 16 | u128::from(v);
        ng += 1;
        if i == n {
            break;
        }
        if s[i] != b':' {
            return None;
        }
        i += 1;
        if i == n {
            return None;
        }
        if s[i] == b':' {
            if gap.is_some() {
                return None;
            }
            gap = Some(ng);
            i += 1;
            if i == n {
                break;
            }
        }
    }
    match gap {
        None if ng != 8 => None,
        None => Some(acc),
        // "::" stands for at least one zero group.
        Some(_) if ng > 7 => None,
        Some(g) => {
            // The groups after the gap stay at the bottom; those before it
            // move to the top (none when the text starts with "::").
            let tail_bits = 16 * (ng - g) as u32;
            let tail = acc & ((1u128 << tail_bits) - 1);
            let head = acc >> tail_bits;
            Some(head.checked_shl(16 * (8 - g) as u32).unwrap_or(0) | tail)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::testutil::*;
    use proptest::prelude::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn parse_v4_table() {
        let cases: &[(&[u8], Option<u32>)] = &[
            (b"192.0.2.1", Some(0xc000_0201)),
            (b"0.0.0.0", Some(0)),
            (b"255.255.255.255", Some(u32::MAX)),
            (b"198.051.100.007", Some(v4("198.51.100.7"))),
            (b"192.000.002.010", Some(v4("192.0.2.10"))),
            (b"000.000.000.000", Some(0)),
            (b"256.0.0.1", None),
            (b"192.0.2.256", None),
            (b"192.0.2.999", None),
            (b"1920.0.2.1", None),
            (b"192.0.2.0001", None),
            (b"192.0.2", None),
            (b"192.0.2.1.5", None),
            (b"192..2.1", None),
            (b".192.0.2.1", None),
            (b"192.0.2.1.", None),
            (b"192.0.2.1 ", None),
            (b" 192.0.2.1", None),
            (b"192.0.2.1:80", None),
            (b"192.0.2.a", None),
            (b"+1.0.2.1", None),
            (b"", None),
            (b"...", None),
            (b"192.0.2.1\xff", None),
            (b"\xff", None),
        ];
        for &(s, want) in cases {
            assert_eq!(parse_v4(s), want, "{:?}", String::from_utf8_lossy(s));
        }
    }

    #[test]
    fn parse_v6_table() {
        let valid: &[&str] = &[
            "::",
            "::1",
            "2001:db8::",
            "2001:db8::1",
            "2001:DB8::1",
            "2001:Db8:0:0:0:0:0:1",
            "2001:0db8:0000:0000:0000:0000:0000:0001",
            "2001:db8:1:2:3:4:5:6",
            "2001:db8:1:2:3:4:5::",
            "::2001:db8:1:2:3:4:5",
            "2001:db8::1:2:3:4:5",
            "::ffff:198.51.100.7",
            "::FFFF:198.51.100.7",
            "64:ff9b::192.0.2.1",
            "2001:db8:1:2:3:4:192.0.2.1",
            "2001:db8:1:2:3::192.0.2.1",
            "::192.0.2.1",
            "::0.0.0.0",
            "fe80::1",
            "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
        ];
        for s in valid {
            let want = s.parse::<Ipv6Addr>().map(u128::from).ok();
            assert!(want.is_some(), "oracle rejects {s}");
            assert_eq!(parse_v6(s.as_bytes()), want, "{s}");
        }
        let invalid: &[&[u8]] = &[
            b"",
            b":",
            b":::",
            b":2001:db8::",
            b"2001:db8::1:",
            b"2001:db8:::1",
            b"2001:db8::1::2",
            b"2001:db8:1:2:3:4:5",
            b"2001:db8:1:2:3:4:5:6:7",
            b"2001:db8:1:2:3:4:5:6::",
            b"::2001:db8:1:2:3:4:5:6",
            b"2001:db8::1:2:3:4:5:6",
            b"12345::",
            b"2001:db8::g",
            b"2001:db8::1%eth0",
            b"[2001:db8::1]",
            b"2001:db8::1 ",
            b"198.51.100.7",
            b"198.51.100.7::",
            b"::ffff:198.51.100",
            b"::ffff:198.51.100.7.1",
            b"::ffff:198.51.100.256",
            b"::ffff:198.051.100.7",
            b"::ffff:1987.51.100.7",
            b"::ffff:a.51.100.7",
            b"::192.0.2.1:5",
            b"2001:db8:1:2:3:4:5:192.0.2.1",
            b"2001:db8:1:2:3:4:5::192.0.2.1",
            b"2001:db8:1:2:3:4::192.0.2.1",
            b"2001:db8:1:2:3:192.0.2.1",
            b"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2555",
            b"::\xff",
        ];
        for &s in invalid {
            let as_str = String::from_utf8_lossy(s);
            assert!(
                as_str.parse::<Ipv6Addr>().is_err(),
                "oracle accepts {as_str}"
            );
            assert_eq!(parse_v6(s), None, "{as_str}");
        }
    }

    #[test]
    fn parse_v4_every_octet_spelling() {
        // Every octet text of up to four digits, in every position, next to
        // octets of every length.
        let mut spellings: Vec<String> = Vec::new();
        for v in 0..10_000u32 {
            spellings.push(v.to_string());
            for w in 2..=4 {
                let padded = format!("{v:0w$}");
                if padded.len() == w && padded != v.to_string() {
                    spellings.push(padded);
                }
            }
        }
        for o in &spellings {
            for pos in 0..4 {
                for fill in ["7", "42", "255", "000"] {
                    let mut parts = [fill; 4];
                    parts[pos] = o;
                    let s = parts.join(".");
                    let b = s.as_bytes();
                    assert_eq!(parse_v4(b), parse_v4_inner::<false>(b), "{s}");
                    assert_eq!(parse_v4_strict(b), parse_v4_inner::<true>(b), "{s}");
                }
            }
        }
    }

    #[test]
    fn parse_v4_near_misses() {
        let cases: &[&[u8]] = &[
            b"1.2.3.4",
            b"1.2.3.",
            b".1.2.3",
            b"1..2.3",
            b"1.2.3.4.",
            b"1.2.3.4.5",
            b"1.2.34",
            b"1234.5.6",
            b"1.2.3.4\0",
            b"\x001.2.3.4",
            b"1.2.3.4 ",
            b"1.2.3/4",
            b"1.2.3:4",
            b"1.2.3.-4",
            b"255.255.255.255",
            b"255.255.255.256",
            b"256.255.255.255",
            b"255.255.255.2555",
            b"0.0.0.0",
            b"00.0.0.0",
            b"000.000.000.000",
            b"0000.0.0.0",
            b"1.1.1.1\xff",
            b"\xb1.1.1.1",
            b"1.1.1.\xb1",
            b"\xae1.1.1",
            b"\xba1.1.1",
        ];
        for &c in cases {
            for s in [c.to_vec(), c.iter().map(|&b| b ^ 0x80).collect()] {
                assert_eq!(parse_v4(&s), parse_v4_inner::<false>(&s), "{s:?}");
                assert_eq!(parse_v4_strict(&s), parse_v4_inner::<true>(&s), "{s:?}");
            }
        }
    }

    proptest! {
        #[test]
        fn prop_parse_v4_matches_std(a in any::<u32>(), pad in any::<u8>()) {
            let s = spell_v4(a, pad);
            prop_assert_eq!(parse_v4(s.as_bytes()), Some(a));
            if pad & 0xf == 0 {
                prop_assert_eq!(s.parse::<Ipv4Addr>().ok().map(u32::from), Some(a));
            }
        }

        #[test]
        fn prop_parse_v4_random_strings(s in "[0-9.]{0,17}") {
            // Oracle: std after stripping leading zeros from each group.
            let groups: Vec<&str> = s.split('.').collect();
            let ok_shape = groups.len() == 4
                && groups.iter().all(|g| (1..=3).contains(&g.len()));
            let oracle = if ok_shape {
                let norm: Vec<String> = groups
                    .iter()
                    .map(|g| g.parse::<u32>().unwrap().to_string())
                    .collect();
                norm.join(".").parse::<Ipv4Addr>().ok().map(u32::from)
            } else {
                None
            };
            prop_assert_eq!(parse_v4(s.as_bytes()), oracle);
        }

        #[test]
        fn prop_parse_v6_random_strings(s in "[0-9a-fA-F:.]{0,46}") {
            let want = s.parse::<Ipv6Addr>().ok().map(u128::from);
            prop_assert_eq!(parse_v6(s.as_bytes()), want);
        }

        #[test]
        fn prop_parse_v6_near_valid(s in near_v6()) {
            let want = s.parse::<Ipv6Addr>().ok().map(u128::from);
            prop_assert_eq!(parse_v6(s.as_bytes()), want);
        }

        #[test]
        fn prop_parse_v6_mutated(s in mutated_v6()) {
            let want = s.parse::<Ipv6Addr>().ok().map(u128::from);
            prop_assert_eq!(parse_v6(s.as_bytes()), want);
        }

        #[test]
        fn prop_parse_v6_spellings(
            a in any_v6(), st in any::<u8>(), c in any::<usize>(), u in any::<u8>(),
        ) {
            let s = spell_v6(a, st, c, u);
            prop_assert_eq!(s.parse::<Ipv6Addr>().ok().map(u128::from), Some(a));
            prop_assert_eq!(parse_v6(s.as_bytes()), Some(a));
        }

        #[test]
        fn prop_parse_v4_matches_reference(s in prop::collection::vec(prop_oneof![
            8 => prop::sample::select(b"0123456789.".to_vec()),
            1 => any::<u8>(),
        ], 0..18)) {
            prop_assert_eq!(parse_v4(&s), parse_v4_inner::<false>(&s));
            prop_assert_eq!(parse_v4_strict(&s), parse_v4_inner::<true>(&s));
        }
    }
}
