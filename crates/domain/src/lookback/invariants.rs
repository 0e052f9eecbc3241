//! This area's invariants (DESIGN.md, extended): 11, while a recall is open every one of its
//! units without an outcome is under the recall's open hold and none was issued after the
//! recall opened; 12, a lookback's window holds only the donor's own donations, collected
//! within the window, and its notices fall due as LB-DEADLINES says.

use crate::lookback::clocks;
use crate::lookback::lookbacks::{Lookback, Notice, local_date};
use crate::lookback::recalls::Recall;
use crate::state::State;

/// A broken invariant: its number and what is wrong.
pub type Broken = (u8, String);

pub fn check(state: &State) -> Result<(), Broken> {
    for recall in state.lookback.recalls.values().filter(|r| r.is_open()) {
        recall_holds(state, recall)?;
    }
    for lookback in state.lookback.lookbacks.values() {
        window_holds(state, lookback)?;
    }
    Ok(())
}

/// Invariant 11.
fn recall_holds(state: &State, recall: &Recall) -> Result<(), Broken> {
    for unit in recall.units.iter().filter(|u| u.outcome.is_none()) {
        let held = recall.holds.iter().any(|h| {
            state.holds.get(h).is_some_and(|hold| {
                hold.is_open()
                    && state
                        .components
                        .get(&unit.component)
                        .is_some_and(|c| hold.covers(c))
            })
        });
        if !held {
            return Err((
                11,
                format!(
                    "{} of open recall {} has no outcome and no open hold",
                    unit.component, recall.id
                ),
            ));
        }
        let issued_after = state
            .transfusion
            .units
            .get(&unit.component)
            .is_some_and(|u| u.issues.iter().any(|r| r.issue.at >= recall.opened_at));
        if issued_after {
            return Err((
                11,
                format!(
                    "{} was issued after recall {} opened",
                    unit.component, recall.id
                ),
            ));
        }
    }
    Ok(())
}

/// Invariant 12.
fn window_holds(state: &State, lookback: &Lookback) -> Result<(), Broken> {
    let window = &lookback.window;
    for din in &window.donations {
        let Some(donation) = state.donations.get(din) else {
            return Err((
                12,
                format!("lookback {}: {din} is not on record", lookback.id),
            ));
        };
        let day = local_date(state, donation.ended_at);
        let inside =
            window.from.is_some_and(|f| f <= day) && window.until.is_some_and(|u| day <= u);
        if donation.donor_id != lookback.donor_id || !inside {
            return Err((
                12,
                format!(
                    "lookback {}: {din} (donor {}, {day}) is not in the donor's window",
                    lookback.id, donation.donor_id
                ),
            ));
        }
    }
    let due = clocks::lookback_deadlines(lookback.reactive_on);
    for task in &lookback.tasks {
        let expected = match task.notice {
            Notice::Quarantine { .. } => Some(due.quarantine_and_notify_consignees),
            Notice::SupplementalResult { .. } => Some(due.supplemental_results_to_consignees),
            Notice::RecipientPhysician { .. } => lookback
                .supplemental
                .as_ref()
                .map(|s| clocks::recipient_notification_due(local_date(state, s.at))),
        };
        if expected != Some(task.due) {
            return Err((
                12,
                format!(
                    "lookback {}: notice {} is due {}, not as LB-DEADLINES says",
                    lookback.id, task.id, task.due
                ),
            ));
        }
    }
    Ok(())
}
