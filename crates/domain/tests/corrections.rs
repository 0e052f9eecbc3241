//! Corrections through `decide` and `evolve`: a screening's measurement or a marker's results
//! entered wrongly, corrected with both values kept (CORR-ENTRY), what depended on the old
//! value decided again (CORR-REDECIDE), and never a unit put back in use by a correction
//! (CORR-SAFE). Every scenario ends with the domain's invariants.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use hemaflow_domain::access::roles::Role;
use hemaflow_domain::donor_centre::correction::Measurement;
use hemaflow_domain::donor_centre::eligibility::{Procedure, ScreeningInput, current_deferrals};
use hemaflow_domain::lab::correction::StageReading;
use hemaflow_domain::lab::testing::{MarkerStatus, Reading, Stage};
use hemaflow_domain::lookback::deviations::Subject;
use hemaflow_domain::manufacturing::components::Status;
use hemaflow_domain::{DonorCentreCommand, Event, LabCommand, Refusal, Rule, invariants};
use hemaflow_testkit::scenario::{Centre, healthy_screening};
use time::Duration;

fn correct_screening(
    centre: &mut Centre,
    screening: &str,
    measurement: Measurement,
    value: f64,
    reason: &str,
) -> Result<Vec<Event>, Refusal> {
    centre.run(
        Role::CollectionStaff,
        DonorCentreCommand::CorrectScreening {
            screening_id: screening.into(),
            measurement,
            value,
            reason: reason.into(),
        },
    )
}

fn correct_result(
    centre: &mut Centre,
    din: &str,
    test: &str,
    results: &[(Stage, Reading)],
) -> Result<Vec<Event>, Refusal> {
    let results = results
        .iter()
        .map(|&(stage, reading)| StageReading { stage, reading })
        .collect();
    centre.run(
        Role::LabTechnologist,
        LabCommand::CorrectTestResult {
            din: din.into(),
            test: test.into(),
            results,
            reason: "keyed into the wrong donation; the run sheet shows the tube position".into(),
        },
    )
}

fn low_hb() -> ScreeningInput {
    ScreeningInput {
        hemoglobin_g_dl: Some(11.0),
        ..healthy_screening()
    }
}

fn deferral_reasons(centre: &Centre, donor: &str) -> Vec<String> {
    let today = centre.now.date();
    current_deferrals(&centre.state, donor, today)
        .iter()
        .map(|d| d.reason.clone())
        .collect()
}

#[test]
fn corr_entry_a_mistyped_haemoglobin_is_corrected_with_both_values_on_the_screening() {
    let mut centre = Centre::new();
    let (donor, _) = centre.donor_with_history("Hale", 1, "rbc_ffp").unwrap();
    centre.advance(Duration::days(60));
    let screening = centre
        .screen(&donor, Procedure::WholeBlood, low_hb())
        .unwrap();
    assert!(!centre.state.screenings[&screening].accepted);
    assert_eq!(deferral_reasons(&centre, &donor), ["low_hemoglobin"]);

    centre.advance(Duration::minutes(20));
    let events = correct_screening(
        &mut centre,
        &screening,
        Measurement::HemoglobinGDl,
        14.1,
        "typed 11.0 for 14.1; the HemoCue printout reads 14.1",
    )
    .unwrap();

    let record = &centre.state.screenings[&screening];
    assert!(record.accepted, "the corrected value passes: {record:?}");
    assert_eq!(record.input.hemoglobin_g_dl, Some(14.1));
    let correction = &record.corrections[0];
    assert_eq!((correction.was, correction.now), (Some(11.0), 14.1));
    assert_eq!(correction.findings_before[0].rule, "ELIG-HB-M");
    assert!(correction.findings.is_empty());
    assert_eq!(correction.by, "collectionstaff");
    // CORR-REDECIDE: the deferral the typing error placed is withdrawn, with its reason.
    assert!(events.iter().any(|e| e.name() == "deferral_withdrawn"));
    assert!(deferral_reasons(&centre, &donor).is_empty());
    let withdrawn = centre
        .state
        .deferrals
        .values()
        .find(|d| d.withdrawn.is_some());
    assert!(withdrawn.is_some_and(|d| d.reason == "low_hemoglobin"));
    // The donor may give today on the corrected screening.
    centre.collect(&donor, &screening, 475, "TX").unwrap();
    invariants::check(&centre.state).unwrap();
}

