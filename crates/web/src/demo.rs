//! A small blood centre for demonstrations and the server's tests: an account for every role,
//! and donations walked through the benches by domain commands on the ledger (so every record
//! is as real as one made at a bench).

use hemaflow_domain::donor_centre::collection::{Container, next_din};
use hemaflow_domain::donor_centre::donor::{Identity, Sex};
use hemaflow_domain::donor_centre::eligibility::Procedure;
use hemaflow_domain::lab::testing::{Abo, Reading, RhD, Stage};
use hemaflow_domain::manufacturing::label::expected_structures;
use hemaflow_domain::{
    ClientCommand, DistributionCommand, DonorCentreCommand, DonorCentreEvent, LabCommand,
    ManufacturingCommand, ManufacturingEvent, ReleaseCommand, ServerCommand,
};
use hemaflow_domain::{Command, Context, Event, Role, Stamp, TestResultInput};
use hemaflow_service::BloodLedger;
use hemaflow_service::ledger::Outcome;
use time::Duration;

use crate::accounts::{AccountError, create_account};
use crate::auth::token;

/// The password of every demo account (printed by `hemaflow demo`; never for real use).
pub const DEMO_PASSWORD: &str = "hemaflow-demo";

/// The demo accounts: (user ID, printed name, role, hospital).
pub const ACCOUNTS: &[(&str, &str, Role, Option<&str>)] = &[
    ("admin", "Ada Admin", Role::Admin, None),
    ("collector", "Cole Collector", Role::CollectionStaff, None),
    ("labtech", "Lena Labtech", Role::LabTechnologist, None),
    ("maker", "Manu Maker", Role::Manufacturing, None),
    ("quality", "Quinn Quality", Role::QualityAssurance, None),
    ("shipper", "Dana Distribution", Role::Distribution, None),
    (
        "hospital",
        "Hal Hospital",
        Role::HospitalUser,
        Some("Mercy General Hospital"),
    ),
    (
        "hospital2",
        "Luke Lucas",
        Role::HospitalUser,
        Some("St. Luke's Medical Center"),
    ),
    (
        "bloodbank",
        "Tess Transfusion",
        Role::TransfusionTechnologist,
        Some("Mercy General Hospital"),
    ),
    (
        "nurse",
        "Nell Nurse",
        Role::Nurse,
        Some("Mercy General Hospital"),
    ),
    (
        "bloodbank2",
        "Stella Stlukes",
        Role::TransfusionTechnologist,
        Some("St. Luke's Medical Center"),
    ),
    (
        "nurse2",
        "Norah Lakeview",
        Role::Nurse,
        Some("St. Luke's Medical Center"),
    ),
];

/// The hospitals of the demo accounts, registered unless a hospital of the same name already
/// is (the seeded centre registers its own): (ID, name, address).
pub const HOSPITALS: &[(&str, &str, &str)] = &[
    (
        "mercy",
        "Mercy General Hospital",
        "1200 Mercy Drive; Springfield, IL 62701",
    ),
    (
        "st-lukes",
        "St. Luke's Medical Center",
        "45 Lakeview Avenue; Springfield, IL 62704",
    ),
];

/// The processing site registered when the ledger has no site yet (production puts new
/// units at the first processing site, and distribution picks them there).
pub const SITE: (&str, &str, &str) = (
    "central",
    "Central processing and distribution",
    "1 Donor Way; Springfield, IL 62702",
);

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Ledger(#[from] hemaflow_service::ledger::LedgerError),
    #[error("{rule}: {message}")]
    Refused { rule: String, message: String },
}

/// Creates the demo accounts (an empty ledger's first admin creates the others), after the
/// site and the hospitals they need; a hospital user is bound to its hospital's ID.
pub async fn accounts(ledger: &BloodLedger) -> Result<(), DemoError> {
    let system = Context {
        actor: "system".to_owned(),
        role: Role::Admin,
        now: crate::now_of(ledger),
        stamp: Stamp::Clock,
    };
    let hospital_ids = supply(ledger).await?;
    for (user_id, name, role, hospital) in ACCOUNTS {
        let hospital_id = hospital.map(|name| {
            hospital_ids
                .iter()
                .find(|(_, n)| n == name)
                .map_or(name, |(id, _)| id.as_str())
        });
        create_account(
            ledger,
            &system,
            user_id,
            name,
            *role,
            hospital_id,
            DEMO_PASSWORD,
        )
        .await?;
    }
    Ok(())
}

