//! `--report FILE`: one JSON line appended per run, for an audit: when the
//! run started and ended, which anonlog, under which policy (and key id,
//! never the key), what each input or file held and what became of it, and
//! the exit status.
//!
//! The pieces are separate so that every command can write a record:
//! [`Recorder`] opens the file before the run and appends the line after
//! it (start, end, version and exit status framing the command's own
//! fields); [`policy`] and [`stats`] describe a [`Config`] and a run's
//! counters; [`run_fields`] is the main command's own fields.
//!
//! What a record holds: names of files (escaped as in every diagnostic),
//! sizes, formats, counters, settings, and error messages, which never
//! hold log content. Never a log line, never a field of one, never a key.

use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::Context;

use super::json::{JsonObject, rfc3339};
use crate::anonymize::{OnUnparsed, ReferrerMode};
use crate::config::{Config, Mode, Source};
use crate::engine::Report;
use crate::engine::batch::{FileOutcome, FileRecord, Summary};
use crate::engine::record::RecordFile;
use crate::error::{Error, show_path};
use crate::stats::Stats;

/// A record file opened for one run, and when the run started.
pub struct Recorder {
    file: RecordFile,
    path: PathBuf,
    started: SystemTime,
}

impl Recorder {
    /// Opens (or creates, mode 0640 less the umask) the record file and
    /// notes the start time. Call it before the run changes anything, so
    /// that a record that cannot be written stops the run first.
    ///
    /// # Errors
    /// The file cannot be opened for appending.
    pub fn open(path: &Path) -> anyhow::Result<Recorder> {
        let file = RecordFile::open(path)
            .with_context(|| format!("cannot open the --report file {}", show_path(path)))?;
        Ok(Recorder {
            file,
            path: path.to_path_buf(),
            started: SystemTime::now(),
        })
    }

    /// Appends the run's line: `start`, `end`, `anonlog_version`,
    /// `command`, `pid`, then `fields` in their order, then `exit_status`.
    ///
    /// Guarantees: the line is one JSON object, written with one
    /// `write(2)` on an `O_APPEND` descriptor, so lines of concurrent runs
    /// never mix; it is in the file whole or this fails. `fields` must not
    /// use the keys above.
    ///
    /// # Errors
    /// The line could not be written whole.
    pub fn write(&self, command: &str, fields: &JsonObject, exit_status: u8) -> anyhow::Result<()> {
        let mut line = JsonObject::new();
        line.str("start", &rfc3339(self.started))
            .str("end", &rfc3339(SystemTime::now()))
            .str("anonlog_version", env!("CARGO_PKG_VERSION"))
            .str("command", command)
            .num("pid", u64::from(std::process::id()))
            .extend(fields)
            .num("exit_status", u64::from(exit_status));
        let mut text = line.finish();
        text.push('\n');
        self.file
            .append(text.as_bytes())
            .with_context(|| format!("cannot write the run's record to {}", show_path(&self.path)))
    }
}

/// The policy of `config`: the format given (`auto` when chosen per
/// input), the address prefixes, the rules for queries, referrers and
/// users, unparsed and over-long lines, pseudonyms (mode, rotation, key
/// id: a fingerprint that names the key without revealing it; `null`
/// without a key) and, for a batch, `--older-than`.
pub fn policy(config: &Config) -> JsonObject {
    let rules = &config.rules;
    let keyed = config.rewrite.keyed.as_deref();
    let (v4, v6) = config.rewrite.truncate.prefixes();
    let user = match keyed {
        Some(k) if k.users() => "pseudonymize",
        _ if rules.keep_user => "keep",
        _ => "remove",
    };
    let older_than = match &config.mode {
        Mode::InPlace { older_than, .. } => older_than.as_ref().map(|a| a.label.as_str()),
        _ => None,
    };
    let mut p = JsonObject::new();
    p.str("format", rules.format_name())
        .strs(
            "unknown_fields",
            config.report.unknown_fields.iter().map(String::as_str),
        )
        .num("ipv4_prefix", u64::from(v4))
        .num("ipv6_prefix", u64::from(v6))
        .str("query", if rules.keep_query { "keep" } else { "remove" })
        .str(
            "referrer",
            match rules.referrer {
                ReferrerMode::Remove => "remove",
                ReferrerMode::Origin => "origin",
                ReferrerMode::Keep => "keep",
            },
        )
        .str("user", user)
        .str(
            "on_unparsed",
            match rules.on_unparsed {
                OnUnparsed::Scrub => "scrub",
                OnUnparsed::Drop => "drop",
                OnUnparsed::Fail => "fail",
            },
        )
        .str("max_unparsed", &rules.max_unparsed.to_string())
        .num("max_line_bytes", rules.max_line as u64)
        .opt_str(
            "pseudonymize",
            keyed.and_then(|k| k.mode()).map(|m| m.label()),
        )
        .str(
            "key_rotation",
            keyed.map_or("none", |k| k.rotation().label()),
        )
        .opt_str("key_id", keyed.map(|k| k.key_id()).as_deref())
        .opt_str("older_than", older_than);
    p
}

