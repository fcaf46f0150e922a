//! The listener's datagram parser (`anonlog::format::syslog::split`) and
//! what the listener does with its line.
//!
//! Layout: byte 0 picks the envelope: raw (the rest is the datagram,
//! nothing planted), or a `<PRI>`, a syslog header with or without a host
//! and a tag (all from fuzzer bytes) around a line with planted items.
//!
//! Asserts: `split` returns slices of the datagram and a tag only with a
//! header; the line, anonymized as the listener does it (`-f auto`, each
//! line judged on its own, or `-f combined`), keeps its line count, and,
//! for planted datagrams, the leak oracle holds: the header is dropped and
//! the line is anonymized like any other.
#![no_main]

use std::sync::{Arc, OnceLock};

use anonlog::Config;
use anonlog::anonymize::Anonymizer;
use anonlog::format::syslog;
use anonlog_fuzz::{
    Src, anonymize, assert_no_leak, build_line, cached, clf_user_markers, count_lines,
    exempt_markers, filler, used_parser,
};
use libfuzzer_sys::fuzz_target;

static AUTO: OnceLock<Arc<Config>> = OnceLock::new();
static COMBINED: OnceLock<Arc<Config>> = OnceLock::new();

fn within(outer: &[u8], inner: &[u8]) -> bool {
    let o = outer.as_ptr_range();
    let i = inner.as_ptr_range();
    inner.is_empty() || (o.start <= i.start && i.end <= o.end)
}

fuzz_target!(|data: &[u8]| {
    let mut src = Src::new(data);
    let mode = src.byte();
    let config = if mode & 0x80 == 0 {
        cached(&AUTO, &["-f", "auto"])
    } else {
        cached(&COMBINED, &["-f", "combined"])
    };
    let planted = mode & 3 != 0;
    let mut dgram = Vec::new();
    let mut line_start = 0;
    let mut planted_at = 0;
    if planted {
        if mode & 3 >= 2 {
            dgram.extend_from_slice(format!("<{}>", src.byte() % 192).as_bytes());
        }
        if mode & 3 == 3 {
            let day = 1 + src.byte() % 28;
            dgram.extend_from_slice(format!("Nov {day:2} 08:39:58 ").as_bytes());
            if mode & 4 != 0 {
                let n = usize::from(src.byte() % 12);
                let host = filler(src.take(n), false);
                dgram.extend(host.iter().map(|&b| if b == b' ' { b'h' } else { b }));
                dgram.push(b' ');
            }
            let n = 1 + usize::from(src.byte() % 8);
            let tag = filler(src.take(n), false);
            dgram.extend(tag.iter().map(|&b| if b == b' ' { b't' } else { b }));
            dgram.extend_from_slice(b": ");
        }
        line_start = dgram.len();
        build_line(&mut src, &mut dgram);
        planted_at = dgram.len() - line_start;
        if mode & 8 != 0 {
            dgram.push(b'\n');
        }
    } else {
        dgram.extend_from_slice(src.rest());
    }

    let msg = syslog::split(&dgram);
    assert!(
        within(&dgram, msg.line),
        "line is not a slice of the datagram"
    );
    if let Some(tag) = msg.tag {
        assert!(within(&dgram, tag) && !tag.is_empty(), "bad tag slice");
    }
    let mut batch = msg.line.to_vec();
    batch.push(b'\n');
    let mut anonymizer = Anonymizer::new(&config.rules, config.rewrite.rewriter());
    let out = anonymize(&mut anonymizer, &config, &batch, true);
    assert_eq!(count_lines(&batch), count_lines(&out), "line count changed");
    if planted {
        // The header's own bytes (host, tag) are the fuzzer's and never
        // written; only the line they frame carries planted items.
        let mut exempt = exempt_markers(
            &used_parser(&anonymizer, &config.rules, &batch, true),
            &batch,
        );
        let planted_line = &dgram[line_start..line_start + planted_at];
        if msg.line != planted_line {
            // The header was not recognised and stays in front of the
            // line: a CLF start is no longer at the start, and its ident
            // and user are words of free text that no rule can tell from
            // others.
            exempt.extend(clf_user_markers(planted_line));
        }
        assert_no_leak(&batch, &out, &exempt);
    }
});
