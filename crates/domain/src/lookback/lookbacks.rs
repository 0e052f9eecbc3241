//! Lookback (21 CFR 610.46 HIV, 610.47 HCV): when a donor tests reactive for an agent the
//! lookback table lists, every earlier donation in the window (LB-WINDOW) is traced to every
//! unit made from it; in-date units are held (quarantined) in the same decision, and each
//! consignee, then each recipient's physician, is told on a clock (LB-DEADLINES).
//!
//! Choices, where the rule book is silent:
//! - The window ends at the donor's most recent earlier donation whose screening for the
//!   agent's markers was all nonreactive and starts 12 calendar months before it (610.46(a)(1)
//!   (i)); when the trigger is a direct viral detection test (NAT) with the agent's antibody
//!   nonreactive on the same donation, it starts no earlier than 12 months before that
//!   reactive donation ((a)(1)(ii), "whichever is the lesser period").
//! - A lookback is started once per donor and agent while one is open: a second reactive
//!   marker of the same agent (anti-HIV after HIV NAT) adds nothing to trace.
//! - Every donation in the window with a unit that may still reach a patient is held; units
//!   at a consignee whose service is not ours are held on our record (their issue is refused
//!   wherever our transfusion service runs) and the consignee is told to quarantine them.
//! - Supplemental negative: the lookback's holds are released (the units stay quarantined
//!   and pass the release gate again, relabelled where needed) and no recipient is notified.
//!   Positive, indeterminate, or no supplemental test possible: the held units still in our
//!   hands are made unsafe and every recipient's physician is told within 12 weeks (610.46(b):
//!   notification is required unless the further test is negative).
//! - The lookback closes itself when the supplemental result is linked and every notice is
//!   given.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::Context;
use crate::command::Event;
use crate::donor_centre::Donation;
use crate::kernel::refusal::{Refusal, Rule, refuse};
use crate::lab::MarkerStatus;
use crate::lookback::Event as LookbackEvent;
use crate::lookback::clocks;
use crate::lookback::command::Done;
use crate::lookback::config::AgentRule;
use crate::lookback::trace::{self, Whereabouts};
use crate::manufacturing::Status;
use crate::release::{HoldKind, HoldPlan, HoldTarget};
use crate::state::State;

/// What started the lookback.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Trigger {
    /// A repeat-reactive or reactive screening result of the donation.
    Result { din: String, test: String },
    /// Other reliable evidence of infection, recorded by QA.
    Evidence { text: String },
}

impl Trigger {
    pub fn describe(&self) -> String {
        match self {
            Trigger::Result { din, test } => format!("{test} of {din}"),
            Trigger::Evidence { text } => format!("evidence of infection: {text}"),
        }
    }
}

/// LB-WINDOW: the earlier donations looked back on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Window {
    /// The most recent earlier donation whose screening for the agent was nonreactive.
    pub last_nonreactive: Option<String>,
    pub from: Option<Date>,
    pub until: Option<Date>,
    /// Which paragraph set the window, in words.
    pub basis: String,
    /// The donations in the window, most recent first.
    pub donations: Vec<String>,
}

/// A notice the lookback owes, with its deadline (LB-DEADLINES).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "notice", rename_all = "snake_case")]
pub enum Notice {
    /// Tell the consignee to quarantine these units (3 calendar days).
    Quarantine {
        hospital: String,
        units: Vec<String>,
    },
    /// Tell the consignee the supplemental result (45 calendar days).
    SupplementalResult { hospital: String },
    /// Tell the physician of a recipient (12 weeks from the supplemental result).
    RecipientPhysician {
        hospital: String,
        patient: String,
        component: String,
    },
}

impl Notice {
    pub fn describe(&self) -> String {
        match self {
            Notice::Quarantine { hospital, units } => format!(
                "tell {hospital} to quarantine {} unit(s): {}",
                units.len(),
                units.join(", ")
            ),
            Notice::SupplementalResult { hospital } => {
                format!("tell {hospital} the supplemental test result")
            }
            Notice::RecipientPhysician {
                hospital,
                patient,
                component,
            } => format!(
                "tell the physician of patient {patient} at {hospital}, who received {component}"
            ),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = LookbackTask))]
