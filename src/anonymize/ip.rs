//! IP addresses on raw bytes: parsing, prefix truncation, canonical formatting,
//! and scrubbing of address literals out of free text.
//!
//! Nothing here allocates per call beyond pushing onto the caller's output
//! buffer, and nothing here does I/O.

use crate::bytes::{byte_masks, sep_block};

/// An IP address held as a plain integer (network byte order semantics: the
/// most significant bit is the first bit of the address).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Addr {
    /// An IPv4 address.
    V4(u32),
    /// An IPv6 address.
    V6(u128),
}

/// A rule that maps an address to the address written in its place.
///
/// Truncation implements it now; keyed pseudonyms implement it later. It
/// takes `&mut self` so that an implementation may keep a per-worker cache.
pub trait AddrRewrite {
    /// Returns the address to write in place of `addr`.
    fn rewrite(&mut self, addr: Addr) -> Addr;
    /// True when IPv4 addresses are never changed, so scanning free text
    /// for them can be skipped.
    fn keeps_v4(&self) -> bool {
        false
    }
    /// True when IPv6 addresses (and the IPv4 addresses embedded in them)
    /// are never changed.
    fn keeps_v6(&self) -> bool {
        false
    }
}

/// Error for a prefix length outside its family's range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{family} prefix length {len} is out of range (0..={max})")]
pub struct PrefixError {
    /// "IPv4" or "IPv6".
    pub family: &'static str,
    /// The rejected length.
    pub len: u8,
    /// The largest accepted length.
    pub max: u8,
}

// ---------------------------------------------------------------------------
// Truncation
// ---------------------------------------------------------------------------

/// The low 32 bits of an IPv6 address, where IPv4-mapped and NAT64 addresses
/// carry their IPv4 address.
const LOW32: u128 = 0xffff_ffff;
/// `::ffff:0:0/96` with the low 32 bits clear.
const MAPPED_PREFIX: u128 = 0xffff << 32;
/// `64:ff9b::/96` (RFC 6052 well-known NAT64 prefix) with the low 32 bits clear.
const NAT64_PREFIX: u128 = 0x0064_ff9b << 96;
/// Top 16 bits of a 6to4 (`2002::/16`) address.
const SIX_TO_FOUR: u128 = 0x2002;

/// Prefix truncation: keeps the first `v4_prefix` bits of IPv4 addresses and
/// the first `v6_prefix` bits of IPv6 addresses, and zeroes the rest.
///
/// IPv4 addresses embedded in IPv6 addresses are truncated by the IPv4 rule,
/// so an embedding never reveals more of an IPv4 address than the plain
/// address would:
/// * IPv4-mapped `::ffff:0:0/96` and NAT64 `64:ff9b::/96`: the top 96 bits are
///   kept and the low 32 bits are masked to `v4_prefix` bits.
/// * 6to4 `2002::/16`: the address is masked to `v6_prefix` bits and, in
///   addition, the embedded IPv4 address (bits 16..48) is masked to
///   `v4_prefix` bits.
///
/// Masks are computed once, in [`Truncate::new`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Truncate {
    v4_prefix: u8,
    v6_prefix: u8,
    mask4: u32,
    mask6: u128,
    /// `mask6` with the host bits of the 6to4-embedded IPv4 address cleared.
    mask_6to4: u128,
}

impl Truncate {
    /// Builds a truncation rule. Accepts `v4_prefix` in `0..=32` and
    /// `v6_prefix` in `0..=128`; any other length is a [`PrefixError`] naming
    /// the family. A prefix of 0 maps every address of that family to the
    /// all-zero address; a full-length prefix keeps addresses unchanged
    /// (except for IPv4 embedded in IPv6, which follows `v4_prefix`).
    pub fn new(v4_prefix: u8, v6_prefix: u8) -> Result<Self, PrefixError> {
        if v4_prefix > 32 {
            return Err(PrefixError {
                family: "IPv4",
                len: v4_prefix,
                max: 32,
            });
        }
        if v6_prefix > 128 {
            return Err(PrefixError {
                family: "IPv6",
                len: v6_prefix,
                max: 128,
            });
        }
        // checked_shl: a shift by the full width (prefix 0) is None, which is
        // exactly the all-zero mask; `!0 << 32` would overflow instead.
        let mask4 = u32::MAX.checked_shl(32 - u32::from(v4_prefix)).unwrap_or(0);
        let mask6 = u128::MAX
            .checked_shl(128 - u32::from(v6_prefix))
            .unwrap_or(0);
        let mask_6to4 = mask6 & !(u128::from(!mask4) << 80);
        Ok(Truncate {
            v4_prefix,
            v6_prefix,
            mask4,
            mask6,
            mask_6to4,
        })
    }

    /// The IPv4 prefix length given to [`Truncate::new`].
    pub fn v4_prefix(&self) -> u8 {
        self.v4_prefix
    }

