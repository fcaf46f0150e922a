//! The command-line application: the only home of clap types and of the
//! text a user reads. It resolves arguments into a
//! [`Config`](crate::config::Config), hands that to the engine, and says
//! what the run did.
//!
//! anonlog has no subcommand syntax of its own (`anonlog [OPTIONS]
//! [FILE]...`), so [`main`] recognises `check`, `keygen`, `reveal`, `man`,
//! `completions` and `anonip` only as the first argument; a log file of
//! that name is given as `./man` or `-- man`. Started under the name
//! `anonip`, the program is anonip ([`anonip`]).

pub mod age;
pub mod anonip;
pub mod check;
pub mod cli;
pub mod docs;
pub mod json;
pub mod keyfile;
pub mod keygen;
pub mod keys;
pub mod nginx_conf;
pub mod record;
pub mod report;
pub mod resolve;
pub mod reveal;
mod suggest;

use std::ffi::OsString;
use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use crate::Report;
use crate::error::chain;

/// Runs the whole program on its arguments (`args[0]` is the program
/// name) and returns its exit status: 0 success, 1 data (a format that
/// does not fit, a line that must not pass), 2 usage or I/O.
pub fn main(args: Vec<OsString>) -> ExitCode {
    if anonip::invoked_as_anonip(&args) {
        return anonip::main(&args);
    }
    if let Some(status) = dispatch(&args) {
        return status;
    }
    let config = match resolve::config(cli::Cli::parse_from(args)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("anonlog: error: {}", chain(e.as_ref()));
            return ExitCode::from(2);
        }
    };
    run_config(&config)
}

/// Runs a resolved configuration, says what it did (and, with `--report`,
/// records it) and returns its exit status.
fn run_config(config: &crate::Config) -> ExitCode {
    report::listener_start(config);
    // Opened first: a run whose record cannot be written changes nothing.
    let recorder = match config.report.record.as_deref().map(record::Recorder::open) {
        Some(Err(e)) => {
            eprintln!("anonlog: error: {e:#}");
            return ExitCode::from(2);
        }
        r => r.and_then(Result::ok),
    };
    let sizes = match recorder {
        Some(_) => record::input_sizes(config),
        None => Vec::new(),
    };
    let result = crate::run(config);
    let mut status = match &result {
        Ok(Report::Stream(outcome)) => report::stream_end(config, outcome),
        Ok(Report::Batch(sum)) => report::batch_end(config, sum),
        Err(e) if e.is_broken_pipe() => 0,
        Err(e) => {
            // One write, so a dying worker's panic message cannot split it.
            let msg = format!("anonlog: error: {}\n", chain(e));
            let _ = io::stderr().lock().write_all(msg.as_bytes());
            e.exit_code()
        }
    };
    if let Some(r) = recorder {
        let fields = record::run_fields(config, &result, &sizes);
        if let Err(e) = r.write("anonymize", &fields, status) {
            eprintln!("anonlog: error: {e:#}");
            status = status.max(2);
        }
    }
    ExitCode::from(status)
}

/// Runs `anonlog check ...`, `keygen ...`, `reveal ...`, `man`,
/// `completions ...` or `anonip ...` when `args[1]` names one, and returns
/// its exit status; `None` for the main command.
fn dispatch(args: &[OsString]) -> Option<ExitCode> {
    if args.get(1).is_some_and(|a| a == "check") {
        return Some(check::main(&args[1..]));
    }
    let result = match args.get(1).and_then(|a| a.to_str()) {
        Some("anonip") => return Some(anonip::main(&args[1..])),
        Some("keygen") => keygen::keygen(&cli::KeygenCli::parse_from(&args[1..])),
        Some("reveal") => reveal::reveal(&cli::RevealCli::parse_from(&args[1..])),
        Some("man") => {
            cli::ManCli::parse_from(&args[1..]);
            to_stdout(|out| docs::man(out))
        }
        Some("completions") => {
            let shell = cli::CompletionsCli::parse_from(&args[1..]).shell;
            to_stdout(|out| {
                docs::completions(shell, out);
                Ok(())
            })
        }
        _ => return None,
    };
    Some(match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e)
            if e.downcast_ref::<io::Error>().map(io::Error::kind)
                == Some(io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("anonlog: error: {}", chain(e.as_ref()));
            ExitCode::from(2)
        }
    })
}

/// Runs `write` on a buffer and writes it to stdout in one go: an error
/// (a closed pipe, a full disk) is then one `io::Error` that the caller
/// reports, instead of a panic inside a generator.
fn to_stdout(write: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> anyhow::Result<()> {
    let mut buf = Vec::new();
    write(&mut buf)?;
    let mut out = io::stdout().lock();
    out.write_all(&buf)?;
    out.flush()?;
    Ok(())
}
