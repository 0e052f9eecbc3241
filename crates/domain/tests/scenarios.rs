//! A day at a donor centre, told as tests.

// A step that fails in a scenario should stop it where it failed.
#![allow(clippy::unwrap_used)]

use hemaflow_domain::command::{Command, Event};
use hemaflow_domain::donor_centre::donor::Sex;
use hemaflow_domain::donor_centre::eligibility::Procedure;
use hemaflow_domain::lab::testing::{Abo, Reading, RhD, Stage};
use hemaflow_domain::manufacturing::components::{Attr, Status};
use hemaflow_domain::{
    ClientCommand, DistributionCommand, LabCommand, ManufacturingCommand, ManufacturingEvent,
    ReleaseCommand, ReleaseEvent,
};
use hemaflow_domain::{Role, invariants, queries};
use hemaflow_testkit::scenario::{Centre, healthy_screening, identity};
use time::Duration;
use time::macros::date;

#[test]
fn monday_morning_three_donors_one_deferred_one_reactive_one_released_and_shipped() {
    let mut centre = Centre::new();

    // 08:00 Maria registers and gives whole blood.
    let maria = centre
        .register(identity(
            "Lopez",
            "Maria",
            date!(1984 - 04 - 12),
            Sex::Female,
        ))
        .unwrap();
    let screening = centre
        .screen(&maria, Procedure::WholeBlood, healthy_screening())
        .unwrap();
    centre.advance(Duration::minutes(15));
    let maria_din = centre.collect(&maria, &screening, 480, "TX").unwrap();

    // 08:20 Tom's hemoglobin is 12.6: he is deferred for the day and cannot be collected.
    centre.advance(Duration::minutes(5));
    let tom = centre
        .register(identity("Becker", "Tom", date!(1979 - 11 - 30), Sex::Male))
        .unwrap();
    let mut low = healthy_screening();
    low.hemoglobin_g_dl = Some(12.6);
    let tom_screening = centre.screen(&tom, Procedure::WholeBlood, low).unwrap();
    assert!(!centre.state.screenings[&tom_screening].accepted);
    assert_eq!(
        centre
            .collect(&tom, &tom_screening, 470, "TX")
            .unwrap_err()
            .rule,
        "ELIG-DEFERRED"
    );

    // 08:40 Priya donates too.
    centre.advance(Duration::minutes(20));
    let priya = centre
        .register(identity(
            "Shah",
            "Priya",
            date!(1995 - 02 - 03),
            Sex::Female,
        ))
        .unwrap();
    let screening = centre
        .screen(&priya, Procedure::WholeBlood, healthy_screening())
        .unwrap();
    let priya_din = centre.collect(&priya, &screening, 455, "TX").unwrap();

    // 11:00 Manufacturing separates both units into red cells, plasma and platelets.
    centre.advance(Duration::hours(2));
    let maria_units = centre.produce(&maria_din, "rbc_ffp_platelets").unwrap();
    let priya_units = centre.produce(&priya_din, "rbc_ffp_platelets").unwrap();

    // 15:00 The lab: Maria is negative on everything; Priya's anti-HCV is repeat reactive.
    centre.advance(Duration::hours(4));
    centre.all_negative(&maria_din).unwrap();
    centre
        .type_and_screen(&maria_din, Abo::A, RhD::Positive)
        .unwrap();
    centre
        .result(&priya_din, "anti_hcv", Stage::Initial, Reading::Reactive)
        .unwrap();
    centre
        .result(&priya_din, "anti_hcv", Stage::Repeat, Reading::Reactive)
        .unwrap();
    centre
        .result(&priya_din, "anti_hcv", Stage::Repeat, Reading::Nonreactive)
        .unwrap();
    for id in &priya_units {
        assert_eq!(centre.component(id).unwrap().status, Status::Unsafe);
    }
    assert!(
        centre
            .state
            .tasks
            .values()
            .any(|t| t.donor_id.as_deref() == Some(priya.as_str()))
    );
    assert!(!queries::current_deferrals(&centre.state, &priya, centre.now.date()).is_empty());

    // 16:00 Maria's red cells are labelled, verified and released; her platelets wait for
    // their culture.
    centre.advance(Duration::hours(1));
    let rbc = &maria_units[0];
    centre.verify_label(rbc).unwrap();
    centre.release(rbc).unwrap();
    let platelets = &maria_units[2];
    centre.verify_label(platelets).unwrap();
    assert_eq!(centre.release(platelets).unwrap_err().rule, "TEST-BACT");

    // 17:00 A hospital order: the red cells ship; Priya's cannot.
    centre.advance(Duration::hours(1));
    centre
        .run(
            Role::Distribution,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::ShipComponent {
                    component: rbc.clone(),
                    consignee: "Mercy Hospital".into(),
                },
            )),
        )
        .unwrap();
    let refusal = centre
        .run(
            Role::Distribution,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::ShipComponent {
                    component: priya_units[0].clone(),
                    consignee: "Mercy Hospital".into(),
                },
            )),
        )
        .unwrap_err();
    assert_eq!(refusal.rule, "REL-GATE");
    assert_eq!(
        queries::inventory(&centre.state, Some(Status::Shipped), centre.now).len(),
        1
    );
    invariants::check(&centre.state).unwrap();
}

