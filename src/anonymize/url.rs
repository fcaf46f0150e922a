//! Request-line and referrer rules: which bytes of a request target and of a
//! referrer survive anonymization.
//!
//! Everything works on the raw, still-escaped field bytes and only ever cuts:
//! nothing here unescapes, allocates or does I/O. Cuts are returned as byte
//! ranges (or appended to a caller's buffer) so the writer can copy the kept
//! bytes straight from the input line.

use std::ops::Range;

use memchr::{memchr, memchr3, memrchr};

use crate::bytes::{find_either, rfind_byte};

/// Up to four byte ranges of a request line to keep, in order. Everything not covered is
/// removed.
///
/// Guarantees: the first `len` ranges are non-empty, ascending,
/// non-overlapping, not adjacent, and within the input given to
/// [`cut_request`]; `len <= 4`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestCut {
    /// The kept ranges (only the first `len` are meaningful), ascending, non-overlapping,
    /// all within the input.
    pub keep: [Range<usize>; 4],
    /// How many of `keep` are meaningful.
    pub len: usize,
    /// A query string was removed (set even when the query was only a bare `?`).
    pub query_removed: bool,
    /// A `;jsessionid=` path parameter was removed.
    pub session_removed: bool,
    /// The `userinfo@` (`user:password@`) of an absolute URL was removed.
    pub userinfo_removed: bool,
    /// Where the target's path is (after a removed userinfo, up to its
    /// query or end): the part path rules apply to. Empty when there is no
    /// target.
    pub path: Range<usize>,
    /// Where the query is, `?` included, when it was kept; empty otherwise.
    pub query: Range<usize>,
}

impl RequestCut {
    /// The meaningful kept ranges: `&self.keep[..self.len]`.
    pub fn ranges(&self) -> &[Range<usize>] {
        &self.keep[..self.len]
    }

    /// Empty ranges are dropped so that callers can copy every range without
    /// checking, and so that `len` never exceeds 4 (the cut sites are at
    /// most three: one userinfo, one session span and one query).
    fn push(&mut self, r: Range<usize>) {
        if !r.is_empty() {
            self.keep[self.len] = r;
            self.len += 1;
        }
    }
}

/// Decides what to keep of a request line `METHOD SP target [SP protocol]` (the content of
/// nginx `$request` / Apache `%r`, without the quotes).
///
/// Guarantees:
/// - With no space in `req` there is no target and everything is kept
///   (an empty `req` yields no ranges).
/// - The target runs from after the first space to the last space if the
///   bytes after that last space start with `HTTP/`, else to the end.
/// - Unless `keep_query`, everything from the first `?` of the target to the
///   end of the target is removed (the `?` included).
/// - `;jsessionid=` path parameters (ASCII case-insensitive) before the
///   query are always removed, up to the next `/`, `;`, `?` or end of
///   target. Several of them are removed as one span, from the start of the
///   first to the end of the last, which also drops the path between them:
///   the fixed ranges of a [`RequestCut`] cannot express more cuts, and
///   dropping path is the fail-closed choice over leaking a session token.
/// - An absolute-form target (`scheme://…`) loses its `userinfo@`
///   ([`userinfo_span`]): credentials are never kept, not even with
///   `keep_query`.
/// - Method, separators and protocol are kept byte for byte.
pub fn cut_request(req: &[u8], keep_query: bool) -> RequestCut {
    let mut cut = RequestCut::empty();
    // Request lines are short (a method, a path, `HTTP/1.1`): the searches
    // below are inlined loops over 16 or 8 bytes at a time, as `memchr`'s
    // per-call dispatch costs more than the scan at these lengths.
    let Some(sp) = find_either(req, 0, b' ', b' ') else {
        cut.push(0..req.len());
        return cut;
    };
    let start = sp + 1;
    // Searching for the protocol from the end tolerates targets with raw
    // spaces in them; without a protocol (truncated or HTTP/0.9 lines) the
    // target is the rest of the line, so a trailing query is still cut.
    let end = match rfind_byte(req, b' ') {
        Some(last) if last > sp && req[last + 1..].starts_with(b"HTTP/") => last,
        _ => req.len(),
    };
    let mut pos = 0;
    // Where the path starts: after a removed userinfo, so a `;` inside the
    // userinfo cannot start a second, overlapping cut.
    let mut path = start;
    if let Some(u) = userinfo_span(&req[start..end]) {
        cut.push(0..start + u.start);
        pos = start + u.end;
        path = pos;
        cut.userinfo_removed = true;
    }
    let target = &req[path..end];
    // One scan for the first `?` or `;`: almost no target has a `;`, and
    // then the query starts at the first `?` and no session id precedes it.
    let (query, session) = match find_either(target, 0, b'?', b';') {
        None => (None, None),
        Some(i) if target[i] == b'?' => (Some(path + i), None),
        Some(i) => {
            let query = memchr(b'?', &target[i..]).map(|q| path + i + q);
            let path_end = query.unwrap_or(end);
            (query, session_span(&req[path..path_end]))
        }
    };

    if let Some(s) = session {
        cut.push(pos..path + s.start);
        pos = path + s.end;
        cut.session_removed = true;
    }
    let path_end = query.unwrap_or(end);
    cut.path = path..path_end;
    match query {
        Some(q) if !keep_query => {
            cut.push(pos..q);
            pos = end;
            cut.query_removed = true;
        }
        Some(q) => cut.query = q..end,
        None => {}
    }
    cut.push(pos..req.len());
    cut
}

