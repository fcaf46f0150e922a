//! The resolved, typed settings of a run. Built once from the command line;
//! the pipeline sees only this.

use std::os::fd::AsFd;
use std::sync::Arc;

use crate::addr::Truncate;
use crate::anonymize::{OnUnparsed, ReferrerMode, Rules};
use crate::cli::{Cli, FormatArg, OnUnparsedArg, ReferrerArg, StatsArg};
use crate::format::Predefined;
use crate::input::Source;
use crate::output::Target;

/// Default read and work unit. 1 MiB keeps every core busy and the memory
/// bound small (measured: 256 KiB to 4 MiB perform alike; 64 KiB costs ~13%).
pub const DEFAULT_BLOCK_SIZE: usize = 1 << 20;

/// How `--stats` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatsFormat {
    /// `anonlog: name value` lines.
    Text,
    /// One JSON object.
    Json,
}

/// Everything a run needs, validated.
#[derive(Clone, Debug)]
pub struct Config {
    /// Inputs in order; never empty (stdin when none was named).
    pub inputs: Vec<Source>,
    /// Where the output goes.
    pub output: Target,
    /// The anonymization policy, shared by all workers.
    pub rules: Arc<Rules>,
    /// The address truncation.
    pub truncate: Truncate,
    /// Worker threads, at least 1. With 1, everything runs on the calling thread.
    pub threads: usize,
    /// Read and work unit in bytes, at least 1.
    pub block_size: usize,
    /// Longest line held for parsing.
    pub max_line_bytes: usize,
    /// Compress the output as gzip at this level (independent members, one
    /// per block, compressed in parallel).
    pub gzip: Option<flate2::Compression>,
    /// Rewrite the inputs in place instead of streaming them to `output`.
    pub in_place: bool,
    /// With `in_place`: walk directories.
    pub recursive: bool,
    /// Listener mode.
    pub listen: Option<crate::listen::ListenConfig>,
    /// Fields of a compiled format that anonlog has no rule for: kept,
    /// scrubbed of IP literals, and named in `--stats`.
    pub unknown_fields: Vec<String>,
    /// Summary at exit.
    pub stats: Option<StatsFormat>,
    /// Print nothing on success.
    pub quiet: bool,
    /// Keyed pseudonyms and user tokens (`--pseudonymize`, `--user
    /// pseudonymize`): the master key and how it is used.
    pub keyed: Option<Arc<crate::anonymize::keyed::KeyedConfig>>,
}

impl Config {
    /// A worker's address rewriter: truncation, or keyed pseudonyms.
    pub fn rewriter(&self) -> crate::anonymize::keyed::Rewriter {
        crate::anonymize::keyed::Rewriter::new(self.truncate, self.keyed.as_ref())
    }

