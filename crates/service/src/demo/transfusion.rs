//! The demo's hospital transfusion service, at Mercy General Hospital, in the last hours
//! before "now": its technologist and nurse, six patients with samples at every stage (received,
//! typed, typed and screened, a positive screen with an antibody identified), units received
//! from the blood centre retyped, electronic crossmatches, one unit transfused at the bedside
//! and a febrile reaction to it, and an uncrossmatched emergency release for a trauma patient
//! signed for by the physician afterwards and waiting for QA's review.

use hemaflow_domain::TransfusionCommand as Tx;
use hemaflow_domain::command::Command;
use hemaflow_domain::distribution::sites::Celsius;
use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_domain::manufacturing::components::{Component, Family};
use hemaflow_domain::release::gate::confirmed_group;
use hemaflow_domain::transfusion::command::HistoricalGroup;
use hemaflow_domain::transfusion::emergency::{Imputability, ReactionCategory, Severity};
use hemaflow_domain::transfusion::patients::{Antigen, PatientSex, RecentHistory};
use hemaflow_domain::transfusion::units::{Vitals, XmMethod};
use hemaflow_domain::{AccessCommand, Context, Role, decide};
use time::macros::date;
use time::{Date, Duration, OffsetDateTime};

use super::Planner;

/// Mercy's transfusion technologist and bedside nurse (in `STAFF`).
pub const TECHNOLOGIST: &str = "m.alvarez";
pub const NURSE: &str = "n.brooks";
const HOSPITAL: &str = "mercy";

/// The steps of the transfusion service's day, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scene {
    Staff,
    Admit,
    Samples,
    Retype,
    Crossmatch,
    Issue,
    Start,
    Emergency,
    End,
    Reaction,
    Sign,
}

/// A demo patient: wristband number, names, sex, date of birth, history, group on record.
struct DemoPatient {
    number: &'static str,
    family: &'static str,
    given: &'static str,
    sex: PatientSex,
    born: Date,
    history: RecentHistory,
    historical: Option<(Abo, RhD)>,
}

const PATIENTS: [DemoPatient; 6] = [
    DemoPatient {
        number: "MG40117",
        family: "Whitfield",
        given: "George",
        sex: PatientSex::Male,
        born: date!(1956 - 04 - 12),
        history: RecentHistory::TransfusedOrPregnant,
        historical: Some((Abo::A, RhD::Positive)),
    },
    DemoPatient {
        number: "MG40122",
        family: "Okonkwo",
        given: "Adaeze",
        sex: PatientSex::Female,
        born: date!(1988 - 09 - 03),
        history: RecentHistory::Unknown,
        historical: None,
    },
    DemoPatient {
        number: "MG40131",
        family: "Lindqvist",
        given: "Maja",
        sex: PatientSex::Female,
        born: date!(1947 - 01 - 25),
        history: RecentHistory::Neither,
        historical: Some((Abo::O, RhD::Positive)),
    },
    DemoPatient {
        number: "MG40138",
        family: "Delgado",
        given: "Rafael",
        sex: PatientSex::Male,
        born: date!(1971 - 11 - 30),
        history: RecentHistory::TransfusedOrPregnant,
        historical: Some((Abo::O, RhD::Positive)),
    },
    DemoPatient {
        number: "MG40150",
        family: "Trauma",
        given: "Alpha (unidentified)",
        sex: PatientSex::Male,
        born: date!(1980 - 01 - 01),
        history: RecentHistory::Unknown,
        historical: None,
    },
    DemoPatient {
        number: "MG40156",
        family: "Baptiste",
        given: "Claire",
        sex: PatientSex::Female,
        born: date!(1962 - 06 - 18),
        history: RecentHistory::Neither,
        historical: Some((Abo::O, RhD::Positive)),
    },
];

/// The ISBT 128 wristband of a demo patient: 024 date of birth and 025 patient number.
pub fn wristband_of(number: &str, born: Date) -> String {
    format!(
        "=#01{:04}{:02}{:02}&#01{:02}{number}",
        born.year(),
        born.month() as u8,
        born.day(),
        number.len()
    )
}

fn band(index: usize) -> String {
    wristband_of(PATIENTS[index].number, PATIENTS[index].born)
}

fn vitals(temperature_tenths: i32, pulse: u16) -> Vitals {
    Vitals {
        temperature_c: Celsius::tenths(temperature_tenths),
        pulse,
        systolic: 128,
        diastolic: 76,
    }
}

