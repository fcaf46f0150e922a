//! anonip mode: anonlog started as `anonip` (a symlink) or as `anonlog
//! anonip ...` takes anonip 1.1.0's command line, validated as anonip
//! validates it (the same ranges and messages, usage errors exit 2), and
//! runs the ordinary engine with the `columns` format and anonip's rewrite.
//!
//! Where anonip would write a line raw (a selected column that is no
//! address, a column that is missing, a regex that does not match), the
//! line takes anonlog's fail-closed path instead, and nothing of a line is
//! ever printed on stderr, `--debug` or not.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::error::ErrorKind;
use clap::{CommandFactory as _, Parser as _};

use crate::addr::Truncate;
use crate::anonymize::Rules;
use crate::anonymize::anonip::AnonipRewrite;
use crate::config::{
    Config, DEFAULT_BLOCK_SIZE, Destination, EngineOpts, Mode, ReportOpts, Rewrite, Source,
    StatsFormat,
};
use crate::format::Parser;
use crate::format::columns::{Columns, ColumnsError};
use crate::stats::Share;

/// The anonip release whose command line and output this mode follows.
pub const ANONIP_VERSION: &str = "1.1.0";

/// anonip 1.1.0's options, as its argparse parser declares them.
#[derive(clap::Parser, Debug)]
#[command(
    name = "anonip",
    about = "Anonip is a tool to anonymize IP-addresses in log files.\n\
             (anonlog in anonip mode: anonip 1.1.0's command line on anonlog's engine.)",
    after_help = "Example-usage in apache-config:\n\
                  CustomLog \"| /path/to/anonip [OPTIONS] --output /path/to/log\" combined\n\n\
                  Unlike anonip, a line whose selected column is no address (without \
                  --replace), lacks that column, or does not match --regex is scrubbed by \
                  anonlog's fail-closed scrubber instead of written unchanged.",
    disable_version_flag = true,
    args_override_self = true,
    infer_long_args = true
)]
pub struct AnonipCli {
    /// truncate the last n bits (default: 12)
    #[arg(short = '4', long = "ipv4mask", value_name = "INTEGER", default_value = "12",
          value_parser = |s: &str| mask(s, 32), hide_default_value = true)]
    pub ipv4mask: u8,
    /// truncate the last n bits (default: 84)
    #[arg(short = '6', long = "ipv6mask", value_name = "INTEGER", default_value = "84",
          value_parser = |s: &str| mask(s, 128), hide_default_value = true)]
    pub ipv6mask: u8,
    /// increment the IP address by n (default: 0)
    #[arg(short = 'i', long, value_name = "INTEGER", value_parser = increment)]
    pub increment: Option<Increment>,
    /// file to write to
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// File or FIFO to read from (default: stdin)
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// assume IP address is in column n (1-based indexed; default: 1)
    #[arg(short = 'c', long = "column", value_name = "INTEGER", num_args = 1..,
          value_parser = column)]
    pub columns: Option<Vec<usize>>,
    /// log delimiter (default: " ")
    #[arg(short = 'l', long, value_name = "STRING")]
    pub delimiter: Option<OsString>,
    /// regex for detecting IP addresses (use optionally instead of -c)
    #[arg(long, value_name = "STRING", num_args = 1.., value_parser = regex_arg)]
    pub regex: Option<Vec<String>>,
    /// replacement string in case address parsing fails (Example: 0.0.0.0)
    #[arg(short = 'r', long, value_name = "STRING")]
    pub replace: Option<OsString>,
    /// do not mask addresses in private ranges. See IANA Special-Purpose
    /// Address Registry.
    #[arg(short = 'p', long = "skip-private")]
    pub skip_private: bool,
    /// print debug messages (here: the run's counters at exit; never log
    /// content)
    #[arg(short = 'd', long)]
    pub debug: bool,
    /// show program's version number and exit
    #[arg(short = 'v', long)]
    pub version: bool,
}

/// An `--increment`: `None` when it exceeds every address space (anonip
/// then fails to add it and writes the masked address).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Increment(pub Option<u128>);

