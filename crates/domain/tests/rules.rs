//! One test (at least) per rule of the rule book, named after the rule.

// A step that fails in a test should stop the test where it failed.
#![allow(clippy::unwrap_used)]

use hemaflow_domain::command::{Command, Event};
use hemaflow_domain::donor_centre::donor::Sex;
use hemaflow_domain::donor_centre::eligibility::{
    DeferralKind, Procedure, QuestionnaireFinding, ScreeningInput,
};
use hemaflow_domain::kernel::compat;
use hemaflow_domain::lab::testing::{Abo, MarkerStatus, Reading, RhD, Stage};
use hemaflow_domain::manufacturing::components::{Attr, Status};
use hemaflow_domain::release::gate::{HoldKind, HoldTarget};
use hemaflow_domain::{
    ClientCommand, DistributionCommand, DonorCentreCommand, DonorCentreEvent, LabCommand,
    ManufacturingCommand, ManufacturingEvent, ReleaseCommand, ReleaseEvent,
};
use hemaflow_domain::{Role, queries};
use hemaflow_testkit::scenario::{Centre, healthy_screening, identity};
use time::Duration;
use time::macros::date;

/// The barcodes of the unit's correct final label, as a scanner reads them.
fn label_scans(centre: &Centre, id: &str) -> Vec<String> {
    hemaflow_domain::manufacturing::label::final_label(&centre.state, id, centre.now)
        .unwrap()
        .scans()
        .map(str::to_owned)
        .to_vec()
}

fn screened(
    centre: &mut Centre,
    sex: Sex,
    procedure: Procedure,
    input: ScreeningInput,
) -> (String, Vec<String>) {
    let donor = centre
        .register(identity("Rivera", "Sam", date!(1990 - 05 - 17), sex))
        .expect("registered");
    let events = centre
        .run(
            Role::CollectionStaff,
            Command::Client(ClientCommand::DonorCentre(
                DonorCentreCommand::RecordScreening {
                    donor_id: donor.clone(),
                    procedure,
                    input,
                },
            )),
        )
        .expect("screened");
    let rules = match &events[0] {
        Event::DonorCentre(DonorCentreEvent::ScreeningRecorded { screening }) => {
            screening.findings.iter().map(|f| f.rule.clone()).collect()
        }
        _ => vec![],
    };
    (donor, rules)
}

fn findings(
    sex: Sex,
    procedure: Procedure,
    change: impl FnOnce(&mut ScreeningInput),
) -> Vec<String> {
    let mut centre = Centre::new();
    let mut input = healthy_screening();
    change(&mut input);
    screened(&mut centre, sex, procedure, input).1
}

/// A whole-blood donation fully tested, typed O positive, components produced by `recipe`.
fn tested(centre: &mut Centre, recipe: &str) -> (String, Vec<String>) {
    let name = format!("Okafor {}", centre.state.donors.len());
    let (_, din) = centre
        .walk_in(&name, date!(1985 - 01 - 02), Procedure::WholeBlood)
        .expect("collected");
    let ids = centre.produce(&din, recipe).expect("produced");
    centre.all_negative(&din).expect("tested");
    centre
        .type_and_screen(&din, Abo::O, RhD::Positive)
        .expect("typed");
    (din, ids)
}

fn platelet_donation(centre: &mut Centre, recipe: &str) -> (String, Vec<String>) {
    let donor = centre
        .register(identity("Chen", "Li", date!(1980 - 07 - 07), Sex::Female))
        .expect("registered");
    let s = centre
        .screen(&donor, Procedure::Plateletpheresis, healthy_screening())
        .expect("screened");
    let din = centre.collect(&donor, &s, 300, "TX").expect("collected");
    let ids = centre.produce(&din, recipe).expect("produced");
    centre.all_negative(&din).expect("tested");
    centre
        .type_and_screen(&din, Abo::A, RhD::Negative)
        .expect("typed");
    (din, ids)
}

// ---------------------------------------------------------------- eligibility

#[test]
fn elig_age_defers_16_year_old_without_consent_and_accepts_with_consent() {
    let mut centre = Centre::new();
    let young = identity("Young", "Pat", date!(2009 - 06 - 01), Sex::Male);
    let donor = centre.register(young.clone()).unwrap();
    let events = centre
        .run(
            Role::CollectionStaff,
            Command::Client(ClientCommand::DonorCentre(
                DonorCentreCommand::RecordScreening {
                    donor_id: donor,
                    procedure: Procedure::WholeBlood,
                    input: healthy_screening(),
                },
            )),
        )
        .unwrap();
    assert!(
        matches!(&events[0], Event::DonorCentre(DonorCentreEvent::ScreeningRecorded { screening }) if screening.findings.iter().any(|f| f.rule == "ELIG-AGE"))
    );
    let mut consented = young;
    consented.given_name = "Kim".to_owned();
    consented.parental_consent = true;
    let donor = centre.register(consented).unwrap();
    let events = centre
        .run(
            Role::CollectionStaff,
            Command::Client(ClientCommand::DonorCentre(
                DonorCentreCommand::RecordScreening {
                    donor_id: donor,
                    procedure: Procedure::WholeBlood,
                    input: healthy_screening(),
                },
            )),
        )
        .unwrap();
    assert!(
        matches!(&events[0], Event::DonorCentre(DonorCentreEvent::ScreeningRecorded { screening }) if screening.accepted)
    );
}

#[test]
fn elig_weight_defers_whole_blood_below_50_kg() {
    assert_eq!(
        findings(Sex::Female, Procedure::WholeBlood, |i| i.weight_kg = 49.5),
        vec!["ELIG-WEIGHT"]
    );
    assert!(findings(Sex::Female, Procedure::WholeBlood, |i| i.weight_kg = 50.0).is_empty());
}

#[test]
fn elig_temp_defers_above_37_5() {
    assert_eq!(
        findings(Sex::Male, Procedure::WholeBlood, |i| i.temperature_c = 37.6),
        vec!["ELIG-TEMP"]
    );
    assert!(findings(Sex::Male, Procedure::WholeBlood, |i| i.temperature_c = 37.5).is_empty());
}

#[test]
fn elig_bp_defers_outside_limits_unless_physician_qualifies() {
    assert_eq!(
        findings(Sex::Male, Procedure::WholeBlood, |i| i.systolic = 181),
        vec!["ELIG-BP"]
    );
    assert_eq!(
        findings(Sex::Male, Procedure::WholeBlood, |i| i.diastolic = 49),
        vec!["ELIG-BP"]
    );
    assert!(
        findings(Sex::Male, Procedure::WholeBlood, |i| {
            i.systolic = 185;
            i.physician_approvals.push("ELIG-BP".to_owned());
        })
        .is_empty()
    );
}

#[test]
fn elig_pulse_accepts_healthy_athlete_below_50_and_defers_irregular() {
    assert_eq!(
        findings(Sex::Male, Procedure::WholeBlood, |i| i.pulse = 45),
        vec!["ELIG-PULSE"]
    );
    assert!(
        findings(Sex::Male, Procedure::WholeBlood, |i| {
            i.pulse = 45;
            i.healthy_athlete = true;
        })
        .is_empty()
    );
    assert_eq!(
        findings(Sex::Male, Procedure::WholeBlood, |i| i.pulse_regular =
            false),
        vec!["ELIG-PULSE"]
    );
}

#[test]
fn elig_hb_f_defers_female_below_12_5_unless_physician_procedure_from_12_0() {
    assert_eq!(
        findings(Sex::Female, Procedure::WholeBlood, |i| i.hemoglobin_g_dl =
            Some(12.4)),
        vec!["ELIG-HB-F"]
    );
    assert!(
        findings(Sex::Female, Procedure::WholeBlood, |i| i.hemoglobin_g_dl =
            Some(12.5))
        .is_empty()
    );
    assert!(
        findings(Sex::Female, Procedure::WholeBlood, |i| {
            i.hemoglobin_g_dl = None;
            i.hematocrit_pct = Some(38.0);
        })
        .is_empty()
    );
    assert!(
        findings(Sex::Female, Procedure::WholeBlood, |i| {
            i.hemoglobin_g_dl = Some(12.1);
            i.physician_approvals.push("ELIG-HB-F".to_owned());
        })
        .is_empty()
    );
    assert_eq!(
        findings(Sex::Female, Procedure::WholeBlood, |i| {
            i.hemoglobin_g_dl = Some(11.9);
            i.physician_approvals.push("ELIG-HB-F".to_owned());
        }),
        vec!["ELIG-HB-F"]
    );
}