impl Planner {
    /// The scenes, hours before `now`.
    pub(super) fn schedule_transfusion(&mut self, now: OffsetDateTime) {
        use Scene::*;
        for (minutes_before, scene) in [
            (36 * 60, Staff),
            (9 * 60, Admit),
            (8 * 60, Samples),
            (7 * 60, Retype),
            (6 * 60, Crossmatch),
            (5 * 60, Issue),
            (5 * 60 - 20, Start),
            (4 * 60, Emergency),
            (3 * 60, End),
            (3 * 60 - 40, Reaction),
            (2 * 60, Sign),
        ] {
            self.schedule(
                now - Duration::minutes(minutes_before),
                super::Step::Transfusion(scene),
            );
        }
    }

    pub(super) fn transfusion_scene(&mut self, scene: Scene) {
        match scene {
            Scene::Staff => self.transfusion_staff(),
            Scene::Admit => self.admit_patients(),
            Scene::Samples => self.draw_samples(),
            Scene::Retype => self.retype_received(),
            Scene::Crossmatch => self.crossmatch_patients(),
            Scene::Issue => self.issue_first(),
            Scene::Start => self.bedside(true),
            Scene::Emergency => self.emergency(),
            Scene::End => self.bedside(false),
            Scene::Reaction => self.reaction(),
            Scene::Sign => self.sign_emergency(),
        }
    }

    /// Runs the command only if it would be accepted (the demo's picks are tries).
    fn attempt(&mut self, actor: &str, role: Role, command: Command) -> bool {
        let context = Context {
            actor: actor.to_owned(),
            role,
            now: self.now,
            stamp: hemaflow_domain::Stamp::Planned,
        };
        decide(&self.state, &command, &context).is_ok() && self.run(actor, role, command).is_some()
    }

    fn tech(&mut self, command: Tx) -> bool {
        self.attempt(TECHNOLOGIST, Role::TransfusionTechnologist, command.into())
    }

    fn transfusion_staff(&mut self) {
        for member in super::STAFF
            .iter()
            .filter(|s| matches!(s.role, Role::TransfusionTechnologist | Role::Nurse))
        {
            self.run(
                "p.svensson",
                Role::Admin,
                AccessCommand::CreateUser {
                    user_id: member.actor.to_owned(),
                    name: member.name.to_owned(),
                    role: member.role,
                    hospital: Some(HOSPITAL.to_owned()),
                }
                .into(),
            );
        }
    }

    fn admit_patients(&mut self) {
        for (index, p) in PATIENTS.iter().enumerate() {
            let requirements = if index == 3 {
                vec![hemaflow_domain::transfusion::patients::Requirement::Irradiated]
            } else {
                vec![]
            };
            self.tech(Tx::RegisterPatient {
                wristband: band(index),
                mrn: format!("MRN-{}", 880_100 + index),
                family_name: p.family.to_owned(),
                given_name: p.given.to_owned(),
                sex: p.sex,
                born: Some(p.born),
                recent_history: p.history,
                historical_group: p.historical.map(|(abo, rhd)| HistoricalGroup { abo, rhd }),
                known_antibodies: vec![],
                requirements,
            });
        }
    }

    /// Samples at every stage: typed and screened (patients 0 and 5), received only (1), typed
    /// only (2), a positive screen with anti-E identified (3).
    fn draw_samples(&mut self) {
        let drawn_at = self.now - Duration::minutes(40);
        for (index, stage) in [(0, 3), (1, 0), (2, 1), (3, 4), (5, 3)] {
            let id = format!("MG-S{}", 7100 + index);
            let p = &PATIENTS[index];
            self.tech(Tx::ReceiveSample {
                sample_id: id.clone(),
                wristband: band(index),
                drawn_at,
                drawn_by: "RN Brooks".to_owned(),
            });
            let group = p.historical.unwrap_or((Abo::O, RhD::Positive));
            if stage >= 1 {
                self.tech(Tx::TypeSample {
                    sample_id: id.clone(),
                    abo: group.0,
                    rhd: group.1,
                });
            }
            if stage >= 3 {
                self.tech(Tx::ScreenSample {
                    sample_id: id.clone(),
                    positive: stage == 4,
                });
            }
            if stage == 4 {
                self.tech(Tx::IdentifyAntibodies {
                    sample_id: id,
                    antigens: vec![Antigen::E],
                });
            }
        }
    }

    /// The units received at Mercy, of one family, with their group.
    fn received(&self, family: Family) -> Vec<(String, (Abo, RhD))> {
        self.state
            .components
            .values()
            .filter(|c| c.family == family && received_here(&self.state, c))
            .filter_map(|c| confirmed_group(&self.state, c).map(|g| (c.id.clone(), g)))
            .collect()
    }

