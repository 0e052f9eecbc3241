//! The technologist's bench: patients, samples, type and screen, unit retype and antigen
//! typing, crossmatch. Each function decides one command.

use crate::Context;
use crate::kernel::refusal::{Refusal, Rule, refuse};
use crate::kernel::{Abo, RhD};
use crate::manufacturing::{Component, find_component};
use crate::state::State;
use crate::transfusion::Event;
use crate::transfusion::command::HistoricalGroup;
use crate::transfusion::patients::{
    self, Antibody, Antigen, Determination, Patient, PatientSex, RecentHistory, Requirement,
    RequirementRecord, Wristband, text,
};
use crate::transfusion::samples::{self, Sample, Screen};
use crate::transfusion::service::{acting_hospital, check_same_hospital, local_offset, settings};
use crate::transfusion::units::{
    self, Crossmatch, Mode, Retype, XmMethod, check_groups, check_held, check_in_service,
    check_requirements, has_red_cells, label_group,
};

/// The patient fields of `RegisterPatient`.
pub struct NewPatient<'a> {
    pub wristband: &'a str,
    pub mrn: &'a str,
    pub family_name: &'a str,
    pub given_name: &'a str,
    pub sex: PatientSex,
    pub born: Option<time::Date>,
    pub recent_history: RecentHistory,
    pub historical_group: Option<HistoricalGroup>,
    pub known_antibodies: &'a [Antigen],
    pub requirements: &'a [Requirement],
}

/// TX-PATIENT: a new patient: the wristband's number and the MRN are each new at the
/// hospital (a second record for one person is how wrong blood reaches a patient).
pub fn register_patient(
    state: &State,
    new: NewPatient<'_>,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let hospital = acting_hospital(state, ctx)?;
    let wristband = Wristband::parse(new.wristband)?;
    let mrn = text("the MRN", new.mrn)?;
    let id = patients::patient_id(&hospital, &wristband);
    if let Some(existing) = state.transfusion.patients.get(&id) {
        return refuse(
            Rule::TxPatient,
            format!(
                "wristband {} is already {}'s (MRN {}): scan it to find the patient",
                wristband.key(),
                existing.name(),
                existing.mrn
            ),
        );
    }
    if let Some(existing) = state
        .transfusion
        .patients
        .values()
        .find(|p| p.hospital == hospital && p.mrn.eq_ignore_ascii_case(&mrn))
    {
        return refuse(
            Rule::TxPatient,
            format!(
                "MRN {mrn} is already {}'s (wristband {}): two records for one patient are \
                 refused; use that record, or correct the MRN",
                existing.name(),
                existing.wristband.key()
            ),
        );
    }
    let born = match (wristband.born, new.born) {
        (Some(scanned), Some(given)) if scanned != given => {
            return refuse(
                Rule::TxPatient,
                format!("the date of birth {given} is not the wristband's ({scanned})"),
            );
        }
        (scanned, given) => scanned.or(given),
    };
    if born.is_some_and(|b| b > ctx.now.date()) {
        return refuse(Rule::TxInput, "the date of birth is in the future");
    }
    let mut determinations = Vec::new();
    if let Some(group) = new.historical_group {
        determinations.push(Determination {
            sample: None,
            abo: group.abo,
            rhd: group.rhd,
            at: ctx.now,
            by: ctx.actor.clone(),
        });
    }
    let reason = "on the patient's record at registration".to_owned();
    let patient = Patient {
        id,
        hospital,
        mrn,
        family_name: text("the family name", new.family_name)?,
        given_name: text("the given name", new.given_name)?,
        sex: new.sex,
        born,
        recent_history: new.recent_history,
        determinations,
        discrepancies: Vec::new(),
        antibodies: new
            .known_antibodies
            .iter()
            .map(|&antigen| Antibody {
                antigen,
                sample: None,
                at: ctx.now,
                by: ctx.actor.clone(),
            })
            .collect(),
        requirements: new
            .requirements
            .iter()
            .map(|&requirement| RequirementRecord {
                requirement,
                reason: reason.clone(),
                at: ctx.now,
                by: ctx.actor.clone(),
            })
            .collect(),
        wristband,
        registered_at: ctx.now,
        registered_by: ctx.actor.clone(),
    };
    Ok(vec![Event::PatientRegistered {
        patient: Box::new(patient),
    }])
}

