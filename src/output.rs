//! The output sink: standard output or a file opened for appending, written
//! with one `write_all` per block straight to the descriptor.
//!
//! There is no userspace buffer: blocks are already large, and nothing can
//! sit in a buffer while the input is quiet, so output is visible as soon
//! as a block is done. A sink is a shared handle, so a signal thread can
//! reopen it between two blocks (logrotate's `kill -HUP`), and no line is
//! lost or written twice across a reopen.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::input::grow_pipe;

/// Where output goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Standard output.
    Stdout,
    /// A file, created with mode 0640 if missing, appended to otherwise.
    Append(PathBuf),
}

impl Target {
    /// The name used in diagnostics.
    pub fn name(&self) -> String {
        match self {
            Target::Stdout => "<stdout>".to_owned(),
            Target::Append(p) => p.display().to_string(),
        }
    }
}

struct Inner {
    file: File,
    /// Set for files that can be reopened by name.
    path: Option<PathBuf>,
}

/// An open output; clones share the same descriptor.
#[derive(Clone)]
pub struct Sink {
    inner: Arc<Mutex<Inner>>,
}

fn append(p: &PathBuf) -> io::Result<File> {
    OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o640)
        .open(p)
}

impl Sink {
    /// Opens the target. A file is opened `O_APPEND`, so concurrent writers
    /// (an old and a new Apache piped logger) never overwrite each other.
    pub fn open(target: &Target) -> io::Result<Sink> {
        let (file, path) = match target {
            Target::Stdout => (File::from(io::stdout().as_fd().try_clone_to_owned()?), None),
            Target::Append(p) => (append(p)?, Some(p.clone())),
        };
        if file.metadata()?.file_type().is_fifo() {
            grow_pipe(file.as_raw_fd());
        }
        Ok(Sink {
            inner: Arc::new(Mutex::new(Inner { file, path })),
        })
    }

    /// Wraps a file the caller created (the temporary file of an in-place
    /// rewrite); it is never reopened.
    pub fn from_file(file: File) -> Sink {
        Sink {
            inner: Arc::new(Mutex::new(Inner { file, path: None })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock can only come from a write that
        // failed anyway; the file itself is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes a block of whole lines with one `write_all`.
    pub fn write_block(&self, data: &[u8]) -> io::Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        self.lock().file.write_all(data)
    }

    /// Reopens a file output by name (after logrotate renamed it); a no-op
    /// for standard output. On failure the old file stays in use.
    pub fn reopen(&self) -> io::Result<()> {
        let mut inner = self.lock();
        if let Some(p) = inner.path.clone() {
            inner.file = append(&p)?;
        }
        Ok(())
    }
}
