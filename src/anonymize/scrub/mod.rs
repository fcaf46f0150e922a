//! The fail-closed path for text that no format explains: whole lines that
//! do not parse, and values without a rule (unknown fields, trailing
//! fields, JSON keys without a rule, error-log message text). Such text is
//! never written raw; what could be personal is found wherever it sits,
//! and everything else is copied byte for byte (invalid UTF-8 and NUL
//! included) so the line stays useful for debugging.
//!
//! # Rules
//!
//! One left-to-right pass; the first rule that claims a byte decides it.
//! A removal (query, URL, credential value, session id, the cut part of a
//! request) runs at least to the end its rule gives it, and further when
//! something that starts inside it runs further: its bytes are still
//! scanned, with the output thrown away, so a query that runs into
//! `"Authorization: Bearer …` or a session id into `"Cookie":[…]` takes
//! the whole header value with it instead of leaving its tail behind.
//!
//! 1. **Addresses.** Every IPv4/IPv6 literal is rewritten through the
//!    [`AddrRewrite`] (as [`scrub_text`] does: ports, brackets and zones
//!    around it stay). Literals whose dots or colons are encoded —
//!    `%2E`/`%3A` in either case, double-encoded `%252E`/`%253A`, `\x2e`,
//!    `\u002e` — are decoded into a stack buffer and parsed; a run that
//!    holds an address is written back **decoded** (`198%2E51%2E100%2E7`
//!    becomes `198.51.100.0`); a run without one is copied as it was. A run
//!    of address characters too long to be one address has its hex digits
//!    zeroed.
//! 2. **Queries.** A `?` after a `/` in the same whitespace-delimited token
//!    starts a query (`/p?x`, `uri=/a?b`, `'/a?b'`; not `Why?` nor
//!    `a?b/c`); it is cut, `?` included, unless `keep_query`. The query
//!    runs to whitespace or to a *closer*: a raw `"` followed by the end,
//!    whitespace or one of `,;)]}>`, or a raw `'`, backtick or `>` followed
//!    by the end or whitespace. Escaped quotes (`\"`, `\x22`) never end it,
//!    and neither do quotes, `<`, `>` or backticks followed by anything
//!    else (`q=it's`, `q=<b>x`). Only raw whitespace starts a new token,
//!    so a quote or bracket between the `/` and the `?` does not hide the
//!    query (`/o'b?q`). `;jsessionid=` parameters are removed (always,
//!    and counted as secrets, as for parsed lines) up to the next `?`, `/`, `;`,
//!    whitespace or closer.
//! 3. **Requests.** A raw `"` followed by an HTTP or WebDAV method (a fixed
//!    list), one space and a target starts a quoted request. It ends at the
//!    next closing `"` (or, cut off, at the end of the text, which a query
//!    without protocol then runs to) and is cut exactly like a parsed
//!    request line
//!    ([`cut_request`]): the query runs to the protocol (` HTTP/…`) if
//!    there is one, else to the closing quote, so raw spaces, tabs and
//!    quotes inside the query never end the cut. The target of a request
//!    (quoted or not) is the only absolute URL exempt from the referrer
//!    policy.
//! 4. **Absolute URLs** (`scheme://…`, ending like a query): a request
//!    target, and any URL under [`ReferrerMode::Keep`], keeps everything but
//!    its userinfo and (rule 2) its query. Under [`ReferrerMode::Remove`] a
//!    URL becomes `-`; under [`ReferrerMode::Origin`] it becomes
//!    `scheme://host[:port]/` (as [`referrer_origin`] reads it, host
//!    scrubbed of addresses), or `-` when it has no usable host. The scheme
//!    is the `[A-Za-z0-9+.-]` run before `://` past leading `+.-`; when it
//!    starts with a digit, starts with a hex digit right after a `:` (the
//!    end of an IPv6 address, `::5a://`), or was taken by an earlier rule,
//!    the rest of the URL is still removed (Remove, Origin: `-`) or loses
//!    its userinfo (Keep). A bare `://` with nothing before it is no URL.
//! 5. **Userinfo** (`user:password@` before a URL's host) is removed from
//!    every URL.
//! 6. **E-mail addresses**, plain or with an encoded `@` (`%40`), are
//!    replaced whole by `email-redacted`: valid in a URL path, and not an
//!    address itself. The local part is `[A-Za-z0-9._+%-]` (with `%`, so an
//!    encoded local part goes whole). The domain needs two or more labels
//!    of `[A-Za-z0-9-]` (dots may be `%2E`), and ends after the letters
//!    that start its last label with two or more (`com` of
//!    `jane@example.com-http://…`); so `pkg@1.2.3`, `@scope/x` and
//!    `root@localhost` stay. `icon@2x.png` (a first label of digits and
//!    `x`) is an image density, not an address.
//! 7. **Credential pairs.** In `name=value`, `name: value`, `name:value`
//!    and JSON `"name":value`, the value becomes `-` (a quoted value keeps
//!    its quotes, `"-"`) when the name contains, ASCII case-insensitively,
//!    `session`, `sessid`, `token`, `passw`, `passphrase`, `passcode`,
//!    `secret`, `auth`, `apikey`, `jwt`, `csrf`, `xsrf`, `cookie`,
//!    `username`, `userid`, `email`, `credential` or `signature`, or has a
//!    *part* equal to `sid`, `key`, `pwd`, `pw`, `pass`, `passwd`, `user`,
//!    `uid`, `login`, `mail`, `otp`, `pin`, `sig` or `ticket`. Parts are
//!    the letter-and-digit runs of the name, also split at lower-to-upper
//!    case changes (`api_key`, `x-api-key`, `apiKey`, `__Host-sid` match;
//!    `inside`, `monkey`, `mapping`, `users` do not); `user` followed by
//!    `agent` (`User-Agent`) does not count. The name is the run of
//!    `[A-Za-z0-9_.[]-]` before the separator (blanks between allowed,
//!    escape heads such as the `x22` of `\x22sid` dropped), read from the
//!    input even where a removal already took it. Blanks after the
//!    separator are skipped after `:` and in `name = value`; in `name= x`
//!    the value is empty. A value `-` or empty is left alone. A quoted
//!    value runs to its matching quote followed by a non-alphanumeric byte;
//!    `[…]` and `{…}` go whole (`["-"]`, `"-"`). A plain value ends at
//!    whitespace, a closer, `&`, `;` or `,`, or a `)]}` before a blank. `Cookie:`, `Set-Cookie:`,
//!    `Authorization:` and `Proxy-Authorization:` (any name with `cookie`
//!    or `authorization` before a `:`) lose their whole value, up to the
//!    closing quote or the end. An unquoted name with a dot before `:` and
//!    a port is a `host:port`, not a pair (`auth.example.com:443`).
//! 8. **CLF start** ([`scrub_line`] only): a line starting like
//!    `client ident user [time] …` (also cut off after the user field) or
//!    `vhost:port client ident user [time] …` has its ident and user
//!    replaced by `-` unless `keep_user`, like a parsed line (the vhost
//!    form's client, the second token, stays, rewritten). With a time (a
//!    fourth or fifth token starting with `[` and then a digit or the end)
//!    the client may be an address or a host name; a line cut off before
//!    its time needs an address literal as client (`198.51.100.7 - bob`).
//!    The client is rewritten as an address token; a client that is a host
//!    name becomes `0.0.0.0`, as in a parsed line (a reverse-DNS name can
//!    spell its address).
//!
//! No allocation beyond growing the caller's output buffer (fixed stack
//! buffers only), no I/O, and every byte is examined a bounded number of
//! times.

