//! Demo data: a realistic blood centre made only through the domain's commands, recorded by
//! the ledger like any bench's work (never raw inserts), so that `audit verify` holds on it.
//!
//! [`plan`] writes the centre's last weeks as a stream of commands, deterministic from the
//! seed: an admin configures the site; donors (US ABO/RhD distribution) register and are
//! screened at four collection sites, some deferred (low hemoglobin, blood pressure,
//! temperature, malaria-risk travel); donations are collected, processed into components, tested
//! (a few repeat reactive, which defers the donor and opens a notification task; a few false
//! initial reactives; a few ABO/RhD discrepancies held for QA), labelled, verified and released;
//! some are discarded, platelets expire. Released units are put away, moved from the processing
//! laboratory to the distribution centre each morning, and three hospitals order every day
//! (see [`supply`]): orders are allocated, picked, shipped, received, a few returned and
//! reviewed. Work whose time would come after "now" is not done yet, so the latest donations
//! and orders stand at every stage.
//! [`seed`] runs the stream through the ledger; the same stream serves the ledger benchmark.

use hemaflow_domain::{
    AccessCommand, ClientCommand, DonorCentreCommand, DonorCentreEvent, LabCommand,
    ManufacturingCommand, ReleaseCommand,
};
use std::collections::{BTreeMap, BTreeSet};

use hemaflow_domain::command::{Command, Event, TestResultInput};
use hemaflow_domain::donor_centre::donor::{Identity, Sex};
use hemaflow_domain::donor_centre::eligibility::{Procedure, QuestionnaireFinding, ScreeningInput};
use hemaflow_domain::lab::testing::{Abo, MarkerStatus, Reading, RhD, Stage};
use hemaflow_domain::manufacturing::components::{Family, Status};
use hemaflow_domain::release::gate::HoldTarget;
use hemaflow_domain::rng::Rng;
use hemaflow_domain::{Config, Context, Role, State, decide, evolve};
use hemaflow_ledger::{LedgerError, Outcome, Store};
use serde::Serialize;
use time::{Duration, OffsetDateTime, Time};

use crate::BloodLedger;

mod lookback;
mod supply;
mod transfusion;
pub use supply::{DEMO_HOSPITALS, DISTRIBUTION_SITE, DemoHospital, PROCESSING_SITE, hospital_user};

/// The screening of a typical healthy adult donor of the demo and of the national workload
/// (`hemaflow-sim`), before a donor's plan changes it (weight, haemoglobin, a deferral). Made-up
/// values, written out here: not observations, nobody measured them.
pub fn demo_screening() -> ScreeningInput {
    ScreeningInput {
        answers: BTreeMap::new(),
        questionnaire: Vec::new(),
        temperature_c: 36.8,
        systolic: 120,
        diastolic: 80,
        pulse: 72,
        pulse_regular: true,
        weight_kg: 80.0,
        height_cm: Some(178.0),
        hemoglobin_g_dl: Some(14.2),
        hematocrit_pct: None,
        platelet_count: Some(250),
        days_since_aspirin: None,
        days_since_clopidogrel: None,
        physician_approvals: Vec::new(),
        healthy_athlete: false,
    }
}

/// What to make.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoOptions {
    pub seed: u64,
    /// Donors who come in during the period (each visits once).
    pub donors: u32,
    /// How many days before `now` the story starts.
    pub days: u32,
    /// The end of the story: nothing is done at or after it.
    pub now: OffsetDateTime,
}

impl DemoOptions {
    /// 300 donors over the 5 weeks before `now`, seed 2026.
    pub fn new(now: OffsetDateTime) -> DemoOptions {
        DemoOptions {
            seed: 2026,
            donors: 300,
            days: 35,
            now,
        }
    }
}

/// A member of staff: the actor id the ledger records, with the role it acts in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StaffMember {
    pub actor: &'static str,
    pub name: &'static str,
    pub role: Role,
    /// The site or hospital the person works at.
    pub works_at: &'static str,
}

/// A collection site of the establishment (one facility identification number).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Site {
    pub code: &'static str,
    pub name: &'static str,
    /// The US state of collection (TEST-REGIONAL decides the Babesia test by it).
    pub state: &'static str,
}

pub const SITES: [Site; 4] = [
    Site {
        code: "CEN",
        name: "Central Donor Centre, Philadelphia",
        state: "PA",
    },
    Site {
        code: "RIV",
        name: "Riverside Donor Centre, Camden",
        state: "NJ",
    },
    Site {
        code: "MOB",
        name: "Mobile drive, Keystone University",
        state: "PA",
    },
    Site {
        code: "WIL",
        name: "Westgate Donor Centre, Wilmington",
        state: "DE",
    },
];

/// The hospitals the establishment ships to (the consignees).
pub const HOSPITALS: [&str; 3] = [
    "Mercy General Hospital",
    "St. Luke's Medical Center",
    "County Children's Hospital",
];

