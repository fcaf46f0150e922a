//! The byte-level scanner over one JSON line (see the parent module's
//! docs for what it accepts and reports).

use super::FieldKind::{self, *};
use super::{Fields, JsonFormat, KeyNotes, eq_lower};
use crate::bytes::find_quote_or_backslash;
use crate::format::Span;

/// Containers (objects and arrays) that may be open at once.
const MAX_NEST: usize = 32;

impl JsonFormat {
    pub(super) fn scan(
        &self,
        line: &[u8],
        fields: &mut Fields,
        notes: Option<&mut KeyNotes>,
    ) -> bool {
        fields.clear();
        let mut s = Scanner {
            line,
            pos: 0,
            fields,
            format: self,
            path: [(0, 0); MAX_NEST],
            notes,
        };
        s.ws();
        if s.peek() != Some(b'{') || !s.object(0, 0) {
            return false;
        }
        s.ws();
        s.pos == line.len()
    }
}

struct Scanner<'a, 'f> {
    line: &'a [u8],
    pos: usize,
    fields: &'f mut Fields,
    format: &'a JsonFormat,
    /// The key of each enclosing object member, outermost first.
    path: [(usize, usize); MAX_NEST],
    notes: Option<&'f mut KeyNotes>,
}

impl Scanner<'_, '_> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.line.get(self.pos).copied()
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\r' | b'\n') = self.peek() {
            self.pos += 1;
        }
    }

    #[inline]
    fn push(&mut self, kind: FieldKind, (start, end): (usize, usize)) {
        if matches!(kind, Text | Unknown) && start == end {
            return;
        }
        self.fields.push(Span { kind, start, end });
    }

    /// At a `"`: the content range of the string; `pos` moves past it.
    fn string(&mut self) -> Option<(usize, usize)> {
        let line = self.line;
        let start = self.pos + 1;
        let mut i = start;
        loop {
            i = find_quote_or_backslash(line, i)?;
            if line[i] == b'"' {
                self.pos = i + 1;
                return Some((start, i));
            }
            // A backslash escapes the next byte, whatever it is.
            i += 2;
        }
    }

    /// At a `{`, with `level` keys on the path and `nest` containers open.
    fn object(&mut self, level: usize, nest: usize) -> bool {
        if nest >= MAX_NEST {
            return false;
        }
        self.pos += 1;
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return true;
        }
        loop {
            if self.peek() != Some(b'"') {
                return false;
            }
            let Some(key) = self.string() else {
                return false;
            };
            self.push(Text, key);
            self.path[level] = key;
            self.ws();
            if self.peek() != Some(b':') {
                return false;
            }
            self.pos += 1;
            self.ws();
            let ok = match self.peek() {
                Some(b'"') => {
                    let kind = self.noted_kind(level + 1);
                    match self.string() {
                        Some(v) => {
                            self.push(kind, v);
                            true
                        }
                        None => false,
                    }
                }
                Some(b'{') => self.object(level + 1, nest + 1),
                Some(b'[') => {
                    let kind = self.noted_kind(level + 1);
                    self.array(level + 1, nest + 1, kind)
                }
                Some(b'-' | b'0'..=b'9') => {
                    let kind = self.kind(level + 1);
                    self.number_of(kind)
                }
                _ => self.scalar(),
            };
            if !ok {
                return false;
            }
            self.ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.ws();
                }
                Some(b'}') => {
                    self.pos += 1;
                    return true;
                }
                _ => return false,
            }
        }
    }

    /// At a `[`: string elements take `kind`, the kind of the array's key;
    /// objects inside continue the array's key path.
    fn array(&mut self, level: usize, nest: usize, kind: FieldKind) -> bool {
        if nest >= MAX_NEST {
            return false;
        }
        self.pos += 1;
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return true;
        }
        loop {
            let ok = match self.peek() {
                Some(b'"') => match self.string() {
                    Some(v) => {
                        self.push(kind, v);
                        true
                    }
                    None => false,
                },
                Some(b'{') => self.object(level, nest + 1),
                Some(b'[') => self.array(level, nest + 1, kind),
                Some(b'-' | b'0'..=b'9') => self.number_of(kind),
                _ => self.scalar(),
            };
            if !ok {
                return false;
            }
            self.ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.ws();
                }
                Some(b']') => {
                    self.pos += 1;
                    return true;
                }
                _ => return false,
            }
        }
    }

    /// A number under a key of `kind`: a span that replaces it when the
    /// kind names personal data, none otherwise.
    fn number_of(&mut self, kind: FieldKind) -> bool {
        let start = self.pos;
        if !self.number() {
            return false;
        }
        if matches!(kind, Secret | User | Ident | Client | ForwardedFor) {
            self.fields.push(Span {
                kind: SecretScalar,
                start,
                end: self.pos,
            });
        } else if kind == Time {
            // An epoch time (Caddy's `ts`), for --time-resolution.
            self.fields.push(Span {
                kind: Time,
                start,
                end: self.pos,
            });
        }
        true
    }

    /// A number, `true`, `false` or `null`: nothing personal, no span.
    fn scalar(&mut self) -> bool {
        let rest = &self.line[self.pos..];
        for lit in [&b"true"[..], b"false", b"null"] {
            if rest.starts_with(lit) {
                self.pos += lit.len();
                return true;
            }
        }
        self.number()
    }

    /// JSON number grammar, tolerating leading zeros (still only digits).
    fn number(&mut self) -> bool {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        if !self.digits() {
            return false;
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !self.digits() {
                return false;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !self.digits() {
                return false;
            }
        }
        true
    }

    fn digits(&mut self) -> bool {
        let n = self.line[self.pos..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        self.pos += n;
        n > 0
    }

    /// [`Scanner::kind`], noting the path when it is unknown.
    #[inline]
    fn noted_kind(&mut self, len: usize) -> FieldKind {
        let kind = self.kind(len);
        if kind == Unknown
            && let Some(notes) = self.notes.as_deref_mut()
        {
            notes.note(self.line, &self.path[..len]);
        }
        kind
    }

    /// The kind of a value whose key path is `self.path[..len]` (`len >= 1`).
    fn kind(&self, len: usize) -> FieldKind {
        let path = &self.path[..len];
        let (ls, le) = path[len - 1];
        let last = &self.line[ls..le];
        let rules = &self.format.rules;
        // The latest matching rule wins: the last one of each bucket that
        // matches, then the later of the two.
        let mut best = self.format.by_len.get(last.len()).and_then(|b| {
            b.iter()
                .rev()
                .copied()
                .find(|&i| eq_lower(&rules[i].key, last))
        });
        if len > 1 && !self.format.dotted_by_len.is_empty() {
            let total = path.iter().map(|(s, e)| e - s).sum::<usize>() + len - 1;
            if let Some(b) = self.format.dotted_by_len.get(total) {
                for &i in b.iter().rev() {
                    if best.is_some_and(|j| j > i) {
                        break;
                    }
                    if self.path_is(path, &rules[i].key) {
                        best = Some(i);
                        break;
                    }
                }
            }
        }
        best.map_or_else(|| self.format.unruled(last), |i| rules[i].kind)
    }

    /// `path`'s keys joined with `.` equal `key` (lowercase, of the same
    /// length). Compared from the last key back: rules sharing a prefix
    /// (`request.headers.`) differ at the end.
    fn path_is(&self, path: &[(usize, usize)], key: &[u8]) -> bool {
        let mut end = key.len();
        for (i, &(s, e)) in path.iter().enumerate().rev() {
            let start = end - (e - s);
            if !eq_lower(&key[start..end], &self.line[s..e]) {
                return false;
            }
            if i > 0 {
                if key[start - 1] != b'.' {
                    return false;
                }
                end = start - 1;
            }
        }
        true
    }
}