    /// Resolves the command line into a configuration.
    pub fn from_cli(cli: Cli) -> anyhow::Result<Config> {
        if cli.in_place {
            anyhow::ensure!(!cli.files.is_empty(), "--in-place needs at least one FILE");
            anyhow::ensure!(
                cli.files.iter().all(|f| f.as_os_str() != "-"),
                "--in-place cannot rewrite standard input"
            );
        }
        let listen = match &cli.listen {
            None => None,
            Some(a) => {
                anyhow::ensure!(
                    cli.on_unparsed != OnUnparsedArg::Fail,
                    "--on-unparsed fail cannot be used with --listen (a listener must not stop on a line)"
                );
                let addr = crate::listen::ListenAddr::parse(a)
                    .map_err(|e| anyhow::anyhow!("--listen: {e}"))?;
                let mut routes = Vec::new();
                for r in &cli.tag_output {
                    let (tag, path) = r
                        .split_once('=')
                        .filter(|(t, p)| !t.is_empty() && !p.is_empty())
                        .ok_or_else(|| anyhow::anyhow!("--tag-output {r:?}: expected TAG=PATH"))?;
                    routes.push((tag.as_bytes().to_vec(), Target::Append(path.into())));
                }
                let unix = matches!(addr, crate::listen::ListenAddr::Unix(_));
                anyhow::ensure!(
                    unix || (cli.socket_group.is_none() && cli.socket_mode.is_none()),
                    "--socket-group and --socket-mode apply to a unix socket only"
                );
                let socket_group = match &cli.socket_group {
                    None => None,
                    Some(g) => Some(
                        crate::listen::parse_group(g)
                            .map_err(|e| anyhow::anyhow!("--socket-group {e}"))?,
                    ),
                };
                let socket_mode = match &cli.socket_mode {
                    None if socket_group.is_some() => 0o660,
                    None => 0o600,
                    Some(m) => u32::from_str_radix(m, 8)
                        .ok()
                        .filter(|m| *m <= 0o777)
                        .ok_or_else(|| {
                            anyhow::anyhow!("--socket-mode {m:?}: expected octal permission bits")
                        })?,
                };
                Some(crate::listen::ListenConfig {
                    addr,
                    socket_mode,
                    socket_group,
                    routes,
                })
            }
        };
        let inputs = if cli.files.is_empty() {
            vec![Source::Stdin]
        } else {
            cli.files.iter().cloned().map(Source::from_arg).collect()
        };
        let output = cli.output.clone().map_or(Target::Stdout, Target::Append);
        if listen.is_none() && !cli.in_place {
            output_is_not_an_input(&inputs, &output)?;
        }
        let mut json = crate::format::json::JsonFormat::new();
        for rule in &cli.json_key {
            anyhow::ensure!(
                matches!(cli.format, FormatArg::Json | FormatArg::Auto),
                "--json-key needs -f json or -f auto"
            );
            json.add_rule(rule)
                .map_err(|e| anyhow::anyhow!("--json-key {rule:?}: {e}"))?;
        }
        let custom = custom_format(&cli)?;
        let candidates = if cli.format == FormatArg::Auto && custom.is_none() {
            crate::format::detect::builtin_candidates()
                .into_iter()
                .map(|p| match p {
                    crate::format::Parser::Json(_) => crate::format::Parser::Json(json.clone()),
                    other => other,
                })
                .collect()
        } else {
            Vec::new()
        };
        let (parser, unknown_fields) = custom.unwrap_or_else(|| {
            use crate::format::Parser;
            let p = match cli.format {
                FormatArg::Combined | FormatArg::Auto => {
                    Parser::Template(Predefined::Combined.template())
                }
                FormatArg::Common => Parser::Template(Predefined::Common.template()),
                FormatArg::Main => Parser::Template(Predefined::Main.template()),
                FormatArg::VhostCombined => Parser::Template(Predefined::VhostCombined.template()),
                FormatArg::Json => Parser::Json(json),
                FormatArg::NginxError => Parser::NginxError,
                FormatArg::ApacheError => Parser::ApacheError,
            };
            (p, Vec::new())
        });
        let rules = Rules {
            parser,
            keep_query: cli.keep_query,
            referrer: match cli.referrer {
                ReferrerArg::Remove => ReferrerMode::Remove,
                ReferrerArg::Origin => ReferrerMode::Origin,
                ReferrerArg::Keep => ReferrerMode::Keep,
            },
            keep_user: cli.keep_user || cli.user == Some(crate::cli::UserArg::Keep),
            on_unparsed: match cli.on_unparsed {
                OnUnparsedArg::Scrub => OnUnparsed::Scrub,
                OnUnparsedArg::Drop => OnUnparsed::Drop,
                OnUnparsedArg::Fail => OnUnparsed::Fail,
            },
            max_line: cli.max_line_bytes,
            candidates,
            max_unparsed: cli.max_unparsed,
        };
        let keyed = crate::keycmd::keyed_config(&cli)?;
        let threads = match cli.threads {
            Some(n) if n > 0 => n,
            _ => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let block_size = cli.block_size.unwrap_or(DEFAULT_BLOCK_SIZE);
        anyhow::ensure!(block_size > 0, "--block-size must be at least 1");
        anyhow::ensure!(
            cli.max_line_bytes > 0,
            "--max-line-bytes must be at least 1"
        );
        Ok(Config {
            inputs,
            output,
            rules: Arc::new(rules),
            truncate: Truncate::new(cli.ipv4_prefix, cli.ipv6_prefix)?,
            threads: threads.min(256),
            block_size,
            max_line_bytes: cli.max_line_bytes,
            listen,
            unknown_fields,
            in_place: cli.in_place,
            recursive: cli.recursive,
            gzip: cli.gzip.then(|| flate2::Compression::new(cli.gzip_level)),
            stats: cli.stats.map(|s| match s {
                StatsArg::Text => StatsFormat::Text,
                StatsArg::Json => StatsFormat::Json,
            }),
            quiet: cli.quiet,
            keyed,
        })
    }
}

/// Refuses an output that is one of the inputs (same device and inode,
/// whether named again, through a hard link or a symlink, or reached by a
/// shell's `>>` on standard output): appending to it would put anonymized
/// lines into the raw file, and reading them back could never end. Checked
/// before anything is opened for writing. Inputs that cannot be examined
/// are left to the run to report.
fn output_is_not_an_input(inputs: &[Source], output: &Target) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let stdio = |fd: std::os::fd::BorrowedFd<'_>| {
        fd.try_clone_to_owned()
            .ok()
            .and_then(|fd| std::fs::File::from(fd).metadata().ok())
    };
    let out = match output {
        Target::Stdout => stdio(std::io::stdout().as_fd()),
        Target::Append(p) => std::fs::metadata(p).ok(),
    };
    // Only a regular file can take raw lines in and keep them; the same
    // pipe or device on both sides is something else.
    let Some(out) = out.filter(|m| m.is_file()) else {
        return Ok(());
    };
    for input in inputs {
        let m = match input {
            Source::Stdin => stdio(std::io::stdin().as_fd()),
            Source::File(p) => std::fs::metadata(p).ok(),
        };
        if m.is_some_and(|m| m.dev() == out.dev() && m.ino() == out.ino()) {
            let shown = match output {
                Target::Stdout => "<stdout>".to_owned(),
                Target::Append(p) => crate::error::show_path(p),
            };
            anyhow::bail!(
                "the output {} is the input {}: appending would mix anonymized lines into the raw file; write to another file (or use --in-place)",
                shown,
                input.name()
            );
        }
    }
    Ok(())
}

