//! The template engine: literals and typed fields, matched left to right
//! without backtracking, recording spans instead of copying.

use super::FieldKind;

/// One element of a format definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Bytes that must appear verbatim.
    Literal(Vec<u8>),
    /// A field of the given kind.
    Field(FieldKind),
}

/// Why a list of pieces is not a usable template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// Two fields with nothing between them cannot be told apart.
    #[error("fields {0} and {1} are not separated by a literal")]
    AdjacentFields(usize, usize),
    /// Empty literals would make the matcher loop on nothing.
    #[error("piece {0} is an empty literal")]
    EmptyLiteral(usize),
    /// A template without fields has nothing to anonymize.
    #[error("the format has no fields")]
    NoFields,
}

/// The byte range of one field inside a line, with its kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// What the field holds.
    pub kind: FieldKind,
    /// Offset of the first byte of the field.
    pub start: usize,
    /// Offset one past the last byte of the field.
    pub end: usize,
}

/// The spans of one parsed line, in line order, non-overlapping.
///
/// Reused across lines: [`Template::parse`] clears it, and its capacity
/// survives, so parsing allocates nothing after the first line.
#[derive(Clone, Debug, Default)]
pub struct Fields {
    spans: Vec<Span>,
}

impl Fields {
    /// Creates an empty set of spans.
    pub fn new() -> Self {
        Self::default()
    }

    /// The spans found by the last successful parse, ascending.
    pub fn spans(&self) -> &[Span] {
        &self.spans
    }

    /// Forgets all spans, keeping the capacity (for parsers other than
    /// templates).
    pub fn clear(&mut self) {
        self.spans.clear();
    }

    /// Appends a span; callers keep spans ascending and non-overlapping.
    pub fn push(&mut self, span: Span) {
        debug_assert!(self.spans.last().is_none_or(|l| l.end <= span.start));
        self.spans.push(span);
    }
}

#[derive(Clone, Debug)]
enum Step {
    Literal(Box<[u8]>),
    Field {
        kind: FieldKind,
        /// Enclosed in `"`: the end is an unescaped quote, and `\"` inside
        /// does not end it (Apache writes `\"`, nginx `\x22`).
        quoted: bool,
        /// The literal that follows, which ends the field; `None` for a
        /// field that runs to the end of the line.
        until: Option<Box<[u8]>>,
        /// The following literal is the last piece, so it must also end
        /// the line.
        until_is_last: bool,
    },
}

/// A compiled format: parses a line into [`Fields`].
#[derive(Clone, Debug)]
pub struct Template {
    name: String,
    steps: Vec<Step>,
}

impl Template {
    /// Compiles `pieces` into a template named `name`.
    ///
    /// Guarantees that every field is delimited by a non-empty literal or by
    /// the end of the line, so matching is linear and never ambiguous about
    /// where to look for the end of a field.
    pub fn new(name: &str, pieces: Vec<Piece>) -> Result<Self, TemplateError> {
        if !pieces.iter().any(|p| matches!(p, Piece::Field(_))) {
            return Err(TemplateError::NoFields);
        }
        let mut steps = Vec::with_capacity(pieces.len());
        for (i, piece) in pieces.iter().enumerate() {
            match piece {
                Piece::Literal(l) if l.is_empty() => return Err(TemplateError::EmptyLiteral(i)),
                Piece::Literal(l) => steps.push(Step::Literal(l.clone().into_boxed_slice())),
                Piece::Field(kind) => {
                    let prev = i.checked_sub(1).map(|j| &pieces[j]);
                    let next = pieces.get(i + 1);
                    if let Some(Piece::Field(_)) = next {
                        return Err(TemplateError::AdjacentFields(i, i + 1));
                    }
                    let until = match next {
                        Some(Piece::Literal(l)) => Some(l.clone().into_boxed_slice()),
                        _ => None,
                    };
                    let opens = matches!(prev, Some(Piece::Literal(l)) if l.ends_with(b"\""));
                    let closes = until.as_deref().is_some_and(|l| l.starts_with(b"\""));
                    steps.push(Step::Field {
                        kind: *kind,
                        quoted: opens && closes,
                        until_is_last: until.is_some() && i + 2 == pieces.len(),
                        until,
                    });
                }
            }
        }
        Ok(Template {
            name: name.to_owned(),
            steps,
        })
    }

