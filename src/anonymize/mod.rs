//! The anonymization rules, applied to one block of complete lines at a time.
//!
//! Pure functions of bytes: no I/O, no allocation per line (every buffer is
//! owned by the per-worker [`Anonymizer`] and reused).

pub mod anonip;
pub mod audit;
pub mod pseudonym;
mod rules;
pub mod scrub;
pub mod ua;
pub mod url;

use crate::format::{FieldKind, Fields, Parser, Span};
use crate::stats::Stats;

use pseudonym::{LineKeying, LineRewrite};

/// What to do with the Referer field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReferrerMode {
    /// Replace it with `-` (the default: a referrer is the previous page's
    /// full URL, query included).
    Remove,
    /// Keep only `scheme://host[:port]/`.
    Origin,
    /// Keep it, scrubbed of IP literals and without the `user:password@`
    /// of its URL.
    Keep,
}

/// What to do with a line that does not match the format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnUnparsed {
    /// Rewrite every IP literal and cut every URL query, keep the rest.
    Scrub,
    /// Remove the line from the output.
    Drop,
    /// Stop the run with an error naming the line number.
    Fail,
}

/// The resolved anonymization policy, shared read-only by all workers.
#[derive(Clone, Debug)]
pub struct Rules {
    /// The format lines are parsed with, unless `candidates` is not empty.
    pub parser: Parser,
    /// With `-f auto`: the formats to choose from, per input. When none
    /// fits an input, its lines are not parsed at all: every one takes the
    /// fail-closed path.
    pub candidates: Vec<Parser>,
    /// The share of an input's lines that may fail to parse before the
    /// format is judged not to fit it (reported, exit status 1), and that
    /// `-f auto` allows a candidate to fail on.
    pub max_unparsed: crate::stats::Share,
    /// Keep query strings in requests.
    pub keep_query: bool,
    /// Referrer handling.
    pub referrer: ReferrerMode,
    /// Keep remote users and identd lognames.
    pub keep_user: bool,
    /// Unparsed-line handling.
    pub on_unparsed: OnUnparsed,
    /// Lines longer than this (without their `\n`) are not parsed: they are
    /// replaced by an empty line, or dropped, or fail, per `on_unparsed`.
    /// The chunker applies the same rule to lines it cannot hold, so the
    /// outcome never depends on where blocks were cut.
    pub max_line: usize,
    /// What a [`FieldKind::Replace`] field becomes (anonip's `--replace`);
    /// empty unless the parser makes such fields.
    pub replacement: Vec<u8>,
}

/// A line of the block did not parse and the policy is [`OnUnparsed::Fail`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unparsed {
    /// Zero-based index of the offending line within the block.
    pub index: u64,
    /// The line was longer than [`Rules::max_line`].
    pub oversized: bool,
}

/// Per-worker state: the rules, the address rewriter and reusable scratch.
pub struct Anonymizer<'a, R> {
    rules: &'a Rules,
    rewriter: R,
    fields: Fields,
    scratch: Vec<u8>,
    /// Index into `rules.candidates` chosen for the current input.
    selected: Option<usize>,
    /// Each line picks its own candidate ([`Anonymizer::select_per_line`]).
    per_line: bool,
    /// JSON keys without a rule, for `--stats`.
    json_keys: crate::format::json::KeyNotes,
}

impl<'a, R: LineRewrite> Anonymizer<'a, R> {
    /// Creates a worker's anonymizer.
    pub fn new(rules: &'a Rules, rewriter: R) -> Self {
        Anonymizer {
            rules,
            rewriter,
            fields: Fields::new(),
            scratch: Vec::new(),
            selected: None,
            per_line: false,
            json_keys: Default::default(),
        }
    }

    /// The JSON keys without a rule first seen since the last call (empty,
    /// and allocation-free, in the steady state).
    pub fn take_unknown_names(&mut self) -> crate::stats::UnknownNames {
        self.json_keys.take()
    }

    /// With an [`audit::Audit`] rewriter: what it found in the blocks
    /// since the last call, by 0-based line index in the block; `None`
    /// otherwise.
    pub fn take_findings(&mut self) -> Option<Box<audit::Findings>> {
        self.rewriter.take_findings()
    }

    /// Uses candidate `i` of [`Rules::candidates`] (detected for the input
    /// the next blocks come from), or [`Rules::parser`] with `None`.
    pub fn select(&mut self, i: Option<usize>) {
        self.per_line = false;
        self.selected = i.filter(|&i| i < self.rules.candidates.len());
    }

