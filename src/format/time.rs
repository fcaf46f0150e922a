//! Line dates: the date a log line was written, read from its own time
//! field (CLF, ISO 8601, nginx and Apache error logs), and dates given on
//! the command line. Key rotation (`anonymize::pseudonym`) turns them into
//! period labels.
//!
//! The date is the **local date as written in the line**: the zone
//! offset is checked for shape but not applied, so a server logging in
//! `+0100` rotates at its own local midnight, as its log files do.

use nom::branch::alt;
use nom::bytes::complete::{tag, take, take_while, take_while_m_n};
use nom::combinator::{all_consuming, map_opt, opt, verify};
use nom::{IResult, Parser};

/// A calendar date (proleptic Gregorian, years 1..=9999).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// 1..=9999.
    pub year: u16,
    /// 1..=12.
    pub month: u8,
    /// 1..=31, valid for the month.
    pub day: u8,
}

impl Date {
    /// A valid date, or `None` (month out of range, day past the month's
    /// end, February 29 of a common year, year 0).
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        let ok = (1..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month);
        ok.then_some(Date { year, month, day })
    }

    /// Days since 1970-01-01 (negative before), after H. Hinnant's
    /// `days_from_civil`.
    fn days(self) -> i64 {
        let m = i64::from(self.month);
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The year a day number (see [`Date::days`]) falls in.
    fn year_of(days: i64) -> i64 {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        yoe + era * 400 + i64::from(month <= 2)
    }

    /// The ISO 8601 week-year and week (1..=53): weeks start on Monday, and
    /// week 1 is the one holding the year's first Thursday.
    pub fn iso_week(self) -> (i64, u8) {
        let days = self.days();
        // 1970-01-01 was a Thursday; Monday is 0.
        let weekday = (days + 3).rem_euclid(7);
        let thursday = days - weekday + 3;
        let year = Date::year_of(thursday);
        let jan1 = Date {
            year: year as u16,
            month: 1,
            day: 1,
        }
        .days();
        (year, ((thursday - jan1) / 7 + 1) as u8)
    }
}

fn is_leap(year: u16) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// ---------------------------------------------------------------------------
// Parsing (nom)
// ---------------------------------------------------------------------------

type In<'a> = &'a [u8];

