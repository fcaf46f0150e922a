//! anonlog as a live logger: the listener fed by a real nginx over a unix
//! syslog socket (with a logrotate-style rename + SIGHUP in the middle), the
//! listener's tag routing fed by hand-made datagrams, and Apache's piped-log
//! signal semantics on standard input.
//!
//! `.ci/run` installs nginx; outside CI the nginx test is skipped (loudly)
//! when it is missing. Nothing here asserts timing: every wait is an
//! "eventually" with a generous limit, and only 127.0.0.1 and unix sockets
//! are used.

use std::collections::HashMap;
use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::child::{
    Anonlog, NOBODY, assert_stats, combined_datagram, lines_in, no_context, open_dir, read_text,
    send_as,
};
use crate::util::{PATIENCE, bin, eventually, have_root, stat};

// ---------------------------------------------------------------------------
// 1. A real nginx logging to the listener over a unix syslog socket.
// ---------------------------------------------------------------------------

fn find_nginx() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin")])
        .map(|d| d.join("nginx"))
        .find(|p| fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

/// A running nginx (master and worker in a process group of their own); the
/// whole group is stopped when the guard goes, also when the test fails.
struct Nginx {
    child: Option<Child>,
    prefix: PathBuf,
}

impl Nginx {
    fn start(nginx: &Path, prefix: &Path, sock: &Path, port: u16) -> Nginx {
        let d = prefix.display();
        // As root, nginx would run its worker as `nobody`; keep it root so
        // it may use the socket and the directories of this test.
        // SAFETY: getuid cannot fail and touches no memory.
        let user = if unsafe { libc::getuid() } == 0 {
            "user root;\n"
        } else {
            ""
        };
        let conf = format!(
            r#"{user}daemon off;
master_process on;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{
    worker_connections 64;
}}
http {{
    client_body_temp_path {d}/client_body_temp;
    proxy_temp_path {d}/proxy_temp;
    fastcgi_temp_path {d}/fastcgi_temp;
    uwsgi_temp_path {d}/uwsgi_temp;
    scgi_temp_path {d}/scgi_temp;
    access_log syslog:server=unix:{sock},nohostname combined;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            return 200 "ok\n";
        }}
    }}
}}
"#,
            sock = sock.display(),
        );
        let conf_path = prefix.join("nginx.conf");
        fs::write(&conf_path, conf).unwrap();
        let out = fs::File::create(prefix.join("nginx.out")).unwrap();
        let child = Command::new(nginx)
            .arg("-p")
            .arg(prefix)
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            // Its own process group, so the worker can be stopped with it.
            .process_group(0)
            .spawn()
            .expect("spawn nginx");
        Nginx {
            child: Some(child),
            prefix: prefix.to_owned(),
        }
    }

    /// nginx's own diagnostics, for failure messages.
    fn diagnostics(&self) -> String {
        nginx_diagnostics(&self.prefix)
    }

    /// Waits (eventually) until nginx accepts connections on `port`.
    fn wait_ready(&mut self, port: u16) {
        let child = self.child.as_mut().unwrap();
        let mut exited = None;
        let prefix = self.prefix.clone();
        eventually(
            "nginx to accept connections",
            || {
                if let Some(st) = child.try_wait().unwrap() {
                    exited = Some(st);
                    return true;
                }
                TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok()
            },
            || nginx_diagnostics(&prefix),
        );
        if let Some(st) = exited {
            self.child = None;
            panic!("nginx exited at startup: {st}\n{}", self.diagnostics());
        }
    }

    /// Stops the whole process group: SIGTERM (nginx's fast shutdown, the
    /// master stops its worker), then SIGKILL if it lingers.
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let group = -(child.id() as libc::pid_t);
        // SAFETY: kill(2) takes plain integers and touches no memory.
        unsafe { libc::kill(group, libc::SIGTERM) };
        let start = Instant::now();
        while start.elapsed() < PATIENCE {
            if child.try_wait().ok().flatten().is_some() {
                break;
            }
            thread::sleep(Duration::from_millis(20));
        }
        // Whatever is left of the group (a worker whose master died).
        // SAFETY: as above.
        unsafe { libc::kill(group, libc::SIGKILL) };
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.stop();
    }
}

