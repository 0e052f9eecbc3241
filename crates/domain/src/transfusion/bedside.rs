//! From the blood bank to the patient: issue by scan (TX-WRONG-PATIENT), the remote
//! electronic issue, the bedside check (TX-BEDSIDE), every unit's final fate (TX-FATE),
//! reactions (TX-REACTION), emergency release (EMERG-RELEASE) and the massive transfusion
//! protocol (TX-MTP).

use crate::Context;
use crate::distribution::{Celsius, hospital_of};
use crate::kernel::Role;
use crate::kernel::refusal::{Refusal, Rule, refuse};
use crate::manufacturing::{Component, Family, find_component};
use crate::state::State;
use crate::transfusion::Event;
use crate::transfusion::bench::{electronic_eligibility, name_of, suitable};
use crate::transfusion::emergency::{
    EmergencyRelease, Imputability, PhysicianSignature, Protocol, Reaction, ReactionCategory,
    Review, Severity,
};
use crate::transfusion::patients::{self, Patient, text};
use crate::transfusion::samples::{self, Sample};
use crate::transfusion::service::{acting_hospital, check_same_hospital, settings};
use crate::transfusion::units::{
    Crossmatch, Fate, Issue, IssueRecord, Mode, ServiceUnit, Start, Vitals, XmMethod, check_groups,
    check_in_service, check_requirements, check_return, has_red_cells, label_group,
};

/// The most units one emergency release or round names.
const MAX_UNITS: usize = 24;

fn patient_here<'a>(
    state: &'a State,
    wristband: &str,
    ctx: &Context,
) -> Result<&'a Patient, Refusal> {
    let hospital = acting_hospital(state, ctx)?;
    patients::by_wristband(state, &hospital, wristband)
}

/// The patient's current sample ([`samples::current`]).
fn current_sample<'a>(state: &'a State, patient: &Patient, ctx: &Context) -> Option<&'a Sample> {
    samples::current(state, patient, ctx.now)
}

/// What an issue request names.
pub struct IssueRequest<'a> {
    pub component: &'a str,
    pub wristband: &'a str,
    pub to: &'a str,
    pub remote: Option<&'a str>,
}

/// TX-WRONG-PATIENT: a unit issued to the one patient whose wristband is scanned. Red cells
/// need a compatible crossmatch for this patient on a sample still valid; from a remote fridge
/// the electronic crossmatch is made at the moment of issue, when XM-ELECTRONIC allows it.
/// Every check of the crossmatch is made again (expiry, holds, groups, requirements).
pub fn issue(
    state: &State,
    request: IssueRequest<'_>,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    if ctx.role == Role::Nurse && request.remote.is_none() {
        return refuse(
            Rule::P11Access,
            "a nurse issues units only at a remote blood fridge (by electronic crossmatch); the blood bank issues the others",
        );
    }
    let patient = patient_here(state, request.wristband, ctx)?;
    let component = find_component(state, request.component.trim())?;
    let to = text("who takes the unit", request.to)?;
    let remote = request
        .remote
        .map(|r| text("the remote fridge", r))
        .transpose()?;
    let mut events = Vec::new();
    let notes = if has_red_cells(component) {
        let unit = state.transfusion.units.get(&component.id);
        let crossmatch = unit.and_then(|u| u.reserved_for(ctx.now));
        match (crossmatch, &remote) {
            (Some(x), _) if x.patient != patient.id => {
                return refuse(
                    Rule::TxWrongPatient,
                    format!(
                        "STOP: unit {} is crossmatched for {} (wristband of another patient), not for {}: do not issue it",
                        component.id,
                        name_of(state, &x.patient),
                        patient.name()
                    ),
                );
            }
            (Some(x), Some(_)) if x.method != XmMethod::Electronic => {
                return refuse(
                    Rule::XmElectronic,
                    format!(
                        "unit {} was crossmatched serologically: a remote fridge issues by electronic crossmatch only; collect it from the blood bank",
                        component.id
                    ),
                );
            }
            (Some(x), _) => {
                let sample = sample_of(state, x)?;
                suitable(
                    state,
                    component,
                    patient,
                    sample,
                    Mode::Routine,
                    x.rhd_approved_by.is_some(),
                    ctx,
                )?
            }
            (None, Some(_)) => {
                let Some(sample) = current_sample(state, patient, ctx) else {
                    return refuse(
                        Rule::XmSample,
                        format!(
                            "{} has no valid typed and screened sample: a remote issue needs one",
                            patient.name()
                        ),
                    );
                };
                electronic_eligibility(state, patient, sample)?;
                let notes = suitable(state, component, patient, sample, Mode::Routine, false, ctx)?;
                events.push(Event::CrossmatchRecorded {
                    component: component.id.clone(),
                    hospital: patient.hospital.clone(),
                    crossmatch: Crossmatch {
                        patient: patient.id.clone(),
                        sample: sample.id.clone(),
                        method: XmMethod::Electronic,
                        compatible: true,
                        rhd_approved_by: None,
                        retrospective: false,
                        reserved_until: sample.valid_until,
                        at: ctx.now,
                        by: ctx.actor.clone(),
                    },
                });
                notes
            }
            (None, None) => {
                return refuse(
                    Rule::TxUnit,
                    format!(
                        "unit {} is not crossmatched for {}: crossmatch it first",
                        component.id,
                        patient.name()
                    ),
                );
            }
        }
    } else {
        let Some(sample) = current_sample(state, patient, ctx) else {
            return refuse(
                Rule::XmSample,
                format!(
                    "{} has no valid typed and screened sample: type and screen a new sample first",
                    patient.name()
                ),
            );
        };
        suitable(state, component, patient, sample, Mode::Routine, false, ctx)?
    };
    events.push(Event::UnitIssued {
        component: component.id.clone(),
        hospital: patient.hospital.clone(),
        issue: Issue {
            patient: patient.id.clone(),
            at: ctx.now,
            by: ctx.actor.clone(),
            to,
            remote,
            emergency: None,
            notes,
        },
    });
    Ok(events)
}

