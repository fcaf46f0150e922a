//! Command-line arguments exactly as typed. Nothing here outlives
//! [`crate::app::resolve::config`]: no clap type goes further.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

pub mod compress;

/// What `--version` prints after the name: the package version, the git
/// commit it was built from (`-dirty` when the work tree had changes,
/// `unknown` when built without git) and the target triple, so a bug
/// report names the exact build.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("ANONLOG_COMMIT"),
    ", ",
    env!("ANONLOG_TARGET"),
    ")"
);

/// Anonymize web-server access logs: truncate client IPs, remove query
/// strings, referrers and remote users. Lines that do not parse are
/// scrubbed, never written raw.
#[derive(Debug, Parser)]
#[command(name = "anonlog", version = VERSION, about, max_term_width = 100)]
#[command(
    after_help = "`anonlog check PATH...` audits logs and archives without changing them. Keyed pseudonyms: `anonlog keygen --out PATH` creates a key; `anonlog reveal --key-file PATH ADDRESS...` inverts pseudonyms (see their --help). `anonlog man` prints the manual page, `anonlog completions SHELL` a completion script. A log file named `check`, `keygen`, `reveal`, `man` or `completions` is given as `./man` or `-- man`."
)]
pub struct Cli {
    /// Input files, read in order; none or `-` means standard input. gzip,
    /// zstd, xz and bzip2 are recognised by their content and decompressed.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Append the output to FILE instead of writing to standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Rewrite each FILE in place, atomically, keeping its compression
    /// (gzip, zstd, xz, bzip2 or none), owner, group, mode and times. Files
    /// that are already anonymized are left untouched.
    #[arg(short = 'i', long, conflicts_with_all = ["output", "gzip"])]
    pub in_place: bool,

    /// With --in-place: walk directories and rewrite the files in them whose
    /// names look like logs (*.log*, *_log*, *access*; hidden files never).
    #[arg(short = 'r', long, requires = "in_place")]
    pub recursive: bool,

    /// With --in-place: rewrite only files last modified at least AGE ago
    /// (`7d`, `36h`, `2w`, `90min`, `30s`), for a retention sweep that
    /// keeps recent logs raw: `anonlog -i -r /var/log/nginx --older-than 7d`.
    /// Younger files are counted, not touched.
    #[arg(long, value_name = "AGE", value_parser = super::age::parse_age, allow_hyphen_values = true)]
    pub older_than: Option<crate::config::Age>,

    /// Append one JSON line describing the run to FILE (created with mode
    /// 0640 if missing): start and end time, version, the policy and key id
    /// (never the key), each input's path, size and counters, the exit
    /// status. One write per line, so concurrent runs never mix lines.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// Receive nginx syslog datagrams on ADDR (`unix:/run/anonlog/nginx.sock`
    /// or `udp:127.0.0.1:5514`) instead of reading files; runs until SIGTERM
    /// or SIGINT. Point nginx at it with
    /// `access_log syslog:server=unix:/run/anonlog/nginx.sock,nohostname combined;`.
    #[arg(long, value_name = "ADDR", conflicts_with_all = ["files", "in_place", "gzip"])]
    pub listen: Option<String>,

    /// With --listen: write lines tagged TAG (nginx `tag=`) to PATH.
    #[arg(long, value_name = "TAG=PATH", requires = "listen")]
    pub tag_output: Vec<String>,

    /// With --listen on a unix socket: give the socket this group (a name or
    /// a GID; the web server's, e.g. www-data) and make it mode 0660, so
    /// that only the owner and that group can write lines into the log.
    /// No chown is needed (or made) when the socket already has the group,
    /// as under systemd's `Group=`.
    #[arg(long, value_name = "GROUP", requires = "listen")]
    pub socket_group: Option<String>,

    /// With --listen on a unix socket: its permission bits, in octal.
    /// Default: 600 (owner only), or 660 with --socket-group. Whoever can
    /// write to the socket can write lines into the anonymized log.
    #[arg(long, value_name = "OCTAL", requires = "listen")]
    pub socket_mode: Option<String>,

    /// -z, --gzip-level, --zstd, --zstd-level.
    #[command(flatten)]
    pub compress: compress::CompressArgs,

