//! The kernel's limit on a unix datagram socket's queue
//! (`net.unix.max_dgram_qlen`), which decides how many of nginx's lines a
//! burst may queue before the kernel refuses the next one.

use crate::config::ListenAddr;

/// Where the limit is read: the value of the reading process's network
/// namespace, which is the one its sockets get.
pub const UNIX_QUEUE_SYSCTL: &str = "/proc/sys/net/unix/max_dgram_qlen";

/// The shortest queue not warned about: what systemd sets at boot, so a
/// host that runs systemd is never warned about.
pub const MIN_UNIX_QUEUE: u32 = 512;

/// Parses the contents of [`UNIX_QUEUE_SYSCTL`]: a decimal number and a
/// newline. `None` for anything else, since a limit that cannot be read is
/// no reason to warn.
pub fn parse_queue_len(text: &[u8]) -> Option<u32> {
    let t = text.strip_suffix(b"\n").unwrap_or(text);
    if t.is_empty() || !t.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(t).ok()?.parse().ok()
}

/// The queue length a unix socket bound now would get, when `addr` is a
/// unix socket and the length is below [`MIN_UNIX_QUEUE`]; `None` for UDP,
/// for a long enough queue, and when the limit cannot be read (systemd's
/// `ProcSubset=pid` hides `/proc/sys`; systemd has set 512 then).
pub fn short_unix_queue(addr: &ListenAddr) -> Option<u32> {
    if !matches!(addr, ListenAddr::Unix(_)) {
        return None;
    }
    let len = parse_queue_len(&std::fs::read(UNIX_QUEUE_SYSCTL).ok()?)?;
    (len < MIN_UNIX_QUEUE).then_some(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_sysctl_file() {
        assert_eq!(parse_queue_len(b"10\n"), Some(10));
        assert_eq!(parse_queue_len(b"512\n"), Some(512));
        assert_eq!(parse_queue_len(b"4096"), Some(4096));
        for bad in [
            &b""[..],
            b"\n",
            b"-1\n",
            b" 10\n",
            b"10\n\n",
            b"1e3\n",
            b"99999999999\n",
        ] {
            assert_eq!(parse_queue_len(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn only_a_unix_socket_is_judged() {
        let udp = ListenAddr::parse("udp:127.0.0.1:5514").unwrap();
        assert_eq!(short_unix_queue(&udp), None);
        let unix = ListenAddr::parse("unix:/nonexistent/s.sock").unwrap();
        let here = std::fs::read(UNIX_QUEUE_SYSCTL)
            .ok()
            .and_then(|t| parse_queue_len(&t));
        assert_eq!(
            short_unix_queue(&unix),
            here.filter(|&n| n < MIN_UNIX_QUEUE)
        );
    }
}
