//! Units in a hospital's transfusion service: retyped on receipt (XM-RETYPE), antigen-typed
//! for patients with antibodies, checked against a patient (COMPAT-*, TX-REQUIRE, TX-UNIT) and
//! crossmatched (XM-ELECTRONIC, serologic); what happened to each issue of a unit.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::distribution::{Celsius, received_at_hospital};
use crate::kernel::compat::{self, Compatibility};
use crate::kernel::refusal::{Refusal, Rule, refuse};
use crate::kernel::{Abo, RhD};
use crate::manufacturing::{Attr, Component, Family};
use crate::release::{confirmed_group, open_holds_covering};
use crate::state::State;
use crate::transfusion::patients::{Antigen, Patient, Requirement};

/// XM-RETYPE: the service's own typing of a unit against its label.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Retype {
    pub abo: Abo,
    /// Confirmed for units labelled RhD negative; may be left out for the others.
    pub rhd: Option<RhD>,
    /// Whether it agrees with the label's group.
    pub matches: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum XmMethod {
    /// The computer compares the confirmed groups (XM-ELECTRONIC).
    Electronic,
    /// Serologic, immediate spin: ABO incompatibility only.
    ImmediateSpin,
    /// Serologic, antiglobulin phase: for patients with antibodies.
    Antiglobulin,
}

impl XmMethod {
    pub fn describe(self) -> &'static str {
        match self {
            XmMethod::Electronic => "electronic",
            XmMethod::ImmediateSpin => "immediate spin",
            XmMethod::Antiglobulin => "antiglobulin",
        }
    }
}

/// One crossmatch of a unit with a patient's sample.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Crossmatch {
    pub patient: String,
    pub sample: String,
    pub method: XmMethod,
    pub compatible: bool,
    /// COMPAT-RHD: the physician who approved RhD-positive red cells for an RhD-negative
    /// patient.
    #[serde(default)]
    pub rhd_approved_by: Option<String>,
    /// An emergency release's crossmatch, completed after the unit went out.
    #[serde(default)]
    pub retrospective: bool,
    /// The unit is reserved for the patient until the sample expires.
    #[serde(with = "time::serde::rfc3339")]
    pub reserved_until: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
}

/// Vital signs at the bedside.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Vitals {
    pub temperature_c: Celsius,
    pub pulse: u16,
    pub systolic: u16,
    pub diastolic: u16,
}

impl Vitals {
    /// TX-BEDSIDE: values a living patient can have (a typing slip is refused, not recorded).
    pub fn check(&self) -> Result<(), Refusal> {
        let t = self.temperature_c.as_tenths();
        let problem = if !(300..=430).contains(&t) {
            Some(format!(
                "temperature {} °C is not between 30 and 43",
                self.temperature_c
            ))
        } else if !(20..=250).contains(&self.pulse) {
            Some(format!("pulse {} is not between 20 and 250", self.pulse))
        } else if !(50..=260).contains(&self.systolic) || !(20..=160).contains(&self.diastolic) {
            Some(format!(
                "blood pressure {}/{} is outside 50-260/20-160 mmHg",
                self.systolic, self.diastolic
            ))
        } else if self.diastolic >= self.systolic {
            Some(format!(
                "blood pressure {}/{}: the diastolic must be below the systolic",
                self.systolic, self.diastolic
            ))
        } else {
            None
        };
        match problem {
            Some(message) => refuse(Rule::TxBedside, message),
            None => Ok(()),
        }
    }
}

/// One issue of a unit to a patient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Issue {
    pub patient: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
    /// Who took the unit to the bedside.
    pub to: String,
    /// The remote blood fridge it was issued from, for a remote electronic issue.
    #[serde(default)]
    pub remote: Option<String>,
    /// The emergency release or massive transfusion protocol it went out under (EMERG-RELEASE).
    #[serde(default)]
    pub emergency: Option<String>,
    /// Warnings shown at issue (COMPAT-PLT, an emergency's untyped antigens).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// The bedside check and start of a transfusion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Start {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
    #[serde(default)]
    pub second_checker: Option<String>,
    pub vitals: Vitals,
}