#[test]
fn corr_redecide_a_correction_to_a_failing_weight_defers_and_holds_the_donation_collected() {
    let mut centre = Centre::new();
    let (donor, history) = centre.donor_with_history("Webb", 1, "rbc_ffp").unwrap();
    let (din, units) = &history[0];
    let screening = centre.state.donations[din].screening_id.clone();

    centre.advance(Duration::hours(3));
    correct_screening(
        &mut centre,
        &screening,
        Measurement::WeightKg,
        45.0,
        "the scale read 45 kg; 80 was copied from the last visit",
    )
    .unwrap();

    let record = &centre.state.screenings[&screening];
    assert!(!record.accepted);
    assert_eq!(record.corrections[0].was, Some(80.0));
    // The deferral starts on the screening's day, as the screening would have placed it.
    let deferral = centre
        .state
        .deferrals
        .values()
        .find(|d| d.donor_id == donor)
        .expect("deferred on the corrected weight");
    assert_eq!(deferral.starts, record.at.date());
    assert!(deferral.notes.contains(&screening));
    // The units collected on it are held for QA, and a deviation is opened on the donation.
    for unit in units {
        assert_eq!(centre.component(unit).unwrap().status, Status::Quarantined);
    }
    let deviation = centre.state.lookback.deviations.values().next().unwrap();
    assert_eq!(deviation.subject, Subject::Donation { din: din.clone() });
    assert!(!deviation.distributed, "nothing left the centre");
    invariants::check(&centre.state).unwrap();
}

#[test]
fn corr_entry_refuses_an_unchanged_value_a_fraction_of_a_pulse_and_a_missing_reason() {
    let mut centre = Centre::new();
    let (donor, _) = centre.donor_with_history("Ives", 1, "rbc_ffp").unwrap();
    let screening = centre.state.donors[&donor].donations[0].clone();
    let screening = centre.state.donations[&screening].screening_id.clone();
    let before = centre.state.clone();
    let cases = [
        (Measurement::HemoglobinGDl, 14.2, "checked", Rule::CorrEntry),
        (Measurement::Pulse, 71.5, "misread", Rule::CorrEntry),
        (Measurement::HemoglobinGDl, 13.0, "  ", Rule::CorrEntry),
        (Measurement::WeightKg, -3.0, "typo", Rule::ScreenInput),
    ];
    for (measurement, value, reason, rule) in cases {
        let refused = correct_screening(&mut centre, &screening, measurement, value, reason)
            .expect_err("refused");
        assert_eq!(refused.rule, rule, "{measurement:?} {value}: {refused:?}");
        assert!(!refused.message.is_empty());
    }
    let long = "x".repeat(2_001);
    let refused =
        correct_screening(&mut centre, &screening, Measurement::Pulse, 70.0, &long).unwrap_err();
    assert!(refused.message.contains("at most 2000"), "{refused:?}");
    let missing = correct_screening(&mut centre, "S-999999", Measurement::Pulse, 70.0, "typo");
    assert_eq!(missing.unwrap_err().rule, Rule::NotFound);
    assert_eq!(centre.state, before, "a refused correction changes nothing");
}

