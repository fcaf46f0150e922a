//! `-f nginx-error` and `-f apache-error`: the servers' error logs.
//! Layouts: shared/reference/formats.md 1.5 (nginx) and 2.1 (Apache).
//!
//! The timestamp, the level and the process ids are kept verbatim; every
//! other byte is covered by a span: the client address (without its port),
//! the request line, the referrer and user names get their own kinds, and
//! the free message text is [`FieldKind::Unknown`]: error messages quote
//! request paths, client-sent headers and upstream output, so the text gets
//! the unparsed-line treatment (queries and `;jsessionid=` cut, addresses
//! rewritten, credentials and e-mails removed) rather than mere address
//! truncation. Only server-side context values (nginx `server:`) are
//! [`FieldKind::Text`].

use memchr::{memchr, memmem, memrchr};

use super::FieldKind::{self, *};
use super::{Fields, Span};
use crate::anonymize::ip::{parse_v4, parse_v6};

/// Pushes a span; empty text spans are skipped (they would copy nothing).
#[inline]
fn push(fields: &mut Fields, kind: FieldKind, start: usize, end: usize) {
    if matches!(kind, Text | Unknown) && start == end {
        return;
    }
    fields.push(Span { kind, start, end });
}

/// A user name in a message: the name follows `prefix` (at the start of the
/// message or after a space) and ends at the nearest of `suffixes`.
type UserPattern = (&'static [u8], &'static [&'static [u8]]);

/// nginx `auth_basic`: `user "NAME" was not found in "FILE"` and
/// `user "NAME": password mismatch`.
const NGINX_USERS: &[UserPattern] = &[(
    b"user \"",
    &[b"\" was not found in \"", b"\": password mismatch"],
)];

/// Apache `mod_authn_file`/`mod_auth_basic`: `AH01618: user NAME not found: URI`
/// and `AH01617: user NAME: authentication failure for "URI": Password Mismatch`.
const APACHE_USERS: &[UserPattern] = &[(
    b"user ",
    &[b" not found: ", b": authentication failure for \""],
)];

fn find_user(msg: &[u8], patterns: &[UserPattern]) -> Option<(usize, usize)> {
    for &(prefix, suffixes) in patterns {
        let mut at = 0;
        while let Some(off) = memmem::find(&msg[at..], prefix) {
            let p = at + off;
            let name = p + prefix.len();
            if p == 0 || msg[p - 1] == b' ' {
                let end = suffixes
                    .iter()
                    .filter_map(|s| memmem::find(&msg[name..], s))
                    .min();
                if let Some(len) = end {
                    return Some((name, name + len));
                }
            }
            at = p + 1;
        }
    }
    None
}

/// The message `line[start..end]` as unknown text, with a user name in it
/// as [`FieldKind::User`].
fn message(line: &[u8], start: usize, end: usize, patterns: &[UserPattern], fields: &mut Fields) {
    match find_user(&line[start..end], patterns) {
        Some((us, ue)) => {
            push(fields, Unknown, start, start + us);
            push(fields, User, start + us, start + ue);
            push(fields, Unknown, start + ue, end);
        }
        None => push(fields, Unknown, start, end),
    }
}

fn digits(s: &[u8]) -> usize {
    s.iter().take_while(|b| b.is_ascii_digit()).count()
}

// ---------------------------------------------------------------------------
// nginx
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Apache
// ---------------------------------------------------------------------------

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
/// the offset after it, whether the line is 2.4 (whose client address
/// always carries a port), and where the level is.
fn apache_header(line: &[u8]) -> Option<(usize, bool, std::ops::Range<usize>)> {
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
        return Some((pos, v24, lstart..lend));
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
    Some((pos, v24, lstart..lend))
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
    let Some((start, v24, level)) = apache_header(line) else {
        return false;
    };
    // The level's characters are those of an address too
    // (`[198.51.100.7:error]`, found by the `line` fuzz target): one that
    // could hold an address (a dot, or colons as in IPv6) is text,
    // scrubbed of addresses, never copied as it is.
    let l = &line[level.clone()];
    if l.contains(&b'.') || l.iter().filter(|&&b| b == b':').count() > 1 {
        push(fields, Text, level.start, level.end);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anonymize::ip::Truncate;
    use crate::anonymize::{Anonymizer, OnUnparsed, ReferrerMode, Rules};
    use crate::format::Parser;
    use crate::stats::Stats;

    type Parse = fn(&[u8], &mut Fields) -> bool;

    fn spans(parse: Parse, line: &str) -> Option<Vec<(FieldKind, &str)>> {
        let mut f = Fields::new();
        if !parse(line.as_bytes(), &mut f) {
            return None;
        }
        let s = f.spans();
        for w in s.windows(2) {
            assert!(w[0].end <= w[1].start, "spans ascending and disjoint");
        }
        Some(s.iter().map(|s| (s.kind, &line[s.start..s.end])).collect())
    }

    #[test]
    fn nginx_lines() {
        let cases: &[(&str, &[(FieldKind, &str)])] = &[
            (
                r#"2026/11/22 08:39:58 [error] 1234#1234: *5 open() "/x" failed (2: No such file), client: 198.51.100.7, server: x, request: "GET /?a=b HTTP/1.1", upstream: "http://192.0.2.10:8080/?a=b", host: "example.com", referrer: "https://r.example/?q=1""#,
                &[
                    (Unknown, r#"open() "/x" failed (2: No such file)"#),
                    (Client, "198.51.100.7"),
                    (Text, "x"),
                    (Request, "GET /?a=b HTTP/1.1"),
                    (Target, "http://192.0.2.10:8080/?a=b"),
                    (Unknown, "example.com"),
                    (Referer, "https://r.example/?q=1"),
                ],
            ),
            (
                "2026/11/22 08:38:23 [info] 12649#12649: *6 client closed connection while waiting for request, client: 2001:db8::7, server: 192.0.2.2:8081",
                &[
                    (
                        Unknown,
                        "client closed connection while waiting for request",
                    ),
                    (Client, "2001:db8::7"),
                    (Text, "192.0.2.2:8081"),
                ],
            ),
            (
                r#"2026/11/22 08:38:27 [alert] 12649#12649: *7 write() to "/run/nginx/access.fifo" failed (32: Broken pipe) while logging request, client: 192.0.2.1, server: , request: "GET /after HTTP/1.1", host: "192.0.2.2:8081""#,
                &[
                    (
                        Unknown,
                        r#"write() to "/run/nginx/access.fifo" failed (32: Broken pipe) while logging request"#,
                    ),
                    (Client, "192.0.2.1"),
                    (Request, "GET /after HTTP/1.1"),
                    (Unknown, "192.0.2.2:8081"),
                ],
            ),
            (
                r#"2026/11/22 08:40:00 [error] 1#1: *9 user "bob smith" was not found in "/etc/nginx/htpasswd", client: 198.51.100.7, server: localhost, request: "GET /secret HTTP/1.1", host: "localhost""#,
                &[
                    (Unknown, "user \""),
                    (User, "bob smith"),
                    (Unknown, r#"" was not found in "/etc/nginx/htpasswd""#),
                    (Client, "198.51.100.7"),
                    (Text, "localhost"),
                    (Request, "GET /secret HTTP/1.1"),
                    (Unknown, "localhost"),
                ],
            ),
            (
                r#"2026/11/22 08:40:00 [error] 1#1: *9 user "b"ob": password mismatch, client: 198.51.100.7"#,
                &[
                    (Unknown, "user \""),
                    (User, "b\"ob"),
                    (Unknown, "\": password mismatch"),
                    (Client, "198.51.100.7"),
                ],
            ),
            (
                "2026/11/22 08:40:01 [notice] 1#1: signal process started",
                &[(Unknown, "signal process started")],
            ),
            (
                "2026/11/22 08:40:02 [emerg] 1#1: bind() to 192.0.2.3:80 failed (98: Address already in use)",
                &[(
                    Unknown,
                    "bind() to 192.0.2.3:80 failed (98: Address already in use)",
                )],
            ),
            (
                // Unescaped quotes in the request line; a spoofed marker
                // inside it only shifts kinds, every byte stays covered.
                r#"2026/11/22 08:40:03 [error] 1#1: *1 x, client: 192.0.2.1, server: s, request: "GET /a"b?c HTTP/1.1", host: "h""#,
                &[
                    (Unknown, "x"),
                    (Client, "192.0.2.1"),
                    (Text, "s"),
                    (Request, r#"GET /a"b?c HTTP/1.1"#),
                    (Unknown, "h"),
                ],
            ),
            (
                // Cut by the line-length limit inside a quoted value.
                r#"2026/11/22 08:40:03 [error] 1#1: *1 x, client: 192.0.2.1, server: s, request: "GET /long?tok=1"#,
                &[
                    (Unknown, "x"),
                    (Client, "192.0.2.1"),
                    (Text, "s"),
                    (Request, "GET /long?tok=1"),
                ],
            ),
            (
                // Stream: unquoted upstream and trailing byte counts.
                "2026/11/22 08:40:04 [error] 7#7: *3 connect() failed (111: Connection refused) while connecting to upstream, client: 2001:db8::7, server: [::]:443, upstream: 192.0.2.10:443, bytes from/to client:0/0, bytes from/to upstream:0/0",
                &[
                    (
                        Unknown,
                        "connect() failed (111: Connection refused) while connecting to upstream",
                    ),
                    (Client, "2001:db8::7"),
                    (Text, "[::]:443"),
                    (
                        Target,
                        "192.0.2.10:443, bytes from/to client:0/0, bytes from/to upstream:0/0",
                    ),
                ],
            ),
            (
                // Mail: address with a suffix, quoted login.
                r#"2026/11/22 08:40:05 [info] 7#7: *4 client login failed, client: 192.0.2.1 using starttls, server: 192.0.2.25:25, login: "bob""#,
                &[
                    (Unknown, "client login failed"),
                    (Client, "192.0.2.1"),
                    (Unknown, " using starttls"),
                    (Text, "192.0.2.25:25"),
                    (User, "bob"),
                ],
            ),
            (
                // The message itself mentions `, client: ` first.
                r#"2026/11/22 08:40:06 [error] 7#7: *5 FastCGI sent in stderr: "a, client: x" while reading upstream, client: 198.51.100.7, server: s"#,
                &[
                    (Unknown, r#"FastCGI sent in stderr: "a"#),
                    (Client, "x\""),
                    (Unknown, " while reading upstream"),
                    (Client, "198.51.100.7"),
                    (Text, "s"),
                ],
            ),
            ("2026/11/22 08:40:07 [warn] no ids", &[(Unknown, "no ids")]),
            ("2026/11/22 08:40:07 [warn] ", &[]),
        ];
        for (line, want) in cases {
            assert_eq!(
                spans(parse_nginx_error, line).as_deref(),
                Some(*want),
                "{line}"
            );
        }
    }

    #[test]
    fn an_address_in_the_apache_level_is_rewritten() {
        assert_eq!(
            spans(
                parse_apache_error,
                "[Sun Nov 22 08:41:08.289568 2026] [198.51.100.7:error] [pid 1] x"
            ),
            Some(vec![(Text, "198.51.100.7:error"), (Unknown, "x")])
        );
        let rules = Rules {
            parser: Parser::ApacheError,
            keep_query: false,
            referrer: ReferrerMode::Remove,
            keep_user: false,
            on_unparsed: OnUnparsed::Scrub,
            max_line: 1 << 20,
            candidates: Vec::new(),
            max_unparsed: crate::stats::Share::ONE_PERCENT,
        };
        let mut a = Anonymizer::new(&rules, Truncate::new(24, 48).unwrap());
        let mut out = Vec::new();
        let line = b"[Sun Nov 22 08:41:08.289568 2026] [2001:db8:abcd:12::746f] [pid 1] x\n";
        a.process_block(line, &mut out, &mut Stats::default())
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "[Sun Nov 22 08:41:08.289568 2026] [2001:db8:abcd::] [pid 1] x\n"
        );
    }

    #[test]
    fn apache_lines() {
        let cases: &[(&str, &[(FieldKind, &str)])] = &[
            (
                "[Sun Nov 22 08:41:15.668627 2026] [core:info] [pid 14703:tid 14752] [client 198.51.100.7:38498] AH00128: File does not exist: /x, referer: http://r.example/?a=1",
                &[
                    (Client, "198.51.100.7"),
                    (ClientPort, ":38498"),
                    (Unknown, " AH00128: File does not exist: /x"),
                    (Referer, "http://r.example/?a=1"),
                ],
            ),
            (
                "[Sun Dec 04 04:47:44 2005] [error] [client 198.51.100.7] Directory index forbidden by rule: /var/www/html/",
                &[
                    (Client, "198.51.100.7"),
                    (
                        Unknown,
                        " Directory index forbidden by rule: /var/www/html/",
                    ),
                ],
            ),
            (
                "[Sun Nov 22 08:41:15.668627 2026] [core:error] [pid 1:tid 2] [client 2001:db8::1:51234] AH00037: Symbolic link not allowed: /x",
                &[
                    (Client, "2001:db8::1"),
                    (ClientPort, ":51234"),
                    (Unknown, " AH00037: Symbolic link not allowed: /x"),
                ],
            ),
            (
                // A 4-digit port would also read as an IPv6 group: 2.4 always
                // writes the port.
                "[Sun Nov 22 08:41:15.668627 2026] [core:error] [pid 1] [client 2001:db8::1:5123] m",
                &[
                    (Client, "2001:db8::1"),
                    (ClientPort, ":5123"),
                    (Unknown, " m"),
                ],
            ),
            (
                // 2.2 writes no port.
                "[Sun Dec 04 04:47:44 2005] [error] [client 2001:db8::1:2] m",
                &[(Client, "2001:db8::1:2"), (Unknown, " m")],
            ),
            (
                "[Sun Dec 04 04:47:44 2005] [error] [client 2001:db8::1:51234] m",
                &[
                    (Client, "2001:db8::1"),
                    (ClientPort, ":51234"),
                    (Unknown, " m"),
                ],
            ),
            (
                "[Sun Nov 22 08:41:15.668627 2026] [:error] [pid 5] [client ::ffff:198.51.100.7:38498] PHP Warning: x",
                &[
                    (Client, "::ffff:198.51.100.7"),
                    (ClientPort, ":38498"),
                    (Unknown, " PHP Warning: x"),
                ],
            ),
            (
                "[Sun Nov 22 08:41:08.289568 2026] [auth_basic:error] [pid 14704:tid 14726] [client 198.51.100.7:54942] AH01618: user bob not found: /secret/x",
                &[
                    (Client, "198.51.100.7"),
                    (ClientPort, ":54942"),
                    (Unknown, " AH01618: user "),
                    (User, "bob"),
                    (Unknown, " not found: /secret/x"),
                ],
            ),
            (
                r#"[Sun Nov 22 08:41:08.289568 2026] [auth_basic:error] [pid 1:tid 2] [client 192.0.2.1:5] AH01617: user jane doe: authentication failure for "/s": Password Mismatch, referer: https://r/"#,
                &[
                    (Client, "192.0.2.1"),
                    (ClientPort, ":5"),
                    (Unknown, " AH01617: user "),
                    (User, "jane doe"),
                    (
                        Unknown,
                        r#": authentication failure for "/s": Password Mismatch"#,
                    ),
                    (Referer, "https://r/"),
                ],
            ),
            (
                "[Sun Nov 22 08:41:08.289568 2026] [core:error] [pid 1:tid 2] (13)Permission denied: [client 198.51.100.7:1] AH00035: access to / denied",
                &[
                    (Unknown, "(13)Permission denied: "),
                    (Client, "198.51.100.7"),
                    (ClientPort, ":1"),
                    (Unknown, " AH00035: access to / denied"),
                ],
            ),
            (
                "[Sun Nov 22 08:41:00.000001 2026] [mpm_event:notice] [pid 1:tid 2] AH00489: Apache/2.4.71 (Debian) configured -- resuming normal operations",
                &[(
                    Unknown,
                    "AH00489: Apache/2.4.71 (Debian) configured -- resuming normal operations",
                )],
            ),
            (
                "[Sun Dec 04 04:47:44 2005] [notice] jk2_init() Found child 6725 in scoreboard slot 10",
                &[(Unknown, "jk2_init() Found child 6725 in scoreboard slot 10")],
            ),
            (
                "[Sun Nov 22 08:41:00.000001 2026] [proxy:error] [pid 1:tid 2] [remote 192.0.2.10:8080] AH01084: pass request body failed",
                &[
                    (Client, "192.0.2.10"),
                    (Unknown, " AH01084: pass request body failed"),
                ],
            ),
            (
                // Not an address: the whole token goes to the client rule.
                "[Sun Nov  2 08:41:00 2026] [error] [client unknown] m",
                &[(Client, "unknown"), (Unknown, " m")],
            ),
            ("[Sun Dec 04 04:47:44 2005] [error]", &[]),
        ];
        for (line, want) in cases {
            assert_eq!(
                spans(parse_apache_error, line).as_deref(),
                Some(*want),
                "{line}"
            );
        }
    }

    #[test]
    fn rejects_other_lines() {
        let lines = [
            "",
            "garbage",
            "2026-11-22 08:39:58 [error] 1#1: x",
            "2026/11/22 08:39:58 [ERROR] 1#1: x",
            "2026/11/22 08:39:58 error 1#1: x",
            "2026/11/22 08:39:58 [] x",
            "2026/11/22 8:39:58 [error] x",
            "[Sun Nov 22 08:41:15.668627 2026] [core:info] [pid 1] x",
            "[Sun Dec 04 04:47:44 2005] [error] [client 198.51.100.7] m",
            "AH00558: apache2: Could not reliably determine the server's fully qualified domain name",
            "[Sun Nov 22 2026] [error] x",
            "[Sun Nov 22 08:41:15. 2026] [error] x",
            "[Sun Nov 22 08:41:15 26] [error] x",
            "[Sun Nov 22 08:41:15 2026] x",
            "[Sun Nov 22 08:41:15 2026] [] x",
            "[Sun Nov 22 08:41:15 2026] [err or] x",
            "[Sun Nov 22 08:41:15 2026] [error]x",
            "198.51.100.7 - - [22/Nov/2026:08:38:17 +0000] \"GET / HTTP/1.1\" 200 3 \"-\" \"-\"",
            "{\"remote_addr\":\"198.51.100.7\"}",
        ];
        for (i, line) in lines.iter().enumerate() {
            let mut f = Fields::new();
            // Lines 7 and 8 are valid Apache lines, the rest neither.
            assert!(!parse_nginx_error(line.as_bytes(), &mut f), "nginx: {line}");
            assert_eq!(
                parse_apache_error(line.as_bytes(), &mut f),
                i == 7 || i == 8,
                "apache: {line}"
            );
        }
    }

    fn anon(parser: Parser, input: &str) -> String {
        let rules = Rules {
            parser,
            keep_query: false,
            referrer: ReferrerMode::Remove,
            keep_user: false,
            on_unparsed: OnUnparsed::Fail,
            max_line: 1 << 20,
            candidates: Vec::new(),
            max_unparsed: crate::stats::Share::ONE_PERCENT,
        };
        let mut a = Anonymizer::new(&rules, Truncate::new(24, 48).unwrap());
        let mut out = Vec::new();
        let mut stats = Stats::default();
        a.process_block(input.as_bytes(), &mut out, &mut stats)
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn anonymized_nginx_lines() {
        let cases = [
            (
                r#"2026/11/22 08:39:58 [error] 13569#13569: *2 connect() failed (111: Connection refused) while connecting to upstream, client: 198.51.100.7, server: , request: "GET /up/abc?sid=42 HTTP/1.1", upstream: "http://192.0.2.10:8099/up/abc?sid=42", host: "192.0.2.10:8082", referrer: "http://ref/?a=b""#,
                r#"2026/11/22 08:39:58 [error] 13569#13569: *2 connect() failed (111: Connection refused) while connecting to upstream, client: 198.51.100.0, server: , request: "GET /up/abc HTTP/1.1", upstream: "http://192.0.2.0:8099/up/abc", host: "192.0.2.0", referrer: "-""#,
            ),
            (
                r#"2026/11/22 08:40:00 [error] 1#1: *9 user "bob" was not found in "/etc/nginx/htpasswd", client: 2001:db8:abcd:12::1, server: localhost, request: "GET /secret HTTP/1.1", host: "localhost""#,
                r#"2026/11/22 08:40:00 [error] 1#1: *9 user "-" was not found in "/etc/nginx/htpasswd", client: 2001:db8:abcd::, server: localhost, request: "GET /secret HTTP/1.1", host: "localhost""#,
            ),
            (
                "2026/11/22 08:38:22 [info] 1#1: *6 client 192.0.2.77 closed keepalive connection, client: unix:, server: unix:/run/s.sock",
                "2026/11/22 08:38:22 [info] 1#1: *6 client 192.0.2.0 closed keepalive connection, client: 0.0.0.0, server: unix:/run/s.sock",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(anon(Parser::NginxError, input), want, "input: {input}");
        }
    }

    #[test]
    fn anonymized_apache_lines() {
        let cases = [
            (
                r"[Sun Nov 22 08:41:15.668627 2026] [core:info] [pid 14703:tid 14752] [client 198.51.100.7:38498] AH00128: File does not exist: /var/www/caf\xc3\xa9, referer: http://r/\xe9t?q=1",
                r"[Sun Nov 22 08:41:15.668627 2026] [core:info] [pid 14703:tid 14752] [client 198.51.100.0] AH00128: File does not exist: /var/www/caf\xc3\xa9, referer: -",
            ),
            (
                "[Sun Nov 22 08:41:08.289568 2026] [auth_basic:error] [pid 14704:tid 14726] [client 2001:db8:abcd:12::1:54942] AH01618: user bob not found: /secret/x",
                "[Sun Nov 22 08:41:08.289568 2026] [auth_basic:error] [pid 14704:tid 14726] [client 2001:db8:abcd::] AH01618: user - not found: /secret/x",
            ),
            (
                "[Sun Dec 04 04:47:44 2005] [error] [client 198.51.100.7] Directory index forbidden by rule: /srv/192.0.2.5/",
                "[Sun Dec 04 04:47:44 2005] [error] [client 198.51.100.0] Directory index forbidden by rule: /srv/192.0.2.0/",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(anon(Parser::ApacheError, input), want, "input: {input}");
        }
    }

    /// The message text gets the unparsed-line treatment; the exact bytes
    /// kept around a cut are the scrubber's business, so this checks what
    /// must go and what must stay.
    #[test]
    fn message_text_is_scrubbed_and_client_ports_go() {
        let cases: [(Parser, &str, &[&str], &[&str]); 4] = [
            (
                Parser::ApacheError,
                "[Sun Nov 22 08:41:15.668627 2026] [core:info] [pid 1:tid 2] [client 198.51.100.7:57152] AH00128: File does not exist: /var/www/r/19;jsessionid=JS19ABC",
                &["[client 198.51.100.0] AH00128: File does not exist: /var/www/r/19"],
                &["JS19ABC", "jsessionid", "57152", "198.51.100.7"],
            ),
            (
                Parser::ApacheError,
                "[Sun Nov 22 08:41:15.668627 2026] [core:error] [pid 1:tid 2] [client 2001:db8:abcd:12::1:57152] AH10244: invalid URI path (/../../etc/passwd?token=secret4)",
                &["[client 2001:db8:abcd::] AH10244: invalid URI path (/../../etc/passwd"],
                &["secret4", "token", "57152"],
            ),
            (
                // A backend's port is the server's: kept.
                Parser::ApacheError,
                "[Sun Nov 22 08:41:00.000001 2026] [proxy:error] [pid 1:tid 2] [remote 192.0.2.10:8080] AH01084: pass request body failed to /p?sid=9",
                &["[remote 192.0.2.0:8080] AH01084: pass request body failed to /p"],
                &["sid=9"],
            ),
            (
                Parser::NginxError,
                r#"2026/11/22 08:39:58 [error] 1#1: *2 open() "/srv/r/19;jsessionid=JS19ABC" failed, client: 198.51.100.7, server: s, request: "GET /r/19;jsessionid=JS19ABC?a=b HTTP/1.1", upstream: "http://u:pw@192.0.2.10:8099/up?sid=42", host: "192.0.2.10:8082""#,
                &[
                    r#"open() "/srv/r/19"#,
                    r#"client: 198.51.100.0, server: s, request: "GET /r/19 HTTP/1.1", upstream: "http://192.0.2.0:8099/up", host: "192.0.2.0"#,
                ],
                &["JS19ABC", "sid=42", "a=b", "u:pw", "198.51.100.7"],
            ),
        ];
        for (parser, input, keep, gone) in cases {
            let out = anon(parser, input);
            for k in keep {
                assert!(out.contains(k), "{k:?} missing from {out}");
            }
            for g in gone {
                assert!(!out.contains(g), "{g:?} survived in {out}");
            }
        }
    }

    /// Every prefix of every sample parses without panicking, into spans
    /// that are ascending, disjoint and inside the line.
    #[test]
    fn truncated_lines_never_panic() {
        let samples = [
            r#"2026/11/22 08:39:58 [error] 1234#1234: *5 user "bob" was not found in "/x", client: 198.51.100.7, server: x, request: "GET /?a=b HTTP/1.1", upstream: "http://192.0.2.10/", host: "h", referrer: "https://r/?q=1", login: "u""#,
            "[Sun Nov 22 08:41:08.289568 2026] [auth_basic:error] [pid 14704:tid 14726] (13)x: [client 2001:db8::1:54942] AH01618: user bob not found: /s, referer: http://r/",
            "[Sun Dec 04 04:47:44 2005] [error] [remote 198.51.100.7] user x: authentication failure for \"/\"",
        ];
        let mut f = Fields::new();
        for line in samples {
            let line = line.as_bytes();
            for end in 0..=line.len() {
                let l = &line[..end];
                for parse in [parse_nginx_error as Parse, parse_apache_error] {
                    if parse(l, &mut f) {
                        let mut last = 0;
                        for s in f.spans() {
                            assert!(last <= s.start && s.start <= s.end && s.end <= l.len());
                            last = s.end;
                        }
                    }
                }
            }
        }
    }
}