    /// Log format of the input. `auto` chooses, per input, the format that
    /// explains its first 1000 lines (never one that fails on more than
    /// --max-unparsed of them).
    #[arg(short, long, value_parser = super::suggest::FormatParser, default_value = "auto")]
    pub format: FormatArg,

    /// The share of an input's lines that may fail to parse (they are
    /// scrubbed) before the format is reported as not fitting, even with
    /// --quiet, and the run ends with status 1. Also the most that -f auto
    /// lets a format fail on.
    #[arg(long, value_name = "PERCENT", default_value = "1%", value_parser = parse_share)]
    pub max_unparsed: crate::stats::Share,

    /// Parse lines with this nginx `log_format`: the whole directive pasted
    /// from nginx.conf (`log_format main '...' '...';`), or its string
    /// unquoted and concatenated (`escape=...` may lead). Overrides -f.
    #[arg(long, value_name = "LOG_FORMAT", conflicts_with_all = ["format", "apache_format", "nginx_conf"])]
    pub nginx_format: Option<String>,

    /// Allow the custom nginx variables NAME (set with `set`, `map`, `geo`,
    /// `js_set`, a module...) in --nginx-format or --nginx-conf; any other
    /// unknown variable is an error. They are classified by name, else
    /// treated as unknown and named by --stats. Repeatable.
    #[arg(long, value_name = "NAME[,NAME...]", value_delimiter = ',')]
    pub nginx_var: Vec<String>,

    /// Read the format named by --log-format from this nginx.conf (includes
    /// are followed). Overrides -f.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["format", "apache_format"])]
    pub nginx_conf: Option<PathBuf>,

    /// With --nginx-conf: the log_format name.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "combined",
        requires = "nginx_conf"
    )]
    pub log_format: String,

    /// Parse lines with this Apache `LogFormat` string: bare, pasted with
    /// its quotes and `\"` escapes, or a whole `LogFormat "..." nick` or
    /// `CustomLog path "..."|nick [env=...]` line. Overrides -f.
    #[arg(long, value_name = "LOGFORMAT", conflicts_with_all = ["format"])]
    pub apache_format: Option<String>,

    /// With -f json or auto: treat the JSON key KEY (dotted path or last
    /// component) by RULE: addr, xff, user, request, uri, query, referrer,
    /// secret, time, text or keep. Later rules win.
    #[arg(long, value_name = "KEY=RULE")]
    pub json_key: Vec<String>,

    /// IPv4 prefix length to keep (0..=32). Default: 24, or the --preset's.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=32))]
    pub ipv4_prefix: Option<u8>,

    /// IPv6 prefix length to keep (0..=128). Default: 48, or the --preset's.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=128))]
    pub ipv6_prefix: Option<u8>,

    /// The finer privacy options (app/privacy.rs).
    #[command(flatten)]
    pub privacy: super::privacy::PrivacyArgs,

    /// Keep query strings in request lines.
    #[arg(long)]
    pub keep_query: bool,

    /// What to keep of the Referer field.
    #[arg(long, value_enum, default_value_t = ReferrerArg::Remove)]
    pub referrer: ReferrerArg,

    /// Keep remote users (and identd lognames) instead of replacing them with `-`.
    #[arg(long)]
    pub keep_user: bool,

    /// What to do with a line that does not parse as the format.
    #[arg(long, value_enum, default_value_t = OnUnparsedArg::Scrub)]
    pub on_unparsed: OnUnparsedArg,

    /// Worker threads; 0 or absent means one per available core.
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,

    /// Print a summary to standard error at exit (`--stats=json` for JSON).
    #[arg(long, value_enum, value_name = "FORMAT", num_args = 0..=1, require_equals = true, default_missing_value = "text", conflicts_with = "quiet")]
    pub stats: Option<StatsArg>,

    /// Print nothing on success (errors are still reported).
    #[arg(short, long)]
    pub quiet: bool,

    /// Block size in bytes for reading and parallel work (tuning and tests).
    #[arg(long, hide = true, value_name = "BYTES")]
    pub block_size: Option<usize>,

    /// Lines longer than this are replaced by an empty line (or dropped, or
    /// fail the run, per --on-unparsed): they cannot be held to be parsed.
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    pub max_line_bytes: usize,

    // Keyed pseudonyms (see also `anonlog keygen` and `anonlog reveal`).
    /// Replace every address (client, X-Forwarded-For, addresses elsewhere
    /// in the line) by a keyed pseudonym instead of truncating it. Needs a
    /// key (--key-file).
    #[arg(long, value_enum, value_name = "MODE")]
    pub pseudonymize: Option<PseudoArg>,

    /// The master key file, from `anonlog keygen` (must be mode 0600).
    /// Default: $ANONLOG_KEY_FILE. A key itself is never accepted here.
    #[arg(long, value_name = "PATH")]
    pub key_file: Option<PathBuf>,

    /// Derive a new key per period of each line's own timestamp; lines
    /// without a readable timestamp are truncated instead.
    #[arg(long, value_enum, value_name = "PERIOD", default_value_t = RotationArg::None)]
    pub key_rotation: RotationArg,

    /// Remote users and identd lognames: `remove` (`-`), `keep`, or
    /// `pseudonymize` (a keyed 16-character token). --keep-user is `keep`.
    #[arg(long, value_enum, value_name = "POLICY", conflicts_with = "keep_user")]
    pub user: Option<UserArg>,
}

