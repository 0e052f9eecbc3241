//! Quarantine and release: the release gate (REL-GATE, invariant 1), label verification,
//! holds and their release, post-donation information (REL-PDI), expiry (REL-EXPIRE) and
//! shipping of released units (invariant 2).
//!
//! Expiry is evaluated twice: every decision compares a unit's expiry with the context's time
//! (an expired unit is never released, modified or shipped, whatever its recorded status), and
//! the `ExpireUnits { as_of }` command records the status change for every unit whose expiry
//! has passed, so that lists and projections show it. A scheduler sends it; the domain never
//! reads a clock.

use crate::{DistributionEvent, ReleaseEvent};
use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::Context;
use crate::command::Event;
use crate::donor_centre;
use crate::kernel::refusal::{Refusal, Rule, refuse};
use crate::kernel::{Abo, RhD};
use crate::lab::{self, Typing};
use crate::manufacturing::{self, Component, Family, Status};
use crate::state::State;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HoldKind {
    Qa,
    Lookback,
    Investigation,
    PostDonationInformation,
    /// A recall or market withdrawal (RECALL-TRACK).
    Recall,
}

impl HoldKind {
    /// The kind in words, for messages and pages.
    pub fn describe(self) -> &'static str {
        match self {
            HoldKind::Qa => "QA",
            HoldKind::Lookback => "lookback",
            HoldKind::Investigation => "investigation",
            HoldKind::PostDonationInformation => "post-donation information",
            HoldKind::Recall => "recall",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "target", rename_all = "snake_case")]
