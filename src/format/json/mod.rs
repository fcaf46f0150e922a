//! `-f json`: one JSON object per line (nginx `log_format … escape=json`,
//! Caddy, Traefik). Layouts: shared/reference/formats.md 1.2, 1.4, 3.
//!
//! A byte-level scanner walks the object without decoding or allocating: it
//! tracks the dotted key path of nested objects (`request.headers.Cookie`)
//! and reports one [`Span`] per string value, the bytes between the quotes,
//! still escaped, with a [`FieldKind`] chosen by key (rules, then the
//! name families below). Object keys are reported
//! as [`FieldKind::Text`] spans too: Caddy logs header names as keys, and
//! those are chosen by the client. Numbers, booleans and `null` get no span
//! and are kept. Everything outside spans (structure, whitespace, key quotes)
//! is copied byte for byte, so the output is the input with field contents
//! rewritten, never a re-serialization.
//!
//! Strings are scanned, not validated: a `"` preceded by an odd number of
//! backslashes does not end a string, and any other byte is accepted inside
//! one. That reads nginx `escape=json` output, which passes bytes >= 0x7F
//! through raw (invalid UTF-8), and also the common mistake of a JSON-shaped
//! `log_format` without `escape=json`, whose `\x22` escapes are not JSON but
//! can never end a string. The structure (objects, arrays, `:` and `,`,
//! number and literal grammar) is checked strictly, and a line that is not a
//! single object, give or take surrounding whitespace, is not parsed.
//!
//! Limits, by design:
//! - Escaped content is never unescaped, so an IP literal written with JSON
//!   escapes (`198\u002e51\u002e100\u002e7`) is not recognised in a text
//!   value, and a client value written that way is not an address (it
//!   becomes `0.0.0.0`). nginx and Caddy never escape digits, dots or colons.
//! - Rules apply to string values, and to each string element of an array
//!   (Caddy logs headers as arrays of strings). A bare number under a
//!   personal key (`"user_id":42`, `"client_port":51234`) becomes `null`
//!   ([`FieldKind::SecretScalar`]): `-` would not be JSON. Other numbers,
//!   `true`, `false` and `null` are kept.
//! - Nesting deeper than 32 objects and arrays is not parsed.
//!
//! # Keys without a rule
//!
//! A string value whose key no rule names (neither a default nor a
//! `--json-key` rule, matched on the full path or the last key) is
//! classified by its last key's name, ASCII case-insensitively, the first
//! family that applies winning:
//!
//! | Last key contains | Kind |
//! |---|---|
//! | `user_agent`, `useragent`, `user-agent` | UserAgent |
//! | `cookie`, `auth`, `token`, `session`, `passw`, `secret`, `key`, `signature`, `jwt`, `csrf`, `xsrf`, `credential`, `mail`, `phone` | Secret |
//! | `referer`, `referrer` | Referer |
//! | `user` | User |
//! | `query`, `args` | Query |
//! | `url`, `uri`, `path` | Target |
//! | the word `ip` (`ip`, `client_ip`, `ipAddress`, `ip6`; not `zip`), `addr`, a leading `client`, `forwarded` (but not with `proto`) | ForwardedFor, or Secret when it also contains `port` |
//!
//! Everything else is [`FieldKind::Unknown`]: kept when inert (numbers,
//! durations, `-`), truncated when a list of addresses, scrubbed
//! otherwise; [`JsonFormat::parse_noting`] records those keys for
//! `--stats`.
//!
//! Why this order: secrets come before users and targets, so
//! `user_token`, `session_url` and `auth_path` are removed rather than
//! kept as a user or cut as a URL; e-mail addresses are Secret because a
//! masked address would still be an address-shaped token of the user;
//! referrers before targets (`referer_url` follows `--referrer`); users
//! before addresses (`ClientUsername`); queries before targets, since a
//! bare query (`a=b`) has no `?` for the target rule to cut at; a client
//! port narrows a truncated address back down to one client, as
//! `remote_port` does, hence `client_port` is Secret. The address rule is
//! ForwardedFor rather than Client: a list is truncated entry by entry,
//! `-` stays `-`, and junk becomes `-` instead of `0.0.0.0`.
mod keys;
mod rules;
mod scan;

