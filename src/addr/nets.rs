//! Networks whose addresses are kept as they are (`--keep-net`): the
//! operator's own ranges (monitoring, internal proxies), which carry no
//! visitor and which an investigation of the operator's own systems needs
//! in full.

use ipnet::IpNet;

use super::{Addr, LOW32, MAPPED_PREFIX};

/// A set of IPv4 and IPv6 networks, held as sorted, merged ranges so that
/// a lookup is a binary search whatever the number of networks.
///
/// Guarantees: [`NetSet::contains`] is true exactly for the addresses
/// inside one of the networks given to [`NetSet::new`]; an IPv4-mapped
/// IPv6 address (`::ffff:a.b.c.d`) is inside an IPv4 network when `a.b.c.d`
/// is, as the rest of anonlog treats the two forms as one address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetSet {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
    /// The networks as given (host bits cleared), for what a run records.
    nets: Vec<IpNet>,
}

impl NetSet {
    /// The set of the addresses in `nets` (host bits of a network are
    /// ignored: `10.1.2.3/8` is `10.0.0.0/8`).
    pub fn new(nets: &[IpNet]) -> NetSet {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for net in nets {
            match net.trunc() {
                IpNet::V4(n) => v4.push((u32::from(n.network()), u32::from(n.broadcast()))),
                IpNet::V6(n) => v6.push((u128::from(n.network()), u128::from(n.broadcast()))),
            }
        }
        NetSet {
            v4: merge(v4),
            v6: merge(v6),
            nets: nets.iter().map(IpNet::trunc).collect(),
        }
    }

    /// The networks as given to [`NetSet::new`], host bits cleared, in
    /// their order.
    pub fn nets(&self) -> &[IpNet] {
        &self.nets
    }

    /// No network at all.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// Whether `addr` is inside one of the networks (see the guarantees of
    /// [`NetSet`]).
    #[inline]
    pub fn contains(&self, addr: Addr) -> bool {
        match addr {
            Addr::V4(a) => within(&self.v4, a),
            Addr::V6(a) => {
                within(&self.v6, a) || (a & !LOW32 == MAPPED_PREFIX && within(&self.v4, a as u32))
            }
        }
    }
}

/// Sorts ranges and merges those that overlap or touch.
fn merge<T: Copy + Ord + num::One>(mut r: Vec<(T, T)>) -> Vec<(T, T)> {
    r.sort_unstable();
    let mut out: Vec<(T, T)> = Vec::with_capacity(r.len());
    for (start, end) in r {
        match out.last_mut() {
            Some(last) if start <= last.1 || last.1.checked_next() == Some(start) => {
                last.1 = last.1.max(end);
            }
            _ => out.push((start, end)),
        }
    }
    out
}

/// Whether `a` lies in one of the sorted, disjoint ranges.
#[inline]
fn within<T: Copy + Ord>(ranges: &[(T, T)], a: T) -> bool {
    // The first range starting after `a`; the one before it is the only
    // one that can hold `a`.
    let i = ranges.partition_point(|&(start, _)| start <= a);
    i > 0 && a <= ranges[i - 1].1
}

/// The one operation [`merge`] needs of both widths.
mod num {
    pub trait One: Sized {
        fn checked_next(self) -> Option<Self>;
    }
    impl One for u32 {
        fn checked_next(self) -> Option<Self> {
            self.checked_add(1)
        }
    }
    impl One for u128 {
        fn checked_next(self) -> Option<Self> {
            self.checked_add(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn set(nets: &[&str]) -> NetSet {
        let nets: Vec<IpNet> = nets.iter().map(|n| n.parse().unwrap()).collect();
        NetSet::new(&nets)
    }

    fn v4(s: &str) -> Addr {
        Addr::V4(s.parse::<Ipv4Addr>().unwrap().into())
    }

    fn v6(s: &str) -> Addr {
        Addr::V6(s.parse::<Ipv6Addr>().unwrap().into())
    }

    #[test]
    fn membership() {
        let s = set(&[
            "10.0.0.0/8",
            "192.0.2.128/25",
            "2001:db8:1::/48",
            "0.0.0.0/32",
        ]);
        assert!(s.contains(v4("10.255.255.255")));
        assert!(s.contains(v4("10.0.0.0")));
        assert!(!s.contains(v4("11.0.0.0")));
        assert!(!s.contains(v4("9.255.255.255")));
        assert!(s.contains(v4("192.0.2.200")));
        assert!(!s.contains(v4("192.0.2.127")));
        assert!(s.contains(v4("0.0.0.0")));
        assert!(s.contains(v6("2001:db8:1:ffff::1")));
        assert!(!s.contains(v6("2001:db8:2::1")));
        assert!(
            s.contains(v6("::ffff:10.1.2.3")),
            "mapped form of a kept IPv4"
        );
        assert!(!s.contains(v6("::10.1.2.3")), "not mapped");
        assert!(!set(&[]).contains(v4("10.0.0.1")));
        assert!(set(&[]).is_empty());
        assert!(set(&["0.0.0.0/0"]).contains(v4("255.255.255.255")));
        assert!(set(&["::/0"]).contains(v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
        assert!(
            set(&["10.1.2.3/8"]).contains(v4("10.200.0.1")),
            "host bits ignored"
        );
    }

    #[test]
    fn ranges_are_merged() {
        let s = set(&["10.0.0.0/9", "10.128.0.0/9", "10.0.0.0/16", "10.0.0.0/8"]);
        assert_eq!(s.v4, [(0x0a00_0000, 0x0aff_ffff)]);
    }

    proptest! {
        #[test]
        fn agrees_with_ipnet(
            nets in proptest::collection::vec((any::<u32>(), 0u8..=32), 0..8),
            probes in proptest::collection::vec(any::<u32>(), 1..32),
        ) {
            let nets: Vec<IpNet> = nets
                .iter()
                .map(|&(a, p)| IpNet::V4(ipnet::Ipv4Net::new(Ipv4Addr::from(a), p).unwrap()))
                .collect();
            let s = NetSet::new(&nets);
            for p in probes.iter().copied().chain(nets.iter().map(|n| match n.trunc() {
                IpNet::V4(n) => u32::from(n.broadcast()),
                IpNet::V6(_) => 0,
            })) {
                let want = nets.iter().any(|n| n.contains(&std::net::IpAddr::V4(Ipv4Addr::from(p))));
                prop_assert_eq!(s.contains(Addr::V4(p)), want, "{:?} {}", nets, p);
            }
        }
    }
}
