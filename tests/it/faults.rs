//! Fault injection against the real binary: kills at random moments of an
//! in-place rewrite, a SIGHUP storm across a rename of the output, SIGTERM
//! twice on a live pipe, a reader that closes early, broken and hostile
//! gzip input, and a line far over `--max-line-bytes`.
//!
//! The binary is `ANONLOG_FAULTS_BIN` when set (`.ci/run` points it at the
//! release build, which can afford the full 1 GiB gzip bomb), else the one
//! cargo built for the tests. Random moments come from a seed printed by
//! each test, so a failure can be replayed with `ANONLOG_FAULTS_SEED`.

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::GzEncoder;

fn bin() -> PathBuf {
    std::env::var_os("ANONLOG_FAULTS_BIN").map_or_else(crate::util::bin, PathBuf::from)
}

fn anonlog(args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.args(args);
    c
}

/// A small xorshift generator: the kill moments need no better, and the
/// seed is printed so a failing sequence can be replayed.
struct Rng(u64);

impl Rng {
    fn new(test: &str) -> Rng {
        let seed = std::env::var("ANONLOG_FAULTS_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        eprintln!("{test}: ANONLOG_FAULTS_SEED={seed}");
        Rng(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// `n` combined lines, each distinct (its number is in the path), with
/// what anonlog rewrites: a client address, a user, a query, a referrer.
pub(crate) fn log_lines(n: usize, from: usize) -> Vec<u8> {
    let mut s = Vec::with_capacity(n * 160);
    for i in from..from + n {
        writeln!(
            s,
            "198.51.{}.{} - user{} [22/Nov/2026:08:38:17 +0000] \"GET /item/{i}?session=s{i} HTTP/1.1\" 200 {} \"https://ref.example/p?q={i}\" \"Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0.0.0\"",
            i % 250,
            1 + i % 254,
            i % 97,
            i % 5000,
        )
        .unwrap();
    }
    s
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::new(6));
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn kill(pid: u32, sig: libc::c_int) {
    // SAFETY: kill(2) has no memory-safety preconditions.
    let r = unsafe { libc::kill(pid as libc::pid_t, sig) };
    assert_eq!(r, 0, "kill({pid}, {sig})");
}

/// Waits for `child` and returns its exit status and the peak of its own
/// resident set in KiB: VmHWM, polled from /proc while it runs (a high-water
/// mark, so the last reading before the exit is the peak up to it). Not
/// `wait4`'s `ru_maxrss`: a child spawned with `CLONE_VM` (posix_spawn)
/// takes this test process's own high-water mark with it through `exec`,
/// so the buffers of other tests running here would count as its memory.
fn wait_rss(mut child: Child) -> (std::process::ExitStatus, u64) {
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        // Gone (or a zombie without memory) once it has exited.
        let hwm = fs::read_to_string(&status).ok().and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmHWM:"))?.to_owned();
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        });
        peak = peak.max(hwm.unwrap_or(0));
        if let Some(st) = child.try_wait().unwrap() {
            return (st, peak);
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Files in `dir` whose name marks an in-place temporary file of `name`.
fn temps(dir: &Path, name: &str) -> Vec<String> {
    let prefix = format!(".{name}.anonlog-");
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&prefix))
        .collect()
}

/// SIGKILL at random moments of `anonlog -i`: every kill leaves either the
/// original bytes or the complete result (as a run that was not killed
/// writes it), and a rerun removes the temporary file and finishes the job.
fn kill_in_place(label: &str, name: &str, pack: fn(&[u8]) -> Vec<u8>) {
    let mut rng = Rng::new(label);
    let dir = tempfile::tempdir().unwrap();
    let original = pack(&log_lines(30_000, 0));
    let path = dir.path().join(name);
    let path_s = path.to_str().unwrap();

    fs::write(&path, &original).unwrap();
    let started = Instant::now();
    let st = anonlog(&["-q", "-i", path_s]).status().unwrap();
    let took = started.elapsed();
    assert!(st.success(), "reference run: {st}");
    let reference = fs::read(&path).unwrap();
    assert_ne!(reference, original);

    let (mut kept, mut replaced, mut stale) = (0, 0, 0);
    for round in 0..20 {
        fs::write(&path, &original).unwrap();
        let mut child = anonlog(&["-q", "-i", path_s])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Anywhere from before the first read to after the rename.
        let at = rng.below(took.as_micros() as u64 * 3 / 2 + 1);
        thread::sleep(Duration::from_micros(at));
        let _ = child.kill();
        child.wait().unwrap();

        stale += usize::from(!temps(dir.path(), name).is_empty());
        let now = fs::read(&path).unwrap();
        if now == original {
            kept += 1;
        } else if now == reference {
            replaced += 1;
        } else {
            panic!(
                "{label} round {round}: killed after {at} µs, {name} is neither the original nor the result ({} bytes)",
                now.len()
            );
        }
        let out = anonlog(&["-q", "-i", path_s]).output().unwrap();
        assert!(
            out.status.success(),
            "{label} round {round}: rerun {}",
            out.status
        );
        assert!(out.stderr.is_empty());
        assert_eq!(
            fs::read(&path).unwrap(),
            reference,
            "{label} round {round}: rerun result"
        );
        assert_eq!(
            temps(dir.path(), name),
            Vec::<String>::new(),
            "{label} round {round}: temporary files left"
        );
    }
    eprintln!(
        "{label}: 20 kills, {kept} left the original, {replaced} the result, {stale} a temporary file"
    );
}

#[test]
fn sigkill_during_in_place_leaves_old_or_new() {
    kill_in_place("kill_in_place", "access.log", <[u8]>::to_vec);
}

#[test]
fn sigkill_during_in_place_gzip_leaves_old_or_new() {
    kill_in_place("kill_in_place_gzip", "access.log.1.gz", gzip);
}

#[test]
fn sigkill_during_in_place_zstd_leaves_old_or_new() {
    let zstd = |plain: &[u8]| zstd::encode_all(plain, 3).unwrap();
    kill_in_place("kill_in_place_zstd", "access.log.1.zst", zstd);
}

fn lines_of(b: &[u8]) -> HashMap<&[u8], usize> {
    let mut m = HashMap::new();
    for l in b.split_inclusive(|&c| c == b'\n') {
        *m.entry(l).or_insert(0) += 1;
    }
    m
}

/// Waits until `cond` holds, polling: the process under test gives no
/// other sign. Fails after a minute, which no healthy run comes near.
fn until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cond() {
        assert!(Instant::now() < deadline, "gave up waiting: {what}");
        thread::sleep(Duration::from_millis(2));
    }
}

/// Reopen requests arrive continuously while a live stream is written to
/// `-o`; the output is renamed half-way, as logrotate does. Across the
/// renamed and the new file, every line comes out exactly once, whole.
#[test]
fn sighup_storm_with_rename_loses_no_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.log");
    let rotated = dir.path().join("out.log.1");
    let first = log_lines(40_000, 0);
    let second = log_lines(40_000, 40_000);
    let mut all = first.clone();
    all.extend_from_slice(&second);
    let reference = crate::util::run(&["-q", "-f", "combined"], &all);
    assert!(reference.status.success());