use super::FieldKind::{self, *};
use super::Fields;
pub use keys::KeyNotes;
use keys::family;
use rules::DEFAULTS;
pub use rules::RULES;

#[derive(Clone, Debug)]
struct Rule {
    /// ASCII-lowercased.
    key: Box<[u8]>,
    kind: FieldKind,
}

/// `rule` (lowercase) equals `key` ASCII case-insensitively.
#[inline]
fn eq_lower(rule: &[u8], key: &[u8]) -> bool {
    rule.len() == key.len()
        && rule
            .iter()
            .zip(key)
            .all(|(&r, &k)| r == k.to_ascii_lowercase())
}

/// The JSON line format: key rules and the scanner.
///
/// A rule's key matches a value whose full dotted key path equals it
/// (`request.headers.Cookie`) or whose last key equals it (`Cookie`), ASCII
/// case-insensitively (header names are case-insensitive, and Caddy and
/// Traefik spell them differently). When several rules match, the one added
/// last wins, so `--json-key` rules override the defaults. String values that
/// no rule matches are classified by key name (see the module docs), else
/// [`FieldKind::Unknown`].
#[derive(Clone, Debug)]
pub struct JsonFormat {
    rules: Vec<Rule>,
    /// Classify keys without a rule by name ([`JsonFormat::new`]).
    families: bool,
    /// Indices into `rules` by key length, ascending: a key only ever
    /// compares with rules of its own length.
    by_len: Vec<Vec<usize>>,
    /// The same for the rules whose key has a `.`, the only ones that can
    /// match a full path of more than one key.
    dotted_by_len: Vec<Vec<usize>>,
}

impl Default for JsonFormat {
    fn default() -> Self {
        Self::new()
    }
}

impl JsonFormat {
    /// The defaults, covering common nginx JSON recipes, Caddy and Traefik,
    /// and the key name families.
    pub fn new() -> Self {
        let mut f = JsonFormat::empty();
        f.families = true;
        for &(key, kind) in DEFAULTS {
            f.set(key, kind);
        }
        f
    }

    /// A format with no key rules and no name families: every string value
    /// is [`FieldKind::Unknown`] until rules are added.
    pub fn empty() -> Self {
        JsonFormat {
            rules: Vec::new(),
            families: false,
            by_len: Vec::new(),
            dotted_by_len: Vec::new(),
        }
    }

    /// Adds a `--json-key KEY=RULE` rule, where RULE is one of `addr`,
    /// `xff`, `user`, `request`, `uri`, `query`, `referrer`, `secret`,
    /// `text`, `keep` (see [`RULES`]). It replaces any earlier rule for the
    /// same key, default or not. KEY is a dotted path (`request.headers.X-Token`)
    /// or a bare key; it cannot contain `=` (the spec is split at the last one).
    /// The error says what is wrong with the spec, not which option gave
    /// it: the caller names the option.
    pub fn add_rule(&mut self, spec: &str) -> Result<(), String> {
        let Some((key, rule)) = spec.rsplit_once('=') else {
            return Err("expected KEY=RULE".to_owned());
        };
        if key.is_empty() {
            return Err("empty key".to_owned());
        }
        let Some(&(_, kind)) = RULES.iter().find(|(name, _)| *name == rule) else {
            let names: Vec<&str> = RULES.iter().map(|(n, _)| *n).collect();
            return Err(format!(
                "unknown rule {rule:?} (expected one of {})",
                names.join(", ")
            ));
        };
        self.set(key, kind);
        Ok(())
    }