    /// The IPv6 prefix length given to [`Truncate::new`].
    pub fn v6_prefix(&self) -> u8 {
        self.v6_prefix
    }
}

impl AddrRewrite for Truncate {
    /// Masks `addr` as described on [`Truncate`]; the family never changes.
    #[inline]
    fn rewrite(&mut self, addr: Addr) -> Addr {
        match addr {
            Addr::V4(a) => Addr::V4(a & self.mask4),
            Addr::V6(a) => {
                let top96 = a & !LOW32;
                if top96 == MAPPED_PREFIX || top96 == NAT64_PREFIX {
                    Addr::V6(top96 | u128::from(a as u32 & self.mask4))
                } else if a >> 112 == SIX_TO_FOUR {
                    Addr::V6(a & self.mask_6to4)
                } else {
                    Addr::V6(a & self.mask6)
                }
            }
        }
    }

    /// True iff `v4_prefix` is 32.
    fn keeps_v4(&self) -> bool {
        self.v4_prefix == 32
    }

    /// True iff `v6_prefix` is 128 and `v4_prefix` is 32: with a shorter IPv4
    /// prefix, IPv6 addresses that embed IPv4 addresses are still changed.
    fn keeps_v6(&self) -> bool {
        self.v6_prefix == 128 && self.v4_prefix == 32
    }
}

// ---------------------------------------------------------------------------
// Byte classes
// ---------------------------------------------------------------------------

const C_HEX: u8 = 1;
const C_DIGIT: u8 = 2;
const C_DOT: u8 = 4;
const C_COLON: u8 = 8;

/// Class bits per byte; non-zero means "may be part of an address literal"
/// (`[0-9A-Fa-f.:]`).
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = if b.is_ascii_digit() {
            C_HEX | C_DIGIT
        } else if matches!(b, b'a'..=b'f' | b'A'..=b'F') {
            C_HEX
        } else if b == b'.' {
            C_DOT
        } else if b == b':' {
            C_COLON
        } else {
            0
        };
        i += 1;
    }
    t
};

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

#[inline]
fn class(b: u8) -> u8 {
    CLASS[usize::from(b)]
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

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
/// does for an IPv4 address embedded in IPv6 text.
#[inline]
fn parse_v4_strict(s: &[u8]) -> Option<u32> {
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

// ---------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------

/// What [`rewrite_addr_token`] or [`rewrite_addr_only`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// An IPv4 address, possibly with a port; it was rewritten.
    V4,
    /// An IPv6 address, possibly with zone, brackets and port; it was
    /// rewritten.
    V6,
    /// Not an accepted address form; nothing was written.
    NotAddr,
}

/// 1 to 5 ASCII digits. The value is not range-checked: the port is copied,
/// not interpreted.
#[inline]
fn is_port(s: &[u8]) -> bool {
    (1..=5).contains(&s.len()) && s.iter().all(u8::is_ascii_digit)
}

/// Splits off a `%zone` suffix and returns the address part. A zone must be
/// non-empty and made of RFC 3986 unreserved characters (`[A-Za-z0-9._~-]`);
/// anything else makes the token not an address.
#[inline]
fn strip_zone(s: &[u8]) -> Option<&[u8]> {
    match s.iter().position(|&b| b == b'%') {
        None => Some(s),
        Some(p) => {
            let zone = &s[p + 1..];
            let ok = !zone.is_empty()
                && zone
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'-'));
            ok.then_some(&s[..p])
        }
    }
}

/// Parses a client-address token that is not a plain dotted quad (those are
/// handled before, by [`parse_v4`]) into the address, the length of the
/// prefix copied before it (`[`), and the start of the suffix copied after
/// it (`]`, `]:port`, `:port`); a zone lies between the address and the
/// suffix and is dropped.
fn parse_token(t: &[u8]) -> Option<(Addr, usize, usize)> {
    if t.first() == Some(&b'[') {
        let close = t.iter().position(|&b| b == b']')?;
        let a = parse_v6_zoned(&t[1..close])?;
        let rest = &t[close + 1..];
        let port_ok = match rest.split_first() {
            None => true,
            Some((&c, port)) => c == b':' && is_port(port),
        };
        if !port_ok {
            return None;
        }
        return Some((Addr::V6(a), 1, close));
    }
    let c = t.iter().position(|&b| b == b':')?;
    // Only digits after the first colon: "v4:port". An IPv6 address would
    // have a second colon.
    if is_port(&t[c + 1..]) {
        if let Some(a) = parse_v4(&t[..c]) {
            return Some((Addr::V4(a), 0, c));
        }
    }
    let a = parse_v6_zoned(t)?;
    Some((Addr::V6(a), 0, t.len()))
}