#[test]
fn a_regular_platelet_donor_gives_a_double_split_that_is_irradiated_and_released() {
    let mut centre = Centre::new();
    let donor = centre
        .register(identity("Kaur", "Jas", date!(1970 - 09 - 09), Sex::Male))
        .unwrap();
    let screening = centre
        .screen(&donor, Procedure::Plateletpheresis, healthy_screening())
        .unwrap();
    let din = centre.collect(&donor, &screening, 520, "PA").unwrap();
    assert!(
        centre.state.donations[&din]
            .tests
            .contains_key("babesia_nat")
    );
    let units = centre.produce(&din, "platelets_double").unwrap();
    assert_eq!(units.len(), 2);
    centre.all_negative(&din).unwrap();
    centre.type_and_screen(&din, Abo::O, RhD::Negative).unwrap();
    for id in &units {
        centre
            .run(
                Role::Manufacturing,
                Command::Client(ClientCommand::Manufacturing(
                    ManufacturingCommand::RecordBacterialControl {
                        component: id.clone(),
                        method: "lvds_48h".into(),
                    },
                )),
            )
            .unwrap();
    }
    let events = centre
        .run(
            Role::Manufacturing,
            Command::Client(ClientCommand::Manufacturing(
                ManufacturingCommand::ModifyComponent {
                    component: units[0].clone(),
                    modification: Attr::Irradiated,
                },
            )),
        )
        .unwrap();
    let Event::Manufacturing(ManufacturingEvent::ComponentProduced { component }) = &events[0]
    else {
        panic!("no irradiated unit")
    };
    // Irradiation does not shorten platelets; the 7-day dating of the 48 h LVDS holds.
    assert_eq!(
        component.expires_at,
        component.collected_at + Duration::days(7)
    );
    let irradiated = component.id.clone();
    centre.verify_label(&irradiated).unwrap();
    centre.release(&irradiated).unwrap();
    assert_eq!(
        centre.component(&units[0]).unwrap().status,
        Status::Processed
    );
    invariants::check(&centre.state).unwrap();
}