    fn set(&mut self, key: &str, kind: FieldKind) {
        let key = key.to_ascii_lowercase().into_bytes();
        self.rules.retain(|r| *r.key != *key);
        self.rules.push(Rule {
            key: key.into(),
            kind,
        });
        self.by_len.clear();
        self.dotted_by_len.clear();
        for (i, r) in self.rules.iter().enumerate() {
            let n = r.key.len();
            if self.by_len.len() <= n {
                self.by_len.resize(n + 1, Vec::new());
            }
            self.by_len[n].push(i);
            if r.key.contains(&b'.') {
                if self.dotted_by_len.len() <= n {
                    self.dotted_by_len.resize(n + 1, Vec::new());
                }
                self.dotted_by_len[n].push(i);
            }
        }
    }

    /// The kind rules give a value at the dotted `path` (for tests and
    /// diagnostics; parsing does not build path strings).
    pub fn kind_of(&self, path: &str) -> FieldKind {
        let last = path.rsplit('.').next().unwrap_or(path).as_bytes();
        self.rules
            .iter()
            .rev()
            .find(|r| eq_lower(&r.key, last) || eq_lower(&r.key, path.as_bytes()))
            .map_or_else(|| self.unruled(last), |r| r.kind)
    }

    /// The kind of a value whose last key `last` no rule names.
    #[inline]
    fn unruled(&self, last: &[u8]) -> FieldKind {
        if self.families { family(last) } else { Unknown }
    }

    /// Parses one line (without terminator) into `fields`: one span per
    /// string value (between its quotes) and per object key. `false` means
    /// the line is not a single JSON object (after optional surrounding
    /// whitespace) and must take the fail-closed path.
    pub fn parse(&self, line: &[u8], fields: &mut Fields) -> bool {
        self.scan(line, fields, None)
    }

