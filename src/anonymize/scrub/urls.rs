//! Request lines and absolute URLs in free text.

use memchr::memrchr;

use super::text::{END_PLAIN, END_SESSION, closing_quote, is_ws, no_stop, run_start, value_end};
use super::{Cursor, Scrubber};
use crate::addr::AddrRewrite;
use crate::anonymize::ReferrerMode;
use crate::anonymize::url::{cut_request, referrer_origin};

/// HTTP and WebDAV methods. A fixed list rather than any upper-case word,
/// so that `SEE http://…` in a message does not make its URL a request
/// target (which would keep it whatever the referrer policy says).
const METHODS: &[&[u8]] = &[
    b"GET",
    b"HEAD",
    b"POST",
    b"PUT",
    b"DELETE",
    b"CONNECT",
    b"OPTIONS",
    b"TRACE",
    b"PATCH",
    b"PROPFIND",
    b"PROPPATCH",
    b"MKCOL",
    b"COPY",
    b"MOVE",
    b"LOCK",
    b"UNLOCK",
    b"SEARCH",
    b"REPORT",
    b"PURGE",
];

/// If `s[at..]` starts with a method, one space and a byte that is not
/// whitespace, the position of that byte (the request target).
#[inline]
pub(super) fn method_target(s: &[u8], at: usize) -> Option<usize> {
    let rest = s.get(at..)?;
    let len = rest.iter().take_while(|b| b.is_ascii_uppercase()).count();
    if !(3..=9).contains(&len) || rest.get(len) != Some(&b' ') {
        return None;
    }
    if rest.get(len + 1).is_none_or(|&b| is_ws(b)) {
        return None;
    }
    METHODS.contains(&&rest[..len]).then_some(at + len + 1)
}

/// Start of the run of scheme bytes (`[A-Za-z0-9+.-]`) that ends at the
/// `:` of a `://` at `colon`, not before `floor`. Past leading `+.-`, it is
/// a scheme only if it is non-empty, starts with a letter, and does not
/// start with a hex digit after a `:` (in `2001:db8::5a://` and
/// `::a000-://` that is the end of an address); the caller checks.
pub(super) fn scheme_run(s: &[u8], floor: usize, colon: usize) -> usize {
    run_start(s, floor, colon, |b| {
        b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-')
    })
}

/// End of the authority that starts at `from` in a URL ending at
/// `url_end`: the first `/`, `?`, `#` or `\` (as
/// [`crate::anonymize::url::referrer_origin`] reads it).
pub(super) fn authority_end(s: &[u8], from: usize, url_end: usize) -> usize {
    s[from..url_end]
        .iter()
        .position(|&b| matches!(b, b'/' | b'?' | b'#' | b'\\'))
        .map_or(url_end, |p| from + p)
}

