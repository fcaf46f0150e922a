//! Keyed pseudonyms in the pipeline: the run-wide settings
//! ([`KeyedConfig`]: master key, mode, rotation) and the per-worker
//! rewriter ([`Keyed`]) that picks each line's key from the line's own
//! timestamp before any field of the line is rewritten.
//!
//! Guarantees:
//! * A line's pseudonyms depend only on the master key, the mode, and the
//!   period of the line's own time field, never on the worker, the block,
//!   the lines around it or the wall clock: output is the same for every
//!   thread count and block size, and re-processing gives the same
//!   pseudonyms as the live run.
//! * With rotation, a line whose time field cannot be read (or an unparsed
//!   line) is never pseudonymized with a guessed key: its addresses are
//!   truncated by the configured prefixes and its user fields removed, and
//!   the caller counts it ([`LineKeying::Undated`]).
//! * Each worker derives a period's keys once and keeps those of up to
//!   [`MAX_PERIODS`] periods, with one address cache whose pairs are tagged
//!   by key: lines whose dates come in any order (merged logs from several
//!   servers) cost a table lookup, not a derivation and an emptied cache.

use std::fmt;
use std::sync::Arc;

use super::cache::AddrCache;
use super::periods::{MAX_PERIODS, PeriodKeys, PeriodTable};
use super::{Cipher, Mode, USER_TOKEN_LABEL, user_token};
use super::{DerivedKey, KeyError, MasterKey};
use super::{Period, Rotation};
use crate::addr::{Addr, AddrRewrite, Truncate};
use crate::anonymize::audit::Findings;
use crate::format::time::{Date, DateReader};
use crate::stats::Stats;

/// How the addresses and users of one line are rewritten.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKeying {
    /// Addresses are truncated (no address pseudonyms configured); user
    /// fields follow the user policy.
    Truncated,
    /// Addresses get keyed pseudonyms.
    Pseudonymized,
    /// Rotation is on and the line's period could not be read: addresses
    /// are truncated and pseudonymized user fields removed instead.
    Undated,
}

/// An address rewriter that may depend on the line being rewritten: keyed
/// pseudonyms with rotation choose their key from the line's timestamp.
pub trait LineRewrite: AddrRewrite {
    /// Called once per non-empty line before any of its fields (or, for an
    /// unparsed line, any of its text) is rewritten. `time` yields the
    /// line's time field, or `None` when there is none (unparsed lines,
    /// formats without one); it is only called when needed.
    fn begin_line<'t>(&mut self, time: impl FnOnce() -> Option<&'t [u8]>) -> LineKeying {
        let _ = time;
        LineKeying::Truncated
    }

    /// Appends the keyed token of `user` for the current line and returns
    /// true, or returns false (appending nothing) when there is no user key
    /// for it.
    fn user_token(&mut self, user: &[u8], out: &mut Vec<u8>) -> bool {
        let _ = (user, out);
        false
    }

    /// True for an audit ([`Audit`](crate::anonymize::audit::Audit)): the
    /// anonymizer then calls [`LineRewrite::end_line`] after every line. A
    /// constant, so that the code of a run holds no such call at all.
    const AUDITS: bool = false;

    /// Called after each line of a block (empty ones too) when
    /// [`LineRewrite::AUDITS`] holds, with its 0-based index in the block
    /// and the block's counters before and after it.
    fn end_line(&mut self, index: u64, before: &Stats, after: &Stats) {
        let _ = (index, before, after);
    }

    /// What an audit found since the last call; `None` for a rewriter that
    /// does not audit.
    fn take_findings(&mut self) -> Option<Box<Findings>> {
        None
    }
}

impl LineRewrite for Truncate {}

