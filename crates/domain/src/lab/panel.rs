//! The panel ordered for each donation (TEST-PANEL, TEST-ONCE, TEST-REGIONAL): the lab's own
//! answer to a collection, which the top level asks for after the donor centre records one.

use crate::config::Config;
use crate::donor_centre::Donor;
use crate::donor_centre::Procedure;
use crate::lab::testing::Frequency;
use crate::state::State;
use crate::{DonorCentreEvent, Event, LabEvent};

/// TEST-PANEL, TEST-ONCE, TEST-REGIONAL: the markers a donation is tested for.
pub fn panel_for(
    config: &Config,
    donor: &Donor,
    procedure: Procedure,
    collection_state: &str,
) -> Vec<String> {
    config
        .tests
        .iter()
        .filter(|t| !t.exempt_procedures.contains(&procedure))
        .filter(|t| match t.frequency {
            Frequency::EveryDonation => true,
            Frequency::OncePerDonor => !donor.once_tests_negative.contains(&t.code),
            Frequency::Regional => config.regional_states.iter().any(|s| s == collection_state),
        })
        .map(|t| t.code.clone())
        .collect()
}

/// Each donation collected among `events` is followed by the tests ordered for it, in the same
/// decision: a donation is never on record without its panel.
pub(crate) fn order_panel(state: &State, events: Vec<Event>) -> Vec<Event> {
    let mut ordered = Vec::with_capacity(events.len() + 1);
    for event in events {
        let tests = match &event {
            Event::DonorCentre(DonorCentreEvent::DonationCollected { donation }) => {
                state.donors.get(&donation.donor_id).map(|donor| {
                    let tests = panel_for(
                        &state.config,
                        donor,
                        donation.procedure,
                        &donation.collection_state,
                    );
                    (donation.din.clone(), tests)
                })
            }
            _ => None,
        };
        ordered.push(event);
        if let Some((din, tests)) = tests {
            ordered.push(Event::Lab(LabEvent::TestsOrdered { din, tests }));
        }
    }
    ordered
}
