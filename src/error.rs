//! The library's error type. Messages name files and line numbers, never
//! log content; paths in them go through [`show_path`].

use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Everything that can stop a run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input could not be opened or read.
    #[error("cannot read {name}")]
    Read {
        /// The input's display name (`<stdin>` or the path).
        name: String,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The output could not be opened or written.
    #[error("cannot write {name}")]
    Write {
        /// The output's display name (`<stdout>` or the path).
        name: String,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A line did not parse and the policy is `--on-unparsed fail`.
    #[error("line {line} of {name} does not parse as {format} (--on-unparsed fail)")]
    Unparsed {
        /// The input's display name.
        name: String,
        /// One-based line number within that input.
        line: u64,
        /// The format's name.
        format: String,
    },
    /// A line exceeded `--max-line-bytes` and the policy is `--on-unparsed fail`.
    #[error("line {line} of {name} is longer than --max-line-bytes ({})", count(*.limit as u64, "byte", "bytes"))]
    Oversized {
        /// The input's display name.
        name: String,
        /// One-based line number within that input.
        line: u64,
        /// The configured limit.
        limit: usize,
    },
    /// `--in-place`: the format does not fit the file, which was left as it
    /// was (rewriting it would scrub most of it, for good).
    #[error("{0}; the file was left unchanged")]
    Mismatch(Mismatch),
    /// `--in-place`: another process writes the file, so rewriting it would
    /// lose what that process writes; the file was left as it was.
    #[error("{name} {why}")]
    Live {
        /// The file, as shown by [`show_path`].
        name: String,
        /// What was seen (open for writing, opened during the run, changed)
        /// and what became of the file.
        why: String,
    },
    /// A worker thread died; the run cannot know what it had written.
    #[error("a worker thread panicked; output is incomplete")]
    WorkerPanic,
}

impl Error {
    /// True when the output's reader went away (`anonlog big.log | head`):
    /// a normal way for a filter to end, reported with status 0.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Write { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }

    /// The process exit status for this error: 1 for data errors that the
    /// user asked to fail on, 2 for I/O and internal errors.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Unparsed { .. } | Error::Oversized { .. } | Error::Mismatch(_) => 1,
            _ => 2,
        }
    }
}

/// The closest predefined format to an input's first lines, for the advice
/// in a [`Mismatch`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hint {
    /// The format's `-f` name.
    pub format: &'static str,
    /// Lines of the sample it parses.
    pub parsed: usize,
    /// Lines in the sample.
    pub of: usize,
}

/// An input on which more lines than `--max-unparsed` allows did not parse.
/// Its lines were all written (the unparsed ones scrubbed); the run ends
/// with status 1 so that the mismatch is never silent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// The input's display name.
    pub name: String,
    /// The format the lines were read with (`auto` when none fitted).
    pub format: String,
    /// Lines that did not parse.
    pub unparsed: u64,
    /// Non-empty lines read.
    pub lines: u64,
    /// The share allowed.
    pub max: crate::stats::Share,
    /// A predefined format that does better on the input's first lines.
    pub hint: Option<Hint>,
    /// Already said on stderr while the input was being read (streams).
    pub reported: bool,
}

impl std::fmt::Display for Mismatch {
    /// One line of advice that names the input, the share and the fix; never
    /// log content.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pct = self.unparsed as f64 * 100.0 / self.lines.max(1) as f64;
        let one = self.unparsed == 1;
        let sample = |h: Hint| match h.of {
            1 => "the first line".to_owned(),
            of => format!("{} of the first {of} lines", h.parsed),
        };
        let what = match (self.format == "auto", one) {
            (true, true) => "matches no format".to_owned(),
            (true, false) => "match no format".to_owned(),
            (false, true) => format!("does not parse as {}", self.format),
            (false, false) => format!("do not parse as {}", self.format),
        };
        write!(
            f,
            "{}: {} of {} ({pct:.1}%, more than --max-unparsed {}) {what}; \
             {} scrubbed, not written raw. ",
            self.name,
            self.unparsed,
            count(self.lines, "line", "lines"),
            self.max,
            if one { "it was" } else { "they were" },
        )?;
        match self.hint {
            Some(h) if h.format == self.format => {}
            Some(h) if !self.max.exceeded_by((h.of - h.parsed) as u64, h.of as u64) => {
                return write!(
                    f,
                    "Try -f {} (it parses {}), or give the server's own format with \
                     --nginx-format or --apache-format",
                    h.format,
                    sample(h)
                );
            }
            Some(h) => write!(
                f,
                "The closest format, {}, parses {}. ",
                h.format,
                sample(h)
            )?,
            None => {}
        }
        write!(
            f,
            "Give the server's own format with --nginx-format or --apache-format, or allow \
             more with --max-unparsed"
        )
    }
}