fn sample_of<'a>(state: &'a State, crossmatch: &Crossmatch) -> Result<&'a Sample, Refusal> {
    state
        .transfusion
        .samples
        .get(&crossmatch.sample)
        .ok_or_else(|| Refusal {
            rule: Rule::XmSample,
            message: format!("sample {} is not on record", crossmatch.sample),
        })
}

/// The unit's open issue at the actor's hospital.
fn issued<'a>(
    state: &'a State,
    component: &str,
    ctx: &Context,
) -> Result<(&'a Component, &'a ServiceUnit, &'a IssueRecord), Refusal> {
    let hospital = acting_hospital(state, ctx)?;
    let component = find_component(state, component.trim())?;
    let unit = state.transfusion.units.get(&component.id);
    let Some((unit, record)) = unit.and_then(|u| u.open_issue().map(|r| (u, r))) else {
        return refuse(
            Rule::TxFate,
            format!(
                "unit {} is not issued to any patient at the moment",
                component.id
            ),
        );
    };
    check_same_hospital(&hospital, &unit.hospital, &format!("unit {}", component.id))?;
    Ok((component, unit, record))
}

/// TX-BEDSIDE, TX-WRONG-PATIENT: the bedside check before the transfusion starts.
pub fn start(
    state: &State,
    component: &str,
    wristband: &str,
    second_checker: Option<&str>,
    vitals: &Vitals,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let (component, unit, record) = issued(state, component, ctx)?;
    let patient = patient_here(state, wristband, ctx)?;
    if record.issue.patient != patient.id {
        return refuse(
            Rule::TxWrongPatient,
            format!(
                "STOP: unit {} was issued to {}, and this wristband is {}'s: do not hang it; return it to the blood bank",
                component.id,
                name_of(state, &record.issue.patient),
                patient.name()
            ),
        );
    }
    if record.start.is_some() {
        return refuse(
            Rule::TxBedside,
            format!("unit {}'s transfusion has started already", component.id),
        );
    }
    if component.expires_at <= ctx.now {
        return refuse(
            Rule::RelExpire,
            format!(
                "STOP: unit {} expired at {}: do not hang it",
                component.id, component.expires_at
            ),
        );
    }
    let second = second_person(state, &unit.hospital, second_checker, ctx)?;
    vitals.check()?;
    Ok(vec![Event::TransfusionStarted {
        component: component.id.clone(),
        patient: patient.id.clone(),
        start: Start {
            at: ctx.now,
            by: ctx.actor.clone(),
            second_checker: second,
            vitals: vitals.clone(),
        },
    }])
}

