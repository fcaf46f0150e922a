//! anonip's way of finding addresses (the `columns` format): delimited
//! columns named by number, or the groups of a regular expression that must
//! match at the start of the line.
//!
//! Guarantees, for every line this parser accepts:
//! * every selected column (or regex group) is either empty, or holds an
//!   address in one of anonip's forms (`a.b.c.d`, `a.b.c.d:port`, `v6`,
//!   `[v6]`, `[v6]:port`, each optionally followed by one `]`), whose
//!   address text alone is a [`FieldKind::Address`] span, or, when
//!   replacement is on, is wholly a [`FieldKind::Replace`] span;
//! * a selected column that is missing, a column that is anything else
//!   without replacement, and a regex that does not match make the parse
//!   fail, so the line takes the fail-closed path instead of passing raw
//!   (anonip would print it unchanged).
//!
//! Everything else is kept, as anonip keeps it: this format is the drop-in
//! for anonip, whose users chose to anonymize addresses only.

use std::ops::Range;

use memchr::memmem::Finder;
use regex::bytes::{CaptureLocations, Regex};

use super::{FieldKind, Fields, Span};
use crate::addr::{parse_v4_strict, parse_v6};

/// How the address fields of a line are found.
#[derive(Clone, Debug)]
pub enum Select {
    /// Columns split by a delimiter.
    Columns {
        /// 0-based column numbers, ascending, each once.
        columns: Box<[usize]>,
        /// The delimiter, never empty.
        delimiter: Box<Finder<'static>>,
    },
    /// The groups of a regex anchored at the start of the line.
    Regex(Regex),
}

/// The `columns` format: where addresses are, and what becomes of a
/// selected field that holds none.
#[derive(Clone, Debug)]
pub struct Columns {
    select: Select,
    replace: bool,
}

/// Why a [`Columns`] format cannot be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ColumnsError {
    /// The delimiter is empty (anonip fails on every line with it).
    #[error("the delimiter is empty")]
    EmptyDelimiter,
    /// No column was named.
    #[error("no column named")]
    NoColumn,
    /// The regex does not compile.
    #[error("{0}")]
    Regex(String),
}

impl Columns {
    /// Columns `columns` (1-based, as anonip counts; 0 is refused as
    /// missing) split by `delimiter`. With `replace`, a selected column
    /// holding no address becomes a [`FieldKind::Replace`] span.
    pub fn split(columns: &[usize], delimiter: &[u8], replace: bool) -> Result<Self, ColumnsError> {
        if delimiter.is_empty() {
            return Err(ColumnsError::EmptyDelimiter);
        }
        let mut cols: Vec<usize> = columns.iter().filter_map(|c| c.checked_sub(1)).collect();
        if cols.is_empty() {
            return Err(ColumnsError::NoColumn);
        }
        // A column named twice is rewritten once: spans do not overlap.
        cols.sort_unstable();
        cols.dedup();
        Ok(Columns {
            select: Select::Columns {
                columns: cols.into(),
                delimiter: Box::new(Finder::new(delimiter).into_owned()),
            },
            replace,
        })
    }

    /// The groups of `patterns` joined with `|`, matched at the start of a
    /// line as Python's `re.match` does.
    pub fn regex(patterns: &[String], replace: bool) -> Result<Self, ColumnsError> {
        let joined = patterns.join("|");
        let regex = Regex::new(&format!("^(?:{joined})"))
            .map_err(|e| ColumnsError::Regex(e.to_string()))?;
        Ok(Columns {
            select: Select::Regex(regex),
            replace,
        })
    }

    /// Parses `line` into spans, as the module says; `false` sends the line
    /// to the fail-closed path.
    pub fn parse(&self, line: &[u8], fields: &mut Fields) -> bool {
        fields.clear();
        // anonip strips trailing whitespace before it looks at a line; the
        // whitespace itself is kept here, outside every span.
        let body = &line[..trim_end(line)];
        if body.is_empty() {
            return true;
        }
        match &self.select {
            Select::Columns { columns, delimiter } => {
                self.parse_columns(body, columns, delimiter, fields)
            }
            Select::Regex(re) => self.parse_regex(body, re, fields),
        }
    }