pub enum HoldTarget {
    Donation { din: String },
    Component { id: String },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HoldRelease {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hold {
    pub id: String,
    pub target: HoldTarget,
    pub kind: HoldKind,
    pub reason: String,
    #[serde(with = "time::serde::rfc3339")]
    pub placed_at: OffsetDateTime,
    pub placed_by: String,
    pub released: Option<HoldRelease>,
}

impl Hold {
    pub fn is_open(&self) -> bool {
        self.released.is_none()
    }
    /// Whether the hold stops `component` (directly or through one of its donations).
    pub fn covers(&self, component: &Component) -> bool {
        match &self.target {
            HoldTarget::Component { id } => *id == component.id,
            HoldTarget::Donation { din } => component.sources.contains(din),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// DEF-NOTIFY (630.40).
    DonorNotification,
    /// REL-PDI: deviation review (606.171 if distributed).
    DeviationReview,
}

impl TaskKind {
    /// The kind in words, for messages and pages.
    pub fn describe(self) -> &'static str {
        match self {
            TaskKind::DonorNotification => "donor notification",
            TaskKind::DeviationReview => "deviation review",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = QaTask))]
pub struct Task {
    pub id: String,
    pub kind: TaskKind,
    pub donor_id: Option<String>,
    pub din: Option<String>,
    pub reason: String,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
}

/// Ids of holds and tasks a decision creates.
pub(crate) struct Ids {
    hold: u64,
    task: u64,
}

impl Ids {
    pub(crate) fn new(state: &State) -> Ids {
        Ids {
            hold: state.counters.holds + 1,
            task: state.counters.tasks + 1,
        }
    }
    pub(crate) fn hold(&mut self) -> String {
        let id = format!("H-{:06}", self.hold);
        self.hold += 1;
        id
    }
    pub(crate) fn task(&mut self) -> String {
        let id = format!("T-{:06}", self.task);
        self.task += 1;
        id
    }
}

/// The holds not yet released, in id order (from the index, not a scan of every hold).
pub fn open_holds(state: &State) -> impl Iterator<Item = &Hold> {
    state
        .index
        .open_holds()
        .filter_map(|id| state.holds.get(id))
        .filter(|h| h.is_open())
}

/// The open holds that stop `component`, in id order (from the index).
pub fn open_holds_covering<'a>(
    state: &'a State,
    component: &Component,
) -> impl Iterator<Item = &'a Hold> {
    state
        .index
        .open_holds_covering(component)
        .into_iter()
        .filter_map(|id| state.holds.get(id))
        .filter(|h| h.is_open() && h.covers(component))
}

/// REL-GATE (invariant 1): every reason `component` may not be released at `now`, in words;
/// empty means it may be released.
pub fn release_blockers(state: &State, component: &Component, now: OffsetDateTime) -> Vec<Refusal> {
    let mut out = release_blockers_before_label(state, component, now);
    if let Some(blocker) = manufacturing::label_blocker(state, component) {
        out.push(blocker);
    }
    for hold in open_holds_covering(state, component) {
        out.push(Refusal::new(
            Rule::RelGate,
            format!(
                "hold {} ({}) is open: {}",
                hold.id,
                hold.kind.describe(),
                hold.reason
            ),
        ));
    }
    out
}

/// REL-GATE without the label and the holds: what must hold before a site that labels at
/// release prints the final label (LABEL-FINAL).
pub fn release_blockers_before_label(
    state: &State,
    component: &Component,
    now: OffsetDateTime,
) -> Vec<Refusal> {
    let mut out = Vec::new();
    let mut block = |rule: Rule, message: String| out.push(Refusal::new(rule, message));
    match component.status {
        Status::Quarantined => {}
        Status::Unsafe => block(
            Rule::RelUnsafe,
            format!(
                "unsafe: {}",
                component.status_reason.clone().unwrap_or_default()
            ),
        ),
        status => block(
            Rule::RelGate,
            format!("the unit is {}, not quarantined", status.as_str()),
        ),
    }
    if component.expires_at <= now {
        block(
            Rule::RelExpire,
            format!("expired at {}", component.expires_at),
        );
    }
    for din in &component.sources {
        let Some(donation) = state.donations.get(din) else {
            block(Rule::RecTrace, format!("donation {din} is not on record"));
            continue;
        };
        if let Some(reason) = &donation.unsuitable {
            block(
                Rule::RelUnsafe,
                format!("donation {din} is unsuitable: {reason}"),
            );
        }
        for (test, status) in &donation.tests {
            if !status.is_acceptable() {
                let name = state
                    .config
                    .tests
                    .iter()
                    .find(|t| t.code == *test)
                    .map_or(test.as_str(), |t| t.name.as_str());
                let rule = if matches!(status, crate::lab::MarkerStatus::Pending) {
                    Rule::TestPanel
                } else {
                    Rule::TestRr
                };
                block(rule, format!("{din}: {name} {}", status.describe()));
            }
        }
        match lab::donation_typing(state, donation) {
            Typing::Confirmed { .. } => {}
            Typing::NotDone => block(Rule::TestAboTwice, format!("{din}: ABO/RhD not determined")),
            Typing::NeedsSecond { .. } => block(
                Rule::TestAboTwice,
                format!("{din}: ABO/RhD needs a second determination"),
            ),
            Typing::Discrepant => block(
                Rule::TestAboTwice,
                format!("{din}: ABO/RhD discrepancy under investigation"),
            ),
        }
        match donation.antibody_screen {
            None => block(
                Rule::TestAbscreen,
                format!("{din}: antibody screen not resulted"),
            ),
            Some(true) if component.contains_plasma => block(
                Rule::TestAbscreen,
                format!("{din}: antibody screen positive"),
            ),
            Some(_) => {}
        }
    }
    if component.family == Family::Platelets && component.bacterial_control.is_none() {
        block(
            Rule::TestBact,
            "no bacterial risk-control step recorded for these platelets".to_owned(),
        );
    }
    out
}

/// The single group of a unit, when all its donations agree and are confirmed.
pub fn confirmed_group(state: &State, component: &Component) -> Option<(Abo, RhD)> {
    let mut groups = component.sources.iter().map(|din| {
        state
            .donations
            .get(din)
            .and_then(|d| match lab::donation_typing(state, d) {
                Typing::Confirmed { abo, rhd } => Some((abo, rhd)),
                _ => None,
            })
    });
    let first = groups.next()??;
    groups.all(|g| g == Some(first)).then_some(first)
}

pub(crate) fn release(state: &State, id: &str, ctx: &Context) -> Result<Vec<Event>, Refusal> {
    let component = manufacturing::find_component(state, id)?;
    let blockers = release_blockers(state, component, ctx.now);
    if let Some(first) = blockers.first() {
        let words: Vec<String> = blockers.iter().map(|b| b.to_string()).collect();
        return refuse(
            first.rule,
            format!("{id} cannot be released: {}", words.join("; ")),
        );
    }
    Ok(vec![Event::Release(ReleaseEvent::ComponentReleased {
        id: id.to_owned(),
        at: ctx.now,
        by: ctx.actor.clone(),
    })])
}

/// The holds one decision places, each with the quarantine of every available unit it
/// covers. A later hold of the same decision takes the earlier ones into account (the next
/// hold id, units already quarantined) without a copy of the state.
pub(crate) struct HoldPlan<'a> {
    state: &'a State,
    ids: Ids,
    quarantined: BTreeSet<String>,
}