#[test]
fn elig_hb_m_defers_male_below_13_0() {
    assert_eq!(
        findings(Sex::Male, Procedure::WholeBlood, |i| i.hemoglobin_g_dl =
            Some(12.9)),
        vec!["ELIG-HB-M"]
    );
    assert_eq!(
        findings(Sex::Male, Procedure::WholeBlood, |i| {
            i.hemoglobin_g_dl = None;
            i.hematocrit_pct = Some(38.5);
        }),
        vec!["ELIG-HB-M"]
    );
}

#[test]
fn elig_hb_high_defers_above_20() {
    assert_eq!(
        findings(Sex::Male, Procedure::WholeBlood, |i| i.hemoglobin_g_dl =
            Some(20.1)),
        vec!["ELIG-HB-HIGH"]
    );
}

#[test]
fn elig_2rbc_needs_hematocrit_40_and_sex_specific_size() {
    assert_eq!(
        findings(Sex::Male, Procedure::DoubleRedCells, |i| i.hematocrit_pct =
            Some(39.0)),
        vec!["ELIG-2RBC"]
    );
    assert_eq!(
        findings(Sex::Female, Procedure::DoubleRedCells, |i| {
            i.hemoglobin_g_dl = Some(14.0);
            i.weight_kg = 65.0;
        }),
        vec!["ELIG-2RBC"]
    );
    assert!(
        findings(Sex::Male, Procedure::DoubleRedCells, |i| i.hematocrit_pct =
            Some(42.0))
        .is_empty()
    );
}

#[test]
fn elig_plt_needs_count_150_and_no_recent_aspirin_or_clopidogrel() {
    assert_eq!(
        findings(Sex::Male, Procedure::Plateletpheresis, |i| i
            .platelet_count =
            Some(140)),
        vec!["ELIG-PLT"]
    );
    assert_eq!(
        findings(Sex::Male, Procedure::Plateletpheresis, |i| i
            .days_since_aspirin =
            Some(1)),
        vec!["ELIG-PLT"]
    );
    assert_eq!(
        findings(Sex::Male, Procedure::Plateletpheresis, |i| i
            .days_since_clopidogrel =
            Some(10)),
        vec!["ELIG-PLT"]
    );
    assert!(
        findings(Sex::Male, Procedure::Plateletpheresis, |i| i
            .days_since_aspirin =
            Some(2))
        .is_empty()
    );
}

#[test]
fn elig_deferred_donor_cannot_be_screened_or_collected() {
    let mut centre = Centre::new();
    let mut input = healthy_screening();
    input.hemoglobin_g_dl = Some(11.0);
    let (donor, rules) = screened(&mut centre, Sex::Male, Procedure::WholeBlood, input);
    assert_eq!(rules, vec!["ELIG-HB-M"]);
    let refusal = centre
        .screen(&donor, Procedure::WholeBlood, healthy_screening())
        .unwrap_err();
    assert_eq!(refusal.rule, "ELIG-DEFERRED");
    // Deferred for the day only: tomorrow the donor may be screened again.
    centre.advance(Duration::days(1));
    assert!(
        centre
            .screen(&donor, Procedure::WholeBlood, healthy_screening())
            .is_ok()
    );
}

#[test]
fn elig_deferred_blocks_collection_after_an_accepted_screening() {
    let mut centre = Centre::new();
    let donor = centre
        .register(identity("Park", "Jo", date!(1970 - 02 - 02), Sex::Female))
        .unwrap();
    let screening = centre
        .screen(&donor, Procedure::WholeBlood, healthy_screening())
        .unwrap();
    centre
        .run(
            Role::QualityAssurance,
            Command::Client(ClientCommand::DonorCentre(DonorCentreCommand::DeferDonor {
                donor_id: donor.clone(),
                reason: "cjd_risk".into(),
                starts: None,
                notes: "".into(),
            })),
        )
        .unwrap();
    let refusal = centre.collect(&donor, &screening, 470, "TX").unwrap_err();
    assert_eq!(refusal.rule, "ELIG-DEFERRED");
    assert!(centre.state.donations.is_empty());
}

// ---------------------------------------------------------------- intervals

fn donate_again(
    centre: &mut Centre,
    donor: &str,
    after_days: i64,
    procedure: Procedure,
) -> Result<String, hemaflow_domain::Refusal> {
    centre.advance(Duration::days(after_days));
    let s = centre.screen(donor, procedure, healthy_screening())?;
    centre.collect(donor, &s, 470, "TX")
}

#[test]
fn int_wb_refuses_whole_blood_within_56_days() {
    let mut centre = Centre::new();
    let (donor, _) = centre
        .walk_in("Lee", date!(1980 - 01 - 01), Procedure::WholeBlood)
        .unwrap();
    let refusal = donate_again(&mut centre, &donor, 55, Procedure::WholeBlood).unwrap_err();
    assert_eq!(refusal.rule, "INT-WB");
    assert!(donate_again(&mut centre, &donor, 1, Procedure::WholeBlood).is_ok());
}

#[test]
fn int_2rbc_refuses_red_cells_within_112_days() {
    let mut centre = Centre::new();
    let (donor, _) = centre
        .walk_in("Lee", date!(1980 - 01 - 01), Procedure::DoubleRedCells)
        .unwrap();
    assert_eq!(
        donate_again(&mut centre, &donor, 111, Procedure::WholeBlood)
            .unwrap_err()
            .rule,
        "INT-2RBC"
    );
    assert!(donate_again(&mut centre, &donor, 1, Procedure::WholeBlood).is_ok());
}

#[test]
fn int_plt_two_days_apart_two_per_week_24_per_year() {
    let mut centre = Centre::new();
    let (donor, _) = centre
        .walk_in("Lee", date!(1980 - 01 - 01), Procedure::Plateletpheresis)
        .unwrap();
    assert_eq!(
        donate_again(&mut centre, &donor, 1, Procedure::Plateletpheresis)
            .unwrap_err()
            .rule,
        "INT-PLT"
    );
    assert!(donate_again(&mut centre, &donor, 1, Procedure::Plateletpheresis).is_ok());
    // Two in the last 7 days now: the third must wait.
    assert_eq!(
        donate_again(&mut centre, &donor, 2, Procedure::Plateletpheresis)
            .unwrap_err()
            .rule,
        "INT-PLT"
    );
    // 24 in 12 months.
    let mut centre = Centre::new();
    let (donor, _) = centre
        .walk_in("Kim", date!(1980 - 01 - 01), Procedure::Plateletpheresis)
        .unwrap();
    for _ in 0..23 {
        donate_again(&mut centre, &donor, 7, Procedure::Plateletpheresis).unwrap();
    }
    let refusal = donate_again(&mut centre, &donor, 7, Procedure::Plateletpheresis).unwrap_err();
    assert_eq!(refusal.rule, "INT-PLT");
    assert!(refusal.message.contains("12 months"));
}

#[test]
fn int_plasma_infrequent_once_in_four_weeks_frequent_twice_a_week() {
    let mut centre = Centre::new();
    let (donor, _) = centre
        .walk_in("Ng", date!(1980 - 01 - 01), Procedure::Plasmapheresis)
        .unwrap();
    assert_eq!(
        donate_again(&mut centre, &donor, 27, Procedure::Plasmapheresis)
            .unwrap_err()
            .rule,
        "INT-PLASMA"
    );
    assert!(donate_again(&mut centre, &donor, 1, Procedure::Plasmapheresis).is_ok());
    let mut centre = Centre::new();
    let (donor, _) = centre
        .walk_in("Ng", date!(1980 - 01 - 01), Procedure::SourcePlasma)
        .unwrap();
    assert_eq!(
        donate_again(&mut centre, &donor, 1, Procedure::SourcePlasma)
            .unwrap_err()
            .rule,
        "INT-PLASMA"
    );
    assert!(donate_again(&mut centre, &donor, 1, Procedure::SourcePlasma).is_ok());
    assert_eq!(
        donate_again(&mut centre, &donor, 2, Procedure::SourcePlasma)
            .unwrap_err()
            .rule,
        "INT-PLASMA"
    );
}

