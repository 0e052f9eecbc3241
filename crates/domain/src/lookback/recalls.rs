//! Recalls and market withdrawals (21 CFR 7.3, 7.40-7.59; RECALL-CLASS): a set of units chosen
//! by unit, DIN, donor or product and collection dates; every unit that may still reach a
//! patient is held at once (so none is released, shipped or issued while the recall is
//! open), each consignee is told, and each unit is followed to its end (RECALL-TRACK).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::Context;
use crate::command::Event;
use crate::kernel::refusal::{Refusal, Rule, refuse};
use crate::lookback::Event as LookbackEvent;
use crate::lookback::clocks::RecallClass;
use crate::lookback::command::Done;
use crate::lookback::trace::{self, Whereabouts};
use crate::manufacturing::{Component, Status};
use crate::release::{HoldKind, HoldPlan, HoldTarget};
use crate::state::State;

/// The most units one recall may name (a larger one is split by product or date).
pub const MAX_UNITS: usize = 5_000;

/// A recall of a class, or a market withdrawal (7.3(j): a minor violation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RecallKind {
    Recall { class: RecallClass },
    MarketWithdrawal,
}

impl RecallKind {
    pub fn describe(self) -> String {
        match self {
            RecallKind::Recall { class } => format!("Class {class:?} recall"),
            RecallKind::MarketWithdrawal => "market withdrawal".to_owned(),
        }
    }
}

/// Which units a recall takes in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Selection {
    Units {
        components: Vec<String>,
    },
    Donations {
        dins: Vec<String>,
    },
    Donor {
        donor_id: String,
    },
    /// Every unit of a product description code collected on these days.
    Product {
        description_code: String,
        collected_from: Date,
        collected_until: Date,
    },
}

/// How a recalled unit ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RecallOutcome {
    /// Destroyed (by us, or by the consignee, as it reported).
    Destroyed,
    /// Transfused before the recall reached it.
    TransfusedBeforeRecall,
    /// Made into other units before the recall; those are recalled with their DIN.
    ProcessedBeforeRecall,
    /// Corrected (relabelled) and kept: a market withdrawal or a class III recall only.
    Corrected,
}

