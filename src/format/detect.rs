//! Temporary detection (replaced by the full module).

use super::{Fields, Parser};

/// Index of the candidate parsing most of `lines`.
pub fn detect(lines: &[&[u8]], candidates: &[Parser]) -> Option<usize> {
    let mut f = Fields::new();
    let mut best: Option<(usize, usize)> = None;
    for (i, c) in candidates.iter().enumerate() {
        let n = lines.iter().filter(|l| c.parse(l, &mut f)).count();
        if n > 0 && best.is_none_or(|(_, b)| n > b) {
            best = Some((i, n));
        }
    }
    best.map(|(i, _)| i)
}
