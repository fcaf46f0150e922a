//! Crypto-PAn.

use std::fmt;

use aes::Aes128;
use aes::cipher::{BlockCipherEncrypt, KeyInit};
use zeroize::Zeroize;

use super::{Block, KeyError, block, by_family};
use crate::addr::Addr;

/// Crypto-PAn (Xu, Fan, Ammar, Moon, 2002): prefix-preserving anonymization
/// with a 32-byte key; AES-128 key = the first 16 bytes, pad = AES(first 16,
/// last 16).
///
/// Bit i of the output is bit i of the input XOR the top bit of AES of (the
/// input's first i bits followed by the pad's bits from i on). IPv4 matches
/// the original implementation (its 100-line sample trace is a test); IPv6
/// runs the same loop over 128 bits, the de-facto extension of the Go
/// (Yawning/cryptopan) and Python (yacryptopan) implementations, and
/// matches their vectors. Guarantees: as [`IpcryptPfx`] (permutation per
/// family, mapped IPv4 treated as IPv4 and kept mapped, prefix lengths
/// preserved, key material zeroized on drop). Unlike ipcrypt-pfx there is
/// no domain separation: an IPv4 address and an IPv6 address with the same
/// first 32 bits get the same first 32 output bits. Prefer ipcrypt-pfx
/// unless compatibility with existing Crypto-PAn data is needed.
#[derive(Clone)]
pub struct CryptoPan {
    aes: Aes128,
    pad: u128,
}

impl CryptoPan {
    /// Builds the anonymizer. Refuses a key whose 32 bytes are all equal
    /// ([`KeyError::Placeholder`]): such a key is a placeholder left in a
    /// configuration, never a secret.
    pub fn new(key: &[u8; 32]) -> Result<Self, KeyError> {
        if key.iter().all(|&b| b == key[0]) {
            return Err(KeyError::Placeholder {
                context: String::new(),
            });
        }
        let aes = Aes128::new_from_slice(&key[..16]).expect("16-byte half");
        let mut pad_block = Block::try_from(&key[16..]).expect("16-byte half");
        aes.encrypt_block(&mut pad_block);
        let mut bytes: [u8; 16] = pad_block.into();
        let pad = u128::from_be_bytes(bytes);
        bytes.zeroize();
        Ok(CryptoPan { aes, pad })
    }

    /// Anonymizes `a` keeping its family.
    pub fn encrypt(&self, a: Addr) -> Addr {
        by_family(
            a,
            |x| x ^ (self.pad_bits::<32>(u128::from(x) << 96) >> 96) as u32,
            |x| x ^ self.pad_bits::<128>(x),
        )
    }

    /// Inverts [`CryptoPan::encrypt`] (sequential, like the original
    /// implementation's de-anonymization).
    pub fn decrypt(&self, a: Addr) -> Addr {
        by_family(
            a,
            |x| (self.decrypt_bits::<32>(u128::from(x) << 96) >> 96) as u32,
            |x| self.decrypt_bits::<128>(x),
        )
    }

    /// The PRF input for bit `i`: the first `i` bits of the (left-aligned)
    /// address, then the pad.
    #[inline]
    fn input(&self, x: u128, i: usize) -> Block {
        let keep = !(u128::MAX >> i);
        block((x & keep) | (self.pad & !keep))
    }

    /// The first N bits (left-aligned) to XOR onto the left-aligned address.
    #[inline]
    fn pad_bits<const N: usize>(&self, x: u128) -> u128 {
        let mut e = [Block::default(); N];
        for (i, b) in e.iter_mut().enumerate() {
            *b = self.input(x, i);
        }
        self.aes.encrypt_blocks(&mut e);
        e.iter().enumerate().fold(0u128, |acc, (i, b)| {
            acc | (u128::from(b[0] >> 7) << (127 - i))
        })
    }

    fn decrypt_bits<const N: usize>(&self, c: u128) -> u128 {
        let mut x = 0u128;
        for i in 0..N {
            let mut b = self.input(x, i);
            self.aes.encrypt_block(&mut b);
            x |= (((c >> (127 - i)) & 1) ^ u128::from(b[0] >> 7)) << (127 - i);
        }
        x
    }
}