    /// With `-f auto`: parses each line with the first candidate that
    /// accepts it. For the listener, whose datagrams are independent lines
    /// that arrive in batches of any size: the outcome of a line never
    /// depends on how the kernel batched it with others.
    pub fn select_per_line(&mut self) {
        self.per_line = !self.rules.candidates.is_empty();
    }

    /// The parser in use; `None` with `-f auto` when no candidate fits the
    /// input.
    pub fn parser(&self) -> Option<&'a Parser> {
        match self.selected {
            Some(i) => Some(&self.rules.candidates[i]),
            None if self.rules.candidates.is_empty() => Some(&self.rules.parser),
            None => None,
        }
    }

    /// Anonymizes every line of `block` into `out` (appending).
    ///
    /// Guarantees: one output line per input line, in order, unless the
    /// policy is `Drop`; each line keeps its terminator (`\n`, `\r\n`, or none
    /// for a final unterminated line); bytes outside rewritten fields are
    /// copied verbatim. With `Fail`, lines before the offending one have
    /// been written to `out` when the error is returned.
    pub fn process_block(
        &mut self,
        block: &[u8],
        out: &mut Vec<u8>,
        stats: &mut Stats,
    ) -> Result<(), Unparsed> {
        let start_len = out.len();
        let mut pos = 0;
        let mut index = 0u64;
        while pos < block.len() {
            let (line, next) = match memchr::memchr(b'\n', &block[pos..]) {
                Some(i) => (&block[pos..pos + i], pos + i + 1),
                None => (&block[pos..], block.len()),
            };
            let terminator = &block[pos + line.len()..next];
            let (content, cr) = match line.split_last() {
                Some((b'\r', rest)) => (rest, &line[rest.len()..]),
                _ => (line, &line[line.len()..]),
            };
            // Only an audit compares counters around each line.
            let before = if R::AUDITS { Some(*stats) } else { None };
            stats.lines_read += 1;
            let oversized = line.len() > self.rules.max_line;
            let written = if oversized {
                stats.oversized += 1;
                match self.rules.on_unparsed {
                    OnUnparsed::Scrub => {
                        // The placeholder is always a bare `\n`, as the
                        // chunker writes for lines it could not hold.
                        out.push(b'\n');
                        stats.lines_written += 1;
                        true
                    }
                    OnUnparsed::Drop => {
                        stats.dropped += 1;
                        true
                    }
                    OnUnparsed::Fail => false,
                }
            } else if self.line(content, out, stats).is_ok() {
                crate::bytes::append(out, cr);
                crate::bytes::append(out, terminator);
                stats.lines_written += 1;
                true
            } else {
                self.rules.on_unparsed != OnUnparsed::Fail
            };
            if !written {
                stats.lines_read -= 1;
                stats.bytes_read += pos as u64;
                stats.bytes_written += (out.len() - start_len) as u64;
                return Err(Unparsed { index, oversized });
            }
            if let Some(before) = &before {
                self.rewriter.end_line(index, before, stats);
            }
            pos = next;
            index += 1;
        }
        stats.bytes_read += block.len() as u64;
        stats.bytes_written += (out.len() - start_len) as u64;
        Ok(())
    }

    /// Anonymizes one line's content (no terminator) onto `out`. `Err`
    /// means the line was not written (dropped, or failing).
    fn line(&mut self, line: &[u8], out: &mut Vec<u8>, stats: &mut Stats) -> Result<(), ()> {
        if line.is_empty() {
            // Nothing personal in an empty line, and keeping it keeps the
            // line count.
            return Ok(());
        }
        let addresses_before = stats.addresses;
        let parsed = if self.per_line {
            let (fields, notes) = (&mut self.fields, &mut self.json_keys);
            self.rules
                .candidates
                .iter()
                .any(|p| parse_with(p, line, fields, notes))
        } else {
            self.parser()
                .is_some_and(|p| parse_with(p, line, &mut self.fields, &mut self.json_keys))
        };
        if parsed {
            stats.parsed += 1;
            // The time field comes after the client field: the keys for the
            // line's period are chosen before any field is rewritten.
            let spans = self.fields.spans();
            let keying = self.rewriter.begin_line(|| {
                spans
                    .iter()
                    .find(|s| s.kind == FieldKind::Time)
                    .map(|s| &line[s.start..s.end])
            });
            let mut last = 0;
            for i in 0..self.fields.spans().len() {
                let Span { kind, start, end } = self.fields.spans()[i];
                crate::bytes::append(out, &line[last..start]);
                self.field(kind, &line[start..end], out, stats);
                last = end;
            }
            crate::bytes::append(out, &line[last..]);
            count_keying(keying, addresses_before, stats);
            return Ok(());
        }
        match self.rules.on_unparsed {
            OnUnparsed::Scrub => {
                // No field is known, so neither is the line's period.
                let keying = self.rewriter.begin_line(|| None);
                let policy = self.rules.scrub_policy();
                let c = scrub::scrub_line(&mut self.rewriter, &policy, line, out);
                stats.scrubbed += 1;
                rules::add_scrub_counts(stats, c);
                count_keying(keying, addresses_before, stats);
                Ok(())
            }
            OnUnparsed::Drop => {
                stats.dropped += 1;
                Err(())
            }
            OnUnparsed::Fail => Err(()),
        }
    }
}
impl Rules {
    /// The command line's defaults around `parser`: queries, referrers and
    /// users removed, unparsed lines scrubbed, lines up to 64 MiB, a format
    /// that fails on more than 1% of an input reported. The one place that
    /// states them for tests and benches.
    pub fn new(parser: Parser) -> Rules {
        Rules {
            parser,
            candidates: Vec::new(),
            max_unparsed: crate::stats::Share::ONE_PERCENT,
            keep_query: false,
            referrer: ReferrerMode::Remove,
            keep_user: false,
            on_unparsed: OnUnparsed::Scrub,
            max_line: 64 << 20,
            replacement: Vec::new(),
        }
    }

