//! Our sites and their storage, where every unit is (its [`Location`]), transfers between our
//! sites, and the hospitals we supply (the consignees).
//!
//! Rules:
//! - DIST-STORAGE: a unit is put away only in a storage whose whole temperature range lies in
//!   the range its product needs (21 CFR 610.53 table via the rule book, section 3: red cells,
//!   whole blood and thawed plasma 1-6 °C; platelets 20-24 °C with continuous agitation, so
//!   only on a platelet agitator; frozen plasma and cryo at or below -18 °C; thawed cryo
//!   20-24 °C), and only at the site where the unit is.
//! - DIST-TRANSFER: units move between our sites only by a dispatch scanned out at the site
//!   they are at and a receipt scanned in, one unit at a time, against that transfer; a unit
//!   scanned at the wrong place is refused with where it actually is.
//!
//! Temperatures are [`Celsius`] values in tenths of a degree, written in JSON as decimal
//! strings (`"-18"`, `"20.5"`): the ledger's canonical JSON holds integers only.

use crate::DistributionEvent;
use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use time::OffsetDateTime;

use crate::Context;
use crate::command::Event;
use crate::config::Config;
use crate::kernel::refusal::{Refusal, Rule, refuse};
use crate::manufacturing::{self, Attr, Component, Family, Status};
use crate::state::State;

/// A temperature in tenths of a degree Celsius. Parsed from `"4"`, `"-18"`, `"20.5"` (at most
/// one decimal) or a JSON integer; written as the shortest decimal string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Celsius(i32);

impl Celsius {
    /// The lowest temperature any range may name (no product needs colder).
    pub const LOWEST: Celsius = Celsius(-2000);
    pub const fn tenths(tenths: i32) -> Celsius {
        Celsius(tenths)
    }
    pub const fn degrees(degrees: i32) -> Celsius {
        Celsius(degrees * 10)
    }
    pub fn as_tenths(self) -> i32 {
        self.0
    }
}

impl fmt::Display for Celsius {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        if abs.is_multiple_of(10) {
            write!(f, "{sign}{}", abs / 10)
        } else {
            write!(f, "{sign}{}.{}", abs / 10, abs % 10)
        }
    }
}

/// Why a temperature did not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CelsiusError(String);

impl fmt::Display for CelsiusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CelsiusError {}

impl FromStr for Celsius {
    type Err = CelsiusError;

    fn from_str(text: &str) -> Result<Celsius, CelsiusError> {
        let bad = |why: &str| CelsiusError(format!("temperature {text:?} {why}"));
        let trimmed = text.trim();
        let (negative, digits) = match trimmed.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("is not a number of degrees Celsius such as 4 or -18"));
        }
        if fraction.len() > 1 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(
                "has more than one decimal (tenths of a degree at most)",
            ));
        }
        let whole: i32 = whole
            .parse()
            .ok()
            .filter(|w: &i32| *w <= 200)
            .ok_or_else(|| bad("is out of range (-200 to 200 °C)"))?;
        let tenths = whole * 10 + fraction.parse::<i32>().unwrap_or(0);
        Ok(Celsius(if negative { -tenths } else { tenths }))
    }
}

impl Serialize for Celsius {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Celsius {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Celsius, D::Error> {
        deserializer.deserialize_any(CelsiusVisitor)
    }
}

struct CelsiusVisitor;

impl Visitor<'_> for CelsiusVisitor {
    type Value = Celsius;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a temperature in °C as a string such as \"4\" or \"-18.5\", or an integer")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Celsius, E> {
        v.to_string().parse().map_err(E::custom)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Celsius, E> {
        v.to_string().parse().map_err(E::custom)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Celsius, E> {
        v.parse().map_err(E::custom)
    }
}

/// A closed temperature range, `min_c` to `max_c`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemperatureRange {
    pub min_c: Celsius,
    pub max_c: Celsius,
}

