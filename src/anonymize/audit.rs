//! The audit behind `anonlog check`: the anonymizer itself, run with an
//! address rewriter that also notes, line by line, what a run would change.
//!
//! A log is clean exactly when anonymizing it under the same policy would
//! change nothing personal, so the audit asks the code that anonymizes
//! instead of keeping a second set of rules that could drift from it:
//!
//! * An address is a finding when the rewriter would write another one in
//!   its place (`inner.rewrite(a) != a`): a host address, not a network
//!   address under the prefixes, wherever the anonymizer finds it (client,
//!   X-Forwarded-For, paths, user agents, mapped and 6to4 forms, an error
//!   log's `[client ...]`), and so is text shaped like an address that the
//!   fail-closed path would zero ([`AddrRewrite::zeroed`]). With
//!   `pseudonymized`, addresses are taken as they are: none is a finding.
//! * Everything else is read from the per-line change of the run's own
//!   counters ([`Stats`]), which count only what a run changes: a query, a
//!   referrer other than `-` (or than an origin, with `--referrer origin`),
//!   a user, a secret (client port, session id, cookie, credential, URL
//!   userinfo), an e-mail address, a client that is no address, a line
//!   longer than the limit.
//! * A line that does not parse is [`Class::Unparsed`]: listed, but no
//!   finding by itself. The scrubber a run would put it through is part of
//!   the audit, so whatever it would remove from the line is counted in the
//!   classes above.
//!
//! Nothing here keeps any byte of a line: findings are line numbers.

use super::pseudonym::{LineKeying, LineRewrite};
use crate::addr::{Addr, AddrRewrite};
use crate::stats::Stats;

/// What a line can hold that a run would remove or change, and lines that
/// do not parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    /// A host address: one that is not a network address under the
    /// prefixes, or address-like text the scrubber would zero.
    Address,
    /// A client field that holds no address (a host name), written as
    /// `0.0.0.0` by a run; an X-Forwarded-For entry that is a host name.
    NonAddress,
    /// A query string.
    Query,
    /// A referrer other than `-` (or than an origin, with `--referrer
    /// origin`).
    Referrer,
    /// A remote user or identd logname.
    User,
    /// A client port, session id, cookie, credential or URL userinfo.
    Secret,
    /// An e-mail address.
    Email,
    /// A line longer than `--max-line-bytes`: what it holds is unknown.
    Oversized,
    /// A line that does not parse as the format: not a finding by itself.
    Unparsed,
}

impl Class {
    /// Every class, in the order reports list them.
    pub const ALL: [Class; 9] = [
        Class::Address,
        Class::NonAddress,
        Class::Query,
        Class::Referrer,
        Class::User,
        Class::Secret,
        Class::Email,
        Class::Oversized,
        Class::Unparsed,
    ];

    /// Whether lines of this class make a log not clean: every class but
    /// [`Class::Unparsed`].
    pub fn is_finding(self) -> bool {
        self != Class::Unparsed
    }
}

/// How many line numbers [`Lines`] keeps.
pub const FIRST_LINES: usize = 10;

/// The lines a class was found on: how many, and the first
/// [`FIRST_LINES`] of them in ascending order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lines {
    count: u64,
    first: [u64; FIRST_LINES],
    len: usize,
}

impl Lines {
    /// Adds `line`, which comes after every line added before.
    pub fn add(&mut self, line: u64) {
        self.count += 1;
        if self.len < FIRST_LINES {
            self.first[self.len] = line;
            self.len += 1;
        }
    }

    /// How many lines.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The first lines, ascending.
    pub fn first(&self) -> &[u64] {
        &self.first[..self.len]
    }

    /// Adds the lines of `later`, each shifted by `offset`; they all come
    /// after the lines here (a later block of the same input).
    pub fn append(&mut self, later: &Lines, offset: u64) {
        let count = self.count + later.count;
        for &l in later.first() {
            self.add(l + offset);
        }
        self.count = count;
    }

    /// Adds the lines of `other`, found apart from these (another source of
    /// the same input), keeping the first ones in order.
    pub fn merge(&mut self, other: &Lines) {
        let mut all: Vec<u64> = self.first().iter().chain(other.first()).copied().collect();
        all.sort_unstable();
        all.dedup();
        let count = self.count + other.count;
        *self = Lines::default();
        all.iter().take(FIRST_LINES).for_each(|&l| self.add(l));
        self.count = count;
    }
}

/// The [`Lines`] of every class, for one block (0-based line indexes in
/// the block) or one input (1-based line numbers).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Findings {
    classes: [Lines; Class::ALL.len()],
    /// Lines with at least one finding.
    flagged: Lines,
}

impl Findings {
    /// The lines of `class`.
    pub fn get(&self, class: Class) -> &Lines {
        &self.classes[class as usize]
    }

    /// The lines with at least one finding.
    pub fn flagged(&self) -> &Lines {
        &self.flagged
    }

