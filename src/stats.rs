//! Counters of what a run did. They count events, never content, so they
//! are safe to print anywhere.

use std::ops::AddAssign;

/// What one run (or one block of a run) did. Blocks are counted by the
/// worker that processed them and summed by the writer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Lines read, including empty and unparsed lines.
    pub lines_read: u64,
    /// Lines written (read minus dropped).
    pub lines_written: u64,
    /// Lines that matched the format.
    pub parsed: u64,
    /// Lines that did not match and went through the fail-closed scrubber.
    pub scrubbed: u64,
    /// Lines removed by `--on-unparsed drop`.
    pub dropped: u64,
    /// Lines longer than `--max-line-bytes`, replaced by an empty line (or
    /// dropped, with `--on-unparsed drop`).
    pub oversized: u64,
    /// Addresses rewritten (client, X-Forwarded-For and literals found in text).
    pub addresses: u64,
    /// Client fields that held no address (a host name, `-`) and were
    /// replaced by `0.0.0.0`, and X-Forwarded-For entries other than `-` and
    /// `unknown` that held none, replaced by `-`.
    pub non_addresses: u64,
    /// Query strings removed.
    pub queries: u64,
    /// Referrers removed or cut to their origin (one that is `-`, empty or
    /// an origin already is not counted).
    pub referrers: u64,
    /// Remote users and identd lognames removed (`-` and empty ones are
    /// not counted).
    pub users: u64,
    /// Cookies, credentials, session ids (`;jsessionid=`), URL userinfo,
    /// client ports and other secret fields removed.
    pub secrets: u64,
    /// E-mail addresses masked.
    pub emails: u64,
    /// Input bytes.
    pub bytes_read: u64,
    /// Output bytes (before compression).
    pub bytes_written: u64,
    /// Listener: datagrams received.
    pub datagrams: u64,
    /// Listener: datagrams the kernel dropped because anonlog fell behind
    /// (counted on UDP, read from the socket at drain and exit as well, so
    /// drops with no datagram after them count too; on a unix socket the
    /// sender sees the failure).
    pub datagrams_dropped: u64,
    /// Listener: datagrams longer than the receive buffer, cut to it.
    pub datagrams_truncated: u64,
    /// Listener: lines lost because their output's disk was full for longer
    /// than the in-memory backlog could hold them (each episode is also
    /// said on stderr). They are not counted in `lines_written`.
    pub lines_lost_disk_full: u64,
    /// Addresses replaced by keyed pseudonyms (`--pseudonymize`).
    pub pseudonymized: u64,
    /// Remote users and identd lognames replaced by keyed tokens.
    pub users_pseudonymized: u64,
    /// With `--key-rotation`: non-empty lines whose time field could not be
    /// read (unparsed lines included), truncated instead of pseudonymized.
    pub undated: u64,
}

impl AddAssign for Stats {
    fn add_assign(&mut self, o: Stats) {
        self.lines_read += o.lines_read;
        self.lines_written += o.lines_written;
        self.parsed += o.parsed;
        self.scrubbed += o.scrubbed;
        self.dropped += o.dropped;
        self.oversized += o.oversized;
        self.addresses += o.addresses;
        self.non_addresses += o.non_addresses;
        self.queries += o.queries;
        self.referrers += o.referrers;
        self.users += o.users;
        self.secrets += o.secrets;
        self.emails += o.emails;
        self.bytes_read += o.bytes_read;
        self.bytes_written += o.bytes_written;
        self.datagrams += o.datagrams;
        self.datagrams_dropped += o.datagrams_dropped;
        self.datagrams_truncated += o.datagrams_truncated;
        self.lines_lost_disk_full += o.lines_lost_disk_full;
        self.pseudonymized += o.pseudonymized;
        self.users_pseudonymized += o.users_pseudonymized;
        self.undated += o.undated;
    }
}

/// A share of lines, such as `--max-unparsed 1%`, in parts per million so
/// that comparisons are exact integer arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Share(u32);

impl Share {
    /// One percent: the default for how many lines may fail to parse
    /// before a format is judged not to fit.
    pub const ONE_PERCENT: Share = Share(10_000);

    /// `part` of `whole` is strictly more than this share (never for an
    /// empty `whole`).
    pub fn exceeded_by(self, part: u64, whole: u64) -> bool {
        u128::from(part) * 1_000_000 > u128::from(whole) * u128::from(self.0)
    }

    /// Parses `5%`, `0.5%` or `5` (a percentage, 0 to 100, at most four
    /// decimals).
    pub fn parse_percent(s: &str) -> Option<Share> {
        let s = s.trim();
        let s = s.strip_suffix('%').unwrap_or(s);
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if int.is_empty() && frac.is_empty() || frac.len() > 4 {
            return None;
        }
        let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(int) || !all_digits(frac) {
            return None;
        }
        let int: u32 = if int.is_empty() { 0 } else { int.parse().ok()? };
        let frac: u32 = format!("{frac:0<4}").parse().ok()?;
        let ppm = int.checked_mul(10_000)?.checked_add(frac)?;
        (ppm <= 1_000_000).then_some(Share(ppm))
    }
}

