//! The transfusion service's rules, each through `decide` and `evolve` on a centre that
//! collected, tested, released and shipped the units to the hospital: patients (TX-PATIENT),
//! samples (XM-SAMPLE, TX-TYPE), retype (XM-RETYPE), crossmatch (XM-ELECTRONIC, COMPAT-*,
//! TX-REQUIRE), issue (TX-UNIT, TX-WRONG-PATIENT), bedside (TX-BEDSIDE), fates (TX-FATE),
//! reactions (TX-REACTION), emergency release (EMERG-RELEASE) and the protocol (TX-MTP).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use hemaflow_domain::access::roles::Role;
use hemaflow_domain::distribution::sites::Celsius;
use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_domain::transfusion::emergency::{Imputability, ReactionCategory, Severity};
use hemaflow_domain::transfusion::patients::{Antigen, PatientSex, RecentHistory, Requirement};
use hemaflow_domain::transfusion::settings::ServiceSettings;
use hemaflow_domain::transfusion::units::XmMethod;
use hemaflow_domain::{AccessCommand, ReleaseCommand, Rule, TransfusionCommand as Tx};
use hemaflow_testkit::scenario::Centre;
use hemaflow_testkit::transfusion::{NURSE, NURSE2, OTHER_TECH, TECH, vitals, wristband};
use time::Duration;
use time::macros::{date, datetime};

const ADULT_MALE: time::Date = date!(1970 - 05 - 01);
const YOUNG_FEMALE: time::Date = date!(1995 - 08 - 20);

fn service() -> Centre {
    let mut centre = Centre::new();
    centre.open_transfusion_service().unwrap();
    centre
}

/// Red cells and plasma of one donation of the group, delivered to Mercy: (red cells, plasma).
fn delivered(centre: &mut Centre, order: &str, abo: Abo, rhd: RhD) -> (String, String) {
    let ids = centre.released_units("rbc_ffp", abo, rhd).unwrap();
    centre.deliver(order, &ids).unwrap();
    (ids[0].clone(), ids[1].clone())
}

/// A patient of group A+ with two concordant determinations (history and sample S-1) and a
/// negative screen: eligible for electronic crossmatch.
fn eligible_patient(centre: &mut Centre) -> String {
    let band = centre
        .admit(
            "1001",
            PatientSex::Male,
            ADULT_MALE,
            Some((Abo::A, RhD::Positive)),
        )
        .unwrap();
    centre
        .type_and_screen_patient("S-1", &band, (Abo::A, RhD::Positive), false)
        .unwrap();
    band
}

fn rule(result: Result<Vec<hemaflow_domain::Event>, hemaflow_domain::Refusal>) -> Rule {
    result.expect_err("refused").rule
}

fn message(result: Result<Vec<hemaflow_domain::Event>, hemaflow_domain::Refusal>) -> String {
    result.expect_err("refused").message
}

/// The whole path: receive, retype, electronic crossmatch, issue, bedside, end.
fn transfused(centre: &mut Centre) -> (String, String) {
    let (rbc, _) = delivered(centre, "ORD-1", Abo::O, RhD::Positive);
    let band = eligible_patient(centre);
    centre.retype(&rbc).unwrap();
    centre.electronic_crossmatch("S-1", &band, &rbc).unwrap();
    centre.issue(&rbc, &band).unwrap();
    centre
        .nurse(Tx::StartTransfusion {
            component: rbc.clone(),
            wristband: band.clone(),
            second_checker: None,
            vitals: vitals(),
        })
        .unwrap();
    centre.advance(Duration::hours(2));
    centre
        .nurse(Tx::EndTransfusion {
            component: rbc.clone(),
            volume_ml: 300,
            vitals: vitals(),
        })
        .unwrap();
    (rbc, band)
}

// ------------------------------------------------------------------ patients

#[test]
fn tx_patient_a_wristband_is_025_and_a_unit_barcode_in_the_patient_field_is_refused() {
    let mut centre = service();
    let (rbc, _) = delivered(&mut centre, "ORD-1", Abo::O, RhD::Positive);
    let din = centre.component(&rbc).unwrap().din.clone();
    for (scan, expected) in [
        (format!("={din}00"), "donation number (DIN)"),
        ("=<E0382V00".to_owned(), "product code"),
        (
            "=#0119700501".to_owned(),
            "no patient identification number",
        ),
        ("hello".to_owned(), "not ISBT 128"),
        (String::new(), "no wristband"),
    ] {
        let refused = centre.tech(Tx::RegisterPatient {
            wristband: scan.clone(),
            mrn: "MRN-1".into(),
            family_name: "Doe".into(),
            given_name: "Jo".into(),
            sex: PatientSex::Female,
            born: None,
            recent_history: RecentHistory::Unknown,
            historical_group: None,
            known_antibodies: vec![],
            requirements: vec![],
        });
        let refusal = refused.expect_err(&scan);
        assert_eq!(refusal.rule, Rule::TxPatient, "{scan}");
        assert!(
            refusal.message.contains(expected),
            "{scan}: {}",
            refusal.message
        );
    }
    assert!(centre.state.transfusion.patients.is_empty());
    // The wristband's date of birth is the patient's: one read from the band is kept.
    let band = centre
        .admit("1001", PatientSex::Male, ADULT_MALE, None)
        .unwrap();
    let patient = centre.state.transfusion.patients.values().next().unwrap();
    assert_eq!(patient.born, Some(ADULT_MALE));
    assert_eq!(patient.wristband.number, "1001");
    // A band whose date of birth disagrees with the record is refused at every scan.
    let wrong = wristband("1001", date!(1971 - 05 - 01));
    let refused = centre.tech(Tx::ReceiveSample {
        sample_id: "S-9".into(),
        wristband: wrong,
        drawn_at: centre.now,
        drawn_by: "RN".into(),
    });
    assert!(message(refused).contains("date of birth"));
    assert!(!band.is_empty());
}

