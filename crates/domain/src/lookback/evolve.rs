//! How this area's events change its records. Events carry every value; each arm asserts
//! what the decisions guarantee (a record is opened once, a step names a record on file).

use crate::lookback::Event;
use crate::lookback::deviations::Filed;
use crate::lookback::recalls::Step;
use crate::state::State;

pub(crate) fn evolve(state: &mut State, event: &Event) {
    let book = &mut state.lookback;
    match event {
        Event::LookbackStarted { lookback } => {
            let previous = book
                .lookbacks
                .insert(lookback.id.clone(), (**lookback).clone());
            assert!(previous.is_none(), "lookback {} started twice", lookback.id);
        }
        Event::SupplementalLinked {
            lookback_id,
            supplemental,
            tasks,
        } => {
            if let Some(l) = book.lookbacks.get_mut(lookback_id) {
                l.supplemental = Some(supplemental.clone());
                l.tasks.extend(tasks.iter().cloned());
            }
        }
        Event::LookbackTaskCompleted {
            lookback_id,
            task_id,
            done,
        } => {
            let task = book
                .lookbacks
                .get_mut(lookback_id)
                .and_then(|l| l.tasks.iter_mut().find(|t| t.id == *task_id));
            if let Some(task) = task {
                task.done = Some(done.clone());
            }
        }
        Event::LookbackClosed { lookback_id, at } => {
            if let Some(l) = book.lookbacks.get_mut(lookback_id) {
                l.closed_at = Some(*at);
            }
        }
        Event::RecallOpened { recall } => {
            let previous = book.recalls.insert(recall.id.clone(), (**recall).clone());
            assert!(previous.is_none(), "recall {} opened twice", recall.id);
        }
        Event::RecallConsigneeNotified {
            recall_id,
            hospital,
            done,
        } => {
            let notice = book
                .recalls
                .get_mut(recall_id)
                .and_then(|r| r.consignees.iter_mut().find(|c| c.hospital == *hospital));
            if let Some(notice) = notice {
                notice.done = Some(done.clone());
            }
        }
        Event::RecallUnitReturned {
            recall_id,
            component,
            note,
            at,
            by,
        } => {
            if let Some(unit) = recall_unit(state, recall_id, component) {
                unit.returned = Some(step(note, *at, by));
            }
        }
        Event::RecallUnitOutcome {
            recall_id,
            component,
            outcome,
            note,
            at,
            by,
        } => {
            if let Some(unit) = recall_unit(state, recall_id, component) {
                unit.outcome = Some((*outcome, step(note, *at, by)));
            }
        }
        Event::RecallClosed {
            recall_id,
            summary,
            at,
            by,
        } => {
            if let Some(r) = book.recalls.get_mut(recall_id) {
                r.closed = Some(step(summary, *at, by));
            }
        }
        Event::DeviationOpened { deviation } => {
            let previous = book
                .deviations
                .insert(deviation.id.clone(), (**deviation).clone());
            assert!(
                previous.is_none(),
                "deviation {} opened twice",
                deviation.id
            );
        }
        Event::DeviationInvestigated {
            deviation_id,
            root_cause,
            corrective_action,
            at,
            by,
        } => {
            if let Some(d) = book.deviations.get_mut(deviation_id) {
                d.investigation = Some(crate::lookback::deviations::Investigation {
                    root_cause: root_cause.clone(),
                    corrective_action: corrective_action.clone(),
                    at: *at,
                    by: by.clone(),
                });
            }
        }
        Event::DeviationReported {
            deviation_id,
            reference,
            at,
            by,
        } => {
            if let Some(d) = book.deviations.get_mut(deviation_id) {
                d.report = Some(filed(reference, *at, by));
            }
        }
        Event::DeviationClosed {
            deviation_id,
            reason,
            at,
            by,
        } => {
            if let Some(d) = book.deviations.get_mut(deviation_id) {
                d.closed = Some(filed(reason, *at, by));
            }
        }
        Event::FatalityOpened { fatality } => {
            let previous = book
                .fatalities
                .insert(fatality.id.clone(), (**fatality).clone());
            assert!(previous.is_none(), "fatality {} opened twice", fatality.id);
        }
        Event::FatalityNotified { fatality_id, done } => {
            if let Some(f) = book.fatalities.get_mut(fatality_id) {
                f.notified = Some(done.clone());
            }
        }
        Event::FatalityReportSent {
            fatality_id,
            reference,
            at,
            by,
        } => {
            if let Some(f) = book.fatalities.get_mut(fatality_id) {
                f.written = Some(filed(reference, *at, by));
            }
        }
    }
}

fn recall_unit<'a>(
    state: &'a mut State,
    recall_id: &str,
    component: &str,
) -> Option<&'a mut crate::lookback::recalls::RecallUnit> {
    state
        .lookback
        .recalls
        .get_mut(recall_id)?
        .units
        .iter_mut()
        .find(|u| u.component == component)
}

fn step(note: &str, at: time::OffsetDateTime, by: &str) -> Step {
    Step {
        at,
        by: by.to_owned(),
        note: note.to_owned(),
    }
}

fn filed(text: &str, at: time::OffsetDateTime, by: &str) -> Filed {
    Filed {
        text: text.to_owned(),
        at,
        by: by.to_owned(),
    }
}
