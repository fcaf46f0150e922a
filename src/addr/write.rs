//! Canonical text of an address: byte for byte what std's `Display` writes
//! (RFC 5952 for IPv6), without its formatting machinery.

use super::{Addr, LOW32, MAPPED_PREFIX};

/// Decimal text of 0..=255 followed by a dot, in the low bytes (first
/// character lowest), and the length of that text (dot included) in bits
/// 32 and up.
static DOT_DEC: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let h = (b'0' + (i / 100) as u8) as u64;
        let te = (b'0' + ((i / 10) % 10) as u8) as u64;
        let o = (b'0' + (i % 10) as u8) as u64;
        let dot = b'.' as u64;
        t[i] = if i >= 100 {
            h | te << 8 | o << 16 | dot << 24 | 4 << 32
        } else if i >= 10 {
            te | o << 8 | dot << 16 | 3 << 32
        } else {
            o | dot << 8 | 2 << 32
        };
        i += 1;
    }
    t
};

/// The dotted quad of `a` as little-endian text (first character lowest)
/// followed by a dot, and the length without that dot (7..=15).
#[inline]
fn v4_text(a: u32) -> (u128, usize) {
    let [e0, e1, e2, e3] = a.to_be_bytes().map(|o| DOT_DEC[usize::from(o)]);
    let (l0, l1, l2, l3) = (e0 >> 32, e1 >> 32, e2 >> 32, e3 >> 32);
    // Two octets (at most eight bytes) per word, then one 128-bit shift.
    let first = (e0 & 0xffff_ffff) | (e1 & 0xffff_ffff) << (8 * l0);
    let second = (e2 & 0xffff_ffff) | (e3 & 0xffff_ffff) << (8 * l2);
    let text = u128::from(first) | u128::from(second) << (8 * (l0 + l1));
    (text, (l0 + l1 + l2 + l3) as usize - 1)
}

/// Appends the canonical text form of `addr` to `out`:
/// * IPv4: dotted quad without leading zeros (`198.51.100.7`).
/// * IPv6: RFC 5952: lower case, leading zeros dropped, the longest run of
///   two or more zero groups written as `::` (the first such run on ties),
///   a single zero group written as `0`; IPv4-mapped addresses
///   (`::ffff:0:0/96`) are written as `::ffff:a.b.c.d`.
///
/// The text is byte-for-byte what std's `Display` writes for `Ipv4Addr` and
/// `Ipv6Addr`.
#[inline]
pub fn write_addr(addr: Addr, out: &mut Vec<u8>) {
    match addr {
        Addr::V4(a) => write_v4(a, out),
        Addr::V6(a) => write_v6(a, out),
    }
}

// The texts are appended as fixed-size blocks and then cut back: a

// fixed-size copy compiles to a few moves, where a copy of the exact length

// would be a call to memcpy.

/// [`write_addr`] of an IPv4 address.
#[inline(always)]
fn write_v4(a: u32, out: &mut Vec<u8>) {
    let len = out.len();
    let (text, n) = v4_text(a);
    out.extend_from_slice(&text.to_le_bytes());
    out.truncate(len + n);
}

/// [`write_addr`] of an IPv6 address.
#[inline]
fn write_v6(a: u128, out: &mut Vec<u8>) {
    let len = out.len();
    out.extend_from_slice(&[0u8; 48]);
    let buf: &mut [u8; 48] = (&mut out[len..]).try_into().unwrap();
    let n = put_v6(buf, a);
    out.truncate(len + n);
}

/// Appends the text of `addr` as Python's `ipaddress` writes it before
/// Python 3.13, which is what anonip 1.1.0 prints: [`write_addr`] except
/// that an IPv4-mapped address keeps hex groups (`::ffff:c633:6400`, not
/// `::ffff:198.51.100.0`).
#[inline]
pub fn write_addr_python(addr: Addr, out: &mut Vec<u8>) {
    match addr {
        Addr::V4(a) => write_v4(a, out),
        Addr::V6(a) => {
            let len = out.len();
            out.extend_from_slice(&[0u8; 48]);
            let buf: &mut [u8; 48] = (&mut out[len..]).try_into().unwrap();
            let n = put_v6_groups(buf, a);
            out.truncate(len + n);
        }
    }
}

/// Lower-case hex text of `v` without leading zeros (`"0"` for 0), as four
/// little-endian bytes of which the first `len` are the text, and `len`.
#[inline]
fn hex_group(v: u16) -> (u32, usize) {
    let v = u32::from(v);
    // One nibble per byte, most significant nibble in the first byte.
    let nib = (v >> 12) | ((v >> 8) & 0xf) << 8 | ((v >> 4) & 0xf) << 16 | (v & 0xf) << 24;
    // 1 in each byte whose nibble is 10..=15 (no carry crosses a byte).
    let letter = ((nib + 0x7676_7676) >> 7) & 0x0101_0101;
    let text = nib + 0x3030_3030 + letter * (u32::from(b'a' - b'0') - 10);
    let len = (35 - (v | 1).leading_zeros() as usize) / 4;
    (text >> (8 * (4 - len)), len)
}

/// Writes the RFC 5952 text of `a` at the start of `buf` and returns its
/// length (at most 39; the buffer leaves room for four-byte group writes).
#[inline]
fn put_v6(buf: &mut [u8; 48], a: u128) -> usize {
    if a & !LOW32 == MAPPED_PREFIX {
        let (text, n) = v4_text(a as u32);
        buf[..7].copy_from_slice(b"::ffff:");
        buf[7..23].copy_from_slice(&text.to_le_bytes());
        return 7 + n;
    }
    put_v6_groups(buf, a)
}

