//! LABEL-FINAL and LABEL-VERIFY: the final label built from the record, and the check of an
//! applied label that stands between a unit and its release.

// A step that fails in a test should stop the test where it failed.
#![allow(clippy::unwrap_used)]

use hemaflow_domain::command::Command;
use hemaflow_domain::donor_centre::eligibility::Procedure;
use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_domain::manufacturing::components::Status;
use hemaflow_domain::manufacturing::label::{FinalLabelAt, final_label, product_description};
use hemaflow_domain::{AccessCommand, ClientCommand, ManufacturingCommand};
use hemaflow_domain::{Config, Role};
use hemaflow_testkit::scenario::Centre;
use time::Duration;
use time::macros::date;

/// A whole-blood donation tested negative and typed: its red cells, ready but for the label.
fn ready_unit(centre: &mut Centre, abo: Abo, rhd: RhD) -> String {
    let name = format!("Okafor {}", centre.state.donors.len());
    let (_, din) = centre
        .walk_in(&name, date!(1985 - 01 - 02), Procedure::WholeBlood)
        .unwrap();
    let ids = centre.produce(&din, "rbc_ffp").unwrap();
    centre.all_negative(&din).unwrap();
    centre.type_and_screen(&din, abo, rhd).unwrap();
    ids[0].clone()
}

fn scans(centre: &Centre, id: &str) -> Vec<String> {
    final_label(&centre.state, id, centre.now)
        .unwrap()
        .scans()
        .map(str::to_owned)
        .to_vec()
}

/// The rule of a refused scan, checking that it changed nothing and left the unit unreleasable.
fn refused(centre: &mut Centre, id: &str, scans: Vec<String>) -> &'static str {
    let before = centre.state.clone();
    let refusal = centre.scan_label(id, scans).unwrap_err();
    assert_eq!(centre.state.components, before.components);
    assert!(!centre.component(id).unwrap().label_verified);
    let release = centre.release(id).unwrap_err();
    assert!(release.message.contains("label"), "{release}");
    refusal.rule.as_str()
}

#[test]
fn label_final_carries_the_record_din_flags_group_product_and_local_expiry() {
    let mut centre = Centre::new();
    let id = ready_unit(&mut centre, Abo::O, RhD::Negative);
    let unit = centre.component(&id).unwrap().clone();
    let label = final_label(&centre.state, &id, centre.now).unwrap();
    assert_eq!(label.din, format!("={}00", unit.din));
    assert_eq!(label.blood_group, "=%9500");
    assert_eq!(label.product, format!("=<{}", unit.product_code));
    // Collected 2026-03-02 08:00 UTC; red cells keep 42 days: 13 April = day 103.
    assert_eq!(
        unit.expires_at.to_string(),
        "2026-04-13 8:00:00.0 +00:00:00"
    );
    assert_eq!(label.expiry, "&>0261030800");
    assert!(label.description.starts_with("RED BLOOD CELLS"));
    // A site five hours behind UTC prints its local time.
    let mut config = Config::default();
    config.labels.utc_offset_minutes = -300;
    centre.state.config = config.into();
    let label = final_label(&centre.state, &id, centre.now).unwrap();
    assert_eq!(label.expiry, "&>0261030300");
}

#[test]
fn label_final_description_comes_from_the_domain_catalogue_for_every_local_code() {
    let config = Config::default();
    for (code, kind) in &config.catalogue {
        let product = format!("{code}V00");
        assert_eq!(
            product_description(&config, &product),
            Some(kind.name.clone())
        );
        assert!(
            hemaflow_isbt128::parse(&format!("=<{product}")).is_ok(),
            "{product}"
        );
    }
    // A licensed code the site did not configure falls back to the public descriptions.
    assert!(
        product_description(&config, "E0398V00")
            .unwrap()
            .starts_with("RED BLOOD CELLS")
    );
    assert_eq!(product_description(&config, "E9999V00"), None);
}

#[test]
fn label_final_refused_before_typing_and_for_unsafe_discarded_or_expired_units() {
    let mut centre = Centre::new();
    let (_, din) = centre
        .walk_in("Lane", date!(1990 - 01 - 01), Procedure::WholeBlood)
        .unwrap();
    let ids = centre.produce(&din, "rbc_ffp").unwrap();
    let untyped = final_label(&centre.state, &ids[0], centre.now).unwrap_err();
    assert_eq!(untyped.rule, "TEST-ABO-TWICE");
    centre.all_negative(&din).unwrap();
    centre.type_and_screen(&din, Abo::A, RhD::Positive).unwrap();
    assert!(final_label(&centre.state, &ids[0], centre.now).is_ok());
    centre
        .run(
            Role::Manufacturing,
            Command::Client(ClientCommand::Manufacturing(
                ManufacturingCommand::DiscardComponent {
                    component: ids[0].clone(),
                    reason: "bag broken".into(),
                },
            )),
        )
        .unwrap();
    let discarded = final_label(&centre.state, &ids[0], centre.now).unwrap_err();
    assert_eq!(discarded.rule, "LABEL-FINAL");
    assert!(discarded.message.contains("discarded"));
    let later = centre.now + Duration::days(400);
    assert_eq!(
        final_label(&centre.state, &ids[1], later).unwrap_err().rule,
        "REL-EXPIRE"
    );
}

