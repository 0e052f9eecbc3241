//! The workload generator: a blood establishment's days, as the stream of commands its staff
//! would give. The generator keeps the domain's state in memory (through `decide` and
//! `evolve`, like any caller) so that each command names donors, screenings and units that
//! exist; the commands it emits are exactly those it decided, refused ones included, so
//! `sim run` meets the same outcomes.

use hemaflow_domain::{
    AccessCommand, ClientCommand, DistributionCommand, DonorCentreCommand, DonorCentreEvent,
    LabCommand, ManufacturingCommand, ManufacturingEvent, ReleaseCommand,
};
use std::collections::VecDeque;

use hemaflow_domain::command::{Command, Event, LineUnit, TestResultInput};
use hemaflow_domain::distribution::orders::OrderLine;
use hemaflow_domain::distribution::sites::{KeptAs, SiteKind, shipping_range};
use hemaflow_domain::donor_centre::collection::Container;
use hemaflow_domain::donor_centre::donor::{Identity, Sex};
use hemaflow_domain::donor_centre::eligibility::Procedure;
use hemaflow_domain::lab::testing::{Abo, Method, Reading, RhD, Stage};
use hemaflow_domain::manufacturing::components::{Family, Status};
use hemaflow_domain::manufacturing::label::final_label;
use hemaflow_domain::release::gate::confirmed_group;
use hemaflow_domain::rng::Rng;
use hemaflow_domain::{Config, Context, Refusal, Role, State, decide, evolve};
use time::macros::datetime;
use time::{Date, Duration, OffsetDateTime};

use crate::Step;
use crate::figures::{self, Figures};

/// What to generate.
#[derive(Clone, Debug)]
pub struct Workload {
    /// Donations collected (successful collections) over the whole run.
    pub donations: u64,
    pub seed: u64,
    /// Days the donations are spread over (collections weighted by weekday).
    pub days: u32,
    /// DIN sequence numbers each FIN has a year before the establishment collects under a
    /// further FIN: ICCBBA's 999 999 (smaller only to exercise the change of FIN in tests).
    pub din_sequences_per_year: u32,
}

impl Workload {
    /// `donations` over four weeks, or more days when a day would exceed
    /// [`figures::MAX_DONATIONS_PER_DAY`].
    pub fn new(donations: u64, seed: u64) -> Workload {
        let days = donations.div_ceil(figures::MAX_DONATIONS_PER_DAY).max(28);
        Workload {
            donations,
            seed,
            days: u32::try_from(days).unwrap_or(u32::MAX),
            din_sequences_per_year: DIN_SEQUENCES_PER_YEAR,
        }
    }
}

/// A donor the centre knows, and when they may come back.
struct Known {
    id: String,
    sex: Sex,
    group: (Abo, RhD),
    /// Donors keep to their procedure (a platelet donor comes back for platelets).
    procedure: Procedure,
    next_visit: Date,
}

/// A collection under way: recorded when it ends.
struct InChair {
    ended: OffsetDateTime,
    donor: usize,
    din: String,
    command: Command,
}

/// ICCBBA: a facility's DINs carry a six-digit sequence number a year.
pub const DIN_SEQUENCES_PER_YEAR: u32 = 999_999;

/// Where DIN numbering stands: the year, which of the establishment's FINs (its own first),
/// and the last sequence number used.
#[derive(Default)]
struct DinNumbers {
    year: i32,
    facility: usize,
    sequence: u32,
}

impl DinNumbers {
    /// The next (facility index, sequence number) in `year`, `per_year` numbers to a facility.
    fn next(&mut self, year: i32, per_year: u32) -> (usize, u32) {
        if self.year != year {
            *self = DinNumbers {
                year,
                facility: 0,
                sequence: 0,
            };
        }
        if self.sequence == per_year {
            self.facility += 1;
            self.sequence = 0;
        }
        self.sequence += 1;
        (self.facility, self.sequence)
    }
}

