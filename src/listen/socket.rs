//! The listener's socket: binding it with the right owner, group and mode,
//! receiving datagrams, and reading the kernel's drop counter.

use std::io;
use std::net::UdpSocket;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;

use crate::config::{ListenAddr, ListenConfig};

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
    let mut buf = vec![0u8; 1024];
    loop {
        // SAFETY: a zeroed group struct is a valid output buffer.
        let mut grp: libc::group = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::group = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the length passed with it; the
        // strings the kernel of libc writes into `buf` are not kept.
        let r = unsafe {
            libc::getgrnam_r(
                name.as_ptr(),
                &mut grp,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut found,
            )
        };
        if r == libc::ERANGE && buf.len() < 1 << 20 {
            buf.resize(buf.len() * 4, 0);
            continue;
        }
        if r != 0 {
            return Err(format!("{s:?}: {}", io::Error::from_raw_os_error(r)));
        }
        if found.is_null() {
            return Err(format!("{s:?}: no such group"));
        }
        return Ok(grp.gr_gid);
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
            // SAFETY: umask swaps the process's mask and cannot fail.
            let old = unsafe { libc::umask(0o177) };
            let bound = UnixDatagram::bind(p);
            // SAFETY: as above.
            unsafe { libc::umask(old) };
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
    // SAFETY: as above. Failure only loses the per-datagram drop counter;
    // `kernel_drops` still reads it at exit.
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
/// the kernel's cumulative drop counter as it was when the datagram was
/// queued, if it sent one.
pub(super) fn recv(
    fd: RawFd,
    buf: &mut [u8],
    wait: bool,
) -> io::Result<Option<(usize, Option<u32>)>> {
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
pub(super) fn ready(fd: RawFd, ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut p, 1, ms) > 0 }
}

/// `SO_MEMINFO` (asm-generic value; the libc crate does not export it on
/// every target).
const SO_MEMINFO: libc::c_int = 55;

/// The kernel's count of datagrams dropped on this socket so far (its
/// `sk_drops`, the counter SO_RXQ_OVFL reports), read now. SO_RXQ_OVFL
/// only travels with a later datagram, so drops during a stall stay unseen
/// until traffic resumes; this reads them without one. `SO_MEMINFO` works
/// under systemd's `ProcSubset=pid`; `/proc/net/udp*` is the fallback for
/// kernels without it.
pub(super) fn kernel_drops(fd: RawFd) -> Option<u32> {
    let mut info = [0u32; 16];
    let mut len = size_of_val(&info) as libc::socklen_t;
    // SAFETY: `info` and `len` outlive the call; `len` states its size.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            SO_MEMINFO,
            info.as_mut_ptr().cast(),
            &mut len,
        )
    };
    let idx = libc::SK_MEMINFO_DROPS as usize;
    if r == 0 && len as usize >= (idx + 1) * size_of::<u32>() {
        return Some(info[idx]);
    }
    proc_net_drops(fd)
}

/// The `drops` column of this socket's line in /proc/net/udp or udp6.
fn proc_net_drops(fd: RawFd) -> Option<u32> {
    // SAFETY: a zeroed stat is a valid output buffer.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` outlives the call.
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return None;
    }
    let inode = st.st_ino.to_string();
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
