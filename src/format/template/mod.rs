//! The template engine: literals and typed fields, matched left to right
//! without backtracking, recording spans instead of copying.

mod find;

use super::FieldKind;
use super::{Fields, Span};
use crate::bytes::find_byte;
use find::{Lit, find_digits_end, find_last_literal, find_literal, find_quote};

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

/// How the end of a field is found, decided once by [`Template::new`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Find {
    /// No literal follows: the field runs to the end of the line.
    ToEnd,
    /// Unquoted, ended by the first occurrence of the one-byte literal
    /// [`Step::byte`].
    Byte,
    /// Unquoted, in a field that must be digits (or, with
    /// [`Check::DigitsOrDash`], digits or a lone `-`), ended by a literal
    /// that starts with [`Step::byte`], neither a digit nor `-`: in a valid
    /// field the first such byte can only be the start of the literal, so
    /// the search is for that byte and the check is done on the way
    /// ([`find_digits_end`]).
    Digits,
    /// Unquoted, ended by the first occurrence of a longer literal, which
    /// starts with [`Step::byte`].
    Literal,
    /// Unquoted, ended by the last literal, which must end the line.
    LastLiteral,
    /// With trailing fields allowed: a last field that would run to the end
    /// of the line ends at its first space instead, where the trailing
    /// fields start.
    ToSpaceOrEnd,
    /// Enclosed in `"`: the end is the first unescaped quote, and `\"`
    /// inside does not end it (Apache writes `\"`, nginx `\x22`). The
    /// literal that follows must start at that quote.
    Quoted,
}

/// What a field's bytes must look like; see [`Check::of`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    Any,
    NonEmpty,
    Digits,
    DigitsOrDash,
    /// Anything but an IP address: an identd name is never one, and a
    /// `vhost_combined` line read as `combined` would put its client there
    /// (and have it removed as an identd name).
    NotAddress,
}

impl Check {
    /// Fields with a fixed shape are checked, so a line of another format
    /// is not mistaken for this one and its bytes kept unscrubbed.
    fn of(kind: FieldKind) -> Self {
        match kind {
            FieldKind::Status | FieldKind::Port => Check::Digits,
            FieldKind::Bytes => Check::DigitsOrDash,
            FieldKind::Time => Check::NonEmpty,
            FieldKind::Ident => Check::NotAddress,
            _ => Check::Any,
        }
    }

    #[inline(always)]
    fn ok(self, v: &[u8]) -> bool {
        match self {
            Check::Any => true,
            Check::NonEmpty => !v.is_empty(),
            Check::Digits => !v.is_empty() && v.iter().all(u8::is_ascii_digit),
            Check::DigitsOrDash => v == b"-" || (!v.is_empty() && v.iter().all(u8::is_ascii_digit)),
            Check::NotAddress => v == b"-" || !crate::addr::is_addr_token(v),
        }
    }
}

/// One field with the literals that follow it, matched in one go.
#[derive(Clone, Debug)]
struct Step {
    kind: FieldKind,
    find: Find,
    /// The byte [`Find::Byte`], [`Find::Digits`] and [`Find::Literal`] look
    /// for: the first of `until`.
    byte: u8,
    /// What the field's bytes must look like.
    check: Check,
    /// `check` has to run after `find`: it is not [`Check::Any`], and
    /// [`Find::Digits`] has not done it already.
    checked_after: bool,
    /// The literal right after the field, which ends it (empty for
    /// [`Find::ToEnd`]).
    until: Lit,
    /// How many bytes at the end of the field `find` has already matched:
    /// the quote or byte it looked for, or all of `until`.
    matched: usize,
    /// What must follow those: the rest of `until`, then any literals that
    /// come back to back before the next field. Usually empty.
    rest: Lit,
}

/// A compiled format: parses a line into [`Fields`].
#[derive(Clone, Debug)]
pub struct Template {
    name: String,
    /// The literals before the first field, concatenated.
    head: Lit,
    /// One step per field, in line order.
    steps: Vec<Step>,
    /// What the template was built from, for [`Template::with_trailing_fields`].
    pieces: Vec<Piece>,
    /// A space and anything after the last literal is one more field, of
    /// kind [`FieldKind::Unknown`].
    trailing: bool,
}