pub const STAFF: [StaffMember; 17] = [
    staff("p.svensson", "Petra Svensson", Role::Admin, "Central"),
    staff("j.garcia", "Julia Garcia", Role::CollectionStaff, "CEN"),
    staff("m.chen", "Ming Chen", Role::CollectionStaff, "RIV"),
    staff("a.okafor", "Ade Okafor", Role::CollectionStaff, "MOB"),
    staff("l.haddad", "Lina Haddad", Role::CollectionStaff, "WIL"),
    staff(
        "r.patel",
        "Ravi Patel",
        Role::LabTechnologist,
        "Central lab",
    ),
    staff("s.kim", "Soo-ah Kim", Role::LabTechnologist, "Central lab"),
    staff("t.nguyen", "Tam Nguyen", Role::Manufacturing, "Central"),
    staff("l.rossi", "Luca Rossi", Role::Manufacturing, "Central"),
    staff("e.walsh", "Emma Walsh", Role::QualityAssurance, "Central"),
    staff("d.cohen", "Dana Cohen", Role::QualityAssurance, "Central"),
    staff("k.mendes", "Kai Mendes", Role::Distribution, "Central"),
    staff(
        "h.ortiz",
        "Hana Ortiz",
        Role::HospitalUser,
        "Mercy General Hospital",
    ),
    staff(
        "m.alvarez",
        "Marta Alvarez",
        Role::TransfusionTechnologist,
        "Mercy General Hospital",
    ),
    staff(
        "n.brooks",
        "Nia Brooks",
        Role::Nurse,
        "Mercy General Hospital",
    ),
    staff(
        "b.owusu",
        "Ben Owusu",
        Role::HospitalUser,
        "St. Luke's Medical Center",
    ),
    staff(
        "c.reyes",
        "Carmen Reyes",
        Role::HospitalUser,
        "County Children's Hospital",
    ),
];

const fn staff(
    actor: &'static str,
    name: &'static str,
    role: Role,
    works_at: &'static str,
) -> StaffMember {
    StaffMember {
        actor,
        name,
        role,
        works_at,
    }
}

/// One command of the stream, with who gives it and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub command_id: String,
    pub command: Command,
    pub context: Context,
    /// Whether the domain accepted it when the stream was planned (the ledger must agree).
    pub accepted: bool,
}

/// ABO/RhD of the US donor population (DOMAIN.md), in tenths of a percent.
const BLOOD_GROUPS: [(Abo, RhD, u64); 8] = [
    (Abo::O, RhD::Positive, 374),
    (Abo::O, RhD::Negative, 66),
    (Abo::A, RhD::Positive, 357),
    (Abo::A, RhD::Negative, 63),
    (Abo::B, RhD::Positive, 85),
    (Abo::B, RhD::Negative, 15),
    (Abo::AB, RhD::Positive, 34),
    (Abo::AB, RhD::Negative, 6),
];

