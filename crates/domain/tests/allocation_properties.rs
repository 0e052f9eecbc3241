//! Property tests of allocation (ALLOC-FEFO, ALLOC-SUBST): whatever the stock, a proposal never
//! holds an incompatible, unreleased, expired, held, allocated or attribute-missing unit, takes
//! exact matches before substitutes and, within each preference rank, the earliest expiry first.

#![allow(clippy::unwrap_used)]

use hemaflow_domain::Role;
use hemaflow_domain::command::{Command, LineUnit};
use hemaflow_domain::distribution::allocation::{propose_allocation, suitability};
use hemaflow_domain::distribution::orders::{Need, OrderLine, Priority};
use hemaflow_domain::donor_centre::eligibility::Procedure;
use hemaflow_domain::kernel::compat;
use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_domain::manufacturing::components::{Attr, Family, Status};
use hemaflow_domain::release::gate::{HoldKind, HoldTarget, confirmed_group};
use hemaflow_domain::{ClientCommand, DistributionCommand, ManufacturingCommand, ReleaseCommand};
use hemaflow_testkit::scenario::{Centre, PROCESSING_SITE};
use proptest::prelude::*;
use time::Duration;

const ABO: [Abo; 4] = [Abo::O, Abo::A, Abo::B, Abo::AB];
const RECIPES: [&str; 3] = ["rbc_ffp", "rbc_ffp_platelets", "rbc_cryo"];
const FAMILIES: [Family; 4] = [
    Family::RedCells,
    Family::Plasma,
    Family::Platelets,
    Family::Cryo,
];

#[derive(Clone, Copy, Debug)]
enum Fate {
    Released,
    Quarantined,
    Held,
    AllocatedElsewhere,
    Discarded,
}

fn fate() -> impl Strategy<Value = Fate> {
    prop_oneof![
        4 => Just(Fate::Released),
        1 => Just(Fate::Quarantined),
        1 => Just(Fate::Held),
        1 => Just(Fate::AllocatedElsewhere),
        1 => Just(Fate::Discarded),
    ]
}

type Donation = (usize, bool, usize, Fate, i64);

fn donation() -> impl Strategy<Value = Donation> {
    (0..4usize, any::<bool>(), 0..3usize, fate(), 0..30i64)
}

fn group(abo: usize, negative: bool) -> (Abo, RhD) {
    (
        ABO[abo],
        if negative {
            RhD::Negative
        } else {
            RhD::Positive
        },
    )
}

/// A centre whose stock comes from `donations`, with an order "ORD" for `line`.
fn stock(donations: &[Donation], line: &OrderLine) -> Centre {
    let mut centre = Centre::new();
    centre.open_supply().unwrap();
    centre
        .run(
            Role::Distribution,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::PlaceOrder {
                    order_id: "OTHER".into(),
                    hospital: "stlukes".into(),
                    lines: FAMILIES
                        .iter()
                        .map(|f| OrderLine {
                            component_type: *f,
                            abo: Abo::AB,
                            rhd: RhD::Positive,
                            attributes: vec![],
                            quantity: 50,
                        })
                        .collect(),
                    priority: Priority::Routine,
                    needed_by: None,
                },
            )),
        )
        .unwrap();
    let mut elsewhere = Vec::new();
    for (i, &(abo, negative, recipe, fate, hours)) in donations.iter().enumerate() {
        centre.advance(Duration::hours(hours));
        let (abo, rhd) = group(abo, negative);
        let ids = match fate {
            Fate::Quarantined => {
                let name = format!("Quarantine {i}");
                let (_, din) = centre
                    .walk_in(
                        &name,
                        time::macros::date!(1975 - 03 - 04),
                        Procedure::WholeBlood,
                    )
                    .unwrap();
                centre.produce(&din, RECIPES[recipe]).unwrap()
            }
            _ => centre.released_units(RECIPES[recipe], abo, rhd).unwrap(),
        };
        for id in ids {
            match fate {
                Fate::Held => {
                    centre
                        .run(
                            Role::QualityAssurance,
                            Command::Client(ClientCommand::Release(ReleaseCommand::PlaceHold {
                                target: HoldTarget::Component { id },
                                kind: HoldKind::Investigation,
                                reason: "complaint".into(),
                            })),
                        )
                        .unwrap();
                }
                Fate::Discarded => {
                    centre
                        .run(
                            Role::QualityAssurance,
                            Command::Client(ClientCommand::Manufacturing(
                                ManufacturingCommand::DiscardComponent {
                                    component: id,
                                    reason: "broken seal".into(),
                                },
                            )),
                        )
                        .unwrap();
                }
                Fate::AllocatedElsewhere => {
                    let family = centre.component(&id).unwrap().family;
                    let line = FAMILIES.iter().position(|f| *f == family).unwrap() as u32;
                    // AB recipients take every group of plasma only; the others may be refused,
                    // which leaves them free: both are fine for the property.
                    elsewhere.push(LineUnit {
                        line,
                        component: id,
                    });
                }
                _ => {}
            }
        }
    }
    for unit in elsewhere {
        let mut chosen: Vec<LineUnit> = centre.state.orders["OTHER"]
            .units
            .iter()
            .map(|u| LineUnit {
                line: u.allocated.line,
                component: u.allocated.component.clone(),
            })
            .collect();
        chosen.push(unit);
        let _ = centre.run(
            Role::Distribution,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::AllocateOrder {
                    order_id: "OTHER".into(),
                    units: chosen,
                },
            )),
        );
    }
    centre
        .run(
            Role::Distribution,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::PlaceOrder {
                    order_id: "ORD".into(),
                    hospital: "mercy".into(),
                    lines: vec![line.clone()],
                    priority: Priority::Asap,
                    needed_by: None,
                },
            )),
        )
        .unwrap();
    centre
}

