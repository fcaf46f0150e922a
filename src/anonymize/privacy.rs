//! The per-line steps of the finer privacy options that need the whole
//! worker: kept-network counts and the path rules on unparsed lines.

use super::{Anonymizer, path};
use crate::anonymize::pseudonym::LineRewrite;
use crate::stats::Stats;

impl<R: LineRewrite> Anonymizer<'_, R> {
    /// Applies the path rules to the scrubbed output of an unparsed line,
    /// `out[start..]`: JWTs wherever they are, the word classes (uuid,
    /// hex, digits) in tokens that hold a `/` (paths and URLs; tokens end
    /// at blanks, quotes and brackets). E-mail addresses are already gone:
    /// the scrubber's own rule is the path rule's.
    pub(super) fn path_rules_unparsed(
        &mut self,
        start: usize,
        out: &mut Vec<u8>,
        stats: &mut Stats,
    ) {
        use path::PathRules;
        let rules = self.rules.path_rules;
        let text = &out[start..];
        let jwt = rules.has(PathRules::JWT) && memchr::memchr(b'J', text).is_some();
        let words = rules.words() && memchr::memchr(b'/', text).is_some();
        if !jwt && !words {
            return;
        }
        self.scratch.clear();
        self.scratch.extend_from_slice(text);
        out.truncate(start);
        let s = &self.scratch;
        let mut at = 0;
        while at < s.len() {
            let end = s[at..]
                .iter()
                .position(|b| b" \t\"'<>()[]{}|".contains(b))
                .map_or(s.len(), |i| at + i);
            let token = &s[at..end];
            let r = if memchr::memchr(b'/', token).is_some() {
                rules
            } else {
                rules.only(PathRules::JWT)
            };
            let c = path::write_path_scrubbed(r, token, out);
            stats.tokens += u64::from(c.tokens);
            stats.emails += u64::from(c.emails);
            out.extend_from_slice(&s[end..(end + 1).min(s.len())]);
            at = end + 1;
        }
    }

    /// Moves the line's addresses that a kept network left unchanged from
    /// the rewritten count to their own.
    #[inline]
    pub(super) fn count_kept(&mut self, stats: &mut Stats) {
        let kept = self.rewriter.take_kept();
        if kept > 0 {
            stats.kept += kept;
            stats.addresses = stats.addresses.saturating_sub(kept);
        }
    }
}