const FAMILY_NAMES: [&str; 30] = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Nguyen",
    "Clark",
    "Okafor",
    "Kowalski",
    "Patel",
];
const FEMALE_NAMES: [&str; 12] = [
    "Mary", "Patricia", "Jennifer", "Linda", "Aisha", "Maria", "Susan", "Priya", "Sofia", "Emily",
    "Grace", "Mei",
];
const MALE_NAMES: [&str; 12] = [
    "James", "Robert", "John", "Michael", "David", "Carlos", "Wei", "Omar", "Daniel", "Kwame",
    "Thomas", "Ivan",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Deferred {
    No,
    LowHemoglobin,
    BloodPressure,
    Temperature,
    MalariaTravel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LabOutcome {
    Clear,
    /// Initial reactive, both repeats nonreactive: acceptable.
    FalseInitialReactive,
    /// Repeat reactive: the donation is unsuitable, the donor deferred and notified.
    RepeatReactive,
    /// The second ABO/RhD determination disagrees: held for QA.
    AboDiscrepancy,
}

/// What the centre has to do, and when.
#[derive(Debug, Clone)]
enum Step {
    Visit(usize),
    Produce {
        din: String,
        recipe: &'static str,
    },
    /// ABO/RhD twice and the antibody screen.
    Typing {
        din: String,
        donor: usize,
    },
    /// The infectious-disease markers, from the instruments a few hours later.
    Markers {
        din: String,
        donor: usize,
    },
    Release {
        din: String,
    },
    Resolve {
        din: String,
        donor: usize,
    },
    Expire,
    PostDonationInformation,
    Transfer,
    ReceiveTransfer {
        transfer_id: String,
    },
    RenewStanding,
    Order {
        hospital: usize,
    },
    Cancel {
        order_id: String,
    },
    Allocate {
        order_id: String,
        then_pick: bool,
    },
    Pick {
        order_id: String,
        then_ship: bool,
    },
    Ship {
        order_id: String,
        then_receive: bool,
    },
    Receive {
        shipment_id: String,
    },
    Return,
    ReviewReturn {
        component: String,
    },
    /// A scene of Mercy's transfusion service (see `transfusion`).
    Transfusion(transfusion::Scene),
    /// A scene of the quality story (see `lookback`).
    Quality(lookback::Scene),
    LateOrder {
        order_id: String,
        stage: u8,
    },
    AtRisk,
}

struct DonorPlan {
    identity: Identity,
    abo: Abo,
    rhd: RhD,
    procedure: Procedure,
    site: &'static Site,
    deferred: Deferred,
    lab: LabOutcome,
    /// Set once registered.
    id: Option<String>,
}

struct Planner {
    rng: Rng,
    seed: u64,
    state: State,
    now: OffsetDateTime,
    end: OffsetDateTime,
    donors: Vec<DonorPlan>,
    queue: BTreeMap<(OffsetDateTime, u64), Step>,
    scheduled: u64,
    din_sequence: BTreeMap<i32, u32>,
    out: Vec<Planned>,
}

/// The command stream of a centre's last `options.days` days; deterministic from the options.
pub fn plan(options: &DemoOptions) -> Vec<Planned> {
    let start = start_of(options);
    let mut rng = Rng::new(options.seed);
    let donors = (0..options.donors).map(|_| donor_plan(&mut rng)).collect();
    let mut planner = Planner {
        rng,
        seed: options.seed,
        state: State::default(),
        now: start,
        end: options.now,
        donors,
        queue: BTreeMap::new(),
        scheduled: 0,
        din_sequence: BTreeMap::new(),
        out: Vec::new(),
    };
    planner.run(
        "p.svensson",
        Role::Admin,
        Command::Client(ClientCommand::Access(AccessCommand::Configure {
            config: Box::new(Config::default()),
        })),
    );
    planner.open_supply();
    for index in 0..planner.donors.len() {
        let day = planner.rng.below(u64::from(options.days) + 1) as i64;
        let minute = planner.rng.below(9 * 60) as i64;
        let at = start + Duration::days(day) + Duration::hours(1) + Duration::minutes(minute);
        planner.schedule(at, Step::Visit(index));
    }
    for day in 0..i64::from(options.days) + 1 {
        let morning = start + Duration::days(day);
        planner.schedule(morning - Duration::hours(2), Step::Expire);
        planner.schedule(morning - Duration::hours(1), Step::Transfer);
        planner.schedule_orders(morning);
        planner.schedule(morning + Duration::hours(7), Step::Return);
    }
    planner.schedule_closing_orders(options.now);
    planner.schedule_transfusion(options.now);
    planner.schedule_quality(start, options.now);
    planner.schedule(
        start + Duration::days(i64::from(options.days / 2)) + Duration::hours(3),
        Step::PostDonationInformation,
    );
    while let Some(((at, _), step)) = planner.queue.pop_first() {
        // A step due while the one before is still going on (a visit's waits) begins when
        // it ends, as staff would: the stream's times never go back, which the ledger
        // requires of planned times.
        let begins = at.max(planner.now);
        if begins >= planner.end {
            break;
        }
        planner.now = begins;
        planner.step(step);
    }
    planner.out
}

/// 08:00 UTC on the first day of the story.
fn start_of(options: &DemoOptions) -> OffsetDateTime {
    let first = options.now - Duration::days(i64::from(options.days));
    first.replace_time(Time::from_hms(8, 0, 0).unwrap_or(Time::MIDNIGHT))
}

fn donor_plan(rng: &mut Rng) -> DonorPlan {
    let sex = if rng.chance(50) {
        Sex::Female
    } else {
        Sex::Male
    };
    let given = match sex {
        Sex::Female => rng.pick(&FEMALE_NAMES),
        _ => rng.pick(&MALE_NAMES),
    };
    let born = time::Date::from_calendar_date(
        1955 + rng.below(48) as i32,
        time::Month::try_from(1 + rng.below(12) as u8).unwrap_or(time::Month::January),
        1 + rng.below(28) as u8,
    )
    .unwrap_or(time::Date::MIN);
    let mut draw = rng.below(1000);
    let (mut abo, mut rhd) = (Abo::O, RhD::Positive);
    for (group_abo, group_rhd, share) in BLOOD_GROUPS {
        if draw < share {
            (abo, rhd) = (group_abo, group_rhd);
            break;
        }
        draw -= share;
    }
    let procedure = match rng.below(100) {
        0..=79 => Procedure::WholeBlood,
        80..=87 => Procedure::Plateletpheresis,
        88..=93 => Procedure::Plasmapheresis,
        _ if sex == Sex::Male => Procedure::DoubleRedCells,
        _ => Procedure::WholeBlood,
    };
    let deferred = match rng.below(100) {
        0..=4 => Deferred::LowHemoglobin,
        5..=6 => Deferred::BloodPressure,
        7 => Deferred::Temperature,
        8..=9 => Deferred::MalariaTravel,
        _ => Deferred::No,
    };
    let lab = match rng.below(1000) {
        0..=14 => LabOutcome::RepeatReactive,
        15..=29 => LabOutcome::FalseInitialReactive,
        30..=44 => LabOutcome::AboDiscrepancy,
        _ => LabOutcome::Clear,
    };
    DonorPlan {
        identity: Identity {
            family_name: (*rng.pick(&FAMILY_NAMES).unwrap_or(&"Smith")).to_owned(),
            given_name: (*given.unwrap_or(&"Alex")).to_owned(),
            date_of_birth: born,
            sex,
            national_id: None,
            contact: None,
            parental_consent: false,
        },
        abo,
        rhd,
        procedure,
        site: rng.pick(&SITES).unwrap_or(&SITES[0]),
        deferred,
        lab,
        id: None,
    }
}

impl Planner {
    fn schedule(&mut self, at: OffsetDateTime, step: Step) {
        self.scheduled += 1;
        self.queue.insert((at, self.scheduled), step);
    }

    /// Decides a command as the ledger will, applies it, and adds it to the stream.
    fn run(&mut self, actor: &str, role: Role, command: Command) -> Option<Vec<Event>> {
        let context = Context {
            actor: actor.to_owned(),
            role,
            now: self.now,
            stamp: hemaflow_domain::Stamp::Planned,
        };
        let answer = decide(&self.state, &command, &context);
        let accepted = answer.is_ok();
        self.out.push(Planned {
            command_id: format!("demo-{}-{:06}", self.seed, self.out.len() + 1),
            command,
            context,
            accepted,
        });
        let events = answer.ok()?;
        for event in &events {
            evolve(&mut self.state, event);
        }
        Some(events)
    }

    fn pick_actor(&mut self, role: Role) -> &'static str {
        let actors: Vec<&'static str> = STAFF
            .iter()
            .filter(|s| s.role == role)
            .map(|s| s.actor)
            .collect();
        self.rng.pick(&actors).copied().unwrap_or("p.svensson")
    }

    fn minutes(&mut self, low: i64, high: i64) -> Duration {
        Duration::minutes(low + self.rng.below((high - low).max(1) as u64) as i64)
    }

    /// Lets some minutes pass before the next command, never up to the story's end: a step
    /// begun before the end finishes before it (its last commands closer together), so that
    /// no planned time is after `now` and the times never go back.
    fn wait(&mut self, low: i64, high: i64) {
        let pause = self.minutes(low, high);
        let last = self.end - Duration::SECOND;
        self.now = (self.now + pause).min(last).max(self.now);
    }

    fn step(&mut self, step: Step) {
        match step {
            Step::Visit(donor) => self.visit(donor),
            Step::Produce { din, recipe } => {
                let actor = self.pick_actor(Role::Manufacturing);
                self.run(
                    actor,
                    Role::Manufacturing,
                    Command::Client(ClientCommand::Manufacturing(
                        ManufacturingCommand::ProduceComponents {
                            din,
                            recipe: recipe.to_owned(),
                        },
                    )),
                );
            }
            Step::Typing { din, donor } => self.typing(&din, donor),
            Step::Markers { din, donor } => self.markers(&din, donor),
            Step::Release { din } => self.release(&din),
            Step::Resolve { din, donor } => self.resolve(&din, donor),
            Step::Expire => {
                let actor = self.pick_actor(Role::Distribution);
                let as_of = self.now;
                self.run(
                    actor,
                    Role::Distribution,
                    Command::Client(ClientCommand::Release(ReleaseCommand::ExpireUnits {
                        as_of,
                    })),
                );
            }
            Step::PostDonationInformation => self.post_donation_information(),
            Step::Transfer => self.transfer(),
            Step::ReceiveTransfer { transfer_id } => self.receive_transfer(&transfer_id),
            Step::RenewStanding => self.renew_standing(),
            Step::Order { hospital } => self.order(hospital),
            Step::Cancel { order_id } => self.cancel(order_id),
            Step::Allocate {
                order_id,
                then_pick,
            } => self.allocate(order_id, then_pick),
            Step::Pick {
                order_id,
                then_ship,
            } => self.pick(order_id, then_ship),
            Step::Ship {
                order_id,
                then_receive,
            } => self.ship(order_id, then_receive),
            Step::Receive { shipment_id } => self.receive(shipment_id),
            Step::Return => self.return_one(),
            Step::ReviewReturn { component } => self.review_return(component),
            Step::LateOrder { order_id, stage } => self.late_order(order_id, stage),
            Step::AtRisk => self.at_risk_order(),
            Step::Transfusion(scene) => self.transfusion_scene(scene),
            Step::Quality(scene) => self.quality_scene(scene),
        }
    }

    fn visit(&mut self, index: usize) {
        let collector = self.pick_actor(Role::CollectionStaff);
        let identity = self.donors[index].identity.clone();
        let Some(events) = self.run(
            collector,
            Role::CollectionStaff,
            Command::Client(ClientCommand::DonorCentre(
                DonorCentreCommand::RegisterDonor { identity },
            )),
        ) else {
            return;
        };
        let Some(donor_id) = events.iter().find_map(|e| match e {
            Event::DonorCentre(DonorCentreEvent::DonorRegistered { donor }) => {
                Some(donor.id.clone())
            }
            _ => None,
        }) else {
            return;
        };
        self.donors[index].id = Some(donor_id.clone());
        self.wait(5, 15);
        let plan = &self.donors[index];
        let procedure = plan.procedure;
        let deferred = plan.deferred;
        let female = plan.identity.sex == Sex::Female;
        let mut input = demo_screening();
        input.weight_kg = 60.0 + self.rng.below(40) as f64;
        input.hemoglobin_g_dl = Some(13.6 + self.rng.below(25) as f64 / 10.0);
        match deferred {
            Deferred::No => {}
            Deferred::LowHemoglobin => {
                input.hemoglobin_g_dl = Some(if female { 11.9 } else { 12.4 });
            }
            Deferred::BloodPressure => input.systolic = 186,
            Deferred::Temperature => input.temperature_c = 37.9,
            Deferred::MalariaTravel => input.questionnaire.push(QuestionnaireFinding {
                reason: "malaria_travel".to_owned(),
                since: Some(self.now.date() - Duration::days(40)),
            }),
        }
        let screening = self
            .run(
                collector,
                Role::CollectionStaff,
                Command::Client(ClientCommand::DonorCentre(
                    DonorCentreCommand::RecordScreening {
                        donor_id: donor_id.clone(),
                        procedure,
                        input,
                    },
                )),
            )
            .and_then(|events| {
                events.into_iter().find_map(|e| match e {
                    Event::DonorCentre(DonorCentreEvent::ScreeningRecorded { screening }) => {
                        Some(*screening)
                    }
                    _ => None,
                })
            });
        let Some(screening) = screening else { return };
        // One deferred donor in four is scanned at the chair anyway: the refusal is recorded.
        if !screening.accepted && !self.rng.chance(25) {
            return;
        }
        self.wait(10, 20);
        let din = self.next_din();
        let volume_ml = match procedure {
            Procedure::WholeBlood => 440 + self.rng.below(80) as u32,
            Procedure::DoubleRedCells => 360,
            Procedure::Plateletpheresis => 250,
            _ => 600,
        };
        let site = self.donors[index].site;
        let collected = self.run(
            collector,
            Role::CollectionStaff,
            Command::Client(ClientCommand::DonorCentre(
                DonorCentreCommand::CollectDonation {
                    din: din.clone(),
                    donor_id,
                    screening_id: screening.id,
                    container: hemaflow_domain::donor_centre::collection::Container {
                        catalogue_number: "BAG-450-CPD-AS1".to_owned(),
                        lot: format!("L{}-{}", self.now.year(), site.code),
                    },
                    started_at: self.now - Duration::minutes(12),
                    ended_at: self.now,
                    volume_ml,
                    red_cell_loss_ml: 0,
                    phlebotomist: collector.to_owned(),
                    adverse_reactions: Vec::new(),
                    collection_state: site.state.to_owned(),
                },
            )),
        );
        if collected.is_none() {
            return;
        }
        let recipe = self.recipe(procedure);
        let produce_at = self.now + self.minutes(120, 300);
        self.schedule(
            produce_at,
            Step::Produce {
                din: din.clone(),
                recipe,
            },
        );
        let test_at = next_day_at(self.now, 9) + self.minutes(0, 180);
        self.schedule(test_at, Step::Typing { din, donor: index });
    }

    fn recipe(&mut self, procedure: Procedure) -> &'static str {
        match procedure {
            Procedure::WholeBlood => match self.rng.below(100) {
                0..=59 => "rbc_ffp",
                60..=84 => "rbc_ffp_platelets",
                85..=94 => "rbc_cryo",
                _ => "rbc_pf24",
            },
            Procedure::DoubleRedCells => "double_red_cells",
            Procedure::Plateletpheresis => match self.rng.below(100) {
                0..=49 => "platelets_double",
                50..=79 => "platelets_single",
                _ => "platelets_and_plasma",
            },
            _ => "apheresis_plasma",
        }
    }

    /// The next DIN of the facility for the year of the collection (ISBT 128 structure 001).
    fn next_din(&mut self) -> String {
        let year = self.now.year();
        let sequence = self.din_sequence.entry(year).or_insert(0);
        *sequence += 1;
        format!(
            "{}{:02}{:06}",
            self.state.config.facility,
            year.rem_euclid(100),
            sequence
        )
    }

    fn typing(&mut self, din: &str, donor: usize) {
        let (abo, rhd, outcome) = {
            let plan = &self.donors[donor];
            (plan.abo, plan.rhd, plan.lab)
        };
        let tech = self.pick_actor(Role::LabTechnologist);
        let second = if outcome == LabOutcome::AboDiscrepancy {
            if abo == Abo::A { Abo::O } else { Abo::A }
        } else {
            abo
        };
        for determined in [abo, second] {
            self.run(
                tech,
                Role::LabTechnologist,
                Command::Client(ClientCommand::Lab(LabCommand::RecordBloodGroup {
                    din: din.to_owned(),
                    abo: determined,
                    rhd,
                })),
            );
        }
        self.run(
            tech,
            Role::LabTechnologist,
            Command::Client(ClientCommand::Lab(LabCommand::RecordAntibodyScreen {
                din: din.to_owned(),
                positive: false,
            })),
        );
        let at = self.now + self.minutes(180, 420);
        let din = din.to_owned();
        self.schedule(at, Step::Markers { din, donor });
    }

    fn markers(&mut self, din: &str, donor: usize) {
        let outcome = {
            let plan = &self.donors[donor];
            plan.lab
        };
        let tests: Vec<String> = self
            .state
            .donations
            .get(din)
            .map(|d| d.tests.keys().cloned().collect())
            .unwrap_or_default();
        let reactive_marker = ["anti_hcv", "anti_hbc", "anti_htlv", "hbsag"]
            .into_iter()
            .filter(|m| tests.iter().any(|t| t == m))
            .nth(self.rng.below(3) as usize)
            .or_else(|| tests.first().map(String::as_str))
            .unwrap_or("anti_hcv")
            .to_owned();
        let reacts = matches!(
            outcome,
            LabOutcome::RepeatReactive | LabOutcome::FalseInitialReactive
        );
        let results: Vec<TestResultInput> = tests
            .iter()
            .map(|test| TestResultInput {
                din: din.to_owned(),
                test: test.clone(),
                stage: Stage::Initial,
                reading: if reacts && *test == reactive_marker {
                    Reading::Reactive
                } else {
                    Reading::Nonreactive
                },
            })
            .collect();
        let tech = self.pick_actor(Role::LabTechnologist);
        // Each result as the laboratory interface sends it, one message per marker.
        // (`RecordTestResults` decides a batch on a copy of the whole state, which costs
        // O(size of the database) per batch; see BENCHMARKS.md.)
        for result in results {
            self.run(
                tech,
                Role::LabTechnologist,
                Command::Client(ClientCommand::Lab(LabCommand::RecordTestResult { result })),
            );
        }
        if reacts {
            self.wait(60, 120);
            let repeat = if outcome == LabOutcome::RepeatReactive {
                Reading::Reactive
            } else {
                Reading::Nonreactive
            };
            for _ in 0..2 {
                self.run(
                    tech,
                    Role::LabTechnologist,
                    Command::Client(ClientCommand::Lab(LabCommand::RecordTestResult {
                        result: TestResultInput {
                            din: din.to_owned(),
                            test: reactive_marker.clone(),
                            stage: Stage::Repeat,
                            reading: repeat,
                        },
                    })),
                );
            }
        }
        let din = din.to_owned();
        match outcome {
            // The units are marked unsafe by the result itself (REL-UNSAFE: final; they are
            // destroyed, not discarded), the donor deferred and a notification task opened.
            LabOutcome::RepeatReactive => {}
            LabOutcome::AboDiscrepancy => {
                // Two in three are resolved the next day; the others are still held.
                if self.rng.chance(66) {
                    let at = next_day_at(self.now, 10) + self.minutes(0, 120);
                    self.schedule(at, Step::Resolve { din, donor });
                }
            }
            _ => {
                let at = self.now + self.minutes(120, 360);
                self.schedule(at, Step::Release { din });
            }
        }
    }

    fn component_ids(&self, din: &str, statuses: &[Status]) -> Vec<String> {
        self.state
            .components
            .values()
            .filter(|c| c.din == din && statuses.contains(&c.status))
            .map(|c| c.id.clone())
            .collect()
    }

    fn release(&mut self, din: &str) {
        for id in self.component_ids(din, &[Status::Quarantined]) {
            let Some(component) = self.state.components.get(&id).cloned() else {
                continue;
            };
            let maker = self.pick_actor(Role::Manufacturing);
            self.wait(1, 4);
            if self.rng.chance(3) {
                self.run(
                    maker,
                    Role::Manufacturing,
                    Command::Client(ClientCommand::Manufacturing(
                        ManufacturingCommand::DiscardComponent {
                            component: id,
                            reason: "bag leak found at visual inspection".to_owned(),
                        },
                    )),
                );
                continue;
            }
            if component.family == Family::Platelets {
                self.run(
                    maker,
                    Role::Manufacturing,
                    Command::Client(ClientCommand::Manufacturing(
                        ManufacturingCommand::RecordBacterialControl {
                            component: id.clone(),
                            method: "lvds_48h".to_owned(),
                        },
                    )),
                );
            }
            self.run(
                maker,
                Role::Manufacturing,
                Command::Client(ClientCommand::Manufacturing(
                    ManufacturingCommand::VerifyLabel {
                        component: id.clone(),
                        // Read now: a bacterial-control step above may have changed the expiry.
                        scans: label_scans(&self.state, &id),
                    },
                )),
            );
            let qa = self.pick_actor(Role::QualityAssurance);
            let released = self.run(
                qa,
                Role::QualityAssurance,
                Command::Client(ClientCommand::Release(ReleaseCommand::ReleaseComponent {
                    component: id.clone(),
                })),
            );
            if released.is_some() {
                self.put_away(&id);
            }
        }
    }

    fn resolve(&mut self, din: &str, donor: usize) {
        let (abo, rhd) = (self.donors[donor].abo, self.donors[donor].rhd);
        let qa = self.pick_actor(Role::QualityAssurance);
        self.run(
            qa,
            Role::QualityAssurance,
            Command::Client(ClientCommand::Lab(LabCommand::ResolveBloodGroup {
                din: din.to_owned(),
                abo,
                rhd,
                reason: "third determination on a fresh segment agrees with the first".to_owned(),
            })),
        );
        let holds: Vec<String> = self
            .state
            .holds
            .values()
            .filter(|h| h.is_open())
            .filter(|h| match &h.target {
                HoldTarget::Donation { din: held } => held == din,
                HoldTarget::Component { id } => id.starts_with(din),
            })
            .map(|h| h.id.clone())
            .collect();
        for hold_id in holds {
            self.run(
                qa,
                Role::QualityAssurance,
                Command::Client(ClientCommand::Release(ReleaseCommand::ReleaseHold {
                    hold_id,
                    reason: "ABO/RhD discrepancy resolved".to_owned(),
                })),
            );
        }
        let at = self.now + self.minutes(60, 180);
        self.schedule(
            at,
            Step::Release {
                din: din.to_owned(),
            },
        );
    }

    /// A donor calls after donating (fever): post-donation information puts the donor's
    /// in-date units on hold (REL-PDI).
    fn post_donation_information(&mut self) {
        let donor = self
            .state
            .donations
            .values()
            .rev()
            .find(|d| self.state.components.values().any(|c| c.din == d.din))
            .map(|d| d.donor_id.clone());
        if let Some(donor_id) = donor {
            let collector = self.pick_actor(Role::CollectionStaff);
            self.run(
                collector,
                Role::CollectionStaff,
                Command::Client(ClientCommand::Release(
                    ReleaseCommand::RecordPostDonationInformation {
                        donor_id,
                        information: "donor called: fever and diarrhoea two days after donating"
                            .to_owned(),
                    },
                )),
            );
        }
    }
}