#[test]
fn corr_redecide_a_negative_keyed_into_the_wrong_donation_withdraws_its_release() {
    let mut centre = Centre::new();
    centre.open_transfusion_service().unwrap();
    let (_, history) = centre.donor_with_history("Moss", 1, "rbc_ffp").unwrap();
    let (din, units) = &history[0];
    centre.deliver("ORD-1", &units[..1]).unwrap();

    let events = correct_result(&mut centre, din, "anti_hiv_1_2", &[]).unwrap();

    let donation = &centre.state.donations[din];
    assert_eq!(donation.tests["anti_hiv_1_2"], MarkerStatus::Pending);
    assert_eq!(donation.corrections[0].was, MarkerStatus::Negative);
    assert!(donation.corrections[0].results.is_empty());
    // The unit still here is quarantined; the one at Mercy is named in a deviation review and
    // a deviation reportable within 45 days (it was distributed).
    assert_eq!(
        centre.component(&units[1]).unwrap().status,
        Status::Quarantined
    );
    let corrected = events.iter().find_map(|e| match e {
        Event::Lab(hemaflow_domain::LabEvent::TestResultCorrected { was, now, .. }) => {
            Some((was.clone(), now.clone()))
        }
        _ => None,
    });
    assert_eq!(
        corrected,
        Some((MarkerStatus::Negative, MarkerStatus::Pending))
    );
    let deviation = centre.state.lookback.deviations.values().next().unwrap();
    assert!(deviation.distributed);
    assert!(deviation.units.contains(&units[0]));
    assert!(deviation.description.contains("CORR-REDECIDE"));
    // The release gate now stops the quarantined unit: the marker is not resulted, and the
    // hold is open.
    let refused = centre.release(&units[1]).unwrap_err();
    assert_eq!(refused.rule, Rule::TestPanel, "{refused:?}");
    assert!(refused.message.contains("REL-GATE: hold"), "{refused:?}");
    invariants::check(&centre.state).unwrap();
}

#[test]
fn corr_redecide_a_nonreactive_corrected_to_repeat_reactive_makes_the_donation_unsuitable_and_starts_a_lookback()
 {
    let mut centre = Centre::new();
    let (donor, history) = centre.donor_with_history("Nash", 2, "rbc_ffp").unwrap();
    let (din, units) = &history[1];
    let repeat_reactive = [
        (Stage::Initial, Reading::Reactive),
        (Stage::Repeat, Reading::Reactive),
        (Stage::Repeat, Reading::Nonreactive),
    ];

    correct_result(&mut centre, din, "anti_hiv_1_2", &repeat_reactive).unwrap();

    let donation = &centre.state.donations[din];
    assert!(donation.tests["anti_hiv_1_2"].is_unsuitable());
    assert!(donation.unsuitable.is_some());
    for unit in units {
        assert_eq!(centre.component(unit).unwrap().status, Status::Unsafe);
    }
    assert!(!deferral_reasons(&centre, &donor).is_empty());
    let lookback = centre.last_lookback().expect("started by the correction");
    assert_eq!(lookback.donor_id, donor);
    invariants::check(&centre.state).unwrap();
}

#[test]
fn corr_safe_a_repeat_reactive_corrected_to_nonreactive_leaves_the_donation_unsuitable() {
    let mut centre = Centre::new();
    let (donor, _) = centre.donor_with_history("Orr", 1, "rbc_ffp").unwrap();
    centre.advance(Duration::days(60));
    let din = centre.repeat_reactive(&donor, "anti_hcv").unwrap();
    let deferred = deferral_reasons(&centre, &donor);
    assert!(!deferred.is_empty());

    correct_result(
        &mut centre,
        &din,
        "anti_hcv",
        &[(Stage::Initial, Reading::Nonreactive)],
    )
    .unwrap();

    let donation = &centre.state.donations[&din];
    assert_eq!(donation.tests["anti_hcv"], MarkerStatus::Negative);
    assert!(
        donation.unsuitable.is_some(),
        "QA decides, not the correction"
    );
    assert_eq!(deferral_reasons(&centre, &donor), deferred);
    invariants::check(&centre.state).unwrap();
}

#[test]
fn corr_entry_a_result_sequence_the_algorithm_refuses_is_refused_whole() {
    let mut centre = Centre::new();
    let (_, history) = centre.donor_with_history("Pike", 1, "rbc_ffp").unwrap();
    let din = history[0].0.clone();
    let before = centre.state.clone();
    let refused = correct_result(
        &mut centre,
        &din,
        "anti_hiv_1_2",
        &[(Stage::Repeat, Reading::Reactive)],
    )
    .unwrap_err();
    assert_eq!(refused.rule, Rule::TestRr);
    assert!(
        refused.message.starts_with("corrected result 1:"),
        "{refused:?}"
    );
    let unchanged = correct_result(
        &mut centre,
        &din,
        "anti_hiv_1_2",
        &[(Stage::Initial, Reading::Nonreactive)],
    )
    .unwrap_err();
    assert_eq!(unchanged.rule, Rule::CorrEntry);
    assert_eq!(centre.state, before);
}
