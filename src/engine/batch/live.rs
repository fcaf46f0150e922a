//! Is another process writing the file an in-place rewrite is about to
//! replace? Its writes after the rename would go to the replaced inode and
//! be lost, so such a file is refused.
//!
//! Two means, because neither is always available:
//! * a read lease (`F_SETLEASE`, `F_RDLCK`): refused while any process has
//!   the file open for writing, and broken by the kernel as soon as one
//!   opens it for writing or truncates it. Needs the file's owner or
//!   `CAP_LEASE`, and a filesystem with leases.
//! * the file's size and mtime, compared before the rename with what they
//!   were when it was opened: catches writes where no lease could be had.
//!
//! `/proc/*/fd` is scanned only to name the writer's pid in the message,
//! or, when no lease can be taken, to find a writer up front (it sees only
//! the processes the user may inspect; root sees all).

use std::fs::{self, File, Metadata};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::engine::sys;

/// Size and modification time: what a writer changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    len: u64,
    mtime: i64,
    mtime_nsec: i64,
}

impl Stamp {
    fn of(m: &Metadata) -> Stamp {
        Stamp {
            len: m.len(),
            mtime: m.mtime(),
            mtime_nsec: m.mtime_nsec(),
        }
    }
}

/// Watches one input file for writers from open to rename.
///
/// Guarantees: [`Watch::start`] fails when a process the lease (or, without
/// one, `/proc`) can see has the file open for writing; [`Watch::check`]
/// fails when a writer opened the file since, or its size or mtime changed.
/// The lease ends when the watch is dropped or [`Watch::release`]d.
pub struct Watch {
    /// A duplicate of the input's descriptor: the lease belongs to the open
    /// file description and lasts while any duplicate of it is open.
    file: File,
    before: Stamp,
    leased: AtomicBool,
    /// Set when a read saw the lease broken and stopped the rewrite.
    tripped: AtomicBool,
}

/// Why [`Watch::start`] did not start; each says why in words, for
/// [`Error::Live`](crate::Error::Live) or the batch summary.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// A process has the file open for writing: the file is left alone.
    Busy(String),
    /// The watch could not be set up.
    Failed(String),
}

impl Watch {
    /// Starts watching `file` (opened read-only), whose metadata at open
    /// was `meta`.
    pub fn start(file: &File, meta: &Metadata, name: &Path) -> Result<Watch, Refused> {
        let file = file
            .try_clone()
            .map_err(|e| Refused::Failed(e.to_string()))?;
        ignore_sigio();
        let leased = if let Err(e) = sys::take_read_lease(file.as_raw_fd()) {
            if e.raw_os_error() == Some(libc::EAGAIN) {
                return Err(Refused::Busy(open_for_writing(writer_pid(meta, name))));
            }
            // EACCES (neither owner nor CAP_LEASE) or EINVAL (no leases
            // on this filesystem): look where we can, then rely on the
            // size and mtime check.
            if let Some(pid) = writer_pid(meta, name) {
                return Err(Refused::Busy(open_for_writing(Some(pid))));
            }
            false
        } else {
            true
        };
        Ok(Watch {
            file,
            before: Stamp::of(meta),
            leased: AtomicBool::new(leased),
            tripped: AtomicBool::new(false),
        })
    }

    /// True when a process has begun opening the file for writing (or
    /// truncating it) since the lease was taken. Its open waits until the
    /// lease is released, so nothing has been written yet.
    pub fn broken(&self) -> bool {
        if !self.leased.load(Ordering::SeqCst) {
            return false;
        }
        // During a break the kernel reports the type the lease is being
        // broken to (F_UNLCK), not F_RDLCK.
        !sys::holds_read_lease(self.file.as_raw_fd())
    }

    /// Gives the file back, so a writer waiting on the lease goes on at
    /// once instead of after the kernel's lease-break-time (45 s).
    pub fn release(&self) {
        if self.leased.swap(false, Ordering::SeqCst) {
            sys::release_lease(self.file.as_raw_fd());
        }
    }

    /// For the reader: fails with [`OPENED`], and releases the lease, once
    /// a writer has begun opening the file, so the rewrite stops early and
    /// the writer waits no longer than one read.
    pub fn poll(&self) -> std::io::Result<()> {
        if self.broken() {
            self.release();
            self.tripped.store(true, Ordering::SeqCst);
            return Err(std::io::Error::other(OPENED));
        }
        Ok(())
    }