#[test]
fn tx_patient_a_second_record_with_the_same_mrn_or_wristband_is_refused() {
    let mut centre = service();
    centre
        .admit("1001", PatientSex::Male, ADULT_MALE, None)
        .unwrap();
    let again = centre.admit("1001", PatientSex::Male, ADULT_MALE, None);
    assert_eq!(again.unwrap_err().rule, Rule::TxPatient);
    // Another wristband number with the MRN of the first patient (MRN-1001).
    let refused = centre.tech(Tx::RegisterPatient {
        wristband: wristband("2002", ADULT_MALE),
        mrn: "mrn-1001".into(),
        family_name: "Other".into(),
        given_name: "Person".into(),
        sex: PatientSex::Male,
        born: None,
        recent_history: RecentHistory::Neither,
        historical_group: None,
        known_antibodies: vec![],
        requirements: vec![],
    });
    let refusal = refused.unwrap_err();
    assert_eq!(refusal.rule, Rule::TxPatient);
    assert!(refusal.message.contains("MRN"), "{}", refusal.message);
    assert_eq!(centre.state.transfusion.patients.len(), 1);
    // The same MRN at another hospital is another patient.
    centre
        .tx_as(
            OTHER_TECH,
            Role::TransfusionTechnologist,
            Tx::RegisterPatient {
                wristband: wristband("1001", ADULT_MALE),
                mrn: "MRN-1001".into(),
                family_name: "Else".into(),
                given_name: "Where".into(),
                sex: PatientSex::Male,
                born: None,
                recent_history: RecentHistory::Neither,
                historical_group: None,
                known_antibodies: vec![],
                requirements: vec![],
            },
        )
        .unwrap();
    assert_eq!(centre.state.transfusion.patients.len(), 2);
}

#[test]
fn tx_patient_a_technologist_acts_for_their_own_hospital_only() {
    let mut centre = service();
    let band = centre
        .admit("1001", PatientSex::Male, ADULT_MALE, None)
        .unwrap();
    // St Luke's technologist scanning Mercy's patient finds no such patient of St Luke's.
    let refused = centre.tx_as(
        OTHER_TECH,
        Role::TransfusionTechnologist,
        Tx::ReceiveSample {
            sample_id: "S-1".into(),
            wristband: band,
            drawn_at: centre.now,
            drawn_by: "RN".into(),
        },
    );
    assert_eq!(rule(refused), Rule::TxPatient);
    // An account of the role bound to no hospital is refused by the binding (P11-ACCESS).
    let unbound = centre.run(
        Role::Admin,
        AccessCommand::CreateUser {
            user_id: "floating.tech".into(),
            name: "Floating".into(),
            role: Role::TransfusionTechnologist,
            hospital: None,
        },
    );
    assert_eq!(rule(unbound), Rule::P11Access);
}

// ------------------------------------------------------------------ samples

#[test]
fn xm_sample_valid_through_23_59_of_day_3_when_transfused_pregnant_or_unknown() {
    let mut centre = service();
    // Monday 2 March 2026 08:00 UTC; the label time (and so the service's) is UTC by default.
    let band = centre
        .admit("1001", PatientSex::Male, ADULT_MALE, None)
        .unwrap();
    centre
        .tech(Tx::ReceiveSample {
            sample_id: "S-1".into(),
            wristband: band,
            drawn_at: datetime!(2026-03-02 07:00 UTC),
            drawn_by: "RN Lee".into(),
        })
        .unwrap();
    let sample = &centre.state.transfusion.samples["S-1"];
    // Drawn Monday (day 0): usable through Thursday 23:59.
    assert_eq!(sample.valid_until, datetime!(2026-03-06 00:00 UTC));
    assert!(sample.is_valid(datetime!(2026-03-05 23:59 UTC)));
    assert!(!sample.is_valid(datetime!(2026-03-06 00:00 UTC)));
    // Typing it on Friday is refused as expired.
    centre.now = datetime!(2026-03-06 00:30 UTC);
    let refused = centre.tech(Tx::TypeSample {
        sample_id: "S-1".into(),
        abo: Abo::O,
        rhd: RhD::Positive,
    });
    assert_eq!(rule(refused), Rule::XmSample);
}

#[test]
fn xm_sample_otherwise_the_service_s_configured_days_in_its_local_time() {
    let mut centre = service();
    let mut settings = ServiceSettings {
        sample_days_otherwise: 7,
        utc_offset_minutes: Some(-300),
        ..ServiceSettings::default()
    };
    centre
        .run(
            Role::Admin,
            Tx::ConfigureTransfusionService {
                hospital: "mercy".into(),
                settings: settings.clone(),
            },
        )
        .unwrap();
    centre
        .tech(Tx::RegisterPatient {
            wristband: wristband("3003", ADULT_MALE),
            mrn: "M3".into(),
            family_name: "Never".into(),
            given_name: "Transfused".into(),
            sex: PatientSex::Male,
            born: Some(ADULT_MALE),
            recent_history: RecentHistory::Neither,
            historical_group: None,
            known_antibodies: vec![],
            requirements: vec![],
        })
        .unwrap();
    // 02:00 UTC Monday is 21:00 Sunday in New York: Sunday is day 0, the next Sunday day 7.
    centre
        .tech(Tx::ReceiveSample {
            sample_id: "S-7".into(),
            wristband: wristband("3003", ADULT_MALE),
            drawn_at: datetime!(2026-03-02 02:00 UTC),
            drawn_by: "RN".into(),
        })
        .unwrap();
    assert_eq!(
        centre.state.transfusion.samples["S-7"].valid_until,
        datetime!(2026-03-09 00:00 -5).to_offset(time::UtcOffset::UTC)
    );
    // A service cannot configure a validity of 0 or of months.
    settings.sample_days_otherwise = 0;
    let refused = centre.run(
        Role::Admin,
        Tx::ConfigureTransfusionService {
            hospital: "mercy".into(),
            settings,
        },
    );
    assert_eq!(rule(refused), Rule::XmSample);
}