/// TX-BEDSIDE: the second person's own badge scan, where the hospital requires one: another
/// enabled nurse or technologist of the same hospital.
fn second_person(
    state: &State,
    hospital: &str,
    scanned: Option<&str>,
    ctx: &Context,
) -> Result<Option<String>, Refusal> {
    let scanned = scanned.map(str::trim).filter(|s| !s.is_empty());
    let required = settings(state, hospital).second_person_at_bedside;
    let Some(id) = scanned else {
        return if required {
            refuse(
                Rule::TxBedside,
                "this hospital requires a second person at the bedside check: they scan their own badge",
            )
        } else {
            Ok(None)
        };
    };
    if id == ctx.actor {
        return refuse(
            Rule::TxBedside,
            "the second person at the bedside is someone else: they scan their own badge",
        );
    }
    let usable = state.users.get(id).is_some_and(|u| {
        u.enabled
            && matches!(u.role, Role::Nurse | Role::TransfusionTechnologist)
            && hospital_of(state, id) == Some(hospital)
    });
    if !usable {
        return refuse(
            Rule::TxBedside,
            format!(
                "{id:?} is not an active nurse or transfusion technologist of hospital {hospital}"
            ),
        );
    }
    Ok(Some(id.to_owned()))
}

/// The most a single unit's transfusion can be, in millilitres.
const MAX_VOLUME_ML: u32 = 2000;

pub fn end(
    state: &State,
    component: &str,
    volume_ml: u32,
    vitals: &Vitals,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let (component, _, record) = issued(state, component, ctx)?;
    if record.start.is_none() {
        return refuse(
            Rule::TxFate,
            format!(
                "unit {}'s transfusion has not started: do the bedside check first",
                component.id
            ),
        );
    }
    if volume_ml == 0 || volume_ml > MAX_VOLUME_ML {
        return refuse(
            Rule::TxInput,
            format!("volume {volume_ml} mL is not between 1 and {MAX_VOLUME_ML}"),
        );
    }
    vitals.check()?;
    Ok(vec![Event::TransfusionEnded {
        component: component.id.clone(),
        patient: record.issue.patient.clone(),
        fate: Fate::Transfused {
            volume_ml,
            vitals: vitals.clone(),
            at: ctx.now,
            by: ctx.actor.clone(),
        },
    }])
}

/// What a reaction report says.
pub struct ReactionReport<'a> {
    pub reaction_id: &'a str,
    pub component: &'a str,
    pub category: ReactionCategory,
    pub severity: Severity,
    pub imputability: Imputability,
    pub description: &'a str,
}

/// TX-REACTION: against a unit whose transfusion started at the actor's hospital.
pub fn report_reaction(
    state: &State,
    report: ReactionReport<'_>,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let hospital = acting_hospital(state, ctx)?;
    let id = text("the reaction ID", report.reaction_id)?;
    if state.transfusion.reactions.contains_key(&id) {
        return refuse(
            Rule::TxReaction,
            format!("reaction {id} is already on record"),
        );
    }
    let component = find_component(state, report.component.trim())?;
    let started = state
        .transfusion
        .units
        .get(&component.id)
        .filter(|u| u.hospital == hospital)
        .and_then(|u| u.issues.iter().rev().find(|r| r.start.is_some()));
    let Some(record) = started else {
        return refuse(
            Rule::TxReaction,
            format!(
                "unit {} was not transfused at hospital {hospital}: a reaction is reported against the unit that was hung",
                component.id
            ),
        );
    };
    Ok(vec![Event::ReactionReported {
        reaction: Reaction {
            id,
            hospital,
            patient: record.issue.patient.clone(),
            component: component.id.clone(),
            category: report.category,
            severity: report.severity,
            imputability: report.imputability,
            description: text("the description", report.description)?,
            at: ctx.now,
            by: ctx.actor.clone(),
        },
    }])
}

