//! Byte sets searched by nibble lookup (simdjson's stage-1 classifier):
//! AVX2 where the CPU has it, SSE2 or bytes one at a time elsewhere.

#[cfg(target_arch = "x86_64")]
use super::find_sse2;

/// A set of up to eight bytes, with the nibble tables of simdjson's
/// stage 1: byte `b` is in the set exactly when `lo[b & 15] & hi[b >> 4]`
/// is not zero (each member has a bit of its own in both tables, so no
/// two members' nibbles combine into a false one).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ByteSet<const N: usize> {
    pub(super) pats: [u8; N],
    pub(super) lo: [u8; 16],
    pub(super) hi: [u8; 16],
}

impl<const N: usize> ByteSet<N> {
    /// The set of `pats`; at most eight bytes (checked when compiled).
    pub(crate) const fn new(pats: [u8; N]) -> Self {
        assert!(N >= 1 && N <= 8, "a ByteSet has one to eight members");
        let (mut lo, mut hi) = ([0u8; 16], [0u8; 16]);
        let mut i = 0;
        while i < N {
            lo[(pats[i] & 15) as usize] |= 1 << i;
            hi[(pats[i] >> 4) as usize] |= 1 << i;
            i += 1;
        }
        ByteSet { pats, lo, hi }
    }

    /// Whether `b` is a member.
    #[inline(always)]
    pub(crate) fn contains(&self, b: u8) -> bool {
        self.lo[usize::from(b & 15)] & self.hi[usize::from(b >> 4)] != 0
    }
}

/// The first byte of `hay` at or after `from` that is in `set`; `None`
/// when there is none, and when `from` is past the end.
///
/// 32 bytes at a time with AVX2 where the CPU has it (detected at run
/// time; two table lookups whatever the set's size), else 16 at a time
/// with SSE2 (one compare per member), else byte by byte: the same result
/// on every input and every path.
#[inline(always)]
pub(crate) fn find_in_set<const N: usize>(
    hay: &[u8],
    from: usize,
    set: &ByteSet<N>,
) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        if hay.len() >= 32 && std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above), and the
            // kernel's own requirement, `hay.len() >= 32`, holds.
            return unsafe { find_set_avx2(hay, from, &set.lo, &set.hi) };
        }
        if let Some(last) = hay.len().checked_sub(16) {
            return find_sse2(hay, from, last, set.pats);
        }
    }
    find_in_set_scalar(hay, from, set)
}

/// [`find_in_set`] one byte at a time, by the set's tables.
#[inline(always)]
pub(crate) fn find_in_set_scalar<const N: usize>(
    hay: &[u8],
    from: usize,
    set: &ByteSet<N>,
) -> Option<usize> {
    hay.get(from..)?
        .iter()
        .position(|&c| set.contains(c))
        .map(|k| from + k)
}

/// The members of the nibble-table set among the 32 bytes at `p`, one bit
/// per byte.
///
/// # Safety
/// The CPU must have AVX2, and `p..p + 32` must be readable.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn set_mask32(
    p: *const u8,
    lo: std::arch::x86_64::__m256i,
    hi: std::arch::x86_64::__m256i,
) -> u32 {
    use std::arch::x86_64::{
        _mm256_and_si256, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8,
        _mm256_set1_epi8, _mm256_setzero_si256, _mm256_shuffle_epi8, _mm256_srli_epi16,
    };
    // SAFETY: the caller guarantees AVX2 and 32 readable bytes at `p`; the
    // load is unaligned. `vpshufb` looks up each 128-bit lane in its own
    // copy of the table, so both lanes carry the same 16 entries.
    unsafe {
        let v = _mm256_loadu_si256(p.cast());
        let nib = _mm256_set1_epi8(0x0f);
        let l = _mm256_shuffle_epi8(lo, _mm256_and_si256(v, nib));
        let h = _mm256_shuffle_epi8(hi, _mm256_and_si256(_mm256_srli_epi16(v, 4), nib));
        let none = _mm256_cmpeq_epi8(_mm256_and_si256(l, h), _mm256_setzero_si256());
        !(_mm256_movemask_epi8(none) as u32)
    }
}

/// [`find_in_set`]'s AVX2 kernel: 32 bytes at a time, the tail as one
/// load of the last 32 bytes with those already searched shifted out.
///
/// # Safety
/// The CPU must have AVX2, and `hay.len() >= 32`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
pub(super) unsafe fn find_set_avx2(
    hay: &[u8],
    from: usize,
    lo: &[u8; 16],
    hi: &[u8; 16],
) -> Option<usize> {
    use std::arch::x86_64::{_mm_loadu_si128, _mm256_broadcastsi128_si256};
    debug_assert!(hay.len() >= 32);
    let last = hay.len() - 32;
    // SAFETY: AVX2 is present (the caller's contract); the table loads read
    // the 16 bytes of `lo` and `hi`; every `set_mask32` call below reads
    // `hay[at..at + 32]` with `at <= last = hay.len() - 32`.
    unsafe {
        let lo = _mm256_broadcastsi128_si256(_mm_loadu_si128(lo.as_ptr().cast()));
        let hi = _mm256_broadcastsi128_si256(_mm_loadu_si128(hi.as_ptr().cast()));
        let mut i = from;
        while i <= last {
            let m = set_mask32(hay.as_ptr().add(i), lo, hi);
            if m != 0 {
                return Some(i + m.trailing_zeros() as usize);
            }
            i += 32;
        }
        if i >= hay.len() {
            return None;
        }
        let m = set_mask32(hay.as_ptr().add(last), lo, hi) >> (i - last);
        (m != 0).then(|| i + m.trailing_zeros() as usize)
    }
}
