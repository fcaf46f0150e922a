//! Prefix truncation, the default [`AddrRewrite`].

use super::{Addr, AddrRewrite, LOW32, MAPPED_PREFIX, NAT64_PREFIX, SIX_TO_FOUR};

/// Error for a prefix length outside its family's range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{family} prefix length {len} is out of range (0..={max})")]
pub struct PrefixError {
    /// "IPv4" or "IPv6".
    pub family: &'static str,
    /// The rejected length.
    pub len: u8,
    /// The largest accepted length.
    pub max: u8,
}

/// Prefix truncation: keeps the first `v4_prefix` bits of IPv4 addresses and
/// the first `v6_prefix` bits of IPv6 addresses, and zeroes the rest.
///
/// IPv4 addresses embedded in IPv6 addresses are truncated by the IPv4 rule,
/// so an embedding never reveals more of an IPv4 address than the plain
/// address would:
/// * IPv4-mapped `::ffff:0:0/96` and NAT64 `64:ff9b::/96`: the top 96 bits are
///   kept and the low 32 bits are masked to `v4_prefix` bits.
/// * 6to4 `2002::/16`: the address is masked to `v6_prefix` bits and, in
///   addition, the embedded IPv4 address (bits 16..48) is masked to
///   `v4_prefix` bits.
///
/// Masks are computed once, in [`Truncate::new`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Truncate {
    v4_prefix: u8,
    v6_prefix: u8,
    mask4: u32,
    mask6: u128,
    /// `mask6` with the host bits of the 6to4-embedded IPv4 address cleared.
    mask_6to4: u128,
}

impl Truncate {
    /// Builds a truncation rule. Accepts `v4_prefix` in `0..=32` and
    /// `v6_prefix` in `0..=128`; any other length is a [`PrefixError`] naming
    /// the family. A prefix of 0 maps every address of that family to the
    /// all-zero address; a full-length prefix keeps addresses unchanged
    /// (except for IPv4 embedded in IPv6, which follows `v4_prefix`).
    pub fn new(v4_prefix: u8, v6_prefix: u8) -> Result<Self, PrefixError> {
        if v4_prefix > 32 {
            return Err(PrefixError {
                family: "IPv4",
                len: v4_prefix,
                max: 32,
            });
        }
        if v6_prefix > 128 {
            return Err(PrefixError {
                family: "IPv6",
                len: v6_prefix,
                max: 128,
            });
        }
        // checked_shl: a shift by the full width (prefix 0) is None, which is
        // exactly the all-zero mask; `!0 << 32` would overflow instead.
        let mask4 = u32::MAX.checked_shl(32 - u32::from(v4_prefix)).unwrap_or(0);
        let mask6 = u128::MAX
            .checked_shl(128 - u32::from(v6_prefix))
            .unwrap_or(0);
        let mask_6to4 = mask6 & !(u128::from(!mask4) << 80);
        Ok(Truncate {
            v4_prefix,
            v6_prefix,
            mask4,
            mask6,
            mask_6to4,
        })
    }
}

impl Truncate {
    /// The IPv4 and IPv6 prefix lengths kept, as given to [`Truncate::new`].
    pub fn prefixes(&self) -> (u8, u8) {
        (self.v4_prefix, self.v6_prefix)
    }
}

impl AddrRewrite for Truncate {
    /// Masks `addr` as described on [`Truncate`]; the family never changes.
    #[inline]
    fn rewrite(&mut self, addr: Addr) -> Addr {
        match addr {
            Addr::V4(a) => Addr::V4(a & self.mask4),
            Addr::V6(a) => {
                let top96 = a & !LOW32;
                if top96 == MAPPED_PREFIX || top96 == NAT64_PREFIX {
                    Addr::V6(top96 | u128::from(a as u32 & self.mask4))
                } else if a >> 112 == SIX_TO_FOUR {
                    Addr::V6(a & self.mask_6to4)
                } else {
                    Addr::V6(a & self.mask6)
                }
            }
        }
    }

    /// True iff `v4_prefix` is 32.
    fn keeps_v4(&self) -> bool {
        self.v4_prefix == 32
    }

