//! Corrections of a marker's results (CORR-ENTRY, CORR-REDECIDE, CORR-SAFE): a result keyed
//! wrongly, or into the wrong donation, is corrected by a command that names the donation and
//! the marker and gives the marker's results as they should have been (none at all when they
//! belonged to another donation), with the reason, under the technologist's signature. The
//! results are replayed from the start through the repeat-reactive algorithm; the event keeps
//! the status they replace beside the new one (21 CFR 11.10(e)).
//!
//! What the old status decided is decided again: a release it supported and the new one does
//! not is withdrawn (every unit still here quarantined, a deviation review opened for units
//! already shipped); a status now repeat reactive or reactive makes the donation unsuitable,
//! defers the donor and starts a lookback as a recorded result would. A correction never puts
//! a unit back in use by itself (CORR-SAFE): a donation once unsuitable stays so, and QA
//! decides on its units and the donor's deferral.

use serde::{Deserialize, Serialize};

use crate::kernel::refusal::{Refusal, Rule, refuse, required_text};
use crate::manufacturing::Status;
use crate::release::{HoldKind, HoldPlan, HoldTarget, Ids, Task, TaskKind};
use crate::state::State;
use crate::{Context, Event, LabEvent, ReleaseEvent};

use super::testing::{self, MarkerStatus, Reading, Stage, find_donation};

/// The most results one correction replays (a serology marker has at most an initial, two
/// repeats and a supplemental).
pub const MAX_RESULTS: usize = 8;

/// The longest reason a correction takes.
pub const MAX_REASON: usize = 2_000;

/// One result of a marker, as it should have been recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StageReading {
    pub stage: Stage,
    pub reading: Reading,
}

/// CORR-ENTRY: one correction of a marker, kept on the donation with the status it replaced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResultCorrection {
    pub test: String,
    pub results: Vec<StageReading>,
    pub was: MarkerStatus,
    pub now: MarkerStatus,
    pub reason: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: time::OffsetDateTime,
    pub by: String,
}

/// CORR-ENTRY: the marker's status on `results` replayed from the start.
pub fn replay(method: super::Method, results: &[StageReading]) -> Result<MarkerStatus, Refusal> {
    let mut status = MarkerStatus::Pending;
    for (index, r) in results.iter().enumerate() {
        status = testing::next_status(method, &status, r.stage, r.reading).map_err(|refusal| {
            Refusal::new(
                refusal.rule,
                format!("corrected result {}: {}", index + 1, refusal.message),
            )
        })?;
    }
    Ok(status)
}

/// CORR-ENTRY, CORR-REDECIDE: replace the marker's results on the donation.
pub(crate) fn correct_result(
    state: &State,
    din: &str,
    test: &str,
    results: &[StageReading],
    reason: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let donation = find_donation(state, din)?;
    let spec = testing::spec(state, test)?;
    let Some(was) = donation.tests.get(test) else {
        return refuse(
            Rule::TestPanel,
            format!("{} was not ordered for donation {din}", spec.name),
        );
    };
    check_reason(reason)?;
    if results.len() > MAX_RESULTS {
        return refuse(
            Rule::CorrEntry,
            format!(
                "{} results; a marker has at most {MAX_RESULTS}",
                results.len()
            ),
        );
    }
    let now = replay(spec.method, results)?;
    if now == *was {
        return refuse(
            Rule::CorrEntry,
            format!(
                "{} of {din} is already {}; nothing to correct",
                spec.name,
                was.describe()
            ),
        );
    }
    let corrected = Event::Lab(LabEvent::TestResultCorrected {
        din: din.to_owned(),
        test: test.to_owned(),
        results: results.to_vec(),
        was: was.clone(),
        now: now.clone(),
        reason: reason.trim().to_owned(),
        at: ctx.now,
        by: ctx.actor.clone(),
    });
    let why = format!(
        "CORR-REDECIDE: {} of {din} corrected from {} to {}: {}",
        spec.name,
        was.describe(),
        now.describe(),
        reason.trim()
    );
    // Each consequence is decided on what the ones before it did (their record IDs), on a
    // copy of the few records the correction touches.
    let mut scratch = state.overlay_of_donations(&[din]);
    let mut events = Vec::new();
    let mut then = |scratch: &mut State, more: Vec<Event>| {
        for event in &more {
            crate::state::evolve(scratch, event);
        }
        events.extend(more);
    };
    then(&mut scratch, vec![corrected]);
    if now.is_unsuitable() && !was.is_unsuitable() {
        let Some(donation) = scratch.donations.get(din).cloned() else {
            return refuse(Rule::NotFound, format!("no donation {din}"));
        };
        let more = testing::unsuitable_consequences(
            &scratch,
            &donation,
            &format!("{} {}", spec.name, now.describe()),
            &spec.deferral_reason,
            ctx,
        )?;
        then(&mut scratch, more);
    } else if was.is_acceptable() && !now.is_acceptable() {
        let more = HoldPlan::new(&scratch).hold(
            HoldTarget::Donation {
                din: din.to_owned(),
            },
            HoldKind::Investigation,
            &why,
            ctx,
        );
        then(&mut scratch, more);
    }
    if was.is_acceptable() && !now.is_acceptable() {
        let more = review_shipped(&scratch, din, &why, ctx);
        then(&mut scratch, more);
    }
    if confirmed_positive(&now) && !confirmed_positive(was) {
        let more = testing::defer_for_result(
            &scratch,
            &donation.donor_id,
            "tti_confirmed",
            &format!("{} confirmed positive by supplemental testing", spec.name),
            ctx,
        )?;
        then(&mut scratch, more);
    }
    Ok(events)
}

fn confirmed_positive(status: &MarkerStatus) -> bool {
    matches!(
        status,
        MarkerStatus::RepeatReactive {
            supplemental: Some(Reading::Reactive)
        } | MarkerStatus::Reactive {
            supplemental: Some(Reading::Reactive)
        }
    )
}

/// A release withdrawn after its units left: a deviation review (BPD-45) naming them, which
/// the lookback area opens as a deviation in the same decision.
fn review_shipped(state: &State, din: &str, why: &str, ctx: &Context) -> Vec<Event> {
    let mut shipped: Vec<&str> = crate::queries::components_of(state, din)
        .into_iter()
        .filter(|c| c.status == Status::Shipped)
        .map(|c| c.id.as_str())
        .collect();
    if shipped.is_empty() {
        return Vec::new();
    }
    shipped.sort_unstable();
    shipped.dedup();
    vec![Event::Release(ReleaseEvent::TaskOpened {
        task: Task {
            id: Ids::new(state).task(),
            kind: TaskKind::DeviationReview,
            donor_id: None,
            din: Some(din.to_owned()),
            reason: format!(
                "{why}; released on the old result and already shipped: {}; decide on a recall and assess for a BPD report within 45 days",
                shipped.join(", ")
            ),
            opened_at: ctx.now,
        },
    })]
}

fn check_reason(reason: &str) -> Result<(), Refusal> {
    required_text(
        Rule::CorrEntry,
        "reason of the correction",
        reason,
        MAX_REASON,
    )
}
