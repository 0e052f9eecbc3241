//! Retention (REC-RETAIN, 21 CFR 606.160(d)): each donation's records are kept at least 10
//! years after their processing was completed or 6 months after the latest expiry of the
//! products made from them, whichever is later. Hemaflow deletes nothing, ever: the ledger
//! is append-only and its hash chain would show a gap. This is the report of what has passed
//! its retention date, for the establishment's own archiving procedure to decide on.
//!
//! Processing is taken as completed on the latest of the collection's end and each unit's
//! production and release (release ends a unit's processing; distribution and transfusion
//! records are the consignee's). A donation with no unit made keeps no product expiry, and
//! is kept with no end ([`clocks::retain_until`] gives `None`).

use serde::Serialize;
use time::Date;

use super::clocks;
use super::lookbacks::local_date;
use crate::donor_centre::Donation;
use crate::state::State;

/// The most past-retention records one report lists (the count covers them all).
pub const MAX_LISTED: usize = 1_000;

/// One donation's retention.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Retention {
    pub din: String,
    pub donor_id: String,
    pub processing_completed: Date,
    pub latest_expiry: Option<Date>,
    /// None: kept with no end (no unit was made, so no expiry bounds it).
    pub retain_until: Option<Date>,
}

/// REC-RETAIN of one donation.
pub fn retention(state: &State, donation: &Donation) -> Retention {
    let units = crate::queries::components_of(state, &donation.din);
    let processed = units
        .iter()
        .flat_map(|c| [Some(c.produced_at), c.released_at])
        .flatten()
        .chain([donation.ended_at])
        .max()
        .unwrap_or(donation.ended_at);
    let processing_completed = local_date(state, processed);
    let latest_expiry = units.iter().map(|c| local_date(state, c.expires_at)).max();
    Retention {
        din: donation.din.clone(),
        donor_id: donation.donor_id.clone(),
        processing_completed,
        latest_expiry,
        retain_until: clocks::retain_until(processing_completed, latest_expiry),
    }
}

/// What is kept, and what has passed its retention date on `today`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RetentionReport {
    pub as_of: Date,
    /// Donations on record (every one is kept).
    pub donations: usize,
    /// Those past their retention date, oldest date first: at most [`MAX_LISTED`] listed.
    pub past_retention: usize,
    pub listed: Vec<Retention>,
    /// Those kept with no end (no unit made).
    pub kept_without_end: usize,
    /// The earliest retention date still ahead, if any.
    pub next_due: Option<Date>,
}

/// REC-RETAIN: the retention report on `today`.
pub fn report(state: &State, today: Date) -> RetentionReport {
    let mut past = Vec::new();
    let mut kept_without_end = 0;
    let mut next_due: Option<Date> = None;
    for donation in state.donations.values() {
        let r = retention(state, donation);
        match r.retain_until {
            None => kept_without_end += 1,
            Some(until) if until < today => past.push(r),
            Some(until) => next_due = Some(next_due.map_or(until, |d| d.min(until))),
        }
    }
    past.sort_by(|a, b| (a.retain_until, &a.din).cmp(&(b.retain_until, &b.din)));
    let past_retention = past.len();
    past.truncate(MAX_LISTED);
    RetentionReport {
        as_of: today,
        donations: state.donations.len(),
        past_retention,
        listed: past,
        kept_without_end,
        next_due,
    }
}
