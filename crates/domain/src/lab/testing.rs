//! Testing: the 610.40 panel ordered per donation (TEST-PANEL, TEST-ONCE, TEST-REGIONAL), the
//! repeat-reactive algorithm (TEST-RR, TEST-NAT, TEST-SUPPL), ABO/RhD twice (TEST-ABO-TWICE)
//! and the antibody screen (TEST-ABSCREEN), with what a reactive outcome does to the donation's
//! components and to the donor (DEF-NOTIFY).

use crate::{DonorCentreEvent, LabEvent, ReleaseEvent};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::Context;
use crate::command::{Event, TestResultInput};
use crate::donor_centre::Donation;
use crate::donor_centre::Procedure;
use crate::donor_centre::{self, DeferralIds};
use crate::kernel::refusal::{Refusal, Rule, refuse};
pub use crate::kernel::{Abo, RhD};
use crate::manufacturing::Status;
use crate::release::{self, HoldKind, HoldTarget, Ids, Task, TaskKind};
use crate::state::State;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Antibody/antigen screening: an initial reactive is repeated in duplicate.
    Serology,
    /// Nucleic acid test: a reactive individual-donation NAT is reactive.
    Nat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    EveryDonation,
    /// TEST-ONCE: skipped once the donor has tested negative.
    OncePerDonor,
    /// TEST-REGIONAL: only for donations collected in the configured states.
    Regional,
}

/// One marker of the panel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TestSpec {
    pub code: String,
    pub name: String,
    pub method: Method,
    pub frequency: Frequency,
    pub exempt_procedures: Vec<Procedure>,
    /// The deferral reason given to the donor when this marker makes a donation unsuitable.
    pub deferral_reason: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The first screening test (for NAT: an individual-donation NAT).
    Initial,
    /// One of the duplicate repeats after an initial reactive serology result.
    Repeat,
    /// A minipool NAT.
    Minipool,
    /// The individual-donation NAT that resolves a reactive minipool.
    Individual,
    /// A supplemental (confirmatory) test after a repeat-reactive or reactive result.
    Supplemental,
}

impl Stage {
    /// The stage in words, for messages and pages.
    pub fn describe(self) -> &'static str {
        match self {
            Stage::Initial => "initial",
            Stage::Repeat => "repeat",
            Stage::Minipool => "minipool NAT",
            Stage::Individual => "individual NAT",
            Stage::Supplemental => "supplemental",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Reading {
    Reactive,
    Nonreactive,
    /// A supplemental test's third outcome (an indeterminate Western blot or
    /// differentiation assay); never a screening result.
    Indeterminate,
}

impl Reading {
    /// The reading in words, for messages and pages.
    pub fn describe(self) -> &'static str {
        match self {
            Reading::Reactive => "reactive",
            Reading::Nonreactive => "nonreactive",
            Reading::Indeterminate => "indeterminate",
        }
    }
}

/// An ABO/RhD in words ("A RhD positive").
pub fn group_text(abo: Abo, rhd: RhD) -> String {
    format!("{} {}", abo.as_str(), rhd.as_str())
}

/// Where a marker of a donation stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum MarkerStatus {
    Pending,
    InitialReactive {
        repeats: Vec<Reading>,
    },
    MinipoolReactive,
    /// Acceptable for release (nonreactive, or initial reactive only).
    Negative,
    RepeatReactive {
        supplemental: Option<Reading>,
    },
    Reactive {
        supplemental: Option<Reading>,
    },
}

impl MarkerStatus {
    pub fn is_acceptable(&self) -> bool {
        matches!(self, MarkerStatus::Negative)
    }
    pub fn is_unsuitable(&self) -> bool {
        matches!(
            self,
            MarkerStatus::RepeatReactive { .. } | MarkerStatus::Reactive { .. }
        )
    }
    pub fn describe(&self) -> &'static str {
        match self {
            MarkerStatus::Pending => "not yet resulted",
            MarkerStatus::InitialReactive { .. } => "initial reactive, awaiting duplicate repeats",
            MarkerStatus::MinipoolReactive => "minipool reactive, awaiting individual NAT",
            MarkerStatus::Negative => "negative",
            MarkerStatus::RepeatReactive { .. } => "repeat reactive",
            MarkerStatus::Reactive { .. } => "reactive",
        }
    }
}