#[test]
fn int_rbc_loss_over_200_ml_waits_8_weeks() {
    let mut centre = Centre::new();
    let donor = centre
        .register(identity("Diaz", "Ana", date!(1975 - 03 - 03), Sex::Male))
        .unwrap();
    let s = centre
        .screen(&donor, Procedure::Plateletpheresis, healthy_screening())
        .unwrap();
    let din = centre.next_din();
    centre
        .run(
            Role::CollectionStaff,
            Command::Client(ClientCommand::DonorCentre(
                DonorCentreCommand::CollectDonation {
                    din,
                    donor_id: donor.clone(),
                    screening_id: s,
                    container: hemaflow_domain::donor_centre::collection::Container {
                        catalogue_number: "APH".into(),
                        lot: "1".into(),
                    },
                    started_at: centre.now - Duration::hours(1),
                    ended_at: centre.now,
                    volume_ml: 300,
                    red_cell_loss_ml: 250,
                    phlebotomist: "p".into(),
                    adverse_reactions: vec!["circuit clotted".into()],
                    collection_state: "TX".into(),
                },
            )),
        )
        .unwrap();
    assert_eq!(
        donate_again(&mut centre, &donor, 30, Procedure::WholeBlood)
            .unwrap_err()
            .rule,
        "INT-RBC-LOSS"
    );
    assert!(donate_again(&mut centre, &donor, 26, Procedure::WholeBlood).is_ok());
}

// ---------------------------------------------------------------- deferrals

#[test]
fn def_kinds_temporary_ends_indefinite_requalifies_permanent_never_ends() {
    let mut centre = Centre::new();
    let donor = centre
        .register(identity("Ito", "Ken", date!(1960 - 01 - 01), Sex::Male))
        .unwrap();
    let defer = |centre: &mut Centre, reason: &str| -> String {
        let events = centre
            .run(
                Role::QualityAssurance,
                Command::Client(ClientCommand::DonorCentre(DonorCentreCommand::DeferDonor {
                    donor_id: donor.clone(),
                    reason: reason.into(),
                    starts: None,
                    notes: "".into(),
                })),
            )
            .unwrap();
        match &events[0] {
            Event::DonorCentre(DonorCentreEvent::DonorDeferred { deferral }) => deferral.id.clone(),
            _ => unreachable!(),
        }
    };
    let temporary = defer(&mut centre, "pregnancy");
    assert_eq!(
        centre.state.deferrals[&temporary].kind,
        DeferralKind::Temporary
    );
    let refusal = centre
        .run(
            Role::QualityAssurance,
            Command::Client(ClientCommand::DonorCentre(
                DonorCentreCommand::RequalifyDonor {
                    deferral_id: temporary,
                    reason: "x".into(),
                },
            )),
        )
        .unwrap_err();
    assert_eq!(refusal.rule, "DEF-KINDS");
    let indefinite = defer(&mut centre, "cjd_risk");
    centre
        .run(
            Role::QualityAssurance,
            Command::Client(ClientCommand::DonorCentre(
                DonorCentreCommand::RequalifyDonor {
                    deferral_id: indefinite,
                    reason: "re-entry algorithm passed".into(),
                },
            )),
        )
        .unwrap();
    let permanent = defer(&mut centre, "hiv_positive");
    let refusal = centre
        .run(
            Role::QualityAssurance,
            Command::Client(ClientCommand::DonorCentre(
                DonorCentreCommand::RequalifyDonor {
                    deferral_id: permanent,
                    reason: "x".into(),
                },
            )),
        )
        .unwrap_err();
    assert_eq!(refusal.rule, "DEF-KINDS");
    // 42 days later only the permanent deferral is in force.
    centre.advance(Duration::days(42));
    let current = queries::current_deferrals(&centre.state, &donor, centre.now.date());
    assert_eq!(current.len(), 1);
    assert_eq!(current[0].kind, DeferralKind::Permanent);
}

#[test]
fn def_reasons_tattoo_defers_three_months_from_the_tattoo() {
    let mut centre = Centre::new();
    let mut input = healthy_screening();
    input.questionnaire.push(QuestionnaireFinding {
        reason: "tattoo_piercing".into(),
        since: Some(date!(2026 - 02 - 01)),
    });
    let (donor, rules) = screened(
        &mut centre,
        Sex::Female,
        Procedure::WholeBlood,
        input.clone(),
    );
    assert_eq!(rules, vec!["DEF-REASONS"]);
    let current = queries::current_deferrals(&centre.state, &donor, centre.now.date());
    // 3 calendar months from 1 February: 1 May (not 90 days, 2 May).
    assert_eq!(current[0].ends, Some(date!(2026 - 05 - 01)));
    // A tattoo a year ago defers nothing.
    input.questionnaire[0].since = Some(date!(2025 - 03 - 01));
    let mut centre = Centre::new();
    assert!(
        screened(
            &mut centre,
            Sex::Female,
            Procedure::WholeBlood,
            input.clone()
        )
        .1
        .is_empty()
    );
    // An unknown reason is refused, not guessed.
    input.questionnaire[0].reason = "made_up".into();
    let mut centre = Centre::new();
    let donor = centre
        .register(identity("A", "B", date!(1990 - 01 - 01), Sex::Male))
        .unwrap();
    assert_eq!(
        centre
            .screen(&donor, Procedure::WholeBlood, input)
            .unwrap_err()
            .rule,
        "DEF-REASONS"
    );
}

#[test]
fn def_notify_a_reactive_result_defers_the_donor_and_opens_a_notification_task() {
    let mut centre = Centre::new();
    let (donor, din) = centre
        .walk_in("Moss", date!(1988 - 08 - 08), Procedure::WholeBlood)
        .unwrap();
    let events = centre
        .result(&din, "hcv_nat", Stage::Initial, Reading::Reactive)
        .unwrap();
    let names: Vec<&str> = events.iter().map(|e| e.name()).collect();
    assert_eq!(
        names,
        vec![
            "test_result_recorded",
            "donation_unsuitable",
            "donor_deferred",
            "task_opened",
            // LB-WINDOW: the records are reviewed; a first donation has nothing to look back on.
            "lookback_started"
        ]
    );
    assert_eq!(
        centre
            .state
            .tasks
            .values()
            .filter(|t| t.donor_id.as_deref() == Some(donor.as_str()))
            .count(),
        1
    );
    assert_eq!(
        queries::current_deferrals(&centre.state, &donor, centre.now.date())[0].kind,
        DeferralKind::Indefinite
    );
}

// ---------------------------------------------------------------- testing

#[test]
fn test_panel_orders_every_marker_of_610_40() {
    let mut centre = Centre::new();
    let (_, din) = centre
        .walk_in("Ruiz", date!(1990 - 01 - 01), Procedure::WholeBlood)
        .unwrap();
    let tests: Vec<&str> = centre.state.donations[&din]
        .tests
        .keys()
        .map(String::as_str)
        .collect();
    for marker in [
        "anti_hiv_1_2",
        "hiv_nat",
        "hbsag",
        "anti_hbc",
        "hbv_nat",
        "anti_hcv",
        "hcv_nat",
        "anti_htlv",
        "syphilis",
        "wnv_nat",
        "t_cruzi",
    ] {
        assert!(tests.contains(&marker), "{marker} not ordered");
    }
    let refusal = centre
        .result(&din, "zika_nat", Stage::Initial, Reading::Nonreactive)
        .unwrap_err();
    assert_eq!(refusal.rule, "TEST-PANEL");
}

#[test]
fn test_once_t_cruzi_is_skipped_after_a_negative() {
    let mut centre = Centre::new();
    let (donor, din) = centre
        .walk_in("Silva", date!(1990 - 01 - 01), Procedure::WholeBlood)
        .unwrap();
    centre.all_negative(&din).unwrap();
    centre.advance(Duration::days(60));
    let s = centre
        .screen(&donor, Procedure::WholeBlood, healthy_screening())
        .unwrap();
    let second = centre.collect(&donor, &s, 470, "TX").unwrap();
    assert!(
        !centre.state.donations[&second]
            .tests
            .contains_key("t_cruzi")
    );
    assert!(
        centre.state.donations[&second]
            .tests
            .contains_key("anti_hcv")
    );
}

