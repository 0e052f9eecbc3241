//! Biological product deviations (21 CFR 606.171; BPD-45) and transfusion fatalities
//! (21 CFR 606.170(b); FATAL-7), each on its clock.
//!
//! A deviation is opened from the record it was found on (a unit, a donation, a donor, a QA
//! task such as post-donation information's review, a lookback, a recall, a reaction). It is
//! reportable only when a unit it concerns has left our control (606.171(b)): the report is then
//! due 45 calendar days from the day it was discovered. It closes once investigated (root
//! cause, corrective action) and, when reportable, reported.
//!
//! A fatality is told to CBER at once (due the day it is learnt of) and in writing within 7
//! days of the death. A reaction reported with severity "death" opens one by itself.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::Context;
use crate::command::Event;
use crate::kernel::refusal::{Refusal, Rule, refuse};
use crate::lookback::Event as LookbackEvent;
use crate::lookback::clocks;
use crate::lookback::command::Done;
use crate::lookback::lookbacks::local_date;
use crate::lookback::trace;
use crate::state::State;

/// The most units one deviation names.
pub const MAX_UNITS: usize = 1_000;

/// The record a deviation was found on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum Subject {
    Component {
        id: String,
    },
    Donation {
        din: String,
    },
    Donor {
        donor_id: String,
    },
    /// A QA task (post-donation information's deviation review).
    Task {
        task_id: String,
    },
    Lookback {
        lookback_id: String,
    },
    Recall {
        recall_id: String,
    },
    Reaction {
        reaction_id: String,
    },
}

