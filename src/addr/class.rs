//! Byte classes of address text, looked up in one table load: the free-text
//! scrubber asks for every byte of every run it examines.

/// `0-9A-Fa-f`.
pub(super) const C_HEX: u8 = 1;
/// `0-9`.
pub(super) const C_DIGIT: u8 = 2;
/// `.`
pub(super) const C_DOT: u8 = 4;
/// `:`
pub(super) const C_COLON: u8 = 8;

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

/// The class bits of `b` ([`CLASS`]).
#[inline]
pub(super) fn class(b: u8) -> u8 {
    CLASS[usize::from(b)]
}
