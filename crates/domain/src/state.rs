//! The state `decide` reads and `evolve` writes. Deterministic (ordered maps only) and built
//! only by replaying events.

use crate::{DistributionEvent, ManufacturingEvent, ReleaseEvent};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::access::accounts::User;
use crate::access::credentials::{ApiToken, FailedRun, SignInAttempt};
use crate::command::Event;
use crate::config::Config;
use crate::distribution::orders::{Order, StandingOrder};
use crate::distribution::shipping::{Shipment, UnitReturn};
use crate::distribution::sites::{Hospital, Site, Storage, Transfer};
use crate::donor_centre::collection::Donation;
use crate::donor_centre::donor::Donor;
use crate::donor_centre::eligibility::{Deferral, Screening};
use crate::index::Indexes;
use crate::lookback::LookbackState;
use crate::manufacturing::components::{Component, Status};
use crate::release::gate::{Hold, Task};
use crate::transfusion::TransfusionState;

/// How many records of each numbered kind exist; the next id is one more.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    pub donors: u64,
    pub screenings: u64,
    pub deferrals: u64,
    pub holds: u64,
    pub tasks: u64,
    /// How many times an admin configured the site: the configuration row exists only after
    /// the first, so that an empty ledger has no projection rows at all.
    #[serde(default)]
    pub configurations: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(from = "StoredState")]
pub struct State {
    /// The site's rules and tables (US defaults until an admin configures them). Shared, so
    /// that copying a state to try a decision on it does not copy every table.
    pub config: Arc<Config>,
    pub donors: BTreeMap<String, Donor>,
    pub screenings: BTreeMap<String, Screening>,
    pub deferrals: BTreeMap<String, Deferral>,
    pub donations: BTreeMap<String, Donation>,
    pub components: BTreeMap<String, Component>,
    pub holds: BTreeMap<String, Hold>,
    pub tasks: BTreeMap<String, Task>,
    pub counters: Counters,
    /// User accounts (P11-ACCESS), by user ID.
    #[serde(default)]
    pub users: BTreeMap<String, User>,
    /// API tokens of machine clients (P11-ACCESS), by token ID.
    #[serde(default)]
    pub api_tokens: BTreeMap<String, ApiToken>,
    /// The newest sign-in attempts (at most `credentials::SIGN_INS_KEPT`; all are on the
    /// ledger), oldest first.
    #[serde(default)]
    pub recent_sign_ins: VecDeque<SignInAttempt>,
    /// Failed sign-ins in a row per user ID as typed (the lockout's count), until a success.
    #[serde(default)]
    pub failed_sign_ins: BTreeMap<String, FailedRun>,
    /// Our sites, their storage, and transfers between them, by ID.
    #[serde(default)]
    pub sites: BTreeMap<String, Site>,
    #[serde(default)]
    pub storages: BTreeMap<String, Storage>,
    #[serde(default)]
    pub transfers: BTreeMap<String, Transfer>,
    /// The hospitals we supply, by ID.
    #[serde(default)]
    pub hospitals: BTreeMap<String, Hospital>,
    #[serde(default)]
    pub orders: BTreeMap<String, Order>,
    #[serde(default)]
    pub standing_orders: BTreeMap<String, StandingOrder>,
    #[serde(default)]
    pub shipments: BTreeMap<String, Shipment>,
    /// Units allocated to a pending order and not yet shipped: component ID -> order ID.
    #[serde(default)]
    pub allocations: BTreeMap<String, String>,
    /// Returns of each unit, oldest first (DIST-RETURN).
    #[serde(default)]
    pub returns: BTreeMap<String, Vec<UnitReturn>>,
    /// The hospitals' transfusion services: the transfusion area's own records.
    #[serde(default, skip_serializing_if = "TransfusionState::is_empty")]
    pub transfusion: TransfusionState,
    /// Lookbacks, recalls, deviations and fatality reports: the lookback area's own records.
    #[serde(default, skip_serializing_if = "LookbackState::is_empty")]
    pub lookback: LookbackState,
    /// Derived from the records above, kept by `evolve`; not serialised, rebuilt when a state
    /// is read back.
    #[serde(skip)]
    pub index: Indexes,
}

