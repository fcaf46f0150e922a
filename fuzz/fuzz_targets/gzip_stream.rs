//! gzip input through the real input layer and the pipeline: magic-byte
//! detection, `MultiGzDecoder`, the chunker (blocks of any size, lines
//! longer than `--max-line-bytes`), format detection, and gzip output.
//!
//! Layout: a header of 8 choice bytes (configuration, block size, how the
//! text is split into gzip members, which fault to inject), then log text;
//! each of its lines gets planted items at its spaces
//! (`anonlog_fuzz::plant_into`). The planted text is compressed in one to
//! three members (cut anywhere, also inside a line), and then possibly
//! truncated, given a garbage tail, or has one byte flipped.
//!
//! Asserts: without a fault, the run succeeds, keeps every line and the
//! leak oracle holds; with a cut or a garbage tail, it may fail, but it
//! never writes more lines than went in, and the oracle holds for the
//! whole lines it wrote (lines before a fault are written); with a flipped
//! bit, which changes the text itself, only that nothing panics.
#![no_main]

use std::io::{Read, Seek, Write};
use std::os::fd::FromRawFd;
use std::sync::{Arc, OnceLock};

use anonlog::Config;
use anonlog::engine::output::BlockWriter;
use anonlog::engine::stream::{Plan, StreamInput, stream};
use anonlog_fuzz::{Src, assert_no_leak, cached, count_lines, exempt_markers, plant_into};
use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use libfuzzer_sys::fuzz_target;

const ARGS: [&[&str]; 4] = [
    &["-f", "auto"],
    &["-f", "combined"],
    &["-f", "auto", "--max-line-bytes", "120"],
    &["-f", "auto", "-z"],
];
static CONFIGS: [OnceLock<Arc<Config>>; 4] = [const { OnceLock::new() }; 4];

fn memfd() -> std::fs::File {
    // SAFETY: the name is a valid C string; a non-negative result is a new
    // descriptor that nothing else owns.
    let fd = unsafe { libc::memfd_create(c"anonlog-fuzz".as_ptr(), libc::MFD_CLOEXEC) };
    assert!(fd >= 0, "memfd_create failed");
    // SAFETY: `fd` was just created and is owned by nothing else.
    unsafe { std::fs::File::from_raw_fd(fd) }
}

fn gzip(data: &[u8], level: u32) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::new(level));
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fuzz_target!(|data: &[u8]| {
    let (head, text) = data.split_at(data.len().min(8));
    let mut src = Src::new(head);
    let pick = src.byte();
    let mut config =
        (*cached(&CONFIGS[usize::from(pick % 4)], ARGS[usize::from(pick % 4)])).clone();
    config.engine.block_size = 1 + usize::from(src.u16() % 4096);
    // One worker, on the calling thread: with two, a stream that fails on
    // a read error returns without joining its workers, and LeakSanitizer
    // reports what the still-running threads hold. The output does not
    // depend on the number of workers (the CLI tests check that).
    let cut1 = usize::from(src.byte());
    let cut2 = usize::from(src.byte());
    let fault = src.byte();
    let fault_at = usize::from(src.u16());

    let mut plain = Vec::new();
    let mut choices = Src::new(text);
    for line in text.split(|&b| b == b'\n').take(16) {
        plant_into(line, &mut choices, &mut plain);
        plain.push(b'\n');
    }
    let level = u32::from(pick >> 4) % 10;
    let mut gz = Vec::new();
    let a = (cut1 * plain.len() / 256).min(plain.len());
    let b = (a + cut2 * plain.len() / 256).min(plain.len());
    for part in [&plain[..a], &plain[a..b], &plain[b..]] {
        if !part.is_empty() {
            gz.extend_from_slice(&gzip(part, level));
        }
    }
    if gz.is_empty() {
        gz = gzip(b"", level);
    }
    // A flipped bit changes the decoded text itself (a planted `:` may
    // become `3`, a byte may become a newline), so only the absence of
    // panics is asserted then; a cut or a tail only stops the text early.
    let (faulty, flipped) = match fault % 4 {
        1 => {
            gz.truncate(fault_at % gz.len());
            (true, false)
        }
        2 => {
            gz.extend_from_slice(&head[..head.len().min(fault_at % 9)]);
            gz.extend_from_slice(b"\x00garbage");
            (true, false)
        }
        3 => {
            let i = 2 + fault_at % (gz.len() - 2);
            gz[i] ^= 1 << (fault % 8);
            (true, true)
        }
        _ => (false, false),
    };

    let mut file = memfd();
    let mut sink = BlockWriter::from_file(file.try_clone().unwrap());
    let input = StreamInput::Reader {
        name: "fuzz.gz".into(),
        reader: Box::new(std::io::Cursor::new(gz)),
    };
    let mut plan = Plan::of(&config);
    plan.engine.threads = 1;
    let result = stream(plan, vec![input], &mut sink, "out");
    drop(sink);
    let mut written = Vec::new();
    file.rewind().unwrap();
    file.read_to_end(&mut written).unwrap();
    let out = if config.engine.compress.is_some() {
        let mut d = Vec::new();
        // A failed run may leave its last member unfinished; what decodes
        // is what a reader of the file would see.
        let _ = MultiGzDecoder::new(&written[..]).read_to_end(&mut d);
        d
    } else {
        written
    };
    // The format detected depends on how much decoded before a fault; any
    // candidate's kept fields may hold exempt markers.
    let parsers: Vec<_> = std::iter::once(&config.rules.parser)
        .chain(&config.rules.candidates)
        .collect();
    let exempt = exempt_markers(&parsers, &plain);
    if !faulty {
        assert!(result.is_ok(), "a sound gzip input failed");
        assert_no_leak(&plain, &out, &exempt);
    } else if !flipped {
        // What decoded before the fault is written, its last line cut
        // where the fault cut it (anonymized as a final line of its own).
        // That line may end inside a planted item (`Zq12@ho`, no longer an
        // e-mail address), so only the whole lines before it are judged.
        let whole = out.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        assert!(count_lines(&out) <= count_lines(&plain), "lines invented");
        assert_no_leak(&out[..whole], &out[..whole], &exempt);
    }
});
