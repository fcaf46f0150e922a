//! The command line resolved into a [`Config`] (fd's `construct_config`):
//! one small helper per concern, each validating what it reads. The checks
//! run in a fixed order (mode, format and rules, keys, engine, addresses),
//! so that of several mistakes the same one is always reported.

use std::os::fd::AsFd;
use std::sync::Arc;

use anyhow::{anyhow, ensure};

use super::cli::{Cli, FormatArg, OnUnparsedArg, ReferrerArg, StatsArg, UserArg};
use crate::addr::Truncate;
use crate::anonymize::{OnUnparsed, ReferrerMode, Rules};
use crate::config::{
    Config, DEFAULT_BLOCK_SIZE, Destination, EngineOpts, ListenAddr, ListenConfig, Mode,
    ReportOpts, Rewrite, Source, StatsFormat,
};
use crate::format::json::JsonFormat;
use crate::format::{Parser, Predefined};

/// Resolves the command line into a configuration.
///
/// # Errors
/// A flag combination that makes no sense, a value out of range, a format
/// definition that does not compile, a key that cannot be loaded, or an
/// output that is one of the inputs.
pub fn config(cli: Cli) -> anyhow::Result<Config> {
    let mode = mode(&cli)?;
    let (rules, unknown_fields) = rules(&cli)?;
    let keyed = super::keys::keyed_config(&cli)?;
    let engine = engine_opts(&cli)?;
    Ok(Config {
        mode,
        engine,
        rules: Arc::new(rules),
        rewrite: Rewrite {
            truncate: {
                let (v4, v6) =
                    super::preset::prefixes(cli.privacy.preset, cli.ipv4_prefix, cli.ipv6_prefix);
                Truncate::new(v4, v6)?
            },
            keyed,
            keep: super::privacy::keep_nets(&cli.privacy.keep_net)?,
            anonip: None,
        },
        report: ReportOpts {
            unknown_fields,
            stats: cli.stats.map(|s| match s {
                StatsArg::Text => StatsFormat::Text,
                StatsArg::Json => StatsFormat::Json,
            }),
            quiet: cli.quiet,
            record: cli.report.clone(),
        },
    })
}

/// Stream, in-place or listener, with where lines come from and go to.
fn mode(cli: &Cli) -> anyhow::Result<Mode> {
    ensure_no_file_is_a_misplaced_word(cli)?;
    let output = cli
        .output
        .clone()
        .map_or(Destination::Stdout, Destination::Append);
    if cli.in_place {
        ensure!(!cli.files.is_empty(), "--in-place needs at least one FILE");
        ensure!(
            cli.files.iter().all(|f| f.as_os_str() != "-"),
            "--in-place cannot rewrite standard input"
        );
    }
    let older_than = super::age::older_than(cli)?;
    if let Some(addr) = &cli.listen {
        return listen_config(cli, addr, output).map(Mode::Listen);
    }
    if cli.in_place {
        return Ok(Mode::InPlace {
            paths: cli.files.clone(),
            recursive: cli.recursive,
            older_than,
        });
    }
    let inputs = if cli.files.is_empty() {
        vec![Source::Stdin]
    } else {
        cli.files.iter().cloned().map(Source::from_arg).collect()
    };
    ensure_output_is_not_an_input(&inputs, &output)?;
    Ok(Mode::Stream { inputs, output })
}

/// Refuses a FILE that does not exist and is a word meant for anonlog
/// itself (`anonlog help`, `--stats json`, since `--stats` takes its value
/// only after `=`), with the syntax that says it; a file of that name that
/// exists is read like any other.
fn ensure_no_file_is_a_misplaced_word(cli: &Cli) -> anyhow::Result<()> {
    for file in &cli.files {
        let hint = match file.to_str() {
            Some("help") => "for help use `anonlog --help`",
            Some("version") => "for the version use `anonlog --version`",
            Some("json") if cli.stats.is_some() => {
                "for machine-readable stats use --stats=json (--stats takes its value after `=`)"
            }
            Some("text") if cli.stats.is_some() => {
                "--stats alone writes text; it takes a value only after `=` (--stats=text)"
            }
            _ => continue,
        };
        if std::fs::symlink_metadata(file).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
        {
            anyhow::bail!("no file `{}`; {hint}", file.display());
        }
    }
    Ok(())
}

