//! Every libc call of the engine, and so all of its `unsafe`, in one place.
//!
//! Each wrapper is safe to call with any descriptor number: the kernel
//! answers `EBADF` for one that is not open, and no wrapper keeps a pointer
//! past its call. Callers see `io::Result`, `Option` or `bool`, never a raw
//! return code.

use std::ffi::CStr;
use std::io;
use std::os::fd::RawFd;

/// The `poll(2)` answer for one descriptor and `POLLIN`: `Ok(true)` when a
/// read would return at once (data, end of file, or an error pending),
/// `Ok(false)` when nothing came within `timeout_ms` (0: do not wait).
pub fn poll_in(fd: RawFd, timeout_ms: i32) -> io::Result<bool> {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: `p` is a valid pollfd for the duration of the call and nfds is 1.
    let r = unsafe { libc::poll(&mut p, 1, timeout_ms) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r > 0)
    }
}

/// Sets a pipe's capacity (`F_SETPIPE_SZ`). Failure is ignored: the pipe
/// keeps its size, which is only slower.
pub fn set_pipe_size(fd: RawFd, bytes: i32) {
    // SAFETY: F_SETPIPE_SZ takes an int argument and touches no memory.
    unsafe {
        libc::fcntl(fd, libc::F_SETPIPE_SZ, bytes);
    }
}

/// The file status flags (`F_GETFL`: `O_APPEND`, `O_NONBLOCK`, the access
/// mode), or `None` when they cannot be read.
pub fn status_flags(fd: RawFd) -> Option<libc::c_int> {
    // SAFETY: F_GETFL takes no argument and returns a plain int.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    (flags >= 0).then_some(flags)
}

/// Makes reads on `fd` block (clears `O_NONBLOCK`) if they do not; a
/// failure leaves the flags as they were.
pub fn clear_nonblocking(fd: RawFd) {
    if let Some(flags) = status_flags(fd).filter(|f| f & libc::O_NONBLOCK != 0) {
        // SAFETY: F_SETFL takes a plain int and touches no memory.
        unsafe {
            libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
        }
    }
}