impl TemperatureRange {
    pub const fn degrees(min: i32, max: i32) -> TemperatureRange {
        TemperatureRange {
            min_c: Celsius::degrees(min),
            max_c: Celsius::degrees(max),
        }
    }
    /// Whether every temperature of `inner` lies in this range.
    pub fn holds(&self, inner: &TemperatureRange) -> bool {
        self.min_c <= inner.min_c && inner.max_c <= self.max_c
    }
}

impl fmt::Display for TemperatureRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min_c <= Celsius::LOWEST {
            write!(f, "at or below {} °C", self.max_c)
        } else {
            write!(f, "{} to {} °C", self.min_c, self.max_c)
        }
    }
}

/// How a product must be kept: the temperature class of the rule book's section 3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum KeptAs {
    /// Red cells, whole blood, thawed plasma.
    Refrigerated,
    /// Platelets: 20-24 °C with continuous gentle agitation.
    Agitated,
    /// Thawed cryoprecipitate: 20-24 °C.
    RoomTemperature,
    /// Frozen plasma and cryoprecipitate.
    Frozen,
}

impl KeptAs {
    pub fn of(component: &Component) -> KeptAs {
        let thawed = component
            .attributes
            .iter()
            .any(|a| matches!(a, Attr::Thawed | Attr::ThawedPlasma));
        match component.family {
            Family::WholeBlood | Family::RedCells => KeptAs::Refrigerated,
            Family::Platelets => KeptAs::Agitated,
            Family::Plasma if thawed => KeptAs::Refrigerated,
            Family::Cryo if thawed => KeptAs::RoomTemperature,
            Family::Plasma | Family::Cryo => KeptAs::Frozen,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            KeptAs::Refrigerated => "refrigerated",
            KeptAs::Agitated => "agitated at room temperature",
            KeptAs::RoomTemperature => "at room temperature",
            KeptAs::Frozen => "frozen",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    Collection,
    Processing,
    Distribution,
}

/// One of our sites.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Site {
    pub id: String,
    pub name: String,
    pub kind: SiteKind,
    pub address: String,
    #[serde(with = "time::serde::rfc3339")]
    pub registered_at: OffsetDateTime,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StorageKind {
    Refrigerator,
    Freezer,
    PlateletAgitator,
    RoomTemperature,
}

/// A refrigerator, freezer, agitator or room-temperature store at a site, with the range it is
/// validated to hold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Storage {
    pub id: String,
    pub site_id: String,
    pub kind: StorageKind,
    pub min_c: Celsius,
    pub max_c: Celsius,
}

impl Storage {
    pub fn range(&self) -> TemperatureRange {
        TemperatureRange {
            min_c: self.min_c,
            max_c: self.max_c,
        }
    }
}

/// Where a unit is. Exactly one place at a time (invariant 7 of [`crate::invariants`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "at", rename_all = "snake_case")]
pub enum Location {
    /// In our hands but at no recorded site: made before any processing site was registered.
    #[default]
    Unplaced,
    /// At one of our sites; in a storage once put away.
    Site {
        site: String,
        storage: Option<String>,
    },
    /// Between two of our sites.
    InTransit { transfer: String, to: String },
    /// At a hospital (shipped); `shipment` is none for units shipped by `ShipComponent`.
    Hospital {
        hospital: String,
        shipment: Option<String>,
    },
    /// Discarded or processed into other units.
    Gone,
}

impl Location {
    /// The site the unit is at, if it is at one of ours.
    pub fn site(&self) -> Option<&str> {
        match self {
            Location::Site { site, .. } => Some(site),
            _ => None,
        }
    }
    pub fn describe(&self) -> String {
        match self {
            Location::Unplaced => "at no recorded site".to_owned(),
            Location::Site {
                site,
                storage: Some(storage),
            } => format!("at site {site} in storage {storage}"),
            Location::Site {
                site,
                storage: None,
            } => format!("at site {site}"),
            Location::InTransit { transfer, to } => {
                format!("in transit to site {to} (transfer {transfer})")
            }
            Location::Hospital { hospital, .. } => format!("at hospital {hospital}"),
            Location::Gone => "no longer in stock".to_owned(),
        }
    }
}

/// A movement of units between two of our sites.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transfer {
    pub id: String,
    pub from: String,
    pub to: String,
    pub components: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub dispatched_at: OffsetDateTime,
    pub dispatched_by: String,
    /// The units scanned in at `to`, in scan order.
    pub received: Vec<String>,
}

