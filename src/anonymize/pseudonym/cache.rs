//! The per-worker address rewriter [`Pseudonymizer`]: one mode's cipher
//! behind a small direct-mapped cache of recent results.

use std::fmt;

use zeroize::Zeroize;

use super::{Cipher, DerivedKey, KeyError, Mode, addr_bits, to16};

use crate::addr::{Addr, AddrRewrite};

/// The number of cache slots per family that [`Pseudonymizer::new`] uses:
/// at most 640 KiB per worker (8-byte IPv4 slots, 32-byte IPv6 slots).
pub const DEFAULT_CACHE_ENTRIES: usize = 16_384;

/// Hit and miss counts of a [`Pseudonymizer`]'s cache since it was built.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Rewrites answered from the cache.
    pub hits: u64,
    /// Rewrites that ran the cipher (every rewrite when the cache is off).
    pub misses: u64,
}

/// The tag of a slot that holds no pair: never a key's tag.
const EMPTY: u32 = u32::MAX;

/// Direct-mapped memo of recent (address, pseudonym) pairs, shared by every
/// key a worker uses.
///
/// Invariant: a slot tagged `t` holds a true pair for the key tagged `t`,
/// and no two keys a worker holds at once have the same tag. A lookup
/// matches the tag as well as the address, so switching keys (a line of
/// another day) needs no emptying of the table, and a pair of one key is
/// never returned for another.
#[derive(Clone)]
pub(super) struct AddrCache {
    shift: u32,
    /// IPv4 → IPv4 pairs (pfx, Crypto-PAn), packed `input << 32 | output`
    /// so that a slot is 8 bytes. Empty for det, whose outputs are 128 bits.
    v4: Box<[u64]>,
    tags4: Box<[u32]>,
    /// `[input, output, input, output, ...]` for IPv6 inputs, and for det
    /// also IPv4 inputs in their mapped form (det encrypts both forms to
    /// the same block). Empty when the cache is off.
    v6: Box<[u128]>,
    tags6: Box<[u32]>,
    stats: CacheStats,
}

/// Fibonacci-hashing multiplier (2^64 / golden ratio, odd).
const FIB: u64 = 0x9e37_79b9_7f4a_7c15;

impl AddrCache {
    /// About `entries` slots per family (rounded up to a power of two, at
    /// least 16, at most 2^20); 0 turns the cache off.
    pub(super) fn new(mode: Mode, entries: usize) -> Self {
        let mut cache = AddrCache {
            shift: 64,
            v4: Box::new([]),
            tags4: Box::new([]),
            v6: Box::new([]),
            tags6: Box::new([]),
            stats: CacheStats::default(),
        };
        if entries > 0 {
            let n = entries.clamp(16, 1 << 20).next_power_of_two();
            cache.shift = 64 - n.trailing_zeros();
            cache.v6 = vec![0; 2 * n].into_boxed_slice();
            cache.tags6 = vec![EMPTY; n].into_boxed_slice();
            if mode != Mode::Det {
                cache.v4 = vec![0; n].into_boxed_slice();
                cache.tags4 = vec![EMPTY; n].into_boxed_slice();
            }
        }
        cache
    }

    /// Forgets every pair, overwriting it.
    pub(super) fn clear(&mut self) {
        self.v4.zeroize();
        self.v6.zeroize();
        self.tags4.fill(EMPTY);
        self.tags6.fill(EMPTY);
    }

    /// The slot number of a key. The multiply-shift spreads neighbouring
    /// addresses (one subnet) over the whole table.
    #[inline]
    fn slot(&self, key: u128) -> usize {
        let h = (key as u64) ^ ((key >> 64) as u64).wrapping_mul(FIB).rotate_left(32);
        (h.wrapping_mul(FIB) >> self.shift) as usize
    }

    /// `cipher`'s encryption of `addr` (in `mode`), from the cache when it
    /// holds the pair under `tag`, the tag of `cipher`'s key; `tag` must
    /// not be [`EMPTY`].
    #[inline]
    pub(super) fn rewrite(&mut self, mode: Mode, cipher: &Cipher, tag: u32, addr: Addr) -> Addr {
        debug_assert_ne!(tag, EMPTY);
        if self.v6.is_empty() {
            self.stats.misses += 1;
            return cipher.encrypt(addr);
        }
        if let (Addr::V4(x), false) = (addr, self.v4.is_empty()) {
            let i = self.slot(u128::from(x));
            let entry = self.v4[i];
            if self.tags4[i] == tag && (entry >> 32) as u32 == x {
                self.stats.hits += 1;
                return Addr::V4(entry as u32);
            }
            let out = cipher.encrypt(addr);
            self.v4[i] = (u64::from(x) << 32) | (addr_bits(out) as u32 as u64);
            self.tags4[i] = tag;
            self.stats.misses += 1;
            return out;
        }
        // Det's IPv4 inputs share the IPv6 table in mapped form; every
        // output from this table is IPv6.
        let key = match (mode, addr) {
            (Mode::Det, a) => to16(a),
            (_, a) => addr_bits(a),
        };
        let i = self.slot(key);
        if self.tags6[i] == tag && self.v6[2 * i] == key {
            self.stats.hits += 1;
            return Addr::V6(self.v6[2 * i + 1]);
        }
        let out = cipher.encrypt(addr);
        self.v6[2 * i] = key;
        self.v6[2 * i + 1] = addr_bits(out);
        self.tags6[i] = tag;
        self.stats.misses += 1;
        out
    }