#[test]
fn test_regional_babesia_only_for_collections_in_listed_states() {
    let mut centre = Centre::new();
    let donor = centre
        .register(identity("Hale", "Jo", date!(1990 - 01 - 01), Sex::Male))
        .unwrap();
    let s = centre
        .screen(&donor, Procedure::WholeBlood, healthy_screening())
        .unwrap();
    let din = centre.collect(&donor, &s, 470, "NY").unwrap();
    assert!(
        centre.state.donations[&din]
            .tests
            .contains_key("babesia_nat")
    );
    let (_, texas) = centre
        .walk_in("Cruz", date!(1990 - 01 - 01), Procedure::WholeBlood)
        .unwrap();
    assert!(
        !centre.state.donations[&texas]
            .tests
            .contains_key("babesia_nat")
    );
}

#[test]
fn test_rr_initial_reactive_with_both_repeats_nonreactive_is_negative() {
    let mut centre = Centre::new();
    let (_, din) = centre
        .walk_in("Ford", date!(1990 - 01 - 01), Procedure::WholeBlood)
        .unwrap();
    centre
        .result(&din, "anti_hcv", Stage::Initial, Reading::Reactive)
        .unwrap();
    // Awaiting duplicates: not yet acceptable.
    assert!(matches!(
        centre.state.donations[&din].tests["anti_hcv"],
        MarkerStatus::InitialReactive { .. }
    ));
    centre
        .result(&din, "anti_hcv", Stage::Repeat, Reading::Nonreactive)
        .unwrap();
    centre
        .result(&din, "anti_hcv", Stage::Repeat, Reading::Nonreactive)
        .unwrap();
    assert_eq!(
        centre.state.donations[&din].tests["anti_hcv"],
        MarkerStatus::Negative
    );
    assert!(centre.state.donations[&din].unsuitable.is_none());
}

#[test]
fn test_rr_either_repeat_reactive_makes_every_component_unsafe() {
    let mut centre = Centre::new();
    let (_, din) = centre
        .walk_in("Ford", date!(1990 - 01 - 01), Procedure::WholeBlood)
        .unwrap();
    let ids = centre.produce(&din, "rbc_ffp_platelets").unwrap();
    centre
        .result(&din, "hbsag", Stage::Initial, Reading::Reactive)
        .unwrap();
    // A second initial result is refused: the algorithm wants duplicates.
    assert_eq!(
        centre
            .result(&din, "hbsag", Stage::Initial, Reading::Nonreactive)
            .unwrap_err()
            .rule,
        "TEST-RR"
    );
    centre
        .result(&din, "hbsag", Stage::Repeat, Reading::Nonreactive)
        .unwrap();
    centre
        .result(&din, "hbsag", Stage::Repeat, Reading::Reactive)
        .unwrap();
    assert!(centre.state.donations[&din].unsuitable.is_some());
    for id in ids {
        assert_eq!(centre.component(&id).unwrap().status, Status::Unsafe);
    }
}

#[test]
fn test_nat_reactive_minipool_resolves_to_the_individual_donation() {
    let mut centre = Centre::new();
    let (_, din) = centre
        .walk_in("Gray", date!(1990 - 01 - 01), Procedure::WholeBlood)
        .unwrap();
    centre
        .result(&din, "wnv_nat", Stage::Minipool, Reading::Reactive)
        .unwrap();
    assert_eq!(
        centre.state.donations[&din].tests["wnv_nat"],
        MarkerStatus::MinipoolReactive
    );
    assert_eq!(
        centre
            .result(&din, "wnv_nat", Stage::Repeat, Reading::Nonreactive)
            .unwrap_err()
            .rule,
        "TEST-NAT"
    );
    centre
        .result(&din, "wnv_nat", Stage::Individual, Reading::Nonreactive)
        .unwrap();
    assert_eq!(
        centre.state.donations[&din].tests["wnv_nat"],
        MarkerStatus::Negative
    );
    // An individual NAT reactive is reactive at once.
    let (donor, din) = centre
        .walk_in("Hart", date!(1990 - 01 - 01), Procedure::WholeBlood)
        .unwrap();
    centre
        .result(&din, "wnv_nat", Stage::Initial, Reading::Reactive)
        .unwrap();
    assert!(centre.state.donations[&din].unsuitable.is_some());
    let deferral = &queries::current_deferrals(&centre.state, &donor, centre.now.date())[0];
    assert_eq!(deferral.ends, Some(centre.now.date() + Duration::days(120)));
}

#[test]
fn test_suppl_negative_supplemental_never_makes_the_unit_suitable() {
    let mut centre = Centre::new();
    let (donor, din) = centre
        .walk_in("Ives", date!(1990 - 01 - 01), Procedure::WholeBlood)
        .unwrap();
    let ids = centre.produce(&din, "rbc_ffp").unwrap();
    centre
        .result(&din, "hiv_nat", Stage::Initial, Reading::Reactive)
        .unwrap();
    centre
        .result(&din, "hiv_nat", Stage::Supplemental, Reading::Nonreactive)
        .unwrap();
    assert!(centre.state.donations[&din].unsuitable.is_some());
    assert_eq!(centre.component(&ids[0]).unwrap().status, Status::Unsafe);
    // A positive supplemental makes the deferral permanent.
    let (donor2, din2) = centre
        .walk_in("Jude", date!(1991 - 01 - 01), Procedure::WholeBlood)
        .unwrap();
    centre
        .result(&din2, "anti_hiv_1_2", Stage::Initial, Reading::Reactive)
        .unwrap();
    centre
        .result(&din2, "anti_hiv_1_2", Stage::Repeat, Reading::Reactive)
        .unwrap();
    centre
        .result(&din2, "anti_hiv_1_2", Stage::Repeat, Reading::Reactive)
        .unwrap();
    centre
        .result(
            &din2,
            "anti_hiv_1_2",
            Stage::Supplemental,
            Reading::Reactive,
        )
        .unwrap();
    let kinds: Vec<DeferralKind> =
        queries::current_deferrals(&centre.state, &donor2, centre.now.date())
            .iter()
            .map(|d| d.kind)
            .collect();
    assert!(kinds.contains(&DeferralKind::Permanent));
    assert!(
        !queries::current_deferrals(&centre.state, &donor, centre.now.date())
            .iter()
            .any(|d| d.kind == DeferralKind::Permanent)
    );
}

#[test]
fn test_abo_twice_needs_two_determinations_and_a_discrepancy_holds() {
    let mut centre = Centre::new();
    let (din, ids) = tested(&mut centre, "rbc_ffp");
    let rbc = ids[0].clone();
    centre.verify_label(&rbc).unwrap();
    centre.release(&rbc).unwrap();
    // The donor returns; one determination agreeing with history confirms.
    let donor = centre.state.donations[&din].donor_id.clone();
    centre.advance(Duration::days(56));
    let s = centre
        .screen(&donor, Procedure::WholeBlood, healthy_screening())
        .unwrap();
    let second = centre.collect(&donor, &s, 470, "TX").unwrap();
    let events = centre
        .run(
            Role::LabTechnologist,
            Command::Client(ClientCommand::Lab(LabCommand::RecordBloodGroup {
                din: second.clone(),
                abo: Abo::A,
                rhd: RhD::Positive,
            })),
        )
        .unwrap();
    assert!(
        events.iter().any(
            |e| matches!(e, Event::Release(ReleaseEvent::HoldPlaced { hold }) if hold.kind == HoldKind::Investigation)
        )
    );
    let ids = centre.produce(&second, "rbc_ffp").unwrap();
    centre.all_negative(&second).unwrap();
    centre
        .run(
            Role::LabTechnologist,
            Command::Client(ClientCommand::Lab(LabCommand::RecordAntibodyScreen {
                din: second.clone(),
                positive: false,
            })),
        )
        .unwrap();
    let blockers = hemaflow_domain::release_blockers(
        &centre.state,
        centre.component(&ids[0]).unwrap(),
        centre.now,
    );
    assert!(blockers.iter().any(|b| b.rule == "TEST-ABO-TWICE"));
    assert_eq!(
        centre.verify_label(&ids[0]).unwrap_err().rule,
        "TEST-ABO-TWICE"
    );
}

#[test]
fn test_abscreen_positive_makes_plasma_containing_components_unsafe() {
    let mut centre = Centre::new();
    let (_, din) = centre
        .walk_in("Kent", date!(1990 - 01 - 01), Procedure::WholeBlood)
        .unwrap();
    let ids = centre.produce(&din, "rbc_ffp").unwrap();
    centre
        .run(
            Role::LabTechnologist,
            Command::Client(ClientCommand::Lab(LabCommand::RecordAntibodyScreen {
                din: din.clone(),
                positive: true,
            })),
        )
        .unwrap();
    assert_eq!(
        centre.component(&ids[0]).unwrap().status,
        Status::Quarantined
    );
    assert_eq!(centre.component(&ids[1]).unwrap().status, Status::Unsafe);
}

