//! Components: production by recipe (COMP-SHELF, COMP-PROC, COMP-WEIGHT), modifications that
//! give a new product code and a recomputed expiry (MOD-*), bacterial risk control for
//! platelets (TEST-BACT) and discard with a reason.

use crate::{ManufacturingEvent, ReleaseEvent};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::Context;
use crate::command::Event;
use crate::config::{ComponentType, Config, Recipe};
use crate::distribution::{Location, production_location};
use crate::donor_centre::{self, Donation, VolumeStatus};
use crate::kernel::refusal::{Refusal, Rule, refuse};
use crate::lab::find_donation;
use crate::state::State;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Family {
    WholeBlood,
    RedCells,
    Plasma,
    Platelets,
    Cryo,
}

impl Family {
    /// The family in words, for messages and pages.
    pub fn describe(self) -> &'static str {
        match self {
            Family::WholeBlood => "whole blood",
            Family::RedCells => "red cells",
            Family::Plasma => "plasma",
            Family::Platelets => "platelets",
            Family::Cryo => "cryoprecipitate",
        }
    }
}

/// What a modification adds to a product (MOD-ALLOWED, table 3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Attr {
    Irradiated,
    Leukoreduced,
    Washed,
    Thawed,
    /// Thawed FFP/PF24 relabelled as Thawed Plasma (5 days from thaw).
    ThawedPlasma,
    VolumeReduced,
    Pooled,
}

impl Attr {
    pub fn bit(self) -> u16 {
        match self {
            Attr::Irradiated => 1,
            Attr::Leukoreduced => 2,
            Attr::Washed => 4,
            Attr::Thawed => 8,
            Attr::ThawedPlasma => 16,
            Attr::VolumeReduced => 32,
            Attr::Pooled => 64,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Attr::Irradiated => "Irradiated",
            Attr::Leukoreduced => "Leukocytes reduced",
            Attr::Washed => "Washed",
            Attr::Thawed => "Thawed",
            Attr::ThawedPlasma => "Thawed Plasma",
            Attr::VolumeReduced => "Volume reduced",
            Attr::Pooled => "Pooled",
        }
    }
}

/// REL-QUAR, REL-UNSAFE, REL-EXPIRE: the states of a unit. `Unsafe`, `Discarded` and
/// `Processed` are final; a `Shipped` unit comes back only as `Returned` (DIST-RETURN).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Quarantined,
    Available,
    Expired,
    Shipped,
    Unsafe,
    Discarded,
    Processed,
    /// DIST-RETURN: back from a hospital, waiting for QA's review.
    Returned,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Quarantined => "quarantined",
            Status::Available => "available",
            Status::Expired => "expired",
            Status::Shipped => "shipped",
            Status::Unsafe => "unsafe",
            Status::Discarded => "discarded",
            Status::Processed => "processed",
            Status::Returned => "returned",
        }
    }
    /// Still in the establishment's hands and usable as a source for further work.
    pub fn is_workable(self) -> bool {
        matches!(self, Status::Quarantined | Status::Available)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Component {
    /// `DIN-productcode`, e.g. `W123426000001-D2000V00`.
    pub id: String,
    pub din: String,
    /// The 8 characters of ISBT 128 data structure 003: description code, donation type,
    /// division.
    pub product_code: String,
    pub description_code: String,
    pub name: String,
    pub family: Family,
    pub attributes: Vec<Attr>,
    pub contains_plasma: bool,
    /// The donations this unit comes from: one, or every part's for a pool (REC-TRACE).
    pub sources: Vec<String>,
    pub parents: Vec<String>,
    pub status: Status,
    pub status_reason: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub collected_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub produced_at: OffsetDateTime,
    pub produced_by: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub thawed_at: Option<OffsetDateTime>,
    pub bacterial_control: Option<String>,
    pub label_verified: bool,
    /// LABEL-VERIFY: the structures of the label verified on the unit, as scanned.
    #[serde(default)]
    pub verified_label: Vec<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub released_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub shipped_at: Option<OffsetDateTime>,
    pub consignee: Option<String>,
    /// Where the unit is (DIST-STORAGE, DIST-TRANSFER, DIST-SHIP).
    #[serde(default)]
    pub location: Location,
    /// When it was discarded, for the daily report.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub discarded_at: Option<OffsetDateTime>,
}

/// Where a unit made from `parent` is: at the parent's site, not yet put away (its storage
/// may not suit the new product).
fn made_from(parent: &Component) -> Location {
    match &parent.location {
        Location::Site { site, .. } => Location::Site {
            site: site.clone(),
            storage: None,
        },
        other => other.clone(),
    }
}

pub fn component_id(din: &str, product_code: &str) -> String {
    format!("{din}-{product_code}")
}

pub(crate) fn find<'a>(state: &'a State, id: &str) -> Result<&'a Component, Refusal> {
    state
        .components
        .get(id)
        .ok_or_else(|| Refusal::new(Rule::NotFound, format!("no component {id}")))
}