pub struct Task {
    pub id: String,
    pub notice: Notice,
    pub due: Date,
    #[serde(default)]
    pub done: Option<Done>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SupplementalOutcome {
    Negative,
    Positive,
    Indeterminate,
    /// No supplemental test could be done (no sample, no licensed test).
    NotPossible,
}

impl SupplementalOutcome {
    /// 610.46(b): recipients are notified unless the further test is negative.
    pub fn notifies_recipients(self) -> bool {
        self != SupplementalOutcome::Negative
    }

    pub fn describe(self) -> &'static str {
        match self {
            SupplementalOutcome::Negative => "negative",
            SupplementalOutcome::Positive => "positive",
            SupplementalOutcome::Indeterminate => "indeterminate",
            SupplementalOutcome::NotPossible => "not possible",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Supplemental {
    pub outcome: SupplementalOutcome,
    /// The marker whose supplemental result it is, when there is one.
    #[serde(default)]
    pub test: Option<String>,
    pub note: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Lookback {
    pub id: String,
    pub donor_id: String,
    pub agent: String,
    pub regulation: String,
    pub trigger: Trigger,
    /// The day the donor tested reactive (or the evidence was learnt): the clocks run from it.
    pub reactive_on: Date,
    pub window: Window,
    /// The holds placed on the window's donations.
    pub holds: Vec<String>,
    pub tasks: Vec<Task>,
    #[serde(default)]
    pub supplemental: Option<Supplemental>,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    pub opened_by: String,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
}

impl Lookback {
    pub fn is_open(&self) -> bool {
        self.closed_at.is_none()
    }

    pub fn open_tasks(&self) -> impl Iterator<Item = &Task> {
        self.tasks.iter().filter(|t| t.done.is_none())
    }

    fn next_task_id(&self, offset: usize) -> String {
        format!("{}-{}", self.id, self.tasks.len() + offset + 1)
    }
}

/// The site's local date of an instant (the calendar the deadlines are counted on).
pub fn local_date(state: &State, at: OffsetDateTime) -> Date {
    match state.config.labels.offset() {
        Ok(offset) => at.to_offset(offset).date(),
        Err(_) => at.date(),
    }
}

/// Whether the donation's screening for the agent's markers was all nonreactive.
fn nonreactive_for(donation: &Donation, rule: &AgentRule) -> bool {
    let mut tested = rule
        .markers
        .iter()
        .filter_map(|m| donation.tests.get(m))
        .peekable();
    tested.peek().is_some() && tested.all(MarkerStatus::is_acceptable)
}

/// LB-WINDOW for a donor, before the reactive donation (or all their donations, for a
/// lookback on evidence).
pub fn window(
    state: &State,
    donor_id: &str,
    reactive: Option<&Donation>,
    rule: &AgentRule,
) -> Window {
    let Some(donor) = state.donors.get(donor_id) else {
        return Window::empty("the donor is not on record");
    };
    let mut earlier: Vec<&Donation> = donor
        .donations
        .iter()
        .filter_map(|din| state.donations.get(din))
        .filter(|d| reactive.is_none_or(|r| d.din != r.din && d.ended_at < r.ended_at))
        .collect();
    earlier.sort_by_key(|d| std::cmp::Reverse(d.ended_at));
    let Some(last) = earlier.iter().find(|d| nonreactive_for(d, rule)) else {
        return Window::empty(
            "no earlier donation was screened nonreactive for the agent: nothing to look back on",
        );
    };
    let until = local_date(state, last.ended_at);
    let mut from = clocks::add_months(until, -12);
    let mut basis = format!(
        "12 months before the most recent nonreactive screening ({}, {until})",
        last.din
    );
    if let Some(reactive) = reactive.filter(|r| direct_viral_only(state, r, rule)) {
        let reactive_on = local_date(state, reactive.ended_at);
        let nat_from = clocks::add_months(reactive_on, -12);
        if nat_from > from {
            from = nat_from;
            basis = format!(
                "12 months before the reactive direct viral detection test with nonreactive antibody ({}, {reactive_on}), the lesser period",
                reactive.din
            );
        }
    }
    let donations = earlier
        .iter()
        .filter(|d| (from..=until).contains(&local_date(state, d.ended_at)))
        .map(|d| d.din.clone())
        .collect();
    Window {
        last_nonreactive: Some(last.din.clone()),
        from: Some(from),
        until: Some(until),
        basis,
        donations,
    }
}

/// 610.46(a)(1)(ii): the donation is reactive on a NAT of the agent and nonreactive on its
/// antibody tests.
fn direct_viral_only(state: &State, donation: &Donation, rule: &AgentRule) -> bool {
    let method = |code: &str| {
        state
            .config
            .tests
            .iter()
            .find(|t| t.code == code)
            .map(|t| t.method)
    };
    let mut nat_reactive = false;
    let mut antibody_negative = false;
    for marker in &rule.markers {
        let Some(status) = donation.tests.get(marker) else {
            continue;
        };
        match method(marker) {
            Some(crate::lab::Method::Nat) => nat_reactive |= status.is_unsuitable(),
            Some(crate::lab::Method::Serology) => antibody_negative |= status.is_acceptable(),
            None => {}
        }
    }
    nat_reactive && antibody_negative
}

impl Window {
    fn empty(basis: &str) -> Window {
        Window {
            last_nonreactive: None,
            from: None,
            until: None,
            basis: basis.to_owned(),
            donations: Vec::new(),
        }
    }
}

/// The open lookback of a donor for an agent.
pub fn open_lookback<'a>(state: &'a State, donor_id: &str, agent: &str) -> Option<&'a Lookback> {
    state
        .lookback
        .lookbacks
        .values()
        .find(|l| l.is_open() && l.donor_id == donor_id && l.agent == agent)
}

/// What a lookback is started on: the donor, what set it off, and the reactive donation
/// (none for a lookback on other evidence).
pub(crate) struct Found<'a> {
    pub donor_id: &'a str,
    pub trigger: Trigger,
    pub reactive: Option<&'a Donation>,
}

/// Start a lookback (numbered after `earlier` others of the decision): trace the window, hold
/// every donation with a unit that may still reach a patient, and open a quarantine notice and
/// a supplemental-result notice per consignee.
pub(crate) fn start(
    state: &State,
    holds: &mut HoldPlan<'_>,
    earlier: usize,
    found: Found<'_>,
    rule: &AgentRule,
    ctx: &Context,
) -> Vec<Event> {
    let Found {
        donor_id,
        trigger,
        reactive,
    } = found;
    let id = format!("LB-{:06}", state.lookback.lookbacks.len() + earlier + 1);
    let window = window(state, donor_id, reactive, rule);
    let reason = format!(
        "lookback {id}: donor {donor_id} reactive for {}",
        rule.agent
    );
    let mut events = Vec::new();
    let mut hold_ids = Vec::new();
    // Where each unit is, read once for the holds and the notices.
    let units: Vec<(&crate::manufacturing::Component, Whereabouts)> =
        trace::units_of(state, &window.donations)
            .into_iter()
            .map(|u| (u, trace::whereabouts(state, u)))
            .collect();
    for din in &window.donations {
        let reachable = units.iter().any(|(u, place)| {
            u.sources.contains(din) && u.expires_at > ctx.now && place.may_reach_a_patient()
        });
        if !reachable {
            continue;
        }
        let placed = holds.hold(
            HoldTarget::Donation { din: din.clone() },
            HoldKind::Lookback,
            &reason,
            ctx,
        );
        hold_ids.extend(placed.iter().filter_map(|e| match e {
            Event::Release(crate::ReleaseEvent::HoldPlaced { hold }) => Some(hold.id.clone()),
            _ => None,
        }));
        events.extend(placed);
    }
    let reactive_on = local_date(state, ctx.now);
    let due = clocks::lookback_deadlines(reactive_on);
    let mut consignees: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (unit, place) in &units {
        if let Some(hospital) = place.consignee() {
            consignees
                .entry(hospital.to_owned())
                .or_default()
                .push(unit.id.clone());
        }
    }
    let mut tasks = Vec::new();
    for (hospital, units) in consignees {
        let n = tasks.len();
        tasks.push(Task {
            id: format!("{id}-{}", n + 1),
            notice: Notice::Quarantine {
                hospital: hospital.clone(),
                units,
            },
            due: due.quarantine_and_notify_consignees,
            done: None,
        });
        tasks.push(Task {
            id: format!("{id}-{}", n + 2),
            notice: Notice::SupplementalResult { hospital },
            due: due.supplemental_results_to_consignees,
            done: None,
        });
    }
    events.push(Event::Lookback(LookbackEvent::LookbackStarted {
        lookback: Box::new(Lookback {
            id,
            donor_id: donor_id.to_owned(),
            agent: rule.agent.clone(),
            regulation: rule.regulation.clone(),
            trigger,
            reactive_on,
            window,
            holds: hold_ids,
            tasks,
            supplemental: None,
            opened_at: ctx.now,
            opened_by: ctx.actor.clone(),
            closed_at: None,
        }),
    }));
    events
}

/// LB-WINDOW by hand: a donor (or a donor's DIN) and an agent of the lookback table.
pub(crate) fn start_by_hand(
    state: &State,
    donor_id: Option<&str>,
    din: Option<&str>,
    agent: &str,
    evidence: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let donor_id = match (donor_id, din) {
        (Some(donor), None) => crate::donor_centre::find_donor(state, donor)?.id.clone(),
        (None, Some(din)) => crate::lab::find_donation(state, din)?.donor_id.clone(),
        (Some(donor), Some(din)) => {
            let donation = crate::lab::find_donation(state, din)?;
            if donation.donor_id != donor {
                return refuse(
                    Rule::LbWindow,
                    format!(
                        "donation {din} is donor {}'s, not donor {donor}'s",
                        donation.donor_id
                    ),
                );
            }
            donor.to_owned()
        }
        (None, None) => return refuse(Rule::LbInput, "name the donor or one of their DINs"),
    };
    let Some(rule) = state.config.lookback.agent(agent) else {
        let known: Vec<&str> = state
            .config
            .lookback
            .agents
            .iter()
            .map(|a| a.agent.as_str())
            .collect();
        return refuse(
            Rule::LbInput,
            format!(
                "{agent:?} is not an agent of the lookback table ({})",
                known.join(", ")
            ),
        );
    };
    crate::lookback::check_text("evidence", evidence)?;
    if let Some(open) = open_lookback(state, &donor_id, &rule.agent) {
        return refuse(
            Rule::LbWindow,
            format!(
                "lookback {} on donor {donor_id} for {} is already open",
                open.id, rule.agent
            ),
        );
    }
    let mut holds = HoldPlan::new(state);
    let found = Found {
        donor_id: &donor_id,
        trigger: Trigger::Evidence {
            text: evidence.trim().to_owned(),
        },
        reactive: None,
    };
    Ok(start(state, &mut holds, 0, found, rule, ctx))
}

pub(crate) fn find<'a>(state: &'a State, id: &str) -> Result<&'a Lookback, Refusal> {
    state
        .lookback
        .lookbacks
        .get(id)
        .ok_or_else(|| Refusal::new(Rule::NotFound, format!("no lookback {id}")))
}

