//! Key-rotation periods: the period label a line's date falls in. The date
//! a log line was written is read from its own time field by
//! [`crate::format::time`].
//!
//! The period comes from each line's timestamp, never from the wall clock,
//! so re-processing an archive gives the same pseudonyms as the live run
//! did. The date is the **local date as written in the line**: the zone
//! offset is checked for shape but not applied, so a server logging in
//! `+0100` rotates at its own local midnight, as its log files do.
//!
//! Labels are part of key derivation ([`crate::anonymize::pseudonym::MasterKey::derive`]):
//! `""` (no rotation), `2026-11-22` (daily), `2026-W47` (weekly, ISO 8601
//! week and week-year), `2026-11` (monthly). They never change.

use std::fmt;

use crate::format::time::Date;

/// How often the pseudonym keys change (`--key-rotation`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rotation {
    /// One key for all time.
    None,
    /// A key per calendar day.
    Daily,
    /// A key per ISO 8601 week (Monday to Sunday).
    Weekly,
    /// A key per calendar month.
    Monthly,
}

impl Rotation {
    /// The name on the command line.
    pub fn label(self) -> &'static str {
        match self {
            Rotation::None => "none",
            Rotation::Daily => "daily",
            Rotation::Weekly => "weekly",
            Rotation::Monthly => "monthly",
        }
    }

    /// The period `date` belongs to. With [`Rotation::None`], always
    /// [`Period::NONE`].
    pub fn period(self, date: Date) -> Period {
        let mut p = Period::NONE;
        match self {
            Rotation::None => {}
            Rotation::Daily => {
                p.push_num(u32::from(date.year), 4);
                p.push(b'-');
                p.push_num(u32::from(date.month), 2);
                p.push(b'-');
                p.push_num(u32::from(date.day), 2);
            }
            Rotation::Weekly => {
                let (year, week) = date.iso_week();
                // The ISO year of 9999-12-31 is 9999; of 0001-01-01, 1.
                p.push_num(year as u32, 4);
                p.push(b'-');
                p.push(b'W');
                p.push_num(u32::from(week), 2);
            }
            Rotation::Monthly => {
                p.push_num(u32::from(date.year), 4);
                p.push(b'-');
                p.push_num(u32::from(date.month), 2);
            }
        }
        p
    }
}

impl fmt::Display for Rotation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A rotation period's label, held inline (at most 10 ASCII bytes).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    buf: [u8; 10],
    len: u8,
}

impl Period {
    /// The single period of [`Rotation::None`]: the empty label.
    pub const NONE: Period = Period {
        buf: [0; 10],
        len: 0,
    };

    /// The label, as passed to key derivation.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..usize::from(self.len)]).expect("labels are ASCII")
    }

    fn push(&mut self, b: u8) {
        self.buf[usize::from(self.len)] = b;
        self.len += 1;
    }

    fn push_num(&mut self, mut n: u32, width: usize) {
        let start = usize::from(self.len);
        for i in (0..width).rev() {
            self.buf[start + i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
        self.len += width as u8;
    }
}

impl fmt::Debug for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Period({:?})", self.as_str())
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: u16, m: u8, day: u8) -> Date {
        Date::new(y, m, day).unwrap()
    }

    #[test]
    fn labels() {
        let day = d(2026, 11, 22);
        assert_eq!(Rotation::None.period(day).as_str(), "");
        assert_eq!(Rotation::Daily.period(day).as_str(), "2026-11-22");
        assert_eq!(Rotation::Weekly.period(day).as_str(), "2026-W47");
        assert_eq!(Rotation::Monthly.period(day).as_str(), "2026-11");
        assert_eq!(Rotation::Daily.period(d(7, 1, 2)).as_str(), "0007-01-02");
        assert_eq!(Period::NONE, Rotation::None.period(d(1999, 1, 1)));
        assert_eq!(format!("{:?}", Period::NONE), "Period(\"\")");
    }

    /// Computed with Python's `date.isocalendar()`.
    #[test]
    fn iso_week_vectors() {
        let cases = [
            ((2026, 11, 22), "2026-W47"),
            ((2026, 11, 23), "2026-W48"),
            ((2026, 12, 31), "2026-W53"),
            ((2027, 1, 1), "2026-W53"),
            ((2027, 1, 3), "2026-W53"),
            ((2027, 1, 4), "2027-W01"),
            ((2020, 12, 31), "2020-W53"),
            ((2021, 1, 3), "2020-W53"),
            ((2024, 12, 30), "2025-W01"),
            ((2008, 12, 29), "2009-W01"),
            ((2010, 1, 3), "2009-W53"),
            ((2000, 2, 29), "2000-W09"),
        ];
        for ((y, m, day), want) in cases {
            assert_eq!(Rotation::Weekly.period(d(y, m, day)).as_str(), want);
        }
    }

    #[test]
    fn monthly_and_daily_change_at_boundaries() {
        let a = d(2026, 11, 30);
        let b = d(2026, 12, 1);
        assert_ne!(Rotation::Monthly.period(a), Rotation::Monthly.period(b));
        assert_eq!(
            Rotation::Monthly.period(a),
            Rotation::Monthly.period(d(2026, 11, 1))
        );
        assert_ne!(Rotation::Daily.period(a), Rotation::Daily.period(b));
    }
}
