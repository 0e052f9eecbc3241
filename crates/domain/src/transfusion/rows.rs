//! The projection rows the transfusion service's events change, and the rows themselves.

use crate::state::State;
use crate::transfusion::Event;

/// The kinds of row this area owns.
pub(crate) const KINDS: [&str; 6] = [
    "transfusion_settings",
    "patient",
    "sample",
    "transfusion_unit",
    "emergency_release",
    "reaction",
];

/// The kind and ID of every projection row `event` changes.
pub(crate) fn row_keys(event: &Event) -> Vec<(&'static str, String)> {
    match event {
        Event::TransfusionServiceConfigured { hospital, .. } => {
            vec![("transfusion_settings", hospital.clone())]
        }
        Event::PatientRegistered { patient } => vec![("patient", patient.id.clone())],
        Event::RequirementAdded { patient, .. } => vec![("patient", patient.clone())],
        Event::SampleReceived { sample } => vec![("sample", sample.id.clone())],
        Event::SampleTyped {
            sample_id, patient, ..
        }
        | Event::AntibodiesIdentified {
            sample_id, patient, ..
        }
        | Event::DiscrepancyResolved {
            sample_id, patient, ..
        } => vec![("sample", sample_id.clone()), ("patient", patient.clone())],
        Event::SampleScreened { sample_id, .. } => vec![("sample", sample_id.clone())],
        Event::TransfusionStarted {
            component, patient, ..
        } => vec![
            ("transfusion_unit", component.clone()),
            ("patient", patient.clone()),
        ],
        Event::UnitRetyped { component, .. }
        | Event::UnitAntigenTyped { component, .. }
        | Event::CrossmatchRecorded { component, .. }
        | Event::UnitIssued { component, .. }
        | Event::TransfusionEnded { component, .. }
        | Event::UnitWasted { component, .. }
        | Event::UnitReturnedToStock { component, .. } => {
            vec![("transfusion_unit", component.clone())]
        }
        Event::ReactionReported { reaction } => vec![("reaction", reaction.id.clone())],
        Event::EmergencyReleased { release } => vec![("emergency_release", release.id.clone())],
        Event::EmergencyReleaseSigned { release_id, .. }
        | Event::EmergencyReleaseReviewed { release_id, .. }
        | Event::MtpRoundIssued { release_id, .. }
        | Event::MtpStoodDown { release_id, .. } => {
            vec![("emergency_release", release_id.clone())]
        }
    }
}

fn body<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// One row of this area by kind and ID: its status and JSON body.
pub(crate) fn row(state: &State, kind: &str, id: &str) -> Option<(Option<String>, String)> {
    let service = &state.transfusion;
    Some(match kind {
        "transfusion_settings" => (None, body(service.settings.get(id)?)),
        "patient" => (None, body(service.patients.get(id)?)),
        "sample" => {
            let s = service.samples.get(id)?;
            let status = if s.voided.is_some() {
                "set_aside"
            } else if s.typing.is_some() && s.screen.is_some() {
                "typed_and_screened"
            } else {
                "received"
            };
            (Some(status.to_owned()), body(s))
        }
        "transfusion_unit" => {
            let u = service.units.get(id)?;
            let status = match (u.issues.last(), &u.wasted) {
                (_, Some(_)) => "wasted",
                (None, None) => "in_stock",
                (Some(r), None) => match (&r.start, &r.fate) {
                    (_, Some(fate)) => fate.describe(),
                    (Some(_), None) => "transfusing",
                    (None, None) => "issued",
                },
            };
            (Some(status.replace(' ', "_")), body(u))
        }
        "emergency_release" => {
            let e = service.emergencies.get(id)?;
            let status = if e.review.is_some() {
                "reviewed"
            } else if e.signature.is_some() {
                "signed"
            } else {
                "awaiting_signature"
            };
            (Some(status.to_owned()), body(e))
        }
        "reaction" => (None, body(service.reactions.get(id)?)),
        _ => return None,
    })
}

/// The key of every row of this area.
pub(crate) fn all_row_keys(state: &State) -> Vec<(&'static str, String)> {
    let service = &state.transfusion;
    let mut keys = Vec::new();
    let mut add = |kind: &'static str, ids: Vec<&String>| {
        keys.extend(ids.into_iter().map(|id| (kind, id.clone())));
    };
    add("transfusion_settings", service.settings.keys().collect());
    add("patient", service.patients.keys().collect());
    add("sample", service.samples.keys().collect());
    add("transfusion_unit", service.units.keys().collect());
    add("emergency_release", service.emergencies.keys().collect());
    add("reaction", service.reactions.keys().collect());
    keys
}
