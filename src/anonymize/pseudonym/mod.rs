//! Keyed IP pseudonyms: ipcrypt-deterministic, ipcrypt-pfx and Crypto-PAn on
//! AES-128, user-name tokens, and the cached [`Pseudonymizer`] that plugs
//! them into the pipeline as an [`AddrRewrite`](crate::addr::AddrRewrite).
//!
//! All three address mappings are permutations under a secret key: whoever
//! holds the key can reverse them (`reveal`), nobody else can, and the same
//! address always maps to the same pseudonym under the same key. Keys come
//! from [`MasterKey::derive`] (`derive.rs`).
//!
//! IPv4 and its IPv4-mapped IPv6 form `::ffff:a.b.c.d` are the same address
//! here: every mode gives them the same pseudonymous IPv4 part. The
//! prefix-preserving modes (pfx, Crypto-PAn) keep the textual family: an
//! IPv4 address maps to an IPv4 address, `::ffff:a.b.c.d` to
//! `::ffff:w.x.y.z` with the same `w.x.y.z`, any other IPv6 address to IPv6.
//! ipcrypt-deterministic encrypts the whole 128-bit block, so its output is
//! always IPv6.

mod cache;
mod cryptopan;
mod derive;
mod det;
mod keyed;
mod period;
mod periods;
mod pfx;
mod rewriter;
mod users;

pub use cache::{CacheStats, DEFAULT_CACHE_ENTRIES, Pseudonymizer};
pub use cryptopan::CryptoPan;
pub use derive::{DerivedKey, KeyError, MasterKey};
pub(crate) use derive::{parse_hex, shell_quote};
pub use det::IpcryptDet;
pub use keyed::{Keyed, KeyedConfig, LineKeying, LineRewrite, mode_key};
pub use period::{Period, Rotation};
pub use pfx::IpcryptPfx;
pub use rewriter::Rewriter;
pub use users::{USER_TOKEN_LABEL, user_token};

use std::fmt;

use crate::addr::Addr;

type Block = aes::Block;

/// `::ffff:0:0/96` with the low 32 bits clear.
const MAPPED_PREFIX: u128 = 0xffff << 32;
/// The low 32 bits, where a mapped address carries its IPv4 address.
const LOW32: u128 = 0xffff_ffff;

/// The IPv4 address inside `::ffff:a.b.c.d`, if `a` is IPv4-mapped.
#[inline]
fn mapped_v4(a: u128) -> Option<u32> {
    (a & !LOW32 == MAPPED_PREFIX).then_some(a as u32)
}

/// The 16-byte form of the ipcrypt draft: IPv4 becomes `::ffff:a.b.c.d`.
#[inline]
fn to16(a: Addr) -> u128 {
    match a {
        Addr::V4(x) => MAPPED_PREFIX | u128::from(x),
        Addr::V6(x) => x,
    }
}

#[inline]
fn block(x: u128) -> Block {
    Block::from(x.to_be_bytes())
}

#[inline]
fn unblock(b: Block) -> u128 {
    u128::from_be_bytes(b.into())
}

/// Applies a 32-bit and a 128-bit mapping with the family rules of the
/// module: plain and mapped IPv4 both go through `v4`, and a mapped input
/// stays mapped.
#[inline]
fn by_family(a: Addr, v4: impl FnOnce(u32) -> u32, v6: impl FnOnce(u128) -> u128) -> Addr {
    match a {
        Addr::V4(x) => Addr::V4(v4(x)),
        Addr::V6(x) => match mapped_v4(x) {
            Some(x4) => Addr::V6(MAPPED_PREFIX | u128::from(v4(x4))),
            None => Addr::V6(v6(x)),
        },
    }
}

#[inline]
fn addr_bits(a: Addr) -> u128 {
    match a {
        Addr::V4(x) => u128::from(x),
        Addr::V6(x) => x,
    }
}

// ---------------------------------------------------------------------------
// The pipeline rewriter
// ---------------------------------------------------------------------------

/// A keyed address-pseudonymization mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// ipcrypt-deterministic: IPv6-shaped output, no structure kept.
    Det,
    /// ipcrypt-pfx: prefix-preserving, family-preserving.
    Pfx,
    /// Crypto-PAn: prefix-preserving, for compatibility with existing data.
    CryptoPan,
}

impl Mode {
    /// Every mode, for help texts.
    pub const ALL: [Mode; 3] = [Mode::Det, Mode::Pfx, Mode::CryptoPan];

