//! The nginx `log_format` and Apache `LogFormat` compilers, with random
//! format strings.
//!
//! Layout: byte 0 picks the compiler (even: nginx, odd: Apache); a `u16`
//! length and that many bytes are the format string (lossy UTF-8, as a
//! command-line argument is); the rest builds a line with planted items.
//!
//! A compiler must not panic, whatever the string. When it compiles, the
//! format then anonymizes the line, and the leak oracle holds: every field
//! kind a compiled format can produce is anonymized by its rule, and a
//! field without a rule is scrubbed, so no planted item survives a
//! compiled format either.
#![no_main]

use std::sync::{Arc, OnceLock};

use anonlog::Config;
use anonlog::anonymize::{Anonymizer, Rules};
use anonlog::format::{FieldKind, Parser, apache, nginx};
use anonlog_fuzz::{
    Src, anonymize, assert_no_leak_allowing, build_line, cached, clf_user_markers, exempt_markers,
    filler, raw_addresses, used_parser,
};
use libfuzzer_sys::fuzz_target;

static BASE: OnceLock<Arc<Config>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let mut src = Src::new(data);
    let apache_spec = src.byte() & 1 == 1;
    let len = usize::from(src.u16() % 512);
    // A literal of the format is copied as written, so the format string
    // must not spell a marker either.
    let spec = String::from_utf8_lossy(&filler(src.take(len), true)).into_owned();
    let compiled = if apache_spec {
        apache::compile("fuzz", &spec).map(|c| c.template)
    } else {
        nginx::compile("fuzz", &spec).map(|c| c.template)
    };
    let Ok(template) = compiled else {
        return;
    };
    let base = cached(&BASE, &["-f", "combined"]);
    let rules = Rules {
        parser: Parser::Template(template),
        candidates: Vec::new(),
        ..(*base.rules).clone()
    };
    let mut line = Vec::new();
    build_line(&mut src, &mut line);
    line.push(b'\n');
    let mut anonymizer = Anonymizer::new(&rules, base.rewrite.rewriter());
    anonymizer.select(None);
    let out = anonymize(&mut anonymizer, &base, &line, false);
    let mut exempt = exempt_markers(&used_parser(&anonymizer, &rules, &line, false), &line);
    let mut fields = anonlog::format::Fields::new();
    let allowed = raw_addresses(spec.as_bytes());
    if rules.parser.parse(&line[..line.len() - 1], &mut fields) {
        // Fields joined by nothing or by a literal that starts or ends with an
        // address character (`%U%q0%{X}i`)
        // split an address or an item into pieces that are nothing each,
        // and the output joins them again (`198.51.10` `0` `.1`, `a%4`
        // `0` `host.example`): no rule can see it, so such a line is only
        // run, not judged.
        let addr = |b: &u8| b.is_ascii_hexdigit() || *b == b'.' || *b == b':';
        // Likewise a literal that runs on from a word of the field before
        // it, or into a word of the field after it (`%r i%D` cut `email`
        // into `ema`, `i` and `l=Zq…`): the scrubber sees `l=Zq…`, a pair
        // whose name is no credential, and the output joins the name again.
        let word = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
        let split = fields.spans().windows(2).any(|w| {
            let gap = &line[w[0].end..w[1].start];
            let before = line[w[0].start..w[0].end].last();
            let after = line[w[1].start..w[1].end].first();
            gap.first().is_none_or(addr)
                || gap.last().is_some_and(addr)
                || before.is_some_and(word) && gap.first().is_some_and(word)
                || after.is_some_and(word) && gap.last().is_some_and(word)
        });
        if split {
            // The pieces may also join what follows them (`Zq0` and
            // `email-redacted`), so nothing of the line is judged.
            assert_eq!(anonlog_fuzz::count_lines(&out), 1, "line count changed");
            return;
        }
        // A random format gives a CLF start's ident and user positions
        // meanings of its own (a cache status, a duration): they are
        // users only where the format says so.
        let users: Vec<_> = fields
            .spans()
            .iter()
            .filter(|s| matches!(s.kind, FieldKind::Ident | FieldKind::User))
            .map(|s| &line[s.start..s.end])
            .collect();
        exempt.extend(
            clf_user_markers(&line)
                .into_iter()
                .filter(|m| !users.contains(&m.as_slice())),
        );
    }
    assert_no_leak_allowing(&line, &out, &exempt, &allowed);
});
