//! What other areas' events start here, in the same decision: a reactive screening result of
//! an agent of the lookback table starts a lookback (LB-WINDOW), its supplemental result is
//! linked to it (LB-DEADLINES), post-donation information's deviation review opens a
//! deviation (REL-PDI, BPD-45), and a reaction reported with severity death opens a fatality
//! report (FATAL-7). Decided on the state before the decision, like the rest of it.

use crate::command::Event;
use crate::donor_centre::ScreeningCorrection;
use crate::lab::{MarkerStatus, Reading, Stage};
use crate::lookback::Event as LookbackEvent;
use crate::lookback::deviations::{self, NewDeviation, NewFatality, Subject};
use crate::lookback::lookbacks::{self, Found, Supplemental, SupplementalOutcome, Trigger};
use crate::release::{HoldKind, HoldTarget};
use crate::release::{HoldPlan, TaskKind};
use crate::state::State;
use crate::transfusion::emergency::Severity;
use crate::{Context, DonorCentreEvent, LabEvent, ReleaseEvent, TransfusionEvent};

/// `events` and what they start here.
pub(crate) fn consequences(state: &State, events: Vec<Event>, ctx: &Context) -> Vec<Event> {
    let mut more = Vec::new();
    let mut holds = HoldPlan::new(state);
    let mut started: Vec<(String, String)> = Vec::new();
    let mut deviations = 0;
    let mut fatalities = 0;
    for event in &events {
        match event {
            Event::Lab(LabEvent::TestResultRecorded {
                din,
                test,
                stage,
                reading,
                status,
                ..
            }) => {
                if *stage == Stage::Supplemental {
                    more.extend(supplemental(state, din, test, *reading, ctx));
                } else if status.is_unsuitable() {
                    more.extend(reactive(state, &mut holds, &mut started, din, test, ctx));
                }
            }
            Event::Lab(LabEvent::TestResultCorrected {
                din,
                test,
                was,
                now,
                ..
            }) if now.is_unsuitable() && !was.is_unsuitable() => {
                more.extend(reactive(state, &mut holds, &mut started, din, test, ctx));
            }
            Event::DonorCentre(DonorCentreEvent::ScreeningCorrected { correction })
                if !correction.accepted =>
            {
                let Some(opened) = ineligible_collection(state, &mut holds, correction, ctx) else {
                    continue;
                };
                more.extend(opened.holds);
                let new = NewDeviation {
                    subject: Subject::Donation {
                        din: opened.din.clone(),
                    },
                    discovered_on: lookbacks::local_date(state, ctx.now),
                    occurred_on: Some(lookbacks::local_date(state, opened.collected_at)),
                    description: &opened.description,
                    units: Vec::new(),
                };
                let deviation = deviations::deviation(state, new, deviations, ctx);
                deviations += 1;
                more.push(Event::Lookback(LookbackEvent::DeviationOpened {
                    deviation: Box::new(deviation),
                }));
            }
            Event::Release(ReleaseEvent::TaskOpened { task })
                if task.kind == TaskKind::DeviationReview =>
            {
                let new = NewDeviation {
                    subject: Subject::Task {
                        task_id: task.id.clone(),
                    },
                    discovered_on: lookbacks::local_date(state, ctx.now),
                    occurred_on: None,
                    description: &task.reason,
                    // The task is opened by this decision: not yet in the state.
                    units: deviations::units_of_task(state, task),
                };
                let deviation = deviations::deviation(state, new, deviations, ctx);
                deviations += 1;
                more.push(Event::Lookback(LookbackEvent::DeviationOpened {
                    deviation: Box::new(deviation),
                }));
            }
            Event::Transfusion(TransfusionEvent::ReactionReported { reaction })
                if reaction.severity == Severity::Death =>
            {
                let new = NewFatality {
                    hospital: &reaction.hospital,
                    patient: &reaction.patient,
                    component: &reaction.component,
                    reaction: Some(&reaction.id),
                    died_at: reaction.at,
                    description: &reaction.description,
                };
                let fatality = deviations::fatality(state, new, fatalities, ctx);
                fatalities += 1;
                more.push(Event::Lookback(LookbackEvent::FatalityOpened {
                    fatality: Box::new(fatality),
                }));
            }
            _ => {}
        }
    }
    let mut events = events;
    events.extend(more);
    events
}

