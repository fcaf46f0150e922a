//! Criterion benches, all reported in bytes/s of input, one per stage:
//! the structural pass (cutting a block into lines, the floor every other
//! stage stands on), parsing alone, the whole per-block transform, the
//! write of a finished block, and the full pipeline (file in, /dev/null
//! out). Each bench checks its result once, so a broken fast path cannot
//! look fast.

mod corpus;

use std::hint::black_box;

use anonlog::Stats;
use anonlog::addr::Truncate;
use anonlog::anonymize::{Anonymizer, Rules};
use anonlog::app::cli::Cli;
use anonlog::format::{Fields, Parser, Predefined};
use clap::Parser as _;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const BLOCK: u64 = 1 << 20;

fn rules() -> Rules {
    Rules::new(Parser::Template(Predefined::Combined.template()))
}

/// The line cut as the transform does it: every newline of the block.
fn split(c: &mut Criterion) {
    let data = corpus::generate_vec(BLOCK, 7, false);
    let lines = data.iter().filter(|&&b| b == b'\n').count();
    let count = |d: &[u8]| memchr::memchr_iter(b'\n', d).count();
    assert_eq!(count(&data), lines, "the cut finds every line");
    let mut g = c.benchmark_group("split");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("block_lines", |b| b.iter(|| count(black_box(&data))));
    g.finish();
}

/// Writing finished blocks, as the ordered writer does, into a pipe read
/// by `cat > /dev/null` (a write to /dev/null itself costs nothing, and
/// would measure nothing).
fn write(c: &mut Criterion) {
    use std::process::{Command, Stdio};
    let data = corpus::generate_vec(BLOCK, 7, false);
    let mut cat = Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("cat runs");
    let pipe = std::fs::File::from(std::os::fd::OwnedFd::from(cat.stdin.take().unwrap()));
    let w = anonlog::engine::output::BlockWriter::from_file(pipe);
    w.write_block(&data).unwrap();
    let mut g = c.benchmark_group("write");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("block_to_pipe", |b| {
        b.iter(|| w.write_block(black_box(&data)).unwrap())
    });
    g.finish();
    drop(w);
    assert!(cat.wait().unwrap().success(), "the reader took every block");
}

fn parse(c: &mut Criterion) {
    let data = corpus::generate_vec(BLOCK, 7, false);
    let template = Predefined::Combined.template();
    let mut fields = Fields::new();
    let parsed = data
        .split(|&b| b == b'\n')
        .filter(|l| template.parse(l, &mut fields))
        .count();
    assert!(parsed > 1000, "the corpus must parse");
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("combined", |b| {
        b.iter(|| {
            let mut n = 0;
            for line in data.split(|&b| b == b'\n') {
                n += usize::from(template.parse(black_box(line), &mut fields));
            }
            n
        })
    });
    g.finish();
}

fn transform(c: &mut Criterion) {
    let data = corpus::generate_vec(BLOCK, 7, false);
    let rules = rules();
    let mut a = Anonymizer::new(&rules, Truncate::new(24, 48).unwrap());
    let mut out = Vec::with_capacity(data.len());
    let mut stats = Stats::default();
    a.process_block(&data, &mut out, &mut stats).unwrap();
    assert_eq!(
        stats.lines_read, stats.parsed,
        "every generated line parses"
    );
    let mut g = c.benchmark_group("transform");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("combined_block", |b| {
        b.iter(|| {
            out.clear();
            a.process_block(black_box(&data), &mut out, &mut stats)
                .unwrap();
            out.len()
        })
    });
    g.finish();
}

fn pipeline(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.log");
    let data = corpus::generate_vec(32 * BLOCK, 11, false);
    std::fs::write(&path, &data).unwrap();
    let mut g = c.benchmark_group("pipeline");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(data.len() as u64));
    for threads in ["1", "2"] {
        let cli = Cli::parse_from([
            "anonlog",
            "-q",
            "-j",
            threads,
            "-o",
            "/dev/null",
            path.to_str().unwrap(),
        ]);
        let config = anonlog::app::resolve::config(cli).unwrap();
        let anonlog::Report::Stream(anonlog::engine::stream::Outcome { stats, .. }) =
            anonlog::run(&config).unwrap()
        else {
            unreachable!("a stream run reports stream stats")
        };
        assert_eq!(stats.bytes_read, data.len() as u64);
        g.bench_function(format!("file_to_devnull_j{threads}"), |b| {
            b.iter(|| anonlog::run(&config).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, split, parse, transform, write, pipeline);
criterion_main!(benches);
