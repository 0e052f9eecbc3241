//! Allocation: which units fill an order. [`propose_allocation`] proposes, a distribution user
//! confirms or changes the proposal with `AllocateOrder`, which checks every unit again.
//!
//! Rules:
//! - ALLOC-FEFO: only released (available), in-date units with no open hold, not allocated to
//!   another order, that meet every attribute of the line and are at the picking site are
//!   proposed; among equally good matches the earliest expiry goes first.
//! - ALLOC-SUBST: the exact ABO/RhD first; a substitute only when the exact group is short, and
//!   only where the compatibility tables allow it (COMPAT-RBC, COMPAT-PLASMA, COMPAT-PLT,
//!   COMPAT-CRYO, COMPAT-RHD), never an incompatible unit; each substitute records the rule that
//!   allows it. RhD-positive red cells for an RhD-negative recipient need a physician's
//!   approval (COMPAT-RHD), which an order does not carry: they are never allocated. For
//!   platelets, ABO-non-identical or RhD-positive-to-negative units are allowed with the
//!   table's warning (COMPAT-PLT) as the substitution note.
//!
//! Preference among substitutes (a choice, the rule book is silent): a unit differing only in
//! RhD before one differing in ABO, then one differing in both; group O RhD-negative red cells
//! (the universal donor, the scarcest) go last among red cells. FEFO holds within each rank.

use crate::DistributionEvent;
use serde::Serialize;
use time::OffsetDateTime;

use crate::Context;
use crate::command::Event;
use crate::distribution::orders::{
    AllocatedUnit, Need, Order, OrderLine, Substitution, find_order,
};
use crate::kernel::compat::{self, Compatibility};
use crate::kernel::refusal::{Refusal, Rule, refuse};
use crate::kernel::{Abo, RhD};
use crate::manufacturing::{self, Attr, Component, Family, Status};
use crate::release::confirmed_group;
use crate::state::State;

/// How a unit matches a line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "match", rename_all = "snake_case")]
pub enum Match {
    Exact,
    Substitute { rule: Rule, note: String },
}

impl Match {
    /// 0 for exact, higher for a less preferred substitute (see the module docs).
    pub fn rank(&self, donor: (Abo, RhD), line: &OrderLine) -> u8 {
        match self {
            Match::Exact => 0,
            Match::Substitute { .. } => {
                let abo_differs = donor.0 != line.abo;
                let rhd_differs = donor.1 != line.rhd;
                let universal =
                    matches!(line.component_type, Family::RedCells | Family::WholeBlood)
                        && donor == (Abo::O, RhD::Negative);
                match (abo_differs, rhd_differs) {
                    _ if universal => 4,
                    (false, _) => 1,
                    (true, false) => 2,
                    (true, true) => 3,
                }
            }
        }
    }
    pub fn substitution(&self) -> Option<Substitution> {
        match self {
            Match::Exact => None,
            Match::Substitute { rule, note } => Some(Substitution {
                rule: rule.as_str().to_owned(),
                note: note.clone(),
            }),
        }
    }
}

/// One proposed unit.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProposedUnit {
    pub component: String,
    pub product_code: String,
    pub abo: Abo,
    pub rhd: RhD,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    #[serde(flatten)]
    pub matched: Match,
    /// 0 exact; higher is a less preferred substitute.
    pub rank: u8,
}

/// The proposal for one line; `shortfall` units could not be found, for `shortfall_reason`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProposedLine {
    pub line: u32,
    pub wanted: u32,
    pub units: Vec<ProposedUnit>,
    pub shortfall: u32,
    pub shortfall_reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Proposal {
    pub order_id: String,
    pub site: String,
    pub lines: Vec<ProposedLine>,
}

impl Proposal {
    /// The proposal as the units of an `AllocateOrder` command.
    pub fn choices(&self) -> Vec<crate::command::LineUnit> {
        self.lines
            .iter()
            .flat_map(|l| {
                l.units.iter().map(|u| crate::command::LineUnit {
                    line: l.line,
                    component: u.component.clone(),
                })
            })
            .collect()
    }
    pub fn shortfall(&self) -> u32 {
        self.lines.iter().map(|l| l.shortfall).sum()
    }
}

/// Whether the unit has what the line needs; the first need it lacks otherwise.
fn missing_need(component: &Component, needs: &[Need]) -> Option<Need> {
    let has = |attr: Attr| component.attributes.contains(&attr);
    needs.iter().copied().find(|need| match need {
        Need::Irradiated => !has(Attr::Irradiated),
        Need::CmvSafe | Need::Leukoreduced => !has(Attr::Leukoreduced),
        Need::Washed => !has(Attr::Washed),
        // No HLA or red-cell antigen typing is kept: no unit is known to meet these.
        Need::HlaMatched | Need::AntigenNegative => true,
    })
}

