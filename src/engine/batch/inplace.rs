//! One file rewritten in place, atomically.
//!
//! The anonymized content goes to a temporary file in the same directory,
//! which gets the original's owner, group, mode and times, is fsynced, and
//! is renamed over the original; the directory is fsynced last. A kill at
//! any moment therefore leaves either the original or the complete new
//! file. The temporary file only ever holds anonymized bytes, and one left
//! by a killed run is removed by the next run on the same file.
//!
//! From open to rename the file is watched ([`Watch`]): a file another
//! process writes is refused up front, and a rewrite during which one
//! starts writing is abandoned, the original untouched and the temporary
//! file removed.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use indicatif::ProgressBar;

use super::age::old_enough;
use super::live::{MOVED, OPENED, Refused, Watch};
use super::{read_err, write_err};
use crate::config::{Config, EngineOpts};
use crate::engine::compress;
use crate::engine::output::BlockWriter;
use crate::engine::stream::{self, Plan, StreamInput};
use crate::error::{Error, show_path};
use crate::stats::Stats;

/// The outcome of one file, with what its stream did (counters, the
/// format detected, JSON keys without a rule) for the batch's summary.
pub(super) enum FileResult {
    Rewritten(Tally),
    Unchanged(Tally),
    /// Another process had it open for writing: left alone, unread.
    Busy {
        why: String,
        len: u64,
    },
    /// Modified after the batch's cutoff (since the walk looked): left
    /// alone, unread.
    Recent,
}

/// What reading one file found.
pub(super) struct Tally {
    pub(super) stats: Stats,
    /// The format its lines were read with.
    pub(super) format: Option<String>,
    /// With `-f auto`: the format chosen, as (file, format).
    pub(super) detected: Vec<(String, String)>,
    /// JSON keys without a rule.
    pub(super) unknown_names: crate::stats::UnknownNames,
}

const TEMP_MARK: &str = ".anonlog-";

/// Counts bytes read from the file on disk (compressed or not) into the
/// progress bar, so throughput and ETA are in on-disk bytes like the total,
/// and stops the read once a writer has begun opening the file.
struct Counted {
    file: File,
    bar: ProgressBar,
    watch: Arc<Watch>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // One fcntl per read of a block, not per line.
        self.watch.poll()?;
        let n = self.file.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

fn live(path: &Path, why: String) -> Error {
    Error::Live {
        name: show_path(path),
        why,
    }
}

pub(super) fn rewrite(
    config: &Config,
    path: &Path,
    threads: usize,
    bar: &ProgressBar,
    cutoff: Option<SystemTime>,
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
    if cutoff.is_some_and(|c| !old_enough(&meta, c)) {
        return Ok(FileResult::Recent);
    }
    lock(&file).map_err(|e| read_err(path, e))?;
    let watch = match Watch::start(&file, &meta, path) {
        Ok(w) => Arc::new(w),
        Err(Refused::Busy(why)) => {
            return Ok(FileResult::Busy {
                why,
                len: meta.len(),
            });
        }
        Err(Refused::Failed(why)) => return Err(live(path, why)),
    };
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

    // Each file keeps its compression (gzip and zstd at the levels asked
    // for, or their defaults), plain stays plain; one big file gets every
    // thread, many files one each. The stream decodes what this same
    // test of the same bytes says.
    let codec = compress::detect(&head(&file).map_err(|e| read_err(path, e))?);
    let plan = Plan {
        engine: EngineOpts {
            compress: codec,
            threads,
            ..config.engine
        },
        ..Plan::of(config)
    };

    let temp = tempfile::Builder::new()
        .prefix(&prefix)
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .tempfile_in(&dir)
        .map_err(|e| write_err(path, e))?;
    let mut sink =
        BlockWriter::from_file(temp.as_file().try_clone().map_err(|e| write_err(path, e))?);
    let counted = Counted {
        file,
        bar: bar.clone(),
        watch: watch.clone(),
    };
    let display = show_path(path);
    let input = StreamInput::Reader {
        name: display.clone(),
        reader: Box::new(counted),
    };
    // On every early return the temporary file is dropped, and so removed.
    let mut outcome = match stream::stream(plan, vec![input], &mut sink, &display) {
        Err(_) if watch.tripped() => return Err(live(path, OPENED.to_owned())),
        r => r?,
    };
    // Checked here too, not only before the rename: a file that grew must
    // not be reported as mismatched or unchanged when it was only live.
    watch.check().map_err(|why| live(path, why))?;
    if let Some(m) = outcome.mismatched.pop() {
        // Rewriting would scrub most of the file for good; the raw file
        // stays until the right format is given.
        return Err(Error::Mismatch(m));
    }
    let tally = Tally {
        stats: outcome.stats,
        format: outcome.inputs.pop().and_then(|i| i.format),
        detected: std::mem::take(&mut outcome.detected),
        unknown_names: std::mem::take(&mut outcome.unknown_names),
    };
    if !outcome.changed {
        // Already anonymized: leave the original (inode, times) untouched.
        return Ok(FileResult::Unchanged(tally));
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
    // Last look before the rename: a writer that opened the file since is
    // still waiting on the lease, so nothing of it is lost yet.
    watch.check().map_err(|why| live(path, why))?;
    still_named(path, &meta).map_err(|why| live(path, why))?;
    temp.persist(path).map_err(|e| write_err(path, e.error))?;
    // A writer that began opening the file between that look and the
    // rename holds the replaced inode once the lease ends: say so.
    let late = watch.broken();
    drop(watch);
    File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| write_err(&dir, e))?;
    if late {
        return Err(live(
            path,
            "was replaced, but another process opened the old file for writing during the \
             rename; what it writes there is not in the new file"
                .to_owned(),
        ));
    }
    Ok(FileResult::Rewritten(tally))
}

/// Fails when `path` no longer names the file that was read: logrotate
/// shifting rotated files (`.7.gz` to `.8.gz`, then `.6.gz` to `.7.gz`)
/// while a sweep rewrites `.7.gz` would otherwise have the rename replace
/// the younger file with the older one's lines. The moment between this
/// look and the rename is left; the rewrite before it is not.
fn still_named(path: &Path, read: &fs::Metadata) -> Result<(), String> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.dev() == read.dev() && m.ino() == read.ino() => Ok(()),
        _ => Err(MOVED.to_owned()),
    }
}

/// The file's first bytes, as many as a magic can need (fewer in a short
/// file), read without moving the offset the stream reads from.
fn head(file: &File) -> io::Result<Vec<u8>> {
    let mut buf = [0u8; compress::MAGIC_LEN];
    let mut got = 0;
    while got < buf.len() {
        match std::os::unix::fs::FileExt::read_at(file, &mut buf[got..], got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(buf[..got].to_vec())
}

/// Takes an exclusive advisory lock, so two runs never rewrite one file.
fn lock(file: &File) -> io::Result<()> {
    crate::engine::sys::lock_exclusive(file.as_raw_fd()).map_err(|e| {
        if e.kind() == io::ErrorKind::WouldBlock {
            io::Error::other("another anonlog is rewriting it")
        } else {
            e
        }
    })
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