/// `hour`:00 UTC on the day after `at`.
fn next_day_at(at: OffsetDateTime, hour: u8) -> OffsetDateTime {
    (at + Duration::days(1)).replace_time(Time::from_hms(hour, 0, 0).unwrap_or(Time::MIDNIGHT))
}

/// What the demo made, read back from the ledger.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemoSummary {
    pub seed: u64,
    pub commands: u64,
    pub accepted: u64,
    /// Refused commands by rule ID (each one is an entry of the ledger too).
    pub refused: BTreeMap<String, u64>,
    pub entries: i64,
    pub sites: Vec<Site>,
    pub staff: Vec<StaffMember>,
    pub hospitals: Vec<&'static str>,
    pub donors: u64,
    pub deferrals: u64,
    pub donations: u64,
    pub components_by_status: BTreeMap<String, u64>,
    pub open_holds: u64,
    pub tasks: u64,
    /// Hospital orders by status, and how many are at risk of missing their clock at "now".
    pub orders_by_status: BTreeMap<String, u64>,
    pub orders_at_risk: u64,
    pub shipments: u64,
    /// A DIN at each stage of its life, to try `hemaflow audit history` on.
    pub examples: BTreeMap<String, String>,
}

/// Why the demo could not be seeded.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(
        "the database is not empty (its ledger has {entries} entries): the demo is seeded only into an empty database"
    )]
    NotEmpty { entries: i64 },
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(
        "command {command_id} was {actual} by the ledger but {planned} when planned; the demo stopped"
    )]
    Diverged {
        command_id: String,
        planned: &'static str,
        actual: &'static str,
    },
}