impl Transfer {
    pub fn is_complete(&self) -> bool {
        self.received.len() == self.components.len()
    }
}

/// Someone to call at a hospital.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Contact {
    pub name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
}

/// A hospital we supply: a consignee. A hospital user's account is bound to its `id`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hospital {
    pub id: String,
    pub name: String,
    pub address: String,
    pub contacts: Vec<Contact>,
    #[serde(with = "time::serde::rfc3339")]
    pub registered_at: OffsetDateTime,
}

/// The storage range a product needs (DIST-STORAGE), from the configuration.
pub fn storage_range(config: &Config, kept: KeptAs) -> TemperatureRange {
    let rules = &config.distribution;
    match kept {
        KeptAs::Refrigerated => rules.refrigerated_storage,
        KeptAs::Agitated | KeptAs::RoomTemperature => rules.room_temperature,
        KeptAs::Frozen => rules.frozen,
    }
}

/// The shipping range a product needs (DIST-SHIP; 21 CFR 600.15).
pub fn shipping_range(config: &Config, kept: KeptAs) -> TemperatureRange {
    let rules = &config.distribution;
    match kept {
        KeptAs::Refrigerated => rules.refrigerated_shipping,
        KeptAs::Agitated | KeptAs::RoomTemperature => rules.room_temperature,
        KeptAs::Frozen => rules.frozen,
    }
}

pub(crate) fn non_empty(what: &str, value: &str) -> Result<(), Refusal> {
    if value.trim().is_empty() {
        return refuse(Rule::DistInput, format!("{what} is empty"));
    }
    Ok(())
}

pub(crate) fn find_site<'a>(state: &'a State, id: &str) -> Result<&'a Site, Refusal> {
    state
        .sites
        .get(id)
        .ok_or_else(|| Refusal::new(Rule::NotFound, format!("no site {id}")))
}

pub(crate) fn find_hospital<'a>(state: &'a State, id: &str) -> Result<&'a Hospital, Refusal> {
    state
        .hospitals
        .get(id)
        .ok_or_else(|| Refusal::new(Rule::NotFound, format!("no hospital {id}")))
}

pub(crate) fn register_site(
    state: &State,
    site_id: &str,
    name: &str,
    kind: SiteKind,
    address: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    non_empty("the site ID", site_id)?;
    non_empty("the site name", name)?;
    if state.sites.contains_key(site_id) {
        return refuse(
            Rule::DistExists,
            format!("site {site_id} is already registered"),
        );
    }
    Ok(vec![Event::Distribution(
        DistributionEvent::SiteRegistered {
            site: Site {
                id: site_id.to_owned(),
                name: name.trim().to_owned(),
                kind,
                address: address.trim().to_owned(),
                registered_at: ctx.now,
            },
        },
    )])
}

pub(crate) fn register_storage(state: &State, storage: Storage) -> Result<Vec<Event>, Refusal> {
    non_empty("the storage ID", &storage.id)?;
    find_site(state, &storage.site_id)?;
    if state.storages.contains_key(&storage.id) {
        return refuse(
            Rule::DistExists,
            format!("storage {} is already registered", storage.id),
        );
    }
    if storage.min_c > storage.max_c || storage.min_c < Celsius::LOWEST {
        return refuse(
            Rule::DistInput,
            format!(
                "storage {}: the range {} to {} °C is not a range",
                storage.id, storage.min_c, storage.max_c
            ),
        );
    }
    Ok(vec![Event::Distribution(
        DistributionEvent::StorageRegistered { storage },
    )])
}