/// Registers the site (when there is none) and the demo hospitals (when none of their name
/// is registered); returns every hospital's (ID, name).
pub async fn supply(ledger: &BloodLedger) -> Result<Vec<(String, String)>, DemoError> {
    let (no_site, known) = ledger
        .read(|state| {
            let known: Vec<(String, String)> = state
                .hospitals
                .values()
                .map(|h| (h.id.clone(), h.name.clone()))
                .collect();
            (state.sites.is_empty(), known)
        })
        .await?;
    if no_site {
        let (site_id, name, address) = SITE;
        run(
            ledger,
            Role::Admin,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::RegisterSite {
                    site_id: site_id.to_owned(),
                    name: name.to_owned(),
                    kind: hemaflow_domain::distribution::sites::SiteKind::Processing,
                    address: address.to_owned(),
                },
            )),
        )
        .await?;
    }
    let mut hospitals = known;
    for (id, name, address) in HOSPITALS {
        if hospitals.iter().any(|(_, n)| n == name) {
            continue;
        }
        run(
            ledger,
            Role::Admin,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::RegisterHospital {
                    hospital_id: (*id).to_owned(),
                    name: (*name).to_owned(),
                    address: (*address).to_owned(),
                    contacts: Vec::new(),
                },
            )),
        )
        .await?;
        hospitals.push(((*id).to_owned(), (*name).to_owned()));
    }
    Ok(hospitals)
}

fn actor_of(role: Role) -> &'static str {
    ACCOUNTS
        .iter()
        .find(|(_, _, r, _)| *r == role)
        .map(|(id, ..)| *id)
        .unwrap_or("system")
}

async fn run(ledger: &BloodLedger, role: Role, command: Command) -> Result<Vec<Event>, DemoError> {
    let context = Context {
        actor: actor_of(role).to_owned(),
        role,
        now: crate::now_of(ledger),
        stamp: Stamp::Clock,
    };
    match ledger
        .execute(&token::generate(), &command, &context)
        .await?
        .outcome
    {
        Outcome::Accepted { events } => Ok(events),
        Outcome::Refused { rule, message } => Err(DemoError::Refused { rule, message }),
    }
}

/// The demo donor's identity: a made-up person, written out here.
fn demo_identity(family_name: &str) -> Identity {
    Identity {
        family_name: family_name.to_owned(),
        given_name: "Alex".to_owned(),
        date_of_birth: time::macros::date!(1985 - 06 - 15),
        sex: Sex::Male,
        national_id: None,
        contact: None,
        parental_consent: false,
    }
}

/// How far a demo donation goes through the benches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Collected; no test result yet.
    Collected,
    /// Tested, typed, components produced; labels not verified.
    Produced,
    /// Everything but the release: the units are ready for the release queue.
    ReadyForRelease,
}

