//! What an in-place or batch run must refuse or report: a file another
//! process is writing, an output that is one of the inputs, entries a
//! directory walk skips, and paths that would forge lines on stderr.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};

use crate::util::{bin, expected, have_root, run, sample, stderr, temps};

fn appended(from: usize, to: usize) -> Vec<u8> {
    (from..to)
        .flat_map(|i| format!("appended line {i}\n").into_bytes())
        .collect()
}

/// A writer that holds the file open before anonlog starts, appending all
/// the time: left alone up front, naming the writer's pid, counted as open
/// for writing, for a named file and for a directory walk alike; every
/// appended line is still there.
#[test]
fn a_file_open_for_writing_is_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("access.log");
    fs::write(&f, sample("access.log")).unwrap();
    let mut w = OpenOptions::new().append(true).open(&f).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let (started, wait_started) = mpsc::channel();
    let writer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                if i < 50_000 {
                    w.write_all(&appended(i, i + 1)).unwrap();
                    i += 1;
                }
                if i == 10 {
                    started.send(()).unwrap();
                }
                if i >= 50_000 {
                    std::thread::yield_now();
                }
            }
            i
        })
    };
    wait_started.recv().unwrap();
    let named = run(&["-i", f.to_str().unwrap()], b"");
    let walked = run(&["-i", "-r", dir.path().to_str().unwrap()], b"");
    stop.store(true, Ordering::SeqCst);
    let n = writer.join().unwrap();
    for out in [&named, &walked] {
        let err = stderr(out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains(&format!(
                "skipped {}: is open for writing by another process (pid {})",
                f.display(),
                std::process::id()
            )),
            "{err}"
        );
    }
    assert!(
        stderr(&walked).contains("0 failed, 0 skipped, 1 open for writing;"),
        "{}",
        stderr(&walked)
    );
    assert_eq!(
        fs::read(&f).unwrap(),
        [sample("access.log"), appended(0, n)].concat()
    );
    assert!(temps(dir.path()).is_empty());
}

/// Stops the child once its temporary file exists; `None` when the run
/// finished before that (then the caller tries a bigger file).
fn stop_mid_run(child: &mut Child, dir: &Path) -> Option<()> {
    let pid = child.id() as libc::pid_t;
    loop {
        if !temps(dir).is_empty() {
            break;
        }
        if child.try_wait().unwrap().is_some() {
            return None;
        }
        std::thread::yield_now();
    }
    let mut status = 0;
    // SAFETY: plain syscalls on our own child's pid; `status` is a valid
    // out-pointer.
    unsafe {
        assert_eq!(libc::kill(pid, libc::SIGSTOP), 0);
        assert_eq!(libc::waitpid(pid, &mut status, libc::WUNTRACED), pid);
    }
    if !libc::WIFSTOPPED(status) {
        // It ended between the look and the signal, and waitpid reaped it.
        return None;
    }
    if temps(dir).is_empty() {
        // Stopped after the rename: too late to test anything.
        // SAFETY: as above.
        unsafe { libc::kill(pid, libc::SIGCONT) };
        child.wait().unwrap();
        return None;
    }
    Some(())
}

pub(crate) fn cont(child: &Child) {
    // SAFETY: a signal to our own stopped child.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGCONT) },
        0
    );
}

/// Runs `anonlog -i` on a file that grows until the run is caught between
/// creating its temporary file and renaming it, stopped there; returns the
/// stopped child and the original content.
pub(crate) fn stopped_rewrite(dir: &Path, f: &Path, as_nobody: bool) -> (Child, Vec<u8>) {
    let mut original = sample("access.log");
    for _ in 0..12 {
        original = original.repeat(2);
        fs::write(f, &original).unwrap();
        let mut cmd = Command::new(bin());
        cmd.args(["-q", "-i", "-j", "1", "--block-size", "65536"])
            .arg(f)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if as_nobody {
            cmd.uid(65534).gid(65534);
        }
        let mut child = cmd.spawn().unwrap();
        if stop_mid_run(&mut child, dir).is_some() {
            return (child, original);
        }
    }
    panic!("every run finished before it could be stopped");
}

