//! The hospital-supply rules (sites, storage, transfers, orders, allocation, shipping,
//! receipt, returns), one test or more per rule, named after it; substitution scenarios.

#![allow(clippy::unwrap_used)]

use hemaflow_domain::command::{Command, Event, LineUnit};
use hemaflow_domain::distribution::allocation::{Match, propose_allocation};
use hemaflow_domain::distribution::orders::{Need, OrderLine, OrderStatus, Priority};
use hemaflow_domain::distribution::sites::{Celsius, Location, TemperatureRange};
use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_domain::manufacturing::components::{Family, Status};
use hemaflow_domain::release::gate::{HoldKind, HoldTarget};
use hemaflow_domain::{
    AccessCommand, ClientCommand, DistributionCommand, DistributionEvent, ManufacturingCommand,
    ReleaseCommand, ServerCommand,
};
use hemaflow_domain::{Role, invariants, queries};
use hemaflow_testkit::scenario::{Centre, DISTRIBUTION_SITE, PROCESSING_SITE};
use time::{Duration, Weekday};

const MERCY: &str = "mercy";
const MERCY_USER: &str = "mercy.user";
const STLUKES_USER: &str = "stlukes.user";

fn supplied() -> Centre {
    let mut centre = Centre::new();
    centre.open_supply().unwrap();
    centre
}

fn line(family: Family, abo: Abo, rhd: RhD, quantity: u32) -> OrderLine {
    OrderLine {
        component_type: family,
        abo,
        rhd,
        attributes: Vec::new(),
        quantity,
    }
}

fn order(centre: &mut Centre, id: &str, lines: Vec<OrderLine>, priority: Priority) {
    centre
        .run_as(
            MERCY_USER,
            Role::HospitalUser,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::PlaceOrder {
                    order_id: id.into(),
                    hospital: MERCY.into(),
                    lines,
                    priority,
                    needed_by: None,
                },
            )),
        )
        .unwrap();
}

/// Red cells of the group, released at the processing site; the red-cell unit's ID.
fn red_cells(centre: &mut Centre, abo: Abo, rhd: RhD) -> String {
    centre.released_units("rbc_ffp", abo, rhd).unwrap()[0].clone()
}

fn allocate(
    centre: &mut Centre,
    order_id: &str,
    units: &[(u32, &str)],
) -> Result<Vec<Event>, hemaflow_domain::Refusal> {
    centre.run(
        Role::Distribution,
        Command::Client(ClientCommand::Distribution(
            DistributionCommand::AllocateOrder {
                order_id: order_id.into(),
                units: units
                    .iter()
                    .map(|(line, c)| LineUnit {
                        line: *line,
                        component: (*c).to_owned(),
                    })
                    .collect(),
            },
        )),
    )
}

fn pick(
    centre: &mut Centre,
    shipment: &str,
    order_id: &str,
    unit: &str,
) -> Result<Vec<Event>, hemaflow_domain::Refusal> {
    centre.run(
        Role::Distribution,
        Command::Client(ClientCommand::Distribution(DistributionCommand::PickUnit {
            shipment_id: shipment.into(),
            order_id: order_id.into(),
            component: unit.into(),
        })),
    )
}

fn ship(
    centre: &mut Centre,
    shipment: &str,
    range: TemperatureRange,
) -> Result<Vec<Event>, hemaflow_domain::Refusal> {
    centre.run(
        Role::Distribution,
        Command::Client(ClientCommand::Distribution(
            DistributionCommand::ShipShipment {
                shipment_id: shipment.into(),
                box_id: "BOX-1".into(),
                temperature_range: range,
                courier: "Medical Courier Co".into(),
            },
        )),
    )
}

const COLD: TemperatureRange = TemperatureRange::degrees(1, 10);

/// One O+ red-cell unit ordered, allocated, picked and shipped to Mercy; the unit's ID.
fn shipped_unit(centre: &mut Centre) -> String {
    let unit = red_cells(centre, Abo::O, RhD::Positive);
    order(
        centre,
        "ORD-1",
        vec![line(Family::RedCells, Abo::O, RhD::Positive, 1)],
        Priority::Routine,
    );
    allocate(centre, "ORD-1", &[(0, &unit)]).unwrap();
    pick(centre, "SHP-1", "ORD-1", &unit).unwrap();
    ship(centre, "SHP-1", COLD).unwrap();
    unit
}

// ------------------------------------------------------------------ sites and storage

#[test]
fn dist_storage_red_cells_go_in_a_refrigerator_never_a_freezer_or_agitator() {
    let mut centre = supplied();
    let unit = red_cells(&mut centre, Abo::A, RhD::Positive);
    assert_eq!(
        centre.component(&unit).unwrap().location,
        Location::Site {
            site: PROCESSING_SITE.into(),
            storage: None
        },
        "production puts a unit at the processing site"
    );
    for wrong in ["PROC-FREEZER", "PROC-AGITATOR"] {
        let refusal = centre
            .run(
                Role::Manufacturing,
                Command::Client(ClientCommand::Distribution(
                    DistributionCommand::StoreComponent {
                        component: unit.clone(),
                        storage: wrong.into(),
                    },
                )),
            )
            .unwrap_err();
        assert_eq!(refusal.rule, "DIST-STORAGE");
        assert!(refusal.message.contains("1 to 6 °C"), "{}", refusal.message);
    }
    centre
        .run(
            Role::Manufacturing,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::StoreComponent {
                    component: unit.clone(),
                    storage: "PROC-FRIDGE".into(),
                },
            )),
        )
        .unwrap();
    assert_eq!(
        centre.component(&unit).unwrap().location,
        Location::Site {
            site: PROCESSING_SITE.into(),
            storage: Some("PROC-FRIDGE".into())
        }
    );
}