impl Subject {
    pub fn describe(&self) -> String {
        match self {
            Subject::Component { id } => format!("unit {id}"),
            Subject::Donation { din } => format!("donation {din}"),
            Subject::Donor { donor_id } => format!("donor {donor_id}"),
            Subject::Task { task_id } => format!("task {task_id}"),
            Subject::Lookback { lookback_id } => format!("lookback {lookback_id}"),
            Subject::Recall { recall_id } => format!("recall {recall_id}"),
            Subject::Reaction { reaction_id } => format!("reaction {reaction_id}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Filed {
    pub text: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Investigation {
    pub root_cause: String,
    pub corrective_action: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deviation {
    pub id: String,
    pub subject: Subject,
    pub description: String,
    pub discovered_on: Date,
    #[serde(default)]
    pub occurred_on: Option<Date>,
    pub units: Vec<String>,
    /// Whether a unit had left our control when the deviation was opened (606.171(b)).
    pub distributed: bool,
    /// BPD-45: when the report is due; none when not reportable.
    #[serde(default)]
    pub report_due: Option<Date>,
    #[serde(default)]
    pub investigation: Option<Investigation>,
    /// The FDA report's reference (eSubmitter confirmation).
    #[serde(default)]
    pub report: Option<Filed>,
    #[serde(default)]
    pub closed: Option<Filed>,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    pub opened_by: String,
}

impl Deviation {
    pub fn is_open(&self) -> bool {
        self.closed.is_none()
    }
}

/// The units a subject concerns, when the command names none.
fn units_of_subject(state: &State, subject: &Subject) -> Vec<String> {
    let dins = match subject {
        Subject::Component { id } => return vec![id.clone()],
        Subject::Donation { din } => vec![din.clone()],
        Subject::Donor { donor_id } => state
            .donors
            .get(donor_id)
            .map(|d| d.donations.clone())
            .unwrap_or_default(),
        Subject::Task { task_id } => {
            return state
                .tasks
                .get(task_id)
                .map(|t| units_of_task(state, t))
                .unwrap_or_default();
        }
        Subject::Lookback { lookback_id } => state
            .lookback
            .lookbacks
            .get(lookback_id)
            .map(|l| l.window.donations.clone())
            .unwrap_or_default(),
        Subject::Recall { recall_id } => {
            return state
                .lookback
                .recalls
                .get(recall_id)
                .map(|r| r.units.iter().map(|u| u.component.clone()).collect())
                .unwrap_or_default();
        }
        Subject::Reaction { reaction_id } => {
            return state
                .transfusion
                .reactions
                .get(reaction_id)
                .map(|r| vec![r.component.clone()])
                .unwrap_or_default();
        }
    };
    unit_ids(state, &dins)
}

/// The IDs of every unit made from `dins`.
fn unit_ids(state: &State, dins: &[String]) -> Vec<String> {
    trace::units_of(state, dins)
        .into_iter()
        .map(|c| c.id.clone())
        .collect()
}

/// The units a QA task concerns: its donation's, or every donation's of its donor.
pub(crate) fn units_of_task(state: &State, task: &crate::release::Task) -> Vec<String> {
    let dins = match (&task.din, &task.donor_id) {
        (Some(din), _) => vec![din.clone()],
        (None, Some(donor)) => state
            .donors
            .get(donor)
            .map(|d| d.donations.clone())
            .unwrap_or_default(),
        (None, None) => Vec::new(),
    };
    unit_ids(state, &dins)
}

fn check_subject(state: &State, subject: &Subject) -> Result<(), Refusal> {
    let found = match subject {
        Subject::Component { id } => state.components.contains_key(id),
        Subject::Donation { din } => state.donations.contains_key(din),
        Subject::Donor { donor_id } => state.donors.contains_key(donor_id),
        Subject::Task { task_id } => state.tasks.contains_key(task_id),
        Subject::Lookback { lookback_id } => state.lookback.lookbacks.contains_key(lookback_id),
        Subject::Recall { recall_id } => state.lookback.recalls.contains_key(recall_id),
        Subject::Reaction { reaction_id } => state.transfusion.reactions.contains_key(reaction_id),
    };
    if found {
        Ok(())
    } else {
        refuse(
            Rule::NotFound,
            format!("{} is not on record", subject.describe()),
        )
    }
}

/// What a new deviation says; its units are the subject's when it names none.
pub(crate) struct NewDeviation<'a> {
    pub subject: Subject,
    pub discovered_on: Date,
    pub occurred_on: Option<Date>,
    pub description: &'a str,
    pub units: Vec<String>,
}

/// The deviation a decision opens, numbered after `earlier` others of the same decision.
pub(crate) fn deviation(
    state: &State,
    new: NewDeviation<'_>,
    earlier: usize,
    ctx: &Context,
) -> Deviation {
    let NewDeviation {
        subject,
        discovered_on,
        occurred_on,
        description,
        units,
    } = new;
    let units = if units.is_empty() {
        units_of_subject(state, &subject)
    } else {
        units
    };
    let distributed = units.iter().any(|id| {
        state
            .components
            .get(id)
            .is_some_and(|c| trace::whereabouts(state, c).consignee().is_some())
    });
    Deviation {
        id: format!("DV-{:06}", state.lookback.deviations.len() + earlier + 1),
        subject,
        description: description.trim().to_owned(),
        discovered_on,
        occurred_on,
        units,
        distributed,
        report_due: distributed.then(|| clocks::deviation_report_due(discovered_on)),
        investigation: None,
        report: None,
        closed: None,
        opened_at: ctx.now,
        opened_by: ctx.actor.clone(),
    }
}

/// BPD-45: open a deviation on a record.
pub(crate) fn open(
    state: &State,
    subject: &Subject,
    discovered_on: Date,
    occurred_on: Option<Date>,
    description: &str,
    units: &[String],
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    check_subject(state, subject)?;
    crate::lookback::check_text("description", description)?;
    let today = local_date(state, ctx.now);
    if discovered_on > today {
        return refuse(
            Rule::Bpd45,
            format!("discovered on {discovered_on} is after today ({today})"),
        );
    }
    if let Some(occurred) = occurred_on
        && occurred > discovered_on
    {
        return refuse(
            Rule::Bpd45,
            format!("the event ({occurred}) cannot follow its discovery ({discovered_on})"),
        );
    }
    if units.len() > MAX_UNITS {
        return refuse(
            Rule::LbInput,
            format!(
                "a deviation names at most {MAX_UNITS} units, not {}",
                units.len()
            ),
        );
    }
    for id in units {
        crate::manufacturing::find_component(state, id)?;
    }
    let deviation = deviation(
        state,
        NewDeviation {
            subject: subject.clone(),
            discovered_on,
            occurred_on,
            description,
            units: units.to_vec(),
        },
        0,
        ctx,
    );
    Ok(vec![Event::Lookback(LookbackEvent::DeviationOpened {
        deviation: Box::new(deviation),
    })])
}

fn find_open<'a>(state: &'a State, id: &str) -> Result<&'a Deviation, Refusal> {
    let Some(deviation) = state.lookback.deviations.get(id) else {
        return refuse(Rule::NotFound, format!("no deviation {id}"));
    };
    if !deviation.is_open() {
        return refuse(Rule::Bpd45, format!("deviation {id} is closed"));
    }
    Ok(deviation)
}

pub(crate) fn investigate(
    state: &State,
    id: &str,
    root_cause: &str,
    corrective_action: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    find_open(state, id)?;
    crate::lookback::check_text("root cause", root_cause)?;
    crate::lookback::check_text("corrective action", corrective_action)?;
    Ok(vec![Event::Lookback(
        LookbackEvent::DeviationInvestigated {
            deviation_id: id.to_owned(),
            root_cause: root_cause.trim().to_owned(),
            corrective_action: corrective_action.trim().to_owned(),
            at: ctx.now,
            by: ctx.actor.clone(),
        },
    )])
}

/// BPD-45: only a distributed product's deviation is reported (606.171(b)).
pub(crate) fn report(
    state: &State,
    id: &str,
    reference: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let deviation = find_open(state, id)?;
    if !deviation.distributed {
        return refuse(
            Rule::Bpd45,
            format!(
                "deviation {id} is not reportable under 606.171: none of its units left our control"
            ),
        );
    }
    if let Some(report) = &deviation.report {
        return refuse(
            Rule::Bpd45,
            format!(
                "deviation {id} was reported by {} at {}",
                report.by, report.at
            ),
        );
    }
    crate::lookback::check_text("reference", reference)?;
    Ok(vec![Event::Lookback(LookbackEvent::DeviationReported {
        deviation_id: id.to_owned(),
        reference: reference.trim().to_owned(),
        at: ctx.now,
        by: ctx.actor.clone(),
    })])
}

pub(crate) fn close(
    state: &State,
    id: &str,
    reason: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let deviation = find_open(state, id)?;
    if deviation.investigation.is_none() {
        return refuse(
            Rule::Bpd45,
            format!(
                "deviation {id} cannot close before its root cause and corrective action are recorded"
            ),
        );
    }
    if deviation.distributed && deviation.report.is_none() {
        return refuse(
            Rule::Bpd45,
            format!(
                "deviation {id} concerns a distributed product: report it to FDA (due {}) before closing",
                deviation
                    .report_due
                    .map_or_else(|| "now".to_owned(), |d| d.to_string())
            ),
        );
    }
    crate::lookback::check_text("reason", reason)?;
    Ok(vec![Event::Lookback(LookbackEvent::DeviationClosed {
        deviation_id: id.to_owned(),
        reason: reason.trim().to_owned(),
        at: ctx.now,
        by: ctx.actor.clone(),
    })])
}

/// FATAL-7: a transfusion fatality and its two clocks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Fatality {
    pub id: String,
    pub hospital: String,
    pub patient: String,
    pub component: String,
    #[serde(default)]
    pub reaction: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub died_at: OffsetDateTime,
    pub description: String,
    /// CBER is told at once: due the day the fatality is learnt of.
    pub notice_due: Date,
    /// The written report: 7 days after the fatality.
    pub written_due: Date,
    #[serde(default)]
    pub notified: Option<Done>,
    #[serde(default)]
    pub written: Option<Filed>,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    pub opened_by: String,
}

impl Fatality {
    pub fn is_open(&self) -> bool {
        self.notified.is_none() || self.written.is_none()
    }
}

/// What a new fatality report says.
pub(crate) struct NewFatality<'a> {
    pub hospital: &'a str,
    pub patient: &'a str,
    pub component: &'a str,
    pub reaction: Option<&'a str>,
    pub died_at: OffsetDateTime,
    pub description: &'a str,
}

