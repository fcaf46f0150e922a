//! Which files a batch rewrites, and which entries of a directory walk it
//! leaves alone and says so.

use std::fs::{self, FileType};
use std::io;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::read_err;
use crate::error::Error;

/// The files to rewrite, and the walk's entries that look like logs but
/// were not taken.
#[derive(Clone, Debug, Default)]
pub struct Collected {
    /// Files to rewrite, named ones first as given, walked ones by path.
    pub files: Vec<PathBuf>,
    /// Entries skipped by a walk, with why; each one is reported.
    pub skipped: Vec<(PathBuf, &'static str)>,
    /// Files left out for being modified after [`Collected::cutoff`]
    /// (see [`Collected::keep_older_than`]); counted, not touched.
    pub recent: Vec<PathBuf>,
    /// With `--older-than`: files modified after this time are not
    /// rewritten.
    pub cutoff: Option<SystemTime>,
}

/// Collects the files to rewrite: named files as given; directories, with
/// `recursive`, walked without following symlinks, keeping regular files
/// whose names look like logs (see [`looks_like_log`]), sorted by path.
///
/// A symlink, FIFO, socket or device whose name looks like a log is put in
/// [`Collected::skipped`]: it may be (or lead to) raw data that stays, so
/// it must not be left silently. Entries with other names are not listed:
/// a log directory holds other files, and naming each would bury what
/// matters.
pub fn collect(paths: &[PathBuf], recursive: bool) -> Result<Collected, Error> {
    let mut c = Collected::default();
    for p in paths {
        let meta = fs::symlink_metadata(p).map_err(|e| read_err(p, e))?;
        if meta.is_dir() {
            if !recursive {
                return Err(read_err(
                    p,
                    io::Error::other("is a directory (use -r to process directories)"),
                ));
            }
            walk(p, &mut c)?;
        } else {
            // Named files are taken whatever they are: rewriting refuses
            // what it cannot rewrite, with the reason, as a failure.
            c.files.push(p.clone());
        }
    }
    Ok(c)
}

fn walk(dir: &Path, c: &mut Collected) -> Result<(), Error> {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .map_err(|e| read_err(dir, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| read_err(dir, e))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let ft = entry.file_type().map_err(|e| read_err(&path, e))?;
        if ft.is_dir() {
            walk(&path, c)?;
        } else if looks_like_log(&entry.file_name().to_string_lossy()) {
            match why_not(ft) {
                None => c.files.push(path),
                Some(why) => c.skipped.push((path, why)),
            }
        }
    }
    Ok(())
}

impl Collected {
    /// Drops `path` (the same file by device and inode, under whatever
    /// name) from the files to rewrite, unsaid: it is anonlog's own output,
    /// such as the `--report` file, not a log to anonymize.
    pub fn leave_out(&mut self, path: &Path) {
        use std::os::unix::fs::MetadataExt;
        let Ok(own) = fs::metadata(path) else { return };
        self.files.retain(|f| {
            fs::symlink_metadata(f).map_or(true, |m| (m.dev(), m.ino()) != (own.dev(), own.ino()))
        });
    }
}

/// Why a walk does not take an entry of this type; `None` for a regular file.
fn why_not(ft: FileType) -> Option<&'static str> {
    if ft.is_file() {
        None
    } else if ft.is_symlink() {
        // Following it could rewrite files outside the tree; the target,
        // named on its own, is rewritten.
        Some("a symlink, not followed; name its target to rewrite it")
    } else if ft.is_fifo() {
        Some("a FIFO, not a regular file")
    } else if ft.is_socket() {
        Some("a socket, not a regular file")
    } else if ft.is_block_device() || ft.is_char_device() {
        Some("a device, not a regular file")
    } else {
        Some("not a regular file")
    }
}

/// Which names a directory walk takes: `*.log`, rotated `*.log.1`,
/// `*.log.2.gz`, `*.log-20261122`, Apache's `access_log`/`error_log`, and
/// anything with `access` in it. Hidden files (our own temporary files among
/// them) are never taken, so a walk cannot rewrite unrelated data.
pub fn looks_like_log(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    !n.starts_with('.') && (n.contains(".log") || n.contains("_log") || n.contains("access"))
}