#[test]
fn dist_storage_platelets_need_an_agitator_and_frozen_plasma_a_freezer() {
    let mut centre = supplied();
    let ids = centre
        .released_units("rbc_ffp_platelets", Abo::B, RhD::Positive)
        .unwrap();
    let (plasma, platelets) = (&ids[1], &ids[2]);
    let store = |c: &str, s: &str| {
        Command::Client(ClientCommand::Distribution(
            DistributionCommand::StoreComponent {
                component: c.into(),
                storage: s.into(),
            },
        ))
    };
    let refusal = centre
        .run(Role::Manufacturing, store(platelets, "PROC-FRIDGE"))
        .unwrap_err();
    assert_eq!(refusal.rule, "DIST-STORAGE");
    assert!(refusal.message.contains("agitat"), "{}", refusal.message);
    assert_eq!(
        centre
            .run(Role::Manufacturing, store(plasma, "PROC-FRIDGE"))
            .unwrap_err()
            .rule,
        "DIST-STORAGE"
    );
    centre
        .run(Role::Manufacturing, store(platelets, "PROC-AGITATOR"))
        .unwrap();
    centre
        .run(Role::Manufacturing, store(plasma, "PROC-FREEZER"))
        .unwrap();
    // A storage at another site: the unit must be transferred first.
    let refusal = centre
        .run(Role::Manufacturing, store(&ids[0], "DIST-FRIDGE"))
        .unwrap_err();
    assert_eq!(refusal.rule, "DIST-TRANSFER");
}

#[test]
fn dist_storage_temperatures_parse_as_tenths_and_refuse_nonsense() {
    assert_eq!("-18".parse::<Celsius>().unwrap(), Celsius::tenths(-180));
    assert_eq!("20.5".parse::<Celsius>().unwrap().to_string(), "20.5");
    assert_eq!(Celsius::tenths(-5).to_string(), "-0.5");
    for bad in ["", "4.25", "warm", "1e3", "999"] {
        assert!(bad.parse::<Celsius>().is_err(), "{bad:?} parsed");
    }
    let json = serde_json::to_string(&TemperatureRange::degrees(1, 10)).unwrap();
    assert_eq!(json, r#"{"min_c":"1","max_c":"10"}"#);
}

#[test]
fn dist_transfer_units_move_by_scan_out_and_in_and_wrong_scans_say_where_the_unit_is() {
    let mut centre = supplied();
    let a = red_cells(&mut centre, Abo::O, RhD::Negative);
    let b = red_cells(&mut centre, Abo::O, RhD::Negative);
    let dispatch = |id: &str, from: &str, units: Vec<String>| {
        Command::Client(ClientCommand::Distribution(
            DistributionCommand::DispatchTransfer {
                transfer_id: id.into(),
                from: from.into(),
                to: if from == PROCESSING_SITE {
                    DISTRIBUTION_SITE.into()
                } else {
                    PROCESSING_SITE.into()
                },
                components: units,
            },
        ))
    };
    // Scanned out at a site where it is not.
    let refusal = centre
        .run(
            Role::Distribution,
            dispatch("T0", DISTRIBUTION_SITE, vec![a.clone()]),
        )
        .unwrap_err();
    assert_eq!(refusal.rule, "DIST-TRANSFER");
    assert!(
        refusal.message.contains(PROCESSING_SITE),
        "{}",
        refusal.message
    );
    centre
        .run(
            Role::Distribution,
            dispatch("T1", PROCESSING_SITE, vec![a.clone()]),
        )
        .unwrap();
    assert!(matches!(
        centre.component(&a).unwrap().location,
        Location::InTransit { .. }
    ));
    // Received against the wrong transfer, or a unit never dispatched.
    let receive = |t: &str, c: &str| {
        Command::Client(ClientCommand::Distribution(
            DistributionCommand::ReceiveTransfer {
                transfer_id: t.into(),
                component: c.into(),
            },
        ))
    };
    let refusal = centre
        .run(Role::Distribution, receive("T1", &b))
        .unwrap_err();
    assert_eq!(refusal.rule, "DIST-TRANSFER");
    assert!(
        refusal.message.contains("not in transfer T1"),
        "{}",
        refusal.message
    );
    centre.run(Role::Distribution, receive("T1", &a)).unwrap();
    assert_eq!(
        centre.component(&a).unwrap().location.site(),
        Some(DISTRIBUTION_SITE)
    );
    assert_eq!(
        centre
            .run(Role::Distribution, receive("T1", &a))
            .unwrap_err()
            .rule,
        "DIST-TRANSFER"
    );
    assert!(centre.state.transfers["T1"].is_complete());
    invariants::check(&centre.state).unwrap();
}

// ------------------------------------------------------------------ orders

#[test]
fn order_clock_due_times_follow_the_priority_and_at_risk_orders_come_first() {
    let mut centre = supplied();
    let placed = centre.now;
    for (id, priority, hours) in [
        ("R", Priority::Routine, 24),
        ("A", Priority::Asap, 4),
        ("S", Priority::Stat, 1),
        ("E", Priority::Emergency, 1),
    ] {
        order(
            &mut centre,
            id,
            vec![line(Family::RedCells, Abo::A, RhD::Positive, 1)],
            priority,
        );
        assert_eq!(
            centre.state.orders[id].due_at,
            placed + Duration::hours(hours),
            "{id}"
        );
    }
    // A later needed-by time is the due time.
    let needed_by = placed + Duration::days(3);
    centre
        .run(
            Role::Distribution,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::PlaceOrder {
                    order_id: "N".into(),
                    hospital: MERCY.into(),
                    lines: vec![line(Family::Plasma, Abo::AB, RhD::Positive, 2)],
                    priority: Priority::Routine,
                    needed_by: Some(needed_by),
                },
            )),
        )
        .unwrap();
    assert_eq!(centre.state.orders["N"].due_at, needed_by);
    centre.advance(Duration::minutes(30));
    let at_risk: Vec<&str> = queries::orders_at_risk(&centre.state, centre.now)
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(at_risk, ["E", "S"]);
    centre.advance(Duration::hours(3));
    let at_risk: Vec<&str> = queries::orders_at_risk(&centre.state, centre.now)
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(at_risk, ["E", "S", "A"]);
    let listed: Vec<&str> = queries::visible_orders(&centre.state, Role::Distribution, "d")
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(listed, ["E", "S", "A", "R", "N"]);
    // Two days on, a new STAT order due within the hour comes before the ASAP and routine
    // orders already days late: the priority first, then the due time.
    centre.advance(Duration::days(2));
    centre
        .run(
            Role::Distribution,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::PlaceOrder {
                    order_id: "S2".into(),
                    hospital: MERCY.into(),
                    lines: vec![line(Family::RedCells, Abo::O, RhD::Negative, 1)],
                    priority: Priority::Stat,
                    needed_by: None,
                },
            )),
        )
        .unwrap();
    let listed: Vec<&str> = queries::visible_orders(&centre.state, Role::Distribution, "d")
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(listed, ["E", "S", "S2", "A", "R", "N"]);
}