    /// The format's name for diagnostics: `auto` when it is chosen per
    /// input.
    pub fn format_name(&self) -> &str {
        if self.candidates.is_empty() {
            self.parser.name()
        } else {
            "auto"
        }
    }

    /// What the scrubber needs of the policy.
    pub fn scrub_policy(&self) -> scrub::ScrubPolicy {
        scrub::ScrubPolicy {
            keep_query: self.keep_query,
            referrer: self.referrer,
            keep_user: self.keep_user,
        }
    }
}

/// Parses `line` with `p`, noting JSON keys without a rule.
#[inline]
fn parse_with(
    p: &Parser,
    line: &[u8],
    fields: &mut Fields,
    notes: &mut crate::format::json::KeyNotes,
) -> bool {
    match p {
        Parser::Json(j) => j.parse_noting(line, fields, notes),
        p => p.parse(line, fields),
    }
}

/// Moves the line's address count to the pseudonym counter when its
/// addresses were pseudonymized, and counts undated lines.
#[inline]
fn count_keying(keying: LineKeying, addresses_before: u64, stats: &mut Stats) {
    match keying {
        LineKeying::Truncated => {}
        LineKeying::Pseudonymized => {
            stats.pseudonymized += stats.addresses - addresses_before;
            stats.addresses = addresses_before;
        }
        LineKeying::Undated => stats.undated += 1,
    }
}

#[cfg(test)]
mod tests {
    use super::rules::{is_address_list, is_inert};
    use super::*;
    use crate::addr::Truncate;
    use crate::format::Predefined;

    fn rules(format: Predefined) -> Rules {
        Rules::new(Parser::Template(format.template()))
    }

    fn run_with(
        rules: &Rules,
        t: Truncate,
        input: &[u8],
    ) -> (Vec<u8>, Stats, Result<(), Unparsed>) {
        let mut a = Anonymizer::new(rules, t);
        let mut out = Vec::new();
        let mut stats = Stats::default();
        let r = a.process_block(input, &mut out, &mut stats);
        (out, stats, r)
    }

    fn anon(rules: &Rules, input: &str) -> String {
        let (out, _, r) = run_with(rules, Truncate::new(24, 48).unwrap(), input.as_bytes());
        r.unwrap();
        String::from_utf8(out).unwrap()
    }

    const T: &str = "[22/Nov/2026:08:38:17 +0000]";

