//! `--preset`: the truncation of a known tool or guideline, what
//! `--preset NAME --explain` says of it, and how explicit prefixes win
//! over it.

use clap::ValueEnum;

/// `--preset` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PresetArg {
    /// IPv4 /24, IPv6 /48: anonlog's own default.
    Default,
    /// IPv4 /24, IPv6 /48: Google Analytics' anonymizeIp.
    Ga,
    /// IPv4 /16, IPv6 /32: two bytes of IPv4 masked (CNIL).
    Strict,
    /// IPv4 /24, IPv6 /64: GoAccess --anonymize-level=1.
    #[value(name = "goaccess-1")]
    Goaccess1,
    /// IPv4 /16, IPv6 /48: GoAccess --anonymize-level=2.
    #[value(name = "goaccess-2")]
    Goaccess2,
    /// IPv4 /8, IPv6 /32: GoAccess --anonymize-level=3.
    #[value(name = "goaccess-3")]
    Goaccess3,
    /// IPv4 /24, IPv6 /64: Matomo, 1 byte anonymized.
    #[value(name = "matomo-1")]
    Matomo1,
    /// IPv4 /16, IPv6 /48: Matomo, 2 bytes anonymized (its default).
    #[value(name = "matomo-2")]
    Matomo2,
    /// IPv4 /8, IPv6 /24: Matomo, 3 bytes anonymized.
    #[value(name = "matomo-3")]
    Matomo3,
}

/// What a preset keeps, and what it follows.
struct Preset {
    name: &'static str,
    v4: u8,
    v6: u8,
    follows: &'static str,
    source: &'static str,
}

impl PresetArg {
    fn preset(self) -> Preset {
        let p = |name, v4, v6, follows, source| Preset {
            name,
            v4,
            v6,
            follows,
            source,
        };
        const GOACCESS: &str = "GoAccess's own anonymization: goaccess(1), --anonymize-ip with --anonymize-level=1|2|3 (src/gholder.c masks 255.255.255.0 / ffff:ffff:ffff:ffff:: at level 1, 255.255.0.0 / ffff:ffff:ffff:: at 2, 255.0.0.0 / ffff:ffff:: at 3)";
        const MATOMO: &str = "Matomo, Administration > Privacy > Anonymize data, \"Anonymize Visitors' IP addresses\" by 1, 2 or 3 bytes (the ipAddressMaskLength setting; IPv6 masks of matomo-org/component-network IPv6::anonymize)";
        match self {
            PresetArg::Default => p(
                "default",
                24,
                48,
                "anonlog's defaults: the last octet of IPv4 and the last 80 bits of IPv6 zeroed, as Google Analytics' anonymizeIp does",
                "Google Analytics help, \"IP masking in Universal Analytics\" (support.google.com/analytics/answer/2763052)",
            ),
            PresetArg::Ga => p(
                "ga",
                24,
                48,
                "Google Analytics' anonymizeIp (aip=1): \"sets the last octet of IPv4 user IP addresses and the last 80 bits of IPv6 addresses to zeros\"",
                "Google Analytics help, \"IP masking in Universal Analytics\" (support.google.com/analytics/answer/2763052)",
            ),
            PresetArg::Strict => p(
                "strict",
                16,
                32,
                "two bytes of IPv4 masked, the CNIL's condition for audience measurement exempt from consent (as its Matomo configuration guide applies it: \"Anonymize Visitors' IP addresses\" at 2 bytes at least); IPv6 kept to /32, the registry allocation of a provider (rsyslog mmanon's default of 96 bits masked)",
                "CNIL, \"Cookies et traceurs : solutions pour les outils de mesure d'audience\" and its Matomo configuration guide; rsyslog mmanon documentation",
            ),
            PresetArg::Goaccess1 => p(
                "goaccess-1",
                24,
                64,
                "GoAccess --anonymize-level=1: the last 8 bits of IPv4 and the last 64 bits of IPv6 hidden",
                GOACCESS,
            ),
            PresetArg::Goaccess2 => p(
                "goaccess-2",
                16,
                48,
                "GoAccess --anonymize-level=2: the last 16 bits of IPv4 and the last 80 bits of IPv6 hidden",
                GOACCESS,
            ),
            PresetArg::Goaccess3 => p(
                "goaccess-3",
                8,
                32,
                "GoAccess --anonymize-level=3: the last 24 bits of IPv4 and the last 96 bits of IPv6 hidden",
                GOACCESS,
            ),
            PresetArg::Matomo1 => p(
                "matomo-1",
                24,
                64,
                "Matomo, IP addresses anonymized by 1 byte: IPv4 a.b.c.0, IPv6 kept to /64",
                MATOMO,
            ),
            PresetArg::Matomo2 => p(
                "matomo-2",
                16,
                48,
                "Matomo, IP addresses anonymized by 2 bytes (Matomo's default): IPv4 a.b.0.0, IPv6 kept to /48",
                MATOMO,
            ),
            PresetArg::Matomo3 => p(
                "matomo-3",
                8,
                24,
                "Matomo, IP addresses anonymized by 3 bytes: IPv4 a.0.0.0, IPv6 kept to /24",
                MATOMO,
            ),
        }
    }

    /// The IPv4 and IPv6 prefix lengths the preset keeps.
    pub fn prefixes(self) -> (u8, u8) {
        let p = self.preset();
        (p.v4, p.v6)
    }
}

