//! Every command that carries a reason is refused by the domain without one (empty or
//! blank), with its area's rule and a message that names the reason; nothing changes.

#![allow(clippy::unwrap_used)]

use hemaflow_domain::command::{Command, Event};
use hemaflow_domain::donor_centre::eligibility::Procedure;
use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_domain::release::gate::{HoldKind, HoldTarget};
use hemaflow_domain::{
    AccessCommand, AccessEvent, ClientCommand, DistributionCommand, DonorCentreCommand,
    DonorCentreEvent, LabCommand, ManufacturingCommand, ReleaseCommand, ReleaseEvent,
    ServerCommand,
};
use hemaflow_domain::{Refusal, Role};
use hemaflow_testkit::scenario::{Centre, HOSPITAL_USERS};
use time::macros::date;

const BLANK: [&str; 3] = ["", "   ", "\t\n"];

/// The command without a reason (each blank form of it) is refused by `rule`, the message
/// names the reason, and the state is as it was.
fn refused_without_reason(
    centre: &mut Centre,
    actor: Option<&str>,
    role: Role,
    rule: &str,
    command: impl Fn(&str) -> Command,
) {
    let before = serde_json::to_value(&centre.state).unwrap();
    for blank in BLANK {
        let refusal: Refusal = match actor {
            Some(actor) => centre.run_as(actor, role, command(blank)),
            None => centre.run(role, command(blank)),
        }
        .unwrap_err();
        assert_eq!(refusal.rule, rule, "{blank:?}: {}", refusal.message);
        assert!(
            refusal.message.contains("reason"),
            "the message names the field: {}",
            refusal.message
        );
    }
    assert_eq!(
        serde_json::to_value(&centre.state).unwrap(),
        before,
        "a refused command changes nothing"
    );
}

fn with_user(centre: &mut Centre) {
    centre
        .run(
            Role::Admin,
            Command::Client(ClientCommand::Access(AccessCommand::CreateUser {
                user_id: "pat".into(),
                name: "Pat Lee".into(),
                role: Role::CollectionStaff,
                hospital: None,
            })),
        )
        .unwrap();
}

#[test]
fn account_input_a_user_is_not_disabled_without_a_reason() {
    let mut centre = Centre::new();
    with_user(&mut centre);
    refused_without_reason(&mut centre, None, Role::Admin, "ACCOUNT-INPUT", |reason| {
        Command::Client(ClientCommand::Access(AccessCommand::DisableUser {
            user_id: "pat".into(),
            reason: reason.into(),
        }))
    });
    assert!(centre.state.users["pat"].enabled);
    let events = centre
        .run(
            Role::Admin,
            Command::Client(ClientCommand::Access(AccessCommand::DisableUser {
                user_id: "pat".into(),
                reason: "  left the service ".into(),
            })),
        )
        .unwrap();
    assert!(
        matches!(&events[0], Event::Access(AccessEvent::UserDisabled { reason, .. }) if reason == "left the service")
    );
    assert!(!centre.state.users["pat"].enabled);
}

#[test]
fn account_input_an_api_token_is_not_revoked_without_a_reason() {
    let mut centre = Centre::new();
    centre
        .run(
            Role::Admin,
            Command::Server(ServerCommand::IssueApiToken {
                token_id: "0123456789abcdef".into(),
                name: "Analyser 1".into(),
                role: Role::LabTechnologist,
                hospital: None,
                digest: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".into(),
            }),
        )
        .unwrap();
    refused_without_reason(&mut centre, None, Role::Admin, "ACCOUNT-INPUT", |reason| {
        Command::Client(ClientCommand::Access(AccessCommand::RevokeApiToken {
            token_id: "0123456789abcdef".into(),
            reason: reason.into(),
        }))
    });
}

#[test]
fn dist_input_an_order_a_return_and_its_review_need_a_reason() {
    let mut centre = Centre::new();
    centre.open_supply().unwrap();
    refused_without_reason(
        &mut centre,
        None,
        Role::Distribution,
        "DIST-INPUT",
        |reason| {
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::CancelOrder {
                    order_id: "ORD-1".into(),
                    reason: reason.into(),
                },
            ))
        },
    );
    let (_, user) = HOSPITAL_USERS[0];
    refused_without_reason(
        &mut centre,
        Some(user),
        Role::HospitalUser,
        "DIST-INPUT",
        |reason| {
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::ReturnUnit {
                    component: "W123426000001-E0869V00".into(),
                    minutes_out_of_storage: 10,
                    reason: reason.into(),
                    seal_intact: true,
                    validated_container: true,
                },
            ))
        },
    );
    refused_without_reason(
        &mut centre,
        None,
        Role::QualityAssurance,
        "DIST-INPUT",
        |reason| {
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::ReviewReturn {
                    component: "W123426000001-E0869V00".into(),
                    accept: false,
                    reason: reason.into(),
                },
            ))
        },
    );
}

