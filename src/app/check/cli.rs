//! The command line of `anonlog check`: the options of a run that describe
//! the expected result (format, prefixes, what is kept, the line limit,
//! threads), taken from [`Cli`] itself so that their names, values and help
//! cannot drift from the run's, and the options of the audit.

use std::ffi::OsString;

use clap::{Arg, ArgAction, ArgMatches, CommandFactory, FromArgMatches};

use crate::app::cli::Cli;

/// The run's options that `check` takes, by clap id. Every other option of
/// a run (output, in-place, listener, keys, statistics) is hidden from
/// `check`'s help and refused: none of them says anything about a log.
const SHARED: &[&str] = &[
    "files",
    "recursive",
    "older_than",
    "report",
    "format",
    "max_unparsed",
    "nginx_format",
    "nginx_var",
    "nginx_conf",
    "log_format",
    "apache_format",
    "json_key",
    "ipv4_prefix",
    "ipv6_prefix",
    "keep_query",
    "referrer",
    "keep_user",
    "on_unparsed",
    "threads",
    "block_size",
    "max_line_bytes",
];

const ABOUT: &str = "`anonlog check`: audit logs and archives, changing nothing: count, per input, the lines that still hold what a run with the same options would remove, by line number, never by content. Status 0 clean, 1 findings, 2 errors.";

const LONG_ABOUT: &str = "`anonlog check`: audit logs and archives, changing nothing. Each PATH (a file, plain or gzip; a directory with -r; - for standard input) is read with its format (-f auto unless one is given) and checked against the policy that the options of a run describe: a line is a finding when a run with these options would still remove or change something personal in it. Each class gets a count of lines and their first 10 line numbers (of the decompressed text, for gzip). No byte of a line is ever printed, so the report can be shared.

