//! The interface other crates rely on: serde shapes, event names, projections, configuration.

#![allow(clippy::unwrap_used)]

use hemaflow_domain::command::{Command, Event};
use hemaflow_domain::donor_centre::eligibility::Procedure;
use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_domain::{AccessCommand, ClientCommand, LabCommand, ReleaseCommand};
use hemaflow_domain::{Config, Context, Role, State, all_rows, decide, evolve, rows_touched};
use hemaflow_testkit::scenario::Centre;
use time::macros::date;

#[test]
fn commands_and_events_serialize_with_a_snake_case_type_tag() {
    let command = Command::Client(ClientCommand::Release(ReleaseCommand::ReleaseComponent {
        component: "W123426000001-D2000V00".into(),
    }));
    let json = serde_json::to_value(&command).unwrap();
    assert_eq!(json["type"], "release_component");
    assert_eq!(serde_json::from_value::<Command>(json).unwrap(), command);
    let mut centre = Centre::new();
    centre
        .walk_in("Tag", date!(1990 - 01 - 01), Procedure::WholeBlood)
        .unwrap();
    // Instants are RFC 3339; calendar dates are ISO 8601 dates.
    let registered = serde_json::to_value(&centre.log[0]).unwrap();
    assert_eq!(registered["donor"]["registered_at"], "2026-03-02T08:00:00Z");
    assert_eq!(
        registered["donor"]["identity"]["date_of_birth"],
        "1990-01-01"
    );
    for event in &centre.log {
        let json = serde_json::to_value(event).unwrap();
        assert_eq!(json["type"], event.name());
        assert_eq!(&serde_json::from_value::<Event>(json).unwrap(), event);
    }
}

#[test]
fn state_round_trips_through_json_and_replay_rebuilds_rows() {
    let mut centre = Centre::new();
    let (_, din) = centre
        .walk_in("Json", date!(1990 - 01 - 01), Procedure::WholeBlood)
        .unwrap();
    centre.produce(&din, "rbc_ffp").unwrap();
    let text = serde_json::to_string(&centre.state).unwrap();
    let back: State = serde_json::from_str(&text).unwrap();
    assert_eq!(back, centre.state);
    let mut replayed = State::default();
    let mut touched = Vec::new();
    for event in &centre.log {
        evolve(&mut replayed, event);
        touched.extend(rows_touched(&replayed, event));
    }
    assert_eq!(all_rows(&replayed), all_rows(&centre.state));
    assert!(
        touched
            .iter()
            .any(|r| r.kind == "component" && r.status.as_deref() == Some("quarantined"))
    );
    assert!(touched.iter().any(|r| r.kind == "donation" && r.id == din));
}

#[test]
fn an_admin_configures_the_site_and_a_bad_configuration_is_refused() {
    let mut centre = Centre::new();
    let mut config = Config::default();
    config.screening.female_min_hb = 12.0;
    let command = Command::Client(ClientCommand::Access(AccessCommand::Configure {
        config: Box::new(config.clone()),
    }));
    assert_eq!(
        centre
            .run(Role::QualityAssurance, command.clone())
            .unwrap_err()
            .rule,
        "P11-ACCESS"
    );
    centre.run(Role::Admin, command).unwrap();
    assert_eq!(centre.state.config.screening.female_min_hb, 12.0);
    config.facility = "lower".into();
    assert_eq!(
        centre
            .run(
                Role::Admin,
                Command::Client(ClientCommand::Access(AccessCommand::Configure {
                    config: Box::new(config.clone())
                }))
            )
            .unwrap_err()
            .rule,
        "CONFIG-VALID"
    );
    config.facility = "W1234".into();
    config
        .recipes
        .get_mut("rbc_ffp")
        .unwrap()
        .outputs
        .push(("D9999".into(), "00".into()));
    assert_eq!(
        centre
            .run(
                Role::Admin,
                Command::Client(ClientCommand::Access(AccessCommand::Configure {
                    config: Box::new(config)
                }))
            )
            .unwrap_err()
            .rule,
        "CONFIG-VALID"
    );
    assert!(Config::default().validate().is_ok());
}

#[test]
fn a_refusal_names_its_rule_and_displays_for_the_bench() {
    let state = State::default();
    let ctx = Context {
        actor: "u1".into(),
        role: Role::LabTechnologist,
        now: time::macros::datetime!(2026-03-02 08:00 UTC),
        stamp: hemaflow_domain::Stamp::Planned,
    };
    let refusal = decide(
        &state,
        &Command::Client(ClientCommand::Lab(LabCommand::RecordBloodGroup {
            din: "W123426000001".into(),
            abo: Abo::A,
            rhd: RhD::Positive,
        })),
        &ctx,
    )
    .unwrap_err();
    assert_eq!(refusal.rule, "NOT-FOUND");
    assert_eq!(refusal.to_string(), "NOT-FOUND: no donation W123426000001");
    assert_eq!(serde_json::to_value(&refusal).unwrap()["rule"], "NOT-FOUND");
}