    let mut child = anonlog(&["-q", "-f", "combined", "-o", out.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&first[..first.len() / 2]).unwrap();
    // Lines in the output mean the signal handlers are in place: before
    // that, SIGHUP would still kill.
    until("first output", || {
        fs::metadata(&out).is_ok_and(|m| m.len() > 0)
    });

    let done = Arc::new(AtomicBool::new(false));
    let storm = {
        let done = Arc::clone(&done);
        thread::spawn(move || {
            let mut sent = 0u64;
            while !done.load(Ordering::Relaxed) {
                kill(pid, libc::SIGHUP);
                sent += 1;
                thread::sleep(Duration::from_micros(200));
            }
            sent
        })
    };
    stdin.write_all(&first[first.len() / 2..]).unwrap();
    fs::rename(&out, &rotated).unwrap();
    // The storm reopens the name: a new file appears.
    until("reopened output", || out.exists());
    stdin.write_all(&second).unwrap();
    // The storm ends while the child still waits for input: a signal after
    // its exit could reach whatever process gets its pid next.
    done.store(true, Ordering::Relaxed);
    let sent = storm.join().unwrap();
    drop(stdin);
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "{status}: {err}");
    assert!(err.is_empty(), "stderr: {err}");

    let old = fs::read(&rotated).unwrap();
    let new = fs::read(&out).unwrap();
    for (name, b) in [("out.log.1", &old), ("out.log", &new)] {
        assert!(
            b.is_empty() || b.ends_with(b"\n"),
            "{name} ends inside a line"
        );
    }
    let mut both = old.clone();
    both.extend_from_slice(&new);
    assert_eq!(crate::util::count_lines(&both), 80_000);
    assert!(
        lines_of(&both) == lines_of(&reference.stdout),
        "the lines across both files differ from a plain run's"
    );
    eprintln!(
        "sighup storm: {sent} signals, {} lines before the rename's reopen, {} after",
        crate::util::count_lines(&old),
        crate::util::count_lines(&new)
    );
}

