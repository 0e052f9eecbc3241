//! Indexes of the state: derived data, kept by `evolve` and rebuilt from the records when a
//! state is read back from JSON, so that no decision or query scans a whole map.
//!
//! Each index answers one question a rule asks at every command of its kind, which would
//! otherwise cost the size of the database each time (and make a year of work quadratic):
//! - DONOR-DUPLICATE: which donors could match a new identity (by names, birth date, national
//!   id; see [`identity_keys`]); the desk's donor search by birth date;
//! - ELIG-DEFERRED: a donor's deferrals;
//! - COLL-SCREENED: whether a screening was already used for a collection;
//! - REL-UNSAFE, holds, REL-PDI: the units made from a DIN (pools included);
//! - REL-EXPIRE: quarantined and available units by expiry;
//! - REL-GATE: the open holds, and those that stop a given unit (by its id or a source DIN).
//!
//! The indexes hold ids only; the records stay in the state's maps. Every answer is given in
//! id order, the order the maps' scans gave, so that decisions emit the same events in the same
//! order as before.

use std::collections::{BTreeMap, BTreeSet};

use time::{Date, OffsetDateTime};

use crate::components::Component;
use crate::donor::{Donor, Identity, normalized};
use crate::release::{Hold, HoldTarget};
use crate::state::State;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Indexes {
    /// Donor ids by each of their identity keys ([`identity_keys`]).
    donors_by_identity: BTreeMap<String, BTreeSet<String>>,
    /// Donor ids by date of birth (the desk's search by name and birth date).
    donors_by_birth: BTreeMap<Date, BTreeSet<String>>,
    /// Deferral ids by donor id.
    deferrals_by_donor: BTreeMap<String, BTreeSet<String>>,
    /// Screening ids already used by a collection.
    used_screenings: BTreeSet<String>,
    /// Component ids by each DIN in their sources.
    components_by_source: BTreeMap<String, BTreeSet<String>>,
    /// Quarantined and available units, by expiry then id.
    workable_by_expiry: BTreeSet<(OffsetDateTime, String)>,
    /// Holds not yet released.
    open_holds: BTreeSet<String>,
    /// Holds not yet released, by what they stop ([`hold_key`]).
    open_holds_by_target: BTreeMap<String, BTreeSet<String>>,
}

/// The key of what a hold stops: a donation (every unit made from it) or one unit.
fn hold_key(target: &HoldTarget) -> String {
    match target {
        HoldTarget::Donation { din } => format!("donation\u{1f}{din}"),
        HoldTarget::Component { id } => format!("component\u{1f}{id}"),
    }
}

/// DONOR-DUPLICATE: every match [`crate::donor::compare`] can find between two identities
/// shares at least one of these keys: the national id (same person), both names (with a near
/// or equal birth date), or one name and the birth date. A new identity is compared only with
/// the donors that share a key with it.
pub(crate) fn identity_keys(identity: &Identity) -> Vec<String> {
    let family = normalized(&identity.family_name);
    let given = normalized(&identity.given_name);
    let born = identity.date_of_birth;
    let mut keys = vec![
        format!("names\u{1f}{family}\u{1f}{given}"),
        format!("family\u{1f}{family}\u{1f}{born}"),
        format!("given\u{1f}{given}\u{1f}{born}"),
    ];
    if let Some(id) = &identity.national_id {
        let id = normalized(id);
        if !id.is_empty() {
            keys.push(format!("national\u{1f}{id}"));
        }
    }
    keys
}

impl Indexes {
    /// Every index built from the records of `state` (after reading a state back; tests compare
    /// it with the index `evolve` kept).
    pub fn build(state: &State) -> Indexes {
        let mut index = Indexes::default();
        for donor in state.donors.values() {
            index.add_donor(donor);
        }
        for deferral in state.deferrals.values() {
            index.add_deferral(&deferral.donor_id, &deferral.id);
        }
        for donation in state.donations.values() {
            index.used_screenings.insert(donation.screening_id.clone());
        }
        for component in state.components.values() {
            index.add_component_sources(component);
            index.add_component_expiry(component);
        }
        for hold in state.holds.values() {
            index.update_hold(hold);
        }
        index
    }

