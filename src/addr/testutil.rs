//! Helpers shared by the tests of the `addr` modules: std as the reference
//! for parsing and writing, rewrites that truncation cannot express, and
//! generators of every spelling of an address.

use super::{Addr, AddrRewrite, MAPPED_PREFIX, NAT64_PREFIX, SIX_TO_FOUR, Truncate, write_addr};
use proptest::prelude::*;
use std::net::{Ipv4Addr, Ipv6Addr};

pub(super) fn t(v4: u8, v6: u8) -> Truncate {
    Truncate::new(v4, v6).unwrap()
}

pub(super) fn v4(s: &str) -> u32 {
    u32::from(s.parse::<Ipv4Addr>().unwrap())
}

pub(super) fn v6(s: &str) -> u128 {
    u128::from(s.parse::<Ipv6Addr>().unwrap())
}

pub(super) fn addr_text(a: Addr) -> String {
    let mut out = Vec::new();
    write_addr(a, &mut out);
    String::from_utf8(out).unwrap()
}

/// Leaves every address unchanged but claims nothing, so all the
/// detection logic runs.
pub(super) struct Identity;
impl AddrRewrite for Identity {
    fn rewrite(&mut self, addr: Addr) -> Addr {
        addr
    }
}

/// Keeps IPv6 but not IPv4, a combination Truncate cannot express.
pub(super) struct KeepV6Only(pub(super) Truncate);
impl AddrRewrite for KeepV6Only {
    fn rewrite(&mut self, addr: Addr) -> Addr {
        match addr {
            Addr::V6(_) => addr,
            Addr::V4(_) => self.0.rewrite(addr),
        }
    }
    fn keeps_v6(&self) -> bool {
        true
    }
}

/// Changes the family, as ipcrypt-det (IPv4 -> IPv6) and revealing a
/// det pseudonym (IPv6 -> IPv4) do.
pub(super) struct Flip;
impl AddrRewrite for Flip {
    fn rewrite(&mut self, addr: Addr) -> Addr {
        match addr {
            Addr::V4(x) => Addr::V6((0x2001_0db8u128 << 96) | u128::from(x)),
            Addr::V6(x) => Addr::V4(x as u32),
        }
    }
}

/// Zero-pads or not, changes case or not: every spelling parse_v6 accepts.
pub(super) fn spell_v6(a: u128, style: u8, compress_at: usize, upper_mask: u8) -> String {
    let groups: Vec<u16> = (0..8).map(|k| (a >> (112 - 16 * k)) as u16).collect();
    let mut s = match style % 5 {
        0 => Ipv6Addr::from(a).to_string(),
        1 => groups
            .iter()
            .map(|g| format!("{g:04x}"))
            .collect::<Vec<_>>()
            .join(":"),
        2 => groups
            .iter()
            .map(|g| format!("{g:x}"))
            .collect::<Vec<_>>()
            .join(":"),
        3 => {
            // Compress the zero run that contains `compress_at`, whether
            // or not it is the longest one.
            let k = compress_at % 8;
            if groups[k] != 0 {
                Ipv6Addr::from(a).to_string()
            } else {
                let mut lo = k;
                while lo > 0 && groups[lo - 1] == 0 {
                    lo -= 1;
                }
                let mut hi = k + 1;
                while hi < 8 && groups[hi] == 0 {
                    hi += 1;
                }
                let h = |g: &[u16]| {
                    g.iter()
                        .map(|g| format!("{g:x}"))
                        .collect::<Vec<_>>()
                        .join(":")
                };
                format!("{}::{}", h(&groups[..lo]), h(&groups[hi..]))
            }
        }
        _ => {
            // Mixed notation with the low 32 bits as a dotted quad.
            let head = groups[..6]
                .iter()
                .map(|g| format!("{g:x}"))
                .collect::<Vec<_>>()
                .join(":");
            format!("{head}:{}", Ipv4Addr::from(a as u32))
        }
    };
    if upper_mask & 1 == 1 {
        s = s.to_uppercase();
    } else if upper_mask & 2 == 2 {
        s = s
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect();
    }
    s
}