    /// [`JsonFormat::parse`], also recording in `notes` the dotted path of
    /// every string value (or array) that got [`FieldKind::Unknown`].
    /// Allocates only for a path `notes` has not seen.
    pub fn parse_noting(&self, line: &[u8], fields: &mut Fields, notes: &mut KeyNotes) -> bool {
        self.scan(line, fields, Some(notes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::Truncate;
    use crate::anonymize::{Anonymizer, OnUnparsed, Rules};
    use crate::format::Parser;
    use crate::stats::Stats;

    type Expected<'a> = &'a [(FieldKind, &'a [u8])];

    /// The value spans (keys left out) as (kind, bytes).
    fn values<'a>(f: &JsonFormat, line: &'a [u8]) -> Option<Vec<(FieldKind, &'a [u8])>> {
        let mut fields = Fields::new();
        if !f.parse(line, &mut fields) {
            return None;
        }
        let spans = fields.spans();
        for w in spans.windows(2) {
            assert!(w[0].end <= w[1].start, "spans ascending and disjoint");
        }
        Some(
            spans
                .iter()
                // A key span is followed by `":`.
                .filter(|s| line.get(s.end..s.end + 2) != Some(b"\":"))
                .map(|s| (s.kind, &line[s.start..s.end]))
                .collect(),
        )
    }

    #[test]
    fn nginx_escape_json_lines() {
        let f = JsonFormat::new();
        let cases: &[(&[u8], Expected)] = &[
            (
                br#"{"time":"2026-11-22T08:38:17+00:00","remote_addr":"198.51.100.7","remote_user":"","request":"GET /p?a=\"b\" HTTP/1.1","status":200,"body_bytes_sent":3,"request_time":0.001,"http_referer":"http://r/?q=1","http_user_agent":"ua \"q\" \\","http_x_forwarded_for":"203.0.113.9, 192.0.2.1"}"#,
                &[
                    (Unknown, b"2026-11-22T08:38:17+00:00"),
                    (Client, b"198.51.100.7"),
                    (User, b""),
                    (Request, br#"GET /p?a=\"b\" HTTP/1.1"#),
                    (Referer, b"http://r/?q=1"),
                    (UserAgent, br#"ua \"q\" \\"#),
                    (ForwardedFor, b"203.0.113.9, 192.0.2.1"),
                ],
            ),
            (
                // Raw bytes >= 0x80 pass through nginx escape=json.
                b"{\"remote_addr\":\"2001:db8::1\",\"http_referer\":\"http://r/\xE9t\xC3\xA9\",\"ua\":\"\x7F\xFF\",\"args\":\"x=1\"}",
                &[
                    (Client, b"2001:db8::1"),
                    (Referer, b"http://r/\xE9t\xC3\xA9"),
                    (Unknown, b"\x7F\xFF"),
                    (Query, b"x=1"),
                ],
            ),
            (
                // Matomo's recipe, with spaces after the colons.
                br#"  {"ip": "192.0.2.44", "host": "example.com", "path": "/a?b=c", "status": "200", "referrer": "-", "user_agent": "curl", "length": 1, "generation_time_milli": 0.0, "date": "2026-11-22T08:38:17+00:00"}  "#,
                &[
                    (Client, b"192.0.2.44"),
                    (Unknown, b"example.com"),
                    (Target, b"/a?b=c"),
                    (Unknown, b"200"),
                    (Referer, b"-"),
                    (UserAgent, b"curl"),
                    (Unknown, b"2026-11-22T08:38:17+00:00"),
                ],
            ),
            (
                // escape=json forgotten: `\x22` cannot end a string.
                br#"{"request":"GET /\x22 HTTP/1.1","e":"\\","n":null,"t":true,"f":false,"x":-1.5e+3}"#,
                &[(Request, br#"GET /\x22 HTTP/1.1"#), (Unknown, br"\\")],
            ),
            (b"{}", &[]),
        ];
        for (line, want) in cases {
            assert_eq!(
                values(&f, line).as_deref(),
                Some(*want),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn caddy_nested_objects_and_header_arrays() {
        let f = JsonFormat::new();
        let line = br#"{"level":"info","ts":1761019828.6153953,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"198.51.100.7","remote_port":"46628","client_ip":"203.0.113.5","proto":"HTTP/1.1","method":"GET","host":"localhost","uri":"/?x=1","headers":{"Referer":["https://r.example/?q=1"],"Cookie":["a=b","c=d"],"User-Agent":["Mozilla/5.0"],"X-Forwarded-For":["203.0.113.5"],"If-None-Match":["\"ddnp\""]},"tls":{"server_name":"example.com"}},"bytes_read":0,"user_id":"bob","duration":0.001,"size":0,"status":304,"resp_headers":{"Server":["Caddy"],"Set-Cookie":["s=1"]}}"#;
        let want: &[(FieldKind, &[u8])] = &[
            (Unknown, b"info"),
            (Unknown, b"http.log.access"),
            (Unknown, b"handled request"),
            (Client, b"198.51.100.7"),
            (Secret, b"46628"),
            (Client, b"203.0.113.5"),
            (Unknown, b"HTTP/1.1"),
            (Unknown, b"GET"),
            (Unknown, b"localhost"),
            (Target, b"/?x=1"),
            (Referer, b"https://r.example/?q=1"),
            (Secret, b"a=b"),
            (Secret, b"c=d"),
            (UserAgent, b"Mozilla/5.0"),
            (ForwardedFor, b"203.0.113.5"),
            (Unknown, br#"\"ddnp\""#),
            (Unknown, b"example.com"),
            (User, b"bob"),
            (Unknown, b"Caddy"),
            (Secret, b"s=1"),
        ];
        assert_eq!(values(&f, line).as_deref(), Some(want));
        // Keys get text spans too.
        let mut fields = Fields::new();
        assert!(f.parse(line, &mut fields));
        assert_eq!(
            &line[fields.spans()[0].start..fields.spans()[0].end],
            b"level"
        );
    }

    #[test]
    fn key_rules() {
        let mut f = JsonFormat::new();
        let cases = [
            ("request.remote_ip", Client),
            ("remote_addr", Client),
            ("REMOTE_ADDR", Client),
            ("request.headers.cookie", Secret),
            ("x.y.Cookie", Secret),
            ("ClientAddr", Client),
            ("request", Request),
            ("request.uri", Target),
            ("a.referer", Referer),
            ("status", Unknown),
            ("request.headers.X-Token", Secret),
            ("request.headers.X-Trace", Unknown),
        ];
        for (path, kind) in cases {
            assert_eq!(f.kind_of(path), kind, "{path}");
        }
        f.add_rule("request.headers.X-Token=secret").unwrap();
        f.add_rule("uri=keep").unwrap();
        f.add_rule("sid=query").unwrap();
        f.add_rule("a=b=addr").unwrap();
        assert_eq!(f.kind_of("request.headers.X-Token"), Secret);
        f.add_rule("request.headers.X-Trace=keep").unwrap();
        assert_eq!(
            f.kind_of("other.X-Trace"),
            Unknown,
            "dotted rule: full path only"
        );
        assert_eq!(f.kind_of("request.uri"), Verbatim, "later rule wins");
        assert_eq!(f.kind_of("a=b"), Client);
        for bad in ["uri", "=keep", "uri=drop", "uri="] {
            assert!(f.add_rule(bad).is_err(), "{bad}");
        }
        let line =
            br#"{"request":{"uri":"/?a=1","headers":{"X-Token":["t"]}},"sid":"s","a=b":"x"}"#;
        assert_eq!(
            values(&f, line).unwrap(),
            vec![
                (Verbatim, &b"/?a=1"[..]),
                (Secret, b"t"),
                (Query, b"s"),
                (Client, b"x")
            ]
        );
        for (name, kind) in RULES {
            let mut g = JsonFormat::empty();
            g.add_rule(&format!("k={name}")).unwrap();
            assert_eq!(g.kind_of("k"), *kind);
        }
        assert_eq!(JsonFormat::empty().kind_of("remote_addr"), Unknown);
    }

    #[test]
    fn key_name_families() {
        let f = JsonFormat::new();
        let cases: &[(&str, FieldKind)] = &[
            // Targets: the query and `;jsessionid=` are cut.
            ("url", Target),
            ("request_url", Target),
            ("RequestURL", Target),
            ("url_path", Target),
            ("file_path", Target),
            ("original_uri", Target),
            // Queries.
            ("query", Query),
            ("query_params", Query),
            ("request_args", Query),
            // Users, and user agents.
            ("user_name", User),
            ("username", User),
            ("UserName", User),
            ("ClientUsername", User),
            ("remote_user", User),
            ("http_user_agent", UserAgent),
            ("useragent", UserAgent),
            ("request.headers.User-Agent", UserAgent),
            ("x_user-agent", UserAgent),
            // Referrers.
            ("referer", Referer),
            ("Referrer-Policy", Referer),
            ("referer_url", Referer),
            // Secrets, before users and targets.
            ("cookie", Secret),
            ("cookies", Secret),
            ("Set-Cookie", Secret),
            ("authorization", Secret),
            ("x-auth", Secret),
            ("access_token", Secret),
            ("session_id", Secret),
            ("sessionUrl", Secret),
            ("user_token", Secret),
            ("password", Secret),
            ("passwd", Secret),
            ("client_secret", Secret),
            ("x-api-key", Secret),
            ("email", Secret),
            ("user_email", Secret),
            ("mail", Secret),
            ("phone_number", Secret),
            // Addresses: ForwardedFor semantics, client ports secret.
            ("client_address", ForwardedFor),
            ("ip_address", ForwardedFor),
            ("sourceIp", ForwardedFor),
            ("clientIp", Client),
            ("IPAddress", ForwardedFor),
            ("source_ip", ForwardedFor),
            ("x_real_ip", ForwardedFor),
            ("ipv6", ForwardedFor),
            ("peer_addr", ForwardedFor),
            ("server_addr", ForwardedFor),
            ("client", ForwardedFor),
            ("client_id", ForwardedFor),
            ("forwarded", ForwardedFor),
            ("X-Original-Forwarded-For", ForwardedFor),
            ("client_port", Secret),
            ("remote_ip_port", Secret),
            ("ClientPort", Secret),
            ("remote_port", Secret),
            // Rules before families.
            ("remote_addr", Client),
            ("client_ip", Client),
            ("upstream_addr", Text),
            ("request", Request),
            // No family: unknown.
            ("description", Unknown),
            ("zip", Unknown),
            ("zipcode", Unknown),
            ("recipient", Unknown),
            ("skip", Unknown),
            ("ship_to", Unknown),
            ("X-Forwarded-Proto", Unknown),
            ("server_port", Unknown),
            ("status", Unknown),
            ("time", Unknown),
            ("host", Unknown),
            ("msg", Unknown),
            ("ua", Unknown),
        ];
        for &(key, kind) in cases {
            assert_eq!(f.kind_of(key), kind, "{key}");
            // The scanner agrees with kind_of.
            let line = format!("{{\"{key}\":\"v\",\"o\":{{\"{key}\":[\"w\"]}}}}");
            assert_eq!(
                values(&f, line.as_bytes()).unwrap(),
                vec![(kind, &b"v"[..]), (kind, &b"w"[..])],
                "{line}"
            );
        }
        // A rule still beats a family; `--json-key` beats both.
        let mut g = JsonFormat::new();
        g.add_rule("session_url=uri").unwrap();
        assert_eq!(g.kind_of("session_url"), Target);
        // Without defaults there are no families either.
        assert_eq!(JsonFormat::empty().kind_of("url"), Unknown);
    }

    #[test]
    fn unknown_keys_are_noted_once_by_path() {
        let f = JsonFormat::new();
        let mut notes = KeyNotes::default();
        let mut fields = Fields::new();
        let lines: &[&[u8]] = &[
            br#"{"remote_addr":"192.0.2.1","msg":"a","ua":"b","n":1,"e":"","request":{"headers":{"X-Trace":["t"]}}}"#,
            br#"{"msg":"again","192.0.2.7":"x","jane@example.com":"y","h":{"caf\u00e9":"z"},"@timestamp":"t"}"#,
        ];
        assert!(f.parse_noting(lines[0], &mut fields, &mut notes));
        let first = notes.take();
        assert_eq!(first.shown(), ["msg", "ua", "e", "request.headers.X-Trace"]);
        assert_eq!(first.more(), 0);
        // Seen before: nothing new (and nothing allocated).
        assert!(f.parse_noting(lines[0], &mut fields, &mut notes));
        assert!(notes.take().is_empty());
        assert!(f.parse_noting(lines[1], &mut fields, &mut notes));
        let second = notes.take();
        // Keys that could carry an address or e-mail are only counted.
        assert_eq!(second.shown(), ["@timestamp"]);
        assert_eq!(second.more(), 3);
        assert!(f.parse_noting(lines[1], &mut fields, &mut notes));
        assert!(notes.take().is_empty());
        // The spans are those of `parse`.
        let mut plain = Fields::new();
        assert!(f.parse(lines[1], &mut plain));
        assert_eq!(plain.spans(), fields.spans());
    }

    #[test]
    fn arrays_of_objects_continue_the_path() {
        let f = JsonFormat::new();
        let line =
            br#"{"hops":[{"ip":"192.0.2.1"},[{"ip":"192.0.2.2"}]],"referer":["a",["b"],1,null]}"#;
        assert_eq!(
            values(&f, line).unwrap(),
            vec![
                (Client, &b"192.0.2.1"[..]),
                (Client, b"192.0.2.2"),
                (Referer, b"a"),
                (Referer, b"b"),
            ]
        );
    }

    #[test]
    fn rejects_non_objects() {
        let f = JsonFormat::new();
        let nested = |n: usize| format!("{}1{}", "{\"a\":[".repeat(n), "]}".repeat(n));
        let deep = nested(17);
        for line in [
            &b""[..],
            b"   ",
            b"[1,2]",
            b"\"str\"",
            b"42",
            b"null",
            b"{",
            b"{} {}",
            b"{}x",
            b"caddy  | {\"a\":1}",
            b"{\"a\":1,}",
            b"{\"a\" 1}",
            b"{\"a\":}",
            b"{\"a\":-}",
            b"{\"a\":01.}",
            b"{\"a\":1.e5}",
            b"{\"a\":tru}",
            b"{\"a\":1 \"b\":2}",
            b"{a:1}",
            b"{\"a\":\"unterminated}",
            b"{\"a\":\"esc\\\"}",
            b"{\"a\":[1,]}",
            b"{\"a\":[1}",
            b"{\"a\":\"x\"]",
            b"{\"a\":192.0.2.1}",
            b"192.0.2.1 - - [t] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"",
            deep.as_bytes(),
        ] {
            let mut fields = Fields::new();
            assert!(
                !f.parse(line, &mut fields),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
        assert!(f.parse(nested(16).as_bytes(), &mut Fields::new()));
    }

    /// Every prefix and every one-byte corruption of a sample parses without
    /// panicking, into spans that are ascending, disjoint and inside the line.
    #[test]
    fn mangled_lines_never_panic() {
        let f = JsonFormat::new();
        let line: &[u8] = br#" {"a":[{"ip":"192.0.2.1","b":[1,-2.5e3,true,null,"x\"y"]},{}],"request":{"headers":{"Cookie":["c"]}},"z":"\u00e9"} "#;
        let mut fields = Fields::new();
        let check = |l: &[u8], fields: &mut Fields| {
            if f.parse(l, fields) {
                let mut last = 0;
                for s in fields.spans() {
                    assert!(last <= s.start && s.start <= s.end && s.end <= l.len());
                    last = s.end;
                }
            }
        };
        for end in 0..=line.len() {
            check(&line[..end], &mut fields);
        }
        let mut m = line.to_vec();
        for i in 0..line.len() {
            for b in [b'"', b'\\', b'{', b'}', b'[', b']', b':', b',', b'1', b' '] {
                m[i] = b;
                check(&m, &mut fields);
            }
            m[i] = line[i];
        }
        assert!(f.parse(line, &mut fields));
    }

    fn anon(parser: Parser, input: &[u8]) -> Vec<u8> {
        let rules = Rules {
            on_unparsed: OnUnparsed::Fail,
            ..Rules::new(parser)
        };
        let mut a = Anonymizer::new(&rules, Truncate::new(24, 48).unwrap());
        let mut out = Vec::new();
        let mut stats = Stats::default();
        a.process_block(input, &mut out, &mut stats).unwrap();
        assert_eq!(stats.parsed, stats.lines_read);
        out
    }

    #[test]
    fn anonymized_lines() {
        let p = || Parser::Json(JsonFormat::new());
        let cases: &[(&[u8], &[u8])] = &[
            (
                br#"{"level":"info","ts":1761019828.6153953,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"198.51.100.77","remote_port":"46628","client_ip":"2001:db8:abcd:12::1","proto":"HTTP/1.1","method":"GET","host":"www.example.com","uri":"/search?q=jane%40example.com","headers":{"Referer":["https://ref.example.org/p?token=abc"],"Cookie":["session=abc"],"User-Agent":["Mozilla/5.0 (X11) 192.0.2.9"],"X-Forwarded-For":["203.0.113.9, unknown"],"If-None-Match":["\"ddnp8sh5vg3i58\""]}},"bytes_read":0,"user_id":"alice","duration":0.001674508,"size":0,"status":304,"resp_headers":{"Etag":["\"ddnp8sh5vg3i58\""],"Server":["Caddy"]}}"#,
                br#"{"level":"info","ts":1761019828.6153953,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"198.51.100.0","remote_port":"-","client_ip":"2001:db8:abcd::","proto":"HTTP/1.1","method":"GET","host":"www.example.com","uri":"/search","headers":{"Referer":["-"],"Cookie":["-"],"User-Agent":["Mozilla/5.0 (X11) 192.0.2.0"],"X-Forwarded-For":["203.0.113.0, -"],"If-None-Match":["\"ddnp8sh5vg3i58\""]}},"bytes_read":0,"user_id":"-","duration":0.001674508,"size":0,"status":304,"resp_headers":{"Etag":["\"ddnp8sh5vg3i58\""],"Server":["Caddy"]}}"#,
            ),
            (
                b"{\"time\":\"2026-11-22T08:38:17+00:00\",\"remote_addr\":\"198.51.100.7\",\"remote_user\":\"bob\",\"request\":\"GET /a\\\"b?c=\\\"d\\\" HTTP/1.1\",\"status\":200,\"http_referer\":\"http://r/\xE9t?q=1\",\"http_user_agent\":\"ua\x7F\xFF\",\"http_cookie\":\"sid=1\",\"args\":\"c=d\",\"upstream_addr\":\"192.0.2.10:8080\"}\r\n",
                b"{\"time\":\"2026-11-22T08:38:17+00:00\",\"remote_addr\":\"198.51.100.0\",\"remote_user\":\"-\",\"request\":\"GET /a\\\"b HTTP/1.1\",\"status\":200,\"http_referer\":\"-\",\"http_user_agent\":\"ua\x7F\xFF\",\"http_cookie\":\"-\",\"args\":\"-\",\"upstream_addr\":\"192.0.2.0:8080\"}\r\n",
            ),
            (
                // Traefik: `ip:port` client, non-address host.
                br#"{"ClientAddr":"[2001:db8::1]:51234","ClientHost":"client.example","ClientUsername":"-","RequestPath":"/x;jsessionid=S?y","request_Referer":"","Overhead":0}"#,
                br#"{"ClientAddr":"2001:db8::","ClientHost":"0.0.0.0","ClientUsername":"-","RequestPath":"/x","request_Referer":"-","Overhead":0}"#,
            ),
            (
                // Numbers under personal keys become null; others stay.
                br#"{"client_port":51234,"user_id":42,"ip":3325256815,"session":[1,-2.5e3],"status":200,"size":-3.5e2,"ok":true}"#,
                br#"{"client_port":null,"user_id":null,"ip":null,"session":[null,null],"status":200,"size":-3.5e2,"ok":true}"#,
            ),
            (
                // Client-chosen header names are scrubbed like text.
                br#"{"request":{"headers":{"X-198.51.100.7":["v"]}}}"#,
                br#"{"request":{"headers":{"X-198.51.100.0":["v"]}}}"#,
            ),
        ];
        for (input, want) in cases {
            let out = anon(p(), input);
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(want),
                "input: {}",
                String::from_utf8_lossy(input)
            );
        }
    }

    /// The real Caddy sample (seen through `docker compose logs`, so each
    /// line has a `caddy  | ` prefix, stripped here): every line parses, and
    /// no client address survives.
    #[test]
    fn corpus_caddy_log() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/corpus/lnav/logfile_caddy_log.0"
        );
        let Ok(data) = std::fs::read(path) else {
            assert!(std::env::var_os("CI").is_none(), "{path} is missing");
            eprintln!("SKIPPED: {path} is missing");
            return;
        };
        let mut input = Vec::new();
        for line in data.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let start = line.iter().position(|&b| b == b'{').expect("JSON part");
            input.extend_from_slice(&line[start..]);
            input.push(b'\n');
        }
        let format = JsonFormat::new();
        let mut clients = Vec::new();
        let mut fields = Fields::new();
        for line in input.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            assert!(format.parse(line, &mut fields));
            for s in fields.spans().iter().filter(|s| s.kind == Client) {
                clients.push(format!(
                    "\"{}\"",
                    String::from_utf8_lossy(&line[s.start..s.end])
                ));
            }
        }
        assert_eq!(clients.len(), 8, "remote_ip and client_ip of 4 requests");
        let out = anon(Parser::Json(format), &input);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text.lines().count(),
            input.split(|&b| b == b'\n').count() - 1
        );
        for c in &clients {
            assert!(!text.contains(c.as_str()), "{c} survived");
        }
        assert_eq!(text.matches("\"Cookie\":[\"-\"]").count(), 4);
    }
}