/// TX-FATE: how one issue of a unit ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "fate", rename_all = "snake_case")]
pub enum Fate {
    Transfused {
        volume_ml: u32,
        vitals: Vitals,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    Wasted {
        reason: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    ReturnedToStock {
        minutes_out: u32,
        kept_at_c: Celsius,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
}

impl Fate {
    pub fn describe(&self) -> &'static str {
        match self {
            Fate::Transfused { .. } => "transfused",
            Fate::Wasted { .. } => "wasted",
            Fate::ReturnedToStock { .. } => "returned to stock",
        }
    }
}

/// An issue and what followed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssueRecord {
    pub issue: Issue,
    #[serde(default)]
    pub start: Option<Start>,
    #[serde(default)]
    pub fate: Option<Fate>,
}

/// What the transfusion service recorded of one unit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceUnit {
    pub component: String,
    pub hospital: String,
    #[serde(default)]
    pub retype: Option<Retype>,
    /// Antigen typing at the service: `true` when negative.
    #[serde(default)]
    pub antigens: BTreeMap<Antigen, bool>,
    #[serde(default)]
    pub crossmatches: Vec<Crossmatch>,
    #[serde(default)]
    pub issues: Vec<IssueRecord>,
    /// Wasted from the service's stock, never issued again.
    #[serde(default)]
    pub wasted: Option<Fate>,
}

impl ServiceUnit {
    /// The issue not yet ended, if any.
    pub fn open_issue(&self) -> Option<&IssueRecord> {
        self.issues.last().filter(|r| r.fate.is_none())
    }

    /// The patient the unit is reserved for at `now`: the newest compatible crossmatch whose
    /// sample has not expired, while the unit is not issued or wasted.
    pub fn reserved_for(&self, now: OffsetDateTime) -> Option<&Crossmatch> {
        self.crossmatches
            .iter()
            .rev()
            .find(|x| x.compatible && now < x.reserved_until)
    }

    /// Whether the unit ended its life here (transfused or wasted).
    pub fn is_gone(&self) -> bool {
        self.wasted.is_some()
            || self.issues.iter().any(|r| {
                matches!(
                    r.fate,
                    Some(Fate::Transfused { .. }) | Some(Fate::Wasted { .. })
                )
            })
    }
}

/// Red cells (and whole blood): retyped, crossmatched, antigen-typed.
pub fn has_red_cells(component: &Component) -> bool {
    matches!(component.family, Family::RedCells | Family::WholeBlood)
}

/// XM-RETYPE: whether the unit must be retyped before use: red cells always (ABO), and every
/// unit labelled RhD negative... of red cells (the RhD of plasma and platelets is not typed
/// at the service).
pub fn needs_retype(component: &Component) -> bool {
    has_red_cells(component)
}

/// XM-RETYPE: whether a retype agrees with the label: the ABO always, the RhD where the
/// label says negative (it must be given then).
pub fn retype_result(label: (Abo, RhD), abo: Abo, rhd: Option<RhD>) -> Result<bool, Refusal> {
    if label.1 == RhD::Negative && rhd.is_none() {
        return refuse(
            Rule::XmRetype,
            "the unit is labelled RhD negative: confirm its RhD too",
        );
    }
    Ok(abo == label.0 && rhd.is_none_or(|r| r == label.1))
}

/// How a unit is being given: after a crossmatch or for plasma and platelets with a current
/// type (`Routine`), uncrossmatched on a physician's request (`Emergency`), or crossmatched
/// after an emergency release (`Retrospective`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Routine,
    Emergency,
    Retrospective,
}

/// The unit's label group: confirmed from its donation(s).
pub fn label_group(state: &State, component: &Component) -> Result<(Abo, RhD), Refusal> {
    confirmed_group(state, component).ok_or_else(|| Refusal {
        rule: Rule::TxUnit,
        message: format!(
            "unit {} has no confirmed ABO/RhD on record: it cannot be given",
            component.id
        ),
    })
}

