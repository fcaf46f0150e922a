//! The `anonlog` binary: parse arguments, resolve them, run, report.

use std::io::Write;
use std::process::ExitCode;

use anonlog::Config;
use anonlog::cli::Cli;
use anonlog::config::StatsFormat;
use clap::Parser;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_cli(cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("anonlog: error: {e:#}");
            return ExitCode::from(2);
        }
    };
    match anonlog::run(&config) {
        Ok(stats) => {
            let format = config.rules.template.name();
            let mut err = std::io::stderr().lock();
            match config.stats {
                Some(StatsFormat::Text) => {
                    let _ = err.write_all(stats.to_text(format).as_bytes());
                }
                Some(StatsFormat::Json) => {
                    let _ = writeln!(err, "{}", stats.to_json(format));
                }
                None if !config.quiet && (stats.scrubbed + stats.dropped + stats.oversized) > 0 => {
                    let _ = writeln!(
                        err,
                        "anonlog: warning: {} of {} lines did not parse as {format} and were {} ({} over --max-line-bytes)",
                        stats.scrubbed + stats.dropped,
                        stats.lines_read,
                        if stats.dropped > 0 {
                            "dropped"
                        } else {
                            "scrubbed"
                        },
                        stats.oversized,
                    );
                }
                None => {}
            }
            ExitCode::SUCCESS
        }
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            let mut msg = format!("anonlog: error: {e}");
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                msg.push_str(&format!(": {c}"));
                cause = c.source();
            }
            eprintln!("{msg}");
            ExitCode::from(e.exit_code())
        }
    }
}
