//! `--keep-query-param`: the query parameters that survive, by name or
//! glob (`utm_*,page,lang`), in their original order, their values still
//! scrubbed of addresses and e-mail addresses. Campaign tags and
//! pagination stay analyzable; search terms, tokens and ids go.

use crate::addr::{AddrRewrite, scrub_text};
use crate::anonymize::scrub::{EMAIL_PLACEHOLDER, email_span};

/// The names and globs of the parameters to keep.
///
/// Guarantees: a name is kept exactly when it equals one of the names
/// byte for byte (case matters, as it does to servers), or matches one of
/// the globs, where `*` stands for any run of bytes (`utm_*` keeps
/// `utm_source` and `utm_`); nothing else is special.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryParams {
    patterns: Vec<Vec<u8>>,
}

impl QueryParams {
    /// The parameters named by `patterns` (names or globs, none empty).
    pub fn new(patterns: Vec<Vec<u8>>) -> QueryParams {
        QueryParams { patterns }
    }

    /// The names and globs, as given.
    pub fn patterns(&self) -> impl Iterator<Item = &[u8]> {
        self.patterns.iter().map(Vec::as_slice)
    }

    /// Whether a parameter named `name` (as written, still escaped) is kept.
    pub fn keeps(&self, name: &[u8]) -> bool {
        self.patterns.iter().any(|p| glob(p, name))
    }
}

/// `*` matches any run of bytes; everything else itself.
fn glob(p: &[u8], s: &[u8]) -> bool {
    // Greedy with one backtrack point: the last `*` seen.
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if pi < p.len() && p[pi] == s[si] {
            pi += 1;
            si += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&b| b == b'*')
}

/// What [`write_query`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueryCounts {
    /// Parameters written.
    pub kept: u32,
    /// Parameters removed.
    pub removed: u32,
    /// Addresses rewritten in kept values.
    pub addresses: u32,
    /// E-mail addresses replaced in kept values.
    pub emails: u32,
}

/// Appends the kept parameters of `q`, a query with its `?` (a request's,
/// Apache `%q`) or without (nginx `$args`), to `out`.
///
/// Guarantees: the parameters (`&`-separated, `name` or `name=value`) that
/// `params` keeps are written in their original order, each whole except
/// that its value is scrubbed of addresses ([`scrub_text`]) and e-mail
/// addresses (`email-redacted`, as the scrubber finds them); the first is
/// preceded by the `?` when `q` has one, the others by `&`. Nothing else
/// of `q` is written: when no parameter is kept, nothing at all (not even
/// the `?`), and the caller decides what stands for an empty query.
pub fn write_query<R: AddrRewrite>(
    r: &mut R,
    params: &QueryParams,
    q: &[u8],
    out: &mut Vec<u8>,
) -> QueryCounts {
    let (lead, body) = match q.split_first() {
        Some((b'?', rest)) => (Some(b'?'), rest),
        _ => (None, q),
    };
    let mut c = QueryCounts::default();
    for param in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let eq = memchr::memchr(b'=', param).unwrap_or(param.len());
        if !params.keeps(&param[..eq]) {
            c.removed += 1;
            continue;
        }
        match (c.kept, lead) {
            (0, Some(l)) => out.push(l),
            (0, None) => {}
            _ => out.push(b'&'),
        }
        c.kept += 1;
        out.extend_from_slice(&param[..eq]);
        let (a, e) = write_value(r, &param[eq..], out);
        c.addresses += a;
        c.emails += e;
    }
    c
}

/// A kept value (with its `=`), e-mail addresses replaced and addresses
/// rewritten: (addresses, e-mails).
fn write_value<R: AddrRewrite>(r: &mut R, v: &[u8], out: &mut Vec<u8>) -> (u32, u32) {
    let (mut addresses, mut emails) = (0, 0);
    let mut flushed = 0;
    let mut i = 0;
    while let Some(k) = memchr::memchr2(b'@', b'%', &v[i..]) {
        let at = i + k;
        let len = if v[at] == b'@' {
            1
        } else if v[at..].starts_with(b"%40") {
            3
        } else {
            i = at + 1;
            continue;
        };
        match email_span(v, flushed, at, len) {
            Some((start, end)) => {
                addresses += scrub_text(r, &v[flushed..start], out);
                out.extend_from_slice(EMAIL_PLACEHOLDER);
                emails += 1;
                flushed = end;
                i = end;
            }
            None => i = at + len,
        }
    }
    addresses += scrub_text(r, &v[flushed..], out);
    (addresses, emails)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::Truncate;

    fn params(p: &[&str]) -> QueryParams {
        QueryParams::new(p.iter().map(|s| s.as_bytes().to_vec()).collect())
    }

    fn query(p: &QueryParams, q: &str) -> (String, QueryCounts) {
        let mut out = Vec::new();
        let c = write_query(
            &mut Truncate::new(24, 48).unwrap(),
            p,
            q.as_bytes(),
            &mut out,
        );
        (String::from_utf8(out).unwrap(), c)
    }

    #[test]
    fn globs() {
        for (p, s, want) in [
            ("utm_*", "utm_source", true),
            ("utm_*", "utm_", true),
            ("utm_*", "xutm_a", false),
            ("*_id", "session_id", true),
            ("a*b*c", "aXbYbc", true),
            ("a*b*c", "aXbYb", false),
            ("page", "page", true),
            ("page", "Page", false),
            ("page", "pages", false),
            ("*", "", true),
            ("", "", true),
            ("", "a", false),
        ] {
            assert_eq!(glob(p.as_bytes(), s.as_bytes()), want, "{p} {s}");
        }
    }

    #[test]
    fn only_listed_parameters_survive_in_order() {
        let p = params(&["utm_*", "page", "lang"]);
        let cases = [
            (
                "?q=jane&utm_source=news&page=2&sid=9&utm_medium=mail",
                "?utm_source=news&page=2&utm_medium=mail",
                3,
                2,
            ),
            ("?lang=de", "?lang=de", 1, 0),
            ("?q=x&token=y", "", 0, 2),
            ("?", "", 0, 0),
            ("page=3&q=1", "page=3", 1, 1),
            ("q=1&&page&", "page", 1, 1),
            ("?page=2&page=3", "?page=2&page=3", 2, 0),
        ];
        for (q, want, kept, removed) in cases {
            let (got, c) = query(&p, q);
            assert_eq!(got, want, "{q}");
            assert_eq!((c.kept, c.removed), (kept, removed), "{q}");
        }
    }

    #[test]
    fn kept_values_are_scrubbed() {
        let p = params(&["ref", "utm_*"]);
        let (got, c) = query(
            &p,
            "?ref=jane%40example.com&utm_source=198.51.100.7&utm_term=a@b.example.org,x",
        );
        assert_eq!(
            got,
            "?ref=email-redacted&utm_source=198.51.100.0&utm_term=email-redacted,x"
        );
        assert_eq!((c.emails, c.addresses), (2, 1));
        assert_eq!(query(&p, "?ref=%4x%40").0, "?ref=%4x%40");
    }
}
