//! The address rewriters of a worker: truncation or keyed pseudonyms, with
//! the `--keep-net` networks written unchanged in front of either
//! ([`Keeping`]), and [`Rewriter`], which is any of them.

use std::sync::Arc;

use super::keyed::{Keyed, KeyedConfig, LineKeying, LineRewrite};
use crate::addr::{Addr, AddrRewrite, NetSet, Truncate};
use crate::anonymize::audit::Findings;
use crate::stats::Stats;

/// Writes the addresses inside a set of networks unchanged and hands
/// every other address to `R`.
///
/// Guarantees: an address inside the set is returned unchanged whatever
/// `R` is (truncation, pfx, det, Crypto-PAn, dated or not) and counted
/// ([`LineRewrite::take_kept`]); every other address, every line's keying
/// and every user token are `R`'s, exactly as without the set.
pub struct Keeping<R> {
    inner: R,
    keep: Arc<NetSet>,
    kept: u64,
}

impl<R> Keeping<R> {
    /// `inner`, keeping the addresses inside `keep`.
    pub fn new(inner: R, keep: Arc<NetSet>) -> Self {
        Keeping {
            inner,
            keep,
            kept: 0,
        }
    }
}

impl<R: AddrRewrite> AddrRewrite for Keeping<R> {
    #[inline]
    fn rewrite(&mut self, addr: Addr) -> Addr {
        if self.keep.contains(addr) {
            self.kept += 1;
            addr
        } else {
            self.inner.rewrite(addr)
        }
    }

    #[inline]
    fn keeps_v4(&self) -> bool {
        self.inner.keeps_v4()
    }

    #[inline]
    fn keeps_v6(&self) -> bool {
        self.inner.keeps_v6()
    }

    fn zeroed(&mut self) {
        self.inner.zeroed();
    }
}

impl<R: LineRewrite> LineRewrite for Keeping<R> {
    const AUDITS: bool = R::AUDITS;
    #[inline]
    fn begin_line<'t>(&mut self, time: impl FnOnce() -> Option<&'t [u8]>) -> LineKeying {
        self.inner.begin_line(time)
    }

    fn user_token(&mut self, user: &[u8], out: &mut Vec<u8>) -> bool {
        self.inner.user_token(user, out)
    }

    #[inline]
    fn take_kept(&mut self) -> u64 {
        std::mem::take(&mut self.kept)
    }

    fn end_line(&mut self, index: u64, before: &Stats, after: &Stats) {
        self.inner.end_line(index, before, after);
    }

    fn take_findings(&mut self) -> Option<Box<Findings>> {
        self.inner.take_findings()
    }
}

/// The address rewriter a worker uses when one type must serve every
/// configuration (the listener, whose workers are not specialised per
/// rewriter; tests): truncation, or keyed pseudonyms, either of them with
/// kept networks. The stream engine instantiates the
/// concrete types instead, so that truncation keeps its own code path.
pub enum Rewriter {
    /// Prefix truncation (the default).
    Truncate(Truncate),
    /// Keyed pseudonyms and/or user tokens.
    Keyed(Box<Keyed>),
    /// One of the others, with the addresses of `--keep-net` unchanged.
    Keeping(Box<Keeping<Rewriter>>),
}

impl Rewriter {
    /// Keyed when `keyed` is given, else truncation; no kept network.
    pub fn new(truncate: Truncate, keyed: Option<&Arc<KeyedConfig>>) -> Self {
        match keyed {
            None => Rewriter::Truncate(truncate),
            Some(k) => Rewriter::Keyed(Box::new(Keyed::new(Arc::clone(k), truncate))),
        }
    }

    /// The same rewriter, writing the addresses inside `keep` unchanged
    /// (none, or an empty set, keeps none).
    pub fn keeping(self, keep: Option<&Arc<NetSet>>) -> Self {
        match keep.filter(|k| !k.is_empty()) {
            Some(k) => Rewriter::Keeping(Box::new(Keeping::new(self, Arc::clone(k)))),
            None => self,
        }
    }
}

impl AddrRewrite for Rewriter {
    #[inline]
    fn rewrite(&mut self, addr: Addr) -> Addr {
        match self {
            Rewriter::Truncate(t) => t.rewrite(addr),
            Rewriter::Keyed(k) => k.rewrite(addr),
            Rewriter::Keeping(k) => k.rewrite(addr),
        }
    }