    /// Whether [`Watch::poll`] stopped the rewrite.
    pub fn tripped(&self) -> bool {
        self.tripped.load(Ordering::SeqCst)
    }

    /// Fails, and releases the lease, when a writer opened the file since
    /// [`Watch::start`] or its size or mtime changed. Called right before
    /// the rename.
    pub fn check(&self) -> Result<(), String> {
        if self.broken() {
            self.release();
            return Err(OPENED.to_owned());
        }
        let now = self.file.metadata().map_err(|e| e.to_string())?;
        if Stamp::of(&now) != self.before {
            self.release();
            return Err(CHANGED.to_owned());
        }
        Ok(())
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.release();
    }
}

/// Why a rewrite stopped when the lease broke while reading.
pub const OPENED: &str =
    "was opened for writing by another process during the rewrite; it was left unchanged";
/// Why a rewrite stopped when the size or mtime changed.
pub const CHANGED: &str =
    "changed while it was being rewritten (another process writes it); it was left unchanged";
/// Why a rewrite stopped when its path came to name another file.
pub const MOVED: &str = "was renamed or replaced by another process during the rewrite \
     (logrotate shifting rotated files?); nothing was replaced";

const LEFT: &str = "it was left unchanged";

fn open_for_writing(pid: Option<u32>) -> String {
    match pid {
        Some(pid) => format!("is open for writing by another process (pid {pid}); {LEFT}"),
        None => format!("is open for writing by another process; {LEFT}"),
    }
}

/// A lease break is signalled with SIGIO, whose default action ends the
/// process; the break is read back with `F_GETLEASE` instead.
fn ignore_sigio() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        sys::ignore_sigio();
    });
}

/// The pid of a process with the file open for writing, found through
/// `/proc/PID/fd` and the access mode in `/proc/PID/fdinfo`; `None` when
/// none is visible.
fn writer_pid(meta: &Metadata, path: &Path) -> Option<u32> {
    let name = path.file_name()?.as_bytes();
    for proc_entry in fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = proc_entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(fds) = fs::read_dir(proc_entry.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            // The link names the file as its last component (the file has
            // one link); only then is it worth a stat, which could block on
            // a hung network filesystem.
            let Ok(target) = fs::read_link(fd.path()) else {
                continue;
            };
            if !target.as_os_str().as_bytes().ends_with(name) {
                continue;
            }
            let same = fs::metadata(fd.path())
                .is_ok_and(|m| m.dev() == meta.dev() && m.ino() == meta.ino());
            if same && writable(&proc_entry.path(), &fd.file_name()) {
                return Some(pid);
            }
        }
    }
    None
}

/// Whether `/proc/PID/fdinfo/FD` says the descriptor was opened for writing.
fn writable(proc_dir: &Path, fd: &std::ffi::OsStr) -> bool {
    let Ok(info) = fs::read_to_string(proc_dir.join("fdinfo").join(fd)) else {
        return false;
    };
    info.lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .and_then(|f| i32::from_str_radix(f.trim(), 8).ok())
        .is_some_and(|flags| matches!(flags & libc::O_ACCMODE, libc::O_WRONLY | libc::O_RDWR))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_file_nobody_writes_can_be_watched_and_a_change_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.log");
        fs::write(&p, b"one\n").unwrap();
        let f = File::open(&p).unwrap();
        let meta = f.metadata().unwrap();
        let w = Watch::start(&f, &meta, &p).unwrap();
        assert!(!w.broken());
        w.check().unwrap();
        // Writing needs an open for writing, which is refused (non-blocking)
        // or breaks the lease; a truncate through the path breaks it too.
        w.release();
        let mut a = fs::OpenOptions::new().append(true).open(&p).unwrap();
        a.write_all(b"two\n").unwrap();
        assert_eq!(w.check().unwrap_err(), CHANGED);
    }

    #[test]
    fn a_writer_is_found_in_proc() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("b.log");
        fs::write(&p, b"one\n").unwrap();
        let f = File::open(&p).unwrap();
        let meta = f.metadata().unwrap();
        assert_eq!(writer_pid(&meta, &p), None, "a reader is not a writer");
        let _w = fs::OpenOptions::new().append(true).open(&p).unwrap();
        assert_eq!(writer_pid(&meta, &p), Some(std::process::id()));
        let e = Watch::start(&f, &meta, &p).err().unwrap();
        let want = format!(
            "is open for writing by another process (pid {}); {LEFT}",
            std::process::id()
        );
        assert_eq!(e, Refused::Busy(want));
    }
}