/// The patient a wristband names at the actor's hospital.
fn patient<'a>(state: &'a State, wristband: &str, ctx: &Context) -> Result<&'a Patient, Refusal> {
    let hospital = acting_hospital(state, ctx)?;
    patients::by_wristband(state, &hospital, wristband)
}

pub fn add_requirement(
    state: &State,
    wristband: &str,
    requirement: Requirement,
    reason: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let patient = patient(state, wristband, ctx)?;
    if patient
        .requirements
        .iter()
        .any(|r| r.requirement == requirement)
    {
        return refuse(
            Rule::TxRequire,
            format!(
                "{} already needs {} units",
                patient.name(),
                requirement.describe()
            ),
        );
    }
    Ok(vec![Event::RequirementAdded {
        patient: patient.id.clone(),
        record: RequirementRecord {
            requirement,
            reason: text("the reason", reason)?,
            at: ctx.now,
            by: ctx.actor.clone(),
        },
    }])
}

/// XM-SAMPLE: a sample received with its label scanned; its validity fixed at receipt.
pub fn receive_sample(
    state: &State,
    sample_id: &str,
    wristband: &str,
    drawn_at: time::OffsetDateTime,
    drawn_by: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let patient = patient(state, wristband, ctx)?;
    let id = text("the sample ID", sample_id)?;
    if state.transfusion.samples.contains_key(&id) {
        return refuse(
            Rule::TxType,
            format!("sample {id} is already on record: each tube has its own ID"),
        );
    }
    let settings = settings(state, &patient.hospital);
    let valid_until = samples::valid_until(
        &settings,
        local_offset(state, &settings),
        patient.recent_history,
        drawn_at,
    );
    samples::check_drawn_at(drawn_at, valid_until, ctx)?;
    Ok(vec![Event::SampleReceived {
        sample: Sample {
            id,
            patient: patient.id.clone(),
            hospital: patient.hospital.clone(),
            drawn_at,
            drawn_by: text("who drew the sample", drawn_by)?,
            received_at: ctx.now,
            received_by: ctx.actor.clone(),
            valid_until,
            typing: None,
            screen: None,
            identified: Vec::new(),
            voided: None,
        },
    }])
}

/// A sample of the actor's hospital, in date and not set aside.
fn usable_sample<'a>(state: &'a State, id: &str, ctx: &Context) -> Result<&'a Sample, Refusal> {
    let hospital = acting_hospital(state, ctx)?;
    let sample = samples::find(state, id)?;
    check_same_hospital(
        &hospital,
        &sample.hospital,
        &format!("sample {}", sample.id),
    )?;
    if let Some(why) = &sample.voided {
        return refuse(
            Rule::TxType,
            format!("sample {} was set aside ({why})", sample.id),
        );
    }
    if !sample.is_valid(ctx.now) {
        return refuse(
            Rule::XmSample,
            format!(
                "sample {} expired at {}: draw a new sample",
                sample.id, sample.valid_until
            ),
        );
    }
    Ok(sample)
}

/// TX-TYPE: the sample's group, checked against every earlier determination.
pub fn type_sample(
    state: &State,
    sample_id: &str,
    abo: Abo,
    rhd: RhD,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let sample = usable_sample(state, sample_id, ctx)?;
    if sample.typing.is_some() {
        return refuse(
            Rule::TxType,
            format!(
                "sample {} is typed already: a second determination is made on a separately drawn sample",
                sample.id
            ),
        );
    }
    let patient = patients_of(state, sample)?;
    Ok(vec![Event::SampleTyped {
        sample_id: sample.id.clone(),
        patient: patient.id.clone(),
        abo,
        rhd,
        discrepant_with: samples::disagreement(patient, (abo, rhd)),
        at: ctx.now,
        by: ctx.actor.clone(),
    }])
}

