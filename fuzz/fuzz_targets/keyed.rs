//! The keyed modes: `--pseudonymize pfx|det|cryptopan` with a fixed test
//! key, users removed or pseudonymized.
//!
//! Layout: byte 0 picks the mode, the user policy and the format; the rest
//! builds one line with planted items.
//!
//! Asserts `anonlog_fuzz::assert_no_leak_keyed`: one line out, no marker
//! (a pseudonymized user is a keyed token, never the name), and no planted
//! address at all: every address a keyed mode rewrites becomes a
//! pseudonym, and one it cannot key is truncated, so the planted spelling
//! never comes out.
#![no_main]

use std::sync::{Arc, OnceLock};

use anonlog::Config;
use anonlog::anonymize::Anonymizer;
use anonlog_fuzz::{
    Src, anonymize, assert_no_leak_keyed, build_line, cached, exempt_markers, used_parser,
};
use libfuzzer_sys::fuzz_target;

const MODES: [&str; 3] = ["pfx", "det", "cryptopan"];
const USERS: [&str; 2] = ["remove", "pseudonymize"];
const FORMATS: [&str; 4] = ["auto", "combined", "json", "nginx-error"];

static CONFIGS: [OnceLock<Arc<Config>>; 24] = [const { OnceLock::new() }; 24];

fuzz_target!(|data: &[u8]| {
    let mut src = Src::new(data);
    let pick = usize::from(src.byte()) % 24;
    let (m, u, f) = (pick % 3, (pick / 3) % 2, pick / 6);
    let config = cached(
        &CONFIGS[pick],
        &[
            "--pseudonymize",
            MODES[m],
            "--user",
            USERS[u],
            "-f",
            FORMATS[f],
        ],
    );
    let mut line = Vec::new();
    build_line(&mut src, &mut line);
    line.push(b'\n');
    let mut anonymizer = Anonymizer::new(&config.rules, config.rewrite.rewriter());
    let out = anonymize(&mut anonymizer, &config, &line, false);
    let exempt = exempt_markers(
        &used_parser(&anonymizer, &config.rules, &line, false),
        &line,
    );
    assert_no_leak_keyed(&line, &out, &exempt);
});