/// What to keep of a bare request target or URI (`$request_uri`, `%U%q`,
/// a JSON `uri`, an upstream URL): the same rules as for the target inside
/// [`cut_request`] (query cut unless `keep_query`, `;jsessionid=` and an
/// absolute URL's `userinfo@` always), applied to the whole value.
pub fn cut_target(t: &[u8], keep_query: bool) -> RequestCut {
    let mut cut = RequestCut::empty();
    let mut pos = 0;
    if let Some(u) = userinfo_span(t) {
        cut.push(0..u.start);
        pos = u.end;
        cut.userinfo_removed = true;
    }
    let path = pos;
    let query = memchr(b'?', &t[path..]).map(|q| path + q);
    let path_end = query.unwrap_or(t.len());
    if let Some(s) = session_span(&t[path..path_end]) {
        cut.push(pos..path + s.start);
        pos = path + s.end;
        cut.session_removed = true;
    }
    cut.path = path..path_end;
    match query {
        Some(q) if !keep_query => {
            cut.push(pos..q);
            cut.query_removed = true;
        }
        Some(q) => {
            cut.query = q..t.len();
            cut.push(pos..t.len());
        }
        None => cut.push(pos..t.len()),
    }
    cut
}

/// What to keep of a referrer under `--referrer keep`: all of it but the
/// `userinfo@` of its URL ([`userinfo_span`]), with its path (everything
/// before the query, scheme and host included) and its query marked as in
/// a [`RequestCut`] so that path rules and kept parameters apply to them.
pub fn cut_referrer(r: &[u8]) -> RequestCut {
    let mut cut = RequestCut::empty();
    let mut pos = 0;
    if let Some(u) = userinfo_span(r) {
        cut.push(0..u.start);
        pos = u.end;
        cut.userinfo_removed = true;
    }
    let query = memchr(b'?', &r[pos..]).map(|q| pos + q);
    cut.path = pos..query.unwrap_or(r.len());
    if let Some(q) = query {
        cut.query = q..r.len();
    }
    cut.push(pos..r.len());
    cut
}

impl RequestCut {
    fn empty() -> Self {
        RequestCut {
            keep: [0..0, 0..0, 0..0, 0..0],
            len: 0,
            query_removed: false,
            session_removed: false,
            userinfo_removed: false,
            path: 0..0,
            query: 0..0,
        }
    }
}

