//! The start of a line that looks like Common Log Format:
//! `client ident user [time] "request" …`, or with a virtual host before it
//! (`vhost:port client ident user [time] …`), possibly cut off anywhere
//! after the user field.

use std::ops::Range;

use super::Scrubber;
use crate::addr::{AddrRewrite, TokenKind, is_addr_token, rewrite_addr_only};

/// The first tokens of a CLF-like line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Prefix {
    /// The tokens before the time, in order (only the first `n` are
    /// meaningful); single spaces lie between them.
    pub tokens: [Range<usize>; 4],
    /// How many tokens there are.
    pub n: usize,
    /// Index of the client token: 0, or 1 after a virtual host.
    pub client: usize,
}

impl Prefix {
    /// End of the last token: where the rest of the line starts.
    pub fn end(&self) -> usize {
        self.tokens[self.n - 1].end
    }
}

/// Bytes of a client or virtual host token: address literals (with
/// brackets, zone and port) and host names.
fn is_host_like(t: &[u8]) -> bool {
    !t.is_empty()
        && t.iter().all(|&b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':' | b'%' | b'[' | b']')
        })
}

/// `host:port` as Apache's `%v:%p` writes it.
fn is_vhost(t: &[u8]) -> bool {
    is_host_like(t)
        && t.iter().rposition(|&b| b == b':').is_some_and(|c| {
            let port = &t[c + 1..];
            c > 0 && (1..=5).contains(&port.len()) && port.iter().all(u8::is_ascii_digit)
        })
}

/// Recognises a CLF-like start of `line`.
///
/// With a `[` token after three or four tokens (and a digit or the end
/// right after the `[`, as a CLF time has): three tokens are client, ident
/// and user; four are virtual host, client, ident and user. The client
/// (and virtual host) must look like a host ([`is_host_like`]).
///
/// Without a time (the line ends after the tokens): an address literal
/// followed by one or two tokens is client, ident and user; a `host:port`
/// and an address literal followed by one or two tokens are virtual host,
/// client, ident and user. Requiring an address literal here keeps
/// ordinary three-word lines out.
pub(super) fn prefix(line: &[u8]) -> Option<Prefix> {
    let mut tokens = [0..0, 0..0, 0..0, 0..0];
    let mut n = 0;
    let mut k = 0;
    let timed = loop {
        if k >= line.len() {
            break false;
        }
        if n >= 3 && line[k] == b'[' {
            if !line.get(k + 1).is_none_or(u8::is_ascii_digit) {
                return None;
            }
            break true;
        }
        let e = memchr::memchr(b' ', &line[k..]).map_or(line.len(), |p| k + p);
        if e == k || n == 4 {
            return None;
        }
        tokens[n] = k..e;
        n += 1;
        k = e + 1;
    };
    let t = |i: usize| &line[tokens[i].clone()];
    let client = if timed {
        match n {
            3 if is_host_like(t(0)) => 0,
            4 if is_host_like(t(0)) && is_host_like(t(1)) => 1,
            _ => return None,
        }
    } else if (3..=4).contains(&n) && is_vhost(t(0)) && is_addr_token(t(1)) {
        1
    } else if (2..=3).contains(&n) && is_addr_token(t(0)) {
        0
    } else {
        return None;
    };
    Some(Prefix { tokens, n, client })
}

impl<R: AddrRewrite> Scrubber<'_, R> {
    pub(super) fn prefix(&mut self, line: &[u8], p: &Prefix) {
        for k in 0..p.n {
            if k > 0 {
                self.out.push(b' ');
            }
            let tok = &line[p.tokens[k].clone()];
            if k < p.client {
                self.scan(tok, false);
            } else if k == p.client {
                // As in a parsed line, the client loses its port: the
                // source port singles out one connection behind a /24.
                match rewrite_addr_only(self.r, tok, self.out) {
                    (TokenKind::NotAddr, _) if tok == b"-" => self.out.push(b'-'),
                    (TokenKind::NotAddr, _) => {
                        self.out.extend_from_slice(b"0.0.0.0");
                        self.counts.non_addresses += 1;
                    }
                    (TokenKind::V4 | TokenKind::V6, port) => {
                        self.counts.addresses += 1;
                        self.counts.secrets += u32::from(port);
                    }
                }
            } else if self.policy.keep_user {
                self.scan(tok, false);
            } else {
                self.out.push(b'-');
                self.counts.users += u32::from(tok != b"-");
            }
        }
    }
}
