//! The fail-closed path for lines that do not parse as the expected log
//! format: such a line is never written raw. Every IP literal is rewritten
//! and every URL query and `;jsessionid=` parameter is cut, wherever in the
//! line they are; everything else is copied as is so the line stays useful.
//!
//! No allocation beyond growing the caller's output buffer, no I/O.

use memchr::memchr;

use crate::anonymize::ip::{AddrRewrite, scrub_text};
use crate::anonymize::url::session_span;

/// The parts of the policy that decide what the scrubber keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScrubPolicy {
    /// Keep URL queries (`--keep-query`); session ids still go.
    pub keep_query: bool,
    /// What happens to absolute URLs other than a request target.
    pub referrer: super::ReferrerMode,
    /// Keep remote users and identd names (`--keep-user`).
    pub keep_user: bool,
}

/// Counts of what `scrub_line` did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScrubCounts {
    /// IP literals rewritten (as reported by `scrub_text`).
    pub addresses: u32,
    /// Tokens whose query was cut.
    pub queries: u32,
    /// Remote users and identd names removed.
    pub users: u32,
    /// Absolute URLs removed or cut to their origin.
    pub referrers: u32,
    /// Credential, session and cookie values removed.
    pub secrets: u32,
    /// E-mail addresses masked.
    pub emails: u32,
}

/// Copies one value that no format rule explains (an unknown field, error
/// message text) to `out` with the unparsed-line treatment of
/// [`scrub_line`], except for the rules that only make sense at the start of
/// a line (a CLF-like prefix).
pub fn scrub_field<R: AddrRewrite>(
    r: &mut R,
    policy: &ScrubPolicy,
    v: &[u8],
    out: &mut Vec<u8>,
) -> ScrubCounts {
    let _ = policy;
    scrub_tokens(r, v, out)
}

/// Bytes that end a token: ASCII whitespace and the quote and angle bracket
/// characters that delimit URLs in free text and in log fields.
static SEPARATOR: [bool; 256] = {
    let mut t = [false; 256];
    let seps = b" \t\r\n\x0b\x0c\"'<>`";
    let mut i = 0;
    while i < seps.len() {
        t[seps[i] as usize] = true;
        i += 1;
    }
    t
};

/// Copies one unparsed line (without its line terminator) to `out`, fail-closed:
/// every IPv4/IPv6 literal is rewritten through `r` (via `scrub_text`) and every URL query is
/// cut; all other bytes are copied verbatim.
///
/// Guarantees, per token (a maximal run of bytes that are not ASCII
/// whitespace, `"`, `'`, `<`, `>` or `` ` ``; separators are copied
/// verbatim):
/// - If the token has a `?` after a `/`, everything from the first such `?`
///   to the end of the token is removed (`/p?x`, `http://h/p?x`, `uri=/a?b`;
///   not `Why?` nor `a?b/c`). Deciding on the first `?` after a `/`, rather
///   than on the token's first `?`, also cuts `a?b/c?secret` to `a?b/c`.
/// - `;jsessionid=` parameters before the cut are removed as
///   [`crate::anonymize::url::cut_request`] removes them, whether or not the
///   token looks like a path.
/// - The kept bytes go through `scrub_text`; log escapes (`\xhh`, and
///   Apache's `\\`, `\"`, `\b`, `\f`, `\n`, `\r`, `\t`, `\v`) are copied
///   verbatim and `scrub_text` is called on the text between them, so the
///   hex digits of an escape such as nginx's `\x22` never merge with a
///   following address (`\x22203.0.113.9`).
pub fn scrub_line<R: AddrRewrite>(
    r: &mut R,
    policy: &ScrubPolicy,
    line: &[u8],
    out: &mut Vec<u8>,
) -> ScrubCounts {
    let _ = policy;
    scrub_tokens(r, line, out)
}

fn scrub_tokens<R: AddrRewrite>(r: &mut R, line: &[u8], out: &mut Vec<u8>) -> ScrubCounts {
    let mut counts = ScrubCounts::default();
    let mut i = 0;
    while i < line.len() {
        let tok_start = line[i..]
            .iter()
            .position(|&b| !SEPARATOR[usize::from(b)])
            .map_or(line.len(), |p| i + p);
        out.extend_from_slice(&line[i..tok_start]);
        let tok_end = line[tok_start..]
            .iter()
            .position(|&b| SEPARATOR[usize::from(b)])
            .map_or(line.len(), |p| tok_start + p);
        if tok_start < tok_end {
            scrub_token(r, &line[tok_start..tok_end], out, &mut counts);
        }
        i = tok_end;
    }
    counts
}

fn scrub_token<R: AddrRewrite>(r: &mut R, tok: &[u8], out: &mut Vec<u8>, counts: &mut ScrubCounts) {
    let query = memchr(b'/', tok).and_then(|s| memchr(b'?', &tok[s..]).map(|q| s + q));
    let head = &tok[..query.unwrap_or(tok.len())];
    match session_span(head) {
        Some(s) => {
            counts.addresses += scrub_piece(r, &head[..s.start], out);
            counts.addresses += scrub_piece(r, &head[s.end..], out);
        }
        None => counts.addresses += scrub_piece(r, head, out),
    }
    if query.is_some() {
        counts.queries += 1;
    }
}

/// Runs `scrub_text` on the text between log escapes. No address literal
/// contains a `\`, so splitting there never cuts one apart.
fn scrub_piece<R: AddrRewrite>(r: &mut R, piece: &[u8], out: &mut Vec<u8>) -> u32 {
    let mut n = 0;
    let mut from = 0;
    let mut search = 0;
    while let Some(i) = memchr(b'\\', &piece[search..]) {
        let bs = search + i;
        let len = escape_len(&piece[bs..]);
        if len == 0 {
            search = bs + 1;
            continue;
        }
        n += scrub_text(r, &piece[from..bs], out);
        out.extend_from_slice(&piece[bs..bs + len]);
        from = bs + len;
        search = from;
    }
    n + scrub_text(r, &piece[from..], out)
}

/// Length of the log escape at the start of `s` (which starts with `\`), or
/// 0 if it is not one.
fn escape_len(s: &[u8]) -> usize {
    match s.get(1) {
        Some(b'x') if s.len() >= 4 && s[2].is_ascii_hexdigit() && s[3].is_ascii_hexdigit() => 4,
        Some(b'\\' | b'"' | b'b' | b'f' | b'n' | b'r' | b't' | b'v') => 2,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anonymize::ip::Addr;
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

    fn scrub(line: &[u8]) -> (Vec<u8>, ScrubCounts) {
        let mut out = b"kept:".to_vec();
        let counts = scrub_line(&mut Truncate, &POLICY, line, &mut out);
        (out.split_off(5), counts)
    }

    #[test]
    fn scrub_line_table() {
        // (input, expected output, addresses, queries)
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
            (b"203.0.113.9:443", b"203.0.113.0:443", 1, 0),
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
            let (got, counts) = scrub(input);
            let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
            assert_eq!(show(&got), show(want), "input {:?}", show(input));
            assert_eq!(
                counts,
                ScrubCounts {
                    addresses,
                    queries,
                    ..Default::default()
                },
                "counts for {:?}",
                show(input)
            );
        }
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
                any::<u8>().prop_filter("no ? ; . :", |b| !matches!(b, b'?' | b';' | b'.' | b':')),
                0..256,
            )
        ) {
            let (out, counts) = scrub(&line);
            prop_assert_eq!(out, line);
            prop_assert_eq!(counts, ScrubCounts::default());
        }
    }
}
