//! Random transfusion-service commands for the simulation: patients (some with a unit's
//! barcode in the wristband field), samples typed right and wrong, retypes, crossmatches by
//! every method, issues and bedside starts with the right and the wrong wristband, ends,
//! wastes, returns, reactions and emergency releases.

use hemaflow_domain::TransfusionCommand as Tx;
use hemaflow_domain::command::Command;
use hemaflow_domain::distribution::sites::{Celsius, Location};
use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_domain::state::State;
use hemaflow_domain::transfusion::emergency::{Imputability, ReactionCategory, Severity};
use hemaflow_domain::transfusion::patients::{Antigen, Patient, PatientSex, RecentHistory};
use hemaflow_domain::transfusion::units::XmMethod;
use time::Duration;
use time::macros::date;

use super::{Rng, pick_key, pick_where};
use crate::scenario::Centre;
use crate::transfusion::{HOSPITAL, NURSE, NURSE2, OTHER_TECH, TECH, vitals, wristband};

const ABO: [Abo; 4] = [Abo::O, Abo::A, Abo::B, Abo::AB];
const RHD: [RhD; 2] = [RhD::Positive, RhD::Negative];
const METHODS: [XmMethod; 3] = [
    XmMethod::Electronic,
    XmMethod::ImmediateSpin,
    XmMethod::Antiglobulin,
];

/// The actor of a transfusion command: mostly Mercy's own staff, sometimes St Luke's.
pub(super) fn actor(role: hemaflow_domain::Role, rng: &mut Rng) -> &'static str {
    match role {
        hemaflow_domain::Role::Nurse if rng.chance(50) => NURSE2,
        hemaflow_domain::Role::Nurse => NURSE,
        _ if rng.chance(10) => OTHER_TECH,
        _ => TECH,
    }
}

/// A wristband of one of a few patients (most registered), now and then a unit's DIN.
fn band(state: &State, rng: &mut Rng) -> String {
    if rng.chance(5)
        && let Some(id) = pick_key(&state.components, rng)
    {
        return format!("={}00", &id[..13.min(id.len())]);
    }
    let number = 1000 + rng.below(6);
    wristband(&number.to_string(), born(number))
}

/// The date of birth of simulated patient `number`.
fn born(number: u64) -> time::Date {
    date!(1960 - 01 - 15) + Duration::days((number as i64 - 1000) * 2000)
}

/// Two of the simulation's patients registered with a historical group and typed and
/// screened, so that crossmatches and issues meet eligible patients early.
pub(super) fn admit_patients(
    centre: &mut Centre,
    rng: &mut Rng,
) -> Result<(), hemaflow_domain::Refusal> {
    for number in [1000u64, 1001] {
        let group = (
            *rng.pick(&ABO).unwrap_or(&Abo::O),
            *rng.pick(&RHD).unwrap_or(&RhD::Positive),
        );
        let band = centre.admit(
            &number.to_string(),
            PatientSex::Male,
            born(number),
            Some(group),
        )?;
        centre.type_and_screen_patient(&format!("S-{number}"), &band, group, false)?;
    }
    Ok(())
}

/// A unit at Mercy or elsewhere.
fn unit(state: &State, rng: &mut Rng) -> Option<String> {
    if rng.chance(80)
        && let Some(c) = pick_where(
            &state.components,
            rng,
            |c| matches!(&c.location, Location::Hospital { hospital, .. } if hospital == HOSPITAL),
        )
    {
        return Some(c.id.clone());
    }
    pick_key(&state.components, rng)
}

/// The wristband of a patient on record, as printed.
fn band_of(patient: &Patient) -> String {
    let number = &patient.wristband.number;
    match patient.born {
        Some(born) => wristband(number, born),
        None => format!("&#01{:02}{number}", number.len()),
    }
}

/// Mostly the wristband of `patient`, sometimes any (a wrong-patient scan).
fn band_or_wrong(state: &State, patient: Option<&str>, rng: &mut Rng) -> String {
    match patient.and_then(|p| state.transfusion.patients.get(p)) {
        Some(p) if rng.chance(85) => band_of(p),
        _ => band(state, rng),
    }
}

/// A crossmatch that can succeed: a ready sample, its patient's band, a retyped unit.
fn crossmatch(state: &State, rng: &mut Rng) -> Option<Tx> {
    let sample = pick_where(&state.transfusion.samples, rng, |s| {
        s.typing.is_some() && s.screen.is_some()
    })?;
    let component = pick_where(&state.transfusion.units, rng, |u| u.retype.is_some())
        .map(|u| u.component.clone())
        .or_else(|| unit(state, rng))?;
    let method = *rng.pick(&METHODS).unwrap_or(&XmMethod::Electronic);
    Some(Tx::CrossmatchUnit {
        sample_id: sample.id.clone(),
        wristband: band_or_wrong(state, Some(&sample.patient), rng),
        component,
        method,
        compatible: (method != XmMethod::Electronic).then(|| rng.chance(90)),
        rhd_approved_by: None,
    })
}