    #[test]
    fn a_verbatim_field_that_is_not_inert_is_scrubbed() {
        let c = crate::format::apache::compile("t", "%h %D %T").unwrap();
        let r = Rules {
            parser: Parser::Template(c.template),
            ..rules(Predefined::Common)
        };
        assert_eq!(
            anon(&r, "198.51.100.7 5 a /p?token=ZqA b ZqB@h.example\n"),
            "198.51.100.0 5 a /p b email-redacted\n"
        );
        assert_eq!(anon(&r, "198.51.100.7 5 1\n"), "198.51.100.0 5 1\n");
    }

    #[test]
    fn a_time_field_that_is_no_time_is_scrubbed() {
        let r = rules(Predefined::Common);
        assert_eq!(
            anon(
                &r,
                "198.51.100.7 - - [26/Dec/2016:16:16:48 /p?password=ZqX +0200] \"-\" 408 -\n"
            ),
            "198.51.100.0 - - [26/Dec/2016:16:16:48 /p +0200] \"-\" 408 -\n"
        );
        assert_eq!(
            anon(&r, "198.51.100.7 - - [1 password=ZqX] \"-\" 408 -\n"),
            "198.51.100.0 - - [1 password=-] \"-\" 408 -\n"
        );
    }

    #[test]
    fn combined_defaults() {
        let r = rules(Predefined::Combined);
        let cases = [
            (
                format!(
                    "198.51.100.77 - alice {T} \"GET /search?q=jane%40example.com HTTP/1.1\" 200 3 \"https://ref.example.org/p?token=abc\" \"Mozilla/5.0\""
                ),
                format!(
                    "198.51.100.0 - - {T} \"GET /search HTTP/1.1\" 200 3 \"-\" \"Mozilla/5.0\""
                ),
            ),
            (
                format!(
                    "2001:db8:abcd:12::1 - - {T} \"GET /whois/203.0.113.9 HTTP/2.0\" 404 - \"-\" \"bot 192.0.2.77\""
                ),
                format!(
                    "2001:db8:abcd:: - - {T} \"GET /whois/203.0.113.0 HTTP/2.0\" 404 - \"-\" \"bot 192.0.2.0\""
                ),
            ),
            (
                format!(
                    "www.example.com - - {T} \"GET http://example.com/p?x=1 HTTP/1.1\" 200 1 \"-\" \"-\""
                ),
                format!("0.0.0.0 - - {T} \"GET http://example.com/p HTTP/1.1\" 200 1 \"-\" \"-\""),
            ),
            (
                format!(
                    "[2001:DB8::1]:443 ident - {T} \"GET /shop;jsessionid=ABC?x HTTP/1.1\" 200 1 \"-\" \"-\""
                ),
                format!("2001:db8:: - - {T} \"GET /shop HTTP/1.1\" 200 1 \"-\" \"-\""),
            ),
            (
                format!("::ffff:198.51.100.77 - - {T} \"-\" 400 0 \"-\" \"-\""),
                format!("::ffff:198.51.100.0 - - {T} \"-\" 400 0 \"-\" \"-\""),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(anon(&r, &input), want, "input: {input}");
        }
    }

    #[test]
    fn referrer_modes_and_keep_user() {
        let mut r = rules(Predefined::Combined);
        let line = format!(
            "192.0.2.1 - bob {T} \"GET / HTTP/1.1\" 200 1 \"https://u:p@203.0.113.5:8443/a?b\" \"-\""
        );
        r.referrer = ReferrerMode::Origin;
        r.keep_user = true;
        assert_eq!(
            anon(&r, &line),
            format!(
                "192.0.2.0 - bob {T} \"GET / HTTP/1.1\" 200 1 \"https://203.0.113.0:8443/\" \"-\""
            )
        );
        r.referrer = ReferrerMode::Keep;
        assert_eq!(
            anon(&r, &line),
            format!(
                "192.0.2.0 - bob {T} \"GET / HTTP/1.1\" 200 1 \"https://203.0.113.0:8443/a?b\" \"-\""
            )
        );
    }

    #[test]
    fn userinfo_is_removed_from_requests_targets_and_referrers() {
        let mut r = rules(Predefined::Combined);
        r.keep_query = true;
        let line = format!(
            "192.0.2.1 - - {T} \"GET http://u:pw@198.51.100.7:8080/a?x=1 HTTP/1.1\" 200 1 \"https://alice:s3cret@www.example.org/p?q\" \"-\""
        );
        let origin = "https://www.example.org/";
        for (mode, referrer) in [
            (ReferrerMode::Keep, "https://www.example.org/p?q"),
            (ReferrerMode::Origin, origin),
        ] {
            r.referrer = mode;
            let (out, stats, res) = run_with(&r, Truncate::new(24, 48).unwrap(), line.as_bytes());
            res.unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                format!(
                    "192.0.2.0 - - {T} \"GET http://198.51.100.0:8080/a?x=1 HTTP/1.1\" 200 1 \"{referrer}\" \"-\""
                ),
                "{mode:?}"
            );
            let referrer_secrets = u64::from(mode == ReferrerMode::Keep);
            assert_eq!(stats.secrets, 1 + referrer_secrets, "{mode:?}");
        }
        // A target field (`$request_uri` of an absolute-form request, an
        // upstream URL).
        use crate::format::{FieldKind::Target, Piece, Template};
        r.parser = Parser::Template(Template::new("t", vec![Piece::Field(Target)]).unwrap());
        r.keep_query = false;
        assert_eq!(
            anon(&r, "https://u:p@[2001:db8::1]:8443/a;jsessionid=S?q=1"),
            "https://[2001:db8::]:8443/a"
        );
    }

