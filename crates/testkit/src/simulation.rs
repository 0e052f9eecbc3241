//! Deterministic simulation: random but valid-looking command sequences from a seed, with the
//! invariants checked after every step (TigerBeetle-style). The same seed gives the same run,
//! so a failure prints its seed and step and is replayed exactly.
//!
//! A run is cut into episodes of [`EPISODE_COMMANDS`] commands, each a fresh centre with its
//! own sub-seed, so that the state stays the size of a busy week and every step stays cheap.
//! After every step: invariants 1-4 ([`hemaflow_domain::invariants::check`]); for a refused
//! command, invariant 6 (the state is unchanged, compared with a snapshot); for an accepted
//! one, that deciding again gives the same events and that every event has its projection rows
//! (both every 8th step). After every episode: replaying the event log from an empty state gives
//! the same state and rows, and every event survives a JSON round trip.

use hemaflow_domain::{
    AccessCommand, ClientCommand, DistributionCommand, DonorCentreCommand, LabCommand,
    ManufacturingCommand, ReleaseCommand,
};
use std::collections::BTreeMap;
use std::fmt;

use time::{Date, Duration, Month};

use crate::scenario::{Centre, HOSPITAL_USERS, healthy_screening, identity};
use hemaflow_domain::access::roles::{Role, allowed_roles};
use hemaflow_domain::command::{Command, Event, TestResultInput};
use hemaflow_domain::decide;
use hemaflow_domain::donor_centre::collection::Container;
use hemaflow_domain::donor_centre::donor::Sex;
use hemaflow_domain::donor_centre::eligibility::{Procedure, QuestionnaireFinding};
use hemaflow_domain::invariants;
use hemaflow_domain::lab::testing::{Abo, MarkerStatus, Method, Reading, RhD, Stage};
use hemaflow_domain::manufacturing::components::{Attr, Family, Status};
use hemaflow_domain::manufacturing::label::expected_structures;
use hemaflow_domain::release::gate::{HoldKind, HoldTarget};
use hemaflow_domain::rng::Rng;
use hemaflow_domain::rows::{all_rows, rows_touched};
use hemaflow_domain::state::{State, evolve};

pub const EPISODE_COMMANDS: u64 = 200;

mod quality;
mod supply;
mod transfusion;

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub commands: u64,
    pub accepted: u64,
    pub events: u64,
    /// Refusals by rule ID.
    pub refusals: BTreeMap<&'static str, u64>,
    /// Accepted commands by kind.
    pub accepted_by_kind: BTreeMap<&'static str, u64>,
}

/// A broken invariant, with what is needed to replay it.
#[derive(Clone, Debug)]
pub struct Failure {
    pub seed: u64,
    pub episode: u64,
    pub step: u64,
    pub command: String,
    pub problem: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "simulation failed: seed {} episode {} step {}: {}\ncommand: {}\nreplay with HEMAFLOW_SIM_SEED={}",
            self.seed, self.episode, self.step, self.problem, self.command, self.seed
        )
    }
}

/// Run `commands` random commands from `seed`, checking the invariants after each.
pub fn run(seed: u64, commands: u64) -> Result<Report, Failure> {
    let mut report = Report::default();
    let mut episode = 0;
    while report.commands < commands {
        let n = EPISODE_COMMANDS.min(commands - report.commands);
        run_episode(seed, episode, n, &mut report)?;
        episode += 1;
    }
    Ok(report)
}