    fn parse_columns(
        &self,
        body: &[u8],
        columns: &[usize],
        delimiter: &Finder<'static>,
        fields: &mut Fields,
    ) -> bool {
        let step = delimiter.needle().len();
        let mut want = columns.iter().copied().peekable();
        let (mut start, mut index) = (0usize, 0usize);
        while let Some(&c) = want.peek() {
            let end = delimiter
                .find(&body[start..])
                .map_or(body.len(), |i| start + i);
            if index == c {
                want.next();
                if !self.field(body, start..end, fields) {
                    return false;
                }
            }
            if end == body.len() {
                // A selected column past the last one: not there.
                return want.peek().is_none();
            }
            start = end + step;
            index += 1;
        }
        true
    }

    fn parse_regex(&self, body: &[u8], re: &Regex, fields: &mut Fields) -> bool {
        let locs = fields.locs.get_or_insert_with(|| re.capture_locations());
        if locs.len() != re.captures_len() {
            *locs = re.capture_locations();
        }
        if re.captures_read(locs, body).is_none() {
            return false;
        }
        let groups = group_spans(locs, &mut fields.groups);
        let mut at = 0;
        for i in 0..groups {
            let g = fields.groups[i].clone();
            // anonip replaces every occurrence of a group's text in the
            // line, not only the group itself: so is it here, in the gaps.
            self.occurrences(body, at..g.start, groups, fields);
            if !self.field(body, g.clone(), fields) {
                return false;
            }
            at = g.end;
        }
        self.occurrences(body, at..body.len(), groups, fields);
        true
    }

    /// Pushes the span(s) of one selected field; `false` when it holds no
    /// address and there is no replacement.
    fn field(&self, body: &[u8], r: Range<usize>, fields: &mut Fields) -> bool {
        if r.is_empty() {
            return true;
        }
        match host_span(&body[r.clone()]) {
            Some(h) => fields.push(Span {
                kind: FieldKind::Address,
                start: r.start + h.start,
                end: r.start + h.end,
            }),
            None if self.replace => fields.push(Span {
                kind: FieldKind::Replace,
                start: r.start,
                end: r.end,
            }),
            None => return false,
        }
        true
    }

    /// Spans for the other occurrences, inside `gap`, of the text each of
    /// the first `groups` groups contributed (an address, or with
    /// replacement the whole group), leftmost first, longest on ties.
    fn occurrences(&self, body: &[u8], gap: Range<usize>, groups: usize, fields: &mut Fields) {
        let mut pos = gap.start;
        while pos < gap.end {
            let hay = &body[pos..gap.end];
            let mut best: Option<(usize, usize, FieldKind)> = None;
            for g in &fields.groups[..groups] {
                let (needle, kind) = match host_span(&body[g.clone()]) {
                    Some(h) => (
                        &body[g.start + h.start..g.start + h.end],
                        FieldKind::Address,
                    ),
                    None if self.replace => (&body[g.clone()], FieldKind::Replace),
                    None => continue,
                };
                if let Some(i) = memchr::memmem::find(hay, needle) {
                    let better = best.is_none_or(|(s, l, _)| i < s || i == s && needle.len() > l);
                    if better {
                        best = Some((i, needle.len(), kind));
                    }
                }
            }
            let Some((i, len, kind)) = best else { return };
            let start = pos + i;
            fields.push(Span {
                kind,
                start,
                end: start + len,
            });
            pos = start + len;
        }
    }
}

/// Collects the non-empty groups of a match into `out`, ascending, leaving
/// out any group inside or across one before it (a nested group), and
/// returns how many there are.
fn group_spans(locs: &CaptureLocations, out: &mut Vec<Range<usize>>) -> usize {
    out.clear();
    for i in 1..locs.len() {
        if let Some((s, e)) = locs.get(i) {
            if s < e {
                out.push(s..e);
            }
        }
    }
    out.sort_unstable_by_key(|r| (r.start, usize::MAX - r.end));
    let mut kept = 0;
    for i in 0..out.len() {
        if kept == 0 || out[i].start >= out[kept - 1].end {
            out.swap(kept, i);
            kept += 1;
        }
    }
    kept
}