/// ALLOC-SUBST: how a donor group matches a recipient line by the compatibility tables, or why
/// it may not be given.
pub fn group_match(line: &OrderLine, donor: (Abo, RhD)) -> Result<Match, String> {
    let (abo, rhd) = donor;
    let recipient = format!("{}{}", abo_str(line.abo), rhd_sign(line.rhd));
    let given = format!("{}{}", abo_str(abo), rhd_sign(rhd));
    let incompatible = |rule: Rule| {
        Err(format!(
            "{given} is incompatible with a {recipient} recipient ({rule})"
        ))
    };
    match line.component_type {
        Family::RedCells | Family::WholeBlood => {
            let abo_ok = if line.component_type == Family::WholeBlood {
                compat::whole_blood(line.abo, abo)
            } else {
                compat::red_cells(line.abo, abo)
            };
            if !abo_ok {
                return incompatible(Rule::CompatRbc);
            }
            if let Compatibility::NeedsPhysicianApproval(why) = compat::red_cells_rhd(line.rhd, rhd)
            {
                return Err(format!("{why} needs a physician's approval (COMPAT-RHD)"));
            }
            Ok(if abo != line.abo {
                Match::Substitute {
                    rule: Rule::CompatRbc,
                    note: format!("group {given} red cells for a {recipient} recipient"),
                }
            } else if rhd != line.rhd {
                Match::Substitute {
                    rule: Rule::CompatRhd,
                    note: format!("RhD-negative red cells for an RhD-positive recipient ({given})"),
                }
            } else {
                Match::Exact
            })
        }
        Family::Plasma => {
            if !compat::plasma(line.abo, abo) {
                return incompatible(Rule::CompatPlasma);
            }
            Ok(if abo == line.abo {
                Match::Exact
            } else {
                Match::Substitute {
                    rule: Rule::CompatPlasma,
                    note: format!(
                        "group {} plasma for a group {} recipient",
                        abo_str(abo),
                        abo_str(line.abo)
                    ),
                }
            })
        }
        Family::Cryo if !compat::cryo(line.abo, abo) => incompatible(Rule::CompatCryo),
        Family::Cryo => Ok(if abo == line.abo {
            Match::Exact
        } else {
            Match::Substitute {
                rule: Rule::CompatCryo,
                note: format!(
                    "group {} cryoprecipitate for a group {} recipient",
                    abo_str(abo),
                    abo_str(line.abo)
                ),
            }
        }),
        Family::Platelets => Ok(match compat::platelets((line.abo, line.rhd), donor) {
            Compatibility::Compatible => Match::Exact,
            Compatibility::AllowedWithWarning(note)
            | Compatibility::NeedsPhysicianApproval(note) => Match::Substitute {
                rule: Rule::CompatPlt,
                note: format!("{given} platelets for a {recipient} recipient: {note}"),
            },
            Compatibility::Incompatible => return incompatible(Rule::CompatPlt),
        }),
    }
}

pub fn abo_str(abo: Abo) -> &'static str {
    match abo {
        Abo::O => "O",
        Abo::A => "A",
        Abo::B => "B",
        Abo::AB => "AB",
    }
}

pub fn rhd_sign(rhd: RhD) -> &'static str {
    match rhd {
        RhD::Positive => "+",
        RhD::Negative => "-",
    }
}

/// ALLOC-FEFO and ALLOC-SUBST: whether `component` may fill `line` of `order` at `now`, and
/// how; the reason in words otherwise. The site is not checked here.
pub fn suitability(
    state: &State,
    order: &Order,
    line: &OrderLine,
    component: &Component,
    now: OffsetDateTime,
) -> Result<(Match, (Abo, RhD)), String> {
    let id = &component.id;
    if component.status != Status::Available {
        return Err(format!(
            "{id} is {}, not released",
            component.status.as_str()
        ));
    }
    if component.expires_at <= now {
        return Err(format!("{id} expired at {}", component.expires_at));
    }
    if let Some(hold) = state
        .holds
        .values()
        .find(|h| h.is_open() && h.covers(component))
    {
        return Err(format!("{id} is under hold {}: {}", hold.id, hold.reason));
    }
    if let Some(other) = state.allocations.get(id)
        && *other != order.id
    {
        return Err(format!("{id} is allocated to order {other}"));
    }
    if component.family != line.component_type {
        return Err(format!(
            "{id} is {}, the line asks for {}",
            component.family.describe(),
            line.component_type.describe()
        ));
    }
    if let Some(need) = missing_need(component, &line.attributes) {
        return Err(format!("{id} is not {}", need.as_str()));
    }
    let group = confirmed_group(state, component)
        .ok_or_else(|| format!("{id} has no confirmed ABO/RhD"))?;
    let matched = group_match(line, group)?;
    Ok((matched, group))
}

