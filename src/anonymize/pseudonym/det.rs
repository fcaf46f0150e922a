//! ipcrypt-deterministic.

use std::fmt;

use aes::Aes128;
use aes::cipher::{BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};

use super::{block, mapped_v4, to16, unblock};
use crate::addr::Addr;

/// ipcrypt-deterministic (draft-denis-ipcrypt): AES-128 of the 16-byte form
/// of the address (IPv4 mapped to `::ffff:a.b.c.d`).
///
/// Guarantees: a permutation of the 2^128 addresses; `V4(x)` and
/// `V6(::ffff:x)` encrypt identically; the output is always `Addr::V6`
/// (the draft would print the 2^-96-rare mapped outputs as IPv4; we keep
/// one family so the text of a pseudonym never depends on luck); the key
/// schedule is zeroized on drop. Reveals only equality of addresses.
#[derive(Clone)]
pub struct IpcryptDet {
    aes: Aes128,
}

impl IpcryptDet {
    /// Builds the cipher from a 16-byte AES key.
    pub fn new(key: &[u8; 16]) -> Self {
        IpcryptDet {
            aes: Aes128::new(key.into()),
        }
    }

    /// Encrypts `a`; the result is always IPv6.
    pub fn encrypt(&self, a: Addr) -> Addr {
        let mut b = block(to16(a));
        self.aes.encrypt_block(&mut b);
        Addr::V6(unblock(b))
    }

    /// Inverts [`IpcryptDet::encrypt`]. A decrypted IPv4-mapped block is
    /// returned as `Addr::V4` (the canonical form: the encryption of `V4(x)`
    /// and of `V6(::ffff:x)` is the same block, so which one was written
    /// cannot be known). An IPv4 input is read as its mapped form.
    pub fn decrypt(&self, a: Addr) -> Addr {
        let mut b = block(to16(a));
        self.aes.decrypt_block(&mut b);
        let x = unblock(b);
        match mapped_v4(x) {
            Some(x4) => Addr::V4(x4),
            None => Addr::V6(x),
        }
    }
}

impl fmt::Debug for IpcryptDet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IpcryptDet(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{addr_strategy, hex, ip, text};
    use super::*;
    use proptest::prelude::*;

    // -- ipcrypt-deterministic: draft-denis-ipcrypt-13, test vectors 1-3 --

    const DET_VECTORS: [(&str, &str, &str); 3] = [
        (
            "0123456789abcdeffedcba9876543210",
            "0.0.0.0",
            "bde9:6789:d353:824c:d7c6:f58a:6bd2:26eb",
        ),
        (
            "1032547698badcfeefcdab8967452301",
            "255.255.255.255",
            "aed2:92f6:ea23:58c3:48fd:8b8:74e8:45d8",
        ),
        (
            "2b7e151628aed2a6abf7158809cf4f3c",
            "192.0.2.1",
            "1dbd:c1b9:fff1:7586:7d0b:67b4:e76e:4777",
        ),
    ];

    #[test]
    fn det_draft_vectors() {
        for (key, input, want) in DET_VECTORS {
            let c = IpcryptDet::new(&hex(key));
            let out = c.encrypt(ip(input));
            assert_eq!(text(out), want, "{input}");
            assert_eq!(c.decrypt(out), ip(input));
            // The mapped form is the same 16-byte block.
            let mapped = Addr::V6(to16(ip(input)));
            assert_eq!(c.encrypt(mapped), out);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn det_round_trip(k in any::<[u8; 16]>(), a in addr_strategy()) {
            let c = IpcryptDet::new(&k);
            let canonical = match a {
                Addr::V6(x) => mapped_v4(x).map_or(a, Addr::V4),
                Addr::V4(_) => a,
            };
            let e = c.encrypt(a);
            prop_assert!(matches!(e, Addr::V6(_)));
            prop_assert_eq!(c.decrypt(e), canonical);
        }
    }
}