/// `--max-unparsed`: a percentage. The error does not repeat the value:
/// clap's message names it already.
fn parse_share(s: &str) -> Result<crate::stats::Share, String> {
    crate::stats::Share::parse_percent(s)
        .ok_or_else(|| "expected a percentage from 0 to 100, such as 1% or 0.5%".to_owned())
}

/// `-f/--format` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`
    Combined,
    /// The first seven fields of combined (combined lines are common lines
    /// with two trailing fields).
    Common,
    /// combined plus `"$http_x_forwarded_for"` (nginx packages and image).
    Main,
    /// Debian Apache `%v:%p` followed by combined.
    #[value(name = "vhost_combined", alias = "vhost-combined")]
    VhostCombined,
    /// One JSON object per line (nginx `escape=json`, Caddy, Traefik).
    Json,
    /// nginx error log.
    #[value(name = "nginx-error")]
    NginxError,
    /// Apache 2.2/2.4 error log.
    #[value(name = "apache-error")]
    ApacheError,
    /// Pick one of the other formats per input from its first lines (the
    /// default).
    Auto,
}

/// `--referrer` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReferrerArg {
    /// Replace with `-`.
    Remove,
    /// Keep `scheme://host[:port]/` only.
    Origin,
    /// Keep it (IP literals in it are still truncated).
    Keep,
}

/// `--on-unparsed` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OnUnparsedArg {
    /// Truncate IP literals and cut URL queries, keep the rest.
    Scrub,
    /// Remove the line.
    Drop,
    /// Stop with exit status 1, naming the file and line.
    Fail,
}

/// `--stats` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StatsArg {
    /// One `anonlog: NAME VALUE` line each, the format (and with -f auto the
    /// one detected for each input) first.
    Text,
    /// One JSON object.
    Json,
}

/// `--pseudonymize` and `reveal --mode` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PseudoArg {
    /// ipcrypt-pfx: prefix- and family-preserving, reversible (recommended).
    Pfx,
    /// ipcrypt-deterministic: reversible; the output is always IPv6.
    Det,
    /// Crypto-PAn: prefix-preserving, for compatibility with existing data.
    Cryptopan,
}

/// `--key-rotation` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RotationArg {
    /// One key for all time.
    None,
    /// A key per day (`2026-11-22`).
    Daily,
    /// A key per ISO week (`2026-W47`).
    Weekly,
    /// A key per month (`2026-11`).
    Monthly,
}

/// `--user` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum UserArg {
    /// Replace with `-`.
    Remove,
    /// Keep (IP literals in it are still rewritten).
    Keep,
    /// A keyed token: the same user gives the same token within a key period.
    Pseudonymize,
}

