//! How this area's events change the state (donors, screenings, deferrals and donations). Events carry every value
//! needed, so nothing here decides.

use crate::donor_centre::eligibility::Requalification;
use crate::state::State;

use super::Event;

pub(crate) fn evolve(state: &mut State, event: &Event) {
    match event {
        Event::DonorRegistered { donor } => {
            state.counters.donors += 1;
            state.index.add_donor(donor);
            state.donors.insert(donor.id.clone(), (**donor).clone());
        }
        Event::ScreeningRecorded { screening } => {
            state.counters.screenings += 1;
            state
                .screenings
                .insert(screening.id.clone(), (**screening).clone());
        }
        Event::DonorDeferred { deferral } => {
            state.counters.deferrals += 1;
            state.index.add_deferral(&deferral.donor_id, &deferral.id);
            state
                .deferrals
                .insert(deferral.id.clone(), deferral.clone());
        }
        Event::DonorRequalified {
            deferral_id,
            reason,
            at,
            by,
        } => {
            if let Some(d) = state.deferrals.get_mut(deferral_id) {
                d.requalified = Some(Requalification {
                    at: *at,
                    by: by.clone(),
                    reason: reason.clone(),
                });
            }
        }
        Event::DonationCollected { donation } => {
            state.index.use_screening(&donation.screening_id);
            if let Some(donor) = state.donors.get_mut(&donation.donor_id) {
                donor.donations.push(donation.din.clone());
            }
            state
                .donations
                .insert(donation.din.clone(), (**donation).clone());
        }
    }
}