/// `--listen` and the options that go with it.
fn listen_config(cli: &Cli, addr: &str, output: Destination) -> anyhow::Result<ListenConfig> {
    ensure!(
        cli.on_unparsed != OnUnparsedArg::Fail,
        "--on-unparsed fail cannot be used with --listen (a listener must not stop on a line)"
    );
    let addr = ListenAddr::parse(addr).map_err(|e| anyhow!("--listen: {e}"))?;
    let routes = tag_routes(&cli.tag_output)?;
    ensure!(
        matches!(addr, ListenAddr::Unix(_))
            || (cli.socket_group.is_none() && cli.socket_mode.is_none()),
        "--socket-group and --socket-mode apply to a unix socket only"
    );
    let socket_group = match &cli.socket_group {
        None => None,
        Some(g) => {
            Some(crate::engine::listen::parse_group(g).map_err(|e| anyhow!("--socket-group {e}"))?)
        }
    };
    let socket_mode = socket_mode(cli.socket_mode.as_deref(), socket_group.is_some())?;
    Ok(ListenConfig {
        addr,
        output,
        socket_mode,
        socket_group,
        routes,
    })
}

/// `--tag-output TAG=PATH`, in order.
fn tag_routes(args: &[String]) -> anyhow::Result<Vec<(Vec<u8>, Destination)>> {
    args.iter()
        .map(|r| {
            let (tag, path) = r
                .split_once('=')
                .filter(|(t, p)| !t.is_empty() && !p.is_empty())
                .ok_or_else(|| anyhow!("--tag-output {r:?}: expected TAG=PATH"))?;
            Ok((tag.as_bytes().to_vec(), Destination::Append(path.into())))
        })
        .collect()
}

/// `--socket-mode` as permission bits: owner-only by default, group too
/// when a group is given.
fn socket_mode(arg: Option<&str>, has_group: bool) -> anyhow::Result<u32> {
    match arg {
        None if has_group => Ok(0o660),
        None => Ok(0o600),
        Some(m) => u32::from_str_radix(m, 8)
            .ok()
            .filter(|m| *m <= 0o777)
            .ok_or_else(|| anyhow!("--socket-mode {m:?}: expected octal permission bits")),
    }
}

/// Refuses an output that is one of the inputs (same device and inode,
/// whether named again, through a hard link or a symlink, or reached by a
/// shell's `>>` on standard output): appending to it would put anonymized
/// lines into the raw file, and reading them back could never end. Checked
/// before anything is opened for writing. Inputs that cannot be examined
/// are left to the run to report.
fn ensure_output_is_not_an_input(inputs: &[Source], output: &Destination) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let stdio = |fd: std::os::fd::BorrowedFd<'_>| {
        fd.try_clone_to_owned()
            .ok()
            .and_then(|fd| std::fs::File::from(fd).metadata().ok())
    };
    let out = match output {
        Destination::Stdout => stdio(std::io::stdout().as_fd()),
        Destination::Append(p) => std::fs::metadata(p).ok(),
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
            anyhow::bail!(
                "the output {} is the input {}: appending would mix anonymized lines into the raw file; write to another file (or use --in-place)",
                output.name(),
                input.name()
            );
        }
    }
    Ok(())
}

/// The anonymization rules, and the fields of a compiled format that have
/// no rule.
fn rules(cli: &Cli) -> anyhow::Result<(Rules, Vec<String>)> {
    let json = json_format(cli)?;
    let custom = custom_format(cli)?;
    let candidates = if cli.format == FormatArg::Auto && custom.is_none() {
        auto_candidates(&json)
    } else {
        Vec::new()
    };
    let (parser, unknown_fields) =
        custom.unwrap_or_else(|| (predefined_parser(cli.format, json), Vec::new()));
    let rules = Rules {
        parser,
        keep_query: cli.keep_query,
        referrer: match cli.referrer {
            ReferrerArg::Remove => ReferrerMode::Remove,
            ReferrerArg::Origin => ReferrerMode::Origin,
            ReferrerArg::Keep => ReferrerMode::Keep,
        },
        keep_user: cli.keep_user || cli.user == Some(UserArg::Keep),
        on_unparsed: match cli.on_unparsed {
            OnUnparsedArg::Scrub => OnUnparsed::Scrub,
            OnUnparsedArg::Drop => OnUnparsed::Drop,
            OnUnparsedArg::Fail => OnUnparsed::Fail,
        },
        max_line: cli.max_line_bytes,
        time_resolution: cli.privacy.time_resolution.resolution(),
        path_rules: super::privacy::path_rules(&cli.privacy.path_rules)?,
        keep_params: super::privacy::keep_params(&cli.privacy.keep_query_param)?,
        user_agent: super::privacy::user_agent(cli.privacy.user_agent)?,
        replacement: Vec::new(),
        candidates,
        max_unparsed: cli.max_unparsed,
    };
    Ok((rules, unknown_fields))
}

