//! COLL-DIN: a DIN is used once, whether by a donation or by a pool's components.

#![allow(clippy::unwrap_used)]

use hemaflow_domain::donor::Sex;
use hemaflow_domain::eligibility::Procedure;
use hemaflow_domain::scenario::{Centre, healthy_screening, identity};
use time::macros::date;

#[test]
fn coll_din_a_din_used_by_a_donation_or_by_components_is_refused() {
    let mut centre = Centre::new();
    let (_, din) = centre
        .walk_in("Lane", date!(1990 - 01 - 01), Procedure::WholeBlood)
        .unwrap();
    let ids = centre.produce(&din, "rbc_ffp").unwrap();
    let donor = centre
        .register(identity(
            "Okafor",
            "Ngozi",
            date!(1985 - 02 - 03),
            Sex::Female,
        ))
        .unwrap();
    let screening = |centre: &mut Centre| {
        centre
            .screen(&donor, Procedure::WholeBlood, healthy_screening())
            .unwrap()
    };
    let collect = |centre: &mut Centre, din: &str, screening: &str| {
        let command = hemaflow_domain::Command::CollectDonation {
            din: din.to_owned(),
            donor_id: donor.clone(),
            screening_id: screening.to_owned(),
            container: hemaflow_domain::collection::Container {
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
        };
        centre.run(hemaflow_domain::Role::CollectionStaff, command)
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