#[test]
fn tx_type_a_discrepancy_blocks_every_crossmatch_until_resolved() {
    let mut centre = service();
    let (rbc, _) = delivered(&mut centre, "ORD-1", Abo::O, RhD::Negative);
    centre.retype(&rbc).unwrap();
    let band = centre
        .admit(
            "1001",
            PatientSex::Male,
            ADULT_MALE,
            Some((Abo::A, RhD::Positive)),
        )
        .unwrap();
    // The new sample types as B: wrong blood in tube, or a wrong record.
    centre
        .type_and_screen_patient("S-1", &band, (Abo::B, RhD::Positive), false)
        .unwrap();
    let patient = centre.state.transfusion.patients.values().next().unwrap();
    assert!(patient.open_discrepancy().is_some());
    assert_eq!(patient.group(), None);
    let refused = centre.tech(Tx::CrossmatchUnit {
        sample_id: "S-1".into(),
        wristband: band.clone(),
        component: rbc.clone(),
        method: XmMethod::ImmediateSpin,
        compatible: Some(true),
        rhd_approved_by: None,
    });
    let refusal = refused.unwrap_err();
    assert_eq!(refusal.rule, Rule::TxType);
    assert!(
        refusal.message.contains("discrepant"),
        "{}",
        refusal.message
    );
    // Resolved as a wrong sample: it is set aside, and the historical group stands.
    centre
        .tech(Tx::ResolveDiscrepancy {
            sample_id: "S-1".into(),
            sample_wrong: true,
            reason: "wrong blood in tube: redraw".into(),
        })
        .unwrap();
    let patient = centre.state.transfusion.patients.values().next().unwrap();
    assert_eq!(patient.group(), Some((Abo::A, RhD::Positive)));
    let refused = centre.electronic_crossmatch("S-1", &band, &rbc);
    assert_eq!(rule(refused), Rule::TxType);
    // A redraw typing A+ crossmatches.
    centre
        .type_and_screen_patient("S-2", &band, (Abo::A, RhD::Positive), false)
        .unwrap();
    centre.electronic_crossmatch("S-2", &band, &rbc).unwrap();
}

#[test]
fn tx_type_a_second_patient_s_sample_is_refused_by_name() {
    let mut centre = service();
    let (rbc, _) = delivered(&mut centre, "ORD-1", Abo::O, RhD::Positive);
    centre.retype(&rbc).unwrap();
    let first = eligible_patient(&mut centre);
    let second = centre
        .admit("2002", PatientSex::Female, YOUNG_FEMALE, None)
        .unwrap();
    let refused = centre.electronic_crossmatch("S-1", &second, &rbc);
    let refusal = refused.unwrap_err();
    assert_eq!(refusal.rule, Rule::TxType);
    assert!(
        refusal.message.contains("Patient1001"),
        "{}",
        refusal.message
    );
    assert!(!first.is_empty());
    assert!(
        centre.state.transfusion.units[&rbc].crossmatches.is_empty(),
        "nothing recorded"
    );
}

// ------------------------------------------------------------------ retype and crossmatch

#[test]
fn xm_retype_a_red_cell_unit_is_retyped_before_crossmatch_and_a_mismatch_stops_it() {
    let mut centre = service();
    let (rbc, _) = delivered(&mut centre, "ORD-1", Abo::O, RhD::Negative);
    let (second, _) = delivered(&mut centre, "ORD-2", Abo::O, RhD::Negative);
    let band = eligible_patient(&mut centre);
    let refused = centre.electronic_crossmatch("S-1", &band, &rbc);
    assert_eq!(rule(refused), Rule::XmRetype);
    // Labelled RhD negative: the RhD must be confirmed too.
    let refused = centre.tech(Tx::RetypeUnit {
        component: rbc.clone(),
        abo: Abo::O,
        rhd: None,
    });
    assert_eq!(rule(refused), Rule::XmRetype);
    centre.retype(&rbc).unwrap();
    centre.electronic_crossmatch("S-1", &band, &rbc).unwrap();
    // A retype that finds group A on an O-labelled bag stops the unit for good.
    centre
        .tech(Tx::RetypeUnit {
            component: second.clone(),
            abo: Abo::A,
            rhd: Some(RhD::Negative),
        })
        .unwrap();
    let refused = centre.electronic_crossmatch("S-1", &band, &second);
    assert!(message(refused).contains("disagreed with its label"));
}

#[test]
fn xm_electronic_needs_two_determinations_a_negative_screen_and_no_antibody_history() {
    let mut centre = service();
    let (rbc, _) = delivered(&mut centre, "ORD-1", Abo::O, RhD::Positive);
    centre.retype(&rbc).unwrap();
    // One determination only (no history): serologic crossmatch needed.
    let band = centre
        .admit("1001", PatientSex::Male, ADULT_MALE, None)
        .unwrap();
    centre
        .type_and_screen_patient("S-1", &band, (Abo::A, RhD::Positive), false)
        .unwrap();
    let refusal = centre
        .electronic_crossmatch("S-1", &band, &rbc)
        .unwrap_err();
    assert_eq!(refusal.rule, Rule::XmElectronic);
    assert!(refusal.message.contains("second determination"));
    // A second sample confirms the group: now it is allowed.
    centre
        .type_and_screen_patient("S-2", &band, (Abo::A, RhD::Positive), false)
        .unwrap();
    centre.electronic_crossmatch("S-2", &band, &rbc).unwrap();

    // A positive screen: no electronic crossmatch, and no immediate spin either.
    let (rbc2, _) = delivered(&mut centre, "ORD-2", Abo::O, RhD::Positive);
    centre.retype(&rbc2).unwrap();
    let band2 = centre
        .admit(
            "2002",
            PatientSex::Male,
            ADULT_MALE,
            Some((Abo::O, RhD::Positive)),
        )
        .unwrap();
    centre
        .type_and_screen_patient("S-3", &band2, (Abo::O, RhD::Positive), true)
        .unwrap();
    let refusal = centre
        .electronic_crossmatch("S-3", &band2, &rbc2)
        .unwrap_err();
    assert_eq!(refusal.rule, Rule::XmElectronic);
    assert!(refusal.message.contains("screen is positive"));
    let spin = centre.tech(Tx::CrossmatchUnit {
        sample_id: "S-3".into(),
        wristband: band2.clone(),
        component: rbc2.clone(),
        method: XmMethod::ImmediateSpin,
        compatible: Some(true),
        rhd_approved_by: None,
    });
    assert_eq!(rule(spin), Rule::TxRequire);
    centre
        .tech(Tx::CrossmatchUnit {
            sample_id: "S-3".into(),
            wristband: band2,
            component: rbc2.clone(),
            method: XmMethod::Antiglobulin,
            compatible: Some(true),
            rhd_approved_by: None,
        })
        .unwrap();
    // A validated system is the site's choice: off, no electronic crossmatch at all.
    let mut centre = service();
    let (rbc, _) = delivered(&mut centre, "ORD-1", Abo::O, RhD::Positive);
    centre.retype(&rbc).unwrap();
    let band = eligible_patient(&mut centre);
    centre
        .run(
            Role::Admin,
            Tx::ConfigureTransfusionService {
                hospital: "mercy".into(),
                settings: ServiceSettings {
                    electronic_crossmatch: false,
                    ..ServiceSettings::default()
                },
            },
        )
        .unwrap();
    let refusal = centre
        .electronic_crossmatch("S-1", &band, &rbc)
        .unwrap_err();
    assert!(refusal.message.contains("not validated"));
}