impl RecallOutcome {
    pub fn describe(self) -> &'static str {
        match self {
            RecallOutcome::Destroyed => "destroyed",
            RecallOutcome::TransfusedBeforeRecall => "transfused before the recall",
            RecallOutcome::ProcessedBeforeRecall => "made into other units before the recall",
            RecallOutcome::Corrected => "corrected",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Step {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecallUnit {
    pub component: String,
    /// The hospital it had gone to when the recall opened.
    #[serde(default)]
    pub consignee: Option<String>,
    #[serde(default)]
    pub returned: Option<Step>,
    #[serde(default)]
    pub outcome: Option<(RecallOutcome, Step)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsigneeNotice {
    pub hospital: String,
    pub units: Vec<String>,
    #[serde(default)]
    pub done: Option<Done>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Recall {
    pub id: String,
    pub kind: RecallKind,
    pub reason: String,
    pub selection: Selection,
    pub units: Vec<RecallUnit>,
    pub holds: Vec<String>,
    pub consignees: Vec<ConsigneeNotice>,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    pub opened_by: String,
    #[serde(default)]
    pub closed: Option<Step>,
}

impl Recall {
    pub fn is_open(&self) -> bool {
        self.closed.is_none()
    }

    /// What still stands between the recall and its closing, in words.
    pub fn outstanding(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .consignees
            .iter()
            .filter(|c| c.done.is_none())
            .map(|c| format!("{} not yet told", c.hospital))
            .collect();
        out.extend(
            self.units
                .iter()
                .filter(|u| u.outcome.is_none())
                .map(|u| format!("{} has no outcome", u.component)),
        );
        out
    }
}

fn selected<'a>(state: &'a State, selection: &Selection) -> Result<Vec<&'a Component>, Refusal> {
    let units: Vec<&Component> = match selection {
        Selection::Units { components } => {
            too_many(components.len())?;
            let mut units = Vec::new();
            for id in components {
                let unit = crate::manufacturing::find_component(state, id)?;
                if unit.status == Status::Processed {
                    return refuse(
                        Rule::RecallTrack,
                        format!("{id} was made into other units: recall them by its DIN"),
                    );
                }
                units.push(unit);
            }
            units
        }
        Selection::Donations { dins } => {
            too_many(dins.len())?;
            for din in dins {
                crate::lab::find_donation(state, din)?;
            }
            trace::units_of(state, dins)
        }
        Selection::Donor { donor_id } => {
            let donor = crate::donor_centre::find_donor(state, donor_id)?;
            trace::units_of(state, &donor.donations)
        }
        Selection::Product {
            description_code,
            collected_from,
            collected_until,
        } => {
            if collected_from > collected_until {
                return refuse(
                    Rule::LbInput,
                    format!("collected from {collected_from} is after {collected_until}"),
                );
            }
            let days = (*collected_until - *collected_from).whole_days();
            if days > 366 {
                return refuse(
                    Rule::LbInput,
                    format!("a product recall covers at most 366 days of collections, not {days}"),
                );
            }
            state
                .components
                .values()
                .filter(|c| c.description_code == *description_code)
                .filter(|c| {
                    let day = crate::lookback::lookbacks::local_date(state, c.collected_at);
                    (*collected_from..=*collected_until).contains(&day)
                })
                .collect()
        }
    };
    too_many(units.len())?;
    if units.is_empty() {
        return refuse(Rule::RecallTrack, "the selection holds no unit");
    }
    Ok(units)
}

fn too_many(n: usize) -> Result<(), Refusal> {
    if n > MAX_UNITS {
        return refuse(
            Rule::LbInput,
            format!("a recall names at most {MAX_UNITS} units or donations, not {n}"),
        );
    }
    Ok(())
}

/// The outcome a unit already has when the recall opens (a final state of our records).
fn outcome_already(whereabouts: &Whereabouts) -> Option<RecallOutcome> {
    match whereabouts {
        Whereabouts::Transfused { .. } => Some(RecallOutcome::TransfusedBeforeRecall),
        Whereabouts::Discarded | Whereabouts::WastedAtHospital { .. } => {
            Some(RecallOutcome::Destroyed)
        }
        Whereabouts::ProcessedFurther => Some(RecallOutcome::ProcessedBeforeRecall),
        _ => None,
    }
}

/// RECALL-CLASS, RECALL-TRACK: open a recall, hold every unit that may still reach a patient.
pub(crate) fn open(
    state: &State,
    kind: RecallKind,
    reason: &str,
    selection: &Selection,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    crate::lookback::check_text("reason", reason)?;
    let units = selected(state, selection)?;
    let id = format!("RC-{:06}", state.lookback.recalls.len() + 1);
    let hold_reason = format!("{} {id}: {}", kind.describe(), reason.trim());
    let mut plan = HoldPlan::new(state);
    let mut events = Vec::new();
    let mut holds = Vec::new();
    let mut recalled = Vec::new();
    let mut consignees: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for unit in units {
        let whereabouts = trace::whereabouts(state, unit);
        let consignee = whereabouts.consignee().map(str::to_owned);
        if let Some(hospital) = &consignee {
            consignees
                .entry(hospital.clone())
                .or_default()
                .push(unit.id.clone());
        }
        let outcome = outcome_already(&whereabouts).map(|o| {
            let note = format!("recorded before the recall: {}", whereabouts.describe());
            (
                o,
                Step {
                    at: ctx.now,
                    by: ctx.actor.clone(),
                    note,
                },
            )
        });
        if outcome.is_none() {
            let placed = plan.hold(
                HoldTarget::Component {
                    id: unit.id.clone(),
                },
                HoldKind::Recall,
                &hold_reason,
                ctx,
            );
            holds.extend(placed.iter().filter_map(|e| match e {
                Event::Release(crate::ReleaseEvent::HoldPlaced { hold }) => Some(hold.id.clone()),
                _ => None,
            }));
            events.extend(placed);
        }
        recalled.push(RecallUnit {
            component: unit.id.clone(),
            consignee,
            returned: None,
            outcome,
        });
    }
    events.push(Event::Lookback(LookbackEvent::RecallOpened {
        recall: Box::new(Recall {
            id,
            kind,
            reason: reason.trim().to_owned(),
            selection: selection.clone(),
            units: recalled,
            holds,
            consignees: consignees
                .into_iter()
                .map(|(hospital, units)| ConsigneeNotice {
                    hospital,
                    units,
                    done: None,
                })
                .collect(),
            opened_at: ctx.now,
            opened_by: ctx.actor.clone(),
            closed: None,
        }),
    }));
    Ok(events)
}

pub(crate) fn find_open<'a>(state: &'a State, id: &str) -> Result<&'a Recall, Refusal> {
    let Some(recall) = state.lookback.recalls.get(id) else {
        return refuse(Rule::NotFound, format!("no recall {id}"));
    };
    if !recall.is_open() {
        return refuse(Rule::RecallTrack, format!("recall {id} is closed"));
    }
    Ok(recall)
}

fn unit_of<'a>(recall: &'a Recall, component: &str) -> Result<&'a RecallUnit, Refusal> {
    recall
        .units
        .iter()
        .find(|u| u.component == component)
        .ok_or_else(|| {
            Refusal::new(
                Rule::NotFound,
                format!("{component} is not a unit of recall {}", recall.id),
            )
        })
}

