//! anonip's address rewrite: masks that count the bits removed, an
//! increment added afterwards, and private addresses optionally kept.
//!
//! Guarantees, for [`AnonipRewrite::rewrite`]:
//! * an IPv4 address keeps its first `32 - v4_mask` bits, an IPv6 address
//!   its first `128 - v6_mask` bits, the rest zeroed, as anonip 1.1.0 does;
//! * unlike anonip, an IPv4 address embedded in IPv6 (6to4 `2002::/16`,
//!   IPv4-mapped `::ffff:0:0/96`, NAT64 `64:ff9b::/96`) keeps no more of
//!   its IPv4 bits than the IPv4 mask allows, whatever the IPv6 mask;
//! * the increment is added to the masked address only when the sum stays
//!   inside the family's address space; otherwise the masked address is
//!   written, as anonip does when the addition fails;
//! * with `skip_private`, an address is returned unchanged (and
//!   unincremented), as anonip does, only when every Python 3.11 that
//!   anonip runs on calls it private ([`is_private`]).

use crate::addr::{Addr, AddrRewrite, PrefixError};
use crate::anonymize::pseudonym::LineRewrite;

const LOW32: u128 = 0xffff_ffff;
const MAPPED: u128 = 0xffff << 32;
const NAT64: u128 = 0x0064_ff9b << 96;
const SIX_TO_FOUR: u128 = 0x2002;

/// anonip's rewrite; see the module for what it guarantees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnonipRewrite {
    mask4: u32,
    mask6: u128,
    increment: Option<u128>,
    skip_private: bool,
}

impl AnonipRewrite {
    /// Removes the last `v4_mask` (0..=32) and `v6_mask` (0..=128) bits;
    /// adds `increment` afterwards (`None`: more than any address space
    /// holds, so it never fits); keeps private addresses with
    /// `skip_private`. Other mask lengths are a [`PrefixError`] naming the
    /// prefix they would keep.
    pub fn new(
        v4_mask: u8,
        v6_mask: u8,
        increment: Option<u128>,
        skip_private: bool,
    ) -> Result<Self, PrefixError> {
        let err = |family, len: u8, max| PrefixError { family, len, max };
        let keep4 = 32u8.checked_sub(v4_mask).ok_or(err("IPv4", v4_mask, 32))?;
        let keep6 = 128u8
            .checked_sub(v6_mask)
            .ok_or(err("IPv6", v6_mask, 128))?;
        Ok(AnonipRewrite {
            mask4: u32::MAX.checked_shl(32 - u32::from(keep4)).unwrap_or(0),
            mask6: u128::MAX.checked_shl(128 - u32::from(keep6)).unwrap_or(0),
            increment,
            skip_private,
        })
    }

    /// The IPv6 mask for `a`, with the host bits of an embedded IPv4
    /// address cleared as well.
    #[inline]
    fn mask_v6(&self, a: u128) -> u128 {
        let top96 = a & !LOW32;
        if top96 == MAPPED || top96 == NAT64 {
            self.mask6 & (!LOW32 | u128::from(self.mask4))
        } else if a >> 112 == SIX_TO_FOUR {
            self.mask6 & !(u128::from(!self.mask4) << 80)
        } else {
            self.mask6
        }
    }
}

impl AddrRewrite for AnonipRewrite {
    #[inline]
    fn rewrite(&mut self, addr: Addr) -> Addr {
        if self.skip_private && is_private(addr) {
            return addr;
        }
        let inc = self.increment;
        match addr {
            Addr::V4(a) => {
                let m = a & self.mask4;
                let sum = inc.and_then(|i| u32::try_from(i).ok()?.checked_add(m));
                Addr::V4(sum.unwrap_or(m))
            }
            Addr::V6(a) => {
                let m = a & self.mask_v6(a);
                Addr::V6(inc.and_then(|i| i.checked_add(m)).unwrap_or(m))
            }
        }
    }
}

impl LineRewrite for AnonipRewrite {}