/// TEST-RR, TEST-NAT, TEST-SUPPL: the next status of a marker after one result, exactly as the
/// rule book's section 2.2 says; a result that does not fit the algorithm is refused.
pub fn next_status(
    method: Method,
    current: &MarkerStatus,
    stage: Stage,
    reading: Reading,
) -> Result<MarkerStatus, Refusal> {
    use MarkerStatus::*;
    let reactive = reading == Reading::Reactive;
    if reading == Reading::Indeterminate && stage != Stage::Supplemental {
        return refuse(
            Rule::TestSuppl,
            "only a supplemental test reads indeterminate; a screening result is reactive or nonreactive",
        );
    }
    match (method, current, stage) {
        (_, RepeatReactive { supplemental: None }, Stage::Supplemental) => Ok(RepeatReactive {
            supplemental: Some(reading),
        }),
        (_, Reactive { supplemental: None }, Stage::Supplemental) => Ok(Reactive {
            supplemental: Some(reading),
        }),
        (_, _, Stage::Supplemental) => refuse(
            Rule::TestSuppl,
            "a supplemental test is recorded once, after a repeat-reactive or reactive screening result",
        ),
        (_, Negative, _) => refuse(
            Rule::TestRr,
            "this marker is already resulted negative; a new sample needs a new donation record",
        ),
        (_, RepeatReactive { .. } | Reactive { .. }, _) => refuse(
            Rule::TestRr,
            "this marker is already reactive; only a supplemental result can follow",
        ),
        (Method::Serology, Pending, Stage::Initial) => Ok(if reactive {
            InitialReactive { repeats: vec![] }
        } else {
            Negative
        }),
        (Method::Serology, InitialReactive { repeats }, Stage::Repeat) => {
            let mut repeats = repeats.clone();
            repeats.push(reading);
            Ok(match repeats.len() {
                1 => InitialReactive { repeats },
                _ if repeats.contains(&Reading::Reactive) => RepeatReactive { supplemental: None },
                _ => Negative,
            })
        }
        (Method::Serology, Pending, _) => {
            refuse(Rule::TestRr, "record the initial screening result first")
        }
        (Method::Serology, _, _) => refuse(
            Rule::TestRr,
            "an initial reactive is retested on the same sample in duplicate: record two repeat results",
        ),
        (Method::Nat, Pending, Stage::Initial | Stage::Individual) => Ok(if reactive {
            Reactive { supplemental: None }
        } else {
            Negative
        }),
        (Method::Nat, Pending, Stage::Minipool) => {
            Ok(if reactive { MinipoolReactive } else { Negative })
        }
        (Method::Nat, MinipoolReactive, Stage::Individual) => Ok(if reactive {
            Reactive { supplemental: None }
        } else {
            Negative
        }),
        (Method::Nat, MinipoolReactive, _) => refuse(
            Rule::TestNat,
            "a reactive minipool is resolved by an individual-donation NAT",
        ),
        (Method::Nat, _, _) => refuse(
            Rule::TestNat,
            "a NAT result is not repeated in duplicate; record an initial, minipool or individual NAT",
        ),
    }
}

pub(crate) fn find_donation<'a>(state: &'a State, din: &str) -> Result<&'a Donation, Refusal> {
    state
        .donations
        .get(din)
        .ok_or_else(|| Refusal::new(Rule::NotFound, format!("no donation {din}")))
}

pub(crate) fn spec<'a>(state: &'a State, test: &str) -> Result<&'a TestSpec, Refusal> {
    state
        .config
        .tests
        .iter()
        .find(|t| t.code == test)
        .ok_or_else(|| {
            Refusal::new(
                Rule::TestPanel,
                format!("{test:?} is not a configured test"),
            )
        })
}