    pub(crate) fn add_donor(&mut self, donor: &Donor) {
        self.donors_by_birth
            .entry(donor.identity.date_of_birth)
            .or_default()
            .insert(donor.id.clone());
        for key in identity_keys(&donor.identity) {
            self.donors_by_identity
                .entry(key)
                .or_default()
                .insert(donor.id.clone());
        }
    }

    pub(crate) fn add_deferral(&mut self, donor_id: &str, deferral_id: &str) {
        self.deferrals_by_donor
            .entry(donor_id.to_owned())
            .or_default()
            .insert(deferral_id.to_owned());
    }

    pub(crate) fn use_screening(&mut self, screening_id: &str) {
        self.used_screenings.insert(screening_id.to_owned());
    }

    pub(crate) fn add_component_sources(&mut self, component: &Component) {
        for din in &component.sources {
            self.components_by_source
                .entry(din.clone())
                .or_default()
                .insert(component.id.clone());
        }
    }

    /// Forget a unit's place in the expiry index before its status or expiry changes.
    pub(crate) fn remove_component_expiry(&mut self, component: &Component) {
        self.workable_by_expiry
            .remove(&(component.expires_at, component.id.clone()));
    }

    /// Put a unit back in the expiry index after a change, if it is still workable.
    pub(crate) fn add_component_expiry(&mut self, component: &Component) {
        if component.status.is_workable() {
            self.workable_by_expiry
                .insert((component.expires_at, component.id.clone()));
        }
    }

    pub(crate) fn update_hold(&mut self, hold: &Hold) {
        let key = hold_key(&hold.target);
        if hold.is_open() {
            self.open_holds.insert(hold.id.clone());
            self.open_holds_by_target
                .entry(key)
                .or_default()
                .insert(hold.id.clone());
        } else {
            self.open_holds.remove(&hold.id);
            if let Some(ids) = self.open_holds_by_target.get_mut(&key) {
                ids.remove(&hold.id);
                if ids.is_empty() {
                    self.open_holds_by_target.remove(&key);
                }
            }
        }
    }

    /// Donor ids sharing an identity key with `identity`, in id order.
    pub fn donor_candidates(&self, identity: &Identity) -> BTreeSet<&str> {
        identity_keys(identity)
            .iter()
            .filter_map(|key| self.donors_by_identity.get(key))
            .flatten()
            .map(String::as_str)
            .collect()
    }

    /// The ids of the donors born on `day`, in id order.
    pub fn donors_born_on(&self, day: Date) -> impl Iterator<Item = &str> {
        self.donors_by_birth
            .get(&day)
            .into_iter()
            .flatten()
            .map(String::as_str)
    }

    /// The deferral ids of a donor, in id order.
    pub fn deferrals_of(&self, donor_id: &str) -> impl Iterator<Item = &str> {
        self.deferrals_by_donor
            .get(donor_id)
            .into_iter()
            .flatten()
            .map(String::as_str)
    }

    pub fn screening_used(&self, screening_id: &str) -> bool {
        self.used_screenings.contains(screening_id)
    }

    /// The ids of the units made from `din` (pools included), in id order.
    pub fn components_from(&self, din: &str) -> impl Iterator<Item = &str> {
        self.components_by_source
            .get(din)
            .into_iter()
            .flatten()
            .map(String::as_str)
    }

    /// The quarantined and available units whose expiry is at or before `as_of`, in id order.
    pub fn workable_expired_by(&self, as_of: OffsetDateTime) -> Vec<&str> {
        let mut ids: Vec<&str> = self
            .workable_by_expiry
            .iter()
            .take_while(|(expiry, _)| *expiry <= as_of)
            .map(|(_, id)| id.as_str())
            .collect();
        ids.sort_unstable();
        ids
    }

    /// The ids of the holds not yet released, in id order.
    pub fn open_holds(&self) -> impl Iterator<Item = &str> {
        self.open_holds.iter().map(String::as_str)
    }

    /// The ids of the open holds that stop `component` (on the unit itself or on one of its
    /// source donations), in id order.
    pub fn open_holds_covering(&self, component: &Component) -> Vec<&str> {
        let unit = HoldTarget::Component {
            id: component.id.clone(),
        };
        let donations = component
            .sources
            .iter()
            .map(|din| HoldTarget::Donation { din: din.clone() });
        let mut ids: Vec<&str> = std::iter::once(unit)
            .chain(donations)
            .filter_map(|target| self.open_holds_by_target.get(&hold_key(&target)))
            .flatten()
            .map(String::as_str)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}