/// What anonip's `--skip-private` keeps: the addresses that Python's
/// `ipaddress` calls private both before and after the fix of
/// CVE-2024-4032 (3.11.7 and Debian's 3.11.2 disagree), that is the
/// earlier list less the later one's exceptions. Where they disagree
/// (192.0.0.8/29 and the rest of 192.0.0.0/24 but .170/31, 6to4
/// `2002::/16`, `64:ff9b:1::/48`, and the exceptions in `2001::/23`), the
/// address is masked: unknown is not safe. An IPv4-mapped address is
/// judged by its IPv4 address, as both do.
pub fn is_private(addr: Addr) -> bool {
    const V4: [(u32, u32); 14] = [
        (0x0000_0000, 8),
        (0x0a00_0000, 8),
        (0x7f00_0000, 8),
        (0xa9fe_0000, 16),
        (0xac10_0000, 12),
        (0xc000_0000, 29),
        (0xc000_00aa, 31),
        (0xc000_0200, 24),
        (0xc0a8_0000, 16),
        (0xc612_0000, 15),
        (0xc633_6400, 24),
        (0xcb00_7100, 24),
        (0xf000_0000, 4),
        (0xffff_ffff, 32),
    ];
    const V6: [(u128, u32); 9] = [
        (1, 128),
        (0, 128),
        (0x0100 << 112, 64),
        (0x2001 << 112, 23),
        (0x2001_0002 << 96, 48),
        (0x2001_0db8 << 96, 32),
        (0x2001_0010 << 96, 28),
        (0xfc00 << 112, 7),
        (0xfe80 << 112, 10),
    ];
    /// Not private after the fix, though inside `2001::/23`.
    const V6_EXCEPTIONS: [(u128, u32); 6] = [
        ((0x2001_0001 << 96) | 1, 128),
        ((0x2001_0001 << 96) | 2, 128),
        (0x2001_0003 << 96, 32),
        ((0x2001_0004 << 96) | (0x0112 << 80), 48),
        (0x2001_0020 << 96, 28),
        (0x2001_0030 << 96, 28),
    ];
    let in6 = |a: u128, &(net, len): &(u128, u32)| (a ^ net) >> (128 - len) == 0;
    match addr {
        Addr::V4(a) => V4.iter().any(|&(net, len)| (a ^ net) >> (32 - len) == 0),
        Addr::V6(a) if a & !LOW32 == MAPPED => is_private(Addr::V4(a as u32)),
        Addr::V6(a) => V6.iter().any(|n| in6(a, n)) && !V6_EXCEPTIONS.iter().any(|n| in6(a, n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw(r: &mut AnonipRewrite, s: &str) -> String {
        match r.rewrite(match s.parse::<std::net::IpAddr>().unwrap() {
            std::net::IpAddr::V4(a) => Addr::V4(a.into()),
            std::net::IpAddr::V6(a) => Addr::V6(a.into()),
        }) {
            Addr::V4(a) => std::net::Ipv4Addr::from(a).to_string(),
            Addr::V6(a) => std::net::Ipv6Addr::from(a).to_string(),
        }
    }

    #[test]
    fn masks_count_bits_removed() {
        let mut r = AnonipRewrite::new(12, 84, Some(0), false).unwrap();
        assert_eq!(rw(&mut r, "192.168.100.200"), "192.168.96.0");
        assert_eq!(
            rw(&mut r, "2001:db8:85a3::8a2e:370:7334"),
            "2001:db8:85a0::"
        );
        let mut all = AnonipRewrite::new(32, 128, Some(0), false).unwrap();
        assert_eq!(rw(&mut all, "192.168.100.200"), "0.0.0.0");
        assert_eq!(rw(&mut all, "2001:db8::1"), "::");
        let mut none = AnonipRewrite::new(0, 0, Some(0), false).unwrap();
        assert_eq!(rw(&mut none, "192.168.100.200"), "192.168.100.200");
        assert!(AnonipRewrite::new(33, 0, None, false).is_err());
        assert!(AnonipRewrite::new(0, 129, None, false).is_err());
    }

    #[test]
    fn increment_applies_only_when_it_fits() {
        let mut r = AnonipRewrite::new(12, 84, Some(3), false).unwrap();
        assert_eq!(rw(&mut r, "192.168.100.200"), "192.168.96.3");
        let mut big = AnonipRewrite::new(12, 84, Some(284414028745874325), false).unwrap();
        assert_eq!(rw(&mut big, "192.168.100.200"), "192.168.96.0");
        assert_eq!(rw(&mut big, "2001:db8::1"), "2001:db8::3f2:710d:6089:1b95");
        let mut edge = AnonipRewrite::new(32, 128, Some(u128::MAX), false).unwrap();
        assert_eq!(
            rw(&mut edge, "::1"),
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        );
        let mut huge = AnonipRewrite::new(32, 128, None, false).unwrap();
        assert_eq!(rw(&mut huge, "::1"), "::");
        let mut top = AnonipRewrite::new(1, 84, Some(1), false).unwrap();
        assert_eq!(rw(&mut top, "255.255.255.255"), "255.255.255.255");
    }

    #[test]
    fn embedded_ipv4_keeps_no_more_than_the_ipv4_mask() {
        let mut r = AnonipRewrite::new(8, 16, Some(0), false).unwrap();
        // anonip 1.1.0 writes 2002:102:304:: (all of 1.2.3.4) here.
        assert_eq!(rw(&mut r, "2002:102:304::1"), "2002:102:300::");
        // Here the IPv6 mask is the stricter one.
        assert_eq!(rw(&mut r, "::ffff:1.2.3.4"), "::ffff:1.2.0.0");
        assert_eq!(rw(&mut r, "64:ff9b::1.2.3.4"), "64:ff9b::102:0");
        let mut wide = AnonipRewrite::new(8, 1, Some(0), false).unwrap();
        assert_eq!(rw(&mut wide, "::ffff:1.2.3.4"), "::ffff:1.2.3.0");
        assert_eq!(rw(&mut wide, "64:ff9b::1.2.3.4"), "64:ff9b::102:300");
        assert_eq!(rw(&mut r, "2001:db8::1:2"), "2001:db8::1:0");
    }

    #[test]
    fn private_is_python_3_11s_list() {
        let v4 = |s: &str| Addr::V4(s.parse::<std::net::Ipv4Addr>().unwrap().into());
        let v6 = |s: &str| Addr::V6(s.parse::<std::net::Ipv6Addr>().unwrap().into());
        for p in [
            "10.1.2.3",
            "192.168.1.1",
            "172.31.255.255",
            "127.0.0.1",
            "0.1.2.3",
        ] {
            assert!(is_private(v4(p)), "{p}");
        }
        for p in [
            "192.0.0.7",
            "192.0.0.171",
            "198.19.0.1",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(is_private(v4(p)), "{p}");
        }
        for p in [
            "8.8.8.8",
            "172.32.0.1",
            "192.0.0.8",
            "100.64.0.1",
            "198.20.0.1",
        ] {
            assert!(!is_private(v4(p)), "{p}");
        }
        for p in [
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "2001:db8::1",
            "2001:1ff::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_private(v6(p)), "{p}");
        }
        for p in [
            "2a00:1450::1",
            "2001:200::1",
            "::ffff:8.8.8.8",
            "::2",
            // Private for one Python 3.11 and not the other: masked.
            "2002::1",
            "64:ff9b:1::1",
            "2001:1::1",
            "2001:3::1",
            "2001:4:112::1",
            "2001:20::1",
            "2001:3f::1",
        ] {
            assert!(!is_private(v6(p)), "{p}");
        }
        let mut r = AnonipRewrite::new(12, 84, Some(1), true).unwrap();
        assert_eq!(rw(&mut r, "192.168.100.200"), "192.168.100.200");
        assert_eq!(rw(&mut r, "1.2.3.4"), "1.2.0.1");
    }
}
