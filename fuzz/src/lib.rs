//! Shared pieces of the fuzz targets: reading choices from the fuzzer's
//! bytes, planting personal data into a line, and the leak oracle.
//!
//! # What is planted, and why it must vanish
//!
//! Every planted item is written as a token of its own: a raw space before
//! and after it, never inside a quoted or bracketed piece that a planted
//! item itself opened. The fuzzer's bytes around it are anything (newlines
//! excepted: one input is one line unless a target says otherwise), so an
//! item may land in any field of a line that still parses, or in text that
//! no format explains. The contract covers both: a client address is
//! truncated (or pseudonymized) wherever it sits, queries, referrers,
//! users, cookies, credentials and e-mail addresses are removed, and text
//! that no rule explains goes through the fail-closed scrubber, which
//! finds each of these on its own.
//!
//! Each item other than a bare address carries a *marker*, `Zq` followed by
//! fuzzer-chosen letters and digits, in the very place a rule must remove:
//! the query value, the user, the cookie value, the credential value, the
//! e-mail local part, the URL password. `Z` never appears in the fuzzer's
//! own bytes (it is lowered), so any `Zq` in the output is a planted value
//! that survived. Addresses are taken from ranges the fuzzer's bytes cannot
//! otherwise produce a host in without the oracle counting it (198.51.100.0/24,
//! 203.0.113.0/24, 2001:db8:abcd:12::/64) with a non-zero host part, so
//! under truncation none may come out with its host part, and under a
//! keyed mode the planted spelling may not come out at all.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, OnceLock};

use anonlog::Config;
use anonlog::anonymize::Anonymizer;
use anonlog::anonymize::pseudonym::LineRewrite;
use anonlog::format::{FieldKind, Fields, Parser, detect};
use anonlog::stats::Stats;
use clap::Parser as _;

/// A cursor over the fuzzer's bytes; past the end every read is zero, so a
/// short input is still a valid (if dull) plan.
pub struct Src<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Src<'a> {
    /// Reads from the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Src { data, pos: 0 }
    }

    /// The next byte, or 0 past the end.
    pub fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    /// The next little-endian `u16`.
    pub fn u16(&mut self) -> u16 {
        u16::from(self.byte()) | (u16::from(self.byte()) << 8)
    }

    /// Up to `n` of the next bytes (fewer at the end).
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let start = self.pos.min(self.data.len());
        let end = start.saturating_add(n).min(self.data.len());
        self.pos = self.pos.saturating_add(n);
        &self.data[start..end]
    }

    /// Everything not read yet.
    pub fn rest(&mut self) -> &'a [u8] {
        let start = self.pos.min(self.data.len());
        self.pos = self.data.len();
        &self.data[start..]
    }

    /// True when every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }
}