impl<'a> HoldPlan<'a> {
    pub(crate) fn new(state: &'a State) -> HoldPlan<'a> {
        HoldPlan {
            state,
            ids: Ids::new(state),
            quarantined: BTreeSet::new(),
        }
    }

    /// A hold and the quarantine of every available unit it covers.
    pub(crate) fn hold(
        &mut self,
        target: HoldTarget,
        kind: HoldKind,
        reason: &str,
        ctx: &Context,
    ) -> Vec<Event> {
        let hold = Hold {
            id: self.ids.hold(),
            target,
            kind,
            reason: reason.to_owned(),
            placed_at: ctx.now,
            placed_by: ctx.actor.clone(),
            released: None,
        };
        let covered: Vec<&Component> = match &hold.target {
            HoldTarget::Component { id } => self.state.components.get(id).into_iter().collect(),
            HoldTarget::Donation { din } => crate::queries::components_of(self.state, din),
        };
        let mut events = vec![];
        for unit in covered {
            if unit.status == Status::Available
                && hold.covers(unit)
                && self.quarantined.insert(unit.id.clone())
            {
                events.push(Event::Release(ReleaseEvent::ComponentQuarantined {
                    id: unit.id.clone(),
                    hold_id: hold.id.clone(),
                    at: ctx.now,
                }));
            }
        }
        events.insert(0, Event::Release(ReleaseEvent::HoldPlaced { hold }));
        events
    }
}

pub(crate) fn place_hold(
    state: &State,
    target: &HoldTarget,
    kind: HoldKind,
    reason: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    match target {
        HoldTarget::Donation { din } => {
            lab::find_donation(state, din)?;
        }
        HoldTarget::Component { id } => {
            manufacturing::find_component(state, id)?;
        }
    }
    if reason.trim().is_empty() {
        return refuse(Rule::RelGate, "a hold needs a reason");
    }
    Ok(HoldPlan::new(state).hold(target.clone(), kind, reason, ctx))
}

/// Releasing a hold does not release units: they stay quarantined until released again
/// through the gate.
pub(crate) fn release_hold(
    state: &State,
    hold_id: &str,
    reason: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let Some(hold) = state.holds.get(hold_id) else {
        return refuse(Rule::NotFound, format!("no hold {hold_id}"));
    };
    if !hold.is_open() {
        return refuse(Rule::RelGate, format!("hold {hold_id} is already released"));
    }
    if hold.kind == HoldKind::Recall {
        // RECALL-TRACK: while a recall is open its units stay held; closing it releases them.
        return refuse(
            Rule::RecallTrack,
            format!("hold {hold_id} is a recall's: it is released when its recall is closed"),
        );
    }
    if reason.trim().is_empty() {
        return refuse(Rule::RelGate, "releasing a hold needs a reason");
    }
    Ok(vec![Event::Release(ReleaseEvent::HoldReleased {
        hold_id: hold_id.to_owned(),
        reason: reason.to_owned(),
        at: ctx.now,
        by: ctx.actor.clone(),
    })])
}

/// REL-PDI: post-donation information holds every donation of the donor that still has
/// in-date units in the establishment's hands and opens a deviation review (a BPD
/// assessment, BPD-45, when units were already shipped).
pub(crate) fn post_donation_information(
    state: &State,
    donor_id: &str,
    information: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let donor = donor_centre::find_donor(state, donor_id)?;
    if information.trim().is_empty() {
        return refuse(Rule::RelPdi, "record what the donor reported");
    }
    let mut holds = HoldPlan::new(state);
    let mut events = Vec::new();
    let mut shipped = 0usize;
    for din in &donor.donations {
        let units = crate::queries::components_of(state, din);
        shipped += units.iter().filter(|c| c.status == Status::Shipped).count();
        let in_date = units
            .iter()
            .any(|c| c.status.is_workable() && c.expires_at > ctx.now);
        if in_date {
            events.extend(holds.hold(
                HoldTarget::Donation { din: din.clone() },
                HoldKind::PostDonationInformation,
                information,
                ctx,
            ));
        }
    }
    let distributed = if shipped > 0 {
        format!("; {shipped} unit(s) already shipped: assess for a BPD report within 45 days")
    } else {
        String::new()
    };
    events.push(Event::Release(ReleaseEvent::TaskOpened {
        task: Task {
            id: Ids::new(state).task(),
            kind: TaskKind::DeviationReview,
            donor_id: Some(donor_id.to_owned()),
            din: None,
            reason: format!("post-donation information: {information}{distributed}"),
            opened_at: ctx.now,
        },
    }));
    Ok(events)
}

/// REL-EXPIRE: every quarantined or available unit whose expiry is at or before `as_of`.
pub(crate) fn expire(
    state: &State,
    as_of: OffsetDateTime,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    if as_of > ctx.now {
        return refuse(Rule::RelExpire, "units are not expired ahead of time");
    }
    Ok(state
        .index
        .workable_expired_by(as_of)
        .into_iter()
        .filter_map(|id| state.components.get(id))
        .filter(|c| c.status.is_workable() && c.expires_at <= as_of)
        .map(|c| {
            Event::Release(ReleaseEvent::ComponentExpired {
                id: c.id.clone(),
                at: c.expires_at,
            })
        })
        .collect())
}

/// Invariant 2 and REC-TRACE: only a released, in-date unit ships, and always to a consignee.
pub(crate) fn ship(
    state: &State,
    id: &str,
    consignee: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let component = manufacturing::find_component(state, id)?;
    if component.status != Status::Available {
        return refuse(
            Rule::RelGate,
            format!(
                "{id} is {}; only released units ship",
                component.status.as_str()
            ),
        );
    }
    if component.expires_at <= ctx.now {
        return refuse(
            Rule::RelExpire,
            format!("{id} expired at {}", component.expires_at),
        );
    }
    if consignee.trim().is_empty() {
        return refuse(Rule::RecTrace, "a shipment needs its consignee");
    }
    if !matches!(
        component.location,
        crate::distribution::Location::Site { .. } | crate::distribution::Location::Unplaced
    ) {
        return refuse(
            Rule::DistTransfer,
            format!(
                "{id} is {}; it ships from one of our sites",
                component.location.describe()
            ),
        );
    }
    if let Some(order) = state.allocations.get(id) {
        return refuse(
            Rule::DistPick,
            format!("{id} is allocated to order {order}; it ships with that order"),
        );
    }
    Ok(vec![Event::Distribution(
        DistributionEvent::ComponentShipped {
            id: id.to_owned(),
            consignee: consignee.to_owned(),
            at: ctx.now,
            by: ctx.actor.clone(),
            shipment: None,
        },
    )])
}