#[test]
fn compat_rbc_an_abo_incompatible_unit_is_refused_at_crossmatch() {
    let mut centre = service();
    let (rbc, _) = delivered(&mut centre, "ORD-1", Abo::B, RhD::Positive);
    centre.retype(&rbc).unwrap();
    let band = eligible_patient(&mut centre); // A+
    let refused = centre.electronic_crossmatch("S-1", &band, &rbc);
    assert_eq!(rule(refused), Rule::CompatRbc);
    // An incompatible serologic reading is recorded, and reserves nothing.
    let (o_pos, _) = delivered(&mut centre, "ORD-2", Abo::O, RhD::Positive);
    centre.retype(&o_pos).unwrap();
    centre
        .tech(Tx::CrossmatchUnit {
            sample_id: "S-1".into(),
            wristband: band.clone(),
            component: o_pos.clone(),
            method: XmMethod::Antiglobulin,
            compatible: Some(false),
            rhd_approved_by: None,
        })
        .unwrap();
    assert!(
        centre.state.transfusion.units[&o_pos]
            .reserved_for(centre.now)
            .is_none()
    );
    let refused = centre.issue(&o_pos, &band);
    assert_eq!(rule(refused), Rule::TxUnit);
}

#[test]
fn compat_rhd_an_rhd_negative_patient_gets_rhd_positive_red_cells_only_with_approval() {
    let mut centre = service();
    let (rbc, _) = delivered(&mut centre, "ORD-1", Abo::O, RhD::Positive);
    centre.retype(&rbc).unwrap();
    let band = centre
        .admit(
            "1001",
            PatientSex::Male,
            ADULT_MALE,
            Some((Abo::O, RhD::Negative)),
        )
        .unwrap();
    centre
        .type_and_screen_patient("S-1", &band, (Abo::O, RhD::Negative), false)
        .unwrap();
    let refused = centre.electronic_crossmatch("S-1", &band, &rbc);
    assert_eq!(rule(refused), Rule::CompatRhd);
    centre
        .tech(Tx::CrossmatchUnit {
            sample_id: "S-1".into(),
            wristband: band.clone(),
            component: rbc.clone(),
            method: XmMethod::Electronic,
            compatible: None,
            rhd_approved_by: Some("Dr Okafor".into()),
        })
        .unwrap();
    centre.issue(&rbc, &band).unwrap();
}

#[test]
fn compat_plasma_plasma_is_issued_on_the_current_type_without_crossmatch() {
    let mut centre = service();
    let (_, a_plasma) = delivered(&mut centre, "ORD-1", Abo::A, RhD::Positive);
    let (_, o_plasma) = delivered(&mut centre, "ORD-2", Abo::O, RhD::Positive);
    let band = eligible_patient(&mut centre); // A+
    let refused = centre.issue(&o_plasma, &band);
    assert_eq!(rule(refused), Rule::CompatPlasma);
    centre.issue(&a_plasma, &band).unwrap();
    // Plasma is not crossmatched.
    let (_, other) = delivered(&mut centre, "ORD-3", Abo::AB, RhD::Positive);
    let refused = centre.electronic_crossmatch("S-1", &band, &other);
    assert_eq!(rule(refused), Rule::TxInput);
}

#[test]
fn tx_require_special_requirements_and_antigen_negative_units_for_life() {
    let mut centre = service();
    let (rbc, _) = delivered(&mut centre, "ORD-1", Abo::O, RhD::Positive);
    centre.retype(&rbc).unwrap();
    let band = eligible_patient(&mut centre);
    centre
        .tech(Tx::AddRequirement {
            wristband: band.clone(),
            requirement: Requirement::Irradiated,
            reason: "stem-cell transplant".into(),
        })
        .unwrap();
    let refusal = centre
        .electronic_crossmatch("S-1", &band, &rbc)
        .unwrap_err();
    assert_eq!(refusal.rule, Rule::TxRequire);
    assert!(
        refusal.message.contains("irradiated"),
        "{}",
        refusal.message
    );

    // An anti-K patient: antiglobulin crossmatch with K-negative units only.
    let mut centre = service();
    let (rbc, _) = delivered(&mut centre, "ORD-1", Abo::O, RhD::Positive);
    centre.retype(&rbc).unwrap();
    let band = eligible_patient(&mut centre);
    centre
        .type_and_screen_patient("S-2", &band, (Abo::A, RhD::Positive), true)
        .unwrap();
    centre
        .tech(Tx::IdentifyAntibodies {
            sample_id: "S-2".into(),
            antigens: vec![Antigen::K],
        })
        .unwrap();
    let xm = |centre: &mut Centre| {
        centre.tech(Tx::CrossmatchUnit {
            sample_id: "S-2".into(),
            wristband: band.clone(),
            component: rbc.clone(),
            method: XmMethod::Antiglobulin,
            compatible: Some(true),
            rhd_approved_by: None,
        })
    };
    let refusal = xm(&mut centre).unwrap_err();
    assert_eq!(refusal.rule, Rule::TxRequire);
    assert!(
        refusal.message.contains("K-antigen negative"),
        "{}",
        refusal.message
    );
    centre
        .tech(Tx::TypeUnitAntigen {
            component: rbc.clone(),
            antigen: Antigen::K,
            negative: true,
        })
        .unwrap();
    xm(&mut centre).unwrap();
    // The antibody stays: a later negative screen does not open electronic crossmatch.
    centre
        .type_and_screen_patient("S-3", &band, (Abo::A, RhD::Positive), false)
        .unwrap();
    let (rbc2, _) = delivered(&mut centre, "ORD-2", Abo::O, RhD::Positive);
    centre.retype(&rbc2).unwrap();
    centre
        .tech(Tx::TypeUnitAntigen {
            component: rbc2.clone(),
            antigen: Antigen::K,
            negative: true,
        })
        .unwrap();
    let refusal = centre
        .electronic_crossmatch("S-3", &band, &rbc2)
        .unwrap_err();
    assert_eq!(refusal.rule, Rule::XmElectronic);
    assert!(refusal.message.contains("anti-K"), "{}", refusal.message);
}

