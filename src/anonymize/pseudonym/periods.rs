//! A worker's table of derived period keys, so that lines whose dates come
//! in any order (merged logs, JSON from several services) cost a lookup,
//! not a key derivation and an emptied address cache per line.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::cache::AddrCache;
use super::{Cipher, DerivedKey, KeyError, Period};

/// How many periods' keys a worker holds at most: every day of almost
/// three years, at about 1 KiB each. Beyond it, the oldest-inserted period
/// is derived again when it comes back; nothing else changes.
pub(super) const MAX_PERIODS: usize = 1024;

/// The keys of one rotation period, in one worker.
pub(super) struct PeriodKeys {
    pub(super) period: Period,
    /// The tag of this key's pairs in the worker's [`AddrCache`]: unique
    /// among the keys the worker has held since its cache was last cleared.
    pub(super) tag: u32,
    /// The address cipher (none when addresses are truncated).
    pub(super) cipher: Option<Cipher>,
    /// The user-token key (none without `--user pseudonymize`).
    pub(super) user: Option<DerivedKey>,
}

/// Derived keys by period, bounded by [`MAX_PERIODS`].
///
/// Guarantees: [`PeriodTable::get`] returns the keys `derive` made for that
/// very period; tags are never reused while pairs under them may remain in
/// the cache (when the tag counter runs out, the table and the cache are
/// emptied together).
pub(super) struct PeriodTable {
    entries: Vec<PeriodKeys>,
    index: HashMap<Period, usize, BuildHasherDefault<LabelHasher>>,
    next_tag: u32,
    /// The entry that the next insertion into a full table replaces.
    victim: usize,
    cap: usize,
}

impl PeriodTable {
    /// An empty table of at most `cap` periods (at least one).
    pub(super) fn new(cap: usize) -> Self {
        PeriodTable {
            entries: Vec::new(),
            index: HashMap::default(),
            next_tag: 0,
            victim: 0,
            cap: cap.max(1),
        }
    }

    /// The index of `period`'s keys, made by `derive(period, tag)` if the
    /// table does not hold them. On error the table is unchanged.
    pub(super) fn get(
        &mut self,
        period: Period,
        cache: &mut AddrCache,
        derive: impl FnOnce(Period, u32) -> Result<PeriodKeys, KeyError>,
    ) -> Result<usize, KeyError> {
        if let Some(&i) = self.index.get(&period) {
            return Ok(i);
        }
        if self.next_tag == u32::MAX {
            // Never seen in practice (four billion derivations), but a tag
            // must not come back while its pairs may be cached.
            self.entries.clear();
            self.index.clear();
            self.victim = 0;
            self.next_tag = 0;
            cache.clear();
        }
        let keys = derive(period, self.next_tag)?;
        self.next_tag += 1;
        let i = if self.entries.len() < self.cap {
            self.entries.push(keys);
            self.entries.len() - 1
        } else {
            let i = self.victim;
            self.victim = (i + 1) % self.cap;
            self.index.remove(&self.entries[i].period);
            self.entries[i] = keys;
            i
        };
        self.index.insert(period, i);
        Ok(i)
    }

    /// The keys at `i`, an index [`PeriodTable::get`] returned since the
    /// last insertion.
    pub(super) fn at(&self, i: usize) -> &PeriodKeys {
        &self.entries[i]
    }
}

/// A multiply-rotate hash of a period label, for the table's index: with
/// dates in no order it is looked up on every line, and SipHash cost 120
/// instructions a line. The table holds at most [`MAX_PERIODS`] labels, so
/// even labels chosen to collide (the dates come from the log) cost at
/// most a scan of those.
#[derive(Default)]
struct LabelHasher(u64);

impl Hasher for LabelHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.0 =
                (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Mode, Rotation};
    use super::*;
    use crate::format::time::Date;

    fn day(d: u8) -> Period {
        Rotation::Daily.period(Date {
            year: 2026,
            month: 11,
            day: d,
        })
    }

    fn keys(period: Period, tag: u32) -> Result<PeriodKeys, KeyError> {
        Ok(PeriodKeys {
            period,
            tag,
            cipher: None,
            user: None,
        })
    }

    #[test]
    fn holds_periods_and_evicts_the_oldest_inserted() {
        let mut cache = AddrCache::new(Mode::Pfx, 16);
        let mut t = PeriodTable::new(2);
        let a = t.get(day(1), &mut cache, keys).unwrap();
        let b = t.get(day(2), &mut cache, keys).unwrap();
        assert_ne!(a, b);
        // Held: no derivation.
        let again = t.get(day(1), &mut cache, |_, _| panic!("derived again"));
        assert_eq!(again.unwrap(), a);
        // Full: day 1 (inserted first) goes, and a new tag is given.
        let c = t.get(day(3), &mut cache, keys).unwrap();
        assert_eq!(c, a);
        assert_eq!(t.at(c).period, day(3));
        assert_eq!(t.at(c).tag, 2);
        let mut derived = false;
        t.get(day(1), &mut cache, |p, tag| {
            derived = true;
            keys(p, tag)
        })
        .unwrap();
        assert!(derived);
        let held = t.get(day(3), &mut cache, |_, _| panic!("day 3 is held"));
        assert_eq!(t.at(held.unwrap()).period, day(3));
    }

    #[test]
    fn a_failed_derivation_changes_nothing() {
        let mut cache = AddrCache::new(Mode::Pfx, 16);
        let mut t = PeriodTable::new(4);
        let err = t.get(day(1), &mut cache, |_, _| Err(KeyError::EqualHalves));
        assert!(err.is_err());
        assert_eq!(t.get(day(1), &mut cache, keys).unwrap(), 0);
        assert_eq!(t.at(0).tag, 0);
    }
}