/// The fatality record a decision opens, numbered after `earlier` others of it.
pub(crate) fn fatality(
    state: &State,
    new: NewFatality<'_>,
    earlier: usize,
    ctx: &Context,
) -> Fatality {
    Fatality {
        id: format!("FR-{:06}", state.lookback.fatalities.len() + earlier + 1),
        hospital: new.hospital.to_owned(),
        patient: new.patient.to_owned(),
        component: new.component.to_owned(),
        reaction: new.reaction.map(str::to_owned),
        died_at: new.died_at,
        description: new.description.trim().to_owned(),
        notice_due: local_date(state, ctx.now),
        written_due: clocks::fatality_written_report_due(local_date(state, new.died_at)),
        notified: None,
        written: None,
        opened_at: ctx.now,
        opened_by: ctx.actor.clone(),
    }
}

/// FATAL-7 by hand: the patient must be one of the hospital's and the unit one they received.
pub(crate) fn report_fatality(
    state: &State,
    hospital: &str,
    patient: &str,
    component: &str,
    died_at: OffsetDateTime,
    description: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    if ctx.role.is_hospital_bound() {
        let own = crate::transfusion::acting_hospital(state, ctx)?;
        if own != hospital {
            return refuse(
                Rule::P11Access,
                format!("{} acts for hospital {own}, not for {hospital}", ctx.actor),
            );
        }
    }
    if !state.hospitals.contains_key(hospital) {
        return refuse(Rule::NotFound, format!("no hospital {hospital}"));
    }
    crate::manufacturing::find_component(state, component)?;
    if died_at > ctx.now {
        return refuse(Rule::Fatal7, format!("the death ({died_at}) is after now"));
    }
    crate::lookback::check_text("patient", patient)?;
    crate::lookback::check_text("description", description)?;
    let fatality = fatality(
        state,
        NewFatality {
            hospital,
            patient,
            component,
            reaction: None,
            died_at,
            description,
        },
        0,
        ctx,
    );
    Ok(vec![Event::Lookback(LookbackEvent::FatalityOpened {
        fatality: Box::new(fatality),
    })])
}