/// Where a field's address text is, in anonip's forms (see the module),
/// with Python's address syntax: IPv4 without leading zeros, IPv6 in any
/// case and with an optional `%zone`. `None` for anything else, including
/// forms anonip's URL parsing happens to accept (`user@a.b.c.d`,
/// `a.b.c.d/path`, `[v6]junk`): unknown is not an address.
pub fn host_span(col: &[u8]) -> Option<Range<usize>> {
    if is_v4(col) || is_v6(col) {
        return Some(0..col.len());
    }
    let bracket = col.first() == Some(&b'[');
    let c = if bracket && col.ends_with(b"]]") || !bracket && col.ends_with(b"]") {
        &col[..col.len() - 1]
    } else {
        col
    };
    let (host, rest) = if bracket {
        let close = memchr::memchr(b']', c)?;
        (1..close, &c[close + 1..])
    } else {
        let colon = memchr::memchr(b':', c).unwrap_or(c.len());
        (0..colon, &c[colon..])
    };
    // After a bracket anonip's URL parsing ignores a `]` ending the port.
    let rest = match rest {
        [b':', .., b']'] if bracket => &rest[..rest.len() - 1],
        _ => rest,
    };
    let port_ok = match rest.split_first() {
        None => true,
        Some((b':', digits)) => digits.iter().all(u8::is_ascii_digit),
        Some(_) => false,
    };
    let h = &c[host.clone()];
    let ok = if bracket { is_v6(h) } else { is_v4(h) };
    (port_ok && ok).then_some(host)
}

fn is_v4(s: &[u8]) -> bool {
    parse_v4_strict(s).is_some()
}

/// IPv6 text, with an optional non-empty `%zone` (which anonip drops).
fn is_v6(s: &[u8]) -> bool {
    match memchr::memchr(b'%', s) {
        Some(p) => p + 1 < s.len() && !s[p + 1..].contains(&b'%') && parse_v6(&s[..p]).is_some(),
        None => parse_v6(s).is_some(),
    }
}

/// The address of a [`FieldKind::Address`] span's text: the IPv6 part
/// before a zone, or the whole text.
pub fn address_text(v: &[u8]) -> &[u8] {
    match memchr::memchr(b'%', v) {
        Some(p) => &v[..p],
        None => v,
    }
}