#[test]
fn order_clock_a_needed_by_time_in_the_past_or_an_empty_line_is_refused() {
    let mut centre = supplied();
    let place = |needed_by, quantity| {
        Command::Client(ClientCommand::Distribution(
            DistributionCommand::PlaceOrder {
                order_id: "X".into(),
                hospital: MERCY.into(),
                lines: vec![line(Family::RedCells, Abo::A, RhD::Positive, quantity)],
                priority: Priority::Asap,
                needed_by,
            },
        ))
    };
    let past = Some(centre.now - Duration::hours(1));
    assert_eq!(
        centre
            .run(Role::Distribution, place(past, 1))
            .unwrap_err()
            .rule,
        "DIST-INPUT"
    );
    let refusal = centre.run(Role::Distribution, place(None, 0)).unwrap_err();
    assert!(refusal.message.contains("line 1"), "{}", refusal.message);
    assert!(centre.state.orders.is_empty());
}

#[test]
fn p11_access_a_hospital_user_orders_and_sees_only_for_its_own_hospital() {
    let mut centre = supplied();
    let place = |hospital: &str| {
        Command::Client(ClientCommand::Distribution(
            DistributionCommand::PlaceOrder {
                order_id: format!("O-{hospital}"),
                hospital: hospital.into(),
                lines: vec![line(Family::RedCells, Abo::O, RhD::Positive, 1)],
                priority: Priority::Routine,
                needed_by: None,
            },
        ))
    };
    let refusal = centre
        .run_as(STLUKES_USER, Role::HospitalUser, place(MERCY))
        .unwrap_err();
    assert_eq!(refusal.rule, "P11-ACCESS");
    assert!(refusal.message.contains("stlukes"), "{}", refusal.message);
    centre
        .run_as(MERCY_USER, Role::HospitalUser, place(MERCY))
        .unwrap();
    centre.run(Role::Distribution, place("stlukes")).unwrap();
    let seen = |actor| -> Vec<String> {
        queries::visible_orders(&centre.state, Role::HospitalUser, actor)
            .iter()
            .map(|o| o.id.clone())
            .collect()
    };
    assert_eq!(seen(MERCY_USER), ["O-mercy"]);
    assert_eq!(seen(STLUKES_USER), ["O-stlukes"]);
    assert!(seen("nobody").is_empty());
    // A hospital user may not allocate, pick or ship.
    assert_eq!(
        centre
            .run_as(
                MERCY_USER,
                Role::HospitalUser,
                Command::Client(ClientCommand::Distribution(
                    DistributionCommand::AllocateOrder {
                        order_id: "O-mercy".into(),
                        units: vec![]
                    }
                ))
            )
            .unwrap_err()
            .rule,
        "P11-ACCESS"
    );
}

