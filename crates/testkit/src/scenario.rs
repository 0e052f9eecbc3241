//! A donor centre to drive the rules through a day's work: a state, a clock, and shorthand for
//! the usual steps. Used by the scenario tests, the simulation and other crates' tests; every
//! step goes through `decide` and `evolve` like any other caller.

use hemaflow_domain::{
    AccessCommand, ClientCommand, DistributionCommand, DonorCentreCommand, DonorCentreEvent,
    LabCommand, ManufacturingCommand, ManufacturingEvent, ReleaseCommand,
};
use std::collections::BTreeMap;

use time::macros::datetime;
use time::{Date, Duration, OffsetDateTime};

use hemaflow_domain::access::roles::Role;
use hemaflow_domain::command::{Command, Event, TestResultInput};
use hemaflow_domain::distribution::sites::{Celsius, Contact, SiteKind, StorageKind};
use hemaflow_domain::donor_centre::collection::{Container, next_din};
use hemaflow_domain::donor_centre::donor::{Identity, Sex};
use hemaflow_domain::donor_centre::eligibility::{Procedure, ScreeningInput};
use hemaflow_domain::kernel::refusal::Refusal;
use hemaflow_domain::lab::testing::{Abo, Reading, RhD, Stage};
use hemaflow_domain::manufacturing::components::Component;
use hemaflow_domain::state::{State, evolve};
use hemaflow_domain::{Context, decide};

pub struct Centre {
    pub state: State,
    pub now: OffsetDateTime,
    /// Every event accepted so far, in order.
    pub log: Vec<Event>,
    /// Every command accepted so far with its context, in order: replayed through a ledger,
    /// it seeds a database with the same state.
    pub journal: Vec<(Command, Context)>,
}

impl Default for Centre {
    fn default() -> Centre {
        Centre::new()
    }
}

