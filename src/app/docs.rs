//! `anonlog man` and `anonlog completions`: the manual page and the shell
//! completion scripts, generated from the same clap definitions that parse
//! the command line, so neither can drift from `--help`.

use std::io::{self, Write};

use clap::CommandFactory;
use clap_complete::Shell;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, italic, roman};

use super::cli::{Cli, CompletionsCli, KeygenCli, ManCli, RevealCli};

/// The whole command line as one clap command: the main options and
/// FILEs, and `check`, `keygen`, `reveal`, `man`, `completions` as
/// subcommands.
/// Only for documents: arguments are parsed by [`super::main`], which
/// takes a subcommand name only as the first argument (so `anonlog -- man`
/// reads a file) — the same rule `args_conflicts_with_subcommands` gives
/// the completions.
pub fn command() -> clap::Command {
    let sub =
        |cmd: clap::Command, name: &'static str| cmd.name(name).bin_name(format!("anonlog {name}"));
    Cli::command()
        .args_conflicts_with_subcommands(true)
        .disable_help_subcommand(true)
        .subcommand(sub(super::check::cli::command(), "check"))
        .subcommand(sub(KeygenCli::command(), "keygen"))
        .subcommand(sub(RevealCli::command(), "reveal"))
        .subcommand(sub(ManCli::command(), "man"))
        .subcommand(sub(CompletionsCli::command(), "completions"))
}

/// Writes the completion script for `shell` to `out`: options, their
/// values (formats, modes, periods) and the subcommands.
pub fn completions(shell: Shell, out: &mut dyn Write) {
    clap_complete::generate(shell, &mut quotable(command()), "anonlog", out);
}

/// `cmd` with the help of every possible value rid of `"` and `$`:
/// clap_complete 4.6 writes these descriptions into double quotes without
/// escaping them, so fish would expand `$remote_addr` and a `"` would end
/// fish's and zsh's list of values (`-f combined` describes itself by its
/// nginx format string).
fn quotable(cmd: clap::Command) -> clap::Command {
    let with_values: Vec<clap::Id> = cmd
        .get_arguments()
        .filter(|a| a.get_action().takes_values())
        .filter(|a| a.get_value_parser().possible_values().is_some())
        .map(|a| a.get_id().clone())
        .collect();
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    let cmd = with_values.into_iter().fold(cmd, |cmd, id| {
        cmd.mut_arg(id, |arg| {
            let values = arg.get_possible_values().into_iter().map(|v| {
                let help = v
                    .get_help()
                    .map(|h| h.to_string().replace('"', "'").replace('$', ""));
                match help {
                    Some(h) => v.help(h),
                    None => v,
                }
            });
            arg.value_parser(clap::builder::PossibleValuesParser::new(values))
        })
    });
    subs.iter()
        .fold(cmd, |cmd, name| cmd.mut_subcommand(name, quotable))
}

/// One EXAMPLES entry: what it does, then the lines to type. Each command
/// runs as written; tests/it/docs.rs runs those that touch only files in
/// the current directory.
const EXAMPLES: &[(&str, &[&str])] = &[
    (
        "Anonymize a log to standard output (gzip, zstd, xz and bzip2 input is recognised by its content, whatever its name):",
        &["anonlog access.log > access.anon.log"],
    ),
    (
        "Anonymize a live log as its lines arrive, from a pipe:",
        &["tail -F /var/log/nginx/access.log | anonlog"],
    ),
    (
        "Several files in order, appended to one output file (created with mode 0640):",
        &["anonlog -o access.anon.log access.log.2.gz access.log.1"],
    ),
    (
        "gzip the output, compressed on every core:",
        &["anonlog -z < access.log.1 > access.log.1.anon.gz"],
    ),
    (
        "zstd the output instead, also on every core (one frame per block; zstdcat reads them as one file):",
        &["anonlog --zstd < access.log.1 > access.log.1.anon.zst"],
    ),
    (
        "Rewrite rotated files in place, atomically (each keeps its compression: gzip, zstd, xz or bzip2), or every log file below a directory:",
        &[
            "anonlog --in-place access.log.1 access.log.2.gz access.log.3.zst",
            "anonlog --in-place -r /var/log/nginx/archive/",
        ],
    ),
    (
        "Audit logs and archives without changing them: status 0 when a run with the same options would remove nothing personal, 1 with the line numbers of what it would remove (never the lines), --json for tools:",
        &[
            "anonlog check access.anon.log access.log.1 access.log.2.gz",
            "anonlog access.log | anonlog check -",
            "anonlog check --json -r /var/log/nginx/ > audit.json",
        ],
    ),
    (
        "After a retention sweep, audit what it should have rewritten (the files older than its age) and append the findings to its run record:",
        &[
            "anonlog check -r --older-than 7d --report /var/log/anonlog/retention.jsonl /var/log/nginx",
        ],
    ),
    (
        "Parse with the server's own format definition:",
        &["anonlog --nginx-conf /etc/nginx/nginx.conf --log-format main access.log"],
    ),
    (
        "Keyed pseudonyms instead of truncation, with a key per day:",
        &[
            "anonlog keygen --out /etc/anonlog/key",
            "anonlog --pseudonymize pfx --key-file /etc/anonlog/key --key-rotation daily access.log",
        ],
    ),
    (
        "logrotate: anonymize each rotated nginx log while it is compressed (lines of a stanza in /etc/logrotate.d/nginx; logrotate deletes the raw file only when anonlog succeeds; the whole recipe is in /usr/share/doc/anonlog/examples/logrotate/nginx):",
        &[
            "compress",
            "compresscmd /usr/bin/anonlog",
            "compressoptions --gzip --quiet",
            "compressext .gz",
        ],
    ),
    (
        "Read a log file that is named like a command (man, keygen, reveal, completions):",
        &["anonlog ./man > man.anon", "anonlog -- man > man.anon"],
    ),
    (
        "Read this page without installing it, and install bash completions for yourself (the .deb installs them for everyone):",
        &[
            "anonlog man | man -l -",
            "mkdir -p ~/.local/share/bash-completion/completions",
            "anonlog completions bash > ~/.local/share/bash-completion/completions/anonlog",
        ],
    ),
];

