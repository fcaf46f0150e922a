//! The finer privacy options (`--preset`, `--keep-net`, `--keep-query-param`,
//! `--path-rules`, `--time-resolution`, `--user-agent`): their clap
//! definitions, flattened into [`super::cli::Cli`], what `--explain` says of
//! a preset, and their resolution into typed settings.

use std::net::IpAddr;
use std::sync::Arc;

use clap::{Args, ValueEnum};
use ipnet::IpNet;

use crate::addr::NetSet;
use crate::anonymize::path::PathRules;
use crate::anonymize::query::QueryParams;
use crate::anonymize::time::TimeResolution;
use crate::anonymize::uagen::{UaClassifier, UaPolicy};

/// The privacy options of the main command.
#[derive(Debug, Args)]
pub struct PrivacyArgs {
    /// Truncate addresses as a known tool or guideline does: `default`
    /// (/24, /48), `ga`, `strict`, `goaccess-1`..`-3`, `matomo-1`..`-3`.
    /// --ipv4-prefix and --ipv6-prefix override it. `--preset NAME
    /// --explain` says what a preset keeps and whom it follows.
    #[arg(long, value_enum, value_name = "NAME")]
    pub preset: Option<PresetArg>,

    /// With --preset: print what the preset does and the source it follows,
    /// and exit.
    #[arg(long, requires = "preset")]
    pub explain: bool,

    /// Write the addresses inside these networks unchanged, wherever they
    /// appear (client, X-Forwarded-For, text), in every mode, keyed ones
    /// too: your own monitoring or proxies. A bare address is one host.
    /// --stats counts them (addresses kept). Repeatable.
    #[arg(long, value_name = "CIDR[,CIDR...]", value_delimiter = ',')]
    pub keep_net: Vec<String>,

    /// Round time fields down to this resolution, keeping their form and
    /// zone (`[10/Oct/2000:13:55:36 -0700]` at `hour` is
    /// `[10/Oct/2000:13:00:00 -0700]`), so analyzers count the same hits
    /// per hour (or day). Also ISO 8601 and epoch times under the JSON
    /// time keys (time, timestamp, @timestamp, date, ts, ...).
    #[arg(long, value_enum, value_name = "UNIT", default_value_t = TimeResolutionArg::Second)]
    pub time_resolution: TimeResolutionArg,

    /// Keep only these query parameters (names, or globs with `*`:
    /// `utm_*,page,lang`), in their original order, in requests, targets,
    /// query fields and kept referrers; kept values are still scrubbed of
    /// addresses and e-mail addresses. --keep-query keeps them all.
    #[arg(
        long,
        value_name = "NAME[,NAME...]",
        value_delimiter = ',',
        conflicts_with = "keep_query"
    )]
    pub keep_query_param: Vec<String>,

    /// What is removed from URL paths (request targets, kept referrers,
    /// unparsed lines), each match replaced by a placeholder valid in a
    /// path (`email-redacted`, `jwt-redacted`, ...): `email` (plain or
    /// %40-encoded), `jwt`, `uuid`, `hex` (words of 16+ hex digits),
    /// `digits` (words of 6+ digits), or `none`. Dots never split a word,
    /// so asset fingerprints (app.3f2a9c.js) stay.
    #[arg(
        long,
        value_enum,
        value_name = "CLASS[,CLASS...]",
        value_delimiter = ',',
        default_value = "email,jwt"
    )]
    pub path_rules: Vec<PathRuleArg>,

    /// What to do with User-Agent fields: `keep` them (scrubbed of
    /// e-mails, credentials, queries and addresses), `generalize` them to
    /// browser family and major version and OS family as the ua-parser
    /// project (uap-core) classifies them, written as a short user agent
    /// that GoAccess and Matomo classify alike (`Mozilla/5.0 (Windows NT
    /// 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0
    /// Safari/537.36`), or `remove` them (`-`).
    #[arg(long, value_enum, value_name = "POLICY", default_value_t = UserAgentArg::Keep)]
    pub user_agent: UserAgentArg,
}

/// `--user-agent` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum UserAgentArg {
    /// Kept (scrubbed of what any text loses).
    Keep,
    /// Browser family and major version, OS family.
    Generalize,
    /// Replaced by `-`.
    Remove,
}