impl Template {
    /// Compiles `pieces` into a template named `name`.
    ///
    /// Guarantees that every field is delimited by a non-empty literal or by
    /// the end of the line, so matching is linear and never ambiguous about
    /// where to look for the end of a field.
    pub fn new(name: &str, pieces: Vec<Piece>) -> Result<Self, TemplateError> {
        Self::build(name, pieces, false)
    }

    /// The same format, followed by optional trailing fields: most servers
    /// append fields to a stock format (`%D`, `$request_time
    /// $upstream_response_time`, `"$http_cookie"`), and such a line is
    /// better parsed as the stock format it starts with than scrubbed whole.
    ///
    /// Guarantees: a line this template's base accepts is accepted with the
    /// same spans plus an empty [`FieldKind::Unknown`] span at its end; a
    /// line that continues after the base format with a space has the rest
    /// (after that space) as one [`FieldKind::Unknown`] span, which the
    /// anonymizer keeps only if its shape is inert.
    pub fn with_trailing_fields(&self) -> Template {
        Self::build(&self.name, self.pieces.clone(), true)
            .expect("a valid template stays valid with trailing fields")
    }

    fn build(name: &str, pieces: Vec<Piece>, trailing: bool) -> Result<Self, TemplateError> {
        if !pieces.iter().any(|p| matches!(p, Piece::Field(_))) {
            return Err(TemplateError::NoFields);
        }
        for (i, piece) in pieces.iter().enumerate() {
            match piece {
                Piece::Literal(l) if l.is_empty() => return Err(TemplateError::EmptyLiteral(i)),
                Piece::Field(_) if matches!(pieces.get(i + 1), Some(Piece::Field(_))) => {
                    return Err(TemplateError::AdjacentFields(i, i + 1));
                }
                _ => {}
            }
        }
        let mut head = Vec::new();
        let mut steps = Vec::new();
        let mut i = 0;
        while i < pieces.len() {
            let kind = match &pieces[i] {
                Piece::Literal(l) => {
                    head.extend_from_slice(l);
                    i += 1;
                    continue;
                }
                Piece::Field(kind) => *kind,
            };
            let until: &[u8] = match pieces.get(i + 1) {
                Some(Piece::Literal(l)) => l,
                _ => &[],
            };
            // Literals back to back match like their concatenation, except
            // that only the first one after a field ends it.
            let mut then = Vec::new();
            let mut next = i + 2;
            while let Some(Piece::Literal(l)) = pieces.get(next) {
                then.extend_from_slice(l);
                next += 1;
            }
            let opens = matches!(i.checked_sub(1).map(|j| &pieces[j]), Some(Piece::Literal(l)) if l.ends_with(b"\""));
            let closes = until.starts_with(b"\"");
            // With trailing fields, the last literal need not end the line.
            let last = i + 2 == pieces.len() && !trailing;
            let check = Check::of(kind);
            let digits = matches!(check, Check::Digits | Check::DigitsOrDash);
            let find = match *until {
                [] if trailing => Find::ToSpaceOrEnd,
                [] => Find::ToEnd,
                _ if opens && closes => Find::Quoted,
                _ if last => Find::LastLiteral,
                [b, ..] if digits && !b.is_ascii_digit() && b != b'-' => Find::Digits,
                [_] => Find::Byte,
                [_, ..] => Find::Literal,
            };
            let matched = match find {
                Find::ToEnd | Find::ToSpaceOrEnd => 0,
                Find::Byte | Find::Digits | Find::Quoted => 1,
                Find::Literal | Find::LastLiteral => until.len(),
            };
            let mut rest = until[matched..].to_vec();
            rest.extend_from_slice(&then);
            steps.push(Step {
                kind,
                find,
                byte: until.first().copied().unwrap_or(0),
                check,
                checked_after: check != Check::Any && find != Find::Digits,
                until: Lit::new(until),
                matched,
                rest: Lit::new(&rest),
            });
            i = next;
        }
        Ok(Template {
            name: name.to_owned(),
            head: Lit::new(&head),
            steps,
            pieces,
            trailing,
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
        const UNSET: Span = Span {
            kind: FieldKind::Client,
            start: 0,
            end: 0,
        };
        // One slot per field, overwritten in place: no push, no capacity
        // check, and the length is already right after the first line.
        let spans = &mut fields.spans;
        let n = self.steps.len() + usize::from(self.trailing);
        if spans.len() != n {
            spans.clear();
            spans.resize(n, UNSET);
        }
        let Some(pos) = self.match_steps(line, spans) else {
            return false;
        };
        if pos == line.len() {
            if self.trailing {
                spans[n - 1] = Span {
                    kind: FieldKind::Unknown,
                    start: pos,
                    end: pos,
                };
            }
            return true;
        }
        if !self.trailing || line[pos] != b' ' {
            return false;
        }
        spans[n - 1] = Span {
            kind: FieldKind::Unknown,
            start: pos + 1,
            end: line.len(),
        };
        true
    }

    #[inline(always)]
    fn match_steps(&self, line: &[u8], spans: &mut [Span]) -> Option<usize> {
        if !self.head.matches_at(line, 0) {
            return None;
        }
        let mut pos = self.head.len();
        for (step, slot) in self.steps.iter().zip(spans) {
            let end = match step.find {
                Find::ToEnd => line.len(),
                Find::ToSpaceOrEnd => find_byte(line, pos, b' ').unwrap_or(line.len()),
                Find::Byte => find_byte(line, pos, step.byte)?,
                Find::Digits => {
                    find_digits_end(line, pos, step.byte, step.check == Check::DigitsOrDash)?
                }
                Find::Literal => find_literal(line, pos, step.byte, &step.until)?,
                Find::LastLiteral => find_last_literal(line, pos, &step.until.bytes)?,
                Find::Quoted => find_quote(line, pos)?,
            };
            // Most fields take any bytes: a predictable branch, not a
            // dispatch on the check, for those.
            if step.checked_after && !step.check.ok(&line[pos..end]) {
                return None;
            }
            *slot = Span {
                kind: step.kind,
                start: pos,
                end,
            };
            pos = end + step.matched;
            if !step.rest.is_empty() {
                if !step.rest.matches_at(line, pos) {
                    return None;
                }
                pos += step.rest.len();
            }
        }
        Some(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{FieldKind::*, combined, common, main, vhost_combined};
    use proptest::prelude::*;

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
    fn trailing_fields_follow_the_stock_ones() {
        let t = combined().with_trailing_fields();
        let base = "192.0.2.1 - - [t] \"GET / HTTP/1.1\" 200 1 \"-\" \"ua\"";
        let f = parse(&t, base.as_bytes()).unwrap();
        assert_eq!(f.len(), 10);
        assert_eq!(f[9], (Unknown, &b""[..]), "no tail: an empty one");
        assert_eq!(
            &f[..9],
            &parse(&combined(), base.as_bytes()).unwrap()[..],
            "the same spans as the stock format"
        );
        for tail in ["1234", "0.004 0.003", "\"sid=abc; t=1\"", "\"-\" 0.1 - x"] {
            let line = format!("{base} {tail}");
            let f = parse(&t, line.as_bytes()).unwrap();
            assert_eq!(f[9], (Unknown, tail.as_bytes()), "{line}");
            assert_eq!(f[8], (UserAgent, &b"ua"[..]));
        }
        // Only after a space; nothing glued to the last quote.
        let glued = format!("{base}x");
        assert!(parse(&t, glued.as_bytes()).is_none());
        // A last unquoted field ends at the first space.
        let c = common().with_trailing_fields();
        let f = parse(
            &c,
            b"192.0.2.9 - bob [t] \"GET /x HTTP/1.0\" 404 0 \"-\" \"ua\"",
        )
        .unwrap();
        assert_eq!(f[6], (Bytes, &b"0"[..]));
        assert_eq!(f[7], (Unknown, &b"\"-\" \"ua\""[..]));
        let f = parse(&c, b"192.0.2.9 - bob [t] \"GET /x HTTP/1.0\" 404 -").unwrap();
        assert_eq!(f[6], (Bytes, &b"-"[..]));
        assert_eq!(f[7], (Unknown, &b""[..]));
        assert!(parse(&c, b"192.0.2.9 - bob [t] \"GET /x HTTP/1.0\" 404 0x").is_none());
        // Alternating lines reuse the same Fields.
        let mut fields = Fields::new();
        for line in [base.to_owned(), format!("{base} 1"), base.to_owned()] {
            assert!(t.parse(line.as_bytes(), &mut fields));
            assert_eq!(fields.spans().len(), 10);
        }
    }

    #[test]
    fn an_identd_name_is_never_an_address() {
        // A vhost_combined line is no combined line: the client would be
        // taken for the identd name and removed.
        let v = b"www.example.com:443 192.0.2.9 - - [t] \"GET / HTTP/1.1\" 200 1 \"-\" \"curl\"";
        assert!(parse(&combined(), v).is_none());
        assert!(parse(&combined().with_trailing_fields(), v).is_none());
        let v6 = b"h:80 2001:db8::1 - - [t] \"GET / HTTP/1.1\" 200 1 \"-\" \"curl\"";
        assert!(parse(&combined(), v6).is_none());
        let ident = b"192.0.2.9 jdoe - [t] \"GET / HTTP/1.1\" 200 1 \"-\" \"curl\"";
        assert_eq!(parse(&combined(), ident).unwrap()[1], (Ident, &b"jdoe"[..]));
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

    /// The matcher as first written, straight from the semantics: literals
    /// in order; a quoted field ends at the first unescaped `"`, where the
    /// next literal must start; an unquoted one at the first occurrence of
    /// the next literal, or, if that literal is the last piece, where it
    /// ends the line; field shapes checked. The compiled [`Template`] must
    /// agree with it on every line.
    fn reference(pieces: &[Piece], line: &[u8]) -> Option<Vec<Span>> {
        let mut spans = Vec::new();
        let mut pos = 0;
        for (i, piece) in pieces.iter().enumerate() {
            let kind = match piece {
                Piece::Literal(l) => {
                    if !line[pos..].starts_with(l) {
                        return None;
                    }
                    pos += l.len();
                    continue;
                }
                Piece::Field(kind) => *kind,
            };
            let until = match pieces.get(i + 1) {
                Some(Piece::Literal(l)) => Some(&l[..]),
                _ => None,
            };
            let last = until.is_some() && i + 2 == pieces.len();
            let opens = matches!(i.checked_sub(1).map(|j| &pieces[j]), Some(Piece::Literal(l)) if l.ends_with(b"\""));
            let quoted = opens && until.is_some_and(|l| l.starts_with(b"\""));
            let end = match until {
                None => line.len(),
                Some(l) if quoted => {
                    let q = (pos..line.len()).find(|&c| {
                        line[c] == b'"'
                            && line[pos..c]
                                .iter()
                                .rev()
                                .take_while(|&&b| b == b'\\')
                                .count()
                                % 2
                                == 0
                    })?;
                    (line[q..].starts_with(l) && (!last || q + l.len() == line.len()))
                        .then_some(q)?
                }
                Some(l) if last => (line.len() >= pos + l.len() && line.ends_with(l))
                    .then(|| line.len() - l.len())?,
                Some(l) => (pos..line.len()).find(|&c| line[c..].starts_with(l))?,
            };
            let v = &line[pos..end];
            let digits = !v.is_empty() && v.iter().all(u8::is_ascii_digit);
            let ok = match kind {
                Status | Port => digits,
                Bytes => v == b"-" || digits,
                Time => !v.is_empty(),
                // An identd logname that is an address is a line of
                // another format (`vhost_combined` read as `combined`).
                Ident => v == b"-" || !crate::addr::is_addr_token(v),
                _ => true,
            };
            if !ok {
                return None;
            }
            spans.push(Span {
                kind,
                start: pos,
                end,
            });
            pos = end;
        }
        (pos == line.len()).then_some(spans)
    }

    fn check_against_reference(pieces: &[Piece], line: &[u8]) {
        let Ok(t) = Template::new("t", pieces.to_vec()) else {
            return;
        };
        let mut f = Fields::new();
        // A reused `Fields`, dirty from another line, must not matter.
        t.parse(b"\"", &mut f);
        let got = t.parse(line, &mut f).then(|| f.spans().to_vec());
        assert_eq!(
            got,
            reference(pieces, line),
            "{pieces:?} on {:?}",
            String::from_utf8_lossy(line)
        );
    }

    #[test]
    fn predefined_templates_match_reference() {
        let lit = |s: &[u8]| Piece::Literal(s.to_vec());
        let f = Piece::Field;
        let clf = |tail: Vec<Piece>| {
            let mut p = vec![
                f(Client),
                lit(b" "),
                f(Ident),
                lit(b" "),
                f(User),
                lit(b" ["),
                f(Time),
                lit(b"] \""),
                f(Request),
                lit(b"\" "),
                f(Status),
                lit(b" "),
                f(Bytes),
            ];
            p.extend(tail);
            p
        };
        let combined = clf(vec![
            lit(b" \""),
            f(Referer),
            lit(b"\" \""),
            f(UserAgent),
            lit(b"\""),
        ]);
        let lines: &[&[u8]] = &[
            NGINX,
            br#"192.0.2.1 - - [22/Nov/2026:08:41:08 +0000] "GET /q\"uote\\bs?x=%22 HTTP/1.1" 400 266 "-" "ua\"q\\b\xff\ttab end""#,
            br#"192.0.2.1 - - [t] "GET /a\\" 200 1 "-" "x\\""#,
            br#"192.0.2.1 - - [t] "GET /a\\\" 200 1 "-" "x\\\"" 200 1 "-" "x""#,
            b"192.0.2.1 - - [t] \"GET / HTTP/1.1\" 200 12345678 \"-\" \"-\"",
            b"192.0.2.1 - - [t] \"GET / HTTP/1.1\" 200 123456789 \"-\" \"-\"",
            b"192.0.2.1 - - [t] \"GET / HTTP/1.1\" 200 - \"-\" \"-\"",
            b"192.0.2.1 - - [t] \"GET / HTTP/1.1\" 200 -- \"-\" \"-\"",
            b"192.0.2.1 - - [t] \"GET / HTTP/1.1\" 200 -1 \"-\" \"-\"",
            b"192.0.2.1 - - [t] \"GET / HTTP/1.1\" 200  \"-\" \"-\"",
            b"192.0.2.1 - - [t] \"GET / HTTP/1.1\" 200 1 2 \"-\" \"-\"",
            b"192.0.2.1 - - [t] \"GET / HTTP/1.1\" 200 1 \"",
            b"192.0.2.1 - - [t] \"GET / HTTP/1.1\" 200 1",
            b"192.0.2.1 - - [t] \"GET / HTTP/1.1\" 20 ",
            b"192.0.2.1 - - [t] \"GET / HTTP/1.1\" 2000",
            b"192.0.2.1 - - [t] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"\"",
            b"a - - [] \"\" 1 1 \"\" \"\"",
            b"a - - [t] \"\" 1 1 \"\" \"\"",
            b"- - - [t] \"\" 1 1 \"\" \"\" ",
        ];
        for line in lines {
            check_against_reference(&combined, line);
            for cut in 0..line.len() {
                check_against_reference(&combined, &line[..cut]);
            }
        }
    }

    fn kind() -> impl Strategy<Value = FieldKind> {
        prop::sample::select(vec![
            Client,
            Ident,
            User,
            Time,
            Request,
            Status,
            Bytes,
            Referer,
            UserAgent,
            ForwardedFor,
            Vhost,
            Port,
        ])
    }

    fn literal() -> impl Strategy<Value = Piece> {
        let lits: [&[u8]; 20] = [
            b" ",
            b"\"",
            b"\" ",
            b" \"",
            b"] \"",
            b" [",
            b":",
            b"\" \"",
            b"-",
            b"ab",
            b"0",
            b"a a",
            b"\\",
            b"x\"",
            b"\"\"",
            b"long literal 1",
            b"[",
            b"]",
            b" - ",
            b"\"12345678\"",
        ];
        prop::sample::select(lits.to_vec()).prop_map(|l| Piece::Literal(l.to_vec()))
    }

    /// Mostly valid templates: fields separated by one or two literals,
    /// with or without leading literals and a trailing literal.
    fn pieces() -> impl Strategy<Value = Vec<Piece>> {
        (
            prop::collection::vec(literal(), 0..3),
            prop::collection::vec((kind(), literal(), prop::option::of(literal())), 1..7),
            any::<bool>(),
        )
            .prop_map(|(head, body, open_end)| {
                let mut p = head;
                for (k, l, extra) in body {
                    p.push(Piece::Field(k));
                    p.push(l);
                    p.extend(extra);
                }
                if open_end {
                    p.push(Piece::Field(Request));
                }
                p
            })
    }

    fn filler() -> impl Strategy<Value = Vec<u8>> {
        let bytes = b"aaaaaaaaaaaabbbbbb0123456789  \"\"\\\\--[]:x";
        prop::collection::vec(prop::sample::select(&bytes[..]), 0..40)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// Lines built from the template itself, with random field values
        /// full of separators, quotes and backslashes, so that both
        /// matches and near misses are common.
        #[test]
        fn template_agrees_with_reference(
            pieces in pieces(),
            fills in prop::collection::vec(filler(), 24),
            junk in filler(),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut line = Vec::new();
            for (p, fill) in pieces.iter().zip(&fills) {
                match p {
                    Piece::Literal(l) => line.extend_from_slice(l),
                    Piece::Field(_) => line.extend_from_slice(fill),
                }
            }
            check_against_reference(&pieces, &line);
            check_against_reference(&pieces, &line[..cut.index(line.len() + 1)]);
            let mut longer = line.clone();
            longer.extend_from_slice(&junk);
            check_against_reference(&pieces, &longer);
            check_against_reference(&pieces, &junk);
        }
    }

    #[test]
    fn literals_back_to_back_and_leading() {
        let lit = |s: &[u8]| Piece::Literal(s.to_vec());
        let pieces = vec![
            lit(b"<"),
            lit(b"["),
            Piece::Field(Client),
            lit(b" "),
            lit(b"-"),
            lit(b" "),
            Piece::Field(Status),
            lit(b"\""),
            lit(b"!"),
            Piece::Field(Request),
            lit(b"\""),
            lit(b">"),
        ];
        let t = Template::new("t", pieces.clone()).unwrap();
        let f = parse(&t, b"<[1.2.3.4 - 200\"!GET / x\">").unwrap();
        assert_eq!(f[0], (Client, &b"1.2.3.4"[..]));
        assert_eq!(f[1], (Status, &b"200"[..]));
        // Only the first literal after a field ends it; the others follow.
        assert_eq!(f[2], (Request, &b"GET / x"[..]));
        for line in [
            &b"<[1.2.3.4 - 200\"!GET / x\">"[..],
            b"<[1.2.3.4 x 200\"!GET\">",
            b"[1.2.3.4 - 200\"!GET\">",
            b"<[1.2.3.4 - 200\"!GET\"",
            b"<[1.2.3.4 - 200\"!a\"b\">",
            b"<[1.2 3.4 - 200\"!GET\">",
        ] {
            check_against_reference(&pieces, line);
        }
    }

    #[test]
    fn digits_fields_with_odd_literals() {
        let lit = |s: &[u8]| Piece::Literal(s.to_vec());
        for (kind, after) in [
            (Bytes, &b"-x"[..]),
            (Bytes, b"-"),
            (Bytes, b"0"),
            (Bytes, b"0 "),
            (Status, b"-x"),
            (Status, b"1"),
            (Bytes, b" \""),
        ] {
            let pieces = vec![Piece::Field(kind), lit(after), Piece::Field(Client)];
            for line in [
                &b"--xa"[..],
                b"-xa",
                b"1-xa",
                b"12-x-xa",
                b"-0a",
                b"10a",
                b"100 a",
                b"-",
                b"5-",
                b"- \"a",
                b"123 \"a",
                b"1 2 \"a",
                b"12345678 \"a",
                b"123456789 \"a",
            ] {
                check_against_reference(&pieces, line);
            }
        }
    }
}
