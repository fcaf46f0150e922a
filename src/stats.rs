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
    /// Client fields that held no address and were replaced by `0.0.0.0`.
    pub non_addresses: u64,
    /// Query strings removed.
    pub queries: u64,
    /// Referrers removed or cut to their origin.
    pub referrers: u64,
    /// Remote users and identd lognames removed.
    pub users: u64,
    /// Cookies, credentials and other secret fields removed.
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
    /// (counted on UDP; on a unix socket the sender sees the failure).
    pub datagrams_dropped: u64,
    /// Listener: datagrams longer than the receive buffer, cut to it.
    pub datagrams_truncated: u64,
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

    fn fields(&self) -> [(&'static str, u64); 21] {
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
            ("addresses_pseudonymized", self.pseudonymized),
            ("users_pseudonymized", self.users_pseudonymized),
            ("undated_truncated", self.undated),
        ]
    }

    /// A human-readable summary, one `name: value` per line, prefixed so it
    /// is recognisable in a mixed stderr.
    pub fn to_text(&self, format: &str) -> String {
        let mut s = format!("anonlog: format {format}\n");
        for (k, v) in self.fields() {
            s.push_str(&format!("anonlog: {:<24}{v}\n", k.replace('_', " ")));
        }
        s
    }

    /// One JSON object on one line; keys are stable for scripts.
    pub fn to_json(&self, format: &str) -> String {
        let mut s = format!("{{\"format\":\"{format}\"");
        for (k, v) in self.fields() {
            s.push_str(&format!(",\"{k}\":{v}"));
        }
        s.push('}');
        s
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

    #[test]
    fn json_is_one_object() {
        let s = Stats {
            lines_read: 3,
            ..Stats::default()
        };
        let j = s.to_json("combined");
        assert!(j.starts_with("{\"format\":\"combined\",\"lines_read\":3,"));
        assert!(j.ends_with("\"undated_truncated\":0}"));
        assert!(!j.contains('\n'));
    }
}
