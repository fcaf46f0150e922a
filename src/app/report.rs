//! What a finished run says on stderr, and its exit status: `--stats` as
//! text or as one JSON object (strings escaped as JSON wants, never
//! stripped), the warning for unparsed lines, mismatches and the batch
//! summary.

use std::io::Write;

use crate::anonymize::pseudonym::KeyedConfig;
use crate::config::{Config, Mode, StatsFormat};
use crate::engine::batch::Summary;
use crate::engine::stream::Outcome;
use crate::error::{count, plural};
use crate::stats::{Stats, UnknownNames};

/// Warns, once, before a listener on a unix socket starts, when the
/// kernel's queue for it is shorter than systemd's
/// ([`short_unix_queue`](crate::engine::listen::short_unix_queue)). Said
/// even with `--quiet`, like every loss anonlog knows of: the lines of a
/// burst beyond the queue are refused by the kernel, so no counter of
/// anonlog's can ever show them, and nginx notes each one, if at all, as a
/// warning naming the client and the request, raw.
pub fn listener_start(config: &Config) {
    let Mode::Listen(lc) = &config.mode else {
        return;
    };
    if let Some(len) = crate::engine::listen::short_unix_queue(&lc.addr) {
        let msg = format!(
            "anonlog: warning: net.unix.max_dgram_qlen is {len}: nginx loses every line of a burst beyond {len} that arrives while anonlog is busy; raise it to {} or more (samples/sysctl.d/60-anonlog.conf in /etc/sysctl.d/, then `sysctl --system`) and restart anonlog\n",
            crate::engine::listen::MIN_UNIX_QUEUE
        );
        let _ = std::io::stderr().lock().write_all(msg.as_bytes());
    }
}

/// Reports a finished stream and returns its status: 1 when some input did
/// not fit its format (said even with `--quiet`: a format that does not
/// fit is never silent, and the status tells scripts and logrotate), else 0.
pub fn stream_end(config: &Config, outcome: &Outcome) -> u8 {
    summary(config, outcome);
    let mut err = std::io::stderr().lock();
    for m in outcome.mismatched.iter().filter(|m| !m.reported) {
        let _ = writeln!(err, "anonlog: error: {m}");
    }
    u8::from(!outcome.mismatched.is_empty())
}

/// Reports a finished in-place batch (its files were reported as they
/// failed) and returns the worst status among them.
pub fn batch_end(config: &Config, sum: &Summary) -> u8 {
    let read = Outcome {
        detected: sum.detected.clone(),
        stats: sum.stats,
        unknown_names: sum.unknown_names.clone(),
        ..Outcome::default()
    };
    summary(config, &read);
    if !config.report.quiet {
        let files =
            sum.rewritten + sum.unchanged + sum.failed + sum.skipped + sum.busy + sum.recent;
        eprintln!(
            "anonlog: {}: {} rewritten, {} already anonymized, {} failed, {} skipped{}; {}, {} read",
            count(files as u64, "file", "files"),
            sum.rewritten,
            sum.unchanged,
            sum.failed,
            sum.skipped,
            super::age::left_alone(config, sum),
            count(sum.stats.lines_read, "line", "lines"),
            count(sum.stats.bytes_read, "byte", "bytes"),
        );
    }
    sum.worst_exit
}

