//! In-place rewrites and batch jobs over many files.
//!
//! Each file is rewritten atomically (see `batch/inplace.rs`): a kill at any
//! moment leaves either the original or the complete new file. A file that
//! another process writes is refused (see `batch/live.rs`), since what it wrote
//! after the rename would be lost. A directory walk (see `batch/walk.rs`) reports
//! what it leaves alone.

mod inplace;
mod live;
mod walk;

use std::io::{self, IsTerminal};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use indicatif::{ProgressBar, ProgressStyle};

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
    /// The highest exit status among the failures (1 data, 2 I/O); 2 as
    /// well when something was skipped, since raw data may remain there.
    pub worst_exit: u8,
    /// Counters summed over all files.
    pub stats: Stats,
    /// With `-f auto`: the format chosen for each file read to its end
    /// (rewritten or already anonymized), as (file, format), in the order
    /// the files were collected whichever finished first.
    pub detected: Vec<(String, String)>,
    /// JSON keys without a rule, merged over all files.
    pub unknown_names: UnknownNames,
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
/// skipped entry first and each failure as it happens, and going on with
/// the rest.
pub fn run(config: &Config, collected: &Collected) -> Summary {
    let files = &collected.files;
    for (path, why) in &collected.skipped {
        // Said even with --quiet: raw data may stay behind there.
        eprintln!("anonlog: skipped {}: {why}", show_path(path));
    }
    let total: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = if io::stderr().is_terminal() && !config.report.quiet {
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
    };
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
        worst_exit: if collected.skipped.is_empty() { 0 } else { 2 },
        ..Summary::default()
    });
    thread::scope(|s| {
        for _ in 0..file_workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    let result = inplace::rewrite(config, path, threads_per_file, &bar);
                    let mut sum = summary.lock().expect("no panics while holding the lock");
                    let outcome = match result {
                        Ok(inplace::FileResult::Rewritten(outcome)) => {
                            sum.rewritten += 1;
                            outcome
                        }
                        Ok(inplace::FileResult::Unchanged(outcome)) => {
                            sum.unchanged += 1;
                            outcome
                        }
                        Err(e) => {
                            sum.failed += 1;
                            sum.worst_exit = sum.worst_exit.max(e.exit_code());
                            bar.suspend(|| {
                                eprintln!("anonlog: error: {}", crate::error::chain(&e))
                            });
                            continue;
                        }
                    };
                    sum.stats += outcome.stats;
                    sum.unknown_names.merge(outcome.unknown_names);
                    drop(sum);
                    // Tagged with the file's place: files finish in any order.
                    detected
                        .lock()
                        .expect("no panics while holding the lock")
                        .push((i, outcome.detected));
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
    summary
}