/// A stream whose producer keeps the pipe open (Apache's piped logger
/// during a graceful restart): the first SIGTERM lets it go on reading and
/// writing, the second ends it at once with status 143.
#[test]
fn sigterm_twice_drains_then_exits_143() {
    let mut child = anonlog(&["-q", "-f", "combined"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();

    stdin.write_all(&log_lines(1, 0)).unwrap();
    stdout.read_line(&mut line).unwrap();
    assert!(line.starts_with("198.51.0.0 - - "), "{line:?}");

    kill(pid, libc::SIGTERM);
    // Still reading: a line written after the first SIGTERM comes out.
    stdin.write_all(&log_lines(1, 7)).unwrap();
    line.clear();
    stdout.read_line(&mut line).unwrap();
    assert!(
        line.starts_with("198.51.7.0 - - "),
        "after one SIGTERM: {line:?}"
    );

    kill(pid, libc::SIGTERM);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143), "{status}");
    drop(stdin);
}

/// `anonlog big.log | head -1`: the closed pipe ends the run quietly and
/// successfully, as for any filter.
#[test]
fn reader_closing_early_is_success() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.log");
    fs::write(&big, log_lines(150_000, 0)).unwrap();
    let mut child = anonlog(&[big.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let head = Command::new("head")
        .arg("-1")
        .stdin(Stdio::from(child.stdout.take().unwrap()))
        .output()
        .unwrap();
    assert!(head.status.success());
    assert_eq!(crate::util::count_lines(&head.stdout), 1);
    let mut err = Vec::new();
    child.stderr.take().unwrap().read_to_end(&mut err).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status}");
    assert!(err.is_empty(), "stderr: {}", String::from_utf8_lossy(&err));
}

