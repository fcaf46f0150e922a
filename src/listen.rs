//! Listener mode: receive nginx's syslog datagrams on a unix or UDP socket,
//! anonymize the lines, append them to files.
//!
//! nginx cannot pipe its logs, and a FIFO reader that stalls blocks nginx's
//! workers. A datagram socket never blocks nginx: when anonlog falls behind,
//! the kernel drops datagrams instead (nginx notes it in its error log; on
//! UDP anonlog counts them too). Raw lines never touch the disk.

use std::collections::HashMap;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use crate::anonymize::Anonymizer;
use crate::config::Config;
use crate::error::Error;
use crate::format::syslog;
use crate::output::{Sink, Target};
use crate::stats::Stats;

/// Where to listen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListenAddr {
    /// A unix datagram socket at this path (created, and removed at exit).
    Unix(PathBuf),
    /// A UDP socket.
    Udp(SocketAddr),
}

impl ListenAddr {
    /// Parses `unix:/path` or `udp:host:port`.
    pub fn parse(s: &str) -> Result<ListenAddr, String> {
        if let Some(p) = s.strip_prefix("unix:") {
            if p.is_empty() {
                return Err("unix: needs a socket path".into());
            }
            Ok(ListenAddr::Unix(PathBuf::from(p)))
        } else if let Some(a) = s.strip_prefix("udp:") {
            a.parse()
                .map(ListenAddr::Udp)
                .map_err(|e| format!("bad UDP address {a:?}: {e}"))
        } else {
            Err(format!("{s:?}: expected unix:/path or udp:host:port"))
        }
    }

    fn name(&self) -> String {
        match self {
            ListenAddr::Unix(p) => format!("unix:{}", p.display()),
            ListenAddr::Udp(a) => format!("udp:{a}"),
        }
    }
}

/// Listener settings.
#[derive(Clone, Debug)]
pub struct ListenConfig {
    /// The socket.
    pub addr: ListenAddr,
    /// Permission bits of a unix socket (the directory should restrict access).
    pub socket_mode: u32,
    /// Syslog tag -> output; lines with other tags go to the main output.
    pub routes: Vec<(Vec<u8>, Target)>,
}

enum Socket {
    Unix(UnixDatagram, PathBuf),
    Udp(UdpSocket),
}

impl Socket {
    fn fd(&self) -> RawFd {
        match self {
            Socket::Unix(s, _) => s.as_raw_fd(),
            Socket::Udp(s) => s.as_raw_fd(),
        }
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        if let Socket::Unix(_, p) = self {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn bind(cfg: &ListenConfig) -> io::Result<Socket> {
    let sock = match &cfg.addr {
        ListenAddr::Unix(p) => {
            // A socket left by a killed run would make bind fail; anything
            // that is not a socket is left alone.
            if let Ok(m) = std::fs::symlink_metadata(p) {
                if m.file_type().is_socket() {
                    std::fs::remove_file(p)?;
                }
            }
            let s = UnixDatagram::bind(p)?;
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(cfg.socket_mode))?;
            Socket::Unix(s, p.clone())
        }
        ListenAddr::Udp(a) => Socket::Udp(UdpSocket::bind(a)?),
    };
    let fd = sock.fd();
    // A large UDP receive buffer absorbs bursts (the kernel caps it at
    // net.core.rmem_max unless we may force it). A unix datagram queue is
    // limited by message count instead (net.unix.max_dgram_qlen, see the
    // systemd recipe), which the receiver thread keeps short.
    let size: libc::c_int = 8 << 20;
    for opt in [libc::SO_RCVBUFFORCE, libc::SO_RCVBUF] {
        // SAFETY: `size` outlives the call and its length is passed.
        let r = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                opt,
                (&size as *const libc::c_int).cast(),
                size_of::<libc::c_int>() as u32,
            )
        };
        if r == 0 {
            break;
        }
    }
    let one: libc::c_int = 1;
    // SAFETY: as above. Failure only loses the drop counter.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RXQ_OVFL,
            (&one as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as u32,
        );
    }
    Ok(sock)
}

/// One received datagram: its length (possibly larger than the buffer) and
/// the kernel's cumulative drop counter, if it sent one.
fn recv(fd: RawFd, buf: &mut [u8], wait: bool) -> io::Result<Option<(usize, Option<u32>)>> {
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let mut control = [0u64; 8];
    // SAFETY: a zeroed msghdr is a valid empty header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = size_of_val(&control) as _;
    let flags = libc::MSG_TRUNC | if wait { 0 } else { libc::MSG_DONTWAIT };
    // SAFETY: every pointer in `msg` is valid for the lengths it states.
    let n = unsafe { libc::recvmsg(fd, &mut msg, flags) };
    if n < 0 {
        let e = io::Error::last_os_error();
        return match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(None),
            _ => Err(e),
        };
    }
    let mut drops = None;
    // SAFETY: the CMSG macros walk the control buffer the kernel filled.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SO_RXQ_OVFL {
                drops = Some(std::ptr::read_unaligned(libc::CMSG_DATA(c).cast::<u32>()));
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
    }
    Ok(Some((n as usize, drops)))
}

/// True when `fd` has a datagram within `ms` milliseconds.
fn ready(fd: RawFd, ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut p, 1, ms) > 0 }
}

/// A route's output.
struct Route {
    name: String,
    sink: Sink,
}