#[test]
fn p11_access_a_hospital_system_token_acts_only_for_its_hospital_and_not_once_revoked() {
    let mut centre = supplied();
    centre
        .run(
            Role::Admin,
            Command::Server(ServerCommand::IssueApiToken {
                token_id: "0123456789abcdef".into(),
                name: "Mercy LIS".into(),
                role: Role::HospitalUser,
                hospital: Some(MERCY.into()),
                digest: "ab".repeat(32),
            }),
        )
        .unwrap();
    let token = "token:0123456789abcdef";
    let place = |id: &str, hospital: &str| {
        Command::Client(ClientCommand::Distribution(
            DistributionCommand::PlaceOrder {
                order_id: id.into(),
                hospital: hospital.into(),
                lines: vec![line(Family::RedCells, Abo::O, RhD::Positive, 1)],
                priority: Priority::Routine,
                needed_by: None,
            },
        ))
    };
    let refusal = centre
        .run_as(token, Role::HospitalUser, place("O-1", "stlukes"))
        .unwrap_err();
    assert_eq!(refusal.rule, "P11-ACCESS");
    assert!(
        refusal.message.contains("not for stlukes"),
        "{}",
        refusal.message
    );
    centre
        .run_as(token, Role::HospitalUser, place("O-2", MERCY))
        .unwrap();
    let seen: Vec<String> = queries::visible_orders(&centre.state, Role::HospitalUser, token)
        .iter()
        .map(|o| o.id.clone())
        .collect();
    assert_eq!(seen, ["O-2"]);
    centre
        .run(
            Role::Admin,
            Command::Client(ClientCommand::Access(AccessCommand::RevokeApiToken {
                token_id: "0123456789abcdef".into(),
                reason: "LIS replaced".into(),
            })),
        )
        .unwrap();
    let refusal = centre
        .run_as(token, Role::HospitalUser, place("O-3", MERCY))
        .unwrap_err();
    assert_eq!(refusal.rule, "P11-ACCESS");
    assert!(refusal.message.contains("not bound"), "{}", refusal.message);
}

#[test]
fn order_clock_standing_orders_renew_once_a_week_on_their_weekday() {
    let mut centre = supplied(); // Monday 2 March 2026, 08:00
    centre
        .run_as(
            MERCY_USER,
            Role::HospitalUser,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::PlaceStandingOrder {
                    standing_order_id: "STD-MERCY".into(),
                    hospital: MERCY.into(),
                    lines: vec![line(Family::Platelets, Abo::A, RhD::Positive, 4)],
                    priority: Priority::Routine,
                    weekday: Weekday::Wednesday,
                },
            )),
        )
        .unwrap();
    let renew = |at| {
        Command::Client(ClientCommand::Distribution(
            DistributionCommand::RenewStandingOrders { as_of: at },
        ))
    };
    let now = centre.now;
    let events = centre.run(Role::Distribution, renew(now)).unwrap();
    assert_eq!(events.len(), 1);
    let placed = &centre.state.orders["STD-MERCY-2026-03-04"];
    assert_eq!(placed.needed_by.unwrap().weekday(), Weekday::Wednesday);
    assert_eq!(placed.standing_order.as_deref(), Some("STD-MERCY"));
    assert!(
        centre
            .run(Role::Distribution, renew(now))
            .unwrap()
            .is_empty(),
        "renewing twice places once"
    );
    centre.advance(Duration::days(3));
    let now = centre.now;
    centre.run(Role::Distribution, renew(now)).unwrap();
    assert!(centre.state.orders.contains_key("STD-MERCY-2026-03-11"));
    centre
        .run(
            Role::Distribution,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::CancelOrder {
                    order_id: "STD-MERCY".into(),
                    reason: "ward closed".into(),
                },
            )),
        )
        .unwrap();
    centre.advance(Duration::days(7));
    let now = centre.now;
    assert!(
        centre
            .run(Role::Distribution, renew(now))
            .unwrap()
            .is_empty()
    );
}

// ------------------------------------------------------------------ allocation

#[test]
fn alloc_fefo_proposes_only_released_in_date_free_units_earliest_expiry_first() {
    let mut centre = supplied();
    let older = red_cells(&mut centre, Abo::A, RhD::Positive);
    centre.advance(Duration::days(2));
    let newer = red_cells(&mut centre, Abo::A, RhD::Positive);
    let held = red_cells(&mut centre, Abo::A, RhD::Positive);
    centre
        .run(
            Role::QualityAssurance,
            Command::Client(ClientCommand::Release(ReleaseCommand::PlaceHold {
                target: HoldTarget::Component { id: held.clone() },
                kind: HoldKind::Qa,
                reason: "bag inspection".into(),
            })),
        )
        .unwrap();
    // Quarantined: produced but never released.
    let name = "Quarantine".to_owned();
    let (_, din) = centre
        .walk_in(
            &name,
            time::macros::date!(1970 - 01 - 01),
            hemaflow_domain::donor_centre::eligibility::Procedure::WholeBlood,
        )
        .unwrap();
    centre.produce(&din, "rbc_ffp").unwrap();
    order(
        &mut centre,
        "ORD",
        vec![line(Family::RedCells, Abo::A, RhD::Positive, 5)],
        Priority::Asap,
    );
    let proposal = propose_allocation(&centre.state, "ORD", PROCESSING_SITE, centre.now).unwrap();
    let units: Vec<&str> = proposal.lines[0]
        .units
        .iter()
        .map(|u| u.component.as_str())
        .collect();
    assert_eq!(
        units,
        [older.as_str(), newer.as_str()],
        "FEFO, no held or quarantined unit"
    );
    assert_eq!(proposal.lines[0].shortfall, 3);
    assert!(proposal.lines[0].shortfall_reason.is_some());
    // Nothing at the distribution site.
    let elsewhere =
        propose_allocation(&centre.state, "ORD", DISTRIBUTION_SITE, centre.now).unwrap();
    assert!(elsewhere.lines[0].units.is_empty());
    allocate(&mut centre, "ORD", &[(0, &older)]).unwrap();
    // An allocated unit is not proposed for another order, and an expired one never.
    order(
        &mut centre,
        "ORD2",
        vec![line(Family::RedCells, Abo::A, RhD::Positive, 5)],
        Priority::Asap,
    );
    let proposal = propose_allocation(&centre.state, "ORD2", PROCESSING_SITE, centre.now).unwrap();
    assert_eq!(proposal.lines[0].units.len(), 1);
    let late = centre.now + Duration::days(43);
    assert!(
        propose_allocation(&centre.state, "ORD2", PROCESSING_SITE, late)
            .unwrap()
            .lines[0]
            .units
            .is_empty()
    );
    // AllocateOrder checks every unit again.
    for (unit, rule) in [(&held, "ALLOC-FEFO"), (&older, "ALLOC-FEFO")] {
        assert_eq!(
            allocate(&mut centre, "ORD2", &[(0, unit)])
                .unwrap_err()
                .rule,
            rule
        );
    }
}