// ------------------------------------------------------------------ issue

#[test]
fn tx_wrong_patient_a_unit_crossmatched_for_one_patient_is_refused_for_another() {
    let mut centre = service();
    let (rbc, _) = delivered(&mut centre, "ORD-1", Abo::O, RhD::Positive);
    centre.retype(&rbc).unwrap();
    let first = eligible_patient(&mut centre);
    centre.electronic_crossmatch("S-1", &first, &rbc).unwrap();
    let second = centre
        .admit(
            "2002",
            PatientSex::Male,
            ADULT_MALE,
            Some((Abo::O, RhD::Positive)),
        )
        .unwrap();
    centre
        .type_and_screen_patient("S-2", &second, (Abo::O, RhD::Positive), false)
        .unwrap();
    let before = centre.state.transfusion.clone();
    let refusal = centre.issue(&rbc, &second).unwrap_err();
    assert_eq!(refusal.rule, Rule::TxWrongPatient);
    assert!(
        refusal.message.contains("Patient1001"),
        "{}",
        refusal.message
    );
    assert_eq!(
        centre.state.transfusion, before,
        "a refusal changes nothing"
    );
    // Nor can it be crossmatched for the second while reserved for the first.
    let refused = centre.electronic_crossmatch("S-2", &second, &rbc);
    assert_eq!(rule(refused), Rule::TxWrongPatient);
    // At the bedside: issued to the first, the second's wristband is refused.
    centre.issue(&rbc, &first).unwrap();
    let refusal = centre
        .nurse(Tx::StartTransfusion {
            component: rbc.clone(),
            wristband: second,
            second_checker: None,
            vitals: vitals(),
        })
        .unwrap_err();
    assert_eq!(refusal.rule, Rule::TxWrongPatient);
    assert!(refusal.message.starts_with("STOP"), "{}", refusal.message);
}

#[test]
fn tx_unit_an_expired_held_or_unreceived_unit_is_never_issued() {
    let mut centre = service();
    let (rbc, _) = delivered(&mut centre, "ORD-1", Abo::O, RhD::Positive);
    centre.retype(&rbc).unwrap();
    let band = eligible_patient(&mut centre);
    centre.electronic_crossmatch("S-1", &band, &rbc).unwrap();
    // A hold placed at the blood centre (a recall) stops the issue.
    centre
        .run(
            Role::QualityAssurance,
            ReleaseCommand::PlaceHold {
                target: hemaflow_domain::release::gate::HoldTarget::Component { id: rbc.clone() },
                kind: hemaflow_domain::release::gate::HoldKind::Investigation,
                reason: "recall: donor post-donation information".into(),
            },
        )
        .unwrap();
    let refusal = centre.issue(&rbc, &band).unwrap_err();
    assert_eq!(refusal.rule, Rule::TxUnit);
    assert!(refusal.message.contains("hold"), "{}", refusal.message);
    // A unit still at the blood centre is not in the service's hands.
    let fresh = centre
        .released_units("rbc_ffp", Abo::O, RhD::Positive)
        .unwrap();
    let refused = centre.issue(&fresh[1], &band);
    assert!(message(refused).contains("scan it in on receipt"));
    // An expired unit.
    let (rbc2, _) = delivered(&mut centre, "ORD-2", Abo::O, RhD::Positive);
    centre.retype(&rbc2).unwrap();
    let expiry = centre.component(&rbc2).unwrap().expires_at;
    centre.now = expiry - Duration::hours(1);
    centre
        .type_and_screen_patient("S-9", &band, (Abo::A, RhD::Positive), false)
        .unwrap();
    centre.electronic_crossmatch("S-9", &band, &rbc2).unwrap();
    centre.now = expiry + Duration::minutes(1);
    let refused = centre.issue(&rbc2, &band);
    assert_eq!(rule(refused), Rule::RelExpire);
}

#[test]
fn xm_electronic_a_nurse_issues_from_a_remote_fridge_by_electronic_crossmatch_only() {
    let mut centre = service();
    let (rbc, _) = delivered(&mut centre, "ORD-1", Abo::O, RhD::Positive);
    centre.retype(&rbc).unwrap();
    let band = eligible_patient(&mut centre);
    let remote = |centre: &mut Centre, fridge: Option<&str>| {
        centre.nurse(Tx::IssueUnit {
            component: rbc.clone(),
            wristband: band.clone(),
            to: NURSE.into(),
            remote: fridge.map(str::to_owned),
        })
    };
    assert_eq!(rule(remote(&mut centre, None)), Rule::P11Access);
    let events = remote(&mut centre, Some("OR fridge 2")).unwrap();
    // One scan pair, one decision: the crossmatch and the issue.
    assert_eq!(events.len(), 2);
    let unit = &centre.state.transfusion.units[&rbc];
    assert_eq!(unit.crossmatches[0].method, XmMethod::Electronic);
    assert_eq!(
        unit.open_issue().unwrap().issue.remote.as_deref(),
        Some("OR fridge 2")
    );
}

// ------------------------------------------------------------------ bedside and fates

#[test]
fn tx_bedside_a_second_person_scans_their_own_badge_where_the_hospital_requires_it() {
    let mut centre = service();
    centre
        .run(
            Role::Admin,
            Tx::ConfigureTransfusionService {
                hospital: "mercy".into(),
                settings: ServiceSettings {
                    second_person_at_bedside: true,
                    ..ServiceSettings::default()
                },
            },
        )
        .unwrap();
    let (rbc, _) = delivered(&mut centre, "ORD-1", Abo::O, RhD::Positive);
    centre.retype(&rbc).unwrap();
    let band = eligible_patient(&mut centre);
    centre.electronic_crossmatch("S-1", &band, &rbc).unwrap();
    centre.issue(&rbc, &band).unwrap();
    let start = |centre: &mut Centre, second: Option<&str>, v| {
        centre.nurse(Tx::StartTransfusion {
            component: rbc.clone(),
            wristband: band.clone(),
            second_checker: second.map(str::to_owned),
            vitals: v,
        })
    };
    assert_eq!(rule(start(&mut centre, None, vitals())), Rule::TxBedside);
    assert_eq!(
        rule(start(&mut centre, Some(NURSE), vitals())),
        Rule::TxBedside
    );
    assert_eq!(
        rule(start(&mut centre, Some(OTHER_TECH), vitals())),
        Rule::TxBedside
    );
    let mut typo = vitals();
    typo.systolic = 1240;
    assert_eq!(
        rule(start(&mut centre, Some(NURSE2), typo)),
        Rule::TxBedside
    );
    start(&mut centre, Some(NURSE2), vitals()).unwrap();
    assert_eq!(
        rule(start(&mut centre, Some(NURSE2), vitals())),
        Rule::TxBedside
    );
    let record = centre.state.transfusion.units[&rbc].open_issue().unwrap();
    assert_eq!(
        record.start.as_ref().unwrap().second_checker.as_deref(),
        Some(NURSE2)
    );
}

