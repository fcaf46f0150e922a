//! A full disk: outputs keep whole lines (and whole gzip members), a stream
//! stops with status 2 naming the file, and the listener holds its lines in
//! memory, retries, and writes them once there is room again.
//!
//! The disk is a real 1 MiB tmpfs, so these tests need root (to mount). As
//! elsewhere, they skip loudly without it, except under CI (which runs them
//! as root), where a missing capability is a failure. Nothing here asserts
//! timing: every wait is an "eventually" with a generous limit.

use std::ffi::CString;
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;

use crate::util::{bin, eventually, stat};

/// A 1 MiB tmpfs, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts it, or says why not: skips loudly outside CI, fails under CI.
    fn mount() -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let target = CString::new(dir.path().as_os_str().as_bytes()).unwrap();
        // SAFETY: every pointer is a NUL-terminated string that outlives the
        // call.
        let r = unsafe {
            libc::mount(
                c"tmpfs".as_ptr(),
                target.as_ptr(),
                c"tmpfs".as_ptr(),
                0,
                c"size=1m,mode=0755".as_ptr().cast(),
            )
        };
        if r == 0 {
            return Some(Tmpfs { dir });
        }
        let e = std::io::Error::last_os_error();
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs the tests as root and must mount a small tmpfs: {e}"
        );
        eprintln!("SKIPPED: cannot mount a small tmpfs (needs root): {e}");
        None
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let target = CString::new(self.dir.path().as_os_str().as_bytes()).unwrap();
        // SAFETY: a NUL-terminated path that outlives the call.
        unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) };
    }
}

/// Fills the file system at `dir` with a file of its own until it is full.
fn fill(dir: &Path) -> PathBuf {
    let p = dir.join("filler");
    let mut f = fs::File::create(&p).unwrap();
    let chunk = vec![b'x'; 4096];
    loop {
        match f.write(&chunk) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => break,
            Err(e) => panic!("filling {}: {e}", p.display()),
        }
    }
    p
}

/// 128 hex digits that depend on `i` (splitmix64), so that even gzip
/// output fills the disk.
fn noise(i: usize) -> String {
    let mut x = i as u64;
    (0..8)
        .map(|_| {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            format!("{:016x}", z ^ (z >> 31))
        })
        .collect()
}

fn input_line(i: usize) -> String {
    format!(
        "192.0.2.{} - - [22/Nov/2025:08:39:58 +0000] \"GET /item/MARK{i:06}END/{}?session=s{i} HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\n",
        i % 250 + 1,
        noise(i)
    )
}

fn output_line(i: usize) -> String {
    format!(
        "192.0.2.0 - - [22/Nov/2025:08:39:58 +0000] \"GET /item/MARK{i:06}END/{} HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"",
        noise(i)
    )
}

/// Asserts that `text` is made of whole lines, `output_line(first)` onwards
/// in order; returns how many.
fn assert_whole_lines(text: &[u8], first: usize, what: &str) -> usize {
    let text = std::str::from_utf8(text).unwrap_or_else(|_| panic!("{what}: not UTF-8"));
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "{what} ends in a partial line: ...{:?}",
        &text[text.len().saturating_sub(80)..]
    );
    for (n, line) in text.lines().enumerate() {
        assert_eq!(line, output_line(first + n), "{what}: line {n}");
    }
    text.lines().count()
}

/// 6 MiB of lines: six times the disk, and more than it even gzipped.
fn big_input() -> Vec<u8> {
    (0..24_000)
        .flat_map(|i| input_line(i).into_bytes())
        .collect()
}