fn hours(h: u32) -> Duration {
    Duration::hours(i64::from(h))
}

fn catalogue_entry<'a>(config: &'a Config, code: &str) -> Result<&'a ComponentType, Refusal> {
    config.catalogue.get(code).ok_or_else(|| {
        Refusal::new(
            Rule::CompShelf,
            format!("product {code} is not in the catalogue"),
        )
    })
}

#[allow(clippy::too_many_arguments)]
fn new_component(
    din: &str,
    code: &str,
    kind: &ComponentType,
    division: &str,
    sources: Vec<String>,
    parents: Vec<String>,
    expires_at: OffsetDateTime,
    collected_at: OffsetDateTime,
    ctx: &Context,
) -> Component {
    let product_code = format!("{code}V{division}");
    Component {
        id: component_id(din, &product_code),
        din: din.to_owned(),
        product_code,
        description_code: code.to_owned(),
        name: kind.name.clone(),
        family: kind.family,
        attributes: kind.attributes.clone(),
        contains_plasma: kind.contains_plasma,
        sources,
        parents,
        status: Status::Quarantined,
        status_reason: None,
        expires_at,
        collected_at,
        produced_at: ctx.now,
        produced_by: ctx.actor.clone(),
        thawed_at: None,
        bacterial_control: None,
        label_verified: false,
        verified_label: Vec::new(),
        released_at: None,
        shipped_at: None,
        consignee: None,
        location: Location::Unplaced,
        discarded_at: None,
    }
}

/// COMP-SHELF, COMP-PROC, COMP-WEIGHT, REL-QUAR: make a donation's components by a recipe.
pub(crate) fn produce(
    state: &State,
    din: &str,
    recipe_name: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let donation = find_donation(state, din)?;
    let config = &state.config;
    let recipe = producible_by(state, donation, recipe_name)?;
    let elapsed = ctx.now - donation.ended_at;
    let mut events = Vec::new();
    let mut low_volume_discards = Vec::new();
    for (code, division) in &recipe.outputs {
        let kind = catalogue_entry(config, code)?;
        if let Some(limit) = kind.process_within_hours
            && elapsed > hours(limit)
        {
            return refuse(
                Rule::CompProc,
                format!(
                    "{} must be made within {limit} h of collection; {} h have passed",
                    kind.name,
                    elapsed.whole_hours()
                ),
            );
        }
        let mut component = new_component(
            din,
            code,
            kind,
            division,
            vec![din.to_owned()],
            Vec::new(),
            donation.ended_at + hours(kind.shelf_life_hours),
            donation.ended_at,
            ctx,
        );
        component.location = production_location(state);
        if donation.volume_status == VolumeStatus::Low && kind.contains_plasma {
            low_volume_discards.push(component.id.clone());
        }
        events.push(Event::Manufacturing(
            ManufacturingEvent::ComponentProduced {
                component: Box::new(component),
            },
        ));
    }
    for id in low_volume_discards {
        events.push(Event::Manufacturing(
            ManufacturingEvent::ComponentDiscarded {
                id,
                reason: format!(
                    "COMP-WEIGHT: low-volume collection ({} mL); plasma-containing component",
                    donation.volume_ml
                ),
                at: ctx.now,
                by: ctx.actor.clone(),
            },
        ));
    }
    if donation.antibody_screen == Some(true) {
        mark_plasma_unsafe(&mut events, ctx);
    }
    Ok(events)
}

/// COMP-PROD, REL-UNSAFE, COMP-WEIGHT: the recipe a donation may still be made by.
fn producible_by<'a>(
    state: &'a State,
    donation: &Donation,
    recipe_name: &str,
) -> Result<&'a Recipe, Refusal> {
    if donation.produced {
        return refuse(
            Rule::CompProd,
            format!("components of {} were already produced", donation.din),
        );
    }
    if let Some(reason) = &donation.unsuitable {
        return refuse(
            Rule::RelUnsafe,
            format!(
                "donation {} is unsuitable ({reason}); discard it, make nothing from it",
                donation.din
            ),
        );
    }
    let Some(recipe) = state.config.recipes.get(recipe_name) else {
        return refuse(Rule::CompProd, format!("no recipe {recipe_name:?}"));
    };
    if !recipe.procedures.contains(&donation.procedure) {
        return refuse(
            Rule::CompProd,
            format!(
                "recipe {recipe_name} does not apply to a {} collection",
                donation.procedure.as_str()
            ),
        );
    }
    if donation.volume_status == VolumeStatus::Unusable {
        return refuse(
            Rule::CompWeight,
            format!(
                "{} mL is outside the container's range; discard the collection",
                donation.volume_ml
            ),
        );
    }
    Ok(recipe)
}

