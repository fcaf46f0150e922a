//! The `anonlog` binary: parse arguments, resolve them, run, report.

use std::io::Write;
use std::process::ExitCode;

use anonlog::app::cli::Cli;
use anonlog::config::StatsFormat;
use anonlog::error::chain;
use anonlog::stats::UnknownNames;
use anonlog::{Config, Report, Stats};
use clap::Parser;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(status) = anonlog::keycmd::dispatch(&args) {
        return status;
    }
    let config = match anonlog::app::resolve::config(Cli::parse_from(args)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("anonlog: error: {e:#}");
            return ExitCode::from(2);
        }
    };
    match anonlog::run(&config) {
        Ok(Report::Stream(outcome)) => {
            report(&config, &outcome, &outcome.stats, &outcome.detected);
            // Said even with --quiet: a format that does not fit is never
            // silent, and the status tells scripts and logrotate.
            let mut err = std::io::stderr().lock();
            for m in outcome.mismatched.iter().filter(|m| !m.reported) {
                let _ = writeln!(err, "anonlog: error: {m}");
            }
            if outcome.mismatched.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Ok(Report::Batch(sum)) => {
            report(&config, &Default::default(), &sum.stats, &[]);
            if !config.report.quiet {
                eprintln!(
                    "anonlog: {} files: {} rewritten, {} already anonymized, {} failed, {} skipped; {} lines, {} bytes read",
                    sum.rewritten + sum.unchanged + sum.failed + sum.skipped,
                    sum.rewritten,
                    sum.unchanged,
                    sum.failed,
                    sum.skipped,
                    sum.stats.lines_read,
                    sum.stats.bytes_read,
                );
            }
            ExitCode::from(sum.worst_exit)
        }
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            // One write, so a dying worker's panic message cannot split it.
            let msg = format!("anonlog: error: {}\n", chain(&e));
            let _ = std::io::stderr().lock().write_all(msg.as_bytes());
            ExitCode::from(e.exit_code())
        }
    }
}

/// `--stats`, or, without it, one warning when lines could not be parsed
/// (nothing at all with `--quiet`). Fields without a rule are named: the
/// compiled format's, then the JSON keys seen in the input (already
/// sanitized by [`UnknownNames`]).
fn report(
    config: &Config,
    outcome: &anonlog::engine::stream::Outcome,
    stats: &Stats,
    detected: &[(String, String)],
) {
    let format = config.rules.format_name();
    let keys: &UnknownNames = &outcome.unknown_names;
    let unknown: Vec<&str> = config
        .report
        .unknown_fields
        .iter()
        .map(String::as_str)
        .chain(keys.shown().iter().map(String::as_str))
        .collect();
    let mut err = std::io::stderr().lock();
    match config.report.stats {
        Some(StatsFormat::Text) => {
            let _ = err.write_all(stats.to_text(format).as_bytes());
            if let Some(k) = &config.rewrite.keyed {
                let _ = err.write_all(k.stats_text().as_bytes());
            }
            for (input, format) in detected {
                let _ = writeln!(err, "anonlog: detected format    {format} for {input}");
            }
            if !unknown.is_empty() || keys.more() > 0 {
                let more = match keys.more() {
                    0 => String::new(),
                    n => format!(" and {n} more"),
                };
                let _ = writeln!(
                    err,
                    "anonlog: no rule, kept only if inert, else scrubbed: {}{more}",
                    unknown.join(", ")
                );
            }
        }
        Some(StatsFormat::Json) => {
            let mut json = stats.to_json(format);
            json.pop();
            let names: Vec<String> = unknown
                .iter()
                .map(|n| format!("\"{}\"", n.replace(['"', '\\'], "")))
                .collect();
            let detected: Vec<String> = detected
                .iter()
                .map(|(i, f)| {
                    format!(
                        "{{\"input\":\"{}\",\"format\":\"{f}\"}}",
                        i.replace(['"', '\\'], "")
                    )
                })
                .collect();
            let keyed = config.rewrite.keyed.as_ref().map(|k| k.stats_json());
            let _ = writeln!(
                err,
                "{json},\"unknown_fields\":[{}],\"unknown_fields_more\":{},\"detected\":[{}]{}}}",
                names.join(","),
                keys.more(),
                detected.join(","),
                keyed.unwrap_or_default()
            );
        }
        None if !config.report.quiet
            && outcome.mismatched.is_empty()
            && stats.scrubbed + stats.dropped + stats.oversized > 0 =>
        {
            let mut msg = format!(
                "anonlog: warning: {} of {} lines did not parse as {format} and were {}",
                stats.scrubbed + stats.dropped,
                stats.lines_read,
                if stats.dropped > 0 {
                    "dropped"
                } else {
                    "scrubbed"
                },
            );
            if stats.oversized > 0 {
                msg.push_str(&format!(
                    "; {} lines were longer than --max-line-bytes",
                    stats.oversized
                ));
            }
            let _ = writeln!(err, "{msg}");
        }
        None => {}
    }
    if config.report.stats.is_none() && !config.report.quiet && stats.undated > 0 {
        let _ = writeln!(
            err,
            "anonlog: warning: {} lines had no readable timestamp for --key-rotation and were truncated instead of pseudonymized",
            stats.undated
        );
    }
}
