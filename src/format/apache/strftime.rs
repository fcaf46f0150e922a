//! `%{format}t` strftime formats: the bytes each conversion can write,
//! and the split of a format into literals and Verbatim fields.

use super::directive::Directive;
use super::{Builder, FormatError, conditional_time};

/// Bytes a field can hold: ASCII as a bit set, anything above as one flag.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct ByteSet {
    ascii: u128,
    high: bool,
}

impl ByteSet {
    pub(super) const fn of(s: &[u8]) -> ByteSet {
        let mut set = ByteSet {
            ascii: 0,
            high: false,
        };
        let mut i = 0;
        while i < s.len() {
            if s[i] < 128 {
                set.ascii |= 1 << s[i];
            } else {
                set.high = true;
            }
            i += 1;
        }
        set
    }

    pub(super) const fn or(self, other: ByteSet) -> ByteSet {
        ByteSet {
            ascii: self.ascii | other.ascii,
            high: self.high || other.high,
        }
    }

    pub(super) fn contains(self, b: u8) -> bool {
        if b < 128 {
            (self.ascii >> b) & 1 == 1
        } else {
            self.high
        }
    }
}

pub(super) const DIGITS: ByteSet = ByteSet::of(b"0123456789");
const ALPHA: ByteSet = ByteSet::of(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

/// What a strftime conversion writes in the C locale (httpd never calls
/// `setlocale`); `None` for conversions anonlog does not know.
fn conversion(c: u8) -> Option<ByteSet> {
    Some(match c {
        b'a' | b'A' | b'b' | b'B' | b'h' | b'p' | b'P' => ALPHA,
        b'C' | b'd' | b'g' | b'G' | b'H' | b'I' | b'j' | b'm' | b'M' | b'S' | b'u' | b'U'
        | b'V' | b'w' | b'W' | b'y' | b'Y' | b's' => DIGITS,
        b'D' | b'x' => DIGITS.or(ByteSet::of(b"/")),
        b'F' => DIGITS.or(ByteSet::of(b"-")),
        b'T' | b'R' | b'X' => DIGITS.or(ByteSet::of(b":")),
        b'z' => DIGITS.or(ByteSet::of(b"+-")),
        b'Z' => ALPHA.or(DIGITS).or(ByteSet::of(b"+-")),
        b'e' | b'k' | b'l' => DIGITS.or(ByteSet::of(b" ")),
        b'c' | b'r' | b'+' => ALPHA.or(DIGITS).or(ByteSet::of(b" :")),
        _ => return None,
    })
}

impl Builder {
    /// Splits a strftime format into literals and Verbatim fields (one per
    /// run of conversions).
    pub(super) fn strftime(
        &mut self,
        d: &Directive,
        fmt: &[(u8, usize)],
    ) -> Result<(), FormatError> {
        enum Part {
            Lit(u8, usize),
            Conv(ByteSet, usize),
        }
        let mut parts = Vec::new();
        let mut i = 0;
        while i < fmt.len() {
            let (c, at) = fmt[i];
            i += 1;
            if c != b'%' {
                parts.push(Part::Lit(c, at));
                continue;
            }
            let mut set = ByteSet::default();
            while let Some(&(f, _)) = fmt.get(i) {
                match f {
                    b'_' => set = set.or(ByteSet::of(b" ")),
                    b'-' | b'0' | b'^' | b'#' => {}
                    b'1'..=b'9' => set = set.or(ByteSet::of(b" 0")),
                    _ => break,
                }
                i += 1;
            }
            while fmt.get(i).is_some_and(|&(f, _)| f.is_ascii_digit()) {
                i += 1;
            }
            if fmt.get(i).is_some_and(|&(f, _)| f == b'E' || f == b'O') {
                i += 1;
            }
            let Some(&(conv, conv_at)) = fmt.get(i) else {
                parts.push(Part::Lit(b'%', at));
                break;
            };
            i += 1;
            match conv {
                b'%' => parts.push(Part::Lit(b'%', at)),
                b'n' => parts.push(Part::Lit(b'\n', at)),
                b't' => parts.push(Part::Lit(b'\t', at)),
                _ => match conversion(conv) {
                    Some(s) => parts.push(Part::Conv(set.or(s), at)),
                    None => {
                        return Err(FormatError::new(
                            conv_at,
                            format!(
                                "unknown strftime conversion `%{}` in the time format",
                                char::from(conv)
                            ),
                        ));
                    }
                },
            }
        }
        if d.conditional && parts.iter().any(|p| matches!(p, Part::Lit(..))) {
            return Err(conditional_time(d));
        }
        let dash = if d.conditional {
            ByteSet::of(b"-")
        } else {
            ByteSet::default()
        };
        let mut k = 0;
        while k < parts.len() {
            match parts[k] {
                Part::Lit(c, at) => {
                    self.literal(&[c], at)?;
                    k += 1;
                }
                Part::Conv(mut set, blame) => {
                    k += 1;
                    while let Some(Part::Conv(s, _)) = parts.get(k) {
                        set = set.or(*s);
                        k += 1;
                    }
                    self.time_field(set.or(dash), d.at, blame)?;
                }
            }
        }
        Ok(())
    }
}