/// DIST-STORAGE: put a unit away by scan.
pub(crate) fn store_component(
    state: &State,
    id: &str,
    storage_id: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let component = manufacturing::find_component(state, id)?;
    let storage = state
        .storages
        .get(storage_id)
        .ok_or_else(|| Refusal::new(Rule::NotFound, format!("no storage {storage_id}")))?;
    if !matches!(
        component.status,
        Status::Quarantined | Status::Available | Status::Returned
    ) {
        return refuse(
            Rule::DistStorage,
            format!(
                "{id} is {}; only units in stock are put away",
                component.status.as_str()
            ),
        );
    }
    match &component.location {
        Location::Site { site, .. } if *site != storage.site_id => {
            return refuse(
                Rule::DistTransfer,
                format!(
                    "{id} is at site {site}, but storage {storage_id} is at site {}: transfer it first",
                    storage.site_id
                ),
            );
        }
        Location::Site { .. } | Location::Unplaced => {}
        other => {
            return refuse(
                Rule::DistTransfer,
                format!(
                    "{id} is {}; receive it before putting it away",
                    other.describe()
                ),
            );
        }
    }
    storage_suits(&state.config, component, storage)?;
    Ok(vec![Event::Distribution(
        DistributionEvent::ComponentStored {
            id: id.to_owned(),
            site: storage.site_id.clone(),
            storage: storage_id.to_owned(),
            at: ctx.now,
            by: ctx.actor.clone(),
        },
    )])
}

/// DIST-STORAGE: the storage's whole range lies in the product's range, and platelets are
/// agitated.
pub fn storage_suits(
    config: &Config,
    component: &Component,
    storage: &Storage,
) -> Result<(), Refusal> {
    let kept = KeptAs::of(component);
    let needed = storage_range(config, kept);
    if kept == KeptAs::Agitated && storage.kind != StorageKind::PlateletAgitator {
        return refuse(
            Rule::DistStorage,
            format!(
                "{} is platelets and needs continuous agitation; storage {} is not a platelet agitator",
                component.id, storage.id
            ),
        );
    }
    if !needed.holds(&storage.range()) {
        return refuse(
            Rule::DistStorage,
            format!(
                "{} must be kept {} ({}); storage {} holds {}",
                component.id,
                kept.as_str(),
                needed,
                storage.id,
                storage.range()
            ),
        );
    }
    Ok(())
}

/// DIST-TRANSFER: scan units out of `from` towards `to`.
pub(crate) fn dispatch_transfer(
    state: &State,
    transfer_id: &str,
    from: &str,
    to: &str,
    ids: &[String],
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    non_empty("the transfer ID", transfer_id)?;
    if state.transfers.contains_key(transfer_id) {
        return refuse(
            Rule::DistExists,
            format!("transfer {transfer_id} already exists"),
        );
    }
    find_site(state, from)?;
    find_site(state, to)?;
    if from == to {
        return refuse(
            Rule::DistTransfer,
            format!("a transfer from {from} to itself moves nothing"),
        );
    }
    if ids.is_empty() {
        return refuse(Rule::DistInput, "a transfer needs at least one unit");
    }
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            return refuse(Rule::DistInput, format!("{id} is scanned twice"));
        }
        transferable(state, id, from, ctx.now)?;
    }
    Ok(vec![Event::Distribution(
        DistributionEvent::TransferDispatched {
            transfer: Transfer {
                id: transfer_id.to_owned(),
                from: from.to_owned(),
                to: to.to_owned(),
                components: ids.to_vec(),
                dispatched_at: ctx.now,
                dispatched_by: ctx.actor.clone(),
                received: Vec::new(),
            },
        },
    )])
}

fn transferable(state: &State, id: &str, from: &str, now: OffsetDateTime) -> Result<(), Refusal> {
    let component = manufacturing::find_component(state, id)?;
    if !component.status.is_workable() {
        return refuse(
            Rule::DistTransfer,
            format!(
                "{id} is {}; it does not move between sites",
                component.status.as_str()
            ),
        );
    }
    if component.expires_at <= now {
        return refuse(
            Rule::RelExpire,
            format!("{id} expired at {}", component.expires_at),
        );
    }
    if component.location.site() != Some(from) {
        return refuse(
            Rule::DistTransfer,
            format!(
                "{id} is {}, not at site {from}",
                component.location.describe()
            ),
        );
    }
    if let Some(order) = state.allocations.get(id) {
        return refuse(
            Rule::DistTransfer,
            format!("{id} is allocated to order {order}; it stays where it is picked"),
        );
    }
    Ok(())
}