/// The error and its causes on one line, `outer: inner: innermost`, as
/// printed once by the binary. Each cause is said once: one whose text its
/// parent's message already ends with (a message that quotes its source)
/// is not repeated.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !msg.ends_with(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        cause = c.source();
    }
    msg
}

/// `n` with the word for that many (`1 line`, `0 lines`, `2 lines`): every
/// count a user reads agrees with its noun. `one` and `many` may hold more
/// than a noun (`"line was"`, `"lines were"`).
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", plural(n, one, many))
}

/// `one` when `n` is 1, else `many`: for a word that agrees with a count
/// said elsewhere in the sentence (`1 of 200 lines ... was scrubbed`).
pub fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// A path for diagnostics: control characters, backslashes, bytes that are
/// not UTF-8 and unprintable characters are escaped (`\\n`, `\\\\`,
/// `\\x1b`, as `ls -b` does), so a file name can neither forge a line on
/// stderr nor send escape sequences to a terminal. Every message that
/// names a path uses it.
pub fn show_path(p: &Path) -> String {
    let b = p.as_os_str().as_bytes();
    use std::fmt::Write;
    let mut s = String::with_capacity(b.len());
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => s.push_str("\\\\"),
                '\n' => s.push_str("\\n"),
                '\t' => s.push_str("\\t"),
                '\r' => s.push_str("\\r"),
                ' '..='~' => s.push(c),
                // Bidi overrides, zero-width and other unprintable
                // characters can disguise a name as well as a newline can.
                _ if c.is_ascii() || c.escape_debug().next() == Some('\\') => {
                    let mut buf = [0; 4];
                    for byte in c.encode_utf8(&mut buf).bytes() {
                        let _ = write!(s, "\\x{byte:02x}");
                    }
                }
                _ => s.push(c),
            }
        }
        for byte in chunk.invalid() {
            let _ = write!(s, "\\x{byte:02x}");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn each_cause_is_said_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] Quoting);
        #[derive(Debug, thiserror::Error)]
        #[error("quoting: {0}")]
        struct Quoting(#[source] io::Error);
        let e = Outer(Quoting(io::Error::other("disk on fire")));
        assert_eq!(chain(&e), "outer: quoting: disk on fire");
        let e = Error::Read {
            name: "a.log".into(),
            source: io::Error::other("gone"),
        };
        assert_eq!(chain(&e), "cannot read a.log: gone");
    }

    #[test]
    fn paths_are_shown_escaped() {
        let show = |b: &[u8]| show_path(Path::new(OsStr::from_bytes(b)));
        assert_eq!(
            show(b"/var/log/nginx/access.log"),
            "/var/log/nginx/access.log"
        );
        assert_eq!(show(b"caf\xc3\xa9 log"), "caf\u{e9} log");
        assert_eq!(
            show(b"evil\nanonlog: 0 files failed"),
            r"evil\nanonlog: 0 files failed"
        );
        assert_eq!(show(b"a\x1b[31m\t\r\x7f\\"), r"a\x1b[31m\t\r\x7f\\");
        assert_eq!(show(b"bad\xff\xfe"), r"bad\xff\xfe");
        assert_eq!(
            show("rtl\u{202e}gol.exe".as_bytes()),
            r"rtl\xe2\x80\xaegol.exe"
        );
    }
}