impl std::fmt::Display for Share {
    /// As a percentage, without needless decimals (`1%`, `0.5%`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (int, frac) = (self.0 / 10_000, self.0 % 10_000);
        if frac == 0 {
            write!(f, "{int}%")
        } else {
            let frac = format!("{frac:04}");
            write!(f, "{int}.{}%", frac.trim_end_matches('0'))
        }
    }
}

impl Stats {
    /// Non-empty lines that reached a parser (parsed or not).
    pub fn judged(&self) -> u64 {
        self.parsed + self.scrubbed + self.dropped
    }

    /// Lines that did not parse (scrubbed or dropped).
    pub fn unparsed(&self) -> u64 {
        self.scrubbed + self.dropped
    }

    /// Every counter with its stable name (the `--stats` keys), in the
    /// order they are reported.
    pub fn fields(&self) -> [(&'static str, u64); 22] {
        [
            ("lines_read", self.lines_read),
            ("lines_written", self.lines_written),
            ("parsed", self.parsed),
            ("scrubbed", self.scrubbed),
            ("dropped", self.dropped),
            ("oversized", self.oversized),
            ("addresses_truncated", self.addresses),
            ("non_addresses_replaced", self.non_addresses),
            ("queries_removed", self.queries),
            ("referrers_removed", self.referrers),
            ("users_removed", self.users),
            ("secrets_removed", self.secrets),
            ("emails_masked", self.emails),
            ("bytes_read", self.bytes_read),
            ("bytes_written", self.bytes_written),
            ("datagrams", self.datagrams),
            ("datagrams_dropped", self.datagrams_dropped),
            ("datagrams_truncated", self.datagrams_truncated),
            ("lines_lost_disk_full", self.lines_lost_disk_full),
            ("addresses_pseudonymized", self.pseudonymized),
            ("users_pseudonymized", self.users_pseudonymized),
            ("undated_truncated", self.undated),
        ]
    }
}

/// Names of fields anonlog had no rule for, as found in the input (JSON
/// keys): at most [`UnknownNames::MAX_SHOWN`] distinct printable names, in
/// order of first sighting, and a count of the other distinct names.
///
/// The names come from log lines, so only names that cannot carry an
/// address or an e-mail are kept ([`UnknownNames::printable`]); the others
/// are remembered by a 64-bit hash only, to be counted once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnknownNames {
    shown: Vec<String>,
    /// Sorted hashes of the distinct names not shown, at most `MAX_HIDDEN`.
    hidden: Vec<u64>,
}

impl UnknownNames {
    /// Names shown at most.
    pub const MAX_SHOWN: usize = 32;
    /// Longest name shown, in bytes.
    pub const MAX_LEN: usize = 64;
    /// Distinct names beyond those shown that are counted (bounding the
    /// memory a stream of made-up keys can take).
    pub const MAX_HIDDEN: usize = 4096;

    /// The names shown.
    pub fn shown(&self) -> &[String] {
        &self.shown
    }

    /// How many other distinct names were seen (at most [`Self::MAX_HIDDEN`]).
    pub fn more(&self) -> usize {
        self.hidden.len()
    }

    /// Nothing was seen.
    pub fn is_empty(&self) -> bool {
        self.shown.is_empty() && self.hidden.is_empty()
    }

    /// No further name can be recorded, so callers need not build one.
    pub fn is_full(&self) -> bool {
        self.shown.len() >= Self::MAX_SHOWN && self.hidden.len() >= Self::MAX_HIDDEN
    }

    /// Whether `name` may be printed: 1 to [`Self::MAX_LEN`] bytes of
    /// `[A-Za-z0-9_.@-]`, where every `.`-separated part starts with a
    /// letter, `_` or `@` and has no other `@` (`@timestamp`,
    /// `request.headers.X-Trace`), so neither an IP literal nor an e-mail
    /// address is ever printed.
    pub fn printable(name: &[u8]) -> bool {
        (1..=Self::MAX_LEN).contains(&name.len()) && name.split(|&b| b == b'.').all(|part| {
            matches!(part.first(), Some(c) if c.is_ascii_alphabetic() || *c == b'_' || *c == b'@')
                && part[1..]
                    .iter()
                    .all(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        })
    }

    /// FNV-1a: stable across workers and runs, so hashes merge.
    pub fn hash(name: &[u8]) -> u64 {
        Self::hash_parts(std::iter::once(name))
    }

    /// [`Self::hash`] of `parts` joined with `.`, without joining them.
    pub fn hash_parts<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut step = |b: u8| h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        for (i, part) in parts.into_iter().enumerate() {
            if i > 0 {
                step(b'.');
            }
            part.iter().for_each(|&b| step(b));
        }
        h
    }

    /// Whether a name with hash `h` is among the hidden ones.
    pub fn is_hidden(&self, h: u64) -> bool {
        self.hidden.binary_search(&h).is_ok()
    }

    /// Records `name`; returns whether it was new.
    pub fn add(&mut self, name: &[u8]) -> bool {
        if self.shown.iter().any(|s| s.as_bytes() == name) {
            return false;
        }
        if Self::printable(name) && self.shown.len() < Self::MAX_SHOWN {
            self.remove_hidden(Self::hash(name));
            // Printable names are ASCII.
            self.shown.push(String::from_utf8_lossy(name).into_owned());
            return true;
        }
        self.add_hidden(Self::hash(name))
    }