fn run_episode(seed: u64, episode: u64, commands: u64, report: &mut Report) -> Result<(), Failure> {
    let mut rng = Rng::new(seed ^ episode.wrapping_mul(0xA24B_AED4_963E_E407));
    let mut centre = Centre::new();
    let fail = |step: u64, command: &Command, problem: String| Failure {
        seed,
        episode,
        step,
        command: format!("{command:?}"),
        problem,
    };
    // Every episode opens with the supply network and a few released units, so that orders
    // meet stock within the episode's few hundred commands.
    let groups = [
        (Abo::O, RhD::Positive),
        (Abo::A, RhD::Positive),
        (Abo::O, RhD::Negative),
        (Abo::B, RhD::Positive),
    ];
    let opened = centre.open_transfusion_service().and_then(|()| {
        for n in 0..3 {
            let (abo, rhd) = *rng.pick(&groups).unwrap_or(&groups[0]);
            let units = centre.released_units("rbc_ffp_platelets", abo, rhd)?;
            // The red cells and plasma of each go on to Mercy's transfusion service.
            centre.deliver(&format!("TX-{n}"), &units[..2])?;
        }
        transfusion::admit_patients(&mut centre, &mut rng)
    });
    if let Err(refusal) = opened {
        return Err(fail(
            0,
            &Command::Client(ClientCommand::Release(ReleaseCommand::ExpireUnits {
                as_of: centre.now,
            })),
            refusal.to_string(),
        ));
    }
    for step in 0..commands {
        advance_clock(&mut centre, &mut rng);
        let command = generate(&centre, &mut rng);
        let role = choose_role(&command, &mut rng);
        let mut ctx = centre.context(role);
        if role == Role::HospitalUser {
            // Mostly the user of the hospital concerned, sometimes the other one.
            let (_, user) = rng
                .pick(&HOSPITAL_USERS)
                .copied()
                .unwrap_or(HOSPITAL_USERS[0]);
            ctx.actor = user.to_owned();
        }
        if matches!(role, Role::TransfusionTechnologist | Role::Nurse) {
            ctx.actor = transfusion::actor(role, &mut rng).to_owned();
        }
        let before = centre.state.clone();
        report.commands += 1;
        match decide(&centre.state, &command, &ctx) {
            Err(refusal) => {
                *report.refusals.entry(refusal.rule.as_str()).or_default() += 1;
                if centre.state != before {
                    return Err(fail(
                        step,
                        &command,
                        "invariant 6: a refused command changed the state".into(),
                    ));
                }
            }
            Ok(events) => {
                if step % 8 == 0 && decide(&centre.state, &command, &ctx).as_ref() != Ok(&events) {
                    return Err(fail(step, &command, "decide is not deterministic".into()));
                }
                report.accepted += 1;
                report.events += events.len() as u64;
                *report
                    .accepted_by_kind
                    .entry(command.describe())
                    .or_default() += 1;
                for event in &events {
                    evolve(&mut centre.state, event);
                    if step % 8 == 0 && rows_touched(&centre.state, event).is_empty() {
                        return Err(fail(
                            step,
                            &command,
                            format!("event {} touches no projection row", event.name()),
                        ));
                    }
                }
                centre.log.extend(events);
            }
        }
        invariants::check(&centre.state).map_err(|v| fail(step, &command, v.to_string()))?;
    }
    check_replay(&centre).map_err(|problem| Failure {
        seed,
        episode,
        step: commands,
        command: "(end of episode)".into(),
        problem,
    })
}

/// Invariant 5's domain half: replaying the log rebuilds the same state and rows, and every
/// event survives a JSON round trip with its name as its `type`.
fn check_replay(centre: &Centre) -> Result<(), String> {
    let mut replayed = State::default();
    for event in &centre.log {
        let json = serde_json::to_value(event).map_err(|e| e.to_string())?;
        if json.get("type").and_then(|t| t.as_str()) != Some(event.name()) {
            return Err(format!(
                "event {} serializes with another type",
                event.name()
            ));
        }
        let back: Event =
            serde_json::from_value(json).map_err(|e| format!("{}: {e}", event.name()))?;
        if back != *event {
            return Err(format!(
                "event {} does not survive a JSON round trip",
                event.name()
            ));
        }
        evolve(&mut replayed, &back);
    }
    if replayed != centre.state || all_rows(&replayed) != all_rows(&centre.state) {
        return Err("replaying the event log does not rebuild the state".into());
    }
    if centre.state.index != hemaflow_domain::index::Indexes::build(&centre.state) {
        return Err("the indexes evolve kept differ from the indexes of the records".into());
    }
    Ok(())
}

fn advance_clock(centre: &mut Centre, rng: &mut Rng) {
    let minutes = match rng.below(100) {
        0..=84 => rng.below(20),
        85..=97 => 60 * rng.below(12),
        _ => 60 * 24 * (1 + rng.below(20)),
    };
    centre.advance(Duration::minutes(minutes as i64));
}

fn choose_role(command: &Command, rng: &mut Rng) -> Role {
    if rng.chance(4) {
        return *rng.pick(&Role::ALL).unwrap_or(&Role::Admin);
    }
    *rng.pick(allowed_roles(command)).unwrap_or(&Role::Admin)
}

const FAMILY_NAMES: [&str; 12] = [
    "Smith", "Garcia", "Nguyen", "Okafor", "Kowalski", "Haddad", "Tanaka", "Silva", "Murphy",
    "Cohen", "Ali", "Jensen",
];
const GIVEN_NAMES: [&str; 8] = ["Ana", "Ben", "Chloe", "Dev", "Eve", "Farid", "Gia", "Hugo"];

