//! The library's error type. Messages name files and line numbers, never
//! log content.

use std::io;

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
    #[error("line {line} of {name} is longer than --max-line-bytes ({limit} bytes)")]
    Oversized {
        /// The input's display name.
        name: String,
        /// One-based line number within that input.
        line: u64,
        /// The configured limit.
        limit: usize,
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
            Error::Unparsed { .. } | Error::Oversized { .. } => 1,
            _ => 2,
        }
    }
}

/// The error and its causes on one line, `outer: inner: innermost`, as
/// printed once by the binary.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        msg.push_str(": ");
        msg.push_str(&c.to_string());
        cause = c.source();
    }
    msg
}
