//! Finding where a field ends: the one-load literal compare and the
//! searches a [`Find`](super::Find) selects.

use super::Check;
use crate::bytes::{all_digits8, find_byte};

/// A literal with its first eight bytes packed for a one-load compare:
/// the literals of a template are short, and a `memcmp` call (or a byte
/// loop) costs more than the comparison itself.
#[derive(Clone, Debug, Default)]
pub(super) struct Lit {
    pub(super) bytes: Box<[u8]>,
    /// The first (up to) eight bytes, little-endian, zero-padded.
    word: u64,
    /// Selects the bytes of `word` that belong to the literal.
    mask: u64,
}

impl Lit {
    pub(super) fn new(bytes: &[u8]) -> Self {
        let n = bytes.len().min(8);
        let mut w = [0; 8];
        w[..n].copy_from_slice(&bytes[..n]);
        Lit {
            bytes: bytes.into(),
            word: u64::from_le_bytes(w),
            mask: u64::MAX.checked_shr(8 * (8 - n as u32)).unwrap_or(0),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.bytes.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// `line[at..].starts_with(self)`, and false if `at` is past the end.
    #[inline(always)]
    pub(super) fn matches_at(&self, line: &[u8], at: usize) -> bool {
        let Some(hay) = line.get(at..) else {
            return false;
        };
        match hay.first_chunk::<8>() {
            Some(w) if self.bytes.len() <= 8 => u64::from_le_bytes(*w) & self.mask == self.word,
            _ => has_prefix(hay, &self.bytes),
        }
    }
}

/// `hay.starts_with(lit)` for the short literals of a template, without a
/// call to `memcmp`, which dominates at these lengths.
#[inline]
fn has_prefix(hay: &[u8], lit: &[u8]) -> bool {
    hay.len() >= lit.len() && hay.iter().zip(lit).all(|(a, b)| a == b)
}

/// End of a digits field (digits or, if `dash`, a lone `-`) at `from`: the
/// first `end` at or after `from`, if the field before it is valid.
///
/// Given that `end` is neither a digit nor `-`, that first `end` is the
/// first byte of the literal that ends the field whenever the field is
/// valid, so the caller only has to match the rest of the literal there.
#[inline(always)]
pub(super) fn find_digits_end(line: &[u8], from: usize, end: u8, dash: bool) -> Option<usize> {
    let at = find_byte(line, from, end)?;
    let n = at - from;
    let digits = match line.get(from..).and_then(<[u8]>::first_chunk::<8>) {
        // Up to eight bytes (counts below 100 MB) are checked in one word,
        // without a loop whose exit depends on the count's length.
        Some(w) if (1..=8).contains(&n) => all_digits8(w, n),
        _ => Check::Digits.ok(&line[from..at]),
    };
    (digits || (dash && n == 1 && line[from] == b'-')).then_some(at)
}

/// First occurrence of `lit` (at least two bytes, starting with `first`)
/// at or after `from`.
pub(super) fn find_literal(line: &[u8], from: usize, first: u8, lit: &Lit) -> Option<usize> {
    let mut at = from;
    loop {
        let cand = find_byte(line, at, first)?;
        if lit.matches_at(line, cand) {
            return Some(cand);
        }
        at = cand + 1;
    }
}

/// Start of `lit` if it ends the line and leaves `from..` room for it.
#[inline]
pub(super) fn find_last_literal(line: &[u8], from: usize, lit: &[u8]) -> Option<usize> {
    (line.len() >= from + lit.len() && line.ends_with(lit)).then(|| line.len() - lit.len())
}

/// The first unescaped `"` at or after `from`.
///
/// A quote is escaped by an odd run of backslashes right before it, counted
/// within the field only. Both servers escape quotes inside fields, so the
/// first unescaped quote ends the field; if the template does not continue
/// there, the line is not of this format.
#[inline(always)]
pub(super) fn find_quote(line: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        let cand = find_byte(line, at, b'"')?;
        if cand > from && line[cand - 1] == b'\\' {
            let backslashes = line[from..cand]
                .iter()
                .rev()
                .take_while(|&&b| b == b'\\')
                .count();
            if backslashes % 2 == 1 {
                at = cand + 1;
                continue;
            }
        }
        return Some(cand);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        #[test]
        fn find_quote_matches_reference(
            hay in prop::collection::vec(prop::sample::select(&b"ab \"\\"[..]), 0..100),
            from in 0usize..104,
        ) {
            if from <= hay.len() {
                prop_assert_eq!(find_quote(&hay, from), reference_quote(&hay, from));
            }
        }

        #[test]
        fn find_digits_end_is_search_and_check(
            field in prop::collection::vec(prop::sample::select(&b"0123456789-- x"[..]), 0..20),
            dash in any::<bool>(),
        ) {
            let want = field.iter().position(|&c| c == b' ').filter(|&e| {
                let v = &field[..e];
                (dash && v == b"-") || (!v.is_empty() && v.iter().all(u8::is_ascii_digit))
            });
            prop_assert_eq!(find_digits_end(&field, 0, b' ', dash), want);
            let mut line = b"pre".to_vec();
            line.extend_from_slice(&field);
            prop_assert_eq!(find_digits_end(&line, 3, b' ', dash), want.map(|e| e + 3));
        }
    }

    fn reference_quote(line: &[u8], from: usize) -> Option<usize> {
        (from..line.len()).find(|&c| {
            line[c] == b'"'
                && line[from..c]
                    .iter()
                    .rev()
                    .take_while(|&&b| b == b'\\')
                    .count()
                    % 2
                    == 0
        })
    }
}
