//! The JSON API of a hospital's transfusion service: a patient looked up by the scan of their
//! wristband, with their samples, the units reserved or issued to them and the units in stock
//! that suit them, for the caller's own hospital only. The commands themselves (register_patient,
//! receive_sample, crossmatch_unit, issue_unit, start_transfusion...) go through
//! `POST /api/commands`.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use hemaflow_domain::transfusion::bench::suitable_units;
use hemaflow_domain::transfusion::patients::{Wristband, by_wristband, patient_id};
use serde::Deserialize;
use serde_json::{Value, json};

use super::transfusion::own_hospital;
use crate::App;
use crate::access;
use crate::auth::Caller;
use crate::problem::Problem;

pub fn router() -> Router<App> {
    Router::new().route("/patients", get(patient))
}

#[derive(Deserialize)]
pub struct PatientQuery {
    /// The wristband as scanned (ISBT 128 025, with 024 when printed).
    pub wristband: String,
}

/// `GET /api/patients?wristband=SCAN`: TX-PATIENT: the patient of the caller's hospital the
/// scan names (a DIN or any other barcode is refused with its rule, 422), with their samples,
/// their units and the units in stock that suit them on their newest ready sample.
async fn patient(
    caller: Caller,
    State(app): State<App>,
    Query(query): Query<PatientQuery>,
) -> Result<Json<Value>, Problem> {
    let roles: Vec<_> = access::TRANSFUSION
        .iter()
        .chain(access::BEDSIDE)
        .copied()
        .collect();
    caller.require(&roles)?;
    let hospital = own_hospital(&caller)?;
    let now = app.now();
    let (answer, sequence) = app
        .ledger
        .read_at(|records| {
            let refused = |r: hemaflow_domain::Refusal| Problem::refused(r.rule.as_str(), r.message);
            // A scan that is not a wristband is refused (422); a wristband of no patient of the
            // caller's hospital is not on record (404), as another hospital's records are.
            let band = Wristband::parse(&query.wristband).map_err(refused)?;
            if !records
                .transfusion
                .patients
                .contains_key(&patient_id(&hospital, &band))
            {
                return Err(Problem::not_found(format!(
                    "no patient of this hospital has the wristband {}",
                    band.key()
                )));
            }
            let patient = by_wristband(records, &hospital, &query.wristband).map_err(refused)?;
            let samples: Vec<_> = records
                .transfusion
                .samples
                .values()
                .filter(|s| s.patient == patient.id)
                .collect();
            let units: Vec<_> = records
                .transfusion
                .units
                .values()
                .filter(|u| {
                    u.crossmatches.iter().any(|x| x.patient == patient.id)
                        || u.issues.iter().any(|r| r.issue.patient == patient.id)
                })
                .collect();
            let suitable = suitable_units(records, patient, now).map(|(sample, units)| {
                json!({
                    "sample": sample.id,
                    "units": units
                        .iter()
                        .map(|(c, notes)| json!({"component": c.id, "name": c.name, "notes": notes}))
                        .collect::<Vec<_>>(),
                })
            });
            Ok(json!({
                "patient": patient,
                "group": patient.group(),
                "group_confirmed": patient.group_confirmed(),
                "samples": samples,
                "units": units,
                "suitable": suitable,
            }))
        })
        .await?;
    let mut answer = answer?;
    answer["ledger_sequence"] = json!(sequence);
    Ok(Json(answer))
}