fn nginx_diagnostics(prefix: &Path) -> String {
    let read = |n: &str| fs::read_to_string(prefix.join(n)).unwrap_or_default();
    format!(
        "nginx output:\n{}\nnginx error.log:\n{}",
        read("nginx.out"),
        read("error.log")
    )
}

/// A port on 127.0.0.1 that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Standard base64 with padding (RFC 4648), for the Authorization header.
fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in data.chunks(3) {
        let n = c
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= c.len() {
                s.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

#[test]
fn base64_helper_matches_rfc_4648() {
    assert_eq!(base64(b""), "");
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foo"), "Zm9v");
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    assert_eq!(base64(b"alice:pw"), "YWxpY2U6cHc=");
}

/// Request `i` of the nginx test: every field anonlog must remove carries
/// something recognisable.
fn get(port: u16, i: usize) {
    let auth = if i % 3 == 0 {
        format!("Authorization: Basic {}\r\n", base64(b"alice:pw"))
    } else {
        String::new()
    };
    let req = format!(
        "GET /req/{i}?email=user{i}%40example.com&token=SECRET{i} HTTP/1.1\r\n\
         Host: 127.0.0.1:{port}\r\n\
         Referer: https://ref.example.org/page?ref={i}\r\n\
         {auth}\
         User-Agent: anonlog-live-test\r\n\
         Connection: close\r\n\r\n"
    );
    let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).expect("connect to nginx");
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    s.write_all(req.as_bytes()).unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).expect("read the whole response");
    let resp = String::from_utf8_lossy(&resp);
    assert!(
        resp.starts_with("HTTP/1.1 200 ") && resp.ends_with("\r\n\r\nok\n"),
        "request {i}: unexpected response {resp:?}"
    );
}

