//! The output sink: standard output or a file opened for appending, written
//! with one `write_all` per block straight to the descriptor.
//!
//! A block is written whole or not at all where the kernel lets us take
//! bytes back: on a regular file (`-o FILE`, stdout redirected to a file), a
//! block whose write fails part-way (a full disk) is cut off again with
//! `ftruncate`, so the file holds only whole blocks: whole lines, and with
//! gzip whole members, i.e. a valid gzip stream. On a pipe, socket or
//! terminal written bytes cannot be recalled: a failed block may leave a
//! partial last line there, recognisable by its missing newline.
//!
//! There is no userspace buffer: blocks are already large, and nothing can
//! sit in a buffer while the input is quiet, so output is visible as soon
//! as a block is done. A sink is a shared handle, so a signal thread can
//! reopen it between two blocks (logrotate's `kill -HUP`), and no line is
//! lost or written twice across a reopen.

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::config::Destination;
use crate::engine::input::grow_pipe;

struct Inner {
    file: File,
    /// Set for files that can be reopened by name.
    path: Option<PathBuf>,
    kind: Kind,
}

/// How a failed write can be undone.
#[derive(Clone, Copy)]
enum Kind {
    /// A regular file opened `O_APPEND`: blocks start at its end.
    Append,
    /// A regular file written at its offset (stdout redirected with `>`,
    /// the temporary file of an in-place rewrite).
    Positioned,
    /// A pipe, socket, terminal or device: written bytes are gone.
    Stream,
}

impl Kind {
    fn of(file: &File) -> io::Result<Kind> {
        let meta = file.metadata()?;
        if !meta.file_type().is_file() {
            return Ok(Kind::Stream);
        }
        let flags = super::sys::status_flags(file.as_raw_fd()).unwrap_or(0);
        Ok(if flags & libc::O_APPEND != 0 {
            Kind::Append
        } else {
            Kind::Positioned
        })
    }
}

impl Inner {
    fn new(file: File, path: Option<PathBuf>) -> io::Result<Inner> {
        let kind = Kind::of(&file)?;
        Ok(Inner { file, path, kind })
    }

    /// Where the next block will start, if a failed write can be undone.
    fn start(&mut self) -> Option<u64> {
        match self.kind {
            Kind::Append => self.file.metadata().ok().map(|m| m.len()),
            Kind::Positioned => self.file.stream_position().ok(),
            Kind::Stream => None,
        }
    }

    /// Cuts the file back to `start` after `written` bytes of a block went
    /// in, unless someone else has appended meanwhile (an old Apache piped
    /// logger still writing): their lines are not ours to remove.
    fn undo(&mut self, start: Option<u64>, written: usize) {
        let Some(start) = start else { return };
        if written == 0 {
            return;
        }
        let end = start + written as u64;
        if self.file.metadata().is_ok_and(|m| m.len() == end) && self.file.set_len(start).is_ok() {
            if let Kind::Positioned = self.kind {
                let _ = self.file.seek(SeekFrom::Start(start));
            }
        }
    }
}

/// An open output; clones share the same descriptor.
#[derive(Clone)]
pub struct BlockWriter {
    inner: Arc<Mutex<Inner>>,
}

fn append(p: &PathBuf) -> io::Result<File> {
    OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o640)
        .open(p)
}

impl BlockWriter {
    /// Opens the target. A file is opened `O_APPEND`, so concurrent writers
    /// (an old and a new Apache piped logger) never overwrite each other.
    pub fn open(target: &Destination) -> io::Result<BlockWriter> {
        let (file, path) = match target {
            Destination::Stdout => (File::from(io::stdout().as_fd().try_clone_to_owned()?), None),
            Destination::Append(p) => (append(p)?, Some(p.clone())),
        };
        if file.metadata()?.file_type().is_fifo() {
            grow_pipe(file.as_raw_fd());
        }
        Ok(BlockWriter {
            inner: Arc::new(Mutex::new(Inner::new(file, path)?)),
        })
    }

    /// Wraps a file the caller created (the temporary file of an in-place
    /// rewrite); it is never reopened.
    pub fn from_file(file: File) -> BlockWriter {
        // A descriptor fstat cannot describe is treated as a stream: its
        // failed writes are reported, just not undone.
        let kind = Kind::of(&file).unwrap_or(Kind::Stream);
        BlockWriter {
            inner: Arc::new(Mutex::new(Inner {
                file,
                path: None,
                kind,
            })),
        }
    }

    /// A writer that discards everything (`/dev/null`): for an audit, which
    /// runs the whole anonymizer and keeps none of its output.
    pub fn null() -> io::Result<BlockWriter> {
        let file = OpenOptions::new().write(true).open("/dev/null")?;
        Ok(BlockWriter::from_file(file))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock can only come from a write that
        // failed anyway; the file itself is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes a block of whole lines (or whole gzip members), all of it or,
    /// on a regular file, none of it: when a write fails part-way (a full
    /// disk), the file is cut back to its length before the block, so it
    /// never ends in a partial line or member. On a pipe, socket or terminal
    /// the bytes already written stay; the error is returned either way.
    pub fn write_block(&self, data: &[u8]) -> io::Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        let mut inner = self.lock();
        let start = inner.start();
        let mut written = 0;
        while written < data.len() {
            match inner.file.write(&data[written..]) {
                Ok(0) => {
                    inner.undo(start, written);
                    return Err(io::ErrorKind::WriteZero.into());
                }
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    inner.undo(start, written);
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Reopens a file output by name (after logrotate renamed it); a no-op
    /// for standard output. On failure the old file stays in use.
    pub fn reopen(&self) -> io::Result<()> {
        let mut inner = self.lock();
        if let Some(p) = inner.path.clone() {
            let file = append(&p)?;
            inner.kind = Kind::of(&file)?;
            inner.file = file;
        }
        Ok(())
    }
}
