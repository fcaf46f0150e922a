//! One address token, as found in a client-address or X-Forwarded-For
//! field: the address with optional brackets, zone and port.

use super::{Addr, AddrRewrite, parse_v4, parse_v6, write_addr};

/// What [`rewrite_addr_token`] or [`rewrite_addr_only`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// An IPv4 address, possibly with a port; it was rewritten.
    V4,
    /// An IPv6 address, possibly with zone, brackets and port; it was
    /// rewritten.
    V6,
    /// Not an accepted address form; nothing was written.
    NotAddr,
}

/// 1 to 5 ASCII digits. The value is not range-checked: the port is copied,
/// not interpreted.
#[inline]
fn is_port(s: &[u8]) -> bool {
    (1..=5).contains(&s.len()) && s.iter().all(u8::is_ascii_digit)
}

/// Splits off a `%zone` suffix and returns the address part. A zone must be
/// non-empty and made of RFC 3986 unreserved characters (`[A-Za-z0-9._~-]`);
/// anything else makes the token not an address.
#[inline]
fn strip_zone(s: &[u8]) -> Option<&[u8]> {
    match s.iter().position(|&b| b == b'%') {
        None => Some(s),
        Some(p) => {
            let zone = &s[p + 1..];
            let ok = !zone.is_empty()
                && zone
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'-'));
            ok.then_some(&s[..p])
        }
    }
}

/// Parses a client-address token that is not a plain dotted quad (those are
/// handled before, by [`parse_v4`]) into the address, the length of the
/// prefix copied before it (`[`), and the start of the suffix copied after
/// it (`]`, `]:port`, `:port`); a zone lies between the address and the
/// suffix and is dropped.
fn parse_token(t: &[u8]) -> Option<(Addr, usize, usize)> {
    if t.first() == Some(&b'[') {
        let close = t.iter().position(|&b| b == b']')?;
        let a = parse_v6_zoned(&t[1..close])?;
        let rest = &t[close + 1..];
        let port_ok = match rest.split_first() {
            None => true,
            Some((&c, port)) => c == b':' && is_port(port),
        };
        if !port_ok {
            return None;
        }
        return Some((Addr::V6(a), 1, close));
    }
    let c = t.iter().position(|&b| b == b':')?;
    // Only digits after the first colon: "v4:port". An IPv6 address would
    // have a second colon.
    if is_port(&t[c + 1..]) {
        if let Some(a) = parse_v4(&t[..c]) {
            return Some((Addr::V4(a), 0, c));
        }
    }
    let a = parse_v6_zoned(t)?;
    Some((Addr::V6(a), 0, t.len()))
}

/// `parse_v6` of `s` without its `%zone` suffix ([`strip_zone`]).
#[inline]
fn parse_v6_zoned(s: &[u8]) -> Option<u128> {
    // parse_v6 rejects '%', so a successful parse of the whole text is what
    // stripping an (absent) zone would have parsed; the zone scan is only
    // needed when that fails.
    parse_v6(s).or_else(|| parse_v6(strip_zone(s)?))
}

/// Whether `token` is one of the address forms [`rewrite_addr_token`]
/// accepts.
pub fn is_addr_token(token: &[u8]) -> bool {
    parse_v4(token).is_some() || parse_token(token).is_some()
}