/// True when the program was started under the name `anonip` (the
/// symlink the package installs), whatever its directory.
pub fn invoked_as_anonip(args: &[OsString]) -> bool {
    args.first()
        .and_then(|a| Path::new(a).file_name())
        .is_some_and(|n| n == OsStr::new("anonip"))
}

/// Runs anonip mode on `args` (`args[0]` is the program name) and returns
/// the exit status: 0 success (lines scrubbed instead of passed through are
/// reported on stderr but are no failure, as in anonip), 2 usage or I/O.
pub fn main(args: &[OsString]) -> ExitCode {
    let cli = match AnonipCli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => return clap_exit(&e),
    };
    if cli.version {
        println!(
            "{ANONIP_VERSION} (anonlog {}, anonip-compatible)",
            env!("CARGO_PKG_VERSION")
        );
        return ExitCode::SUCCESS;
    }
    let config = match config(&cli) {
        Ok(c) => c,
        Err(e) => return clap_exit(&e),
    };
    super::run_config(&config)
}

fn clap_exit(e: &clap::Error) -> ExitCode {
    let _ = e.print();
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
}

/// The run anonip's options describe; the errors are usage errors, in
/// anonip's words where anonip has them.
pub fn config(cli: &AnonipCli) -> Result<Config, clap::Error> {
    let usage = |kind, msg: &str| AnonipCli::command().error(kind, msg);
    let regex = cli.regex.as_deref().filter(|r| !r.is_empty());
    if regex.is_some() && (cli.columns.is_some() || cli.delimiter.is_some()) {
        return Err(usage(
            ErrorKind::ArgumentConflict,
            "Ambiguous arguments: When using \"--regex\", \"-c\" and \"-l\" can't be used.",
        ));
    }
    // anonip tests `if self.replace:`, so an empty replacement is none.
    let replacement = cli.replace.as_ref().map_or(&[][..], |r| r.as_bytes());
    let replace = !replacement.is_empty();
    let columns = match regex {
        Some(r) => Columns::regex(r, replace),
        None => Columns::split(
            cli.columns.as_deref().unwrap_or(&[1]),
            cli.delimiter.as_ref().map_or(b" ", |d| d.as_bytes()),
            replace,
        ),
    }
    .map_err(|e| {
        let arg = match e {
            ColumnsError::EmptyDelimiter => "-l/--delimiter",
            ColumnsError::NoColumn => "-c/--column",
            ColumnsError::Regex(_) => "--regex",
        };
        usage(ErrorKind::ValueValidation, &format!("argument {arg}: {e}"))
    })?;
    let increment = cli.increment.map_or(Some(0), |i| i.0);
    let anonip = AnonipRewrite::new(cli.ipv4mask, cli.ipv6mask, increment, cli.skip_private)
        .map_err(|e| usage(ErrorKind::ValueValidation, &e.to_string()))?;
    let truncate = Truncate::new(32 - cli.ipv4mask, 128 - cli.ipv6mask)
        .map_err(|e| usage(ErrorKind::ValueValidation, &e.to_string()))?;
    let rules = Rules {
        // Lines that keep no column are scrubbed, as the mode promises,
        // but never make the run fail: anonip has no such notion.
        max_unparsed: Share::parse_percent("100").expect("100% is a share"),
        replacement: replacement.to_vec(),
        ..Rules::new(Parser::Columns(Box::new(columns)))
    };
    let inputs = vec![cli.input.clone().map_or(Source::Stdin, Source::from_arg)];
    let output = cli
        .output
        .clone()
        .map_or(Destination::Stdout, Destination::Append);
    Ok(Config {
        mode: Mode::Stream { inputs, output },
        engine: EngineOpts {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get().min(256)),
            block_size: DEFAULT_BLOCK_SIZE,
            max_line_bytes: rules.max_line,
            compress: None,
            levels: crate::config::Levels::default(),
        },
        rules: Arc::new(rules),
        rewrite: Rewrite {
            truncate,
            keyed: None,
            keep: None,
            anonip: Some(anonip),
        },
        report: ReportOpts {
            unknown_fields: Vec::new(),
            stats: cli.debug.then_some(StatsFormat::Text),
            quiet: false,
            // anonip has no such option; a drop-in records nothing.
            record: None,
        },
    })
}