#[test]
fn test_bact_platelets_need_a_risk_control_step_and_a_24h_culture_dates_them_day_3() {
    let mut centre = Centre::new();
    let (_, ids) = platelet_donation(&mut centre, "platelets_single");
    let plt = ids[0].clone();
    centre.verify_label(&plt).unwrap();
    assert_eq!(centre.release(&plt).unwrap_err().rule, "TEST-BACT");
    centre
        .run(
            Role::Manufacturing,
            Command::Client(ClientCommand::Manufacturing(
                ManufacturingCommand::RecordBacterialControl {
                    component: plt.clone(),
                    method: "primary_culture_24h".into(),
                },
            )),
        )
        .unwrap();
    let c = centre.component(&plt).unwrap();
    assert_eq!(c.expires_at, c.collected_at + Duration::days(3));
    // The label verified before the culture says day 5: LABEL-VERIFY asks for a new one.
    assert_eq!(centre.release(&plt).unwrap_err().rule, "LABEL-VERIFY");
    centre.verify_label(&plt).unwrap();
    centre.release(&plt).unwrap();
    // A secondary culture on day 4 extends the dating to day 7.
    centre
        .run(
            Role::Manufacturing,
            Command::Client(ClientCommand::Manufacturing(
                ManufacturingCommand::RecordBacterialControl {
                    component: plt.clone(),
                    method: "secondary_culture_day4".into(),
                },
            )),
        )
        .unwrap();
    let c = centre.component(&plt).unwrap();
    assert_eq!(c.expires_at, c.collected_at + Duration::days(7));
}

// ---------------------------------------------------------------- quarantine and release

#[test]
fn rel_quar_every_component_starts_quarantined() {
    let mut centre = Centre::new();
    let (din, ids) = tested(&mut centre, "rbc_ffp_platelets");
    assert_eq!(ids.len(), 3);
    for c in queries::components_of(&centre.state, &din) {
        assert_eq!(c.status, Status::Quarantined);
    }
}

#[test]
fn rel_gate_refuses_release_until_tests_typing_label_and_holds_allow() {
    let mut centre = Centre::new();
    let (_, din) = centre
        .walk_in("Lane", date!(1990 - 01 - 01), Procedure::WholeBlood)
        .unwrap();
    let ids = centre.produce(&din, "rbc_ffp").unwrap();
    let rbc = ids[0].clone();
    let refusal = centre.release(&rbc).unwrap_err();
    assert_eq!(refusal.rule, "TEST-PANEL");
    assert!(
        refusal.message.contains("HCV NAT not yet resulted"),
        "{}",
        refusal.message
    );
    centre.all_negative(&din).unwrap();
    assert_eq!(centre.release(&rbc).unwrap_err().rule, "TEST-ABO-TWICE");
    centre.type_and_screen(&din, Abo::B, RhD::Negative).unwrap();
    let refusal = centre.release(&rbc).unwrap_err();
    assert_eq!(refusal.rule, "REL-GATE");
    assert!(refusal.message.contains("label"));
    // A label with the wrong group is refused.
    let mut scans = label_scans(&centre, &rbc);
    scans[1] = "=%7300".into(); // B RhD positive
    assert_eq!(
        centre.scan_label(&rbc, scans).unwrap_err().rule,
        "LABEL-VERIFY"
    );
    centre.verify_label(&rbc).unwrap();
    let hold = centre
        .run(
            Role::QualityAssurance,
            Command::Client(ClientCommand::Release(ReleaseCommand::PlaceHold {
                target: HoldTarget::Component { id: rbc.clone() },
                kind: HoldKind::Qa,
                reason: "bag leak check".into(),
            })),
        )
        .unwrap();
    let hold_id = match &hold[0] {
        Event::Release(ReleaseEvent::HoldPlaced { hold }) => hold.id.clone(),
        _ => unreachable!(),
    };
    assert_eq!(centre.release(&rbc).unwrap_err().rule, "REL-GATE");
    centre
        .run(
            Role::QualityAssurance,
            Command::Client(ClientCommand::Release(ReleaseCommand::ReleaseHold {
                hold_id,
                reason: "no leak".into(),
            })),
        )
        .unwrap();
    centre.release(&rbc).unwrap();
    assert_eq!(centre.component(&rbc).unwrap().status, Status::Available);
    assert!(hemaflow_domain::invariants::check(&centre.state).is_ok());
}

#[test]
fn rel_unsafe_is_final_and_never_available_again() {
    let mut centre = Centre::new();
    let (_, din) = centre
        .walk_in("Mora", date!(1990 - 01 - 01), Procedure::WholeBlood)
        .unwrap();
    let ids = centre.produce(&din, "rbc_ffp").unwrap();
    centre
        .result(&din, "hcv_nat", Stage::Initial, Reading::Reactive)
        .unwrap();
    let rbc = &ids[0];
    assert_eq!(centre.release(rbc).unwrap_err().rule, "REL-UNSAFE");
    let modify = Command::Client(ClientCommand::Manufacturing(
        ManufacturingCommand::ModifyComponent {
            component: rbc.clone(),
            modification: Attr::Irradiated,
        },
    ));
    assert_eq!(
        centre.run(Role::Manufacturing, modify).unwrap_err().rule,
        "REL-UNSAFE"
    );
    let discard = Command::Client(ClientCommand::Manufacturing(
        ManufacturingCommand::DiscardComponent {
            component: rbc.clone(),
            reason: "x".into(),
        },
    ));
    assert_eq!(
        centre.run(Role::Manufacturing, discard).unwrap_err().rule,
        "REL-UNSAFE"
    );
    assert_eq!(centre.component(rbc).unwrap().status, Status::Unsafe);
}

#[test]
fn rel_expire_expired_units_are_never_released_or_shipped() {
    let mut centre = Centre::new();
    let (_, ids) = platelet_donation(&mut centre, "platelets_single");
    let plt = ids[0].clone();
    centre
        .run(
            Role::Manufacturing,
            Command::Client(ClientCommand::Manufacturing(
                ManufacturingCommand::RecordBacterialControl {
                    component: plt.clone(),
                    method: "lvds_36h".into(),
                },
            )),
        )
        .unwrap();
    centre.verify_label(&plt).unwrap();
    centre.release(&plt).unwrap();
    centre.advance(Duration::days(5));
    let ship = Command::Client(ClientCommand::Distribution(
        DistributionCommand::ShipComponent {
            component: plt.clone(),
            consignee: "General Hospital".into(),
        },
    ));
    assert_eq!(
        centre.run(Role::Distribution, ship).unwrap_err().rule,
        "REL-EXPIRE"
    );
    let listed = queries::inventory(&centre.state, Some(Status::Expired), centre.now);
    assert_eq!(listed.len(), 1);
    let events = centre
        .run(
            Role::Distribution,
            Command::Client(ClientCommand::Release(ReleaseCommand::ExpireUnits {
                as_of: centre.now,
            })),
        )
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(centre.component(&plt).unwrap().status, Status::Expired);
    let future = Command::Client(ClientCommand::Release(ReleaseCommand::ExpireUnits {
        as_of: centre.now + Duration::days(1),
    }));
    assert_eq!(
        centre.run(Role::Distribution, future).unwrap_err().rule,
        "REL-EXPIRE"
    );
}

#[test]
fn rel_pdi_quarantines_in_date_units_and_opens_a_deviation_review() {
    let mut centre = Centre::new();
    let (din, ids) = tested(&mut centre, "rbc_ffp");
    for id in &ids {
        centre.verify_label(id).unwrap();
        centre.release(id).unwrap();
    }
    let ship = Command::Client(ClientCommand::Distribution(
        DistributionCommand::ShipComponent {
            component: ids[1].clone(),
            consignee: "City Hospital".into(),
        },
    ));
    centre.run(Role::Distribution, ship).unwrap();
    let donor = centre.state.donations[&din].donor_id.clone();
    let events = centre
        .run(
            Role::QualityAssurance,
            Command::Client(ClientCommand::Release(
                ReleaseCommand::RecordPostDonationInformation {
                    donor_id: donor,
                    information: "reports malaria travel".into(),
                },
            )),
        )
        .unwrap();
    assert_eq!(
        centre.component(&ids[0]).unwrap().status,
        Status::Quarantined
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Release(ReleaseEvent::TaskOpened { task }) if task.reason.contains("BPD")))
    );
    assert_eq!(centre.release(&ids[0]).unwrap_err().rule, "REL-GATE");
}