/// Writes the manual page anonlog(1), in roff, to `out`: the sections
/// clap_mangen derives from the definitions (synopsis, description,
/// options), each subcommand with its own options, then EXAMPLES, EXIT
/// STATUS, ENVIRONMENT, FILES and SEE ALSO. No date is written, so the
/// same source gives the same page.
pub fn man(out: &mut dyn Write) -> io::Result<()> {
    let usage = |cmd: clap::Command| {
        let u = cmd.clone().render_usage().to_string();
        u.strip_prefix("Usage: ").unwrap_or(&u).to_owned()
    };
    let subs: Vec<clap::Command> = command().get_subcommands().cloned().collect();
    let synopsis = std::iter::once(usage(Cli::command()))
        .chain(subs.iter().cloned().map(usage))
        .collect::<Vec<_>>()
        .join("\n");
    let page = Man::new(command().override_usage(synopsis))
        .source(format!("anonlog {}", env!("CARGO_PKG_VERSION")))
        .manual("User Commands");
    let mut buf = Vec::new();
    page.render_title(&mut buf)?;
    page.render_name_section(&mut buf)?;
    page.render_synopsis_section(&mut buf)?;
    page.render_description_section(&mut buf)?;
    description(&mut buf)?;
    page.render_options_section(&mut buf)?;
    commands(&mut buf, subs)?;
    examples(&mut buf)?;
    closing_sections(&mut buf)?;
    page.render_version_section(&mut buf)?;
    out.write_all(tidy(&String::from_utf8_lossy(&buf)).as_bytes())
}

/// The page with one apostrophe preamble instead of one per rendered
/// piece, and hyphenation off: a hyphen that groff adds inside an option
/// or a command (`anon-log`, `ng-inx.conf`) would be typed as written.
fn tidy(page: &str) -> String {
    const PREAMBLE: &str = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";
    let body = page.replace(PREAMBLE, "");
    let (title, rest) = body.split_once('\n').unwrap_or((&body, ""));
    format!("{PREAMBLE}{title}\n.nh\n{rest}")
}

/// What the description adds to the about text: the stream contract and
/// how a file named like a command is given.
fn description(out: &mut dyn Write) -> io::Result<()> {
    let mut r = Roff::new();
    r.control("PP", []).text([
        bold("anonlog"),
        roman(" reads the "),
        italic("FILE"),
        roman("s in order (none, or "),
        bold("-"),
        roman(", means standard input) and writes exactly one output line per input line, in order, to standard output, to "),
        bold("--output"),
        roman(", or back into each file with "),
        bold("--in-place"),
        roman(". A line that does not parse is scrubbed (IP literals truncated, URL queries cut), never written raw."),
    ]);
    r.control("PP", []).text([
        roman("A first argument of "),
        bold("check"),
        roman(", "),
        bold("keygen"),
        roman(", "),
        bold("reveal"),
        roman(", "),
        bold("man"),
        roman(" or "),
        bold("completions"),
        roman(" runs that command (see COMMANDS). A log file with one of these names is given with a path or after "),
        bold("--"),
        roman(": "),
        bold("anonlog ./man"),
        roman(" or "),
        bold("anonlog -- man"),
        roman("."),
    ]);
    r.to_writer(out)
}

