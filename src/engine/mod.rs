//! The engine: I/O and threads. It sees a [`Config`], never clap.
//!
//! ```text
//! input -> chunk (blocks of whole lines) -> parallel workers -> ordered
//! writer -> output
//! ```
//!
//! * [`stream`] runs one stream: the [`chunk`] Chunker cuts each input into
//!   blocks of whole lines, `ledger` chooses formats and keeps line numbers,
//!   `inline` is the one-thread path and `parallel` holds the gzp-style
//!   ordered queues.
//! * [`input`], [`output`] open what is read and written, [`compress`]
//!   recognises and decodes compressed inputs and compresses blocks;
//!   [`signals`] is the signal policy.
//! * [`batch`] rewrites files in place; [`listen`] receives syslog
//!   datagrams; [`check`] audits inputs and writes nothing; [`record`]
//!   appends the `--report` line of a run.
//! * [`sys`] holds every libc call and its `unsafe`.

pub mod batch;
pub mod check;
pub mod chunk;
pub mod compress;
mod inline;
pub mod input;
mod ledger;
pub mod listen;
pub mod output;
mod parallel;
pub mod record;
pub mod signals;
pub mod stream;
pub mod sys;

use crate::config::{Config, Mode};
use crate::error::Error;

/// What a run did.
#[derive(Clone, Debug)]
pub enum Report {
    /// A stream (stdin or files to one output, or the listener) finished.
    Stream(stream::Outcome),
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
        Mode::Listen(lc) => listen::run(config, lc).map(|stats| {
            Report::Stream(stream::Outcome {
                stats,
                ..Default::default()
            })
        }),
        Mode::InPlace {
            paths,
            recursive,
            older_than,
        } => {
            let mut collected = batch::collect(paths, *recursive)?;
            if let Some(record) = &config.report.record {
                collected.leave_out(record);
            }
            if let Some(age) = older_than {
                collected.keep_older_than(batch::cutoff(age, std::time::SystemTime::now()));
            }
            Ok(Report::Batch(batch::run(config, &collected)))
        }
        Mode::Stream { inputs, output } => {
            stream::run(stream::Plan::of(config), inputs, output).map(Report::Stream)
        }
    }
}
