//! The projection rows this area's events change (their kind and ID), for the ledger.

use super::Event;

/// The kind and ID of every projection row `event` changes.
pub(crate) fn row_keys(event: &Event) -> Vec<(&'static str, String)> {
    match event {
        Event::DonorRegistered { donor } => {
            vec![("donor", donor.id.clone())]
        }
        Event::ScreeningRecorded { screening } => {
            vec![("screening", screening.id.clone())]
        }
        Event::DonorDeferred { deferral } => {
            vec![("deferral", deferral.id.clone())]
        }
        Event::ScreeningCorrected { correction } => {
            vec![("screening", correction.screening_id.clone())]
        }
        Event::DonorRequalified { deferral_id, .. }
        | Event::DeferralWithdrawn { deferral_id, .. } => {
            vec![("deferral", deferral_id.clone())]
        }
        Event::DonationCollected { donation } => vec![
            ("donation", donation.din.clone()),
            ("donor", donation.donor_id.clone()),
        ],
    }
}
