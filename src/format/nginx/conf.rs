//! nginx.conf syntax: the tokenizer and the reading of a `log_format`
//! directive (the files themselves are read by app::nginx_conf).

use std::ops::Range;

/// One word of a configuration, unquoted and unescaped.
pub(crate) struct Word {
    pub(crate) bytes: Vec<u8>,
    /// One-based line of its first byte.
    pub(crate) line: usize,
    /// Its bytes in the source, without the quotes.
    pub(crate) raw: Range<usize>,
}

/// A token, with the offset of `;`, `{` and `}`.
pub(crate) enum Tok {
    Word(Word),
    Semi(usize),
    Open(usize),
    Close(usize),
}

/// A quoted string that runs to the end of the input: its line and the
/// offset of its opening quote.
pub(crate) struct Unterminated {
    pub(crate) line: usize,
    pub(crate) at: usize,
}

/// A `log_format` directive, read.
pub(crate) struct LogFormat {
    pub(crate) name: String,
    /// Its strings concatenated, preceded by `escape=MODE ` when given:
    /// what [`compile`](super::compile) takes.
    pub(crate) value: String,
    /// For each byte of `value`, and for its end, the source offset it
    /// came from, so errors in the format can point into the directive.
    pub(super) offsets: Vec<usize>,
}

/// A malformed `log_format` directive.
pub(crate) struct DirectiveError {
    pub(crate) line: usize,
    pub(crate) at: usize,
    pub(crate) message: String,
}

/// Reads the words of a `log_format` directive (the first is
/// `log_format`) from `src`, the text they were cut from.
pub(crate) fn log_format(src: &[u8], args: &[Word]) -> Result<LogFormat, DirectiveError> {
    let err = |w: &Word, message: String| DirectiveError {
        line: w.line,
        at: w.raw.start,
        message,
    };
    let [first, fmt_name, rest @ ..] = args else {
        return Err(err(
            &args[0],
            "log_format needs a name and a format string".to_owned(),
        ));
    };
    let name = String::from_utf8_lossy(&fmt_name.bytes).into_owned();
    if rest.is_empty() {
        return Err(err(
            first,
            format!("log_format {name} has no format string"),
        ));
    }
    let mut value = Vec::new();
    let mut offsets = Vec::new();
    let mut strings = rest;
    if let Some(mode) = rest[0].bytes.strip_prefix(b"escape=") {
        if !matches!(mode, b"default" | b"json" | b"none") {
            return Err(err(
                &rest[0],
                format!(
                    "log_format {name}: unknown escape mode, expected \
                     escape=default, escape=json or escape=none"
                ),
            ));
        }
        unescape_mapped(src, rest[0].raw.clone(), &mut value, &mut offsets);
        value.push(b' ');
        offsets.push(rest[0].raw.end);
        strings = &rest[1..];
    }
    for w in strings {
        unescape_mapped(src, w.raw.clone(), &mut value, &mut offsets);
    }
    offsets.push(strings.last().map_or(rest[0].raw.end, |w| w.raw.end));
    let value = String::from_utf8(value)
        .map_err(|_| err(first, format!("log_format {name} is not valid UTF-8")))?;
    Ok(LogFormat {
        name,
        value,
        offsets,
    })
}

/// Splits a configuration into words (unquoted and unescaped as nginx
/// does) and `;`, `{`, `}`.
pub(crate) fn tokenize(b: &[u8]) -> Result<Vec<Tok>, Unterminated> {
    let mut toks = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'#' => {
                i += memchr::memchr(b'\n', &b[i..]).unwrap_or(b.len() - i);
            }
            b';' => {
                toks.push(Tok::Semi(i));
                i += 1;
            }
            b'{' => {
                toks.push(Tok::Open(i));
                i += 1;
            }
            b'}' => {
                toks.push(Tok::Close(i));
                i += 1;
            }
            q @ (b'"' | b'\'') => {
                let start_line = line;
                let at = i;
                i += 1;
                let start = i;
                loop {
                    match b.get(i) {
                        None => {
                            return Err(Unterminated {
                                line: start_line,
                                at,
                            });
                        }
                        Some(b'\\') => {
                            line += usize::from(b.get(i + 1) == Some(&b'\n'));
                            i += 2;
                        }
                        Some(&c) if c == q => break,
                        Some(&c) => {
                            line += usize::from(c == b'\n');
                            i += 1;
                        }
                    }
                }
                toks.push(word(b, start..i, start_line));
                i += 1;
            }
            _ => {
                let start_line = line;
                let start = i;
                let mut after_dollar = false;
                while i < b.len() {
                    let c = b[i];
                    if c == b'{' && after_dollar {
                        // `${name}` in an unquoted word.
                        after_dollar = false;
                        i += 1;
                        continue;
                    }
                    after_dollar = c == b'$';
                    match c {
                        b'\\' => {
                            line += usize::from(b.get(i + 1) == Some(&b'\n'));
                            i += 2;
                            continue;
                        }
                        b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{' => break,
                        _ => i += 1,
                    }
                }
                i = i.min(b.len());
                toks.push(word(b, start..i, start_line));
            }
        }
    }
    Ok(toks)
}

fn word(src: &[u8], raw: Range<usize>, line: usize) -> Tok {
    Tok::Word(Word {
        bytes: unescape(&src[raw.clone()]),
        line,
        raw,
    })
}

/// nginx's unescaping of a token: `\"`, `\'`, `\\`, `\t`, `\r`, `\n`;
/// any other backslash is kept.
fn unescape(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    unescape_mapped(raw, 0..raw.len(), &mut out, &mut Vec::new());
    out
}

/// [`unescape`] of `src[raw]` onto `out`, pushing each output byte's
/// source offset onto `offsets`.
fn unescape_mapped(src: &[u8], raw: Range<usize>, out: &mut Vec<u8>, offsets: &mut Vec<usize>) {
    let mut i = raw.start;
    while i < raw.end {
        if src[i] == b'\\' && i + 1 < raw.end {
            let c = match src[i + 1] {
                c @ (b'"' | b'\'' | b'\\') => Some(c),
                b't' => Some(b'\t'),
                b'r' => Some(b'\r'),
                b'n' => Some(b'\n'),
                _ => None,
            };
            if let Some(c) = c {
                out.push(c);
                offsets.push(i);
                i += 2;
                continue;
            }
        }
        out.push(src[i]);
        offsets.push(i);
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_like_nginx() {
        let cases: &[(&[u8], &[u8])] = &[
            (br#"a\"b\'c\\d"#, br#"a"b'c\d"#),
            (br"\t\r\n", b"\t\r\n"),
            (br"\x22\$", br"\x22\$"),
            (br"end\", br"end\"),
        ];
        for &(raw, want) in cases {
            assert_eq!(unescape(raw), want);
        }
    }
}