/// The key of `mode` for `period`: `master.derive(mode.label(), period)`,
/// except that a Crypto-PAn key is derived again (labels `cryptopan#1`,
/// `cryptopan#2`, ...) until its first pad bit is 1.
///
/// Why: Crypto-PAn's pad bits are correlated (the PRF inputs for bits i
/// and i+1 coincide whenever bit i of the address equals bit i of the
/// pad, so each pad bit repeats the one before with probability 3/4).
/// When the first pad bit is 0, as it is for half of all keys, about one
/// IPv4 address in 7,500 maps to itself and one in eight keeps its first
/// octet. With a first pad bit of 1 every address has its first bit
/// flipped, so none is ever written unchanged. The result is still a
/// plain Crypto-PAn key (other implementations given it agree).
pub fn mode_key(master: &MasterKey, mode: Mode, period: &str) -> DerivedKey {
    let mut key = master.derive(mode.label(), period);
    let mut attempt = 0u32;
    while mode == Mode::CryptoPan && !cryptopan_flips_first_bit(&key) {
        attempt += 1;
        key = master.derive(&format!("{}#{attempt}", mode.label()), period);
    }
    key
}

/// Whether Crypto-PAn under `key` flips the first bit of every address:
/// the top bit of AES(K, pad) with pad = AES(K, second half), K the first.
fn cryptopan_flips_first_bit(key: &DerivedKey) -> bool {
    use aes::cipher::{BlockCipherEncrypt, KeyInit};
    use zeroize::Zeroize;
    let k = key.as_bytes();
    let aes = aes::Aes128::new_from_slice(&k[..16]).expect("16-byte half");
    let mut block = aes::Block::try_from(&k[16..]).expect("16-byte half");
    aes.encrypt_block(&mut block);
    aes.encrypt_block(&mut block);
    let flips = block[0] >> 7 == 1;
    block.zeroize();
    flips
}

/// The run-wide key settings, shared read-only by every worker.
pub struct KeyedConfig {
    master: MasterKey,
    mode: Option<Mode>,
    users: bool,
    rotation: Rotation,
    cache_entries: usize,
}

impl KeyedConfig {
    /// Settings for address pseudonyms in `mode` (none: addresses are
    /// truncated) and, with `users`, user tokens, all keyed from `master`
    /// per `rotation` period. Fails if a derived key is unusable (the
    /// chance is about 2^-128: [`crate::anonymize::pseudonym::IpcryptPfx::new`]).
    pub fn new(
        master: MasterKey,
        mode: Option<Mode>,
        users: bool,
        rotation: Rotation,
    ) -> Result<Self, KeyError> {
        let config = KeyedConfig {
            master,
            mode,
            users,
            rotation,
            cache_entries: super::DEFAULT_CACHE_ENTRIES,
        };
        if rotation == Rotation::None {
            config.keys(Period::NONE, 0)?;
        }
        Ok(config)
    }

    /// The master key's public id ([`MasterKey::id`]).
    pub fn key_id(&self) -> String {
        self.master.id()
    }

    /// The address mode, if addresses are pseudonymized (for `--stats`).
    pub fn mode(&self) -> Option<Mode> {
        self.mode
    }

    /// Whether user fields get tokens.
    pub fn users(&self) -> bool {
        self.users
    }

    /// The rotation.
    pub fn rotation(&self) -> Rotation {
        self.rotation
    }

    /// The keys of one period, tagged `tag` for the address cache.
    fn keys(&self, period: Period, tag: u32) -> Result<PeriodKeys, KeyError> {
        let label = period.as_str();
        let cipher = match self.mode {
            None => None,
            Some(mode) => Some(Cipher::new(mode, &mode_key(&self.master, mode, label))?),
        };
        let user = self
            .users
            .then(|| self.master.derive(USER_TOKEN_LABEL, label));
        Ok(PeriodKeys {
            period,
            tag,
            cipher,
            user,
        })
    }
}

impl fmt::Debug for KeyedConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedConfig")
            .field("key_id", &self.key_id())
            .field("mode", &self.mode)
            .field("users", &self.users)
            .field("rotation", &self.rotation)
            .finish()
    }
}

/// The per-worker rewriter for keyed pseudonyms (see the module's
/// guarantees).
pub struct Keyed {
    config: Arc<KeyedConfig>,
    truncate: Truncate,
    periods: PeriodTable,
    /// One cache for every period's pairs, each tagged by its key.
    cache: AddrCache,
    /// The period entry of the current line; `None` when it is undated.
    active: Option<usize>,
    /// The entry of the last dated line, checked first: most logs are in
    /// date order, and then the table is not even looked up.
    recent: Option<usize>,
    /// Reads line dates, remembering the last one.
    dates: DateReader,
    /// The last date read and its period, so a run of lines of one day
    /// computes its label once.
    last: Option<(Date, Period)>,
}

