//! How one field of a parsed line is rewritten, by its kind, and the shapes
//! of values that decide it (inert values, address lists, CLF times).

use super::{Anonymizer, ReferrerMode, scrub, url};
use crate::addr;
use crate::anonymize::pseudonym::LineRewrite;
use crate::format::FieldKind;
use crate::stats::Stats;
use addr::TokenKind;

impl<R: LineRewrite> Anonymizer<'_, R> {
    pub(super) fn field(
        &mut self,
        kind: FieldKind,
        v: &[u8],
        out: &mut Vec<u8>,
        stats: &mut Stats,
    ) {
        let r = &mut self.rewriter;
        match kind {
            FieldKind::Client => match addr::rewrite_addr_only(r, v, out) {
                (TokenKind::NotAddr, _) => {
                    // Analyzers (GoAccess, Matomo, AWStats) need a valid IP here.
                    out.extend_from_slice(b"0.0.0.0");
                    stats.non_addresses += 1;
                }
                (_, port) => {
                    stats.addresses += 1;
                    stats.secrets += u64::from(port);
                }
            },
            // Written apart from its address by the parser (Apache 2.4's
            // unbracketed `[client 2001:db8::1:51234]`): the client's source
            // port goes, as it does from a client field.
            FieldKind::ClientPort => stats.secrets += u64::from(!v.is_empty()),
            FieldKind::ForwardedFor => add_forwarded_for(stats, forwarded_for(r, v, out)),
            FieldKind::Ident | FieldKind::User => {
                if self.rules.keep_user {
                    stats.addresses += u64::from(addr::scrub_text(r, v, out));
                } else if v != b"-" && !v.is_empty() && r.user_token(v, out) {
                    // `--user pseudonymize` with a key for this line.
                    stats.users_pseudonymized += 1;
                } else {
                    out.push(b'-');
                    stats.users += u64::from(is_value(v));
                }
            }
            FieldKind::Request => {
                let cut = url::cut_request(v, self.rules.keep_query);
                stats.queries += u64::from(cut.query_removed);
                stats.secrets += u64::from(cut.userinfo_removed) + u64::from(cut.session_removed);
                for range in cut.ranges() {
                    stats.addresses += u64::from(addr::scrub_text(r, &v[range.clone()], out));
                }
            }
            FieldKind::Referer => match self.rules.referrer {
                ReferrerMode::Remove => {
                    out.push(b'-');
                    stats.referrers += u64::from(is_value(v));
                }
                ReferrerMode::Origin => match url::referrer_origin(v) {
                    Some(o) => {
                        self.scratch.clear();
                        url::write_origin(v, &o, &mut self.scratch);
                        stats.referrers += u64::from(self.scratch.len() != v.len());
                        stats.addresses += u64::from(addr::scrub_text(r, &self.scratch, out));
                    }
                    None => {
                        out.push(b'-');
                        stats.referrers += u64::from(is_value(v));
                    }
                },
                // Credentials are not part of what `keep` keeps. The part
                // before the cut ends with `://`, so no address spans it.
                ReferrerMode::Keep => match url::userinfo_span(v) {
                    Some(u) => {
                        stats.secrets += 1;
                        let n = addr::scrub_text(r, &v[..u.start], out)
                            + addr::scrub_text(r, &v[u.end..], out);
                        stats.addresses += u64::from(n);
                    }
                    None => stats.addresses += u64::from(addr::scrub_text(r, v, out)),
                },
            },
            FieldKind::Target => {
                let cut = url::cut_target(v, self.rules.keep_query);
                stats.queries += u64::from(cut.query_removed);
                stats.secrets += u64::from(cut.userinfo_removed) + u64::from(cut.session_removed);
                for range in cut.ranges() {
                    stats.addresses += u64::from(addr::scrub_text(r, &v[range.clone()], out));
                }
            }
            FieldKind::Query => {
                if self.rules.keep_query {
                    stats.addresses += u64::from(addr::scrub_text(r, v, out));
                } else if v.is_empty() || v == b"-" {
                    out.extend_from_slice(v);
                } else {
                    // Apache %q is `?a=b` or empty; nginx $args is `a=b` or `-`.
                    if v[0] != b'?' {
                        out.push(b'-');
                    }
                    stats.queries += 1;
                }
            }
            FieldKind::Secret => {
                out.push(b'-');
                stats.secrets += u64::from(is_value(v));
            }
            FieldKind::Unknown => self.unknown(v, out, stats),
            FieldKind::Address => {
                let text = crate::format::columns::address_text(v);
                let a = addr::parse_v4_strict(text)
                    .map(addr::Addr::V4)
                    .or_else(|| addr::parse_v6(text).map(addr::Addr::V6));
                match a {
                    Some(a) => {
                        addr::write_addr_python(r.rewrite(a), out);
                        stats.addresses += 1;
                    }
                    None => self.unknown(v, out, stats),
                }
            }
            FieldKind::Replace => {
                out.extend_from_slice(&self.rules.replacement);
                stats.non_addresses += 1;
            }
            FieldKind::SecretScalar => {
                out.extend_from_slice(b"null");
                stats.secrets += 1;
            }
            FieldKind::Time if is_clf_time(v) => crate::bytes::append(out, v),
            // Any bracketed text parses as a time, so one that is not
            // shaped like a CLF time is text no rule explains (found by the
            // `line` fuzz target: a query and a credential pair in it
            // survived).
            FieldKind::Time => self.unknown(v, out, stats),
            FieldKind::Status | FieldKind::Bytes | FieldKind::Port => crate::bytes::append(out, v),
            // Verbatim values are scrubbed all the same: with a custom format,
            // a client-controlled unquoted field holding a space shifts the
            // fields after it, and an address could land in a Verbatim one.
            // Numbers and times never look like addresses, so this is cheap.
            // A user agent is client-chosen text: everything the scrubber
            // removes goes (an e-mail, a credential, a query), but product
            // versions and bot URLs stay, so analyzers classify it the same.
            FieldKind::UserAgent => {
                let policy = self.rules.scrub_policy();
                let c = scrub::scrub_user_agent(r, &policy, v, out);
                add_scrub_counts(stats, c);
            }
            // Not all of them are checked by the parser: the last field of
            // a format takes the rest of the line (`%h %D %T` took a query
            // and an e-mail address in the `format_compile` fuzz target).
            // What is inert is kept; anything else is scrubbed.
            FieldKind::Verbatim => self.unknown(v, out, stats),
            FieldKind::Vhost | FieldKind::Text => {
                stats.addresses += u64::from(addr::scrub_text(r, v, out));
            }
        }
    }
    /// A value without a rule: kept only when its shape is inert, truncated
    /// when it is a list of addresses, scrubbed like an unparsed line
    /// otherwise.
    fn unknown(&mut self, v: &[u8], out: &mut Vec<u8>, stats: &mut Stats) {
        if v.is_empty() {
            // The usual trailing field: none.
        } else if is_inert(v) {
            out.extend_from_slice(v);
        } else if is_address_list(v) {
            add_forwarded_for(stats, forwarded_for(&mut self.rewriter, v, out));
        } else {
            let policy = self.rules.scrub_policy();
            let c = scrub::scrub_field(&mut self.rewriter, &policy, v, out);
            add_scrub_counts(stats, c);
        }
    }
}