    /// Adds the findings of a later block, its indexes shifted by
    /// `offset`.
    pub fn append(&mut self, later: &Findings, offset: u64) {
        for (mine, theirs) in self.classes.iter_mut().zip(&later.classes) {
            mine.append(theirs, offset);
        }
        self.flagged.append(&later.flagged, offset);
    }

    /// Adds `lines` of `class` found apart from the others (lines the
    /// chunker could not hold), on lines that have no other finding.
    pub fn merge(&mut self, class: Class, lines: &Lines) {
        self.classes[class as usize].merge(lines);
        if class.is_finding() {
            self.flagged.merge(lines);
        }
    }

    /// No line of any finding class ([`Class::is_finding`]).
    pub fn is_clean(&self) -> bool {
        Class::ALL
            .iter()
            .all(|&c| !c.is_finding() || self.get(c).count() == 0)
    }
}

/// What the audit expects of a log besides the run's policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuditPolicy {
    /// The addresses are keyed pseudonyms (`--pseudonymized`): they look
    /// like whole addresses and are not findings.
    pub pseudonymized: bool,
}

/// An address rewriter that rewrites as `inner` does and notes what the
/// rewrite would change, for the anonymizer to run as an audit (see the
/// module documentation).
///
/// Guarantees: with `pseudonymized` every address is written back as it
/// was, otherwise as `inner` writes it, so the output is that of a run;
/// the findings depend only on the lines, never on how they were cut into
/// blocks or on the thread that audits them.
pub struct Audit<R> {
    inner: R,
    pseudonymized: bool,
    /// Addresses of the current line a run would change.
    changed: u32,
    findings: Findings,
}

impl<R> Audit<R> {
    /// An audit that rewrites with `inner`.
    pub fn new(inner: R, policy: AuditPolicy) -> Self {
        Audit {
            inner,
            pseudonymized: policy.pseudonymized,
            changed: 0,
            findings: Findings::default(),
        }
    }
}

impl<R: AddrRewrite> AddrRewrite for Audit<R> {
    #[inline]
    fn rewrite(&mut self, addr: Addr) -> Addr {
        if self.pseudonymized {
            return addr;
        }
        let new = self.inner.rewrite(addr);
        self.changed += u32::from(new != addr);
        new
    }

    fn keeps_v4(&self) -> bool {
        self.inner.keeps_v4()
    }

    fn keeps_v6(&self) -> bool {
        self.inner.keeps_v6()
    }

    fn zeroed(&mut self) {
        self.changed += 1;
    }
}

impl<R: LineRewrite> LineRewrite for Audit<R> {
    const AUDITS: bool = true;