#[test]
fn alloc_fefo_attributes_must_be_met_and_hla_lines_state_their_shortfall() {
    let mut centre = supplied();
    let plain = red_cells(&mut centre, Abo::O, RhD::Positive);
    let mut l = line(Family::RedCells, Abo::O, RhD::Positive, 1);
    l.attributes = vec![Need::Irradiated];
    order(&mut centre, "IRR", vec![l.clone()], Priority::Routine);
    let proposal = propose_allocation(&centre.state, "IRR", PROCESSING_SITE, centre.now).unwrap();
    assert!(proposal.lines[0].units.is_empty());
    let refusal = allocate(&mut centre, "IRR", &[(0, &plain)]).unwrap_err();
    assert!(
        refusal.message.contains("irradiated"),
        "{}",
        refusal.message
    );
    l.attributes = vec![Need::HlaMatched];
    order(&mut centre, "HLA", vec![l], Priority::Routine);
    let proposal = propose_allocation(&centre.state, "HLA", PROCESSING_SITE, centre.now).unwrap();
    assert!(
        proposal.lines[0]
            .shortfall_reason
            .as_deref()
            .unwrap()
            .contains("HLA")
    );
}

#[test]
fn alloc_subst_o_neg_short_is_never_filled_with_rhd_positive_red_cells() {
    let mut centre = supplied();
    let o_pos = red_cells(&mut centre, Abo::O, RhD::Positive);
    order(
        &mut centre,
        "ONEG",
        vec![line(Family::RedCells, Abo::O, RhD::Negative, 1)],
        Priority::Stat,
    );
    let proposal = propose_allocation(&centre.state, "ONEG", PROCESSING_SITE, centre.now).unwrap();
    assert!(proposal.lines[0].units.is_empty());
    assert_eq!(proposal.lines[0].shortfall, 1);
    let refusal = allocate(&mut centre, "ONEG", &[(0, &o_pos)]).unwrap_err();
    assert_eq!(refusal.rule, "ALLOC-SUBST");
    assert!(
        refusal.message.contains("COMPAT-RHD"),
        "{}",
        refusal.message
    );
}

#[test]
fn alloc_subst_a_positive_short_gets_o_positive_then_o_negative_and_records_the_rule() {
    let mut centre = supplied();
    let o_neg = red_cells(&mut centre, Abo::O, RhD::Negative);
    let a_neg = red_cells(&mut centre, Abo::A, RhD::Negative);
    let o_pos = red_cells(&mut centre, Abo::O, RhD::Positive);
    let a_pos = red_cells(&mut centre, Abo::A, RhD::Positive);
    order(
        &mut centre,
        "APOS",
        vec![line(Family::RedCells, Abo::A, RhD::Positive, 4)],
        Priority::Asap,
    );
    let proposal = propose_allocation(&centre.state, "APOS", PROCESSING_SITE, centre.now).unwrap();
    let got: Vec<(&str, &Match)> = proposal.lines[0]
        .units
        .iter()
        .map(|u| (u.component.as_str(), &u.matched))
        .collect();
    assert_eq!(got[0], (a_pos.as_str(), &Match::Exact));
    assert_eq!(got[1].0, a_neg, "same ABO, other RhD first");
    assert_eq!(got[2].0, o_pos);
    assert_eq!(got[3].0, o_neg, "O-negative last");
    assert!(matches!(
        got[2].1,
        Match::Substitute {
            rule: hemaflow_domain::Rule::CompatRbc,
            ..
        }
    ));
    centre
        .run(
            Role::Distribution,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::AllocateOrder {
                    order_id: "APOS".into(),
                    units: proposal.choices(),
                },
            )),
        )
        .unwrap();
    let order = &centre.state.orders["APOS"];
    assert_eq!(
        order
            .units
            .iter()
            .filter(|u| u.allocated.substitution.is_some())
            .count(),
        3
    );
    assert_eq!(order.status(), OrderStatus::Allocated);
}