/// Runs anonlog on `big_input()` with `args`, stdout to `stdout`.
fn run_to_full_disk(args: &[&str], stdout: Stdio) -> std::process::Output {
    let mut child = Command::new(bin())
        .args(["-f", "combined"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn anonlog");
    let mut stdin = child.stdin.take().unwrap();
    let feeder = thread::spawn(move || {
        // anonlog stops reading when the disk is full.
        let _ = stdin.write_all(&big_input());
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    out
}

fn assert_failed_naming(out: &std::process::Output, name: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "status; stderr: {stderr}");
    assert!(
        stderr.contains(&format!("cannot write {name}")) && stderr.contains("No space left"),
        "the error must name {name} and the cause: {stderr}"
    );
    assert!(
        !stderr.contains("MARK"),
        "log content in a diagnostic: {stderr}"
    );
}

#[test]
fn file_outputs_keep_whole_lines_when_the_disk_fills() {
    let Some(disk) = Tmpfs::mount() else { return };
    let out = disk.path().join("out.log");
    let name = out.to_str().unwrap();

    // -o FILE, with the parallel writer and with the inline one.
    for threads in ["2", "1"] {
        let r = run_to_full_disk(&["-j", threads, "-o", name], Stdio::null());
        assert_failed_naming(&r, name);
        let n = assert_whole_lines(&fs::read(&out).unwrap(), 0, name);
        assert!(n > 0, "nothing was written before the disk filled");
        fs::remove_file(&out).unwrap();
    }

    // Standard output redirected to a file.
    let r = run_to_full_disk(&[], Stdio::from(fs::File::create(&out).unwrap()));
    assert_failed_naming(&r, "<stdout>");
    assert_whole_lines(&fs::read(&out).unwrap(), 0, "stdout");
    fs::remove_file(&out).unwrap();

    // -o FILE -z: a valid gzip stream of whole members, of whole lines.
    let gz = disk.path().join("out.log.gz");
    let gz_name = gz.to_str().unwrap();
    let r = run_to_full_disk(&["-z", "-o", gz_name], Stdio::null());
    assert_failed_naming(&r, gz_name);
    let test = Command::new("gzip").arg("-t").arg(&gz).output().unwrap();
    assert!(
        test.status.success(),
        "gzip -t: {}",
        String::from_utf8_lossy(&test.stderr)
    );
    let plain = Command::new("gzip").arg("-dc").arg(&gz).output().unwrap();
    assert!(plain.status.success());
    assert_whole_lines(&plain.stdout, 0, "the gzip output");
}

struct Listener {
    child: Option<Child>,
    stderr: PathBuf,
}

impl Listener {
    fn stderr_text(&self) -> String {
        fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    fn report(&self) -> String {
        format!("anonlog's stderr: {}", self.stderr_text())
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn count(text: &str, what: &str) -> usize {
    text.matches(what).count()
}

#[test]
fn listener_holds_lines_while_the_disk_is_full() {
    let Some(disk) = Tmpfs::mount() else { return };
    let work = tempfile::tempdir().unwrap();
    let sock = work.path().join("s.sock");
    let out = disk.path().join("access.log");
    let stderr = work.path().join("err");
    // A small backlog (a hook of debug builds) so that it overflows after
    // a few dozen lines instead of 64 MiB.
    const BACKLOG: usize = 8 << 10;
    let child = Command::new(bin())
        .args(["-f", "combined", "--stats=json"])
        .arg("--listen")
        .arg(format!("unix:{}", sock.display()))
        .arg("-o")
        .arg(&out)
        .env("ANONLOG_TEST_BACKLOG_BYTES", BACKLOG.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let mut anonlog = Listener {
        child: Some(child),
        stderr,
    };
    eventually("the socket", || sock.exists(), || anonlog.report());
    let client = UnixDatagram::unbound().unwrap();
    let send = |i: usize| {
        let dg = format!("<190>Nov 22 08:39:58 nginx: {}", input_line(i));
        client.send_to(dg.as_bytes(), &sock).unwrap();
    };

    // The disk fills up; every line from now on must wait.
    let filler = fill(disk.path());
    const HELD: usize = 100;
    for i in 0..HELD {
        send(i);
    }
    eventually(
        "the warnings about the full disk and the full backlog",
        || {
            let e = anonlog.stderr_text();
            e.contains("No space left") && e.contains("backlog is full")
        },
        || anonlog.report(),
    );
    assert!(
        anonlog
            .child
            .as_mut()
            .unwrap()
            .try_wait()
            .unwrap()
            .is_none(),
        "the listener must survive a full disk: {}",
        anonlog.report()
    );
    assert_eq!(fs::read(&out).unwrap(), b"", "nothing fits on the disk");

    // Room again: the held lines land at the next retry.
    fs::remove_file(&filler).unwrap();
    eventually(
        "the held lines in the file",
        || anonlog.stderr_text().contains("writable again"),
        || anonlog.report(),
    );
    let held = assert_whole_lines(&fs::read(&out).unwrap(), 0, "after the retry");
    assert!(held > 0 && held < HELD, "{held} of {HELD} lines held");
    // Later lines follow at once.
    const LATER: usize = 10;
    for i in HELD..HELD + LATER {
        send(i);
    }
    eventually(
        "the later lines",
        || {
            fs::read(&out)
                .unwrap()
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                == held + LATER
        },
        || anonlog.report(),
    );

    let pid = anonlog.child.as_ref().unwrap().id() as libc::pid_t;
    // SAFETY: kill(2) takes plain integers and touches no memory.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let mut status = None;
    eventually(
        "anonlog to exit",
        || {
            status = anonlog.child.as_mut().unwrap().try_wait().unwrap();
            status.is_some()
        },
        String::new,
    );
    let err = anonlog.stderr_text();
    assert!(status.unwrap().success(), "anonlog: {err}");
    assert!(!err.contains("MARK"), "log content in a diagnostic: {err}");
    // Each is said once per episode.
    assert_eq!(count(&err, "No space left"), 1, "{err}");
    assert_eq!(count(&err, "backlog is full"), 1, "{err}");

    let text = fs::read(&out).unwrap();
    let lines: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
    assert_eq!(lines.len(), held + LATER);
    // The oldest lines were kept, the newest of the episode lost.
    assert_whole_lines(
        &text[..lines[..held].iter().map(|l| l.len()).sum()],
        0,
        "held",
    );
    assert_whole_lines(
        &text[lines[..held].iter().map(|l| l.len()).sum()..],
        HELD,
        "later",
    );
    let lost = stat(&err, "lines_lost_disk_full").expect("lines_lost_disk_full counter");
    assert_eq!(lost as usize, HELD - held, "{err}");
    assert_eq!(
        stat(&err, "datagrams").expect("datagrams counter") as usize,
        HELD + LATER,
        "{err}"
    );
    assert_eq!(
        stat(&err, "lines_read").expect("lines_read counter") as usize,
        HELD + LATER,
        "{err}"
    );
    assert_eq!(
        stat(&err, "lines_written").expect("lines_written counter") as usize,
        held + LATER,
        "{err}"
    );
}

#[test]
fn listener_stopped_on_a_full_disk_says_what_it_lost() {
    let Some(disk) = Tmpfs::mount() else { return };
    let work = tempfile::tempdir().unwrap();
    let sock = work.path().join("s.sock");
    let out = disk.path().join("access.log");
    let stderr = work.path().join("err");
    let child = Command::new(bin())
        .args(["-f", "combined", "--stats=json"])
        .arg("--listen")
        .arg(format!("unix:{}", sock.display()))
        .arg("-o")
        .arg(&out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let mut anonlog = Listener {
        child: Some(child),
        stderr,
    };
    eventually("the socket", || sock.exists(), || anonlog.report());
    let _filler = fill(disk.path());
    let client = UnixDatagram::unbound().unwrap();
    const N: usize = 20;
    for i in 0..N {
        let dg = format!("<190>Nov 22 08:39:58 nginx: {}", input_line(i));
        client.send_to(dg.as_bytes(), &sock).unwrap();
    }
    eventually(
        "the warning about the full disk",
        || anonlog.stderr_text().contains("No space left"),
        || anonlog.report(),
    );
    // Still full at SIGTERM: the held lines cannot be written.
    let pid = anonlog.child.as_ref().unwrap().id() as libc::pid_t;
    // SAFETY: kill(2) takes plain integers and touches no memory.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let mut status = None;
    eventually(
        "anonlog to exit",
        || {
            status = anonlog.child.as_mut().unwrap().try_wait().unwrap();
            status.is_some()
        },
        String::new,
    );
    let err = anonlog.stderr_text();
    assert_eq!(status.unwrap().code(), Some(2), "{err}");
    let name = out.display().to_string();
    assert!(
        err.contains(&format!("error: cannot write {name}: No space left")),
        "the final error names the file and the cause: {err}"
    );
    assert!(
        err.contains(&format!(
            "{name}: still no room at exit; {N} held lines are lost"
        )),
        "the loss is said with its count: {err}"
    );
    assert!(!err.contains("MARK"), "log content in a diagnostic: {err}");
    assert_eq!(fs::read(&out).unwrap(), b"");
}