/// TEST-ABSCREEN: a positive antibody screen makes every plasma-containing component produced
/// (and not already discarded) unsafe.
fn mark_plasma_unsafe(events: &mut Vec<Event>, ctx: &Context) {
    let produced: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Manufacturing(ManufacturingEvent::ComponentProduced { component })
                if component.contains_plasma =>
            {
                Some(component.id.clone())
            }
            _ => None,
        })
        .collect();
    for id in produced {
        if !events
            .iter()
            .any(|e| matches!(e, Event::Manufacturing(ManufacturingEvent::ComponentDiscarded { id: d, .. }) if *d == id))
        {
            events.push(Event::Release(ReleaseEvent::ComponentMarkedUnsafe {
                id,
                reason: "TEST-ABSCREEN: antibody screen positive".to_owned(),
                at: ctx.now,
            }));
        }
    }
}

/// A unit is processed only while it could still be released: not unsafe, not final, in
/// date, and not under an open hold (a hold on a unit would not follow it into its children).
fn check_workable(
    state: &State,
    component: &Component,
    now: OffsetDateTime,
) -> Result<(), Refusal> {
    if let Some(hold) = crate::release::open_holds_covering(state, component).next() {
        return refuse(
            Rule::RelGate,
            format!(
                "{} is under hold {} ({}); release the hold first",
                component.id, hold.id, hold.reason
            ),
        );
    }
    check_usable(component, now)
}

/// Not unsafe, not final, in date.
fn check_usable(component: &Component, now: OffsetDateTime) -> Result<(), Refusal> {
    if component.status == Status::Unsafe {
        return refuse(
            Rule::RelUnsafe,
            format!("{} is unsafe and may not be processed", component.id),
        );
    }
    if !component.status.is_workable() {
        return refuse(
            Rule::ModAllowed,
            format!(
                "{} is {}; only quarantined or available units are processed",
                component.id,
                component.status.as_str()
            ),
        );
    }
    if component.expires_at <= now {
        return refuse(
            Rule::RelExpire,
            format!("{} expired at {}", component.id, component.expires_at),
        );
    }
    Ok(())
}

/// MOD-CODE: the catalogue entry of the same line with `attributes`.
fn code_with<'a>(
    config: &'a Config,
    line: u8,
    attributes: &[Attr],
) -> Option<(String, &'a ComponentType)> {
    let mut wanted = attributes.to_vec();
    wanted.sort();
    config.catalogue.iter().find_map(|(code, kind)| {
        let mut have = kind.attributes.clone();
        have.sort();
        (kind.line == line && have == wanted).then(|| (code.clone(), kind))
    })
}

/// MOD-IRR, MOD-WASH, MOD-OPEN, MOD-THAW: the expiry after a modification.
pub fn modified_expiry(
    config: &Config,
    component: &Component,
    modification: Attr,
    now: OffsetDateTime,
) -> OffsetDateTime {
    let rules = &config.modification;
    let original = component.expires_at;
    let red = matches!(component.family, Family::RedCells | Family::WholeBlood);
    let capped = |h: u32| original.min(now + hours(h));
    match modification {
        Attr::Irradiated if red => capped(rules.irradiated_red_cells_hours),
        Attr::Irradiated | Attr::Leukoreduced | Attr::Pooled => original,
        Attr::Washed if red => capped(rules.washed_red_cells_hours),
        Attr::Washed => capped(rules.washed_platelets_hours),
        Attr::VolumeReduced => capped(rules.volume_reduced_platelets_hours),
        Attr::Thawed if component.family == Family::Cryo => now + hours(rules.thawed_cryo_hours),
        Attr::Thawed => now + hours(rules.thawed_plasma_hours),
        Attr::ThawedPlasma => {
            component.thawed_at.unwrap_or(now) + hours(rules.relabelled_thawed_plasma_hours)
        }
    }
}

fn processed(parent: &Component, into: Vec<String>, now: OffsetDateTime) -> Event {
    Event::Manufacturing(ManufacturingEvent::ComponentProcessed {
        id: parent.id.clone(),
        into,
        at: now,
    })
}

