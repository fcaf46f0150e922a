//! `anonlog check`: an audit of logs and archives that changes nothing.
//!
//! Each input runs through the same stream as a run (chunker, workers,
//! ordered collection; archives decoded, the format chosen per input) with the
//! auditing rewriter ([`crate::anonymize::audit`]), and the anonymized
//! output goes to `/dev/null`. Inputs are checked one after the other, each
//! with every worker thread, so that an input that cannot be read is
//! reported and the others are still checked.
//!
//! With `--older-than`, only files old enough are checked, judged as a
//! retention sweep judges them ([`batch::cutoff`], [`batch::old_enough`],
//! [`batch::Collected::keep_older_than`]), so a check after a sweep
//! audits exactly what the sweep should have rewritten.

use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

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
    /// Lines read (of the decompressed text, for an archive).
    pub lines: u64,
    /// Lines of each class, by 1-based line number in the input.
    pub findings: Findings,
}

/// One input of a check and what became of it.
#[derive(Debug)]
pub struct Checked {
    /// The input's name in diagnostics ([`Source::name`]).
    pub name: String,
    /// The path as given or walked; `None` for standard input.
    pub path: Option<PathBuf>,
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
    /// devices with log-like names), with why.
    pub skipped: Vec<(PathBuf, &'static str)>,
    /// Files left out for being modified after [`Scope::cutoff`], in the
    /// order found; not read.
    pub younger: Vec<PathBuf>,
}

/// Which files a check takes from its paths.
#[derive(Clone, Copy, Debug, Default)]
pub struct Scope<'a> {
    /// Walk directories (`-r`).
    pub recursive: bool,
    /// `--older-than`: only files last modified at or before this time
    /// are checked (standard input, which has no age, always is).
    pub cutoff: Option<SystemTime>,
    /// `--report FILE`: a walk does not check the check's own record.
    pub record: Option<&'a Path>,
}

/// The inputs a check reads, in order, and the entries it leaves alone.
#[derive(Debug, Default)]
struct Inputs {
    entries: Vec<Entry>,
    skipped: Vec<(PathBuf, &'static str)>,
    younger: Vec<PathBuf>,
}

/// A source, or a path that could not be made one (and why).
#[derive(Debug)]
enum Entry {
    Source(Source),
    Failed(PathBuf, Error),
}

/// Checks `paths` (`-` is standard input; directories are walked with
/// [`Scope::recursive`], taking the files whose names look like logs, as
/// `--in-place -r` does) under `plan`'s rules and prefixes, and returns
/// what it found. `plan`'s key and compression settings are not used.
///
/// Guarantees: nothing is written anywhere; every path appears in the
/// outcome, in order, with its findings or with an error, or (too young
/// for [`Scope::cutoff`]) in [`CheckOutcome::younger`]; findings do not
/// depend on the thread count or the block size.
pub fn run(
    plan: Plan<'_>,
    policy: AuditPolicy,
    paths: &[PathBuf],
    scope: Scope<'_>,
) -> CheckOutcome {
    let plan = Plan {
        audit: Some(policy),
        engine: crate::config::EngineOpts {
            compress: None,
            ..plan.engine
        },
        ..plan
    };
    let inputs = collect(paths, scope);
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
        Entry::Failed(path, e) => Checked {
            name: show_path(&path),
            path: Some(path),
            result: Err(e),
        },
        Entry::Source(source) => Checked {
            name: source.name(),
            path: match &source {
                Source::File(p) => Some(p.clone()),
                Source::Stdin => None,
            },
            result: check(source),
        },
    });
    CheckOutcome {
        inputs: checked.collect(),
        skipped: inputs.skipped,
        younger: inputs.younger,
    }
}

const NULL: &str = "/dev/null";

/// The sources of `paths`, in order.
fn collect(paths: &[PathBuf], scope: Scope<'_>) -> Inputs {
    let mut inputs = Inputs::default();
    for p in paths {
        if p.as_os_str() == "-" {
            inputs.entries.push(Entry::Source(Source::Stdin));
            continue;
        }
        let read = |source: io::Error| {
            let name = show_path(p);
            Entry::Failed(p.clone(), Error::Read { name, source })
        };
        match std::fs::metadata(p) {
            Err(e) => inputs.entries.push(read(e)),
            Ok(m) if m.is_dir() && !scope.recursive => inputs.entries.push(read(io::Error::other(
                "is a directory (use -r to check the logs in it)",
            ))),
            // With a trailing `/`, a symlink named on the command line is
            // followed to its directory (the walk itself follows none).
            Ok(m) if m.is_dir() => match batch::collect(&[p.join("")], true) {
                Ok(mut c) => {
                    if let Some(record) = scope.record {
                        c.leave_out(record);
                    }
                    if let Some(cutoff) = scope.cutoff {
                        c.keep_older_than(cutoff);
                    }
                    let files = c.files.into_iter().map(|f| Entry::Source(Source::File(f)));
                    inputs.entries.extend(files);
                    inputs.skipped.extend(c.skipped);
                    inputs.younger.extend(c.recent);
                }
                Err(e) => inputs.entries.push(Entry::Failed(p.clone(), e)),
            },
            // A named file is judged by what is read: symlinks followed.
            Ok(m) if scope.cutoff.is_some_and(|c| !batch::old_enough(&m, c)) => {
                inputs.younger.push(p.clone());
            }
            Ok(_) => inputs.entries.push(Entry::Source(Source::File(p.clone()))),
        }
    }
    inputs
}