/// An integer as Python's `int()` reads one: surrounding whitespace, a
/// sign, decimal digits with single `_` between them. `Err(true)` when the
/// text is an integer but does not fit (an absolute value over `u128`).
fn py_int(s: &str) -> Result<(bool, u128), bool> {
    let t = s.trim();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let b = digits.as_bytes();
    let well_formed = !b.is_empty()
        && b[0].is_ascii_digit()
        && b[b.len() - 1].is_ascii_digit()
        && b.iter().all(|c| c.is_ascii_digit() || *c == b'_')
        && !digits.contains("__");
    if !well_formed {
        return Err(false);
    }
    let mut v: u128 = 0;
    for c in b.iter().filter(|c| c.is_ascii_digit()) {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u128::from(c - b'0')))
            .ok_or(true)?;
    }
    Ok((neg && v != 0, v))
}

/// anonip's `_validate_ipmask`: an integer in 1..=`bits`.
fn mask(s: &str, bits: u8) -> Result<u8, String> {
    match py_int(s) {
        Ok((false, v)) if (1..=u128::from(bits)).contains(&v) => Ok(v as u8),
        _ => Err(format!("must be an integer between 1 and {bits}")),
    }
}

/// anonip's `_validate_integer_ht_0`: an integer of at least 1, however
/// large.
fn positive(s: &str) -> Result<Option<u128>, String> {
    match py_int(s) {
        Ok((false, v)) if v >= 1 => Ok(Some(v)),
        Err(true) if !s.trim().starts_with('-') => Ok(None),
        _ => Err("must be a positive integer".into()),
    }
}

fn increment(s: &str) -> Result<Increment, String> {
    positive(s).map(Increment)
}

/// A column number; one past any line's width is simply never there.
fn column(s: &str) -> Result<usize, String> {
    positive(s).map(|v| v.map_or(usize::MAX, |v| usize::try_from(v).unwrap_or(usize::MAX)))
}

/// anonip's `regex_arg_type`: a pattern that compiles (here with the
/// `regex` crate's syntax, which has no look-around and no
/// backreferences).
fn regex_arg(s: &str) -> Result<String, String> {
    match regex::bytes::Regex::new(s) {
        Ok(_) => Ok(s.to_owned()),
        Err(e) => {
            let e = e.to_string();
            let last = e.lines().last().unwrap_or_default().trim();
            let last = last.strip_prefix("error: ").unwrap_or(last);
            Err(format!("must be a valid regex. Error: {last}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_as_python_reads_them() {
        assert_eq!(py_int(" 12 "), Ok((false, 12)));
        assert_eq!(py_int("+0_12"), Ok((false, 12)));
        assert_eq!(py_int("-1"), Ok((true, 1)));
        assert_eq!(py_int("-0"), Ok((false, 0)));
        for bad in ["", "1__2", "_1", "1_", "0x10", "1.0", "string", "- 1"] {
            assert_eq!(py_int(bad), Err(false), "{bad:?}");
        }
        assert_eq!(py_int(&"9".repeat(50)), Err(true));
    }

    #[test]
    fn ranges_are_anonips() {
        assert_eq!(mask("1", 32), Ok(1));
        assert_eq!(mask("32", 32), Ok(32));
        for bad in ["0", "33", "-1", "string"] {
            assert!(mask(bad, 32).is_err(), "{bad}");
        }
        assert!(mask("129", 128).is_err());
        assert_eq!(positive("1"), Ok(Some(1)));
        assert_eq!(positive(&"9".repeat(50)), Ok(None));
        for bad in ["0", "-1", "string", &format!("-{}", "9".repeat(50))] {
            assert!(positive(bad).is_err(), "{bad}");
        }
        assert_eq!(regex_arg("valid (.*)"), Ok("valid (.*)".into()));
        assert!(regex_arg("\\9").is_err());
    }

    #[test]
    fn the_program_name_decides() {
        let a = |s: &str| vec![OsString::from(s)];
        assert!(invoked_as_anonip(&a("/usr/bin/anonip")));
        assert!(invoked_as_anonip(&a("anonip")));
        assert!(!invoked_as_anonip(&a("/usr/bin/anonlog")));
        assert!(!invoked_as_anonip(&a("anonip.py")));
    }
}