impl Keyed {
    /// A worker's rewriter; `truncate` applies to undated lines (and to
    /// every address when `config` has no address mode).
    pub fn new(config: Arc<KeyedConfig>, truncate: Truncate) -> Self {
        let entries = if config.mode.is_some() {
            config.cache_entries
        } else {
            0
        };
        let cache = AddrCache::new(config.mode.unwrap_or(Mode::Pfx), entries);
        let mut keyed = Keyed {
            config,
            truncate,
            periods: PeriodTable::new(MAX_PERIODS),
            cache,
            active: None,
            recent: None,
            dates: DateReader::default(),
            last: None,
        };
        if keyed.config.rotation == Rotation::None {
            // Checked in KeyedConfig::new, so this cannot fail.
            keyed.activate(Period::NONE);
        }
        keyed
    }

    /// Makes `period`'s keys active, deriving them if the table does not
    /// hold them.
    fn activate(&mut self, period: Period) -> bool {
        if let Some(i) = self.recent.filter(|&i| self.periods.at(i).period == period) {
            self.active = Some(i);
            return true;
        }
        let config = &self.config;
        match self
            .periods
            .get(period, &mut self.cache, |p, tag| config.keys(p, tag))
        {
            Ok(i) => {
                self.recent = Some(i);
                self.active = Some(i);
                true
            }
            // Practically impossible (see KeyedConfig::new); never guess a
            // key: the line is truncated instead. The table may have been
            // emptied before the failure, so no old index is kept.
            Err(_) => {
                self.recent = None;
                false
            }
        }
    }

    fn current(&self) -> Option<&PeriodKeys> {
        self.active.map(|i| self.periods.at(i))
    }

    fn pseudonymizing(&self) -> bool {
        self.active.is_some() && self.config.mode.is_some()
    }
}

impl AddrRewrite for Keyed {
    #[inline]
    fn rewrite(&mut self, addr: Addr) -> Addr {
        if let (Some(i), Some(mode)) = (self.active, self.config.mode) {
            let keys = self.periods.at(i);
            if let Some(cipher) = &keys.cipher {
                return self.cache.rewrite(mode, cipher, keys.tag, addr);
            }
        }
        self.truncate.rewrite(addr)
    }

    fn keeps_v4(&self) -> bool {
        !self.pseudonymizing() && self.truncate.keeps_v4()
    }

    fn keeps_v6(&self) -> bool {
        !self.pseudonymizing() && self.truncate.keeps_v6()
    }
}