/// A writer that opens the file while the rewrite runs: the run holds a
/// lease, so the writer's open breaks it (a non-blocking open says
/// EWOULDBLOCK while the lease is held); the run gives the file back,
/// refuses, and removes its temporary file; the writer's lines all land
/// in the original.
#[test]
fn a_writer_opening_the_file_during_the_rewrite_is_caught() {
    if !have_root("a_writer_opening_the_file_during_the_rewrite_is_caught") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("access.log");
    let (child, original) = stopped_rewrite(dir.path(), &f, false);
    let probe = OpenOptions::new()
        .append(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&f);
    assert_eq!(
        probe.err().map(|e| e.kind()),
        Some(io::ErrorKind::WouldBlock),
        "the run holds a read lease, so opening for writing breaks it"
    );
    let writer = {
        let f = f.clone();
        std::thread::spawn(move || {
            // Blocks until the run has let go of its lease.
            let mut w = OpenOptions::new().append(true).open(&f).unwrap();
            w.write_all(&appended(0, 2000)).unwrap();
        })
    };
    cont(&child);
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("{} was opened for writing", f.display())),
        "{err}"
    );
    assert_eq!(
        fs::read(&f).unwrap(),
        [original, appended(0, 2000)].concat()
    );
    assert!(temps(dir.path()).is_empty());
}

/// Where no lease can be taken (here: a user who neither owns the file nor
/// has CAP_LEASE, and cannot see root's descriptors), lines appended during
/// the rewrite are caught by comparing size and mtime before the rename.
#[test]
fn a_file_that_grows_during_the_rewrite_is_left_alone() {
    if !have_root("a_file_that_grows_during_the_rewrite_is_left_alone") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777)).unwrap();
    let f = dir.path().join("access.log");
    let (child, original) = stopped_rewrite(dir.path(), &f, true);
    let mut w = OpenOptions::new().append(true).open(&f).unwrap();
    w.write_all(&appended(0, 500)).unwrap();
    drop(w);
    cont(&child);
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "{} changed while it was being rewritten",
            f.display()
        )),
        "{err}"
    );
    assert_eq!(fs::read(&f).unwrap(), [original, appended(0, 500)].concat());
    assert!(temps(dir.path()).is_empty());
}

/// `-o` naming an input (itself, a hard link, a symlink), or stdout
/// appending to an input, is refused before anything is written.
#[test]
fn an_output_that_is_an_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("access.log");
    fs::write(&f, sample("access.log")).unwrap();
    let other = dir.path().join("other.log");
    fs::write(&other, sample("access.log")).unwrap();
    let hard = dir.path().join("hard.log");
    fs::hard_link(&f, &hard).unwrap();
    let sym = dir.path().join("sym.log");
    std::os::unix::fs::symlink(&f, &sym).unwrap();
    for out_path in [&f, &hard, &sym] {
        let out = run(
            &[
                "-o",
                out_path.to_str().unwrap(),
                other.to_str().unwrap(),
                f.to_str().unwrap(),
            ],
            b"",
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains(&format!(
                "the output {} is the input {}",
                out_path.display(),
                f.display()
            )),
            "{err}"
        );
        assert_eq!(
            fs::read(&f).unwrap(),
            sample("access.log"),
            "nothing was written"
        );
    }
    // The shell's `>>` does the same through standard output.
    let append = OpenOptions::new().append(true).open(&f).unwrap();
    let out = Command::new(bin())
        .arg(&f)
        .stdin(Stdio::null())
        .stdout(append)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("the output <stdout> is the input"));
    assert_eq!(fs::read(&f).unwrap(), sample("access.log"));
    // And `< f >> f`.
    let out = Command::new(bin())
        .stdin(fs::File::open(&f).unwrap())
        .stdout(OpenOptions::new().append(true).open(&f).unwrap())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(fs::read(&f).unwrap(), sample("access.log"));
    // A different output is fine.
    let out = run(
        &[
            "-q",
            "-o",
            dir.path().join("anon.log").to_str().unwrap(),
            f.to_str().unwrap(),
        ],
        b"",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read(dir.path().join("anon.log")).unwrap(),
        expected("access.out")
    );
}