fn division_of(product_code: &str) -> &str {
    product_code.get(6..8).unwrap_or("00")
}

/// MOD-ALLOWED, MOD-CODE and the dating rules: one modification of one unit.
pub(crate) fn modify(
    state: &State,
    id: &str,
    modification: Attr,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let component = find(state, id)?;
    let config = &state.config;
    check_workable(state, component, ctx.now)?;
    if modification == Attr::Pooled {
        return refuse(
            Rule::ModPool,
            "pooling takes several units; use the pool command",
        );
    }
    let allowed = config
        .modification
        .allowed
        .get(&component.family)
        .is_some_and(|a| a.contains(&modification));
    if !allowed {
        return refuse(
            Rule::ModAllowed,
            format!(
                "{} is not a modification of {}",
                modification.label(),
                component.family.describe()
            ),
        );
    }
    if component.attributes.contains(&modification) {
        return refuse(
            Rule::ModAllowed,
            format!("{} is already {}", component.id, modification.label()),
        );
    }
    if modification == Attr::ThawedPlasma && !component.attributes.contains(&Attr::Thawed) {
        return refuse(
            Rule::ModThaw,
            "only thawed plasma is relabelled as Thawed Plasma",
        );
    }
    let kind = catalogue_entry(config, &component.description_code)?;
    let mut attributes = component.attributes.clone();
    attributes.push(modification);
    let Some((code, new_kind)) = code_with(config, kind.line, &attributes) else {
        return refuse(
            Rule::ModCode,
            format!(
                "no product code is configured for {} with {}",
                kind.name,
                modification.label()
            ),
        );
    };
    let mut child = new_component(
        &component.din,
        &code,
        new_kind,
        division_of(&component.product_code),
        component.sources.clone(),
        vec![component.id.clone()],
        modified_expiry(config, component, modification, ctx.now),
        component.collected_at,
        ctx,
    );
    child.location = made_from(component);
    child.thawed_at = if modification == Attr::Thawed {
        Some(ctx.now)
    } else {
        component.thawed_at
    };
    child.bacterial_control = component.bacterial_control.clone();
    let into = vec![child.id.clone()];
    Ok(vec![
        Event::Manufacturing(ManufacturingEvent::ComponentProduced {
            component: Box::new(child),
        }),
        processed(component, into, ctx.now),
    ])
}

/// MOD-SPLIT: a closed-system division keeps the original expiry and links to its parent.
pub(crate) fn divide(
    state: &State,
    id: &str,
    parts: u8,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let component = find(state, id)?;
    check_workable(state, component, ctx.now)?;
    if !(2..=4).contains(&parts) {
        return refuse(Rule::ModSplit, "a unit is divided into 2 to 4 parts");
    }
    if component.family == Family::Cryo {
        return refuse(Rule::ModAllowed, "cryoprecipitate is not divided");
    }
    if division_of(&component.product_code) != "00" {
        return refuse(
            Rule::ModSplit,
            format!("{} is already a division", component.id),
        );
    }
    let kind = catalogue_entry(&state.config, &component.description_code)?;
    let mut events = Vec::new();
    let mut into = Vec::new();
    for letter in ['A', 'B', 'C', 'D'].iter().take(usize::from(parts)) {
        let mut child = new_component(
            &component.din,
            &component.description_code,
            kind,
            &format!("{letter}0"),
            component.sources.clone(),
            vec![component.id.clone()],
            component.expires_at,
            component.collected_at,
            ctx,
        );
        child.thawed_at = component.thawed_at;
        child.location = made_from(component);
        child.bacterial_control = component.bacterial_control.clone();
        into.push(child.id.clone());
        events.push(Event::Manufacturing(
            ManufacturingEvent::ComponentProduced {
                component: Box::new(child),
            },
        ));
    }
    events.push(processed(component, into, ctx.now));
    Ok(events)
}

