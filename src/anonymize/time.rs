//! `--time-resolution`: a line's time field rounded down to the minute, the
//! hour or the day, in the form and zone it was written in, so that
//! analyzers read it as before and count the same hits per hour (or per
//! day) while the second of a visit, which can single it out among the
//! visits of one network, is gone.

/// How finely times are kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TimeResolution {
    /// As written (the default).
    #[default]
    Second,
    /// Seconds (and fractions) zeroed.
    Minute,
    /// Minutes and seconds zeroed.
    Hour,
    /// The time of day zeroed: midnight of the date written.
    Day,
}

impl TimeResolution {
    /// How many of the clock's three two-digit groups (`HH`, `MM`, `SS`),
    /// counted from the right, are zeroed.
    fn groups(self) -> usize {
        match self {
            TimeResolution::Second => 0,
            TimeResolution::Minute => 1,
            TimeResolution::Hour => 2,
            TimeResolution::Day => 3,
        }
    }

    /// The resolution in seconds, for epoch timestamps.
    fn seconds(self) -> u64 {
        match self {
            TimeResolution::Second => 1,
            TimeResolution::Minute => 60,
            TimeResolution::Hour => 3600,
            TimeResolution::Day => 86_400,
        }
    }
}

/// Appends `v`, a time field, rounded down to `res`, and returns true; or
/// appends nothing and returns false when `v` is not a time of a form
/// anonlog reads (the caller then treats it as a value without a rule).
///
/// Guarantees: the forms of [`crate::format::time::line_date`] (CLF,
/// ISO 8601 with or without fraction and zone, nginx and Apache error-log
/// times) keep their length, separators, date and zone byte for byte;
/// only digits of the time of day (and of a fraction of a second) become
/// `0`, so the result is a valid time of the same form, never later than
/// `v`, and the date never changes (the zone is not applied: midnight is
/// the one written). An epoch timestamp (`1795340297.123`, Caddy's `ts`:
/// 9 to 12 digits, an optional fraction) is floored to a multiple of the
/// resolution in UTC, fraction zeroed, length kept. With
/// [`TimeResolution::Second`] `v` is copied unchanged when it is a time.
pub fn round_time(v: &[u8], res: TimeResolution, out: &mut Vec<u8>) -> bool {
    if crate::format::time::line_date(v).is_some() {
        // CLF puts the clock after `dd/Mon/yyyy:`, every other form after
        // eleven bytes (`yyyy-mm-ddT`, `yyyy/mm/dd `, `Www Mmm dd `).
        let clock = if v[2] == b'/' { 12 } else { 11 };
        if v.get(clock + 2) != Some(&b':') || v.get(clock + 5) != Some(&b':') {
            return false;
        }
        let start = out.len();
        out.extend_from_slice(v);
        let o = &mut out[start..];
        for g in 0..res.groups() {
            let at = clock + 6 - 3 * g;
            o[at] = b'0';
            o[at + 1] = b'0';
        }
        if res != TimeResolution::Second && o.get(clock + 8) == Some(&b'.') {
            for b in o[clock + 9..].iter_mut().take_while(|b| b.is_ascii_digit()) {
                *b = b'0';
            }
        }
        return true;
    }
    round_epoch(v, res, out)
}

/// [`round_time`] for a value already known to have the shape of a CLF
/// time (`dd/Mon/yyyy:HH:MM:SS +zzzz`, 26 bytes), as the time field of
/// every parsed access-log line has: the digits are zeroed in place
/// without parsing the date again. A shaped value whose numbers are out
/// of range stays out of range, as it is copied unchanged without the
/// option.
pub fn round_clf(v: &[u8; 26], res: TimeResolution, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(v);
    for g in 0..res.groups() {
        let at = 12 + 6 - 3 * g;
        out[start + at] = b'0';
        out[start + at + 1] = b'0';
    }
}