/// The `userinfo@` of an absolute URL `scheme://userinfo@host…`, `@`
/// included, as a range of `u`; `None` when `u` does not start with
/// `scheme://` (`[A-Za-z][A-Za-z0-9+.-]*`) or its authority has no `@`.
///
/// The authority ends at the first `/`, `?` or `#` (or the end): not at a
/// `\`, unlike [`referrer_origin`]'s, so that a password holding an escaped
/// quote (`u:p\x22w@host`) is still found, and with several `@` the range
/// runs to the last one. Both choices remove more rather than less.
pub fn userinfo_span(u: &[u8]) -> Option<Range<usize>> {
    // Almost every target is a path: the first byte settles it.
    if !u.first()?.is_ascii_alphabetic() {
        return None;
    }
    let scheme_end = u
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')))
        .unwrap_or(u.len());
    if !u[scheme_end..].starts_with(b"://") {
        return None;
    }
    let auth = scheme_end + 3;
    let auth_end = u[auth..]
        .iter()
        .position(|&b| matches!(b, b'/' | b'?' | b'#'))
        .map_or(u.len(), |i| auth + i);
    let at = memrchr(b'@', &u[auth..auth_end])?;
    Some(auth..auth + at + 1)
}

/// Finds the span of `s` to remove for `;jsessionid=` parameters (ASCII
/// case-insensitive), or `None` if there is none.
///
/// A parameter runs from its `;` to the next `?`, `/`, `;` or the end of `s`.
/// With several parameters the span covers the first through the last, so a
/// caller with one cut slot never leaks a later token. Shared with the
/// scrubber so both paths remove session ids identically.
pub(crate) fn session_span(s: &[u8]) -> Option<Range<usize>> {
    const KEY: &[u8] = b"jsessionid=";
    let mut found: Option<Range<usize>> = None;
    let mut pos = 0;
    // memchr for `;` first: almost no target has one, so the common case is
    // a single failed scan.
    while let Some(i) = memchr(b';', &s[pos..]) {
        let semi = pos + i;
        let key_end = semi + 1 + KEY.len();
        if s.len() >= key_end && s[semi + 1..key_end].eq_ignore_ascii_case(KEY) {
            let end = memchr3(b'?', b'/', b';', &s[key_end..]).map_or(s.len(), |j| key_end + j);
            let first = found.map_or(semi, |f| f.start);
            found = Some(first..end);
            pos = end;
        } else {
            pos = semi + 1;
        }
    }
    found
}

/// Where the origin of a referrer URL is: `scheme://host[:port]`, without userinfo.
///
/// Both ranges index the referrer bytes given to [`referrer_origin`];
/// `scheme` starts at 0 and ends before `://`, `host` is non-empty and
/// includes any port and IPv6 brackets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The scheme, e.g. `https`, as written (case is not folded).
    pub scheme: Range<usize>,
    /// The host with optional `:port`, after any `userinfo@`.
    pub host: Range<usize>,
}

/// Finds the origin of a referrer value (raw field bytes). None if the value is not an absolute
/// URL with an authority (`-`, empty, relative `/path`, `about:blank`).
///
/// Guarantees: the scheme matches `[A-Za-z][A-Za-z0-9+.-]*` and is followed
/// by `://`; the authority ends at the first `/`, `?`, `#`, `\` or end (so
/// an escaped quote `\x22` / `\"` always ends it); the host starts after the
/// last `@` of the authority. `None` also when the host is empty, starts
/// with `:` (a port without host), or contains ASCII control bytes or
/// spaces: such a value is not a URL, and an origin built from it could
/// carry arbitrary text; and when an `@` follows a `\` that ended the
/// authority (`https://alice\x22@example.com/`): the "host" would then be
/// part of a userinfo.
pub fn referrer_origin(r: &[u8]) -> Option<Origin> {
    if !r.first()?.is_ascii_alphabetic() {
        return None;
    }
    let scheme_end = r
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')))
        .unwrap_or(r.len());
    if !r[scheme_end..].starts_with(b"://") {
        return None;
    }
    let auth_start = scheme_end + 3;
    let auth_end = r[auth_start..]
        .iter()
        .position(|&b| matches!(b, b'/' | b'?' | b'#' | b'\\'))
        .map_or(r.len(), |i| auth_start + i);
    if r.get(auth_end) == Some(&b'\\') && userinfo_span(r).is_some_and(|u| u.end > auth_end) {
        return None;
    }
    let host_start =
        memrchr(b'@', &r[auth_start..auth_end]).map_or(auth_start, |i| auth_start + i + 1);
    // A `;` ends the host: no host name has one, but a path parameter
    // written right after the host (`https://h;jsessionid=S`) would
    // otherwise pass for part of it.
    let auth_end =
        memchr::memchr(b';', &r[host_start..auth_end]).map_or(auth_end, |i| host_start + i);
    let host = &r[host_start..auth_end];
    if host.is_empty() || host[0] == b':' || host.iter().any(|&b| b <= b' ' || b == 0x7f) {
        return None;
    }
    Some(Origin {
        scheme: 0..scheme_end,
        host: host_start..auth_end,
    })
}

