//! The demo's hospital supply: our sites and their storage, the three hospitals and their
//! users, standing orders, and every day hospital orders (weekday seasonality) allocated by
//! the proposal, picked by scan, shipped in boxes at the right temperature, received by the
//! hospital, a few returned and reviewed by QA. Released units are put away at the processing
//! laboratory and moved to the distribution centre by a morning transfer. Work due after
//! "now" stays undone, so orders stand at every status (open, at risk, allocated, picking,
//! shipped, received, cancelled).

use hemaflow_domain::{AccessCommand, ClientCommand, DistributionCommand, DistributionEvent};
use std::collections::BTreeMap;

use hemaflow_domain::command::{Command, Event};
use hemaflow_domain::distribution::allocation::propose_allocation;
use hemaflow_domain::distribution::orders::{OrderLine, Priority};
use hemaflow_domain::distribution::sites::{
    Celsius, Contact, KeptAs, Location, SiteKind, StorageKind, shipping_range,
};
use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_domain::manufacturing::components::{Family, Status};
use hemaflow_domain::{Role, queries};
use time::{Duration, OffsetDateTime, Weekday};

use super::{BLOOD_GROUPS, Planner, SITES, Step};

/// The processing laboratory (production puts units here) and the distribution centre.
pub const PROCESSING_SITE: &str = "LAB";
pub const DISTRIBUTION_SITE: &str = "DC";

/// A hospital of the demo: ID, name, address, blood-bank contact, the user bound to it, and
/// its orders on an ordinary weekday.
pub struct DemoHospital {
    pub id: &'static str,
    pub name: &'static str,
    pub address: &'static str,
    pub contact: &'static str,
    pub user: &'static str,
    pub orders_per_day: u64,
}

pub const DEMO_HOSPITALS: [DemoHospital; 3] = [
    DemoHospital {
        id: "mercy",
        name: "Mercy General Hospital",
        address: "1500 Lansdowne Ave, Darby PA 19023",
        contact: "Transfusion service, 24/7 line",
        user: "h.ortiz",
        orders_per_day: 2,
    },
    DemoHospital {
        id: "st-lukes",
        name: "St. Luke's Medical Center",
        address: "801 Ostrum St, Bethlehem PA 18015",
        contact: "Blood bank supervisor",
        user: "b.owusu",
        orders_per_day: 2,
    },
    DemoHospital {
        id: "county-childrens",
        name: "County Children's Hospital",
        address: "3401 Civic Center Blvd, Philadelphia PA 19104",
        contact: "Blood bank charge technologist",
        user: "c.reyes",
        orders_per_day: 1,
    },
];

/// Orders by weekday, percent of an ordinary weekday. An assumption: hospitals order most at
/// the start of the week (elective surgery) and least at the weekend; no public figure used.
fn weekday_percent(day: Weekday) -> u64 {
    match day {
        Weekday::Monday => 120,
        Weekday::Tuesday => 110,
        Weekday::Wednesday | Weekday::Thursday => 100,
        Weekday::Friday => 90,
        Weekday::Saturday => 50,
        Weekday::Sunday => 40,
    }
}

/// (storage ID suffix, kind, min, max in tenths of °C) at each of our two stock sites.
const STORAGES: [(&str, StorageKind, i32, i32); 3] = [
    ("FRIDGE-1", StorageKind::Refrigerator, 20, 60),
    ("FREEZER-1", StorageKind::Freezer, -400, -250),
    ("AGITATOR-1", StorageKind::PlateletAgitator, 200, 240),
];

fn storage_for(site: &str, kept: KeptAs) -> String {
    let suffix = match kept {
        KeptAs::Refrigerated => "FRIDGE-1",
        KeptAs::Frozen => "FREEZER-1",
        KeptAs::Agitated | KeptAs::RoomTemperature => "AGITATOR-1",
    };
    format!("{site}-{suffix}")
}

