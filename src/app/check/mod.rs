//! `anonlog check [OPTIONS] PATH...`: an audit of logs and archives that
//! changes nothing. The options of a run say what the logs should look
//! like ([`cli`]); the engine runs the anonymizer as an audit over each
//! input ([`crate::engine::check`]); [`report`] says what it found, as text
//! or one JSON document, by line number and never by content, and with
//! `--report FILE` appends it to a run record ([`super::record`]).

pub mod cli;
pub mod report;

use std::ffi::OsString;
use std::io::{self, Write};
use std::process::ExitCode;
use std::time::SystemTime;

use super::cli::ReferrerArg;
use super::record::Recorder;
use crate::anonymize::audit::AuditPolicy;
use crate::engine::batch;
use crate::engine::check::Scope;
use crate::engine::stream::Plan;
use crate::error::chain;

/// Runs `anonlog check` on its arguments (`args[0]` is `check`) and
/// returns its status: 0 every input is clean, 1 some input has findings,
/// 2 an input could not be checked, nothing was found to check, the
/// record could not be written, or the command line is wrong.
pub fn main(args: &[OsString]) -> ExitCode {
    let args = match cli::parse(args) {
        Ok(a) => a,
        Err(e) => e.exit(),
    };
    let run = &args.run;
    let policy = report::Policy {
        ipv4_prefix: run.ipv4_prefix,
        ipv6_prefix: run.ipv6_prefix,
        keep_query: run.keep_query,
        referrer: match run.referrer {
            ReferrerArg::Remove => "remove",
            ReferrerArg::Origin => "origin",
            ReferrerArg::Keep => "keep",
        },
        keep_user: run.keep_user,
        pseudonymized: args.pseudonymized,
        max_line_bytes: run.max_line_bytes,
        older_than: run.older_than.as_ref().map(|a| a.label.clone()),
    };
    let (paths, recursive) = (run.files.clone(), run.recursive);
    let (older_than, record) = (run.older_than.clone(), run.report.clone());
    // What the scrubber would remove from a line is what the audit counts,
    // whatever the run did with such lines. The age and the record are the
    // check's own, not a run's.
    let run = super::cli::Cli {
        on_unparsed: super::cli::OnUnparsedArg::Scrub,
        older_than: None,
        report: None,
        ..args.run
    };
    let config = match super::resolve::config(run) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("anonlog: error: {e:#}");
            return ExitCode::from(2);
        }
    };
    // Opened first: a check whose record cannot be written reads nothing.
    let recorder = match record.as_deref().map(Recorder::open).transpose() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("anonlog: error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let audit = AuditPolicy {
        pseudonymized: args.pseudonymized,
    };
    let scope = Scope {
        recursive,
        cutoff: older_than.map(|a| batch::cutoff(&a, SystemTime::now())),
        record: record.as_deref(),
    };
    let outcome = crate::engine::check::run(Plan::of(&config), audit, &paths, scope);
    let mut err = io::stderr().lock();
    for input in &outcome.inputs {
        if let Err(e) = &input.result {
            let _ = writeln!(err, "anonlog: error: {}", chain(e));
        }
    }
    let shown = if args.json {
        report::json(&outcome, &policy)
    } else {
        report::text(&outcome, &policy)
    };
    // A reader that went away (`| head`) is no error of the check.
    let _ = io::stdout().lock().write_all(shown.as_bytes());
    let mut status = report::status(&outcome);
    if let Some(r) = recorder {
        let fields = report::record_fields(&outcome, &policy);
        if let Err(e) = r.write("check", &fields, status) {
            let _ = writeln!(err, "anonlog: error: {e:#}");
            status = 2;
        }
    }
    ExitCode::from(status)
}
