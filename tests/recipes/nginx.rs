//! The nginx recipe (`samples/nginx/anonlog.conf`): accepted by `nginx -t`
//! as shipped, and run by a real nginx on 127.0.0.1 against the listener
//! unit's command, which must write the access and the error log, each
//! anonymized, each to its own file. Also the listener under a real nginx
//! across a logrotate-style rename and SIGHUP.

use std::collections::HashMap;
use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::child::{Anonlog, assert_stats, lines_in, open_dir, read_text};
use crate::harness::{Check, Need, needed};
use crate::util::{PATIENCE, eventually, samples};

const NGINX: Need = Need::Program("nginx");

pub const CHECKS: &[Check] = &[
    Check {
        name: "nginx::config_test_accepts_the_recipe",
        needs: &[NGINX],
        run: config_test_accepts_the_recipe,
    },
    Check {
        name: "nginx::recipe_logs_access_and_errors_through_the_listener",
        needs: &[NGINX, Need::Root],
        run: recipe_logs_access_and_errors_through_the_listener,
    },
    Check {
        name: "nginx::syslog_listener_end_to_end",
        needs: &[NGINX],
        run: syslog_listener_end_to_end,
    },
    Check {
        name: "nginx::base64_helper_matches_rfc_4648",
        needs: &[],
        run: base64_helper_matches_rfc_4648,
    },
];

/// The directives of an nginx.conf that runs nginx on `prefix` alone.
fn prefix_conf(prefix: &Path) -> String {
    let d = prefix.display();
    format!(
        "pid {d}/nginx.pid;\nerror_log {d}/error.log warn;\nevents {{\n    worker_connections 64;\n}}\n"
    )
}

/// `nginx -t` accepts the recipe file as shipped, included in the http { }
/// block as Debian's conf.d/ is.
fn config_test_accepts_the_recipe() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let conf = format!(
        "{}http {{\n    include {};\n    server {{\n        listen 127.0.0.1:{};\n    }}\n}}\n",
        prefix_conf(d),
        samples().join("nginx/anonlog.conf").display(),
        free_port()
    );
    fs::write(d.join("nginx.conf"), conf).unwrap();
    let out = Command::new(needed("nginx"))
        .arg("-t")
        .arg("-p")
        .arg(d)
        .arg("-c")
        .arg(d.join("nginx.conf"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "nginx -t: {}\n{said}", out.status);
    assert!(said.contains("test is successful"), "{said}");
    for bad in ["[warn]", "[emerg]", "[alert]"] {
        assert!(!said.contains(bad), "nginx -t: {said}");
    }
}

/// nginx with the recipe (its socket moved into the test's directory)
/// logging to the listener unit's command: a request that is served and
/// one for a missing file, each with a query, a referrer and credentials.
/// The access log gets one anonymized line per request, the error log
/// (tag nginx_error) the anonymized message about the missing file, and
/// nothing raw reaches any file, nginx's own error log included.
fn recipe_logs_access_and_errors_through_the_listener() {
    let dir = open_dir();
    let d = dir.path();
    let (run, logs, html) = (d.join("run"), d.join("log"), d.join("html"));
    for p in [&run, &logs, &html] {
        fs::create_dir(p).unwrap();
    }
    fs::write(html.join("index.html"), "ok\n").unwrap();
    let mut args = crate::systemd::recipe_args("anonlog-nginx.service", &run, &logs);
    args.push("--stats=json".to_owned());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut anonlog = Anonlog::start(&args, Stdio::null(), d.join("anonlog.err"));
    let sock = run.join("nginx.sock");
    eventually(
        "the listener's socket",
        || sock.exists(),
        || anonlog.report(),
    );

    let recipe = fs::read_to_string(samples().join("nginx/anonlog.conf"))
        .unwrap()
        .replace("/run/anonlog/", &format!("{}/", run.display()));
    fs::write(d.join("anonlog.conf"), recipe).unwrap();
    let include = format!("include {}/anonlog.conf;", d.display());
    let port = free_port();
    let location = format!("root {};", html.display());
    let mut server = Nginx::start(&needed("nginx"), d, &include, port, &location);
    server.wait_ready(port);
    let ask = |path: &str| {
        let req = format!(
            "GET {path}?token=SECRET HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Referer: https://ref.example.org/?q=jane\r\n\
             Authorization: Basic YWxpY2U6cHc=\r\nConnection: close\r\n\r\n"
        );
        let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
        s.write_all(req.as_bytes()).unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        resp
    };
    assert!(ask("/index.html").starts_with("HTTP/1.1 200 "));
    assert!(ask("/missing.html").starts_with("HTTP/1.1 404 "));
    let (access, error) = (logs.join("access.log"), logs.join("error.log"));
    eventually(
        "two access lines and the error message",
        || lines_in(&access) == 2 && lines_in(&error) >= 1,
        || format!("{}\n{}", anonlog.report(), server.diagnostics()),
    );
    server.stop();
    anonlog.signal(libc::SIGTERM);
    let status = anonlog.wait();
    let stderr = anonlog.stderr_text();
    assert!(status.success(), "anonlog: {status}; {stderr}");

    let access = read_text(&access);
    let lines: Vec<&str> = access.lines().collect();
    assert_eq!(lines.len(), 2, "{access}");
    for (line, path, status) in [
        (lines[0], "/index.html", 200),
        (lines[1], "/missing.html", 404),
    ] {
        assert!(
            line.starts_with("127.0.0.0 - - [")
                && line.contains(&format!("\"GET {path} HTTP/1.1\" {status} "))
                && line.ends_with(" \"-\" \"-\""),
            "{line}"
        );
    }
    let error = read_text(&error);
    assert!(
        error.lines().any(|l| l.contains("[error]")
            && l.contains("/missing.html")
            && l.contains("client: 127.0.0.0,")),
        "{error}"
    );
    let nginx_own = fs::read_to_string(d.join("error.log")).unwrap_or_default();
    for (name, text) in [
        ("access.log", &access),
        ("error.log", &error),
        ("nginx's error.log", &nginx_own),
    ] {
        for raw in ["127.0.0.1", "SECRET", "jane", "ref.example.org", "alice"] {
            assert!(!text.contains(raw), "{raw} in {name}: {text}");
        }
    }
    let n = error.lines().count();
    assert_stats(
        &stderr,
        &[("datagrams", 2 + n), ("parsed", 2 + n), ("scrubbed", 0)],
    );
}

/// A running nginx (master and worker in a process group of their own); the
/// whole group is stopped when the guard goes, also when the test fails.
struct Nginx {
    child: Option<Child>,
    prefix: PathBuf,
}

impl Nginx {
    /// Starts nginx on `prefix`, listening on 127.0.0.1:`port`, with
    /// `logs` (log directives) in its http { } block and `location` as the
    /// body of its one `location /`.
    fn start(nginx: &Path, prefix: &Path, logs: &str, port: u16, location: &str) -> Nginx {
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
    {logs}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            {location}
        }}
    }}
}}
"#
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

/// nginx logging to the listener over a unix socket, with a
/// logrotate-style rename and SIGHUP in the middle: every request is logged
/// once, anonymized, in the file that was current when it was logged.
fn syslog_listener_end_to_end() {
    let nginx = needed("nginx");
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
    let logs = format!(
        "access_log syslog:server=unix:{},nohostname combined;",
        sock.display()
    );
    let mut server = Nginx::start(&nginx, d, &logs, port, r#"return 200 "ok\n";"#);
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
