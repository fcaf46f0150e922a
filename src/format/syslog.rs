//! The syslog envelope nginx puts around each access-log line when it logs
//! to `syslog:server=...`: `<PRI>Mmm dd hh:mm:ss [host ]tag: line`
//! (RFC 3164 style, no year, no zone; `nohostname` drops the host).

/// One datagram split into its tag and the log line it carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    /// The syslog tag (`nginx` by default, `tag=` in nginx), if a header was
    /// recognised.
    pub tag: Option<&'a [u8]>,
    /// The log line: everything after the header, without a trailing newline.
    pub line: &'a [u8],
}

/// Splits a datagram. A datagram without a recognisable header is taken
/// whole as the line (after a `<PRI>` prefix, if any): it is still
/// anonymized, and fail-closed if it does not parse.
pub fn split(datagram: &[u8]) -> Message<'_> {
    let d = datagram.strip_suffix(b"\n").unwrap_or(datagram);
    let d = d.strip_suffix(b"\r").unwrap_or(d);
    let Some(rest) = strip_pri(d) else {
        return Message { tag: None, line: d };
    };
    match header(rest) {
        Some((tag, line)) => Message {
            tag: Some(tag),
            line,
        },
        None => Message {
            tag: None,
            line: rest,
        },
    }
}

/// Appends `line` and a newline to `out`, with every line break inside it
/// (LF and CR) written as nginx writes unprintable bytes, `\x0A` and `\x0D`:
/// a datagram is one line of output, whatever it holds, so a sender cannot
/// forge a second line (or split one across two). The escape is not undone:
/// a line that already held the text `\x0A` reads the same.
pub fn push_line(out: &mut Vec<u8>, line: &[u8]) {
    let mut rest = line;
    while let Some(i) = memchr::memchr2(b'\n', b'\r', rest) {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(if rest[i] == b'\n' { b"\\x0A" } else { b"\\x0D" });
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
    out.push(b'\n');
}

/// `<0>`..`<191>`.
fn strip_pri(d: &[u8]) -> Option<&[u8]> {
    let body = d.strip_prefix(b"<")?;
    let end = body.iter().take(4).position(|&b| b == b'>')?;
    (end > 0 && body[..end].iter().all(u8::is_ascii_digit)).then(|| &body[end + 1..])
}

/// `Mmm dd hh:mm:ss [host ]tag: ` -> (tag, rest).
fn header(r: &[u8]) -> Option<(&[u8], &[u8])> {
    // "Nov 22 08:39:58 " (the day is space-padded: "Nov  2").
    if r.len() < 16
        || r[3] != b' '
        || r[6] != b' '
        || r[9] != b':'
        || r[12] != b':'
        || r[15] != b' '
    {
        return None;
    }
    if !r[..3].iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    let mut rest = &r[16..];
    // One token may be the host name; the tag is the token ending in ':'.
    for _ in 0..2 {
        let sp = rest.iter().position(|&b| b == b' ')?;
        let token = &rest[..sp];
        if let Some(tag) = token.strip_suffix(b":") {
            if !tag.is_empty() {
                return Some((tag, &rest[sp + 1..]));
            }
        }
        rest = &rest[sp + 1..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_inside_a_datagram_are_escaped() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"plain", b"plain\n"),
            (b"", b"\n"),
            (b"a\nb", b"a\\x0Ab\n"),
            (b"a\r\nb\n\n", b"a\\x0D\\x0Ab\\x0A\\x0A\n"),
            (b"\rx", b"\\x0Dx\n"),
        ];
        let mut out = b"kept\n".to_vec();
        let mut want = out.clone();
        for &(line, escaped) in cases {
            push_line(&mut out, line);
            want.extend_from_slice(escaped);
        }
        assert_eq!(out, want);
        // One line per datagram, however it was cut: the trailing newline
        // nginx may send is the envelope's, the others are content.
        let mut out = Vec::new();
        push_line(
            &mut out,
            split(b"<190>Nov 22 08:39:58 nginx: a\nFORGED\r\n").line,
        );
        assert_eq!(out, b"a\\x0AFORGED\n");
    }

    #[test]
    fn nginx_datagrams() {
        type Case = (&'static [u8], Option<&'static [u8]>, &'static [u8]);
        let cases: &[Case] = &[
            (
                b"<190>Nov 22 08:39:58 vm nginx: 192.0.2.1 - - x",
                Some(b"nginx"),
                b"192.0.2.1 - - x",
            ),
            (
                b"<190>Nov 22 08:39:58 nginx_access: 192.0.2.1 - - x",
                Some(b"nginx_access"),
                b"192.0.2.1 - - x",
            ),
            (
                b"<190>Nov  2 08:39:58 web-1 api: a b\n",
                Some(b"api"),
                b"a b",
            ),
            (
                b"<13>Nov 22 08:39:58 host app[123]: msg",
                Some(b"app[123]"),
                b"msg",
            ),
            (b"<190>garbage 192.0.2.1", None, b"garbage 192.0.2.1"),
            (b"no header at all", None, b"no header at all"),
            (
                b"<190>Nov 22 08:39:58 nocolon here",
                None,
                b"Nov 22 08:39:58 nocolon here",
            ),
            (b"", None, b""),
            (b"<190>", None, b""),
        ];
        for &(d, tag, line) in cases {
            assert_eq!(
                split(d),
                Message { tag, line },
                "{:?}",
                String::from_utf8_lossy(d)
            );
        }
    }
}