/// `/req/<i>` -> how many lines of `text` carry it; also checks every line.
fn requests_in(text: &str, name: &str) -> HashMap<usize, usize> {
    let mut seen = HashMap::new();
    for line in text.lines() {
        assert!(
            line.starts_with("127.0.0.0 - - ["),
            "{name}: client or user not anonymized: {line:?}"
        );
        for raw in [
            "?",
            "SECRET",
            "%40example.com",
            "example.com",
            "alice",
            "ref.example.org",
            "127.0.0.1",
        ] {
            assert!(!line.contains(raw), "{name}: {raw:?} survived in {line:?}");
        }
        assert!(
            line.ends_with(r#"" 200 3 "-" "anonlog-live-test""#),
            "{name}: unexpected line {line:?}"
        );
        let rest = line
            .split_once("\"GET /req/")
            .unwrap_or_else(|| panic!("{name}: no request in {line:?}"))
            .1;
        let i: usize = rest
            .strip_suffix(r#" HTTP/1.1" 200 3 "-" "anonlog-live-test""#)
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{name}: unexpected request in {line:?}"));
        *seen.entry(i).or_default() += 1;
    }
    seen
}

#[test]
fn nginx_syslog_listener_end_to_end() {
    let Some(nginx) = find_nginx() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install nginx (.ci/run)"
        );
        eprintln!("SKIPPED: nginx is not installed");
        return;
    };
    const N: usize = 200;
    const BATCH: usize = 5;
    let half = N / 2;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sock = d.join("anonlog.sock");
    let log = d.join("access.log");
    let rotated = d.join("access.log.1");

    let listen = format!("unix:{}", sock.display());
    let mut anonlog = Anonlog::start(
        &[
            "--listen",
            &listen,
            "-o",
            log.to_str().unwrap(),
            "--stats=json",
        ],
        Stdio::null(),
        d.join("anonlog.err"),
    );
    // The socket is bound after the signal handlers are installed.
    eventually(
        "the listener's socket",
        || sock.exists(),
        || anonlog.report(),
    );
    anonlog.assert_running("after binding its socket");

    let port = free_port();
    let mut server = Nginx::start(&nginx, d, &sock, port);
    server.wait_ready(port);

    // Requests go out in batches smaller than the kernel's queue of a unix
    // datagram socket (net.unix.max_dgram_qlen, 10 by default), and each
    // batch waits until its lines are written. nginx logs a request before
    // it closes the connection, so when a response has been read in full
    // its datagram is queued; a burst larger than the queue would be
    // dropped by nginx whenever anonlog is descheduled (a loaded CI
    // machine), which is not what this test is about. (nginx notes such a
    // drop as "send() to syslog failed" at level warn, which the error_log
    // of `Nginx::start` keeps for the failure message.)
    let logged = || lines_in(&rotated) + lines_in(&log);
    let send = |range: std::ops::Range<usize>, anonlog: &mut Anonlog| {
        let mut i = range.start;
        while i < range.end {
            let end = (i + BATCH).min(range.end);
            for j in i..end {
                get(port, j);
            }
            eventually(
                &format!("the lines of requests up to {end} in the log files"),
                || logged() >= end,
                || {
                    format!(
                        "{} lines in access.log.1, {} in access.log; \
                         net.unix.max_dgram_qlen = {}\n{}\n{}",
                        lines_in(&rotated),
                        lines_in(&log),
                        fs::read_to_string("/proc/sys/net/unix/max_dgram_qlen")
                            .unwrap_or_default()
                            .trim(),
                        anonlog.report(),
                        server.diagnostics()
                    )
                },
            );
            i = end;
        }
    };

    // First half, all written before the rotation (so the reopen below
    // cannot overtake a queued line: either file would be correct for
    // such a line).
    send(0..half, &mut anonlog);
    assert_eq!(lines_in(&log), half);

    // logrotate: rename, then `kill -HUP`; anonlog reopens access.log.
    fs::rename(&log, &rotated).unwrap();
    anonlog.signal(libc::SIGHUP);
    eventually(
        "anonlog to reopen access.log after SIGHUP",
        || log.exists(),
        || anonlog.report(),
    );
    anonlog.assert_running("after SIGHUP");

    send(half..N, &mut anonlog);
    assert_eq!(logged(), N, "no more lines than requests");

    anonlog.signal(libc::SIGTERM);
    let status = anonlog.wait();
    let stderr = anonlog.stderr_text();
    assert!(status.success(), "anonlog: {status}; stderr: {stderr}");
    assert!(!sock.exists(), "the socket was not removed at exit");
    server.stop();

    let first = requests_in(&read_text(&rotated), "access.log.1");
    let second = requests_in(&read_text(&log), "access.log");
    for i in 0..N {
        let (here, there) = if i < half {
            (&first, &second)
        } else {
            (&second, &first)
        };
        assert_eq!(
            here.get(&i).copied().unwrap_or(0),
            1,
            "/req/{i} must be logged exactly once, in access.log{}",
            if i < half { ".1" } else { "" }
        );
        assert!(!there.contains_key(&i), "/req/{i} is in the wrong file");
    }
    assert_eq!(first.len() + second.len(), N);

    // The counters prove the raw lines had what was removed.
    let auth = (0..N).filter(|i| i % 3 == 0).count();
    assert_stats(
        &stderr,
        &[
            ("lines_read", N),
            ("parsed", N),
            ("scrubbed", 0),
            ("datagrams", N),
            ("queries_removed", N),
            ("referrers_removed", N),
            ("users_removed", auth),
            ("addresses_truncated", N),
        ],
    );
}

// ---------------------------------------------------------------------------
// 2. Apache piped logs: SIGTERM drains a stream, a second SIGTERM exits.
// ---------------------------------------------------------------------------

/// Line `i` of the piped-log test, with a marker that no other line holds.
fn apache_line(i: usize) -> String {
    format!(
        "192.0.2.{} - frank [22/Nov/2025:08:39:58 +0000] \"GET /item/MARK{i:04}END?session=s{i}&mail=a%40b HTTP/1.1\" 200 512 \"https://ref.example.net/?q={i}\" \"Mozilla/5.0\"\n",
        i % 250 + 1
    )
}