// ---------------------------------------------------------------- components

#[test]
fn comp_shelf_expiry_comes_from_the_catalogue() {
    let mut centre = Centre::new();
    let (din, ids) = tested(&mut centre, "rbc_ffp_platelets");
    let ended = centre.state.donations[&din].ended_at;
    let expiry = |id: &str| centre.component(id).unwrap().expires_at - ended;
    assert_eq!(expiry(&ids[0]), Duration::days(42));
    assert_eq!(expiry(&ids[1]), Duration::days(365));
    assert_eq!(expiry(&ids[2]), Duration::days(5));
}

#[test]
fn comp_proc_ffp_within_8_hours_and_pf24_within_24() {
    let mut centre = Centre::new();
    let (_, din) = centre
        .walk_in("Nash", date!(1990 - 01 - 01), Procedure::WholeBlood)
        .unwrap();
    centre.advance(Duration::hours(9));
    assert_eq!(
        centre.produce(&din, "rbc_ffp").unwrap_err().rule,
        "COMP-PROC"
    );
    assert_eq!(centre.produce(&din, "rbc_pf24").unwrap().len(), 2);
}

#[test]
fn comp_weight_low_volume_discards_plasma_and_out_of_range_makes_nothing() {
    let mut centre = Centre::new();
    let donor = centre
        .register(identity("Owen", "Al", date!(1990 - 01 - 01), Sex::Male))
        .unwrap();
    let s = centre
        .screen(&donor, Procedure::WholeBlood, healthy_screening())
        .unwrap();
    let din = centre.collect(&donor, &s, 350, "TX").unwrap();
    let ids = centre.produce(&din, "rbc_ffp").unwrap();
    assert_eq!(
        centre.component(&ids[0]).unwrap().status,
        Status::Quarantined
    );
    assert_eq!(centre.component(&ids[1]).unwrap().status, Status::Discarded);
    let (donor2, _) = (
        centre
            .register(identity("Owen", "Bo", date!(1991 - 01 - 01), Sex::Male))
            .unwrap(),
        (),
    );
    let s = centre
        .screen(&donor2, Procedure::WholeBlood, healthy_screening())
        .unwrap();
    let din = centre.collect(&donor2, &s, 250, "TX").unwrap();
    assert_eq!(
        centre.produce(&din, "rbc_ffp").unwrap_err().rule,
        "COMP-WEIGHT"
    );
}

// ---------------------------------------------------------------- modifications

fn modify(centre: &mut Centre, id: &str, m: Attr) -> Result<String, hemaflow_domain::Refusal> {
    let events = centre.run(
        Role::Manufacturing,
        Command::Client(ClientCommand::Manufacturing(
            ManufacturingCommand::ModifyComponent {
                component: id.to_owned(),
                modification: m,
            },
        )),
    )?;
    Ok(match &events[0] {
        Event::Manufacturing(ManufacturingEvent::ComponentProduced { component }) => {
            component.id.clone()
        }
        _ => String::new(),
    })
}

#[test]
fn mod_allowed_refuses_irradiating_plasma() {
    let mut centre = Centre::new();
    let (_, ids) = tested(&mut centre, "rbc_ffp");
    assert_eq!(
        modify(&mut centre, &ids[1], Attr::Irradiated)
            .unwrap_err()
            .rule,
        "MOD-ALLOWED"
    );
    assert_eq!(
        modify(&mut centre, &ids[0], Attr::Thawed).unwrap_err().rule,
        "MOD-ALLOWED"
    );
}

#[test]
fn mod_irr_red_cells_expire_28_days_after_irradiation_or_at_the_original_expiry() {
    let mut centre = Centre::new();
    let (_, ids) = tested(&mut centre, "rbc_ffp");
    let original = centre.component(&ids[0]).unwrap().expires_at;
    let irradiated = modify(&mut centre, &ids[0], Attr::Irradiated).unwrap();
    assert_eq!(
        centre.component(&irradiated).unwrap().expires_at,
        centre.now + Duration::days(28)
    );
    // Near the end of its shelf life the original expiry wins.
    let mut centre = Centre::new();
    let (_, ids) = tested(&mut centre, "rbc_ffp");
    centre.advance(Duration::days(30));
    let irradiated = modify(&mut centre, &ids[0], Attr::Irradiated).unwrap();
    assert_eq!(centre.component(&irradiated).unwrap().expires_at, original);
}

#[test]
fn mod_wash_red_cells_24_hours_platelets_4_hours() {
    let mut centre = Centre::new();
    let (_, ids) = tested(&mut centre, "rbc_ffp_platelets");
    let washed = modify(&mut centre, &ids[0], Attr::Washed).unwrap();
    assert_eq!(
        centre.component(&washed).unwrap().expires_at,
        centre.now + Duration::hours(24)
    );
    let washed = modify(&mut centre, &ids[2], Attr::Washed).unwrap();
    assert_eq!(
        centre.component(&washed).unwrap().expires_at,
        centre.now + Duration::hours(4)
    );
}

#[test]
fn mod_open_volume_reduced_platelets_and_open_pools_4_hours() {
    let mut centre = Centre::new();
    let (_, ids) = tested(&mut centre, "rbc_ffp_platelets");
    let reduced = modify(&mut centre, &ids[2], Attr::VolumeReduced).unwrap();
    assert_eq!(
        centre.component(&reduced).unwrap().expires_at,
        centre.now + Duration::hours(4)
    );
}

#[test]
fn mod_thaw_plasma_24_hours_thawed_plasma_5_days_cryo_6_hours() {
    let mut centre = Centre::new();
    let (_, ids) = tested(&mut centre, "rbc_ffp");
    let thawed = modify(&mut centre, &ids[1], Attr::Thawed).unwrap();
    assert_eq!(
        centre.component(&thawed).unwrap().expires_at,
        centre.now + Duration::hours(24)
    );
    let thaw_time = centre.now;
    centre.advance(Duration::hours(20));
    let relabelled = modify(&mut centre, &thawed, Attr::ThawedPlasma).unwrap();
    assert_eq!(
        centre.component(&relabelled).unwrap().expires_at,
        thaw_time + Duration::days(5)
    );
    assert_eq!(
        modify(&mut centre, &ids[0], Attr::ThawedPlasma)
            .unwrap_err()
            .rule,
        "MOD-ALLOWED"
    );
    let mut centre = Centre::new();
    let (_, ids) = tested(&mut centre, "rbc_cryo");
    let cryo = modify(&mut centre, &ids[1], Attr::Thawed).unwrap();
    assert_eq!(
        centre.component(&cryo).unwrap().expires_at,
        centre.now + Duration::hours(6)
    );
}

#[test]
fn mod_split_keeps_the_original_expiry_and_links_the_parent() {
    let mut centre = Centre::new();
    let (din, ids) = tested(&mut centre, "rbc_ffp");
    let expiry = centre.component(&ids[0]).unwrap().expires_at;
    let events = centre
        .run(
            Role::Manufacturing,
            Command::Client(ClientCommand::Manufacturing(
                ManufacturingCommand::DivideComponent {
                    component: ids[0].clone(),
                    parts: 2,
                },
            )),
        )
        .unwrap();
    let children: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Manufacturing(ManufacturingEvent::ComponentProduced { component }) => {
                Some(component.clone())
            }
            _ => None,
        })
        .collect();
    assert_eq!(children.len(), 2);
    assert!(children[0].product_code.ends_with("A0") && children[1].product_code.ends_with("B0"));
    for child in &children {
        assert_eq!(child.expires_at, expiry);
        assert_eq!(child.parents, vec![ids[0].clone()]);
        assert_eq!(child.sources, vec![din.clone()]);
    }
    assert_eq!(centre.component(&ids[0]).unwrap().status, Status::Processed);
}

