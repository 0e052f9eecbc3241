//! Record-keeping deadlines and classes as pure calculations: retention (REC-RETAIN),
//! deviation reports (BPD-45), fatality reports (FATAL-7), recall classes (RECALL-CLASS) and
//! the lookback deadlines (LB-DEADLINES). The records that run on them (lookbacks, recalls,
//! deviations, fatalities) use the arithmetic here, once.

use serde::{Deserialize, Serialize};
use time::{Date, Duration};

use crate::kernel::period;

/// `date` plus `days`, or the last representable date.
fn plus_days(date: Date, days: i64) -> Date {
    date.checked_add(Duration::days(days)).unwrap_or(Date::MAX)
}

/// `date` moved by `months` calendar months, on the same day or the month's last day
/// ([`Period::end`](crate::kernel::Period::end)); off the calendar, its first or last day.
pub fn add_months(date: Date, months: i32) -> Date {
    period::add_months(date, i64::from(months)).unwrap_or(if months < 0 {
        Date::MIN
    } else {
        Date::MAX
    })
}

/// REC-RETAIN (606.160(d)): keep records 10 years after processing is completed or 6 months
/// after the latest expiry of the products, whichever is later; with no expiry, keep them
/// indefinitely (`None`).
pub fn retain_until(processing_completed: Date, latest_expiry: Option<Date>) -> Option<Date> {
    let expiry = latest_expiry?;
    Some(add_months(processing_completed, 120).max(add_months(expiry, 6)))
}

/// BPD-45 (606.171): a deviation on a distributed product is reported within 45 calendar days
/// of its discovery.
pub fn deviation_report_due(discovered: Date) -> Date {
    plus_days(discovered, 45)
}

/// FATAL-7 (606.170(b)): notify at once; the written report is due within 7 days.
pub fn fatality_written_report_due(fatality_reported: Date) -> Date {
    plus_days(fatality_reported, 7)
}

/// RECALL-CLASS (21 CFR 7.3(m)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RecallClass {
    I,
    II,
    III,
}

impl RecallClass {
    pub fn meaning(self) -> &'static str {
        match self {
            RecallClass::I => {
                "reasonable probability that use will cause serious adverse health consequences or death"
            }
            RecallClass::II => {
                "use may cause temporary or medically reversible adverse health consequences, or serious consequences are remote"
            }
            RecallClass::III => "use is not likely to cause adverse health consequences",
        }
    }

    /// Parse "I", "II" or "III" (with or without "Class "); anything else is not a class.
    pub fn parse(text: &str) -> Option<RecallClass> {
        match text.trim().trim_start_matches("Class ").trim() {
            "I" | "1" => Some(RecallClass::I),
            "II" | "2" => Some(RecallClass::II),
            "III" | "3" => Some(RecallClass::III),
            _ => None,
        }
    }
}

/// LB-DEADLINES (610.46/610.47): what is due after a donor's reactive screening test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LookbackDeadlines {
    /// Quarantine in-date products and notify consignees: 3 calendar days.
    pub quarantine_and_notify_consignees: Date,
    /// Supplemental results to consignees: 45 calendar days.
    pub supplemental_results_to_consignees: Date,
}

pub fn lookback_deadlines(reactive_test: Date) -> LookbackDeadlines {
    LookbackDeadlines {
        quarantine_and_notify_consignees: plus_days(reactive_test, 3),
        supplemental_results_to_consignees: plus_days(reactive_test, 45),
    }
}

/// LB-DEADLINES: recipients' physicians are notified within 12 weeks of the supplemental
/// result.
pub fn recipient_notification_due(supplemental_result: Date) -> Date {
    plus_days(supplemental_result, 84)
}