    fn begin_line<'t>(&mut self, time: impl FnOnce() -> Option<&'t [u8]>) -> LineKeying {
        self.inner.begin_line(time)
    }

    fn user_token(&mut self, user: &[u8], out: &mut Vec<u8>) -> bool {
        self.inner.user_token(user, out)
    }

    fn end_line(&mut self, index: u64, before: &Stats, after: &Stats) {
        let grew = |count: fn(&Stats) -> u64| count(after) > count(before);
        let fired = [
            (Class::Address, std::mem::take(&mut self.changed) > 0),
            (Class::NonAddress, grew(|s| s.non_addresses)),
            (Class::Query, grew(|s| s.queries)),
            (Class::Referrer, grew(|s| s.referrers)),
            (Class::User, grew(|s| s.users + s.users_pseudonymized)),
            (Class::Secret, grew(|s| s.secrets)),
            (Class::Email, grew(|s| s.emails)),
            (Class::Oversized, grew(|s| s.oversized)),
            (Class::Unparsed, grew(|s| s.scrubbed + s.dropped)),
        ];
        let mut any = false;
        for (class, yes) in fired {
            if yes {
                self.findings.classes[class as usize].add(index);
                any |= class.is_finding();
            }
        }
        if any {
            self.findings.flagged.add(index);
        }
    }

    fn take_findings(&mut self) -> Option<Box<Findings>> {
        Some(Box::new(std::mem::take(&mut self.findings)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::Truncate;
    use crate::anonymize::{Anonymizer, Rules};
    use crate::format::{Parser, Predefined};

    const T: &str = "[22/Nov/2026:08:38:17 +0000]";

    /// The findings of one block, and the run's output for it.
    fn audit(rules: &Rules, pseudonymized: bool, block: &str) -> (Findings, String) {
        let rw = Audit::new(
            Truncate::new(24, 48).unwrap(),
            AuditPolicy { pseudonymized },
        );
        let mut a = Anonymizer::new(rules, rw);
        let (mut out, mut stats) = (Vec::new(), Stats::default());
        a.process_block(block.as_bytes(), &mut out, &mut stats)
            .unwrap();
        let f = a.take_findings().expect("an audit has findings");
        (*f, String::from_utf8(out).unwrap())
    }

    fn lines(f: &Findings, c: Class) -> Vec<u64> {
        f.get(c).first().to_vec()
    }

    fn combined() -> Rules {
        Rules::new(Parser::Template(Predefined::Combined.template()))
    }

    #[test]
    fn each_class_is_found_on_its_line() {
        let line = |client: &str, user: &str, target: &str, referrer: &str, ua: &str| {
            format!(
                "{client} - {user} {T} \"GET {target} HTTP/1.1\" 200 1 \"{referrer}\" \"{ua}\"\n"
            )
        };
        let block = [
            line("192.0.2.0", "-", "/", "-", "ua"),
            line("192.0.2.7", "-", "/", "-", "ua"),
            line("192.0.2.0", "alice", "/", "-", "ua"),
            line("192.0.2.0", "-", "/p?q=1", "-", "ua"),
            line("192.0.2.0", "-", "/", "https://r.example/p", "ua"),
            line("192.0.2.0:5000", "-", "/a;jsessionid=S", "-", "ua"),
            line("192.0.2.0", "-", "/", "-", "bot jane@example.com"),
            line("host.example", "-", "/", "-", "ua"),
            "garbage 198.51.100.7\n".to_owned(),
            "garbage without anything\n".to_owned(),
            line("2001:db8::", "-", "/x/2001:db8::1", "-", "ua"),
            line("::ffff:192.0.2.9", "-", "/", "-", "ua"),
            line("192.0.2.0", "-", "/v/5.198.51.100.7", "-", "ua"),
            "\n".to_owned(),
        ]
        .concat();
        let (f, _) = audit(&combined(), false, &block);
        assert_eq!(lines(&f, Class::Address), [1, 8, 10, 11, 12]);
        assert_eq!(lines(&f, Class::User), [2]);
        assert_eq!(lines(&f, Class::Query), [3]);
        assert_eq!(lines(&f, Class::Referrer), [4]);
        assert_eq!(lines(&f, Class::Secret), [5]);
        assert_eq!(lines(&f, Class::Email), [6]);
        assert_eq!(lines(&f, Class::NonAddress), [7]);
        assert_eq!(lines(&f, Class::Unparsed), [8, 9]);
        assert!(lines(&f, Class::Oversized).is_empty());
        assert_eq!(f.flagged().first(), [1, 2, 3, 4, 5, 6, 7, 8, 10, 11]);
        assert_eq!(f.flagged().count(), 11);
        assert!(!f.is_clean());
    }

    #[test]
    fn an_anonymized_block_is_clean_and_unparsed_lines_are_no_finding() {
        let raw = format!(
            "198.51.100.7:5000 - alice {T} \"GET /p?q=1 HTTP/1.1\" 200 1 \"https://r.example/?a\" \"bot 203.0.113.9 jane@example.com\"\ngarbage 198.51.100.7 /p?x=1 sid=abc\n"
        );
        let (f, once) = audit(&combined(), false, &raw);
        assert!(!f.is_clean());
        let (f, twice) = audit(&combined(), false, &once);
        assert!(f.is_clean(), "{f:?}");
        assert_eq!(twice, once, "the audit's output is a run's");
        assert_eq!(lines(&f, Class::Unparsed), [1]);
    }

    #[test]
    fn pseudonymized_addresses_are_no_finding_anything_else_is() {
        let block = format!(
            "198.51.100.7 - - {T} \"GET /x/2001:db8::1 HTTP/1.1\" 200 1 \"-\" \"-\"\n198.51.100.7 - - {T} \"GET /?q HTTP/1.1\" 200 1 \"-\" \"-\"\n"
        );
        let (f, out) = audit(&combined(), true, &block);
        assert!(lines(&f, Class::Address).is_empty());
        assert_eq!(lines(&f, Class::Query), [1]);
        assert!(out.starts_with("198.51.100.7 - - "), "written as it was");
        let (f, _) = audit(&combined(), true, "x 5.198.51.100.7\n");
        assert_eq!(lines(&f, Class::Address), [0], "no whole address: zeroed");
    }

    #[test]
    fn over_long_lines_are_found() {
        let mut r = combined();
        r.max_line = 8;
        let (f, out) = audit(&r, false, "short\nmuch too long\n");
        assert_eq!(lines(&f, Class::Oversized), [1]);
        assert_eq!(out, "short\n\n");
    }

    #[test]
    fn lines_keep_the_first_ones_and_count_all() {
        let mut a = Lines::default();
        (0..25).for_each(|i| a.add(i));
        assert_eq!(a.count(), 25);
        assert_eq!(a.first(), (0..10).collect::<Vec<_>>());
        let mut input = Lines::default();
        input.add(3);
        input.append(&a, 100);
        assert_eq!(input.count(), 26);
        assert_eq!(
            input.first(),
            [3, 100, 101, 102, 103, 104, 105, 106, 107, 108]
        );
        let mut b = Lines::default();
        [2, 50].iter().for_each(|&l| b.add(l));
        let mut c = Lines::default();
        [1, 7, 60].iter().for_each(|&l| c.add(l));
        b.merge(&c);
        assert_eq!((b.count(), b.first()), (5, &[1, 2, 7, 50, 60][..]));
    }
}
