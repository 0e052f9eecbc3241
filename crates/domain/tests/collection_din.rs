//! COLL-DIN: a DIN is used once, whether by a donation or by a pool's components.

#![allow(clippy::unwrap_used)]

use hemaflow_domain::donor_centre::donor::Sex;
use hemaflow_domain::donor_centre::eligibility::Procedure;
use hemaflow_domain::{AccessCommand, ClientCommand, Command, DonorCentreCommand};
use hemaflow_testkit::scenario::{Centre, healthy_screening, identity};
use time::macros::date;

#[test]
fn coll_din_a_din_used_by_a_donation_or_by_components_is_refused() {
    let mut centre = Centre::new();
    let (_, din) = centre
        .walk_in("Lane", date!(1990 - 01 - 01), Procedure::WholeBlood)
        .unwrap();
    let ids = centre.produce(&din, "rbc_ffp").unwrap();
    let donor = register_okafor(&mut centre);
    let screening = |centre: &mut Centre| {
        centre
            .screen(&donor, Procedure::WholeBlood, healthy_screening())
            .unwrap()
    };
    let collect = |centre: &mut Centre, din: &str, screening: &str| {
        collect_with_din(centre, &donor, screening, din)
    };
    let s = screening(&mut centre);
    assert_eq!(collect(&mut centre, &din, &s).unwrap_err().rule, "COLL-DIN");
    // A DIN carried only by components (as a pool's is) is used too.
    let mut pooled = centre.component(&ids[0]).unwrap().clone();
    let pool_din = "W123426000777";
    pooled.din = pool_din.to_owned();
    pooled.id = format!("{pool_din}-{}", pooled.product_code);
    centre.state.components.insert(pooled.id.clone(), pooled);
    assert_eq!(
        collect(&mut centre, pool_din, &s).unwrap_err().rule,
        "COLL-DIN"
    );
    // A DIN next to it in order is free.
    collect(&mut centre, "W123426000778", &s).unwrap();
}

#[test]
fn coll_din_a_din_of_an_additional_facility_is_ours_and_another_facilitys_is_not() {
    let mut centre = Centre::new();
    let mut config = hemaflow_domain::Config::clone(&centre.state.config);
    config.additional_facilities = vec!["W1235".into()];
    centre
        .run(
            hemaflow_domain::Role::Admin,
            Command::Client(ClientCommand::Access(AccessCommand::Configure {
                config: Box::new(config),
            })),
        )
        .unwrap();
    let (_, din) = centre
        .walk_in("Lane", date!(1990 - 01 - 01), Procedure::WholeBlood)
        .unwrap();
    assert!(din.starts_with("W1234"));
    let donor = register_okafor(&mut centre);
    let screening = centre
        .screen(&donor, Procedure::WholeBlood, healthy_screening())
        .unwrap();
    let refusal = collect_with_din(&mut centre, &donor, &screening, "W999926000001").unwrap_err();
    assert_eq!(refusal.rule, "COLL-DIN");
    assert!(
        refusal.message.contains("W1234, W1235"),
        "{}",
        refusal.message
    );
    collect_with_din(&mut centre, &donor, &screening, "W123526000001").unwrap();
}

#[test]
fn config_valid_an_additional_facility_must_be_a_fin_named_once() {
    let centre = Centre::new();
    for (fins, expected) in [
        (vec!["W12"], "not a valid ISBT 128 facility"),
        (vec!["W1234"], "named more than once"),
        (vec!["W1235", "W1235"], "named more than once"),
    ] {
        let mut config = hemaflow_domain::Config::clone(&centre.state.config);
        config.additional_facilities = fins.iter().map(|f| f.to_string()).collect();
        let refusal = config.validate().unwrap_err();
        assert_eq!(refusal.rule, "CONFIG-VALID");
        assert!(
            refusal.message.contains(expected),
            "{fins:?}: {}",
            refusal.message
        );
    }
    let mut config = hemaflow_domain::Config::clone(&centre.state.config);
    config.additional_facilities = vec!["W1235".into(), "A0001".into()];
    config.validate().unwrap();
}

/// Collect a 475 mL whole blood donation from `donor` after `screening` under a given DIN.
fn collect_with_din(
    centre: &mut Centre,
    donor: &str,
    screening: &str,
    din: &str,
) -> Result<Vec<hemaflow_domain::Event>, hemaflow_domain::Refusal> {
    let command = Command::Client(ClientCommand::DonorCentre(
        DonorCentreCommand::CollectDonation {
            din: din.to_owned(),
            donor_id: donor.to_owned(),
            screening_id: screening.to_owned(),
            container: hemaflow_domain::donor_centre::collection::Container {
                catalogue_number: "BAG-450-AS1".into(),
                lot: "L1".into(),
            },
            started_at: centre.now - time::Duration::minutes(10),
            ended_at: centre.now,
            volume_ml: 475,
            red_cell_loss_ml: 0,
            phlebotomist: "p".into(),
            adverse_reactions: vec![],
            collection_state: "TX".into(),
        },
    ));
    centre.run(hemaflow_domain::Role::CollectionStaff, command)
}

/// A second donor, beside the walk-in's.
fn register_okafor(centre: &mut Centre) -> String {
    centre
        .register(identity(
            "Okafor",
            "Ngozi",
            date!(1985 - 02 - 03),
            Sex::Female,
        ))
        .unwrap()
}