fn patients_of<'a>(state: &'a State, sample: &Sample) -> Result<&'a Patient, Refusal> {
    state
        .transfusion
        .patients
        .get(&sample.patient)
        .ok_or_else(|| Refusal {
            rule: Rule::TxPatient,
            message: format!("sample {}'s patient is not on record", sample.id),
        })
}

pub fn screen_sample(
    state: &State,
    sample_id: &str,
    positive: bool,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let sample = usable_sample(state, sample_id, ctx)?;
    if sample.screen.is_some() {
        return refuse(
            Rule::TxType,
            format!("sample {}'s antibody screen is recorded already", sample.id),
        );
    }
    Ok(vec![Event::SampleScreened {
        sample_id: sample.id.clone(),
        screen: Screen {
            positive,
            at: ctx.now,
            by: ctx.actor.clone(),
        },
    }])
}

pub fn identify_antibodies(
    state: &State,
    sample_id: &str,
    antigens: &[Antigen],
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let sample = usable_sample(state, sample_id, ctx)?;
    if !sample.screen.as_ref().is_some_and(|s| s.positive) {
        return refuse(
            Rule::TxRequire,
            format!(
                "sample {}'s screen is not positive: antibodies are identified on a positive screen",
                sample.id
            ),
        );
    }
    if antigens.is_empty() || antigens.len() > Antigen::ALL.len() {
        return refuse(Rule::TxInput, "name at least one antibody (by its antigen)");
    }
    let patient = patients_of(state, sample)?;
    Ok(vec![Event::AntibodiesIdentified {
        sample_id: sample.id.clone(),
        patient: patient.id.clone(),
        antigens: antigens.to_vec(),
        at: ctx.now,
        by: ctx.actor.clone(),
    }])
}

pub fn resolve_discrepancy(
    state: &State,
    sample_id: &str,
    sample_wrong: bool,
    reason: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let hospital = acting_hospital(state, ctx)?;
    let sample = samples::find(state, sample_id)?;
    check_same_hospital(
        &hospital,
        &sample.hospital,
        &format!("sample {}", sample.id),
    )?;
    let patient = patients_of(state, sample)?;
    let open = patient
        .discrepancies
        .iter()
        .any(|d| d.sample == sample.id && d.resolution.is_none());
    if !open {
        return refuse(
            Rule::TxType,
            format!("sample {} has no open typing discrepancy", sample.id),
        );
    }
    Ok(vec![Event::DiscrepancyResolved {
        sample_id: sample.id.clone(),
        patient: patient.id.clone(),
        sample_wrong,
        reason: text("the reason", reason)?,
        at: ctx.now,
        by: ctx.actor.clone(),
    }])
}

/// A unit of the actor's hospital's service.
fn unit_here<'a>(
    state: &'a State,
    component: &str,
    ctx: &Context,
) -> Result<(&'a Component, String), Refusal> {
    let hospital = acting_hospital(state, ctx)?;
    let component = find_component(state, component.trim())?;
    check_held(state, component, &hospital, ctx.now)?;
    Ok((component, hospital))
}

/// XM-RETYPE: the unit's ABO (and RhD when labelled negative) against its label; a
/// disagreement is recorded and stops the unit.
pub fn retype_unit(
    state: &State,
    component: &str,
    abo: Abo,
    rhd: Option<RhD>,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let (component, hospital) = unit_here(state, component, ctx)?;
    if !units::needs_retype(component) {
        return refuse(
            Rule::XmRetype,
            format!(
                "unit {} has no red cells: only red-cell units are retyped",
                component.id
            ),
        );
    }
    if state
        .transfusion
        .units
        .get(&component.id)
        .is_some_and(|u| u.retype.is_some())
    {
        return refuse(
            Rule::XmRetype,
            format!("unit {} is retyped already", component.id),
        );
    }
    let label = label_group(state, component)?;
    let matches = units::retype_result(label, abo, rhd)?;
    Ok(vec![Event::UnitRetyped {
        component: component.id.clone(),
        hospital,
        retype: Retype {
            abo,
            rhd,
            matches,
            at: ctx.now,
            by: ctx.actor.clone(),
        },
    }])
}

