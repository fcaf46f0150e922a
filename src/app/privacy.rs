//! The finer privacy options (`--preset`, whose presets are in
//! [`super::preset`], `--keep-net`, `--keep-query-param`,
//! `--path-rules`, `--time-resolution`, `--user-agent`): their clap
//! definitions, flattened into [`super::cli::Cli`], their resolution into
//! typed settings, and what a run record says of them.

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
    pub preset: Option<super::preset::PresetArg>,

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