/// Whether a user, referrer or secret field holds a value: what a run
/// replaces by `-` is counted only then, so a field that is already `-`
/// (or empty, as JSON logs write a missing one) counts nothing, and an
/// anonymized log counts as clean (`anonlog check`).
#[inline]
fn is_value(v: &[u8]) -> bool {
    !v.is_empty() && v != b"-"
}

pub(super) fn add_scrub_counts(stats: &mut Stats, c: scrub::ScrubCounts) {
    stats.addresses += u64::from(c.addresses);
    stats.non_addresses += u64::from(c.non_addresses);
    stats.queries += u64::from(c.queries);
    stats.users += u64::from(c.users);
    stats.referrers += u64::from(c.referrers);
    stats.secrets += u64::from(c.secrets);
    stats.emails += u64::from(c.emails);
}

/// A value whose shape cannot hold personal data: `-`, empty, or a list of
/// numbers and durations (`0.123`, `12ms`, `200`, `0.001, 0.002 : 0.003` as
/// nginx writes upstream timings). Signs, a decimal fraction and a unit of
/// time (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`) are allowed; a second dot is
/// not, so no IPv4 address is ever inert.
pub(super) fn is_inert(v: &[u8]) -> bool {
    v.split(|&b| matches!(b, b' ' | b',' | b':'))
        .filter(|t| !t.is_empty())
        .all(is_inert_token)
}

fn is_inert_token(t: &[u8]) -> bool {
    if t == b"-" {
        return true;
    }
    let t = t
        .strip_prefix(b"-")
        .or_else(|| t.strip_prefix(b"+"))
        .unwrap_or(t);
    let digits = t.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return false;
    }
    let mut rest = &t[digits..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    matches!(
        rest,
        b"" | b"ns" | b"us" | b"\xc2\xb5s" | b"ms" | b"s" | b"m" | b"h"
    )
}

/// A comma-separated list whose every entry is an address (with or without
/// a port), as X-Forwarded-For and `$upstream_addr` write them.
pub(super) fn is_address_list(v: &[u8]) -> bool {
    v.split(|&b| b == b',').all(|e| {
        let e = e.trim_ascii();
        !e.is_empty() && addr::is_addr_token(e)
    })
}

fn add_forwarded_for(stats: &mut Stats, list: ForwardedFor) {
    stats.addresses += u64::from(list.addresses);
    stats.secrets += u64::from(list.ports);
    stats.non_addresses += u64::from(list.non_addresses);
}

/// What [`forwarded_for`] rewrote.
struct ForwardedFor {
    addresses: u32,
    ports: u32,
    /// Entries that were no address and neither `-` nor `unknown` (a host
    /// name, an RFC 7239 obfuscated identifier), replaced by `-`.
    non_addresses: u32,
}