/// How many commands go into one transaction.
const BATCH: usize = 256;

/// Seeds an empty ledger with the centre of [`plan`], through the ledger's commands.
pub async fn seed(ledger: &BloodLedger, options: &DemoOptions) -> Result<DemoSummary, DemoError> {
    let head = ledger
        .store()
        .head()
        .await
        .map_err(|e| DemoError::Ledger(e.into()))?;
    if head.sequence > 0 {
        return Err(DemoError::NotEmpty {
            entries: head.sequence,
        });
    }
    let planned = plan(options);
    let mut accepted = 0;
    let mut refused: BTreeMap<String, u64> = BTreeMap::new();
    for chunk in planned.chunks(BATCH) {
        let batch: Vec<_> = chunk
            .iter()
            .map(|p| (p.command_id.as_str(), &p.command, &p.context))
            .collect();
        for (answer, plan) in ledger.execute_batch(&batch).await?.into_iter().zip(chunk) {
            let receipt = answer?;
            let was = |ok: bool| if ok { "accepted" } else { "refused" };
            let ok = matches!(receipt.outcome, Outcome::Accepted { .. });
            if ok != plan.accepted {
                return Err(DemoError::Diverged {
                    command_id: plan.command_id.clone(),
                    planned: was(plan.accepted),
                    actual: was(ok),
                });
            }
            match receipt.outcome {
                Outcome::Accepted { .. } => accepted += 1,
                Outcome::Refused { rule, .. } => *refused.entry(rule).or_default() += 1,
            }
        }
    }
    let entries = ledger
        .store()
        .head()
        .await
        .map_err(|e| DemoError::Ledger(e.into()))?
        .sequence;
    let mut summary = ledger.read(summarise).await?;
    summary.orders_at_risk = ledger
        .read(|state| supply::at_risk(state, options.now))
        .await?;
    summary.seed = options.seed;
    summary.commands = planned.len() as u64;
    summary.accepted = accepted;
    summary.refused = refused;
    summary.entries = entries;
    Ok(summary)
}