/// A format compiled from `--nginx-format`, `--nginx-conf` or
/// `--apache-format`, with its unknown fields; `None` when `-f` applies.
fn custom_format(cli: &Cli) -> anyhow::Result<Option<(crate::format::Parser, Vec<String>)>> {
    use crate::format::{Parser, apache, nginx};
    let vars = nginx_vars(cli)?;
    if let Some(arg) = &cli.nginx_format {
        let c = nginx::compile_arg("nginx-format", arg, &vars)
            .map_err(|e| anyhow::anyhow!("--nginx-format: {e}\n{}", e.render(arg)))?;
        return Ok(Some((Parser::Template(c.template), c.unknown)));
    }
    if let Some(conf) = &cli.nginx_conf {
        let origin = cli.log_format.as_str();
        let spec = nginx::format_from_conf(conf, origin)
            .map_err(|e| anyhow::anyhow!(crate::error::chain(&e)))?;
        let c = nginx::compile_with(origin, &spec, &vars)
            .map_err(|e| anyhow::anyhow!("log_format {origin}: {e}\n{}", e.render(&spec)))?;
        return Ok(Some((Parser::Template(c.template), c.unknown)));
    }
    if let Some(spec) = &cli.apache_format {
        let c = apache::compile_arg("apache-format", spec)
            .map_err(|e| anyhow::anyhow!("--apache-format: {e}\n{}", e.render(spec)))?;
        return Ok(Some((Parser::Template(c.template), c.unknown)));
    }
    Ok(None)
}

/// The `--nginx-var` names, lowercase and without a leading `$`.
fn nginx_vars(cli: &Cli) -> anyhow::Result<Vec<String>> {
    anyhow::ensure!(
        cli.nginx_var.is_empty() || cli.nginx_format.is_some() || cli.nginx_conf.is_some(),
        "--nginx-var needs --nginx-format or --nginx-conf"
    );
    cli.nginx_var
        .iter()
        .map(|v| {
            let name = v.strip_prefix('$').unwrap_or(v).to_ascii_lowercase();
            anyhow::ensure!(
                !name.is_empty() && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_'),
                "--nginx-var {v:?}: a variable name is made of letters, digits and `_`"
            );
            Ok(name)
        })
        .collect()
}