/// Runs the listener until SIGTERM or SIGINT, then drains, writes, removes
/// the socket and returns. Lines are written within about 100 ms of their
/// arrival, in whole lines, one `write` per route and batch.
pub fn run(config: &Config, lc: &ListenConfig) -> Result<Stats, Error> {
    let sock_name = lc.addr.name();
    let stop = crate::signals::stop_on_term_or_int().map_err(|e| read_err(&sock_name, e))?;
    let mut routes = Vec::with_capacity(lc.routes.len() + 1);
    let mut by_tag: HashMap<Vec<u8>, usize> = HashMap::new();
    for target in std::iter::once(&config.output).chain(lc.routes.iter().map(|(_, t)| t)) {
        let name = target.name();
        let sink = Sink::open(target).map_err(|e| Error::Write {
            name: name.clone(),
            source: e,
        })?;
        routes.push(Route { name, sink });
    }
    for (i, (tag, _)) in lc.routes.iter().enumerate() {
        by_tag.insert(tag.clone(), i + 1);
    }
    crate::signals::reopen_on_hup(
        routes
            .iter()
            .map(|r| (r.name.clone(), r.sink.clone()))
            .collect(),
    )
    .map_err(|e| read_err(&sock_name, e))?;
    let sock = bind(lc).map_err(|e| read_err(&sock_name, e))?;

    // The receiver thread does nothing but move datagrams out of the kernel
    // queue: a unix datagram socket holds only net.unix.max_dgram_qlen
    // messages however large its buffer, so any pause in receiving (an
    // anonymizing or writing stall) would make the kernel refuse lines.
    let (tx, rx) = crossbeam_channel::bounded::<Vec<Vec<u8>>>(256);
    let block_size = config.block_size;
    let route_count = routes.len();
    let stop_rx = std::sync::Arc::clone(&stop);
    let receiver = std::thread::spawn(move || -> io::Result<Stats> {
        let fd = sock.fd();
        let mut stats = Stats::default();
        let mut buf = vec![0u8; 256 << 10];
        let mut first_drops: Option<u32> = None;
        let mut stop_budget: Option<u64> = None;
        loop {
            if stop_budget.is_none() && stop_rx.load(Ordering::Relaxed) {
                // Drain what has arrived by now, then stop, even if senders
                // keep sending: at most a full queue's worth more.
                stop_budget = Some(stats.datagrams + 100_000);
            }
            if stop_budget.is_none() && !ready(fd, 100) {
                continue;
            }
            let mut batch: Vec<Vec<u8>> = vec![Vec::new(); route_count];
            let mut pending = 0;
            let mut got = 0;
            while pending < block_size {
                let Some((n, drops)) = recv(fd, &mut buf, false)? else {
                    break;
                };
                got += 1;
                stats.datagrams += 1;
                if let Some(d) = drops {
                    let base = *first_drops.get_or_insert(0);
                    stats.datagrams_dropped = u64::from(d.wrapping_sub(base));
                }
                let n = if n > buf.len() {
                    stats.datagrams_truncated += 1;
                    buf.len()
                } else {
                    n
                };
                let msg = syslog::split(&buf[..n]);
                let route = msg.tag.and_then(|t| by_tag.get(t).copied()).unwrap_or(0);
                batch[route].extend_from_slice(msg.line);
                batch[route].push(b'\n');
                pending += n;
            }
            if got > 0 && tx.send(batch).is_err() {
                break;
            }
            if let Some(budget) = stop_budget {
                if got == 0 || stats.datagrams >= budget {
                    break;
                }
            }
        }
        drop(sock);
        Ok(stats)
    });

    let mut anonymizer = Anonymizer::new(&config.rules, config.rewriter());
    // -f auto: datagrams have no "first lines" and arrive in batches of any
    // size, so each line is judged on its own; the share of lines no
    // format explains is still watched (warn_mismatch).
    anonymizer.select_per_line();
    let mut stats = Stats::default();
    let mut out = Vec::new();
    let mut warned = false;
    for batch in rx {
        for (r, lines) in routes.iter().zip(&batch) {
            if lines.is_empty() {
                continue;
            }
            out.clear();
            let _ = anonymizer.process_block(lines, &mut out, &mut stats);
            if !warned && stats.judged() >= crate::format::detect::SAMPLE_LINES as u64 {
                warned = warn_mismatch(config, &sock_name, &stats);
            }
            r.sink.write_block(&out).map_err(|e| Error::Write {
                name: r.name.clone(),
                source: e,
            })?;
        }
    }
    let received = receiver
        .join()
        .map_err(|_| Error::WorkerPanic)?
        .map_err(|e| read_err(&sock_name, e))?;
    stats.datagrams = received.datagrams;
    stats.datagrams_dropped = received.datagrams_dropped;
    stats.datagrams_truncated = received.datagrams_truncated;
    Ok(stats)
}

/// Says once, on stderr, that the format does not fit what the listener
/// receives (a listener never ends, so this cannot wait for the end).
/// Returns whether it said so.
fn warn_mismatch(config: &Config, name: &str, stats: &Stats) -> bool {
    let max = config.rules.max_unparsed;
    if !max.exceeded_by(stats.unparsed(), stats.judged()) {
        return false;
    }
    let m = crate::error::Mismatch {
        name: name.to_owned(),
        format: config.rules.format_name().to_owned(),
        unparsed: stats.unparsed(),
        lines: stats.judged(),
        max,
        hint: None,
        reported: true,
    };
    let msg = format!("anonlog: warning: {m}\n");
    let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), msg.as_bytes());
    true
}

fn read_err(name: &str, e: io::Error) -> Error {
    Error::Read {
        name: name.to_owned(),
        source: e,
    }
}