/// `anonlog keygen`: create a master key for keyed pseudonyms: 32 random
/// bytes from the operating system, written as 64 hex digits. The key id is
/// printed on standard error; the key itself never is.
#[derive(Debug, Parser)]
#[command(
    name = "anonlog keygen",
    bin_name = "anonlog keygen",
    version = VERSION,
    max_term_width = 100
)]
pub struct KeygenCli {
    /// Write the key to PATH, a new file created with mode 0600 (an existing
    /// file is never replaced). `-` writes it to standard output, which must
    /// be a pipe, or a file only its owner can access; never a terminal.
    #[arg(short, long, value_name = "PATH")]
    pub out: PathBuf,
}

/// `anonlog reveal`: print the original address of each pseudonym, one per
/// line. For an investigation entitled to it, with the key of the run.
#[derive(Debug, Parser)]
#[command(
    name = "anonlog reveal",
    bin_name = "anonlog reveal",
    version = VERSION,
    max_term_width = 100
)]
pub struct RevealCli {
    /// The master key file the logs were pseudonymized with. Default:
    /// $ANONLOG_KEY_FILE.
    #[arg(long, value_name = "PATH")]
    pub key_file: Option<PathBuf>,

    /// The --pseudonymize mode of the run.
    #[arg(long, value_enum, default_value_t = PseudoArg::Pfx)]
    pub mode: PseudoArg,

    /// The --key-rotation of the run.
    #[arg(long, value_enum, value_name = "PERIOD", default_value_t = RotationArg::None)]
    pub key_rotation: RotationArg,

    /// With --key-rotation: the date of the log line (as written in it).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<String>,

    /// Pseudonyms as written in the logs (`[v6]:port` and `v4:port` too).
    #[arg(value_name = "ADDRESS", required = true)]
    pub addresses: Vec<String>,
}

/// `anonlog man`: print the manual page (roff, generated from these
/// definitions) on standard output. Read it with `anonlog man | man -l -`.
#[derive(Debug, Parser)]
#[command(
    name = "anonlog man",
    bin_name = "anonlog man",
    version = VERSION,
    max_term_width = 100
)]
pub struct ManCli {}

/// `anonlog completions`: print a completion script for SHELL on standard
/// output, e.g. `anonlog completions bash >
/// /usr/share/bash-completion/completions/anonlog`.
#[derive(Debug, Parser)]
#[command(
    name = "anonlog completions",
    bin_name = "anonlog completions",
    version = VERSION,
    max_term_width = 100
)]
pub struct CompletionsCli {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    #[test]
    fn stats_takes_optional_value() {
        let c = Cli::try_parse_from(["anonlog", "--stats", "a.log"]).unwrap();
        assert_eq!(c.stats, Some(StatsArg::Text));
        assert_eq!(c.files, vec![PathBuf::from("a.log")]);
        let c = Cli::try_parse_from(["anonlog", "--stats=json"]).unwrap();
        assert_eq!(c.stats, Some(StatsArg::Json));
    }

    #[test]
    fn keyed_options() {
        KeygenCli::command().debug_assert();
        RevealCli::command().debug_assert();
        let c = Cli::try_parse_from(["anonlog", "--pseudonymize", "pfx", "--user", "pseudonymize"])
            .unwrap();
        assert_eq!(c.pseudonymize, Some(PseudoArg::Pfx));
        assert_eq!(c.user, Some(UserArg::Pseudonymize));
        assert_eq!(c.key_rotation, RotationArg::None);
        assert!(Cli::try_parse_from(["anonlog", "--user", "keep", "--keep-user"]).is_err());
        assert!(Cli::try_parse_from(["anonlog", "--key", "00"]).is_err());
        assert!(
            KeygenCli::try_parse_from(["keygen"]).is_err(),
            "--out is required"
        );
        assert!(
            RevealCli::try_parse_from(["reveal"]).is_err(),
            "an address is required"
        );
    }

    #[test]
    fn prefix_ranges_are_enforced() {
        assert!(Cli::try_parse_from(["anonlog", "--ipv4-prefix", "33"]).is_err());
        assert!(Cli::try_parse_from(["anonlog", "--ipv6-prefix", "129"]).is_err());
        assert!(
            Cli::try_parse_from(["anonlog", "--ipv4-prefix", "0", "--ipv6-prefix", "128"]).is_ok()
        );
    }
}
