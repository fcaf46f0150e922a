//! In-place rewrites and batch jobs over many files.
//!
//! Each file is rewritten atomically (see `batch/inplace.rs`): a kill at any
//! moment leaves either the original or the complete new file. A file that
//! another process writes is refused (see `batch/live.rs`), since what it wrote
//! after the rename would be lost. A directory walk (see `batch/walk.rs`) reports
//! what it leaves alone; a retention sweep takes only files old enough (see
//! `batch/age.rs`).

mod age;
mod inplace;
mod live;
mod walk;

use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::SystemTime;

use indicatif::{ProgressBar, ProgressStyle};

pub use age::{cutoff, old_enough};
pub use walk::{Collected, collect, looks_like_log};

use crate::config::Config;
use crate::error::{Error, show_path};
use crate::stats::{Stats, UnknownNames};

/// What a batch run did, for the summary and the exit status.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Files rewritten.
    pub rewritten: usize,
    /// Files already anonymized, left untouched.
    pub unchanged: usize,
    /// Files that failed; each was reported when it failed.
    pub failed: usize,
    /// Entries a walk did not take (symlinks, special files with log
    /// names); each was reported before the run.
    pub skipped: usize,
    /// Files left alone because another process had them open for
    /// writing; each was reported.
    pub busy: usize,
    /// Files left alone because they were modified after the
    /// `--older-than` cutoff; counted only.
    pub recent: usize,
    /// The highest exit status among the failures (1 data, 2 I/O); 2 as
    /// well when something was skipped or a file that holds lines was
    /// open for writing, since raw data may remain there.
    pub worst_exit: u8,
    /// Counters summed over all files.
    pub stats: Stats,
    /// With `-f auto`: the format chosen for each file read to its end
    /// (rewritten or already anonymized), as (file, format), in the order
    /// the files were collected whichever finished first.
    pub detected: Vec<(String, String)>,
    /// JSON keys without a rule, merged over all files.
    pub unknown_names: UnknownNames,
    /// Every file and skipped entry, for the run record: the files in the
    /// order collected, then the recent ones, then the skipped entries.
    pub files: Vec<FileRecord>,
}

/// What became of one file (or skipped entry) of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRecord {
    /// The path as collected.
    pub path: PathBuf,
    /// Its size on disk when the batch began; `None` when it could not be
    /// examined or is not a regular file.
    pub size: Option<u64>,
    /// Its modification time then (what `--older-than` judges), with the
    /// same `None`.
    pub modified: Option<SystemTime>,
    /// What was done.
    pub outcome: FileOutcome,
    /// The format its lines were read with; `None` when it was not read.
    pub format: Option<String>,
    /// Its own counters (zero when it was not read).
    pub stats: Stats,
}

/// What a batch did with one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileOutcome {
    /// Rewritten in place.
    Rewritten,
    /// Already anonymized; left untouched.
    Unchanged,
    /// Not rewritten because of this error (reported), with its exit status.
    Failed {
        /// The error and its causes on one line.
        error: String,
        /// 1 for data, 2 for I/O.
        exit: u8,
    },
    /// Not taken by the walk (a symlink, a FIFO...), with why.
    Skipped(&'static str),
    /// Open for writing by another process; left unread, with why.
    Busy(String),
    /// Modified after the `--older-than` cutoff; left unread.
    Recent,
}

fn read_err(p: &Path, source: io::Error) -> Error {
    Error::Read {
        name: show_path(p),
        source,
    }
}

fn write_err(p: &Path, source: io::Error) -> Error {
    Error::Write {
        name: show_path(p),
        source,
    }
}

