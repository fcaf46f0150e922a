//! Tests of the scrubber's rules.

// One module for the whole file, so that line counters see test code.
#[cfg(test)]
mod cases {
    use super::super::text::escape_len;
    use super::super::*;
    use crate::addr::{Addr, scrub_text};
    use crate::anonymize::ReferrerMode;
    use proptest::prelude::*;

    /// Zeroes the host part: /24 for IPv4, /48 for IPv6.
    struct Truncate;
    impl AddrRewrite for Truncate {
        fn rewrite(&mut self, addr: Addr) -> Addr {
            match addr {
                Addr::V4(a) => Addr::V4(a & 0xffff_ff00),
                Addr::V6(a) => Addr::V6(a & !((1u128 << 80) - 1)),
            }
        }
    }

    const POLICY: ScrubPolicy = ScrubPolicy {
        keep_query: false,
        referrer: crate::anonymize::ReferrerMode::Remove,
        keep_user: false,
    };

    /// The policy of the first table: absolute URLs kept (minus query and
    /// userinfo), which is what the scrubber did to every URL before the
    /// referrer rule.
    const KEEP: ScrubPolicy = ScrubPolicy {
        referrer: ReferrerMode::Keep,
        ..POLICY
    };

    fn scrub(line: &[u8]) -> (Vec<u8>, ScrubCounts) {
        scrub_with(&POLICY, line)
    }

    fn scrub_with(policy: &ScrubPolicy, line: &[u8]) -> (Vec<u8>, ScrubCounts) {
        // Something already in `out` must stay there.
        let mut out = b"kept:".to_vec();
        let counts = scrub_line(&mut Truncate, policy, line, &mut out);
        assert_eq!(&out[..5], b"kept:");
        (out.split_off(5), counts)
    }

    fn show(b: &[u8]) -> String {
        String::from_utf8_lossy(b).into_owned()
    }

    #[test]
    fn scrub_line_table() {
        // (input, expected output, addresses, queries), under `KEEP`: under
        // `POLICY` (Remove) the absolute URLs below become `-`, see
        // `referrer_policy_table`.
        let cases: &[(&[u8], &[u8], u32, u32)] = &[
            (b"", b"", 0, 0),
            (b"   \t ", b"   \t ", 0, 0),
            (b"hello world", b"hello world", 0, 0),
            (b"GET /search?q=x HTTP/1.1", b"GET /search HTTP/1.1", 0, 1),
            (b"\"http://example.com/p?token=abc\"", b"\"http://example.com/p\"", 0, 1),
            (b"Why?", b"Why?", 0, 0),
            (b"Why? Because.", b"Why? Because.", 0, 0),
            (b"a?b/c", b"a?b/c", 0, 0),
            (b"a?b/c?secret", b"a?b/c", 0, 1),
            (b"uri=/a?b", b"uri=/a", 0, 1),
            (b"GET:/p?x", b"GET:/p", 0, 1),
            (b"/?", b"/", 0, 1),
            (b"/a%3Fb", b"/a%3Fb", 0, 0),
            (b"'/a?b' </c?d> `/e?f`", b"'/a' </c> `/e`", 0, 3),
            (b"/a?b=1&c=/d?e f", b"/a f", 0, 1),
            // addresses
            (b"client 192.0.2.17 said hi", b"client 192.0.2.0 said hi", 1, 0),
            (b"http://198.51.100.23/x?ip=203.0.113.5", b"http://198.51.100.0/x", 1, 1),
            (b"\"198.51.100.23\"", b"\"198.51.100.0\"", 1, 0),
            (b"from=192.0.2.1,to=192.0.2.2", b"from=192.0.2.0,to=192.0.2.0", 2, 0),
            (b"1.2.3", b"1.2.3", 0, 0),
            // session ids, with or without a query, in any token
            (b"GET /shop;jsessionid=ABC123?x=1 HTTP/1.1", b"GET /shop HTTP/1.1", 0, 1),
            (b"/a;JSESSIONID=x/b", b"/a/b", 0, 0),
            (b"page;jsessionid=ABC", b"page", 0, 0),
            (b"x;jsessionid=1?y", b"x?y", 0, 0),
            (b"/192.0.2.8;jsessionid=1/198.51.100.9?q", b"/192.0.2.0/198.51.100.0", 2, 1),
            // escapes: copied verbatim, and they bound addresses
            (b"\\x22203.0.113.9\\x22", b"\\x22203.0.113.0\\x22", 1, 0),
            (b"\\\"203.0.113.9\\\"", b"\\\"203.0.113.0\\\"", 1, 0),
            (b"\\t192.0.2.5\\n", b"\\t192.0.2.0\\n", 1, 0),
            (b"\\x5C192.0.2.5", b"\\x5C192.0.2.0", 1, 0),
            (b"\\\\x22", b"\\\\x22", 0, 0),
            (b"\\%192.0.2.5 \\", b"\\%192.0.2.0 \\", 1, 0),
            (b"\\x2", b"\\x2", 0, 0),
            (b"\\x22/p?token=a\\x22", b"\\x22/p", 0, 1),
            // invalid UTF-8 passes through
            (b"\xff\xfe /\xc3?\xff \xc3\xa9", b"\xff\xfe /\xc3 \xc3\xa9", 0, 1),
            // a whole unparsed access line
            (
                b"192.0.2.44 - - [10/Oct/2024:13:55:36 +0000] \"GET /login?user=jane&pw=x HTTP/1.1\" 200 512 \"https://example.com/?ref=mail\" \"curl/8.0\" extra",
                b"192.0.2.0 - - [10/Oct/2024:13:55:36 +0000] \"GET /login HTTP/1.1\" 200 512 \"https://example.com/\" \"curl/8.0\" extra",
                1,
                2,
            ),
        ];
        for &(input, want, addresses, queries) in cases {
            let (got, counts) = scrub_with(&KEEP, input);
            assert_eq!(show(&got), show(want), "input {:?}", show(input));
            // A session id counts as a secret.
            let secrets = u32::from(show(input).to_ascii_lowercase().contains(";jsessionid="));
            assert_eq!(
                counts,
                ScrubCounts {
                    addresses,
                    queries,
                    secrets,
                    ..Default::default()
                },
                "counts for {:?}",
                show(input)
            );
        }
    }