/// DIST-TRANSFER: scan one unit in at the transfer's destination.
pub(crate) fn receive_transfer(
    state: &State,
    transfer_id: &str,
    id: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let transfer = state
        .transfers
        .get(transfer_id)
        .ok_or_else(|| Refusal::new(Rule::NotFound, format!("no transfer {transfer_id}")))?;
    let component = manufacturing::find_component(state, id)?;
    if !transfer.components.iter().any(|c| c == id) {
        return refuse(
            Rule::DistTransfer,
            format!(
                "{id} is not in transfer {transfer_id} ({} to {}); it is {}",
                transfer.from,
                transfer.to,
                component.location.describe()
            ),
        );
    }
    if transfer.received.iter().any(|c| c == id) {
        return refuse(
            Rule::DistTransfer,
            format!(
                "{id} was already received at site {} ({})",
                transfer.to,
                component.location.describe()
            ),
        );
    }
    let in_this_transfer = matches!(&component.location, Location::InTransit { transfer, .. } if transfer == transfer_id);
    if !in_this_transfer {
        return refuse(
            Rule::DistTransfer,
            format!(
                "{id} is {} ({}); it cannot be received",
                component.location.describe(),
                component.status.as_str()
            ),
        );
    }
    Ok(vec![Event::Distribution(
        DistributionEvent::TransferReceived {
            transfer_id: transfer_id.to_owned(),
            id: id.to_owned(),
            site: transfer.to.clone(),
            at: ctx.now,
            by: ctx.actor.clone(),
        },
    )])
}

pub(crate) fn register_hospital(
    state: &State,
    hospital_id: &str,
    name: &str,
    address: &str,
    contacts: &[Contact],
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    non_empty("the hospital ID", hospital_id)?;
    non_empty("the hospital name", name)?;
    non_empty("the hospital address", address)?;
    if state.hospitals.contains_key(hospital_id) {
        return refuse(
            Rule::DistExists,
            format!("hospital {hospital_id} is already registered"),
        );
    }
    if let Some(c) = contacts.iter().find(|c| c.name.trim().is_empty()) {
        return refuse(
            Rule::DistInput,
            format!("a contact of {hospital_id} has no name ({:?})", c.email),
        );
    }
    Ok(vec![Event::Distribution(
        DistributionEvent::HospitalRegistered {
            hospital: Hospital {
                id: hospital_id.to_owned(),
                name: name.trim().to_owned(),
                address: address.trim().to_owned(),
                contacts: contacts.to_vec(),
                registered_at: ctx.now,
            },
        },
    )])
}

/// Where production puts a new unit: the first processing site registered (in ID order), or
/// nowhere recorded while there is none.
pub fn production_location(state: &State) -> Location {
    state
        .sites
        .values()
        .find(|s| s.kind == SiteKind::Processing)
        .map_or(Location::Unplaced, |s| Location::Site {
            site: s.id.clone(),
            storage: None,
        })
}

/// DIST-TRANSFER: units are made into others only where they are, at one of our sites (a unit
/// in transit or at a hospital is not at the bench).
pub(crate) fn check_at_a_site(state: &State, ids: &[String]) -> Result<(), Refusal> {
    for id in ids {
        if let Some(c) = state.components.get(id)
            && matches!(
                c.location,
                Location::InTransit { .. } | Location::Hospital { .. }
            )
        {
            return refuse(
                Rule::DistTransfer,
                format!(
                    "{id} is {}; it is processed only at one of our sites",
                    c.location.describe()
                ),
            );
        }
    }
    Ok(())
}