/// ALLOC-FEFO, ALLOC-SUBST: the units Hemaflow proposes for every line of an order from the
/// stock at `site`. Pure: nothing is reserved until `AllocateOrder` is accepted.
pub fn propose_allocation(
    state: &State,
    order_id: &str,
    site: &str,
    now: OffsetDateTime,
) -> Result<Proposal, Refusal> {
    let order = find_order(state, order_id)?;
    crate::distribution::sites::find_site(state, site)?;
    let stock: Vec<&Component> = state
        .components
        .values()
        .filter(|c| c.status == Status::Available && c.location.site() == Some(site))
        .collect();
    let mut taken: Vec<String> = Vec::new();
    let mut lines = Vec::new();
    for (index, line) in order.lines.iter().enumerate() {
        let mut candidates: Vec<ProposedUnit> = stock
            .iter()
            .filter(|c| !taken.contains(&c.id))
            .filter_map(|c| {
                let (matched, group) = suitability(state, order, line, c, now).ok()?;
                Some(ProposedUnit {
                    component: c.id.clone(),
                    product_code: c.product_code.clone(),
                    abo: group.0,
                    rhd: group.1,
                    expires_at: c.expires_at,
                    rank: matched.rank(group, line),
                    matched,
                })
            })
            .collect();
        candidates.sort_by(|a, b| {
            (a.rank, a.expires_at, &a.component).cmp(&(b.rank, b.expires_at, &b.component))
        });
        candidates.truncate(line.quantity as usize);
        taken.extend(candidates.iter().map(|u| u.component.clone()));
        let shortfall = line.quantity - candidates.len() as u32;
        lines.push(ProposedLine {
            line: index as u32,
            wanted: line.quantity,
            shortfall,
            shortfall_reason: (shortfall > 0).then(|| shortfall_reason(line, site)),
            units: candidates,
        });
    }
    Ok(Proposal {
        order_id: order_id.to_owned(),
        site: site.to_owned(),
        lines,
    })
}

fn shortfall_reason(line: &OrderLine, site: &str) -> String {
    if let Some(need) = line
        .attributes
        .iter()
        .find(|n| matches!(n, Need::HlaMatched | Need::AntigenNegative))
    {
        return format!(
            "no unit is typed as {}: refer the line to the reference laboratory",
            need.as_str()
        );
    }
    format!(
        "not enough released, in-date, compatible units with the attributes asked at site {site}"
    )
}

/// ALLOC-FEFO, ALLOC-SUBST: allocate the chosen units (the proposal or a changed one), each
/// checked again; replaces an earlier allocation until the order ships (a picked unit left
/// out goes back to stock, one kept stays picked).
pub(crate) fn allocate_order(
    state: &State,
    order_id: &str,
    choices: &[crate::command::LineUnit],
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let order = find_order(state, order_id)?;
    if !order.is_pending() {
        return refuse(
            Rule::OrderState,
            format!(
                "order {order_id} is {}; it is allocated only before it ships",
                order.status().as_str()
            ),
        );
    }
    if choices.is_empty() {
        return refuse(Rule::DistInput, "an allocation needs at least one unit");
    }
    let mut units = Vec::new();
    for (i, choice) in choices.iter().enumerate() {
        if choices[..i].iter().any(|c| c.component == choice.component) {
            return refuse(
                Rule::DistInput,
                format!("{} is chosen twice", choice.component),
            );
        }
        let line = order.lines.get(choice.line as usize).ok_or_else(|| {
            Refusal::new(
                Rule::DistInput,
                format!("order {order_id} has no line {}", choice.line),
            )
        })?;
        let chosen_for_line = choices[..=i]
            .iter()
            .filter(|c| c.line == choice.line)
            .count();
        if chosen_for_line > line.quantity as usize {
            return refuse(
                Rule::DistInput,
                format!(
                    "line {} asks for {} units; more are chosen",
                    choice.line, line.quantity
                ),
            );
        }
        let component = manufacturing::find_component(state, &choice.component)?;
        let (matched, _) = suitability(state, order, line, component, ctx.now).map_err(|why| {
            let rule = if why.contains("COMPAT-") {
                Rule::AllocSubst
            } else {
                Rule::AllocFefo
            };
            Refusal::new(rule, why)
        })?;
        if component.location.site().is_none() {
            return refuse(
                Rule::AllocFefo,
                format!("{} is {}", component.id, component.location.describe()),
            );
        }
        units.push(AllocatedUnit {
            line: choice.line,
            component: choice.component.clone(),
            substitution: matched.substitution(),
        });
    }
    Ok(vec![Event::Distribution(
        DistributionEvent::OrderAllocated {
            order_id: order_id.to_owned(),
            units,
            at: ctx.now,
            by: ctx.actor.clone(),
        },
    )])
}