    /// True iff `v6_prefix` is 128 and `v4_prefix` is 32: with a shorter IPv4
    /// prefix, IPv6 addresses that embed IPv4 addresses are still changed.
    fn keeps_v6(&self) -> bool {
        self.v6_prefix == 128 && self.v4_prefix == 32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::testutil::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn truncate_rejects_out_of_range_prefixes() {
        /// Expected error: family, rejected length, maximum.
        type Rejection = Option<(&'static str, u8, u8)>;
        let cases: &[(u8, u8, Rejection)] = &[
            (0, 0, None),
            (32, 128, None),
            (33, 48, Some(("IPv4", 33, 32))),
            (255, 48, Some(("IPv4", 255, 32))),
            (24, 129, Some(("IPv6", 129, 128))),
            (24, 255, Some(("IPv6", 255, 128))),
            (40, 200, Some(("IPv4", 40, 32))),
        ];
        for &(p4, p6, want) in cases {
            let got = Truncate::new(p4, p6);
            match want {
                None => {
                    let mut tr = got.unwrap();
                    // The prefix given is the prefix kept.
                    let v4 = match tr.rewrite(Addr::V4(u32::MAX)) {
                        Addr::V4(a) => a.count_ones(),
                        Addr::V6(_) => unreachable!(),
                    };
                    let v6 = match tr.rewrite(Addr::V6(u128::MAX)) {
                        Addr::V6(a) => a.count_ones(),
                        Addr::V4(_) => unreachable!(),
                    };
                    assert_eq!((v4, v6), (u32::from(p4), u32::from(p6)));
                }
                Some((family, len, max)) => {
                    let e = got.unwrap_err();
                    assert_eq!(e, PrefixError { family, len, max });
                    assert_eq!(
                        e.to_string(),
                        format!("{family} prefix length {len} is out of range (0..={max})")
                    );
                }
            }
        }
    }

    #[test]
    fn truncate_v4_boundaries() {
        let a = v4("203.0.113.255");
        let cases: &[(u8, &str)] = &[
            (0, "0.0.0.0"),
            (1, "128.0.0.0"),
            (8, "203.0.0.0"),
            (16, "203.0.0.0"),
            (23, "203.0.112.0"),
            (24, "203.0.113.0"),
            (25, "203.0.113.128"),
            (31, "203.0.113.254"),
            (32, "203.0.113.255"),
        ];
        for &(p, want) in cases {
            let mut tr = t(p, 128);
            assert_eq!(tr.rewrite(Addr::V4(a)), Addr::V4(v4(want)), "/{p}");
            let net = ipnet::Ipv4Net::new(Ipv4Addr::UNSPECIFIED, p).unwrap();
            assert_eq!(tr.mask4, u32::from(net.netmask()), "/{p}");
        }
    }

    #[test]
    fn truncate_v6_boundaries() {
        let a = v6("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
        let cases: &[(u8, &str)] = &[
            (0, "::"),
            (1, "::"),
            (47, "2001:db8:fffe::"),
            (48, "2001:db8:ffff::"),
            (63, "2001:db8:ffff:fffe::"),
            (64, "2001:db8:ffff:ffff::"),
            (127, "2001:db8:ffff:ffff:ffff:ffff:ffff:fffe"),
            (128, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"),
        ];
        for &(p, want) in cases {
            let mut tr = t(32, p);
            assert_eq!(tr.rewrite(Addr::V6(a)), Addr::V6(v6(want)), "/{p}");
            let net = ipnet::Ipv6Net::new(Ipv6Addr::UNSPECIFIED, p).unwrap();
            assert_eq!(tr.mask6, u128::from(net.netmask()), "/{p}");
        }
        // Prefix 1 keeps the first bit of an address that has it set.
        assert_eq!(
            t(32, 1).rewrite(Addr::V6(v6("fe80::1"))),
            Addr::V6(v6("8000::"))
        );
    }

    #[test]
    fn truncate_embedded_v4() {
        let cases: &[(u8, u8, &str, &str)] = &[
            // IPv4-mapped: IPv4 rule on the low 32 bits, not the v6 rule.
            (24, 48, "::ffff:198.51.100.77", "::ffff:198.51.100.0"),
            (16, 48, "::ffff:198.51.100.77", "::ffff:198.51.0.0"),
            (0, 48, "::ffff:198.51.100.77", "::ffff:0.0.0.0"),
            (32, 0, "::ffff:198.51.100.77", "::ffff:198.51.100.77"),
            (24, 128, "::ffff:198.51.100.77", "::ffff:198.51.100.0"),
            // NAT64 well-known prefix.
            (24, 48, "64:ff9b::192.0.2.33", "64:ff9b::192.0.2.0"),
            (8, 0, "64:ff9b::192.0.2.33", "64:ff9b::192.0.0.0"),
            (32, 48, "64:ff9b::192.0.2.33", "64:ff9b::192.0.2.33"),
            // Only the exact /96 counts: 64:ff9b:1::/48 is a plain address.
            (24, 48, "64:ff9b:1::c000:221", "64:ff9b:1::"),
            // 6to4: v6 mask and the embedded v4 masked by the v4 rule.
            (24, 48, "2002:c633:644d:1::5", "2002:c633:6400::"),
            (24, 128, "2002:c633:644d:1::5", "2002:c633:6400:1::5"),
            (32, 128, "2002:c633:644d:1::5", "2002:c633:644d:1::5"),
            (0, 128, "2002:c633:644d:1::5", "2002:0:0:1::5"),
            (16, 64, "2002:c633:644d:1::5", "2002:c633:0:1::"),
            (32, 32, "2002:c633:644d:1::5", "2002:c633::"),
            (24, 8, "2002:c633:644d:1::5", "2000::"),
            // Not embedded: plain v6 rule.
            (24, 48, "2001:db8:1:2::ffff:c633:644d", "2001:db8:1::"),
            (24, 48, "::c633:644d", "::"),
        ];
        for &(p4, p6, input, want) in cases {
            let got = t(p4, p6).rewrite(Addr::V6(v6(input)));
            assert_eq!(got, Addr::V6(v6(want)), "({p4},{p6}) {input}");
        }
    }

    #[test]
    fn truncate_keeps_flags() {
        let cases: &[(u8, u8, bool, bool)] = &[
            (32, 128, true, true),
            (32, 127, true, false),
            (31, 128, false, false),
            (24, 48, false, false),
            (32, 48, true, false),
            (0, 0, false, false),
        ];
        for &(p4, p6, k4, k6) in cases {
            let tr = t(p4, p6);
            assert_eq!((tr.keeps_v4(), tr.keeps_v6()), (k4, k6), "({p4},{p6})");
        }
    }
}