/// TX-FATE: a unit wasted: its open issue ends so (a unit hung cannot be wasted: it is
/// ended with the volume given), or it leaves the service's stock.
pub fn waste(
    state: &State,
    component: &str,
    reason: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let hospital = acting_hospital(state, ctx)?;
    let component = find_component(state, component.trim())?;
    let unit = state.transfusion.units.get(&component.id);
    if let Some(record) = unit.and_then(ServiceUnit::open_issue)
        && record.start.is_some()
    {
        return refuse(
            Rule::TxFate,
            format!(
                "unit {}'s transfusion started: end it with the volume given",
                component.id
            ),
        );
    }
    if unit.is_some_and(ServiceUnit::is_gone) {
        return refuse(
            Rule::TxFate,
            format!("unit {} has its final fate already", component.id),
        );
    }
    if unit.and_then(ServiceUnit::open_issue).is_none() {
        // In stock: it must be in this service's hands (expired units may be wasted).
        match crate::distribution::received_at_hospital(state, component) {
            Some(h) if h == hospital => {}
            _ => {
                return refuse(
                    Rule::TxUnit,
                    format!(
                        "unit {} is not in hospital {hospital}'s transfusion service",
                        component.id
                    ),
                );
            }
        }
    } else if let Some(u) = unit {
        check_same_hospital(&hospital, &u.hospital, &format!("unit {}", component.id))?;
    }
    Ok(vec![Event::UnitWasted {
        component: component.id.clone(),
        hospital,
        fate: Fate::Wasted {
            reason: text("the reason", reason)?,
            at: ctx.now,
            by: ctx.actor.clone(),
        },
    }])
}

/// TX-FATE: an issued unit not hung, back to stock within the limits.
pub fn return_to_stock(
    state: &State,
    component: &str,
    minutes_out: u32,
    kept_at: Celsius,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let (component, unit, record) = issued(state, component, ctx)?;
    if record.start.is_some() {
        return refuse(
            Rule::TxFate,
            format!(
                "unit {} was hung: a unit that reached the patient never returns to stock",
                component.id
            ),
        );
    }
    check_return(&settings(state, &unit.hospital), minutes_out, kept_at)?;
    Ok(vec![Event::UnitReturnedToStock {
        component: component.id.clone(),
        hospital: unit.hospital.clone(),
        fate: Fate::ReturnedToStock {
            minutes_out,
            kept_at_c: kept_at,
            at: ctx.now,
            by: ctx.actor.clone(),
        },
    }])
}

/// EMERG-RELEASE: each unit checked for an uncrossmatched issue: in the service, groups by
/// the patient's current type when a valid sample is typed (type-specific), else group O red
/// cells (RhD negative for a female under 50 or unknown) and AB plasma; every requirement but
/// antigen typing (which becomes a note).
fn emergency_units(
    state: &State,
    patient: &Patient,
    ids: &[String],
    ctx: &Context,
) -> Result<Vec<(String, Vec<String>)>, Refusal> {
    if ids.is_empty() || ids.len() > MAX_UNITS {
        return refuse(
            Rule::EmergRelease,
            format!("name 1 to {MAX_UNITS} units to release"),
        );
    }
    let known = current_sample(state, patient, ctx)
        .and_then(|s| s.typing)
        .filter(|_| patient.open_discrepancy().is_none());
    let rhd_negative = patient.needs_rhd_negative_in_emergency(ctx.now.date());
    let mut out = Vec::new();
    for id in ids {
        let component = find_component(state, id.trim())?;
        if out.iter().any(|(c, _)| c == &component.id) {
            return refuse(
                Rule::TxInput,
                format!("unit {} is named twice", component.id),
            );
        }
        let unit = check_in_service(state, component, &patient.hospital, ctx.now)?;
        if let Some(record) = unit.and_then(ServiceUnit::open_issue) {
            return refuse(
                Rule::TxUnit,
                format!(
                    "unit {} is issued already (to {})",
                    component.id,
                    name_of(state, &record.issue.patient)
                ),
            );
        }
        if let Some(x) = unit.and_then(|u| u.reserved_for(ctx.now))
            && x.patient != patient.id
        {
            return refuse(
                Rule::TxWrongPatient,
                format!(
                    "unit {} is crossmatched for {}: choose another unit",
                    component.id,
                    name_of(state, &x.patient)
                ),
            );
        }
        let mut notes =
            vec!["UNCROSSMATCHED: issued on a physician's emergency request".to_owned()];
        notes.extend(check_groups(
            component,
            label_group(state, component)?,
            known,
            rhd_negative,
            false,
        )?);
        notes.extend(check_requirements(
            component,
            unit,
            patient,
            Mode::Emergency,
        )?);
        out.push((component.id.clone(), notes));
    }
    Ok(out)
}

