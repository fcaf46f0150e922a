//! anonlog as a running child process (the listener, a piped logger) and
//! the ways tests talk to it: signals, its socket as another user, its
//! output files. Shared by the `it` and `recipes` test binaries.

#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};

use crate::util::{bin, eventually, stat};

pub fn no_context() -> String {
    String::new()
}

pub fn signal(pid: u32, sig: libc::c_int) {
    // SAFETY: kill(2) takes plain integers and touches no memory.
    let r = unsafe { libc::kill(pid as libc::pid_t, sig) };
    assert_eq!(
        r,
        0,
        "kill({pid}, {sig}): {}",
        std::io::Error::last_os_error()
    );
}

/// Complete (newline-terminated) lines in a file; 0 if it does not exist.
pub fn lines_in(p: &Path) -> usize {
    fs::read(p).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
}

pub fn read_text(p: &Path) -> String {
    String::from_utf8(fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .expect("output is UTF-8")
}

/// The start of the warning a listener on a unix socket gives when the
/// kernel's queue for it is short (`net.unix.max_dgram_qlen` below 512, as
/// in a container without systemd); it depends on the machine, not on the
/// test.
pub const QUEUE_WARNING: &str = "anonlog: warning: net.unix.max_dgram_qlen is ";

/// A listener's stderr without the machine-dependent queue warning.
pub fn without_queue_warning(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| !l.starts_with(QUEUE_WARNING))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Asserts `--stats=json` counters: the run's stderr is the one JSON
/// object (and, from a listener, maybe the queue warning).
pub fn assert_stats(stderr: &str, want: &[(&str, usize)]) {
    let json = without_queue_warning(stderr);
    assert_eq!(json.lines().count(), 1, "one JSON object: {json}");
    for &(key, n) in want {
        assert_eq!(stat(&json, key), Some(n as u64), "{key} in {json}");
    }
}

/// A running anonlog that is killed if the test fails before it ends.
pub struct Anonlog {
    pub child: Option<Child>,
    /// stderr goes to a file, so it can never fill up a pipe.
    pub stderr: PathBuf,
}

impl Anonlog {
    pub fn start(args: &[&str], stdin: Stdio, stderr: PathBuf) -> Anonlog {
        let child = Command::new(bin())
            .args(args)
            .stdin(stdin)
            .stdout(Stdio::null())
            .stderr(fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("spawn anonlog");
        Anonlog {
            child: Some(child),
            stderr,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    pub fn take_stdin(&mut self) -> ChildStdin {
        self.child
            .as_mut()
            .unwrap()
            .stdin
            .take()
            .expect("stdin piped")
    }

    pub fn stderr_text(&self) -> String {
        fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    pub fn signal(&self, sig: libc::c_int) {
        signal(self.pid(), sig);
    }

    /// Whether anonlog still runs, and its stderr, for failure messages.
    pub fn report(&mut self) -> String {
        let state = match self.child.as_mut().map(|c| c.try_wait()) {
            Some(Ok(None)) => "anonlog is running".to_owned(),
            Some(Ok(Some(st))) => format!("anonlog exited: {st}"),
            Some(Err(e)) => format!("anonlog: {e}"),
            None => "anonlog was waited for".to_owned(),
        };
        format!("{state}; stderr: {}", self.stderr_text())
    }

    /// Panics if anonlog has already exited (with its status and stderr).
    pub fn assert_running(&mut self, when: &str) {
        if let Some(st) = self.child.as_mut().unwrap().try_wait().unwrap() {
            panic!(
                "anonlog exited {when}: {st}; stderr: {}",
                self.stderr_text()
            );
        }
    }

    /// Waits (eventually) for anonlog to exit and returns its status.
    pub fn wait(&mut self) -> ExitStatus {
        let mut status = None;
        let child = self.child.as_mut().unwrap();
        eventually(
            "anonlog to exit",
            || {
                status = child.try_wait().unwrap();
                status.is_some()
            },
            no_context,
        );
        self.child = None;
        status.unwrap()
    }
}

impl Drop for Anonlog {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The account `nobody` (and group `nogroup`) on Debian and most Linuxes.
pub const NOBODY: u32 = 65534;

/// Sends `msg` to the unix datagram socket at `sock` from a forked child
/// that runs as `uid`/`gid` with no supplementary groups. Returns 0 when
/// the datagram was accepted, else the errno of `sendto`.
pub fn send_as(uid: u32, gid: u32, sock: &Path, msg: &[u8]) -> i32 {
    use std::os::unix::ffi::OsStrExt;
    // Everything the child needs is built before fork: after it, the
    // child (a copy of a multithreaded process) may not allocate.
    // SAFETY: a zeroed sockaddr_un is a valid, empty address.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let path = sock.as_os_str().as_bytes();
    assert!(path.len() < addr.sun_path.len(), "socket path too long");
    for (d, &s) in addr.sun_path.iter_mut().zip(path) {
        *d = s as libc::c_char;
    }
    // SAFETY: the child calls only async-signal-safe functions on memory
    // prepared before the fork, and leaves with _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    if pid == 0 {
        // SAFETY: see above; every pointer is to memory owned by this frame.
        unsafe {
            if libc::setgroups(0, std::ptr::null()) != 0
                || libc::setgid(gid) != 0
                || libc::setuid(uid) != 0
            {
                libc::_exit(200);
            }
            let fd = libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM, 0);
            if fd < 0 {
                libc::_exit(201);
            }
            let r = libc::sendto(
                fd,
                msg.as_ptr().cast(),
                msg.len(),
                0,
                (&addr as *const libc::sockaddr_un).cast(),
                size_of::<libc::sockaddr_un>() as libc::socklen_t,
            );
            libc::_exit(if r < 0 { *libc::__errno_location() } else { 0 });
        }
    }
    let mut status = 0;
    // SAFETY: waits for our own child; `status` outlives the call.
    let r = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(r, pid, "waitpid: {}", std::io::Error::last_os_error());
    assert!(libc::WIFEXITED(status), "child died: {status:#x}");
    let code = libc::WEXITSTATUS(status);
    assert!(
        code < 200,
        "the child could not become {uid}:{gid} ({code})"
    );
    code
}

/// A temporary directory that every user may enter, so that only the
/// socket's own mode decides who may connect.
pub fn open_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

pub fn combined_datagram(request: &str) -> Vec<u8> {
    format!(
        "<190>Nov 22 08:39:58 nginx: 192.0.2.7 - - [22/Nov/2025:08:39:58 +0000] \"{request}\" 200 5 \"-\" \"ua\""
    )
    .into_bytes()
}