    /// The format's name, for diagnostics and `--stats`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Matches `line` (without its line terminator) against the template.
    ///
    /// On success `fields` holds one span per field and `true` is returned.
    /// On failure the content of `fields` is unspecified and the caller must
    /// treat the line as unparsed: a partial match is never reported as a
    /// match.
    pub fn parse(&self, line: &[u8], fields: &mut Fields) -> bool {
        fields.spans.clear();
        let mut pos = 0;
        for step in &self.steps {
            match step {
                Step::Literal(l) => {
                    if !has_prefix(&line[pos..], l) {
                        return false;
                    }
                    pos += l.len();
                }
                Step::Field {
                    kind,
                    quoted,
                    until,
                    until_is_last,
                } => {
                    let end = match until {
                        None => line.len(),
                        Some(l) if *quoted => match find_quote_end(line, pos, l, *until_is_last) {
                            Some(e) => e,
                            None => return false,
                        },
                        Some(l) => match find_literal(line, pos, l, *until_is_last) {
                            Some(e) => e,
                            None => return false,
                        },
                    };
                    if !valid(*kind, &line[pos..end]) {
                        return false;
                    }
                    fields.spans.push(Span {
                        kind: *kind,
                        start: pos,
                        end,
                    });
                    pos = end;
                }
            }
        }
        pos == line.len()
    }
}

/// Fields with a fixed shape are checked, so a line of another format is
/// not mistaken for this one and its bytes kept unscrubbed.
fn valid(kind: FieldKind, v: &[u8]) -> bool {
    match kind {
        FieldKind::Status | FieldKind::Port => !v.is_empty() && v.iter().all(u8::is_ascii_digit),
        FieldKind::Bytes => v == b"-" || (!v.is_empty() && v.iter().all(u8::is_ascii_digit)),
        FieldKind::Time => !v.is_empty(),
        _ => true,
    }
}

/// `hay.starts_with(lit)` for the short literals of a template, without a
/// call to `memcmp`, which dominates at these lengths.
#[inline]
fn has_prefix(hay: &[u8], lit: &[u8]) -> bool {
    hay.len() >= lit.len() && hay.iter().zip(lit).all(|(a, b)| a == b)
}

/// First occurrence of `lit` at or after `from`; if `last`, it must also end the line.
fn find_literal(line: &[u8], from: usize, lit: &[u8], last: bool) -> Option<usize> {
    if last {
        return (line.len() >= from + lit.len() && line.ends_with(lit))
            .then(|| line.len() - lit.len());
    }
    let mut at = from;
    // Unquoted fields are short (addresses, `-`, numbers): a plain loop
    // beats memchr's per-call setup here.
    let first = lit[0];
    while let Some(i) = line[at..].iter().position(|&b| b == first) {
        let cand = at + i;
        if has_prefix(&line[cand..], lit) {
            return Some(cand);
        }
        at = cand + 1;
    }
    None
}

