//! `-f/--format` values, and the advice for a server's name given where a
//! format's is expected (`-f nginx`, `-f apache`): clap's own "similar
//! value" is the nearest spelling, which for `nginx` is the error log, when
//! what the user has is almost always an access log.

use std::ffi::OsStr;

use clap::builder::{EnumValueParser, PossibleValue, TypedValueParser};
use clap::error::{ContextKind, ContextValue};
use clap::{Arg, Command, ValueEnum};

use super::cli::FormatArg;

/// Parses a `-f` value as [`FormatArg`] does, with the same possible values
/// in `--help`; an unknown value that names a server gets that server's
/// formats suggested, access logs first, each with where it is the
/// default.
#[derive(Clone, Copy, Debug, Default)]
pub struct FormatParser;

impl TypedValueParser for FormatParser {
    type Value = FormatArg;

    fn parse_ref(
        &self,
        cmd: &Command,
        arg: Option<&Arg>,
        value: &OsStr,
    ) -> Result<FormatArg, clap::Error> {
        EnumValueParser::<FormatArg>::new()
            .parse_ref(cmd, arg, value)
            .map_err(|mut e| {
                if let Some(advice) = value.to_str().and_then(server_advice) {
                    // Not "similar values": these are chosen, not spelt alike.
                    e.remove(ContextKind::SuggestedValue);
                    let tips = std::iter::once(did_you_mean(advice.similar))
                        .chain(advice.tips.iter().map(|t| (*t).to_owned()))
                        .map(Into::into)
                        .collect();
                    e.insert(ContextKind::Suggested, ContextValue::StyledStrs(tips));
                }
                e
            })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            FormatArg::value_variants()
                .iter()
                .filter_map(ValueEnum::to_possible_value),
        ))
    }
}

/// "did you mean `a`, `b` or `c`?", in the order given.
fn did_you_mean(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
    match quoted.split_last() {
        Some((last, [])) => format!("did you mean {last}?"),
        Some((last, rest)) => format!("did you mean {} or {last}?", rest.join(", ")),
        None => String::new(),
    }
}

/// What to say when a server is named instead of a format.
struct Advice {
    /// `-f` values, in the order a user of that server most likely needs
    /// them: its default access log first, its error log last.
    similar: &'static [&'static str],
    /// Where each of them is what the server writes.
    tips: &'static [&'static str],
}

/// The advice for `value` when it names a server rather than a format;
/// `None` leaves the suggestion to clap (`-f nginx_error`, `-f combind`).
fn server_advice(value: &str) -> Option<Advice> {
    let v = value.to_ascii_lowercase();
    if v.contains("err") {
        return None;
    }
    let advice = if v.contains("nginx") {
        Advice {
            similar: &["combined", "main", "nginx-error"],
            tips: &[
                "`combined` is nginx's built-in access log format (the Debian and Ubuntu packages log it)",
                "`main` is combined plus \"$http_x_forwarded_for\" (the nginx.org packages and Docker image)",
                "`nginx-error` is the error log; the default, -f auto, tells the three apart",
            ],
        }
    } else if v.contains("apache") || v.contains("httpd") {
        Advice {
            similar: &["combined", "common", "vhost_combined", "apache-error"],
            tips: &[
                "`combined` is the access log of Debian, Ubuntu and RHEL; `common` that of Apache's own httpd.conf",
                "`vhost_combined` is Debian's other_vhosts_access.log; `apache-error` is the error log",
                "the default, -f auto, tells them apart",
            ],
        }
    } else if v.contains("traefik") {
        Advice {
            similar: &["combined", "json"],
            tips: &[
                "`combined` reads Traefik's default access log (its trailing fields too); `json` its JSON one",
            ],
        }
    } else if v.contains("caddy") {
        Advice {
            similar: &["json"],
            tips: &["Caddy writes its access log as JSON: `json`"],
        }
    } else if v == "clf" || v == "ncsa" {
        Advice {
            similar: &["common", "combined"],
            tips: &[
                "`common` is the Common Log Format; `combined` adds the referrer and user agent",
            ],
        }
    } else {
        return None;
    };
    Some(advice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_get_their_access_log_formats_first() {
        let similar = |v: &str| server_advice(v).map(|a| a.similar);
        assert_eq!(
            similar("nginx"),
            Some(&["combined", "main", "nginx-error"][..])
        );
        assert_eq!(similar("NGINX").unwrap()[0], "combined");
        assert_eq!(similar("apache2").unwrap()[0], "combined");
        assert_eq!(similar("httpd").unwrap().last(), Some(&"apache-error"));
        assert_eq!(
            similar("nginx_error"),
            None,
            "clap's nearest spelling is right"
        );
        assert_eq!(similar("combind"), None);
        assert_eq!(
            did_you_mean(&["combined", "main", "nginx-error"]),
            "did you mean `combined`, `main` or `nginx-error`?"
        );
        assert_eq!(did_you_mean(&["json"]), "did you mean `json`?");
        // Every suggestion is a value -f takes.
        for v in ["nginx", "apache", "traefik", "caddy", "clf"] {
            for s in similar(v).unwrap() {
                assert!(FormatArg::from_str(s, false).is_ok(), "{v}: {s}");
            }
        }
    }
}