    /// Hit and miss counts since construction.
    pub(super) fn stats(&self) -> CacheStats {
        self.stats
    }

    fn entries(&self) -> usize {
        self.tags6.len()
    }
}

impl Drop for AddrCache {
    /// The cache is a reversal table for the addresses it holds.
    fn drop(&mut self) {
        self.v4.zeroize();
        self.v6.zeroize();
    }
}

/// The address rewriter for one key: one mode, one key, and a small
/// direct-mapped cache of recent results.
///
/// Guarantees: [`AddrRewrite::rewrite`] returns exactly what the mode's
/// cipher returns (the cache only saves work; it is keyed by the full
/// address and family; a worker's rotation keys share one [`AddrCache`]
/// whose pairs are tagged by key instead); the cache holds at most `entries` pairs per family (for det, `entries` in
/// all: det encrypts IPv4 as its mapped IPv6 form, so both families share
/// one table), is not shared between clones, and is zeroized on drop, since
/// it maps pseudonyms back to addresses.
#[derive(Clone)]
pub struct Pseudonymizer {
    mode: Mode,
    cipher: Cipher,
    cache: AddrCache,
}

impl Pseudonymizer {
    /// A rewriter for `mode` keyed with `key` (derive it with
    /// `master.derive(mode.label(), period)`), with a cache of
    /// [`DEFAULT_CACHE_ENTRIES`] per family. Fails as the mode's
    /// constructor does ([`IpcryptPfx::new`](super::IpcryptPfx::new), [`CryptoPan::new`](super::CryptoPan::new)).
    pub fn new(mode: Mode, key: &DerivedKey) -> Result<Self, KeyError> {
        Self::with_cache(mode, key, DEFAULT_CACHE_ENTRIES)
    }

    /// As [`Pseudonymizer::new`] with about `entries` cache slots per family
    /// (rounded up to a power of two, at least 16, at most 2^20); 0 turns
    /// the cache off.
    pub fn with_cache(mode: Mode, key: &DerivedKey, entries: usize) -> Result<Self, KeyError> {
        Ok(Pseudonymizer {
            mode,
            cipher: Cipher::new(mode, key)?,
            cache: AddrCache::new(mode, entries),
        })
    }

    /// Hit and miss counts since construction.
    pub fn cache_stats(&self) -> CacheStats {
        self.cache.stats()
    }

    /// The address a pseudonym was made from (the inverse of
    /// [`AddrRewrite::rewrite`] under the same key), for lawful
    /// re-identification. For [`Mode::Det`] an IPv4 original is returned as
    /// `Addr::V4` even if it was written as `::ffff:a.b.c.d`.
    pub fn reveal(&self, pseudonym: Addr) -> Addr {
        self.cipher.decrypt(pseudonym)
    }
}

impl AddrRewrite for Pseudonymizer {
    /// The mode's encryption of `addr`, from the cache when possible.
    #[inline]
    fn rewrite(&mut self, addr: Addr) -> Addr {
        self.cache.rewrite(self.mode, &self.cipher, 0, addr)
    }
}

