//! `-f apache-error`: the Apache httpd error log (2.4 and 2.2 default
//! layouts).

use memchr::{memchr, memmem, memrchr};

use super::FieldKind::*;
use super::{Fields, UserPattern, digits, message, push};
use crate::addr::{parse_v4, parse_v6};

/// Apache `mod_authn_file`/`mod_auth_basic`: `AH01618: user NAME not found: URI`
/// and `AH01617: user NAME: authentication failure for "URI": Password Mismatch`.
const APACHE_USERS: &[UserPattern] = &[(
    b"user ",
    &[b" not found: ", b": authentication failure for \""],
)];

/// `Www Mmm dd hh:mm:ss[.uuuuuu] yyyy` (Apache 2.4 `%{u}t`, 2.2 ctime).
fn apache_time(t: &[u8]) -> bool {
    if t.len() < 24 {
        return false;
    }
    let alpha = |r: std::ops::Range<usize>| t[r].iter().all(u8::is_ascii_alphabetic);
    let dig = |r: std::ops::Range<usize>| t[r].iter().all(u8::is_ascii_digit);
    let head = alpha(0..3)
        && t[3] == b' '
        && alpha(4..7)
        && t[7] == b' '
        && (t[8] == b' ' || t[8].is_ascii_digit())
        && t[9].is_ascii_digit()
        && t[10] == b' '
        && dig(11..13)
        && t[13] == b':'
        && dig(14..16)
        && t[16] == b':'
        && dig(17..19);
    if !head {
        return false;
    }
    let mut rest = &t[19..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = digits(frac);
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    rest.len() == 5 && rest[0] == b' ' && rest[1..].iter().all(u8::is_ascii_digit)
}

/// `[time] [module:level] [pid P:tid T] ` (2.4) or `[time] [level] ` (2.2):
/// the offset after it, and whether the line is 2.4 (whose client address
/// always carries a port).
fn apache_header(line: &[u8]) -> Option<(usize, bool, (usize, usize))> {
    let t = line.strip_prefix(b"[")?;
    let close = 1 + memchr(b']', t)?;
    if !apache_time(&line[1..close]) || !line[close..].starts_with(b"] [") {
        return None;
    }
    let lstart = close + 3;
    let lend = lstart + memchr(b']', &line[lstart..])?;
    let level = &line[lstart..lend];
    let level_ok = level.len() <= 64
        && level.iter().any(u8::is_ascii_alphabetic)
        && level
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'.' | b'-'));
    if !level_ok {
        return None;
    }
    let mut v24 = level.contains(&b':');
    let mut pos = lend + 1;
    if pos == line.len() {
        return Some((pos, v24, (lstart, lend)));
    }
    if line[pos] != b' ' {
        return None;
    }
    pos += 1;
    if let Some(p) = line[pos..].strip_prefix(b"[pid ") {
        let mut n = digits(p);
        if n > 0 {
            if let Some(t) = p[n..].strip_prefix(b":tid ") {
                let tid = digits(t);
                n = if tid > 0 { n + 5 + tid } else { 0 };
            }
        }
        if n > 0 && p.get(n) == Some(&b']') {
            v24 = true;
            pos += 5 + n + 1;
            if line.get(pos) == Some(&b' ') {
                pos += 1;
            }
        }
    }
    Some((pos, v24, (lstart, lend)))
}

/// How much of a `[client TOKEN]` token is the address. Apache 2.4 writes
/// `%s:%d` without brackets even for IPv6 (`2001:db8::1:51234`), so the part
/// after the last colon is a port when it is 1-5 digits and what precedes it
/// is an address. In 2.2 (no port) the split is only made when the whole
/// token is not an address.
fn apache_client_len(tok: &[u8], v24: bool) -> usize {
    if let Some(c) = memrchr(b':', tok) {
        let port = &tok[c + 1..];
        let is_port = (1..=5).contains(&port.len()) && port.iter().all(u8::is_ascii_digit);
        let split = v24 || (parse_v6(tok).is_none() && parse_v4(tok).is_none());
        let addr = &tok[..c];
        if is_port && split && (parse_v6(addr).is_some() || parse_v4(addr).is_some()) {
            return c;
        }
    }
    tok.len()
}

/// Parses an Apache error-log line in the default layouts:
/// 2.4 `[Sun Nov 22 08:41:15.668627 2026] [core:info] [pid 14703:tid 14752]
/// [client 198.51.100.7:38498] AH00128: message, referer: URL` and 2.2
/// `[Sun Dec 04 04:47:44 2005] [error] [client 198.51.100.7] message`.
///
/// Spans: the address of the first `[client …]` (or `[remote …]`, a
/// backend) as a client, and the `:port` of a `[client …]` as a client
/// port (removed: the address has no brackets, so only the parser can tell
/// the port from an IPv6 group; a backend's port is kept verbatim); the value after the first `, referer: ` that follows it, to
/// the end of the line, as a referrer; all other text after the header (an
/// `(errno)…: ` status before the client, the message) as unknown text,
/// with the `NAME` of `user NAME not found:` and `user NAME: authentication
/// failure for` as a user.
///
/// Returns `false` unless the line starts with `[ctime] [level]`.
pub fn parse_apache_error(line: &[u8], fields: &mut Fields) -> bool {
    fields.clear();
    let Some((start, v24, (lstart, lend))) = apache_header(line) else {
        return false;
    };
    // `[module:level]`: module names come from the server, but the shape
    // check lets digits and dots through, so it is text, scrubbed of
    // addresses, never copied blind.
    push(fields, Text, lstart, lend);
    let len = line.len();
    let mut msg = start;
    let bracket = [&b"[client "[..], b"[remote "]
        .iter()
        .filter_map(|b| memmem::find(&line[start..], b))
        .min()
        .map(|i| start + i);
    if let Some(open) = bracket {
        let tok = open + 8;
        if let Some(off) = memchr(b']', &line[tok..]) {
            let close = tok + off;
            message(line, start, open, APACHE_USERS, fields);
            let n = apache_client_len(&line[tok..close], v24);
            push(fields, Client, tok, tok + n);
            // A backend's (`[remote …]`) port is the server's, not personal.
            if tok + n < close && line[open + 1] == b'c' {
                push(fields, ClientPort, tok + n, close);
            }
            msg = close + 1;
        }
    }
    let referer = memmem::find(&line[msg..], b", referer: ").map(|i| msg + i);
    message(line, msg, referer.unwrap_or(len), APACHE_USERS, fields);
    if let Some(r) = referer {
        push(fields, Referer, r + 11, len);
    }
    true
}