#[test]
fn alloc_subst_never_a_to_o_for_red_cells_and_ab_plasma_to_anyone() {
    let mut centre = supplied();
    let ids_a = centre
        .released_units("rbc_ffp", Abo::A, RhD::Positive)
        .unwrap();
    let ids_b = centre
        .released_units("rbc_ffp", Abo::B, RhD::Positive)
        .unwrap();
    let ids_ab = centre
        .released_units("rbc_ffp", Abo::AB, RhD::Negative)
        .unwrap();
    order(
        &mut centre,
        "O-REC",
        vec![line(Family::RedCells, Abo::O, RhD::Positive, 1)],
        Priority::Routine,
    );
    let proposal = propose_allocation(&centre.state, "O-REC", PROCESSING_SITE, centre.now).unwrap();
    assert!(
        proposal.lines[0].units.is_empty(),
        "no A, B or AB red cells for an O recipient"
    );
    let refusal = allocate(&mut centre, "O-REC", &[(0, &ids_a[0])]).unwrap_err();
    assert_eq!(refusal.rule, "ALLOC-SUBST");
    assert!(
        refusal.message.contains("COMPAT-RBC"),
        "{}",
        refusal.message
    );
    // Plasma for a group A recipient: A exact, AB substitute, never B.
    order(
        &mut centre,
        "A-PLASMA",
        vec![line(Family::Plasma, Abo::A, RhD::Positive, 3)],
        Priority::Routine,
    );
    let proposal =
        propose_allocation(&centre.state, "A-PLASMA", PROCESSING_SITE, centre.now).unwrap();
    let plasma: Vec<&str> = proposal.lines[0]
        .units
        .iter()
        .map(|u| u.component.as_str())
        .collect();
    assert_eq!(plasma, [ids_a[1].as_str(), ids_ab[1].as_str()]);
    assert_eq!(proposal.lines[0].shortfall, 1);
    let refusal = allocate(&mut centre, "A-PLASMA", &[(0, &ids_b[1])]).unwrap_err();
    assert!(
        refusal.message.contains("COMPAT-PLASMA"),
        "{}",
        refusal.message
    );
    // AB plasma goes to any recipient, recorded as a substitution.
    for (i, abo) in [Abo::O, Abo::B].into_iter().enumerate() {
        let id = format!("PL-{i}");
        order(
            &mut centre,
            &id,
            vec![line(Family::Plasma, abo, RhD::Negative, 4)],
            Priority::Routine,
        );
        let p = propose_allocation(&centre.state, &id, PROCESSING_SITE, centre.now).unwrap();
        assert!(
            p.lines[0].units.iter().any(|u| u.component == ids_ab[1]),
            "{abo:?}"
        );
    }
    allocate(&mut centre, "PL-0", &[(0, &ids_ab[1])]).unwrap();
    let unit = &centre.state.orders["PL-0"].units[0];
    assert_eq!(
        unit.allocated.substitution.as_ref().unwrap().rule,
        "COMPAT-PLASMA"
    );
}

// ------------------------------------------------------------------ pick, ship, receive

#[test]
fn dist_pick_refuses_quarantined_unsafe_expired_unallocated_and_picked_units_with_the_reason() {
    let mut centre = supplied();
    let unit = red_cells(&mut centre, Abo::B, RhD::Positive);
    let other = red_cells(&mut centre, Abo::B, RhD::Positive);
    order(
        &mut centre,
        "ORD",
        vec![line(Family::RedCells, Abo::B, RhD::Positive, 1)],
        Priority::Stat,
    );
    // Not allocated to the order.
    let refusal = pick(&mut centre, "S", "ORD", &unit).unwrap_err();
    assert_eq!(refusal.rule, "DIST-PICK");
    assert!(
        refusal.message.contains("not allocated"),
        "{}",
        refusal.message
    );
    allocate(&mut centre, "ORD", &[(0, &unit)]).unwrap();
    // Quarantined (never released): the blockers in words.
    let (_, din) = centre
        .walk_in(
            "Quarantined",
            time::macros::date!(1971 - 02 - 03),
            hemaflow_domain::donor_centre::eligibility::Procedure::WholeBlood,
        )
        .unwrap();
    let q = centre.produce(&din, "rbc_ffp").unwrap();
    let refusal = pick(&mut centre, "S", "ORD", &q[0]).unwrap_err();
    assert!(
        refusal.message.contains("quarantined") && refusal.message.contains("REL-"),
        "{}",
        refusal.message
    );
    // Unsafe.
    centre
        .run(
            Role::QualityAssurance,
            Command::Client(ClientCommand::Manufacturing(
                ManufacturingCommand::DiscardComponent {
                    component: other.clone(),
                    reason: "leaking bag".into(),
                },
            )),
        )
        .unwrap();
    let refusal = pick(&mut centre, "S", "ORD", &other).unwrap_err();
    assert!(
        refusal.message.contains("discarded: leaking bag"),
        "{}",
        refusal.message
    );
    pick(&mut centre, "S", "ORD", &unit).unwrap();
    let refusal = pick(&mut centre, "S", "ORD", &unit).unwrap_err();
    assert!(
        refusal.message.contains("already picked"),
        "{}",
        refusal.message
    );
    // Expired at the time of the scan.
    let mut later = supplied();
    let unit = red_cells(&mut later, Abo::B, RhD::Positive);
    order(
        &mut later,
        "ORD",
        vec![line(Family::RedCells, Abo::B, RhD::Positive, 1)],
        Priority::Stat,
    );
    allocate(&mut later, "ORD", &[(0, &unit)]).unwrap();
    later.advance(Duration::days(43));
    let refusal = pick(&mut later, "S", "ORD", &unit).unwrap_err();
    assert!(refusal.message.contains("expired"), "{}", refusal.message);
}