/// The compatibility tables read directly, independently of the allocation code.
fn compatible(family: Family, recipient: (Abo, RhD), donor: (Abo, RhD)) -> bool {
    match family {
        Family::RedCells => {
            compat::red_cells(recipient.0, donor.0)
                && !(recipient.1 == RhD::Negative && donor.1 == RhD::Positive)
        }
        Family::WholeBlood => {
            recipient == donor || (recipient.0 == donor.0 && donor.1 == RhD::Negative)
        }
        Family::Plasma => compat::plasma(recipient.0, donor.0),
        Family::Cryo => compat::cryo(recipient.0, donor.0),
        Family::Platelets => true,
    }
}

fn line_strategy() -> impl Strategy<Value = OrderLine> {
    (0..4usize, 0..4usize, any::<bool>(), 1..6u32, 0..6u8).prop_map(
        |(f, abo, negative, quantity, need)| {
            let (abo, rhd) = group(abo, negative);
            OrderLine {
                component_type: FAMILIES[f],
                abo,
                rhd,
                attributes: if need == 0 {
                    vec![Need::Irradiated]
                } else {
                    vec![]
                },
                quantity,
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn alloc_fefo_and_alloc_subst_hold_for_any_stock(
        donations in prop::collection::vec(donation(), 1..9),
        line in line_strategy(),
        later_days in 0..50i64,
    ) {
        let centre = stock(&donations, &line);
        let state = &centre.state;
        let now = centre.now + Duration::days(later_days);
        let proposal = propose_allocation(state, "ORD", PROCESSING_SITE, now).unwrap();
        let proposed = &proposal.lines[0];
        prop_assert!(proposed.units.len() as u32 + proposed.shortfall == line.quantity);
        for unit in &proposed.units {
            let c = &state.components[&unit.component];
            prop_assert_eq!(c.status, Status::Available, "unreleased {}", c.id);
            prop_assert!(c.expires_at > now, "expired {}", c.id);
            prop_assert!(!state.holds.values().any(|h| h.is_open() && h.covers(c)), "held {}", c.id);
            prop_assert!(state.allocations.get(&c.id).is_none_or(|o| o == "ORD"), "allocated {}", c.id);
            prop_assert_eq!(c.family, line.component_type);
            prop_assert!(!line.attributes.contains(&Need::Irradiated) || c.attributes.contains(&Attr::Irradiated));
            let donor = confirmed_group(state, c).unwrap();
            prop_assert!(compatible(line.component_type, (line.abo, line.rhd), donor), "incompatible {}", c.id);
            prop_assert_eq!((unit.abo, unit.rhd), donor);
        }
        // FEFO within rank, ranks in order, and nothing better left out.
        for pair in proposed.units.windows(2) {
            prop_assert!((pair[0].rank, pair[0].expires_at) <= (pair[1].rank, pair[1].expires_at));
        }
        let order = &state.orders["ORD"];
        let worst = proposed.units.last().map(|u| (u.rank, u.expires_at));
        for c in state.components.values() {
            if c.location.site() != Some(PROCESSING_SITE) || proposed.units.iter().any(|u| u.component == c.id) {
                continue;
            }
            if let Ok((matched, donor)) = suitability(state, order, &line, c, now) {
                let key = (matched.rank(donor, &line), c.expires_at);
                prop_assert!(proposed.shortfall == 0, "{} left out with a shortfall", c.id);
                prop_assert!(worst.is_some_and(|w| key >= w), "{} is better than a proposed unit", c.id);
            }
        }
    }
}
