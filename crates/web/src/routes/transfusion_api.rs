//! The JSON API of a hospital's transfusion service: a patient looked up by the scan of their
//! wristband, with their samples, the units reserved or issued to them and the units in stock
//! that suit them, for the caller's own hospital only. The commands themselves (register_patient,
//! receive_sample, crossmatch_unit, issue_unit, start_transfusion...) go through
//! `POST /api/commands`.

use axum::Json;
use axum::extract::{Query, State};
use hemaflow_domain::kernel::{Abo, RhD};
use hemaflow_domain::transfusion::bench::suitable_units;
use hemaflow_domain::transfusion::patients::{Patient, Wristband, by_wristband, patient_id};
use hemaflow_domain::transfusion::samples::Sample;
use hemaflow_domain::transfusion::units::ServiceUnit;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::transfusion::own_hospital;
use crate::App;
use crate::access;
use crate::auth::Caller;
use crate::problem::{Problem, ReadProblems};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(patient))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PatientQuery {
    /// The wristband as scanned (ISBT 128 025, with 024 when printed).
    pub wristband: String,
}

/// A unit in stock that suits the patient, with what to mind.
#[derive(Serialize, ToSchema)]
pub struct SuitableUnitLine {
    component: String,
    name: String,
    notes: Vec<String>,
}

/// The units that suit the patient on their newest ready sample.
#[derive(Serialize, ToSchema)]
pub struct Suitable {
    /// The sample they were chosen on.
    sample: String,
    units: Vec<SuitableUnitLine>,
}

/// A patient of the caller's hospital, as their wristband names them.
#[derive(Serialize, ToSchema)]
pub struct PatientAnswer<'a> {
    patient: &'a Patient,
    /// ABO and RhD, when determined and without an open discrepancy.
    group: Option<(Abo, RhD)>,
    /// Determined twice, on two samples (TX-TYPE).
    group_confirmed: bool,
    samples: Vec<&'a Sample>,
    /// The units crossmatched or issued to them.
    units: Vec<&'a ServiceUnit>,
    suitable: Option<Suitable>,
    /// The `seen` of a change made from this read (`records_seen`).
    ledger_sequence: i64,
}

/// A patient of the caller's hospital by the scan of their wristband (ISBT 128 025, with
/// 024): the record, ABO/RhD and whether confirmed, samples, units crossmatched or issued to
/// them, and the units in stock that suit them on their newest ready sample; any other
/// barcode is refused (TX-PATIENT). Transfusion technologists and nurses, their own
/// hospital's only.
#[utoipa::path(
    get,
    path = "/patients",
    operation_id = "get_patient",
    tag = "transfusion",
    security(("bearer" = []), ("session" = [])),
    params(PatientQuery),
    responses((status = 200, description = "The patient", body = PatientAnswer), ReadProblems)
)]
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
            let refused =
                |r: hemaflow_domain::Refusal| Problem::refused(r.rule.as_str(), r.message);
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
            let suitable = suitable_units(records, patient, now).map(|(sample, units)| Suitable {
                sample: sample.id.clone(),
                units: units
                    .into_iter()
                    .map(|(c, notes)| SuitableUnitLine {
                        component: c.id.clone(),
                        name: c.name.clone(),
                        notes,
                    })
                    .collect(),
            });
            serde_json::to_value(PatientAnswer {
                patient,
                group: patient.group(),
                group_confirmed: patient.group_confirmed(),
                samples,
                units,
                suitable,
                ledger_sequence: 0,
            })
            .map_err(Problem::internal)
        })
        .await?;
    let mut answer = answer?;
    answer["ledger_sequence"] = json!(sequence);
    Ok(Json(answer))
}