/// The records of a state as serialised: a state read back gets its indexes rebuilt.
#[derive(Deserialize)]
struct StoredState {
    config: Arc<Config>,
    donors: BTreeMap<String, Donor>,
    screenings: BTreeMap<String, Screening>,
    deferrals: BTreeMap<String, Deferral>,
    donations: BTreeMap<String, Donation>,
    components: BTreeMap<String, Component>,
    holds: BTreeMap<String, Hold>,
    tasks: BTreeMap<String, Task>,
    counters: Counters,
    #[serde(default)]
    users: BTreeMap<String, User>,
    #[serde(default)]
    api_tokens: BTreeMap<String, ApiToken>,
    #[serde(default)]
    recent_sign_ins: VecDeque<SignInAttempt>,
    #[serde(default)]
    failed_sign_ins: BTreeMap<String, FailedRun>,
    #[serde(default)]
    sites: BTreeMap<String, Site>,
    #[serde(default)]
    storages: BTreeMap<String, Storage>,
    #[serde(default)]
    transfers: BTreeMap<String, Transfer>,
    #[serde(default)]
    hospitals: BTreeMap<String, Hospital>,
    #[serde(default)]
    orders: BTreeMap<String, Order>,
    #[serde(default)]
    standing_orders: BTreeMap<String, StandingOrder>,
    #[serde(default)]
    shipments: BTreeMap<String, Shipment>,
    #[serde(default)]
    allocations: BTreeMap<String, String>,
    #[serde(default)]
    returns: BTreeMap<String, Vec<UnitReturn>>,
    #[serde(default)]
    transfusion: TransfusionState,
    #[serde(default)]
    lookback: LookbackState,
}

impl From<StoredState> for State {
    fn from(stored: StoredState) -> State {
        let mut state = State {
            config: stored.config,
            donors: stored.donors,
            screenings: stored.screenings,
            deferrals: stored.deferrals,
            donations: stored.donations,
            components: stored.components,
            holds: stored.holds,
            tasks: stored.tasks,
            counters: stored.counters,
            users: stored.users,
            api_tokens: stored.api_tokens,
            recent_sign_ins: stored.recent_sign_ins,
            failed_sign_ins: stored.failed_sign_ins,
            sites: stored.sites,
            storages: stored.storages,
            transfers: stored.transfers,
            hospitals: stored.hospitals,
            orders: stored.orders,
            standing_orders: stored.standing_orders,
            shipments: stored.shipments,
            allocations: stored.allocations,
            returns: stored.returns,
            transfusion: stored.transfusion,
            lookback: stored.lookback,
            index: Indexes::default(),
        };
        state.index = Indexes::build(&state);
        state
    }
}

impl State {
    /// A small state holding only what a decision about the donations `dins` reads: the
    /// donations, their donors and the donors' deferrals, the units made from them, the
    /// counters and the configuration. Decisions that evolve a scratch state between steps
    /// (an instrument batch) use it instead of a copy of the whole state.
    pub(crate) fn overlay_of_donations(&self, dins: &[&str]) -> State {
        let mut overlay = State {
            config: Arc::clone(&self.config),
            counters: self.counters.clone(),
            ..State::default()
        };
        for din in dins {
            let Some(donation) = self.donations.get(*din) else {
                continue;
            };
            overlay
                .donations
                .insert(donation.din.clone(), donation.clone());
            for id in self.index.components_from(din) {
                if let Some(unit) = self.components.get(id) {
                    overlay.components.insert(unit.id.clone(), unit.clone());
                }
            }
            let donor_id = &donation.donor_id;
            if let Some(donor) = self.donors.get(donor_id) {
                overlay.donors.insert(donor.id.clone(), donor.clone());
            }
            for id in self.index.deferrals_of(donor_id) {
                if let Some(deferral) = self.deferrals.get(id) {
                    overlay
                        .deferrals
                        .insert(deferral.id.clone(), deferral.clone());
                }
            }
        }
        overlay.index = Indexes::build(&overlay);
        overlay
    }
}

