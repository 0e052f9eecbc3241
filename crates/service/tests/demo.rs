//! The demo centre on the real ledger, and the story of a unit read back from it.

#![allow(clippy::unwrap_used)]

use hemaflow_domain::manufacturing::components::Status;
use hemaflow_service::demo::{DemoError, DemoOptions, plan, seed};
use hemaflow_service::history::{history, parse_din};
use hemaflow_service::ledger::verify;
use hemaflow_service::{Blood, open};
use time::macros::datetime;

fn options() -> DemoOptions {
    DemoOptions::new(datetime!(2026-03-20 15:30 UTC))
}

#[test]
fn the_plan_is_deterministic_from_the_seed_and_mostly_accepted() {
    let first = plan(&options());
    assert_eq!(first, plan(&options()));
    let other = plan(&DemoOptions {
        seed: 7,
        ..options()
    });
    assert_ne!(first, other);
    let refused = first.iter().filter(|p| !p.accepted).count();
    assert!(first.len() > 2000, "{} commands", first.len());
    // Refusals are the deliberate ones (a deferred donor at the chair, a quarantined unit
    // scanned for shipping), not a generator out of step with the rules.
    assert!(
        refused > 0 && refused * 100 < first.len(),
        "{refused} refused"
    );
    assert!(first.iter().all(|p| p.context.now < options().now));
}

#[tokio::test]
async fn the_seeded_centre_has_every_stage_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("demo.db").display());
    let ledger = open(&url).await.unwrap();
    let summary = seed(&ledger, &options()).await.unwrap();

    // Donors booked for later today have not come in yet.
    assert!(summary.donors > 280 && summary.donors <= 300, "{summary:?}");
    assert!(summary.donations > 200, "{summary:?}");
    assert!(summary.deferrals > 10, "{summary:?}");
    assert!(summary.tasks > 0, "{summary:?}");
    for status in [
        Status::Quarantined,
        Status::Available,
        Status::Shipped,
        Status::Expired,
        Status::Discarded,
        Status::Unsafe,
    ] {
        assert!(
            summary.components_by_status.contains_key(status.as_str())
                || (status == Status::Unsafe
                    && summary.components_by_status.contains_key("discarded")),
            "no {} component: {summary:?}",
            status.as_str()
        );
    }
    for stage in [
        "just collected",
        "in testing",
        "released",
        "shipped to a hospital",
        "repeat reactive (donor deferred and notified)",
    ] {
        assert!(summary.examples.contains_key(stage), "{stage}: {summary:?}");
    }
    assert!(summary.refused.contains_key("ELIG-DEFERRED"), "{summary:?}");
    // Hospital orders stand at every step, one is at risk of missing its clock, and the
    // deliberate wrong scans are refused with the supply rules.
    for status in [
        "open",
        "allocated",
        "picking",
        "shipped",
        "received",
        "cancelled",
    ] {
        assert!(
            summary.orders_by_status.contains_key(status),
            "no {status} order: {:?}",
            summary.orders_by_status
        );
    }
    assert!(summary.orders_at_risk > 0, "{summary:?}");
    assert!(
        summary.refused.contains_key("DIST-PICK"),
        "{:?}",
        summary.refused
    );
    let (returns_reviewed, standing) = ledger
        .read(|state| {
            (
                state
                    .returns
                    .values()
                    .flatten()
                    .filter(|r| r.review.is_some())
                    .count(),
                state
                    .orders
                    .values()
                    .filter(|o| o.standing_order.is_some())
                    .count(),
            )
        })
        .await
        .unwrap();
    assert!(
        returns_reviewed > 0 && standing > 0,
        "{returns_reviewed} {standing}"
    );
    let report = verify::<Blood, _>(ledger.store()).await.unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.entries, summary.entries);

    // Seeding twice is refused: the demo goes into an empty database only.
    let again = seed(&ledger, &options()).await.unwrap_err();
    assert!(matches!(again, DemoError::NotEmpty { .. }), "{again}");

    // REC-TRACE: the story of a shipped unit runs from its donor's registration to the
    // hospital, with its tests, production and release in between.
    let din = parse_din(&format!("={}00", summary.examples["shipped to a hospital"])).unwrap();
    let story = history(ledger.store(), &din).await.unwrap().unwrap();
    let types: Vec<&str> = story.lines.iter().map(|l| l.event_type.as_str()).collect();
    for expected in [
        "donor_registered",
        "screening_recorded",
        "donation_collected",
        "tests_ordered",
        "test_result_recorded",
        "blood_group_determined",
        "component_produced",
        "label_verified",
        "component_released",
        "component_shipped",
    ] {
        assert!(types.contains(&expected), "{expected} missing: {types:?}");
    }
    assert!(
        story
            .lines
            .windows(2)
            .all(|w| w[0].sequence < w[1].sequence)
    );
    assert!(story.donor_id.is_some());
    // Nothing of another donation: every line names this DIN, its donor or its things.
    assert!(story.lines.iter().all(|l| !l.summary.contains("registered")
        || l.summary.contains(story.donor_id.as_deref().unwrap())),);

    // A repeat-reactive unit's story shows the donor deferral and the notification task.
    let din = parse_din(&format!(
        "={}00",
        summary.examples["repeat reactive (donor deferred and notified)"]
    ))
    .unwrap();
    let story = history(ledger.store(), &din).await.unwrap().unwrap();
    let types: Vec<&str> = story.lines.iter().map(|l| l.event_type.as_str()).collect();
    for expected in ["donor_deferred", "task_opened", "component_marked_unsafe"] {
        assert!(types.contains(&expected), "{expected} missing: {types:?}");
    }

    // A DIN the ledger never saw has no story.
    let unknown = parse_din("=W12342699999900").unwrap();
    assert!(history(ledger.store(), &unknown).await.unwrap().is_none());
}