fn pick_key<V>(map: &BTreeMap<String, V>, rng: &mut Rng) -> Option<String> {
    map.keys()
        .nth(rng.below(map.len() as u64) as usize)
        .cloned()
}

fn pick_where<'a, V>(
    map: &'a BTreeMap<String, V>,
    rng: &mut Rng,
    keep: impl Fn(&V) -> bool,
) -> Option<&'a V> {
    let matching: Vec<&V> = map.values().filter(|v| keep(v)).collect();
    rng.pick(&matching).copied()
}

/// A command for the centre as it stands; when the drawn kind has nothing to work on (no
/// donation to test yet), draw again, and register a donor if nothing fits.
fn generate(centre: &Centre, rng: &mut Rng) -> Command {
    (0..4)
        .find_map(|_| generate_one(centre, rng))
        .unwrap_or_else(|| register(rng))
}

fn generate_one(centre: &Centre, rng: &mut Rng) -> Option<Command> {
    let state = &centre.state;
    if rng.chance(18) {
        return supply::generate(centre, rng);
    }
    if rng.chance(15) {
        return transfusion::generate(centre, rng);
    }
    if rng.chance(8) {
        return quality::generate(centre, rng);
    }
    match rng.below(100) {
        0..=6 => Some(register(rng)),
        7..=17 => screen(state, rng),
        18..=29 => collect(centre, rng),
        30..=47 => test_result(state, rng),
        48..=51 => batch(state, rng),
        52..=58 => blood_group(state, rng),
        59..=62 => antibody_screen(state, rng),
        63..=69 => produce(state, rng),
        70..=72 => modify(state, rng),
        73 => divide(state, rng),
        74 => pool(centre, rng),
        75..=77 => bacterial(state, rng),
        78..=84 => verify_label(state, rng),
        85..=90 => release(state, rng),
        91 => pick_key(&state.components, rng).map(|component| {
            Command::Client(ClientCommand::Manufacturing(
                ManufacturingCommand::DiscardComponent {
                    component,
                    reason: "bag damaged".into(),
                },
            ))
        }),
        92 => hold(state, rng),
        93 => pick_where(&state.holds, rng, |h| h.is_open()).map(|h| {
            Command::Client(ClientCommand::Release(ReleaseCommand::ReleaseHold {
                hold_id: h.id.clone(),
                reason: "investigation closed".into(),
            }))
        }),
        94 => pick_key(&state.donors, rng).map(|donor_id| {
            Command::Client(ClientCommand::Release(
                ReleaseCommand::RecordPostDonationInformation {
                    donor_id,
                    information: "donor called: recent travel".into(),
                },
            ))
        }),
        95..=96 => Some(Command::Client(ClientCommand::Release(
            ReleaseCommand::ExpireUnits {
                as_of: centre.now - Duration::minutes(rng.below(60) as i64),
            },
        ))),
        97..=98 => pick_where(&state.components, rng, |c| c.status == Status::Available).map(|c| {
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::ShipComponent {
                    component: c.id.clone(),
                    consignee: "General Hospital".into(),
                },
            ))
        }),
        _ => deferral_command(state, rng),
    }
}

fn register(rng: &mut Rng) -> Command {
    let year = 1950 + rng.below(62) as i32;
    let born = Date::from_calendar_date(
        year,
        Month::try_from(1 + rng.below(12) as u8).unwrap_or(Month::January),
        1 + rng.below(28) as u8,
    )
    .unwrap_or(Date::MIN);
    let family = rng.pick(&FAMILY_NAMES).copied().unwrap_or("Smith");
    let given = rng.pick(&GIVEN_NAMES).copied().unwrap_or("Ana");
    let sex = if rng.chance(50) {
        Sex::Female
    } else {
        Sex::Male
    };
    let mut identity = identity(family, given, born, sex);
    if rng.chance(30) {
        identity.national_id = Some(format!("N{}", rng.below(400)));
    }
    Command::Client(ClientCommand::DonorCentre(
        DonorCentreCommand::RegisterDonor { identity },
    ))
}

fn procedure(rng: &mut Rng) -> Procedure {
    match rng.below(10) {
        0..=5 => Procedure::WholeBlood,
        6 => Procedure::DoubleRedCells,
        7 => Procedure::Plateletpheresis,
        8 => Procedure::Plasmapheresis,
        _ => Procedure::SourcePlasma,
    }
}