/// The JSON format with the `--json-key` rules.
fn json_format(cli: &Cli) -> anyhow::Result<JsonFormat> {
    let mut json = JsonFormat::new();
    for rule in &cli.json_key {
        ensure!(
            matches!(cli.format, FormatArg::Json | FormatArg::Auto),
            "--json-key needs -f json or -f auto"
        );
        json.add_rule(rule)
            .map_err(|e| anyhow!("--json-key {rule:?}: {e}"))?;
    }
    Ok(json)
}

/// The candidates of `-f auto`: the built-in formats, JSON with the
/// `--json-key` rules.
fn auto_candidates(json: &JsonFormat) -> Vec<Parser> {
    crate::format::detect::builtin_candidates()
        .into_iter()
        .map(|p| match p {
            Parser::Json(_) => Parser::Json(json.clone()),
            other => other,
        })
        .collect()
}

/// The parser of `-f` (`auto` parses as `combined` until a candidate is
/// chosen).
fn predefined_parser(format: FormatArg, json: JsonFormat) -> Parser {
    match format {
        FormatArg::Combined | FormatArg::Auto => Parser::Template(Predefined::Combined.template()),
        FormatArg::Common => Parser::Template(Predefined::Common.template()),
        FormatArg::Main => Parser::Template(Predefined::Main.template()),
        FormatArg::VhostCombined => Parser::Template(Predefined::VhostCombined.template()),
        FormatArg::Json => Parser::Json(json),
        FormatArg::NginxError => Parser::NginxError,
        FormatArg::ApacheError => Parser::ApacheError,
    }
}

/// A format compiled from `--nginx-format`, `--nginx-conf` or
/// `--apache-format`, with its unknown fields; `None` when `-f` applies.
fn custom_format(cli: &Cli) -> anyhow::Result<Option<(Parser, Vec<String>)>> {
    use crate::format::{apache, nginx};
    let vars = nginx_vars(cli)?;
    if let Some(arg) = &cli.nginx_format {
        let c = nginx::compile_arg("nginx-format", arg, &vars)
            .map_err(|e| anyhow!("--nginx-format: {e}\n{}", e.render(arg)))?;
        return Ok(Some((Parser::Template(c.template), c.unknown)));
    }
    if let Some(conf) = &cli.nginx_conf {
        let origin = cli.log_format.as_str();
        let spec = super::nginx_conf::format_from_conf(conf, origin)
            .map_err(|e| anyhow!(crate::error::chain(&e)))?;
        let c = nginx::compile_with(origin, &spec, &vars)
            .map_err(|e| anyhow!("log_format {origin}: {e}\n{}", e.render(&spec)))?;
        return Ok(Some((Parser::Template(c.template), c.unknown)));
    }
    if let Some(spec) = &cli.apache_format {
        let c = apache::compile_arg("apache-format", spec)
            .map_err(|e| anyhow!("--apache-format: {e}\n{}", e.render(spec)))?;
        return Ok(Some((Parser::Template(c.template), c.unknown)));
    }
    Ok(None)
}

/// The `--nginx-var` names, lowercase and without a leading `$`.
fn nginx_vars(cli: &Cli) -> anyhow::Result<Vec<String>> {
    ensure!(
        cli.nginx_var.is_empty() || cli.nginx_format.is_some() || cli.nginx_conf.is_some(),
        "--nginx-var needs --nginx-format or --nginx-conf"
    );
    cli.nginx_var
        .iter()
        .map(|v| {
            let name = v.strip_prefix('$').unwrap_or(v).to_ascii_lowercase();
            ensure!(
                !name.is_empty() && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_'),
                "--nginx-var {v:?}: a variable name is made of letters, digits and `_`"
            );
            Ok(name)
        })
        .collect()
}

/// Threads, block size, line limit, compression and its levels.
fn engine_opts(cli: &Cli) -> anyhow::Result<EngineOpts> {
    let threads = match cli.threads {
        Some(n) if n > 0 => n,
        _ => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let block_size = cli.block_size.unwrap_or(DEFAULT_BLOCK_SIZE);
    ensure!(block_size > 0, "--block-size must be at least 1");
    ensure!(
        cli.max_line_bytes > 0,
        "--max-line-bytes must be at least 1"
    );
    Ok(EngineOpts {
        threads: threads.min(256),
        block_size,
        max_line_bytes: cli.max_line_bytes,
        compress: if cli.compress.zstd {
            Some(crate::config::Codec::Zstd)
        } else {
            cli.compress.gzip.then_some(crate::config::Codec::Gzip)
        },
        levels: crate::config::Levels {
            gzip: cli.compress.gzip_level,
            zstd: cli.compress.zstd_level,
        },
    })
}