/// The COMMANDS section: for each subcommand its usage, its about text and
/// its options, rendered by clap_mangen as the main options are.
fn commands(out: &mut dyn Write, subs: Vec<clap::Command>) -> io::Result<()> {
    let mut r = Roff::new();
    r.control("SH", ["COMMANDS"]);
    r.to_writer(out)?;
    for sub in subs {
        let usage = sub.clone().render_usage().to_string();
        let mut r = Roff::new();
        r.control("SS", [usage.strip_prefix("Usage: ").unwrap_or(&usage)]);
        if let Some(about) = sub.get_long_about().or(sub.get_about()) {
            // `--help` opens with the command's name; here the heading says it.
            let about = about.to_string();
            let prefix = format!("`anonlog {}`: ", sub.get_name());
            let about = about.strip_prefix(&prefix).unwrap_or(&about);
            let mut chars = about.chars();
            let first = chars.next().map(|c| c.to_uppercase().to_string());
            r.text([roman(first.unwrap_or_default() + chars.as_str())]);
        }
        r.to_writer(out)?;
        let mut opts = Vec::new();
        Man::new(sub).render_options_section(&mut opts)?;
        // Without their `.SH OPTIONS` heading: they belong to the subsection.
        let opts = String::from_utf8_lossy(&opts).replacen(".SH OPTIONS\n", "", 1);
        out.write_all(opts.as_bytes())?;
    }
    Ok(())
}

/// The EXAMPLES section, from [`EXAMPLES`]: each command as a literal,
/// indented, unfilled block.
fn examples(out: &mut dyn Write) -> io::Result<()> {
    let mut r = Roff::new();
    r.control("SH", ["EXAMPLES"]);
    for (what, lines) in EXAMPLES {
        r.control("PP", []).text([roman(*what)]);
        r.control("RS", ["4"]).control("nf", []);
        for line in *lines {
            r.text([roman(*line)]);
        }
        r.control("fi", []).control("RE", []);
    }
    r.to_writer(out)
}

/// EXIT STATUS, ENVIRONMENT, FILES and SEE ALSO.
fn closing_sections(out: &mut dyn Write) -> io::Result<()> {
    let mut r = Roff::new();
    r.control("SH", ["EXIT STATUS"]);
    let statuses = [
        (
            "0",
            "Success, also when the reader of standard output goes away (anonlog big.log | head). anonlog check: every input is clean.",
        ),
        (
            "1",
            "The format does not fit an input (more than --max-unparsed of its lines did not parse; all lines were still written, scrubbed), or a line did not parse and --on-unparsed fail was given. anonlog check: some input has findings.",
        ),
        (
            "2",
            "A usage or I/O error; with --in-place also a file refused because another process writes it, or an entry a walk skipped. anonlog check: an input could not be checked, or there was none.",
        ),
        (
            "143",
            "A second SIGTERM stopped a stream at once (the first one drains the input).",
        ),
    ];
    for (status, meaning) in statuses {
        r.control("TP", [])
            .text([bold(status)])
            .text([roman(meaning)]);
    }
    r.control("SH", ["ENVIRONMENT"]);
    r.control("TP", [])
        .text([bold("ANONLOG_KEY_FILE")])
        .text([roman(
            "The key file for --pseudonymize and reveal when --key-file is not given.",
        )]);
    r.control("SH", ["FILES"]);
    let files = [
        (
            "/usr/share/doc/anonlog/examples/",
            "Recipes for logrotate, nginx, Apache and systemd (the systemd units are examples: none is installed or enabled).",
        ),
        (
            "/etc/anonlog/key",
            "A conventional place for the key from anonlog keygen: mode 0600, owned by root or by the user that runs anonlog.",
        ),
    ];
    for (path, what) in files {
        r.control("TP", []).text([italic(path)]).text([roman(what)]);
    }
    r.control("SH", ["SEE ALSO"]);
    r.text([
        bold("logrotate"),
        roman("(8), "),
        bold("nginx"),
        roman("(8), "),
        bold("apache2"),
        roman("(8), "),
        bold("gzip"),
        roman("(1), "),
        bold("zstd"),
        roman("(1), "),
        bold("xz"),
        roman("(1), "),
        bold("bzip2"),
        roman("(1)"),
    ]);
    r.to_writer(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_command_is_consistent() {
        command().debug_assert();
        quotable(command()).debug_assert();
    }

    #[test]
    fn completion_values_lose_only_unquotable_characters() {
        let cmd = quotable(command());
        let format = cmd
            .get_arguments()
            .find(|a| a.get_id() == "format")
            .unwrap();
        let combined = format
            .get_possible_values()
            .into_iter()
            .find(|v| v.get_name() == "combined")
            .unwrap();
        let help = combined.get_help().unwrap().to_string();
        assert!(help.starts_with("`remote_addr - remote_user [time_local] 'request' "));
        let names: Vec<String> = format
            .get_possible_values()
            .iter()
            .map(|v| v.get_name().to_owned())
            .collect();
        assert!(names.contains(&"vhost_combined".to_owned()), "{names:?}");
    }
}
