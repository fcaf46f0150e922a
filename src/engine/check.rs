//! `anonlog check`: an audit of logs and archives that changes nothing.
//!
//! Each input runs through the same stream as a run (chunker, workers,
//! ordered collection; gzip decoded, the format chosen per input) with the
//! auditing rewriter ([`crate::anonymize::audit`]), and the anonymized
//! output goes to `/dev/null`. Inputs are checked one after the other, each
//! with every worker thread, so that an input that cannot be read is
//! reported and the others are still checked.

use std::io;
use std::path::PathBuf;

use super::batch;
use super::output::BlockWriter;
use super::stream::{self, Plan, StreamInput};
use crate::anonymize::audit::{AuditPolicy, Findings};
use crate::config::Source;
use crate::error::{Error, show_path};

/// What the audit found in one input: line numbers and counts, never
/// content.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InputAudit {
    /// The input's name in diagnostics.
    pub name: String,
    /// The format its lines were read with; `none` when `-f auto` found
    /// none that fits (every line was then unparsed).
    pub format: String,
    /// Lines read (of the decompressed text, for a gzip input).
    pub lines: u64,
    /// Lines of each class, by 1-based line number in the input.
    pub findings: Findings,
}

/// One input of a check and what became of it.
#[derive(Debug)]
pub struct Checked {
    /// The input's name in diagnostics ([`Source::name`]).
    pub name: String,
    /// What the audit found, or why the input could not be checked (then
    /// nothing of it is reported: a partial audit would look clean).
    pub result: Result<InputAudit, Error>,
}

/// What a check did.
#[derive(Debug, Default)]
pub struct CheckOutcome {
    /// Every input, in the order given (a directory's files sorted by
    /// path).
    pub inputs: Vec<Checked>,
    /// Entries a directory walk did not read (symlinks, FIFOs, sockets,
    /// devices with log-like names), with why, as shown by [`show_path`].
    pub skipped: Vec<(String, &'static str)>,
}

/// The inputs a check reads, in order, and the entries it leaves alone.
#[derive(Debug, Default)]
struct Inputs {
    entries: Vec<Entry>,
    skipped: Vec<(String, &'static str)>,
}

/// A source, or a path that could not be made one (its name, and why).
#[derive(Debug)]
enum Entry {
    Source(Source),
    Failed(String, Error),
}

/// Checks `paths` (`-` is standard input; directories are walked with
/// `recursive`, taking the files whose names look like logs, as
/// `--in-place -r` does) under `plan`'s rules and prefixes, and returns
/// what it found. `plan`'s key and gzip settings are not used.
///
/// Guarantees: nothing is written anywhere; every path appears in the
/// outcome, in order, with its findings or with an error; findings do not
/// depend on the thread count or the block size.
pub fn run(
    plan: Plan<'_>,
    policy: AuditPolicy,
    paths: &[PathBuf],
    recursive: bool,
) -> CheckOutcome {
    let plan = Plan {
        audit: Some(policy),
        engine: crate::config::EngineOpts {
            gzip: None,
            ..plan.engine
        },
        ..plan
    };
    let inputs = collect(paths, recursive);
    let mut sink = BlockWriter::null();
    let mut check = |source: Source| -> Result<InputAudit, Error> {
        let sink = sink.as_mut().map_err(|e| Error::Write {
            name: NULL.to_owned(),
            source: io::Error::new(e.kind(), e.to_string()),
        })?;
        let outcome = stream::stream(plan, vec![StreamInput::Source(source)], sink, NULL)?;
        Ok(outcome
            .audits
            .into_iter()
            .next()
            .expect("one audit per input"))
    };
    let checked = inputs.entries.into_iter().map(|entry| match entry {
        Entry::Failed(name, e) => Checked {
            name,
            result: Err(e),
        },
        Entry::Source(source) => Checked {
            name: source.name(),
            result: check(source),
        },
    });
    CheckOutcome {
        inputs: checked.collect(),
        skipped: inputs.skipped,
    }
}

const NULL: &str = "/dev/null";

/// The sources of `paths`, in order.
fn collect(paths: &[PathBuf], recursive: bool) -> Inputs {
    let mut inputs = Inputs::default();
    for p in paths {
        if p.as_os_str() == "-" {
            inputs.entries.push(Entry::Source(Source::Stdin));
            continue;
        }
        let read = |source: io::Error| {
            let name = show_path(p);
            Entry::Failed(name.clone(), Error::Read { name, source })
        };
        match std::fs::metadata(p) {
            Err(e) => inputs.entries.push(read(e)),
            Ok(m) if m.is_dir() && !recursive => inputs.entries.push(read(io::Error::other(
                "is a directory (use -r to check the logs in it)",
            ))),
            // With a trailing `/`, a symlink named on the command line is
            // followed to its directory (the walk itself follows none).
            Ok(m) if m.is_dir() => match batch::collect(&[p.join("")], true) {
                Ok(c) => {
                    let files = c.files.into_iter().map(|f| Entry::Source(Source::File(f)));
                    inputs.entries.extend(files);
                    let skipped = c.skipped.iter().map(|(p, why)| (show_path(p), *why));
                    inputs.skipped.extend(skipped);
                }
                Err(e) => inputs.entries.push(Entry::Failed(show_path(p), e)),
            },
            Ok(_) => inputs.entries.push(Entry::Source(Source::File(p.clone()))),
        }
    }
    inputs
}