/// Makes fuzzer bytes safe to surround planted items with: no line breaks
/// (the targets control line structure) and no `Z`, so the fuzzer cannot
/// spell a marker itself.
pub fn filler(raw: &[u8], keep_newlines: bool) -> Vec<u8> {
    raw.iter()
        .map(|&b| match b {
            b'\n' | b'\r' if !keep_newlines => b' ',
            b'Z' => b'z',
            _ => b,
        })
        .collect()
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A marker: `Zq` and 2 to 9 fuzzer-chosen letters and digits.
pub fn marker(src: &mut Src<'_>) -> String {
    let n = 2 + usize::from(src.byte() % 8);
    let mut m = String::from("Zq");
    for _ in 0..n {
        m.push(char::from(ALNUM[usize::from(src.byte()) % ALNUM.len()]));
    }
    m
}

/// Names the scrubber must treat as credential names (rule 7 of
/// `anonlog::anonymize::scrub`).
const CREDENTIAL_NAMES: &[&str] = &[
    "token",
    "session",
    "sid",
    "password",
    "passwd",
    "auth",
    "user",
    "email",
    "api_key",
    "apiKey",
    "PHPSESSID",
    "access_token",
    "csrf",
    "secret",
];

/// Hosts of planted URLs: names, so no address rule is needed to see them.
const HOSTS: &[&str] = &["host.example", "a.example.org", "shop.example.com"];

/// A planted address with a non-zero host part, spelled as logs write
/// them: bare, with a port, bracketed with a port, v4-mapped.
pub fn address(src: &mut Src<'_>) -> String {
    let h4 = 1 + src.byte() % 254;
    let h6 = 1 + (src.u16() % 0xfffe);
    let port = 1 + (src.u16() % 65535);
    match src.byte() % 7 {
        0 => format!("198.51.100.{h4}"),
        1 => format!("203.0.113.{h4}:{port}"),
        2 => format!("2001:db8:abcd:12::{h6:x}"),
        3 => format!("[2001:db8:abcd:12::{h6:x}]:{port}"),
        4 => format!("2001:db8:abcd:12:{h6:x}::1"),
        5 => format!("::ffff:198.51.100.{h4}"),
        _ => format!("[2001:db8:abcd:12::{h6:x}]"),
    }
}

/// One planted item (see the module documentation).
pub fn item(src: &mut Src<'_>) -> String {
    let kind = src.byte();
    let m = marker(src);
    let host = HOSTS[usize::from(src.byte()) % HOSTS.len()];
    let name = CREDENTIAL_NAMES[usize::from(src.byte()) % CREDENTIAL_NAMES.len()];
    match kind % 12 {
        0 => address(src),
        1 => format!("/p?{name}={m}"),
        2 => format!("/search?q={m}&page=2"),
        3 => format!("https://{host}/p?x={m}"),
        4 => format!("http://u:{m}@{host}/"),
        5 => format!("{m}@{host}"),
        6 => format!("{m}%40{host}"),
        7 => format!("Cookie: sid={m}"),
        8 => format!("{name}={m}"),
        9 => format!("/shop;jsessionid={m}"),
        10 => format!("X-Api-Key:{m}"),
        _ => format!("http://{host}/ref?utm={m}"),
    }
}

/// A CLF start with a planted client, ident and user, and a request that
/// the items after it cannot become part of:
/// `CLIENT IDENT USER [time] "GET / HTTP/1.1" `.
pub fn clf_start(src: &mut Src<'_>) -> String {
    let client = address(src);
    let ident = marker(src);
    let user = marker(src);
    let ident = if src.byte() % 2 == 0 {
        "-".into()
    } else {
        ident
    };
    format!("{client} {ident} {user} [22/Nov/2026:08:38:17 +0000] \"GET / HTTP/1.1\" ")
}

/// A line of fuzzer text with planted items, each a token of its own.
///
/// The layout byte picks whether a CLF start (planted client, ident and
/// user) leads, then runs of filler and items alternate; each item is put
/// at a raw-space boundary of the filler, so it is never glued to what
/// the fuzzer wrote.
pub fn planted_line(src: &mut Src<'_>, out: &mut Vec<u8>) {
    let layout = src.byte();
    if layout & 1 == 1 {
        out.extend_from_slice(clf_start(src).as_bytes());
    }
    let items = usize::from(layout >> 1) % 6;
    for _ in 0..items {
        let n = usize::from(src.byte() % 48);
        out.extend_from_slice(&filler(src.take(n), false));
        out.push(b' ');
        out.extend_from_slice(item(src).as_bytes());
        out.push(b' ');
    }
    out.extend_from_slice(&filler(src.rest(), false));
}

/// Plants items at raw-space boundaries of an existing line (a seed line of
/// the corpus, most often): the line keeps its shape, so it may still
/// parse, and the items land inside its fields.
pub fn plant_into(line: &[u8], src: &mut Src<'_>, out: &mut Vec<u8>) {
    let line = filler(line, false);
    let inside = request_spans(&line);
    let spaces: Vec<usize> = line
        .iter()
        .enumerate()
        .filter(|&(i, b)| *b == b' ' && !inside.iter().any(|r| r.contains(&i)))
        .map(|(i, _)| i)
        .collect();
    let mut at: Vec<(usize, String)> = Vec::new();
    let n = usize::from(src.byte() % 4);
    for _ in 0..n {
        if spaces.is_empty() {
            break;
        }
        let pos = spaces[usize::from(src.u16()) % spaces.len()];
        at.push((pos, item(src)));
    }
    at.sort_by_key(|(p, _)| *p);
    let mut last = 0;
    for (pos, it) in at {
        out.extend_from_slice(&line[last..=pos]);
        out.extend_from_slice(it.as_bytes());
        out.push(b' ');
        last = pos + 1;
    }
    out.extend_from_slice(&line[last..]);
}

/// The quoted requests of `line` (`"METHOD ` up to the next `"`): an item
/// put there would be part of a request target, whose path is kept by
/// design (only its query goes), so nothing is planted inside them.
pub fn request_spans(line: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < line.len() {
        if line[i] == b'"' {
            let method = line[i + 1..]
                .iter()
                .take_while(|b| b.is_ascii_uppercase())
                .count();
            if method >= 3 && line.get(i + 1 + method) == Some(&b' ') {
                let body = i + 2 + method;
                let end = line[body..]
                    .iter()
                    .position(|&b| b == b'"')
                    .map_or(line.len(), |p| body + p);
                spans.push(i..end + 1);
                i = end + 1;
                continue;
            }
        }
        i += 1;
    }
    spans
}

/// How a target builds its line from the fuzzer's bytes: the first byte
/// decides between planting into the rest (kept whole, as a seed line) or
/// building a line of filler and items.
pub fn build_line(src: &mut Src<'_>, out: &mut Vec<u8>) {
    if src.byte() & 1 == 0 {
        let len = usize::from(src.u16());
        let line = src.take(len);
        plant_into(line, src, out);
    } else {
        planted_line(src, out);
    }
}

/// The resolved configuration for `args` (after `anonlog`), with a fixed
/// test key written once per process for the keyed modes.
pub fn config(args: &[&str]) -> Config {
    let mut full = vec!["anonlog", "-q", "--max-unparsed", "100%", "-j", "1"];
    full.extend_from_slice(args);
    let key = key_file();
    if args.contains(&"--pseudonymize") || args.contains(&"pseudonymize") {
        full.push("--key-file");
        full.push(key);
    }
    let cli = anonlog::app::cli::Cli::try_parse_from(full).expect("fuzz arguments parse");
    anonlog::app::resolve::config(cli).expect("fuzz configuration resolves")
}

/// The fixed test key (never a real one: 32 bytes 0x01..0x20).
pub const TEST_KEY_HEX: &str = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";

fn key_file() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| {
        let path = std::env::temp_dir().join(format!("anonlog-fuzz-{}.key", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let key = anonlog::anonymize::pseudonym::MasterKey::from_hex(TEST_KEY_HEX).unwrap();
        anonlog::app::keyfile::write_key_file(&path, &key).expect("test key written");
        path.to_str().unwrap().to_owned()
    })
}

/// Anonymizes `block` as the pipeline does for one input: with candidates
/// (`-f auto`), the format is detected on the block, or chosen per line
/// when `per_line` (as the listener does).
pub fn anonymize<R: LineRewrite>(
    anonymizer: &mut Anonymizer<'_, R>,
    config: &Config,
    block: &[u8],
    per_line: bool,
) -> Vec<u8> {
    let rules = &config.rules;
    if per_line {
        anonymizer.select_per_line();
    } else if !rules.candidates.is_empty() {
        anonymizer.select(detect::detect(block, &rules.candidates, rules.max_unparsed));
    } else {
        anonymizer.select(None);
    }
    let mut out = Vec::new();
    let mut stats = Stats::default();
    anonymizer
        .process_block(block, &mut out, &mut stats)
        .expect("on-unparsed scrub never fails a block");
    out
}

/// A shared configuration per argument list, built once per process.
pub fn cached(slot: &'static OnceLock<Arc<Config>>, args: &[&str]) -> Arc<Config> {
    Arc::clone(slot.get_or_init(|| Arc::new(config(args))))
}

/// Field kinds whose text is kept by design except for its addresses, so
/// a marker planted into one of them may survive:
/// * `Request`, `Target`: a request's path is kept (only its query goes);
///   the planting keeps items out of quoted requests, and a compiled
///   format's unquoted request or target field is exempt here.
/// * `Text`, `Vhost`: server-made text (host names, paths) kept but
///   scrubbed of addresses.
///
/// (The user agent was exempt while it was only scrubbed of addresses; it
/// now gets the scrubber, product versions kept, and is judged.)
pub const KEPT_KINDS: [FieldKind; 4] = [
    FieldKind::Request,
    FieldKind::Target,
    FieldKind::Text,
    FieldKind::Vhost,
];

/// The ident and user markers of a [`clf_start`] at the start of `line`.
/// They are personal only where a rule can tell they are a user: in a
/// parsed CLF line, or by the scrubber's CLF-start rule at the start of an
/// unparsed one. Targets exempt them where that does not hold (a header in
/// front of them, a compiled format that gives the positions other
/// meanings).
pub fn clf_user_markers(line: &[u8]) -> Vec<Vec<u8>> {
    let words: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
    if words.len() > 3 && words[3].starts_with(b"[22/Nov/2026") {
        vec![words[1].to_vec(), words[2].to_vec()]
    } else {
        Vec::new()
    }
}

/// Every marker in `text`.
pub fn all_markers(text: &[u8]) -> Vec<Vec<u8>> {
    markers(text).into_iter().map(|(_, m)| m.to_vec()).collect()
}

/// The markers in `text`, with their start offsets.
fn markers(text: &[u8]) -> Vec<(usize, &[u8])> {
    let mut found = Vec::new();
    let mut i = 0;
    while i + 1 < text.len() {
        if &text[i..i + 2] == b"Zq" {
            let end = i
                + 2
                + text[i + 2..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric())
                    .count();
            found.push((i, &text[i..end]));
            i = end;
        } else {
            i += 1;
        }
    }
    found
}

/// The markers of `block` that lie in a field of a [`KEPT_KINDS`] kind of
/// a line that one of `parsers` parses (the parsers the anonymizer may
/// have used for it).
pub fn exempt_markers(parsers: &[&Parser], block: &[u8]) -> Vec<Vec<u8>> {
    let mut exempt = Vec::new();
    let mut fields = Fields::new();
    for line in block.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let found = markers(line);
        if found.is_empty() {
            continue;
        }
        for p in parsers {
            if !p.parse(line, &mut fields) {
                continue;
            }
            for &(at, m) in &found {
                let kept = fields
                    .spans()
                    .iter()
                    .any(|s| KEPT_KINDS.contains(&s.kind) && s.start <= at && at < s.end);
                if kept {
                    exempt.push(m.to_vec());
                }
            }
        }
    }
    exempt
}