#[test]
fn apache_piped_log_semantics_without_apache() {
    const N: usize = 300;
    let third = N / 3;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.log");

    // Drain: SIGTERM after a third of the lines; the writer goes on.
    let mut anonlog = Anonlog::start(
        &["-o", out.to_str().unwrap(), "--stats=json"],
        Stdio::piped(),
        dir.path().join("err"),
    );
    let mut stdin = anonlog.take_stdin();
    let (at_third, wait_third) = mpsc::channel::<()>();
    let (go_on, resume) = mpsc::channel::<()>();
    let writer = thread::spawn(move || -> usize {
        for i in 0..N {
            if i == third {
                at_third.send(()).unwrap();
                resume.recv().unwrap();
            }
            if stdin.write_all(apache_line(i).as_bytes()).is_err() {
                return i; // anonlog is gone
            }
            thread::sleep(Duration::from_millis(3));
        }
        N // stdin closes here, when the writer drops it
    });
    wait_third.recv().unwrap();
    // Lines in the output mean the signal handlers are installed.
    eventually(
        "the first lines in out.log",
        || lines_in(&out) > 0,
        || anonlog.report(),
    );
    anonlog.signal(libc::SIGTERM);
    go_on.send(()).unwrap();
    let written = writer.join().unwrap();
    assert_eq!(written, N, "anonlog stopped reading after SIGTERM");
    let status = anonlog.wait();
    assert!(
        status.success(),
        "anonlog: {status}; stderr: {}",
        anonlog.stderr_text()
    );
    let stderr = anonlog.stderr_text();
    assert_stats(&stderr, &[("lines_read", N), ("queries_removed", N)]);

    let text = read_text(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), N, "every written line must come out");
    for (i, line) in lines.iter().enumerate() {
        let want = format!(
            "192.0.2.0 - - [22/Nov/2025:08:39:58 +0000] \"GET /item/MARK{i:04}END HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\""
        );
        assert_eq!(*line, want, "line {i}");
    }

    // Two SIGTERMs: the first drains, the second exits at once with 143.
    let out2 = dir.path().join("out2.log");
    let mut anonlog = Anonlog::start(
        &["-o", out2.to_str().unwrap()],
        Stdio::piped(),
        dir.path().join("err2"),
    );
    let mut stdin = anonlog.take_stdin(); // stays open until the end
    stdin.write_all(apache_line(0).as_bytes()).unwrap();
    eventually(
        "the first line in out2.log",
        || lines_in(&out2) == 1,
        || anonlog.report(),
    );
    anonlog.signal(libc::SIGTERM);
    // Still reading after the first SIGTERM (which has been delivered by the
    // time a later line is processed).
    stdin.write_all(apache_line(1).as_bytes()).unwrap();
    eventually(
        "a line written after the first SIGTERM",
        || lines_in(&out2) == 2,
        || anonlog.report(),
    );
    anonlog.assert_running("after one SIGTERM");
    thread::sleep(Duration::from_millis(100));
    anonlog.signal(libc::SIGTERM);
    let status = anonlog.wait();
    assert_eq!(
        status.code(),
        Some(143),
        "second SIGTERM: {status} (signal {:?}); stderr: {}",
        status.signal(),
        anonlog.stderr_text()
    );
    drop(stdin);
}

// ---------------------------------------------------------------------------
// 3. Tag routing, headerless datagrams, the datagram counter.
// ---------------------------------------------------------------------------