fn screen(state: &State, rng: &mut Rng) -> Option<Command> {
    let donor_id = pick_key(&state.donors, rng)?;
    let mut input = healthy_screening();
    match rng.below(30) {
        0 => input.hemoglobin_g_dl = Some(11.5 + rng.below(20) as f64 / 10.0),
        1 => input.temperature_c = 37.6,
        2 => input.systolic = 190,
        3 => input.pulse = 45,
        4 => input.weight_kg = 48.0,
        5 => input.questionnaire.push(QuestionnaireFinding {
            reason: "tattoo_piercing".into(),
            since: None,
        }),
        6 => input.questionnaire.push(QuestionnaireFinding {
            reason: "cjd_risk".into(),
            since: None,
        }),
        7 => input.hematocrit_pct = Some(f64::NAN),
        _ => {}
    }
    Some(Command::Client(ClientCommand::DonorCentre(
        DonorCentreCommand::RecordScreening {
            donor_id,
            procedure: procedure(rng),
            input,
        },
    )))
}

fn collect(centre: &Centre, rng: &mut Rng) -> Option<Command> {
    let state = &centre.state;
    let today = centre.now.date();
    let screening = if rng.chance(90) {
        pick_where(&state.screenings, rng, |s| {
            s.accepted
                && s.at.date() == today
                && !state.donations.values().any(|d| d.screening_id == s.id)
        })
    } else {
        pick_where(&state.screenings, rng, |_| true)
    }?;
    let din = if rng.chance(97) {
        centre.next_din()
    } else {
        state
            .donations
            .keys()
            .next()
            .cloned()
            .unwrap_or_else(|| "W1234".into())
    };
    let volume_ml = match rng.below(20) {
        0 => 250,
        1 => 380,
        _ => 450 + rng.below(60) as u32,
    };
    let states = ["TX", "NY", "CA", "MA", "FL"];
    Some(Command::Client(ClientCommand::DonorCentre(
        DonorCentreCommand::CollectDonation {
            din,
            donor_id: screening.donor_id.clone(),
            screening_id: screening.id.clone(),
            container: Container {
                catalogue_number: "BAG-450".into(),
                lot: format!("L{}", rng.below(9)),
            },
            started_at: centre.now - Duration::minutes(12),
            ended_at: centre.now,
            volume_ml,
            red_cell_loss_ml: if rng.chance(5) { 250 } else { 0 },
            phlebotomist: "phleb-1".into(),
            adverse_reactions: if rng.chance(5) {
                vec!["vasovagal, mild".into()]
            } else {
                vec![]
            },
            collection_state: (*rng.pick(&states).unwrap_or(&"TX")).to_owned(),
        },
    )))
}

fn sensible_stage(state: &State, test: &str, status: &MarkerStatus, rng: &mut Rng) -> Stage {
    let nat = state
        .config
        .tests
        .iter()
        .any(|t| t.code == test && t.method == Method::Nat);
    if rng.chance(5) {
        return *rng
            .pick(&[
                Stage::Initial,
                Stage::Repeat,
                Stage::Minipool,
                Stage::Individual,
                Stage::Supplemental,
            ])
            .unwrap_or(&Stage::Initial);
    }
    match status {
        MarkerStatus::Pending if nat && rng.chance(50) => Stage::Minipool,
        MarkerStatus::Pending => Stage::Initial,
        MarkerStatus::InitialReactive { .. } => Stage::Repeat,
        MarkerStatus::MinipoolReactive => Stage::Individual,
        _ => Stage::Supplemental,
    }
}

fn test_result(state: &State, rng: &mut Rng) -> Option<Command> {
    let donation = pick_where(&state.donations, rng, |d| {
        d.tests.values().any(|t| !t.is_acceptable())
    })?;
    let (test, status) = donation
        .tests
        .iter()
        .nth(rng.below(donation.tests.len() as u64) as usize)?;
    let stage = sensible_stage(state, test, status, rng);
    let reactive_percent = if stage == Stage::Initial || stage == Stage::Minipool {
        2
    } else {
        40
    };
    let reading = if rng.chance(reactive_percent) {
        Reading::Reactive
    } else {
        Reading::Nonreactive
    };
    Some(Command::Client(ClientCommand::Lab(
        LabCommand::RecordTestResult {
            result: TestResultInput {
                din: donation.din.clone(),
                test: test.clone(),
                stage,
                reading,
            },
        },
    )))
}