#[test]
fn mod_pool_takes_the_earliest_expiry_4_hours_when_open_and_links_every_part() {
    let mut centre = Centre::new();
    let (_, a) = tested(&mut centre, "rbc_ffp_platelets");
    centre.advance(Duration::hours(1));
    let (_, b) = tested(&mut centre, "rbc_ffp_platelets");
    let parts = vec![a[2].clone(), b[2].clone()];
    let pool_din = centre.next_din();
    let closed = Command::Client(ClientCommand::Manufacturing(
        ManufacturingCommand::PoolComponents {
            components: parts.clone(),
            pool_din: pool_din.clone(),
            closed_system: true,
        },
    ));
    let events = centre.run(Role::Manufacturing, closed).unwrap();
    let Event::Manufacturing(ManufacturingEvent::ComponentProduced { component }) = &events[0]
    else {
        panic!("no pool")
    };
    assert_eq!(
        component.expires_at,
        centre.component(&a[2]).unwrap().expires_at
    );
    assert_eq!(component.parents, parts);
    assert_eq!(component.sources.len(), 2);
    assert_eq!(component.din, pool_din);
    // Open pool: 4 h.
    let mut centre = Centre::new();
    let (_, a) = tested(&mut centre, "rbc_ffp_platelets");
    let (_, b) = tested(&mut centre, "rbc_ffp_platelets");
    let pool_din = centre.next_din();
    let open = Command::Client(ClientCommand::Manufacturing(
        ManufacturingCommand::PoolComponents {
            components: vec![a[2].clone(), b[2].clone()],
            pool_din,
            closed_system: false,
        },
    ));
    let events = centre.run(Role::Manufacturing, open).unwrap();
    let Event::Manufacturing(ManufacturingEvent::ComponentProduced { component }) = &events[0]
    else {
        panic!("no pool")
    };
    assert_eq!(component.expires_at, centre.now + Duration::hours(4));
    // Red cells are not pooled.
    let pool_din = centre.next_din();
    let rbc = Command::Client(ClientCommand::Manufacturing(
        ManufacturingCommand::PoolComponents {
            components: vec![a[0].clone(), b[0].clone()],
            pool_din,
            closed_system: false,
        },
    ));
    assert_eq!(
        centre.run(Role::Manufacturing, rbc).unwrap_err().rule,
        "MOD-ALLOWED"
    );
}

#[test]
fn mod_code_each_modification_gets_a_new_product_code_and_needs_a_new_label() {
    let mut centre = Centre::new();
    let (_, ids) = tested(&mut centre, "rbc_ffp");
    centre.verify_label(&ids[0]).unwrap();
    centre.release(&ids[0]).unwrap();
    let irradiated = modify(&mut centre, &ids[0], Attr::Irradiated).unwrap();
    let (old, new) = (
        centre.component(&ids[0]).unwrap().clone(),
        centre.component(&irradiated).unwrap().clone(),
    );
    assert_ne!(old.product_code, new.product_code);
    assert_eq!(new.parents, vec![old.id.clone()]);
    assert_eq!(new.status, Status::Quarantined);
    assert!(!new.label_verified);
    // The old label does not verify the new unit.
    let stale = old.verified_label.clone();
    assert_eq!(
        centre.scan_label(&irradiated, stale).unwrap_err().rule,
        "LABEL-VERIFY"
    );
    assert!(hemaflow_isbt128::parse(&format!("=<{}", new.product_code)).is_ok());
}

// ---------------------------------------------------------------- compatibility

#[test]
fn compat_rbc_o_to_all_a_to_a_ab_b_to_b_ab_ab_to_ab() {
    use Abo::*;
    let expected = [
        (O, vec![O]),
        (A, vec![O, A]),
        (B, vec![O, B]),
        (AB, vec![O, A, B, AB]),
    ];
    for (recipient, donors) in expected {
        for donor in [O, A, B, AB] {
            assert_eq!(
                compat::red_cells(recipient, donor),
                donors.contains(&donor),
                "{recipient:?} <- {donor:?}"
            );
        }
    }
    assert!(compat::whole_blood(A, A) && !compat::whole_blood(A, O));
}

#[test]
fn compat_plasma_ab_to_all_and_o_only_to_o() {
    use Abo::*;
    assert!([O, A, B, AB].iter().all(|r| compat::plasma(*r, AB)));
    assert!(
        compat::plasma(O, O)
            && !compat::plasma(A, O)
            && !compat::plasma(AB, A)
            && compat::plasma(O, A)
    );
}

#[test]
fn compat_plt_identical_preferred_incompatible_with_warning_rhig_note() {
    use compat::Compatibility::*;
    assert_eq!(
        compat::platelets((Abo::A, RhD::Positive), (Abo::A, RhD::Positive)),
        Compatible
    );
    assert!(matches!(
        compat::platelets((Abo::A, RhD::Positive), (Abo::O, RhD::Positive)),
        AllowedWithWarning(_)
    ));
    assert!(
        matches!(compat::platelets((Abo::A, RhD::Negative), (Abo::A, RhD::Positive)), AllowedWithWarning(w) if w.contains("RhIG"))
    );
}

#[test]
fn compat_cryo_any_abo() {
    assert!(compat::cryo(Abo::O, Abo::AB) && compat::cryo(Abo::B, Abo::A));
}

#[test]
fn compat_rhd_negative_recipient_needs_physician_for_positive_red_cells() {
    assert!(matches!(
        compat::red_cells_rhd(RhD::Negative, RhD::Positive),
        compat::Compatibility::NeedsPhysicianApproval(_)
    ));
    assert_eq!(
        compat::red_cells_rhd(RhD::Positive, RhD::Negative),
        compat::Compatibility::Compatible
    );
}

// ---------------------------------------------------------------- records and access

#[test]
fn rec_trace_every_shipment_names_its_consignee_and_traces_to_the_donor() {
    let mut centre = Centre::new();
    let (din, ids) = tested(&mut centre, "rbc_ffp");
    centre.verify_label(&ids[0]).unwrap();
    centre.release(&ids[0]).unwrap();
    let blank = Command::Client(ClientCommand::Distribution(
        DistributionCommand::ShipComponent {
            component: ids[0].clone(),
            consignee: " ".into(),
        },
    ));
    assert_eq!(
        centre.run(Role::Distribution, blank).unwrap_err().rule,
        "REC-TRACE"
    );
    let ship = Command::Client(ClientCommand::Distribution(
        DistributionCommand::ShipComponent {
            component: ids[0].clone(),
            consignee: "St Mary".into(),
        },
    ));
    centre.run(Role::Distribution, ship).unwrap();
    let c = centre.component(&ids[0]).unwrap();
    assert_eq!(c.consignee.as_deref(), Some("St Mary"));
    let donor = &centre.state.donations[&din].donor_id;
    assert!(centre.state.donors.contains_key(donor));
}

#[test]
fn p11_access_wrong_role_is_refused_and_changes_nothing() {
    let mut centre = Centre::new();
    let (_, din) = centre
        .walk_in("Pike", date!(1990 - 01 - 01), Procedure::WholeBlood)
        .unwrap();
    let before = centre.state.clone();
    let command = Command::Client(ClientCommand::Manufacturing(
        ManufacturingCommand::ProduceComponents {
            din: din.clone(),
            recipe: "rbc_ffp".into(),
        },
    ));
    let refusal = centre
        .run(Role::CollectionStaff, command.clone())
        .unwrap_err();
    assert_eq!(refusal.rule, "P11-ACCESS");
    assert!(refusal.message.contains("manufacturing"));
    assert_eq!(centre.state, before);
    for role in [
        Role::HospitalUser,
        Role::Distribution,
        Role::LabTechnologist,
    ] {
        assert_eq!(
            centre.run(role, command.clone()).unwrap_err().rule,
            "P11-ACCESS"
        );
    }
    assert!(centre.run(Role::Manufacturing, command).is_ok());
}

// ---------------------------------------------------------------- records (computed only)

use hemaflow_domain::lookback::clocks as records;
use hemaflow_domain::lookback::lookbacks::Trigger;

#[test]
fn rec_retain_ten_years_after_processing_or_six_months_after_expiry_whichever_is_later() {
    assert_eq!(
        records::retain_until(date!(2026 - 03 - 02), Some(date!(2027 - 03 - 02))),
        Some(date!(2036 - 03 - 02))
    );
    // A 10-year frozen unit expiring after the 10 years: 6 months after its expiry.
    assert_eq!(
        records::retain_until(date!(2026 - 03 - 02), Some(date!(2036 - 08 - 31))),
        Some(date!(2037 - 02 - 28))
    );
    assert_eq!(records::retain_until(date!(2026 - 03 - 02), None), None);
}

#[test]
fn bpd_45_report_due_45_calendar_days_after_discovery() {
    assert_eq!(
        records::deviation_report_due(date!(2026 - 12 - 20)),
        date!(2027 - 02 - 03)
    );
}

