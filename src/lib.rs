//! anonlog: a fail-closed, line-rate anonymizer for web-server access logs.
//!
//! ```text
//! input -> chunker -> workers (parse -> transform) -> ordered writer -> output
//! ```
//!
//! Imports run one way only (`stats` and `error` are leaves anyone uses):
//!
//! ```text
//! app -> engine -> config -> anonymize -> format -> addr -> bytes
//! ```
//!
//! * [`app`] is the command line: clap types, `Cli -> Config`, the key
//!   subcommands and the text a user reads.
//! * [`engine`] moves blocks of whole lines through worker threads and back
//!   out in input order: inputs, outputs, signals, in-place batches, the
//!   listener, and every libc call ([`engine::sys`]).
//! * [`config`] is the resolved run: data only.
//! * [`anonymize`] rewrites fields: query, referrer and user rules, keyed
//!   pseudonyms, and the fail-closed scrubber for lines that do not parse;
//!   run with an auditing rewriter, it is also `anonlog check`'s audit.
//! * [`format`](mod@format) turns a line into field spans (byte offsets), no I/O.
//! * [`addr`] is IP addresses on raw bytes (parse, truncate, write, token
//!   forms, the free-text scrubber of literals), used by both of the above;
//!   under it, `bytes` holds every SIMD/SWAR byte search and its `unsafe`.
//!
//! Guarantees: one output line per input line, in order; bytes outside
//! rewritten fields are unchanged (CRLF, invalid UTF-8, NUL bytes, a final
//! line without newline); a line that does not parse is never written raw.

pub mod addr;
pub mod anonymize;
pub mod app;
mod bytes;
pub mod config;
pub mod engine;
pub mod error;
pub mod format;
pub mod stats;

pub use config::Config;
pub use engine::{Report, run};
pub use error::Error;
pub use stats::Stats;