/// MOD-POOL: a pool takes the earliest expiry of its parts (4 h when open) and links them all;
/// it gets its own DIN.
pub(crate) fn pool(
    state: &State,
    ids: &[String],
    pool_din: &str,
    closed_system: bool,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    if ids.len() < 2 {
        return refuse(Rule::ModPool, "a pool needs at least two units");
    }
    let mut parts = Vec::new();
    for (index, id) in ids.iter().enumerate() {
        if ids[..index].contains(id) {
            return refuse(Rule::ModPool, format!("{id} is listed twice"));
        }
        let part = find(state, id)?;
        check_workable(state, part, ctx.now)?;
        parts.push(part);
    }
    let config = &state.config;
    let first = parts[0];
    let kind = catalogue_entry(config, &first.description_code)?;
    if parts
        .iter()
        .any(|p| p.description_code != first.description_code)
    {
        return refuse(
            Rule::ModPool,
            "every unit of a pool must be the same product",
        );
    }
    let allowed = config
        .modification
        .allowed
        .get(&first.family)
        .is_some_and(|a| a.contains(&Attr::Pooled));
    if !allowed {
        return refuse(
            Rule::ModAllowed,
            format!("{} is not pooled", first.family.describe()),
        );
    }
    donor_centre::check_new_din(state, pool_din)?;
    let mut attributes = first.attributes.clone();
    attributes.push(Attr::Pooled);
    let Some((code, pool_kind)) = code_with(config, kind.line, &attributes) else {
        return refuse(
            Rule::ModCode,
            format!("no product code is configured for a pool of {}", kind.name),
        );
    };
    let earliest = parts.iter().map(|p| p.expires_at).min().unwrap_or(ctx.now);
    let expires_at = if closed_system {
        earliest
    } else {
        earliest.min(ctx.now + hours(config.modification.open_pool_hours))
    };
    let mut sources: Vec<String> = parts.iter().flat_map(|p| p.sources.clone()).collect();
    sources.sort();
    sources.dedup();
    let collected_at = parts
        .iter()
        .map(|p| p.collected_at)
        .min()
        .unwrap_or(ctx.now);
    let mut pooled = new_component(
        pool_din,
        &code,
        pool_kind,
        "00",
        sources,
        ids.to_vec(),
        expires_at,
        collected_at,
        ctx,
    );
    pooled.thawed_at = parts.iter().filter_map(|p| p.thawed_at).min();
    pooled.location = parts.first().map_or(Location::Unplaced, |p| made_from(p));
    pooled.bacterial_control = parts
        .iter()
        .all(|p| p.bacterial_control.is_some())
        .then(|| "parts controlled".to_owned());
    let into = vec![pooled.id.clone()];
    let mut events = vec![Event::Manufacturing(
        ManufacturingEvent::ComponentProduced {
            component: Box::new(pooled),
        },
    )];
    events.extend(parts.iter().map(|p| processed(p, into.clone(), ctx.now)));
    Ok(events)
}

/// TEST-BACT: a bacterial risk-control step sets the platelets' dating from collection.
pub(crate) fn bacterial_control(
    state: &State,
    id: &str,
    method: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let component = find(state, id)?;
    if component.family != Family::Platelets {
        return refuse(
            Rule::TestBact,
            "bacterial risk control applies to platelets",
        );
    }
    check_usable(component, ctx.now)?;
    let Some(days) = state.config.bacterial_control_days.get(method) else {
        return refuse(
            Rule::TestBact,
            format!("{method:?} is not a configured bacterial risk-control method"),
        );
    };
    let expires_at = (component.collected_at + Duration::days(i64::from(*days))).min(
        // A modification that shortened the dating (washing, volume reduction) still holds.
        if component
            .attributes
            .iter()
            .any(|a| matches!(a, Attr::Washed | Attr::VolumeReduced | Attr::Pooled))
        {
            component.expires_at
        } else {
            OffsetDateTime::new_utc(time::Date::MAX, time::Time::MIDNIGHT)
        },
    );
    let mut events = vec![Event::Manufacturing(
        ManufacturingEvent::BacterialControlRecorded {
            id: id.to_owned(),
            method: method.to_owned(),
            expires_at,
            at: ctx.now,
            by: ctx.actor.clone(),
        },
    )];
    // REL-EXPIRE: a method with a shorter dating can put the unit past its expiry at once.
    if expires_at <= ctx.now {
        events.push(Event::Release(ReleaseEvent::ComponentExpired {
            id: id.to_owned(),
            at: expires_at,
        }));
    }
    Ok(events)
}

/// REL-UNSAFE: discard is final; a reason is required.
pub(crate) fn discard(
    state: &State,
    id: &str,
    reason: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let component = find(state, id)?;
    if reason.trim().is_empty() {
        return refuse(Rule::RelUnsafe, "a discard needs a reason");
    }
    if !matches!(
        component.status,
        Status::Quarantined | Status::Available | Status::Expired
    ) {
        return refuse(
            Rule::RelUnsafe,
            format!(
                "{} is {}; that is final",
                component.id,
                component.status.as_str()
            ),
        );
    }
    Ok(vec![Event::Manufacturing(
        ManufacturingEvent::ComponentDiscarded {
            id: id.to_owned(),
            reason: reason.to_owned(),
            at: ctx.now,
            by: ctx.actor.clone(),
        },
    )])
}