/// `parse_v6` of `s` without its `%zone` suffix ([`strip_zone`]).
#[inline]
fn parse_v6_zoned(s: &[u8]) -> Option<u128> {
    // parse_v6 rejects '%', so a successful parse of the whole text is what
    // stripping an (absent) zone would have parsed; the zone scan is only
    // needed when that fails.
    parse_v6(s).or_else(|| parse_v6(strip_zone(s)?))
}

/// Whether `token` is one of the address forms [`rewrite_addr_token`]
/// accepts.
pub fn is_addr_token(token: &[u8]) -> bool {
    parse_v4(token).is_some() || parse_token(token).is_some()
}

/// Rewrites one address token as found in a log's client-address or
/// X-Forwarded-For field and appends the result to `out`.
///
/// Accepted forms (the token must be exactly one of these; no whitespace is
/// trimmed):
/// `198.51.100.7`, `198.51.100.7:51234` (port of 1-5 digits, kept verbatim),
/// `2001:db8::1`, `2001:DB8:0:0:0:0:0:1`, `::ffff:198.51.100.7`,
/// `fe80::1%eth0` (zone dropped), `[2001:db8::1]`, `[2001:db8::1]:443`,
/// `[fe80::1%eth0]:443` (brackets and port kept, zone dropped).
/// A zone is 1+ characters of `[A-Za-z0-9._~-]`; IPv4 addresses are not
/// accepted inside brackets.
///
/// The address is passed through `r.rewrite` and written with
/// [`write_addr`]; the returned kind is the family of the address found in
/// the token. If the token is not one of these forms, nothing is appended,
/// `r` is not called, and [`TokenKind::NotAddr`] is returned.
///
/// When the rewrite changes the family (keyed pseudonyms: ipcrypt-det
/// turns IPv4 into IPv6; revealing turns it back), the brackets follow the
/// new family so that a port stays readable: IPv6 with a port is written
/// `[v6]:port`, IPv4 never in brackets (`[v6]:port` becomes `v4:port`,
/// `[v6]` becomes `v4`). Otherwise brackets are kept exactly as given.
pub fn rewrite_addr_token<R: AddrRewrite>(r: &mut R, token: &[u8], out: &mut Vec<u8>) -> TokenKind {
    rewrite_token(r, token, out, true).0
}

/// Rewrites one address token as [`rewrite_addr_token`] does (same accepted
/// forms, same rewrite, nothing appended for [`TokenKind::NotAddr`]), but
/// appends the address alone: no port, no brackets, no zone
/// (`[2001:db8::1]:443` and `[2001:db8::1]` → `2001:db8::`, `198.51.100.7:51234`
/// → `198.51.100.0`). Returns the family and whether a port was dropped.
///
/// For client-address fields: the client's source port tells apart the
/// connections of one visitor, and analyzers (Matomo's importer) reject a
/// client with a port; a bare address needs no brackets.
pub fn rewrite_addr_only<R: AddrRewrite>(
    r: &mut R,
    token: &[u8],
    out: &mut Vec<u8>,
) -> (TokenKind, bool) {
    rewrite_token(r, token, out, false)
}

fn rewrite_token<R: AddrRewrite>(
    r: &mut R,
    token: &[u8],
    out: &mut Vec<u8>,
    keep_port: bool,
) -> (TokenKind, bool) {
    // Most tokens are a plain dotted quad.
    if let Some(a) = parse_v4(token) {
        write_addr(r.rewrite(Addr::V4(a)), out);
        return (TokenKind::V4, false);
    }
    let Some((addr, pre, post)) = parse_token(token) else {
        return (TokenKind::NotAddr, false);
    };
    let new = r.rewrite(addr);
    let bracketed = pre == 1;
    // `""`, `":port"`, `"]"` or `"]:port"`.
    let suffix = &token[post..];
    let port = suffix.strip_prefix(b"]").unwrap_or(suffix);
    match (new, bracketed) {
        _ if !keep_port => write_addr(new, out),
        (Addr::V6(_), false) if !port.is_empty() => {
            out.push(b'[');
            write_addr(new, out);
            out.push(b']');
            out.extend_from_slice(port);
        }
        (Addr::V4(_), true) => {
            write_addr(new, out);
            out.extend_from_slice(port);
        }
        _ => {
            out.extend_from_slice(&token[..pre]);
            write_addr(new, out);
            out.extend_from_slice(suffix);
        }
    }
    let kind = match addr {
        Addr::V4(_) => TokenKind::V4,
        Addr::V6(_) => TokenKind::V6,
    };
    (kind, !port.is_empty())
}