#[test]
fn tx_fate_an_issued_unit_returns_to_stock_only_within_the_limit_and_range() {
    let mut centre = service();
    let (rbc, _) = delivered(&mut centre, "ORD-1", Abo::O, RhD::Positive);
    centre.retype(&rbc).unwrap();
    let band = eligible_patient(&mut centre);
    centre.electronic_crossmatch("S-1", &band, &rbc).unwrap();
    centre.issue(&rbc, &band).unwrap();
    let back = |centre: &mut Centre, minutes, c| {
        centre.tech(Tx::ReturnToStock {
            component: rbc.clone(),
            minutes_out: minutes,
            kept_at_c: Celsius::degrees(c),
        })
    };
    assert!(message(back(&mut centre, 31, 4)).contains("wasted"));
    assert_eq!(rule(back(&mut centre, 10, 14)), Rule::TxFate);
    back(&mut centre, 20, 4).unwrap();
    // Back in stock, still reserved for the patient: issued again, then wasted.
    centre.issue(&rbc, &band).unwrap();
    centre
        .tech(Tx::WasteUnit {
            component: rbc.clone(),
            reason: "bag punctured on the ward".into(),
        })
        .unwrap();
    let unit = &centre.state.transfusion.units[&rbc];
    assert_eq!(unit.issues.len(), 2);
    assert!(unit.issues.iter().all(|r| r.fate.is_some()));
    assert!(unit.is_gone());
    assert_eq!(rule(centre.issue(&rbc, &band)), Rule::TxUnit);
}

#[test]
fn tx_fate_a_hung_unit_ends_transfused_never_returned_or_wasted() {
    let mut centre = service();
    let (rbc, band) = transfused(&mut centre);
    let unit = &centre.state.transfusion.units[&rbc];
    assert!(matches!(
        unit.issues[0].fate,
        Some(hemaflow_domain::transfusion::units::Fate::Transfused { volume_ml: 300, .. })
    ));
    let refused = centre.tech(Tx::WasteUnit {
        component: rbc.clone(),
        reason: "x".into(),
    });
    assert_eq!(rule(refused), Rule::TxFate);
    // Transfused now: the patient's next sample is valid for 3 days whatever the settings.
    let patient = centre.state.transfusion.patients.values().next().unwrap();
    assert_eq!(patient.recent_history, RecentHistory::TransfusedOrPregnant);
    assert!(!band.is_empty());
}

#[test]
fn tx_reaction_reported_against_the_unit_hung_with_nhsn_category_severity_imputability() {
    let mut centre = service();
    let (_, plasma) = delivered(&mut centre, "ORD-9", Abo::AB, RhD::Positive);
    let (rbc, _) = transfused(&mut centre);
    let report = |centre: &mut Centre, unit: &str, id: &str| {
        centre.nurse(Tx::ReportReaction {
            reaction_id: id.into(),
            component: unit.into(),
            category: ReactionCategory::FebrileNonHemolytic,
            severity: Severity::NonSevere,
            imputability: Imputability::Probable,
            description: "temperature 38.6 C, chills, 40 min into the unit".into(),
        })
    };
    assert_eq!(rule(report(&mut centre, &plasma, "R-1")), Rule::TxReaction);
    report(&mut centre, &rbc, "R-1").unwrap();
    assert_eq!(rule(report(&mut centre, &rbc, "R-1")), Rule::TxReaction);
    let reaction = &centre.state.transfusion.reactions["R-1"];
    assert!(reaction.patient.ends_with("1001"));
}

// ------------------------------------------------------------------ emergency

#[test]
fn emerg_release_o_negative_for_a_female_under_50_and_signed_for_after_the_fact() {
    let mut centre = service();
    let (o_pos, _) = delivered(&mut centre, "ORD-1", Abo::O, RhD::Positive);
    let (o_neg, ab_plasma) = {
        let (r, _) = delivered(&mut centre, "ORD-2", Abo::O, RhD::Negative);
        let (_, p) = delivered(&mut centre, "ORD-3", Abo::AB, RhD::Positive);
        (r, p)
    };
    let (_, a_plasma) = delivered(&mut centre, "ORD-4", Abo::A, RhD::Positive);
    for unit in [&o_pos, &o_neg] {
        centre.retype(unit).unwrap();
    }
    let band = centre
        .admit("7001", PatientSex::Female, YOUNG_FEMALE, None)
        .unwrap();
    let release = |centre: &mut Centre, id: &str, units: &[&String]| {
        centre.tech(Tx::ReleaseEmergency {
            release_id: id.into(),
            wristband: band.clone(),
            components: units.iter().map(|u| (*u).clone()).collect(),
            physician: "Dr Patel (trauma)".into(),
            reason: "haemorrhagic shock, no time to type".into(),
        })
    };
    assert_eq!(
        rule(release(&mut centre, "ER-1", &[&o_pos])),
        Rule::EmergRelease
    );
    assert_eq!(
        rule(release(&mut centre, "ER-1", &[&a_plasma])),
        Rule::EmergRelease
    );
    release(&mut centre, "ER-1", &[&o_neg, &ab_plasma]).unwrap();
    let unit = &centre.state.transfusion.units[&o_neg];
    let issue = &unit.open_issue().unwrap().issue;
    assert_eq!(issue.emergency.as_deref(), Some("ER-1"));
    assert!(issue.notes[0].contains("UNCROSSMATCHED"));
    // QA cannot close it before the physician's signature is on record.
    let review = |centre: &mut Centre| {
        centre.run(
            Role::QualityAssurance,
            Tx::ReviewEmergencyRelease {
                release_id: "ER-1".into(),
                note: "justified".into(),
            },
        )
    };
    assert_eq!(rule(review(&mut centre)), Rule::EmergRelease);
    centre.advance(Duration::hours(2));
    centre
        .tech(Tx::SignEmergencyRelease {
            release_id: "ER-1".into(),
            physician: "Dr Patel".into(),
            signed_at: centre.now - Duration::minutes(30),
        })
        .unwrap();
    review(&mut centre).unwrap();
    // The crossmatch is completed afterwards on the patient's first sample.
    centre
        .type_and_screen_patient("S-1", &band, (Abo::A, RhD::Negative), false)
        .unwrap();
    centre
        .tech(Tx::CrossmatchUnit {
            sample_id: "S-1".into(),
            wristband: band.clone(),
            component: o_neg.clone(),
            method: XmMethod::Antiglobulin,
            compatible: Some(true),
            rhd_approved_by: None,
        })
        .unwrap();
    assert!(centre.state.transfusion.units[&o_neg].crossmatches[0].retrospective);
}