/// `--stats`, or, without it, one warning when lines could not be parsed
/// (nothing at all with `--quiet`). Fields without a rule are named: the
/// compiled format's, then the JSON keys seen in the input (already
/// sanitized by [`UnknownNames`]). With `-f auto` the format is `auto`,
/// and the format detected for each input follows it.
fn summary(config: &Config, outcome: &Outcome) {
    let (stats, detected) = (&outcome.stats, &outcome.detected[..]);
    let format = config.rules.format_name();
    let keys: &UnknownNames = &outcome.unknown_names;
    let unknown: Vec<&str> = config
        .report
        .unknown_fields
        .iter()
        .map(String::as_str)
        .chain(keys.shown().iter().map(String::as_str))
        .collect();
    let keyed = config.rewrite.keyed.as_deref();
    let quiet = config.report.quiet;
    let mut err = std::io::stderr().lock();
    match config.report.stats {
        Some(StatsFormat::Text) => {
            let mut text = stats_text(stats, format, detected);
            if let Some(k) = keyed {
                text.push_str(&keyed_text(k));
            }
            if !unknown.is_empty() || keys.more() > 0 {
                let more = match keys.more() {
                    0 => String::new(),
                    n => format!(" and {n} more"),
                };
                text.push_str(&format!(
                    "anonlog: no rule, kept only if inert, else scrubbed: {}{more}\n",
                    unknown.join(", ")
                ));
            }
            let _ = err.write_all(text.as_bytes());
        }
        Some(StatsFormat::Json) => {
            let json = stats_json(stats, format, &unknown, keys.more(), detected, keyed);
            let _ = writeln!(err, "{json}");
        }
        None if !quiet
            && outcome.mismatched.is_empty()
            && stats.scrubbed + stats.dropped + stats.oversized > 0 =>
        {
            let read_as = read_as(format, detected);
            let _ = writeln!(
                err,
                "anonlog: warning: {}",
                unparsed_warning(stats, &read_as)
            );
        }
        None => {}
    }
    if config.report.stats.is_none() && !quiet && stats.undated > 0 {
        let _ = writeln!(
            err,
            "anonlog: warning: {} no readable timestamp for --key-rotation and {} truncated instead of pseudonymized",
            count(stats.undated, "line had", "lines had"),
            plural(stats.undated, "was", "were"),
        );
    }
}

/// The warning for lines that did not parse or were too long, when the
/// format still fits: what became of them, each count with its own noun.
fn unparsed_warning(stats: &Stats, format: &str) -> String {
    let unparsed = stats.scrubbed + stats.dropped;
    let mut parts = Vec::new();
    if unparsed > 0 {
        parts.push(format!(
            "{unparsed} of {} did not parse as {format} and {} {}",
            count(stats.lines_read, "line", "lines"),
            plural(unparsed, "was", "were"),
            if stats.dropped > 0 {
                "dropped"
            } else {
                "scrubbed"
            },
        ));
    }
    if stats.oversized > 0 {
        parts.push(format!(
            "{} longer than --max-line-bytes",
            count(stats.oversized, "line was", "lines were")
        ));
    }
    parts.join("; ")
}

/// The format lines were read with, as a warning names it: with `-f
/// auto`, the one detected for every input, or what stands for several
/// (the listener, which has no inputs, judges each line on its own).
fn read_as(format: &str, detected: &[(String, String)]) -> String {
    if format != "auto" {
        return format.to_owned();
    }
    let mut found = detected.iter().map(|(_, f)| f.as_str());
    match found.next() {
        None => "any format".to_owned(),
        Some(first) if found.all(|f| f == first) => first.to_owned(),
        Some(_) => "the format detected for its input".to_owned(),
    }
}

/// The counters, one `anonlog: name value` per line, prefixed so they are
/// recognisable in a mixed stderr: first the format, then, with `-f auto`,
/// the format detected for each input (`none` when no format fits it).
pub fn stats_text(stats: &Stats, format: &str, detected: &[(String, String)]) -> String {
    let line = |k: &str, v: &dyn std::fmt::Display| format!("anonlog: {k:<24}{v}\n");
    let mut s = line("format", &format);
    for (input, format) in detected {
        s.push_str(&line(
            "detected format",
            &format_args!("{format} for {input}"),
        ));
    }
    for (k, v) in stats.fields() {
        s.push_str(&line(&k.replace('_', " "), &v));
    }
    s
}

/// `--stats` lines of a keyed run: key id, mode and rotation (never the key).
pub fn keyed_text(k: &KeyedConfig) -> String {
    format!(
        "anonlog: key id                  {}\nanonlog: pseudonymize            {}\nanonlog: user tokens             {}\nanonlog: key rotation            {}\n",
        k.key_id(),
        k.mode().map_or("off", |m| m.label()),
        if k.users() { "on" } else { "off" },
        k.rotation()
    )
}

