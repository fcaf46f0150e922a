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

mod apache;
mod nginx;

use memchr::memmem;

use super::FieldKind::{self, *};
use super::{Fields, Span};
pub use apache::parse_apache_error;
pub use nginx::parse_nginx_error;

/// Pushes a span; empty text spans are skipped (they would copy nothing).
#[inline]
pub(super) fn push(fields: &mut Fields, kind: FieldKind, start: usize, end: usize) {
    if matches!(kind, Text | Unknown) && start == end {
        return;
    }
    fields.push(Span { kind, start, end });
}

/// A user name in a message: the name follows `prefix` (at the start of the
/// message or after a space) and ends at the nearest of `suffixes`.
pub(super) type UserPattern = (&'static [u8], &'static [&'static [u8]]);

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
pub(super) fn message(
    line: &[u8],
    start: usize,
    end: usize,
    patterns: &[UserPattern],
    fields: &mut Fields,
) {
    match find_user(&line[start..end], patterns) {
        Some((us, ue)) => {
            push(fields, Unknown, start, start + us);
            push(fields, User, start + us, start + ue);
            push(fields, Unknown, start + ue, end);
        }
        None => push(fields, Unknown, start, end),
    }
}

pub(super) fn digits(s: &[u8]) -> usize {
    s.iter().take_while(|b| b.is_ascii_digit()).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::Truncate;
    use crate::anonymize::{Anonymizer, OnUnparsed, Rules};
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
        let rules = Rules::new(Parser::ApacheError);
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
            let got = spans(parse_apache_error, line).unwrap();
            // Every line starts with its `[module:level]` as text.
            let level = &line[line.find("] [").unwrap() + 3..];
            let level = &level[..level.find(']').unwrap()];
            assert_eq!(got[0], (Text, level), "{line}");
            assert_eq!(&got[1..], *want, "{line}");
        }
        let out = anon(
            Parser::ApacheError,
            "[Sun Nov 22 08:41:15.668627 2026] [core198.51.100.7:info] [pid 1] [client 192.0.2.1:5] x",
        );
        assert!(!out.contains("198.51.100.7"), "{out}");
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
            on_unparsed: OnUnparsed::Fail,
            ..Rules::new(parser)
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