#[test]
fn label_final_at_release_waits_for_every_other_release_check() {
    let mut centre = Centre::new();
    let mut config = Config::default();
    config.labels.final_label_at = FinalLabelAt::Release;
    centre
        .run(
            Role::Admin,
            Command::Client(ClientCommand::Access(AccessCommand::Configure {
                config: config.into(),
            })),
        )
        .unwrap();
    let (_, din) = centre
        .walk_in("Lane", date!(1990 - 01 - 01), Procedure::WholeBlood)
        .unwrap();
    let ids = centre.produce(&din, "rbc_ffp").unwrap();
    centre.type_and_screen(&din, Abo::A, RhD::Positive).unwrap();
    let waiting = final_label(&centre.state, &ids[0], centre.now).unwrap_err();
    assert_eq!(waiting.rule, "LABEL-FINAL");
    assert!(waiting.message.contains("not yet resulted"), "{waiting}");
    centre.all_negative(&din).unwrap();
    centre.verify_label(&ids[0]).unwrap();
    centre.release(&ids[0]).unwrap();
}

#[test]
fn label_verify_exact_match_of_every_barcode_or_the_data_matrix_releases_the_unit() {
    let mut centre = Centre::new();
    let id = ready_unit(&mut centre, Abo::B, RhD::Positive);
    let linear = scans(&centre, &id);
    // Order does not matter and a concatenated pair counts for both.
    let reordered = vec![
        linear[3].clone(),
        format!("{}{}", linear[0], linear[1]),
        linear[2].clone(),
    ];
    centre.scan_label(&id, reordered).unwrap();
    centre.release(&id).unwrap();
    assert_eq!(centre.component(&id).unwrap().status, Status::Available);

    let other = ready_unit(&mut centre, Abo::O, RhD::Positive);
    let linear = scans(&centre, &other);
    let matrix = format!(
        "=+04000{}",
        linear.iter().map(|s| s.as_str()).collect::<String>()
    );
    centre.scan_label(&other, vec![matrix]).unwrap();
    centre.release(&other).unwrap();
}

#[test]
fn label_verify_one_wrong_character_in_any_structure_is_refused() {
    let mut centre = Centre::new();
    let id = ready_unit(&mut centre, Abo::A, RhD::Negative);
    let good = scans(&centre, &id);
    for which in 0..good.len() {
        for position in 2..good[which].len() {
            let mut wrong = good.clone();
            let mut chars: Vec<char> = wrong[which].chars().collect();
            chars[position] = if chars[position] == '1' { '2' } else { '1' };
            wrong[which] = chars.into_iter().collect();
            if wrong[which] == good[which] {
                continue;
            }
            assert_eq!(refused(&mut centre, &id, wrong), "LABEL-VERIFY");
        }
    }
    centre.verify_label(&id).unwrap();
    centre.release(&id).unwrap();
}

#[test]
fn label_verify_the_label_of_another_unit_is_refused() {
    let mut centre = Centre::new();
    let first = ready_unit(&mut centre, Abo::O, RhD::Positive);
    let second = ready_unit(&mut centre, Abo::O, RhD::Positive);
    let other_label = scans(&centre, &second);
    assert_eq!(refused(&mut centre, &first, other_label), "LABEL-VERIFY");
    // The other product of the same donation is another unit too.
    let plasma = centre
        .state
        .components
        .values()
        .find(|c| c.din == centre.component(&first).unwrap().din && c.id != first)
        .unwrap()
        .id
        .clone();
    let plasma_label = scans(&centre, &plasma);
    assert_eq!(refused(&mut centre, &first, plasma_label), "LABEL-VERIFY");
}

#[test]
fn label_verify_a_missing_structure_an_extra_one_or_a_keyed_din_is_refused() {
    let mut centre = Centre::new();
    let id = ready_unit(&mut centre, Abo::AB, RhD::Positive);
    let good = scans(&centre, &id);
    for missing in 0..good.len() {
        let mut partial = good.clone();
        partial.remove(missing);
        assert_eq!(refused(&mut centre, &id, partial), "LABEL-VERIFY");
    }
    assert_eq!(refused(&mut centre, &id, vec![]), "LABEL-VERIFY");
    let mut special = good.clone();
    special.push("&(N0001".into());
    assert_eq!(refused(&mut centre, &id, special), "LABEL-VERIFY");
    let unit = centre.component(&id).unwrap().clone();
    let keyed = hemaflow_isbt128::Din::parse(&unit.din).unwrap();
    let mut by_hand = good.clone();
    by_hand[0] = format!("{}{}", unit.din, keyed.check_character());
    assert_eq!(refused(&mut centre, &id, by_hand), "LABEL-VERIFY");
}

#[test]
fn label_verify_release_is_refused_until_a_correct_label_is_verified() {
    let mut centre = Centre::new();
    let id = ready_unit(&mut centre, Abo::O, RhD::Negative);
    let mut wrong = scans(&centre, &id);
    wrong[1] = "=%5100".into(); // O RhD positive on an O negative unit
    assert_eq!(refused(&mut centre, &id, wrong), "LABEL-VERIFY");
    assert_eq!(centre.release(&id).unwrap_err().rule, "REL-GATE");
    centre.verify_label(&id).unwrap();
    centre.release(&id).unwrap();
}
