//! Byte searches on raw bytes: the crate's only SIMD and SWAR kernels, and
//! the only home of their `unsafe`.
//!
//! The fields these run over are short (addresses, times, request lines,
//! JSON keys): `memchr`'s per-call dispatch and setup cost more than the
//! scan itself at these lengths, so every search here is an inlined loop
//! without any call. SIMD means SSE2, which every x86-64 CPU has, and AVX2
//! where the CPU has it (detected at run time, [`set`]); elsewhere the same
//! searches run eight bytes at a time in a `u64` (SWAR) or byte by byte.
//! Short output pieces are appended without a `memcpy` call ([`copy`]).
//!
//! Each kernel is tested against a scalar reference (proptest, below).

mod copy;
mod set;

pub(crate) use copy::append;
pub(crate) use set::{ByteSet, find_in_set};
#[cfg(test)]
use set::{find_in_set_scalar, find_set_avx2};

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::{
    _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set_epi64x,
    _mm_set1_epi8, _mm_sub_epi8,
};

/// `0x01` in every byte.
const LO: u64 = u64::from_ne_bytes([0x01; 8]);
/// `0x80` in every byte: the top bits.
const HI: u64 = u64::from_ne_bytes([0x80; 8]);
/// `0x7f` in every byte: the low seven bits.
const LOW7: u64 = u64::from_ne_bytes([0x7f; 8]);

/// The eight bytes of `hay` at `at`, little-endian, if there are eight.
#[inline(always)]
fn word(hay: &[u8], at: usize) -> Option<u64> {
    hay.get(at..)?
        .first_chunk::<8>()
        .map(|w| u64::from_le_bytes(*w))
}

/// The top bit of every byte of `w` that is zero, exactly (no carry crosses
/// bytes, so unlike the classic has-zero trick this also serves for the
/// last match): adding 0x7f to the low seven bits sets the top bit of a
/// non-zero byte, and so does the byte's own top bit.
#[inline(always)]
fn zero_bytes(w: u64) -> u64 {
    !(((w & LOW7) + LOW7) | w) & HI
}

/// The top bit of every byte of `w` equal to `a` or `b`, exactly.
#[inline(always)]
fn eq_mask(w: u64, a: u8, b: u8) -> u64 {
    zero_bytes(w ^ (LO * u64::from(a))) | zero_bytes(w ^ (LO * u64::from(b)))
}

/// The first byte of `hay` at or after `from` equal to one of `pats`,
/// sixteen bytes at a time; requires `last == hay.len() - 16`.
///
/// The tail (fewer than 16 bytes left) is one more load, of the last 16
/// bytes of `hay`, with the bits of the bytes already searched shifted out:
/// re-reading bytes (even some before `from`) keeps the load inside `hay`
/// without a byte-by-byte loop.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn find_sse2<const N: usize>(hay: &[u8], from: usize, last: usize, pats: [u8; N]) -> Option<usize> {
    debug_assert_eq!(last + 16, hay.len());
    // SAFETY: `_mm_set1_epi8` takes and returns plain values, and needs
    // only SSE2, which x86-64 always has.
    let pats = pats.map(|p| unsafe { _mm_set1_epi8(p as i8) });
    let mask = |at: usize| {
        debug_assert!(at <= last);
        // SAFETY: SSE2 is part of x86-64, and every caller passes
        // `at <= last == hay.len() - 16`, so the unaligned load reads
        // `hay[at..at + 16]`, inside the slice.
        unsafe {
            let v = _mm_loadu_si128(hay.as_ptr().add(at).cast());
            let mut eq = _mm_cmpeq_epi8(v, pats[0]);
            for &p in &pats[1..] {
                eq = _mm_or_si128(eq, _mm_cmpeq_epi8(v, p));
            }
            _mm_movemask_epi8(eq) as u32
        }
    };
    let mut i = from;
    while i <= last {
        let m = mask(i);
        if m != 0 {
            return Some(i + m.trailing_zeros() as usize);
        }
        i += 16;
    }
    if i >= hay.len() {
        return None;
    }
    // Fewer than 16 bytes left: look at the last 16 of `hay` and ignore
    // those before `i`, which were already searched (`last < i < last + 16`).
    let m = mask(last) >> (i - last);
    (m != 0).then(|| i + m.trailing_zeros() as usize)
}