/// The user-agent policy; builds the classifier for `generalize`.
///
/// # Errors
/// Only if the shipped uap-core data did not compile.
pub fn user_agent(arg: UserAgentArg) -> anyhow::Result<UaPolicy> {
    Ok(match arg {
        UserAgentArg::Keep => UaPolicy::Keep,
        UserAgentArg::Remove => UaPolicy::Remove,
        UserAgentArg::Generalize => UaPolicy::Generalize(Arc::new(
            UaClassifier::new().map_err(|e| anyhow::anyhow!("--user-agent generalize: {e}"))?,
        )),
    })
}

/// `--path-rules` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PathRuleArg {
    /// E-mail addresses, plain or with `%40`.
    Email,
    /// JSON Web Tokens (`eyJ...`, three base64url parts).
    Jwt,
    /// UUIDs (8-4-4-4-12 hex digits).
    Uuid,
    /// Words of 16 or more hex digits.
    Hex,
    /// Words of 6 or more digits.
    Digits,
    /// Nothing: paths as they are (addresses are still rewritten).
    None,
}

/// The path rules of `--path-rules`.
///
/// # Errors
/// `none` together with a class.
pub fn path_rules(args: &[PathRuleArg]) -> anyhow::Result<PathRules> {
    if args.contains(&PathRuleArg::None) {
        anyhow::ensure!(
            args.iter().all(|a| *a == PathRuleArg::None),
            "--path-rules none keeps paths as they are; it cannot be combined with a class"
        );
        return Ok(PathRules::NONE);
    }
    Ok(args.iter().fold(PathRules::NONE, |rules, a| {
        rules.with(match a {
            PathRuleArg::Email => PathRules::EMAIL,
            PathRuleArg::Jwt => PathRules::JWT,
            PathRuleArg::Uuid => PathRules::UUID,
            PathRuleArg::Hex => PathRules::HEX,
            PathRuleArg::Digits => PathRules::DIGITS,
            PathRuleArg::None => PathRules::NONE,
        })
    }))
}

/// The `--keep-query-param` names, or `None` without the option.
///
/// # Errors
/// An empty name, or one holding `&`, `=`, `?` or `#`, which no parameter
/// name can hold.
pub fn keep_params(args: &[String]) -> anyhow::Result<Option<Arc<QueryParams>>> {
    if args.is_empty() {
        return Ok(None);
    }
    let mut names = Vec::new();
    for a in args {
        let n = a.trim();
        anyhow::ensure!(
            !n.is_empty() && !n.contains(['&', '=', '?', '#']),
            "--keep-query-param {a:?}: expected parameter names or globs such as utm_*,page,lang"
        );
        names.push(n.as_bytes().to_vec());
    }
    Ok(Some(Arc::new(QueryParams::new(names))))
}

/// `--time-resolution` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TimeResolutionArg {
    /// As written.
    Second,
    /// Seconds zeroed.
    Minute,
    /// Minutes and seconds zeroed.
    Hour,
    /// Midnight of the date written.
    Day,
}

impl TimeResolutionArg {
    /// The resolution of the rules.
    pub fn resolution(self) -> TimeResolution {
        match self {
            TimeResolutionArg::Second => TimeResolution::Second,
            TimeResolutionArg::Minute => TimeResolution::Minute,
            TimeResolutionArg::Hour => TimeResolution::Hour,
            TimeResolutionArg::Day => TimeResolution::Day,
        }
    }
}

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

/// The `--keep-net` networks, or `None` when none was given.
///
/// # Errors
/// An entry that is neither an address nor a network, or a network
/// written with host bits (`10.1.2.3/8`, likely a typo for a host or for
/// `10.0.0.0/8`: which one was meant cannot be told).
pub fn keep_nets(args: &[String]) -> anyhow::Result<Option<Arc<NetSet>>> {
    let mut nets = Vec::new();
    for arg in args {
        let s = arg.trim();
        let net = match (s.parse::<IpNet>(), s.parse::<IpAddr>()) {
            (Ok(net), _) => net,
            (_, Ok(a)) => IpNet::from(a),
            _ => anyhow::bail!(
                "--keep-net {arg:?}: expected an address or a network such as 10.0.0.0/8 or 2001:db8::/32"
            ),
        };
        anyhow::ensure!(
            net == net.trunc(),
            "--keep-net {arg:?}: the address has bits set past the prefix; the network is {}",
            net.trunc()
        );
        nets.push(net);
    }
    Ok((!nets.is_empty()).then(|| Arc::new(NetSet::new(&nets))))
}