mod clf;
mod email;
mod encoded;
mod pairs;
mod scan;
mod text;
mod urls;

#[cfg(test)]
mod tests;

use crate::addr::AddrRewrite;
// Named by the documentation only.
#[cfg(doc)]
use crate::{
    addr::scrub_text,
    anonymize::{
        ReferrerMode,
        url::{cut_request, referrer_origin},
    },
};
use encoded::encoded_sep;
use scan::{Cursor, Scrubber};
use text::{END_PLAIN, Ends, escape_len, no_stop, scrub_piece, value_end};
use urls::method_target;

/// The parts of the policy that decide what the scrubber keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScrubPolicy {
    /// Keep URL queries (`--keep-query`); session ids and credential
    /// values in them still go.
    pub keep_query: bool,
    /// What happens to absolute URLs other than a request target.
    pub referrer: super::ReferrerMode,
    /// Keep remote users and identd names (`--keep-user`).
    pub keep_user: bool,
}

/// Counts of what [`scrub_line`] or [`scrub_field`] did, one per item.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScrubCounts {
    /// IP literals rewritten (as [`scrub_text`] counts them, encoded ones
    /// included).
    pub addresses: u32,
    /// Clients of a CLF start that are host names, replaced by `0.0.0.0`.
    pub non_addresses: u32,
    /// Queries cut.
    pub queries: u32,
    /// Remote users and identd names removed.
    pub users: u32,
    /// Absolute URLs removed or cut to their origin.
    pub referrers: u32,
    /// Credential, session and cookie values, `;jsessionid=` parameters,
    /// URL userinfo and ports after address literals removed.
    pub secrets: u32,
    /// E-mail addresses masked.
    pub emails: u32,
}

