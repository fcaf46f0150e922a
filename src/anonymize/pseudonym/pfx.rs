//! ipcrypt-pfx.

use std::fmt;

use aes::Aes128;
use aes::cipher::{BlockCipherEncrypt, KeyInit};

use super::{Block, KeyError, block, by_family};
use crate::addr::Addr;

/// The padded prefix an IPv4 address starts from: a separator bit at
/// position 96 and the `::ffff` marker, so that no IPv4 prefix is ever
/// encrypted as the same block as an IPv6 prefix (the draft's domain
/// separation).
const PFX_START_V4: u128 = (1 << 96) | 0xffff;
/// The padded prefix an IPv6 address starts from: just the separator bit.
const PFX_START_V6: u128 = 1;

/// ipcrypt-pfx (draft-denis-ipcrypt): prefix-preserving encryption with a
/// 32-byte key K1‖K2.
///
/// Bit i of the output is bit i of the input XOR the low bit of
/// AES(K1, p) ⊕ AES(K2, p), where p is the input's first i bits behind a
/// separator bit. Guarantees: a permutation of each family (IPv4 → IPv4,
/// IPv6 → IPv6; `::ffff:a.b.c.d` is treated as IPv4 and stays mapped); two
/// addresses share exactly as many leading bits after encryption as before;
/// the key schedules and the precomputed first levels are zeroized on drop.
/// Encryption takes the first eight pad bits from a table made with the
/// key and runs the other 48 (IPv4) or 240 (IPv6) AES calls as independent
/// batches, since every PRF input depends only on the plaintext.
#[derive(Clone)]
pub struct IpcryptPfx {
    k1: Aes128,
    k2: Aes128,
    /// The first eight pad bits of each 8-bit IPv4 prefix, and of each
    /// 8-bit IPv6 prefix: bit i of the pad depends only on the first i bits
    /// of the address, so the first eight levels of the prefix tree are
    /// 255 AES pairs per key, computed once, instead of eight per address.
    top4: [u8; 256],
    top6: [u8; 256],
}

impl IpcryptPfx {
    /// Builds the cipher from K1‖K2. Refuses K1 == K2 ([`KeyError::EqualHalves`]):
    /// the PRF would then be constant zero and the mapping the identity.
    pub fn new(key: &[u8; 32]) -> Result<Self, KeyError> {
        let (k1, k2) = key.split_at(16);
        // Not secret-dependent in any useful way, but no reason to exit early.
        if k1.iter().zip(k2).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0 {
            return Err(KeyError::EqualHalves);
        }
        let mut pfx = IpcryptPfx {
            k1: Aes128::new_from_slice(k1).expect("16-byte half"),
            k2: Aes128::new_from_slice(k2).expect("16-byte half"),
            top4: [0; 256],
            top6: [0; 256],
        };
        pfx.top4 = pfx.top_levels(PFX_START_V4);
        pfx.top6 = pfx.top_levels(PFX_START_V6);
        Ok(pfx)
    }

    /// The first eight pad bits of every 8-bit prefix, from the 255 nodes
    /// of the tree's first eight levels: the PRF input of bit i (i < 8) is
    /// the first i bits behind the separator, whatever follows them.
    fn top_levels(&self, start: u128) -> [u8; 256] {
        let mut e1 = [Block::default(); 255];
        // Node (i, q), the i-bit prefix q, is at 2^i - 1 + q.
        for i in 0..8 {
            for q in 0..1u128 << i {
                e1[(1 << i) - 1 + q as usize] = block((start << i) | q);
            }
        }
        let mut e2 = e1;
        self.k1.encrypt_blocks(&mut e1);
        self.k2.encrypt_blocks(&mut e2);
        let bit = |node: usize| (e1[node][15] ^ e2[node][15]) & 1;
        let mut top = [0u8; 256];
        for (p, t) in top.iter_mut().enumerate() {
            for i in 0..8 {
                *t = (*t << 1) | bit((1 << i) - 1 + (p >> (8 - i)));
            }
        }
        top
    }

    /// Encrypts `a` keeping its family (see the type's guarantees).
    pub fn encrypt(&self, a: Addr) -> Addr {
        by_family(
            a,
            |x| {
                let top = u32::from(self.top4[(x >> 24) as usize]) << 24;
                x ^ (top | self.pad_tail::<24>(u128::from(x), 32, PFX_START_V4) as u32)
            },
            |x| {
                let top = u128::from(self.top6[(x >> 120) as usize]) << 120;
                x ^ (top | self.pad_tail::<120>(x, 128, PFX_START_V6))
            },
        )
    }

    /// Bits `n - M ..n` of the pad of the n-bit address `x` (right-aligned):
    /// those after the precomputed first eight.
    #[inline]
    fn pad_tail<const M: usize>(&self, x: u128, n: usize, start: u128) -> u128 {
        let mut e1 = [Block::default(); M];
        for (j, b) in e1.iter_mut().enumerate() {
            let i = n - M + j;
            let prefix = x.checked_shr((n - i) as u32).unwrap_or(0);
            *b = block((start << i) | prefix);
        }
        let mut e2 = e1;
        self.k1.encrypt_blocks(&mut e1);
        self.k2.encrypt_blocks(&mut e2);
        e1.iter().zip(&e2).fold(0u128, |acc, (a, b)| {
            (acc << 1) | u128::from((a[15] ^ b[15]) & 1)
        })
    }

    /// Inverts [`IpcryptPfx::encrypt`] (same family rules). Sequential: each
    /// PRF input depends on the bits decrypted so far.
    pub fn decrypt(&self, a: Addr) -> Addr {
        by_family(
            a,
            |x| self.decrypt_bits::<32>(u128::from(x), PFX_START_V4) as u32,
            |x| self.decrypt_bits::<128>(x, PFX_START_V6),
        )
    }

