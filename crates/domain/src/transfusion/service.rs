//! The transfusion service's own state: its records, kept apart from the blood centre's,
//! and the narrow reads the rest of the domain and the server use.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::UtcOffset;

use crate::Context;
use crate::distribution::hospital_of;
use crate::kernel::refusal::{Refusal, Rule, refuse};
use crate::state::State;
use crate::transfusion::emergency::{EmergencyRelease, Reaction};
use crate::transfusion::patients::Patient;
use crate::transfusion::samples::Sample;
use crate::transfusion::settings::ServiceSettings;
use crate::transfusion::units::ServiceUnit;

/// Every hospital transfusion service's records, by ID.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransfusionState {
    /// Settings by hospital ID (a hospital with none works by the defaults).
    #[serde(default)]
    pub settings: BTreeMap<String, ServiceSettings>,
    #[serde(default)]
    pub patients: BTreeMap<String, Patient>,
    #[serde(default)]
    pub samples: BTreeMap<String, Sample>,
    /// Units the services recorded anything of, by component ID.
    #[serde(default)]
    pub units: BTreeMap<String, ServiceUnit>,
    #[serde(default)]
    pub emergencies: BTreeMap<String, EmergencyRelease>,
    #[serde(default)]
    pub reactions: BTreeMap<String, Reaction>,
}

impl TransfusionState {
    /// The records held: patients, samples, units, emergency releases and reactions.
    pub fn len(&self) -> usize {
        self.patients.len()
            + self.samples.len()
            + self.units.len()
            + self.emergencies.len()
            + self.reactions.len()
    }

    pub fn is_empty(&self) -> bool {
        self == &TransfusionState::default()
    }
}

/// A hospital's settings (the defaults until its admin configures them).
pub fn settings<'a>(state: &'a State, hospital: &str) -> std::borrow::Cow<'a, ServiceSettings> {
    match state.transfusion.settings.get(hospital) {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(ServiceSettings::default()),
    }
}

/// The service's local time: its own offset, or the establishment's label time.
pub fn local_offset(state: &State, settings: &ServiceSettings) -> UtcOffset {
    let minutes = settings
        .utc_offset_minutes
        .unwrap_or(state.config.labels.utc_offset_minutes);
    UtcOffset::from_whole_seconds(minutes.saturating_mul(60)).unwrap_or(UtcOffset::UTC)
}

/// P11-ACCESS: the hospital a technologist or nurse acts for (their account's binding).
pub fn acting_hospital(state: &State, ctx: &Context) -> Result<String, Refusal> {
    match hospital_of(state, &ctx.actor) {
        Some(hospital) => Ok(hospital.to_owned()),
        None => refuse(
            Rule::P11Access,
            format!(
                "{} is not bound to a hospital: a transfusion service's work is done by its own staff",
                ctx.actor
            ),
        ),
    }
}

/// P11-ACCESS: a record of `hospital` touched by the actor's hospital only.
pub fn check_same_hospital(acting: &str, hospital: &str, what: &str) -> Result<(), Refusal> {
    if acting == hospital {
        return Ok(());
    }
    refuse(
        Rule::P11Access,
        format!("{what} belongs to hospital {hospital}, not to {acting}"),
    )
}

/// Where a unit stands in a hospital's transfusion service, for a trace (REC-TRACE): in its
/// stock, issued, hung, transfused to a patient, wasted, or not recorded there at all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "stands", rename_all = "snake_case")]
pub enum ServiceStanding {
    InStock,
    Issued {
        patient: String,
    },
    Transfusing {
        patient: String,
    },
    Transfused {
        patient: String,
        #[serde(with = "time::serde::rfc3339")]
        at: time::OffsetDateTime,
    },
    Wasted,
}

/// How `component` stands in the transfusion service that holds it; `None` when no service
/// of ours recorded it (the consignee keeps its own records).
pub fn unit_standing(state: &State, component: &str) -> Option<ServiceStanding> {
    use crate::transfusion::units::Fate;
    let unit = state.transfusion.units.get(component)?;
    if unit.wasted.is_some() {
        return Some(ServiceStanding::Wasted);
    }
    let Some(record) = unit.issues.last() else {
        return Some(ServiceStanding::InStock);
    };
    let patient = record.issue.patient.clone();
    Some(match (&record.start, &record.fate) {
        (_, Some(Fate::Transfused { at, .. })) => ServiceStanding::Transfused { patient, at: *at },
        (_, Some(Fate::Wasted { .. })) => ServiceStanding::Wasted,
        (_, Some(Fate::ReturnedToStock { .. })) => ServiceStanding::InStock,
        (Some(_), None) => ServiceStanding::Transfusing { patient },
        (None, None) => ServiceStanding::Issued { patient },
    })
}

/// A patient's name and wristband number, for a notice to their physician.
pub fn patient_label(state: &State, patient: &str) -> Option<String> {
    let p = state.transfusion.patients.get(patient)?;
    Some(format!("{} (MRN {})", p.name(), p.mrn))
}