/// A donor walks in, gives whole blood, and the donation goes as far as `stop`; the DIN and
/// the units made.
pub async fn donation(
    ledger: &BloodLedger,
    family_name: &str,
    group: (Abo, RhD),
    stop: Stop,
) -> Result<(String, Vec<String>), DemoError> {
    let events = run(
        ledger,
        Role::CollectionStaff,
        Command::Client(ClientCommand::DonorCentre(
            DonorCentreCommand::RegisterDonor {
                identity: demo_identity(family_name),
            },
        )),
    )
    .await?;
    let donor_id = events
        .iter()
        .find_map(|e| match e {
            Event::DonorCentre(DonorCentreEvent::DonorRegistered { donor }) => {
                Some(donor.id.clone())
            }
            _ => None,
        })
        .unwrap_or_default();
    let events = run(
        ledger,
        Role::CollectionStaff,
        Command::Client(ClientCommand::DonorCentre(
            DonorCentreCommand::RecordScreening {
                donor_id: donor_id.clone(),
                procedure: Procedure::WholeBlood,
                input: hemaflow_service::demo::demo_screening(),
            },
        )),
    )
    .await?;
    let screening_id = events
        .iter()
        .find_map(|e| match e {
            Event::DonorCentre(DonorCentreEvent::ScreeningRecorded { screening }) => {
                Some(screening.id.clone())
            }
            _ => None,
        })
        .unwrap_or_default();
    let now = crate::now_of(ledger);
    let year = (now.year() % 100) as u8;
    let din = ledger
        .read(|state| next_din(state, year).map(|d| d.as_str().to_owned()))
        .await?
        .unwrap_or_default();
    run(
        ledger,
        Role::CollectionStaff,
        Command::Client(ClientCommand::DonorCentre(
            DonorCentreCommand::CollectDonation {
                din: din.clone(),
                donor_id,
                screening_id,
                container: Container {
                    catalogue_number: "BAG-450-AS1".to_owned(),
                    lot: "L2026-03".to_owned(),
                },
                started_at: now - Duration::minutes(12),
                ended_at: now - Duration::minutes(2),
                volume_ml: 475,
                red_cell_loss_ml: 0,
                phlebotomist: "collector".to_owned(),
                adverse_reactions: Vec::new(),
                collection_state: "TX".to_owned(),
            },
        )),
    )
    .await?;
    if stop == Stop::Collected {
        return Ok((din, Vec::new()));
    }
    test_and_type(ledger, &din, group).await?;
    let events = run(
        ledger,
        Role::Manufacturing,
        Command::Client(ClientCommand::Manufacturing(
            ManufacturingCommand::ProduceComponents {
                din: din.clone(),
                recipe: "rbc_ffp".to_owned(),
            },
        )),
    )
    .await?;
    let units: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Manufacturing(ManufacturingEvent::ComponentProduced { component }) => {
                Some(component.id.clone())
            }
            _ => None,
        })
        .collect();
    if stop == Stop::ReadyForRelease {
        for unit in &units {
            verify_label(ledger, unit).await?;
        }
    }
    Ok((din, units))
}

/// Releases a unit ready for release, signed "released by" the demo quality account (the
/// server checks a signer's password; demos and tests give the signed command directly).
pub async fn release(ledger: &BloodLedger, unit: &str) -> Result<(), DemoError> {
    run(
        ledger,
        Role::QualityAssurance,
        Command::Server(ServerCommand::Signed {
            meaning: "released by".to_owned(),
            command: Box::new(ClientCommand::Release(ReleaseCommand::ReleaseComponent {
                component: unit.to_owned(),
            })),
        }),
    )
    .await?;
    Ok(())
}

/// Every ordered marker nonreactive, two concordant groupings, a negative antibody screen.
pub async fn test_and_type(
    ledger: &BloodLedger,
    din: &str,
    (abo, rhd): (Abo, RhD),
) -> Result<(), DemoError> {
    let tests: Vec<String> = ledger
        .read(|state| {
            state
                .donations
                .get(din)
                .map(|d| d.tests.keys().cloned().collect())
                .unwrap_or_default()
        })
        .await?;
    let results = tests
        .into_iter()
        .map(|test| TestResultInput {
            din: din.to_owned(),
            test,
            stage: Stage::Initial,
            reading: Reading::Nonreactive,
        })
        .collect();
    run(
        ledger,
        Role::LabTechnologist,
        Command::Client(ClientCommand::Lab(LabCommand::RecordTestResults {
            results,
        })),
    )
    .await?;
    for _ in 0..2 {
        run(
            ledger,
            Role::LabTechnologist,
            Command::Client(ClientCommand::Lab(LabCommand::RecordBloodGroup {
                din: din.to_owned(),
                abo,
                rhd,
            })),
        )
        .await?;
    }
    run(
        ledger,
        Role::LabTechnologist,
        Command::Client(ClientCommand::Lab(LabCommand::RecordAntibodyScreen {
            din: din.to_owned(),
            positive: false,
        })),
    )
    .await?;
    Ok(())
}