/// Copies one line that no format explains (without its line terminator)
/// to `out`, fail-closed, and reports what it changed.
///
/// Guarantees: every rule of the [module documentation](self) is applied,
/// the CLF-start rule included; no IP literal (plain or encoded), query
/// (unless `policy.keep_query`), userinfo, e-mail address, credential
/// value, or (unless `policy.keep_user`) CLF ident or user is copied; an
/// absolute URL other than a request target follows `policy.referrer`.
/// All other bytes are copied unchanged and in order. Appends only to
/// `out`; never panics on any input.
pub fn scrub_line<R: AddrRewrite>(
    r: &mut R,
    policy: &ScrubPolicy,
    line: &[u8],
    out: &mut Vec<u8>,
) -> ScrubCounts {
    let mut sc = Scrubber::new(r, policy, out);
    let rest = match clf::prefix(line) {
        Some(p) => {
            sc.prefix(line, &p);
            p.end()
        }
        None => 0,
    };
    sc.scan(&line[rest..], true);
    sc.counts
}

/// Copies one value that no format rule explains (an unknown field, a
/// trailing field, a JSON value without a rule, error-message text) to
/// `out` with the guarantees of [`scrub_line`], except for the CLF-start
/// rule, which only makes sense at the start of a line.
pub fn scrub_field<R: AddrRewrite>(
    r: &mut R,
    policy: &ScrubPolicy,
    v: &[u8],
    out: &mut Vec<u8>,
) -> ScrubCounts {
    let mut sc = Scrubber::new(r, policy, out);
    sc.scan(v, true);
    sc.counts
}

/// Copies a User-Agent value to `out` with the guarantees of
/// [`scrub_field`] (e-mails, credentials, session ids, queries and userinfo
/// go; addresses are rewritten), except that a product version such as
/// `Chrome/120.0.0.0` is kept as written ([`crate::anonymize::ua`]), and
/// absolute URLs are kept (without query and userinfo) whatever
/// `--referrer` says: the URL in a user agent is a bot's info page, not the
/// page a visitor came from, and analyzers classify bots by it.
pub fn scrub_user_agent<R: AddrRewrite>(
    r: &mut R,
    policy: &ScrubPolicy,
    v: &[u8],
    out: &mut Vec<u8>,
) -> ScrubCounts {
    if !needs_scrubber(v) {
        // Most user agents hold no byte any rule but the address one acts
        // on (`Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101
        // Firefox/121.0`): the plain address pass gives the same bytes at a
        // fraction of the cost.
        let addresses = crate::anonymize::ua::scrub_user_agent(r, v, out);
        return ScrubCounts {
            addresses,
            ..ScrubCounts::default()
        };
    }
    let policy = ScrubPolicy {
        referrer: super::ReferrerMode::Keep,
        ..*policy
    };
    let mut sc = Scrubber::new(r, &policy, out);
    sc.versions = true;
    sc.scan(v, true);
    sc.counts
}