/// A walk reports every symlink and special file with a log name (not the
/// others), counts them as skipped, and ends non-zero; the symlinked raw
/// log is untouched.
#[test]
fn a_walk_reports_what_it_skips() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let elsewhere = dir.path().join("elsewhere");
    fs::create_dir_all(&logs).unwrap();
    fs::create_dir_all(&elsewhere).unwrap();
    fs::write(logs.join("access.log"), sample("access.log")).unwrap();
    fs::write(elsewhere.join("raw.log"), sample("access.log")).unwrap();
    std::os::unix::fs::symlink(elsewhere.join("raw.log"), logs.join("site.log")).unwrap();
    std::os::unix::fs::symlink(elsewhere.join("raw.log"), logs.join("notes")).unwrap();
    let fifo = std::ffi::CString::new(logs.join("pipe.log").to_str().unwrap()).unwrap();
    // SAFETY: a valid C string and a mode.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    let _sock = std::os::unix::net::UnixListener::bind(logs.join("syslog_access")).unwrap();
    let out = run(&["-i", "-r", logs.to_str().unwrap()], b"");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    for (name, why) in [
        ("site.log", "a symlink"),
        ("pipe.log", "a FIFO"),
        ("syslog_access", "a socket"),
    ] {
        assert!(
            err.contains(&format!("skipped {}: {why}", logs.join(name).display())),
            "{err}"
        );
    }
    assert!(!err.contains("notes"), "not a log name: {err}");
    assert!(
        err.contains("4 files: 1 rewritten, 0 already anonymized, 0 failed, 3 skipped"),
        "{err}"
    );
    assert_eq!(
        fs::read(logs.join("access.log")).unwrap(),
        expected("access.out")
    );
    assert_eq!(
        fs::read(elsewhere.join("raw.log")).unwrap(),
        sample("access.log")
    );
    // Even with -q: raw data stays behind, which is never silent.
    let out = run(&["-q", "-i", "-r", logs.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("skipped"));
}

/// A path with a newline or an escape sequence is printed escaped, so it
/// cannot forge a line or recolour the terminal.
#[test]
fn paths_are_printed_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let evil = "evil\nanonlog: 0 files failed.log";
    let f = dir.path().join(evil);
    fs::write(&f, "not a log line\n".repeat(50)).unwrap();
    std::os::unix::fs::symlink(&f, dir.path().join("link\x1b[31m.log")).unwrap();
    let shown = dir.path().display().to_string();
    let runs = [
        run(&["-i", "-r", dir.path().to_str().unwrap()], b""),
        run(&["-i", f.to_str().unwrap()], b""),
        run(&[f.to_str().unwrap()], b""),
        run(
            &[dir.path().join("gone\nanonlog: ok").to_str().unwrap()],
            b"",
        ),
    ];
    for out in &runs {
        let err = stderr(out);
        assert_ne!(out.status.code(), Some(0), "{err}");
        for line in err.lines() {
            assert!(line.starts_with("anonlog: "), "forged line in {err:?}");
            assert!(!line.starts_with("anonlog: 0 files failed"), "{err:?}");
            assert!(!line.starts_with("anonlog: ok"), "{err:?}");
        }
        assert!(!err.contains('\x1b'), "{err:?}");
    }
    let walk = stderr(&runs[0]);
    assert!(
        walk.contains(&format!(r"{shown}/evil\nanonlog: 0 files failed.log")),
        "{walk}"
    );
    assert!(
        walk.contains(&format!(r"{shown}/link\x1b[31m.log")),
        "{walk}"
    );
    assert!(
        stderr(&runs[3]).contains(&format!(r"{shown}/gone\nanonlog: ok")),
        "{}",
        stderr(&runs[3])
    );
}
