//! Reads the server needs, as plain functions over the state.

use time::{Date, OffsetDateTime};

use crate::collection::Donation;
use crate::components::{Component, Status, component_id};
use crate::donor::{self, Donor, Identity, Match};
use crate::eligibility::{self, Deferral};
use crate::state::State;

pub fn donor<'a>(state: &'a State, id: &str) -> Option<&'a Donor> {
    state.donors.get(id)
}

/// Donors whose family or given name contains `name` (case-insensitive), born on
/// `date_of_birth` when given.
pub fn search_donors<'a>(
    state: &'a State,
    name: &str,
    date_of_birth: Option<Date>,
) -> Vec<&'a Donor> {
    let needle = name.to_lowercase();
    // With a birth date, only the donors born that day are read (an index, not a scan); a
    // search by name alone still reads every donor (a substring of a name has no index yet).
    let candidates: Box<dyn Iterator<Item = &Donor>> = match date_of_birth {
        Some(day) => Box::new(
            state
                .index
                .donors_born_on(day)
                .filter_map(|id| state.donors.get(id)),
        ),
        None => Box::new(state.donors.values()),
    };
    candidates
        .filter(|d| {
            d.identity.family_name.to_lowercase().contains(&needle)
                || d.identity.given_name.to_lowercase().contains(&needle)
        })
        .filter(|d| date_of_birth.is_none_or(|dob| d.identity.date_of_birth == dob))
        .collect()
}

/// ELIG-DEFERRED: the deferrals in force on `day`.
pub fn current_deferrals<'a>(state: &'a State, donor_id: &str, day: Date) -> Vec<&'a Deferral> {
    eligibility::current_deferrals(state, donor_id, day)
}

pub fn donation<'a>(state: &'a State, din: &str) -> Option<&'a Donation> {
    state.donations.get(din)
}

/// Every unit made from a donation (including pools it went into).
pub fn components_of<'a>(state: &'a State, din: &str) -> Vec<&'a Component> {
    state
        .index
        .components_from(din)
        .filter_map(|id| state.components.get(id))
        .filter(|c| c.sources.iter().any(|s| s == din))
        .collect()
}

/// A unit by the DIN and the 8-character product code on its label.
pub fn component<'a>(state: &'a State, din: &str, product_code: &str) -> Option<&'a Component> {
    state.components.get(&component_id(din, product_code))
}

/// Units in a status (all units when `status` is `None`), in DIN order; a unit whose expiry
/// has passed at `now` is listed as expired even before `ExpireUnits` records it.
pub fn inventory(
    state: &State,
    status: Option<Status>,
    now: OffsetDateTime,
) -> Vec<(&Component, Status)> {
    state
        .components
        .values()
        .map(|c| {
            let effective = if c.status.is_workable() && c.expires_at <= now {
                Status::Expired
            } else {
                c.status
            };
            (c, effective)
        })
        .filter(|(_, s)| status.is_none_or(|wanted| wanted == *s))
        .collect()
}

/// ELIG-DEFERRED at registration: the registered donors the identity matches (same or near)
/// and the deferrals each has in force on `day`, so the desk sees a deferred donor before a
/// new record is made.
pub fn deferral_lookup<'a>(
    state: &'a State,
    identity: &Identity,
    day: Date,
) -> Vec<(&'a Donor, Vec<&'a Deferral>)> {
    state
        .index
        .donor_candidates(identity)
        .into_iter()
        .filter_map(|id| state.donors.get(id))
        .filter(|d| donor::compare(&d.identity, identity) != Match::None)
        .map(|d| (d, eligibility::current_deferrals(state, &d.id, day)))
        .collect()
}