    fn add_hidden(&mut self, h: u64) -> bool {
        if self.shown.iter().any(|s| Self::hash(s.as_bytes()) == h) {
            return false;
        }
        match self.hidden.binary_search(&h) {
            Ok(_) => false,
            Err(_) if self.hidden.len() >= Self::MAX_HIDDEN => false,
            Err(i) => {
                self.hidden.insert(i, h);
                true
            }
        }
    }

    fn remove_hidden(&mut self, h: u64) {
        if let Ok(i) = self.hidden.binary_search(&h) {
            self.hidden.remove(i);
        }
    }

    /// Adds what another worker (or block) saw, after what is here.
    pub fn merge(&mut self, other: UnknownNames) {
        for name in other.shown {
            self.add(name.as_bytes());
        }
        for h in other.hidden {
            self.add_hidden(h);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_assign_sums_every_counter() {
        let one = Stats {
            lines_read: 1,
            lines_written: 2,
            parsed: 3,
            scrubbed: 4,
            dropped: 5,
            oversized: 6,
            addresses: 7,
            non_addresses: 8,
            queries: 9,
            referrers: 10,
            users: 11,
            secrets: 11,
            emails: 11,
            bytes_read: 12,
            bytes_written: 13,
            datagrams: 14,
            datagrams_dropped: 15,
            datagrams_truncated: 16,
            pseudonymized: 17,
            lines_lost_disk_full: 20,
            users_pseudonymized: 18,
            undated: 19,
        };
        let mut sum = one;
        sum += one;
        let doubled: Vec<u64> = one.fields().iter().map(|(_, v)| v * 2).collect();
        let got: Vec<u64> = sum.fields().iter().map(|(_, v)| *v).collect();
        assert_eq!(got, doubled);
    }

    #[test]
    fn unknown_names_are_printable_bounded_and_merge() {
        for (name, ok) in [
            ("ua", true),
            ("@timestamp", true),
            ("request.headers.X-Trace_Id", true),
            ("a1.b-2", true),
            ("", false),
            ("192.0.2.1", false),
            ("h.192", false),
            ("jane@example.com", false),
            ("fe80::1", false),
            ("with space", false),
            ("x\\u0041", false),
            ("caf\u{e9}", false),
            ("a..b", false),
        ] {
            assert_eq!(UnknownNames::printable(name.as_bytes()), ok, "{name}");
        }
        assert!(UnknownNames::printable(&[b'a'; 64]));
        assert!(!UnknownNames::printable(&[b'a'; 65]));
        assert_eq!(
            UnknownNames::hash(b"a.bc"),
            UnknownNames::hash_parts([&b"a"[..], b"bc"])
        );

        let mut a = UnknownNames::default();
        assert!(a.add(b"ua"));
        assert!(!a.add(b"ua"));
        assert!(a.add(b"192.0.2.1"));
        assert!(!a.add(b"192.0.2.1"));
        assert_eq!(a.shown(), ["ua"]);
        assert_eq!(a.more(), 1);
        let mut b = UnknownNames::default();
        for i in 0..40 {
            b.add(format!("k{i}").as_bytes());
        }
        b.add(b"192.0.2.1");
        assert_eq!((b.shown().len(), b.more()), (32, 9));
        a.merge(b);
        // ua, then k0..k30 shown; k31..k39 and the address counted once.
        assert_eq!(a.shown().len(), 32);
        assert_eq!(a.shown()[..2], ["ua", "k0"]);
        assert_eq!(a.more(), 10);
        let mut full = UnknownNames::default();
        for i in 0..(UnknownNames::MAX_SHOWN + UnknownNames::MAX_HIDDEN + 10) {
            full.add(format!("k{i}").as_bytes());
        }
        assert!(full.is_full());
        assert_eq!(full.more(), UnknownNames::MAX_HIDDEN);
    }

    #[test]
    fn shares() {
        let one = Share::parse_percent("1%").unwrap();
        assert_eq!(one, Share::ONE_PERCENT);
        assert_eq!(Share::parse_percent("1"), Some(one));
        assert!(!one.exceeded_by(1, 100));
        assert!(one.exceeded_by(2, 100));
        assert!(one.exceeded_by(11, 1000));
        assert!(!one.exceeded_by(0, 0));
        assert!(Share::parse_percent("0").unwrap().exceeded_by(1, u64::MAX));
        assert!(!Share::parse_percent("100%").unwrap().exceeded_by(5, 5));
        for (s, shown) in [
            ("0.5%", "0.5%"),
            ("5", "5%"),
            ("12.25%", "12.25%"),
            (".1", "0.1%"),
        ] {
            assert_eq!(Share::parse_percent(s).unwrap().to_string(), shown, "{s}");
        }
        for bad in ["", "%", "101", "-1", "1.23456", "abc", "1e2", "."] {
            assert_eq!(Share::parse_percent(bad), None, "{bad}");
        }
    }
}