/// The prefixes of a run: each explicit option wins over the preset, which
/// wins over the defaults (/24 and /48).
pub fn prefixes(preset: Option<PresetArg>, v4: Option<u8>, v6: Option<u8>) -> (u8, u8) {
    let (p4, p6) = preset.unwrap_or(PresetArg::Default).prefixes();
    (v4.unwrap_or(p4), v6.unwrap_or(p6))
}

/// What `--preset NAME --explain` prints: the prefixes kept, an example,
/// what the preset follows and where that is written, and how the prefixes
/// apply (they also truncate the undated lines of keyed runs).
pub fn explain(preset: PresetArg) -> String {
    let p = preset.preset();
    let t = crate::addr::Truncate::new(p.v4, p.v6).expect("preset prefixes are in range");
    let show = |s: &str| {
        let mut out = Vec::new();
        crate::addr::scrub_text(&mut t.clone(), s.as_bytes(), &mut out);
        String::from_utf8(out).expect("addresses are ASCII")
    };
    format!(
        "preset {name}: keeps IPv4 /{v4} and IPv6 /{v6} (the last {h4} and {h6} bits zeroed)\n\
         example: 198.51.100.77 -> {e4}, 2001:db8:abcd:1234:5678::1 -> {e6}\n\
         follows: {follows}\n\
         source: {source}\n\
         equivalent to: --ipv4-prefix {v4} --ipv6-prefix {v6} (either option, given too, overrides the preset)\n",
        name = p.name,
        v4 = p.v4,
        v6 = p.v6,
        h4 = 32 - p.v4,
        h6 = 128 - u16::from(p.v6),
        e4 = show("198.51.100.77"),
        e6 = show("2001:db8:abcd:1234:5678::1"),
        follows = p.follows,
        source = p.source,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_keep_what_their_sources_say() {
        use PresetArg::*;
        let table = [
            (Default, 24, 48),
            (Ga, 24, 48),
            (Strict, 16, 32),
            (Goaccess1, 24, 64),
            (Goaccess2, 16, 48),
            (Goaccess3, 8, 32),
            (Matomo1, 24, 64),
            (Matomo2, 16, 48),
            (Matomo3, 8, 24),
        ];
        for (p, v4, v6) in table {
            assert_eq!(p.prefixes(), (v4, v6), "{p:?}");
            assert_eq!(
                p.to_possible_value().unwrap().get_name(),
                p.preset().name,
                "{p:?}"
            );
        }
        assert_eq!(table.len(), PresetArg::value_variants().len());
    }

    proptest::proptest! {
        /// Every preset masks every address to its prefixes, and an
        /// explicit prefix replaces the preset's for its family only.
        #[test]
        fn presets_mask_to_their_prefixes(
            i in 0..PresetArg::value_variants().len(),
            a in proptest::prelude::any::<u32>(),
            b in proptest::prelude::any::<u128>(),
            v4 in proptest::option::of(0u8..=32),
        ) {
            use crate::addr::{Addr, AddrRewrite, Truncate};
            let preset = PresetArg::value_variants()[i];
            let (p4, p6) = preset.prefixes();
            let (k4, k6) = prefixes(Some(preset), v4, None);
            proptest::prop_assert_eq!((k4, k6), (v4.unwrap_or(p4), p6));
            let mut t = Truncate::new(k4, k6).unwrap();
            let mask4 = u32::MAX.checked_shl(32 - u32::from(k4)).unwrap_or(0);
            proptest::prop_assert_eq!(t.rewrite(Addr::V4(a)), Addr::V4(a & mask4));
            let plain = b & !(0xffff_u128 << 112) | (0x2001_u128 << 112);
            let mask6 = u128::MAX.checked_shl(128 - u32::from(k6)).unwrap_or(0);
            proptest::prop_assert_eq!(t.rewrite(Addr::V6(plain)), Addr::V6(plain & mask6));
        }
    }

    #[test]
    fn explicit_prefixes_override_a_preset() {
        assert_eq!(prefixes(None, None, None), (24, 48));
        assert_eq!(prefixes(Some(PresetArg::Strict), None, None), (16, 32));
        assert_eq!(prefixes(Some(PresetArg::Strict), Some(20), None), (20, 32));
        assert_eq!(prefixes(Some(PresetArg::Matomo3), None, Some(56)), (8, 56));
        assert_eq!(prefixes(None, Some(32), Some(128)), (32, 128));
    }

    #[test]
    fn explain_names_prefixes_example_and_source() {
        let e = explain(PresetArg::Goaccess2);
        assert!(
            e.starts_with("preset goaccess-2: keeps IPv4 /16 and IPv6 /48"),
            "{e}"
        );
        assert!(e.contains("198.51.100.77 -> 198.51.0.0"), "{e}");
        assert!(
            e.contains("2001:db8:abcd:1234:5678::1 -> 2001:db8:abcd::"),
            "{e}"
        );
        assert!(e.contains("--anonymize-level"), "{e}");
        let e = explain(PresetArg::Matomo3);
        assert!(
            e.contains("2001:db8:abcd:1234:5678::1 -> 2001:d00::"),
            "{e}"
        );
        assert!(explain(PresetArg::Strict).contains("CNIL"));
        assert!(explain(PresetArg::Ga).contains("anonymizeIp"));
    }
}
