//! In-place rewrites and batch jobs over many files.
//!
//! Each file is rewritten atomically: the anonymized content goes to a
//! temporary file in the same directory, which gets the original's owner,
//! group, mode and times, is fsynced, and is renamed over the original; the
//! directory is fsynced last. A kill at any moment therefore leaves either
//! the original or the complete new file. The temporary file only ever holds
//! anonymized bytes, and a temporary file left by a killed run is removed by
//! the next run on the same file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, IsTerminal, Read};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Config;
use crate::error::Error;
use crate::output::Sink;
use crate::pipeline::{self, StreamInput};
use crate::stats::Stats;

/// What a batch run did, for the summary and the exit status.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Files rewritten.
    pub rewritten: usize,
    /// Files already anonymized, left untouched.
    pub unchanged: usize,
    /// Files that failed; each was reported when it failed.
    pub failed: usize,
    /// The highest exit status among the failures (1 data, 2 I/O).
    pub worst_exit: u8,
    /// Counters summed over all files.
    pub stats: Stats,
}

/// The outcome of one file.
enum FileResult {
    Rewritten(Stats),
    Unchanged(Stats),
}

const TEMP_MARK: &str = ".anonlog-";

/// Collects the files to rewrite: named files as given; directories, with
/// `recursive`, walked without following symlinks, keeping regular files
/// whose names look like logs (see [`looks_like_log`]), sorted by path.
pub fn collect(paths: &[PathBuf], recursive: bool) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    for p in paths {
        let meta = fs::symlink_metadata(p).map_err(|e| read_err(p, e))?;
        if meta.is_dir() {
            if !recursive {
                return Err(read_err(
                    p,
                    io::Error::other("is a directory (use -r to process directories)"),
                ));
            }
            walk(p, &mut files)?;
        } else {
            files.push(p.clone());
        }
    }
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), Error> {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .map_err(|e| read_err(dir, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| read_err(dir, e))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let ft = entry.file_type().map_err(|e| read_err(&path, e))?;
        if ft.is_dir() {
            walk(&path, files)?;
        } else if ft.is_file() && looks_like_log(&entry.file_name().to_string_lossy()) {
            files.push(path);
        }
    }
    Ok(())
}

/// Which names a directory walk takes: `*.log`, rotated `*.log.1`,
/// `*.log.2.gz`, `*.log-20261122`, Apache's `access_log`/`error_log`, and
/// anything with `access` in it. Hidden files (our own temporary files among
/// them) are never taken, so a walk cannot rewrite unrelated data.
pub fn looks_like_log(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    !n.starts_with('.') && (n.contains(".log") || n.contains("_log") || n.contains("access"))
}

fn read_err(p: &Path, source: io::Error) -> Error {
    Error::Read {
        name: p.display().to_string(),
        source,
    }
}

fn write_err(p: &Path, source: io::Error) -> Error {
    Error::Write {
        name: p.display().to_string(),
        source,
    }
}

/// Rewrites every file in place, several at once, reporting each failure as
/// it happens and going on with the rest.
pub fn run(config: &Config, files: &[PathBuf]) -> Summary {
    let total: u64 = files
        .iter()
        .filter_map(|f| fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = if io::stderr().is_terminal() && !config.quiet {
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
        (1, config.threads)
    } else {
        (config.threads.min(files.len()), 1)
    };
    let next = AtomicUsize::new(0);
    let summary = std::sync::Mutex::new(Summary::default());
    thread::scope(|s| {
        for _ in 0..file_workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    let result = rewrite(config, path, threads_per_file, &bar);
                    let mut sum = summary.lock().expect("no panics while holding the lock");
                    match result {
                        Ok(FileResult::Rewritten(st)) => {
                            sum.rewritten += 1;
                            sum.stats += st;
                        }
                        Ok(FileResult::Unchanged(st)) => {
                            sum.unchanged += 1;
                            sum.stats += st;
                        }
                        Err(e) => {
                            sum.failed += 1;
                            sum.worst_exit = sum.worst_exit.max(e.exit_code());
                            bar.suspend(|| {
                                eprintln!("anonlog: error: {}", crate::error::chain(&e))
                            });
                        }
                    }
                }
            });
        }
    });
    bar.finish_and_clear();
    summary
        .into_inner()
        .expect("no panics while holding the lock")
}