/// LB-DEADLINES: link the supplemental outcome; negative releases the lookback's holds,
/// anything else makes the held units in our hands unsafe and opens a notice per recipient.
pub(crate) fn link_supplemental(
    state: &State,
    lookback: &Lookback,
    supplemental: Supplemental,
    ctx: &Context,
) -> Vec<Event> {
    let mut events = Vec::new();
    let mut tasks = Vec::new();
    let reason = format!(
        "lookback {}: supplemental test {}",
        lookback.id,
        supplemental.outcome.describe()
    );
    if supplemental.outcome.notifies_recipients() {
        let due = clocks::recipient_notification_due(local_date(state, ctx.now));
        for unit in trace::units_of(state, &lookback.window.donations) {
            let whereabouts = trace::whereabouts(state, unit);
            if let Some((hospital, patient, _)) = whereabouts.recipient() {
                tasks.push(Task {
                    id: lookback.next_task_id(tasks.len()),
                    notice: Notice::RecipientPhysician {
                        hospital: hospital.to_owned(),
                        patient: patient.to_owned(),
                        component: unit.id.clone(),
                    },
                    due,
                    done: None,
                });
            }
            let in_our_hands = matches!(
                unit.status,
                Status::Quarantined | Status::Available | Status::Expired
            );
            if matches!(whereabouts, Whereabouts::OurStock { .. }) && in_our_hands {
                events.push(Event::Release(crate::ReleaseEvent::ComponentMarkedUnsafe {
                    id: unit.id.clone(),
                    reason: reason.clone(),
                    at: ctx.now,
                }));
            }
        }
    } else {
        for hold in &lookback.holds {
            if state.holds.get(hold).is_some_and(|h| h.is_open()) {
                events.push(Event::Release(crate::ReleaseEvent::HoldReleased {
                    hold_id: hold.clone(),
                    reason: reason.clone(),
                    at: ctx.now,
                    by: ctx.actor.clone(),
                }));
            }
        }
    }
    let closes = tasks.is_empty() && lookback.open_tasks().next().is_none();
    events.push(Event::Lookback(LookbackEvent::SupplementalLinked {
        lookback_id: lookback.id.clone(),
        supplemental,
        tasks,
    }));
    if closes {
        events.push(closed(lookback, ctx));
    }
    events
}