impl Drop for CryptoPan {
    fn drop(&mut self) {
        self.pad.zeroize();
    }
}

impl fmt::Debug for CryptoPan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CryptoPan(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{addr_strategy, ip, text};
    use super::*;
    use proptest::prelude::*;

    // -- Crypto-PAn --

    /// The key of the original Georgia Tech Crypto-PAn distribution's
    /// sample program.
    const CPAN_KEY: [u8; 32] = [
        21, 34, 23, 141, 51, 164, 207, 128, 19, 10, 91, 22, 73, 144, 125, 16, 216, 152, 143, 131,
        121, 121, 101, 39, 98, 87, 76, 45, 42, 132, 34, 2,
    ];

    /// The address columns of `sample_trace_raw.dat` and
    /// `sample_trace_sanitized.dat` from the original Crypto-PAn
    /// distribution (as copied in yacryptopan's test data), line by line:
    /// `raw sanitized` pairs, two per row. The files carry no licence line;
    /// only the address pairs (the test vectors) are reproduced here, not the
    /// files. Its 70 distinct pairs are the pair list of Yawning/cryptopan's
    /// tests, which `test_vectors.md` reproduces.
    const SAMPLE_TRACE: &str = "
    24.5.0.80       100.9.15.210      24.13.62.231    100.2.192.247
    208.234.120.210 227.154.67.17     209.238.72.3    226.6.119.243
    192.102.249.13  252.138.62.131    24.5.0.80       100.9.15.210
    24.5.0.80       100.9.15.210      24.0.250.221    100.15.198.226
    207.105.49.5    241.118.205.138   209.68.60.238   226.184.220.233
    207.135.65.238  241.202.129.222   198.51.77.238   249.18.186.254
    24.5.0.80       100.9.15.210      24.5.0.80       100.9.15.210
    192.215.32.125  252.43.47.189     129.118.74.4    134.136.186.123
    192.233.80.103  252.25.108.8      202.49.198.20   245.206.7.234
    212.146.8.236   228.19.4.234      209.12.231.7    226.243.167.8
    141.233.145.108 141.129.237.235   63.195.241.44   95.179.238.44
    24.5.0.80       100.9.15.210      24.5.0.80       100.9.15.210
    192.41.57.43    252.222.221.184   198.26.132.101  249.36.123.202
    63.14.55.111    95.9.215.7        205.245.121.43  242.21.121.163
    165.247.96.84   162.9.99.234      198.36.213.5    249.7.21.132
    198.26.132.101  249.36.123.202    208.52.56.122   227.8.63.165
    207.155.9.214   241.220.250.22    207.155.9.214   241.220.250.22
    141.223.7.43    141.167.8.160     209.85.249.6    226.170.70.6
    212.204.172.118 228.71.195.169    209.246.74.109  226.22.124.76
    212.120.124.31  228.135.163.231   192.102.249.13  252.138.62.131
    24.14.213.138   100.1.42.141      216.184.159.48  235.96.225.78
    141.233.145.108 141.129.237.235   216.254.18.172  235.7.16.162
    212.206.130.201 228.69.242.193    192.102.249.13  252.138.62.131
    152.163.225.39  151.140.114.167   216.157.30.252  235.89.31.26
    24.7.198.88     100.10.6.25       128.11.68.132   135.242.180.132
    212.186.227.154 228.59.98.98      198.200.171.101 249.199.68.213
    203.12.160.252  244.248.163.4     199.217.79.101  248.38.184.213
    204.29.20.4     243.33.20.123     192.102.249.13  252.138.62.131
    199.217.79.101  248.38.184.213    216.157.30.252  235.89.31.26
    208.147.89.59   227.237.98.191    63.97.7.140     95.97.9.123
    207.25.71.27    241.33.119.156    63.97.7.140     95.97.9.123
    192.102.249.13  252.138.62.131    205.178.38.67   242.108.198.51
    166.107.77.190  160.132.178.185   4.3.88.225      124.60.155.63
    38.15.67.68     64.3.66.187       205.178.38.67   242.108.198.51
    203.12.160.252  244.248.163.4     204.29.20.4     243.33.20.123
    203.12.160.252  244.248.163.4     203.12.160.252  244.248.163.4
    64.14.118.196   0.255.183.58      198.200.171.101 249.199.68.213
    203.12.160.252  244.248.163.4     207.33.151.131  241.1.233.131
    203.12.160.252  244.248.163.4     205.188.147.153 242.96.16.101
    205.188.248.25  242.96.88.27      216.148.237.145 235.84.194.111
    207.188.7.45    241.255.249.220   64.39.15.238    0.219.7.41
    193.150.244.223 253.169.52.216    141.233.145.108 141.129.237.235
    216.35.217.178  235.195.157.81    156.29.3.236    147.225.12.42
    204.202.136.230 243.178.4.198     208.28.185.184  227.39.94.90
    199.217.79.101  248.38.184.213    216.227.10.221  235.28.253.36
    195.205.63.100  255.186.223.5     198.36.213.5    249.7.21.132
    204.202.136.230 243.178.4.198     24.94.26.44     100.88.228.35
    199.217.79.101  248.38.184.213    130.132.252.244 133.68.164.234
    204.202.136.230 243.178.4.198     216.32.132.250  235.192.139.38
    64.34.154.117   0.221.154.117     204.184.162.189 243.192.77.90
";

    fn trace_pairs() -> Vec<(&'static str, &'static str)> {
        let words: Vec<&str> = SAMPLE_TRACE.split_whitespace().collect();
        words.chunks_exact(2).map(|p| (p[0], p[1])).collect()
    }

    #[test]
    fn cryptopan_sample_trace() {
        let c = CryptoPan::new(&CPAN_KEY).unwrap();
        let pairs = trace_pairs();
        assert_eq!(pairs.len(), 100);
        let distinct: std::collections::HashSet<_> = pairs.iter().collect();
        assert_eq!(distinct.len(), 70);
        for (line, (raw, want)) in pairs.into_iter().enumerate() {
            let out = c.encrypt(ip(raw));
            assert_eq!(text(out), want, "line {}: {raw}", line + 1);
            assert_eq!(c.decrypt(out), ip(raw), "line {}", line + 1);
        }
    }

    #[test]
    fn cryptopan_ipv6_de_facto_vectors() {
        let sample = CryptoPan::new(&CPAN_KEY).unwrap();
        let ascii = CryptoPan::new(b"32-char-str-for-AES-key-and-pad.").unwrap();
        let cases = [
            (&sample, "::1", "78ff:f001:9fc0:20df:8380:b1f1:704:ed"),
            (&sample, "::2", "78ff:f001:9fc0:20df:8380:b1f1:704:ef"),
            (&sample, "::ffff", "78ff:f001:9fc0:20df:8380:b1f1:704:f838"),
            (
                &sample,
                "2001:db8::1",
                "4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1e",
            ),
            (
                &sample,
                "2001:db8::2",
                "4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1c",
            ),
            (&ascii, "192.0.2.1", "192.0.125.244"),
            (
                &ascii,
                "2001:db8::1",
                "27fe:8bc7:fee:1e:1e1f:f0fe:f0e1:83fd",
            ),
        ];
        for (c, input, want) in cases {
            let out = c.encrypt(ip(input));
            assert_eq!(text(out), want, "{input}");
            assert_eq!(c.decrypt(out), ip(input), "{input}");
        }
    }

    #[test]
    fn cryptopan_mapped_equals_plain_v4() {
        let c = CryptoPan::new(&CPAN_KEY).unwrap();
        assert_eq!(
            text(c.encrypt(ip("::ffff:128.11.68.132"))),
            "::ffff:135.242.180.132"
        );
        assert_eq!(
            c.decrypt(ip("::ffff:135.242.180.132")),
            ip("::ffff:128.11.68.132")
        );
    }

    #[test]
    fn cryptopan_rejects_placeholder_key() {
        assert!(matches!(
            CryptoPan::new(&[0; 32]),
            Err(KeyError::Placeholder { .. })
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn cryptopan_round_trip(k in any::<[u8; 32]>(), a in addr_strategy()) {
            let c = CryptoPan::new(&k).unwrap();
            let e = c.encrypt(a);
            prop_assert_eq!(std::mem::discriminant(&e), std::mem::discriminant(&a));
            prop_assert_eq!(c.decrypt(e), a);
        }
    }
}