/// Exactly `N` ASCII digits as a number.
fn num<const N: usize>(i: In<'_>) -> IResult<In<'_>, u32> {
    let (i, d) = take_while_m_n(N, N, |c: u8| c.is_ascii_digit()).parse(i)?;
    Ok((
        i,
        d.iter().fold(0, |acc, &c| acc * 10 + u32::from(c - b'0')),
    ))
}

/// A number of `N` digits no larger than `max`.
fn upto<const N: usize>(max: u32) -> impl FnMut(In<'_>) -> IResult<In<'_>, u32> {
    move |i| verify(num::<N>, |&v| v <= max).parse(i)
}

/// `Jan` .. `Dec` (as CLF and ctime write them) as 1..=12.
fn month_name(i: In<'_>) -> IResult<In<'_>, u8> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    map_opt(take(3usize), |m: In<'_>| {
        MONTHS.iter().position(|n| &n[..] == m).map(|p| p as u8 + 1)
    })
    .parse(i)
}

/// `HH:MM:SS` (second 60 allowed: leap seconds).
fn clock(i: In<'_>) -> IResult<In<'_>, ()> {
    let (i, _) = (
        upto::<2>(23),
        tag(":"),
        upto::<2>(59),
        tag(":"),
        upto::<2>(60),
    )
        .parse(i)?;
    Ok((i, ()))
}

fn date(year: u32, month: u32, day: u32) -> Option<Date> {
    Date::new(
        u16::try_from(year).ok()?,
        u8::try_from(month).ok()?,
        u8::try_from(day).ok()?,
    )
}

/// The date part of a CLF timestamp: `22/Nov/2026` (11 bytes).
fn clf_date(i: In<'_>) -> IResult<In<'_>, Date> {
    map_opt(
        (num::<2>, tag("/"), month_name, tag("/"), num::<4>),
        |(d, _, m, _, y)| date(y, u32::from(m), d),
    )
    .parse(i)
}

/// The rest of a CLF timestamp: `:08:38:17 +0000`.
fn clf_rest(i: In<'_>) -> IResult<In<'_>, ()> {
    let (i, _) = (
        tag(":"),
        clock,
        tag(" "),
        alt((tag("+"), tag("-"))),
        upto::<2>(23),
        upto::<2>(59),
    )
        .parse(i)?;
    Ok((i, ()))
}

/// CLF (`$time_local`, `%t`): `22/Nov/2026:08:38:17 +0000`.
fn clf(i: In<'_>) -> IResult<In<'_>, Date> {
    let (i, (d, ())) = (clf_date, clf_rest).parse(i)?;
    Ok((i, d))
}

/// ISO 8601 (`$time_iso8601`, JSON logs): `2026-11-22T08:38:17`, then an
/// optional fraction and an optional zone (`Z`, `+01:00`, `+0100`).
fn iso8601(i: In<'_>) -> IResult<In<'_>, Date> {
    let zone = alt((
        tag("Z"),
        tag("z"),
        (
            alt((tag("+"), tag("-"))),
            upto::<2>(23),
            opt(tag(":")),
            upto::<2>(59),
        )
            .map(|_| &b""[..]),
    ));
    let fraction = (tag("."), take_while(|c: u8| c.is_ascii_digit()));
    map_opt(
        (
            num::<4>,
            tag("-"),
            num::<2>,
            tag("-"),
            num::<2>,
            alt((tag("T"), tag("t"), tag(" "))),
            clock,
            opt(fraction),
            opt(zone),
        ),
        |(y, _, m, _, d, ..)| date(y, m, d),
    )
    .parse(i)
}

/// nginx error log: `2026/11/22 08:38:17`.
fn nginx_error(i: In<'_>) -> IResult<In<'_>, Date> {
    map_opt(
        (
            num::<4>,
            tag("/"),
            num::<2>,
            tag("/"),
            num::<2>,
            tag(" "),
            clock,
        ),
        |(y, _, m, _, d, ..)| date(y, m, d),
    )
    .parse(i)
}

/// Apache error log (ctime with optional microseconds):
/// `Sun Nov 22 08:38:17.123456 2026`.
fn apache_error(i: In<'_>) -> IResult<In<'_>, Date> {
    let weekday = take_while_m_n(3, 3, |c: u8| c.is_ascii_alphabetic());
    let day = alt((num::<2>, (tag(" "), num::<1>).map(|(_, d)| d)));
    let fraction = (tag("."), take_while(|c: u8| c.is_ascii_digit()));
    map_opt(
        (
            weekday,
            tag(" "),
            month_name,
            tag(" "),
            day,
            tag(" "),
            clock,
            opt(fraction),
            tag(" "),
            num::<4>,
        ),
        |(_, _, m, _, d, _, _, _, _, y)| date(y, u32::from(m), d),
    )
    .parse(i)
}

/// The date of a line's time field: the whole field must be one of the
/// timestamp forms below, with a valid date and time of day; anything
/// else is `None` (the line is then treated as undated).
///
/// * CLF (`$time_local`, `%t`, without brackets): `22/Nov/2026:08:38:17 +0000`
/// * ISO 8601: `2026-11-22T08:38:17+00:00`, with optional fraction and zone
/// * nginx error log: `2026/11/22 08:38:17`
/// * Apache error log: `Sun Nov 22 08:38:17.123456 2026`
///
/// The zone offset is not applied: the date is the one written.
pub fn line_date(time: &[u8]) -> Option<Date> {
    all_consuming(alt((clf, iso8601, nginx_error, apache_error)))
        .parse(time)
        .ok()
        .map(|(_, d)| d)
}

/// [`line_date`] with a memo of the last CLF timestamp: a line of the same
/// second costs a comparison, a line of the same day a check of its time
/// of day and zone. The result is always exactly [`line_date`]'s (a
/// property test checks it).
#[derive(Clone, Debug, Default)]
pub struct DateReader {
    /// The last valid CLF timestamp read, and its date.
    last: Option<([u8; CLF_LEN], Date)>,
    /// Date parts (`22/Nov/2026`) of valid CLF timestamps read before, and
    /// their dates, direct-mapped ([`DAY_SLOTS`]; empty until a second
    /// day is seen): lines whose days come in no order (merged logs) then
    /// cost a slot check and [`clf_rest_ok`] instead of a full parse.
    days: Vec<Option<([u8; CLF_DATE_LEN], Date)>>,
}

/// How many days a [`DateReader`] remembers at most: more than a year's.
const DAY_SLOTS: usize = 512;

fn day_slot(day: &[u8; CLF_DATE_LEN]) -> usize {
    let mut w = [0u8; 8];
    w.copy_from_slice(&day[..8]);
    let tail = u64::from(day[8]) | u64::from(day[9]) << 8 | u64::from(day[10]) << 16;
    let h = (u64::from_le_bytes(w) ^ tail.rotate_left(40)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (h >> (64 - DAY_SLOTS.trailing_zeros())) as usize
}

const CLF_DATE_LEN: usize = 11;
const CLF_LEN: usize = 26;

impl DateReader {
    /// The date of a line's time field, as [`line_date`].
    #[inline]
    pub fn date(&mut self, time: &[u8]) -> Option<Date> {
        if let (Ok(time), Some((last, d))) = (<&[u8; CLF_LEN]>::try_from(time), &mut self.last) {
            if time == last {
                // The same second as the line before: already validated.
                return Some(*d);
            }
            if time[..CLF_DATE_LEN] == last[..CLF_DATE_LEN] {
                // The same day: only the rest needs checking.
                if !clf_rest_ok(&time[CLF_DATE_LEN..]) {
                    return None;
                }
                *last = *time;
                return Some(*d);
            }
        }
        let day = time
            .first_chunk::<CLF_DATE_LEN>()
            .filter(|_| time.len() == CLF_LEN);
        if let Some(day) = day {
            let slot = day_slot(day);
            if let Some(&Some((_, d))) = self
                .days
                .get(slot)
                .filter(|e| e.is_some_and(|(k, _)| k == *day))
            {
                // A day read before: its date part was validated then.
                if !clf_rest_ok(&time[CLF_DATE_LEN..]) {
                    return None;
                }
                self.last = time.try_into().ok().map(|t| (t, d));
                return Some(d);
            }
        }
        let d = line_date(time)?;
        if let Ok(time) = <[u8; CLF_LEN]>::try_from(time) {
            if clf(&time).is_ok() {
                let day: [u8; CLF_DATE_LEN] = time[..CLF_DATE_LEN].try_into().expect("11 bytes");
                let new_day = self.last.is_some_and(|(l, _)| l[..CLF_DATE_LEN] != day);
                if new_day && self.days.is_empty() {
                    // A second day: from now on every day is remembered.
                    self.days = vec![None; DAY_SLOTS];
                }
                if let Some(slot) = self.days.get_mut(day_slot(&day)) {
                    *slot = Some((day, d));
                }
                self.last = Some((time, d));
            }
        }
        Some(d)
    }
}

/// `all_consuming(clf_rest)` without the parser machinery, for the hot
/// path of [`DateReader`] (a property test checks they agree).
#[inline]
fn clf_rest_ok(t: &[u8]) -> bool {
    let two = |i: usize, max: u8| {
        let (a, b) = (t[i].wrapping_sub(b'0'), t[i + 1].wrapping_sub(b'0'));
        a < 10 && b < 10 && a * 10 + b <= max
    };
    t.len() == 15
        && t[0] == b':'
        && two(1, 23)
        && t[3] == b':'
        && two(4, 59)
        && t[6] == b':'
        && two(7, 60)
        && t[9] == b' '
        && (t[10] == b'+' || t[10] == b'-')
        && two(11, 23)
        && two(13, 59)
}

/// A date given on the command line (`reveal --date`): exactly `YYYY-MM-DD`.
pub fn arg_date(s: &str) -> Option<Date> {
    all_consuming(map_opt(
        (num::<4>, tag("-"), num::<2>, tag("-"), num::<2>),
        |(y, _, m, _, d)| date(y, m, d),
    ))
    .parse(s.as_bytes())
    .ok()
    .map(|(_, d)| d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: u16, m: u8, day: u8) -> Date {
        Date::new(y, m, day).unwrap()
    }

    #[test]
    fn timestamp_forms() {
        let cases: &[(&str, Option<Date>)] = &[
            ("22/Nov/2026:08:38:17 +0000", Some(d(2026, 11, 22))),
            ("01/Jan/2027:00:00:00 -0800", Some(d(2027, 1, 1))),
            ("29/Feb/2024:23:59:60 +1400", Some(d(2024, 2, 29))),
            ("2026-11-22T08:38:17+00:00", Some(d(2026, 11, 22))),
            ("2026-11-22T23:59:59.999Z", Some(d(2026, 11, 22))),
            ("2026-11-22T23:59:59+0530", Some(d(2026, 11, 22))),
            ("2026-11-22 23:59:59", Some(d(2026, 11, 22))),
            ("2026/11/22 08:38:17", Some(d(2026, 11, 22))),
            ("Sun Nov 22 08:38:17.123456 2026", Some(d(2026, 11, 22))),
            ("Mon Nov  2 08:38:17 2026", Some(d(2026, 11, 2))),
            // Not dates.
            ("", None),
            ("-", None),
            ("29/Feb/2026:08:38:17 +0000", None),
            ("31/Apr/2026:08:38:17 +0000", None),
            ("00/Nov/2026:08:38:17 +0000", None),
            ("22/Nov/0000:08:38:17 +0000", None),
            ("22/nov/2026:08:38:17 +0000", None),
            ("22/Nov/2026:24:00:00 +0000", None),
            ("22/Nov/2026:08:61:17 +0000", None),
            ("22/Nov/2026:08:38:17", None),
            ("22/Nov/2026:08:38:17 +0000x", None),
            ("22/Nov/2026:08:38:17 0000", None),
            (" 22/Nov/2026:08:38:17 +0000", None),
            ("2/Nov/2026:08:38:17 +0000", None),
            ("2026-13-01T00:00:00Z", None),
            ("2026-11-22T08:38", None),
            ("2026-11-22", None),
            ("1732264697.123", None),
        ];
        for &(text, want) in cases {
            assert_eq!(line_date(text.as_bytes()), want, "{text:?}");
        }
    }

    proptest::proptest! {
        /// The memo never changes a result: random edits of CLF timestamps,
        /// read in sequence, give what a fresh parse gives.
        #[test]
        fn date_reader_matches_line_date(
            edits in proptest::collection::vec((0usize..26, proptest::sample::select(b"0123456789:+- /JanNovx".to_vec()), 0u8..30, 0u8..24), 1..200),
        ) {
            let mut reader = DateReader::default();
            for (pos, byte, day, hour) in edits {
                let mut t = format!("{:02}/Nov/2026:{hour:02}:38:17 +0000", 1 + day % 3).into_bytes();
                if day % 2 == 0 {
                    t[pos] = byte;
                }
                proptest::prop_assert_eq!(reader.date(&t), line_date(&t), "{}", String::from_utf8_lossy(&t));
            }
        }
    }

    #[test]
    fn zone_is_not_applied() {
        // 23:30 at -0800 is already the next day in UTC; the line says the 22nd.
        assert_eq!(
            line_date(b"22/Nov/2026:23:30:00 -0800"),
            Some(d(2026, 11, 22))
        );
    }

    /// Walks every day from 1600 to 2400: the weekly label changes exactly
    /// on Mondays, week numbers count up by one within a week-year and
    /// restart at 1, and week 1 holds January 4.
    #[test]
    fn iso_weeks_change_on_mondays_only() {
        let mut prev: Option<(Date, (i64, u8))> = None;
        for year in 1600..=2400u16 {
            for month in 1..=12u8 {
                for day in 1..=days_in_month(year, month) {
                    let date = d(year, month, day);
                    let week = date.iso_week();
                    let monday = (date.days() + 3).rem_euclid(7) == 0;
                    if let Some((p, pw)) = prev {
                        assert_eq!(date.days(), p.days() + 1);
                        if monday {
                            let next = (pw.0, pw.1 + 1);
                            assert!(week == next || week == (pw.0 + 1, 1), "{date:?}");
                            assert!(pw.1 >= 52 || week == next, "{date:?}");
                        } else {
                            assert_eq!(week, pw, "{date:?}");
                        }
                    }
                    if month == 1 && day == 4 {
                        assert_eq!(week, (i64::from(year), 1), "{date:?}");
                    }
                    prev = Some((date, week));
                }
            }
        }
    }

    #[test]
    fn arg_dates() {
        assert_eq!(arg_date("2026-11-22"), Some(d(2026, 11, 22)));
        for bad in ["2026-11-31", "2026-1-22", "22/Nov/2026", "2026-11-22 ", ""] {
            assert_eq!(arg_date(bad), None, "{bad:?}");
        }
    }
}
