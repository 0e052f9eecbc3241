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