pub(crate) fn notify(
    state: &State,
    recall_id: &str,
    hospital: &str,
    contact: &str,
    method: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let recall = find_open(state, recall_id)?;
    let Some(notice) = recall.consignees.iter().find(|c| c.hospital == hospital) else {
        return refuse(
            Rule::NotFound,
            format!("no unit of recall {recall_id} went to {hospital}"),
        );
    };
    if let Some(done) = &notice.done {
        return refuse(
            Rule::RecallTrack,
            format!("{hospital} was told by {} at {}", done.by, done.at),
        );
    }
    crate::lookback::check_text("contact", contact)?;
    crate::lookback::check_text("method", method)?;
    Ok(vec![Event::Lookback(
        LookbackEvent::RecallConsigneeNotified {
            recall_id: recall_id.to_owned(),
            hospital: hospital.to_owned(),
            done: Done {
                at: ctx.now,
                by: ctx.actor.clone(),
                contact: contact.trim().to_owned(),
                method: method.trim().to_owned(),
            },
        },
    )])
}

pub(crate) fn record_return(
    state: &State,
    recall_id: &str,
    component: &str,
    note: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let recall = find_open(state, recall_id)?;
    let unit = unit_of(recall, component)?;
    if unit.consignee.is_none() {
        return refuse(
            Rule::RecallTrack,
            format!("{component} never left us: there is nothing to return"),
        );
    }
    if unit.returned.is_some() || unit.outcome.is_some() {
        return refuse(
            Rule::RecallTrack,
            format!("{component}'s return or outcome is already recorded"),
        );
    }
    crate::lookback::check_text("note", note)?;
    Ok(vec![Event::Lookback(LookbackEvent::RecallUnitReturned {
        recall_id: recall_id.to_owned(),
        component: component.to_owned(),
        note: note.trim().to_owned(),
        at: ctx.now,
        by: ctx.actor.clone(),
    })])
}

/// RECALL-TRACK: a unit's end. A unit in our hands that is destroyed is discarded in the same
/// decision; a correction is for a market withdrawal or a class III recall only.
pub(crate) fn record_outcome(
    state: &State,
    recall_id: &str,
    component: &str,
    outcome: RecallOutcome,
    note: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let recall = find_open(state, recall_id)?;
    let unit = unit_of(recall, component)?;
    if let Some((done, step)) = &unit.outcome {
        return refuse(
            Rule::RecallTrack,
            format!(
                "{component} is already recorded {} ({} at {})",
                done.describe(),
                step.by,
                step.at
            ),
        );
    }
    let serious = matches!(
        recall.kind,
        RecallKind::Recall {
            class: RecallClass::I | RecallClass::II
        }
    );
    if outcome == RecallOutcome::Corrected && serious {
        return refuse(
            Rule::RecallClass,
            format!(
                "a unit of a {} is returned and destroyed, not corrected",
                recall.kind.describe()
            ),
        );
    }
    crate::lookback::check_text("note", note)?;
    let mut events = Vec::new();
    if let Some(c) = state.components.get(component) {
        let in_our_hands = !matches!(
            c.status,
            Status::Shipped | Status::Discarded | Status::Processed
        );
        if outcome == RecallOutcome::Destroyed && in_our_hands {
            events.push(Event::Manufacturing(
                crate::ManufacturingEvent::ComponentDiscarded {
                    id: component.to_owned(),
                    reason: format!("{} {recall_id}: {}", recall.kind.describe(), note.trim()),
                    at: ctx.now,
                    by: ctx.actor.clone(),
                },
            ));
        }
        if outcome == RecallOutcome::TransfusedBeforeRecall && in_our_hands {
            return refuse(
                Rule::RecallTrack,
                format!(
                    "{component} is {} in our hands, not transfused",
                    c.status.as_str()
                ),
            );
        }
    }
    events.push(Event::Lookback(LookbackEvent::RecallUnitOutcome {
        recall_id: recall_id.to_owned(),
        component: component.to_owned(),
        outcome,
        note: note.trim().to_owned(),
        at: ctx.now,
        by: ctx.actor.clone(),
    }));
    Ok(events)
}

/// RECALL-TRACK: closed only when every consignee is told and every unit has its end; the
/// recall's holds still open are released (a corrected unit passes the release gate again).
pub(crate) fn close(
    state: &State,
    recall_id: &str,
    summary: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let recall = find_open(state, recall_id)?;
    let outstanding = recall.outstanding();
    if !outstanding.is_empty() {
        return refuse(
            Rule::RecallTrack,
            format!(
                "recall {recall_id} cannot close: {}",
                outstanding.join("; ")
            ),
        );
    }
    crate::lookback::check_text("summary", summary)?;
    let mut events: Vec<Event> = recall
        .holds
        .iter()
        .filter(|h| state.holds.get(*h).is_some_and(|h| h.is_open()))
        .map(|h| {
            Event::Release(crate::ReleaseEvent::HoldReleased {
                hold_id: h.clone(),
                reason: format!("recall {recall_id} closed"),
                at: ctx.now,
                by: ctx.actor.clone(),
            })
        })
        .collect();
    events.push(Event::Lookback(LookbackEvent::RecallClosed {
        recall_id: recall_id.to_owned(),
        summary: summary.trim().to_owned(),
        at: ctx.now,
        by: ctx.actor.clone(),
    }));
    Ok(events)
}