/// A run's counters under their `--stats=json` names.
pub fn stats(stats: &Stats) -> JsonObject {
    let mut o = JsonObject::new();
    for (k, v) in stats.fields() {
        o.num(k, v);
    }
    o
}

/// The size of each input of a stream, taken before the run reads it:
/// `None` for what is not a regular file (a pipe, a terminal) or cannot be
/// examined. Empty for the other modes, which find sizes themselves.
pub fn input_sizes(config: &Config) -> Vec<Option<u64>> {
    let Mode::Stream { inputs, .. } = &config.mode else {
        return Vec::new();
    };
    let regular = |m: std::fs::Metadata| m.is_file().then_some(m.len());
    inputs
        .iter()
        .map(|i| match i {
            Source::File(p) => std::fs::metadata(p).ok().and_then(regular),
            Source::Stdin => std::io::stdin()
                .as_fd()
                .try_clone_to_owned()
                .ok()
                .and_then(|fd| std::fs::File::from(fd).metadata().ok())
                .and_then(regular),
        })
        .collect()
}

/// The main command's fields: `mode`, `policy`, `inputs` (a stream's
/// inputs, or a batch's files, each with its path, size, format and
/// counters), `totals`, for a batch `files` (the summary's counts), and
/// `error` (`null` unless the run stopped). `sizes` is [`input_sizes`].
pub fn run_fields(
    config: &Config,
    result: &Result<Report, Error>,
    sizes: &[Option<u64>],
) -> JsonObject {
    let mut o = JsonObject::new();
    o.str(
        "mode",
        match config.mode {
            Mode::Stream { .. } => "stream",
            Mode::InPlace { .. } => "in_place",
            Mode::Listen(_) => "listen",
        },
    )
    .obj("policy", &policy(config));
    if let Mode::Listen(lc) = &config.mode {
        o.str("listen", &lc.addr.name());
    }
    let (inputs, totals) = match (&config.mode, result) {
        (_, Ok(Report::Batch(sum))) => (sum.files.iter().map(file).collect(), Some(sum.stats)),
        (Mode::Stream { inputs, .. }, r) => {
            let outcome = match r {
                Ok(Report::Stream(o)) => Some(o),
                _ => None,
            };
            let list = inputs
                .iter()
                .enumerate()
                .map(|(i, src)| {
                    let tally = outcome.and_then(|o| o.inputs.get(i));
                    let mut e = JsonObject::new();
                    let path = match src {
                        Source::File(p) => shown(p),
                        Source::Stdin => src.name(),
                    };
                    e.str("path", &path)
                        .opt_num("size", sizes.get(i).copied().flatten())
                        .opt_str("format", tally.and_then(|t| t.format.as_deref()));
                    match tally {
                        Some(t) => e.obj("stats", &stats(&t.stats)),
                        None => e.null("stats"),
                    };
                    e
                })
                .collect();
            (list, outcome.map(|o| o.stats))
        }
        (_, Ok(Report::Stream(o))) => (Vec::new(), Some(o.stats)),
        (_, Err(_)) => (Vec::new(), None),
    };
    o.objs("inputs", &inputs);
    match totals {
        Some(t) => o.obj("totals", &stats(&t)),
        None => o.null("totals"),
    };
    if let Ok(Report::Batch(sum)) = result {
        o.obj("files", &counts(sum));
    }
    o.opt_str(
        "error",
        result
            .as_ref()
            .err()
            .map(|e| crate::error::chain(e))
            .as_deref(),
    );
    o
}

/// One file of a batch: path, size and modification time before, what
/// was done (`rewritten`, `already_anonymized`, `failed`, `skipped`,
/// `open_for_writing`, `younger`), why when it was not done, the format
/// and counters.
fn file(f: &FileRecord) -> JsonObject {
    let (outcome, reason) = match &f.outcome {
        FileOutcome::Rewritten => ("rewritten", None),
        FileOutcome::Unchanged => ("already_anonymized", None),
        FileOutcome::Failed { error, .. } => ("failed", Some(error.as_str())),
        FileOutcome::Skipped(why) => ("skipped", Some(*why)),
        FileOutcome::Busy(why) => ("open_for_writing", Some(why.as_str())),
        FileOutcome::Recent => ("younger", None),
    };
    let mut e = JsonObject::new();
    e.str("path", &shown(&f.path))
        .opt_num("size", f.size)
        .opt_str("modified", f.modified.map(rfc3339).as_deref())
        .str("outcome", outcome)
        .opt_str("reason", reason)
        .opt_str("format", f.format.as_deref())
        .obj("stats", &stats(&f.stats));
    e
}

/// A path made absolute (without resolving symlinks), so that a record
/// names the file whatever directory the run started in; escaped as in
/// every diagnostic.
pub fn shown(p: &Path) -> String {
    show_path(&std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
}

/// The batch summary's counts.
fn counts(sum: &Summary) -> JsonObject {
    let mut o = JsonObject::new();
    o.num("rewritten", sum.rewritten as u64)
        .num("already_anonymized", sum.unchanged as u64)
        .num("failed", sum.failed as u64)
        .num("skipped", sum.skipped as u64)
        .num("open_for_writing", sum.busy as u64)
        .num("younger", sum.recent as u64);
    o
}
