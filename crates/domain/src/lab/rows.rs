//! The projection rows this area's events change (their kind and ID), for the ledger.

use super::Event;

/// The kind and ID of every projection row `event` changes.
pub(crate) fn row_keys(event: &Event) -> Vec<(&'static str, String)> {
    match event {
        Event::TestsOrdered { din, .. }
        | Event::DonationUnsuitable { din, .. }
        | Event::BloodGroupDetermined { din, .. }
        | Event::BloodGroupResolved { din, .. }
        | Event::AntibodyScreenRecorded { din, .. } => {
            vec![("donation", din.clone())]
        }
        Event::TestResultRecorded { din, .. } | Event::TestResultCorrected { din, .. } => {
            vec![("donation", din.clone())]
        }
        Event::DonorBloodGroupConfirmed { donor_id, .. } => {
            vec![("donor", donor_id.clone())]
        }
    }
}