#[test]
fn listener_routes_tags_and_counts_datagrams() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sock = d.join("s.sock");
    let main_log = d.join("main.log");
    let api_log = d.join("api.log");
    let listen = format!("unix:{}", sock.display());
    let tag_output = format!("api={}", api_log.display());
    // The format is given: with -f auto, the one garbage line among these
    // few would be more than --max-unparsed of them, and no format would
    // be chosen for the batch (all of it scrubbed), which is not what this
    // test is about.
    let mut anonlog = Anonlog::start(
        &[
            "--listen",
            &listen,
            "-f",
            "combined",
            "-o",
            main_log.to_str().unwrap(),
            "--tag-output",
            &tag_output,
            "--stats=json",
        ],
        Stdio::null(),
        d.join("err"),
    );
    eventually(
        "the listener's socket",
        || sock.exists(),
        || anonlog.report(),
    );

    let t = "[22/Nov/2025:08:39:58 +0000]";
    let nginx = |i: usize| {
        format!(
            "<190>Nov 22 08:39:58 nginx: 192.0.2.{} - bob {t} \"GET /main/{i}?q=secret{i} HTTP/1.1\" 200 5 \"https://ref.example.org/x?y={i}\" \"ua\"",
            10 + i
        )
    };
    let api = |i: usize| {
        format!(
            "<190>Nov 22 08:39:58 host api: 203.0.113.{} - - {t} \"POST /api/{i}?token=t{i} HTTP/1.1\" 201 7 \"-\" \"cli\"\n",
            100 + i
        )
    };
    let datagrams = [
        nginx(0),
        api(0),
        nginx(1),
        "garbage 198.51.100.7 /p?x=1".to_owned(),
        api(1),
        // An unknown tag goes to the main output.
        format!(
            "<190>Nov  2 08:39:58 other: 198.51.100.200 - - {t} \"GET /other?z=1 HTTP/1.0\" 404 0 \"-\" \"ua\""
        ),
        nginx(2),
    ];
    let client = UnixDatagram::unbound().unwrap();
    for dg in &datagrams {
        // A unix datagram is in the listener's queue when send_to returns.
        assert_eq!(client.send_to(dg.as_bytes(), &sock).unwrap(), dg.len());
    }
    // No waiting for the output: SIGTERM must drain what is queued.
    anonlog.signal(libc::SIGTERM);
    let status = anonlog.wait();
    let stderr = anonlog.stderr_text();
    assert!(status.success(), "anonlog: {status}; stderr: {stderr}");
    assert!(!sock.exists(), "the socket was not removed at exit");

    let main_want = [
        format!("192.0.2.0 - - {t} \"GET /main/0 HTTP/1.1\" 200 5 \"-\" \"ua\""),
        format!("192.0.2.0 - - {t} \"GET /main/1 HTTP/1.1\" 200 5 \"-\" \"ua\""),
        "garbage 198.51.100.0 /p".to_owned(),
        format!("198.51.100.0 - - {t} \"GET /other HTTP/1.0\" 404 0 \"-\" \"ua\""),
        format!("192.0.2.0 - - {t} \"GET /main/2 HTTP/1.1\" 200 5 \"-\" \"ua\""),
    ];
    let api_want = [
        format!("203.0.113.0 - - {t} \"POST /api/0 HTTP/1.1\" 201 7 \"-\" \"cli\""),
        format!("203.0.113.0 - - {t} \"POST /api/1 HTTP/1.1\" 201 7 \"-\" \"cli\""),
    ];
    let join = |ls: &[String]| ls.iter().map(|l| format!("{l}\n")).collect::<String>();
    assert_eq!(read_text(&main_log), join(&main_want));
    assert_eq!(read_text(&api_log), join(&api_want));

    let n = datagrams.len();
    assert_stats(
        &stderr,
        &[
            ("datagrams", n),
            ("lines_read", n),
            // -f auto judges each datagram on its own.
            ("scrubbed", 1),
            ("parsed", 6),
            ("datagrams_truncated", 0),
        ],
    );
}

// ---------------------------------------------------------------------------
// 4. Who may write into the listener's socket.
// ---------------------------------------------------------------------------