fn emergency_issues(
    patient: &Patient,
    release_id: &str,
    units: Vec<(String, Vec<String>)>,
    ctx: &Context,
) -> Vec<Event> {
    units
        .into_iter()
        .map(|(component, notes)| Event::UnitIssued {
            component,
            hospital: patient.hospital.clone(),
            issue: Issue {
                patient: patient.id.clone(),
                at: ctx.now,
                by: ctx.actor.clone(),
                to: "emergency release".to_owned(),
                remote: None,
                emergency: Some(release_id.to_owned()),
                notes,
            },
        })
        .collect()
}

/// What an emergency release or protocol activation names.
pub struct EmergencyRequest<'a> {
    pub release_id: &'a str,
    pub wristband: &'a str,
    pub physician: &'a str,
    pub reason: &'a str,
}

fn new_release(
    state: &State,
    request: &EmergencyRequest<'_>,
    protocol: Option<Protocol>,
    ctx: &Context,
) -> Result<(EmergencyRelease, Patient), Refusal> {
    let patient = patient_here(state, request.wristband, ctx)?;
    let id = text("the release ID", request.release_id)?;
    if state.transfusion.emergencies.contains_key(&id) {
        return refuse(
            Rule::EmergRelease,
            format!("emergency release {id} is already on record"),
        );
    }
    Ok((
        EmergencyRelease {
            id,
            hospital: patient.hospital.clone(),
            patient: patient.id.clone(),
            physician: text("the requesting physician", request.physician)?,
            reason: text("the reason", request.reason)?,
            components: Vec::new(),
            protocol,
            at: ctx.now,
            by: ctx.actor.clone(),
            signature: None,
            review: None,
        },
        patient.clone(),
    ))
}

pub fn release_emergency(
    state: &State,
    request: EmergencyRequest<'_>,
    components: &[String],
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let (mut release, patient) = new_release(state, &request, None, ctx)?;
    let units = emergency_units(state, &patient, components, ctx)?;
    release.components = units.iter().map(|(c, _)| c.clone()).collect();
    let mut events = vec![Event::EmergencyReleased {
        release: Box::new(release.clone()),
    }];
    events.extend(emergency_issues(&patient, &release.id, units, ctx));
    Ok(events)
}

fn release_here<'a>(
    state: &'a State,
    release_id: &str,
    ctx: &Context,
) -> Result<&'a EmergencyRelease, Refusal> {
    let release = state
        .transfusion
        .emergencies
        .get(release_id.trim())
        .ok_or_else(|| Refusal {
            rule: Rule::EmergRelease,
            message: format!("no emergency release {:?} is on record", release_id.trim()),
        })?;
    if ctx.role.is_hospital_bound() {
        let hospital = acting_hospital(state, ctx)?;
        check_same_hospital(
            &hospital,
            &release.hospital,
            &format!("emergency release {}", release.id),
        )?;
    }
    Ok(release)
}

/// EMERG-RELEASE: the physician's signature on the request, recorded from the signed form.
pub fn sign(
    state: &State,
    release_id: &str,
    physician: &str,
    signed_at: time::OffsetDateTime,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let release = release_here(state, release_id, ctx)?;
    if release.signature.is_some() {
        return refuse(
            Rule::EmergRelease,
            format!("emergency release {} is signed already", release.id),
        );
    }
    if signed_at < release.at - time::Duration::hours(1) || signed_at > ctx.now {
        return refuse(
            Rule::TxInput,
            format!(
                "the signature's time {signed_at} is not between the request ({}) and now",
                release.at
            ),
        );
    }
    Ok(vec![Event::EmergencyReleaseSigned {
        release_id: release.id.clone(),
        signature: PhysicianSignature {
            physician: text("the signing physician", physician)?,
            signed_at,
            recorded_at: ctx.now,
            recorded_by: ctx.actor.clone(),
        },
    }])
}