pub fn type_unit_antigen(
    state: &State,
    component: &str,
    antigen: Antigen,
    negative: bool,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let (component, hospital) = unit_here(state, component, ctx)?;
    if !has_red_cells(component) {
        return refuse(
            Rule::TxRequire,
            format!("unit {} has no red cells to antigen-type", component.id),
        );
    }
    Ok(vec![Event::UnitAntigenTyped {
        component: component.id.clone(),
        hospital,
        antigen,
        negative,
        at: ctx.now,
        by: ctx.actor.clone(),
    }])
}

/// What a crossmatch is asked to record.
pub struct CrossmatchRequest<'a> {
    pub sample_id: &'a str,
    pub wristband: &'a str,
    pub component: &'a str,
    pub method: XmMethod,
    pub compatible: Option<bool>,
    pub rhd_approved_by: Option<&'a str>,
}

/// A crossmatch: every check a unit must pass for the patient, then the method's own.
pub fn crossmatch(
    state: &State,
    request: CrossmatchRequest<'_>,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let patient = patient(state, request.wristband, ctx)?;
    let sample = samples::of_patient(state, request.sample_id, patient)?;
    let component = find_component(state, request.component.trim())?;
    if !has_red_cells(component) {
        return refuse(
            Rule::TxInput,
            format!(
                "unit {} has no red cells: plasma, platelets and cryo are issued on the patient's current type without a crossmatch",
                component.id
            ),
        );
    }
    let retrospective = state
        .transfusion
        .units
        .get(&component.id)
        .and_then(|u| u.open_issue())
        .is_some_and(|r| r.issue.emergency.is_some() && r.issue.patient == patient.id);
    let mode = if retrospective {
        Mode::Retrospective
    } else {
        Mode::Routine
    };
    suitable(
        state,
        component,
        patient,
        sample,
        mode,
        request.rhd_approved_by.is_some(),
        ctx,
    )?;
    let compatible = match (request.method, request.compatible) {
        (XmMethod::Electronic, None) => {
            electronic_eligibility(state, patient, sample)?;
            true
        }
        (XmMethod::Electronic, Some(_)) => {
            return refuse(
                Rule::TxInput,
                "an electronic crossmatch has no reading: the system compares the groups",
            );
        }
        (XmMethod::ImmediateSpin, _) if needs_antiglobulin(patient, sample) => {
            return refuse(
                Rule::TxRequire,
                format!(
                    "{} has a positive screen or a clinically significant antibody: crossmatch by the antiglobulin phase",
                    patient.name()
                ),
            );
        }
        (_, None) => {
            return refuse(
                Rule::TxInput,
                "a serologic crossmatch needs its reading: compatible or incompatible",
            );
        }
        (_, Some(reading)) => reading,
    };
    let rhd_approved_by = request
        .rhd_approved_by
        .map(|p| text("the approving physician", p))
        .transpose()?;
    Ok(vec![Event::CrossmatchRecorded {
        component: component.id.clone(),
        hospital: patient.hospital.clone(),
        crossmatch: Crossmatch {
            patient: patient.id.clone(),
            sample: sample.id.clone(),
            method: request.method,
            compatible,
            rhd_approved_by,
            retrospective,
            reserved_until: sample.valid_until,
            at: ctx.now,
            by: ctx.actor.clone(),
        },
    }])
}

/// TX-REQUIRE: whether only an antiglobulin crossmatch will do.
pub fn needs_antiglobulin(patient: &Patient, sample: &Sample) -> bool {
    sample.screen.as_ref().is_some_and(|s| s.positive)
        || patient.significant_antibodies().next().is_some()
}