/// [`put_v6`] in hex groups only, whatever the address.
#[inline]
fn put_v6_groups(buf: &mut [u8; 48], a: u128) -> usize {
    let mut g = [0u16; 8];
    // Bit k set when group k is zero.
    let mut zero = 0u32;
    for (k, slot) in g.iter_mut().enumerate() {
        *slot = (a >> (112 - 16 * k)) as u16;
        zero |= u32::from(*slot == 0) << k;
    }
    // Longest run of zero groups, first one on ties. `run` has bit k set
    // when groups k..k+len are all zero; it is grown while some run is
    // longer, and its lowest bit is then the first longest run. Runs of a
    // single group are not compressed: "no gap" is (8, 8).
    let (mut gap_start, mut gap_end) = (8usize, 8usize);
    let mut run = zero & (zero >> 1);
    if run != 0 {
        let mut len = 2;
        while len < 8 && run & (zero >> len) != 0 {
            run &= zero >> len;
            len += 1;
        }
        gap_start = run.trailing_zeros() as usize;
        gap_end = gap_start + len;
    }
    let mut n = 0usize;
    let mut k = 0usize;
    while k < 8 {
        if k == gap_start {
            buf[n] = b':';
            buf[n + 1] = b':';
            n += 2;
            k = gap_end;
            continue;
        }
        if k != 0 && k != gap_end {
            buf[n] = b':';
            n += 1;
        }
        let (text, len) = hex_group(g[k]);
        buf[n..n + 4].copy_from_slice(&text.to_le_bytes());
        n += len;
        k += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::parse_v6;
    use crate::addr::testutil::*;
    use proptest::prelude::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn write_addr_table() {
        let cases: &[(Addr, &str)] = &[
            (Addr::V4(0), "0.0.0.0"),
            (Addr::V4(u32::MAX), "255.255.255.255"),
            (Addr::V4(v4("198.51.100.7")), "198.51.100.7"),
            (Addr::V4(v4("203.0.113.10")), "203.0.113.10"),
            (Addr::V6(0), "::"),
            (Addr::V6(1), "::1"),
            (Addr::V6(v6("2001:db8::")), "2001:db8::"),
            (Addr::V6(v6("2001:DB8:0:0:0:0:0:1")), "2001:db8::1"),
            // A single zero group is written as 0, not "::".
            (Addr::V6(v6("2001:db8:0:1:1:1:1:1")), "2001:db8:0:1:1:1:1:1"),
            // Longest run wins; the first on ties.
            (Addr::V6(v6("2001:0:0:1:0:0:0:1")), "2001:0:0:1::1"),
            (Addr::V6(v6("2001:db8:0:0:1:0:0:1")), "2001:db8::1:0:0:1"),
            (Addr::V6(v6("2001:db8:0abc:00f0::")), "2001:db8:abc:f0::"),
            (Addr::V6(v6("2001:db8:1:2:3:4:5:6")), "2001:db8:1:2:3:4:5:6"),
            (Addr::V6(v6("::ffff:198.51.100.7")), "::ffff:198.51.100.7"),
            (Addr::V6(v6("::ffff:0:0")), "::ffff:0.0.0.0"),
            // Deprecated IPv4-compatible and NAT64 are hex, like std.
            (Addr::V6(v6("::198.51.100.7")), "::c633:6407"),
            (Addr::V6(v6("64:ff9b::192.0.2.1")), "64:ff9b::c000:201"),
            (Addr::V6(v6("::1:ffff:c633:6407")), "::1:ffff:c633:6407"),
            (Addr::V6(v6("fe80::1")), "fe80::1"),
            (
                Addr::V6(u128::MAX),
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            ),
        ];
        for &(a, want) in cases {
            assert_eq!(addr_text(a), want);
            let std_text = match a {
                Addr::V4(x) => Ipv4Addr::from(x).to_string(),
                Addr::V6(x) => Ipv6Addr::from(x).to_string(),
            };
            assert_eq!(std_text, want, "std differs");
        }
    }

    #[test]
    fn write_addr_appends() {
        let mut out = b"ab".to_vec();
        write_addr(Addr::V4(v4("192.0.2.1")), &mut out);
        write_addr(Addr::V6(v6("2001:db8::1")), &mut out);
        assert_eq!(out, b"ab192.0.2.12001:db8::1");
    }

    #[test]
    fn hex_group_every_value() {
        for v in 0..=u16::MAX {
            let (text, len) = hex_group(v);
            assert_eq!(&text.to_le_bytes()[..len], format!("{v:x}").as_bytes());
        }
    }

    #[test]
    fn write_v4_every_octet_everywhere() {
        for o in 0..=255u32 {
            for a in [
                o,
                o << 8,
                o << 16,
                o << 24,
                o * 0x0101_0101,
                o << 24 | 0x00ff_ff00,
            ] {
                assert_eq!(addr_text(Addr::V4(a)), Ipv4Addr::from(a).to_string());
                let mapped = MAPPED_PREFIX | u128::from(a);
                assert_eq!(
                    addr_text(Addr::V6(mapped)),
                    Ipv6Addr::from(mapped).to_string()
                );
            }
        }
    }

    proptest! {
        #[test]
        fn prop_write_addr_matches_std(a in any_v6(), b in any_v4()) {
            prop_assert_eq!(addr_text(Addr::V6(a)), Ipv6Addr::from(a).to_string());
            prop_assert_eq!(addr_text(Addr::V4(b)), Ipv4Addr::from(b).to_string());
            // Round trip through our own parser.
            let mut out = Vec::new();
            write_addr(Addr::V6(a), &mut out);
            prop_assert_eq!(parse_v6(&out), Some(a));
        }
    }
}