#[test]
fn dist_ship_refuses_an_unscanned_unit_and_a_wrong_temperature_then_moves_units_to_the_hospital() {
    let mut centre = supplied();
    let a = red_cells(&mut centre, Abo::O, RhD::Positive);
    let b = red_cells(&mut centre, Abo::O, RhD::Positive);
    order(
        &mut centre,
        "ORD",
        vec![line(Family::RedCells, Abo::O, RhD::Positive, 2)],
        Priority::Asap,
    );
    allocate(&mut centre, "ORD", &[(0, &a), (0, &b)]).unwrap();
    pick(&mut centre, "SHP", "ORD", &a).unwrap();
    let refusal = ship(&mut centre, "SHP", COLD).unwrap_err();
    assert_eq!(refusal.rule, "DIST-SHIP");
    assert!(refusal.message.contains(&b), "{}", refusal.message);
    pick(&mut centre, "SHP", "ORD", &b).unwrap();
    let refusal = ship(&mut centre, "SHP", TemperatureRange::degrees(20, 24)).unwrap_err();
    assert_eq!(refusal.rule, "DIST-SHIP");
    assert!(
        refusal.message.contains("1 to 10 °C"),
        "{}",
        refusal.message
    );
    ship(&mut centre, "SHP", COLD).unwrap();
    for id in [&a, &b] {
        let c = centre.component(id).unwrap();
        assert_eq!(c.status, Status::Shipped);
        assert_eq!(
            c.location,
            Location::Hospital {
                hospital: MERCY.into(),
                shipment: Some("SHP".into())
            }
        );
    }
    assert_eq!(centre.state.orders["ORD"].status(), OrderStatus::Shipped);
    assert_eq!(queries::hospital_inventory(&centre.state, MERCY).len(), 2);
    assert!(
        queries::stock(&centre.state, centre.now)
            .iter()
            .all(|u| u.component.id != a)
    );
    invariants::check(&centre.state).unwrap();
}

#[test]
fn dist_receipt_is_by_the_consignee_scanning_each_unit_of_the_shipment() {
    let mut centre = supplied();
    let unit = shipped_unit(&mut centre);
    let receipt = |c: &str| {
        Command::Client(ClientCommand::Distribution(
            DistributionCommand::ConfirmReceipt {
                shipment_id: "SHP-1".into(),
                component: c.into(),
            },
        ))
    };
    let refusal = centre
        .run_as(STLUKES_USER, Role::HospitalUser, receipt(&unit))
        .unwrap_err();
    assert_eq!(refusal.rule, "DIST-RECEIPT");
    assert!(refusal.message.contains("mercy"), "{}", refusal.message);
    let stranger = red_cells(&mut centre, Abo::O, RhD::Positive);
    let refusal = centre
        .run_as(MERCY_USER, Role::HospitalUser, receipt(&stranger))
        .unwrap_err();
    assert!(
        refusal.message.contains("not in shipment SHP-1"),
        "{}",
        refusal.message
    );
    centre
        .run_as(MERCY_USER, Role::HospitalUser, receipt(&unit))
        .unwrap();
    assert_eq!(
        centre
            .run_as(MERCY_USER, Role::HospitalUser, receipt(&unit))
            .unwrap_err()
            .rule,
        "DIST-RECEIPT"
    );
    assert_eq!(centre.state.orders["ORD-1"].status(), OrderStatus::Received);
    let detail = queries::order_detail(&centre.state, "ORD-1", centre.now).unwrap();
    assert!(
        detail.steps.iter().all(|s| s.at.is_some()),
        "{:?}",
        detail.steps
    );
    assert_eq!(detail.lines[0].received, 1);
}

#[test]
fn dist_return_red_cells_out_over_30_minutes_are_not_accepted_back_and_are_discarded() {
    let mut centre = supplied();
    let unit = shipped_unit(&mut centre);
    centre
        .run_as(
            MERCY_USER,
            Role::HospitalUser,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::ReturnUnit {
                    component: unit.clone(),
                    minutes_out_of_storage: 45,
                    reason: "surgery cancelled".into(),
                    seal_intact: true,
                    validated_container: false,
                },
            )),
        )
        .unwrap();
    assert_eq!(centre.component(&unit).unwrap().status, Status::Returned);
    assert_eq!(queries::pending_returns(&centre.state).len(), 1);
    let review = |accept| {
        Command::Client(ClientCommand::Distribution(
            DistributionCommand::ReviewReturn {
                component: unit.clone(),
                accept,
                reason: "QA review".into(),
            },
        ))
    };
    let refusal = centre
        .run(Role::QualityAssurance, review(true))
        .unwrap_err();
    assert_eq!(refusal.rule, "DIST-RETURN");
    assert!(refusal.message.contains("45 min"), "{}", refusal.message);
    centre.run(Role::QualityAssurance, review(false)).unwrap();
    let c = centre.component(&unit).unwrap();
    assert_eq!(c.status, Status::Discarded);
    assert!(
        c.status_reason
            .as_deref()
            .unwrap()
            .starts_with("return rejected")
    );
    let report = queries::daily_report(&centre.state, centre.now.date(), time::UtcOffset::UTC);
    assert_eq!(report.discards.len(), 1);
}

