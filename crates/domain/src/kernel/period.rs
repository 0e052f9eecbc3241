//! Periods as the rule book states them: a number of days, weeks, months or years, and the
//! calendar day a period from a given date ends on.
//!
//! A deferral of N months or years ends on the same calendar day N months or years later
//! (FDA's wording, rule book 1.2 and 1.3), not after N x 30 or N x 365 days: 3 months from
//! 15 March end on 15 June. Days and weeks are exact numbers of days.
//!
//! In JSON a period is an object with one key, its unit, and the count: `{"days": 1}`,
//! `{"weeks": 6}`, `{"months": 3}`, `{"years": 2}`. A deferral reason carries that key among
//! its own fields (`{"description": …, "kind": "temporary", "months": 3}`), so a reason
//! recorded before periods, with its `"days": 90`, still reads as 90 days and writes back to
//! the same bytes.

use std::fmt;

use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{Date, Duration, Month};

/// The unit a period is stated in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    Days,
    Weeks,
    Months,
    Years,
}

impl Unit {
    /// The unit's JSON key and its word in the plural.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Days => "days",
            Unit::Weeks => "weeks",
            Unit::Months => "months",
            Unit::Years => "years",
        }
    }

    /// The largest count of the unit a site may configure: about 100 years (36 525 days, 5 217
    /// weeks, 1 200 months). A longer "temporary" deferral is an indefinite or permanent one
    /// mistyped.
    pub fn max_count(self) -> u32 {
        match self {
            Unit::Days => 36_525,
            Unit::Weeks => 5_217,
            Unit::Months => 1_200,
            Unit::Years => 100,
        }
    }
}

/// A length of time in the unit the rule book states it in (`3 months`, `6 weeks`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Period {
    pub count: u32,
    pub unit: Unit,
}

impl Period {
    pub const fn days(count: u32) -> Period {
        Period {
            count,
            unit: Unit::Days,
        }
    }

    pub const fn weeks(count: u32) -> Period {
        Period {
            count,
            unit: Unit::Weeks,
        }
    }

    pub const fn months(count: u32) -> Period {
        Period {
            count,
            unit: Unit::Months,
        }
    }

    pub const fn years(count: u32) -> Period {
        Period {
            count,
            unit: Unit::Years,
        }
    }

    /// The day the period from `from` ends: `from` plus the days or weeks, or the same
    /// calendar day the months or years later. `None` past the calendar `time` can represent.
    ///
    /// Month end: where that day does not exist in the month the period ends in, the period
    /// ends on that month's last day: 31 January + 1 month is 28 February (29 in a leap year),
    /// 29 February + 1 year is 28 February. This is the common legal reading of a period in
    /// months (the corresponding day, else the last day of the month; e.g. Regulation (EEC,
    /// Euratom) No 1182/71, art. 3(2)(c)). It keeps a period of N months within the N-th month
    /// after the start rather than spilling into the next one, and it makes the end a real
    /// date every time.
    pub fn end(self, from: Date) -> Option<Date> {
        let count = i64::from(self.count);
        match self.unit {
            Unit::Days => from.checked_add(Duration::days(count)),
            Unit::Weeks => from.checked_add(Duration::weeks(count)),
            Unit::Months => add_months(from, count),
            Unit::Years => add_months(from, count * 12),
        }
    }

    /// Why a site may not configure the period, if it may not: nothing (0) or more than about
    /// 100 years ([`Unit::max_count`]).
    pub fn problem(self) -> Option<String> {
        if self.count == 0 {
            return Some(format!(
                "a period of 0 {} ends the day it starts",
                self.unit.as_str()
            ));
        }
        let max = self.unit.max_count();
        (self.count > max).then(|| {
            format!(
                "{self} is longer than 100 years (at most {max} {})",
                self.unit.as_str()
            )
        })
    }

