//! One line per input, in every predefined format and `-f auto`.
//!
//! Layout: byte 0 picks the format (`FORMATS`) and the referrer policy;
//! the rest builds one line with planted items (`anonlog_fuzz::build_line`:
//! either a seed line with items at its spaces, or filler and items). The
//! referrer policy may be `keep`: every planted URL item hides its marker
//! in a query or userinfo, which every policy removes.
//!
//! Asserts the leak oracle (`anonlog_fuzz::assert_no_leak`): one line out,
//! no marker, no planted address with its host part.
#![no_main]

use std::sync::{Arc, OnceLock};

use anonlog::Config;
use anonlog::anonymize::Anonymizer;
use anonlog_fuzz::{
    Src, anonymize, assert_no_leak, build_line, cached, exempt_markers, used_parser,
};
use libfuzzer_sys::fuzz_target;

const FORMATS: [&str; 8] = [
    "combined",
    "common",
    "main",
    "vhost_combined",
    "json",
    "nginx-error",
    "apache-error",
    "auto",
];
const REFERRER: [&str; 3] = ["remove", "origin", "keep"];

static CONFIGS: [OnceLock<Arc<Config>>; 24] = [const { OnceLock::new() }; 24];

fuzz_target!(|data: &[u8]| {
    let mut src = Src::new(data);
    let pick = usize::from(src.byte()) % 24;
    let (f, r) = (pick % 8, pick / 8);
    let config = cached(
        &CONFIGS[pick],
        &["-f", FORMATS[f], "--referrer", REFERRER[r]],
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
    assert_no_leak(&line, &out, &exempt);
});