impl PartialEq for State {
    fn eq(&self, other: &State) -> bool {
        // The shared configuration is usually the same allocation: skip comparing its tables.
        (Arc::ptr_eq(&self.config, &other.config) || self.config == other.config)
            && self.donors == other.donors
            && self.screenings == other.screenings
            && self.deferrals == other.deferrals
            && self.donations == other.donations
            && self.components == other.components
            && self.holds == other.holds
            && self.tasks == other.tasks
            && self.counters == other.counters
            && self.users == other.users
            && self.api_tokens == other.api_tokens
            && self.recent_sign_ins == other.recent_sign_ins
            && self.failed_sign_ins == other.failed_sign_ins
            && self.sites == other.sites
            && self.storages == other.storages
            && self.transfers == other.transfers
            && self.hospitals == other.hospitals
            && self.orders == other.orders
            && self.standing_orders == other.standing_orders
            && self.shipments == other.shipments
            && self.allocations == other.allocations
            && self.returns == other.returns
            && self.transfusion == other.transfusion
            && self.lookback == other.lookback
    }
}

/// Apply one event. Events are facts: evolve never fails and never decides; an event naming a
/// record that does not exist changes nothing. Each area's `evolve` asserts what its decisions
/// guarantee (a donor, DIN, screening, deferral, component, hold or task is recorded once; a
/// donation's donor is on record): a failure means code or a ledger this domain did not
/// decide, and building a state on it would be worse than stopping.
pub fn evolve(state: &mut State, event: &Event) {
    let unit = component_touched(event);
    if let Some(component) = unit.and_then(|id| state.components.get(id)) {
        state.index.remove_component_expiry(component);
    }
    apply(state, event);
    if let Some(component) = unit.and_then(|id| state.components.get(id)) {
        state.index.add_component_expiry(component);
    }
}

/// The unit whose status or expiry an event may change (the expiry index follows it).
fn component_touched(event: &Event) -> Option<&str> {
    match event {
        Event::Manufacturing(ManufacturingEvent::ComponentProduced { component }) => {
            Some(&component.id)
        }
        Event::Manufacturing(ManufacturingEvent::ComponentProcessed { id, .. })
        | Event::Manufacturing(ManufacturingEvent::BacterialControlRecorded { id, .. })
        | Event::Manufacturing(ManufacturingEvent::LabelVerified { id, .. })
        | Event::Release(ReleaseEvent::ComponentReleased { id, .. })
        | Event::Release(ReleaseEvent::ComponentQuarantined { id, .. })
        | Event::Release(ReleaseEvent::ComponentMarkedUnsafe { id, .. })
        | Event::Manufacturing(ManufacturingEvent::ComponentDiscarded { id, .. })
        | Event::Release(ReleaseEvent::ComponentExpired { id, .. })
        | Event::Distribution(DistributionEvent::ComponentShipped { id, .. })
        | Event::Distribution(DistributionEvent::ReceiptConfirmed { id, .. })
        | Event::Distribution(DistributionEvent::ReturnReviewed { id, .. }) => Some(id),
        Event::Distribution(DistributionEvent::UnitReturned { unit_return }) => {
            Some(&unit_return.component)
        }
        _ => None,
    }
}

fn apply(state: &mut State, event: &Event) {
    match event {
        Event::Access(event) => crate::access::evolve::evolve(state, event),
        Event::DonorCentre(event) => crate::donor_centre::evolve::evolve(state, event),
        Event::Lab(event) => crate::lab::evolve::evolve(state, event),
        Event::Manufacturing(event) => crate::manufacturing::evolve::evolve(state, event),
        Event::Release(event) => crate::release::evolve::evolve(state, event),
        Event::Distribution(event) => crate::distribution::evolve::evolve(state, event),
        Event::Transfusion(event) => crate::transfusion::evolve::evolve(state, event),
        Event::Lookback(event) => crate::lookback::evolve::evolve(state, event),
    }
}

/// A unit's status and why, as an event sets them.
pub(crate) fn set_status(state: &mut State, id: &str, status: Status, reason: Option<String>) {
    if let Some(c) = state.components.get_mut(id) {
        c.status = status;
        c.status_reason = reason;
    }
}