/// LB-WINDOW: a repeat-reactive or reactive marker of an agent the table lists starts a
/// lookback, once per donor and agent while one is open.
fn reactive(
    state: &State,
    holds: &mut HoldPlan<'_>,
    started: &mut Vec<(String, String)>,
    din: &str,
    test: &str,
    ctx: &Context,
) -> Vec<Event> {
    let Some(rule) = state.config.lookback.for_marker(test) else {
        return Vec::new();
    };
    let Some(donation) = state.donations.get(din) else {
        return Vec::new();
    };
    let key = (donation.donor_id.clone(), rule.agent.clone());
    if started.contains(&key)
        || lookbacks::open_lookback(state, &donation.donor_id, &rule.agent).is_some()
    {
        return Vec::new();
    }
    let mut reactive = donation.clone();
    // The marker's new status is in this decision's event, not yet in the state.
    reactive.tests.insert(
        test.to_owned(),
        MarkerStatus::Reactive { supplemental: None },
    );
    let trigger = Trigger::Result {
        din: din.to_owned(),
        test: test.to_owned(),
    };
    let found = Found {
        donor_id: &donation.donor_id,
        trigger,
        reactive: Some(&reactive),
    };
    let events = lookbacks::start(state, holds, started.len(), found, rule, ctx);
    started.push(key);
    events
}

/// LB-DEADLINES: a supplemental result of the reactive donation is linked to its lookback.
fn supplemental(
    state: &State,
    din: &str,
    test: &str,
    reading: Reading,
    ctx: &Context,
) -> Vec<Event> {
    let Some(rule) = state.config.lookback.for_marker(test) else {
        return Vec::new();
    };
    let Some(donation) = state.donations.get(din) else {
        return Vec::new();
    };
    let Some(lookback) = lookbacks::open_lookback(state, &donation.donor_id, &rule.agent)
        .filter(|l| l.supplemental.is_none())
    else {
        return Vec::new();
    };
    let outcome = match reading {
        Reading::Nonreactive => SupplementalOutcome::Negative,
        Reading::Reactive => SupplementalOutcome::Positive,
        Reading::Indeterminate => SupplementalOutcome::Indeterminate,
    };
    let supplemental = Supplemental {
        outcome,
        test: Some(test.to_owned()),
        note: format!("{} on donation {din}", rule.supplemental_test),
        at: ctx.now,
        by: ctx.actor.clone(),
    };
    lookbacks::link_supplemental(state, lookback, supplemental, ctx)
}

/// What a corrected screening that no longer passes does to the donation collected on it.
struct IneligibleCollection {
    din: String,
    collected_at: time::OffsetDateTime,
    description: String,
    holds: Vec<Event>,
}

/// CORR-REDECIDE: a donation collected on a screening that, corrected, no longer passes was
/// collected from an ineligible donor: its units still here are held for QA's review and a
/// deviation opened (BPD-45, reportable if any were distributed).
fn ineligible_collection(
    state: &State,
    holds: &mut HoldPlan<'_>,
    correction: &ScreeningCorrection,
    ctx: &Context,
) -> Option<IneligibleCollection> {
    let screening = state.screenings.get(&correction.screening_id)?;
    if !screening.accepted {
        // Already failing before this correction: nothing new to decide.
        return None;
    }
    let donation = crate::donor_centre::donation_of_screening(state, screening)?;
    let findings: Vec<&str> = correction
        .findings
        .iter()
        .map(|f| f.message.as_str())
        .collect();
    let description = format!(
        "CORR-REDECIDE: donation {} was collected on screening {}, which corrected ({} {} -> {}) no longer passes: {}",
        donation.din,
        screening.id,
        correction.measurement.label(),
        correction.was.map_or("none".to_owned(), |v| v.to_string()),
        correction.now,
        findings.join("; ")
    );
    let placed = holds.hold(
        HoldTarget::Donation {
            din: donation.din.clone(),
        },
        HoldKind::Investigation,
        &description,
        ctx,
    );
    Some(IneligibleCollection {
        din: donation.din.clone(),
        collected_at: donation.ended_at,
        description,
        holds: placed,
    })
}