/// Whether `v` holds a byte that a rule other than the address one starts
/// at: `? @ = % \\ "` (queries, e-mails, pairs, encodings, escapes,
/// quotes), or a `:` that is neither the one of `rv:` nor that of a `://`
/// (headers, credential pairs, ports). A URL with neither `?` nor `@`
/// keeps all of itself under the user-agent policy, so its `://` alone
/// needs no rule.
///
/// One pass over `v` for all seven bytes: two `memchr3` and a `memchr`
/// over every user agent cost 350 instructions a line.
fn needs_scrubber(v: &[u8]) -> bool {
    use crate::bytes::{ByteSet, find_in_set};
    static TRIGGERS: ByteSet<7> = ByteSet::new([b'?', b'@', b'=', b'%', b'\\', b'"', b':']);
    let mut from = 0;
    while let Some(i) = find_in_set(v, from, &TRIGGERS) {
        let harmless_colon = v[i] == b':'
            && (v[i + 1..].starts_with(b"//") || i >= 2 && v[i - 2..i].eq_ignore_ascii_case(b"rv"));
        if !harmless_colon {
            return true;
        }
        from = i + 1;
    }
    false
}

/// If the `:` at `colon` starts the port of an address literal written
/// just before it (`198.51.100.7:51234`, `[2001:db8::1]:443`), not before
/// `floor`, the end of the port. Text that no format explains cannot say
/// whose port it is, and a client's source port singles out one
/// connection behind a truncated address, so such a port goes. The port of
/// a URL's authority stays: it is followed by `/`, `?` or `#`, or handled
/// with its URL.
fn port_after_address(s: &[u8], floor: usize, colon: usize) -> Option<usize> {
    let digits = s[colon + 1..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let end = colon + 1 + digits;
    if !(1..=5).contains(&digits) {
        return None;
    }
    if let Some(&b) = s.get(end) {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b':' | b'/' | b'?' | b'#' | b'_' | b'-')
        {
            return None;
        }
    }
    let addr = if colon > floor && s[colon - 1] == b']' {
        let open = memchr::memrchr(b'[', &s[floor..colon - 1])? + floor;
        crate::addr::parse_v6(&s[open + 1..colon - 1])
            .map(|_| ())
            .or_else(|| {
                // A zone (`fe80::1%eth0`) is allowed inside brackets.
                crate::addr::is_addr_token(&s[open..colon]).then_some(())
            })
    } else {
        let start = text::run_start(s, floor, colon, |b| b.is_ascii_digit() || b == b'.');
        let glued = start > 0 && {
            let b = s[start - 1];
            b.is_ascii_hexdigit() || b == b':'
        };
        (!glued)
            .then(|| crate::addr::parse_v4(&s[start..colon]))
            .flatten()
            .map(|_| ())
    };
    addr.map(|()| end)
}

// Byte classes of the scan: which bytes can start or affect a rule.
const PLAIN: u8 = 0;
const BLANK: u8 = 1;
const SLASH: u8 = 2;
const QUERY: u8 = 3;
const AT: u8 = 4;
const PERCENT: u8 = 5;
const BACKSLASH: u8 = 6;
const EQUALS: u8 = 7;
const COLON: u8 = 8;
const QUOTE: u8 = 9;
const SEMICOLON: u8 = 10;

static CLASS: [u8; 256] = {
    let mut t = [PLAIN; 256];
    let blanks = b" \t\r\n\x0b\x0c";
    let mut i = 0;
    while i < blanks.len() {
        t[blanks[i] as usize] = BLANK;
        i += 1;
    }
    t[b'/' as usize] = SLASH;
    t[b'?' as usize] = QUERY;
    t[b'@' as usize] = AT;
    t[b'%' as usize] = PERCENT;
    t[b'\\' as usize] = BACKSLASH;
    t[b'=' as usize] = EQUALS;
    t[b':' as usize] = COLON;
    t[b'"' as usize] = QUOTE;
    t[b';' as usize] = SEMICOLON;
    t
};