#[test]
fn unix_socket_is_owner_only_by_default() {
    use std::os::unix::fs::MetadataExt;
    if !have_root("sending as another user") {
        return;
    }
    let dir = open_dir();
    let d = dir.path();
    let sock = d.join("s.sock");
    let log = d.join("out.log");
    let api = d.join("api.log");
    let listen = format!("unix:{}", sock.display());
    let tag_output = format!("api={}", api.display());
    let mut anonlog = Anonlog::start(
        &[
            "--listen",
            &listen,
            "-o",
            log.to_str().unwrap(),
            "--tag-output",
            &tag_output,
            "--stats=json",
        ],
        Stdio::null(),
        d.join("err"),
    );
    eventually(
        "the listener's socket",
        || sock.exists(),
        || anonlog.report(),
    );
    let mode = fs::symlink_metadata(&sock).unwrap().mode() & 0o7777;
    assert_eq!(mode, 0o600, "default socket mode {mode:o}");

    // A forged line, a forged line break and a forged route, as nobody.
    let forged = b"<190>Nov 22 08:39:58 api: 203.0.113.9 - - [22/Nov/2025:08:39:58 +0000] \"GET /forged HTTP/1.1\" 200 5 \"-\" \"ua\"\nFORGED second line";
    assert_eq!(
        send_as(NOBODY, NOBODY, &sock, forged),
        libc::EACCES,
        "another user could write into the socket"
    );
    // The owner still can.
    let client = UnixDatagram::unbound().unwrap();
    client
        .send_to(&combined_datagram("GET /own HTTP/1.1"), &sock)
        .unwrap();
    anonlog.signal(libc::SIGTERM);
    let status = anonlog.wait();
    let stderr = anonlog.stderr_text();
    assert!(status.success(), "anonlog: {status}; stderr: {stderr}");
    let text = read_text(&log);
    assert_eq!(
        text,
        "192.0.2.0 - - [22/Nov/2025:08:39:58 +0000] \"GET /own HTTP/1.1\" 200 5 \"-\" \"ua\"\n"
    );
    assert_eq!(lines_in(&api), 0, "a forged tag reached its route");
    assert_stats(&stderr, &[("datagrams", 1)]);
}

#[test]
fn socket_group_admits_its_members_and_a_datagram_stays_one_line() {
    use std::os::unix::fs::MetadataExt;
    if !have_root("sending as another user") {
        return;
    }
    let dir = open_dir();
    let d = dir.path();
    let sock = d.join("s.sock");
    let log = d.join("out.log");
    let listen = format!("unix:{}", sock.display());
    let group = NOBODY.to_string();
    let mut anonlog = Anonlog::start(
        &[
            "--listen",
            &listen,
            "--socket-group",
            &group,
            "-o",
            log.to_str().unwrap(),
            "--stats=json",
        ],
        Stdio::null(),
        d.join("err"),
    );
    eventually(
        "the listener's socket",
        || sock.exists(),
        || anonlog.report(),
    );
    let meta = fs::symlink_metadata(&sock).unwrap();
    assert_eq!(meta.mode() & 0o7777, 0o660, "socket mode with a group");
    assert_eq!(meta.gid(), NOBODY, "socket group");

    // Not in the group: refused.
    assert_eq!(
        send_as(NOBODY, NOBODY - 1, &sock, b"FORGED"),
        libc::EACCES,
        "a user outside the group could write into the socket"
    );
    // In the group (the web server): accepted; its embedded line breaks
    // stay inside the one line.
    let dg = combined_datagram("GET /a\nFORGED 203.0.113.9 line\r\nHTTP/1.1");
    assert_eq!(send_as(NOBODY, NOBODY, &sock, &dg), 0);
    anonlog.signal(libc::SIGTERM);
    let status = anonlog.wait();
    let stderr = anonlog.stderr_text();
    assert!(status.success(), "anonlog: {status}; stderr: {stderr}");
    let text = read_text(&log);
    assert_eq!(lines_in(&log), 1, "one datagram, one line: {text:?}");
    assert!(!text.contains('\r'), "a CR survived: {text:?}");
    assert!(
        text.contains(r"/a\x0AFORGED") && text.contains(r"line\x0D\x0AHTTP/1.1"),
        "line breaks not escaped: {text:?}"
    );
    assert!(!text.contains("203.0.113.9"), "address survived: {text:?}");
    assert_stats(&stderr, &[("datagrams", 1), ("lines_read", 1)]);
}