#[test]
fn def_kinds_a_deferral_is_not_removed_without_a_reason() {
    let mut centre = Centre::new();
    let (donor, _) = centre
        .walk_in("Ito", date!(1960 - 01 - 01), Procedure::WholeBlood)
        .unwrap();
    let events = centre
        .run(
            Role::QualityAssurance,
            Command::Client(ClientCommand::DonorCentre(DonorCentreCommand::DeferDonor {
                donor_id: donor,
                reason: "cjd_risk".into(),
                starts: None,
                notes: String::new(),
            })),
        )
        .unwrap();
    let Event::DonorCentre(DonorCentreEvent::DonorDeferred { deferral }) = &events[0] else {
        panic!("a deferral: {events:?}");
    };
    let deferral_id = deferral.id.clone();
    refused_without_reason(
        &mut centre,
        None,
        Role::QualityAssurance,
        "DEF-KINDS",
        |reason| {
            Command::Client(ClientCommand::DonorCentre(
                DonorCentreCommand::RequalifyDonor {
                    deferral_id: deferral_id.clone(),
                    reason: reason.into(),
                },
            ))
        },
    );
}

#[test]
fn test_abo_twice_a_discrepancy_is_not_resolved_without_a_reason() {
    let mut centre = Centre::new();
    let (_, din) = centre
        .walk_in("Mix", date!(1970 - 05 - 05), Procedure::WholeBlood)
        .unwrap();
    for abo in [Abo::A, Abo::O] {
        centre
            .run(
                Role::LabTechnologist,
                Command::Client(ClientCommand::Lab(LabCommand::RecordBloodGroup {
                    din: din.clone(),
                    abo,
                    rhd: RhD::Positive,
                })),
            )
            .unwrap();
    }
    refused_without_reason(
        &mut centre,
        None,
        Role::QualityAssurance,
        "TEST-ABO-TWICE",
        |reason| {
            Command::Client(ClientCommand::Lab(LabCommand::ResolveBloodGroup {
                din: din.clone(),
                abo: Abo::O,
                rhd: RhD::Positive,
                reason: reason.into(),
            }))
        },
    );
}

#[test]
fn rel_gate_a_hold_is_not_placed_or_released_without_a_reason() {
    let mut centre = Centre::new();
    let (_, din) = centre
        .walk_in("Hold", date!(1975 - 07 - 07), Procedure::WholeBlood)
        .unwrap();
    let target = HoldTarget::Donation { din: din.clone() };
    refused_without_reason(
        &mut centre,
        None,
        Role::QualityAssurance,
        "REL-GATE",
        |reason| {
            Command::Client(ClientCommand::Release(ReleaseCommand::PlaceHold {
                target: target.clone(),
                kind: HoldKind::Qa,
                reason: reason.into(),
            }))
        },
    );
    let events = centre
        .run(
            Role::QualityAssurance,
            Command::Client(ClientCommand::Release(ReleaseCommand::PlaceHold {
                target,
                kind: HoldKind::Qa,
                reason: "bag leak check".into(),
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
    refused_without_reason(
        &mut centre,
        None,
        Role::QualityAssurance,
        "REL-GATE",
        |reason| {
            Command::Client(ClientCommand::Release(ReleaseCommand::ReleaseHold {
                hold_id: hold_id.clone(),
                reason: reason.into(),
            }))
        },
    );
}

#[test]
fn rel_unsafe_a_unit_is_not_discarded_without_a_reason() {
    let mut centre = Centre::new();
    let (_, din) = centre
        .walk_in("Drop", date!(1982 - 02 - 02), Procedure::WholeBlood)
        .unwrap();
    let ids = centre.produce(&din, "rbc_ffp").unwrap();
    refused_without_reason(
        &mut centre,
        None,
        Role::Manufacturing,
        "REL-UNSAFE",
        |reason| {
            Command::Client(ClientCommand::Manufacturing(
                ManufacturingCommand::DiscardComponent {
                    component: ids[0].clone(),
                    reason: reason.into(),
                },
            ))
        },
    );
}