/// Rewrites one address token as found in a log's client-address or
/// X-Forwarded-For field and appends the result to `out`.
///
/// Accepted forms (the token must be exactly one of these; no whitespace is
/// trimmed):
/// `198.51.100.7`, `198.51.100.7:51234` (port of 1-5 digits, kept verbatim),
/// `2001:db8::1`, `2001:DB8:0:0:0:0:0:1`, `::ffff:198.51.100.7`,
/// `fe80::1%eth0` (zone dropped), `[2001:db8::1]`, `[2001:db8::1]:443`,
/// `[fe80::1%eth0]:443` (brackets and port kept, zone dropped).
/// A zone is 1+ characters of `[A-Za-z0-9._~-]`; IPv4 addresses are not
/// accepted inside brackets.
///
/// The address is passed through `r.rewrite` and written with
/// [`write_addr`]; the returned kind is the family of the address found in
/// the token. If the token is not one of these forms, nothing is appended,
/// `r` is not called, and [`TokenKind::NotAddr`] is returned.
///
/// When the rewrite changes the family (keyed pseudonyms: ipcrypt-det
/// turns IPv4 into IPv6; revealing turns it back), the brackets follow the
/// new family so that a port stays readable: IPv6 with a port is written
/// `[v6]:port`, IPv4 never in brackets (`[v6]:port` becomes `v4:port`,
/// `[v6]` becomes `v4`). Otherwise brackets are kept exactly as given.
pub fn rewrite_addr_token<R: AddrRewrite>(r: &mut R, token: &[u8], out: &mut Vec<u8>) -> TokenKind {
    rewrite_token(r, token, out, true).0
}

/// Rewrites one address token as [`rewrite_addr_token`] does (same accepted
/// forms, same rewrite, nothing appended for [`TokenKind::NotAddr`]), but
/// appends the address alone: no port, no brackets, no zone
/// (`[2001:db8::1]:443` and `[2001:db8::1]` → `2001:db8::`, `198.51.100.7:51234`
/// → `198.51.100.0`). Returns the family and whether a port was dropped.
///
/// For client-address fields: the client's source port tells apart the
/// connections of one visitor, and analyzers (Matomo's importer) reject a
/// client with a port; a bare address needs no brackets.
pub fn rewrite_addr_only<R: AddrRewrite>(
    r: &mut R,
    token: &[u8],
    out: &mut Vec<u8>,
) -> (TokenKind, bool) {
    rewrite_token(r, token, out, false)
}