impl fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pseudonymizer")
            .field("mode", &self.mode)
            .field("cache_entries", &self.cache.entries())
            .field("cache_stats", &self.cache.stats())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{addr_strategy, ip};
    use super::super::{CryptoPan, IpcryptDet, IpcryptPfx, mapped_v4};
    use super::*;
    use proptest::prelude::*;

    // -- the pipeline rewriter --

    fn key(byte: u8) -> DerivedKey {
        let mut k = [0u8; 32];
        for (i, b) in k.iter_mut().enumerate() {
            *b = byte.wrapping_add((i as u8).wrapping_mul(37));
        }
        DerivedKey::from_bytes(&k)
    }

    #[test]
    fn mapped_and_plain_v4_agree_in_every_mode() {
        for mode in Mode::ALL {
            let mut p = Pseudonymizer::new(mode, &key(1)).unwrap();
            for s in ["192.0.2.1", "0.0.0.0", "255.255.255.255", "198.51.100.77"] {
                let plain = p.rewrite(ip(s));
                let mapped = p.rewrite(ip(&format!("::ffff:{s}")));
                let low32 = |a: Addr| addr_bits(a) as u32;
                assert_eq!(low32(plain), low32(mapped), "{mode} {s}");
                match mode {
                    Mode::Det => assert_eq!(plain, mapped),
                    _ => {
                        assert!(matches!(plain, Addr::V4(_)), "{mode}");
                        assert_eq!(mapped_v4(addr_bits(mapped)), Some(low32(plain)));
                    }
                }
                assert_eq!(p.reveal(plain), ip(s), "{mode} {s}");
            }
        }
    }

    #[test]
    fn pseudonymizer_uses_the_mode_cipher() {
        let k = key(9);
        let pfx = IpcryptPfx::new(k.as_bytes()).unwrap();
        let cpan = CryptoPan::new(k.as_bytes()).unwrap();
        let det = IpcryptDet::new(k.as_bytes()[..16].try_into().unwrap());
        let a = ip("2001:db8::42");
        assert_eq!(
            Pseudonymizer::new(Mode::Pfx, &k).unwrap().rewrite(a),
            pfx.encrypt(a)
        );
        assert_eq!(
            Pseudonymizer::new(Mode::CryptoPan, &k).unwrap().rewrite(a),
            cpan.encrypt(a)
        );
        assert_eq!(
            Pseudonymizer::new(Mode::Det, &k).unwrap().rewrite(a),
            det.encrypt(a)
        );
        let bad = DerivedKey::from_bytes(&[5; 32]);
        assert!(Pseudonymizer::new(Mode::Pfx, &bad).is_err());
        assert!(Pseudonymizer::new(Mode::CryptoPan, &bad).is_err());
    }

    #[test]
    fn tags_keep_the_pairs_of_each_key_apart() {
        // One table for two keys, as a worker's table of periods uses it:
        // the same addresses under either tag get that key's pseudonyms,
        // in every mode, in any order, cached or not.
        for mode in Mode::ALL {
            let (c1, c2) = (
                Cipher::new(mode, &key(1)).unwrap(),
                Cipher::new(mode, &key(2)).unwrap(),
            );
            let mut cache = AddrCache::new(mode, 16);
            let addrs = [ip("192.0.2.1"), ip("2001:db8::1"), ip("0.0.0.0"), ip("::")];
            for round in 0..3 {
                for &a in &addrs {
                    let (w1, w2) = (c1.encrypt(a), c2.encrypt(a));
                    assert_ne!(w1, w2, "{mode} {a:?}");
                    if round % 2 == 0 {
                        assert_eq!(cache.rewrite(mode, &c1, 0, a), w1, "{mode} {a:?}");
                        assert_eq!(cache.rewrite(mode, &c2, 1, a), w2, "{mode} {a:?}");
                    } else {
                        assert_eq!(cache.rewrite(mode, &c2, 1, a), w2, "{mode} {a:?}");
                        assert_eq!(cache.rewrite(mode, &c1, 0, a), w1, "{mode} {a:?}");
                    }
                }
            }
            assert!(cache.stats().hits > 0, "{mode}");
            cache.clear();
            let misses = cache.stats().misses;
            assert_eq!(cache.rewrite(mode, &c1, 0, addrs[0]), c1.encrypt(addrs[0]));
            assert_eq!(cache.stats().misses, misses + 1, "{mode}: cleared");
        }
    }

    #[test]
    fn cache_hits_and_clears() {
        let mut p = Pseudonymizer::new(Mode::Pfx, &key(4)).unwrap();
        let a = ip("203.0.113.9");
        let first = p.rewrite(a);
        assert_eq!(p.rewrite(a), first);
        assert_eq!(p.cache_stats(), CacheStats { hits: 1, misses: 1 });
        p.cache.clear();
        assert_eq!(p.rewrite(a), first);
        assert_eq!(p.cache_stats().misses, 2);
        // An empty slot holds address 0 under no key: it is a miss.
        let mut q = Pseudonymizer::with_cache(Mode::Pfx, &key(4), 0).unwrap();
        assert_eq!(p.rewrite(Addr::V4(0)), q.rewrite(Addr::V4(0)));
        assert_eq!(p.rewrite(Addr::V6(0)), q.rewrite(Addr::V6(0)));
        assert_eq!(q.cache_stats().hits, 0);
        assert!(format!("{p:?}").contains("cache_entries: 16384"));
    }

    proptest! {
        // Each case runs up to 150 rewrites and reveals in three modes; a
        // few dozen cases cover collisions well and keep debug runs short.
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        #[test]
        fn cache_never_changes_results(
            seed in any::<u8>(),
            picks in proptest::collection::vec((0usize..64, addr_strategy()), 1..150),
        ) {
            // A small pool so that addresses repeat and slots collide
            // (16 slots, the minimum).
            let pool: Vec<Addr> = picks.iter().map(|&(_, a)| a).collect();
            for mode in Mode::ALL {
                let mut cached = Pseudonymizer::with_cache(mode, &key(seed), 1).unwrap();
                let mut plain = Pseudonymizer::with_cache(mode, &key(seed), 0).unwrap();
                for &(i, _) in &picks {
                    let a = pool[i % pool.len()];
                    let got = cached.rewrite(a);
                    prop_assert_eq!(got, plain.rewrite(a));
                    prop_assert_eq!(cached.reveal(got), match (mode, a) {
                        (Mode::Det, Addr::V6(x)) => mapped_v4(x).map_or(a, Addr::V4),
                        _ => a,
                    });
                }
                let s = cached.cache_stats();
                prop_assert_eq!(s.hits + s.misses, picks.len() as u64);
            }
        }
    }

    /// The shortest of `runs` timings of `f`, in ns: on a shared machine
    /// the minimum is the least disturbed run.
    fn best_of(runs: usize, mut f: impl FnMut()) -> f64 {
        (0..runs)
            .map(|_| {
                let t = std::time::Instant::now();
                f();
                t.elapsed().as_nanos() as f64
            })
            .fold(f64::INFINITY, f64::min)
    }

    /// Throughput of `rewrite` on a repetitive address stream, with and
    /// without the cache. Run with
    /// `cargo test --release --lib pseudonym::cache::tests::bench -- --ignored --nocapture`.
    #[test]
    #[ignore = "benchmark: run in release with --ignored --nocapture"]
    fn bench_rewrite_stream() {
        const STREAM: usize = 400_000;
        const HOT: usize = 5_000;
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut rng = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        // 70 % IPv4, 30 % IPv6 (in 2001:db8::/32, random /64s and hosts).
        let random_addr = |rng: &mut dyn FnMut() -> u64| {
            let r = rng();
            if r % 10 < 7 {
                Addr::V4((r >> 32) as u32)
            } else {
                let hi = 0x2001_0db8_0000_0000u64 | (rng() >> 32);
                Addr::V6((u128::from(hi) << 64) | u128::from(rng()))
            }
        };
        let hot: Vec<Addr> = (0..HOT).map(|_| random_addr(&mut rng)).collect();
        let stream: Vec<Addr> = (0..STREAM)
            .map(|_| {
                let r = rng();
                if r % 100 < 80 {
                    hot[(r >> 32) as usize % HOT]
                } else {
                    random_addr(&mut rng)
                }
            })
            .collect();
        let k = key(7);
        let det = IpcryptDet::new(k.as_bytes()[..16].try_into().unwrap());
        let pfx = IpcryptPfx::new(k.as_bytes()).unwrap();
        let cpan = CryptoPan::new(k.as_bytes()).unwrap();
        let ciphers: [(&str, &dyn Fn(Addr) -> Addr); 3] = [
            ("det", &|a| det.encrypt(a)),
            ("pfx", &|a| pfx.encrypt(a)),
            ("cryptopan", &|a| cpan.encrypt(a)),
        ];
        for (name, f) in ciphers {
            for (family, v6) in [("IPv4", false), ("IPv6", true)] {
                let addrs: Vec<Addr> = stream
                    .iter()
                    .copied()
                    .filter(|a| matches!(a, Addr::V6(_)) == v6)
                    .take(50_000)
                    .collect();
                let ns = best_of(5, || {
                    for &a in &addrs {
                        std::hint::black_box(f(std::hint::black_box(a)));
                    }
                }) / addrs.len() as f64;
                println!("{name:<9} {family} encrypt, no cache: {ns:>7.1} ns/address");
            }
        }
        println!("stream: {STREAM} addresses, 80 % from {HOT} hot ones, 70 % IPv4");
        for mode in Mode::ALL {
            for entries in [0, 4096, 8192, DEFAULT_CACHE_ENTRIES] {
                let mut p = Pseudonymizer::with_cache(mode, &key(7), entries).unwrap();
                // Warm up (and fill the cache) on the first quarter.
                for &a in &stream[..STREAM / 4] {
                    std::hint::black_box(p.rewrite(a));
                }
                let before = p.cache_stats();
                let ns = best_of(5, || {
                    for &a in &stream {
                        std::hint::black_box(p.rewrite(std::hint::black_box(a)));
                    }
                }) / STREAM as f64;
                let s = p.cache_stats();
                let hits = (s.hits - before.hits) / 5;
                println!(
                    "{:<9} cache {:>5}: {:>7.1} ns/address, hit rate {:>5.1} %",
                    mode.label(),
                    entries,
                    ns,
                    100.0 * hits as f64 / STREAM as f64
                );
            }
        }
    }
}
