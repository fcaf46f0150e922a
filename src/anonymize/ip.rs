//! IP addresses on raw bytes: parsing, prefix truncation, canonical formatting,
//! and scrubbing of address literals out of free text.
//!
//! Nothing here allocates per call beyond pushing onto the caller's output
//! buffer, and nothing here does I/O.

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
