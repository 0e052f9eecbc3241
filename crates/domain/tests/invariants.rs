//! The invariant checks catch what they are meant to catch: each is shown a state that breaks
//! it (made by tampering with a valid one, which no command can do).

#![allow(clippy::unwrap_used)]

use hemaflow_domain::distribution::sites::Location;
use hemaflow_domain::donor_centre::eligibility::Procedure;
use hemaflow_domain::invariants::check;
use hemaflow_domain::lab::testing::{Abo, MarkerStatus, Method, Reading, RhD, Stage, next_status};
use hemaflow_domain::manufacturing::components::Status;
use hemaflow_domain::{ClientCommand, DistributionCommand};
use hemaflow_testkit::scenario::Centre;
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

/// A centre with the supply network and one released red-cell unit at the processing site.
fn supplied() -> (Centre, String) {
    let mut centre = Centre::new();
    centre.open_supply().unwrap();
    let unit = centre
        .released_units("rbc_ffp", Abo::O, RhD::Positive)
        .unwrap()[0]
        .clone();
    check(&centre.state).unwrap();
    (centre, unit)
}

#[test]
fn invariant_7_catches_a_unit_shipped_but_still_at_our_site_or_at_an_unknown_site() {
    let (mut centre, unit) = supplied();
    let c = centre.state.components.get_mut(&unit).unwrap();
    c.status = Status::Shipped;
    c.shipped_at = c.released_at;
    c.consignee = Some("mercy".into());
    assert_eq!(check(&centre.state).unwrap_err().invariant, 7);
    let (mut centre, unit) = supplied();
    centre.state.components.get_mut(&unit).unwrap().location = Location::Site {
        site: "NOWHERE".into(),
        storage: None,
    };
    assert_eq!(check(&centre.state).unwrap_err().invariant, 7);
}

#[test]
fn invariant_8_catches_a_shipment_that_left_with_an_allocated_unit_unpicked() {
    use hemaflow_domain::command::{Command, LineUnit};
    use hemaflow_domain::distribution::orders::{OrderLine, Priority};
    use hemaflow_domain::distribution::sites::TemperatureRange;
    use hemaflow_domain::manufacturing::components::Family;
    let (mut centre, unit) = supplied();
    let other = centre
        .released_units("rbc_ffp", Abo::O, RhD::Positive)
        .unwrap()[0]
        .clone();
    let run = |centre: &mut Centre, command| {
        centre
            .run(hemaflow_domain::Role::Distribution, command)
            .unwrap()
    };
    run(
        &mut centre,
        Command::Client(ClientCommand::Distribution(
            DistributionCommand::PlaceOrder {
                order_id: "ORD".into(),
                hospital: "mercy".into(),
                lines: vec![OrderLine {
                    component_type: Family::RedCells,
                    abo: Abo::O,
                    rhd: RhD::Positive,
                    attributes: vec![],
                    quantity: 1,
                }],
                priority: Priority::Stat,
                needed_by: None,
            },
        )),
    );
    run(
        &mut centre,
        Command::Client(ClientCommand::Distribution(
            DistributionCommand::AllocateOrder {
                order_id: "ORD".into(),
                units: vec![LineUnit {
                    line: 0,
                    component: unit.clone(),
                }],
            },
        )),
    );
    run(
        &mut centre,
        Command::Client(ClientCommand::Distribution(DistributionCommand::PickUnit {
            shipment_id: "S".into(),
            order_id: "ORD".into(),
            component: unit.clone(),
        })),
    );
    run(
        &mut centre,
        Command::Client(ClientCommand::Distribution(
            DistributionCommand::ShipShipment {
                shipment_id: "S".into(),
                box_id: "B".into(),
                temperature_range: TemperatureRange::degrees(2, 8),
                courier: "C".into(),
            },
        )),
    );
    check(&centre.state).unwrap();
    // Tampering: a unit of the order never picked, yet the shipment left.
    let order = centre.state.orders.get_mut("ORD").unwrap();
    let mut extra = order.units[0].clone();
    extra.allocated.component = other;
    extra.shipment = None;
    extra.shipped_at = None;
    order.units.push(extra);
    assert_eq!(check(&centre.state).unwrap_err().invariant, 8);
}
