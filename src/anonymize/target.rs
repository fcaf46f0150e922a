//! Writing what [`url`](super::url) keeps of a request, a target or a
//! referrer: the path through the path rules, a kept query through the
//! kept parameters, everything else scrubbed of addresses as before.

use std::ops::Range;

use super::path::{PathRules, write_path};
use super::query::{QueryParams, write_query};
use super::url::RequestCut;
use crate::addr::{AddrRewrite, scrub_text};
use crate::stats::Stats;

/// The rules for the parts of a URL.
#[derive(Clone, Copy, Debug)]
pub(super) struct UrlPolicy<'a> {
    /// The classes removed from paths.
    pub path: PathRules,
    /// With `--keep-query-param`: the parameters a kept query keeps.
    pub params: Option<&'a QueryParams>,
}

/// Appends the kept ranges of `v` (as `cut` gives them) to `out`: the
/// bytes inside `cut.path` through [`write_path`], a kept query
/// (`cut.query`) through [`write_query`] when `policy.params` is set (a
/// query of which no parameter is kept goes whole, `?` included, and is
/// counted as a removed query), and all others through [`scrub_text`].
///
/// Guarantees: with [`PathRules::NONE`] and no parameters, the bytes
/// written are exactly those of [`scrub_text`] over each range; the
/// counts go to `stats` (addresses, e-mails, tokens, queries, parameters).
#[inline(always)]
pub(super) fn write_cut<R: AddrRewrite>(
    r: &mut R,
    policy: UrlPolicy<'_>,
    v: &[u8],
    cut: &RequestCut,
    out: &mut Vec<u8>,
    stats: &mut Stats,
) {
    if plain(policy, v, cut) {
        // Most requests: nothing for the path rules to look at and no
        // parameters to judge, so each range is scrubbed whole, as it was
        // before there were path rules (splitting it costs a scrub call
        // per piece).
        for range in cut.ranges() {
            stats.addresses += u64::from(scrub_text(r, &v[range.clone()], out));
        }
    } else {
        write_parts(r, policy, v, cut, out, stats);
    }
}

/// [`write_cut`] piece by piece.
#[inline(never)]
#[cold]
fn write_parts<R: AddrRewrite>(
    r: &mut R,
    policy: UrlPolicy<'_>,
    v: &[u8],
    cut: &RequestCut,
    out: &mut Vec<u8>,
    stats: &mut Stats,
) {
    for range in cut.ranges() {
        let mut at = range.start;
        for (part, kind) in [
            (cut.path.clone(), Part::Path),
            (cut.query.clone(), Part::Query),
        ] {
            let piece = clamp(&part, range);
            if piece.is_empty() {
                continue;
            }
            stats.addresses += u64::from(scrub_text(r, &v[at..piece.start], out));
            write_part(r, policy, kind, &v[piece.clone()], out, stats);
            at = piece.end;
        }
        stats.addresses += u64::from(scrub_text(r, &v[at..range.end], out));
    }
}

/// Whether writing `cut` needs neither the path rules nor the kept
/// parameters: no kept query to filter, and a path without a byte where
/// an e-mail address or a JWT could start (`@`, `%`, `J`), unless word
/// classes are asked for, which look at every path.
#[inline(always)]
fn plain(policy: UrlPolicy<'_>, v: &[u8], cut: &RequestCut) -> bool {
    if policy.params.is_some() && !cut.query.is_empty() {
        return false;
    }
    if policy.path.is_empty() {
        return true;
    }
    // The search runs over the rest of the field rather than the path
    // alone: a request line is long enough for the vector search, most
    // paths are not, and a protocol (`HTTP/1.1`) has no trigger.
    !policy.path.words()
        && crate::bytes::find_any(v, cut.path.start, [b'@', b'%', b'J'])
            .is_none_or(|i| i >= cut.path.end)
}

#[derive(Clone, Copy)]
enum Part {
    Path,
    Query,
}

fn write_part<R: AddrRewrite>(
    r: &mut R,
    policy: UrlPolicy<'_>,
    kind: Part,
    s: &[u8],
    out: &mut Vec<u8>,
    stats: &mut Stats,
) {
    match (kind, policy.params) {
        (Part::Path, _) => {
            let c = write_path(r, policy.path, s, out);
            stats.addresses += u64::from(c.addresses);
            stats.emails += u64::from(c.emails);
            stats.tokens += u64::from(c.tokens);
        }
        (Part::Query, Some(params)) => {
            let c = write_query(r, params, s, out);
            stats.addresses += u64::from(c.addresses);
            stats.emails += u64::from(c.emails);
            stats.params += u64::from(c.removed);
            stats.queries += u64::from(c.kept == 0 && s.len() > 1);
        }
        (Part::Query, None) => stats.addresses += u64::from(scrub_text(r, s, out)),
    }
}

/// `part` within `range` (empty when they do not meet).
fn clamp(part: &Range<usize>, range: &Range<usize>) -> Range<usize> {
    let start = part.start.max(range.start);
    let end = part.end.min(range.end);
    if start < end { start..end } else { 0..0 }
}
