//! anonlog as a live logger without a web server: Apache's piped-log
//! signal semantics on standard input, the listener's tag routing fed by
//! hand-made datagrams, who may write into its socket, and UDP drops.
//! The listener fed by a real nginx, and the systemd recipe's listener, are
//! recipe checks (`tests/recipes/`).
//!
//! Nothing here asserts timing: every wait is an "eventually" with a
//! generous limit, and only 127.0.0.1 and unix sockets are used.

use std::fs;
use std::io::Write;
use std::net::Ipv4Addr;
use std::os::unix::net::UnixDatagram;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use crate::child::{
    Anonlog, NOBODY, assert_stats, combined_datagram, lines_in, no_context, open_dir, read_text,
    send_as,
};
use crate::util::{eventually, have_root, stat};

// ---------------------------------------------------------------------------
// 1. Apache piped logs: SIGTERM drains a stream, a second SIGTERM exits.
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
// 2. Tag routing, headerless datagrams, the datagram counter.
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
// 3. Who may write into the listener's socket.
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
// 4. UDP drops are counted even when no datagram follows them.
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