fn rewrite_token<R: AddrRewrite>(
    r: &mut R,
    token: &[u8],
    out: &mut Vec<u8>,
    keep_port: bool,
) -> (TokenKind, bool) {
    // Most tokens are a plain dotted quad.
    if let Some(a) = parse_v4(token) {
        write_addr(r.rewrite(Addr::V4(a)), out);
        return (TokenKind::V4, false);
    }
    let Some((addr, pre, post)) = parse_token(token) else {
        return (TokenKind::NotAddr, false);
    };
    let new = r.rewrite(addr);
    let bracketed = pre == 1;
    // `""`, `":port"`, `"]"` or `"]:port"`.
    let suffix = &token[post..];
    let port = suffix.strip_prefix(b"]").unwrap_or(suffix);
    match (new, bracketed) {
        _ if !keep_port => write_addr(new, out),
        (Addr::V6(_), false) if !port.is_empty() => {
            out.push(b'[');
            write_addr(new, out);
            out.push(b']');
            out.extend_from_slice(port);
        }
        (Addr::V4(_), true) => {
            write_addr(new, out);
            out.extend_from_slice(port);
        }
        _ => {
            out.extend_from_slice(&token[..pre]);
            write_addr(new, out);
            out.extend_from_slice(suffix);
        }
    }
    let kind = match addr {
        Addr::V4(_) => TokenKind::V4,
        Addr::V6(_) => TokenKind::V6,
    };
    (kind, !port.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::testutil::*;
    use proptest::prelude::*;

    fn token(r: &mut impl AddrRewrite, s: &[u8]) -> (TokenKind, Vec<u8>) {
        let mut out = b"x".to_vec();
        let k = rewrite_addr_token(r, s, &mut out);
        (k, out[1..].to_vec())
    }

    #[test]
    fn rewrite_addr_token_table() {
        use TokenKind::*;
        let cases: &[(&[u8], TokenKind, &[u8])] = &[
            (b"198.51.100.7", V4, b"198.51.100.0"),
            (b"198.051.100.007", V4, b"198.51.100.0"),
            (b"198.51.100.7:51234", V4, b"198.51.100.0:51234"),
            (b"198.51.100.7:1", V4, b"198.51.100.0:1"),
            (b"198.51.100.7:99999", V4, b"198.51.100.0:99999"),
            (b"2001:db8:1:2::1", V6, b"2001:db8:1::"),
            (b"2001:DB8:0:0:0:0:0:1", V6, b"2001:db8::"),
            (b"fe80::1%eth0", V6, b"fe80::"),
            (b"fe80::1%25eth0", V6, b"fe80::"),
            (b"[2001:db8:1:2::1]", V6, b"[2001:db8:1::]"),
            (b"[2001:db8:1:2::1]:443", V6, b"[2001:db8:1::]:443"),
            (b"[fe80::1%eth0]:443", V6, b"[fe80::]:443"),
            (b"[fe80::1%en-0.1_x~]", V6, b"[fe80::]"),
            (b"::ffff:198.51.100.7", V6, b"::ffff:198.51.100.0"),
            (b"[::ffff:198.51.100.7]:80", V6, b"[::ffff:198.51.100.0]:80"),
            (b"2002:c633:644d:1::5", V6, b"2002:c633:6400::"),
            (b"", NotAddr, b""),
            (b"-", NotAddr, b""),
            (b"unknown", NotAddr, b""),
            (b" 198.51.100.7", NotAddr, b""),
            (b"198.51.100.7 ", NotAddr, b""),
            (b"198.51.100.7,", NotAddr, b""),
            (b"198.51.100.7:", NotAddr, b""),
            (b"198.51.100.7:123456", NotAddr, b""),
            (b"198.51.100.7:80a", NotAddr, b""),
            (b"198.51.100.7:80:81", NotAddr, b""),
            (b"198.51.100", NotAddr, b""),
            (b"198.51.100.256", NotAddr, b""),
            (b"[198.51.100.7]", NotAddr, b""),
            (b"[198.51.100.7]:80", NotAddr, b""),
            (b"2001:db8::1:443x", NotAddr, b""),
            (b"[2001:db8::1", NotAddr, b""),
            (b"2001:db8::1]", NotAddr, b""),
            (b"[2001:db8::1]:", NotAddr, b""),
            (b"[2001:db8::1]:443x", NotAddr, b""),
            (b"[2001:db8::1]x", NotAddr, b""),
            (b"[2001:db8::1]:123456", NotAddr, b""),
            (b"[[2001:db8::1]]", NotAddr, b""),
            (b"fe80::1%", NotAddr, b""),
            (b"fe80::1%eth0%1", NotAddr, b""),
            (b"fe80::1%eth 0", NotAddr, b""),
            (b"198.51.100.7%eth0", NotAddr, b""),
            (b"2001:db8::1\xff", NotAddr, b""),
        ];
        for &(input, kind, want) in cases {
            let (k, out) = token(&mut t(24, 48), input);
            let shown = String::from_utf8_lossy(input);
            assert_eq!(k, kind, "{shown}");
            assert_eq!(out, want, "{shown}: {}", String::from_utf8_lossy(&out));
        }
    }

    #[test]
    fn family_change_keeps_ports_readable() {
        use TokenKind::*;
        let cases: &[(&[u8], TokenKind, &[u8])] = &[
            (b"198.51.100.7", V4, b"2001:db8::c633:6407"),
            (b"198.51.100.7:443", V4, b"[2001:db8::c633:6407]:443"),
            (b"2001:db8::c633:6407", V6, b"198.51.100.7"),
            (b"[2001:db8::c633:6407]", V6, b"198.51.100.7"),
            (b"[2001:db8::c633:6407]:443", V6, b"198.51.100.7:443"),
            (b"[fe80::1%eth0]:80", V6, b"0.0.0.1:80"),
            (b"::ffff:198.51.100.7", V6, b"198.51.100.7"),
            (b"198.51.100.7:80a", NotAddr, b""),
        ];
        for &(input, kind, want) in cases {
            let (k, out) = token(&mut Flip, input);
            let shown = String::from_utf8_lossy(input);
            assert_eq!(k, kind, "{shown}");
            assert_eq!(out, want, "{shown}: {}", String::from_utf8_lossy(&out));
        }
        // Same family: brackets exactly as given, as before.
        assert_eq!(token(&mut Identity, b"[2001:db8::1]").1, b"[2001:db8::1]");
        assert_eq!(token(&mut Identity, b"192.0.2.1:80").1, b"192.0.2.1:80");
    }

    #[test]
    fn rewrite_addr_only_drops_port_brackets_and_zone() {
        use TokenKind::*;
        // (input, kind, port dropped, written with truncation, with Flip)
        type Case = (&'static [u8], TokenKind, bool, &'static [u8], &'static [u8]);
        let cases: &[Case] = &[
            (
                b"198.51.100.7",
                V4,
                false,
                b"198.51.100.0",
                b"2001:db8::c633:6407",
            ),
            (
                b"198.51.100.7:51234",
                V4,
                true,
                b"198.51.100.0",
                b"2001:db8::c633:6407",
            ),
            (b"2001:db8:1:2::1", V6, false, b"2001:db8:1::", b"0.0.0.1"),
            (b"[2001:db8:1:2::1]", V6, false, b"2001:db8:1::", b"0.0.0.1"),
            (
                b"[2001:db8:1:2::1]:443",
                V6,
                true,
                b"2001:db8:1::",
                b"0.0.0.1",
            ),
            (b"[fe80::1%eth0]:443", V6, true, b"fe80::", b"0.0.0.1"),
            (b"fe80::1%eth0", V6, false, b"fe80::", b"0.0.0.1"),
            (b"198.51.100.7:80a", NotAddr, false, b"", b""),
            (b"[2001:db8::1]:", NotAddr, false, b"", b""),
            (b"host.example:80", NotAddr, false, b"", b""),
        ];
        for &(input, kind, port, want, flipped) in cases {
            let shown = String::from_utf8_lossy(input);
            for (r, want) in [
                (&mut t(24, 48) as &mut dyn AddrRewrite, want),
                (&mut Flip, flipped),
            ] {
                let mut out = b"x".to_vec();
                let got = rewrite_addr_only(&mut DynRewrite(r), input, &mut out);
                assert_eq!(got, (kind, port), "{shown}");
                assert_eq!(
                    &out[1..],
                    want,
                    "{shown}: {}",
                    String::from_utf8_lossy(&out)
                );
            }
        }
    }

    proptest! {
        #[test]
        fn prop_token_roundtrip(
            is_v6 in any::<bool>(), a4 in any_v4(), pad in any::<u8>(), s6 in v6_text(),
            port in prop::option::of(0u32..100_000), zone in prop::option::of("[a-z0-9]{1,5}"),
            bracket in any::<bool>(),
        ) {
            let mut r = t(24, 48);
            let (tok, want_kind, want) = if is_v6 {
                let a = parse_v6(s6.as_bytes()).unwrap();
                let canon = addr_text(r.rewrite(Addr::V6(a)));
                let z = zone.map(|z| format!("%{z}")).unwrap_or_default();
                if bracket || port.is_some() {
                    let p = port.map(|p| format!(":{p}")).unwrap_or_default();
                    (format!("[{s6}{z}]{p}"), TokenKind::V6, format!("[{canon}]{p}"))
                } else {
                    (format!("{s6}{z}"), TokenKind::V6, canon)
                }
            } else {
                let canon = addr_text(r.rewrite(Addr::V4(a4)));
                let p = port.map(|p| format!(":{p}")).unwrap_or_default();
                (format!("{}{p}", spell_v4(a4, pad)), TokenKind::V4, format!("{canon}{p}"))
            };
            let (k, out) = token(&mut r, tok.as_bytes());
            prop_assert_eq!(k, want_kind, "{}", tok);
            prop_assert_eq!(String::from_utf8(out).unwrap(), want);
        }

        #[test]
        fn prop_token_never_panics(s in prop::collection::vec(any::<u8>(), 0..60)) {
            let mut out = Vec::new();
            let k = rewrite_addr_token(&mut t(24, 48), &s, &mut out);
            prop_assert_eq!(k == TokenKind::NotAddr, out.is_empty());
        }
    }
}