/// DEF-NOTIFY and 630.30(b): what an unsuitable result does: the donation is unsuitable, every
/// component still in the establishment's hands is unsafe, the donor is deferred and a
/// notification task is opened.
pub(crate) fn unsuitable_consequences(
    state: &State,
    donation: &Donation,
    reason: &str,
    deferral_reason: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let mut events = Vec::new();
    if donation.unsuitable.is_none() {
        events.push(Event::Lab(LabEvent::DonationUnsuitable {
            din: donation.din.clone(),
            reason: reason.to_owned(),
            at: ctx.now,
        }));
        events.extend(mark_unsafe(state, &donation.din, |_| true, reason, ctx.now));
    }
    events.extend(defer_for_result(
        state,
        &donation.donor_id,
        deferral_reason,
        reason,
        ctx,
    )?);
    Ok(events)
}

pub(crate) fn defer_for_result(
    state: &State,
    donor_id: &str,
    deferral_reason: &str,
    reason: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let today = ctx.now.date();
    let already = donor_centre::current_deferrals(state, donor_id, today)
        .iter()
        .any(|d| d.reason == deferral_reason);
    if already {
        return Ok(Vec::new());
    }
    let mut ids = DeferralIds::new(state);
    let deferral = donor_centre::deferral(
        &state.config,
        &mut ids,
        donor_id,
        deferral_reason,
        today,
        Rule::DefNotify.as_str(),
        reason,
        ctx,
    )?;
    let task = Task {
        id: Ids::new(state).task(),
        kind: TaskKind::DonorNotification,
        donor_id: Some(donor_id.to_owned()),
        din: None,
        reason: format!("notify the donor of the deferral and the test result: {reason}"),
        opened_at: ctx.now,
    };
    Ok(vec![
        Event::DonorCentre(DonorCentreEvent::DonorDeferred { deferral }),
        Event::Release(ReleaseEvent::TaskOpened { task }),
    ])
}

/// Every component sourced from `din`, still in the establishment's hands and matching
/// `which`, marked unsafe (REL-UNSAFE).
pub(crate) fn mark_unsafe(
    state: &State,
    din: &str,
    which: impl Fn(&crate::manufacturing::Component) -> bool,
    reason: &str,
    at: OffsetDateTime,
) -> Vec<Event> {
    crate::queries::components_of(state, din)
        .into_iter()
        .filter(|c| {
            matches!(
                c.status,
                Status::Quarantined | Status::Available | Status::Expired
            )
        })
        .filter(|c| which(c))
        .map(|c| {
            Event::Release(ReleaseEvent::ComponentMarkedUnsafe {
                id: c.id.clone(),
                reason: reason.to_owned(),
                at,
            })
        })
        .collect()
}

pub(crate) fn record_result(
    state: &State,
    input: &TestResultInput,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let donation = find_donation(state, &input.din)?;
    let spec = spec(state, &input.test)?;
    let Some(current) = donation.tests.get(&input.test) else {
        return refuse(
            Rule::TestPanel,
            format!("{} was not ordered for donation {}", spec.name, input.din),
        );
    };
    let status = next_status(spec.method, current, input.stage, input.reading)?;
    let mut events = vec![Event::Lab(LabEvent::TestResultRecorded {
        din: input.din.clone(),
        test: input.test.clone(),
        stage: input.stage,
        reading: input.reading,
        status: status.clone(),
        at: ctx.now,
        by: ctx.actor.clone(),
    })];
    if input.stage == Stage::Supplemental {
        // TEST-SUPPL: the supplemental result manages the donor; the unit stays unsuitable.
        if input.reading == Reading::Reactive {
            let reason = format!("{} confirmed positive by supplemental testing", spec.name);
            events.extend(defer_for_result(
                state,
                &donation.donor_id,
                "tti_confirmed",
                &reason,
                ctx,
            )?);
        }
    } else if status.is_unsuitable() {
        let reason = format!("{} {}", spec.name, status.describe());
        events.extend(unsuitable_consequences(
            state,
            donation,
            &reason,
            &spec.deferral_reason,
            ctx,
        )?);
    }
    Ok(events)
}

