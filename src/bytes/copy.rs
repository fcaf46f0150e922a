//! Short appends without a call into `memcpy`.

/// Appends `s` to `out`, as `out.extend_from_slice(s)` does.
///
/// Most pieces of an output line are a few bytes (the `" ` between two
/// fields, a status, a size): for those, a call into the C library's
/// `memcpy` and `Vec`'s growth path cost more than the copy. Up to 16
/// bytes are copied here as two overlapping loads and stores of a fixed
/// size, reading only `s` and writing only reserved capacity.
#[inline(always)]
pub(crate) fn append(out: &mut Vec<u8>, s: &[u8]) {
    let n = s.len();
    if n > 16 {
        out.extend_from_slice(s);
        return;
    }
    out.reserve(n);
    let len = out.len();
    let (src, dst) = (s.as_ptr(), out.as_mut_ptr());
    // SAFETY: `reserve(n)` made `out`'s capacity at least `len + n`, so
    // every store below, which writes inside `dst[len..len + n]`, is in
    // the allocation; every load reads inside `s[..n]` (the two loads of a
    // size class overlap when `n` is below twice that size); `s` cannot
    // overlap the spare capacity, which no other slice may borrow while
    // `out` is borrowed mutably; the unaligned reads and writes need no
    // alignment; and `set_len(len + n)` only covers bytes just written.
    unsafe {
        let dst = dst.add(len);
        if n >= 8 {
            let a = src.cast::<u64>().read_unaligned();
            let b = src.add(n - 8).cast::<u64>().read_unaligned();
            dst.cast::<u64>().write_unaligned(a);
            dst.add(n - 8).cast::<u64>().write_unaligned(b);
        } else if n >= 4 {
            let a = src.cast::<u32>().read_unaligned();
            let b = src.add(n - 4).cast::<u32>().read_unaligned();
            dst.cast::<u32>().write_unaligned(a);
            dst.add(n - 4).cast::<u32>().write_unaligned(b);
        } else if n > 0 {
            *dst = *src;
            *dst.add(n / 2) = *src.add(n / 2);
            *dst.add(n - 1) = *src.add(n - 1);
        }
        out.set_len(len + n);
    }
}
