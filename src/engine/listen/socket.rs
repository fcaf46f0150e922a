//! The listener's socket: binding it with the right owner, group and mode,
//! receiving datagrams, and reading the kernel's drop counter.

use std::io;
use std::net::UdpSocket;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;

use crate::config::{ListenAddr, ListenConfig};
use crate::engine::sys;

/// A bound socket; a unix socket's file is removed when it is dropped.
pub(super) enum Socket {
    Unix(UnixDatagram, PathBuf),
    Udp(UdpSocket),
}

impl Socket {
    pub(super) fn fd(&self) -> RawFd {
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

/// Parses `--socket-group`: a group name (looked up in the group database)
/// or a numeric GID.
pub fn parse_group(s: &str) -> Result<u32, String> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().map_err(|_| format!("{s:?}: GID out of range"));
    }
    let name = std::ffi::CString::new(s).map_err(|_| format!("{s:?}: not a group name"))?;
    match sys::group_id(&name) {
        Ok(Some(gid)) => Ok(gid),
        Ok(None) => Err(format!("{s:?}: no such group")),
        Err(e) => Err(format!("{s:?}: {e}")),
    }
}

/// Binds the socket. A unix socket is created owner-only and opened up to
/// `socket_mode` only once its group is right, so at no moment can anyone
/// outside that group connect to it.
pub(super) fn bind(cfg: &ListenConfig) -> io::Result<Socket> {
    let sock = match &cfg.addr {
        ListenAddr::Unix(p) => {
            // A socket left by a killed run would make bind fail; anything
            // that is not a socket is left alone.
            if let Ok(m) = std::fs::symlink_metadata(p) {
                if m.file_type().is_socket() {
                    std::fs::remove_file(p)?;
                }
            }
            // The umask is process-wide: a SIGHUP reopen on the signal
            // thread during these few instructions would create its file
            // 0600 instead of 0640, which is only stricter.
            let old = sys::swap_umask(0o177);
            let bound = UnixDatagram::bind(p);
            sys::swap_umask(old);
            let sock = Socket::Unix(bound?, p.clone());
            if let Some(gid) = cfg.socket_group {
                // The socket already has the process's group (systemd
                // `Group=`) or a setgid directory's: then no chown, which
                // a seccomp filter without @chown would refuse.
                if std::fs::symlink_metadata(p)?.gid() != gid {
                    std::os::unix::fs::lchown(p, None, Some(gid)).map_err(|e| {
                        io::Error::new(e.kind(), format!("cannot give the socket group {gid}: {e}"))
                    })?;
                }
            }
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(cfg.socket_mode))?;
            sock
        }
        ListenAddr::Udp(a) => Socket::Udp(UdpSocket::bind(a)?),
    };
    let fd = sock.fd();
    // A large UDP receive buffer absorbs bursts (the kernel caps it at
    // net.core.rmem_max unless we may force it). A unix datagram queue is
    // limited by message count instead (net.unix.max_dgram_qlen, see the
    // systemd recipe), which the receiver thread keeps short.
    for opt in [libc::SO_RCVBUFFORCE, libc::SO_RCVBUF] {
        if sys::set_socket_int(fd, libc::SOL_SOCKET, opt, 8 << 20).is_ok() {
            break;
        }
    }
    // Failure only loses the per-datagram drop counter; `kernel_drops`
    // still reads it at exit.
    let _ = sys::set_socket_int(fd, libc::SOL_SOCKET, libc::SO_RXQ_OVFL, 1);
    Ok(sock)
}

/// One received datagram: its length (possibly larger than the buffer) and
/// the kernel's cumulative drop counter as it was when the datagram was
/// queued, if it sent one.
pub(super) fn recv(
    fd: RawFd,
    buf: &mut [u8],
    wait: bool,
) -> io::Result<Option<(usize, Option<u32>)>> {
    sys::recv_datagram(fd, buf, wait)
}

/// True when `fd` has a datagram within `ms` milliseconds.
pub(super) fn ready(fd: RawFd, ms: i32) -> bool {
    matches!(sys::poll_in(fd, ms), Ok(true))
}

/// The kernel's count of datagrams dropped on this socket so far (its
/// `sk_drops`, the counter SO_RXQ_OVFL reports), read now. SO_RXQ_OVFL
/// only travels with a later datagram, so drops during a stall stay unseen
/// until traffic resumes; this reads them without one. `SO_MEMINFO` works
/// under systemd's `ProcSubset=pid`; `/proc/net/udp*` is the fallback for
/// kernels without it.
pub(super) fn kernel_drops(fd: RawFd) -> Option<u32> {
    sys::socket_drops(fd).or_else(|| proc_net_drops(fd))
}

/// The `drops` column of this socket's line in /proc/net/udp or udp6.
fn proc_net_drops(fd: RawFd) -> Option<u32> {
    let inode = sys::inode(fd)?.to_string();
    for table in ["/proc/net/udp", "/proc/net/udp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.get(9) == Some(&inode.as_str()) {
                return cols.last()?.parse().ok();
            }
        }
    }
    None
}