/// The first `b` in `hay` at or after `from`; `None` when there is none,
/// and when `from` is past the end.
///
/// Sixteen bytes at a time with SSE2 on x86-64, else [`find_byte_swar`].
#[inline(always)]
pub(crate) fn find_byte(hay: &[u8], from: usize, b: u8) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        match hay.len().checked_sub(16) {
            Some(last) => find_sse2(hay, from, last, [b]),
            None => find_byte_swar(hay, from, b),
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        find_byte_swar(hay, from, b)
    }
}

/// [`find_byte`] eight bytes at a time in a `u64`, then byte by byte: the
/// same result on every input.
#[inline(always)]
pub(crate) fn find_byte_swar(hay: &[u8], from: usize, b: u8) -> Option<usize> {
    let pat = LO * u64::from(b);
    let mut i = from;
    while let Some(w) = hay.get(i..).and_then(<[u8]>::first_chunk::<8>) {
        let x = u64::from_le_bytes(*w) ^ pat;
        // The lowest bit of the classic has-zero mask is exact: borrows
        // only travel upwards, past the first zero byte.
        let z = x.wrapping_sub(LO) & !x & HI;
        if z != 0 {
            return Some(i + (z.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    hay.get(i..)?.iter().position(|&c| c == b).map(|k| i + k)
}

/// The first byte of `hay` at or after `from` that is one of `pats`;
/// `None` when there is none, and when `from` is past the end.
///
/// Sixteen bytes at a time with SSE2, inlined: for short fields (a request
/// line), where [`find_in_set`]'s run-time dispatch to its AVX2 kernel costs
/// more than the search. Byte by byte under sixteen bytes or off x86-64.
#[inline(always)]
pub(crate) fn find_any<const N: usize>(hay: &[u8], from: usize, pats: [u8; N]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if let Some(last) = hay.len().checked_sub(16) {
        return find_sse2(hay, from, last, pats);
    }
    hay.get(from..)?
        .iter()
        .position(|b| pats.contains(b))
        .map(|k| from + k)
}

/// The first byte of `hay` at or after `from` that is `a` or `b`; `None`
/// when there is none, and when `from` is past the end.
///
/// Sixteen bytes at a time with SSE2 on x86-64, else
/// [`find_either_swar`].
#[inline(always)]
pub(crate) fn find_either(hay: &[u8], from: usize, a: u8, b: u8) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if let Some(last) = hay.len().checked_sub(16) {
        return find_sse2(hay, from, last, [a, b]);
    }
    find_either_swar(hay, from, a, b)
}

/// [`find_either`] eight bytes at a time in a `u64`: the same result on
/// every input.
///
/// The tail (fewer than eight bytes left) is one load of the last eight
/// bytes of `hay`, with the bytes already searched shifted out.
#[inline(always)]
pub(crate) fn find_either_swar(hay: &[u8], from: usize, a: u8, b: u8) -> Option<usize> {
    let mut i = from;
    while let Some(w) = word(hay, i) {
        let m = eq_mask(w, a, b);
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    if i >= hay.len() {
        return None;
    }
    match hay.len().checked_sub(8) {
        // Fewer than eight bytes left: look at the last eight of `hay`
        // and drop those before `i`, already searched (`tail < i`).
        Some(tail) => {
            let m = eq_mask(word(hay, tail)?, a, b) >> (8 * (i - tail));
            (m != 0).then(|| i + (m.trailing_zeros() / 8) as usize)
        }
        None => hay[i..]
            .iter()
            .position(|&c| c == a || c == b)
            .map(|k| i + k),
    }
}

/// The last `b` in `hay`, if any.
///
/// Eight bytes at a time from the end: what this looks for (the protocol
/// of a request line) is near the end, so this usually takes two words
/// (SSE2 measured no faster here).
#[inline(always)]
pub(crate) fn rfind_byte(hay: &[u8], b: u8) -> Option<usize> {
    let mut end = hay.len();
    while let Some(at) = end.checked_sub(8) {
        let m = eq_mask(word(hay, at)?, b, b);
        if m != 0 {
            return Some(at + 7 - (m.leading_zeros() / 8) as usize);
        }
        end = at;
    }
    if end == 0 {
        return None;
    }
    match word(hay, 0) {
        // Fewer than eight bytes left: look at the first eight of `hay`
        // and drop those from `end` on, already searched (`end < 8`).
        Some(w) => {
            let m = eq_mask(w, b, b) & (u64::MAX >> (64 - 8 * end));
            (m != 0).then(|| 7 - (m.leading_zeros() / 8) as usize)
        }
        None => hay.iter().rposition(|&c| c == b),
    }
}

/// The first `"` or `\` in `line` at or after `from`; `None` when there is
/// none, and when `from` is past the end.
///
/// Eight bytes at a time, SWAR only: JSON keys and most values are too
/// short for a 16-byte load (or memchr's setup) to pay off.
#[inline]
pub(crate) fn find_quote_or_backslash(line: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(chunk) = line.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        let q = w ^ (LO * u64::from(b'"'));
        let b = w ^ (LO * u64::from(b'\\'));
        // A zero byte of q or b is a match; the lowest flagged byte is
        // always a true one.
        let hit = (q.wrapping_sub(LO) & !q | b.wrapping_sub(LO) & !b) & HI;
        if hit != 0 {
            return Some(i + (hit.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    let tail = line.get(i..)?;
    tail.iter()
        .position(|&c| c == b'"' || c == b'\\')
        .map(|p| i + p)
}

/// Whether the first `n` bytes of `w` are all ASCII digits; requires
/// `1 <= n <= 8`.
///
/// One word, without a loop whose exit depends on `n`: a count or status
/// field has a length that varies from line to line, and a loop over it
/// costs mispredicted branches.
#[inline(always)]
pub(crate) fn all_digits8(w: &[u8; 8], n: usize) -> bool {
    debug_assert!((1..=8).contains(&n));
    // Digits become 0..=9 and nothing else does; a byte is then bad if its
    // top bit is set or adding 0x76 to its low seven bits sets it (no carry
    // crosses bytes: 0x7f + 0x76 < 0x100).
    let x = u64::from_le_bytes(*w) ^ (LO * u64::from(b'0'));
    let bad = ((x & LOW7).wrapping_add(LO * 0x76) | x) & HI;
    bad & (u64::MAX >> (64 - 8 * n)) == 0
}

/// The top bit of every byte of `w` that is not an ASCII digit, exactly
/// (the test of [`all_digits8`], without the length).
#[inline(always)]
pub(crate) fn non_digits(w: u64) -> u64 {
    let x = w ^ (LO * u64::from(b'0'));
    ((x & LOW7).wrapping_add(LO * 0x76) | x) & HI
}

/// Which of 16 bytes are '.', ':' and ASCII digits: bit k of each mask
/// stands for byte k.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ByteMasks {
    /// The bytes that are `.`.
    pub dot: u32,
    /// The bytes that are `:`.
    pub colon: u32,
    /// The bytes that are `0..=9`.
    pub digit: u32,
}

/// [`ByteMasks`] of the 16 bytes of `lo` then `hi` (each little-endian:
/// byte k of `lo` is byte k, byte k of `hi` is byte 8 + k); no bit above
/// 15 is set.
#[inline(always)]
pub(crate) fn byte_masks(lo: u64, hi: u64) -> ByteMasks {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        byte_masks_sse2(lo, hi)
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        byte_masks_swar(lo, hi)
    }
}

/// [`byte_masks`] with SSE2, which every x86_64 processor has.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn byte_masks_sse2(lo: u64, hi: u64) -> ByteMasks {
    // SAFETY: these intrinsics take and return plain values (no pointers),
    // and the one thing they require, SSE2, is enabled (see the cfg).
    unsafe {
        let v = _mm_set_epi64x(hi as i64, lo as i64);
        let dot = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'.' as i8));
        let colon = _mm_cmpeq_epi8(v, _mm_set1_epi8(b':' as i8));
        // Digits are the bytes that are at most 9 after subtracting '0'
        // (wrapping, compared unsigned).
        let d = _mm_sub_epi8(v, _mm_set1_epi8(b'0' as i8));
        let digit = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
        ByteMasks {
            dot: _mm_movemask_epi8(dot) as u32,
            colon: _mm_movemask_epi8(colon) as u32,
            digit: _mm_movemask_epi8(digit) as u32,
        }
    }
}

/// Portable [`byte_masks`], eight bytes at a time in a `u64`: the same
/// result on every input.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
#[inline(always)]
pub(crate) fn byte_masks_swar(lo: u64, hi: u64) -> ByteMasks {
    // The top bit of each byte of `w` that is below 10: adding 0x76 to the
    // low seven bits reaches 0x80 exactly when they are 10 or more.
    let below10 = |w: u64| !(((w & LOW7) + LO * 0x76) | w) & HI;
    // Gathers the top bits of the eight bytes into bits 0..8: the partial
    // products of the multiplication are distinct powers of two, so nothing
    // carries, and byte k's bit lands on bit 56 + k.
    let gather = |m: u64| ((m >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u32;
    let both = |f: &dyn Fn(u64) -> u64| gather(f(lo)) | gather(f(hi)) << 8;
    ByteMasks {
        dot: both(&|w| zero_bytes(w ^ (LO * u64::from(b'.')))),
        colon: both(&|w| zero_bytes(w ^ (LO * u64::from(b':')))),
        digit: both(&|w| below10(w ^ (LO * u64::from(b'0')))),
    }
}

/// The '.' and ':' bytes of `text[at..at + 16]` (or of what is left of it):
/// returns `(block, mask)` where bit k of `mask` stands for `text[block +
/// k]`, `block <= at`, and no bit stands for a byte before `at` or past the
/// end. Requires `at < text.len()`.
#[inline(always)]
pub(crate) fn sep_block(text: &[u8], at: usize) -> (usize, u32) {
    let n = text.len();
    let word = |i: usize| u64::from_le_bytes(text[i..i + 8].try_into().unwrap());
    let seps = |lo: u64, hi: u64| {
        let m = byte_masks(lo, hi);
        m.dot | m.colon
    };
    if at + 16 <= n {
        return (at, seps(word(at), word(at + 8)));
    }
    if n >= 16 {
        // The last 16 bytes, without those before `at`.
        let block = n - 16;
        let m = seps(word(block), word(block + 8));
        return (block, m & (u32::MAX << (at - block)));
    }
    if n >= 8 {
        // Two overlapping words cover the text.
        let m = seps(word(0), word(n - 8));
        let m = (m & 0xff) | (m >> 8) << (n - 8);
        return (0, m & (u32::MAX << at));
    }
    let mut m = 0u32;
    for (k, &b) in text.iter().enumerate().skip(at) {
        m |= u32::from(b == b'.' || b == b':') << k;
    }
    (0, m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Bytes the kernels look for, often, and any byte now and then.
    const ALPHABET: &[u8] = b"ab \"\\.:09?;/";

    fn byte() -> impl Strategy<Value = u8> {
        prop_oneof![4 => prop::sample::select(ALPHABET), 1 => any::<u8>()]
    }

    /// 0..=100 bytes: every length up to and past the 8, 16 and 32-byte
    /// chunks (and two 32-byte ones), so every tail case of every kernel is reached.
    fn hay() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(byte(), 0..=100)
    }

    /// A haystack whose length is within one of a chunk boundary (or twice
    /// one), where the tail loads overlap the searched part the most.
    fn edge_hay() -> impl Strategy<Value = Vec<u8>> {
        prop::sample::select(vec![
            7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 47, 48, 49, 63, 64, 65, 95, 96, 97,
        ])
        .prop_flat_map(|n| prop::collection::vec(byte(), n))
    }

    fn first(hay: &[u8], from: usize, hit: impl Fn(u8) -> bool) -> Option<usize> {
        let p = hay.get(from..)?.iter().position(|&c| hit(c))?;
        Some(from + p)
    }

    fn check_forward(hay: &[u8], from: usize, a: u8, b: u8) -> Result<(), TestCaseError> {
        let one = first(hay, from, |c| c == a);
        prop_assert_eq!(find_byte(hay, from, a), one);
        prop_assert_eq!(find_byte_swar(hay, from, a), one);
        let two = first(hay, from, |c| c == a || c == b);
        prop_assert_eq!(find_either(hay, from, a, b), two);
        prop_assert_eq!(find_either_swar(hay, from, a, b), two);
        let qb = first(hay, from, |c| c == b'"' || c == b'\\');
        prop_assert_eq!(find_quote_or_backslash(hay, from), qb);
        let mut out = vec![b'x'; from % 5];
        let want = [out.clone(), hay[from.min(hay.len())..].to_vec()].concat();
        append(&mut out, &hay[from.min(hay.len())..]);
        prop_assert_eq!(out, want);
        let members = ByteSet::new([a, b, b'?', b':', b'"', 0x80, 0xff]);
        let want = first(hay, from, |c| {
            [a, b, b'?', b':', b'"', 0x80, 0xff].contains(&c)
        });
        prop_assert_eq!(find_in_set(hay, from, &members), want);
        prop_assert_eq!(find_in_set_scalar(hay, from, &members), want);
        let three = first(hay, from, |c| [a, b'@', b'J'].contains(&c));
        prop_assert_eq!(find_any(hay, from, [a, b'@', b'J']), three);
        #[cfg(target_arch = "x86_64")]
        if hay.len() >= 32 && std::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 is present and the haystack is long enough.
            let got = unsafe { find_set_avx2(hay, from, &members.lo, &members.hi) };
            prop_assert_eq!(got, want);
        }
        Ok(())
    }

    fn masks_reference(bytes: &[u8; 16]) -> ByteMasks {
        let mut want = ByteMasks {
            dot: 0,
            colon: 0,
            digit: 0,
        };
        for (k, &b) in bytes.iter().enumerate() {
            want.dot |= u32::from(b == b'.') << k;
            want.colon |= u32::from(b == b':') << k;
            want.digit |= u32::from(b.is_ascii_digit()) << k;
        }
        want
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        #[test]
        fn forward_searches_match_reference(
            hay in hay(),
            from in 0usize..=70,
            a in byte(),
            b in byte(),
        ) {
            check_forward(&hay, from, a, b)?;
        }

        #[test]
        fn forward_searches_at_chunk_edges(
            hay in edge_hay(),
            from in any::<prop::sample::Index>(),
            a in byte(),
            b in byte(),
        ) {
            check_forward(&hay, from.index(hay.len() + 2), a, b)?;
        }

        #[test]
        fn rfind_byte_matches_reference(hay in hay(), b in byte()) {
            prop_assert_eq!(rfind_byte(&hay, b), hay.iter().rposition(|&c| c == b));
        }

        #[test]
        fn rfind_byte_at_chunk_edges(hay in edge_hay(), b in byte()) {
            prop_assert_eq!(rfind_byte(&hay, b), hay.iter().rposition(|&c| c == b));
        }

        #[test]
        fn all_digits8_matches_reference(w in prop::array::uniform8(prop_oneof![
            6 => prop::sample::select(b"0123456789".to_vec()),
            1 => any::<u8>(),
        ]), n in 1usize..=8) {
            prop_assert_eq!(all_digits8(&w, n), w[..n].iter().all(u8::is_ascii_digit));
        }

        #[test]
        fn byte_masks_match_reference(bytes in prop::array::uniform16(prop_oneof![
            4 => prop::sample::select(b"0123456789.:/9".to_vec()),
            1 => any::<u8>(),
        ])) {
            let want = masks_reference(&bytes);
            let lo = u64::from_le_bytes(bytes[..8].try_into().unwrap());
            let hi = u64::from_le_bytes(bytes[8..].try_into().unwrap());
            prop_assert_eq!(byte_masks(lo, hi), want);
            prop_assert_eq!(byte_masks_swar(lo, hi), want);
        }

        #[test]
        fn sep_block_matches_reference(
            text in prop::collection::vec(byte(), 1..=64),
            at in any::<prop::sample::Index>(),
        ) {
            let at = at.index(text.len());
            let (block, m) = sep_block(&text, at);
            prop_assert!(block <= at);
            for k in 0..32 {
                let p = block + k;
                let want = k < 16 && p >= at && p < text.len() && matches!(text[p], b'.' | b':');
                prop_assert_eq!(m >> k & 1 == 1, want, "bit {}", k);
            }
        }
    }

    /// Every length, fill byte (with and without the top bit, next to the
    /// needles) and needle position up to 40, exhaustively.
    #[test]
    fn find_quote_or_backslash_matches_a_plain_search() {
        let fill = [b'a', 0x21, 0x23, 0xA2, 0xDC, 0x5B, 0x5D, 0x00, 0xFF, 0x01];
        for len in 0..40 {
            for &f in &fill {
                let mut v = vec![f; len];
                for from in 0..=len {
                    assert_eq!(find_quote_or_backslash(&v, from), None);
                }
                for at in 0..len {
                    for needle in [b'"', b'\\'] {
                        v[at] = needle;
                        if at + 3 < len {
                            v[at + 3] = b'"';
                        }
                        for from in 0..=len {
                            let want = v[from..]
                                .iter()
                                .position(|&c| c == b'"' || c == b'\\')
                                .map(|p| from + p);
                            assert_eq!(find_quote_or_backslash(&v, from), want);
                        }
                        v.fill(f);
                    }
                }
            }
        }
        assert_eq!(find_quote_or_backslash(b"ab", 3), None);
    }
}
