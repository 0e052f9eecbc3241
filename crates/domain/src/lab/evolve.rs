//! How this area's events change the state (test results and blood groups). Events carry every value
//! needed, so nothing here decides.

use crate::donor_centre::Determination;
use crate::lab::ResultCorrection;
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
        Event::TestResultCorrected {
            din,
            test,
            results,
            was,
            now,
            reason,
            at,
            by,
        } => {
            if let Some(d) = state.donations.get_mut(din) {
                d.corrections.push(ResultCorrection {
                    test: test.clone(),
                    results: results.clone(),
                    was: was.clone(),
                    now: now.clone(),
                    reason: reason.clone(),
                    at: *at,
                    by: by.clone(),
                });
            }
            correct_result(state, din, test, now);
        }
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

/// A corrected marker; a once-per-donor test stays on the donor's list of negatives only while
/// one of their donations still has it negative (CORR-REDECIDE).
fn correct_result(state: &mut State, din: &str, test: &str, now: &MarkerStatus) {
    apply_result(state, din, test, now);
    let Some(donor_id) = state.donations.get(din).map(|d| d.donor_id.clone()) else {
        return;
    };
    let Some(donor) = state.donors.get(&donor_id) else {
        return;
    };
    let still_negative = donor.donations.iter().any(|d| {
        state
            .donations
            .get(d)
            .and_then(|d| d.tests.get(test))
            .is_some_and(MarkerStatus::is_acceptable)
    });
    if !still_negative && let Some(donor) = state.donors.get_mut(&donor_id) {
        donor.once_tests_negative.retain(|t| t != test);
    }
}
