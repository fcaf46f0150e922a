//! The report of `anonlog check`: the text summary and the `--json`
//! document (its schema is in `anonlog check --help`). Both are built only
//! from counts, line numbers, input names, format names and the policy:
//! the audit keeps no byte of a line, so neither can print one.

use std::fmt::Write;

use crate::anonymize::audit::{Class, Findings, Lines};
use crate::app::report::json_string;
use crate::engine::check::CheckOutcome;

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

/// The exit status of a check: 2 when an input could not be checked or
/// nothing was checked at all, else 1 when some input has findings, else 0.
pub fn status(outcome: &CheckOutcome) -> u8 {
    let inputs = &outcome.inputs;
    if inputs.is_empty() || inputs.iter().any(|c| c.result.is_err()) {
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
        let _ = writeln!(s, "{path}: skipped: {why}");
    }
    if outcome.inputs.is_empty() {
        let _ = writeln!(s, "nothing to check: no input found");
    }
    let _ = writeln!(
        s,
        "checked {}: {clean} clean, {dirty} with findings, {failed} not checked",
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
    s
}

fn lines_json(lines: &Lines) -> String {
    let first: Vec<String> = lines.first().iter().map(u64::to_string).collect();
    format!(
        "{{\"count\":{},\"first\":[{}]}}",
        lines.count(),
        first.join(",")
    )
}

/// The `--json` document: one object, on one line, ending in a newline.
pub fn json(outcome: &CheckOutcome, policy: &Policy) -> String {
    let status = status(outcome);
    let mut s = format!(
        "{{\"version\":1,\"clean\":{},\"status\":{status},\"policy\":{{\"ipv4_prefix\":{},\"ipv6_prefix\":{},\"keep_query\":{},\"referrer\":{},\"keep_user\":{},\"pseudonymized\":{},\"max_line_bytes\":{}}},\"inputs\":[",
        status == 0,
        policy.ipv4_prefix,
        policy.ipv6_prefix,
        policy.keep_query,
        json_string(policy.referrer),
        policy.keep_user,
        policy.pseudonymized,
        policy.max_line_bytes,
    );
    let inputs: Vec<String> = outcome
        .inputs
        .iter()
        .map(|input| {
            let none = Findings::default();
            let (error, format, lines, f) = match &input.result {
                Ok(a) => (
                    "null".to_owned(),
                    json_string(&a.format),
                    a.lines.to_string(),
                    &a.findings,
                ),
                Err(e) => (
                    json_string(&crate::error::chain(e)),
                    "null".to_owned(),
                    "null".to_owned(),
                    &none,
                ),
            };
            let findings: Vec<String> = Class::ALL
                .iter()
                .filter(|c| c.is_finding())
                .map(|&c| format!("\"{}\":{}", key(c), lines_json(f.get(c))))
                .collect();
            format!(
                "{{\"name\":{},\"error\":{error},\"format\":{format},\"lines\":{lines},\"clean\":{},\"lines_with_findings\":{},\"findings\":{{{}}},\"unparsed\":{}}}",
                json_string(&input.name),
                input.result.is_ok() && f.is_clean(),
                lines_json(f.flagged()),
                findings.join(","),
                lines_json(f.get(Class::Unparsed)),
            )
        })
        .collect();
    s.push_str(&inputs.join(","));
    let skipped: Vec<String> = outcome
        .skipped
        .iter()
        .map(|(p, why)| {
            format!(
                "{{\"path\":{},\"reason\":{}}}",
                json_string(p),
                json_string(why)
            )
        })
        .collect();
    let _ = writeln!(s, "],\"skipped\":[{}]}}", skipped.join(","));
    s
}
