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

use std::collections::BTreeSet;

use time::{Date, OffsetDateTime};

use crate::donor_centre::donor::{Donor, Identity, normalized};
use crate::manufacturing::components::Component;
use crate::release::gate::{Hold, HoldTarget};
use crate::state::State;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Indexes {
    /// Donor ids by each of their identity keys ([`identity_keys`]).
    donors_by_identity: IdsBy<String>,
    /// Donor ids by date of birth (the desk's search by name and birth date).
    donors_by_birth: IdsBy<Date>,
    /// Deferral ids by donor id.
    deferrals_by_donor: IdsBy<String>,
    /// Screening ids already used by a collection.
    used_screenings: BTreeSet<String>,
    /// Component ids by each DIN in their sources.
    components_by_source: IdsBy<String>,
    /// Quarantined and available units, by expiry then id.
    workable_by_expiry: BTreeSet<(OffsetDateTime, String)>,
    /// Holds not yet released.
    open_holds: BTreeSet<String>,
    /// Holds not yet released, by what they stop ([`hold_key`]).
    open_holds_by_target: IdsBy<String>,
}

/// Record ids by key, in key then id order. One ordered set of (key, id) pairs rather than a
/// map of sets: most keys have one or two ids, and a set of its own would cost each key a
/// whole B-tree node (room for 11 ids) where a pair costs one entry of a shared node.
#[derive(Clone, Debug, PartialEq)]
struct IdsBy<K: Ord>(BTreeSet<(K, String)>);

impl<K: Ord> Default for IdsBy<K> {
    fn default() -> Self {
        IdsBy(BTreeSet::new())
    }
}

impl<K: Ord + Clone> IdsBy<K> {
    fn insert(&mut self, key: K, id: String) {
        self.0.insert((key, id));
    }

    fn remove(&mut self, key: K, id: String) {
        self.0.remove(&(key, id));
    }

    /// The ids under `key`, in id order.
    fn get(&self, key: K) -> impl Iterator<Item = &str> {
        self.0
            .range((key.clone(), String::new())..)
            .take_while(move |(k, _)| *k == key)
            .map(|(_, id)| id.as_str())
    }
}

/// The key of what a hold stops: a donation (every unit made from it) or one unit.
fn hold_key(target: &HoldTarget) -> String {
    match target {
        HoldTarget::Donation { din } => format!("donation\u{1f}{din}"),
        HoldTarget::Component { id } => format!("component\u{1f}{id}"),
    }
}

/// DONOR-DUPLICATE: every match [`crate::donor_centre::donor::compare`] can find between two identities
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

    /// Drops each index in turn, calling `dropped` with its name after each, so that
    /// `hemaflow bench memory` can measure the heap each one held.
    pub fn drop_each(self, mut dropped: impl FnMut(&'static str)) {
        let Indexes {
            donors_by_identity,
            donors_by_birth,
            deferrals_by_donor,
            used_screenings,
            components_by_source,
            workable_by_expiry,
            open_holds,
            open_holds_by_target,
        } = self;
        drop(donors_by_identity);
        dropped("donors_by_identity");
        drop(donors_by_birth);
        dropped("donors_by_birth");
        drop(deferrals_by_donor);
        dropped("deferrals_by_donor");
        drop(used_screenings);
        dropped("used_screenings");
        drop(components_by_source);
        dropped("components_by_source");
        drop(workable_by_expiry);
        dropped("workable_by_expiry");
        drop(open_holds);
        dropped("open_holds");
        drop(open_holds_by_target);
        dropped("open_holds_by_target");
    }

    pub(crate) fn add_donor(&mut self, donor: &Donor) {
        self.donors_by_birth
            .insert(donor.identity.date_of_birth, donor.id.clone());
        for key in identity_keys(&donor.identity) {
            self.donors_by_identity.insert(key, donor.id.clone());
        }
    }

    pub(crate) fn add_deferral(&mut self, donor_id: &str, deferral_id: &str) {
        self.deferrals_by_donor
            .insert(donor_id.to_owned(), deferral_id.to_owned());
    }

    pub(crate) fn use_screening(&mut self, screening_id: &str) {
        self.used_screenings.insert(screening_id.to_owned());
    }

    pub(crate) fn add_component_sources(&mut self, component: &Component) {
        for din in &component.sources {
            self.components_by_source
                .insert(din.clone(), component.id.clone());
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
            self.open_holds_by_target.insert(key, hold.id.clone());
        } else {
            self.open_holds.remove(&hold.id);
            self.open_holds_by_target.remove(key, hold.id.clone());
        }
    }

    /// Donor ids sharing an identity key with `identity`, in id order.
    pub fn donor_candidates(&self, identity: &Identity) -> BTreeSet<&str> {
        identity_keys(identity)
            .into_iter()
            .flat_map(|key| self.donors_by_identity.get(key))
            .collect()
    }

    /// The ids of the donors born on `day`, in id order.
    pub fn donors_born_on(&self, day: Date) -> impl Iterator<Item = &str> {
        self.donors_by_birth.get(day)
    }

    /// The deferral ids of a donor, in id order.
    pub fn deferrals_of(&self, donor_id: &str) -> impl Iterator<Item = &str> {
        self.deferrals_by_donor.get(donor_id.to_owned())
    }

    pub fn screening_used(&self, screening_id: &str) -> bool {
        self.used_screenings.contains(screening_id)
    }

    /// The ids of the units made from `din` (pools included), in id order.
    pub fn components_from(&self, din: &str) -> impl Iterator<Item = &str> {
        self.components_by_source.get(din.to_owned())
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
            .flat_map(|target| self.open_holds_by_target.get(hold_key(&target)))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use proptest::prelude::*;

    use super::IdsBy;

    proptest! {
        /// The set of pairs answers as the map of sets it replaced, keys that are prefixes of
        /// one another included.
        #[test]
        fn ids_by_answers_as_a_map_of_sets(
            ops in proptest::collection::vec((any::<bool>(), "[ab]{0,3}", "[xy]{1,2}"), 0..60)
        ) {
            let mut pairs = IdsBy::default();
            let mut reference: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for (insert, key, id) in &ops {
                if *insert {
                    pairs.insert(key.clone(), id.clone());
                    reference.entry(key.clone()).or_default().insert(id.clone());
                } else {
                    pairs.remove(key.clone(), id.clone());
                    if let Some(ids) = reference.get_mut(key) {
                        ids.remove(id);
                    }
                }
            }
            for (_, key, _) in &ops {
                let got: Vec<&str> = pairs.get(key.clone()).collect();
                let want: Vec<&str> = reference
                    .get(key)
                    .into_iter()
                    .flatten()
                    .map(String::as_str)
                    .collect();
                prop_assert_eq!(got, want);
            }
        }
    }
}