/// `--stats=json`: one JSON object on one line; keys are stable for
/// scripts, and every string is escaped, so a name holding `"` or `\` is
/// shown as it is, never cut or able to end its string.
pub fn stats_json(
    stats: &Stats,
    format: &str,
    unknown: &[&str],
    unknown_more: usize,
    detected: &[(String, String)],
    keyed: Option<&KeyedConfig>,
) -> String {
    let mut s = format!("{{\"format\":{}", json_string(format));
    for (k, v) in stats.fields() {
        s.push_str(&format!(",\"{k}\":{v}"));
    }
    let names: Vec<String> = unknown.iter().map(|n| json_string(n)).collect();
    s.push_str(&format!(
        ",\"unknown_fields\":[{}],\"unknown_fields_more\":{unknown_more}",
        names.join(",")
    ));
    let detected: Vec<String> = detected
        .iter()
        .map(|(i, f)| {
            format!(
                "{{\"input\":{},\"format\":{}}}",
                json_string(i),
                json_string(f)
            )
        })
        .collect();
    s.push_str(&format!(",\"detected\":[{}]", detected.join(",")));
    if let Some(k) = keyed {
        s.push_str(&format!(
            ",\"key_id\":{},\"pseudonymize\":{},\"user_tokens\":{},\"key_rotation\":{}",
            json_string(&k.key_id()),
            k.mode()
                .map_or("null".to_owned(), |m| json_string(m.label())),
            k.users(),
            json_string(&k.rotation().to_string())
        ));
    }
    s.push('}');
    s
}

/// `s` as a JSON string literal (RFC 8259): quotes, backslashes and
/// control characters escaped, everything else as it is.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_one_object() {
        let s = Stats {
            lines_read: 3,
            ..Stats::default()
        };
        let j = stats_json(&s, "combined", &[], 0, &[], None);
        assert!(j.starts_with("{\"format\":\"combined\",\"lines_read\":3,"));
        assert!(j.ends_with(
            "\"undated_truncated\":0,\"unknown_fields\":[],\"unknown_fields_more\":0,\"detected\":[]}"
        ));
        assert!(!j.contains('\n'));
    }

    #[test]
    fn keyed_stats_show_the_key_id_never_the_key() {
        use crate::anonymize::pseudonym::{MasterKey, Mode, Rotation};
        const HEX: &str = "1522178d33a4cf80130a5b1649907d10d8988f837979652762574c2d2a842202";
        let master = MasterKey::from_hex(HEX).unwrap();
        let k = KeyedConfig::new(master, Some(Mode::Pfx), false, Rotation::Daily).unwrap();
        let text =
            keyed_text(&k) + &stats_json(&Stats::default(), "combined", &[], 0, &[], Some(&k));
        assert!(text.contains(&k.key_id()));
        assert!(text.contains("\"key_rotation\":\"daily\""));
        assert!(text.contains("\"pseudonymize\":\"pfx\""));
        assert!(!text.contains(&HEX[..16]) && !text.contains(&HEX[48..]));
    }

    #[test]
    fn json_strings_are_escaped_not_stripped() {
        assert_eq!(json_string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(json_string("tab\there\n\u{1}"), r#""tab\there\n\u0001""#);
        assert_eq!(json_string("é"), "\"é\"");
        let detected = [("we\"ird\\name".to_owned(), "combined".to_owned())];
        let j = stats_json(&Stats::default(), "main", &["x\"y"], 2, &detected, None);
        assert!(
            j.contains(r#""unknown_fields":["x\"y"],"unknown_fields_more":2"#),
            "{j}"
        );
        assert!(
            j.contains(r#""detected":[{"input":"we\"ird\\name","format":"combined"}]"#),
            "{j}"
        );
    }
}