    #[inline]
    fn keeps_v4(&self) -> bool {
        match self {
            Rewriter::Truncate(t) => t.keeps_v4(),
            Rewriter::Keyed(k) => k.keeps_v4(),
            Rewriter::Keeping(k) => k.keeps_v4(),
        }
    }

    #[inline]
    fn keeps_v6(&self) -> bool {
        match self {
            Rewriter::Truncate(t) => t.keeps_v6(),
            Rewriter::Keyed(k) => k.keeps_v6(),
            Rewriter::Keeping(k) => k.keeps_v6(),
        }
    }

    fn zeroed(&mut self) {
        if let Rewriter::Keeping(k) = self {
            k.zeroed();
        }
    }
}

impl LineRewrite for Rewriter {
    #[inline]
    fn begin_line<'t>(&mut self, time: impl FnOnce() -> Option<&'t [u8]>) -> LineKeying {
        match self {
            Rewriter::Truncate(_) => LineKeying::Truncated,
            Rewriter::Keyed(k) => k.begin_line(time),
            Rewriter::Keeping(k) => k.begin_line(time),
        }
    }

    fn user_token(&mut self, user: &[u8], out: &mut Vec<u8>) -> bool {
        match self {
            Rewriter::Truncate(_) => false,
            Rewriter::Keyed(k) => k.user_token(user, out),
            Rewriter::Keeping(k) => k.user_token(user, out),
        }
    }

    #[inline]
    fn take_kept(&mut self) -> u64 {
        match self {
            Rewriter::Keeping(k) => k.take_kept(),
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{MasterKey, Mode, Rotation};
    use super::*;

    const HEX: &str = "1522178d33a4cf80130a5b1649907d10d8988f837979652762574c2d2a842202";

    fn nets(n: &[&str]) -> Arc<NetSet> {
        let n: Vec<ipnet::IpNet> = n.iter().map(|s| s.parse().unwrap()).collect();
        Arc::new(NetSet::new(&n))
    }

    #[test]
    fn kept_networks_stay_raw_in_every_mode() {
        let t = Truncate::new(24, 48).unwrap();
        let keep = nets(&["10.0.0.0/8", "2001:db8:1::/48"]);
        let kept = [
            Addr::V4(0x0a01_0203),
            Addr::V6(0x2001_0db8_0001_0000_0000_0000_0000_0001),
            Addr::V6(0xffff_0a01_0203),
        ];
        let other = Addr::V4(0xc633_644d);
        let mut all = vec![Rewriter::new(t, None)];
        for (mode, rotation) in [
            (Mode::Pfx, Rotation::None),
            (Mode::Det, Rotation::None),
            (Mode::CryptoPan, Rotation::None),
            (Mode::Pfx, Rotation::Daily),
        ] {
            let master = MasterKey::from_hex(HEX).unwrap();
            let c = KeyedConfig::new(master, Some(mode), true, rotation).unwrap();
            all.push(Rewriter::new(t, Some(&Arc::new(c))));
        }
        for r in all {
            let mut r = r.keeping(Some(&keep));
            for dated in [true, false] {
                r.begin_line(|| dated.then_some(&b"22/Nov/2026:08:38:17 +0000"[..]));
                for a in kept {
                    assert_eq!(r.rewrite(a), a);
                }
                assert_ne!(r.rewrite(other), other);
                assert_eq!(r.take_kept(), 3);
                assert_eq!(r.take_kept(), 0, "taken");
            }
        }
    }

    #[test]
    fn no_kept_network_changes_nothing() {
        let t = Truncate::new(24, 48).unwrap();
        let mut plain = Rewriter::new(t, None);
        let mut empty = Rewriter::new(t, None).keeping(Some(&nets(&[])));
        assert!(matches!(empty, Rewriter::Truncate(_)));
        for a in [Addr::V4(0x0a01_0203), Addr::V6(0x2001_0db8 << 96)] {
            assert_eq!(plain.rewrite(a), empty.rewrite(a));
        }
        assert_eq!(empty.take_kept(), 0);
    }
}
