//! A tree of log archives for the cluster recipes (`samples/spark/`,
//! `samples/kubernetes/`): generated access logs, plain and gzip (the
//! samples also as zstd), nested in directories, dated over several days
//! (files crossing midnight, so `--key-rotation daily` changes keys inside
//! a file), with the shipped samples of every format among them; and what
//! a job's output tree must be: for every file, exactly what anonlog
//! writes for it alone.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::util::{bin, samples};

/// The shipped samples whose format anonlog finds (the others end with
/// status 1 alone, as they are meant to).
const SAMPLES: &[&str] = &[
    "access.log",
    "apache-error.log",
    "combined-cookie.log",
    "json.log",
    "main.log",
    "nginx-error.log",
    "vhost_combined.log",
];

/// The file whose task the Spark test kills mid-write: big enough that
/// the piece written before the kill is only part of its output.
pub const BIG: &str = "host-0/2026/11/access-big.log.gz";

/// A client seen just before and just after midnight: with daily
/// rotation, two pseudonyms for one address.
pub const MIDNIGHT: &str = "rotation/midnight.log";

/// A small deterministic generator (PCG-style LCG).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn stamp(t: u64) -> String {
    // t: seconds since 2026-11-01 00:00:00 (November has 30 days).
    let (day, rest) = (t / 86_400, t % 86_400);
    format!(
        "{:02}/Nov/2026:{:02}:{:02}:{:02} +0000",
        day + 1,
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// `lines` combined-format lines from time `t`, a few seconds apart:
/// IPv4 and IPv6 clients, users, query strings, referrers.
fn access_log(rng: &mut Rng, mut t: u64, lines: usize) -> Vec<u8> {
    const PATHS: &[&str] = &["/", "/index.html", "/search", "/account", "/static/app.js"];
    const AGENTS: &[&str] = &[
        "Mozilla/5.0 (X11; Linux x86_64)",
        "curl/8.5.0",
        "Googlebot/2.1",
    ];
    let mut out = Vec::new();
    for _ in 0..lines {
        t += 1 + rng.below(40);
        let client = match rng.below(5) {
            0 => format!(
                "2001:db8:{:x}:{:x}::{:x}",
                rng.below(4),
                rng.below(9),
                rng.below(65536)
            ),
            _ => format!("198.51.{}.{}", rng.below(4), rng.below(256)),
        };
        let user = if rng.below(10) == 0 { "alice" } else { "-" };
        let query = if rng.below(3) == 0 {
            format!("?q={}&id={}", rng.below(1000), rng.below(99))
        } else {
            String::new()
        };
        let referrer = if rng.below(2) == 0 {
            format!("https://example.org/p/{}?from=mail", rng.below(50))
        } else {
            "-".to_owned()
        };
        writeln!(
            out,
            "{client} - {user} [{}] \"GET {}{query} HTTP/1.1\" {} {} \"{referrer}\" \"{}\"",
            stamp(t),
            PATHS[rng.below(PATHS.len() as u64) as usize],
            [200, 200, 304, 404][rng.below(4) as usize],
            rng.below(50_000),
            AGENTS[rng.below(AGENTS.len() as u64) as usize],
        )
        .unwrap();
    }
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn put(root: &Path, rel: &str, data: &[u8]) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let data = if rel.ends_with(".gz") {
        gzip(data)
    } else if rel.ends_with(".zst") {
        zstd::encode_all(data, 3).unwrap()
    } else {
        data.to_vec()
    };
    fs::write(path, data).unwrap();
}

/// Writes the tree under `root`: `generated` small access logs (every
/// other one gzip, each starting late on one of five days so that many
/// cross midnight), [`BIG`], [`MIDNIGHT`], an empty plain, gzip and zstd
/// file, and the samples plain, gzip and zstd. Returns the relative paths,
/// sorted.
pub fn make_tree(root: &Path, generated: usize) -> Vec<String> {
    let mut rng = Rng(0x5eed18);
    for i in 0..generated {
        let ext = if i % 2 == 0 { "log.gz" } else { "log" };
        let rel = format!("host-{}/2026/11/access-{i:03}.{ext}", i % 4);
        let start = (i as u64 % 5) * 86_400 + 23 * 3600 + rng.below(3000);
        let lines = 5 + rng.below(60) as usize;
        put(root, &rel, &access_log(&mut rng, start, lines));
    }
    put(root, BIG, &access_log(&mut rng, 86_400 * 9, 3000));
    let midnight = "192.0.2.77 - - [03/Nov/2026:23:59:58 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"ua\"\n\
                    192.0.2.77 - - [04/Nov/2026:00:00:01 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"ua\"\n";
    put(root, MIDNIGHT, midnight.as_bytes());
    put(root, "empty/nothing.log", b"");
    put(root, "empty/nothing.log.gz", b"");
    put(root, "empty/nothing.log.zst", b"");
    for name in SAMPLES {
        let data = fs::read(samples().join(name)).unwrap();
        put(root, &format!("samples/{name}"), &data);
        put(root, &format!("samples/gz/{name}.gz"), &data);
        put(root, &format!("samples/zst/{name}.zst"), &data);
    }
    let mut all = Vec::new();
    walk(root, root, &mut all);
    all.sort();
    all
}

/// Every file under `dir`, relative to `root` (hidden ones too).
pub fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(root, &p, out);
        } else {
            out.push(p.strip_prefix(root).unwrap().to_str().unwrap().to_owned());
        }
    }
}