/// Rewrites each comma-separated entry of an X-Forwarded-For list, keeping
/// separators and spacing; entries that are not addresses become `-`, and
/// addresses are written without port or brackets
/// ([`addr::rewrite_addr_only`]: an entry's port is the client's, as in the
/// client field).
fn forwarded_for<R: addr::AddrRewrite>(r: &mut R, v: &[u8], out: &mut Vec<u8>) -> ForwardedFor {
    let mut list = ForwardedFor {
        addresses: 0,
        ports: 0,
        non_addresses: 0,
    };
    if v == b"-" {
        out.push(b'-');
        return list;
    }
    for (i, part) in v.split(|&b| b == b',').enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let lead = part
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        let trail = part[lead..]
            .iter()
            .rev()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        let token = &part[lead..part.len() - trail];
        out.extend_from_slice(&part[..lead]);
        if !token.is_empty() {
            match addr::rewrite_addr_only(r, token, out) {
                (TokenKind::NotAddr, _) => {
                    out.push(b'-');
                    let placeholder = token == b"-" || token.eq_ignore_ascii_case(b"unknown");
                    list.non_addresses += u32::from(!placeholder);
                }
                (_, port) => {
                    list.addresses += 1;
                    list.ports += u32::from(port);
                }
            }
        }
        out.extend_from_slice(&part[part.len() - trail..]);
    }
    list
}

/// `dd/Mon/yyyy:HH:MM:SS +zzzz`: a shape that cannot hold an address, so it
/// is copied without scanning.
///
/// Every parsed line has one, so it is checked a word at a time: the fixed
/// bytes by one masked compare per word, the sixteen digits by
/// [`crate::bytes::non_digits`] (a loop over them cost 200 instructions a
/// line).
fn is_clf_time(v: &[u8]) -> bool {
    let Some(v) = v.first_chunk::<26>().filter(|_| v.len() == 26) else {
        return false;
    };
    let word = |at: usize| u64::from_le_bytes(v[at..at + 8].try_into().expect("8 bytes"));
    // Which bytes of each word are digits, and which are fixed (with their
    // values): `dd/Mon/y` `yyy:HH:M` `M:SS +zz` and, overlapping, `SS +zzzz`.
    const D: [u64; 4] = [
        0x8000_0000_0000_8080,
        0x8000_8080_0080_8080,
        0x8080_0000_8080_0080,
        0x8080_8080_0000_0000,
    ];
    const FIXED: [(u64, u64); 3] = [
        (0x00ff_0000_00ff_0000, 0x002f_0000_002f_0000),
        (0x00ff_0000_ff00_0000, 0x003a_0000_3a00_0000),
        (0x0000_00ff_0000_ff00, 0x0000_0020_0000_3a00),
    ];
    let words = [word(0), word(8), word(16), word(18)];
    let digits = (0..4).all(|i| crate::bytes::non_digits(words[i]) & D[i] == 0);
    let fixed = (0..3).all(|i| words[i] & FIXED[i].0 == FIXED[i].1);
    digits
        && fixed
        && (v[21] == b'+' || v[21] == b'-')
        && v[3..6].iter().all(u8::is_ascii_alphabetic)
}

#[cfg(test)]
mod tests {
    use super::is_clf_time;
    use proptest::prelude::*;

    /// The byte-at-a-time definition the word-wise check must agree with.
    fn reference(v: &[u8]) -> bool {
        const DIGITS: [usize; 16] = [0, 1, 7, 8, 9, 10, 12, 13, 15, 16, 18, 19, 22, 23, 24, 25];
        v.len() == 26
            && v[2] == b'/'
            && v[6] == b'/'
            && v[11] == b':'
            && v[14] == b':'
            && v[17] == b':'
            && v[20] == b' '
            && (v[21] == b'+' || v[21] == b'-')
            && v[3..6].iter().all(u8::is_ascii_alphabetic)
            && DIGITS.iter().all(|&i| v[i].is_ascii_digit())
    }

    #[test]
    fn clf_times() {
        assert!(is_clf_time(b"10/Oct/2000:13:55:36 -0700"));
        assert!(is_clf_time(b"01/Jan/1970:00:00:00 +0000"));
        let good = *b"10/Oct/2000:13:55:36 -0700";
        // Every single-byte change of a good time agrees with the reference.
        for i in 0..good.len() {
            for b in 0..=255u8 {
                let mut v = good;
                v[i] = b;
                assert_eq!(is_clf_time(&v), reference(&v), "byte {i} = {b:#x}");
            }
        }
        assert!(!is_clf_time(&good[..25]));
        assert!(!is_clf_time(b"10/Oct/2000:13:55:36 -07000"));
    }

    proptest! {
        #[test]
        fn agrees_with_the_reference(
            v in proptest::collection::vec(
                prop_oneof![
                    Just(b'0'), Just(b'9'), Just(b'/'), Just(b':'), Just(b' '),
                    Just(b'+'), Just(b'-'), Just(b'a'), Just(b'Z'), any::<u8>()
                ],
                24..28,
            )
        ) {
            prop_assert_eq!(is_clf_time(&v), reference(&v));
        }
    }
}