/// The `--report` policy keys of these options: `keep_net` (the networks),
/// `query_params` (the names and globs, or null), `path_rules`,
/// `time_resolution` and `user_agent`, named as on the command line.
pub fn record_policy(config: &crate::Config, p: &mut crate::app::json::JsonObject) {
    let rules = &config.rules;
    let nets: Vec<String> = config.rewrite.keep.as_deref().map_or(Vec::new(), |k| {
        k.nets().iter().map(ToString::to_string).collect()
    });
    p.strs("keep_net", nets.iter().map(String::as_str));
    match &rules.keep_params {
        Some(q) => {
            let names: Vec<String> = q
                .patterns()
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .collect();
            p.strs("query_params", names.iter().map(String::as_str))
        }
        None => p.null("query_params"),
    };
    let classes = [
        (PathRules::EMAIL, "email"),
        (PathRules::JWT, "jwt"),
        (PathRules::UUID, "uuid"),
        (PathRules::HEX, "hex"),
        (PathRules::DIGITS, "digits"),
    ];
    let named: Vec<&str> = classes
        .iter()
        .filter(|(c, _)| rules.path_rules.has(*c))
        .map(|(_, n)| *n)
        .collect();
    let path = if named.is_empty() {
        "none".to_owned()
    } else {
        named.join(",")
    };
    p.str("path_rules", &path).str(
        "time_resolution",
        match rules.time_resolution {
            TimeResolution::Second => "second",
            TimeResolution::Minute => "minute",
            TimeResolution::Hour => "hour",
            TimeResolution::Day => "day",
        },
    );
    p.str(
        "user_agent",
        match rules.user_agent {
            UaPolicy::Keep => "keep",
            UaPolicy::Generalize(_) => "generalize",
            UaPolicy::Remove => "remove",
        },
    );
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

    #[test]
    fn keep_net_values() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(keep_nets(&[]).unwrap(), None);
        let s = keep_nets(&args(&[
            "10.0.0.0/8",
            "192.0.2.7",
            "2001:db8::/32",
            " ::1 ",
        ]))
        .unwrap()
        .unwrap();
        assert!(s.contains(crate::addr::Addr::V4(0x0a00_0001)));
        assert!(s.contains(crate::addr::Addr::V4(0xc000_0207)));
        assert!(!s.contains(crate::addr::Addr::V4(0xc000_0208)));
        assert!(s.contains(crate::addr::Addr::V6(1)));
        let e = keep_nets(&args(&["10.1.2.3/8"])).unwrap_err().to_string();
        assert!(e.contains("10.0.0.0/8"), "{e}");
        let e = keep_nets(&args(&["intranet"])).unwrap_err().to_string();
        assert!(e.contains("expected an address or a network"), "{e}");
        assert!(keep_nets(&args(&["10.0.0.0/33"])).is_err());
    }

    #[test]
    fn path_rule_and_parameter_values() {
        use PathRuleArg::*;
        assert_eq!(path_rules(&[Email, Jwt]).unwrap(), PathRules::DEFAULT);
        assert_eq!(path_rules(&[None]).unwrap(), PathRules::NONE);
        assert!(path_rules(&[None, Email]).is_err());
        let all = path_rules(&[Email, Jwt, Uuid, Hex, Digits]).unwrap();
        for c in [
            PathRules::UUID,
            PathRules::HEX,
            PathRules::DIGITS,
            PathRules::DEFAULT,
        ] {
            assert!(all.has(c));
        }
        assert_eq!(keep_params(&[]).unwrap(), Option::None);
        let p = keep_params(&["utm_*".into(), " page ".into()])
            .unwrap()
            .unwrap();
        assert!(p.keeps(b"utm_source") && p.keeps(b"page") && !p.keeps(b"q"));
        assert!(keep_params(&["".into()]).is_err());
        assert!(keep_params(&["a=b".into()]).is_err());
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
