//! Pretransfusion samples: received with the tube's label scanned, valid for the days
//! XM-SAMPLE allows, typed against the patient's history (TX-TYPE) and screened for
//! antibodies.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime, Time, UtcOffset};

use crate::Context;
use crate::kernel::refusal::{Refusal, Rule, refuse};
use crate::kernel::{Abo, RhD};
use crate::state::State;
use crate::transfusion::patients::{Antigen, Patient, RecentHistory};
use crate::transfusion::settings::ServiceSettings;

/// The antibody screen of a sample.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Screen {
    pub positive: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
}

/// A pretransfusion sample.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sample {
    pub id: String,
    pub patient: String,
    pub hospital: String,
    #[serde(with = "time::serde::rfc3339")]
    pub drawn_at: OffsetDateTime,
    /// Who drew it at the bedside, as on the tube's label.
    pub drawn_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    pub received_by: String,
    /// XM-SAMPLE: the sample may be crossmatched and issued against until this instant
    /// (exclusive).
    #[serde(with = "time::serde::rfc3339")]
    pub valid_until: OffsetDateTime,
    #[serde(default)]
    pub typing: Option<(Abo, RhD)>,
    #[serde(default)]
    pub screen: Option<Screen>,
    #[serde(default)]
    pub identified: Vec<Antigen>,
    /// TX-TYPE: set aside when a discrepancy was resolved against it (wrong blood in tube).
    #[serde(default)]
    pub voided: Option<String>,
}

impl Sample {
    /// XM-SAMPLE: whether the sample may be used at `now`.
    pub fn is_valid(&self, now: OffsetDateTime) -> bool {
        now < self.valid_until && self.voided.is_none()
    }

    /// Typed, screened and in date: what every crossmatch and issue needs.
    pub fn ready(&self, now: OffsetDateTime) -> Result<(Abo, RhD), Refusal> {
        if let Some(why) = &self.voided {
            return refuse(
                Rule::TxType,
                format!("sample {} was set aside ({why}): draw a new one", self.id),
            );
        }
        if !self.is_valid(now) {
            return refuse(
                Rule::XmSample,
                format!(
                    "sample {} expired at {}: draw a new sample",
                    self.id, self.valid_until
                ),
            );
        }
        let Some(group) = self.typing else {
            return refuse(
                Rule::TxType,
                format!("sample {} is not typed yet: type it first", self.id),
            );
        };
        if self.screen.is_none() {
            return refuse(
                Rule::TxType,
                format!(
                    "sample {} has no antibody screen yet: screen it first",
                    self.id
                ),
            );
        }
        Ok(group)
    }
}

/// XM-SAMPLE: the end of a sample's validity: the draw day is day 0, and the sample is
/// valid through 23:59 local time of day 3 when the patient was transfused or pregnant in the
/// last 3 months or that is not known (606.151(b) "less than 3 days old", as AABB reads it),
/// otherwise through the last of the service's configured days.
pub fn valid_until(
    settings: &ServiceSettings,
    offset: UtcOffset,
    history: RecentHistory,
    drawn_at: OffsetDateTime,
) -> OffsetDateTime {
    let days = match history {
        RecentHistory::Neither => i64::from(settings.sample_days_otherwise),
        RecentHistory::TransfusedOrPregnant | RecentHistory::Unknown => 3,
    };
    let drawn_day = drawn_at.to_offset(offset).date();
    (drawn_day + Duration::days(days + 1))
        .with_time(Time::MIDNIGHT)
        .assume_offset(offset)
        .to_offset(time::UtcOffset::UTC)
}

/// The patient's newest sample that is in date, typed and screened: the one a unit is chosen,
/// issued and released on when no crossmatch names another.
pub fn current<'a>(state: &'a State, patient: &Patient, now: OffsetDateTime) -> Option<&'a Sample> {
    state
        .transfusion
        .samples
        .values()
        .filter(|s| s.patient == patient.id && s.ready(now).is_ok())
        .max_by_key(|s| s.drawn_at)
}

/// A sample of the actor's hospital by ID.
pub fn find<'a>(state: &'a State, id: &str) -> Result<&'a Sample, Refusal> {
    state
        .transfusion
        .samples
        .get(id.trim())
        .ok_or_else(|| Refusal {
            rule: Rule::TxType,
            message: format!("no sample {:?} is on record", id.trim()),
        })
}

/// TX-TYPE: a sample of this patient (a second patient's sample is refused by name).
pub fn of_patient<'a>(
    state: &'a State,
    id: &str,
    patient: &Patient,
) -> Result<&'a Sample, Refusal> {
    let sample = find(state, id)?;
    if sample.patient != patient.id {
        let owner = state
            .transfusion
            .patients
            .get(&sample.patient)
            .map_or_else(|| sample.patient.clone(), Patient::name);
        return refuse(
            Rule::TxType,
            format!(
                "sample {} is {owner}'s, not {}'s: use a sample of this patient",
                sample.id,
                patient.name()
            ),
        );
    }
    Ok(sample)
}

/// TX-INPUT: when the sample was drawn: not in the future, and not expired already.
pub fn check_drawn_at(
    drawn_at: OffsetDateTime,
    valid_until: OffsetDateTime,
    ctx: &Context,
) -> Result<(), Refusal> {
    if drawn_at > ctx.now + Duration::minutes(5) {
        return refuse(
            Rule::TxInput,
            format!(
                "the sample's draw time {drawn_at} is in the future (now {})",
                ctx.now
            ),
        );
    }
    if ctx.now >= valid_until {
        return refuse(
            Rule::XmSample,
            format!("a sample drawn at {drawn_at} expired at {valid_until}: draw a new sample"),
        );
    }
    Ok(())
}

/// TX-TYPE: what a new determination finds against the patient's history: `None` when it
/// agrees (or there is none), the group expected otherwise.
pub fn disagreement(patient: &Patient, found: (Abo, RhD)) -> Option<(Abo, RhD)> {
    patient
        .determinations
        .iter()
        .map(|d| (d.abo, d.rhd))
        .find(|expected| *expected != found)
}
