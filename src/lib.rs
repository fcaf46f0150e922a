//! anonlog: a fail-closed, line-rate anonymizer for web-server access logs.
//!
//! ```text
//! input -> chunker -> workers (parse -> transform) -> ordered writer -> output
//! ```
//!
//! * [`format`] turns a line into field spans (byte offsets), no I/O.
//! * [`anonymize`] rewrites fields: IP truncation, query, referrer and user
//!   rules, and the fail-closed scrubber for lines that do not parse.
//! * [`pipeline`], [`input`], [`output`] move blocks of whole lines through
//!   worker threads and back out in input order.
//!
//! Guarantees: one output line per input line, in order; bytes outside
//! rewritten fields are unchanged (CRLF, invalid UTF-8, NUL bytes, a final
//! line without newline); a line that does not parse is never written raw.

pub mod anonymize;
pub mod cli;
pub mod config;
pub mod error;
pub mod format;
pub mod input;
pub mod output;
pub mod pipeline;
pub mod stats;

pub use config::Config;
pub use error::Error;
pub use stats::Stats;

/// Runs anonlog with a resolved configuration and returns what it did.
pub fn run(config: &Config) -> Result<Stats, Error> {
    pipeline::run(config)
}