    #[test]
    fn keyed_lines_use_the_period_of_their_own_time_field() {
        use super::pseudonym::{KeyedConfig, MasterKey, Mode, Rewriter, Rotation};
        let master =
            MasterKey::from_hex("1522178d33a4cf80130a5b1649907d10d8988f837979652762574c2d2a842202")
                .unwrap();
        let keyed = KeyedConfig::new(master, Some(Mode::Det), true, Rotation::Daily).unwrap();
        let keyed = std::sync::Arc::new(keyed);
        let r = rules(Predefined::Combined);
        let rewriter = Rewriter::new(Truncate::new(24, 48).unwrap(), Some(&keyed));
        let mut a = Anonymizer::new(&r, rewriter);
        let line = |client: &str, user: &str, time: &str| {
            format!("{client} - {user} [{time}] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"\n")
        };
        let input = [
            line("198.51.100.77:5000", "alice", "22/Nov/2026:23:59:59 +0000"),
            line("198.51.100.77:5000", "alice", "23/Nov/2026:00:00:00 +0000"),
            line("198.51.100.77", "-", "22/Nov/2026:00:00:00 +0000"),
            "garbage 198.51.100.77\n".to_owned(),
        ]
        .concat();
        let mut out = Vec::new();
        let mut stats = Stats::default();
        a.process_block(input.as_bytes(), &mut out, &mut stats)
            .unwrap();
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<Vec<&str>> = out.lines().map(|l| l.split(' ').collect()).collect();
        // det turns IPv4 into IPv6; the client's port is gone, so there are
        // no brackets either.
        let client0 = lines[0][0];
        assert!(client0.contains(':') && !client0.contains('.'), "{out}");
        assert!(
            !client0.contains('[') && !client0.ends_with(":5000"),
            "{out}"
        );
        assert_ne!(lines[1][0], lines[0][0], "a new day, a new key");
        assert_eq!(lines[2][0], client0, "the same day, the same pseudonym");
        // User tokens: 16 characters, per day; `-` stays `-`.
        assert_eq!(lines[0][2].len(), 16);
        assert!(
            lines[0][2]
                .bytes()
                .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
        );
        assert_ne!(lines[0][2], lines[1][2]);
        assert_eq!(lines[2][2], "-");
        // The unparsed line has no period: truncated, and counted.
        assert_eq!(lines[3], ["garbage", "198.51.100.0"]);
        assert_eq!(
            (stats.pseudonymized, stats.addresses, stats.undated),
            (3, 1, 1)
        );
        assert_eq!((stats.users_pseudonymized, stats.users), (2, 0));
    }

    #[test]
    fn keep_query_still_drops_session_ids() {
        let mut r = rules(Predefined::Combined);
        r.keep_query = true;
        let line = format!(
            "192.0.2.1 - - {T} \"GET /a;jsessionid=S1/b?q=198.51.100.9 HTTP/1.1\" 200 1 \"-\" \"-\""
        );
        assert_eq!(
            anon(&r, &line),
            format!("192.0.2.0 - - {T} \"GET /a/b?q=198.51.100.0 HTTP/1.1\" 200 1 \"-\" \"-\"")
        );
    }

    /// Every address rewriter: truncation and each keyed mode (no rotation,
    /// a fixed test key).
    fn every_rewriter() -> Vec<(&'static str, pseudonym::Rewriter)> {
        use super::pseudonym::{KeyedConfig, MasterKey, Mode, Rewriter, Rotation};
        let t = Truncate::new(24, 48).unwrap();
        let mut all = vec![("truncate", Rewriter::new(t, None))];
        for (name, mode) in [
            ("pfx", Mode::Pfx),
            ("det", Mode::Det),
            ("cryptopan", Mode::CryptoPan),
        ] {
            let master = MasterKey::from_hex(
                "1522178d33a4cf80130a5b1649907d10d8988f837979652762574c2d2a842202",
            )
            .unwrap();
            let k = KeyedConfig::new(master, Some(mode), false, Rotation::None).unwrap();
            all.push((name, Rewriter::new(t, Some(&std::sync::Arc::new(k)))));
        }
        all
    }

    fn run_rewriter(r: &Rules, rw: pseudonym::Rewriter, input: &str) -> (String, Stats) {
        let mut a = Anonymizer::new(r, rw);
        let mut out = Vec::new();
        let mut stats = Stats::default();
        a.process_block(input.as_bytes(), &mut out, &mut stats)
            .unwrap();
        (String::from_utf8(out).unwrap(), stats)
    }

    #[test]
    fn client_and_forwarded_ports_are_removed_in_every_mode() {
        // (as logged, the bare address it must read as, has a port)
        let forms = [
            ("198.51.100.7:51234", "198.51.100.7", true),
            ("198.51.100.7:1", "198.51.100.7", true),
            ("198.51.100.7", "198.51.100.7", false),
            ("[2001:db8::1]:51234", "2001:db8::1", true),
            ("[2001:DB8::1]:443", "2001:db8::1", true),
            ("[2001:db8::1]", "2001:db8::1", false),
            ("2001:db8::1", "2001:db8::1", false),
            ("[fe80::1%eth0]:443", "fe80::1", true),
            ("fe80::1%eth0", "fe80::1", false),
            ("[::ffff:198.51.100.7]:80", "::ffff:198.51.100.7", true),
        ];
        let r = rules(Predefined::Main);
        let line =
            |c: &str| format!("{c} - - {T} \"GET / HTTP/1.1\" 200 1 \"-\" \"-\" \"{c}, {c}\"\n");
        for (name, _) in every_rewriter() {
            for (form, bare, port) in forms {
                let rw = || {
                    every_rewriter()
                        .into_iter()
                        .find(|e| e.0 == name)
                        .unwrap()
                        .1
                };
                let (got, stats) = run_rewriter(&r, rw(), &line(form));
                let (want, _) = run_rewriter(&r, rw(), &line(bare));
                assert_eq!(got, want, "{name}: {form}");
                let client = got.split(' ').next().unwrap();
                assert!(!client.contains(['[', ']']), "{name}: {form} -> {got}");
                assert!(
                    !got.contains(":51234") && !got.contains(":443") && !got.contains("]:"),
                    "{name}: {form} -> {got}"
                );
                assert_eq!(stats.secrets, 3 * u64::from(port), "{name}: {form}");
            }
        }
    }

    #[test]
    fn user_agent_versions_survive_every_mode() {
        let r = rules(Predefined::Combined);
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
        let firefox = "Mozilla/5.0 (Windows; U; Windows NT 5.1; en-US; rv:1.8.1.4) Gecko/20070515 Firefox/2.0.0.4";
        let line =
            |ua: &str| format!("198.51.100.7 - - {T} \"GET / HTTP/1.1\" 200 1 \"-\" \"{ua}\"\n");
        for (name, rw) in every_rewriter() {
            let input = [line(chrome), line(firefox), line("bot 192.0.2.77")].concat();
            let (out, stats) = run_rewriter(&r, rw, &input);
            let uas: Vec<&str> = out.lines().map(|l| l.rsplit('"').nth(1).unwrap()).collect();
            assert_eq!(&uas[..2], [chrome, firefox], "{name}");
            assert!(
                uas[2].starts_with("bot ") && uas[2] != "bot 192.0.2.77",
                "{name}: {out}"
            );
            // Three clients and the bot's address.
            assert_eq!(stats.addresses + stats.pseudonymized, 4, "{name}");
        }
    }

    #[test]
    fn counters_count_what_a_run_changes_and_nothing_else() {
        // Host names in X-Forwarded-For and session ids are counted;
        // `-`, `unknown` and empty fields, which stay or become `-`, are not.
        let r = rules(Predefined::Main);
        let line = format!(
            "192.0.2.1 - - {T} \"GET /a;jsessionid=S1/b HTTP/1.1\" 200 1 \"-\" \"-\" \"proxy.example.com, unknown, -, 203.0.113.9\"\n"
        );
        let (out, s, _) = run_with(&r, Truncate::new(24, 48).unwrap(), line.as_bytes());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(
                "192.0.2.0 - - {T} \"GET /a/b HTTP/1.1\" 200 1 \"-\" \"-\" \"-, -, -, 203.0.113.0\"\n"
            )
        );
        assert_eq!((s.non_addresses, s.secrets, s.addresses), (1, 1, 2));
        let json = Rules::new(Parser::Json(crate::format::json::JsonFormat::new()));
        let line = br#"{"remote_addr":"192.0.2.1","remote_user":"","http_referer":"","cookie":""}"#;
        let (out, s, _) = run_with(&json, Truncate::new(24, 48).unwrap(), line);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"remote_addr":"192.0.2.0","remote_user":"-","http_referer":"-","cookie":"-"}"#
        );
        assert_eq!((s.users, s.referrers, s.secrets), (0, 0, 0));
    }

    #[test]
    fn forwarded_for_list() {
        let r = rules(Predefined::Main);
        let line = format!(
            "192.0.2.1 - - {T} \"GET / HTTP/1.1\" 200 1 \"-\" \"-\" \"203.0.113.9, unknown,2001:db8:1:2::3 , [2001:db8::1]:80\""
        );
        assert_eq!(
            anon(&r, &line),
            format!(
                "192.0.2.0 - - {T} \"GET / HTTP/1.1\" 200 1 \"-\" \"-\" \"203.0.113.0, -,2001:db8:1:: , 2001:db8::\""
            )
        );
        let dash = format!("192.0.2.1 - - {T} \"GET / HTTP/1.1\" 200 1 \"-\" \"-\" \"-\"");
        assert!(anon(&r, &dash).ends_with("\"-\""));
    }

    #[test]
    fn vhost_combined_line() {
        let r = rules(Predefined::VhostCombined);
        let line = format!(
            "www.example.com:443 198.51.100.7 - - {T} \"GET /?a=b HTTP/1.1\" 200 1 \"-\" \"-\""
        );
        assert_eq!(
            anon(&r, &line),
            format!(
                "www.example.com:443 198.51.100.0 - - {T} \"GET / HTTP/1.1\" 200 1 \"-\" \"-\""
            )
        );
    }

    #[test]
    fn terminators_and_bytes_are_preserved() {
        let r = rules(Predefined::Combined);
        let good = |a: &[u8]| -> Vec<u8> {
            let mut v = a.to_vec();
            v.extend_from_slice(
                format!(" - - {T} \"GET / HTTP/1.1\" 200 1 \"-\" \"\x00").as_bytes(),
            );
            v.extend_from_slice(b"\xff\"");
            v
        };
        let (raw, anon) = (good(b"192.0.2.1"), good(b"192.0.2.0"));
        let join = |g: &[u8]| [g, b"\r\n\n", g, b"\n", &g[..20]].concat();
        let (out, stats, res) = run_with(&r, Truncate::new(24, 48).unwrap(), &join(&raw));
        res.unwrap();
        assert_eq!(out, join(&anon));
        assert_eq!(stats.lines_read, 4);
        assert_eq!(stats.lines_written, 4);
        assert_eq!(stats.parsed, 2);
        assert_eq!(stats.scrubbed, 1);
    }

    #[test]
    fn unparsed_policies() {
        let mut r = rules(Predefined::Combined);
        let input = b"garbage 198.51.100.7 /p?secret=1\nsecond\n";
        let (out, s, _) = run_with(&r, Truncate::new(24, 48).unwrap(), input);
        assert_eq!(out, b"garbage 198.51.100.0 /p\nsecond\n");
        assert_eq!((s.scrubbed, s.queries, s.addresses), (2, 1, 1));
        r.on_unparsed = OnUnparsed::Drop;
        let (out, s, _) = run_with(&r, Truncate::new(24, 48).unwrap(), input);
        assert_eq!(out, b"");
        assert_eq!((s.dropped, s.lines_read, s.lines_written), (2, 2, 0));
        r.on_unparsed = OnUnparsed::Fail;
        let ok = format!("192.0.2.1 - - {T} \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"\n");
        let mut input = ok.clone().into_bytes();
        input.extend_from_slice(b"bad\n");
        let (out, _, res) = run_with(&r, Truncate::new(24, 48).unwrap(), &input);
        assert_eq!(
            res,
            Err(Unparsed {
                index: 1,
                oversized: false
            })
        );
        assert_eq!(out, ok.replace("192.0.2.1", "192.0.2.0").into_bytes());
    }

    #[test]
    fn prefix_options_reach_fields() {
        let r = rules(Predefined::Combined);
        let line = format!("198.51.100.77 - - {T} \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"");
        let (out, _, _) = run_with(&r, Truncate::new(32, 128).unwrap(), line.as_bytes());
        assert_eq!(out, line.as_bytes());
        let (out, _, _) = run_with(&r, Truncate::new(0, 0).unwrap(), line.as_bytes());
        assert!(out.starts_with(b"0.0.0.0 - - "));
    }

    #[test]
    fn inert_shapes() {
        for v in [
            "",
            "-",
            "0",
            "1234",
            "0.004",
            "0.004 0.003",
            "0.101 0.100, 0.001 : 0.050",
            "12ms",
            "1.5s",
            "-1",
            "+3",
            "200",
            "7\u{b5}s",
        ] {
            assert!(is_inert(v.as_bytes()), "{v:?}");
        }
        for v in [
            "192.0.2.1",
            "1.2.3",
            "abc",
            "0x1f",
            "1.",
            ".5",
            "sid=1",
            "12kg",
            "1,2,3,jane",
            "- x",
        ] {
            assert!(!is_inert(v.as_bytes()), "{v:?}");
        }
        assert!(is_address_list(b"192.0.2.1"));
        assert!(is_address_list(
            b"203.0.113.9, 2001:db8::1, [2001:db8::2]:80"
        ));
        assert!(!is_address_list(b"203.0.113.9, unknown"));
        assert!(!is_address_list(b""));
    }

    #[test]
    fn trailing_fields_are_unknown_not_safe() {
        let r = rules(Predefined::Combined);
        let base = format!("192.0.2.1 - - {T} \"GET / HTTP/1.1\" 200 1 \"-\" \"ua\"");
        let want = base.replace("192.0.2.1", "192.0.2.0");
        for (tail, out) in [
            ("0.004 0.003", "0.004 0.003"),
            ("1234", "1234"),
            (
                "\"203.0.113.9, 198.51.100.2\"",
                "\"203.0.113.0, 198.51.100.0\"",
            ),
            ("203.0.113.9", "203.0.113.0"),
            ("host-198.51.100.7 /p?q=secret", "host-198.51.100.0 /p"),
        ] {
            assert_eq!(
                anon(&r, &format!("{base} {tail}")),
                format!("{want} {out}"),
                "{tail}"
            );
        }
        assert_eq!(anon(&r, &base), want);
    }

    #[test]
    fn target_query_secret_text_verbatim_kinds() {
        use crate::format::{FieldKind::*, Piece, Template};
        let lit = |s: &str| Piece::Literal(s.as_bytes().to_vec());
        let t = Template::new(
            "kinds",
            vec![
                Piece::Field(Target),
                lit(" "),
                Piece::Field(Query),
                lit(" "),
                Piece::Field(Secret),
                lit(" "),
                Piece::Field(Text),
                lit(" "),
                Piece::Field(Verbatim),
            ],
        )
        .unwrap();
        let mut r = rules(Predefined::Combined);
        r.parser = Parser::Template(t);
        let line = "/a;jsessionid=S/b?x=198.51.100.7 q=1 sid=abc host-198.51.100.7 0.001";
        assert_eq!(anon(&r, line), "/a/b - - host-198.51.100.0 0.001");
        assert_eq!(anon(&r, "/a ?q=1 - x 1"), "/a  - x 1", "Apache %q empties");
        assert_eq!(anon(&r, "/a - - x 1"), "/a - - x 1");
        r.keep_query = true;
        assert_eq!(
            anon(&r, "/a?x=1 q=198.51.100.7 s x 1"),
            "/a?x=1 q=198.51.100.0 - x 1"
        );
    }
}