/// The parser the anonymizer used for `line` after [`anonymize`]: the one
/// it selected, or with `per_line` the first candidate that accepts it.
pub fn used_parser<'a, R: LineRewrite>(
    anonymizer: &Anonymizer<'a, R>,
    rules: &'a anonlog::anonymize::Rules,
    line: &[u8],
    per_line: bool,
) -> Vec<&'a Parser> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if per_line && !rules.candidates.is_empty() {
        let mut fields = Fields::new();
        return rules
            .candidates
            .iter()
            .find(|p| p.parse(line, &mut fields))
            .into_iter()
            .collect();
    }
    anonymizer.parser().into_iter().collect()
}

fn check_markers(input: &[u8], output: &[u8], exempt: &[Vec<u8>]) {
    for (_, m) in markers(output) {
        // A kept field may end inside an exempt marker (a literal cut it):
        // what comes out is then its start.
        if !exempt.iter().any(|e| e.starts_with(m)) {
            panic!(
                "planted marker survived: {:?}\ninput:  {:?}\noutput: {:?}",
                String::from_utf8_lossy(m),
                String::from_utf8_lossy(input),
                String::from_utf8_lossy(output)
            );
        }
    }
}

/// Lines in `b`, counting a final line without newline.
pub fn count_lines(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c == b'\n').count() + usize::from(!b.is_empty() && !b.ends_with(b"\n"))
}