#[test]
fn dist_return_a_unit_whose_donation_typing_came_into_doubt_does_not_go_back_to_stock() {
    let mut centre = supplied();
    let unit = shipped_unit(&mut centre);
    let din = centre.component(&unit).unwrap().din.clone();
    // A third determination of the donation disagrees with the two it was released on.
    centre
        .run(
            Role::LabTechnologist,
            Command::Client(ClientCommand::Lab(
                hemaflow_domain::LabCommand::RecordBloodGroup {
                    din,
                    abo: Abo::A,
                    rhd: RhD::Positive,
                },
            )),
        )
        .unwrap();
    centre
        .run_as(
            MERCY_USER,
            Role::HospitalUser,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::ReturnUnit {
                    component: unit.clone(),
                    minutes_out_of_storage: 5,
                    reason: "not needed".into(),
                    seal_intact: true,
                    validated_container: true,
                },
            )),
        )
        .unwrap();
    let refusal = centre
        .run(
            Role::QualityAssurance,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::ReviewReturn {
                    component: unit.clone(),
                    accept: true,
                    reason: "QA review".into(),
                },
            )),
        )
        .unwrap_err();
    assert_eq!(refusal.rule, "DIST-RETURN");
    assert!(
        refusal.message.contains("no longer confirmed"),
        "{}",
        refusal.message
    );
    assert_eq!(centre.component(&unit).unwrap().status, Status::Returned);
}

#[test]
fn dist_return_a_unit_within_the_criteria_goes_back_to_available_stock_and_ships_again() {
    let mut centre = supplied();
    let unit = shipped_unit(&mut centre);
    let refusal = centre
        .run_as(
            STLUKES_USER,
            Role::HospitalUser,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::ReturnUnit {
                    component: unit.clone(),
                    minutes_out_of_storage: 10,
                    reason: "not needed".into(),
                    seal_intact: true,
                    validated_container: false,
                },
            )),
        )
        .unwrap_err();
    assert_eq!(
        refusal.rule, "P11-ACCESS",
        "only the consignee returns its units"
    );
    centre
        .run(
            Role::Distribution,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::ReturnUnit {
                    component: unit.clone(),
                    minutes_out_of_storage: 90,
                    reason: "not needed".into(),
                    seal_intact: true,
                    validated_container: true,
                },
            )),
        )
        .unwrap();
    centre
        .run(
            Role::QualityAssurance,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::ReviewReturn {
                    component: unit.clone(),
                    accept: true,
                    reason: "validated cooler, 2-8 °C log".into(),
                },
            )),
        )
        .unwrap();
    let c = centre.component(&unit).unwrap();
    assert_eq!(c.status, Status::Available);
    assert_eq!(c.location.site(), Some(PROCESSING_SITE));
    invariants::check(&centre.state).unwrap();
    order(
        &mut centre,
        "AGAIN",
        vec![line(Family::RedCells, Abo::O, RhD::Positive, 1)],
        Priority::Routine,
    );
    let proposal = propose_allocation(&centre.state, "AGAIN", PROCESSING_SITE, centre.now).unwrap();
    assert_eq!(proposal.lines[0].units[0].component, unit);
}

#[test]
fn order_state_a_discarded_allocated_unit_leaves_the_order_and_a_cancelled_order_frees_its_units() {
    let mut centre = supplied();
    let a = red_cells(&mut centre, Abo::O, RhD::Positive);
    let b = red_cells(&mut centre, Abo::O, RhD::Positive);
    order(
        &mut centre,
        "ORD",
        vec![line(Family::RedCells, Abo::O, RhD::Positive, 2)],
        Priority::Asap,
    );
    allocate(&mut centre, "ORD", &[(0, &a), (0, &b)]).unwrap();
    pick(&mut centre, "SHP", "ORD", &a).unwrap();
    let events = centre
        .run(
            Role::QualityAssurance,
            Command::Client(ClientCommand::Manufacturing(
                ManufacturingCommand::DiscardComponent {
                    component: a.clone(),
                    reason: "clots seen".into(),
                },
            )),
        )
        .unwrap();
    assert!(
        matches!(&events[0], Event::Distribution(DistributionEvent::AllocationWithdrawn { id, .. }) if *id == a)
    );
    assert!(centre.state.shipments["SHP"].components.is_empty());
    assert_eq!(centre.state.orders["ORD"].units.len(), 1);
    centre
        .run_as(
            MERCY_USER,
            Role::HospitalUser,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::CancelOrder {
                    order_id: "ORD".into(),
                    reason: "patient stable".into(),
                },
            )),
        )
        .unwrap();
    assert!(centre.state.allocations.is_empty());
    assert_eq!(centre.state.orders["ORD"].status(), OrderStatus::Cancelled);
    assert_eq!(
        centre
            .run(
                Role::Distribution,
                Command::Client(ClientCommand::Distribution(
                    DistributionCommand::CancelOrder {
                        order_id: "ORD".into(),
                        reason: "again".into()
                    }
                ))
            )
            .unwrap_err()
            .rule,
        "ORDER-STATE"
    );
    invariants::check(&centre.state).unwrap();
}
