//! Apache configuration lines pasted whole into `--apache-format`
//! (`LogFormat ...`, `CustomLog ...`), read as httpd's configuration
//! parser reads them.

use super::{Compiled, FormatError, Template, compile, compile_src};

/// Compiles `--apache-format`'s argument: a format for [`compile`], or a
/// whole configuration line pasted from httpd.conf:
///
/// * `LogFormat FORMAT [NICKNAME]`;
/// * `CustomLog PATH FORMAT|NICKNAME [env=[!]VAR|expr=EXPR]`, where PATH
///   may be quoted (`"|/usr/bin/anonlog ..."`) and a NICKNAME is one of
///   Apache's stock formats ([`NICKNAMES`]), since the line that defines
///   any other is elsewhere in the configuration.
///
/// Words are read as Apache's configuration parser reads them: quoted
/// with `"` or `'` (a backslash escapes the quote and itself), or runs of
/// non-whitespace; directive names and nicknames are case-insensitive.
/// Error offsets are into `arg`.
pub fn compile_arg(name: &str, arg: &str) -> Result<Compiled, FormatError> {
    let words = conf_words(arg)?;
    let directive = words
        .first()
        .map(|w| arg[w.raw.clone()].to_ascii_lowercase());
    let (format, max_args) = match directive.as_deref() {
        Some("logformat") => (words.get(1), 3),
        Some("customlog") => (words.get(2), 4),
        _ => return compile(name, arg),
    };
    let dir = &arg[words[0].raw.clone()];
    let Some(format) = format else {
        let what = if max_args == 3 {
            "a format"
        } else {
            "a file or pipe and a format"
        };
        return Err(FormatError::new(arg.len(), format!("{dir} needs {what}")));
    };
    // CustomLog's last argument is a condition.
    let condition = words.get(3).filter(|w| {
        let t = &arg[w.raw.clone()];
        max_args == 4 && (t.starts_with("env=") || t.starts_with("expr="))
    });
    let allowed = if condition.is_some() { 4 } else { 3 };
    if let Some(extra) = words.get(allowed) {
        let expected = if max_args == 3 {
            "a format and a nickname"
        } else {
            "a file or pipe, a format and an env= or expr= condition"
        };
        return Err(FormatError::new(
            extra.raw.start,
            format!("{dir} takes {expected}: paste one line"),
        ));
    }
    let text = &arg[format.raw.clone()];
    if !text.contains('%') {
        let stock = NICKNAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(text));
        return match stock {
            Some((_, spec)) => compile(name, spec),
            None => Err(FormatError::new(
                format.raw.start,
                format!(
                    "`{text}` names a format defined by a LogFormat line elsewhere in the \
                     configuration: paste that line instead (anonlog knows the stock \
                     nicknames {})",
                    NICKNAMES
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        };
    }
    let (pieces, unknown) = compile_src(arg, &format.unescaped(arg))?;
    let template = Template::new(name, pieces)
        .map_err(|e| FormatError::new(format.raw.start, e.to_string()))?;
    Ok(Compiled { template, unknown })
}

/// Apache's stock format nicknames and their strings (upstream httpd.conf;
/// Debian's `vhost_combined`, RHEL's `combinedio`). Debian's `combined`
/// and `common` write `%O` where upstream writes `%b`: both are byte
/// counts, so the template is the same.
pub const NICKNAMES: &[(&str, &str)] = &[
    ("combined", super::super::clf::COMBINED),
    ("common", super::super::clf::COMMON),
    ("vhost_combined", super::super::clf::VHOST_COMBINED),
    (
        "combinedio",
        r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %I %O"#,
    ),
    ("referer", "%{Referer}i -> %U"),
    ("agent", "%{User-agent}i"),
];

/// A word of a configuration line (httpd's `ap_getword_conf`).
struct ConfWord {
    /// Its bytes in the line, without the quotes.
    raw: std::ops::Range<usize>,
    quote: Option<u8>,
}

impl ConfWord {
    /// The word's bytes with the configuration parser's escapes undone
    /// (`\\` and, in a quoted word, the escaped quote), with offsets.
    fn unescaped(&self, line: &str) -> Vec<(u8, usize)> {
        let b = line.as_bytes();
        let mut out = Vec::with_capacity(self.raw.len());
        let mut i = self.raw.start;
        while i < self.raw.end {
            let next = b.get(i + 1).copied().filter(|_| i + 1 < self.raw.end);
            if b[i] == b'\\' && (next == Some(b'\\') || (next.is_some() && next == self.quote)) {
                out.push((b[i + 1], i));
                i += 2;
            } else {
                out.push((b[i], i));
                i += 1;
            }
        }
        out
    }
}

/// Splits a configuration line into words.
fn conf_words(line: &str) -> Result<Vec<ConfWord>, FormatError> {
    let b = line.as_bytes();
    let mut words = Vec::new();
    let mut i = 0;
    loop {
        while b.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
            i += 1;
        }
        let Some(&c) = b.get(i) else {
            return Ok(words);
        };
        if c == b'"' || c == b'\'' {
            let start = i + 1;
            let mut j = start;
            loop {
                match b.get(j) {
                    None => return Err(FormatError::new(i, "unterminated quoted string")),
                    Some(&q) if q == c => break,
                    Some(b'\\') if matches!(b.get(j + 1), Some(&n) if n == c || n == b'\\') => {
                        j += 2
                    }
                    Some(_) => j += 1,
                }
            }
            words.push(ConfWord {
                raw: start..j,
                quote: Some(c),
            });
            i = j + 1;
        } else {
            let start = i;
            while b.get(i).is_some_and(|c| !c.is_ascii_whitespace()) {
                i += 1;
            }
            words.push(ConfWord {
                raw: start..i,
                quote: None,
            });
        }
    }
}