/// Epoch seconds with an optional fraction (see [`round_time`]).
fn round_epoch(v: &[u8], res: TimeResolution, out: &mut Vec<u8>) -> bool {
    let int = v.iter().take_while(|b| b.is_ascii_digit()).count();
    let frac = match &v[int..] {
        [] => 0,
        [b'.', rest @ ..] if !rest.is_empty() && rest.iter().all(u8::is_ascii_digit) => rest.len(),
        _ => return false,
    };
    if !(9..=12).contains(&int) {
        return false;
    }
    let secs: u64 = v[..int]
        .iter()
        .fold(0, |n, &d| n * 10 + u64::from(d - b'0'));
    let floored = secs - secs % res.seconds();
    let digits = floored.to_string();
    // Leading zeros, as written or left by the floor, keep the length.
    let pad = int.saturating_sub(digits.len());
    out.extend(std::iter::repeat_n(b'0', pad));
    out.extend_from_slice(digits.as_bytes());
    if frac > 0 {
        out.push(b'.');
        if res == TimeResolution::Second {
            out.extend_from_slice(&v[int + 1..]);
        } else {
            out.extend(std::iter::repeat_n(b'0', frac));
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::TimeResolution::*;
    use super::*;
    use proptest::prelude::*;

    fn round(v: &str, res: TimeResolution) -> Option<String> {
        let mut out = b"x".to_vec();
        round_time(v.as_bytes(), res, &mut out)
            .then(|| String::from_utf8(out[1..].to_vec()).unwrap())
    }

    #[test]
    fn every_form_keeps_its_shape_and_zone() {
        let cases = [
            (
                "10/Oct/2000:13:55:36 -0700",
                [
                    "10/Oct/2000:13:55:36 -0700",
                    "10/Oct/2000:13:55:00 -0700",
                    "10/Oct/2000:13:00:00 -0700",
                    "10/Oct/2000:00:00:00 -0700",
                ],
            ),
            (
                "2026-11-22T08:38:17.123+01:00",
                [
                    "2026-11-22T08:38:17.123+01:00",
                    "2026-11-22T08:38:00.000+01:00",
                    "2026-11-22T08:00:00.000+01:00",
                    "2026-11-22T00:00:00.000+01:00",
                ],
            ),
            (
                "2026-11-22T23:59:60Z",
                [
                    "2026-11-22T23:59:60Z",
                    "2026-11-22T23:59:00Z",
                    "2026-11-22T23:00:00Z",
                    "2026-11-22T00:00:00Z",
                ],
            ),
            (
                "2026/11/22 08:38:17",
                [
                    "2026/11/22 08:38:17",
                    "2026/11/22 08:38:00",
                    "2026/11/22 08:00:00",
                    "2026/11/22 00:00:00",
                ],
            ),
            (
                "Sun Nov 22 08:38:17.123456 2026",
                [
                    "Sun Nov 22 08:38:17.123456 2026",
                    "Sun Nov 22 08:38:00.000000 2026",
                    "Sun Nov 22 08:00:00.000000 2026",
                    "Sun Nov 22 00:00:00.000000 2026",
                ],
            ),
            (
                "1795340297.12",
                [
                    "1795340297.12",
                    "1795340280.00",
                    "1795338000.00",
                    "1795305600.00",
                ],
            ),
            (
                "1795340297",
                ["1795340297", "1795340280", "1795338000", "1795305600"],
            ),
        ];
        for (v, want) in cases {
            for (res, w) in [Second, Minute, Hour, Day].into_iter().zip(want) {
                assert_eq!(round(v, res).as_deref(), Some(w), "{v} {res:?}");
            }
        }
    }

    #[test]
    fn clf_fast_path_agrees() {
        for v in ["10/Oct/2000:13:55:36 -0700", "29/Feb/2024:23:59:60 +1400"] {
            for res in [Second, Minute, Hour, Day] {
                let mut out = Vec::new();
                round_clf(v.as_bytes().try_into().unwrap(), res, &mut out);
                assert_eq!(Some(String::from_utf8(out).unwrap()), round(v, res));
            }
        }
    }

    #[test]
    fn what_is_no_time_is_left_to_the_caller() {
        for v in [
            "",
            "-",
            "10/Oct/2000:13:55:36",
            "10/Oct/2000:25:55:36 -0700",
            "26/Dec/2016:16:16:48 /p?password=ZqX +0200",
            "12345678",
            "1234567890123",
            "1795340297.",
            "1795340297.1x",
            "-1795340297",
            "2026-11-22",
        ] {
            assert_eq!(round(v, Hour), None, "{v:?}");
        }
    }

    proptest! {
        /// A rounded CLF time is a valid time of the same date, no later,
        /// and a multiple of the resolution.
        #[test]
        fn clf_rounds_down(h in 0u32..24, m in 0u32..60, s in 0u32..61, day in 1u32..29) {
            let v = format!("{day:02}/Feb/2024:{h:02}:{m:02}:{s:02} +0530");
            for res in [Second, Minute, Hour, Day] {
                let r = round(&v, res).unwrap();
                prop_assert_eq!(r.len(), v.len());
                prop_assert_eq!(
                    crate::format::time::line_date(r.as_bytes()),
                    crate::format::time::line_date(v.as_bytes())
                );
                let secs = |t: &str| {
                    let n = |i: usize| t[i..i + 2].parse::<u32>().unwrap();
                    n(12) * 3600 + n(15) * 60 + n(18)
                };
                prop_assert!(secs(&r) <= secs(&v));
                prop_assert_eq!(u64::from(secs(&r)) % res.seconds().min(86_400), 0);
                prop_assert!(secs(&v) - secs(&r) < res.seconds() as u32 + 1);
            }
        }
    }
}