    fn decrypt_bits<const N: usize>(&self, c: u128, start: u128) -> u128 {
        let mut p = start;
        let mut x = 0u128;
        for i in 0..N {
            let (mut a, mut b) = (block(p), block(p));
            self.k1.encrypt_block(&mut a);
            self.k2.encrypt_block(&mut b);
            let bit = ((c >> (N - 1 - i)) & 1) ^ u128::from((a[15] ^ b[15]) & 1);
            x = (x << 1) | bit;
            p = (p << 1) | bit;
        }
        x
    }
}

impl Drop for IpcryptPfx {
    /// The tables give away how the key maps every first octet.
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.top4.zeroize();
        self.top6.zeroize();
    }
}

impl fmt::Debug for IpcryptPfx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IpcryptPfx(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{addr_strategy, hex, ip, text};
    use super::*;
    use proptest::prelude::*;

    // -- ipcrypt-pfx: draft-denis-ipcrypt-13, vectors 1-4 and the 12
    //    prefix-preserving vectors --

    const PFX_KEY_1: &str = "0123456789abcdeffedcba98765432101032547698badcfeefcdab8967452301";
    const PFX_KEY_2: &str = "2b7e151628aed2a6abf7158809cf4f3ca9f5ba40db214c3798f2e1c23456789a";

    const PFX_VECTORS: [(&str, &str, &str); 16] = [
        (PFX_KEY_1, "0.0.0.0", "151.82.155.134"),
        (PFX_KEY_1, "255.255.255.255", "94.185.169.89"),
        (PFX_KEY_1, "192.0.2.1", "100.115.72.131"),
        (
            PFX_KEY_1,
            "2001:db8::1",
            "c180:5dd4:2587:3524:30ab:fa65:6ab6:f88",
        ),
        (PFX_KEY_2, "10.0.0.47", "19.214.210.244"),
        (PFX_KEY_2, "10.0.0.129", "19.214.210.80"),
        (PFX_KEY_2, "10.0.0.234", "19.214.210.30"),
        (PFX_KEY_2, "172.16.5.193", "210.78.229.136"),
        (PFX_KEY_2, "172.16.97.42", "210.78.179.241"),
        (PFX_KEY_2, "172.16.248.177", "210.78.121.215"),
        (
            PFX_KEY_2,
            "2001:db8::a5c9:4e2f:bb91:5a7d",
            "7cec:702c:1243:f70:1956:125:b9bd:1aba",
        ),
        (
            PFX_KEY_2,
            "2001:db8::7234:d8f1:3c6e:9a52",
            "7cec:702c:1243:f70:a3ef:c8e:95c1:cd0d",
        ),
        (
            PFX_KEY_2,
            "2001:db8::f1e0:937b:26d4:8c1a",
            "7cec:702c:1243:f70:443c:c8e:6a62:b64d",
        ),
        (
            PFX_KEY_2,
            "2001:db8:3a5c:0:e7d1:4b9f:2c8a:f673",
            "7cec:702c:3503:bef:e616:96bd:be33:a9b9",
        ),
        (
            PFX_KEY_2,
            "2001:db8:9f27:0:b4e2:7a3d:5f91:c8e6",
            "7cec:702c:a504:b74e:194a:3d90:b047:2d1a",
        ),
        (
            PFX_KEY_2,
            "2001:db8:d8b4:0:193c:a5e7:8b2f:46d1",
            "7cec:702c:f840:aa67:1b8:e84f:ac9d:77fb",
        ),
    ];

    #[test]
    fn pfx_draft_vectors() {
        for (key, input, want) in PFX_VECTORS {
            let c = IpcryptPfx::new(&hex(key)).unwrap();
            let out = c.encrypt(ip(input));
            assert_eq!(text(out), want, "{input}");
            assert_eq!(c.decrypt(out), ip(input), "{input}");
        }
    }

    #[test]
    fn pfx_mapped_equals_plain_v4() {
        // The draft's representation rule: ::ffff:192.0.2.1 encrypts like
        // 192.0.2.1 (ipcrypt-rs 0.10 gets this wrong); we keep it mapped.
        let c = IpcryptPfx::new(&hex(PFX_KEY_1)).unwrap();
        let out = c.encrypt(ip("::ffff:192.0.2.1"));
        assert_eq!(text(out), "::ffff:100.115.72.131");
        assert_eq!(c.decrypt(out), ip("::ffff:192.0.2.1"));
    }

    #[test]
    fn pfx_rejects_equal_halves() {
        let mut key = [7u8; 32];
        assert!(matches!(IpcryptPfx::new(&key), Err(KeyError::EqualHalves)));
        key[31] = 8;
        assert!(IpcryptPfx::new(&key).is_ok());
        let half = hex::<16>("0123456789abcdeffedcba9876543210");
        let mut key = [0u8; 32];
        key[..16].copy_from_slice(&half);
        key[16..].copy_from_slice(&half);
        let e = IpcryptPfx::new(&key).unwrap_err();
        assert!(e.to_string().contains("K1 == K2"), "{e}");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn pfx_round_trip(k in any::<[u8; 32]>(), a in addr_strategy()) {
            prop_assume!(k[..16] != k[16..]);
            let c = IpcryptPfx::new(&k).unwrap();
            let e = c.encrypt(a);
            prop_assert_eq!(std::mem::discriminant(&e), std::mem::discriminant(&a));
            prop_assert_eq!(c.decrypt(e), a);
        }
    }
}