/// The length of `line` without the trailing whitespace Python's
/// `str.rstrip()` removes (ASCII whitespace and the UTF-8 encodings of the
/// Unicode spaces and line breaks).
fn trim_end(line: &[u8]) -> usize {
    let mut n = line.len();
    loop {
        let l = &line[..n];
        let cut = match l {
            [.., b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0x1c..=0x1f] => 1,
            [.., 0xc2, 0x85 | 0xa0] => 2,
            [.., 0xe1, 0x9a, 0x80] | [.., 0xe3, 0x80, 0x80] => 3,
            [.., 0xe2, 0x80, 0x80..=0x8a | 0xa8 | 0xa9 | 0xaf] | [.., 0xe2, 0x81, 0x9f] => 3,
            _ => return n,
        };
        n -= cut;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(c: &Columns, line: &str) -> Option<Vec<(FieldKind, String)>> {
        let mut f = Fields::new();
        c.parse(line.as_bytes(), &mut f).then(|| {
            f.spans()
                .iter()
                .map(|s| (s.kind, line[s.start..s.end].to_owned()))
                .collect()
        })
    }

    #[test]
    fn host_spans_are_anonips_forms_only() {
        let cases: &[(&str, Option<&str>)] = &[
            ("192.0.2.1", Some("192.0.2.1")),
            ("192.0.2.1:80", Some("192.0.2.1")),
            ("192.0.2.1]", Some("192.0.2.1")),
            ("192.0.2.1:80]", Some("192.0.2.1")),
            ("192.0.2.1:", Some("192.0.2.1")),
            ("2001:DB8::1", Some("2001:DB8::1")),
            ("[2001:db8::1]", Some("2001:db8::1")),
            ("[2001:db8::1]]", Some("2001:db8::1")),
            ("[2001:db8::1]:443", Some("2001:db8::1")),
            ("[2001:db8::1]:443]", Some("2001:db8::1")),
            ("fe80::1%eth0", Some("fe80::1%eth0")),
            ("[1.2.3.4]", None),
            ("01.2.3.4", None),
            ("::1]", None),
            ("1.2.3.4]]", None),
            ("user@1.2.3.4", None),
            ("1.2.3.4/24", None),
            ("1.2.3.4:80x", None),
            ("[2001:db8::1]x", None),
            ("fe80::1%", None),
            ("-", None),
            ("", None),
        ];
        for &(col, want) in cases {
            let got = host_span(col.as_bytes()).map(|r| &col[r]);
            assert_eq!(got, want, "{col:?}");
        }
    }

    #[test]
    fn columns_select_fail_or_replace() {
        use FieldKind::{Address as A, Replace as R};
        let c = Columns::split(&[1, 3, 3], b" ", false).unwrap();
        let s = |v: &str| v.to_owned();
        assert_eq!(
            spans(&c, "192.0.2.1 x [::1]:80 y"),
            Some(vec![(A, s("192.0.2.1")), (A, s("::1"))])
        );
        assert_eq!(spans(&c, "192.0.2.1 x"), None, "column 3 is missing");
        assert_eq!(spans(&c, "192.0.2.1 x host"), None, "not an address");
        assert_eq!(spans(&c, " x 192.0.2.1"), Some(vec![(A, s("192.0.2.1"))]));
        assert_eq!(spans(&c, "   \t"), Some(vec![]));
        let r = Columns::split(&[2], b";;", true).unwrap();
        assert_eq!(spans(&r, "a;;host;;b"), Some(vec![(R, s("host"))]));
        assert_eq!(spans(&r, "a;;10.0.0.1 \t"), Some(vec![(A, s("10.0.0.1"))]));
        assert_eq!(
            Columns::split(&[1], b"", false).unwrap_err(),
            ColumnsError::EmptyDelimiter
        );
    }

    #[test]
    fn regex_groups_and_their_other_occurrences() {
        use FieldKind::{Address as A, Replace as R};
        let s = |v: &str| v.to_owned();
        let c = Columns::regex(&["^(\\S+) - (\\S+)".into()], false).unwrap();
        assert_eq!(
            spans(&c, "192.0.2.1 - [::1]:80 seen 192.0.2.1"),
            Some(vec![
                (A, s("192.0.2.1")),
                (A, s("::1")),
                (A, s("192.0.2.1"))
            ])
        );
        assert_eq!(spans(&c, "no match"), None);
        assert_eq!(spans(&c, "host - 192.0.2.1"), None);
        let r = Columns::regex(&["x (\\S+)".into(), "(\\S+)$".into()], true).unwrap();
        assert_eq!(
            spans(&r, "x host y host"),
            Some(vec![(R, s("host")), (R, s("host"))])
        );
        assert_eq!(spans(&r, "192.0.2.1"), Some(vec![(A, s("192.0.2.1"))]));
        // Nested groups: the outer one counts.
        let n = Columns::regex(&["((\\d+)\\.\\d+\\.\\d+\\.\\d+)".into()], false).unwrap();
        assert_eq!(spans(&n, "10.1.2.3 x"), Some(vec![(A, s("10.1.2.3"))]));
    }

    #[test]
    fn trailing_whitespace_as_python_strips_it() {
        assert_eq!(trim_end(b"a \t\r\x0b\x1f"), 1);
        assert_eq!(trim_end("a\u{a0}\u{3000}\u{2028}".as_bytes()), 1);
        assert_eq!(trim_end("a\u{e9}".as_bytes()), 3);
        assert_eq!(trim_end(b""), 0);
    }
}