    /// `[addresses, queries, users, referrers, secrets, emails]`.
    type Counts = [u32; 6];

    fn counts(c: Counts) -> ScrubCounts {
        ScrubCounts {
            addresses: c[0],
            queries: c[1],
            users: c[2],
            referrers: c[3],
            secrets: c[4],
            emails: c[5],
            ..Default::default()
        }
    }

    /// Runs `scrub_line` (or `scrub_field` when `field`) on every case.
    fn check_cases(policy: &ScrubPolicy, field: bool, cases: &[(&[u8], &[u8], Counts)]) {
        for &(input, want, c) in cases {
            let (got, got_counts) = if field {
                let mut out = Vec::new();
                let n = scrub_field(&mut Truncate, policy, input, &mut out);
                (out, n)
            } else {
                scrub_with(policy, input)
            };
            assert_eq!(show(&got), show(want), "input {:?}", show(input));
            assert_eq!(got_counts, counts(c), "counts for {:?}", show(input));
        }
    }

    /// The failures reported against the token-based scrubber: a quote,
    /// bracket or backtick between the last `/` and the `?`, or inside the
    /// query, ended the cut early or hid the query.
    #[test]
    fn reported_query_leaks() {
        check_cases(
            &POLICY,
            false,
            &[
                (
                    br#""GET /search?q=it's+here&email=jane@example.com""#,
                    br#""GET /search""#,
                    [0, 1, 0, 0, 0, 0],
                ),
                (b"/o'b?q=S", b"/o'b", [0, 1, 0, 0, 0, 0]),
                (br#"/a"b?q=S"#, br#"/a"b"#, [0, 1, 0, 0, 0, 0]),
                (br#"/a\"b?q=S"#, br#"/a\"b"#, [0, 1, 0, 0, 0, 0]),
                (b"/a<b?q=S", b"/a<b", [0, 1, 0, 0, 0, 0]),
                (b"/a>b?q=S", b"/a>b", [0, 1, 0, 0, 0, 0]),
                (b"/a`b?q=S", b"/a`b", [0, 1, 0, 0, 0, 0]),
                (b"/a?q=it's+S", b"/a", [0, 1, 0, 0, 0, 0]),
                (br#"/a?q=x"S"#, b"/a", [0, 1, 0, 0, 0, 0]),
                (br#"/a?q=x\"S"#, b"/a", [0, 1, 0, 0, 0, 0]),
                (b"/a?q=<b>S", b"/a", [0, 1, 0, 0, 0, 0]),
                (b"/a?q=x`S", b"/a", [0, 1, 0, 0, 0, 0]),
                (b"'/a?q=it's' x", b"'/a' x", [0, 1, 0, 0, 0, 0]),
                // no space in the quoted request
                (br#""/p?q=S""#, br#""/p""#, [0, 1, 0, 0, 0, 0]),
                (br#""/p?q='S" 200"#, br#""/p" 200"#, [0, 1, 0, 0, 0, 0]),
                // a tab in it
                (
                    b"\"GET /p?q=a\tS HTTP/1.1\" 200",
                    b"\"GET /p HTTP/1.1\" 200",
                    [0, 1, 0, 0, 0, 0],
                ),
                (
                    b"\"GET /p?q=S\tHTTP/1.1\"",
                    b"\"GET /p\"",
                    [0, 1, 0, 0, 0, 0],
                ),
            ],
        );
    }

    #[test]
    fn encoded_addresses() {
        check_cases(
            &POLICY,
            false,
            &[
                (
                    b"see 198%2E51%2E100%2E77 now",
                    b"see 198.51.100.0 now",
                    [1, 0, 0, 0, 0, 0],
                ),
                (
                    b"/x/198%2e51%2e100%2e77/y",
                    b"/x/198.51.100.0/y",
                    [1, 0, 0, 0, 0, 0],
                ),
                (
                    b"h=2001%3Adb8%3A1%3A2%3A%3A99",
                    b"h=2001:db8:1::",
                    [1, 0, 0, 0, 0, 0],
                ),
                (
                    b"%5B2001%3Adb8%3A1%3A%3A99%5D%3A443",
                    b"%5B2001:db8:1::%5D%3A443",
                    [1, 0, 0, 0, 0, 0],
                ),
                (
                    b"198%252E51%252E100%252E77",
                    b"198.51.100.0",
                    [1, 0, 0, 0, 0, 0],
                ),
                (
                    b"198\\x2e51\\x2E100\\x2e77",
                    b"198.51.100.0",
                    [1, 0, 0, 0, 0, 0],
                ),
                (
                    b"2001\\u003adb8\\u003a1\\u003a\\u003a99",
                    b"2001:db8:1::",
                    [1, 0, 0, 0, 0, 0],
                ),
                (
                    b"198.51%2E100.77:80",
                    b"198.51.100.0:80",
                    [1, 0, 0, 0, 0, 0],
                ),
                // the digits of an escape before the run are not part of it
                (
                    b"%20198%2E51%2E100%2E77",
                    b"%20198.51.100.0",
                    [1, 0, 0, 0, 0, 0],
                ),
                (
                    b"\\x22198%2E51%2E100%2E77",
                    b"\\x22198.51.100.0",
                    [1, 0, 0, 0, 0, 0],
                ),
                // runs without an address stay encoded
                (
                    b"www%2Eexample%2Ecom",
                    b"www%2Eexample%2Ecom",
                    [0, 0, 0, 0, 0, 0],
                ),
                (
                    b"/wiki/File%3AExample.jpg",
                    b"/wiki/File%3AExample.jpg",
                    [0, 0, 0, 0, 0, 0],
                ),
                (b"12%3A30%3A00", b"12%3A30%3A00", [0, 0, 0, 0, 0, 0]),
                (
                    b"%2e%2e/%2e%2e/etc",
                    b"%2e%2e/%2e%2e/etc",
                    [0, 0, 0, 0, 0, 0],
                ),
                // plain forms with brackets, ports and zones
                (
                    b"[2001:db8:1:2::99]:443",
                    b"[2001:db8:1::]",
                    [1, 0, 0, 0, 1, 0],
                ),
                (b"fe80::99%eth0", b"fe80::%eth0", [1, 0, 0, 0, 0, 0]),
                (b"fe80%3A%3A99%25eth0", b"fe80::%25eth0", [1, 0, 0, 0, 0, 0]),
            ],
        );
        // A run that is no address but looks like one is zeroed like plain
        // text (scrub_text's fail-closed rule), one too long to decode on the
        // stack is zeroed with its encodings kept.
        for (n, want) in [(40, "0:".repeat(40)), (60, "0%3A".repeat(60))] {
            let (got, c) = scrub("1%3A".repeat(n).as_bytes());
            assert_eq!(show(&got), want);
            assert_eq!(c, counts([1, 0, 0, 0, 0, 0]));
        }
    }

    #[test]
    fn quoted_requests() {
        check_cases(
            &POLICY,
            false,
            &[
                (
                    b"\"GET /p?q=a b HTTP/1.1\" 200",
                    b"\"GET /p HTTP/1.1\" 200",
                    [0, 1, 0, 0, 0, 0],
                ),
                (
                    br#""GET /p?q="a"b HTTP/1.1" 200"#,
                    br#""GET /p HTTP/1.1" 200"#,
                    [0, 1, 0, 0, 0, 0],
                ),
                (
                    br#""GET /p?q=a\"b c HTTP/1.0""#,
                    br#""GET /p HTTP/1.0""#,
                    [0, 1, 0, 0, 0, 0],
                ),
                // cut off: the query runs to the end
                (b"x \"GET /p?q=a b", b"x \"GET /p", [0, 1, 0, 0, 0, 0]),
                (
                    br#"{"request":"GET /p?x=1 HTTP/1.1","s":1}"#,
                    br#"{"request":"GET /p HTTP/1.1","s":1}"#,
                    [0, 1, 0, 0, 0, 0],
                ),
                (
                    b"\"GET /shop;jsessionid=A1?x=1 HTTP/1.1\"",
                    b"\"GET /shop HTTP/1.1\"",
                    [0, 1, 0, 0, 1, 0],
                ),
                // the target is no referrer: kept without userinfo and query
                (
                    b"\"GET http://u:pw@example.com/p?x HTTP/1.1\" 200",
                    b"\"GET http://example.com/p HTTP/1.1\" 200",
                    [0, 1, 0, 0, 1, 0],
                ),
                (
                    b"GET http://example.com/p?x HTTP/1.1",
                    b"GET http://example.com/p HTTP/1.1",
                    [0, 1, 0, 0, 0, 0],
                ),
                // an absolute URL elsewhere in the request is one
                (
                    b"\"GET /go/http://example.com/x HTTP/1.1\"",
                    b"\"GET /go/- HTTP/1.1\"",
                    [0, 0, 0, 1, 0, 0],
                ),
                (b"\"GARBAGE /x?y\"", b"\"GARBAGE /x\"", [0, 1, 0, 0, 0, 0]),
                (b"\"-\" 400", b"\"-\" 400", [0, 0, 0, 0, 0, 0]),
                (
                    b"\"GET /whois/198.51.100.77 HTTP/1.1\"",
                    b"\"GET /whois/198.51.100.0 HTTP/1.1\"",
                    [1, 0, 0, 0, 0, 0],
                ),
            ],
        );
        let keep_query = ScrubPolicy {
            keep_query: true,
            ..POLICY
        };
        check_cases(
            &keep_query,
            false,
            &[
                (
                    b"\"GET /p?q=a b&token=Zq1 HTTP/1.1\"",
                    b"\"GET /p?q=a b&token=- HTTP/1.1\"",
                    [0, 0, 0, 0, 1, 0],
                ),
                (
                    b"/a?q=1&sid=Zq2&to=jane@example.com",
                    b"/a?q=1&sid=-&to=email-redacted",
                    [0, 0, 0, 0, 1, 1],
                ),
            ],
        );
    }

    #[test]
    fn referrer_policy_table() {
        let line: &[u8] = br#"x "https://jane:pw@www.example.com:8443/p?q=1" y"#;
        let origin = ScrubPolicy {
            referrer: ReferrerMode::Origin,
            ..POLICY
        };
        check_cases(
            &POLICY,
            false,
            &[
                (line, br#"x "-" y"#, [0, 0, 0, 1, 0, 0]),
                (
                    b"see https://example.com/a, and",
                    b"see - and",
                    [0, 0, 0, 1, 0, 0],
                ),
                (
                    br#"upstream: "http://192.0.2.10:8080/upload?id=7", host: "x""#,
                    br#"upstream: "-", host: "x""#,
                    [0, 0, 0, 1, 0, 0],
                ),
                (b"ref=http://example.com/", b"ref=-", [0, 0, 0, 1, 0, 0]),
                (
                    b"(+http://www.google.com/bot.html)\"",
                    b"(+-\"",
                    [0, 0, 0, 1, 0, 0],
                ),
                (b"android-app://com.example/", b"-", [0, 0, 0, 1, 0, 0]),
                (b"no scheme ://x", b"no scheme ://x", [0, 0, 0, 0, 0, 0]),
            ],
        );
        check_cases(
            &origin,
            false,
            &[
                (
                    line,
                    br#"x "https://www.example.com:8443/" y"#,
                    [0, 0, 0, 1, 0, 0],
                ),
                (
                    b"\"http://198.51.100.77:8080/x\"",
                    b"\"http://198.51.100.0:8080/\"",
                    [1, 0, 0, 1, 0, 0],
                ),
                (
                    b"http://198%2E51%2E100%2E77/x",
                    b"http://198.51.100.0/",
                    [1, 0, 0, 1, 0, 0],
                ),
                (
                    b"http://[2001:db8:1:2::99]/",
                    b"http://[2001:db8:1::]/",
                    [1, 0, 0, 0, 0, 0],
                ),
                (
                    b"\"https://example.com/\"",
                    b"\"https://example.com/\"",
                    [0, 0, 0, 0, 0, 0],
                ),
                (
                    b"\"https://example.com\"",
                    b"\"https://example.com/\"",
                    [0, 0, 0, 1, 0, 0],
                ),
                (b"\"http:///x\"", b"\"-\"", [0, 0, 0, 1, 0, 0]),
            ],
        );
        check_cases(
            &KEEP,
            false,
            &[
                (
                    line,
                    br#"x "https://www.example.com:8443/p" y"#,
                    [0, 1, 0, 0, 1, 0],
                ),
                (
                    b"ftp://u@198.51.100.77/f",
                    b"ftp://198.51.100.0/f",
                    [1, 0, 0, 0, 1, 0],
                ),
                (
                    b"http://example.com?x=1",
                    b"http://example.com",
                    [0, 1, 0, 0, 0, 0],
                ),
            ],
        );
    }

    #[test]
    fn emails() {
        check_cases(
            &POLICY,
            false,
            &[
                (
                    b"from jane.doe+x@example.com to",
                    b"from email-redacted to",
                    [0, 0, 0, 0, 0, 1],
                ),
                (
                    b"/u/jane%40example.com/x",
                    b"/u/email-redacted/x",
                    [0, 0, 0, 0, 0, 1],
                ),
                (
                    b"jane%40example%2Ecom",
                    b"email-redacted",
                    [0, 0, 0, 0, 0, 1],
                ),
                (
                    b"jane%2Edoe@example.com",
                    b"email-redacted",
                    [0, 0, 0, 0, 0, 1],
                ),
                (
                    b"<jane@mail.example.co.uk>",
                    b"<email-redacted>",
                    [0, 0, 0, 0, 0, 1],
                ),
                (
                    b"mailto:jane@example.com",
                    b"mailto:email-redacted",
                    [0, 0, 0, 0, 0, 1],
                ),
                (b"jane@example.com.", b"email-redacted.", [0, 0, 0, 0, 0, 1]),
                (
                    b"a@b.cd,c@d.ef",
                    b"email-redacted,email-redacted",
                    [0, 0, 0, 0, 0, 2],
                ),
                (b"/img/icon@2x.png", b"/img/icon@2x.png", [0, 0, 0, 0, 0, 0]),
                (b"/npm/pkg@1.2.3", b"/npm/pkg@1.2.3", [0, 0, 0, 0, 0, 0]),
                (b"/@scope/pkg", b"/@scope/pkg", [0, 0, 0, 0, 0, 0]),
                (b"root@localhost", b"root@localhost", [0, 0, 0, 0, 0, 0]),
                (b"@example.com", b"@example.com", [0, 0, 0, 0, 0, 0]),
                (b"x@example.c", b"x@example.c", [0, 0, 0, 0, 0, 0]),
            ],
        );
    }

    #[test]
    fn credential_pairs() {
        check_cases(
            &POLICY,
            false,
            &[
                (b"user=bob&x=1", b"user=-&x=1", [0, 0, 0, 0, 1, 0]),
                (b"inside=1 sid=abc", b"inside=1 sid=-", [0, 0, 0, 0, 1, 0]),
                (
                    b"PHPSESSID=abc; lang=en",
                    b"PHPSESSID=-; lang=en",
                    [0, 0, 0, 0, 1, 0],
                ),
                (
                    b"api_key=a apikey=b x-api-key: c",
                    b"api_key=- apikey=- x-api-key: -",
                    [0, 0, 0, 0, 3, 0],
                ),
                (
                    b"apiKey=a accessKey=b",
                    b"apiKey=- accessKey=-",
                    [0, 0, 0, 0, 2, 0],
                ),
                (
                    b"monkey=1 keyword=x mapping=y users=3",
                    b"monkey=1 keyword=x mapping=y users=3",
                    [0; 6],
                ),
                (
                    b"password = hunter2 ok",
                    b"password = - ok",
                    [0, 0, 0, 0, 1, 0],
                ),
                (
                    b"passwd=a pwd=b pw=c",
                    b"passwd=- pwd=- pw=-",
                    [0, 0, 0, 0, 3, 0],
                ),
                (
                    br#"{"password":"hunter2","x":1}"#,
                    br#"{"password":"-","x":1}"#,
                    [0, 0, 0, 0, 1, 0],
                ),
                (b"{'token': 'abc'}", b"{'token': '-'}", [0, 0, 0, 0, 1, 0]),
                (b"secret='it's' x", b"secret='-' x", [0, 0, 0, 0, 1, 0]),
                (b"Cookie: a=1; b=2", b"Cookie: -", [0, 0, 0, 0, 1, 0]),
                (
                    br#""Cookie: a=1; b=2" 200"#,
                    br#""Cookie: -" 200"#,
                    [0, 0, 0, 0, 1, 0],
                ),
                (
                    b"Set-Cookie: sid=1; Path=/; HttpOnly",
                    b"Set-Cookie: -",
                    [0, 0, 0, 0, 1, 0],
                ),
                (
                    b"Authorization: Bearer abc.def",
                    b"Authorization: -",
                    [0, 0, 0, 0, 1, 0],
                ),
                (
                    b"proxy-authorization:Basic dXNlcg==",
                    b"proxy-authorization:-",
                    [0, 0, 0, 0, 1, 0],
                ),
                (
                    br#""Cookie":["sid=abc"],"n":1"#,
                    br#""Cookie":["-"],"n":1"#,
                    [0, 0, 0, 0, 1, 0],
                ),
                (
                    br#""auth":{"u":"x","p":{"q":"y"}},"n":1"#,
                    br#""auth":"-","n":1"#,
                    [0, 0, 0, 0, 1, 0],
                ),
                (
                    b"User-Agent: curl/8 user_agent=x",
                    b"User-Agent: curl/8 user_agent=x",
                    [0; 6],
                ),
                (
                    b"token=- token= csrf=\"\"",
                    b"token=- token= csrf=\"\"",
                    [0; 6],
                ),
                (
                    b"[auth_basic:error] x",
                    b"[auth_basic:-] x",
                    [0, 0, 0, 0, 1, 0],
                ),
                (b"auth.example.com:443", b"auth.example.com:443", [0; 6]),
                (b"session:abc", b"session:-", [0, 0, 0, 0, 1, 0]),
                (
                    b"csrfmiddlewaretoken=abc",
                    b"csrfmiddlewaretoken=-",
                    [0, 0, 0, 0, 1, 0],
                ),
                (b"email=jane@example.com", b"email=-", [0, 0, 0, 0, 1, 0]),
                (b"user[password]=x", b"user[password]=-", [0, 0, 0, 0, 1, 0]),
                (
                    b"__Host-sid=x X-CSRF-Token: y",
                    b"__Host-sid=- X-CSRF-Token: -",
                    [0, 0, 0, 0, 2, 0],
                ),
                (
                    b"remote_user=alice userName=bob",
                    b"remote_user=- userName=-",
                    [0, 0, 0, 0, 2, 0],
                ),
                (b"jwt=a.b.c, otp=1", b"jwt=-, otp=-", [0, 0, 0, 0, 2, 0]),
                (b"(token=abc)", b"(token=-)", [0, 0, 0, 0, 1, 0]),
                (b"token=a)b", b"token=-", [0, 0, 0, 0, 1, 0]),
                (b"x;jsessionid=Zq1/y", b"x/y", [0, 0, 0, 0, 1, 0]),
                (
                    br#"a"password"="Zq1""#,
                    br#"a"password"="-""#,
                    [0, 0, 0, 0, 1, 0],
                ),
            ],
        );
    }

    #[test]
    fn clf_start() {
        let t = "[22/Nov/2026:10:00:00 +0000]";
        let line = format!("198.51.100.77 ident alice {t} \"GET /p?x HTTP/1.1\" 200 1");
        let want = format!("198.51.100.0 - - {t} \"GET /p HTTP/1.1\" 200 1");
        let vhost = format!("www.example.com:443 198.51.100.77 - bob {t} \"GET / HTTP/1.1\"");
        let vhost_want = format!("www.example.com:443 198.51.100.0 - - {t} \"GET / HTTP/1.1\"");
        let host = format!("host.example.net - bob {t}");
        let (got, c) = scrub(host.as_bytes());
        assert_eq!(show(&got), format!("0.0.0.0 - - {t}"));
        // A host name is no address: counted apart, as in a parsed line.
        assert_eq!((c.addresses, c.non_addresses, c.users), (0, 1, 1));
        check_cases(
            &POLICY,
            false,
            &[
                (line.as_bytes(), want.as_bytes(), [1, 1, 2, 0, 0, 0]),
                (vhost.as_bytes(), vhost_want.as_bytes(), [1, 0, 1, 0, 0, 0]),
                // cut off anywhere after the user field
                (
                    b"198.51.100.77 - alice",
                    b"198.51.100.0 - -",
                    [1, 0, 1, 0, 0, 0],
                ),
                (
                    b"198.51.100.77 - alice ",
                    b"198.51.100.0 - - ",
                    [1, 0, 1, 0, 0, 0],
                ),
                (
                    b"198.51.100.77 - alice [",
                    b"198.51.100.0 - - [",
                    [1, 0, 1, 0, 0, 0],
                ),
                (
                    b"198.51.100.77 - alice [22/No",
                    b"198.51.100.0 - - [22/No",
                    [1, 0, 1, 0, 0, 0],
                ),
                (b"198.51.100.77 bob", b"198.51.100.0 -", [1, 0, 1, 0, 0, 0]),
                (
                    b"www.example.com:443 198.51.100.77 - bob",
                    b"www.example.com:443 198.51.100.0 - -",
                    [1, 0, 1, 0, 0, 0],
                ),
                (
                    b"[2001:db8::99]:51234 - bob [1",
                    b"2001:db8:: - - [1",
                    [1, 0, 1, 0, 1, 0],
                ),
                (b"- - - [22/Nov", b"- - - [22/Nov", [0; 6]),
                // not CLF
                (b"a b c [x]", b"a b c [x]", [0; 6]),
                (b"hello there friend", b"hello there friend", [0; 6]),
                (
                    b"198.51.100.77 a b c",
                    b"198.51.100.0 a b c",
                    [1, 0, 0, 0, 0, 0],
                ),
                (
                    b"198.51.100.77  - bob",
                    b"198.51.100.0  - bob",
                    [1, 0, 0, 0, 0, 0],
                ),
                (
                    b"2026/11/22 08:39:58 [error] 1#1: x",
                    b"2026/11/22 08:39:58 [error] 1#1: x",
                    [0; 6],
                ),
            ],
        );
        let keep_user = ScrubPolicy {
            keep_user: true,
            ..POLICY
        };
        check_cases(
            &keep_user,
            false,
            &[(
                b"198.51.100.77 - jane@example.com [22/",
                b"198.51.100.0 - email-redacted [22/",
                [1, 0, 0, 0, 0, 1],
            )],
        );
        // Not at the start of a value.
        check_cases(
            &POLICY,
            true,
            &[(
                b"198.51.100.77 - alice",
                b"198.51.100.0 - alice",
                [1, 0, 0, 0, 0, 0],
            )],
        );
    }

    /// Ports of addresses in text no format explains go: nothing says whose
    /// they are. A URL's port stays.
    #[test]
    fn address_ports() {
        let t = "[22/Nov/2026:10:00:00 +0000]";
        let clf = format!("198.51.100.7:51234 - bob {t} \"GET / HTTP/1.1\"");
        let clf_want = format!("198.51.100.0 - - {t} \"GET / HTTP/1.1\"");
        let clf6 = format!("[2001:db8::5]:443 - - {t}");
        let clf6_want = format!("2001:db8:: - - {t}");
        check_cases(
            &POLICY,
            false,
            &[
                (clf.as_bytes(), clf_want.as_bytes(), [1, 0, 1, 0, 1, 0]),
                (clf6.as_bytes(), clf6_want.as_bytes(), [1, 0, 0, 0, 1, 0]),
            ],
        );
        check_cases(
            &KEEP,
            true,
            &[
                (
                    b"client=[2001:db8:abcd:12::1]:51234",
                    b"client=[2001:db8:abcd::]",
                    [1, 0, 0, 0, 1, 0],
                ),
                (
                    b"remote=192.0.2.44:40000, x",
                    b"remote=192.0.2.0, x",
                    [1, 0, 0, 0, 1, 0],
                ),
                (
                    b"from 192.0.2.44:40000",
                    b"from 192.0.2.0",
                    [1, 0, 0, 0, 1, 0],
                ),
                (
                    b"[fe80::1%eth0]:80 up",
                    b"[fe80::%eth0] up",
                    [1, 0, 0, 0, 1, 0],
                ),
                (b"\"192.0.2.44:1\"", b"\"192.0.2.0\"", [1, 0, 0, 0, 1, 0]),
                // A URL's port, and what is no address with a port, stay.
                (
                    b"http://192.0.2.1:8080/p",
                    b"http://192.0.2.0:8080/p",
                    [1, 0, 0, 0, 0, 0],
                ),
                (b"192.0.2.1:8080/p", b"192.0.2.0:8080/p", [1, 0, 0, 0, 0, 0]),
                (
                    b"t=10:04:01 v=1.2.3.4:5a",
                    b"t=10:04:01 v=1.2.3.0:5a",
                    [1, 0, 0, 0, 0, 0],
                ),
                (b"host:443 x:1", b"host:443 x:1", [0, 0, 0, 0, 0, 0]),
                (b"1.2.3.4:123456", b"1.2.3.0:123456", [1, 0, 0, 0, 0, 0]),
            ],
        );
    }

    #[test]
    fn escape_len_table() {
        let cases: &[(&[u8], usize)] = &[
            (b"\\x22", 4),
            (b"\\x5Cz", 4),
            (b"\\xg2", 0),
            (b"\\x2", 0),
            (b"\\", 0),
            (b"\\\\", 2),
            (b"\\\"", 2),
            (b"\\n1", 2),
            (b"\\q", 0),
        ];
        for &(input, want) in cases {
            assert_eq!(
                escape_len(input),
                want,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    fn separator() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop::sample::select(vec![" ", "\t", "\"", "'", "<", ">", "`", "  ", "\" \""]),
            1..3,
        )
        .prop_map(|v| v.concat())
    }

    /// Tokens that never contain the marker `Zq` except where a secret sits
    /// in a query or session parameter.
    fn token() -> impl Strategy<Value = String> {
        let secret = "[A-Za-z0-9]{8,16}".prop_map(|s| format!("Zq{s}"));
        prop_oneof![
            "[a-y0-9.:,=&-]{1,10}",
            "(192\\.0\\.2|198\\.51\\.100|203\\.0\\.113)\\.[0-9]{1,3}",
            ("/[a-y/]{0,8}", secret.clone()).prop_map(|(p, s)| format!("{p}?{s}")),
            ("[a-y]{0,4}/[a-y/.]{0,8}", "[a-y=&?]{0,4}", secret.clone())
                .prop_map(|(p, q, s)| format!("{p}?{q}{s}")),
            (
                "https?://example\\.(com|org)(:[0-9]{1,4})?/[a-y/]{0,6}",
                secret.clone()
            )
                .prop_map(|(p, s)| format!("{p}?x={s}")),
            ("uri=/[a-y]{0,6}", secret.clone()).prop_map(|(p, s)| format!("{p}?{s}")),
            (
                "/[a-y]{0,6}",
                "(jsessionid|JSESSIONID|JSessionID)",
                secret.clone(),
                "(/[a-y]{0,4})?"
            )
                .prop_map(|(p, k, s, t)| format!("{p};{k}={s}{t}")),
            ("/[a-y]{0,6}", secret.clone(), secret)
                .prop_map(|(p, s, q)| format!("{p};jsessionid={s}?{q}")),
        ]
    }

    proptest! {
        #[test]
        fn scrub_line_never_panics(line in proptest::collection::vec(any::<u8>(), 0..256)) {
            let mut out = Vec::new();
            scrub_line(&mut Truncate, &POLICY, &line, &mut out);
        }

        #[test]
        fn scrub_line_never_leaks_secrets(
            lead in separator(),
            parts in proptest::collection::vec((token(), separator()), 1..12),
        ) {
            let mut line = lead;
            for (t, s) in &parts {
                line.push_str(t);
                line.push_str(s);
            }
            let (out, _) = scrub(line.as_bytes());
            prop_assert!(
                !out.windows(2).any(|w| w == b"Zq"),
                "leaked in {:?} from {:?}", String::from_utf8_lossy(&out), line
            );
        }

        #[test]
        fn scrub_line_copies_inert_lines_verbatim(
            line in proptest::collection::vec(
                // Without `=` too: `pw=x` is a credential pair now.
                any::<u8>().prop_filter("no ? ; . : =", |b| !matches!(b, b'?' | b';' | b'.' | b':' | b'=')),
                0..256,
            )
        ) {
            let (out, counts) = scrub(&line);
            prop_assert_eq!(out, line);
            prop_assert_eq!(counts, ScrubCounts::default());
        }
    }

    // ---------------------------------------------------------------------------
    // Planted secrets
    // ---------------------------------------------------------------------------

    /// A secret: `Zq` and letters and digits. Nothing else in the generated
    /// lines contains `Zq`.
    fn zq() -> impl Strategy<Value = String> {
        "[A-Za-z0-9]{6,12}".prop_map(|s| format!("Zq{s}"))
    }

    /// A URL path secret, which only the Remove and Origin policies drop.
    fn zr() -> impl Strategy<Value = String> {
        "[a-z0-9]{4,8}".prop_map(|s| format!("Zr{s}"))
    }

    /// An address with a non-zero host part (under `Truncate`), in one of the
    /// spellings the scrubber must recognise.
    fn planted_address() -> impl Strategy<Value = String> {
        (1u8..=255, 1u16..=0xffff, 0usize..12).prop_map(|(h, g, form)| match form {
            0 => format!("198.51.100.{h}"),
            1 => format!("2001:db8:1:2::{g:x}"),
            2 => format!("[2001:db8:1:2::{g:x}]:443"),
            3 => format!("198.51.100.{h}:8080"),
            4 => format!("198%2E51%2E100%2E{h}"),
            5 => format!("2001%3Adb8%3A1%3A2%3A%3A{g:X}"),
            6 => format!("%5B2001%3Adb8%3A%3A{g:x}%5D%3A443"),
            7 => format!("198\\x2e51\\x2e100\\x2e{h}"),
            8 => format!("http://198.51.100.{h}:8080/x"),
            9 => format!("2001\\u003adb8\\u003a\\u003a{g:x}"),
            10 => format!("198%252e51%252e100%252e{h}"),
            _ => format!("fe80::{g:x}%eth0"),
        })
    }

    /// Bytes that may sit inside a query without ending it.
    fn query_piece() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-y]{1,4}",
            prop::sample::select(vec![
                "=", "&", "'", "<", ">", "`", "\\\"", "\\x22", "%20", "+", "/"
            ])
            .prop_map(String::from),
            // A raw `"` followed by a letter does not close.
            "\"[a-y]",
            zq(),
        ]
    }

    /// A query value holding at least one secret.
    fn query_value(blanks: bool) -> impl Strategy<Value = String> {
        let piece = if blanks {
            prop_oneof![
                4 => query_piece(),
                1 => prop::sample::select(vec![" ", "\t", "  "]).prop_map(String::from),
            ]
            .boxed()
        } else {
            query_piece().boxed()
        };
        (
            proptest::collection::vec(piece.clone(), 0..4),
            zq(),
            proptest::collection::vec(piece, 0..4),
        )
            .prop_map(|(a, s, b)| format!("{}{s}{}", a.concat(), b.concat()))
    }

    /// A path, possibly with a quote, bracket or backtick before the `?`.
    fn path() -> impl Strategy<Value = String> {
        (
            "/[a-y]{0,5}",
            prop::sample::select(vec!["", "'", "\"", "\\\"", "<", ">", "`"]),
            "[a-y/]{0,4}",
        )
            .prop_map(|(a, p, b)| format!("{a}{p}{b}"))
    }

    fn planted_token() -> impl Strategy<Value = String> {
        let method = prop::sample::select(vec!["GET", "POST", "HEAD", "PROPFIND"]);
        prop_oneof![
            planted_address(),
            (path(), query_value(false)).prop_map(|(p, q)| format!("{p}?{q}")),
            // a quoted request: raw blanks in the query run to the protocol
            (method, path(), query_value(true))
                .prop_map(|(m, p, q)| format!("\"{m} {p}?{q} HTTP/1.1\"")),
            // absolute URLs
            (
                prop::sample::select(vec!["http", "https", "ftp"]),
                prop::option::of((zq(), prop::option::of(zq()))),
                prop::sample::select(vec!["example.com", "www.example.org:8443", "198.51.100.7"]),
                zr(),
                prop::option::of(query_value(false)),
            )
                .prop_map(|(scheme, user, host, p, q)| {
                    let user = match user {
                        Some((u, Some(pw))) => format!("{u}:{pw}@"),
                        Some((u, None)) => format!("{u}@"),
                        None => String::new(),
                    };
                    let q = q.map_or(String::new(), |q| format!("?{q}"));
                    format!("{scheme}://{user}{host}/{p}{q}")
                }),
            // cookies and credential headers
            (zq(), zq(), 0usize..5).prop_map(|(a, b, form)| match form {
                0 => format!("Cookie: a={a}; b={b}"),
                1 => format!("Set-Cookie: sid={a}; Path=/; HttpOnly"),
                2 => format!("Authorization: Bearer {a}.{b}"),
                3 => format!("\"Cookie\":[\"sid={a}\",\"x={b}\"]"),
                _ => format!("cookie:{a} {b}"),
            }),
            // credential pairs
            (
                prop::sample::select(vec![
                    "token",
                    "password",
                    "api_key",
                    "sid",
                    "PHPSESSID",
                    "X-Api-Key",
                    "userName",
                    "user",
                    "auth_token",
                    "csrf",
                    "email",
                    "session",
                    "jwt",
                    "secret",
                    "apikey",
                    "passwd",
                    "pwd",
                    "access_token",
                    "__Host-sid",
                    "remote_user",
                    "JSESSIONID",
                ]),
                zq(),
                0usize..8,
            )
                .prop_map(|(n, v, form)| match form {
                    0 => format!("{n}={v}"),
                    1 => format!("{n}: {v}"),
                    2 => format!("{n}:{v}"),
                    3 => format!("\"{n}\":\"{v}\""),
                    4 => format!("{n} = {v}"),
                    5 => format!("'{n}': '{v}'"),
                    6 => format!("{n}=\"{v}\""),
                    _ => format!("\"{n}\": {v}"),
                }),
            // e-mail addresses
            (zq(), 0usize..5).prop_map(|(s, form)| match form {
                0 => format!("{s}@example.com"),
                1 => format!("{s}%40example.com"),
                2 => format!("jane.{s}@mail.example.org"),
                3 => format!("{s}@example%2Ecom"),
                _ => format!("{s}+tag@example.co.uk"),
            }),
            ("/[a-y]{0,6}", zq()).prop_map(|(p, s)| format!("{p};jsessionid={s}")),
        ]
    }

    /// Text around the planted tokens: no hex letters (so no address can form
    /// by accident), no method names, no `Zq`/`Zr`.
    fn filler() -> impl Strategy<Value = String> {
        prop_oneof![
            "[g-z]{1,8}",
            "[0-9]{1,4}",
            "/[g-z/]{1,8}",
            Just("-".to_string()),
            Just("HTTP/1.1".to_string()),
        ]
    }

    fn punctuation() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop::sample::select(vec![
                " ", "\t", "\"", "'", "<", ">", "`", "(", ")", "[", "]", "{", "}", ",", ";", "&",
                "=", ":", "\\\"", "\\x22", "  ", "\" \"", "\",\"", "', '", "-", ".",
            ]),
            1..3,
        )
        .prop_map(|v| v.concat())
    }

    /// The start of a CLF line with secrets in ident and user, whole or cut
    /// off after the user field. `true` when nothing may follow it (a line cut
    /// off before its time is only recognised as such when it ends there).
    fn clf_lead() -> impl Strategy<Value = (String, bool)> {
        (
            prop_oneof![
                (1u8..=255).prop_map(|h| format!("198.51.100.{h}")),
                (1u16..=0xffff).prop_map(|g| format!("2001:db8:1:2::{g:x}")),
                (1u16..=0xffff).prop_map(|g| format!("[2001:db8::{g:x}]:51234")),
            ],
            prop_oneof![Just("-".to_string()), zq()],
            prop_oneof![zq(), zq().prop_map(|s| format!("{s}@example.com"))],
            any::<bool>(),
            zq(),
            prop::option::of(0usize..80),
        )
            .prop_map(|(client, ident, user, vhost, q, cut)| {
                let vhost = if vhost { "www.example.com:443 " } else { "" };
                let head = format!("{vhost}{client} {ident} {user}");
                let tail = format!(" [22/Nov/2026:10:00:00 +0000] \"GET /p?{q} HTTP/1.1\" 200 1 ");
                match cut {
                    None => (format!("{head}{tail}"), false),
                    Some(k) => {
                        let k = k.min(tail.len());
                        (format!("{head}{}", &tail[..k]), true)
                    }
                }
            })
    }

    /// Undoes every encoding of `.`, `:`, `[`, `]` and `%` the scrubber reads,
    /// twice (for `%252E`).
    fn decode(b: &[u8]) -> Vec<u8> {
        let mut cur = b.to_vec();
        for _ in 0..2 {
            let mut out = Vec::with_capacity(cur.len());
            let mut i = 0;
            while i < cur.len() {
                let rest = &cur[i..];
                let pct = |code: &[u8]| {
                    rest.len() >= 3 && rest[0] == b'%' && rest[1..3].eq_ignore_ascii_case(code)
                };
                let bs = |code: &[u8]| {
                    rest.starts_with(b"\\x")
                        && rest.len() >= 4
                        && rest[2..4].eq_ignore_ascii_case(code)
                };
                let uni = |code: &[u8]| {
                    rest.starts_with(b"\\u00")
                        && rest.len() >= 6
                        && rest[4..6].eq_ignore_ascii_case(code)
                };
                let found = [
                    (b"2e", b'.'),
                    (b"3a", b':'),
                    (b"5b", b'['),
                    (b"5d", b']'),
                    (b"25", b'%'),
                ]
                .iter()
                .find_map(|(code, c)| {
                    if pct(&code[..]) {
                        Some((*c, 3))
                    } else if bs(&code[..]) {
                        Some((*c, 4))
                    } else if uni(&code[..]) {
                        Some((*c, 6))
                    } else {
                        None
                    }
                });
                match found {
                    Some((c, n)) => {
                        out.push(c);
                        i += n;
                    }
                    None => {
                        out.push(cur[i]);
                        i += 1;
                    }
                }
            }
            cur = out;
        }
        cur
    }

    /// Records the addresses `scrub_text` finds, unchanged.
    struct Recorder(Vec<Addr>);
    impl AddrRewrite for Recorder {
        fn rewrite(&mut self, addr: Addr) -> Addr {
            self.0.push(addr);
            addr
        }
    }

    /// Every address in `out` (after decoding) has a zero host part.
    fn host_parts_zero(out: &[u8]) -> Result<(), String> {
        let mut rec = Recorder(Vec::new());
        let mut sink = Vec::new();
        // The placeholder starts with a hex digit: after a truncated address
        // (`2001:db8:1::email-redacted`, the `1` of `::1-jane@…` went with the
        // local part) it is no part of the address.
        let mut text = decode(out);
        while let Some(p) = text
            .windows(email::PLACEHOLDER.len())
            .position(|w| w == email::PLACEHOLDER)
        {
            text[p] = b'_';
        }
        scrub_text(&mut rec, &text, &mut sink);
        // Only the planted ranges count: `]::ftp://` reads as `::f`.
        let planted = |a: Addr| match a {
            Addr::V4(v) => v >> 8 == 0x00c6_3364,
            Addr::V6(v) => v >> 96 == 0x2001_0db8 || v >> 118 == 0xfe80 >> 6,
        };
        for a in rec.0 {
            if planted(a) && Truncate.rewrite(a) != a {
                return Err(format!("address {a:?} kept its host part"));
            }
        }
        Ok(())
    }

    /// A line of planted tokens, and whether it starts with a CLF lead (whose
    /// users only `scrub_line` removes).
    fn planted_line() -> impl Strategy<Value = (String, bool)> {
        (
            prop::option::of(clf_lead()),
            punctuation(),
            proptest::collection::vec(
                (
                    prop_oneof![2 => planted_token(), 1 => filler()],
                    punctuation(),
                ),
                1..10,
            ),
        )
            .prop_map(|(lead, p, parts)| {
                let mut line = String::new();
                let led = lead.is_some();
                match lead {
                    Some((l, true)) => return (l, true),
                    Some((l, false)) => line.push_str(&l),
                    None => line.push_str(&p),
                }
                for (t, s) in &parts {
                    line.push_str(t);
                    line.push_str(s);
                }
                (line, led)
            })
    }

    proptest! {
        #[test]
        fn planted_secrets_never_survive(
            (line, led) in planted_line(),
            referrer in prop::sample::select(vec![
                ReferrerMode::Remove,
                ReferrerMode::Origin,
                ReferrerMode::Keep,
            ]),
        ) {
            let policy = ScrubPolicy { referrer, ..POLICY };
            let (out, _) = scrub_with(&policy, line.as_bytes());
            let shown = show(&out);
            prop_assert!(!shown.contains("Zq"), "leaked in {:?} from {:?}", shown, line);
            if referrer != ReferrerMode::Keep {
                prop_assert!(!shown.contains("Zr"), "path kept in {:?} from {:?}", shown, line);
            }
            if let Err(e) = host_parts_zero(&out) {
                prop_assert!(false, "{} in {:?} from {:?}", e, shown, line);
            }
            // Same for a value: all but the CLF start, which `scrub_field`
            // does not look for.
            let mut field = Vec::new();
            scrub_field(&mut Truncate, &policy, line.as_bytes(), &mut field);
            if let Err(e) = host_parts_zero(&field) {
                prop_assert!(false, "{} in {:?} from {:?}", e, show(&field), line);
            }
            if !led {
                prop_assert!(!show(&field).contains("Zq"), "field leaked {:?} from {:?}", show(&field), line);
            }
        }
    }

    /// Lines built to make a rule measure the same text again and again: the
    /// pass must stay linear (a quadratic one takes minutes here, not
    /// milliseconds), and never panic.
    #[test]
    fn adversarial_lines_finish() {
        let n = 64 * 1024;
        let patterns: &[&str] = &[
            "/?",
            "Cookie: ",
            "\"GET /",
            "\"auth\":{",
            "token=\"",
            "a = ",
            "%2E1",
            "1%3A",
            "a@b.",
            "http://",
            ":://",
            "x;jsessionid=",
            "\\\"",
            "'k': '",
            "?/?\"Authorization: ",
        ];
        for p in patterns {
            let line = p.repeat(n / p.len());
            let start = std::time::Instant::now();
            for policy in [POLICY, KEEP] {
                let mut out = Vec::new();
                scrub_line(&mut Truncate, &policy, line.as_bytes(), &mut out);
                assert!(!show(&out).contains("Zq"));
            }
            // Generous: only a quadratic pass gets anywhere near this.
            assert!(
                start.elapsed().as_secs() < 20,
                "{p:?} took {:?}",
                start.elapsed()
            );
        }
    }
}