/// An issue of a unit crossmatched for a patient, mostly to that patient.
fn issue(state: &State, rng: &mut Rng) -> Option<Tx> {
    let (component, patient) = match pick_where(&state.transfusion.units, rng, |u| {
        !u.crossmatches.is_empty() && u.open_issue().is_none()
    }) {
        Some(u) => (
            u.component.clone(),
            u.crossmatches.last().map(|x| x.patient.clone()),
        ),
        None => (unit(state, rng)?, None),
    };
    Some(Tx::IssueUnit {
        component,
        wristband: band_or_wrong(state, patient.as_deref(), rng),
        to: "RN Ortiz".into(),
        remote: rng.chance(30).then(|| "ICU fridge".to_owned()),
    })
}

/// A unit issued and what its bedside scan says, mostly its patient's band.
fn issued(state: &State, rng: &mut Rng) -> Option<(String, String)> {
    let u = pick_where(&state.transfusion.units, rng, |u| u.open_issue().is_some())?;
    let patient = u.open_issue().map(|r| r.issue.patient.clone());
    Some((
        u.component.clone(),
        band_or_wrong(state, patient.as_deref(), rng),
    ))
}

fn sample(state: &State, rng: &mut Rng) -> String {
    pick_key(&state.transfusion.samples, rng).unwrap_or_else(|| "S-none".to_owned())
}

pub(super) fn generate(centre: &Centre, rng: &mut Rng) -> Option<Command> {
    let state = &centre.state;
    let now = centre.now;
    let pick_abo = |rng: &mut Rng| *rng.pick(&ABO).unwrap_or(&Abo::O);
    let pick_rhd = |rng: &mut Rng| *rng.pick(&RHD).unwrap_or(&RhD::Positive);
    let command = match rng.below(20) {
        0..=1 => {
            let number = 1000 + rng.below(6);
            Tx::RegisterPatient {
                wristband: band(state, rng),
                mrn: format!("MRN-{number}"),
                family_name: "Rivera".into(),
                given_name: "Kim".into(),
                sex: *rng
                    .pick(&[PatientSex::Female, PatientSex::Male, PatientSex::Unknown])
                    .unwrap_or(&PatientSex::Unknown),
                born: None,
                recent_history: if rng.chance(50) {
                    RecentHistory::Neither
                } else {
                    RecentHistory::Unknown
                },
                historical_group: rng.chance(50).then(|| {
                    hemaflow_domain::transfusion::command::HistoricalGroup {
                        abo: pick_abo(rng),
                        rhd: pick_rhd(rng),
                    }
                }),
                known_antibodies: if rng.chance(10) {
                    vec![Antigen::K]
                } else {
                    vec![]
                },
                requirements: vec![],
            }
        }
        2..=3 => Tx::ReceiveSample {
            sample_id: format!("S-{}", rng.below(1_000_000)),
            wristband: band(state, rng),
            drawn_at: now - Duration::minutes(rng.below(600) as i64),
            drawn_by: "RN Ortiz".into(),
        },
        4..=5 => Tx::TypeSample {
            sample_id: sample(state, rng),
            abo: pick_abo(rng),
            rhd: pick_rhd(rng),
        },
        6 => Tx::ScreenSample {
            sample_id: sample(state, rng),
            positive: rng.chance(10),
        },
        7..=8 => {
            let component = unit(state, rng)?;
            Tx::RetypeUnit {
                component,
                abo: pick_abo(rng),
                rhd: Some(pick_rhd(rng)),
            }
        }
        9..=10 => crossmatch(state, rng)?,
        11..=12 => issue(state, rng)?,
        13 => {
            let (component, wristband) = issued(state, rng)?;
            Tx::StartTransfusion {
                component,
                wristband,
                second_checker: None,
                vitals: vitals(),
            }
        }
        14 => Tx::EndTransfusion {
            component: issued(state, rng)?.0,
            volume_ml: 250 + rng.below(100) as u32,
            vitals: vitals(),
        },
        15 => Tx::WasteUnit {
            component: unit(state, rng)?,
            reason: "dropped".into(),
        },
        16 => Tx::ReturnToStock {
            component: unit(state, rng)?,
            minutes_out: rng.below(45) as u32,
            kept_at_c: Celsius::degrees(rng.below(14) as i32),
        },
        17 => Tx::ReportReaction {
            reaction_id: format!("R-{}", rng.below(1_000_000)),
            component: unit(state, rng)?,
            category: ReactionCategory::AllergicReaction,
            severity: Severity::NonSevere,
            imputability: Imputability::Possible,
            description: "hives".into(),
        },
        _ => Tx::ReleaseEmergency {
            release_id: format!("ER-{}", rng.below(1_000_000)),
            wristband: band(state, rng),
            components: (0..1 + rng.below(2))
                .filter_map(|_| unit(state, rng))
                .collect(),
            physician: "Dr Moss".into(),
            reason: "bleeding".into(),
        },
    };
    Some(command.into())
}