/// TX-UNIT, XM-RETYPE: the unit is held by `hospital`'s service ([`check_held`]) and retyped
/// without discrepancy where it must be: what every crossmatch and issue needs. Returns the
/// service's record.
pub fn check_in_service<'a>(
    state: &'a State,
    component: &Component,
    hospital: &str,
    now: OffsetDateTime,
) -> Result<Option<&'a ServiceUnit>, Refusal> {
    let unit = check_held(state, component, hospital, now)?;
    if needs_retype(component) {
        match unit.and_then(|u| u.retype.as_ref()) {
            None => {
                return refuse(
                    Rule::XmRetype,
                    format!(
                        "unit {} has not been retyped at the transfusion service: retype it first",
                        component.id
                    ),
                );
            }
            Some(r) if !r.matches => {
                return refuse(
                    Rule::XmRetype,
                    format!(
                        "unit {}'s retype disagreed with its label: quarantine it and tell the \
                         blood centre",
                        component.id
                    ),
                );
            }
            Some(_) => {}
        }
    }
    Ok(unit)
}

/// TX-UNIT: the unit is in `hospital`'s service (received there), in date, under no hold, and
/// not used up: what the service's own typing of a unit (retype, antigens) needs.
pub fn check_held<'a>(
    state: &'a State,
    component: &Component,
    hospital: &str,
    now: OffsetDateTime,
) -> Result<Option<&'a ServiceUnit>, Refusal> {
    match received_at_hospital(state, component) {
        Some(h) if h == hospital => {}
        Some(other) => {
            return refuse(
                Rule::TxUnit,
                format!(
                    "unit {} is in the transfusion service of hospital {other}, not {hospital}",
                    component.id
                ),
            );
        }
        None => {
            return refuse(
                Rule::TxUnit,
                format!(
                    "unit {} is not in the transfusion service of hospital {hospital} ({}): \
                     scan it in on receipt first",
                    component.id,
                    component.location.describe()
                ),
            );
        }
    }
    if component.expires_at <= now {
        return refuse(
            Rule::RelExpire,
            format!(
                "unit {} expired at {}: never give it",
                component.id, component.expires_at
            ),
        );
    }
    if let Some(hold) = open_holds_covering(state, component).next() {
        return refuse(
            Rule::TxUnit,
            format!(
                "unit {} is under hold {} ({}): quarantine it and do not give it",
                component.id, hold.id, hold.reason
            ),
        );
    }
    let unit = state.transfusion.units.get(&component.id);
    if unit.is_some_and(ServiceUnit::is_gone) {
        return refuse(
            Rule::TxUnit,
            format!("unit {} was transfused or wasted already", component.id),
        );
    }
    Ok(unit)
}

