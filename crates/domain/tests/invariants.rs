//! The invariant checks catch what they are meant to catch: each is shown a state that breaks
//! it (made by tampering with a valid one, which no command can do).

#![allow(clippy::unwrap_used)]

use hemaflow_domain::components::Status;
use hemaflow_domain::eligibility::Procedure;
use hemaflow_domain::invariants::check;
use hemaflow_domain::scenario::Centre;
use hemaflow_domain::testing::{Abo, MarkerStatus, Method, Reading, RhD, Stage, next_status};
use proptest::prelude::*;
use time::Duration;
use time::macros::date;

/// A centre with one released red-cell unit; its id.
fn released() -> (Centre, String, String) {
    let mut centre = Centre::new();
    let (_, din) = centre
        .walk_in("Vale", date!(1990 - 01 - 01), Procedure::WholeBlood)
        .unwrap();
    let units = centre.produce(&din, "rbc_ffp").unwrap();
    centre.all_negative(&din).unwrap();
    centre.type_and_screen(&din, Abo::O, RhD::Positive).unwrap();
    centre.verify_label(&units[0]).unwrap();
    centre.release(&units[0]).unwrap();
    check(&centre.state).unwrap();
    (centre, din, units[0].clone())
}

#[test]
fn invariant_1_catches_a_unit_available_with_a_test_pending() {
    let (mut centre, din, _) = released();
    centre
        .state
        .donations
        .get_mut(&din)
        .unwrap()
        .tests
        .insert("hcv_nat".into(), MarkerStatus::Pending);
    assert_eq!(check(&centre.state).unwrap_err().invariant, 1);
}

#[test]
fn invariant_1_catches_a_unit_available_without_a_verified_label() {
    let (mut centre, _, id) = released();
    centre.state.components.get_mut(&id).unwrap().label_verified = false;
    assert_eq!(check(&centre.state).unwrap_err().invariant, 1);
}

#[test]
fn invariant_2_catches_a_unit_shipped_after_expiry() {
    let (mut centre, _, id) = released();
    let c = centre.state.components.get_mut(&id).unwrap();
    c.status = Status::Shipped;
    c.consignee = Some("Mercy".into());
    c.shipped_at = Some(c.expires_at + Duration::hours(1));
    assert_eq!(check(&centre.state).unwrap_err().invariant, 2);
}

#[test]
fn invariant_3_catches_a_unit_of_an_unsuitable_donation_back_in_quarantine() {
    let (mut centre, din, _) = released();
    centre.state.donations.get_mut(&din).unwrap().unsuitable =
        Some("anti-HCV repeat reactive".into());
    for c in centre.state.components.values_mut() {
        c.status = Status::Quarantined;
    }
    assert_eq!(check(&centre.state).unwrap_err().invariant, 3);
}

#[test]
fn invariant_4_catches_a_unit_without_its_donation() {
    let (mut centre, _, id) = released();
    centre.state.components.get_mut(&id).unwrap().sources = vec!["W123426999999".into()];
    centre.state.components.get_mut(&id).unwrap().status = Status::Discarded;
    assert_eq!(check(&centre.state).unwrap_err().invariant, 4);
}

fn stage() -> impl Strategy<Value = Stage> {
    prop_oneof![
        Just(Stage::Initial),
        Just(Stage::Repeat),
        Just(Stage::Minipool),
        Just(Stage::Individual),
        Just(Stage::Supplemental)
    ]
}

fn reading() -> impl Strategy<Value = Reading> {
    prop_oneof![Just(Reading::Reactive), Just(Reading::Nonreactive)]
}

proptest! {
    /// TEST-RR, TEST-NAT, TEST-SUPPL over any sequence of results: once unsuitable, a marker
    /// never becomes acceptable; a serology marker is acceptable only after a nonreactive
    /// initial or two nonreactive repeats.
    #[test]
    fn test_rr_no_result_sequence_makes_a_reactive_marker_acceptable(
        nat in any::<bool>(),
        results in proptest::collection::vec((stage(), reading()), 0..12),
    ) {
        let method = if nat { Method::Nat } else { Method::Serology };
        let mut status = MarkerStatus::Pending;
        let mut accepted: Vec<(Stage, Reading)> = Vec::new();
        for (stage, reading) in results {
            let was_unsuitable = status.is_unsuitable();
            if let Ok(next) = next_status(method, &status, stage, reading) {
                accepted.push((stage, reading));
                status = next;
            }
            prop_assert!(!was_unsuitable || status.is_unsuitable());
        }
        if status.is_acceptable() && method == Method::Serology {
            let fine = accepted == vec![(Stage::Initial, Reading::Nonreactive)]
                || accepted == vec![(Stage::Initial, Reading::Reactive), (Stage::Repeat, Reading::Nonreactive), (Stage::Repeat, Reading::Nonreactive)];
            prop_assert!(fine, "{accepted:?}");
        }
    }
}