/// Runs anonlog on `file` (stdout captured) and checks a gzip fault: exit
/// status 2, the file named on stderr and no log content there, and the
/// whole lines written are the first lines of a sound run's output.
fn gzip_fault(file: &Path, reference: &[u8]) -> Vec<u8> {
    let out = anonlog(&["-q", "-f", "combined", file.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}: {err}", out.status);
    assert!(
        err.contains(file.to_str().unwrap()),
        "file not named: {err}"
    );
    assert!(
        !err.contains("198.51.") && !err.contains("GET"),
        "log content on stderr: {err}"
    );
    let whole = match out.stdout.iter().rposition(|&b| b == b'\n') {
        Some(i) => &out.stdout[..=i],
        None => &[][..],
    };
    assert!(
        reference.starts_with(whole),
        "lines before the fault differ"
    );
    whole.to_vec()
}

#[test]
fn truncated_gzip_writes_lines_before_the_fault() {
    let dir = tempfile::tempdir().unwrap();
    let plain = log_lines(20_000, 0);
    let reference = crate::util::run(&["-q", "-f", "combined"], &plain).stdout;
    let gz = gzip(&plain);
    let file = dir.path().join("cut.log.gz");
    fs::write(&file, &gz[..gz.len() / 2]).unwrap();
    let whole = gzip_fault(&file, &reference);
    let n = crate::util::count_lines(&whole);
    assert!(n > 1000 && n < 20_000, "{n} lines before the fault");
}

#[test]
fn garbage_after_gzip_writes_every_line() {
    let dir = tempfile::tempdir().unwrap();
    let plain = log_lines(20_000, 0);
    let reference = crate::util::run(&["-q", "-f", "combined"], &plain).stdout;
    let mut gz = gzip(&plain);
    gz.extend_from_slice(b"\x1f\x8bnot gzip at all\n198.51.100.7 GET /x\n");
    let file = dir.path().join("tail.log.gz");
    fs::write(&file, &gz).unwrap();
    assert_eq!(gzip_fault(&file, &reference), reference);
}

/// A few MB of gzip that decode to 1 GiB (256 MiB with the unoptimized
/// test build) of one repeated log line: decoded and anonymized as a
/// stream, in bounded memory.
#[test]
fn gzip_bomb_runs_in_bounded_memory() {
    bomb("gzip bomb", "bomb.log.gz", |chunk| {
        let mut e = GzEncoder::new(Vec::new(), Compression::best());
        e.write_all(chunk).unwrap();
        e.finish().unwrap()
    });
}

/// The same bomb as zstd frames.
#[test]
fn zstd_bomb_runs_in_bounded_memory() {
    bomb("zstd bomb", "bomb.log.zst", |chunk| {
        zstd::encode_all(chunk, 3).unwrap()
    });
}

/// Writes `pack` of 1 MiB of one log line as many times as it takes to
/// decode to 1 GiB (256 MiB unoptimized), and checks that anonlog reads
/// every line of it in bounded memory.
fn bomb(label: &str, name: &str, pack: fn(&[u8]) -> Vec<u8>) {
    let decoded: usize = if std::env::var_os("ANONLOG_FAULTS_BIN").is_some() {
        1 << 30
    } else {
        256 << 20
    };
    let line = b"198.51.100.7 - - [22/Nov/2026:08:38:17 +0000] \"GET /a?b=c HTTP/1.1\" 200 1 \"-\" \"Mozilla/5.0\"\n";
    let chunk: Vec<u8> = line
        .iter()
        .copied()
        .cycle()
        .take(line.len() * (1 << 20) / line.len())
        .collect();
    let member = pack(&chunk);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(name);
    let mut f = fs::File::create(&file).unwrap();
    let members = decoded / chunk.len();
    for _ in 0..members {
        f.write_all(&member).unwrap();
    }
    drop(f);
    let size = fs::metadata(&file).unwrap().len();
    assert!(size < 8 << 20, "the {label} is {size} bytes");

    let mut child = anonlog(&["-q", "-f", "combined", file.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let counter = thread::spawn(move || {
        let (mut lines, mut buf) = (0usize, vec![0u8; 1 << 16]);
        loop {
            let n = stdout.read(&mut buf).unwrap();
            if n == 0 {
                return lines;
            }
            lines += buf[..n].iter().filter(|&&b| b == b'\n').count();
        }
    });
    let mut err = child.stderr.take().unwrap();
    let (status, rss_kib) = wait_rss(child);
    assert!(rss_kib > 0, "its memory was read while it ran");
    let lines = counter.join().unwrap();
    let mut msg = String::new();
    err.read_to_string(&mut msg).unwrap();
    assert!(status.success(), "{status}: {msg}");
    assert_eq!(lines, members * (chunk.len() / line.len()));
    assert!(
        rss_kib < 100 << 10,
        "peak RSS {rss_kib} KiB for a {size}-byte {label}"
    );
    eprintln!(
        "{label}: {size} bytes -> {} MiB, peak RSS {rss_kib} KiB",
        (members * chunk.len()) >> 20
    );
}

/// One 200 MB line among ordinary ones, over the default 64 MiB
/// `--max-line-bytes`: it becomes an empty line, every other line is kept,
/// and memory stays bounded (the line is never held whole).
#[test]
fn a_200_mb_line_becomes_an_empty_line_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("long.log");
    let mut f = std::io::BufWriter::new(fs::File::create(&file).unwrap());
    f.write_all(&log_lines(10, 0)).unwrap();
    f.write_all(b"198.51.100.7 - - [22/Nov/2026:08:38:17 +0000] \"GET /?q=")
        .unwrap();
    let block = vec![b'x'; 1 << 20];
    for _ in 0..200 {
        f.write_all(&block).unwrap();
    }
    f.write_all(b" HTTP/1.1\" 200 1 \"-\" \"-\"\n").unwrap();
    f.write_all(&log_lines(10, 10)).unwrap();
    f.into_inner().unwrap().sync_all().unwrap();

    let mut child = anonlog(&["-q", "-f", "combined", file.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = thread::spawn(move || {
        let mut v = Vec::new();
        stdout.read_to_end(&mut v).unwrap();
        v
    });
    let mut err = child.stderr.take().unwrap();
    let (status, rss_kib) = wait_rss(child);
    assert!(rss_kib > 0, "its memory was read while it ran");
    let out = reader.join().unwrap();
    let mut msg = String::new();
    err.read_to_string(&mut msg).unwrap();
    assert!(status.success(), "{status}: {msg}");
    let lines: Vec<&[u8]> = out.split_inclusive(|&b| b == b'\n').collect();
    assert_eq!(lines.len(), 21);
    assert_eq!(lines[10], b"\n");
    let expect = crate::util::run(
        &["-q", "-f", "combined"],
        &[log_lines(10, 0), log_lines(10, 10)].concat(),
    )
    .stdout;
    assert_eq!([&lines[..10], &lines[11..]].concat().concat(), expect);
    assert!(rss_kib < 100 << 10, "peak RSS {rss_kib} KiB");
    eprintln!("200 MB line: peak RSS {rss_kib} KiB");
}