impl<R: AddrRewrite> Scrubber<'_, R> {
    /// The `:` of a `://` at `c.i`.
    pub(super) fn url(&mut self, c: &mut Cursor<'_>) {
        let (s, i) = (c.s, c.i);
        let auth = i + 3;
        let end = c.ends.get(END_PLAIN, auth, || value_end(s, auth, no_stop));
        let mut start = scheme_run(s, c.flushed, i);
        while start < i && matches!(s[start], b'+' | b'.' | b'-') {
            start += 1;
        }
        // A hex digit after a `:` may end an IPv6 address: such a scheme
        // would glue onto the rewritten address (`2001:db8::a000-://`).
        let glued = start > 0 && s[start - 1] == b':' && s[start].is_ascii_hexdigit();
        if start == i || !s[start].is_ascii_alphabetic() || glued {
            // `://` after bytes that are no scheme, or after a scheme an
            // earlier rule claimed (`jane@example.com.http` read as an
            // address): the rest is still a URL, with no origin to write.
            // Only a `://` with nothing at all before it is no URL.
            if start == i && scheme_run(s, 0, i) == i {
                c.i += 1;
            } else if self.policy.referrer == ReferrerMode::Keep {
                self.userinfo(c, auth, end);
            } else {
                self.flush(c, i);
                self.out.push(b'-');
                self.counts.referrers += 1;
                self.cut(c, auth, end);
            }
            return;
        }
        let target = c.target == Some(start);
        match self.policy.referrer {
            _ if target => self.userinfo(c, auth, end),
            ReferrerMode::Keep => self.userinfo(c, auth, end),
            ReferrerMode::Remove => {
                self.flush(c, start);
                self.out.push(b'-');
                self.counts.referrers += 1;
                self.cut(c, auth, end);
            }
            ReferrerMode::Origin => {
                self.flush(c, start);
                let url = &s[start..end];
                match referrer_origin(url) {
                    Some(o) => {
                        // `write_origin`'s text, with the host scrubbed on
                        // the way (it may be an encoded address).
                        self.out.extend_from_slice(&url[o.scheme.clone()]);
                        self.out.extend_from_slice(b"://");
                        self.scan(&url[o.host.clone()], false);
                        self.out.push(b'/');
                        let whole = o.host.start == auth - start
                            && url.len() == o.host.end + 1
                            && url[o.host.end] == b'/';
                        self.counts.referrers += u32::from(!whole);
                    }
                    None => {
                        self.out.push(b'-');
                        self.counts.referrers += 1;
                    }
                }
                self.cut(c, auth, end);
            }
        }
    }

    /// Removes the userinfo of the URL whose authority starts at `auth`,
    /// and scans on from its host.
    pub(super) fn userinfo(&mut self, c: &mut Cursor<'_>, auth: usize, end: usize) {
        c.slash = true;
        let auth_end = authority_end(c.s, auth, end);
        match memrchr(b'@', &c.s[auth..auth_end]) {
            Some(at) => {
                self.flush(c, auth);
                self.counts.secrets += 1;
                Self::skip(c, auth + at + 1);
            }
            None => c.i = auth,
        }
    }

    /// A raw `"` at `c.i`: maybe the start of a quoted request.
    ///
    /// The request is cut as [`cut_request`] cuts a parsed one; the ranges
    /// it removes are removed when the scan reaches them, like any other
    /// removal, so that whatever starts inside and runs past the request
    /// (its closing quote may be a guess) goes too.
    pub(super) fn quote(&mut self, c: &mut Cursor<'_>) {
        let s = c.s;
        let m = c.i + 1;
        c.i = m;
        let Some(t) = method_target(s, m) else {
            return;
        };
        c.target = Some(t);
        if !c.requests || m < c.request_end {
            return;
        }
        let close = closing_quote(s, t).unwrap_or(s.len());
        let cut = cut_request(&s[m..close], self.policy.keep_query);
        self.counts.queries += u32::from(cut.query_removed);
        self.counts.secrets += u32::from(cut.session_removed);
        let mut n = 0;
        let mut pos = m;
        for r in cut.ranges() {
            if m + r.start > pos {
                c.removals[n] = pos..m + r.start;
                n += 1;
            }
            pos = m + r.end;
        }
        if pos < close {
            c.removals[n] = pos..close;
            n += 1;
        }
        c.pending = 0..n;
        c.request_end = close;
    }

    /// A `;` at `c.i`: maybe a `;jsessionid=` path parameter.
    pub(super) fn semicolon(&mut self, c: &mut Cursor<'_>) {
        const KEY: &[u8] = b"jsessionid=";
        let (s, i) = (c.s, c.i);
        let is_key = s
            .get(i + 1..i + 1 + KEY.len())
            .is_some_and(|k| k.eq_ignore_ascii_case(KEY));
        if !is_key {
            c.i += 1;
            return;
        }
        let from = i + 1 + KEY.len();
        let end = c.ends.get(END_SESSION, from, || {
            value_end(s, from, |s, k| matches!(s[k], b'?' | b'/' | b';'))
        });
        self.flush(c, i);
        self.counts.secrets += 1;
        self.cut(c, from, end);
    }
}
