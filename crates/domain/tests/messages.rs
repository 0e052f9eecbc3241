//! Messages a technologist reads: findings, refusals and release blockers say values and kinds
//! in words, never in Rust's debug text (`Some(12.4)`, `RedCells`, `Investigation`), and a
//! permanent deferral never says "indefinitely" (issue: ready for a centre's validation).

#![allow(clippy::unwrap_used)]

use hemaflow_domain::donor_centre::donor::Sex;
use hemaflow_domain::donor_centre::eligibility::{Procedure, ScreeningInput};
use hemaflow_domain::release::gate::{HoldKind, HoldTarget};
use hemaflow_domain::{DonorCentreCommand, ReleaseCommand, Role, release_blockers};
use hemaflow_testkit::scenario::{Centre, healthy_screening, identity};
use time::macros::date;

/// Rust's debug text for the values and kinds these messages name.
const DEBUG_TEXT: [&str; 8] = [
    "Some(",
    "None",
    "RedCells",
    "WholeBlood",
    "Investigation",
    "Positive",
    "Negative",
    "Plateletpheresis",
];

fn plain(message: &str) {
    for debug in DEBUG_TEXT {
        assert!(!message.contains(debug), "{debug} in {message:?}");
    }
}

#[test]
fn messages_a_screening_finding_gives_the_measured_value_in_words() {
    let mut centre = Centre::new();
    let donor = centre
        .register(identity("Low", "Tom", date!(1980 - 01 - 05), Sex::Male))
        .unwrap();
    let input = ScreeningInput {
        hemoglobin_g_dl: Some(12.4),
        ..healthy_screening()
    };
    let id = centre.screen(&donor, Procedure::WholeBlood, input).unwrap();
    let finding = &centre.state.screenings[&id].findings[0];
    assert_eq!(
        finding.message,
        "haemoglobin 12.4 g/dL is below 13 g/dL haemoglobin or 39 % haematocrit"
    );
    let platelets = ScreeningInput {
        platelet_count: None,
        ..healthy_screening()
    };
    let other = centre
        .register(identity("Plt", "Ana", date!(1985 - 02 - 07), Sex::Female))
        .unwrap();
    let id = centre
        .screen(&other, Procedure::Plateletpheresis, platelets)
        .unwrap();
    let messages: Vec<&str> = centre.state.screenings[&id]
        .findings
        .iter()
        .map(|f| f.message.as_str())
        .collect();
    assert!(
        messages.contains(&"platelet count not measured is below 150 x10^3/uL"),
        "{messages:?}"
    );
    messages.iter().for_each(|m| plain(m));
}

#[test]
fn messages_a_release_blocker_names_the_hold_kind_and_a_permanent_deferral_says_permanently() {
    let mut centre = Centre::new();
    let (donor, din) = centre
        .walk_in("Held", date!(1979 - 03 - 03), Procedure::WholeBlood)
        .unwrap();
    let units = centre.produce(&din, "rbc_ffp").unwrap();
    centre
        .run(
            Role::QualityAssurance,
            ReleaseCommand::PlaceHold {
                target: HoldTarget::Donation { din: din.clone() },
                kind: HoldKind::Investigation,
                reason: "label printer fault".into(),
            },
        )
        .unwrap();
    let unit = centre.component(&units[0]).unwrap().clone();
    let blockers = release_blockers(&centre.state, &unit, centre.now);
    let hold = blockers
        .iter()
        .find(|b| b.message.contains("hold H-"))
        .expect("the hold blocks");
    assert!(hold.message.contains("(investigation) is open"), "{hold:?}");
    blockers.iter().for_each(|b| plain(&b.message));

    centre
        .run(
            Role::CollectionStaff,
            DonorCentreCommand::DeferDonor {
                donor_id: donor.clone(),
                reason: "hiv_positive".into(),
                starts: None,
                notes: String::new(),
            },
        )
        .unwrap();
    let refused = centre
        .screen(&donor, Procedure::WholeBlood, healthy_screening())
        .unwrap_err();
    plain(&refused.message);
    assert!(
        refused.message.contains("deferred permanently"),
        "{refused:?}"
    );
    assert!(!refused.message.contains("indefinitely"), "{refused:?}");
}