/// The generator's day-to-day memory (the domain state holds the rest).
struct Generator<'a, E> {
    figures: Figures,
    rng: Rng,
    state: State,
    emit: &'a mut E,
    sequence: u64,
    donors: Vec<Known>,
    dins: DinNumbers,
    din_sequences_per_year: u32,
    /// Donations collected today, to be processed this afternoon and tested tomorrow.
    collected_today: Vec<(String, usize)>,
    /// Collections under way, in the order they end.
    chairs: Vec<InChair>,
    to_test: Vec<(String, usize)>,
    /// Components produced, waiting for labelling and release the next morning.
    to_release: Vec<String>,
    /// Released units in shelf order (oldest expiry first, roughly).
    shelf: VecDeque<String>,
    collected: u64,
}

/// Generate the stream, calling `emit` for each step in order; the number of steps.
pub fn generate<E>(workload: &Workload, emit: &mut E) -> std::io::Result<u64>
where
    E: FnMut(&Step) -> std::io::Result<()>,
{
    let mut generator = Generator {
        figures: Figures::us(),
        rng: Rng::new(workload.seed),
        state: State::default(),
        emit,
        sequence: 0,
        donors: Vec::new(),
        dins: DinNumbers::default(),
        din_sequences_per_year: workload
            .din_sequences_per_year
            .clamp(1, DIN_SEQUENCES_PER_YEAR),
        collected_today: Vec::new(),
        chairs: Vec::new(),
        to_test: Vec::new(),
        to_release: Vec::new(),
        shelf: VecDeque::new(),
        collected: 0,
    };
    generator.open_supply(START)?;
    let plan = daily_plan(workload);
    for (day, donations) in plan.iter().enumerate() {
        let morning = START + Duration::days(i64::try_from(day).unwrap_or(0));
        generator.day(morning, *donations)?;
    }
    Ok(generator.sequence)
}

/// The first day of every run: Monday 5 January 2026, midnight UTC.
const START: OffsetDateTime = datetime!(2026-01-05 00:00 UTC);

/// How many donations each day collects: the total spread by the weekday weights, rounded so
/// that the days add up to the total exactly.
fn daily_plan(workload: &Workload) -> Vec<u64> {
    let weights: Vec<u64> = (0..workload.days)
        .map(|d| {
            let weekday = (START + Duration::days(i64::from(d))).weekday();
            figures::collection_weight(weekday)
        })
        .collect();
    let total: u64 = weights.iter().sum::<u64>().max(1);
    let mut plan = Vec::with_capacity(weights.len());
    let mut cumulative = 0u64;
    let mut given = 0u64;
    for weight in weights {
        cumulative += weight;
        let due = u64::try_from(
            u128::from(workload.donations) * u128::from(cumulative) / u128::from(total),
        )
        .unwrap_or(u64::MAX);
        plan.push(due - given);
        given = due;
    }
    plan
}

