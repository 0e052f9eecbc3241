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
            let previous = state.donors.insert(donor.id.clone(), (**donor).clone());
            assert!(previous.is_none(), "donor {} registered twice", donor.id);
            assert_eq!(state.donors.len() as u64, state.counters.donors);
        }
        Event::ScreeningRecorded { screening } => {
            state.counters.screenings += 1;
            let previous = state
                .screenings
                .insert(screening.id.clone(), (**screening).clone());
            assert!(
                previous.is_none(),
                "screening {} recorded twice",
                screening.id
            );
        }
        Event::DonorDeferred { deferral } => {
            state.counters.deferrals += 1;
            state.index.add_deferral(&deferral.donor_id, &deferral.id);
            let previous = state
                .deferrals
                .insert(deferral.id.clone(), deferral.clone());
            assert!(
                previous.is_none(),
                "deferral {} recorded twice",
                deferral.id
            );
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
        Event::ScreeningCorrected { correction } => {
            if let Some(screening) = state.screenings.get_mut(&correction.screening_id) {
                correction
                    .measurement
                    .set(&mut screening.input, correction.now);
                screening.findings = correction.findings.clone();
                screening.accepted = correction.accepted;
                screening.corrections.push((**correction).clone());
            }
        }
        Event::DeferralWithdrawn {
            deferral_id,
            reason,
            at,
            by,
        } => {
            if let Some(d) = state.deferrals.get_mut(deferral_id) {
                d.withdrawn = Some(Box::new(Requalification {
                    at: *at,
                    by: by.clone(),
                    reason: reason.clone(),
                }));
            }
        }
        Event::DonationCollected { donation } => {
            assert!(
                state.donors.contains_key(&donation.donor_id),
                "donation {} of donor {} who is not on record",
                donation.din,
                donation.donor_id
            );
            state.index.use_screening(&donation.screening_id);
            if let Some(donor) = state.donors.get_mut(&donation.donor_id) {
                donor.donations.push(donation.din.clone());
            }
            let previous = state
                .donations
                .insert(donation.din.clone(), (**donation).clone());
            assert!(previous.is_none(), "DIN {} collected twice", donation.din);
        }
    }
}
