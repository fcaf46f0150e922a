//! The run record file (`--report FILE`): a file many runs append one line
//! each to (logrotate's hooks, timers, a shell), possibly at the same time.
//!
//! A line goes in with a single `write(2)` on a descriptor opened
//! `O_APPEND`: the kernel then puts it whole at the end of the file, after
//! or before another run's line, never inside it (on local filesystems;
//! NFS does not keep `O_APPEND` atomic across machines).

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// A record file opened for appending.
#[derive(Debug)]
pub struct RecordFile {
    file: File,
}

impl RecordFile {
    /// Opens `path` for appending, creating it with mode 0640 (less the
    /// umask) if it is missing. Opened before the run starts, so that a
    /// record that cannot be written stops the run before it changes
    /// anything.
    pub fn open(path: &Path) -> io::Result<RecordFile> {
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o640)
            .open(path)?;
        Ok(RecordFile { file })
    }

    /// Appends `line`, which must be one line ending in `\n` and holding
    /// no other `\n`, with one `write(2)`.
    ///
    /// Guarantees: the line is in the file whole, or the call fails. A
    /// write the kernel cut short (a full disk, a file size limit) is cut
    /// back off the file when no other line was appended after it, and is
    /// an error either way; a write interrupted by a signal before writing
    /// anything is made again.
    pub fn append(&self, line: &[u8]) -> io::Result<()> {
        if line.last() != Some(&b'\n') || memchr::memchr(b'\n', line) != Some(line.len() - 1) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a record is one line ending in a newline",
            ));
        }
        #[cfg(debug_assertions)]
        test_hooks::gate();
        let written = loop {
            match (&self.file).write(line) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => break r?,
            }
        };
        if written == line.len() {
            return Ok(());
        }
        // After an O_APPEND write the offset is the end of what it wrote.
        if let Ok(end) = (&self.file).stream_position() {
            if self.file.metadata().is_ok_and(|m| m.len() == end) {
                let _ = self.file.set_len(end - written as u64);
            }
        }
        Err(io::Error::new(
            io::ErrorKind::WriteZero,
            format!(
                "only {written} of the record's {} bytes could be written",
                line.len()
            ),
        ))
    }
}

/// A starting gate for the integration tests, compiled into debug builds
/// only: runs that append at the same moment show whether their lines can
/// mix, which runs that merely overlap almost never do.
#[cfg(debug_assertions)]
mod test_hooks {
    /// With `ANONLOG_TEST_RECORD_GATE=DIR`: creates `DIR/ready.PID`, then
    /// opens the FIFO `DIR/gate` for reading, which blocks until the test
    /// opens it for writing once every run is ready.
    pub fn gate() {
        let Some(dir) = std::env::var_os("ANONLOG_TEST_RECORD_GATE") else {
            return;
        };
        let dir = std::path::Path::new(&dir);
        let ready = dir.join(format!("ready.{}", std::process::id()));
        if std::fs::write(ready, b"").is_ok() {
            let _ = std::fs::File::open(dir.join("gate"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn lines_are_appended_whole_to_a_file_made_at_most_0640() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("runs.jsonl");
        let r = RecordFile::open(&p).unwrap();
        // 0640 less the umask, which the test process shares with every
        // other test, so it is left alone here (tests/it sets it).
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & !0o640, 0, "{mode:o}");
        assert_eq!(mode & 0o600, 0o600, "{mode:o}");
        r.append(b"{\"a\":1}\n").unwrap();
        RecordFile::open(&p).unwrap().append(b"{}\n").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"{\"a\":1}\n{}\n");
        for bad in [&b""[..], b"{}", b"{}\n{}\n", b"\n\n"] {
            assert_eq!(
                r.append(bad).unwrap_err().kind(),
                io::ErrorKind::InvalidInput
            );
        }
        assert_eq!(std::fs::read(&p).unwrap(), b"{\"a\":1}\n{}\n");
    }
}