fn batch(state: &State, rng: &mut Rng) -> Option<Command> {
    let donation = pick_where(&state.donations, rng, |d| {
        d.tests.values().any(|t| matches!(t, MarkerStatus::Pending))
    })?;
    let results = donation
        .tests
        .iter()
        .filter(|(_, s)| matches!(s, MarkerStatus::Pending) || rng.chance(3))
        .map(|(test, _)| TestResultInput {
            din: donation.din.clone(),
            test: test.clone(),
            stage: Stage::Initial,
            reading: Reading::Nonreactive,
        })
        .collect();
    Some(Command::Client(ClientCommand::Lab(
        LabCommand::RecordTestResults { results },
    )))
}

const GROUPS: [(Abo, RhD); 4] = [
    (Abo::O, RhD::Positive),
    (Abo::A, RhD::Positive),
    (Abo::B, RhD::Negative),
    (Abo::AB, RhD::Positive),
];

fn blood_group(state: &State, rng: &mut Rng) -> Option<Command> {
    let donation = pick_where(&state.donations, rng, |d| d.determinations.len() < 3)?;
    let usual = donation
        .determinations
        .first()
        .map(|d| (d.abo, d.rhd))
        .or_else(|| {
            state
                .donors
                .get(&donation.donor_id)
                .and_then(|d| d.blood_group)
        })
        .unwrap_or(GROUPS[(donation.din.len() + donation.donor_id.len()) % 4]);
    let (abo, rhd) = if rng.chance(3) {
        *rng.pick(&GROUPS).unwrap_or(&usual)
    } else {
        usual
    };
    Some(Command::Client(ClientCommand::Lab(
        LabCommand::RecordBloodGroup {
            din: donation.din.clone(),
            abo,
            rhd,
        },
    )))
}

fn antibody_screen(state: &State, rng: &mut Rng) -> Option<Command> {
    let again = rng.chance(2);
    let donation = pick_where(&state.donations, rng, |d| {
        d.antibody_screen.is_none() || again
    })?;
    Some(Command::Client(ClientCommand::Lab(
        LabCommand::RecordAntibodyScreen {
            din: donation.din.clone(),
            positive: rng.chance(3),
        },
    )))
}

fn produce(state: &State, rng: &mut Rng) -> Option<Command> {
    let donation = pick_where(&state.donations, rng, |d| !d.produced)?;
    let any = rng.chance(5);
    let fitting: Vec<&String> = state
        .config
        .recipes
        .iter()
        .filter(|(_, r)| any || r.procedures.contains(&donation.procedure))
        .map(|(n, _)| n)
        .collect();
    let recipe = (*rng.pick(&fitting)?).clone();
    Some(Command::Client(ClientCommand::Manufacturing(
        ManufacturingCommand::ProduceComponents {
            din: donation.din.clone(),
            recipe,
        },
    )))
}

fn modify(state: &State, rng: &mut Rng) -> Option<Command> {
    let component = pick_where(&state.components, rng, |c| c.status.is_workable())?;
    let attrs = [
        Attr::Irradiated,
        Attr::Leukoreduced,
        Attr::Washed,
        Attr::Thawed,
        Attr::ThawedPlasma,
        Attr::VolumeReduced,
        Attr::Pooled,
    ];
    let modification = *rng.pick(&attrs)?;
    Some(Command::Client(ClientCommand::Manufacturing(
        ManufacturingCommand::ModifyComponent {
            component: component.id.clone(),
            modification,
        },
    )))
}

fn divide(state: &State, rng: &mut Rng) -> Option<Command> {
    let component = pick_where(&state.components, rng, |c| c.status.is_workable())?;
    Some(Command::Client(ClientCommand::Manufacturing(
        ManufacturingCommand::DivideComponent {
            component: component.id.clone(),
            parts: 1 + rng.below(4) as u8,
        },
    )))
}

fn pool(centre: &Centre, rng: &mut Rng) -> Option<Command> {
    let state = &centre.state;
    let candidates: Vec<&String> = state
        .components
        .values()
        .filter(|c| c.status.is_workable() && matches!(c.family, Family::Platelets | Family::Cryo))
        .map(|c| &c.id)
        .collect();
    if candidates.len() < 2 {
        return None;
    }
    let first = rng.below(candidates.len() as u64) as usize;
    let second = (first + 1 + rng.below(candidates.len() as u64 - 1) as usize) % candidates.len();
    Some(Command::Client(ClientCommand::Manufacturing(
        ManufacturingCommand::PoolComponents {
            components: vec![candidates[first].clone(), candidates[second].clone()],
            pool_din: centre.next_din(),
            closed_system: rng.chance(50),
        },
    )))
}

