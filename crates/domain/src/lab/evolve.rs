//! How this area's events change the state (test results and blood groups). Events carry every value
//! needed, so nothing here decides.

use crate::donor_centre::Determination;
use crate::lab::testing::{Frequency, MarkerStatus};
use crate::state::State;

use super::Event;

pub(crate) fn evolve(state: &mut State, event: &Event) {
    match event {
        Event::TestsOrdered { din, tests } => {
            if let Some(d) = state.donations.get_mut(din) {
                for t in tests {
                    d.tests.insert(t.clone(), MarkerStatus::Pending);
                }
            }
        }
        Event::TestResultRecorded {
            din, test, status, ..
        } => apply_result(state, din, test, status),
        Event::DonationUnsuitable { din, reason, .. } => {
            if let Some(d) = state.donations.get_mut(din) {
                d.unsuitable = Some(reason.clone());
            }
        }
        Event::BloodGroupDetermined {
            din,
            abo,
            rhd,
            at,
            by,
        } => {
            if let Some(d) = state.donations.get_mut(din) {
                d.determinations.push(Determination {
                    abo: *abo,
                    rhd: *rhd,
                    at: *at,
                    by: by.clone(),
                });
            }
        }
        Event::BloodGroupResolved { din, abo, rhd, .. } => {
            if let Some(d) = state.donations.get_mut(din) {
                d.resolved_group = Some((*abo, *rhd));
            }
        }
        Event::DonorBloodGroupConfirmed {
            donor_id, abo, rhd, ..
        } => {
            if let Some(d) = state.donors.get_mut(donor_id) {
                d.blood_group = Some((*abo, *rhd));
            }
        }
        Event::AntibodyScreenRecorded { din, positive, .. } => {
            if let Some(d) = state.donations.get_mut(din) {
                d.antibody_screen = Some(*positive);
            }
        }
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