    /// Units that expired in stock are wasted (TX-FATE); then XM-RETYPE for every red-cell
    /// unit in stock, as on receipt.
    fn retype_received(&mut self) {
        let now = self.now;
        let expired: Vec<String> = self
            .state
            .components
            .values()
            .filter(|c| c.expires_at <= now && received_here(&self.state, c))
            .map(|c| c.id.clone())
            .collect();
        for id in expired {
            self.tech(Tx::WasteUnit {
                component: id,
                reason: "expired in stock".to_owned(),
            });
        }
        for (id, (abo, rhd)) in self.received(Family::RedCells) {
            self.tech(Tx::RetypeUnit {
                component: id,
                abo,
                rhd: Some(rhd),
            });
        }
    }

    /// Electronic crossmatches: two units for patient 0, one for patient 5.
    fn crossmatch_patients(&mut self) {
        for (index, wanted) in [(0, 2), (5, 1)] {
            let mut done = 0;
            for (id, _) in self.received(Family::RedCells) {
                if done == wanted {
                    break;
                }
                if self.tech(Tx::CrossmatchUnit {
                    sample_id: format!("MG-S{}", 7100 + index),
                    wristband: band(index),
                    component: id,
                    method: XmMethod::Electronic,
                    compatible: None,
                    rhd_approved_by: None,
                }) {
                    done += 1;
                }
            }
        }
    }

    /// The first unit crossmatched for patient 0.
    pub(super) fn crossmatched_for_first(&self) -> Option<String> {
        let patient = format!("{HOSPITAL}:01/{}", PATIENTS[0].number);
        self.state
            .transfusion
            .units
            .values()
            .find(|u| u.crossmatches.iter().any(|x| x.patient == patient))
            .map(|u| u.component.clone())
    }

    fn issue_first(&mut self) {
        if let Some(unit) = self.crossmatched_for_first() {
            self.tech(Tx::IssueUnit {
                component: unit,
                wristband: band(0),
                to: "RN Nia Brooks, ward 4B".to_owned(),
                remote: None,
            });
        }
    }

    fn bedside(&mut self, start: bool) {
        let Some(unit) = self.crossmatched_for_first() else {
            return;
        };
        let command = if start {
            Tx::StartTransfusion {
                component: unit,
                wristband: band(0),
                second_checker: None,
                vitals: vitals(367, 76),
            }
        } else {
            Tx::EndTransfusion {
                component: unit,
                volume_ml: 310,
                vitals: vitals(386, 98),
            }
        };
        self.attempt(NURSE, Role::Nurse, command.into());
    }

    fn reaction(&mut self) {
        if let Some(unit) = self.crossmatched_for_first() {
            self.attempt(
                NURSE,
                Role::Nurse,
                Tx::ReportReaction {
                    reaction_id: "RX-0001".to_owned(),
                    component: unit,
                    category: ReactionCategory::FebrileNonHemolytic,
                    severity: Severity::NonSevere,
                    imputability: Imputability::Probable,
                    description: "Temperature 36.7 to 38.6 °C with chills 90 minutes into the \
                                  unit; transfusion completed after paracetamol, blood \
                                  cultures sent"
                        .to_owned(),
                }
                .into(),
            );
        }
    }

    /// Trauma patient 4, group unknown: one group O red-cell unit, uncrossmatched.
    fn emergency(&mut self) {
        let mut candidates: Vec<(String, (Abo, RhD))> = self
            .received(Family::RedCells)
            .into_iter()
            .filter(|(_, g)| g.0 == Abo::O)
            .collect();
        // O negative first, as a blood bank keeps it for emergencies.
        candidates.sort_by_key(|(_, g)| g.1 != RhD::Negative);
        for (id, _) in candidates {
            if self.tech(Tx::ReleaseEmergency {
                release_id: "ER-0001".to_owned(),
                wristband: band(4),
                components: vec![id],
                physician: "Dr. Samuel Reyes, emergency department".to_owned(),
                reason: "Hemorrhagic shock after a road traffic collision; no time for a \
                         sample"
                    .to_owned(),
            }) {
                break;
            }
        }
    }

    fn sign_emergency(&mut self) {
        if self.state.transfusion.emergencies.contains_key("ER-0001") {
            let signed_at = self.now - Duration::minutes(15);
            self.tech(Tx::SignEmergencyRelease {
                release_id: "ER-0001".to_owned(),
                physician: "Dr. Samuel Reyes".to_owned(),
                signed_at,
            });
        }
    }
}

fn received_here(state: &hemaflow_domain::State, c: &Component) -> bool {
    hemaflow_domain::distribution::shipping::received_at_hospital(state, c) == Some(HOSPITAL)
}