/// The unit's own label scanned back (what a correct label reads).
pub async fn verify_label(ledger: &BloodLedger, unit: &str) -> Result<(), DemoError> {
    let command = ledger
        .read(|state| {
            let component = state.components.get(unit)?;
            let structures = expected_structures(state, component).ok()?;
            Some(Command::Client(ClientCommand::Manufacturing(
                ManufacturingCommand::VerifyLabel {
                    component: unit.to_owned(),
                    scans: structures.iter().map(|s| s.encode()).collect(),
                },
            )))
        })
        .await?;
    let Some(command) = command else {
        return Err(DemoError::Refused {
            rule: hemaflow_domain::Rule::NotFound.as_str().to_owned(),
            message: format!("no unit {unit} with a confirmed group"),
        });
    };
    run(ledger, Role::Manufacturing, command).await?;
    Ok(())
}

/// The demo centre: accounts for every role, two units ready for release, two blocked at
/// label verification, and a donation waiting for its tests. Returns each donation's scan
/// (`=` DIN flags) with what it shows.
pub async fn seed(ledger: &BloodLedger) -> Result<Vec<(String, &'static str)>, DemoError> {
    accounts(ledger).await?;
    let walks = [
        (
            "Rivera",
            (Abo::O, RhD::Negative),
            Stop::ReadyForRelease,
            "units ready for release",
        ),
        (
            "Okafor",
            (Abo::A, RhD::Positive),
            Stop::Produced,
            "units whose labels are not verified",
        ),
        (
            "Lindqvist",
            (Abo::B, RhD::Positive),
            Stop::Collected,
            "a donation waiting for its tests",
        ),
    ];
    let mut scans = Vec::new();
    for (family_name, group, stop, shows) in walks {
        let (din, _) = donation(ledger, family_name, group, stop).await?;
        scans.push((format!("={din}00"), shows));
    }
    Ok(scans)
}

/// A hospital's transfusion service for demonstrations and tests: `units` (released, at the
/// first site) ordered by the hospital's user, allocated, picked and shipped by distribution
/// in one refrigerated box, and scanned in on receipt by the hospital's transfusion
/// technologist (the first demo account of each role; both of Mercy).
pub async fn deliver_to_transfusion_service(
    ledger: &BloodLedger,
    order_id: &str,
    units: &[String],
) -> Result<(), DemoError> {
    let shipment = ship_to_transfusion_service(ledger, order_id, units).await?;
    for id in units {
        run(
            ledger,
            Role::TransfusionTechnologist,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::ConfirmReceipt {
                    shipment_id: shipment.clone(),
                    component: id.clone(),
                },
            )),
        )
        .await?;
    }
    Ok(())
}

/// As [`deliver_to_transfusion_service`], up to the shipment leaving (not yet scanned in at
/// the hospital); its ID.
pub async fn ship_to_transfusion_service(
    ledger: &BloodLedger,
    order_id: &str,
    units: &[String],
) -> Result<String, DemoError> {
    use hemaflow_domain::command::LineUnit;
    use hemaflow_domain::distribution::orders::{OrderLine, Priority};
    use hemaflow_domain::distribution::sites::TemperatureRange;
    let (hospital, lines) = ledger
        .read(|state| {
            let hospital = state
                .users
                .get(actor_of(Role::TransfusionTechnologist))
                .and_then(|u| u.hospital.clone())
                .unwrap_or_default();
            let lines: Vec<OrderLine> = units
                .iter()
                .filter_map(|id| {
                    let c = state.components.get(id)?;
                    let (abo, rhd) = hemaflow_domain::release::gate::confirmed_group(state, c)?;
                    Some(OrderLine {
                        component_type: c.family,
                        abo,
                        rhd,
                        attributes: Vec::new(),
                        quantity: 1,
                    })
                })
                .collect();
            (hospital, lines)
        })
        .await?;
    let distribution = |command| Command::Client(ClientCommand::Distribution(command));
    run(
        ledger,
        Role::HospitalUser,
        distribution(DistributionCommand::PlaceOrder {
            order_id: order_id.to_owned(),
            hospital,
            lines,
            priority: Priority::Routine,
            needed_by: None,
        }),
    )
    .await?;
    run(
        ledger,
        Role::Distribution,
        distribution(DistributionCommand::AllocateOrder {
            order_id: order_id.to_owned(),
            units: units
                .iter()
                .enumerate()
                .map(|(line, id)| LineUnit {
                    line: line as u32,
                    component: id.clone(),
                })
                .collect(),
        }),
    )
    .await?;
    let shipment = format!("SHP-{order_id}");
    for id in units {
        run(
            ledger,
            Role::Distribution,
            distribution(DistributionCommand::PickUnit {
                shipment_id: shipment.clone(),
                order_id: order_id.to_owned(),
                component: id.clone(),
            }),
        )
        .await?;
    }
    run(
        ledger,
        Role::Distribution,
        distribution(DistributionCommand::ShipShipment {
            shipment_id: shipment.clone(),
            box_id: format!("BOX-{order_id}"),
            temperature_range: TemperatureRange::degrees(1, 10),
            courier: "Medical Courier Co".to_owned(),
        }),
    )
    .await?;
    Ok(shipment)
}