/// The files under `root`, relative, as a set.
pub fn files_under(root: &Path) -> BTreeSet<String> {
    let mut v = Vec::new();
    if root.exists() {
        walk(root, root, &mut v);
    }
    v.into_iter().collect()
}

/// A gzip archive cut short: anonlog alone ends it with status 2.
pub fn truncated_gzip() -> Vec<u8> {
    let mut rng = Rng(7);
    let whole = gzip(&access_log(&mut rng, 0, 400));
    whole[..whole.len() / 2].to_vec()
}

/// What anonlog writes for `input` alone with `args` (and `-z` when its
/// name ends in `.gz`, `--zstd` in `.zst`), and its `--stats=json` line;
/// it must succeed.
pub fn alone(input: &Path, args: &[&str]) -> (Vec<u8>, String) {
    let mut cmd = Command::new(bin());
    cmd.arg("--stats=json")
        .args(args)
        .env_remove("ANONLOG_KEY_FILE");
    let name = input.to_str().unwrap();
    if name.ends_with(".gz") {
        cmd.arg("-z");
    } else if name.ends_with(".zst") {
        cmd.arg("--zstd");
    }
    let out = cmd.arg("--").arg(input).output().unwrap();
    assert!(
        out.status.success(),
        "anonlog alone on {}: {}: {}",
        input.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let stats = String::from_utf8(out.stderr).unwrap();
    (out.stdout, stats.trim().to_owned())
}

/// Asserts that every file of `files` under `input` has its output under
/// `output`, byte for byte what anonlog writes for it alone with `args`,
/// and returns those runs' `--stats=json` lines.
pub fn assert_outputs_match(
    input: &Path,
    output: &Path,
    files: &[String],
    args: &[&str],
) -> Vec<String> {
    files
        .iter()
        .map(|rel| {
            let (want, stats) = alone(&input.join(rel), args);
            let got = fs::read(output.join(rel)).unwrap_or_else(|e| panic!("output {rel}: {e}"));
            assert!(
                got == want,
                "{rel}: the job's output ({} bytes) is not anonlog's alone ({} bytes)",
                got.len(),
                want.len()
            );
            stats
        })
        .collect()
}

/// The temporary files of unfinished outputs (`.NAME.anonlog-part-*`)
/// anywhere under `root`.
pub fn parts_under(root: &Path) -> Vec<String> {
    files_under(root)
        .into_iter()
        .filter(|f| f.contains(".anonlog-part-"))
        .collect()
}

/// The inode of each file, to tell a file left alone from one written
/// again (a rename brings a new inode).
pub fn inode(p: &PathBuf) -> u64 {
    fs::metadata(p).unwrap().ino()
}

/// The counters the jobs sum, for comparing with the files' own runs.
pub const SUMMED: &[&str] = &[
    "lines_read",
    "lines_written",
    "parsed",
    "scrubbed",
    "addresses_truncated",
    "addresses_pseudonymized",
    "queries_removed",
    "referrers_removed",
    "users_removed",
    "bytes_read",
    "bytes_written",
    "undated_truncated",
];