/// An instrument batch: each result is decided on the state the previous ones left, and one
/// refusal refuses the whole batch (nothing half-written).
pub(crate) fn record_batch(
    state: &State,
    results: &[TestResultInput],
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    if results.is_empty() {
        return refuse(Rule::TestPanel, "the batch holds no results");
    }
    // Decided on a copy of the few records the batch touches, not of the whole state.
    let dins: Vec<&str> = results.iter().map(|r| r.din.as_str()).collect();
    let mut scratch = state.overlay_of_donations(&dins);
    let mut events = Vec::new();
    for (index, input) in results.iter().enumerate() {
        let produced = record_result(&scratch, input, ctx).map_err(|r| Refusal {
            rule: r.rule,
            message: format!(
                "result {} ({} {}): {}; the batch was not recorded",
                index + 1,
                input.din,
                input.test,
                r.message
            ),
        })?;
        for event in &produced {
            crate::state::evolve(&mut scratch, event);
        }
        events.extend(produced);
    }
    Ok(events)
}

/// TEST-ABO-TWICE: where the ABO/RhD of a donation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Typing {
    NotDone,
    /// One determination and no history to compare with: a second is needed.
    NeedsSecond {
        abo: Abo,
        rhd: RhD,
    },
    Confirmed {
        abo: Abo,
        rhd: RhD,
    },
    /// Determinations disagree with each other or with the donor's history.
    Discrepant,
}

/// TEST-ABO-TWICE: two agreeing determinations, or one agreeing with the donor's confirmed
/// history; a resolution by QA settles a discrepancy.
pub fn typing(donation: &Donation, history: Option<(Abo, RhD)>) -> Typing {
    if let Some((abo, rhd)) = donation.resolved_group {
        return Typing::Confirmed { abo, rhd };
    }
    let Some(first) = donation.determinations.first() else {
        return Typing::NotDone;
    };
    let group = (first.abo, first.rhd);
    if donation
        .determinations
        .iter()
        .any(|d| (d.abo, d.rhd) != group)
        || history.is_some_and(|h| h != group)
    {
        return Typing::Discrepant;
    }
    if history.is_some() || donation.determinations.len() >= 2 {
        Typing::Confirmed {
            abo: group.0,
            rhd: group.1,
        }
    } else {
        Typing::NeedsSecond {
            abo: group.0,
            rhd: group.1,
        }
    }
}

/// The typing of a donation as the state stands.
pub fn donation_typing(state: &State, donation: &Donation) -> Typing {
    let history = state
        .donors
        .get(&donation.donor_id)
        .and_then(|d| d.blood_group);
    typing(donation, history)
}

/// TEST-ABO-TWICE: an ABO/RhD in doubt holds each donation (quarantining its available units)
/// and, when units already left, opens a deviation review for a recall decision (BPD-45).
fn abo_investigation(state: &State, dins: &[String], reason: &str, ctx: &Context) -> Vec<Event> {
    let mut holds = release::HoldPlan::new(state);
    let mut events = Vec::new();
    for din in dins {
        events.extend(holds.hold(
            HoldTarget::Donation { din: din.clone() },
            HoldKind::Investigation,
            reason,
            ctx,
        ));
    }
    let mut shipped: Vec<&str> = dins
        .iter()
        .flat_map(|din| crate::queries::components_of(state, din))
        .filter(|c| c.status == Status::Shipped)
        .map(|c| c.id.as_str())
        .collect();
    // In id order and once each, as a scan of every unit would list them (a pool has
    // several sources).
    shipped.sort_unstable();
    shipped.dedup();
    if !shipped.is_empty() {
        events.push(Event::Release(ReleaseEvent::TaskOpened {
            task: Task {
                id: Ids::new(state).task(),
                kind: TaskKind::DeviationReview,
                donor_id: None,
                din: dins.first().cloned(),
                reason: format!("{reason}; already shipped: {}; decide on a recall and assess for a BPD report within 45 days", shipped.join(", ")),
                opened_at: ctx.now,
            },
        }));
    }
    events
}