/// Takes an exclusive advisory lock (`flock`, `LOCK_EX | LOCK_NB`) without
/// waiting: `WouldBlock` when another process holds one.
pub fn lock_exclusive(fd: RawFd) -> io::Result<()> {
    // SAFETY: flock only reads the descriptor number.
    let r = unsafe { libc::flock(fd, libc::LOCK_EX | libc::LOCK_NB) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Takes a read lease (`F_SETLEASE`, `F_RDLCK`): refused with `EAGAIN`
/// while any process has the file open for writing, `EACCES` or `EINVAL`
/// where leases are not to be had.
pub fn take_read_lease(fd: RawFd) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor number, with integer arguments.
    let r = unsafe { libc::fcntl(fd, libc::F_SETLEASE, libc::F_RDLCK) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// True while the read lease on `fd` holds. During a break the kernel
/// reports the type the lease is being broken to (`F_UNLCK`), not
/// `F_RDLCK`, so a break in progress reads as false.
pub fn holds_read_lease(fd: RawFd) -> bool {
    // SAFETY: fcntl on a descriptor number; F_GETLEASE takes no argument.
    let r = unsafe { libc::fcntl(fd, libc::F_GETLEASE) };
    r == libc::F_RDLCK
}

/// Gives a lease back (`F_SETLEASE`, `F_UNLCK`); errors are ignored, the
/// lease ends with the descriptor anyway.
pub fn release_lease(fd: RawFd) {
    // SAFETY: fcntl on a descriptor number, with integer arguments.
    unsafe {
        libc::fcntl(fd, libc::F_SETLEASE, libc::F_UNLCK);
    }
}

/// Ignores SIGIO for the whole process. A lease break is signalled with
/// SIGIO, whose default action ends the process.
pub fn ignore_sigio() {
    // SAFETY: installs SIG_IGN, which runs no code in the handler.
    unsafe {
        libc::signal(libc::SIGIO, libc::SIG_IGN);
    }
}

/// Sets the process's umask and returns the previous one. The mask is
/// process-wide: other threads creating files meanwhile get it too.
pub fn swap_umask(mask: libc::mode_t) -> libc::mode_t {
    // SAFETY: umask swaps the process's mask and cannot fail.
    unsafe { libc::umask(mask) }
}

/// Sets an integer socket option.
pub fn set_socket_int(
    fd: RawFd,
    level: libc::c_int,
    opt: libc::c_int,
    value: i32,
) -> io::Result<()> {
    let value: libc::c_int = value;
    // SAFETY: `value` outlives the call and its length is passed.
    let r = unsafe {
        libc::setsockopt(
            fd,
            level,
            opt,
            (&value as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Receives one datagram into `buf` (`recvmsg` with `MSG_TRUNC`, and
/// `MSG_DONTWAIT` unless `wait`). Returns its full length (larger than
/// `buf` when it was cut) and the `SO_RXQ_OVFL` drop counter that came
/// with it, if any; `None` when nothing was waiting or a signal came.
pub fn recv_datagram(
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
    // SAFETY: the CMSG macros walk the control buffer the kernel filled,
    // within the `msg_controllen` it set; the data is read unaligned.
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

/// `SO_MEMINFO` (asm-generic value; the libc crate does not export it on
/// every target).
const SO_MEMINFO: libc::c_int = 55;

/// The socket's `sk_drops` counter read through `SO_MEMINFO`, or `None`
/// on kernels without it.
pub fn socket_drops(fd: RawFd) -> Option<u32> {
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
    (r == 0 && len as usize >= (idx + 1) * size_of::<u32>()).then(|| info[idx])
}

/// The inode number of an open descriptor (`fstat`).
pub fn inode(fd: RawFd) -> Option<u64> {
    // SAFETY: a zeroed stat is a valid output buffer.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` outlives the call.
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return None;
    }
    Some(st.st_ino)
}

/// The effective uid, the one the kernel checks file access with.
pub fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Looks a group up by name in the group database (`getgrnam_r`, growing
/// its buffer as asked up to 1 MiB): its GID, or `None` when there is no
/// such group.
pub fn group_id(name: &CStr) -> io::Result<Option<u32>> {
    let mut buf = vec![0u8; 1024];
    loop {
        // SAFETY: a zeroed group struct is a valid output buffer.
        let mut grp: libc::group = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::group = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the length passed with it; the
        // strings libc writes into `buf` are not kept past the call.
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
            return Err(io::Error::from_raw_os_error(r));
        }
        return Ok((!found.is_null()).then_some(grp.gr_gid));
    }
}

/// The POSIX access ACL of an open file, as the kernel stores it (the
/// `system.posix_acl_access` extended attribute), or `None` when the file
/// has no ACL beyond its mode bits or its file system has none.
pub fn access_acl(fd: RawFd) -> io::Result<Option<Vec<u8>>> {
    const NAME: &CStr = c"system.posix_acl_access";
    let absent = |e: io::Error| match e.raw_os_error() {
        Some(libc::ENODATA | libc::EOPNOTSUPP) => Ok(None),
        _ => Err(e),
    };
    loop {
        // SAFETY: a null buffer of size 0 asks for the size only.
        let n = unsafe { libc::fgetxattr(fd, NAME.as_ptr(), std::ptr::null_mut(), 0) };
        if n < 0 {
            return absent(io::Error::last_os_error());
        }
        let mut buf = vec![0u8; n as usize];
        // SAFETY: `buf` is valid for writes of `buf.len()` bytes during the call.
        let m = unsafe { libc::fgetxattr(fd, NAME.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        if m >= 0 {
            buf.truncate(m as usize);
            return Ok(Some(buf));
        }
        let e = io::Error::last_os_error();
        // ERANGE: the ACL grew between the two calls; ask again.
        if e.raw_os_error() != Some(libc::ERANGE) {
            return absent(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn a_socket_is_readable_only_once_written() {
        let (r, w) = std::os::unix::net::UnixStream::pair().unwrap();
        assert!(!poll_in(r.as_raw_fd(), 0).unwrap());
        std::io::Write::write_all(&mut &w, b"x").unwrap();
        assert!(poll_in(r.as_raw_fd(), 0).unwrap());
    }

    #[test]
    fn root_group_is_found_and_nonsense_is_not() {
        assert_eq!(group_id(c"root").unwrap(), Some(0));
        assert_eq!(group_id(c"no-such-group-anonlog").unwrap(), None);
    }
}
