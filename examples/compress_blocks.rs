//! Per-block compression as `anonlog -z` / `--zstd` does it, one backend at
//! a time, for the libdeflate vs zlib-rs measurement (benches/deflate.sh
//! runs it under callgrind and by the clock):
//! `cargo run --release --example compress_blocks -- BACKEND LEVEL FILE [BLOCK_BYTES]`
//! with BACKEND `zlib-rs` (flate2's GzEncoder, one per block, as before
//! libdeflate), `libdeflate` (one compressor reused, as each worker does)
//! or `zstd`. Prints input and output bytes, the ratio and the seconds.

use std::io::{Read, Write};
use std::time::Instant;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: compress_blocks zlib-rs|libdeflate|zstd LEVEL FILE [BLOCK_BYTES]");
        std::process::exit(2);
    }
    let level: i32 = args[2].parse().expect("LEVEL must be a number");
    let block: usize = args.get(4).map_or(1 << 20, |b| {
        b.parse().expect("BLOCK_BYTES must be a number")
    });
    let mut data = Vec::new();
    std::fs::File::open(&args[3])?.read_to_end(&mut data)?;
    let start = Instant::now();
    let mut total = 0usize;
    let mut out = Vec::new();
    match args[1].as_str() {
        "zlib-rs" => {
            let level = flate2::Compression::new(level as u32);
            for chunk in data.chunks(block) {
                let mut e = flate2::write::GzEncoder::new(std::mem::take(&mut out), level);
                e.write_all(chunk)?;
                out = e.finish()?;
                total += out.len();
                out.clear();
            }
        }
        "libdeflate" => {
            let lvl = libdeflater::CompressionLvl::new(level).expect("level 0..=12");
            let mut c = libdeflater::Compressor::new(lvl);
            for chunk in data.chunks(block) {
                out.resize(c.gzip_compress_bound(chunk.len()), 0);
                total += c.gzip_compress(chunk, &mut out).expect("bound is enough");
            }
        }
        "zstd" => {
            let mut c = zstd::bulk::Compressor::new(level)?;
            for chunk in data.chunks(block) {
                out.clear();
                out.reserve(zstd::zstd_safe::compress_bound(chunk.len()));
                total += c.compress_to_buffer(chunk, &mut out)?;
            }
        }
        other => panic!("unknown backend {other}"),
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{} -{level}: {} -> {} bytes, ratio {:.3}, {secs:.3} s, {:.1} MB/s",
        args[1],
        data.len(),
        total,
        data.len() as f64 / total as f64,
        data.len() as f64 / secs / 1e6
    );
    Ok(())
}
