//! The resolved, typed settings of a run: data only. Built once from the
//! command line (by `app::resolve`); the engine sees only this, never clap.
//!
//! ```text
//! Config { mode: Mode, engine: EngineOpts, rules, rewrite, report }
//! ```
//!
//! The mode types (where lines come from and go to) live here, so that
//! `engine` imports `config` and never the other way round.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::addr::{NetSet, Truncate};
use crate::anonymize::Rules;
use crate::anonymize::anonip::AnonipRewrite;
use crate::anonymize::pseudonym::{KeyedConfig, Rewriter};

/// Default read and work unit. 1 MiB keeps every core busy and the memory
/// bound small (measured: 256 KiB to 4 MiB perform alike; 64 KiB costs ~13%).
pub const DEFAULT_BLOCK_SIZE: usize = 1 << 20;

/// Everything a run needs, validated.
#[derive(Clone, Debug)]
pub struct Config {
    /// What the run does: stream, rewrite in place, or listen.
    pub mode: Mode,
    /// How the engine moves bytes: threads, block size, line limit,
    /// compression.
    pub engine: EngineOpts,
    /// The anonymization policy, shared by all workers.
    pub rules: Arc<Rules>,
    /// How addresses (and, keyed, users) are rewritten.
    pub rewrite: Rewrite,
    /// What is said on stderr about the run.
    pub report: ReportOpts,
}

/// What a run does.
#[derive(Clone, Debug)]
pub enum Mode {
    /// The inputs, in order, to one output.
    Stream {
        /// Inputs in order; never empty (stdin when none was named).
        inputs: Vec<Source>,
        /// Where the output goes.
        output: Destination,
    },
    /// Each file rewritten atomically in its place.
    InPlace {
        /// The files (and, with `recursive`, directories) named; never
        /// empty and never standard input.
        paths: Vec<PathBuf>,
        /// Walk directories.
        recursive: bool,
        /// `--older-than`: take only files last modified at least this
        /// long ago (a retention sweep); `None` takes every file.
        older_than: Option<Age>,
    },
    /// Syslog datagrams from a socket to files.
    Listen(ListenConfig),
}

/// A file age (`--older-than 7d`): never zero, at most
/// [`Age::MAX`], so that `now - age` is always a representable time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Age {
    /// The age itself.
    pub duration: Duration,
    /// How it was written (`7d`), for the summary and the run record.
    pub label: String,
}

impl Age {
    /// The longest age taken: 100 years. A longer one is a typo, and
    /// bounding it keeps the cutoff time far from any overflow.
    pub const MAX: Duration = Duration::from_secs(100 * 366 * 86_400);
}

/// How the engine reads, cuts, works and writes. Small and `Copy`, so a
/// caller can adjust it for one stream (an in-place rewrite keeps each
/// file's own compression) without cloning the whole [`Config`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EngineOpts {
    /// Worker threads, at least 1. With 1, everything runs on the calling thread.
    pub threads: usize,
    /// Read and work unit in bytes, at least 1.
    pub block_size: usize,
    /// Longest line held for parsing, at least 1.
    pub max_line_bytes: usize,
    /// Compress the output in this format: one independent gzip member,
    /// zstd frame, xz or bzip2 stream per block, compressed by the
    /// workers in parallel, so that the whole is one valid multi-member
    /// (multi-frame, multi-stream) file.
    pub compress: Option<Codec>,
    /// The levels that [`EngineOpts::compress`] uses, also when an
    /// in-place rewrite picks the codec from the file.
    pub levels: Levels,
}

/// A compressed format anonlog reads (recognised by its magic bytes, never
/// by a file name) and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codec {
    /// gzip (RFC 1952).
    Gzip,
    /// Zstandard (RFC 8878).
    Zstd,
    /// xz (LZMA2).
    Xz,
    /// bzip2.
    Bzip2,
}

impl Codec {
    /// The format's usual name, for diagnostics.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Zstd => "zstd",
            Codec::Xz => "xz",
            Codec::Bzip2 => "bzip2",
        }
    }
}

/// Compression levels of the codecs that take one from the command line.
/// xz and bzip2, written only by in-place rewrites, use their tools'
/// defaults (6 and 9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Levels {
    /// gzip, 1..=9.
    pub gzip: u32,
    /// zstd, 1..=19.
    pub zstd: i32,
}

impl Default for Levels {
    /// gzip's and zstd's own defaults: 6 and 3.
    fn default() -> Levels {
        Levels { gzip: 6, zstd: 3 }
    }
}