fn bacterial(state: &State, rng: &mut Rng) -> Option<Command> {
    let component = pick_where(&state.components, rng, |c| {
        c.family == Family::Platelets && c.status.is_workable()
    })?;
    let methods: Vec<&String> = state.config.bacterial_control_days.keys().collect();
    Some(Command::Client(ClientCommand::Manufacturing(
        ManufacturingCommand::RecordBacterialControl {
            component: component.id.clone(),
            method: (*rng.pick(&methods)?).clone(),
        },
    )))
}

/// The unit's own label, mostly; sometimes a label with one wrong character, a missing
/// barcode, or another unit's label (LABEL-VERIFY must refuse them).
fn verify_label(state: &State, rng: &mut Rng) -> Option<Command> {
    let component = pick_where(&state.components, rng, |c| {
        c.status == Status::Quarantined && !c.label_verified
    })?;
    let labelled = if rng.chance(3) {
        pick_where(&state.components, rng, |_| true)?
    } else {
        component
    };
    let mut scans: Vec<String> = match expected_structures(state, labelled) {
        Ok(structures) => structures.iter().map(|s| s.encode()).collect(),
        Err(_) => vec![format!("={}00", labelled.din)],
    };
    if rng.chance(5) {
        scans.remove(usize::try_from(rng.below(scans.len() as u64)).unwrap_or(0));
    } else if rng.chance(5) {
        let which = usize::try_from(rng.below(scans.len() as u64)).unwrap_or(0);
        let mut chars: Vec<char> = scans[which].chars().collect();
        if let Some(last) = chars.last_mut() {
            *last = if *last == '1' { '2' } else { '1' };
        }
        scans[which] = chars.into_iter().collect();
    }
    Some(Command::Client(ClientCommand::Manufacturing(
        ManufacturingCommand::VerifyLabel {
            component: component.id.clone(),
            scans,
        },
    )))
}

fn release(state: &State, rng: &mut Rng) -> Option<Command> {
    let component = if rng.chance(80) {
        pick_where(&state.components, rng, |c| c.status == Status::Quarantined)
    } else {
        pick_where(&state.components, rng, |_| true)
    }?;
    Some(Command::Client(ClientCommand::Release(
        ReleaseCommand::ReleaseComponent {
            component: component.id.clone(),
        },
    )))
}

fn hold(state: &State, rng: &mut Rng) -> Option<Command> {
    let target = if rng.chance(50) {
        HoldTarget::Donation {
            din: pick_key(&state.donations, rng)?,
        }
    } else {
        HoldTarget::Component {
            id: pick_key(&state.components, rng)?,
        }
    };
    let kind = *rng.pick(&[HoldKind::Qa, HoldKind::Lookback, HoldKind::Investigation])?;
    Some(Command::Client(ClientCommand::Release(
        ReleaseCommand::PlaceHold {
            target,
            kind,
            reason: "QA review".into(),
        },
    )))
}

fn deferral_command(state: &State, rng: &mut Rng) -> Option<Command> {
    if rng.chance(10) {
        // An admin tightens or loosens a threshold: later decisions and the replay follow.
        let mut config = (*state.config).clone();
        config.screening.female_min_hb = if config.screening.female_min_hb > 12.5 {
            12.5
        } else {
            12.6
        };
        return Some(Command::Client(ClientCommand::Access(
            AccessCommand::Configure {
                config: Box::new(config),
            },
        )));
    }
    if rng.chance(50) {
        let reasons = ["pregnancy", "cjd_risk", "malaria_travel", "isotretinoin"];
        Some(Command::Client(ClientCommand::DonorCentre(
            DonorCentreCommand::DeferDonor {
                donor_id: pick_key(&state.donors, rng)?,
                reason: (*rng.pick(&reasons)?).into(),
                starts: None,
                notes: String::new(),
            },
        )))
    } else {
        Some(Command::Client(ClientCommand::DonorCentre(
            DonorCentreCommand::RequalifyDonor {
                deferral_id: pick_key(&state.deferrals, rng)?,
                reason: "requalified by re-entry algorithm".into(),
            },
        )))
    }
}