#[test]
fn emerg_release_an_adult_male_may_get_o_positive_and_a_typed_patient_group_specific() {
    let mut centre = service();
    let (o_pos, _) = delivered(&mut centre, "ORD-1", Abo::O, RhD::Positive);
    let (a_pos, _) = delivered(&mut centre, "ORD-2", Abo::A, RhD::Positive);
    let (b_pos, _) = delivered(&mut centre, "ORD-3", Abo::B, RhD::Positive);
    for unit in [&o_pos, &a_pos, &b_pos] {
        centre.retype(unit).unwrap();
    }
    let band = centre
        .admit("8001", PatientSex::Male, ADULT_MALE, None)
        .unwrap();
    centre
        .tech(Tx::ReleaseEmergency {
            release_id: "ER-1".into(),
            wristband: band.clone(),
            components: vec![o_pos],
            physician: "Dr Patel".into(),
            reason: "bleeding".into(),
        })
        .unwrap();
    // Once a current sample is typed, units are group-specific.
    centre
        .type_and_screen_patient("S-1", &band, (Abo::A, RhD::Positive), false)
        .unwrap();
    let release = |centre: &mut Centre, id: &str, unit: &String| {
        centre.tech(Tx::ReleaseEmergency {
            release_id: id.into(),
            wristband: band.clone(),
            components: vec![unit.clone()],
            physician: "Dr Patel".into(),
            reason: "still bleeding".into(),
        })
    };
    assert_eq!(rule(release(&mut centre, "ER-2", &b_pos)), Rule::CompatRbc);
    release(&mut centre, "ER-2", &a_pos).unwrap();
}

#[test]
fn tx_mtp_rounds_of_the_configured_pack_until_stood_down() {
    let mut centre = service();
    centre
        .run(
            Role::Admin,
            Tx::ConfigureTransfusionService {
                hospital: "mercy".into(),
                settings: ServiceSettings {
                    mtp_pack: vec![
                        hemaflow_domain::transfusion::settings::PackLine {
                            family: hemaflow_domain::manufacturing::components::Family::RedCells,
                            quantity: 2,
                        },
                        hemaflow_domain::transfusion::settings::PackLine {
                            family: hemaflow_domain::manufacturing::components::Family::Plasma,
                            quantity: 2,
                        },
                    ],
                    ..ServiceSettings::default()
                },
            },
        )
        .unwrap();
    let mut reds = Vec::new();
    let mut plasmas = Vec::new();
    for (i, (abo, rhd)) in [
        (Abo::O, RhD::Negative),
        (Abo::O, RhD::Negative),
        (Abo::AB, RhD::Positive),
        (Abo::AB, RhD::Positive),
    ]
    .into_iter()
    .enumerate()
    {
        let (r, p) = delivered(&mut centre, &format!("ORD-{i}"), abo, rhd);
        reds.push(r);
        plasmas.push(p);
    }
    for r in &reds {
        centre.retype(r).unwrap();
    }
    let band = centre
        .admit("9001", PatientSex::Unknown, YOUNG_FEMALE, None)
        .unwrap();
    centre
        .tech(Tx::ActivateMtp {
            release_id: "MTP-1".into(),
            wristband: band.clone(),
            physician: "Dr Chen".into(),
            reason: "massive haemorrhage".into(),
        })
        .unwrap();
    let round = |centre: &mut Centre, units: Vec<String>| {
        centre.tech(Tx::IssueMtpRound {
            release_id: "MTP-1".into(),
            components: units,
        })
    };
    // One red cell short of the pack.
    let refusal = round(
        &mut centre,
        vec![reds[0].clone(), plasmas[2].clone(), plasmas[3].clone()],
    )
    .unwrap_err();
    assert_eq!(refusal.rule, Rule::TxMtp);
    // AB red cells are not group O: unknown group.
    let refused = round(
        &mut centre,
        vec![
            reds[0].clone(),
            reds[2].clone(),
            plasmas[2].clone(),
            plasmas[3].clone(),
        ],
    );
    assert_eq!(rule(refused), Rule::EmergRelease);
    round(
        &mut centre,
        vec![
            reds[0].clone(),
            reds[1].clone(),
            plasmas[2].clone(),
            plasmas[3].clone(),
        ],
    )
    .unwrap();
    let protocol = &centre.state.transfusion.emergencies["MTP-1"];
    assert_eq!(protocol.protocol.as_ref().unwrap().rounds.len(), 1);
    assert_eq!(protocol.components.len(), 4);
    centre
        .tech(Tx::StandDownMtp {
            release_id: "MTP-1".into(),
            note: "bleeding controlled".into(),
        })
        .unwrap();
    let refused = round(&mut centre, vec![]);
    assert_eq!(rule(refused), Rule::TxMtp);
}