pub(super) fn spell_v4(a: u32, pad: u8) -> String {
    let o = a.to_be_bytes();
    let w = |k: usize, x: u8| {
        if pad & (1 << k) != 0 {
            format!("{x:03}")
        } else {
            x.to_string()
        }
    };
    format!(
        "{}.{}.{}.{}",
        w(0, o[0]),
        w(1, o[1]),
        w(2, o[2]),
        w(3, o[3])
    )
}

pub(super) fn any_v4() -> impl Strategy<Value = u32> {
    prop_oneof![
        (0u32..256).prop_map(|x| 0xc000_0200 | x),
        (0u32..256).prop_map(|x| 0xc633_6400 | x),
        (0u32..256).prop_map(|x| 0xcb00_7100 | x),
        any::<u32>(),
    ]
}

pub(super) fn any_v6() -> impl Strategy<Value = u128> {
    prop_oneof![
        any::<u128>().prop_map(|x| (0x2001_0db8u128 << 96) | (x >> 32)),
        // Sparse: many zero groups, so compression matters.
        (any::<u128>(), any::<u8>()).prop_map(|(x, z)| {
            let mut a = (0x2001_0db8u128 << 96) | (x >> 32);
            for k in 0..6 {
                if z & (1 << k) != 0 {
                    a &= !(0xffffu128 << (16 * k));
                }
            }
            a
        }),
        any::<u32>().prop_map(|x| MAPPED_PREFIX | u128::from(x)),
        any::<u32>().prop_map(|x| NAT64_PREFIX | u128::from(x)),
        any::<u128>().prop_map(|x| (SIX_TO_FOUR << 112) | (x >> 16)),
        any::<u128>(),
        (any::<u16>(), 0usize..8).prop_map(|(g, k)| u128::from(g) << (16 * k)),
    ]
}

pub(super) fn v6_text() -> impl Strategy<Value = String> {
    (any_v6(), any::<u8>(), any::<usize>(), any::<u8>())
        .prop_map(|(a, st, c, u)| spell_v6(a, st, c, u))
}

/// Strings built from pieces that are often almost valid IPv6.
pub(super) fn near_v6() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[0-9a-fA-F]{1,5}",
        Just(":".to_string()),
        Just("::".to_string()),
        Just(".".to_string()),
        "(25[0-6]|2[0-4][0-9]|1?[0-9]?[0-9]|0[0-9])",
        "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
    ];
    prop::collection::vec(piece, 0..14).prop_map(|v| v.concat())
}

/// A valid spelling with one to three single-character edits (insert,
/// delete or replace), so most results sit right at the edge of validity.
pub(super) fn mutated_v6() -> impl Strategy<Value = String> {
    let edit = (
        0u8..3,
        any::<prop::sample::Index>(),
        prop::sample::select(b"0159afAF:.:".to_vec()),
    );
    (v6_text(), prop::collection::vec(edit, 1..4)).prop_map(|(s, edits)| {
        let mut b = s.into_bytes();
        for (op, at, c) in edits {
            match op {
                0 => {
                    let i = at.index(b.len() + 1);
                    b.insert(i, c);
                }
                1 if !b.is_empty() => {
                    let i = at.index(b.len());
                    b.remove(i);
                }
                _ if !b.is_empty() => {
                    let i = at.index(b.len());
                    b[i] = c;
                }
                _ => {}
            }
        }
        String::from_utf8(b).unwrap()
    })
}

pub(super) struct DynRewrite<'a>(pub(super) &'a mut dyn AddrRewrite);
impl AddrRewrite for DynRewrite<'_> {
    fn rewrite(&mut self, addr: Addr) -> Addr {
        self.0.rewrite(addr)
    }
}