/// An ISBT 128 wristband scan: 024 date of birth and 025 patient number (location 01).
pub fn wristband(number: &str, born: time::Date) -> String {
    format!(
        "=#01{:04}{:02}{:02}&#01{:02}{number}",
        born.year(),
        born.month() as u8,
        born.day(),
        number.len()
    )
}

/// A transfusion-service command of the Mercy technologist (or nurse, by `role`).
pub async fn transfusion(
    ledger: &BloodLedger,
    role: Role,
    command: hemaflow_domain::TransfusionCommand,
) -> Result<Vec<Event>, DemoError> {
    run(
        ledger,
        role,
        Command::Client(ClientCommand::Transfusion(command)),
    )
    .await
}

/// A patient of Mercy eligible for electronic crossmatch: registered with a historical
/// group, a sample `sample_id` drawn an hour ago typed the same and screened negative (two
/// concordant determinations). The wristband scan.
pub async fn eligible_patient(
    ledger: &BloodLedger,
    number: &str,
    family_name: &str,
    sample_id: &str,
    (abo, rhd): (Abo, RhD),
) -> Result<String, DemoError> {
    use hemaflow_domain::TransfusionCommand as Tx;
    use hemaflow_domain::transfusion::patients::{PatientSex, RecentHistory};
    let born = time::macros::date!(1970 - 05 - 01);
    let band = wristband(number, born);
    let tech = Role::TransfusionTechnologist;
    transfusion(
        ledger,
        tech,
        Tx::RegisterPatient {
            wristband: band.clone(),
            mrn: format!("MRN-{number}"),
            family_name: family_name.to_owned(),
            given_name: "Sam".to_owned(),
            sex: PatientSex::Male,
            born: None,
            recent_history: RecentHistory::Neither,
            historical_group: Some(hemaflow_domain::transfusion::command::HistoricalGroup {
                abo,
                rhd,
            }),
            known_antibodies: Vec::new(),
            requirements: Vec::new(),
        },
    )
    .await?;
    transfusion(
        ledger,
        tech,
        Tx::ReceiveSample {
            sample_id: sample_id.to_owned(),
            wristband: band.clone(),
            drawn_at: crate::now_of(ledger) - Duration::hours(1),
            drawn_by: "RN Lee".to_owned(),
        },
    )
    .await?;
    transfusion(
        ledger,
        tech,
        Tx::TypeSample {
            sample_id: sample_id.to_owned(),
            abo,
            rhd,
        },
    )
    .await?;
    transfusion(
        ledger,
        tech,
        Tx::ScreenSample {
            sample_id: sample_id.to_owned(),
            positive: false,
        },
    )
    .await?;
    Ok(band)
}

/// XM-RETYPE of a unit with its own label group, by the Mercy technologist.
pub async fn retype(ledger: &BloodLedger, unit: &str) -> Result<(), DemoError> {
    let group = ledger
        .read(|state| {
            let c = state.components.get(unit)?;
            hemaflow_domain::release::gate::confirmed_group(state, c)
        })
        .await?;
    let Some((abo, rhd)) = group else {
        return Err(DemoError::Refused {
            rule: hemaflow_domain::Rule::NotFound.as_str().to_owned(),
            message: format!("no unit {unit} with a confirmed group"),
        });
    };
    transfusion(
        ledger,
        Role::TransfusionTechnologist,
        hemaflow_domain::TransfusionCommand::RetypeUnit {
            component: unit.to_owned(),
            abo,
            rhd: Some(rhd),
        },
    )
    .await?;
    Ok(())
}
