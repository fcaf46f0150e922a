//! The output sink: standard output or a file opened for appending, written
//! with one `write_all` per block straight to the descriptor.
//!
//! There is no userspace buffer: blocks are already large, and nothing can
//! be left sitting in a buffer while the input is quiet.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::PathBuf;

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

/// An open output.
pub struct Sink {
    file: File,
}

impl Sink {
    /// Opens the target. A file is opened `O_APPEND`, so concurrent writers
    /// (an old and a new Apache piped logger) never overwrite each other.
    pub fn open(target: &Target) -> io::Result<Sink> {
        let file = match target {
            Target::Stdout => File::from(io::stdout().as_fd().try_clone_to_owned()?),
            Target::Append(p) => OpenOptions::new()
                .append(true)
                .create(true)
                .mode(0o640)
                .open(p)?,
        };
        if file.metadata()?.file_type().is_fifo() {
            grow_pipe(file.as_raw_fd());
        }
        Ok(Sink { file })
    }

    /// Wraps a file the caller created (the temporary file of an in-place
    /// rewrite).
    pub fn from_file(file: File) -> Sink {
        Sink { file }
    }

    /// Writes a block of whole lines.
    pub fn write_block(&mut self, data: &[u8]) -> io::Result<()> {
        self.file.write_all(data)
    }
}