// ---------------------------------------------------------------------------
// 5. UDP drops are counted even when no datagram follows them.
// ---------------------------------------------------------------------------

/// True when every thread of `pid` is stopped (SIGSTOP has landed).
fn all_threads_stopped(pid: u32) -> bool {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    tasks.filter_map(Result::ok).all(|t| {
        fs::read_to_string(t.path().join("stat")).is_ok_and(|s| {
            // The state follows the parenthesised command name.
            s.rsplit_once(") ")
                .is_some_and(|(_, rest)| rest.starts_with('T') || rest.starts_with('t'))
        })
    })
}

/// The machine's packets dropped before any socket saw them (the per-CPU
/// input backlog), for the failure message.
fn softnet_drops() -> u64 {
    fs::read_to_string("/proc/net/softnet_stat")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .filter_map(|h| u64::from_str_radix(h, 16).ok())
        .sum()
}

#[test]
fn udp_drops_during_a_stall_are_counted_at_exit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let log = d.join("out.log");
    let port = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("udp:127.0.0.1:{port}");
    let mut anonlog = Anonlog::start(
        &[
            "--listen",
            &listen,
            "-o",
            log.to_str().unwrap(),
            "--stats=json",
        ],
        Stdio::null(),
        d.join("err"),
    );
    // Bound when the port is taken (a datagram sent earlier would be lost
    // before anonlog could count it).
    eventually(
        "the listener's UDP port",
        || std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, port)).is_err(),
        || anonlog.report(),
    );
    let client = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    client.connect((Ipv4Addr::LOCALHOST, port)).unwrap();
    let dg = combined_datagram("GET /flood/0123456789012345678901234567890123456789 HTTP/1.1");
    client.send(&dg).unwrap();
    let mut sent = 1u64;
    eventually(
        "the first datagram in the log",
        || lines_in(&log) == 1,
        || anonlog.report(),
    );

    anonlog.signal(libc::SIGSTOP);
    eventually(
        "anonlog to stop",
        || all_threads_stopped(anonlog.pid()),
        no_context,
    );
    // Far more than the receive buffer holds (even the 16 MiB anonlog asks
    // for as root), in bursts the kernel delivers as they are sent.
    let softnet_before = softnet_drops();
    for i in 0..150_000 {
        if client.send(&dg).is_ok() {
            sent += 1;
        }
        if i % 1000 == 999 {
            thread::yield_now();
        }
    }
    let softnet = softnet_drops() - softnet_before;
    // No datagram follows the drops: SIGTERM while stopped, then resume.
    anonlog.signal(libc::SIGTERM);
    anonlog.signal(libc::SIGCONT);
    let status = anonlog.wait();
    let stderr = anonlog.stderr_text();
    assert!(status.success(), "anonlog: {status}; stderr: {stderr}");
    let received = stat(&stderr, "datagrams").expect("datagrams counter");
    let dropped = stat(&stderr, "datagrams_dropped").expect("drop counter");
    assert!(dropped > 0, "no drops counted: {stderr}");
    assert_eq!(
        received + dropped,
        sent,
        "received {received} + dropped {dropped} != sent {sent} \
         (machine-wide backlog drops meanwhile: {softnet}); {stderr}"
    );
    assert_eq!(lines_in(&log) as u64, received);
}

/// The arguments of the systemd recipe's `ExecStart=`, without the binary.
fn recipe_args() -> Vec<String> {
    let unit =
        fs::read_to_string(crate::util::samples().join("systemd/anonlog-nginx.service")).unwrap();
    let line = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart= in the recipe");
    line.split_whitespace().skip(1).map(str::to_owned).collect()
}