#[test]
fn an_abo_discrepancy_is_held_investigated_resolved_and_then_released() {
    let mut centre = Centre::new();
    let (_, din) = centre
        .walk_in("Novak", date!(1966 - 06 - 06), Procedure::WholeBlood)
        .unwrap();
    let units = centre.produce(&din, "rbc_ffp").unwrap();
    centre.all_negative(&din).unwrap();
    centre
        .run(
            Role::LabTechnologist,
            Command::Client(ClientCommand::Lab(LabCommand::RecordBloodGroup {
                din: din.clone(),
                abo: Abo::A,
                rhd: RhD::Positive,
            })),
        )
        .unwrap();
    let events = centre
        .run(
            Role::LabTechnologist,
            Command::Client(ClientCommand::Lab(LabCommand::RecordBloodGroup {
                din: din.clone(),
                abo: Abo::AB,
                rhd: RhD::Positive,
            })),
        )
        .unwrap();
    let hold_id = events
        .iter()
        .find_map(|e| match e {
            Event::Release(ReleaseEvent::HoldPlaced { hold }) => Some(hold.id.clone()),
            _ => None,
        })
        .unwrap();
    centre
        .run(
            Role::LabTechnologist,
            Command::Client(ClientCommand::Lab(LabCommand::RecordAntibodyScreen {
                din: din.clone(),
                positive: false,
            })),
        )
        .unwrap();
    // The technologist cannot resolve it; QA can, with the investigation's finding.
    let resolve = Command::Client(ClientCommand::Lab(LabCommand::ResolveBloodGroup {
        din: din.clone(),
        abo: Abo::A,
        rhd: RhD::Positive,
        reason: "weak B reaction from acquired B; A confirmed on new sample".into(),
    }));
    assert_eq!(
        centre
            .run(Role::LabTechnologist, resolve.clone())
            .unwrap_err()
            .rule,
        "P11-ACCESS"
    );
    centre.run(Role::QualityAssurance, resolve).unwrap();
    centre.verify_label(&units[0]).unwrap();
    assert_eq!(centre.release(&units[0]).unwrap_err().rule, "REL-GATE");
    centre
        .run(
            Role::QualityAssurance,
            Command::Client(ClientCommand::Release(ReleaseCommand::ReleaseHold {
                hold_id,
                reason: "resolved".into(),
            })),
        )
        .unwrap();
    centre.release(&units[0]).unwrap();
    invariants::check(&centre.state).unwrap();
}

#[test]
fn a_returning_donor_is_found_not_registered_twice_and_a_near_match_is_flagged() {
    let mut centre = Centre::new();
    let first = centre
        .register(identity(
            "O'Brien",
            "Sean",
            date!(1988 - 03 - 04),
            Sex::Male,
        ))
        .unwrap();
    let again = centre
        .register(identity("OBrien", "sean", date!(1988 - 03 - 04), Sex::Male))
        .unwrap_err();
    assert_eq!(again.rule, "DONOR-DUPLICATE");
    assert!(again.message.contains(&first));
    // Day and month swapped: a different record, flagged for review.
    centre
        .register(identity(
            "O'Brien",
            "Sean",
            date!(1988 - 04 - 03),
            Sex::Male,
        ))
        .unwrap();
    let flagged = queries::search_donors(&centre.state, "brien", Some(date!(1988 - 04 - 03)));
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0].possible_duplicates, vec![first.clone()]);
    // The donor number is ISBT 128 data structure 019.
    let scan = format!("=;{first}");
    assert!(
        hemaflow_isbt128::parse_as(&scan, &[hemaflow_isbt128::Kind::DonorIdentificationNumber])
            .is_ok(),
        "{scan}"
    );
}

#[test]
fn a_unit_left_on_the_shelf_expires_and_cannot_be_shipped() {
    let mut centre = Centre::new();
    let (_, din) = centre
        .walk_in("Frost", date!(1990 - 12 - 12), Procedure::WholeBlood)
        .unwrap();
    let units = centre.produce(&din, "rbc_ffp").unwrap();
    centre.all_negative(&din).unwrap();
    centre.type_and_screen(&din, Abo::O, RhD::Negative).unwrap();
    centre.verify_label(&units[0]).unwrap();
    centre.release(&units[0]).unwrap();
    centre.advance(Duration::days(42));
    centre
        .run(
            Role::Distribution,
            Command::Client(ClientCommand::Release(ReleaseCommand::ExpireUnits {
                as_of: centre.now,
            })),
        )
        .unwrap();
    assert_eq!(centre.component(&units[0]).unwrap().status, Status::Expired);
    let ship = Command::Client(ClientCommand::Distribution(
        DistributionCommand::ShipComponent {
            component: units[0].clone(),
            consignee: "Mercy".into(),
        },
    ));
    assert_eq!(
        centre.run(Role::Distribution, ship).unwrap_err().rule,
        "REL-GATE"
    );
    centre
        .run(
            Role::Manufacturing,
            Command::Client(ClientCommand::Manufacturing(
                ManufacturingCommand::DiscardComponent {
                    component: units[0].clone(),
                    reason: "expired".into(),
                },
            )),
        )
        .unwrap();
    invariants::check(&centre.state).unwrap();
}