fn find_fatality<'a>(state: &'a State, id: &str) -> Result<&'a Fatality, Refusal> {
    state
        .lookback
        .fatalities
        .get(id)
        .ok_or_else(|| Refusal::new(Rule::NotFound, format!("no fatality report {id}")))
}

pub(crate) fn notify_fatality(
    state: &State,
    id: &str,
    contact: &str,
    method: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let fatality = find_fatality(state, id)?;
    if let Some(done) = &fatality.notified {
        return refuse(
            Rule::Fatal7,
            format!("CBER was told of {id} by {} at {}", done.by, done.at),
        );
    }
    crate::lookback::check_text("contact", contact)?;
    crate::lookback::check_text("method", method)?;
    Ok(vec![Event::Lookback(LookbackEvent::FatalityNotified {
        fatality_id: id.to_owned(),
        done: Done {
            at: ctx.now,
            by: ctx.actor.clone(),
            contact: contact.trim().to_owned(),
            method: method.trim().to_owned(),
        },
    })])
}

pub(crate) fn send_fatality_report(
    state: &State,
    id: &str,
    reference: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let fatality = find_fatality(state, id)?;
    if fatality.notified.is_none() {
        return refuse(
            Rule::Fatal7,
            format!("{id}: record the notice to CBER (due at once) before the written report"),
        );
    }
    if let Some(written) = &fatality.written {
        return refuse(
            Rule::Fatal7,
            format!(
                "the written report of {id} was sent by {} at {}",
                written.by, written.at
            ),
        );
    }
    crate::lookback::check_text("reference", reference)?;
    Ok(vec![Event::Lookback(LookbackEvent::FatalityReportSent {
        fatality_id: id.to_owned(),
        reference: reference.trim().to_owned(),
        at: ctx.now,
        by: ctx.actor.clone(),
    })])
}
