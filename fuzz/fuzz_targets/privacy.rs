//! One line per input, in every predefined format and `-f auto`, with the
//! finer privacy options of issue 16: every path class and hourly times;
//! generalized user agents, a kept network and daily times; kept query
//! parameters with kept referrers and no path rules.
//!
//! Layout: byte 0 picks the format (`FORMATS`) and the option set; the
//! rest builds one line with planted items (`anonlog_fuzz::build_line`).
//! None of the option sets keeps a planted item: the kept network holds
//! no planted address, and no planted query parameter is named `page`,
//! `lang` or `utm_…`.
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
const OPTIONS: [&[&str]; 3] = [
    &[
        "--path-rules",
        "email,jwt,uuid,hex,digits",
        "--time-resolution",
        "hour",
    ],
    &[
        "--user-agent",
        "generalize",
        "--keep-net",
        "100.64.0.0/10,fd00::/8",
        "--time-resolution",
        "day",
    ],
    &[
        "--keep-query-param",
        "page,lang,utm_*",
        "--referrer",
        "keep",
        "--path-rules",
        "none",
    ],
];

static CONFIGS: [OnceLock<Arc<Config>>; 24] = [const { OnceLock::new() }; 24];

fuzz_target!(|data: &[u8]| {
    let mut src = Src::new(data);
    let pick = usize::from(src.byte()) % 24;
    let (f, o) = (pick % 8, pick / 8);
    let args: Vec<&str> = ["-f", FORMATS[f]]
        .into_iter()
        .chain(OPTIONS[o].iter().copied())
        .collect();
    let config = cached(&CONFIGS[pick], &args);
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
