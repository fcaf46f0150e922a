//! The report of `anonlog check`: the text summary and the `--json`
//! document (its schema is in `anonlog check --help`). Both are built only
//! from counts, line numbers, input names, format names and the policy:
//! the audit keeps no byte of a line, so neither can print one.

use std::fmt::Write;

use crate::anonymize::audit::{Class, Findings, Lines};
use crate::app::json::JsonObject;
use crate::app::record::shown;
use crate::engine::check::{CheckOutcome, Checked};
use crate::error::show_path;

/// The policy a check compared with, as the report states it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// `--ipv4-prefix`.
    pub ipv4_prefix: u8,
    /// `--ipv6-prefix`.
    pub ipv6_prefix: u8,
    /// `--keep-query`.
    pub keep_query: bool,
    /// `--referrer`, as typed.
    pub referrer: &'static str,
    /// `--keep-user`.
    pub keep_user: bool,
    /// `--pseudonymized`.
    pub pseudonymized: bool,
    /// `--max-line-bytes`.
    pub max_line_bytes: usize,
    /// `--older-than`, as typed.
    pub older_than: Option<String>,
}

/// A class's key in both reports; stable, since scripts read them.
pub fn key(class: Class) -> &'static str {
    match class {
        Class::Address => "address",
        Class::NonAddress => "non_address",
        Class::Query => "query",
        Class::Referrer => "referrer",
        Class::User => "user",
        Class::Secret => "secret",
        Class::Email => "email",
        Class::Oversized => "oversized",
        Class::Unparsed => "unparsed",
    }
}

/// Nothing at all was found to check, not even a file too young for
/// `--older-than` (which makes a retention directory fine, not empty).
fn nothing_found(outcome: &CheckOutcome) -> bool {
    outcome.inputs.is_empty() && outcome.younger.is_empty()
}

/// The exit status of a check: 2 when an input could not be checked or
/// nothing was found to check, else 1 when some input has findings, else 0.
pub fn status(outcome: &CheckOutcome) -> u8 {
    let inputs = &outcome.inputs;
    if nothing_found(outcome) || inputs.iter().any(|c| c.result.is_err()) {
        2
    } else if inputs
        .iter()
        .any(|c| c.result.as_ref().is_ok_and(|a| !a.findings.is_clean()))
    {
        1
    } else {
        0
    }
}

fn line_list(lines: &Lines) -> String {
    let shown: Vec<String> = lines.first().iter().map(u64::to_string).collect();
    let more = if lines.count() > lines.first().len() as u64 {
        ", ..."
    } else {
        ""
    };
    format!("{}{more}", shown.join(", "))
}

