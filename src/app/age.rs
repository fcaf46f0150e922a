//! `--older-than AGE`: file ages as typed (`7d`, `36h`, `2w`), for the
//! retention sweep (`--in-place -r DIR --older-than 7d`) and for any
//! subcommand that judges files by age.
//!
//! The batch summary's words for what such a sweep left alone are here
//! too ([`left_alone`]).
//!
//! Units are `s`, `min`, `h`, `d` and `w`. A bare `m` is refused, since
//! "6m" reads as six months as easily as six minutes, and the two differ
//! by a factor of 43,200; months and years are refused because they vary
//! in length.

use anyhow::ensure;

use super::cli::Cli;
use crate::config::{Age, Config, Mode};
use crate::engine::batch::Summary;

/// The units taken, with their length in seconds, longest name first so
/// that `min` is not read as `m` followed by garbage.
const UNITS: [(&str, u64); 5] = [
    ("min", 60),
    ("s", 1),
    ("h", 3_600),
    ("d", 86_400),
    ("w", 7 * 86_400),
];

/// Parses an age: decimal digits and one unit (`s`, `min`, `h`, `d`,
/// `w`), nothing else.
///
/// Guarantees: the result is never zero and never longer than
/// [`Age::MAX`]; its label is the text given. Refused with a message that
/// says what to write instead: an empty value, a sign (negative ages do
/// not exist), a missing or unknown unit, zero, fractions, and ages past
/// [`Age::MAX`] or past what 64 bits hold.
pub fn parse_age(s: &str) -> Result<Age, String> {
    const EXAMPLES: &str = "such as 7d, 36h, 2w, 90min or 30s";
    if s.strip_prefix('-')
        .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
    {
        return Err(format!(
            "an age cannot be negative; expected one {EXAMPLES}"
        ));
    }
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = s.split_at(digits);
    if number.is_empty() {
        return Err(format!("expected a whole number and a unit, {EXAMPLES}"));
    }
    // All zeros is zero, however long: no overflow to report first.
    if number.bytes().all(|b| b == b'0') {
        return Err(
            "an age of zero would take files that are being written right now; leave out \
             --older-than to take every file"
                .to_owned(),
        );
    }
    let per = match unit {
        "" => {
            return Err(format!(
                "{s} needs a unit: {s}d for days, {s}h for hours, {s}w for weeks ({EXAMPLES})"
            ));
        }
        "m" => {
            return Err(format!(
                "\"m\" could mean minutes or months: write {number}min for minutes, or days or \
                 weeks for longer ({EXAMPLES})"
            ));
        }
        u if u.starts_with(['.', ',']) => {
            return Err(format!(
                "expected a whole number: write 36h for a day and a half ({EXAMPLES})"
            ));
        }
        "mo" | "month" | "months" | "y" | "year" | "years" => {
            return Err(format!(
                "months and years vary in length: give days or weeks instead ({EXAMPLES})"
            ));
        }
        u => match UNITS.iter().find(|(name, _)| *name == u) {
            Some((_, per)) => *per,
            None => {
                return Err(format!(
                    "unknown unit {u:?}: the units are s, min, h, d and w ({EXAMPLES})"
                ));
            }
        },
    };
    let too_long = || format!("too long: at most {} days", Age::MAX.as_secs() / 86_400);
    let secs = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(per))
        .ok_or_else(too_long)?;
    let duration = std::time::Duration::from_secs(secs);
    if duration > Age::MAX {
        return Err(too_long());
    }
    Ok(Age {
        duration,
        label: s.to_owned(),
    })
}

/// `--older-than` of the main command, checked against the mode: it
/// judges files on disk, so it needs `--in-place`; a stream (or standard
/// input) has no file age to judge.
pub fn older_than(cli: &Cli) -> anyhow::Result<Option<Age>> {
    ensure!(
        cli.older_than.is_none() || cli.in_place,
        "--older-than selects files to rewrite, so it needs --in-place: for a retention sweep, \
         `anonlog --in-place -r DIR --older-than 7d`"
    );
    Ok(cli.older_than.clone())
}

/// The batch summary's words for the files a batch left alone unread:
/// `, N open for writing` when there were any, and `, N younger than AGE`
/// whenever `--older-than` was given (so a sweep that took nothing still
/// says why). Empty otherwise.
pub fn left_alone(config: &Config, sum: &Summary) -> String {
    let mut s = String::new();
    if sum.busy > 0 {
        s.push_str(&format!(", {} open for writing", sum.busy));
    }
    if let Mode::InPlace {
        older_than: Some(age),
        ..
    } = &config.mode
    {
        s.push_str(&format!(", {} younger than {}", sum.recent, age.label));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn secs(s: &str) -> u64 {
        parse_age(s).unwrap().duration.as_secs()
    }

    #[test]
    fn ages_in_every_unit() {
        assert_eq!(secs("7d"), 7 * 86_400);
        assert_eq!(secs("36h"), 36 * 3_600);
        assert_eq!(secs("2w"), 14 * 86_400);
        assert_eq!(secs("90min"), 5_400);
        assert_eq!(secs("30s"), 30);
        assert_eq!(secs("007d"), 7 * 86_400);
        assert_eq!(parse_age("7d").unwrap().label, "7d");
        assert_eq!(parse_age("36600d").unwrap().duration, Age::MAX);
    }

    #[test]
    fn refusals_say_what_to_write() {
        let err = |s: &str| parse_age(s).unwrap_err();
        assert!(err("0").contains("zero"), "{}", err("0"));
        assert!(err("0d").contains("zero"));
        assert!(err("000000000000000000000000w").contains("zero"));
        assert!(err("-7d").contains("negative"));
        assert!(err("7").contains("needs a unit: 7d"), "{}", err("7"));
        assert!(err("6m").contains("6min"), "{}", err("6m"));
        assert!(err("1y").contains("vary in length"));
        assert!(err("7x").contains("unknown unit \"x\""), "{}", err("7x"));
        assert!(err("1.5d").contains("whole number"), "{}", err("1.5d"));
        for bad in ["", "d", "+7d", " 7d", "7d ", "1.5d", "7 d", "7D", "7dd"] {
            assert!(parse_age(bad).is_err(), "{bad:?} was taken");
        }
    }

    #[test]
    fn overflow_and_absurd_ages_are_refused() {
        for bad in [
            "36601d",
            "5229w",
            "18446744073709551615s",
            "18446744073709551616s",
            "99999999999999999999999d",
            "30500000000000000w",
        ] {
            assert!(parse_age(bad).unwrap_err().contains("too long"), "{bad}");
        }
        assert!(Age::MAX < Duration::from_secs(i64::MAX as u64));
    }
}