    /// The period from the one key of a recorded object among `days`, `weeks`, `months`,
    /// `years` (absent or null: none). More than one key is an error: which would it be?
    pub fn from_keys(
        days: Option<u32>,
        weeks: Option<u32>,
        months: Option<u32>,
        years: Option<u32>,
    ) -> Result<Option<Period>, String> {
        let given: Vec<Period> = [
            days.map(Period::days),
            weeks.map(Period::weeks),
            months.map(Period::months),
            years.map(Period::years),
        ]
        .into_iter()
        .flatten()
        .collect();
        match given.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            _ => Err(format!(
                "a period has one unit, not {}",
                given
                    .iter()
                    .map(|p| p.unit.as_str())
                    .collect::<Vec<_>>()
                    .join(" and ")
            )),
        }
    }
}

/// "1 day", "3 months", "2 years".
impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = self.unit.as_str();
        match unit.strip_suffix('s') {
            Some(one) if self.count == 1 => write!(f, "1 {one}"),
            _ => write!(f, "{} {unit}", self.count),
        }
    }
}

/// `{"months": 3}`.
impl Serialize for Period {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(self.unit.as_str(), &self.count)?;
        map.end()
    }
}

/// The recorded keys of a period.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
struct Keys {
    days: Option<u32>,
    weeks: Option<u32>,
    months: Option<u32>,
    years: Option<u32>,
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Period, D::Error> {
        let k = Keys::deserialize(deserializer)?;
        Period::from_keys(k.days, k.weeks, k.months, k.years)
            .map_err(D::Error::custom)?
            .ok_or_else(|| D::Error::custom("a period needs one of days, weeks, months or years"))
    }
}

/// `date` moved by `months` calendar months, on the same day or the month's last day (see
/// [`Period::end`]); `None` off the calendar. Written here because `time` has no month
/// arithmetic, and the domain takes no dependency for a dozen lines (jiff, which has it, is the
/// ledger's clock, not the domain's).
pub fn add_months(date: Date, months: i64) -> Option<Date> {
    let index = i64::from(date.year()) * 12 + i64::from(u8::from(date.month())) - 1;
    let index = index.checked_add(months)?;
    let year = i32::try_from(index.div_euclid(12)).ok()?;
    let month = Month::try_from(u8::try_from(index.rem_euclid(12) + 1).ok()?).ok()?;
    let day = date.day().min(time::util::days_in_month(month, year));
    Date::from_calendar_date(year, month, day).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use time::macros::date;

    #[test]
    fn months_keep_the_calendar_day_or_take_the_last_of_a_shorter_month() {
        let three = Period::months(3);
        assert_eq!(
            three.end(date!(2026 - 03 - 15)),
            Some(date!(2026 - 06 - 15))
        );
        assert_eq!(
            Period::months(1).end(date!(2026 - 01 - 31)),
            Some(date!(2026 - 02 - 28))
        );
        assert_eq!(
            Period::months(1).end(date!(2028 - 01 - 31)),
            Some(date!(2028 - 02 - 29))
        );
        assert_eq!(
            Period::years(1).end(date!(2028 - 02 - 29)),
            Some(date!(2029 - 02 - 28))
        );
        assert_eq!(Period::days(1).end(Date::MAX), None);
        assert_eq!(Period::years(100).end(Date::MAX), None);
    }

    #[test]
    fn a_period_reads_and_writes_one_unit_key() {
        let p: Period = serde_json::from_str(r#"{"months":3}"#).unwrap();
        assert_eq!(p, Period::months(3));
        assert_eq!(serde_json::to_string(&p).unwrap(), r#"{"months":3}"#);
        assert_eq!(p.to_string(), "3 months");
        assert_eq!(Period::days(1).to_string(), "1 day");
        assert!(serde_json::from_str::<Period>(r#"{"months":3,"days":90}"#).is_err());
        assert!(serde_json::from_str::<Period>(r#"{"fortnights":3}"#).is_err());
        assert!(serde_json::from_str::<Period>("{}").is_err());
    }
}