fn plural(n: u64, one: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// The text report: one block per input, the skipped entries, a summary
/// and the policy.
pub fn text(outcome: &CheckOutcome, policy: &Policy) -> String {
    let mut s = String::new();
    let (mut clean, mut dirty, mut failed) = (0, 0, 0);
    for input in &outcome.inputs {
        let a = match &input.result {
            Ok(a) => a,
            Err(e) => {
                failed += 1;
                let _ = writeln!(s, "{}: not checked: {}", input.name, crate::error::chain(e));
                continue;
            }
        };
        let f = &a.findings;
        let format = match a.format.as_str() {
            "none" => "no format fits",
            f => f,
        };
        let head = format!("{}: {format}, {}", a.name, plural(a.lines, "line"));
        if f.is_clean() {
            clean += 1;
            let _ = writeln!(s, "{head}: clean");
        } else {
            dirty += 1;
            let _ = writeln!(
                s,
                "{head}: findings on {}",
                plural(f.flagged().count(), "line")
            );
        }
        for class in Class::ALL {
            let lines = f.get(class);
            if lines.count() == 0 {
                continue;
            }
            let note = if class.is_finding() {
                ""
            } else {
                " (listed, no finding by itself)"
            };
            let n = lines.count();
            let unit = if n == 1 { "line" } else { "lines" };
            let _ = writeln!(
                s,
                "  {:<12}{n:>10} {unit:<5}  {}{note}",
                key(class),
                line_list(lines)
            );
        }
    }
    for (path, why) in &outcome.skipped {
        let _ = writeln!(s, "{}: skipped: {why}", show_path(path));
    }
    if nothing_found(outcome) {
        let _ = writeln!(s, "nothing to check: no input found");
    }
    // Said whenever --older-than was given, as a sweep says it.
    let younger = match &policy.older_than {
        Some(age) => format!(", {} younger than {age}", outcome.younger.len()),
        None => String::new(),
    };
    let _ = writeln!(
        s,
        "checked {}: {clean} clean, {dirty} with findings, {failed} not checked{younger}",
        plural(outcome.inputs.len() as u64, "input")
    );
    let _ = writeln!(s, "policy: {}", policy_text(policy));
    s
}

fn policy_text(p: &Policy) -> String {
    let mut s = format!(
        "--ipv4-prefix {} --ipv6-prefix {} --referrer {}",
        p.ipv4_prefix, p.ipv6_prefix, p.referrer
    );
    for (set, flag) in [
        (p.keep_query, " --keep-query"),
        (p.keep_user, " --keep-user"),
        (p.pseudonymized, " --pseudonymized"),
    ] {
        if set {
            s.push_str(flag);
        }
    }
    let _ = write!(s, " --max-line-bytes {}", p.max_line_bytes);
    if let Some(age) = &p.older_than {
        let _ = write!(s, " --older-than {age}");
    }
    s
}

fn lines_json(lines: &Lines) -> JsonObject {
    let mut o = JsonObject::new();
    o.num("count", lines.count())
        .nums("first", lines.first().iter().copied());
    o
}

fn policy_json(p: &Policy) -> JsonObject {
    let mut o = JsonObject::new();
    o.num("ipv4_prefix", u64::from(p.ipv4_prefix))
        .num("ipv6_prefix", u64::from(p.ipv6_prefix))
        .bool("keep_query", p.keep_query)
        .str("referrer", p.referrer)
        .bool("keep_user", p.keep_user)
        .bool("pseudonymized", p.pseudonymized)
        .num("max_line_bytes", p.max_line_bytes as u64)
        .opt_str("older_than", p.older_than.as_deref());
    o
}

/// One input as both JSON forms give it, named `name` under `field`.
fn input_json(field: &'static str, name: &str, input: &Checked) -> JsonObject {
    let none = Findings::default();
    let (audit, f) = match &input.result {
        Ok(a) => (Some(a), &a.findings),
        Err(_) => (None, &none),
    };
    let mut findings = JsonObject::new();
    for &c in Class::ALL.iter().filter(|c| c.is_finding()) {
        findings.obj(key(c), &lines_json(f.get(c)));
    }
    let mut o = JsonObject::new();
    o.str(field, name)
        .opt_str(
            "error",
            input
                .result
                .as_ref()
                .err()
                .map(|e| crate::error::chain(e))
                .as_deref(),
        )
        .opt_str("format", audit.map(|a| a.format.as_str()))
        .opt_num("lines", audit.map(|a| a.lines))
        .bool("clean", audit.is_some() && f.is_clean())
        .obj("lines_with_findings", &lines_json(f.flagged()))
        .obj("findings", &findings)
        .obj("unparsed", &lines_json(f.get(Class::Unparsed)));
    o
}

/// The `--json` document: one object, on one line, ending in a newline.
pub fn json(outcome: &CheckOutcome, policy: &Policy) -> String {
    let status = status(outcome);
    let inputs: Vec<JsonObject> = outcome
        .inputs
        .iter()
        .map(|i| input_json("name", &i.name, i))
        .collect();
    let skipped: Vec<JsonObject> = outcome
        .skipped
        .iter()
        .map(|(p, why)| skipped_json(&show_path(p), why))
        .collect();
    let younger: Vec<String> = outcome.younger.iter().map(|p| show_path(p)).collect();
    let mut doc = JsonObject::new();
    doc.num("version", 1)
        .bool("clean", status == 0)
        .num("status", u64::from(status))
        .obj("policy", &policy_json(policy))
        .objs("inputs", &inputs)
        .objs("skipped", &skipped)
        .strs("younger", younger.iter().map(String::as_str));
    let mut s = doc.finish();
    s.push('\n');
    s
}

fn skipped_json(path: &str, why: &str) -> JsonObject {
    let mut o = JsonObject::new();
    o.str("path", path).str("reason", why);
    o
}

/// The fields of `check --report`'s line: `policy`, `clean`, and the
/// inputs as `--json` gives them (`path` made absolute instead of `name`;
/// `-` for standard input), the `skipped` entries and the `younger` files,
/// also by absolute path. Like the report, never a byte of a line.
pub fn record_fields(outcome: &CheckOutcome, policy: &Policy) -> JsonObject {
    let inputs: Vec<JsonObject> = outcome
        .inputs
        .iter()
        .map(|i| {
            let path = i.path.as_deref().map_or_else(|| "-".to_owned(), shown);
            input_json("path", &path, i)
        })
        .collect();
    let skipped: Vec<JsonObject> = outcome
        .skipped
        .iter()
        .map(|(p, why)| skipped_json(&shown(p), why))
        .collect();
    let younger: Vec<String> = outcome.younger.iter().map(|p| shown(p)).collect();
    let mut o = JsonObject::new();
    o.obj("policy", &policy_json(policy))
        .bool("clean", status(outcome) == 0)
        .objs("inputs", &inputs)
        .objs("skipped", &skipped)
        .strs("younger", younger.iter().map(String::as_str));
    o
}