Classes: address (a host address, i.e. not a network address under --ipv4-prefix and --ipv6-prefix, anywhere in the line: client, X-Forwarded-For, paths, user agents, IPv4-mapped and 6to4 forms, an error log's [client ...]; address-like text a run would zero counts too), non_address (a client or X-Forwarded-For entry that is a host name), query, referrer (other than -, or than an origin with --referrer origin), user, secret (client ports, session ids, cookies, credentials, URL userinfo), email, oversized (a line longer than --max-line-bytes). Lines that do not parse (unparsed) are listed but are no finding by themselves: a run scrubs them, and what the scrubber would remove from them is counted in the classes above. With --pseudonymized, addresses are taken as keyed pseudonyms and are no finding; everything else still is.

Exit status: 0 when every input is clean; 1 when some input has findings; 2 when an input could not be checked, nothing was found to check, or on a usage error. Entries a directory walk skips (symlinks, FIFOs, sockets) are listed and do not change the status. With --older-than, files modified less than AGE ago are not read (\"younger\" in --json lists them); when every file found is younger, the check is clean.

--report FILE appends one JSON line per check, as a run's --report does: \"start\", \"end\", \"anonlog_version\", \"command\":\"check\", \"pid\", \"policy\", \"clean\", \"inputs\" (as in --json, with \"path\", made absolute, in place of \"name\"), \"skipped\", \"younger\" and \"exit_status\".

--json prints one JSON document instead of the text report: {\"version\":1, \"clean\":BOOL, \"status\":0|1|2, \"policy\":{\"ipv4_prefix\":N, \"ipv6_prefix\":N, \"keep_query\":BOOL, \"referrer\":\"remove\"|\"origin\"|\"keep\", \"keep_user\":BOOL, \"pseudonymized\":BOOL, \"max_line_bytes\":N, \"older_than\":STR|null}, \"inputs\":[{\"name\":STR, \"error\":STR|null, \"format\":STR|null, \"lines\":N|null, \"clean\":BOOL, \"lines_with_findings\":LINES, \"findings\":{\"address\":LINES, \"non_address\":LINES, \"query\":LINES, \"referrer\":LINES, \"user\":LINES, \"secret\":LINES, \"email\":LINES, \"oversized\":LINES}, \"unparsed\":LINES}], \"skipped\":[{\"path\":STR, \"reason\":STR}], \"younger\":[STR, ...]}, where LINES is {\"count\":N, \"first\":[N, ...]} (at most 10 line numbers, ascending; count 0 and [] when none, and for an input with an error). Keys are stable; new keys may be added.";

/// The `anonlog check` command: [`Cli`]'s command with only the shared
/// options shown, and the options of the audit.
pub fn command() -> clap::Command {
    let base = Cli::command();
    let others: Vec<clap::Id> = base
        .get_arguments()
        .filter(|a| !SHARED.contains(&a.get_id().as_str()))
        .map(|a| a.get_id().clone())
        .collect();
    let cmd = others
        .into_iter()
        .fold(base, |cmd, id| cmd.mut_arg(id, |a| a.hide(true)));
    cmd.name("anonlog check")
        .bin_name("anonlog check")
        .about(ABOUT)
        .long_about(LONG_ABOUT)
        .after_help(None::<&str>)
        .mut_arg("files", |a| {
            a.value_name("PATH").required(true).help(
                "Files to check, plain or gzip (detected by magic bytes); directories with -r; `-` is standard input",
            )
        })
        .mut_arg("recursive", |a| {
            a.requires(clap::builder::Resettable::<clap::Id>::Reset).help(
                "Walk directories and check the files in them whose names look like logs (*.log*, *_log*, *access*; hidden files never), as --in-place -r takes them",
            )
        })
        .mut_arg("older_than", |a| {
            a.requires(clap::builder::Resettable::<clap::Id>::Reset).help(
                "Check only files last modified at least AGE ago (`7d`, `36h`), as `--in-place --older-than AGE` takes them: what a retention sweep should have rewritten. Younger files are counted, not read; standard input is refused",
            )
        })
        .mut_arg("report", |a| {
            a.help(
                "Append one JSON line with the check's findings to FILE (created with mode 0640 if missing), as a run's --report does: start and end time, version, the policy, each input's findings by absolute path (counts and first line numbers, never content), the exit status",
            )
        })
        .mut_arg("max_unparsed", |a| {
            a.help("The most of an input's first lines that -f auto lets a format fail on. Lines that do not parse are listed, not findings by themselves")
        })
        .mut_arg("max_line_bytes", |a| {
            a.help("Lines longer than this are findings (oversized): what they hold cannot be known")
        })
        .mut_arg("keep_query", |a| a.help("Queries are kept: not findings"))
        .mut_arg("keep_user", |a| {
            a.help("Remote users are kept: not findings (also for logs with user tokens from --user pseudonymize)")
        })
        .mut_arg("referrer", |a| a.help("What of the Referer field is kept, so no finding"))
        .mut_arg("on_unparsed", |a| {
            a.help("Taken so that a run's options can be given as they are: check reads every line that does not parse as --on-unparsed scrub would, counting what the scrubber would remove")
        })
        .arg(
            Arg::new("json")
                .long("json")
                .action(ArgAction::SetTrue)
                .help("Print one JSON document (schema in --help) instead of the text report"),
        )
        .arg(
            Arg::new("pseudonymized")
                .long("pseudonymized")
                .action(ArgAction::SetTrue)
                .help("The addresses are keyed pseudonyms (--pseudonymize): they look whole and are no finding. Everything else still is"),
        )
}

/// What `anonlog check` was asked: the run it compares with, as a [`Cli`],
/// and the options of the audit.
#[derive(Debug)]
pub struct CheckArgs {
    /// The run whose result the logs should be, with the paths as files.
    pub run: Cli,
    /// `--json`.
    pub json: bool,
    /// `--pseudonymized`.
    pub pseudonymized: bool,
}

/// Parses `args` (`args[0]` is `check`).
///
/// # Errors
/// What clap reports (help and version included), or an option of a run
/// that `check` does not take.
pub fn parse(args: &[OsString]) -> Result<CheckArgs, clap::Error> {
    let mut cmd = command();
    let m = cmd.try_get_matches_from_mut(args)?;
    if let Some(id) = refused(&cmd, &m) {
        let msg = match id.as_str() {
            "pseudonymize" | "key_file" | "key_rotation" => {
                "reads pseudonyms without a key: give --pseudonymized instead".to_owned()
            }
            _ => "applies to a run, not to check".to_owned(),
        };
        let name = cmd
            .get_arguments()
            .find(|a| a.get_id() == &id)
            .and_then(|a| a.get_long().map(|l| format!("--{l}")))
            .unwrap_or_else(|| id.to_string());
        return Err(cmd.error(
            clap::error::ErrorKind::ArgumentConflict,
            format!("{name} {msg}"),
        ));
    }
    let run = Cli::from_arg_matches(&m)?;
    if run.older_than.is_some() && run.files.iter().any(|f| f.as_os_str() == "-") {
        return Err(cmd.error(
            clap::error::ErrorKind::ArgumentConflict,
            "--older-than judges files by their age: standard input (-) has none",
        ));
    }
    Ok(CheckArgs {
        run,
        json: m.get_flag("json"),
        pseudonymized: m.get_flag("pseudonymized"),
    })
}

/// The first option given that `check` does not take.
fn refused(cmd: &clap::Command, m: &ArgMatches) -> Option<clap::Id> {
    cmd.get_arguments()
        .map(Arg::get_id)
        .filter(|id| !SHARED.contains(&id.as_str()))
        .filter(|id| !matches!(id.as_str(), "json" | "pseudonymized" | "help" | "version"))
        .find(|id| m.value_source(id.as_str()) == Some(clap::parser::ValueSource::CommandLine))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_command_is_consistent_and_every_shared_option_exists() {
        command().debug_assert();
        let run = Cli::command();
        for id in SHARED {
            assert!(
                run.get_arguments().any(|a| a.get_id() == id),
                "{id} is no option of a run"
            );
        }
    }

    #[test]
    fn shared_options_parse_as_for_a_run() {
        let c = parse(&args(&[
            "check",
            "--ipv4-prefix",
            "16",
            "--referrer",
            "origin",
            "-r",
            "--json",
            "-j",
            "2",
            "dir",
            "-",
        ]))
        .unwrap();
        assert_eq!(c.run.ipv4_prefix, 16);
        assert_eq!(c.run.referrer, crate::app::cli::ReferrerArg::Origin);
        assert!(c.run.recursive && c.json && !c.pseudonymized);
        assert_eq!(c.run.threads, Some(2));
        assert_eq!(c.run.files.len(), 2);
        let c = parse(&args(&[
            "check",
            "--older-than",
            "7d",
            "--report",
            "r",
            "a",
        ]))
        .unwrap();
        assert_eq!(c.run.older_than.unwrap().label, "7d");
        assert_eq!(c.run.report.unwrap(), std::path::Path::new("r"));
    }

    #[test]
    fn options_of_a_run_only_are_refused() {
        for bad in [
            &["check", "-o", "x", "a.log"][..],
            &["check", "--in-place", "a.log"],
            &["check", "--stats", "a.log"],
            &["check", "--pseudonymize", "pfx", "a.log"],
            &["check", "-z", "a.log"],
            &["check", "--older-than", "1x", "a.log"],
            &["check", "--older-than", "7d", "-"],
            &["check"],
        ] {
            assert!(parse(&args(bad)).is_err(), "{bad:?}");
        }
        let e = parse(&args(&["check", "--pseudonymize", "det", "a"])).unwrap_err();
        assert!(e.to_string().contains("--pseudonymized"), "{e}");
    }
}