fn in_planted_v4(a: Ipv4Addr) -> bool {
    let o = a.octets();
    (o[..3] == [198, 51, 100] || o[..3] == [203, 0, 113]) && o[3] != 0
}

fn in_planted_v6(a: Ipv6Addr) -> bool {
    if let Some(v4) = a.to_ipv4_mapped() {
        return in_planted_v4(v4);
    }
    let s = a.segments();
    s[..4] == [0x2001, 0xdb8, 0xabcd, 0x12] && u128::from(a) & ((1u128 << 80) - 1) != 0
}

/// The runs of address characters in `text` (percent-encoded dots and
/// colons decoded), without the IPv4 ones shaped like a product version.
///
/// A user agent keeps `NAME/a.b.c.d` as written (`Chrome/120.0.0.0`;
/// `anonlog::anonymize::ua` documents that `Device/192.0.2.7` cannot be
/// told from `Firefox/2.0.0.4`): such a run, `NAME` of token characters
/// after the start, whitespace, a quote or one of `();,`, is left out, in
/// every field, since the oracle does not know where the user agent is.
fn address_tokens(text: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(text)
        .replace("%2E", ".")
        .replace("%2e", ".")
        .replace("%3A", ":")
        .replace("%3a", ":");
    let b = text.as_bytes();
    let mut found = Vec::new();
    let is_addr = |c: u8| c.is_ascii_hexdigit() || c == b'.' || c == b':';
    let mut i = 0;
    while i < b.len() {
        if !is_addr(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && is_addr(b[i]) {
            i += 1;
        }
        let tok = text[start..i].trim_matches(|c| c == ':' || c == '.');
        if tok.parse::<Ipv4Addr>().is_ok() && version_slot(b, start) {
            continue;
        }
        found.push(tok.to_owned());
    }
    found
}

/// Whether `b[at..]` follows `NAME/` (or `rv:`) where a user agent keeps
/// a product version.
fn version_slot(b: &[u8], at: usize) -> bool {
    let head = &b[..at];
    let name = if let Some(h) = head.strip_suffix(b"/") {
        h
    } else if let Some(h) = head.strip_suffix(b"rv:") {
        return h.last().is_none_or(|c| b" \t\"();,".contains(c));
    } else {
        return false;
    };
    let token = |c: &u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(c);
    let n = name.iter().rev().take_while(|c| token(c)).count();
    n > 0
        && name[..name.len() - n]
            .last()
            .is_none_or(|c| b" \t\"();,".contains(c))
}

/// Addresses of the planted ranges with a host part in `text`: under
/// truncation, none may remain.
pub fn raw_addresses(text: &[u8]) -> Vec<String> {
    address_tokens(text)
        .into_iter()
        .filter(|tok| match tok.parse::<Ipv4Addr>() {
            Ok(a) => in_planted_v4(a),
            Err(_) => tok.parse::<Ipv6Addr>().is_ok_and(in_planted_v6),
        })
        .collect()
}

/// The leak oracle: panics (a crash for libFuzzer) when a marker (other
/// than one of `exempt`, see [`exempt_markers`]) or a planted address
/// survives in `output`, or a line was lost or invented.
/// Only lengths and what leaked are shown: the input is in the crash file.
pub fn assert_no_leak(input: &[u8], output: &[u8], exempt: &[Vec<u8>]) {
    assert_no_leak_allowing(input, output, exempt, &[]);
}

/// [`assert_no_leak`], where the addresses in `allowed` may come out: the
/// literal text of a compiled format is copied as written, and a random
/// format string may spell a planted address.
pub fn assert_no_leak_allowing(
    input: &[u8],
    output: &[u8],
    exempt: &[Vec<u8>],
    allowed: &[String],
) {
    assert_eq!(
        count_lines(input),
        count_lines(output),
        "line count changed: {} in, {} out",
        count_lines(input),
        count_lines(output)
    );
    check_markers(input, output, exempt);
    let raw: Vec<String> = raw_addresses(output)
        .into_iter()
        .filter(|a| !allowed.contains(a))
        .collect();
    assert!(
        raw.is_empty(),
        "planted address survived: {raw:?}\ninput:  {:?}\noutput: {:?}",
        String::from_utf8_lossy(input),
        String::from_utf8_lossy(output)
    );
}

fn addresses(text: &[u8]) -> Vec<u128> {
    address_tokens(text)
        .iter()
        .filter_map(|t| match t.parse::<Ipv4Addr>() {
            Ok(a) => Some(u128::from(a.to_ipv6_mapped())),
            Err(_) => t.parse::<Ipv6Addr>().ok().map(u128::from),
        })
        .collect()
}

/// The keyed oracle: as [`assert_no_leak`] for markers and line counts,
/// and no address of the planted ranges that was in `input` comes out in
/// `output` at all (a pseudonym may have any host part, so the range
/// check of [`raw_addresses`] does not apply).
pub fn assert_no_leak_keyed(input: &[u8], output: &[u8], exempt: &[Vec<u8>]) {
    assert_eq!(
        count_lines(input),
        count_lines(output),
        "line count changed"
    );
    check_markers(input, output, exempt);
    let planted: Vec<u128> = addresses(input)
        .into_iter()
        .filter(|&a| in_planted_v6(Ipv6Addr::from(a)))
        .collect();
    for a in addresses(output) {
        assert!(
            !planted.contains(&a),
            "planted address {} survived a keyed mode\ninput:  {:?}\noutput: {:?}",
            Ipv6Addr::from(a),
            String::from_utf8_lossy(input),
            String::from_utf8_lossy(output)
        );
    }
}