fn summarise(state: &State) -> DemoSummary {
    let mut components_by_status = BTreeMap::new();
    for component in state.components.values() {
        *components_by_status
            .entry(component.status.as_str().to_owned())
            .or_insert(0) += 1;
    }
    DemoSummary {
        seed: 0,
        commands: 0,
        accepted: 0,
        refused: BTreeMap::new(),
        entries: 0,
        sites: SITES.to_vec(),
        staff: STAFF.to_vec(),
        hospitals: HOSPITALS.to_vec(),
        donors: state.donors.len() as u64,
        deferrals: state.deferrals.len() as u64,
        donations: state.donations.len() as u64,
        components_by_status,
        open_holds: state.holds.values().filter(|h| h.is_open()).count() as u64,
        tasks: state.tasks.len() as u64,
        orders_by_status: supply::orders_by_status(state),
        orders_at_risk: 0,
        shipments: state.shipments.len() as u64,
        examples: examples(state),
    }
}

/// A DIN at each stage, the latest of each.
fn examples(state: &State) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    let components_of = |din: &str| -> Vec<Status> {
        state
            .components
            .values()
            .filter(|c| c.din == din)
            .map(|c| c.status)
            .collect()
    };
    let held: BTreeSet<&str> = state
        .holds
        .values()
        .filter(|h| h.is_open())
        .filter_map(|h| match &h.target {
            HoldTarget::Donation { din } => Some(din.as_str()),
            HoldTarget::Component { .. } => None,
        })
        .collect();
    for (din, donation) in &state.donations {
        let statuses = components_of(din);
        let pending = donation
            .tests
            .values()
            .any(|t| matches!(t, MarkerStatus::Pending));
        let unsuitable = donation.tests.values().any(|t| t.is_unsuitable());
        let stage = if unsuitable {
            "repeat reactive (donor deferred and notified)"
        } else if held.contains(din.as_str()) {
            "on hold (ABO/RhD discrepancy or post-donation information)"
        } else if statuses.is_empty() {
            "just collected"
        } else if pending {
            "in testing"
        } else if statuses.contains(&Status::Shipped) {
            "shipped to a hospital"
        } else if statuses.contains(&Status::Expired) {
            "expired"
        } else if statuses.contains(&Status::Discarded) {
            "discarded"
        } else if statuses.contains(&Status::Available) {
            "released"
        } else {
            "tested, awaiting release"
        };
        found.insert(stage.to_owned(), din.clone());
    }
    found
}

/// What a scanner reads from the unit's correct label: the structures the domain expects.
fn label_scans(state: &hemaflow_domain::State, id: &str) -> Vec<String> {
    state
        .components
        .get(id)
        .and_then(|component| {
            hemaflow_domain::manufacturing::label::expected_structures(state, component).ok()
        })
        .map(|structures| structures.iter().map(|s| s.encode()).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_donors_follow_the_us_abo_rhd_distribution() {
        let mut rng = Rng::new(11);
        let n = 20_000u64;
        let mut counts: BTreeMap<(Abo, RhD), u64> = BTreeMap::new();
        for _ in 0..n {
            let donor = donor_plan(&mut rng);
            *counts.entry((donor.abo, donor.rhd)).or_default() += 1;
        }
        for (abo, rhd, tenths) in BLOOD_GROUPS {
            let share = 1000.0 * counts.get(&(abo, rhd)).copied().unwrap_or(0) as f64 / n as f64;
            assert!(
                (share - tenths as f64).abs() < 8.0,
                "{abo:?} {rhd:?}: {share:.1} per mille, expected {tenths}"
            );
        }
    }
}