/// Appends `scheme://host[:port]/` for the origin (always with a trailing slash) to `out`.
///
/// Guarantees: only bytes of `r` inside `o`'s ranges plus `://` and `/` are
/// written; nothing else is touched. `o` must come from
/// [`referrer_origin`] on the same `r` (otherwise this may panic).
pub fn write_origin(r: &[u8], o: &Origin, out: &mut Vec<u8>) {
    out.extend_from_slice(&r[o.scheme.clone()]);
    out.extend_from_slice(b"://");
    out.extend_from_slice(&r[o.host.clone()]);
    out.push(b'/');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn apply(req: &[u8], keep_query: bool) -> (Vec<u8>, RequestCut) {
        let cut = cut_request(req, keep_query);
        let mut out = Vec::new();
        for r in cut.ranges() {
            out.extend_from_slice(&req[r.clone()]);
        }
        (out, cut)
    }

    fn check_invariants(input_len: usize, cut: &RequestCut) {
        assert!(cut.len <= 4);
        let mut prev_end = None;
        for r in cut.ranges() {
            assert!(r.start < r.end, "empty or reversed range {r:?}");
            assert!(r.end <= input_len, "range {r:?} beyond {input_len}");
            if let Some(p) = prev_end {
                assert!(r.start > p, "ranges overlap or touch: {cut:?}");
            }
            prev_end = Some(r.end);
        }
    }

    /// (input, keep_query, expected output, query_removed, session_removed)
    type RequestCase = (&'static [u8], bool, &'static [u8], bool, bool);

    #[test]
    fn cut_request_table() {
        let cases: &[RequestCase] = &[
            // no target at all
            (b"GARBAGE", false, b"GARBAGE", false, false),
            (b"-", false, b"-", false, false),
            (b"", false, b"", false, false),
            (
                b"\x16\x03\x01\x02\x00\x01",
                false,
                b"\x16\x03\x01\x02\x00\x01",
                false,
                false,
            ),
            (b"GET/a?b", false, b"GET/a?b", false, false),
            // plain
            (b"GET / HTTP/1.1", false, b"GET / HTTP/1.1", false, false),
            (b"GET /", false, b"GET /", false, false),
            (
                b"CONNECT example.com:443 HTTP/1.1",
                false,
                b"CONNECT example.com:443 HTTP/1.1",
                false,
                false,
            ),
            (
                b"OPTIONS * HTTP/1.1",
                false,
                b"OPTIONS * HTTP/1.1",
                false,
                false,
            ),
            // queries
            (
                b"GET /search?q=jane%40example.com HTTP/1.1",
                false,
                b"GET /search HTTP/1.1",
                true,
                false,
            ),
            (
                b"GET /search?q=jane%40example.com HTTP/1.1",
                true,
                b"GET /search?q=jane%40example.com HTTP/1.1",
                false,
                false,
            ),
            (
                b"GET http://example.com/p?x=1 HTTP/1.1",
                false,
                b"GET http://example.com/p HTTP/1.1",
                true,
                false,
            ),
            (b"GET /? HTTP/1.1", false, b"GET / HTTP/1.1", true, false),
            (b"GET /a?b", false, b"GET /a", true, false),
            (
                b"GET /a?b=c d HTTP/1.1",
                false,
                b"GET /a HTTP/1.1",
                true,
                false,
            ),
            (
                b"GET /a b?c HTTP/2.0",
                false,
                b"GET /a b HTTP/2.0",
                true,
                false,
            ),
            (
                b"GET /a?x=1?y=2 HTTP/1.1",
                false,
                b"GET /a HTTP/1.1",
                true,
                false,
            ),
            (
                b"GET /a%3Fb HTTP/1.1",
                false,
                b"GET /a%3Fb HTTP/1.1",
                false,
                false,
            ),
            (
                b"GET /a?b\x5Cx22 HTTP/1.1",
                false,
                b"GET /a HTTP/1.1",
                true,
                false,
            ),
            // last word is not a protocol: target runs to the end
            (b"GET /a?b HTTP/1.1 junk", false, b"GET /a", true, false),
            (b"GET /a?b http/1.1", false, b"GET /a", true, false),
            (b"GET HTTP/1.1", false, b"GET HTTP/1.1", false, false),
            (b"GET  HTTP/1.1", false, b"GET  HTTP/1.1", false, false),
            (b" /a?b HTTP/1.1", false, b" /a HTTP/1.1", true, false),
            (
                b"\xff\xfe /\xc3?\xff HTTP/1.1",
                false,
                b"\xff\xfe /\xc3 HTTP/1.1",
                true,
                false,
            ),
            // session ids
            (
                b"GET /shop;jsessionid=ABC123?x=1 HTTP/1.1",
                false,
                b"GET /shop HTTP/1.1",
                true,
                true,
            ),
            (
                b"GET /shop;jsessionid=ABC123?x=1 HTTP/1.1",
                true,
                b"GET /shop?x=1 HTTP/1.1",
                false,
                true,
            ),
            (
                b"GET /a;JSESSIONID=x/b HTTP/1.1",
                false,
                b"GET /a/b HTTP/1.1",
                false,
                true,
            ),
            (
                b"GET /a;JSessionId=x;v=1 HTTP/1.1",
                false,
                b"GET /a;v=1 HTTP/1.1",
                false,
                true,
            ),
            (
                b"GET /a;jsessionid= HTTP/1.1",
                false,
                b"GET /a HTTP/1.1",
                false,
                true,
            ),
            (b"GET /a;jsessionid=x", false, b"GET /a", false, true),
            (b"GET /a;jsessionid=x?q", false, b"GET /a", true, true),
            (
                b"GET /a;jsessionid=x/b?q HTTP/1.1",
                false,
                b"GET /a/b HTTP/1.1",
                true,
                true,
            ),
            (
                b"GET /a;jsessionid=x/b?q HTTP/1.1",
                true,
                b"GET /a/b?q HTTP/1.1",
                false,
                true,
            ),
            (
                b"GET /a;jsessionid HTTP/1.1",
                false,
                b"GET /a;jsessionid HTTP/1.1",
                false,
                false,
            ),
            (
                b"GET /a;jsession=x HTTP/1.1",
                false,
                b"GET /a;jsession=x HTTP/1.1",
                false,
                false,
            ),
            (
                b"GET /a;v=1;jsessionid=x HTTP/1.1",
                false,
                b"GET /a;v=1 HTTP/1.1",
                false,
                true,
            ),
            // several session ids: one span, first through last
            (
                b"GET /a;jsessionid=x;jsessionid=y/b HTTP/1.1",
                false,
                b"GET /a/b HTTP/1.1",
                false,
                true,
            ),
            (
                b"GET /a;jsessionid=x/m/b;jsessionid=y/c?q HTTP/1.1",
                false,
                b"GET /a/c HTTP/1.1",
                true,
                true,
            ),
            // a session id inside the query is the query's business
            (
                b"GET /a?x;jsessionid=y HTTP/1.1",
                true,
                b"GET /a?x;jsessionid=y HTTP/1.1",
                false,
                false,
            ),
            (
                b"GET /a?x;jsessionid=y HTTP/1.1",
                false,
                b"GET /a HTTP/1.1",
                true,
                false,
            ),
            // a `;jsessionid=` in the method is not in the target
            (
                b"X;jsessionid=1 /a HTTP/1.1",
                false,
                b"X;jsessionid=1 /a HTTP/1.1",
                false,
                false,
            ),
        ];
        for &(input, keep_query, want, q, s) in cases {
            let (got, cut) = apply(input, keep_query);
            let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
            assert_eq!(
                show(&got),
                show(want),
                "input {:?} keep_query {keep_query}",
                show(input)
            );
            assert_eq!(
                (cut.query_removed, cut.session_removed),
                (q, s),
                "flags for {:?}",
                show(input)
            );
            check_invariants(input.len(), &cut);
        }
    }

    #[test]
    fn userinfo_is_removed_from_absolute_urls() {
        // (request line, keep_query, kept, userinfo removed)
        let requests: &[(&[u8], bool, &[u8], bool)] = &[
            (
                b"GET http://u:p@example.com/a?b HTTP/1.1",
                false,
                b"GET http://example.com/a HTTP/1.1",
                true,
            ),
            (
                b"GET http://u:p@example.com/a?b HTTP/1.1",
                true,
                b"GET http://example.com/a?b HTTP/1.1",
                true,
            ),
            (
                b"GET https://a@b@198.51.100.7:8443 HTTP/1.1",
                false,
                b"GET https://198.51.100.7:8443 HTTP/1.1",
                true,
            ),
            (
                b"GET http://u;jsessionid=1:p@h/a;jsessionid=2/b?q HTTP/1.1",
                false,
                b"GET http://h/a/b HTTP/1.1",
                true,
            ),
            (
                br"GET http://u:p\x22w@h/ HTTP/1.1",
                false,
                b"GET http://h/ HTTP/1.1",
                true,
            ),
            // Not userinfo: an `@` in the path or query, or no authority.
            (
                b"GET http://h/a@b HTTP/1.1",
                true,
                b"GET http://h/a@b HTTP/1.1",
                false,
            ),
            (
                b"GET http://h?x@y HTTP/1.1",
                true,
                b"GET http://h?x@y HTTP/1.1",
                false,
            ),
            (
                b"GET /u:p@h/ HTTP/1.1",
                false,
                b"GET /u:p@h/ HTTP/1.1",
                false,
            ),
            (
                b"GET mailto:u@h HTTP/1.1",
                false,
                b"GET mailto:u@h HTTP/1.1",
                false,
            ),
        ];
        let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        for &(input, keep, want, removed) in requests {
            let (got, cut) = apply(input, keep);
            assert_eq!(show(&got), show(want), "{}", show(input));
            assert_eq!(cut.userinfo_removed, removed, "{}", show(input));
            check_invariants(input.len(), &cut);
        }
        let targets: &[(&[u8], &[u8])] = &[
            (
                b"http://u:p@192.0.2.10:8080/up?sid=1",
                b"http://192.0.2.10:8080/up",
            ),
            (b"http://@h/", b"http://h/"),
            (b"/a@b?c", b"/a@b"),
            (b"ftp://anonymous@h", b"ftp://h"),
        ];
        for &(input, want) in targets {
            let cut = cut_target(input, false);
            check_invariants(input.len(), &cut);
            let got: Vec<u8> = cut
                .ranges()
                .iter()
                .flat_map(|r| input[r.clone()].to_vec())
                .collect();
            assert_eq!(show(&got), show(want), "{}", show(input));
        }
        // An `@` after an escaped quote that ends an origin's authority: the
        // "host" would be part of a userinfo.
        assert_eq!(referrer_origin(br"https://alice\x22@example.com/"), None);
        assert_eq!(referrer_origin(br"https://example.com\x22, x@y"), None);
        assert!(referrer_origin(br"https://example.com\x22/@y").is_some());
    }

    #[test]
    fn session_span_table() {
        let cases: &[(&[u8], Option<Range<usize>>)] = &[
            (b"", None),
            (b"/a/b", None),
            (b";", None),
            (b";jsessionid=", Some(0..12)),
            (b"/a;jsessionid=1?x", Some(2..15)),
            (b"/a;jsessionid=1;jsessionid=2", Some(2..28)),
            (b"/a;JSESSIONID=1/b;x=2", Some(2..15)),
            (b";;jsessionid=1", Some(1..14)),
        ];
        for (input, want) in cases {
            assert_eq!(
                &session_span(input),
                want,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn referrer_origin_table() {
        // (input, written origin or None)
        let cases: &[(&[u8], Option<&[u8]>)] = &[
            (
                b"https://example.com;jsessionid=ABC123/x?y=1",
                Some(b"https://example.com/"),
            ),
            (
                b"https://example.com:8443;jsessionid=ABC123",
                Some(b"https://example.com:8443/"),
            ),
            (
                b"https://u;x:p@example.com;s=1/",
                Some(b"https://example.com/"),
            ),
            (b"https://;jsessionid=A/", None),
            (
                b"https://user:pw@example.com:8443/p?q",
                Some(b"https://example.com:8443/"),
            ),
            (
                b"android-app://com.example.app/",
                Some(b"android-app://com.example.app/"),
            ),
            (
                b"http://[2001:db8::1]:8080/x",
                Some(b"http://[2001:db8::1]:8080/"),
            ),
            (b"http://example.com", Some(b"http://example.com/")),
            (b"http://example.com?q=1", Some(b"http://example.com/")),
            (b"http://example.com#frag", Some(b"http://example.com/")),
            (b"HTTPS://Example.COM/", Some(b"HTTPS://Example.COM/")),
            (
                b"http://example.com\\x22, \\x22x",
                Some(b"http://example.com/"),
            ),
            (b"http://example.com\\\"", Some(b"http://example.com/")),
            (b"http://a@b@example.org/", Some(b"http://example.org/")),
            (b"http://203.0.113.7/login", Some(b"http://203.0.113.7/")),
            (b"git+ssh://example.org/r", Some(b"git+ssh://example.org/")),
            (
                b"http://\xc3\xa9xample.com/",
                Some(b"http://\xc3\xa9xample.com/"),
            ),
            (b"-", None),
            (b"", None),
            (b"/path", None),
            (b"//example.com/p", None),
            (b"about:blank", None),
            (b"http:/example.com", None),
            (b"1http://example.com/", None),
            (b"ht tp://example.com/", None),
            (b"http://", None),
            (b"http:///p", None),
            (b"http://user@/p", None),
            (b"http://:8080/", None),
            (b"http://exa mple.com/", None),
            (b"http://example.com\t/", None),
        ];
        for &(input, want) in cases {
            let got = referrer_origin(input).map(|o| {
                assert_eq!(o.scheme.start, 0);
                assert!(o.scheme.end < o.host.start && o.host.end <= input.len());
                let mut out = b"prefix:".to_vec();
                write_origin(input, &o, &mut out);
                out.split_off(7)
            });
            let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
            assert_eq!(
                got.as_deref().map(show),
                want.map(show),
                "input {:?}",
                show(input)
            );
        }
    }

    #[test]
    fn origin_ranges_for_ipv6() {
        let r = b"http://[2001:db8::1]:8080/x";
        let o = referrer_origin(r).unwrap();
        assert_eq!(&r[o.scheme], b"http");
        assert_eq!(&r[o.host], b"[2001:db8::1]:8080");
    }

    proptest! {
        #[test]
        fn cut_request_ranges_are_sound(
            req in proptest::collection::vec(any::<u8>(), 0..64),
            keep in any::<bool>(),
        ) {
            let cut = cut_request(&req, keep);
            check_invariants(req.len(), &cut);
        }

        #[test]
        fn cut_request_never_keeps_query_or_session(
            path in "/[a-z/]{0,12}",
            session in proptest::option::of("[A-Za-z0-9]{8,16}"),
            secret in "[A-Za-z0-9]{8,16}",
            proto in proptest::option::of("HTTP/1\\.[01]"),
        ) {
            let mut req = format!("GET {path}");
            if let Some(s) = &session {
                req.push_str(";jsessionid=Zq");
                req.push_str(s);
            }
            req.push_str("?Zq");
            req.push_str(&secret);
            if let Some(p) = &proto {
                req.push(' ');
                req.push_str(p);
            }
            let (out, cut) = apply(req.as_bytes(), false);
            prop_assert!(
                !out.windows(2).any(|w| w == b"Zq"),
                "leaked: {}",
                String::from_utf8_lossy(&out)
            );
            prop_assert!(cut.query_removed);
            prop_assert_eq!(cut.session_removed, session.is_some());
            let want_tail = proto.map(|p| format!(" {p}")).unwrap_or_default();
            prop_assert_eq!(String::from_utf8(out).unwrap(), format!("GET {path}{want_tail}"));
        }

        #[test]
        fn cut_request_without_query_or_semicolon_is_identity(
            req in proptest::collection::vec(
                any::<u8>().prop_filter("no ? or ;", |b| *b != b'?' && *b != b';'),
                0..64,
            ),
            keep in any::<bool>(),
        ) {
            let (out, cut) = apply(&req, keep);
            prop_assert_eq!(out, req);
            prop_assert!(!cut.query_removed && !cut.session_removed);
        }

        #[test]
        fn referrer_origin_is_sound(r in proptest::collection::vec(any::<u8>(), 0..48)) {
            if let Some(o) = referrer_origin(&r) {
                prop_assert!(o.scheme.start == 0 && o.scheme.end < o.host.start);
                prop_assert!(o.host.start < o.host.end && o.host.end <= r.len());
                let mut out = Vec::new();
                write_origin(&r, &o, &mut out);
                prop_assert_eq!(out.last(), Some(&b'/'));
            }
        }
    }

    /// `cut_request` as first written, with `memchr` searches; the version
    /// with inlined searches must agree with it.
    fn cut_request_reference(req: &[u8], keep_query: bool) -> RequestCut {
        let mut cut = RequestCut::empty();
        let Some(sp) = memchr(b' ', req) else {
            cut.push(0..req.len());
            return cut;
        };
        let mut start = sp + 1;
        let end = match memrchr(b' ', req) {
            Some(last) if last > sp && req[last + 1..].starts_with(b"HTTP/") => last,
            _ => req.len(),
        };
        let mut pos = 0;
        if let Some(u) = userinfo_span(&req[start..end]) {
            cut.push(0..start + u.start);
            pos = start + u.end;
            start = pos;
            cut.userinfo_removed = true;
        }
        let query = memchr(b'?', &req[start..end]).map(|q| start + q);
        let path_end = query.unwrap_or(end);
        if let Some(s) = session_span(&req[start..path_end]) {
            cut.push(pos..start + s.start);
            pos = start + s.end;
            cut.session_removed = true;
        }
        cut.path = start..path_end;
        if let Some(q) = query {
            if keep_query {
                cut.query = q..end;
            } else {
                cut.push(pos..q);
                pos = end;
                cut.query_removed = true;
            }
        }
        cut.push(pos..req.len());
        cut
    }

    fn request() -> impl Strategy<Value = Vec<u8>> {
        let parts: Vec<&'static [u8]> = vec![
            b"GET",
            b" ",
            b" ",
            b"/",
            b"/a",
            b"/static/css/site.min.css",
            b"?",
            b"?q=1",
            b";",
            b";jsessionid=",
            b";JSESSIONID=x",
            b"http://",
            b"u:p@",
            b"@",
            b"x",
            b"HTTP/",
            b" HTTP/1.1",
            b" HTTP/2",
            b" http/1.1",
            b"\\x22",
            b"\xff",
        ];
        prop::collection::vec(prop::sample::select(parts), 0..12).prop_map(|p| p.concat())
    }

    #[test]
    fn cut_request_agrees_with_reference_on_lengths() {
        // Every length around the word and vector sizes, with the
        // separators at every position.
        for len in 0..40 {
            for at in 0..len {
                for (a, b) in [(b' ', b'?'), (b' ', b';'), (b'?', b' '), (b';', b'?')] {
                    let mut req = vec![b'a'; len];
                    req[at] = a;
                    req[(at * 7 + 3) % len] = b;
                    if len > 9 {
                        req[len - 9..len - 4].copy_from_slice(b" HTTP");
                        req[len - 4] = b'/';
                    }
                    for keep in [false, true] {
                        assert_eq!(
                            cut_request(&req, keep),
                            cut_request_reference(&req, keep),
                            "{:?}",
                            String::from_utf8_lossy(&req)
                        );
                    }
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn cut_request_agrees_with_reference(req in request(), keep in any::<bool>()) {
            prop_assert_eq!(cut_request(&req, keep), cut_request_reference(&req, keep));
        }
    }
}