    /// The mode's name on the command line and in key derivation
    /// ([`MasterKey::derive`]'s `mode`). Guarantee:
    /// these strings never change, because changing one would change every
    /// pseudonym made with it.
    pub fn label(self) -> &'static str {
        match self {
            Mode::Det => "det",
            Mode::Pfx => "pfx",
            Mode::CryptoPan => "cryptopan",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[derive(Clone, Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "one per worker, built once; a Box would add a pointer chase to every rewrite"
)]
enum Cipher {
    Det(IpcryptDet),
    Pfx(IpcryptPfx),
    CryptoPan(CryptoPan),
}

impl Cipher {
    fn new(mode: Mode, key: &DerivedKey) -> Result<Self, KeyError> {
        let k = key.as_bytes();
        Ok(match mode {
            Mode::Det => Cipher::Det(IpcryptDet::new(k[..16].try_into().expect("16 bytes"))),
            Mode::Pfx => Cipher::Pfx(IpcryptPfx::new(k)?),
            Mode::CryptoPan => Cipher::CryptoPan(CryptoPan::new(k)?),
        })
    }

    #[inline]
    fn encrypt(&self, a: Addr) -> Addr {
        match self {
            Cipher::Det(c) => c.encrypt(a),
            Cipher::Pfx(c) => c.encrypt(a),
            Cipher::CryptoPan(c) => c.encrypt(a),
        }
    }

    fn decrypt(&self, a: Addr) -> Addr {
        match self {
            Cipher::Det(c) => c.decrypt(a),
            Cipher::Pfx(c) => c.decrypt(a),
            Cipher::CryptoPan(c) => c.decrypt(a),
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    pub(super) fn ip(s: &str) -> Addr {
        match s.parse::<IpAddr>().unwrap() {
            IpAddr::V4(a) => Addr::V4(a.into()),
            IpAddr::V6(a) => Addr::V6(a.into()),
        }
    }

    pub(super) fn text(a: Addr) -> String {
        match a {
            Addr::V4(x) => Ipv4Addr::from(x).to_string(),
            Addr::V6(x) => Ipv6Addr::from(x).to_string(),
        }
    }

    pub(super) fn hex<const N: usize>(s: &str) -> [u8; N] {
        assert_eq!(s.len(), 2 * N, "{s}");
        let mut out = [0u8; N];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    pub(super) fn addr_strategy() -> impl Strategy<Value = Addr> {
        prop_oneof![
            any::<u32>().prop_map(Addr::V4),
            any::<u128>().prop_map(Addr::V6),
            any::<u32>().prop_map(|x| Addr::V6(MAPPED_PREFIX | u128::from(x))),
        ]
    }

    /// Common leading bits of two addresses of one family, counted on the
    /// family's own width.
    pub(super) fn common_prefix(a: Addr, b: Addr) -> u32 {
        match (a, b) {
            (Addr::V4(x), Addr::V4(y)) => (x ^ y).leading_zeros(),
            (Addr::V6(x), Addr::V6(y)) => (x ^ y).leading_zeros(),
            _ => panic!("mixed families"),
        }
    }

    #[test]
    fn mode_labels_round_trip() {
        for m in Mode::ALL {
            assert_eq!(m.to_string(), m.label());
        }
        assert_eq!(
            ["det", "pfx", "cryptopan"],
            Mode::ALL.map(Mode::label),
            "labels are part of the key derivation: never change them"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn prefixes_are_preserved(
            k in any::<[u8; 32]>(),
            x in any::<u128>(),
            flip in 0u32..128,
            noise in any::<u128>(),
            v4 in any::<bool>(),
        ) {
            prop_assume!(k[..16] != k[16..]);
            // Two addresses sharing exactly `flip` leading bits: flip the
            // next bit, randomize the ones after it.
            let (a, b) = if v4 {
                let x = x as u32;
                let bit = 1u32 << (31 - flip % 32);
                (Addr::V4(x), Addr::V4(x ^ bit ^ (noise as u32 & (bit - 1))))
            } else {
                let bit = 1u128 << (127 - flip);
                (Addr::V6(x), Addr::V6(x ^ bit ^ (noise & (bit - 1))))
            };
            prop_assume!(v4 || (mapped_v4(addr_bits(a)).is_none() && mapped_v4(addr_bits(b)).is_none()));
            let want = common_prefix(a, b);
            let pfx = IpcryptPfx::new(&k).unwrap();
            let cpan = CryptoPan::new(&k).unwrap();
            prop_assert_eq!(common_prefix(pfx.encrypt(a), pfx.encrypt(b)), want);
            prop_assert_eq!(common_prefix(cpan.encrypt(a), cpan.encrypt(b)), want);
        }

    }
}