impl Planner {
    fn distribution(&mut self) -> &'static str {
        self.pick_actor(Role::Distribution)
    }

    /// Sites, storage, hospitals with their users, and one standing order per hospital.
    pub(super) fn open_supply(&mut self) {
        let admin = "p.svensson";
        let mut sites: Vec<(String, String, SiteKind)> = SITES
            .iter()
            .map(|s| (s.code.to_owned(), s.name.to_owned(), SiteKind::Collection))
            .collect();
        sites.push((
            PROCESSING_SITE.to_owned(),
            "Central processing laboratory, Philadelphia".to_owned(),
            SiteKind::Processing,
        ));
        sites.push((
            DISTRIBUTION_SITE.to_owned(),
            "Distribution centre, Philadelphia".to_owned(),
            SiteKind::Distribution,
        ));
        for (site_id, name, kind) in sites {
            self.run(
                admin,
                Role::Admin,
                Command::Client(ClientCommand::Distribution(
                    DistributionCommand::RegisterSite {
                        site_id,
                        name,
                        kind,
                        address: "700 Spring Garden St, Philadelphia PA 19123".to_owned(),
                    },
                )),
            );
        }
        for site in [PROCESSING_SITE, DISTRIBUTION_SITE] {
            for (suffix, kind, min, max) in STORAGES {
                self.run(
                    admin,
                    Role::Admin,
                    Command::Client(ClientCommand::Distribution(
                        DistributionCommand::RegisterStorage {
                            storage_id: format!("{site}-{suffix}"),
                            site_id: site.to_owned(),
                            kind,
                            min_c: Celsius::tenths(min),
                            max_c: Celsius::tenths(max),
                        },
                    )),
                );
            }
        }
        for hospital in &DEMO_HOSPITALS {
            self.run(
                admin,
                Role::Admin,
                Command::Client(ClientCommand::Distribution(
                    DistributionCommand::RegisterHospital {
                        hospital_id: hospital.id.to_owned(),
                        name: hospital.name.to_owned(),
                        address: hospital.address.to_owned(),
                        contacts: vec![Contact {
                            name: hospital.contact.to_owned(),
                            role: "blood bank".to_owned(),
                            phone: "215-555-0100".to_owned(),
                            email: format!("bloodbank@{}.example.org", hospital.id),
                        }],
                    },
                )),
            );
            let name = super::STAFF
                .iter()
                .find(|s| s.actor == hospital.user)
                .map_or(hospital.user, |s| s.name);
            self.run(
                admin,
                Role::Admin,
                Command::Client(ClientCommand::Access(AccessCommand::CreateUser {
                    user_id: hospital.user.to_owned(),
                    name: name.to_owned(),
                    role: Role::HospitalUser,
                    hospital: Some(hospital.id.to_owned()),
                })),
            );
        }
        let standing = [
            (
                "mercy",
                Family::Platelets,
                Abo::A,
                RhD::Positive,
                2,
                Weekday::Monday,
            ),
            (
                "st-lukes",
                Family::RedCells,
                Abo::O,
                RhD::Negative,
                2,
                Weekday::Wednesday,
            ),
            (
                "county-childrens",
                Family::Plasma,
                Abo::AB,
                RhD::Positive,
                2,
                Weekday::Friday,
            ),
        ];
        for (hospital, family, abo, rhd, quantity, weekday) in standing {
            let user = hospital_user(hospital);
            self.run(
                user,
                Role::HospitalUser,
                Command::Client(ClientCommand::Distribution(
                    DistributionCommand::PlaceStandingOrder {
                        standing_order_id: format!("STD-{hospital}"),
                        hospital: hospital.to_owned(),
                        lines: vec![OrderLine {
                            component_type: family,
                            abo,
                            rhd,
                            attributes: vec![],
                            quantity,
                        }],
                        priority: Priority::Routine,
                        weekday,
                    },
                )),
            );
        }
    }

    /// DIST-STORAGE: a released unit is put away at the processing laboratory.
    pub(super) fn put_away(&mut self, id: &str) {
        let Some(c) = self.state.components.get(id) else {
            return;
        };
        let Some(site) = c.location.site().map(str::to_owned) else {
            return;
        };
        let storage = storage_for(&site, KeptAs::of(c));
        let maker = self.pick_actor(Role::Manufacturing);
        self.run(
            maker,
            Role::Manufacturing,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::StoreComponent {
                    component: id.to_owned(),
                    storage,
                },
            )),
        );
    }

    /// DIST-TRANSFER: the morning run from the laboratory to the distribution centre.
    pub(super) fn transfer(&mut self) {
        let units: Vec<String> = self
            .state
            .components
            .values()
            .filter(|c| {
                c.status == Status::Available
                    && c.location.site() == Some(PROCESSING_SITE)
                    && !self.state.allocations.contains_key(&c.id)
            })
            .map(|c| c.id.clone())
            .collect();
        if units.is_empty() {
            return;
        }
        let transfer_id = format!("TRF-{}", self.now.date());
        let clerk = self.distribution();
        let dispatched = self.run(
            clerk,
            Role::Distribution,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::DispatchTransfer {
                    transfer_id: transfer_id.clone(),
                    from: PROCESSING_SITE.to_owned(),
                    to: DISTRIBUTION_SITE.to_owned(),
                    components: units,
                },
            )),
        );
        if dispatched.is_some() {
            let at = self.now + self.minutes(35, 50);
            self.schedule(at, Step::ReceiveTransfer { transfer_id });
        }
    }

    pub(super) fn receive_transfer(&mut self, transfer_id: &str) {
        let Some(transfer) = self.state.transfers.get(transfer_id).cloned() else {
            return;
        };
        let clerk = self.distribution();
        // Now and then a unit of another box is scanned in against this transfer: refused
        // with where that unit is.
        if self.rng.chance(15)
            && let Some(stray) = self
                .state
                .components
                .values()
                .find(|c| c.status == Status::Available && !transfer.components.contains(&c.id))
                .map(|c| c.id.clone())
        {
            self.run(
                clerk,
                Role::Distribution,
                Command::Client(ClientCommand::Distribution(
                    DistributionCommand::ReceiveTransfer {
                        transfer_id: transfer_id.to_owned(),
                        component: stray,
                    },
                )),
            );
        }
        for id in &transfer.components {
            self.wait(0, 2);
            let received = self.run(
                clerk,
                Role::Distribution,
                Command::Client(ClientCommand::Distribution(
                    DistributionCommand::ReceiveTransfer {
                        transfer_id: transfer_id.to_owned(),
                        component: id.clone(),
                    },
                )),
            );
            let kept = self.state.components.get(id).map(KeptAs::of);
            if let (Some(_), Some(kept)) = (received, kept) {
                self.run(
                    clerk,
                    Role::Distribution,
                    Command::Client(ClientCommand::Distribution(
                        DistributionCommand::StoreComponent {
                            component: id.clone(),
                            storage: storage_for(DISTRIBUTION_SITE, kept),
                        },
                    )),
                );
            }
        }
    }

    /// The day's orders of every hospital, spread over the day (ORDER-CLOCK), and the standing
    /// orders renewed in the morning.
    pub(super) fn schedule_orders(&mut self, morning: OffsetDateTime) {
        self.schedule(
            morning - Duration::hours(2) + Duration::minutes(30),
            Step::RenewStanding,
        );
        let percent = weekday_percent(morning.weekday());
        for (index, hospital) in DEMO_HOSPITALS.iter().enumerate() {
            let expected = hospital.orders_per_day * percent;
            let mut count = expected / 100;
            if self.rng.below(100) < expected % 100 {
                count += 1;
            }
            for _ in 0..count {
                let at = morning + Duration::minutes(self.rng.below(14 * 60) as i64);
                self.schedule(at, Step::Order { hospital: index });
            }
        }
    }

    pub(super) fn renew_standing(&mut self) {
        let clerk = self.distribution();
        let as_of = self.now;
        let Some(events) = self.run(
            clerk,
            Role::Distribution,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::RenewStandingOrders { as_of },
            )),
        ) else {
            return;
        };
        for event in events {
            if let Event::Distribution(DistributionEvent::OrderPlaced { order }) = event {
                let at = order.due_at - Duration::hours(6);
                self.schedule(
                    at.max(self.now),
                    Step::Allocate {
                        order_id: order.id,
                        then_pick: true,
                    },
                );
            }
        }
    }

    fn order_line(&mut self) -> OrderLine {
        let mut draw = self.rng.below(1000);
        let (mut abo, mut rhd) = (Abo::O, RhD::Positive);
        for (group_abo, group_rhd, share) in BLOOD_GROUPS {
            if draw < share {
                (abo, rhd) = (group_abo, group_rhd);
                break;
            }
            draw -= share;
        }
        let (family, quantity) = match self.rng.below(100) {
            0..=69 => (Family::RedCells, 1 + self.rng.below(2) as u32),
            70..=87 => (Family::Platelets, 1),
            88..=96 => (Family::Plasma, 2 + self.rng.below(2) as u32),
            _ => (Family::Cryo, 1),
        };
        OrderLine {
            component_type: family,
            abo,
            rhd,
            attributes: vec![],
            quantity,
        }
    }

    /// A hospital orders (mostly through its portal user, sometimes by phone to distribution).
    pub(super) fn order(&mut self, index: usize) {
        let hospital = &DEMO_HOSPITALS[index];
        let priority = match self.rng.below(100) {
            0..=69 => Priority::Routine,
            70..=87 => Priority::Asap,
            88..=97 => Priority::Stat,
            _ => Priority::Emergency,
        };
        let lines = (0..1 + self.rng.below(2))
            .map(|_| self.order_line())
            .collect();
        let order_id = format!("ORD-{:05}", self.state.orders.len() + 1);
        let (actor, role) = if self.rng.chance(80) {
            (hospital.user, Role::HospitalUser)
        } else {
            (self.distribution(), Role::Distribution)
        };
        let placed = self.run(
            actor,
            role,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::PlaceOrder {
                    order_id: order_id.clone(),
                    hospital: hospital.id.to_owned(),
                    lines,
                    priority,
                    needed_by: None,
                },
            )),
        );
        if placed.is_none() {
            return;
        }
        // Work starts within a share of the priority's clock; one order in forty is
        // cancelled by the hospital before it is filled.
        if self.rng.chance(2) {
            let at = self.now + self.minutes(10, 40);
            self.schedule(at, Step::Cancel { order_id });
            return;
        }
        let clock = match priority {
            Priority::Stat | Priority::Emergency => self.minutes(5, 20),
            Priority::Asap => self.minutes(20, 90),
            Priority::Routine => self.minutes(60, 8 * 60),
        };
        let at = self.now + clock;
        self.schedule(
            at,
            Step::Allocate {
                order_id,
                then_pick: true,
            },
        );
    }

    pub(super) fn cancel(&mut self, order_id: String) {
        let Some(order) = self.state.orders.get(&order_id) else {
            return;
        };
        let user = hospital_user(&order.hospital);
        self.run(
            user,
            Role::HospitalUser,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::CancelOrder {
                    order_id,
                    reason: "patient no longer needs transfusion".to_owned(),
                },
            )),
        );
    }

    /// ALLOC-FEFO, ALLOC-SUBST: the proposal at the distribution centre, completed from the
    /// laboratory's stock where the centre is short, accepted as is.
    pub(super) fn allocate(&mut self, order_id: String, then_pick: bool) {
        let Ok(proposal) = propose_allocation(&self.state, &order_id, DISTRIBUTION_SITE, self.now)
        else {
            return;
        };
        let mut units = proposal.choices();
        if proposal.shortfall() > 0
            && let Ok(lab) = propose_allocation(&self.state, &order_id, PROCESSING_SITE, self.now)
        {
            for (line, short) in proposal.lines.iter().zip(&lab.lines) {
                units.extend(short.units.iter().take(line.shortfall as usize).map(|u| {
                    hemaflow_domain::command::LineUnit {
                        line: line.line,
                        component: u.component.clone(),
                    }
                }));
            }
        }
        if units.is_empty() {
            return;
        }
        let clerk = self.distribution();
        if self
            .run(
                clerk,
                Role::Distribution,
                Command::Client(ClientCommand::Distribution(
                    DistributionCommand::AllocateOrder {
                        order_id: order_id.clone(),
                        units,
                    },
                )),
            )
            .is_some()
            && then_pick
        {
            let at = self.now + self.minutes(5, 25);
            self.schedule(
                at,
                Step::Pick {
                    order_id,
                    then_ship: true,
                },
            );
        }
    }

    /// DIST-PICK: every allocated unit scanned into a box for its temperature.
    pub(super) fn pick(&mut self, order_id: String, then_ship: bool) {
        let Some(order) = self.state.orders.get(&order_id).cloned() else {
            return;
        };
        let clerk = self.distribution();
        // Now and then a quarantined unit is scanned first: refused with its blockers.
        if self.rng.chance(4)
            && let Some(stray) = self
                .state
                .components
                .values()
                .find(|c| c.status == Status::Quarantined)
                .map(|c| c.id.clone())
        {
            self.run(
                clerk,
                Role::Distribution,
                Command::Client(ClientCommand::Distribution(DistributionCommand::PickUnit {
                    shipment_id: format!("SHP-{order_id}-R"),
                    order_id: order_id.clone(),
                    component: stray,
                })),
            );
        }
        let mut boxes: BTreeMap<String, ()> = BTreeMap::new();
        for unit in order.units.iter().filter(|u| u.shipment.is_none()) {
            let Some(kept) = self
                .state
                .components
                .get(&unit.allocated.component)
                .map(KeptAs::of)
            else {
                continue;
            };
            let site = self
                .state
                .components
                .get(&unit.allocated.component)
                .and_then(|c| c.location.site())
                .unwrap_or(DISTRIBUTION_SITE);
            let shipment_id = format!("SHP-{order_id}-{site}-{}", box_letter(kept));
            self.wait(0, 2);
            if self
                .run(
                    clerk,
                    Role::Distribution,
                    Command::Client(ClientCommand::Distribution(DistributionCommand::PickUnit {
                        shipment_id: shipment_id.clone(),
                        order_id: order_id.clone(),
                        component: unit.allocated.component.clone(),
                    })),
                )
                .is_some()
            {
                boxes.insert(shipment_id, ());
            }
        }
        if !boxes.is_empty() && then_ship {
            let at = self.now + self.minutes(5, 20);
            self.schedule(
                at,
                Step::Ship {
                    order_id,
                    then_receive: true,
                },
            );
        }
    }

    /// DIST-SHIP: each box of the order closed at its temperature range.
    pub(super) fn ship(&mut self, order_id: String, then_receive: bool) {
        let shipments: Vec<(String, Option<KeptAs>)> = self
            .state
            .shipments
            .values()
            .filter(|s| s.order_id == order_id && s.dispatch.is_none() && !s.cancelled)
            .map(|s| {
                let kept = s
                    .components
                    .first()
                    .and_then(|c| self.state.components.get(c))
                    .map(KeptAs::of);
                (s.id.clone(), kept)
            })
            .collect();
        let clerk = self.distribution();
        for (shipment_id, kept) in shipments {
            let Some(kept) = kept else { continue };
            let temperature_range = shipping_range(&self.state.config, kept);
            let shipped = self.run(
                clerk,
                Role::Distribution,
                Command::Client(ClientCommand::Distribution(
                    DistributionCommand::ShipShipment {
                        shipment_id: shipment_id.clone(),
                        box_id: format!("BOX-{}", &shipment_id[4..]),
                        temperature_range,
                        courier: "Delaware Valley Medical Courier".to_owned(),
                    },
                )),
            );
            if shipped.is_some() && then_receive {
                let at = self.now + self.minutes(40, 120);
                self.schedule(at, Step::Receive { shipment_id });
            }
        }
    }

    /// DIST-RECEIPT: the hospital scans each unit in.
    pub(super) fn receive(&mut self, shipment_id: String) {
        let Some(shipment) = self.state.shipments.get(&shipment_id).cloned() else {
            return;
        };
        let user = hospital_user(&shipment.hospital);
        for component in shipment.components {
            self.wait(0, 2);
            self.run(
                user,
                Role::HospitalUser,
                Command::Client(ClientCommand::Distribution(
                    DistributionCommand::ConfirmReceipt {
                        shipment_id: shipment_id.clone(),
                        component,
                    },
                )),
            );
        }
    }

    /// DIST-RETURN: now and then a hospital sends back a red-cell unit it did not use.
    pub(super) fn return_one(&mut self) {
        let candidates: Vec<(String, String)> = self
            .state
            .components
            .values()
            .filter(|c| c.family == Family::RedCells && c.status == Status::Shipped)
            .filter_map(|c| match &c.location {
                Location::Hospital { hospital, .. } => Some((c.id.clone(), hospital.clone())),
                _ => None,
            })
            .collect();
        let Some((component, hospital)) = self.rng.pick(&candidates).cloned() else {
            return;
        };
        let minutes_out_of_storage = 10 + self.rng.below(40) as u32;
        let returned = self.run(
            hospital_user(&hospital),
            Role::HospitalUser,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::ReturnUnit {
                    component: component.clone(),
                    minutes_out_of_storage,
                    reason: "surgery cancelled, unit not needed".to_owned(),
                    seal_intact: true,
                    validated_container: false,
                },
            )),
        );
        if returned.is_some() {
            let at = self.now + self.minutes(60, 180);
            self.schedule(at, Step::ReviewReturn { component });
        }
    }

    /// QA accepts the return when it meets the criteria, otherwise rejects it.
    pub(super) fn review_return(&mut self, component: String) {
        let Some(c) = self.state.components.get(&component) else {
            return;
        };
        let Some(unit_return) = self.state.returns.get(&component).and_then(|r| r.last()) else {
            return;
        };
        let failures = hemaflow_domain::distribution::shipping::return_failures(
            &self.state,
            c,
            unit_return,
            self.now,
        );
        let (accept, reason) = if failures.is_empty() {
            (
                true,
                "within 30 minutes out of storage, seal intact, in date".to_owned(),
            )
        } else {
            (false, failures.join("; "))
        };
        let qa = self.pick_actor(Role::QualityAssurance);
        let review = ClientCommand::Distribution(DistributionCommand::ReviewReturn {
            component,
            accept,
            reason,
        });
        // Back to stock or discarded: QA's signed decision (P11-SIGN).
        self.signed(qa, Role::QualityAssurance, review);
    }

    /// The last hours before "now", scripted so that the demo shows every step: an order
    /// allocated and not yet picked, one being picked (its box not yet shipped), and a STAT
    /// order just placed, not yet worked on, at risk of missing its clock.
    pub(super) fn schedule_closing_orders(&mut self, end: OffsetDateTime) {
        for (minutes_before, stage) in [(150, 0), (120, 1), (90, 2)] {
            self.schedule(
                end - Duration::minutes(minutes_before),
                Step::LateOrder {
                    order_id: format!("ORD-LATE-{minutes_before}"),
                    stage,
                },
            );
        }
        self.schedule(end - Duration::minutes(40), Step::AtRisk);
    }

    /// A late order taken to `stage`: 0 allocated, 1 picked, 2 shipped (not yet received).
    pub(super) fn late_order(&mut self, order_id: String, stage: u8) {
        let hospital = &DEMO_HOSPITALS[1];
        let line = self.order_line_in_stock();
        let placed = self.run(
            hospital.user,
            Role::HospitalUser,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::PlaceOrder {
                    order_id: order_id.clone(),
                    hospital: hospital.id.to_owned(),
                    lines: vec![line],
                    priority: Priority::Routine,
                    needed_by: None,
                },
            )),
        );
        if placed.is_none() {
            return;
        }
        let at = self.now + Duration::minutes(10);
        self.schedule(
            at,
            Step::Allocate {
                order_id: order_id.clone(),
                then_pick: false,
            },
        );
        if stage >= 1 {
            self.schedule(
                at + Duration::minutes(10),
                Step::Pick {
                    order_id: order_id.clone(),
                    then_ship: false,
                },
            );
        }
        if stage >= 2 {
            self.schedule(
                at + Duration::minutes(20),
                Step::Ship {
                    order_id,
                    then_receive: false,
                },
            );
        }
    }

    /// A line for one unit of a family and group in stock at the distribution centre.
    fn order_line_in_stock(&mut self) -> OrderLine {
        let allocations = &self.state.allocations;
        let stock: Vec<(Family, Abo, RhD)> = self
            .state
            .components
            .values()
            .filter(|c| {
                c.status == Status::Available
                    && c.expires_at > self.now + Duration::hours(6)
                    && !allocations.contains_key(&c.id)
            })
            .filter_map(|c| {
                hemaflow_domain::release::gate::confirmed_group(&self.state, c)
                    .map(|(abo, rhd)| (c.family, abo, rhd))
            })
            .collect();
        let (family, abo, rhd) =
            self.rng
                .pick(&stock)
                .copied()
                .unwrap_or((Family::RedCells, Abo::O, RhD::Positive));
        OrderLine {
            component_type: family,
            abo,
            rhd,
            attributes: vec![],
            quantity: 1,
        }
    }

    pub(super) fn at_risk_order(&mut self) {
        let order_id = "ORD-STAT-NOW".to_owned();
        let hospital = &DEMO_HOSPITALS[0];
        self.run(
            hospital.user,
            Role::HospitalUser,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::PlaceOrder {
                    order_id,
                    hospital: hospital.id.to_owned(),
                    lines: vec![OrderLine {
                        component_type: Family::RedCells,
                        abo: Abo::O,
                        rhd: RhD::Negative,
                        attributes: vec![],
                        quantity: 2,
                    }],
                    priority: Priority::Stat,
                    needed_by: None,
                },
            )),
        );
    }
}

fn box_letter(kept: KeptAs) -> &'static str {
    match kept {
        KeptAs::Refrigerated => "C",
        KeptAs::Agitated | KeptAs::RoomTemperature => "R",
        KeptAs::Frozen => "F",
    }
}

/// The user bound to a demo hospital.
pub fn hospital_user(hospital: &str) -> &'static str {
    DEMO_HOSPITALS
        .iter()
        .find(|h| h.id == hospital)
        .map_or(DEMO_HOSPITALS[0].user, |h| h.user)
}

/// Orders of the demo by status, for the summary.
pub(super) fn orders_by_status(state: &hemaflow_domain::State) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for order in state.orders.values() {
        *out.entry(order.status().as_str().to_owned()).or_insert(0) += 1;
    }
    out
}

/// Orders at risk at `now` (ORDER-CLOCK), for the summary.
pub(super) fn at_risk(state: &hemaflow_domain::State, now: OffsetDateTime) -> u64 {
    queries::orders_at_risk(state, now).len() as u64
}