pub(crate) fn record_blood_group(
    state: &State,
    din: &str,
    abo: Abo,
    rhd: RhD,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let donation = find_donation(state, din)?;
    let history = state
        .donors
        .get(&donation.donor_id)
        .and_then(|d| d.blood_group);
    let before = typing(donation, history);
    let mut after_donation = donation.clone();
    after_donation
        .determinations
        .push(crate::donor_centre::Determination {
            abo,
            rhd,
            at: ctx.now,
            by: ctx.actor.clone(),
        });
    let after = typing(&after_donation, history);
    let mut events = vec![Event::Lab(LabEvent::BloodGroupDetermined {
        din: din.to_owned(),
        abo,
        rhd,
        at: ctx.now,
        by: ctx.actor.clone(),
    })];
    match after {
        Typing::Discrepant if before != Typing::Discrepant => {
            events.extend(abo_investigation(
                state,
                &[din.to_owned()],
                &format!("TEST-ABO-TWICE: ABO/RhD {} disagrees with an earlier determination or the donor's history", group_text(abo, rhd)),
                ctx,
            ));
        }
        Typing::Confirmed { abo, rhd } if history.is_none() => {
            events.push(Event::Lab(LabEvent::DonorBloodGroupConfirmed {
                donor_id: donation.donor_id.clone(),
                abo,
                rhd,
                din: din.to_owned(),
            }));
        }
        _ => {}
    }
    Ok(events)
}

pub(crate) fn resolve_blood_group(
    state: &State,
    din: &str,
    abo: Abo,
    rhd: RhD,
    reason: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let donation = find_donation(state, din)?;
    if donation_typing(state, donation) != Typing::Discrepant {
        return refuse(
            Rule::TestAboTwice,
            "only a discrepant ABO/RhD is resolved; this donation has no discrepancy",
        );
    }
    if reason.trim().is_empty() {
        return refuse(
            Rule::TestAboTwice,
            "a resolution needs the investigation's finding as its reason",
        );
    }
    let mut events = vec![
        Event::Lab(LabEvent::BloodGroupResolved {
            din: din.to_owned(),
            abo,
            rhd,
            reason: reason.to_owned(),
            at: ctx.now,
            by: ctx.actor.clone(),
        }),
        Event::Lab(LabEvent::DonorBloodGroupConfirmed {
            donor_id: donation.donor_id.clone(),
            abo,
            rhd,
            din: din.to_owned(),
        }),
    ];
    // The donor's history may now disagree with earlier donations confirmed against the old
    // history: those are in doubt too. The events above change only this donation and the
    // donor's history, so each other donation is typed against the new history directly.
    let others: Vec<String> = state
        .donors
        .get(&donation.donor_id)
        .map(|d| d.donations.clone())
        .unwrap_or_default()
        .into_iter()
        .filter(|other| other != din)
        .filter(|other| {
            let was = state
                .donations
                .get(other)
                .map(|d| donation_typing(state, d));
            let is = state
                .donations
                .get(other)
                .map(|d| typing(d, Some((abo, rhd))));
            is == Some(Typing::Discrepant) && was != is
        })
        .collect();
    if !others.is_empty() {
        let why = format!(
            "TEST-ABO-TWICE: the donor's ABO/RhD was resolved as {} on {din}, which disagrees with this donation",
            group_text(abo, rhd)
        );
        events.extend(abo_investigation(state, &others, &why, ctx));
    }
    Ok(events)
}

/// TEST-ABSCREEN: a positive antibody screen makes the donation's plasma-containing components
/// unsafe; red cells may still be released.
pub(crate) fn record_antibody_screen(
    state: &State,
    din: &str,
    positive: bool,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let donation = find_donation(state, din)?;
    if donation.antibody_screen.is_some() {
        return refuse(
            Rule::TestAbscreen,
            "the antibody screen of this donation is already recorded",
        );
    }
    let mut events = vec![Event::Lab(LabEvent::AntibodyScreenRecorded {
        din: din.to_owned(),
        positive,
        at: ctx.now,
        by: ctx.actor.clone(),
    })];
    if positive {
        events.extend(mark_unsafe(
            state,
            din,
            |c| c.contains_plasma,
            "TEST-ABSCREEN: antibody screen positive; plasma-containing component",
            ctx.now,
        ));
    }
    Ok(events)
}