#[test]
fn fatal_7_written_report_due_within_7_days() {
    assert_eq!(
        records::fatality_written_report_due(date!(2026 - 02 - 25)),
        date!(2026 - 03 - 04)
    );
}

#[test]
fn recall_class_only_i_ii_iii() {
    assert_eq!(
        records::RecallClass::parse("Class II"),
        Some(records::RecallClass::II)
    );
    assert_eq!(records::RecallClass::parse("IV"), None);
    assert!(records::RecallClass::I.meaning().contains("death"));
}

#[test]
fn lb_deadlines_3_calendar_days_45_days_and_12_weeks() {
    let due = records::lookback_deadlines(date!(2026 - 12 - 30));
    assert_eq!(due.quarantine_and_notify_consignees, date!(2027 - 01 - 02));
    assert_eq!(
        due.supplemental_results_to_consignees,
        date!(2027 - 02 - 13)
    );
    assert_eq!(
        records::recipient_notification_due(date!(2027 - 01 - 01)),
        date!(2027 - 03 - 26)
    );
}

#[test]
fn lb_window_donations_in_the_12_months_before_the_last_nonreactive_screening() {
    let mut centre = Centre::new();
    let donor = centre
        .register(identity("Webb", "Al", date!(1980 - 01 - 01), Sex::Male))
        .unwrap();
    let mut dins = Vec::new();
    // Four donations 200 days apart, all negative, then a reactive one.
    for _ in 0..4 {
        let s = centre
            .screen(&donor, Procedure::WholeBlood, healthy_screening())
            .unwrap();
        let din = centre.collect(&donor, &s, 470, "TX").unwrap();
        centre.all_negative(&din).unwrap();
        dins.push(din);
        centre.advance(Duration::days(200));
    }
    let s = centre
        .screen(&donor, Procedure::WholeBlood, healthy_screening())
        .unwrap();
    let reactive = centre.collect(&donor, &s, 470, "TX").unwrap();
    centre
        .result(&reactive, "hiv_nat", Stage::Initial, Reading::Reactive)
        .unwrap();
    let lookback = centre
        .state
        .lookback
        .lookbacks
        .values()
        .next()
        .expect("the reactive result started a lookback");
    assert_eq!(
        lookback.trigger,
        Trigger::Result {
            din: reactive.clone(),
            test: "hiv_nat".into()
        }
    );
    let window: Vec<&str> = lookback
        .window
        .donations
        .iter()
        .map(String::as_str)
        .collect();
    // The last nonreactive is the 4th; the 3rd is 200 days before it; the 2nd is 400.
    assert_eq!(window, vec![dins[3].as_str(), dins[2].as_str()]);
}

#[test]
fn elig_deferred_is_looked_up_at_registration() {
    let mut centre = Centre::new();
    let donor = centre
        .register(identity("Quinn", "Mo", date!(1977 - 07 - 17), Sex::Female))
        .unwrap();
    centre
        .run(
            Role::QualityAssurance,
            Command::Client(ClientCommand::DonorCentre(DonorCentreCommand::DeferDonor {
                donor_id: donor.clone(),
                reason: "hiv_positive".into(),
                starts: None,
                notes: "".into(),
            })),
        )
        .unwrap();
    let desk = identity("Quinn", "Maureen", date!(1977 - 07 - 17), Sex::Female);
    let found = queries::deferral_lookup(&centre.state, &desk, centre.now.date());
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0.id, donor);
    assert_eq!(found[0].1[0].kind, DeferralKind::Permanent);
    let refusal = centre
        .register(identity("Quinn", "Mo", date!(1977 - 07 - 17), Sex::Female))
        .unwrap_err();
    assert!(
        refusal.message.contains("currently deferred"),
        "{}",
        refusal.message
    );
}

#[test]
fn def_reasons_refuses_a_deferral_that_starts_in_the_future_or_off_the_calendar() {
    let mut centre = Centre::new();
    let donor = centre
        .register(identity("Far", "Out", date!(1980 - 01 - 01), Sex::Male))
        .unwrap();
    for starts in [date!(2027 - 01 - 01), time::Date::MAX] {
        let command = Command::Client(ClientCommand::DonorCentre(DonorCentreCommand::DeferDonor {
            donor_id: donor.clone(),
            reason: "pregnancy".into(),
            starts: Some(starts),
            notes: "".into(),
        }));
        assert_eq!(
            centre
                .run(Role::QualityAssurance, command)
                .unwrap_err()
                .rule,
            "DEF-REASONS"
        );
    }
    assert_eq!(
        records::deviation_report_due(time::Date::MAX),
        time::Date::MAX
    );
}

#[test]
fn test_abo_twice_a_discrepancy_after_release_quarantines_and_after_shipping_opens_a_review() {
    let mut centre = Centre::new();
    let (din, ids) = tested(&mut centre, "rbc_ffp");
    for id in &ids {
        centre.verify_label(id).unwrap();
        centre.release(id).unwrap();
    }
    centre
        .run(
            Role::Distribution,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::ShipComponent {
                    component: ids[1].clone(),
                    consignee: "Mercy".into(),
                },
            )),
        )
        .unwrap();
    let events = centre
        .run(
            Role::LabTechnologist,
            Command::Client(ClientCommand::Lab(LabCommand::RecordBloodGroup {
                din: din.clone(),
                abo: Abo::B,
                rhd: RhD::Positive,
            })),
        )
        .unwrap();
    assert_eq!(
        centre.component(&ids[0]).unwrap().status,
        Status::Quarantined
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Release(ReleaseEvent::TaskOpened { task }) if task.reason.contains(&ids[1])))
    );
    hemaflow_domain::invariants::check(&centre.state).unwrap();
}

#[test]
fn test_abo_twice_a_resolution_that_changes_the_donor_history_holds_earlier_donations() {
    let mut centre = Centre::new();
    let (first, ids) = tested(&mut centre, "rbc_ffp");
    centre.verify_label(&ids[0]).unwrap();
    centre.release(&ids[0]).unwrap();
    let donor = centre.state.donations[&first].donor_id.clone();
    centre.advance(Duration::days(60));
    let s = centre
        .screen(&donor, Procedure::WholeBlood, healthy_screening())
        .unwrap();
    let second = centre.collect(&donor, &s, 470, "TX").unwrap();
    // Typed A: disagrees with the O history; investigated and resolved as A.
    centre
        .run(
            Role::LabTechnologist,
            Command::Client(ClientCommand::Lab(LabCommand::RecordBloodGroup {
                din: second.clone(),
                abo: Abo::A,
                rhd: RhD::Positive,
            })),
        )
        .unwrap();
    let resolve = Command::Client(ClientCommand::Lab(LabCommand::ResolveBloodGroup {
        din: second,
        abo: Abo::A,
        rhd: RhD::Positive,
        reason: "earlier typing was a sample mix-up".into(),
    }));
    let events = centre.run(Role::QualityAssurance, resolve).unwrap();
    assert!(events.iter().any(|e| matches!(e, Event::Release(ReleaseEvent::HoldPlaced { hold }) if matches!(&hold.target, HoldTarget::Donation { din } if *din == first))));
    assert_eq!(
        centre.component(&ids[0]).unwrap().status,
        Status::Quarantined
    );
    hemaflow_domain::invariants::check(&centre.state).unwrap();
}

#[test]
fn test_bact_a_shorter_dating_recorded_late_expires_a_released_unit_at_once() {
    let mut centre = Centre::new();
    let (_, ids) = platelet_donation(&mut centre, "platelets_single");
    let plt = ids[0].clone();
    centre
        .run(
            Role::Manufacturing,
            Command::Client(ClientCommand::Manufacturing(
                ManufacturingCommand::RecordBacterialControl {
                    component: plt.clone(),
                    method: "lvds_48h".into(),
                },
            )),
        )
        .unwrap();
    centre.verify_label(&plt).unwrap();
    centre.release(&plt).unwrap();
    centre.advance(Duration::days(4));
    centre
        .run(
            Role::Manufacturing,
            Command::Client(ClientCommand::Manufacturing(
                ManufacturingCommand::RecordBacterialControl {
                    component: plt.clone(),
                    method: "primary_culture_24h".into(),
                },
            )),
        )
        .unwrap();
    assert_eq!(centre.component(&plt).unwrap().status, Status::Expired);
    hemaflow_domain::invariants::check(&centre.state).unwrap();
}