impl<E> Generator<'_, E>
where
    E: FnMut(&Step) -> std::io::Result<()>,
{
    /// Decide, apply if accepted, and emit the command whatever the outcome.
    fn issue(
        &mut self,
        role: Role,
        at: OffsetDateTime,
        command: Command,
    ) -> std::io::Result<Result<Vec<Event>, Refusal>> {
        self.issue_as(&actor(role), role, at, command)
    }

    /// [`Self::issue`] as a named actor (a hospital's user).
    fn issue_as(
        &mut self,
        actor: &str,
        role: Role,
        at: OffsetDateTime,
        command: Command,
    ) -> std::io::Result<Result<Vec<Event>, Refusal>> {
        let context = Context {
            actor: actor.to_owned(),
            role,
            now: at,
            stamp: hemaflow_domain::Stamp::Planned,
        };
        let outcome = decide(&self.state, &command, &context);
        if let Ok(events) = &outcome {
            for event in events {
                evolve(&mut self.state, event);
            }
        }
        self.sequence += 1;
        let step = Step {
            id: format!("sim-{:09}", self.sequence),
            context,
            command,
        };
        (self.emit)(&step)?;
        Ok(outcome)
    }

    /// Give a command whose outcome the day's plan does not depend on (a refusal is part of
    /// the workload and is recorded by `sim run` like any other).
    fn give(&mut self, role: Role, at: OffsetDateTime, command: Command) -> std::io::Result<()> {
        self.issue(role, at, command).map(drop)
    }

    fn day(&mut self, midnight: OffsetDateTime, donations: u64) -> std::io::Result<()> {
        self.give(
            Role::Manufacturing,
            midnight + Duration::minutes(30),
            Command::Client(ClientCommand::Release(ReleaseCommand::ExpireUnits {
                as_of: midnight + Duration::minutes(30),
            })),
        )?;
        self.laboratory(midnight + Duration::hours(6))?;
        self.label_and_release(midnight + Duration::hours(7))?;
        self.collections(midnight + Duration::hours(8), donations)?;
        self.processing(midnight + Duration::hours(16))?;
        self.hospital_orders(midnight + Duration::hours(17))?;
        Ok(())
    }

    /// 08:00-14:00: donors arrive, are screened, and most give blood.
    fn collections(&mut self, from: OffsetDateTime, donations: u64) -> std::io::Result<()> {
        let mut collected = 0u64;
        let mut visit = 0i64;
        // Visits until the day's collections are reached; deferred visits collect nothing.
        while collected < donations {
            let spacing = (6 * 3600 * 1000) / i64::try_from(donations * 2).unwrap_or(1).max(1);
            let at = from + Duration::milliseconds(spacing * visit);
            visit += 1;
            self.collections_ended(at)?;
            if self.visit(at)? {
                collected += 1;
            }
        }
        // The last procedures (apheresis up to 90 minutes) end before 16:00.
        self.collections_ended(from + Duration::hours(8))
    }

    /// One visit: a returning donor who may come back, or a new one; screening; collection.
    fn visit(&mut self, at: OffsetDateTime) -> std::io::Result<bool> {
        let today = at.date();
        let returning = if self.rng.chance(self.figures.first_time_percent) {
            None
        } else {
            self.pick_returning(today)
        };
        let index = match returning {
            Some(index) => index,
            None => match self.register(at)? {
                Some(index) => index,
                None => return Ok(false),
            },
        };
        let procedure = self.donors[index].procedure;
        let donor_id = self.donors[index].id.clone();
        let sex = self.donors[index].sex;
        let mut input = hemaflow_service::demo::demo_screening();
        let deferral = self.figures.screening_deferral(&mut self.rng, sex);
        deferral.apply(&mut input, sex);
        let screened = self.issue(
            Role::CollectionStaff,
            at,
            Command::Client(ClientCommand::DonorCentre(
                DonorCentreCommand::RecordScreening {
                    donor_id: donor_id.clone(),
                    procedure,
                    input,
                },
            )),
        )?;
        let screening = match screened {
            Ok(events) => events.iter().find_map(|e| match e {
                Event::DonorCentre(DonorCentreEvent::ScreeningRecorded { screening })
                    if screening.accepted =>
                {
                    Some(screening.id.clone())
                }
                _ => None,
            }),
            Err(_) => None,
        };
        let Some(screening_id) = screening else {
            // Deferred (or too early): the donor comes back after the deferral, modelled as
            // the whole-blood interval.
            self.donors[index].next_visit = today + Duration::days(56);
            return Ok(false);
        };
        let din = self.new_din(at)?;
        let phlebotomist = format!("phleb-{}", 1 + self.rng.below(12));
        let minutes = self.figures.procedure_minutes(procedure);
        let started = at + Duration::minutes(5);
        let ended = started + Duration::minutes(minutes);
        let command = Command::Client(ClientCommand::DonorCentre(
            DonorCentreCommand::CollectDonation {
                din: din.clone(),
                donor_id,
                screening_id,
                container: Container {
                    catalogue_number: figures::container(procedure).to_owned(),
                    lot: format!("L{}", at.date().year()),
                },
                started_at: started,
                ended_at: ended,
                volume_ml: figures::volume_ml(procedure),
                red_cell_loss_ml: 0,
                phlebotomist,
                adverse_reactions: Vec::new(),
                collection_state: "TX".to_owned(),
            },
        ));
        // Recorded when the procedure ends, after visits that began later but ended sooner.
        let position = self.chairs.partition_point(|c| c.ended <= ended);
        self.chairs.insert(
            position,
            InChair {
                ended,
                donor: index,
                din,
                command,
            },
        );
        self.donors[index].next_visit = today + Duration::days(figures::return_days(procedure));
        Ok(true)
    }

    /// Record every collection that ended by `until`, in the order they ended.
    fn collections_ended(&mut self, until: OffsetDateTime) -> std::io::Result<()> {
        let done = self.chairs.partition_point(|c| c.ended <= until);
        let ended: Vec<InChair> = self.chairs.drain(..done).collect();
        for chair in ended {
            let outcome = self.issue(Role::CollectionStaff, chair.ended, chair.command)?;
            if outcome.is_ok() {
                self.collected += 1;
                self.collected_today.push((chair.din, chair.donor));
            }
        }
        Ok(())
    }

    fn pick_returning(&mut self, today: Date) -> Option<usize> {
        // A few tries at random: a large register has many donors due back.
        for _ in 0..8 {
            let index = usize::try_from(self.rng.below(self.donors.len() as u64)).ok()?;
            if self.donors.get(index)?.next_visit <= today {
                return Some(index);
            }
        }
        None
    }

    fn register(&mut self, at: OffsetDateTime) -> std::io::Result<Option<usize>> {
        let sex = if self.rng.chance(self.figures.female_percent) {
            Sex::Female
        } else {
            Sex::Male
        };
        let n = self.donors.len() + 1;
        let age_days = 365 * (18 + i64::try_from(self.rng.below(52)).unwrap_or(0))
            + i64::try_from(self.rng.below(365)).unwrap_or(0);
        let identity = Identity {
            family_name: format!("Donor{n}"),
            given_name: figures::given_name(n).to_owned(),
            date_of_birth: at.date() - Duration::days(age_days),
            sex,
            national_id: None,
            contact: None,
            parental_consent: false,
        };
        let outcome = self.issue(
            Role::CollectionStaff,
            at,
            Command::Client(ClientCommand::DonorCentre(
                DonorCentreCommand::RegisterDonor { identity },
            )),
        )?;
        let Ok(events) = outcome else {
            return Ok(None);
        };
        let id = events.iter().find_map(|e| match e {
            Event::DonorCentre(DonorCentreEvent::DonorRegistered { donor }) => {
                Some(donor.id.clone())
            }
            _ => None,
        });
        let group = self.figures.blood_group(&mut self.rng);
        let procedure = self.figures.procedure(&mut self.rng);
        Ok(id.map(|id| {
            self.donors.push(Known {
                id,
                sex,
                group,
                procedure,
                next_visit: at.date(),
            });
            self.donors.len() - 1
        }))
    }

    /// The next DIN: the year's next sequence number of the facility in use. ICCBBA gives a
    /// FIN 999 999 sequence numbers a year ([`DIN_SEQUENCES_PER_YEAR`]); when they run out,
    /// the establishment registers a further FIN (an admin `Configure` in the stream) and
    /// numbers under it.
    fn new_din(&mut self, at: OffsetDateTime) -> std::io::Result<String> {
        let year = at.year();
        let (facility, sequence) = self.dins.next(year, self.din_sequences_per_year);
        let configured = self.state.config.facilities().nth(facility);
        let fin = match configured.map(str::to_owned) {
            Some(fin) => fin,
            None => self.register_facility(at)?,
        };
        Ok(format!("{fin}{:02}{sequence:06}", year % 100))
    }

    /// Add a FIN to the establishment's configuration; the new FIN.
    fn register_facility(&mut self, at: OffsetDateTime) -> std::io::Result<String> {
        let mut config = Config::clone(&self.state.config);
        let fin = figures::additional_facility(config.additional_facilities.len());
        config.additional_facilities.push(fin.clone());
        let outcome = self.issue(
            Role::Admin,
            at,
            Command::Client(ClientCommand::Access(AccessCommand::Configure {
                config: Box::new(config),
            })),
        )?;
        outcome.map(|_| fin).map_err(|refusal| {
            std::io::Error::other(format!(
                "the stream cannot register a further facility: {} {}",
                refusal.rule, refusal.message
            ))
        })
    }

    /// 16:00: today's donations are processed into components (whole blood within 8 hours).
    fn processing(&mut self, at: OffsetDateTime) -> std::io::Result<()> {
        let donations = std::mem::take(&mut self.collected_today);
        for (din, donor) in &donations {
            let Some(donation) = self.state.donations.get(din) else {
                continue;
            };
            let recipe = self.figures.recipe(&mut self.rng, donation.procedure);
            let outcome = self.issue(
                Role::Manufacturing,
                at,
                Command::Client(ClientCommand::Manufacturing(
                    ManufacturingCommand::ProduceComponents {
                        din: din.clone(),
                        recipe: recipe.to_owned(),
                    },
                )),
            )?;
            if let Ok(events) = outcome {
                self.to_release
                    .extend(events.iter().filter_map(|e| match e {
                        Event::Manufacturing(ManufacturingEvent::ComponentProduced {
                            component,
                        }) => Some(component.id.clone()),
                        _ => None,
                    }));
            }
            self.to_test.push((din.clone(), *donor));
        }
        Ok(())
    }

    /// 06:00: yesterday's samples: the infectious-disease panel, ABO/RhD twice and the
    /// antibody screen.
    fn laboratory(&mut self, at: OffsetDateTime) -> std::io::Result<()> {
        let samples = std::mem::take(&mut self.to_test);
        for (din, donor) in samples {
            let tests: Vec<String> = self
                .state
                .donations
                .get(&din)
                .map(|d| d.tests.keys().cloned().collect())
                .unwrap_or_default();
            let reactive = self
                .rng
                .chance_per_100k(self.figures.repeat_reactive_per_100k)
                .then(|| self.serology_test(&tests))
                .flatten();
            // One message per result, as an instrument interface sends them. (The batch
            // command `RecordTestResults` copies the whole state to decide, which makes a
            // large run quadratic; see the crate docs.)
            for test in &tests {
                let reading = if Some(test) == reactive.as_ref() {
                    Reading::Reactive
                } else {
                    Reading::Nonreactive
                };
                self.give(
                    Role::LabTechnologist,
                    at,
                    Command::Client(ClientCommand::Lab(LabCommand::RecordTestResult {
                        result: TestResultInput {
                            din: din.clone(),
                            test: test.clone(),
                            stage: Stage::Initial,
                            reading,
                        },
                    })),
                )?;
            }
            if let Some(test) = reactive {
                // TEST-RR: both duplicate repeats reactive.
                for _ in 0..2 {
                    self.give(
                        Role::LabTechnologist,
                        at,
                        Command::Client(ClientCommand::Lab(LabCommand::RecordTestResult {
                            result: TestResultInput {
                                din: din.clone(),
                                test: test.clone(),
                                stage: Stage::Repeat,
                                reading: Reading::Reactive,
                            },
                        })),
                    )?;
                }
            }
            let (abo, rhd) = self.donors[donor].group;
            for _ in 0..2 {
                self.give(
                    Role::LabTechnologist,
                    at,
                    Command::Client(ClientCommand::Lab(LabCommand::RecordBloodGroup {
                        din: din.clone(),
                        abo,
                        rhd,
                    })),
                )?;
            }
            let positive = self
                .rng
                .chance_per_100k(self.figures.antibody_screen_positive_per_100k);
            self.give(
                Role::LabTechnologist,
                at,
                Command::Client(ClientCommand::Lab(LabCommand::RecordAntibodyScreen {
                    din,
                    positive,
                })),
            )?;
        }
        Ok(())
    }

    fn serology_test(&self, tests: &[String]) -> Option<String> {
        tests
            .iter()
            .find(|code| {
                self.state
                    .config
                    .tests
                    .iter()
                    .any(|t| t.code == **code && t.method == Method::Serology)
            })
            .cloned()
    }

    /// 07:00: units produced yesterday: bacterial risk control for platelets, the final label
    /// scanned (now and then wrongly, then again), release; units that cannot be released
    /// (reactive donations) are discarded.
    fn label_and_release(&mut self, at: OffsetDateTime) -> std::io::Result<()> {
        let units = std::mem::take(&mut self.to_release);
        for id in units {
            let Some(unit) = self.state.components.get(&id) else {
                continue;
            };
            if unit.status == Status::Unsafe {
                self.give(
                    Role::Manufacturing,
                    at,
                    Command::Client(ClientCommand::Manufacturing(
                        ManufacturingCommand::DiscardComponent {
                            component: id.clone(),
                            reason: "unsuitable on testing".to_owned(),
                        },
                    )),
                )?;
                continue;
            }
            if unit.family == Family::Platelets {
                self.give(
                    Role::Manufacturing,
                    at,
                    Command::Client(ClientCommand::Manufacturing(
                        ManufacturingCommand::RecordBacterialControl {
                            component: id.clone(),
                            method: "pathogen_reduction".to_owned(),
                        },
                    )),
                )?;
            }
            let Ok(label) = final_label(&self.state, &id, at) else {
                // Not labelled (e.g. a positive antibody screen made it unsafe); release is
                // still attempted: the gate refuses and says why.
                self.release(at, &id)?;
                continue;
            };
            let mut scans: Vec<String> = label.scans().map(str::to_owned).to_vec();
            if self
                .rng
                .chance_per_100k(self.figures.label_mismatch_per_100k)
            {
                let mut wrong = scans.clone();
                wrong.swap_remove(1);
                self.scan(at, &id, wrong)?;
            }
            scans.rotate_left(usize::try_from(self.rng.below(4)).unwrap_or(0));
            self.scan(at, &id, scans)?;
            self.release(at, &id)?;
        }
        Ok(())
    }

    fn scan(&mut self, at: OffsetDateTime, id: &str, scans: Vec<String>) -> std::io::Result<()> {
        self.give(
            Role::Manufacturing,
            at,
            Command::Client(ClientCommand::Manufacturing(
                ManufacturingCommand::VerifyLabel {
                    component: id.to_owned(),
                    scans,
                },
            )),
        )?;
        Ok(())
    }

    fn release(&mut self, at: OffsetDateTime, id: &str) -> std::io::Result<()> {
        let released = self.issue(
            Role::QualityAssurance,
            at,
            Command::Client(ClientCommand::Release(ReleaseCommand::ReleaseComponent {
                component: id.to_owned(),
            })),
        )?;
        if released.is_ok() {
            self.shelf.push_back(id.to_owned());
        }
        Ok(())
    }

    /// Before the first day: the processing site (production puts units there) and the
    /// hospitals with a user each.
    fn open_supply(&mut self, at: OffsetDateTime) -> std::io::Result<()> {
        self.give(
            Role::Admin,
            at,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::RegisterSite {
                    site_id: figures::PROCESSING_SITE.to_owned(),
                    name: "National processing and distribution centre".to_owned(),
                    kind: SiteKind::Processing,
                    address: "1 Center Way".to_owned(),
                },
            )),
        )?;
        for n in 0..figures::HOSPITALS {
            let hospital = figures::hospital_id(n);
            self.give(
                Role::Admin,
                at,
                Command::Client(ClientCommand::Distribution(
                    DistributionCommand::RegisterHospital {
                        hospital_id: hospital.clone(),
                        name: figures::hospital(n),
                        address: format!("{} Hospital Road", n + 1),
                        contacts: Vec::new(),
                    },
                )),
            )?;
            self.give(
                Role::Admin,
                at,
                Command::Client(ClientCommand::Access(AccessCommand::CreateUser {
                    user_id: hospital_user(&hospital),
                    name: format!("Blood bank of {}", figures::hospital(n)),
                    role: Role::HospitalUser,
                    hospital: Some(hospital),
                })),
            )?;
        }
        Ok(())
    }

    /// 17:00-19:30: hospital orders, as many units as the weekday's demand (ORDER-CLOCK
    /// priorities by the figures); each order is allocated its units oldest first (the shelf
    /// is in expiry order, roughly: ALLOC-FEFO), picked by scan into one box per
    /// temperature, shipped, and received by the hospital.
    fn hospital_orders(&mut self, at: OffsetDateTime) -> std::io::Result<()> {
        let demand = self.figures.shipments_today(at.weekday(), self.shelf.len());
        let mut taken = Vec::new();
        while taken.len() < demand {
            let Some(id) = self.shelf.pop_front() else {
                break;
            };
            let available = self.state.components.get(&id).is_some_and(|c| {
                c.status == Status::Available && c.expires_at > at + Duration::hours(3)
            });
            if available {
                taken.push(id);
            }
        }
        let mut orders = Vec::new();
        let mut placed = 0;
        while !taken.is_empty() {
            placed += 1;
            let size = usize::try_from(1 + self.rng.below(self.figures.max_units_per_order))
                .unwrap_or(1)
                .min(taken.len());
            let units: Vec<String> = taken.drain(..size).collect();
            let hospital = usize::try_from(self.rng.below(figures::HOSPITALS as u64)).unwrap_or(0);
            let order_id = format!("ORD-{}-{placed:05}", at.date());
            if let Some(choices) = self.place_order(at, &order_id, hospital, &units)? {
                orders.push((order_id, figures::hospital_id(hospital), choices));
            }
        }
        for (order_id, _, choices) in &orders {
            self.give(
                Role::Distribution,
                at + Duration::minutes(30),
                Command::Client(ClientCommand::Distribution(
                    DistributionCommand::AllocateOrder {
                        order_id: order_id.clone(),
                        units: choices.clone(),
                    },
                )),
            )?;
        }
        let mut boxes: Vec<(String, KeptAs, String)> = Vec::new();
        for (order_id, hospital, choices) in &orders {
            for choice in choices {
                let kept = self.state.components.get(&choice.component).map(KeptAs::of);
                let Some(kept) = kept else { continue };
                let shipment_id = format!("SHP-{order_id}-{}", box_letter(kept));
                self.give(
                    Role::Distribution,
                    at + Duration::hours(1),
                    Command::Client(ClientCommand::Distribution(DistributionCommand::PickUnit {
                        shipment_id: shipment_id.clone(),
                        order_id: order_id.clone(),
                        component: choice.component.clone(),
                    })),
                )?;
                if !boxes.iter().any(|(b, ..)| *b == shipment_id) {
                    boxes.push((shipment_id, kept, hospital.clone()));
                }
            }
        }
        for (shipment_id, kept, _) in &boxes {
            let temperature_range = shipping_range(&self.state.config, *kept);
            self.give(
                Role::Distribution,
                at + Duration::minutes(70),
                Command::Client(ClientCommand::Distribution(
                    DistributionCommand::ShipShipment {
                        shipment_id: shipment_id.clone(),
                        box_id: format!("BOX-{shipment_id}"),
                        temperature_range,
                        courier: "Regional courier".to_owned(),
                    },
                )),
            )?;
        }
        for (shipment_id, _, hospital) in boxes {
            let units = self
                .state
                .shipments
                .get(&shipment_id)
                .map(|s| s.components.clone())
                .unwrap_or_default();
            for component in units {
                self.give_as(
                    &hospital_user(&hospital),
                    Role::HospitalUser,
                    at + Duration::minutes(150),
                    Command::Client(ClientCommand::Distribution(
                        DistributionCommand::ConfirmReceipt {
                            shipment_id: shipment_id.clone(),
                            component,
                        },
                    )),
                )?;
            }
        }
        Ok(())
    }

    /// A hospital orders exactly the units' families and groups (one line per kind); the
    /// units to allocate, line by line, or none if the order was refused.
    fn place_order(
        &mut self,
        at: OffsetDateTime,
        order_id: &str,
        hospital: usize,
        units: &[String],
    ) -> std::io::Result<Option<Vec<LineUnit>>> {
        let mut lines: Vec<OrderLine> = Vec::new();
        let mut choices = Vec::new();
        for id in units {
            let Some(c) = self.state.components.get(id) else {
                continue;
            };
            let Some((abo, rhd)) = confirmed_group(&self.state, c) else {
                continue;
            };
            let family = c.family;
            let index = match lines
                .iter()
                .position(|l| l.component_type == family && l.abo == abo && l.rhd == rhd)
            {
                Some(index) => index,
                None => {
                    lines.push(OrderLine {
                        component_type: family,
                        abo,
                        rhd,
                        attributes: Vec::new(),
                        quantity: 0,
                    });
                    lines.len() - 1
                }
            };
            lines[index].quantity += 1;
            choices.push(LineUnit {
                line: u32::try_from(index).unwrap_or(0),
                component: id.clone(),
            });
        }
        if lines.is_empty() {
            return Ok(None);
        }
        let priority = self.figures.order_priority(&mut self.rng);
        let hospital_id = figures::hospital_id(hospital);
        let placed = self.issue_as(
            &hospital_user(&hospital_id),
            Role::HospitalUser,
            at,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::PlaceOrder {
                    order_id: order_id.to_owned(),
                    hospital: hospital_id,
                    lines,
                    priority,
                    needed_by: None,
                },
            )),
        )?;
        Ok(placed.is_ok().then_some(choices))
    }

    fn give_as(
        &mut self,
        actor: &str,
        role: Role,
        at: OffsetDateTime,
        command: Command,
    ) -> std::io::Result<()> {
        self.issue_as(actor, role, at, command).map(drop)
    }
}