/// Counts bytes read from the file on disk (compressed or not) into the
/// progress bar, so throughput and ETA are in on-disk bytes like the total.
struct Counted {
    file: File,
    bar: ProgressBar,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

fn rewrite(
    config: &Config,
    path: &Path,
    threads: usize,
    bar: &ProgressBar,
) -> Result<FileResult, Error> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| read_err(path, e))?;
    let meta = file.metadata().map_err(|e| read_err(path, e))?;
    if !meta.is_file() {
        return Err(read_err(path, io::Error::other("not a regular file")));
    }
    if meta.nlink() > 1 {
        // Renaming over one name would leave the raw data under the others.
        return Err(read_err(
            path,
            io::Error::other(format!(
                "has {} hard links; refusing to rewrite it",
                meta.nlink()
            )),
        ));
    }
    lock(&file).map_err(|e| read_err(path, e))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| read_err(path, io::Error::other("has no file name")))?
        .to_string_lossy()
        .into_owned();
    let prefix = format!(".{name}{TEMP_MARK}");
    remove_stale_temps(&dir, &prefix);

    let mut magic = [0u8; 2];
    let is_gzip = std::os::unix::fs::FileExt::read_exact_at(&file, &mut magic, 0).is_ok()
        && magic == [0x1f, 0x8b];
    let mut cfg = config.clone();
    cfg.gzip = is_gzip.then(|| config.gzip.unwrap_or_default());

    let temp = tempfile::Builder::new()
        .prefix(&prefix)
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .tempfile_in(&dir)
        .map_err(|e| write_err(path, e))?;
    let mut sink = Sink::from_file(temp.as_file().try_clone().map_err(|e| write_err(path, e))?);
    let counted = Counted {
        file,
        bar: bar.clone(),
    };
    let input = StreamInput::Reader {
        name: path.display().to_string(),
        reader: Box::new(counted),
    };
    let display = path.display().to_string();
    let mut outcome = pipeline::stream(&cfg, vec![input], &mut sink, &display, threads)?;
    if let Some(m) = outcome.mismatched.pop() {
        // Rewriting would scrub most of the file for good; the raw file
        // stays until the right format is given.
        return Err(Error::Mismatch(m));
    }
    if !outcome.changed {
        // Already anonymized: leave the original (inode, times) untouched.
        return Ok(FileResult::Unchanged(outcome.stats));
    }
    let t = temp.as_file();
    std::os::unix::fs::fchown(t, Some(meta.uid()), Some(meta.gid()))
        .map_err(|e| write_err(path, e))?;
    t.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(
        meta.mode() & 0o7777,
    ))
    .map_err(|e| write_err(path, e))?;
    let times = fs::FileTimes::new()
        .set_accessed(meta.accessed().map_err(|e| read_err(path, e))?)
        .set_modified(meta.modified().map_err(|e| read_err(path, e))?);
    t.set_times(times).map_err(|e| write_err(path, e))?;
    t.sync_all().map_err(|e| write_err(path, e))?;
    temp.persist(path).map_err(|e| write_err(path, e.error))?;
    File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| write_err(&dir, e))?;
    Ok(FileResult::Rewritten(outcome.stats))
}

/// Takes an exclusive advisory lock, so two runs never rewrite one file.
fn lock(file: &File) -> io::Result<()> {
    // SAFETY: flock only reads the descriptor number.
    let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if r == 0 {
        Ok(())
    } else {
        let e = io::Error::last_os_error();
        if e.kind() == io::ErrorKind::WouldBlock {
            Err(io::Error::other("another anonlog is rewriting it"))
        } else {
            Err(e)
        }
    }
}

/// Removes temporary files of earlier, killed runs on the same file. They
/// hold anonymized bytes only, but they are litter. Runs under the lock, so
/// a concurrent run's live temporary file is never removed.
fn remove_stale_temps(dir: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with(prefix) {
            let _ = fs::remove_file(e.path());
        }
    }
}
