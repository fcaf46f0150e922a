//! The scan machinery: the [`Scrubber`], its [`Cursor`] over one slice and
//! the [`Mute`] of a removal under way, with the main loop and the query rule.

use std::ops::Range;

use super::*;

pub(super) struct Scrubber<'a, R> {
    pub(super) r: &'a mut R,
    pub(super) policy: &'a ScrubPolicy,
    pub(super) out: &'a mut Vec<u8>,
    pub(super) counts: ScrubCounts,
    /// Product versions (`Chrome/120.0.0.0`) are kept: the value is a
    /// user agent ([`super::scrub_user_agent`]).
    pub(super) versions: bool,
}

/// Where the scan of one slice is. Bytes in `flushed..i` are pending: not
/// yet written, kept unless a rule found at `i` claims a tail of them (a
/// scheme, an e-mail local part, the head of an address).
pub(super) struct Cursor<'s> {
    pub(super) s: &'s [u8],
    pub(super) i: usize,
    pub(super) flushed: usize,
    /// A `/` was seen in the current whitespace-delimited token.
    pub(super) slash: bool,
    /// Start of the current request target, if a method was seen.
    pub(super) target: Option<usize>,
    /// Quoted requests are recognised (not inside one already).
    pub(super) requests: bool,
    /// The removal under way, if any.
    pub(super) mute: Option<Mute>,
    pub(super) ends: Ends,
    /// End of the quoted request being scanned (no new one starts before).
    pub(super) request_end: usize,
    /// What [`cut_request`] removes of it, not yet reached.
    pub(super) removals: [Range<usize>; 4],
    pub(super) pending: Range<usize>,
}

/// A removal under way. Its bytes are still scanned, with the output
/// thrown away afterwards, so that anything that starts inside it and runs
/// further (a query running into `"Authorization: Bearer …`, a session id
/// into `"Cookie":[…]`) extends it instead of leaving its tail behind.
pub(super) struct Mute {
    /// The removal ends here at the earliest.
    pub(super) until: usize,
    /// Length of the output when it began.
    pub(super) mark: usize,
    /// The counts when it began: what is found inside is not counted.
    pub(super) counts: ScrubCounts,
}

impl<'a, R: AddrRewrite> Scrubber<'a, R> {
    pub(super) fn new(r: &'a mut R, policy: &'a ScrubPolicy, out: &'a mut Vec<u8>) -> Self {
        Scrubber {
            r,
            policy,
            out,
            counts: ScrubCounts::default(),
            versions: false,
        }
    }

    /// Writes the pending bytes up to `to`, scrubbed of plain addresses.
    pub(super) fn flush(&mut self, c: &mut Cursor<'_>, to: usize) {
        let piece = &c.s[c.flushed..to];
        self.counts.addresses += if self.versions {
            text::scrub_piece_keeping(self.r, piece, self.out, crate::anonymize::ua::is_version)
        } else {
            scrub_piece(self.r, piece, self.out)
        };
        c.flushed = to;
    }

    /// Drops everything up to `to` and continues there.
    pub(super) fn skip(c: &mut Cursor<'_>, to: usize) {
        c.flushed = to;
        c.i = to;
    }

    /// Removes `from..end` (its replacement is written already), scanning
    /// on from `from` with the output muted ([`Mute`]).
    pub(super) fn cut(&mut self, c: &mut Cursor<'_>, from: usize, end: usize) {
        match &mut c.mute {
            Some(m) => m.until = m.until.max(end),
            None => {
                c.mute = Some(Mute {
                    until: end,
                    mark: self.out.len(),
                    counts: self.counts,
                });
            }
        }
        Self::skip(c, from);
    }

    /// Applies every rule but the CLF start to `s`. `requests` is false
    /// inside a request or host already being handled, which also bounds
    /// the recursion to two levels.
    pub(super) fn scan(&mut self, s: &[u8], requests: bool) {
        let mut c = Cursor {
            s,
            i: 0,
            flushed: 0,
            slash: false,
            target: method_target(s, 0),
            requests,
            mute: None,
            ends: Ends::default(),
            request_end: 0,
            removals: [0..0, 0..0, 0..0, 0..0],
            pending: 0..0,
        };
        loop {
            if c.mute.as_ref().is_some_and(|m| c.i >= m.until) {
                let m = c.mute.take().expect("checked");
                self.out.truncate(m.mark);
                self.counts = m.counts;
                c.flushed = c.i;
            }
            if let Some(k) = c.pending.clone().next() {
                let r = c.removals[k].clone();
                if c.i >= r.start {
                    c.pending.start += 1;
                    if c.i < r.end {
                        let at = c.i;
                        self.flush(&mut c, at);
                        self.cut(&mut c, at, r.end);
                    }
                    continue;
                }
            }
            if c.i >= s.len() {
                break;
            }
            match CLASS[usize::from(s[c.i])] {
                PLAIN => {
                    // Most bytes start no rule: run over them, but stop
                    // where a removal ends or a request's cut begins.
                    let mut limit = s.len();
                    if let Some(m) = &c.mute {
                        limit = limit.min(m.until);
                    }
                    if let Some(k) = c.pending.clone().next() {
                        limit = limit.min(c.removals[k].start);
                    }
                    c.i += 1;
                    while c.i < limit && CLASS[usize::from(s[c.i])] == PLAIN {
                        c.i += 1;
                    }
                }
                BLANK => {
                    c.slash = false;
                    c.i += 1;
                    if let Some(t) = method_target(s, c.i) {
                        c.target = Some(t);
                    }
                }
                SLASH => {
                    c.slash = true;
                    c.i += 1;
                }
                QUERY => self.query(&mut c),
                AT => self.email(&mut c, 1),
                PERCENT => self.percent(&mut c),
                BACKSLASH => {
                    if encoded_sep(s, c.i).is_some() {
                        self.encoded(&mut c);
                    } else {
                        // Stepping over whole escapes keeps `\"` from
                        // counting as a quote.
                        c.i += escape_len(&s[c.i..]).max(1);
                    }
                }
                EQUALS => self.pair(&mut c),
                COLON => {
                    if s[c.i + 1..].starts_with(b"//") {
                        self.url(&mut c);
                    } else if let Some(end) = c
                        .requests
                        .then(|| port_after_address(s, c.flushed, c.i))
                        .flatten()
                    {
                        // (Not inside a URL's host, whose port is the
                        // server's.)
                        let at = c.i;
                        self.flush(&mut c, at);
                        self.counts.secrets += 1;
                        Self::skip(&mut c, end);
                    } else {
                        self.pair(&mut c);
                    }
                }
                QUOTE => self.quote(&mut c),
                SEMICOLON => self.semicolon(&mut c),
                _ => unreachable!("byte class"),
            }
        }
        // A removal that runs to the end has left nothing pending.
        let end = s.len().max(c.flushed);
        self.flush(&mut c, end);
    }

    pub(super) fn query(&mut self, c: &mut Cursor<'_>) {
        let (s, i) = (c.s, c.i);
        if !c.slash || self.policy.keep_query {
            c.i += 1;
            return;
        }
        self.flush(c, i);
        self.counts.queries += 1;
        let end = c
            .ends
            .get(END_PLAIN, i + 1, || value_end(s, i + 1, no_stop));
        self.cut(c, i + 1, end);
        c.slash = false;
    }
}