#[test]
fn readme_example_is_the_systemd_recipe() {
    let readme = fs::read_to_string(crate::util::samples().join("../README.md")).unwrap();
    // The example: from `anonlog --format` to the end of its `\` lines.
    let start = readme
        .find("  anonlog --format combined --listen")
        .expect("the listener example in the README");
    let mut example = String::new();
    for line in readme[start..].lines() {
        let (text, more) = match line.trim().strip_suffix('\\') {
            Some(t) => (t, true),
            None => (line.trim(), false),
        };
        example.push_str(text);
        example.push(' ');
        if !more {
            break;
        }
    }
    let example: Vec<&str> = example.split_whitespace().skip(1).collect();
    assert_eq!(example, recipe_args(), "README example vs ExecStart=");
}

#[test]
fn systemd_recipe_lets_the_web_server_group_in() {
    use std::os::unix::fs::MetadataExt;
    if !have_root("running the recipe as its own user") {
        return;
    }
    // The recipe's Group= (nginx's packages create it; CI installs nginx).
    let Ok(www) = anonlog::engine::listen::parse_group("www-data") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI installs nginx, which creates the group www-data"
        );
        eprintln!("SKIPPED: no group www-data");
        return;
    };
    // User=anonlog is played by nobody; the web server by another uid.
    const ANONLOG: u32 = NOBODY;
    const WEB: u32 = 12_345;
    let dir = open_dir();
    let d = dir.path();
    let (run, logs) = (d.join("run"), d.join("log"));
    for p in [&run, &logs] {
        // RuntimeDirectory= and LogsDirectory=: User:Group, 0750.
        fs::create_dir(p).unwrap();
        std::os::unix::fs::chown(p, Some(ANONLOG), Some(www)).unwrap();
        fs::set_permissions(p, fs::Permissions::from_mode(0o750)).unwrap();
    }
    let args: Vec<String> = recipe_args()
        .iter()
        .map(|a| {
            a.replace("/run/anonlog", run.to_str().unwrap())
                .replace("/var/log/anonlog", logs.to_str().unwrap())
        })
        .chain(["--stats=json".to_owned()])
        .collect();
    let stderr = d.join("err");
    let child = Command::new(bin())
        .args(&args)
        .uid(ANONLOG)
        .gid(www)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let mut anonlog = Anonlog {
        child: Some(child),
        stderr,
    };
    let sock = run.join("nginx.sock");
    eventually("the recipe's socket", || sock.exists(), || anonlog.report());
    let meta = fs::symlink_metadata(&sock).unwrap();
    assert_eq!(
        (meta.uid(), meta.gid(), meta.mode() & 0o7777),
        (ANONLOG, www, 0o660),
        "socket owner, group and mode"
    );
    let dg = combined_datagram("GET /from-nginx HTTP/1.1");
    assert_eq!(
        send_as(WEB, www, &sock, &dg),
        0,
        "the web server is refused"
    );
    assert_eq!(
        send_as(WEB, WEB, &sock, b"FORGED"),
        libc::EACCES,
        "a user outside www-data got in"
    );
    anonlog.signal(libc::SIGTERM);
    let status = anonlog.wait();
    let err = anonlog.stderr_text();
    assert!(status.success(), "anonlog: {status}; stderr: {err}");
    assert_eq!(
        read_text(&logs.join("access.log")),
        "192.0.2.0 - - [22/Nov/2025:08:39:58 +0000] \"GET /from-nginx HTTP/1.1\" 200 5 \"-\" \"ua\"\n"
    );
    assert_stats(&err, &[("datagrams", 1)]);
}

#[test]
fn socket_options_are_checked_before_listening() {
    for (args, want) in [
        (
            &["--listen", "udp:127.0.0.1:9", "--socket-group", "0"][..],
            "apply to a unix socket only",
        ),
        (
            &[
                "--listen",
                "unix:/nonexistent/s.sock",
                "--socket-group",
                "no-such-group-anonlog",
            ][..],
            "no such group",
        ),
        (
            &["--listen", "unix:/nonexistent/s.sock", "--socket-mode", "9"][..],
            "expected octal",
        ),
    ] {
        let out = crate::util::run(args, b"");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}