/// A healthy adult's screening values for any procedure.
pub fn healthy_screening() -> ScreeningInput {
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

pub fn identity(family: &str, given: &str, born: Date, sex: Sex) -> Identity {
    Identity {
        family_name: family.to_owned(),
        given_name: given.to_owned(),
        date_of_birth: born,
        sex,
        national_id: None,
        contact: None,
        parental_consent: false,
    }
}

impl Centre {
    /// A centre with the US default rules, opening on Monday 2 March 2026 at 08:00 UTC.
    pub fn new() -> Centre {
        Centre {
            state: State::default(),
            now: datetime!(2026-03-02 08:00 UTC),
            log: Vec::new(),
            journal: Vec::new(),
        }
    }

    pub fn context(&self, role: Role) -> Context {
        Context {
            actor: format!("{role:?}").to_lowercase(),
            role,
            now: self.now,
            stamp: hemaflow_domain::Stamp::Planned,
        }
    }

    /// Decide and, if accepted, apply.
    pub fn run(&mut self, role: Role, command: impl Into<Command>) -> Result<Vec<Event>, Refusal> {
        let command = command.into();
        let context = self.context(role);
        let events = decide(&self.state, &command, &context)?;
        for event in &events {
            evolve(&mut self.state, event);
        }
        self.log.extend(events.iter().cloned());
        self.journal.push((command, context));
        Ok(events)
    }

    pub fn advance(&mut self, duration: Duration) {
        self.now += duration;
    }

    pub fn register(&mut self, identity: Identity) -> Result<String, Refusal> {
        let events = self.run(
            Role::CollectionStaff,
            Command::Client(ClientCommand::DonorCentre(
                DonorCentreCommand::RegisterDonor { identity },
            )),
        )?;
        Ok(match events.first() {
            Some(Event::DonorCentre(DonorCentreEvent::DonorRegistered { donor })) => {
                donor.id.clone()
            }
            _ => String::new(),
        })
    }

    /// Screen a donor; the screening id (accepted or not).
    pub fn screen(
        &mut self,
        donor_id: &str,
        procedure: Procedure,
        input: ScreeningInput,
    ) -> Result<String, Refusal> {
        let events = self.run(
            Role::CollectionStaff,
            Command::Client(ClientCommand::DonorCentre(
                DonorCentreCommand::RecordScreening {
                    donor_id: donor_id.to_owned(),
                    procedure,
                    input,
                },
            )),
        )?;
        Ok(match events.first() {
            Some(Event::DonorCentre(DonorCentreEvent::ScreeningRecorded { screening })) => {
                screening.id.clone()
            }
            _ => String::new(),
        })
    }

    /// The next free DIN of the site for the current year.
    pub fn next_din(&self) -> String {
        let year = (self.now.year() % 100) as u8;
        next_din(&self.state, year)
            .map(|d| d.as_str().to_owned())
            .unwrap_or_default()
    }

    /// Collect a donation after `screening_id`, 10 minutes ending now; the DIN.
    pub fn collect(
        &mut self,
        donor_id: &str,
        screening_id: &str,
        volume_ml: u32,
        state_code: &str,
    ) -> Result<String, Refusal> {
        let din = self.next_din();
        self.run(
            Role::CollectionStaff,
            Command::Client(ClientCommand::DonorCentre(
                DonorCentreCommand::CollectDonation {
                    din: din.clone(),
                    donor_id: donor_id.to_owned(),
                    screening_id: screening_id.to_owned(),
                    container: Container {
                        catalogue_number: "BAG-450-AS1".to_owned(),
                        lot: "L2026-03".to_owned(),
                    },
                    started_at: self.now - Duration::minutes(10),
                    ended_at: self.now,
                    volume_ml,
                    red_cell_loss_ml: 0,
                    phlebotomist: "phleb-7".to_owned(),
                    adverse_reactions: Vec::new(),
                    collection_state: state_code.to_owned(),
                },
            )),
        )?;
        Ok(din)
    }

    /// Register, screen and collect a healthy donor; the donor id and DIN.
    pub fn walk_in(
        &mut self,
        family: &str,
        born: Date,
        procedure: Procedure,
    ) -> Result<(String, String), Refusal> {
        let donor = self.register(identity(family, "Alex", born, Sex::Male))?;
        let screening = self.screen(&donor, procedure, healthy_screening())?;
        let din = self.collect(&donor, &screening, 475, "TX")?;
        Ok((donor, din))
    }

    /// One result for one marker.
    pub fn result(
        &mut self,
        din: &str,
        test: &str,
        stage: Stage,
        reading: Reading,
    ) -> Result<Vec<Event>, Refusal> {
        self.run(
            Role::LabTechnologist,
            Command::Client(ClientCommand::Lab(LabCommand::RecordTestResult {
                result: TestResultInput {
                    din: din.to_owned(),
                    test: test.to_owned(),
                    stage,
                    reading,
                },
            })),
        )
    }

    /// Every ordered marker nonreactive, as one instrument batch.
    pub fn all_negative(&mut self, din: &str) -> Result<Vec<Event>, Refusal> {
        let tests: Vec<String> = self
            .state
            .donations
            .get(din)
            .map(|d| d.tests.keys().cloned().collect())
            .unwrap_or_default();
        let results = tests
            .into_iter()
            .map(|test| TestResultInput {
                din: din.to_owned(),
                test,
                stage: Stage::Initial,
                reading: Reading::Nonreactive,
            })
            .collect();
        self.run(
            Role::LabTechnologist,
            Command::Client(ClientCommand::Lab(LabCommand::RecordTestResults {
                results,
            })),
        )
    }

    /// Two concordant ABO/RhD determinations and a negative antibody screen.
    pub fn type_and_screen(&mut self, din: &str, abo: Abo, rhd: RhD) -> Result<(), Refusal> {
        for _ in 0..2 {
            self.run(
                Role::LabTechnologist,
                Command::Client(ClientCommand::Lab(LabCommand::RecordBloodGroup {
                    din: din.to_owned(),
                    abo,
                    rhd,
                })),
            )?;
        }
        self.run(
            Role::LabTechnologist,
            Command::Client(ClientCommand::Lab(LabCommand::RecordAntibodyScreen {
                din: din.to_owned(),
                positive: false,
            })),
        )?;
        Ok(())
    }

    /// Produce by recipe; the new component ids.
    pub fn produce(&mut self, din: &str, recipe: &str) -> Result<Vec<String>, Refusal> {
        let events = self.run(
            Role::Manufacturing,
            Command::Client(ClientCommand::Manufacturing(
                ManufacturingCommand::ProduceComponents {
                    din: din.to_owned(),
                    recipe: recipe.to_owned(),
                },
            )),
        )?;
        Ok(events
            .iter()
            .filter_map(|e| match e {
                Event::Manufacturing(ManufacturingEvent::ComponentProduced { component }) => {
                    Some(component.id.clone())
                }
                _ => None,
            })
            .collect())
    }

    pub fn component(&self, id: &str) -> Option<&Component> {
        self.state.components.get(id)
    }

    /// Scan every barcode of the unit's own final label (as built from the record).
    pub fn verify_label(&mut self, id: &str) -> Result<Vec<Event>, Refusal> {
        let label = hemaflow_domain::manufacturing::label::final_label(&self.state, id, self.now)?;
        let scans = label.scans().map(str::to_owned).to_vec();
        self.scan_label(id, scans)
    }

    /// Scan a label applied to `id`: whatever the scanner read.
    pub fn scan_label(&mut self, id: &str, scans: Vec<String>) -> Result<Vec<Event>, Refusal> {
        self.run(
            Role::Manufacturing,
            Command::Client(ClientCommand::Manufacturing(
                ManufacturingCommand::VerifyLabel {
                    component: id.to_owned(),
                    scans,
                },
            )),
        )
    }

    pub fn release(&mut self, id: &str) -> Result<Vec<Event>, Refusal> {
        self.run(
            Role::QualityAssurance,
            Command::Client(ClientCommand::Release(ReleaseCommand::ReleaseComponent {
                component: id.to_owned(),
            })),
        )
    }

    /// Decide and apply as a named actor (a hospital user acts for its bound hospital).
    pub fn run_as(
        &mut self,
        actor: &str,
        role: Role,
        command: Command,
    ) -> Result<Vec<Event>, Refusal> {
        let context = Context {
            actor: actor.to_owned(),
            role,
            now: self.now,
            stamp: hemaflow_domain::Stamp::Planned,
        };
        let events = decide(&self.state, &command, &context)?;
        for event in &events {
            evolve(&mut self.state, event);
        }
        self.log.extend(events.iter().cloned());
        self.journal.push((command, context));
        Ok(events)
    }

    /// The supply network of the tests: a processing and a distribution site with a
    /// refrigerator, a freezer and a platelet agitator each, two hospitals, and a user bound
    /// to each hospital ([`HOSPITAL_USERS`]).
    pub fn open_supply(&mut self) -> Result<(), Refusal> {
        for (site, kind) in [
            (PROCESSING_SITE, SiteKind::Processing),
            (DISTRIBUTION_SITE, SiteKind::Distribution),
        ] {
            self.run(
                Role::Admin,
                Command::Client(ClientCommand::Distribution(
                    DistributionCommand::RegisterSite {
                        site_id: site.to_owned(),
                        name: format!("Site {site}"),
                        kind,
                        address: "1 Main St, Philadelphia PA".to_owned(),
                    },
                )),
            )?;
            for (suffix, kind, min, max) in [
                ("FRIDGE", StorageKind::Refrigerator, 20, 60),
                ("FREEZER", StorageKind::Freezer, -400, -250),
                ("AGITATOR", StorageKind::PlateletAgitator, 200, 240),
            ] {
                self.run(
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
                )?;
            }
        }
        for (hospital, user) in HOSPITAL_USERS {
            self.run(
                Role::Admin,
                Command::Client(ClientCommand::Distribution(
                    DistributionCommand::RegisterHospital {
                        hospital_id: hospital.to_owned(),
                        name: format!("{hospital} hospital"),
                        address: "2 Hospital Way, Camden NJ".to_owned(),
                        contacts: vec![Contact {
                            name: "Blood bank".to_owned(),
                            role: "transfusion service".to_owned(),
                            phone: "555-0100".to_owned(),
                            email: String::new(),
                        }],
                    },
                )),
            )?;
            self.run(
                Role::Admin,
                Command::Client(ClientCommand::Access(AccessCommand::CreateUser {
                    user_id: user.to_owned(),
                    name: format!("User of {hospital}"),
                    role: Role::HospitalUser,
                    hospital: Some(hospital.to_owned()),
                })),
            )?;
        }
        Ok(())
    }

    /// A whole-blood donation of `abo`/`rhd` made by `recipe`, tested, labelled and every unit
    /// released (platelets after a bacterial risk-control step); the unit IDs.
    pub fn released_units(
        &mut self,
        recipe: &str,
        abo: Abo,
        rhd: RhD,
    ) -> Result<Vec<String>, Refusal> {
        let name = format!("Donor {}", self.state.donors.len());
        let born = Date::from_calendar_date(
            1980,
            time::Month::January,
            1 + (self.state.donors.len() % 28) as u8,
        )
        .unwrap_or(Date::MIN);
        let (_, din) = self.walk_in(&name, born, Procedure::WholeBlood)?;
        self.release_donation(&din, recipe, abo, rhd)
    }

    /// A collected donation made by `recipe`, tested negative, typed, labelled and every unit
    /// released (platelets after a bacterial risk-control step); the unit IDs.
    pub fn release_donation(
        &mut self,
        din: &str,
        recipe: &str,
        abo: Abo,
        rhd: RhD,
    ) -> Result<Vec<String>, Refusal> {
        let din = din.to_owned();
        let ids = self.produce(&din, recipe)?;
        self.all_negative(&din)?;
        self.type_and_screen(&din, abo, rhd)?;
        for id in &ids {
            if self.component(id).is_some_and(|c| {
                c.family == hemaflow_domain::manufacturing::components::Family::Platelets
            }) {
                self.run(
                    Role::Manufacturing,
                    Command::Client(ClientCommand::Manufacturing(
                        ManufacturingCommand::RecordBacterialControl {
                            component: id.clone(),
                            method: "lvds_36h".to_owned(),
                        },
                    )),
                )?;
            }
            self.verify_label(id)?;
            self.release(id)?;
        }
        Ok(ids)
    }
}

/// The sites of [`Centre::open_supply`].
pub const PROCESSING_SITE: &str = "PROC";
pub const DISTRIBUTION_SITE: &str = "DIST";
/// (hospital ID, the user bound to it).
pub const HOSPITAL_USERS: [(&str, &str); 2] =
    [("mercy", "mercy.user"), ("stlukes", "stlukes.user")];