impl LineRewrite for Keyed {
    fn begin_line<'t>(&mut self, time: impl FnOnce() -> Option<&'t [u8]>) -> LineKeying {
        let dated = if self.config.rotation == Rotation::None {
            self.active = self.recent;
            self.active.is_some()
        } else {
            match time().and_then(|t| self.dates.date(t)) {
                Some(date) => {
                    let period = match self.last {
                        Some((d, p)) if d == date => p,
                        _ => {
                            let p = self.config.rotation.period(date);
                            self.last = Some((date, p));
                            p
                        }
                    };
                    self.activate(period)
                }
                None => false,
            }
        };
        if !dated {
            self.active = None;
            LineKeying::Undated
        } else if self.config.mode.is_some() {
            LineKeying::Pseudonymized
        } else {
            LineKeying::Truncated
        }
    }

    fn user_token(&mut self, user: &[u8], out: &mut Vec<u8>) -> bool {
        match self.current().and_then(|k| k.user.as_ref()) {
            Some(key) => {
                out.extend_from_slice(&user_token(key, user));
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Pseudonymizer, Rewriter};
    use super::*;

    const HEX: &str = "1522178d33a4cf80130a5b1649907d10d8988f837979652762574c2d2a842202";

    fn config(mode: Option<Mode>, users: bool, rotation: Rotation) -> Arc<KeyedConfig> {
        let master = MasterKey::from_hex(HEX).unwrap();
        Arc::new(KeyedConfig::new(master, mode, users, rotation).unwrap())
    }

    fn t() -> Truncate {
        Truncate::new(24, 48).unwrap()
    }

    const A: Addr = Addr::V4(0xc633_644d); // 198.51.100.77

    fn line(k: &mut Keyed, time: &str) -> (LineKeying, Addr) {
        let keying = k.begin_line(|| Some(time.as_bytes()));
        (keying, k.rewrite(A))
    }

    #[test]
    fn dates_in_any_order_get_their_own_keys() {
        // More periods than the table holds, in a scrambled order, with
        // addresses repeating across them: each line's pseudonym is still
        // exactly its own day's, whatever the table and cache held before.
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let days: Vec<(String, String)> = (2020..2024)
            .flat_map(|y| (1..=12).flat_map(move |m| (1..=28).map(move |d| (y, m, d))))
            .map(|(y, m, d)| {
                let clf = format!("{d:02}/{}/{y}:12:00:00 +0000", MONTHS[m - 1]);
                (clf, format!("{y}-{m:02}-{d:02}"))
            })
            .collect();
        assert!(days.len() > MAX_PERIODS);
        let master = MasterKey::from_hex(HEX).unwrap();
        let mut want = std::collections::HashMap::new();
        let mut k = Keyed::new(config(Some(Mode::Pfx), false, Rotation::Daily), t());
        let mut x = 0x2545_f491_u32;
        for _ in 0..4000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let (clf, label) = &days[x as usize % days.len()];
            let addr = Addr::V4(0xc633_6400 | (x >> 28));
            assert_eq!(
                k.begin_line(|| Some(clf.as_bytes())),
                LineKeying::Pseudonymized
            );
            let reference = want.entry(label.clone()).or_insert_with(|| {
                Pseudonymizer::with_cache(Mode::Pfx, &master.derive("pfx", label), 0).unwrap()
            });
            assert_eq!(k.rewrite(addr), reference.rewrite(addr), "{clf}");
        }
        assert!(k.cache.stats().hits > 0);
    }

    #[test]
    fn daily_rotation_follows_line_dates() {
        let mut k = Keyed::new(config(Some(Mode::Pfx), false, Rotation::Daily), t());
        let (kind, a1) = line(&mut k, "22/Nov/2026:23:59:59 +0000");
        assert_eq!(kind, LineKeying::Pseudonymized);
        let (_, a2) = line(&mut k, "22/Nov/2026:00:00:00 +0000");
        let (_, b) = line(&mut k, "23/Nov/2026:00:00:00 +0000");
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
        // Exactly the key derived for the period.
        let master = MasterKey::from_hex(HEX).unwrap();
        let mut want =
            Pseudonymizer::with_cache(Mode::Pfx, &master.derive("pfx", "2026-11-23"), 0).unwrap();
        assert_eq!(b, want.rewrite(A));
        // Back and forth across midnight, then a third day (evicts the 22nd).
        assert_eq!(line(&mut k, "22/Nov/2026:23:59:59 +0100").1, a1);
        assert_eq!(
            line(&mut k, "24/Nov/2026:10:00:00 +0000").0,
            LineKeying::Pseudonymized
        );
        assert_eq!(line(&mut k, "22/Nov/2026:10:00:00 +0000").1, a1);
        assert_eq!(line(&mut k, "23/Nov/2026:10:00:00 +0000").1, b);
    }

    #[test]
    fn cryptopan_keys_never_leave_an_address_unchanged() {
        use super::super::CryptoPan;
        let mut raw_keys_that_would = 0;
        for seed in 1..=48u8 {
            let mut hex = String::new();
            for i in 0..32u8 {
                hex.push_str(&format!(
                    "{:02x}",
                    seed.wrapping_mul(31).wrapping_add(i * 7)
                ));
            }
            let master = MasterKey::from_hex(&hex).unwrap();
            let raw = master.derive("cryptopan", "2026-11-22");
            raw_keys_that_would += u32::from(!cryptopan_flips_first_bit(&raw));
            let key = mode_key(&master, Mode::CryptoPan, "2026-11-22");
            if cryptopan_flips_first_bit(&raw) {
                assert_eq!(key.as_bytes(), raw.as_bytes(), "good keys are kept");
            }
            let c = CryptoPan::new(key.as_bytes()).unwrap();
            for x in [
                0u32,
                1,
                0x8000_0000,
                0xc633_644d,
                u32::MAX,
                u32::from(seed) << 13,
            ] {
                let Addr::V4(y) = c.encrypt(Addr::V4(x)) else {
                    unreachable!()
                };
                assert_eq!((x ^ y) >> 31, 1, "the first bit always flips");
            }
            let Addr::V6(y) = c.encrypt(Addr::V6(42)) else {
                unreachable!()
            };
            assert_eq!(y >> 127, 1);
            // The other modes use the plain derivation.
            for mode in [Mode::Pfx, Mode::Det] {
                assert_eq!(
                    mode_key(&master, mode, "x").as_bytes(),
                    master.derive(mode.label(), "x").as_bytes()
                );
            }
        }
        // About half of all raw keys would have left addresses unchanged.
        assert!(
            (8..=40).contains(&raw_keys_that_would),
            "{raw_keys_that_would}"
        );
    }

    #[test]
    fn undated_lines_are_truncated() {
        let mut k = Keyed::new(config(Some(Mode::Det), true, Rotation::Weekly), t());
        for time in [None, Some("yesterday"), Some("31/Nov/2026:00:00:00 +0000")] {
            let kind = k.begin_line(|| time.map(str::as_bytes));
            assert_eq!(kind, LineKeying::Undated);
            assert_eq!(k.rewrite(A), Addr::V4(0xc633_6400));
            assert!(!k.keeps_v4());
            let mut out = Vec::new();
            assert!(!k.user_token(b"alice", &mut out));
            assert!(out.is_empty());
        }
    }

    #[test]
    fn no_rotation_needs_no_time() {
        let mut k = Keyed::new(config(Some(Mode::CryptoPan), true, Rotation::None), t());
        let kind = k.begin_line(|| panic!("time is not needed without rotation"));
        assert_eq!(kind, LineKeying::Pseudonymized);
        let master = MasterKey::from_hex(HEX).unwrap();
        let mut want =
            Pseudonymizer::with_cache(Mode::CryptoPan, &master.derive("cryptopan", ""), 0).unwrap();
        assert_eq!(k.rewrite(A), want.rewrite(A));
        let mut out = Vec::new();
        assert!(k.user_token(b"alice", &mut out));
        assert_eq!(
            out,
            user_token(&master.derive(USER_TOKEN_LABEL, ""), b"alice")
        );
    }

    #[test]
    fn users_only_keeps_truncation() {
        let mut k = Keyed::new(config(None, true, Rotation::Monthly), t());
        assert_eq!(
            line(&mut k, "22/Nov/2026:08:00:00 +0000"),
            (LineKeying::Truncated, Addr::V4(0xc633_6400))
        );
        let (mut nov, mut dec) = (Vec::new(), Vec::new());
        assert!(k.user_token(b"alice", &mut nov));
        line(&mut k, "01/Dec/2026:08:00:00 +0000");
        assert!(k.user_token(b"alice", &mut dec));
        assert_eq!(nov.len(), 16);
        assert_ne!(nov, dec);
    }

    #[test]
    fn rewriter_dispatches_and_stats_never_show_the_key() {
        let c = config(Some(Mode::Pfx), false, Rotation::Daily);
        let mut r = Rewriter::new(t(), None);
        assert_eq!(r.begin_line(|| None), LineKeying::Truncated);
        assert_eq!(r.rewrite(A), Addr::V4(0xc633_6400));
        let mut r = Rewriter::new(t(), Some(&c));
        assert_eq!(r.begin_line(|| None), LineKeying::Undated);
        // The `--stats` text and JSON (app/report.rs) show the key id only.
        let text = format!("{c:?}");
        assert!(!text.contains(&HEX[..16]) && !text.contains(&HEX[48..]));
    }
}
