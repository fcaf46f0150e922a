//! `-f nginx-error`: the nginx error log.

use memchr::{memchr, memmem};

use super::FieldKind::{self, *};
use super::{Fields, UserPattern, digits, message, push};

/// nginx `auth_basic`: `user "NAME" was not found in "FILE"` and
/// `user "NAME": password mismatch`.
const NGINX_USERS: &[UserPattern] = &[(
    b"user \"",
    &[b"\" was not found in \"", b"\": password mismatch"],
)];

/// The context fragments nginx appends (`, key: value`): http
/// (`ngx_http_log_error_handler`), stream and mail. `upstream` is a URL with
/// the request's query (or `ip:port` in stream and mail), so it is a target
/// (query, `;jsessionid=` and `user:password@` cut, the server's port
/// kept). `host` is the client's Host header as sent (nginx only checks it
/// for `/`, controls and `..`), so it is unknown text; `server` is the
/// configured `server_name` (or the listening address in stream and mail),
/// server-side text.
const NGINX_KEYS: &[(&[u8], FieldKind)] = &[
    (b"client", Client),
    (b"server", Text),
    (b"request", Request),
    (b"subrequest", Target),
    (b"upstream", Target),
    (b"host", Unknown),
    (b"referrer", Referer),
    (b"login", User),
];

/// `YYYY/MM/DD HH:MM:SS [level] `: the offset after it.
fn nginx_prefix(line: &[u8]) -> Option<usize> {
    const SHAPE: &[u8] = b"0000/00/00 00:00:00 [";
    if line.len() < SHAPE.len() {
        return None;
    }
    let ok = SHAPE.iter().zip(line).all(|(&s, &b)| {
        if s == b'0' {
            b.is_ascii_digit()
        } else {
            b == s
        }
    });
    if !ok {
        return None;
    }
    let rest = &line[SHAPE.len()..];
    let level = rest.iter().take_while(|b| b.is_ascii_lowercase()).count();
    (level > 0 && rest[level..].starts_with(b"] ")).then_some(SHAPE.len() + level + 2)
}

/// `PID#TID: ` then `*CONN `, each optional: their length.
fn nginx_ids(s: &[u8]) -> usize {
    let mut n = 0;
    let pid = digits(s);
    if pid > 0 && s.get(pid) == Some(&b'#') {
        let tid = digits(&s[pid + 1..]);
        let end = pid + 1 + tid;
        if tid > 0 && s[end..].starts_with(b": ") {
            n = end + 2;
        }
    }
    if s.get(n) == Some(&b'*') {
        let conn = digits(&s[n + 1..]);
        if conn > 0 && s.get(n + 1 + conn) == Some(&b' ') {
            n += conn + 2;
        }
    }
    n
}

/// `, key: ` of a known context key at `i`: the key's kind and where the
/// value starts.
fn nginx_marker(line: &[u8], i: usize) -> Option<(FieldKind, usize)> {
    let rest = line[i..].strip_prefix(b", ")?;
    NGINX_KEYS.iter().find_map(|&(key, kind)| {
        rest.strip_prefix(key)?
            .starts_with(b": ")
            .then_some((kind, i + 2 + key.len() + 2))
    })
}

/// The next context marker at or after `from`.
fn nginx_next_marker(line: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(off) = memchr(b',', &line[at..]) {
        let c = at + off;
        if nginx_marker(line, c).is_some() {
            return Some(c);
        }
        at = c + 1;
    }
    None
}

/// The closing quote of a value opened before `from`: nginx does not escape
/// these values, so it is the first `"` that ends the line or is followed by
/// a context marker.
fn nginx_quote_end(line: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(off) = memchr(b'"', &line[at..]) {
        let q = at + off;
        if q + 1 == line.len() || nginx_marker(line, q + 1).is_some() {
            return Some(q);
        }
        at = q + 1;
    }
    None
}

/// Parses an nginx error-log line:
/// `YYYY/MM/DD HH:MM:SS [level] PID#TID: *CONN message[, client: ADDR,
/// server: NAME, request: "LINE", upstream: "URL", host: "HOST",
/// referrer: "URL"]`.
///
/// Spans: the message (unknown text, with the `NAME` of `user "NAME" was not
/// found` and `user "NAME": password mismatch` as a user), the `client:`
/// address, and each context value by key: `request` a request line,
/// `subrequest` and `upstream` targets (the query is cut), `referrer` a
/// referrer, `login` (mail) a user, `server` text, `host` and anything
/// unrecognised unknown text. Context
/// values are not escaped by nginx, so a quoted value ends at the first `"`
/// followed by another known `, key: ` or by the end of the line; a value cut
/// by nginx's line-length limit runs to the end of the line.
///
/// Returns `false` unless the line starts with `YYYY/MM/DD HH:MM:SS [level] `.
pub fn parse_nginx_error(line: &[u8], fields: &mut Fields) -> bool {
    fields.clear();
    let Some(start) = nginx_prefix(line) else {
        return false;
    };
    let start = start + nginx_ids(&line[start..]);
    let len = line.len();
    let ctx = memmem::find(&line[start..], b", client: ").map_or(len, |i| start + i);
    message(line, start, ctx, NGINX_USERS, fields);
    let mut pos = ctx;
    while pos < len {
        let Some((kind, v)) = nginx_marker(line, pos) else {
            // Not reached with a marker-delimited walk; kept fail-closed.
            let end = nginx_next_marker(line, pos + 1).unwrap_or(len);
            push(fields, Unknown, pos, end);
            pos = end;
            continue;
        };
        if kind != Client && line.get(v) == Some(&b'"') {
            match nginx_quote_end(line, v + 1) {
                Some(q) => {
                    push(fields, kind, v + 1, q);
                    pos = q + 1;
                }
                None => {
                    push(fields, kind, v + 1, len);
                    pos = len;
                }
            }
            continue;
        }
        let end = nginx_next_marker(line, v).unwrap_or(len);
        if kind == Client {
            // Mail appends ` using starttls` to the address; when a message
            // spoofed the marker, this is message text.
            let tok = memchr(b' ', &line[v..end]).map_or(end, |i| v + i);
            push(fields, Client, v, tok);
            push(fields, Unknown, tok, end);
        } else {
            push(fields, kind, v, end);
        }
        pos = end;
    }
    true
}