/// COMPAT-*: the unit's group for the patient's `group` (none: unknown, an emergency), by
/// its family. Returns the notes to show (COMPAT-PLT); `rhd_approved` says a physician
/// approved RhD-positive red cells for an RhD-negative patient.
pub fn check_groups(
    component: &Component,
    unit: (Abo, RhD),
    group: Option<(Abo, RhD)>,
    rhd_negative_if_unknown: bool,
    rhd_approved: bool,
) -> Result<Vec<String>, Refusal> {
    let id = &component.id;
    let Some(patient) = group else {
        // EMERG-RELEASE: group unknown.
        return match component.family {
            Family::RedCells | Family::WholeBlood if unit.0 != Abo::O => refuse(
                Rule::EmergRelease,
                format!("unit {id} is group {}: uncrossmatched red cells for a patient of unknown group are group O", unit.0.as_str()),
            ),
            Family::RedCells | Family::WholeBlood
                if rhd_negative_if_unknown && unit.1 == RhD::Positive =>
            {
                refuse(
                    Rule::EmergRelease,
                    format!("unit {id} is O RhD positive: this patient (a female under 50, or sex or age unknown) gets O RhD negative"),
                )
            }
            Family::Plasma if unit.0 != Abo::AB => refuse(
                Rule::EmergRelease,
                format!("unit {id} is group {} plasma: plasma for a patient of unknown group is group AB", unit.0.as_str()),
            ),
            Family::Platelets if unit.1 == RhD::Positive && rhd_negative_if_unknown => Ok(vec![
                "RhD-positive platelets for a patient who may be RhD negative: consider RhIG within 72 h".to_owned(),
            ]),
            _ => Ok(Vec::new()),
        };
    };
    let (abo, rhd) = patient;
    match component.family {
        Family::RedCells => {
            if !compat::red_cells(abo, unit.0) {
                return refuse(
                    Rule::CompatRbc,
                    format!(
                        "unit {id} is group {} red cells: incompatible with a group {} patient",
                        unit.0.as_str(),
                        abo.as_str()
                    ),
                );
            }
            if let Compatibility::NeedsPhysicianApproval(what) = compat::red_cells_rhd(rhd, unit.1)
                && !rhd_approved
            {
                return refuse(
                    Rule::CompatRhd,
                    format!(
                        "unit {id}: {what} needs a physician's approval, recorded with the crossmatch"
                    ),
                );
            }
            Ok(Vec::new())
        }
        Family::WholeBlood => {
            if !compat::whole_blood(abo, unit.0) {
                return refuse(
                    Rule::CompatRbc,
                    format!(
                        "unit {id} is group {} whole blood: whole blood is ABO-identical, and the patient is {}",
                        unit.0.as_str(),
                        abo.as_str()
                    ),
                );
            }
            if let Compatibility::NeedsPhysicianApproval(what) = compat::red_cells_rhd(rhd, unit.1)
                && !rhd_approved
            {
                return refuse(
                    Rule::CompatRhd,
                    format!("unit {id}: {what} needs a physician's approval"),
                );
            }
            Ok(Vec::new())
        }
        Family::Plasma => {
            if !compat::plasma(abo, unit.0) {
                return refuse(
                    Rule::CompatPlasma,
                    format!(
                        "unit {id} is group {} plasma: incompatible with a group {} patient",
                        unit.0.as_str(),
                        abo.as_str()
                    ),
                );
            }
            Ok(Vec::new())
        }
        Family::Platelets => match compat::platelets(patient, unit) {
            Compatibility::AllowedWithWarning(note) => Ok(vec![note.to_owned()]),
            _ => Ok(Vec::new()),
        },
        Family::Cryo => Ok(Vec::new()),
    }
}

/// TX-REQUIRE: the unit meets every requirement of the patient; antigen-negative typing is
/// needed for red cells only, and in an emergency it becomes a note (no time to type).
pub fn check_requirements(
    component: &Component,
    unit: Option<&ServiceUnit>,
    patient: &Patient,
    mode: Mode,
) -> Result<Vec<String>, Refusal> {
    let mut notes = Vec::new();
    for requirement in patient.all_requirements() {
        let met = match requirement {
            Requirement::Irradiated => component.attributes.contains(&Attr::Irradiated),
            Requirement::Washed => component.attributes.contains(&Attr::Washed),
            Requirement::CmvSafe => component.attributes.contains(&Attr::Leukoreduced),
            Requirement::AntigenNegative(antigen) => {
                !has_red_cells(component)
                    || unit.and_then(|u| u.antigens.get(&antigen)) == Some(&true)
            }
        };
        if met {
            continue;
        }
        if let (Requirement::AntigenNegative(antigen), Mode::Emergency) = (requirement, mode) {
            notes.push(format!(
                "not typed for {}: the patient has anti-{}; issued on the physician's request",
                antigen.as_str(),
                antigen.as_str()
            ));
            continue;
        }
        return refuse(
            Rule::TxRequire,
            format!(
                "unit {} is not {}, and {} needs {} units",
                component.id,
                requirement.describe(),
                patient.name(),
                requirement.describe()
            ),
        );
    }
    Ok(notes)
}

/// TX-FATE: a return to stock within the limit and range.
pub fn check_return(
    settings: &crate::transfusion::settings::ServiceSettings,
    minutes_out: u32,
    kept_at: Celsius,
) -> Result<(), Refusal> {
    if minutes_out > settings.return_minutes {
        return refuse(
            Rule::TxFate,
            format!(
                "the unit was out of controlled storage {minutes_out} minutes, more than the {} allowed: it cannot go back to stock; record it as wasted",
                settings.return_minutes
            ),
        );
    }
    if kept_at < settings.return_min_c || kept_at > settings.return_max_c {
        return refuse(
            Rule::TxFate,
            format!(
                "the unit was kept at {kept_at} °C, outside {}-{} °C: it cannot go back to stock; record it as wasted",
                settings.return_min_c, settings.return_max_c
            ),
        );
    }
    Ok(())
}
