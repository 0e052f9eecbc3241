//! The state `decide` reads and `evolve` writes. Deterministic (ordered maps only) and built
//! only by replaying events.

use crate::{
    AccessEvent, DistributionEvent, DonorCentreEvent, LabEvent, ManufacturingEvent, ReleaseEvent,
};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::access::accounts::{self, User};
use crate::access::credentials::{self, ApiToken, FailedRun, SignInAttempt};
use crate::command::Event;
use crate::config::Config;
use crate::distribution::orders::{Order, StandingOrder};
use crate::distribution::shipping::{Shipment, UnitReturn};
use crate::distribution::sites::{Hospital, Location, Site, Storage, Transfer};
use crate::donor_centre::collection::{Determination, Donation};
use crate::donor_centre::donor::Donor;
use crate::donor_centre::eligibility::{Deferral, Requalification, Screening};
use crate::index::Indexes;
use crate::lab::testing::{Frequency, MarkerStatus};
use crate::manufacturing::components::{Component, Status};
use crate::release::gate::{Hold, HoldRelease, Task};

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
    }
}

/// Apply one event. Events are facts: evolve never fails and never decides; an event naming a
/// record that does not exist changes nothing.
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
        Event::Access(AccessEvent::Configured { config, .. }) => {
            state.counters.configurations += 1;
            state.config = Arc::new((**config).clone());
        }
        Event::DonorCentre(DonorCentreEvent::DonorRegistered { donor }) => {
            state.counters.donors += 1;
            state.index.add_donor(donor);
            state.donors.insert(donor.id.clone(), (**donor).clone());
        }
        Event::DonorCentre(DonorCentreEvent::ScreeningRecorded { screening }) => {
            state.counters.screenings += 1;
            state
                .screenings
                .insert(screening.id.clone(), (**screening).clone());
        }
        Event::DonorCentre(DonorCentreEvent::DonorDeferred { deferral }) => {
            state.counters.deferrals += 1;
            state.index.add_deferral(&deferral.donor_id, &deferral.id);
            state
                .deferrals
                .insert(deferral.id.clone(), deferral.clone());
        }
        Event::DonorCentre(DonorCentreEvent::DonorRequalified {
            deferral_id,
            reason,
            at,
            by,
        }) => {
            if let Some(d) = state.deferrals.get_mut(deferral_id) {
                d.requalified = Some(Requalification {
                    at: *at,
                    by: by.clone(),
                    reason: reason.clone(),
                });
            }
        }
        Event::DonorCentre(DonorCentreEvent::DonationCollected { donation }) => {
            state.index.use_screening(&donation.screening_id);
            if let Some(donor) = state.donors.get_mut(&donation.donor_id) {
                donor.donations.push(donation.din.clone());
            }
            state
                .donations
                .insert(donation.din.clone(), (**donation).clone());
        }
        Event::Lab(LabEvent::TestsOrdered { din, tests }) => {
            if let Some(d) = state.donations.get_mut(din) {
                for t in tests {
                    d.tests.insert(t.clone(), MarkerStatus::Pending);
                }
            }
        }
        Event::Lab(LabEvent::TestResultRecorded {
            din, test, status, ..
        }) => apply_result(state, din, test, status),
        Event::Lab(LabEvent::DonationUnsuitable { din, reason, .. }) => {
            if let Some(d) = state.donations.get_mut(din) {
                d.unsuitable = Some(reason.clone());
            }
        }
        Event::Lab(LabEvent::BloodGroupDetermined {
            din,
            abo,
            rhd,
            at,
            by,
        }) => {
            if let Some(d) = state.donations.get_mut(din) {
                d.determinations.push(Determination {
                    abo: *abo,
                    rhd: *rhd,
                    at: *at,
                    by: by.clone(),
                });
            }
        }
        Event::Lab(LabEvent::BloodGroupResolved { din, abo, rhd, .. }) => {
            if let Some(d) = state.donations.get_mut(din) {
                d.resolved_group = Some((*abo, *rhd));
            }
        }
        Event::Lab(LabEvent::DonorBloodGroupConfirmed {
            donor_id, abo, rhd, ..
        }) => {
            if let Some(d) = state.donors.get_mut(donor_id) {
                d.blood_group = Some((*abo, *rhd));
            }
        }
        Event::Lab(LabEvent::AntibodyScreenRecorded { din, positive, .. }) => {
            if let Some(d) = state.donations.get_mut(din) {
                d.antibody_screen = Some(*positive);
            }
        }
        Event::Manufacturing(ManufacturingEvent::ComponentProduced { component }) => {
            for din in &component.sources {
                if let Some(d) = state.donations.get_mut(din) {
                    d.components.push(component.id.clone());
                    if component.parents.is_empty() {
                        d.produced = true;
                    }
                }
            }
            state.index.add_component_sources(component);
            state
                .components
                .insert(component.id.clone(), (**component).clone());
        }
        Event::Manufacturing(ManufacturingEvent::ComponentProcessed { id, into, .. }) => {
            set_status(
                state,
                id,
                Status::Processed,
                Some(format!("processed into {}", into.join(", "))),
            );
            if let Some(c) = state.components.get_mut(id) {
                c.location = Location::Gone;
            }
        }
        Event::Manufacturing(ManufacturingEvent::BacterialControlRecorded {
            id,
            method,
            expires_at,
            ..
        }) => {
            if let Some(c) = state.components.get_mut(id) {
                c.bacterial_control = Some(method.clone());
                c.expires_at = *expires_at;
            }
        }
        Event::Manufacturing(ManufacturingEvent::LabelVerified { id, structures, .. }) => {
            if let Some(c) = state.components.get_mut(id) {
                c.label_verified = true;
                c.verified_label = structures.clone();
            }
        }
        Event::Release(ReleaseEvent::ComponentReleased { id, at, .. }) => {
            if let Some(c) = state.components.get_mut(id) {
                c.status = Status::Available;
                c.status_reason = None;
                c.released_at = Some(*at);
            }
        }
        Event::Release(ReleaseEvent::ComponentQuarantined { id, hold_id, .. }) => set_status(
            state,
            id,
            Status::Quarantined,
            Some(format!("hold {hold_id}")),
        ),
        Event::Release(ReleaseEvent::ComponentMarkedUnsafe { id, reason, .. }) => {
            set_status(state, id, Status::Unsafe, Some(reason.clone()))
        }
        Event::Manufacturing(ManufacturingEvent::ComponentDiscarded { id, reason, at, .. }) => {
            set_status(state, id, Status::Discarded, Some(reason.clone()));
            if let Some(c) = state.components.get_mut(id) {
                c.discarded_at = Some(*at);
                c.location = Location::Gone;
            }
        }
        Event::Release(ReleaseEvent::ComponentExpired { id, .. }) => {
            set_status(state, id, Status::Expired, None)
        }
        Event::Distribution(DistributionEvent::ComponentShipped {
            id,
            consignee,
            at,
            shipment,
            ..
        }) => {
            if let Some(c) = state.components.get_mut(id) {
                c.status = Status::Shipped;
                c.consignee = Some(consignee.clone());
                c.shipped_at = Some(*at);
                c.location = Location::Hospital {
                    hospital: consignee.clone(),
                    shipment: shipment.clone(),
                };
            }
            if let Some(order_id) = state.allocations.remove(id)
                && let Some(order) = state.orders.get_mut(&order_id)
                && let Some(unit) = order
                    .units
                    .iter_mut()
                    .find(|u| u.allocated.component == *id)
            {
                unit.shipped_at = Some(*at);
            }
        }
        Event::Release(ReleaseEvent::HoldPlaced { hold }) => {
            state.counters.holds += 1;
            state.index.update_hold(hold);
            state.holds.insert(hold.id.clone(), hold.clone());
        }
        Event::Release(ReleaseEvent::HoldReleased {
            hold_id,
            reason,
            at,
            by,
        }) => {
            if let Some(h) = state.holds.get_mut(hold_id) {
                h.released = Some(HoldRelease {
                    at: *at,
                    by: by.clone(),
                    reason: reason.clone(),
                });
                state.index.update_hold(h);
            }
        }
        Event::Release(ReleaseEvent::TaskOpened { task }) => {
            state.counters.tasks += 1;
            state.tasks.insert(task.id.clone(), task.clone());
        }
        Event::Distribution(DistributionEvent::SiteRegistered { .. })
        | Event::Distribution(DistributionEvent::StorageRegistered { .. })
        | Event::Distribution(DistributionEvent::ComponentStored { .. })
        | Event::Distribution(DistributionEvent::TransferDispatched { .. })
        | Event::Distribution(DistributionEvent::TransferReceived { .. })
        | Event::Distribution(DistributionEvent::HospitalRegistered { .. })
        | Event::Distribution(DistributionEvent::OrderPlaced { .. })
        | Event::Distribution(DistributionEvent::StandingOrderPlaced { .. })
        | Event::Distribution(DistributionEvent::OrderCancelled { .. })
        | Event::Distribution(DistributionEvent::StandingOrderCancelled { .. })
        | Event::Distribution(DistributionEvent::OrderAllocated { .. })
        | Event::Distribution(DistributionEvent::AllocationWithdrawn { .. })
        | Event::Distribution(DistributionEvent::ShipmentOpened { .. })
        | Event::Distribution(DistributionEvent::UnitPicked { .. })
        | Event::Distribution(DistributionEvent::ShipmentShipped { .. })
        | Event::Distribution(DistributionEvent::ReceiptConfirmed { .. })
        | Event::Distribution(DistributionEvent::UnitReturned { .. })
        | Event::Distribution(DistributionEvent::ReturnReviewed { .. }) => {
            crate::distribution::supply::evolve(state, event)
        }
        Event::Access(AccessEvent::UserCreated { .. })
        | Event::Access(AccessEvent::PasswordSet { .. })
        | Event::Access(AccessEvent::UserDisabled { .. })
        | Event::Access(AccessEvent::Signed { .. }) => accounts::evolve(state, event),
        Event::Access(AccessEvent::ApiTokenIssued { .. })
        | Event::Access(AccessEvent::ApiTokenRevoked { .. })
        | Event::Access(AccessEvent::SignInRecorded { .. }) => credentials::evolve(state, event),
    }
}

fn apply_result(state: &mut State, din: &str, test: &str, status: &MarkerStatus) {
    let once = state
        .config
        .tests
        .iter()
        .any(|t| t.code == test && t.frequency == Frequency::OncePerDonor);
    let Some(donation) = state.donations.get_mut(din) else {
        return;
    };
    donation.tests.insert(test.to_owned(), status.clone());
    if once && status.is_acceptable() {
        let donor_id = donation.donor_id.clone();
        if let Some(donor) = state.donors.get_mut(&donor_id)
            && !donor.once_tests_negative.iter().any(|t| t == test)
        {
            donor.once_tests_negative.push(test.to_owned());
        }
    }
}

fn set_status(state: &mut State, id: &str, status: Status, reason: Option<String>) {
    if let Some(c) = state.components.get_mut(id) {
        c.status = status;
        c.status_reason = reason;
    }
}