/// QA's review: once the physician has signed and no protocol is still running.
pub fn review(
    state: &State,
    release_id: &str,
    note: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let release = release_here(state, release_id, ctx)?;
    if release.review.is_some() {
        return refuse(
            Rule::EmergRelease,
            format!("emergency release {} is reviewed already", release.id),
        );
    }
    if release.signature.is_none() {
        return refuse(
            Rule::EmergRelease,
            format!(
                "emergency release {} has no physician's signature yet: it cannot be closed without one (606.151(e))",
                release.id
            ),
        );
    }
    if release.is_active_protocol() {
        return refuse(
            Rule::TxMtp,
            format!(
                "protocol {} is still active: stand it down first",
                release.id
            ),
        );
    }
    Ok(vec![Event::EmergencyReleaseReviewed {
        release_id: release.id.clone(),
        review: Review {
            note: text("the review note", note)?,
            at: ctx.now,
            by: ctx.actor.clone(),
        },
    }])
}

pub fn activate_mtp(
    state: &State,
    request: EmergencyRequest<'_>,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let (release, patient) = new_release(state, &request, Some(Protocol::default()), ctx)?;
    if let Some(active) = state
        .transfusion
        .emergencies
        .values()
        .find(|e| e.patient == patient.id && e.is_active_protocol())
    {
        return refuse(
            Rule::TxMtp,
            format!(
                "protocol {} is already active for {}",
                active.id,
                patient.name()
            ),
        );
    }
    Ok(vec![Event::EmergencyReleased {
        release: Box::new(release),
    }])
}

/// TX-MTP: one round: exactly the hospital's pack, each unit under the emergency rules (or
/// group-specific once the patient's current type is known).
pub fn issue_round(
    state: &State,
    release_id: &str,
    components: &[String],
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let release = release_here(state, release_id, ctx)?;
    if !release.is_active_protocol() {
        return refuse(
            Rule::TxMtp,
            format!(
                "{} is not an active massive transfusion protocol",
                release.id
            ),
        );
    }
    let patient = state
        .transfusion
        .patients
        .get(&release.patient)
        .ok_or_else(|| Refusal {
            rule: Rule::TxPatient,
            message: format!(
                "the protocol's patient {} is not on record",
                release.patient
            ),
        })?;
    let units = emergency_units(state, patient, components, ctx)?;
    let pack = &settings(state, &release.hospital).mtp_pack;
    for line in pack {
        let count = units
            .iter()
            .filter(|(id, _)| family_of(state, id) == Some(line.family))
            .count();
        if count != line.quantity as usize {
            return refuse(
                Rule::TxMtp,
                format!(
                    "a round of this hospital's pack has {} {} units; {count} scanned",
                    line.quantity,
                    line.family.describe()
                ),
            );
        }
    }
    if let Some((id, _)) = units
        .iter()
        .find(|(id, _)| !pack.iter().any(|l| Some(l.family) == family_of(state, id)))
    {
        return refuse(
            Rule::TxMtp,
            format!("unit {id} is not part of this hospital's pack"),
        );
    }
    let mut events = vec![Event::MtpRoundIssued {
        release_id: release.id.clone(),
        components: units.iter().map(|(c, _)| c.clone()).collect(),
    }];
    events.extend(emergency_issues(patient, &release.id, units, ctx));
    Ok(events)
}

fn family_of(state: &State, id: &str) -> Option<Family> {
    state.components.get(id).map(|c| c.family)
}

pub fn stand_down(
    state: &State,
    release_id: &str,
    note: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let release = release_here(state, release_id, ctx)?;
    if !release.is_active_protocol() {
        return refuse(
            Rule::TxMtp,
            format!(
                "{} is not an active massive transfusion protocol",
                release.id
            ),
        );
    }
    Ok(vec![Event::MtpStoodDown {
        release_id: release.id.clone(),
        review: Review {
            note: text("the note", note)?,
            at: ctx.now,
            by: ctx.actor.clone(),
        },
    }])
}