#[test]
fn p11_access_a_nurse_cannot_crossmatch_and_a_technologist_cannot_hang_a_unit() {
    let mut centre = service();
    let (rbc, _) = delivered(&mut centre, "ORD-1", Abo::O, RhD::Positive);
    let band = eligible_patient(&mut centre);
    let refused = centre.tx_as(
        NURSE,
        Role::Nurse,
        Tx::RetypeUnit {
            component: rbc.clone(),
            abo: Abo::O,
            rhd: None,
        },
    );
    assert_eq!(rule(refused), Rule::P11Access);
    let refused = centre.tx_as(
        TECH,
        Role::TransfusionTechnologist,
        Tx::StartTransfusion {
            component: rbc,
            wristband: band,
            second_checker: None,
            vitals: vitals(),
        },
    );
    assert_eq!(rule(refused), Rule::P11Access);
}

#[test]
fn compat_plt_platelets_of_another_group_are_issued_with_the_warning_and_rhig_note_on_record() {
    let mut centre = service();
    let ids = centre
        .released_units("rbc_ffp_platelets", Abo::O, RhD::Positive)
        .unwrap();
    let platelets = ids
        .iter()
        .find(|id| {
            centre.component(id).unwrap().family
                == hemaflow_domain::manufacturing::components::Family::Platelets
        })
        .unwrap()
        .clone();
    centre
        .deliver("ORD-P", std::slice::from_ref(&platelets))
        .unwrap();
    let band = centre
        .admit(
            "1001",
            PatientSex::Male,
            ADULT_MALE,
            Some((Abo::A, RhD::Negative)),
        )
        .unwrap();
    centre
        .type_and_screen_patient("S-1", &band, (Abo::A, RhD::Negative), false)
        .unwrap();
    centre.issue(&platelets, &band).unwrap();
    let notes = &centre.state.transfusion.units[&platelets]
        .open_issue()
        .unwrap()
        .issue
        .notes;
    assert!(notes.iter().any(|n| n.contains("RhIG")), "{notes:?}");
}

#[test]
fn compat_cryo_cryo_of_any_group_is_issued_on_the_current_type() {
    let mut centre = service();
    let ids = centre
        .released_units("rbc_cryo", Abo::B, RhD::Positive)
        .unwrap();
    let cryo = ids
        .iter()
        .find(|id| {
            centre.component(id).unwrap().family
                == hemaflow_domain::manufacturing::components::Family::Cryo
        })
        .unwrap()
        .clone();
    centre
        .deliver("ORD-C", std::slice::from_ref(&cryo))
        .unwrap();
    let band = eligible_patient(&mut centre); // A+
    centre.issue(&cryo, &band).unwrap();
}

#[test]
fn tx_input_empty_or_absurd_fields_are_refused_and_change_nothing() {
    let mut centre = service();
    let band = wristband("1001", ADULT_MALE);
    let mut register = |mrn: &str, family: &str| {
        centre.tech(Tx::RegisterPatient {
            wristband: band.clone(),
            mrn: mrn.into(),
            family_name: family.into(),
            given_name: "Jo".into(),
            sex: PatientSex::Male,
            born: None,
            recent_history: RecentHistory::Unknown,
            historical_group: None,
            known_antibodies: vec![],
            requirements: vec![],
        })
    };
    assert_eq!(rule(register("  ", "Doe")), Rule::TxInput);
    assert_eq!(rule(register("M1", &"x".repeat(201))), Rule::TxInput);
    register("M1", "Doe").unwrap();
    let (rbc, band) = transfused_on(&mut centre, &band);
    let refused = centre.nurse(Tx::EndTransfusion {
        component: rbc,
        volume_ml: 5000,
        vitals: vitals(),
    });
    assert_eq!(rule(refused), Rule::TxInput);
    assert!(!band.is_empty());
}

/// A unit hung for the patient of `band` (typed A+ twice), not yet ended.
fn transfused_on(centre: &mut Centre, band: &str) -> (String, String) {
    let (rbc, _) = delivered(centre, "ORD-1", Abo::O, RhD::Positive);
    centre.retype(&rbc).unwrap();
    for sample in ["S-1", "S-2"] {
        centre
            .type_and_screen_patient(sample, band, (Abo::A, RhD::Positive), false)
            .unwrap();
    }
    centre.electronic_crossmatch("S-2", band, &rbc).unwrap();
    centre.issue(&rbc, band).unwrap();
    centre
        .nurse(Tx::StartTransfusion {
            component: rbc.clone(),
            wristband: band.to_owned(),
            second_checker: None,
            vitals: vitals(),
        })
        .unwrap();
    (rbc, band.to_owned())
}

#[test]
fn compat_rbc_the_units_in_stock_that_suit_a_patient_are_chosen_by_group_requirement_and_retype() {
    let mut centre = service();
    let (o_pos, ab_plasma) = {
        let (r, _) = delivered(&mut centre, "ORD-1", Abo::O, RhD::Positive);
        let (_, p) = delivered(&mut centre, "ORD-2", Abo::AB, RhD::Positive);
        (r, p)
    };
    let (b_pos, o_plasma) = delivered(&mut centre, "ORD-3", Abo::B, RhD::Positive);
    let (not_retyped, _) = delivered(&mut centre, "ORD-4", Abo::A, RhD::Positive);
    for unit in [&o_pos, &b_pos] {
        centre.retype(unit).unwrap();
    }
    let band = eligible_patient(&mut centre); // A+
    let patient = centre
        .state
        .transfusion
        .patients
        .values()
        .next()
        .unwrap()
        .clone();
    let (sample, units) =
        hemaflow_domain::transfusion::bench::suitable_units(&centre.state, &patient, centre.now)
            .expect("a ready sample");
    assert_eq!(sample.id, "S-1");
    let ids: Vec<&str> = units.iter().map(|(c, _)| c.id.as_str()).collect();
    assert!(
        ids.contains(&o_pos.as_str()) && ids.contains(&ab_plasma.as_str()),
        "{ids:?}"
    );
    for unfit in [&b_pos, &o_plasma, &not_retyped] {
        assert!(!ids.contains(&unfit.as_str()), "{unfit} offered: {ids:?}");
    }
    // Once the patient needs irradiated units, none of these suits.
    centre
        .tech(Tx::AddRequirement {
            wristband: band,
            requirement: Requirement::Irradiated,
            reason: "fludarabine".into(),
        })
        .unwrap();
    let patient = centre
        .state
        .transfusion
        .patients
        .values()
        .next()
        .unwrap()
        .clone();
    let (_, units) =
        hemaflow_domain::transfusion::bench::suitable_units(&centre.state, &patient, centre.now)
            .unwrap();
    assert!(units.is_empty());
}