/// XM-ELECTRONIC: the conditions of FDA's computer-crossmatch guidance, each named.
pub fn electronic_eligibility(
    state: &State,
    patient: &Patient,
    sample: &Sample,
) -> Result<(), Refusal> {
    let refuse_because = |why: String| {
        refuse(
            Rule::XmElectronic,
            format!("no electronic crossmatch for {}: {why}", patient.name()),
        )
    };
    if !settings(state, &patient.hospital).electronic_crossmatch {
        return refuse_because(
            "this hospital's electronic crossmatch is not validated (settings); crossmatch serologically".to_owned(),
        );
    }
    if !patient.group_confirmed() {
        return refuse_because(
            "the ABO/RhD is not confirmed by a second determination (a separately drawn sample or the historical record)".to_owned(),
        );
    }
    if sample.screen.as_ref().is_some_and(|s| s.positive) {
        return refuse_because(format!(
            "sample {}'s antibody screen is positive",
            sample.id
        ));
    }
    if let Some(antigen) = patient.significant_antibodies().next() {
        return refuse_because(format!(
            "anti-{} is on the patient's record; crossmatch by the antiglobulin phase",
            antigen.as_str()
        ));
    }
    Ok(())
}

/// Every check a red-cell unit (or any unit at issue) passes for the patient: the sample
/// ready and agreeing with the patient's group, the unit in the service and not reserved for
/// someone else, the groups (COMPAT-*) and the requirements (TX-REQUIRE). Returns the notes
/// to show with the issue.
pub fn suitable(
    state: &State,
    component: &Component,
    patient: &Patient,
    sample: &Sample,
    mode: Mode,
    rhd_approved: bool,
    ctx: &Context,
) -> Result<Vec<String>, Refusal> {
    let group = sample.ready(ctx.now)?;
    if let Some(d) = patient.open_discrepancy() {
        return refuse(
            Rule::TxType,
            format!(
                "{}'s ABO/RhD is discrepant (sample {} typed {} {}, the record says {} {}): resolve it before any crossmatch or issue",
                patient.name(),
                d.sample,
                d.found.0.as_str(),
                rhd_word(d.found.1),
                d.expected.0.as_str(),
                rhd_word(d.expected.1)
            ),
        );
    }
    let unit = check_in_service(state, component, &patient.hospital, ctx.now)?;
    if mode != Mode::Retrospective
        && let Some(record) = unit.and_then(|u| u.open_issue())
    {
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
                "unit {} is crossmatched for {}, not for {}: choose another unit",
                component.id,
                name_of(state, &x.patient),
                patient.name()
            ),
        );
    }
    let mut notes = check_groups(
        component,
        label_group(state, component)?,
        Some(group),
        false,
        rhd_approved,
    )?;
    notes.extend(check_requirements(component, unit, patient, mode)?);
    Ok(notes)
}

/// A unit that suits a patient, with the notes an issue of it would carry.
pub type SuitableUnit<'a> = (&'a Component, Vec<String>);

/// The units in `patient`'s hospital service that suit the patient at `now` on their newest
/// ready sample (COMPAT-*, TX-REQUIRE, TX-UNIT, XM-RETYPE; red cells still to be crossmatched),
/// with the notes an issue would carry; and the sample they were chosen on. None without a
/// valid typed and screened sample. A page's read: it looks at every unit at the hospital.
pub fn suitable_units<'a>(
    state: &'a State,
    patient: &Patient,
    now: time::OffsetDateTime,
) -> Option<(&'a Sample, Vec<SuitableUnit<'a>>)> {
    let sample = samples::current(state, patient, now)?;
    let ctx = Context {
        actor: String::new(),
        role: crate::kernel::Role::TransfusionTechnologist,
        now,
        stamp: crate::Stamp::Planned,
    };
    let units = state
        .components
        .values()
        .filter(|c| crate::distribution::received_at_hospital(state, c) == Some(&patient.hospital))
        .filter_map(|c| {
            suitable(state, c, patient, sample, Mode::Routine, false, &ctx)
                .ok()
                .map(|notes| (c, notes))
        })
        .collect();
    Some((sample, units))
}

pub fn rhd_word(rhd: RhD) -> &'static str {
    match rhd {
        RhD::Positive => "RhD positive",
        RhD::Negative => "RhD negative",
    }
}

/// A patient's name by ID, for messages.
pub fn name_of(state: &State, patient: &str) -> String {
    state
        .transfusion
        .patients
        .get(patient)
        .map_or_else(|| patient.to_owned(), Patient::name)
}
