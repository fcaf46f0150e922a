//! IP addresses on raw bytes: parsing ([`parse_v4`], [`parse_v6`]), prefix
//! truncation ([`Truncate`]), canonical RFC 5952 text ([`write_addr`]), the
//! token forms of client-address and X-Forwarded-For fields
//! ([`rewrite_addr_token`], [`rewrite_addr_only`], [`is_addr_token`]), and
//! scrubbing of address literals out of free text ([`scrub_text`]).
//!
//! Nothing here allocates per call beyond pushing onto the caller's output
//! buffer, and nothing here does I/O. This is a leaf: it uses nothing of the
//! crate but `bytes`, so that both `format` (which finds addresses in lines)
//! and `anonymize` (which rewrites them) can use it.

mod class;
mod parse;
mod scrub;
#[cfg(test)]
mod testutil;
mod token;
mod truncate;
mod write;

pub use parse::{parse_v4, parse_v4_strict, parse_v6};
pub use scrub::scrub_text;
pub(crate) use scrub::scrub_text_keeping;
pub use token::{TokenKind, is_addr_token, rewrite_addr_only, rewrite_addr_token};
pub use truncate::{PrefixError, Truncate};
pub use write::{write_addr, write_addr_python};

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
    /// Called when text that may hold an address but parses as none had
    /// digits other than `0` replaced by `0` (the fail-closed path of
    /// [`scrub_text`]): no address was rewritten, yet one may have been
    /// there. Rewriters ignore it; an audit (`anonlog check`) counts it.
    fn zeroed(&mut self) {}
}

/// The low 32 bits of an IPv6 address, where IPv4-mapped and NAT64 addresses
/// carry their IPv4 address.
const LOW32: u128 = 0xffff_ffff;
/// `::ffff:0:0/96` with the low 32 bits clear.
const MAPPED_PREFIX: u128 = 0xffff << 32;
/// `64:ff9b::/96` (RFC 6052 well-known NAT64 prefix) with the low 32 bits clear.
const NAT64_PREFIX: u128 = 0x0064_ff9b << 96;
/// Top 16 bits of a 6to4 (`2002::/16`) address.
const SIX_TO_FOUR: u128 = 0x2002;