// ---------------------------------------------------------------------------
// Free text
// ---------------------------------------------------------------------------

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
        self.out.extend_from_slice(&self.text[self.copied..at]);
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
    /// `which` by `'0'`.
    fn zero(&mut self, start: usize, end: usize, which: u8) {
        self.flush_to(start);
        self.out.extend(
            self.text[start..end]
                .iter()
                .map(|&b| if class(b) & which != 0 { b'0' } else { b }),
        );
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
        sink.zero(start, end, C_DIGIT);
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
                sink.zero(start, end, C_HEX);
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
/// versions, [`crate::anonymize::ua`]) costs nothing on the bytes between
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
    use proptest::prelude::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn t(v4: u8, v6: u8) -> Truncate {
        Truncate::new(v4, v6).unwrap()
    }

    fn v4(s: &str) -> u32 {
        u32::from(s.parse::<Ipv4Addr>().unwrap())
    }

    fn v6(s: &str) -> u128 {
        u128::from(s.parse::<Ipv6Addr>().unwrap())
    }

    fn addr_text(a: Addr) -> String {
        let mut out = Vec::new();
        write_addr(a, &mut out);
        String::from_utf8(out).unwrap()
    }

    fn scrub(r: &mut impl AddrRewrite, s: &[u8]) -> (Vec<u8>, u32) {
        let mut out = b"prefix|".to_vec();
        let n = scrub_text(r, s, &mut out);
        assert!(out.starts_with(b"prefix|"), "scrub_text must append");
        (out[7..].to_vec(), n)
    }

    fn token(r: &mut impl AddrRewrite, s: &[u8]) -> (TokenKind, Vec<u8>) {
        let mut out = b"x".to_vec();
        let k = rewrite_addr_token(r, s, &mut out);
        (k, out[1..].to_vec())
    }

    /// Leaves every address unchanged but claims nothing, so all the
    /// detection logic runs.
    struct Identity;
    impl AddrRewrite for Identity {
        fn rewrite(&mut self, addr: Addr) -> Addr {
            addr
        }
    }

    /// Keeps IPv6 but not IPv4, a combination Truncate cannot express.
    struct KeepV6Only(Truncate);
    impl AddrRewrite for KeepV6Only {
        fn rewrite(&mut self, addr: Addr) -> Addr {
            match addr {
                Addr::V6(_) => addr,
                Addr::V4(_) => self.0.rewrite(addr),
            }
        }
        fn keeps_v6(&self) -> bool {
            true
        }
    }

    // ----- Truncate -----

    #[test]
    fn truncate_rejects_out_of_range_prefixes() {
        /// Expected error: family, rejected length, maximum.
        type Rejection = Option<(&'static str, u8, u8)>;
        let cases: &[(u8, u8, Rejection)] = &[
            (0, 0, None),
            (32, 128, None),
            (33, 48, Some(("IPv4", 33, 32))),
            (255, 48, Some(("IPv4", 255, 32))),
            (24, 129, Some(("IPv6", 129, 128))),
            (24, 255, Some(("IPv6", 255, 128))),
            (40, 200, Some(("IPv4", 40, 32))),
        ];
        for &(p4, p6, want) in cases {
            let got = Truncate::new(p4, p6);
            match want {
                None => {
                    let tr = got.unwrap();
                    assert_eq!((tr.v4_prefix(), tr.v6_prefix()), (p4, p6));
                }
                Some((family, len, max)) => {
                    let e = got.unwrap_err();
                    assert_eq!(e, PrefixError { family, len, max });
                    assert_eq!(
                        e.to_string(),
                        format!("{family} prefix length {len} is out of range (0..={max})")
                    );
                }
            }
        }
    }

    #[test]
    fn truncate_v4_boundaries() {
        let a = v4("203.0.113.255");
        let cases: &[(u8, &str)] = &[
            (0, "0.0.0.0"),
            (1, "128.0.0.0"),
            (8, "203.0.0.0"),
            (16, "203.0.0.0"),
            (23, "203.0.112.0"),
            (24, "203.0.113.0"),
            (25, "203.0.113.128"),
            (31, "203.0.113.254"),
            (32, "203.0.113.255"),
        ];
        for &(p, want) in cases {
            let mut tr = t(p, 128);
            assert_eq!(tr.rewrite(Addr::V4(a)), Addr::V4(v4(want)), "/{p}");
            let net = ipnet::Ipv4Net::new(Ipv4Addr::UNSPECIFIED, p).unwrap();
            assert_eq!(tr.mask4, u32::from(net.netmask()), "/{p}");
        }
    }

    #[test]
    fn truncate_v6_boundaries() {
        let a = v6("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
        let cases: &[(u8, &str)] = &[
            (0, "::"),
            (1, "::"),
            (47, "2001:db8:fffe::"),
            (48, "2001:db8:ffff::"),
            (63, "2001:db8:ffff:fffe::"),
            (64, "2001:db8:ffff:ffff::"),
            (127, "2001:db8:ffff:ffff:ffff:ffff:ffff:fffe"),
            (128, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"),
        ];
        for &(p, want) in cases {
            let mut tr = t(32, p);
            assert_eq!(tr.rewrite(Addr::V6(a)), Addr::V6(v6(want)), "/{p}");
            let net = ipnet::Ipv6Net::new(Ipv6Addr::UNSPECIFIED, p).unwrap();
            assert_eq!(tr.mask6, u128::from(net.netmask()), "/{p}");
        }
        // Prefix 1 keeps the first bit of an address that has it set.
        assert_eq!(
            t(32, 1).rewrite(Addr::V6(v6("fe80::1"))),
            Addr::V6(v6("8000::"))
        );
    }

    #[test]
    fn truncate_embedded_v4() {
        let cases: &[(u8, u8, &str, &str)] = &[
            // IPv4-mapped: IPv4 rule on the low 32 bits, not the v6 rule.
            (24, 48, "::ffff:198.51.100.77", "::ffff:198.51.100.0"),
            (16, 48, "::ffff:198.51.100.77", "::ffff:198.51.0.0"),
            (0, 48, "::ffff:198.51.100.77", "::ffff:0.0.0.0"),
            (32, 0, "::ffff:198.51.100.77", "::ffff:198.51.100.77"),
            (24, 128, "::ffff:198.51.100.77", "::ffff:198.51.100.0"),
            // NAT64 well-known prefix.
            (24, 48, "64:ff9b::192.0.2.33", "64:ff9b::192.0.2.0"),
            (8, 0, "64:ff9b::192.0.2.33", "64:ff9b::192.0.0.0"),
            (32, 48, "64:ff9b::192.0.2.33", "64:ff9b::192.0.2.33"),
            // Only the exact /96 counts: 64:ff9b:1::/48 is a plain address.
            (24, 48, "64:ff9b:1::c000:221", "64:ff9b:1::"),
            // 6to4: v6 mask and the embedded v4 masked by the v4 rule.
            (24, 48, "2002:c633:644d:1::5", "2002:c633:6400::"),
            (24, 128, "2002:c633:644d:1::5", "2002:c633:6400:1::5"),
            (32, 128, "2002:c633:644d:1::5", "2002:c633:644d:1::5"),
            (0, 128, "2002:c633:644d:1::5", "2002:0:0:1::5"),
            (16, 64, "2002:c633:644d:1::5", "2002:c633:0:1::"),
            (32, 32, "2002:c633:644d:1::5", "2002:c633::"),
            (24, 8, "2002:c633:644d:1::5", "2000::"),
            // Not embedded: plain v6 rule.
            (24, 48, "2001:db8:1:2::ffff:c633:644d", "2001:db8:1::"),
            (24, 48, "::c633:644d", "::"),
        ];
        for &(p4, p6, input, want) in cases {
            let got = t(p4, p6).rewrite(Addr::V6(v6(input)));
            assert_eq!(got, Addr::V6(v6(want)), "({p4},{p6}) {input}");
        }
    }

    #[test]
    fn truncate_keeps_flags() {
        let cases: &[(u8, u8, bool, bool)] = &[
            (32, 128, true, true),
            (32, 127, true, false),
            (31, 128, false, false),
            (24, 48, false, false),
            (32, 48, true, false),
            (0, 0, false, false),
        ];
        for &(p4, p6, k4, k6) in cases {
            let tr = t(p4, p6);
            assert_eq!((tr.keeps_v4(), tr.keeps_v6()), (k4, k6), "({p4},{p6})");
        }
    }

    // ----- parse_v4 -----

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

    // ----- parse_v6 -----

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

    // ----- write_addr -----

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

    // ----- rewrite_addr_token -----

    #[test]
    fn rewrite_addr_token_table() {
        use TokenKind::*;
        let cases: &[(&[u8], TokenKind, &[u8])] = &[
            (b"198.51.100.7", V4, b"198.51.100.0"),
            (b"198.051.100.007", V4, b"198.51.100.0"),
            (b"198.51.100.7:51234", V4, b"198.51.100.0:51234"),
            (b"198.51.100.7:1", V4, b"198.51.100.0:1"),
            (b"198.51.100.7:99999", V4, b"198.51.100.0:99999"),
            (b"2001:db8:1:2::1", V6, b"2001:db8:1::"),
            (b"2001:DB8:0:0:0:0:0:1", V6, b"2001:db8::"),
            (b"fe80::1%eth0", V6, b"fe80::"),
            (b"fe80::1%25eth0", V6, b"fe80::"),
            (b"[2001:db8:1:2::1]", V6, b"[2001:db8:1::]"),
            (b"[2001:db8:1:2::1]:443", V6, b"[2001:db8:1::]:443"),
            (b"[fe80::1%eth0]:443", V6, b"[fe80::]:443"),
            (b"[fe80::1%en-0.1_x~]", V6, b"[fe80::]"),
            (b"::ffff:198.51.100.7", V6, b"::ffff:198.51.100.0"),
            (b"[::ffff:198.51.100.7]:80", V6, b"[::ffff:198.51.100.0]:80"),
            (b"2002:c633:644d:1::5", V6, b"2002:c633:6400::"),
            (b"", NotAddr, b""),
            (b"-", NotAddr, b""),
            (b"unknown", NotAddr, b""),
            (b" 198.51.100.7", NotAddr, b""),
            (b"198.51.100.7 ", NotAddr, b""),
            (b"198.51.100.7,", NotAddr, b""),
            (b"198.51.100.7:", NotAddr, b""),
            (b"198.51.100.7:123456", NotAddr, b""),
            (b"198.51.100.7:80a", NotAddr, b""),
            (b"198.51.100.7:80:81", NotAddr, b""),
            (b"198.51.100", NotAddr, b""),
            (b"198.51.100.256", NotAddr, b""),
            (b"[198.51.100.7]", NotAddr, b""),
            (b"[198.51.100.7]:80", NotAddr, b""),
            (b"2001:db8::1:443x", NotAddr, b""),
            (b"[2001:db8::1", NotAddr, b""),
            (b"2001:db8::1]", NotAddr, b""),
            (b"[2001:db8::1]:", NotAddr, b""),
            (b"[2001:db8::1]:443x", NotAddr, b""),
            (b"[2001:db8::1]x", NotAddr, b""),
            (b"[2001:db8::1]:123456", NotAddr, b""),
            (b"[[2001:db8::1]]", NotAddr, b""),
            (b"fe80::1%", NotAddr, b""),
            (b"fe80::1%eth0%1", NotAddr, b""),
            (b"fe80::1%eth 0", NotAddr, b""),
            (b"198.51.100.7%eth0", NotAddr, b""),
            (b"2001:db8::1\xff", NotAddr, b""),
        ];
        for &(input, kind, want) in cases {
            let (k, out) = token(&mut t(24, 48), input);
            let shown = String::from_utf8_lossy(input);
            assert_eq!(k, kind, "{shown}");
            assert_eq!(out, want, "{shown}: {}", String::from_utf8_lossy(&out));
        }
    }

    /// Changes the family, as ipcrypt-det (IPv4 -> IPv6) and revealing a
    /// det pseudonym (IPv6 -> IPv4) do.
    struct Flip;
    impl AddrRewrite for Flip {
        fn rewrite(&mut self, addr: Addr) -> Addr {
            match addr {
                Addr::V4(x) => Addr::V6((0x2001_0db8u128 << 96) | u128::from(x)),
                Addr::V6(x) => Addr::V4(x as u32),
            }
        }
    }

    #[test]
    fn family_change_keeps_ports_readable() {
        use TokenKind::*;
        let cases: &[(&[u8], TokenKind, &[u8])] = &[
            (b"198.51.100.7", V4, b"2001:db8::c633:6407"),
            (b"198.51.100.7:443", V4, b"[2001:db8::c633:6407]:443"),
            (b"2001:db8::c633:6407", V6, b"198.51.100.7"),
            (b"[2001:db8::c633:6407]", V6, b"198.51.100.7"),
            (b"[2001:db8::c633:6407]:443", V6, b"198.51.100.7:443"),
            (b"[fe80::1%eth0]:80", V6, b"0.0.0.1:80"),
            (b"::ffff:198.51.100.7", V6, b"198.51.100.7"),
            (b"198.51.100.7:80a", NotAddr, b""),
        ];
        for &(input, kind, want) in cases {
            let (k, out) = token(&mut Flip, input);
            let shown = String::from_utf8_lossy(input);
            assert_eq!(k, kind, "{shown}");
            assert_eq!(out, want, "{shown}: {}", String::from_utf8_lossy(&out));
        }
        // Same family: brackets exactly as given, as before.
        assert_eq!(token(&mut Identity, b"[2001:db8::1]").1, b"[2001:db8::1]");
        assert_eq!(token(&mut Identity, b"192.0.2.1:80").1, b"192.0.2.1:80");
    }

    #[test]
    fn rewrite_addr_only_drops_port_brackets_and_zone() {
        use TokenKind::*;
        // (input, kind, port dropped, written with truncation, with Flip)
        type Case = (&'static [u8], TokenKind, bool, &'static [u8], &'static [u8]);
        let cases: &[Case] = &[
            (
                b"198.51.100.7",
                V4,
                false,
                b"198.51.100.0",
                b"2001:db8::c633:6407",
            ),
            (
                b"198.51.100.7:51234",
                V4,
                true,
                b"198.51.100.0",
                b"2001:db8::c633:6407",
            ),
            (b"2001:db8:1:2::1", V6, false, b"2001:db8:1::", b"0.0.0.1"),
            (b"[2001:db8:1:2::1]", V6, false, b"2001:db8:1::", b"0.0.0.1"),
            (
                b"[2001:db8:1:2::1]:443",
                V6,
                true,
                b"2001:db8:1::",
                b"0.0.0.1",
            ),
            (b"[fe80::1%eth0]:443", V6, true, b"fe80::", b"0.0.0.1"),
            (b"fe80::1%eth0", V6, false, b"fe80::", b"0.0.0.1"),
            (b"198.51.100.7:80a", NotAddr, false, b"", b""),
            (b"[2001:db8::1]:", NotAddr, false, b"", b""),
            (b"host.example:80", NotAddr, false, b"", b""),
        ];
        for &(input, kind, port, want, flipped) in cases {
            let shown = String::from_utf8_lossy(input);
            for (r, want) in [
                (&mut t(24, 48) as &mut dyn AddrRewrite, want),
                (&mut Flip, flipped),
            ] {
                let mut out = b"x".to_vec();
                let got = rewrite_addr_only(&mut DynRewrite(r), input, &mut out);
                assert_eq!(got, (kind, port), "{shown}");
                assert_eq!(
                    &out[1..],
                    want,
                    "{shown}: {}",
                    String::from_utf8_lossy(&out)
                );
            }
        }
    }

    struct DynRewrite<'a>(&'a mut dyn AddrRewrite);
    impl AddrRewrite for DynRewrite<'_> {
        fn rewrite(&mut self, addr: Addr) -> Addr {
            self.0.rewrite(addr)
        }
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

    // ----- scrub_text -----

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

    // ----- fast paths against their references -----

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

    // ----- property tests -----

    /// Zero-pads or not, changes case or not: every spelling parse_v6 accepts.
    fn spell_v6(a: u128, style: u8, compress_at: usize, upper_mask: u8) -> String {
        let groups: Vec<u16> = (0..8).map(|k| (a >> (112 - 16 * k)) as u16).collect();
        let mut s = match style % 5 {
            0 => Ipv6Addr::from(a).to_string(),
            1 => groups
                .iter()
                .map(|g| format!("{g:04x}"))
                .collect::<Vec<_>>()
                .join(":"),
            2 => groups
                .iter()
                .map(|g| format!("{g:x}"))
                .collect::<Vec<_>>()
                .join(":"),
            3 => {
                // Compress the zero run that contains `compress_at`, whether
                // or not it is the longest one.
                let k = compress_at % 8;
                if groups[k] != 0 {
                    Ipv6Addr::from(a).to_string()
                } else {
                    let mut lo = k;
                    while lo > 0 && groups[lo - 1] == 0 {
                        lo -= 1;
                    }
                    let mut hi = k + 1;
                    while hi < 8 && groups[hi] == 0 {
                        hi += 1;
                    }
                    let h = |g: &[u16]| {
                        g.iter()
                            .map(|g| format!("{g:x}"))
                            .collect::<Vec<_>>()
                            .join(":")
                    };
                    format!("{}::{}", h(&groups[..lo]), h(&groups[hi..]))
                }
            }
            _ => {
                // Mixed notation with the low 32 bits as a dotted quad.
                let head = groups[..6]
                    .iter()
                    .map(|g| format!("{g:x}"))
                    .collect::<Vec<_>>()
                    .join(":");
                format!("{head}:{}", Ipv4Addr::from(a as u32))
            }
        };
        if upper_mask & 1 == 1 {
            s = s.to_uppercase();
        } else if upper_mask & 2 == 2 {
            s = s
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if i % 2 == 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect();
        }
        s
    }

    fn spell_v4(a: u32, pad: u8) -> String {
        let o = a.to_be_bytes();
        let w = |k: usize, x: u8| {
            if pad & (1 << k) != 0 {
                format!("{x:03}")
            } else {
                x.to_string()
            }
        };
        format!(
            "{}.{}.{}.{}",
            w(0, o[0]),
            w(1, o[1]),
            w(2, o[2]),
            w(3, o[3])
        )
    }

    fn any_v4() -> impl Strategy<Value = u32> {
        prop_oneof![
            (0u32..256).prop_map(|x| 0xc000_0200 | x),
            (0u32..256).prop_map(|x| 0xc633_6400 | x),
            (0u32..256).prop_map(|x| 0xcb00_7100 | x),
            any::<u32>(),
        ]
    }

    fn any_v6() -> impl Strategy<Value = u128> {
        prop_oneof![
            any::<u128>().prop_map(|x| (0x2001_0db8u128 << 96) | (x >> 32)),
            // Sparse: many zero groups, so compression matters.
            (any::<u128>(), any::<u8>()).prop_map(|(x, z)| {
                let mut a = (0x2001_0db8u128 << 96) | (x >> 32);
                for k in 0..6 {
                    if z & (1 << k) != 0 {
                        a &= !(0xffffu128 << (16 * k));
                    }
                }
                a
            }),
            any::<u32>().prop_map(|x| MAPPED_PREFIX | u128::from(x)),
            any::<u32>().prop_map(|x| NAT64_PREFIX | u128::from(x)),
            any::<u128>().prop_map(|x| (SIX_TO_FOUR << 112) | (x >> 16)),
            any::<u128>(),
            (any::<u16>(), 0usize..8).prop_map(|(g, k)| u128::from(g) << (16 * k)),
        ]
    }

    fn v6_text() -> impl Strategy<Value = String> {
        (any_v6(), any::<u8>(), any::<usize>(), any::<u8>())
            .prop_map(|(a, st, c, u)| spell_v6(a, st, c, u))
    }

    /// Strings built from pieces that are often almost valid IPv6.
    fn near_v6() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            "[0-9a-fA-F]{1,5}",
            Just(":".to_string()),
            Just("::".to_string()),
            Just(".".to_string()),
            "(25[0-6]|2[0-4][0-9]|1?[0-9]?[0-9]|0[0-9])",
            "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
        ];
        prop::collection::vec(piece, 0..14).prop_map(|v| v.concat())
    }

    /// A valid spelling with one to three single-character edits (insert,
    /// delete or replace), so most results sit right at the edge of validity.
    fn mutated_v6() -> impl Strategy<Value = String> {
        let edit = (
            0u8..3,
            any::<prop::sample::Index>(),
            prop::sample::select(b"0159afAF:.:".to_vec()),
        );
        (v6_text(), prop::collection::vec(edit, 1..4)).prop_map(|(s, edits)| {
            let mut b = s.into_bytes();
            for (op, at, c) in edits {
                match op {
                    0 => {
                        let i = at.index(b.len() + 1);
                        b.insert(i, c);
                    }
                    1 if !b.is_empty() => {
                        let i = at.index(b.len());
                        b.remove(i);
                    }
                    _ if !b.is_empty() => {
                        let i = at.index(b.len());
                        b[i] = c;
                    }
                    _ => {}
                }
            }
            String::from_utf8(b).unwrap()
        })
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
        fn prop_write_addr_matches_std(a in any_v6(), b in any_v4()) {
            prop_assert_eq!(addr_text(Addr::V6(a)), Ipv6Addr::from(a).to_string());
            prop_assert_eq!(addr_text(Addr::V4(b)), Ipv4Addr::from(b).to_string());
            // Round trip through our own parser.
            let mut out = Vec::new();
            write_addr(Addr::V6(a), &mut out);
            prop_assert_eq!(parse_v6(&out), Some(a));
        }

        #[test]
        fn prop_token_roundtrip(
            is_v6 in any::<bool>(), a4 in any_v4(), pad in any::<u8>(), s6 in v6_text(),
            port in prop::option::of(0u32..100_000), zone in prop::option::of("[a-z0-9]{1,5}"),
            bracket in any::<bool>(),
        ) {
            let mut r = t(24, 48);
            let (tok, want_kind, want) = if is_v6 {
                let a = parse_v6(s6.as_bytes()).unwrap();
                let canon = addr_text(r.rewrite(Addr::V6(a)));
                let z = zone.map(|z| format!("%{z}")).unwrap_or_default();
                if bracket || port.is_some() {
                    let p = port.map(|p| format!(":{p}")).unwrap_or_default();
                    (format!("[{s6}{z}]{p}"), TokenKind::V6, format!("[{canon}]{p}"))
                } else {
                    (format!("{s6}{z}"), TokenKind::V6, canon)
                }
            } else {
                let canon = addr_text(r.rewrite(Addr::V4(a4)));
                let p = port.map(|p| format!(":{p}")).unwrap_or_default();
                (format!("{}{p}", spell_v4(a4, pad)), TokenKind::V4, format!("{canon}{p}"))
            };
            let (k, out) = token(&mut r, tok.as_bytes());
            prop_assert_eq!(k, want_kind, "{}", tok);
            prop_assert_eq!(String::from_utf8(out).unwrap(), want);
        }

        #[test]
        fn prop_token_never_panics(s in prop::collection::vec(any::<u8>(), 0..60)) {
            let mut out = Vec::new();
            let k = rewrite_addr_token(&mut t(24, 48), &s, &mut out);
            prop_assert_eq!(k == TokenKind::NotAddr, out.is_empty());
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
        fn prop_parse_v4_matches_reference(s in prop::collection::vec(prop_oneof![
            8 => prop::sample::select(b"0123456789.".to_vec()),
            1 => any::<u8>(),
        ], 0..18)) {
            prop_assert_eq!(parse_v4(&s), parse_v4_inner::<false>(&s));
            prop_assert_eq!(parse_v4_strict(&s), parse_v4_inner::<true>(&s));
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
