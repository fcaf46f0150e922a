//! anonlog: a fail-closed, line-rate anonymizer for web-server access logs.
//!
//! ```text
//! input -> chunker -> workers (parse -> transform) -> ordered writer -> output
//! ```
//!
//! * [`format`](mod@format) turns a line into field spans (byte offsets), no I/O.
//! * [`anonymize`] rewrites fields: IP truncation, query, referrer and user
//!   rules, and the fail-closed scrubber for lines that do not parse.
//! * [`pipeline`], [`input`], [`output`] move blocks of whole lines through
//!   worker threads and back out in input order.
//!
//! Guarantees: one output line per input line, in order; bytes outside
//! rewritten fields are unchanged (CRLF, invalid UTF-8, NUL bytes, a final
//! line without newline); a line that does not parse is never written raw.

pub mod anonymize;
pub mod app;
pub mod batch;
pub mod config;
pub mod error;
pub mod format;
pub mod input;
pub mod keycmd;
pub mod listen;
pub mod output;
pub mod pipeline;
pub mod signals;
pub mod stats;

pub use config::Config;
pub use error::Error;
pub use stats::Stats;

/// What a run did.
#[derive(Clone, Debug)]
pub enum Report {
    /// A stream (stdin or files to one output, or the listener) finished.
    Stream(pipeline::Outcome),
    /// An in-place batch finished; failures were reported as they happened.
    Batch(batch::Summary),
}

/// Runs anonlog with a resolved configuration and returns what it did.
///
/// An `Err` means the run stopped. In a batch, a failing file does not stop
/// the run: it is reported on stderr (name and cause, never content) and
/// counted in the summary.
pub fn run(config: &Config) -> Result<Report, Error> {
    match &config.mode {
        config::Mode::Listen(lc) => listen::run(config, lc).map(|stats| {
            Report::Stream(pipeline::Outcome {
                stats,
                ..Default::default()
            })
        }),
        config::Mode::InPlace { paths, recursive } => {
            let collected = batch::collect(paths, *recursive)?;
            Ok(Report::Batch(batch::run(config, &collected)))
        }
        config::Mode::Stream { inputs, output } => {
            pipeline::run(pipeline::Plan::of(config), inputs, output).map(Report::Stream)
        }
    }
}