fn box_letter(kept: KeptAs) -> &'static str {
    match kept {
        KeptAs::Refrigerated => "C",
        KeptAs::Agitated | KeptAs::RoomTemperature => "R",
        KeptAs::Frozen => "F",
    }
}

/// The account bound to a hospital.
fn hospital_user(hospital: &str) -> String {
    format!("bloodbank.{hospital}")
}

fn actor(role: Role) -> String {
    match role {
        Role::CollectionStaff => "collection.desk",
        Role::LabTechnologist => "lab.bench",
        Role::Manufacturing => "components.lab",
        Role::QualityAssurance => "qa.release",
        Role::Distribution => "distribution",
        Role::Admin => "admin",
        Role::HospitalUser => "hospital",
        Role::TransfusionTechnologist => "transfusion.service",
        Role::Nurse => "bedside",
    }
    .to_owned()
}

/// A whole number of chances in 100 000 (rates below one percent).
trait Per100k {
    fn chance_per_100k(&mut self, per_100k: u64) -> bool;
}

impl Per100k for Rng {
    fn chance_per_100k(&mut self, per_100k: u64) -> bool {
        self.below(100_000) < per_100k
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Weekday;

    #[test]
    fn the_daily_plan_adds_up_and_follows_the_weekdays() {
        let workload = Workload::new(1000, 1);
        let plan = daily_plan(&workload);
        assert_eq!(plan.iter().sum::<u64>(), 1000);
        assert_eq!(plan.len(), 28);
        // 5 January 2026 is a Monday: Sunday (index 6) collects less than Monday.
        assert_eq!(START.weekday(), Weekday::Monday);
        assert!(plan[6] < plan[0], "{plan:?}");
    }

    #[test]
    fn din_numbers_move_to_a_further_facility_when_a_years_run_out_and_restart_each_year() {
        let mut dins = DinNumbers::default();
        assert_eq!(dins.next(2026, 3), (0, 1));
        assert_eq!(dins.next(2026, 3), (0, 2));
        assert_eq!(dins.next(2026, 3), (0, 3));
        assert_eq!(dins.next(2026, 3), (1, 1));
        assert_eq!(dins.next(2027, 3), (0, 1));
    }

    #[test]
    fn a_national_years_further_facilities_are_valid_and_distinct() {
        let mut config = State::default().config.as_ref().clone();
        config.additional_facilities = (0..12).map(figures::additional_facility).collect();
        assert_eq!(config.validate().map_err(|r| r.message), Ok(()));
    }
}
