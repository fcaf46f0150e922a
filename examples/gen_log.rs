//! Deterministic generator of realistic access logs for benchmarks and the
//! `--stats` figures: `cargo run --release --example gen_log -- OUT BYTES [SEED] [combined|main] [uniform|visitors] [sorted|shuffled]`.

#[path = "../benches/corpus.rs"]
mod corpus;

use std::fs::File;
use std::io::{BufWriter, Write};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!(
            "usage: gen_log OUT BYTES [SEED] [combined|main] [uniform|visitors] [sorted|shuffled]"
        );
        std::process::exit(2);
    }
    let target: u64 = args[2].parse().expect("BYTES must be a number");
    let seed = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(0x5eed);
    let main_format = args.get(4).is_some_and(|f| f == "main");
    let mut out = BufWriter::with_capacity(1 << 20, File::create(&args[1])?);
    let clients = match args.get(5).map(String::as_str) {
        Some("visitors") => corpus::Clients::Visitors,
        _ => corpus::Clients::Uniform,
    };
    let shuffled = args.get(6).is_some_and(|d| d == "shuffled");
    corpus::generate_dated(&mut out, target, seed, main_format, clients, shuffled)?;
    out.flush()
}