/// How addresses are rewritten: truncation, or keyed pseudonyms.
#[derive(Clone, Debug)]
pub struct Rewrite {
    /// The address truncation (also the fallback of keyed runs for lines
    /// without a usable timestamp).
    pub truncate: Truncate,
    /// Keyed pseudonyms and user tokens (`--pseudonymize`, `--user
    /// pseudonymize`): the master key and how it is used.
    pub keyed: Option<Arc<KeyedConfig>>,
    /// Networks whose addresses are written unchanged (`--keep-net`), in
    /// every mode.
    pub keep: Option<Arc<NetSet>>,
    /// anonip mode's rewrite (masks by bits removed, increment, private
    /// addresses kept), which then replaces both of the above in streams.
    /// The listener never runs in anonip mode and ignores it.
    pub anonip: Option<AnonipRewrite>,
}

impl Rewrite {
    /// A worker's address rewriter: truncation, or keyed pseudonyms, with
    /// the kept networks.
    pub fn rewriter(&self) -> Rewriter {
        Rewriter::new(self.truncate, self.keyed.as_ref()).keeping(self.keep.as_ref())
    }
}

/// What is said about a run, and when.
#[derive(Clone, Debug, Default)]
pub struct ReportOpts {
    /// Fields of a compiled format that anonlog has no rule for: kept,
    /// scrubbed of IP literals, and named in `--stats`.
    pub unknown_fields: Vec<String>,
    /// Summary at exit.
    pub stats: Option<StatsFormat>,
    /// Print nothing on success.
    pub quiet: bool,
    /// `--report`: the file that gets one JSON line about the run. A
    /// batch never rewrites it, whatever its name.
    pub record: Option<PathBuf>,
}

/// How `--stats` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatsFormat {
    /// `anonlog: name value` lines.
    Text,
    /// One JSON object.
    Json,
}

/// One input named on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Standard input (`-` or no file at all).
    Stdin,
    /// A file path.
    File(PathBuf),
}

impl Source {
    /// `-` means stdin, as for every Unix filter.
    pub fn from_arg(p: PathBuf) -> Source {
        if p.as_os_str() == "-" {
            Source::Stdin
        } else {
            Source::File(p)
        }
    }

    /// The name used in diagnostics, escaped by
    /// [`show_path`](crate::error::show_path) so it cannot forge lines.
    pub fn name(&self) -> String {
        match self {
            Source::Stdin => "<stdin>".to_owned(),
            Source::File(p) => crate::error::show_path(p),
        }
    }
}

/// Where output goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// Standard output.
    Stdout,
    /// A file, created with mode 0640 if missing, appended to otherwise.
    Append(PathBuf),
}

impl Destination {
    /// The name used in diagnostics, escaped like [`Source::name`].
    pub fn name(&self) -> String {
        match self {
            Destination::Stdout => "<stdout>".to_owned(),
            Destination::Append(p) => crate::error::show_path(p),
        }
    }
}

/// Where to listen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListenAddr {
    /// A unix datagram socket at this path (created, and removed at exit).
    Unix(PathBuf),
    /// A UDP socket.
    Udp(SocketAddr),
}

impl ListenAddr {
    /// Parses `unix:/path` or `udp:host:port`.
    pub fn parse(s: &str) -> Result<ListenAddr, String> {
        if let Some(p) = s.strip_prefix("unix:") {
            if p.is_empty() {
                return Err("unix: needs a socket path".into());
            }
            Ok(ListenAddr::Unix(PathBuf::from(p)))
        } else if let Some(a) = s.strip_prefix("udp:") {
            a.parse()
                .map(ListenAddr::Udp)
                .map_err(|e| format!("bad UDP address {a:?}: {e}"))
        } else {
            Err(format!("{s:?}: expected unix:/path or udp:host:port"))
        }
    }

    /// The name used in diagnostics (`unix:` + escaped path, or `udp:addr`).
    pub fn name(&self) -> String {
        match self {
            ListenAddr::Unix(p) => format!("unix:{}", crate::error::show_path(p)),
            ListenAddr::Udp(a) => format!("udp:{a}"),
        }
    }
}

/// Listener settings.
#[derive(Clone, Debug)]
pub struct ListenConfig {
    /// The socket.
    pub addr: ListenAddr,
    /// Where lines with no routed tag go.
    pub output: Destination,
    /// Permission bits of a unix socket: 0600 by default, 0660 with a
    /// group, or `--socket-mode`.
    pub socket_mode: u32,
    /// The group a unix socket is given (`--socket-group`), if any.
    pub socket_group: Option<u32>,
    /// Syslog tag -> output; lines with other tags go to `output`.
    pub routes: Vec<(Vec<u8>, Destination)>,
}