/// The first unescaped `"` at or after `from`, if `lit` (which begins with
/// the quote) starts there; if `last`, the literal must also end the line.
fn find_quote_end(line: &[u8], from: usize, lit: &[u8], last: bool) -> Option<usize> {
    let mut at = from;
    while let Some(i) = memchr::memchr(b'"', &line[at..]) {
        let cand = at + i;
        at = cand + 1;
        let backslashes = line[from..cand]
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count();
        if backslashes % 2 == 1 {
            continue;
        }
        // Both servers escape quotes inside fields, so the first unescaped
        // quote ends the field; if the template does not continue there, the
        // line is not of this format.
        return (has_prefix(&line[cand..], lit) && (!last || cand + lit.len() == line.len()))
            .then_some(cand);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{FieldKind::*, combined, common, main, vhost_combined};

    fn parse<'a>(t: &Template, line: &'a [u8]) -> Option<Vec<(FieldKind, &'a [u8])>> {
        let mut f = Fields::new();
        t.parse(line, &mut f).then(|| {
            f.spans()
                .iter()
                .map(|s| (s.kind, &line[s.start..s.end]))
                .collect()
        })
    }

    const NGINX: &[u8] = b"198.51.100.7 - - [22/Nov/2026:08:38:17 +0000] \"GET /path?email=a%40b.c HTTP/1.1\" 200 3 \"https://ref.example/page?token=abc\" \"Mozilla/5.0 test\"";

    #[test]
    fn combined_nginx_line() {
        let f = parse(&combined(), NGINX).unwrap();
        assert_eq!(
            f,
            vec![
                (Client, &b"198.51.100.7"[..]),
                (Ident, b"-"),
                (User, b"-"),
                (Time, b"22/Nov/2026:08:38:17 +0000"),
                (Request, b"GET /path?email=a%40b.c HTTP/1.1"),
                (Status, b"200"),
                (Bytes, b"3"),
                (Referer, b"https://ref.example/page?token=abc"),
                (UserAgent, b"Mozilla/5.0 test"),
            ]
        );
    }

    #[test]
    fn apache_escaped_quotes_do_not_end_fields() {
        let line = br#"192.0.2.1 - - [22/Nov/2026:08:41:08 +0000] "GET /q\"uote\\bs?x=%22 HTTP/1.1" 400 266 "-" "ua\"q\\b\xff\ttab end""#;
        let f = parse(&combined(), line).unwrap();
        assert_eq!(f[4], (Request, &br#"GET /q\"uote\\bs?x=%22 HTTP/1.1"#[..]));
        assert_eq!(f[8], (UserAgent, &br#"ua\"q\\b\xff\ttab end"#[..]));
    }

    #[test]
    fn escaped_backslash_before_quote_ends_field() {
        // `\\"` is an escaped backslash followed by the closing quote.
        let line = br#"192.0.2.1 - - [t] "GET /a\\" 200 1 "-" "x\\""#;
        let f = parse(&combined(), line).unwrap();
        assert_eq!(f[4].1, br#"GET /a\\"#);
        assert_eq!(f[8].1, br#"x\\"#);
    }

    #[test]
    fn nginx_hex_escapes_pass_through() {
        let line = br#"203.0.113.5 - - [t] "GET /q\x22uote\x5Cbs?x=%22 HTTP/1.1" 200 3 "http://r/\xE9t\xC3\xA9" "ua\x22q\x5Cb\x7F\xFF\x09tab""#;
        let f = parse(&combined(), line).unwrap();
        assert_eq!(f[4].1, br#"GET /q\x22uote\x5Cbs?x=%22 HTTP/1.1"#);
        assert_eq!(f[7].1, br#"http://r/\xE9t\xC3\xA9"#);
    }

    #[test]
    fn user_with_space_and_invalid_utf8() {
        let line = b"198.51.100.7 - j\xffohn doe [t] \"GET / HTTP/1.1\" 200 - \"-\" \"-\"";
        let f = parse(&combined(), line).unwrap();
        assert_eq!(f[2], (User, &b"j\xffohn doe"[..]));
        assert_eq!(f[6], (Bytes, &b"-"[..]));
    }

    #[test]
    fn common_and_main_and_vhost() {
        let c = b"192.0.2.9 - bob [t] \"GET /x HTTP/1.0\" 404 0";
        assert_eq!(parse(&common(), c).unwrap().len(), 7);
        assert!(parse(&combined(), c).is_none());
        let m = b"192.0.2.9 - - [t] \"GET / HTTP/1.1\" 200 1 \"-\" \"curl\" \"203.0.113.1, 198.51.100.2\"";
        let f = parse(&main(), m).unwrap();
        // nginx's `main` writes ` - ` as a literal, so it has no Ident field.
        assert_eq!(f.len(), 9);
        assert_eq!(f[8], (ForwardedFor, &b"203.0.113.1, 198.51.100.2"[..]));
        assert!(parse(&combined(), m).is_none(), "main line is not combined");
        let v = b"www.example.com:443 192.0.2.9 - - [t] \"GET / HTTP/1.1\" 200 1 \"-\" \"curl\"";
        let f = parse(&vhost_combined(), v).unwrap();
        assert_eq!(f[0], (Vhost, &b"www.example.com"[..]));
        assert_eq!(f[1], (Port, &b"443"[..]));
    }

    #[test]
    fn rejects_near_misses() {
        let t = combined();
        for line in [
            &b""[..],
            b"-",
            b"garbage line",
            b"192.0.2.1 - - [t] \"GET / HTTP/1.1\" 2x0 1 \"-\" \"-\"",
            b"192.0.2.1 - - [t] \"GET / HTTP/1.1\" 200 1x \"-\" \"-\"",
            b"192.0.2.1 - - [t] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\" trailing",
            b"192.0.2.1 - - [] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"",
            b"192.0.2.1 - - [t] \"GET / HTTP/1.1\" 200 1 \"-\" \"unterminated",
            b"192.0.2.1 - - [t] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\\\"",
        ] {
            assert!(
                parse(&t, line).is_none(),
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn template_errors() {
        let f = || Piece::Field(Client);
        assert_eq!(
            Template::new("x", vec![f(), f()]).unwrap_err(),
            TemplateError::AdjacentFields(0, 1)
        );
        assert_eq!(
            Template::new("x", vec![f(), Piece::Literal(vec![])]).unwrap_err(),
            TemplateError::EmptyLiteral(1)
        );
        assert_eq!(
            Template::new("x", vec![Piece::Literal(b"a".to_vec())]).unwrap_err(),
            TemplateError::NoFields
        );
    }
}