fn closed(lookback: &Lookback, ctx: &Context) -> Event {
    Event::Lookback(LookbackEvent::LookbackClosed {
        lookback_id: lookback.id.clone(),
        at: ctx.now,
    })
}

/// LB-DEADLINES: no supplemental test can be done.
pub(crate) fn no_supplemental_test(
    state: &State,
    lookback_id: &str,
    reason: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let lookback = find(state, lookback_id)?;
    awaiting_supplemental(lookback)?;
    crate::lookback::check_text("reason", reason)?;
    let supplemental = Supplemental {
        outcome: SupplementalOutcome::NotPossible,
        test: None,
        note: reason.trim().to_owned(),
        at: ctx.now,
        by: ctx.actor.clone(),
    };
    Ok(link_supplemental(state, lookback, supplemental, ctx))
}

fn awaiting_supplemental(lookback: &Lookback) -> Result<(), Refusal> {
    if let Some(s) = &lookback.supplemental {
        return refuse(
            Rule::LbDeadlines,
            format!(
                "lookback {} already has its supplemental outcome ({}, {})",
                lookback.id,
                s.outcome.describe(),
                s.at
            ),
        );
    }
    Ok(())
}

/// LB-DEADLINES: a notice given, with whom and how; the last one closes the lookback once
/// the supplemental outcome is in.
pub(crate) fn complete_task(
    state: &State,
    lookback_id: &str,
    task_id: &str,
    contact: &str,
    method: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let lookback = find(state, lookback_id)?;
    let Some(task) = lookback.tasks.iter().find(|t| t.id == task_id) else {
        return refuse(
            Rule::NotFound,
            format!("lookback {lookback_id} has no notice {task_id}"),
        );
    };
    if let Some(done) = &task.done {
        return refuse(
            Rule::LbDeadlines,
            format!(
                "notice {task_id} was already given by {} at {} ({})",
                done.by, done.at, done.method
            ),
        );
    }
    if matches!(task.notice, Notice::SupplementalResult { .. }) && lookback.supplemental.is_none() {
        return refuse(
            Rule::LbDeadlines,
            format!(
                "notice {task_id} gives the supplemental result, and lookback {lookback_id} has none yet"
            ),
        );
    }
    crate::lookback::check_text("contact", contact)?;
    crate::lookback::check_text("method", method)?;
    let mut events = vec![Event::Lookback(LookbackEvent::LookbackTaskCompleted {
        lookback_id: lookback_id.to_owned(),
        task_id: task_id.to_owned(),
        done: Done {
            at: ctx.now,
            by: ctx.actor.clone(),
            contact: contact.trim().to_owned(),
            method: method.trim().to_owned(),
        },
    })];
    let last = lookback.open_tasks().all(|t| t.id == task_id);
    if last && lookback.supplemental.is_some() {
        events.push(closed(lookback, ctx));
    }
    Ok(events)
}

/// A task with its lookback, for the deadlines list.
pub fn open_tasks(state: &State) -> impl Iterator<Item = (&Lookback, &Task)> {
    state
        .lookback
        .lookbacks
        .values()
        .filter(|l| l.is_open())
        .flat_map(|l| l.open_tasks().map(move |t| (l, t)))
}
