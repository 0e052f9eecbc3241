//! Calendar dates and times of ISBT 128 (ST-001 §2.4.4-2.4.9, 2.4.24, 2.4.26, 2.4.31).
//!
//! Expiration, collection and production dates are written `cyyjjj`: century, year within the
//! century and day of the year (001-366). ST-001 does not give the arithmetic of the century
//! digit. Hemaflow reads it as `year = 2000 + 100 * c + yy`, so `0` is the 2000s; this matches
//! the worked example of ST-012 §6.2, where `&>0183652359` is the expiry 2018-12-31. Years before
//! 2000 and after 2999 cannot be written in this form and are refused when encoding.

use std::fmt;

/// A valid Gregorian calendar date.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

/// Why a date or time is not valid, in words for an error message.
pub(crate) type Reason = String;

pub(crate) fn is_leap_year(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

pub(crate) fn days_in_year(year: u16) -> u16 {
    if is_leap_year(year) { 366 } else { 365 }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        _ => 28,
    }
}

impl Date {
    /// A date from year, month (1-12) and day of month.
    pub fn from_ymd(year: u16, month: u8, day: u8) -> Result<Date, Reason> {
        if !(1..=12).contains(&month) {
            return Err(format!("month {month:02} outside 01-12"));
        }
        let last = days_in_month(year, month);
        if day == 0 || day > last {
            return Err(format!(
                "day {day:02} outside 01-{last} for {year:04}-{month:02}"
            ));
        }
        Ok(Date { year, month, day })
    }

    /// A date from year and day of the year (1-365, or 366 in a leap year).
    pub fn from_ordinal(year: u16, day_of_year: u16) -> Result<Date, Reason> {
        let last = days_in_year(year);
        if day_of_year == 0 {
            return Err("julian day 000: days of the year run from 001".to_owned());
        }
        if day_of_year > last {
            return Err(format!(
                "julian day {day_of_year:03} beyond the last day of {year} ({last})"
            ));
        }
        let mut remaining = day_of_year;
        let mut month = 1u8;
        loop {
            let length = u16::from(days_in_month(year, month));
            if remaining <= length {
                break;
            }
            remaining -= length;
            month += 1;
            assert!(month <= 12, "a day within the year always falls in a month");
        }
        Ok(Date {
            year,
            month,
            day: remaining as u8,
        })
    }

    pub fn year(&self) -> u16 {
        self.year
    }

    pub fn month(&self) -> u8 {
        self.month
    }

    pub fn day(&self) -> u8 {
        self.day
    }

    /// The day of the year, 1-366.
    pub fn ordinal(&self) -> u16 {
        let before: u16 = (1..self.month)
            .map(|m| u16::from(days_in_month(self.year, m)))
            .sum();
        before + u16::from(self.day)
    }

    /// The `cyyjjj` form, or `None` for a year outside 2000-2999.
    pub fn to_julian(&self) -> Option<String> {
        if !(2000..=2999).contains(&self.year) {
            return None;
        }
        let offset = self.year - 2000;
        Some(format!(
            "{}{:02}{:03}",
            offset / 100,
            offset % 100,
            self.ordinal()
        ))
    }
}

impl fmt::Display for Date {
    /// ISO 8601: `2019-02-01`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A time of day, 00:00 to 23:59 (ISBT 128 has no seconds and no 24:00).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Time {
    hour: u8,
    minute: u8,
}

impl Time {
    /// The time ST-001 §2.4.5 requires when none is specified: 23:59.
    pub const END_OF_DAY: Time = Time {
        hour: 23,
        minute: 59,
    };

    pub fn from_hm(hour: u8, minute: u8) -> Result<Time, Reason> {
        if hour > 23 {
            return Err(format!("hour {hour:02} outside 00-23"));
        }
        if minute > 59 {
            return Err(format!("minute {minute:02} outside 00-59"));
        }
        Ok(Time { hour, minute })
    }

    pub fn hour(&self) -> u8 {
        self.hour
    }

    pub fn minute(&self) -> u8 {
        self.minute
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

/// A date and a time of day, without a time zone: ISBT 128 dates are in the local time of the
/// facility that wrote them (DS031 says so explicitly; the others by convention).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct DateTime {
    pub date: Date,
    pub time: Time,
}

impl fmt::Display for DateTime {
    /// ISO 8601 without seconds: `2025-05-03T23:59`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}T{}", self.date, self.time)
    }
}

/// Read `n` ASCII digits that were already checked to be digits.
pub(crate) fn digits(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0u32, |value, byte| {
        debug_assert!(byte.is_ascii_digit());
        value * 10 + u32::from(byte - b'0')
    })
}

/// Decode `cyyjjj` (digits already checked).
pub(crate) fn julian_date(content: &[u8]) -> Result<Date, Reason> {
    let year = 2000 + digits(&content[..3]) as u16;
    let day_of_year = digits(&content[3..6]) as u16;
    Date::from_ordinal(year, day_of_year)
}

/// Decode `hhmm` (digits already checked).
pub(crate) fn time_of_day(content: &[u8]) -> Result<Time, Reason> {
    Time::from_hm(digits(&content[..2]) as u8, digits(&content[2..4]) as u8)
}

/// Decode `yyyymmdd` (digits already checked).
pub(crate) fn gregorian_date(content: &[u8]) -> Result<Date, Reason> {
    Date::from_ymd(
        digits(&content[..4]) as u16,
        digits(&content[4..6]) as u8,
        digits(&content[6..8]) as u8,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_366_exists_only_in_leap_years() {
        assert_eq!(
            Date::from_ordinal(2024, 366).map(|d| d.to_string()),
            Ok("2024-12-31".into())
        );
        assert!(Date::from_ordinal(2025, 366).is_err());
        assert!(
            Date::from_ordinal(2100, 366).is_err(),
            "2100 is not a leap year"
        );
        assert!(Date::from_ordinal(2000, 366).is_ok(), "2000 is a leap year");
    }

    #[test]
    fn day_zero_and_hour_24_are_refused() {
        assert!(Date::from_ordinal(2025, 0).is_err());
        assert!(Time::from_hm(24, 0).is_err());
        assert!(Time::from_hm(23, 60).is_err());
    }

    #[test]
    fn the_thirty_first_of_february_is_refused() {
        assert!(Date::from_ymd(2025, 2, 31).is_err());
        assert!(Date::from_ymd(2024, 2, 29).is_ok());
        assert!(Date::from_ymd(2025, 2, 29).is_err());
        assert!(Date::from_ymd(2025, 13, 1).is_err());
        assert!(Date::from_ymd(2025, 0, 1).is_err());
    }

    #[test]
    fn the_century_digit_zero_is_the_2000s() {
        assert_eq!(
            julian_date(b"018365").map(|d| d.to_string()),
            Ok("2018-12-31".into())
        );
        assert_eq!(
            julian_date(b"119032").map(|d| d.to_string()),
            Ok("2119-02-01".into())
        );
    }

    proptest::proptest! {
        #[test]
        fn ordinal_and_calendar_forms_agree(year in 2000u16..3000, day in 1u16..=366) {
            if let Ok(date) = Date::from_ordinal(year, day) {
                proptest::prop_assert_eq!(date.ordinal(), day);
                let again = Date::from_ymd(date.year(), date.month(), date.day());
                proptest::prop_assert_eq!(again, Ok(date));
                let julian = date.to_julian().expect("year in range");
                proptest::prop_assert_eq!(julian_date(julian.as_bytes()), Ok(date));
            } else {
                proptest::prop_assert!(day == 366 && !is_leap_year(year));
            }
        }
    }
}