/// Rewrites every collected file in place, several at once, reporting each
/// skipped entry first and each failure or file open for writing as it
/// happens, and going on with the rest.
pub fn run(config: &Config, collected: &Collected) -> Summary {
    let files = &collected.files;
    for (path, why) in &collected.skipped {
        // Said even with --quiet: raw data may stay behind there.
        eprintln!("anonlog: skipped {}: {why}", show_path(path));
    }
    let examine = |p: &Path| {
        std::fs::symlink_metadata(p)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| (m.len(), m.modified().ok()))
    };
    let before: Vec<_> = files.iter().map(|f| examine(f)).collect();
    let bar = progress_bar(config, before.iter().flatten().map(|b| b.0).sum());
    // One big file gets every worker thread; many files are rewritten side
    // by side, one thread each, which scales better than splitting blocks.
    let (file_workers, threads_per_file) = if files.len() <= 1 {
        (1, config.engine.threads)
    } else {
        (config.engine.threads.min(files.len()), 1)
    };
    let next = AtomicUsize::new(0);
    let detected = std::sync::Mutex::new(Vec::new());
    let summary = std::sync::Mutex::new(Summary {
        skipped: collected.skipped.len(),
        recent: collected.recent.len(),
        worst_exit: if collected.skipped.is_empty() { 0 } else { 2 },
        ..Summary::default()
    });
    let records = std::sync::Mutex::new(vec![None; files.len()]);
    thread::scope(|s| {
        for _ in 0..file_workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    let result =
                        inplace::rewrite(config, path, threads_per_file, &bar, collected.cutoff);
                    let mut sum = summary.lock().expect("no panics while holding the lock");
                    let (mut record, found) = account(config, &mut sum, &bar, path, result);
                    drop(sum);
                    (record.size, record.modified) =
                        before[i].map_or((None, None), |b| (Some(b.0), b.1));
                    records.lock().expect("no panics while holding the lock")[i] = Some(record);
                    // Tagged with the file's place: files finish in any order.
                    detected
                        .lock()
                        .expect("no panics while holding the lock")
                        .push((i, found));
                }
            });
        }
    });
    bar.finish_and_clear();
    let mut summary = summary
        .into_inner()
        .expect("no panics while holding the lock");
    let mut detected = detected
        .into_inner()
        .expect("no panics while holding the lock");
    detected.sort_by_key(|(i, _)| *i);
    summary.detected = detected.into_iter().flat_map(|(_, d)| d).collect();
    summary.files = records
        .into_inner()
        .expect("no panics while holding the lock")
        .into_iter()
        .flatten()
        .collect();
    let unread = |path: &PathBuf, outcome| FileRecord {
        path: path.clone(),
        size: examine(path).map(|b| b.0),
        modified: examine(path).and_then(|b| b.1),
        outcome,
        format: None,
        stats: Stats::default(),
    };
    for path in &collected.recent {
        summary.files.push(unread(path, FileOutcome::Recent));
    }
    for (path, why) in &collected.skipped {
        summary.files.push(unread(path, FileOutcome::Skipped(why)));
    }
    summary
}

fn progress_bar(config: &Config, total: u64) -> ProgressBar {
    if io::stderr().is_terminal() && !config.report.quiet {
        let b = ProgressBar::new(total);
        b.set_style(
            ProgressStyle::with_template(
                "{bar:30} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
            )
            .expect("the template is valid"),
        );
        b
    } else {
        ProgressBar::hidden()
    }
}

/// Counts one file's result in the summary, says on stderr what must be
/// said, and returns its record and, with `-f auto`, the formats detected.
fn account(
    config: &Config,
    sum: &mut Summary,
    bar: &ProgressBar,
    path: &Path,
    result: Result<inplace::FileResult, Error>,
) -> (FileRecord, Vec<(String, String)>) {
    let (outcome, tally) = match result {
        Ok(inplace::FileResult::Rewritten(t)) => {
            sum.rewritten += 1;
            (FileOutcome::Rewritten, Some(t))
        }
        Ok(inplace::FileResult::Unchanged(t)) => {
            sum.unchanged += 1;
            (FileOutcome::Unchanged, Some(t))
        }
        Ok(inplace::FileResult::Busy { why, len }) => {
            sum.busy += 1;
            // An empty file holds nothing raw: the live log of a quiet
            // site, rotated and not written since, is no failure.
            if len > 0 {
                sum.worst_exit = sum.worst_exit.max(2);
            }
            if len > 0 || !config.report.quiet {
                bar.suspend(|| eprintln!("anonlog: skipped {}: {why}", show_path(path)));
            }
            (FileOutcome::Busy(why), None)
        }
        Ok(inplace::FileResult::Recent) => {
            sum.recent += 1;
            (FileOutcome::Recent, None)
        }
        Err(e) => {
            sum.failed += 1;
            sum.worst_exit = sum.worst_exit.max(e.exit_code());
            let error = crate::error::chain(&e);
            bar.suspend(|| eprintln!("anonlog: error: {error}"));
            let exit = e.exit_code();
            (FileOutcome::Failed { error, exit }, None)
        }
    };
    let (stats, format, found) = match tally {
        Some(t) => {
            sum.unknown_names.merge(t.unknown_names);
            (t.stats, t.format, t.detected)
        }
        None => (Stats::default(), None, Vec::new()),
    };
    sum.stats += stats;
    let record = FileRecord {
        path: path.to_path_buf(),
        size: None,
        modified: None,
        outcome,
        format,
        stats,
    };
    (record, found)
}