#[test]
fn a_din_is_read_scanned_or_keyed_with_its_check_character() {
    let scanned = parse_din("=W12342600000100").unwrap();
    assert_eq!(scanned.as_str(), "W123426000001");
    let keyed = format!("W1234 26 000001 {}", scanned.check_character());
    assert_eq!(parse_din(&keyed).unwrap(), scanned);
    assert!(parse_din("W1234 26 000001 +").is_err() || scanned.check_character() == '+');
    assert!(parse_din("not a din").is_err());
}

#[test]
fn the_demo_transfusion_service_has_every_stage_of_the_bedside_story() {
    use hemaflow_domain::transfusion::units::Fate;
    let mut state = hemaflow_domain::State::default();
    for planned in plan(&options()) {
        if let Ok(events) = hemaflow_domain::decide(&state, &planned.command, &planned.context) {
            for event in &events {
                hemaflow_domain::evolve(&mut state, event);
            }
        }
    }
    let service = &state.transfusion;
    assert_eq!(service.patients.len(), 6);
    let stages: Vec<(bool, bool)> = service
        .samples
        .values()
        .map(|s| (s.typing.is_some(), s.screen.is_some()))
        .collect();
    for stage in [(false, false), (true, false), (true, true)] {
        assert!(
            stages.contains(&stage),
            "no sample at stage {stage:?}: {stages:?}"
        );
    }
    assert!(
        service.patients.values().any(|p| !p.antibodies.is_empty()),
        "an antibody identified"
    );
    assert!(
        service
            .units
            .values()
            .filter(|u| u.retype.is_some())
            .count()
            >= 3
    );
    let reserved = service
        .units
        .values()
        .filter(|u| u.open_issue().is_none() && u.reserved_for(options().now).is_some())
        .count();
    assert!(reserved >= 1, "a crossmatched unit waiting in stock");
    assert!(service.units.values().any(|u| {
        u.issues
            .iter()
            .any(|r| matches!(r.fate, Some(Fate::Transfused { .. })))
    }));
    let mercy: Vec<_> = state
        .components
        .values()
        .filter(|c| {
            hemaflow_domain::distribution::shipping::received_at_hospital(&state, c)
                == Some("mercy")
        })
        .map(|c| {
            (
                c.id.clone(),
                c.family,
                hemaflow_domain::release::gate::confirmed_group(&state, c),
            )
        })
        .collect();
    let release = service
        .emergencies
        .get("ER-0001")
        .unwrap_or_else(|| panic!("an emergency release; Mercy holds {mercy:?}"));
    assert!(release.signature.is_some() && release.review.is_none());
    assert_eq!(service.reactions.len(), 1);
    // A box on its way to Mercy, for the technologist to scan in.
    assert!(
        state.shipments.values().any(|s| s.hospital == "mercy"
            && s.dispatch.is_some()
            && s.receipts.len() < s.components.len()),
        "a shipment to Mercy not yet received"
    );
    hemaflow_domain::invariants::check(&state).unwrap();
}

/// The demo's plan applied to a state, as the ledger will.
fn planned_state() -> hemaflow_domain::State {
    let mut state = hemaflow_domain::State::default();
    for planned in plan(&options()) {
        if let Ok(events) = hemaflow_domain::decide(&state, &planned.command, &planned.context) {
            for event in &events {
                hemaflow_domain::evolve(&mut state, event);
            }
        }
    }
    state
}

#[test]
fn the_demo_quality_story_has_a_correction_a_closed_recall_and_deviation_and_a_lookback() {
    use hemaflow_domain::lookback::lookbacks::{Notice, Trigger};
    use hemaflow_domain::lookback::trace::{Whereabouts, whereabouts};
    let state = planned_state();
    // A haemoglobin corrected, both values kept, the deferral it caused withdrawn.
    let corrected = state
        .screenings
        .values()
        .find(|s| !s.corrections.is_empty())
        .expect("a corrected screening");
    let correction = &corrected.corrections[0];
    assert_eq!(correction.now, 13.4);
    assert!(correction.was.is_some_and(|was| was < 12.5));
    assert!(corrected.accepted);
    assert!(
        state
            .deferrals
            .values()
            .any(|d| d.donor_id == corrected.donor_id && d.withdrawn.is_some())
    );
    // A recall worked to its end, and its deviation reported and closed.
    let recall = &state.lookback.recalls["RC-000001"];
    assert!(!recall.is_open(), "{:?}", recall.outstanding());
    assert!(!recall.consignees.is_empty());
    let deviation = state
        .lookback
        .deviations
        .values()
        .find(|d| d.report.is_some())
        .expect("a reported deviation");
    assert!(deviation.distributed && !deviation.is_open());
    // The lookback the reactive platelet donation opened by itself reaches the recipient.
    let lookback = state
        .lookback
        .lookbacks
        .values()
        .next_back()
        .expect("a lookback");
    assert!(matches!(&lookback.trigger, Trigger::Result { test, .. } if test == "anti_hiv_1_2"));
    assert!(!lookback.window.donations.is_empty());
    assert!(
        lookback
            .tasks
            .iter()
            .any(|t| matches!(t.notice, Notice::Quarantine { .. }) && t.done.is_some())
    );
    let transfused = lookback.window.donations.iter().any(|din| {
        state
            .components
            .values()
            .filter(|c| c.sources.contains(din))
            .any(|c| matches!(whereabouts(&state, c), Whereabouts::Transfused { .. }))
    });
    assert!(
        transfused,
        "a unit of the window was transfused: {lookback:?}"
    );
    hemaflow_domain::invariants::check(&state).unwrap();
}
