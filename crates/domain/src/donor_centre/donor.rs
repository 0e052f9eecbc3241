//! Donors: registration with identity and demographics, duplicate detection, the donor
//! identification number (ISBT 128 data structure 019) and the ABO/RhD history.

use crate::DonorCentreEvent;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::Context;
use crate::command::Event;
use crate::kernel::refusal::{Refusal, Rule, refuse};
use crate::kernel::{Abo, RhD};
use crate::state::State;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
}

/// Who the donor is, as registration records it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Identity {
    pub family_name: String,
    pub given_name: String,
    pub date_of_birth: Date,
    pub sex: Sex,
    /// A national identifier or an existing donor card number, if the donor has one.
    pub national_id: Option<String>,
    pub contact: Option<String>,
    /// ELIG-AGE: a parent's consent on file (lets a 16-year-old donate where the site allows).
    pub parental_consent: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Donor {
    /// The donor identification number: the content of ISBT 128 data structure 019
    /// (facility identification number + 16 digits).
    pub id: String,
    pub identity: Identity,
    #[serde(with = "time::serde::rfc3339")]
    pub registered_at: OffsetDateTime,
    pub registered_by: String,
    /// Donors whose identity nearly matches (flagged for review, not merged).
    pub possible_duplicates: Vec<String>,
    /// ABO/RhD confirmed on an earlier donation (TEST-ABO-TWICE history).
    pub blood_group: Option<(Abo, RhD)>,
    pub donations: Vec<String>,
    /// TEST-ONCE: once-per-donor tests this donor has tested negative for.
    pub once_tests_negative: Vec<String>,
}

/// The donor identification number for the `sequence`-th donor of `facility`.
pub fn donor_number(facility: &str, sequence: u64) -> String {
    format!("{facility}{sequence:016}")
}

pub(crate) fn normalized(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// How closely an existing donor matches a new identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match {
    Same,
    Near,
    None,
}

/// DONOR-DUPLICATE: same name and date of birth, or same national id, is the same person;
/// a near match (same birth date and one name, or same names and a birth date off by one
/// field or with day and month swapped) is flagged.
pub fn compare(existing: &Identity, new: &Identity) -> Match {
    if let (Some(a), Some(b)) = (&existing.national_id, &new.national_id) {
        let (a, b) = (normalized(a), normalized(b));
        if !a.is_empty() && a == b {
            return Match::Same;
        }
    }
    let (a, b) = (existing.date_of_birth, new.date_of_birth);
    let same_birth = a == b;
    let fields_differing = [
        a.year() != b.year(),
        a.month() != b.month(),
        a.day() != b.day(),
    ]
    .iter()
    .filter(|d| **d)
    .count();
    let swapped =
        a.year() == b.year() && u8::from(a.month()) == b.day() && a.day() == u8::from(b.month());
    let near_birth = fields_differing == 1 || swapped;
    // Every match below needs a near or equal birth date: most pairs of a large register stop
    // here, before the names are normalised (registration compares with every donor).
    if !same_birth && !near_birth {
        return Match::None;
    }
    let same_family = normalized(&existing.family_name) == normalized(&new.family_name);
    let same_given = normalized(&existing.given_name) == normalized(&new.given_name);
    if same_family && same_given && same_birth {
        return Match::Same;
    }
    if (same_birth && (same_family || same_given)) || (same_family && same_given && near_birth) {
        return Match::Near;
    }
    Match::None
}

pub(crate) fn register(
    state: &State,
    identity: &Identity,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    if normalized(&identity.family_name).is_empty() || normalized(&identity.given_name).is_empty() {
        return refuse(
            Rule::DonorIdentity,
            "family name and given name are both required",
        );
    }
    if identity.date_of_birth > ctx.now.date() {
        return refuse(
            Rule::DonorIdentity,
            format!("date of birth {} is in the future", identity.date_of_birth),
        );
    }
    let mut near = Vec::new();
    // Only donors sharing an identity key can match (see `index::identity_keys`).
    let candidates = state.index.donor_candidates(identity);
    for donor in candidates.iter().filter_map(|id| state.donors.get(*id)) {
        match compare(&donor.identity, identity) {
            Match::Same => {
                let deferred = if crate::donor_centre::eligibility::current_deferrals(
                    state,
                    &donor.id,
                    ctx.now.date(),
                )
                .is_empty()
                {
                    ""
                } else {
                    " (currently deferred)"
                };
                return refuse(
                    Rule::DonorDuplicate,
                    format!(
                        "this donor is already registered as {}{deferred}: {} {}, born {}; use the existing record",
                        donor.id,
                        donor.identity.given_name,
                        donor.identity.family_name,
                        donor.identity.date_of_birth
                    ),
                );
            }
            Match::Near => near.push(donor.id.clone()),
            Match::None => {}
        }
    }
    let id = donor_number(&state.config.facility, state.counters.donors + 1);
    Ok(vec![Event::DonorCentre(
        DonorCentreEvent::DonorRegistered {
            donor: Box::new(Donor {
                id,
                identity: identity.clone(),
                registered_at: ctx.now,
                registered_by: ctx.actor.clone(),
                possible_duplicates: near,
                blood_group: None,
                donations: Vec::new(),
                once_tests_negative: Vec::new(),
            }),
        },
    )])
}

/// Whole years of age on `day`.
pub fn age_on(date_of_birth: Date, day: Date) -> i32 {
    let mut age = day.year() - date_of_birth.year();
    if (u8::from(day.month()), day.day()) < (u8::from(date_of_birth.month()), date_of_birth.day()) {
        age -= 1;
    }
    age
}

pub(crate) fn find<'a>(state: &'a State, donor_id: &str) -> Result<&'a Donor, Refusal> {
    state
        .donors
        .get(donor_id)
        .ok_or_else(|| Refusal::new(Rule::NotFound, format!("no donor {donor_id}")))
}
