//! The demo's quality work: a haemoglobin typed wrongly at the donor desk and corrected under
//! the screener's signature (the deferral it caused withdrawn, both values on the record); a
//! Class II recall of a bag lot worked to its end (consignees told, every unit destroyed) with
//! its biological product deviation investigated, reported and closed; and, in the last hours,
//! the donor of the unit transfused at Mercy back for platelets, whose donation is repeat
//! reactive for anti-HIV-1/2: the lookback opens by itself, holds what is still in date and
//! puts the consignees' and the recipient's physician's notices on their clocks.

use hemaflow_domain::command::{Command, ServerCommand};
use hemaflow_domain::donor_centre::correction::Measurement;
use hemaflow_domain::donor_centre::eligibility::Procedure;
use hemaflow_domain::lab::command::TestResultInput;
use hemaflow_domain::lab::testing::{Reading, Stage};
use hemaflow_domain::lookback::clocks::RecallClass;
use hemaflow_domain::lookback::deviations::Subject;
use hemaflow_domain::lookback::lookbacks::Notice;
use hemaflow_domain::lookback::recalls::{RecallKind, RecallOutcome, Selection};
use hemaflow_domain::manufacturing::components::Status;
use hemaflow_domain::{
    AccessCommand, ClientCommand, DonorCentreCommand, DonorCentreEvent, Event, LabCommand,
    LookbackCommand as Lb, Role,
};
use time::{Duration, OffsetDateTime};

use super::{Planner, Step};

/// The QA officer who works the recall and the lookback, and the screener who corrects.
const QA: &str = "e.walsh";
const SCREENER: &str = "j.garcia";
const LAB: &str = "r.patel";
const ADMIN: &str = "p.svensson";

/// The steps of the quality story, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scene {
    Accounts,
    CorrectHaemoglobin,
    OpenRecall,
    WorkRecall,
    CloseRecall,
    Deviation,
    DonorReturns,
    ReactiveResult,
    FirstNotice,
}

impl Planner {
    pub(super) fn schedule_quality(&mut self, start: OffsetDateTime, now: OffsetDateTime) {
        use Scene::*;
        let day = |d: i64, hour: i64| start + Duration::days(d) + Duration::hours(hour);
        for (at, scene) in [
            (day(0, 0) + Duration::minutes(30), Accounts),
            (day(6, 7), CorrectHaemoglobin),
            (day(20, 2), OpenRecall),
            (day(20, 6), WorkRecall),
            (day(21, 4), CloseRecall),
            (day(21, 6), Deviation),
            (now - Duration::minutes(4 * 60), DonorReturns),
            (now - Duration::minutes(60), ReactiveResult),
            (now - Duration::minutes(30), FirstNotice),
        ] {
            self.schedule(at, Step::Quality(scene));
        }
    }

    pub(super) fn quality_scene(&mut self, scene: Scene) {
        match scene {
            Scene::Accounts => self.quality_accounts(),
            Scene::CorrectHaemoglobin => self.correct_haemoglobin(),
            Scene::OpenRecall => self.open_recall(),
            Scene::WorkRecall => self.work_recall(),
            Scene::CloseRecall => self.close_recall(),
            Scene::Deviation => self.recall_deviation(),
            Scene::DonorReturns => self.donor_returns(),
            Scene::ReactiveResult => self.reactive_result(),
            Scene::FirstNotice => self.first_notice(),
        }
    }

    /// A signature needs an account: the screener who corrects and every QA officer (who
    /// sign recalls, deviations and returned units' fates) get theirs.
    fn quality_accounts(&mut self) {
        let signers = super::STAFF
            .iter()
            .filter(|s| s.actor == SCREENER || s.role == Role::QualityAssurance);
        for member in signers {
            self.run(
                ADMIN,
                Role::Admin,
                AccessCommand::CreateUser {
                    user_id: member.actor.to_owned(),
                    name: member.name.to_owned(),
                    role: member.role,
                    hospital: None,
                }
                .into(),
            );
        }
    }

    pub(super) fn signed(&mut self, actor: &str, role: Role, command: ClientCommand) -> bool {
        let Some(meaning) = command.signature_meaning() else {
            return false;
        };
        self.run(
            actor,
            role,
            Command::Server(ServerCommand::Signed {
                meaning: meaning.to_owned(),
                command: Box::new(command),
            }),
        )
        .is_some()
    }

    /// CORR-ENTRY: the first donor deferred for a low haemoglobin is found, on the printout,
    /// to have had 13.4 g/dL: the screener corrects the value and the deferral is withdrawn.
    fn correct_haemoglobin(&mut self) {
        let Some(screening) = self
            .state
            .screenings
            .values()
            .find(|s| s.findings.iter().any(|f| f.rule.starts_with("ELIG-HB")))
            .map(|s| s.id.clone())
        else {
            return;
        };
        let command = DonorCentreCommand::CorrectScreening {
            screening_id: screening,
            measurement: Measurement::HemoglobinGDl,
            value: 13.4,
            reason: "keyed from the previous donor's line; the HemoCue printout filed with the \
                     record reads 13.4 g/dL"
                .to_owned(),
        };
        self.signed(SCREENER, Role::CollectionStaff, command.into());
    }

    /// The donations of the Riverside bag lot the manufacturer's notice names: those of the
    /// earliest collection day at Riverside with a unit already shipped.
    fn recalled_donations(&self) -> Vec<String> {
        let shipped = |din: &str| {
            self.state
                .components
                .values()
                .any(|c| c.din == din && c.status == Status::Shipped)
        };
        let riverside = self
            .state
            .donations
            .values()
            .filter(|d| d.container.lot.ends_with("-RIV"));
        let Some(day) = riverside
            .clone()
            .filter(|d| shipped(&d.din))
            .map(|d| d.ended_at.date())
            .min()
        else {
            return Vec::new();
        };
        riverside
            .filter(|d| d.ended_at.date() == day)
            .map(|d| d.din.clone())
            .take(3)
            .collect()
    }

    fn qa(&mut self, command: Lb) -> bool {
        self.run(QA, Role::QualityAssurance, command.into())
            .is_some()
    }

    /// RECALL-CLASS: a Class II recall of the lot's donations.
    fn open_recall(&mut self) {
        let dins = self.recalled_donations();
        if dins.is_empty() {
            return;
        }
        self.qa(Lb::OpenRecall {
            kind: RecallKind::Recall {
                class: RecallClass::II,
            },
            reason: "Manufacturer's field notice FN-2026-114: bags of lot L2026-RIV may hold \
                     anticoagulant below specification"
                .to_owned(),
            selection: Selection::Donations { dins },
        });
    }

    fn recall(&self) -> Option<&hemaflow_domain::lookback::recalls::Recall> {
        self.state.lookback.recalls.get("RC-000001")
    }

    /// RECALL-TRACK: every consignee told; the units still here destroyed.
    fn work_recall(&mut self) {
        let Some(recall) = self.recall() else { return };
        let hospitals: Vec<String> = recall
            .consignees
            .iter()
            .map(|c| c.hospital.clone())
            .collect();
        let here: Vec<String> = recall
            .units
            .iter()
            .filter(|u| u.outcome.is_none() && u.consignee.is_none())
            .map(|u| u.component.clone())
            .collect();
        for hospital in hospitals {
            self.qa(Lb::NotifyRecallConsignee {
                recall_id: "RC-000001".to_owned(),
                hospital,
                contact: "the transfusion service supervisor".to_owned(),
                method: "telephone, then the recall notice by fax".to_owned(),
            });
        }
        for component in here {
            self.qa(Lb::RecordRecallOutcome {
                recall_id: "RC-000001".to_owned(),
                component,
                outcome: RecallOutcome::Destroyed,
                note: "discarded at the centre as biohazard".to_owned(),
            });
        }
    }

    /// The hospitals report back; the recall closes under QA's signature.
    fn close_recall(&mut self) {
        let Some(recall) = self.recall() else { return };
        let away: Vec<(String, String)> = recall
            .units
            .iter()
            .filter(|u| u.outcome.is_none())
            .filter_map(|u| Some((u.component.clone(), u.consignee.clone()?)))
            .collect();
        for (component, hospital) in away {
            self.qa(Lb::RecordRecallOutcome {
                recall_id: "RC-000001".to_owned(),
                component,
                outcome: RecallOutcome::Destroyed,
                note: format!("destroyed by {hospital}, as its faxed reply reports"),
            });
        }
        let outstanding = self.recall().is_some_and(|r| !r.outstanding().is_empty());
        if outstanding {
            return;
        }
        let command = Lb::CloseRecall {
            recall_id: "RC-000001".to_owned(),
            summary: "every consignee told; every unit destroyed or already at its end".to_owned(),
        };
        self.signed(QA, Role::QualityAssurance, command.into());
    }

    /// BPD-45: the recall's units were distributed, so the deviation is reportable; it is
    /// investigated, reported through eSubmitter and closed.
    fn recall_deviation(&mut self) {
        if self.recall().is_none() {
            return;
        }
        let discovered_on = self.now.date() - Duration::days(1);
        if !self.qa(Lb::OpenDeviation {
            subject: Subject::Recall {
                recall_id: "RC-000001".to_owned(),
            },
            discovered_on,
            occurred_on: None,
            description: "Units collected in a bag lot later found out of specification were \
                          distributed before the manufacturer's notice"
                .to_owned(),
            units: Vec::new(),
        }) {
            return;
        }
        let Some(id) = self.state.lookback.deviations.keys().next_back().cloned() else {
            return;
        };
        self.qa(Lb::InvestigateDeviation {
            deviation_id: id.clone(),
            root_cause: "manufacturing defect of the bag lot (supplier's notice FN-2026-114)"
                .to_owned(),
            corrective_action: "remaining bags of the lot returned; incoming lots now held until \
                                the supplier's certificate is checked"
                .to_owned(),
        });
        self.qa(Lb::ReportDeviation {
            deviation_id: id.clone(),
            reference: "BPD 2026-0142 (eSubmitter)".to_owned(),
        });
        let command = Lb::CloseDeviation {
            deviation_id: id,
            reason: "reported to CBER; corrective action in place".to_owned(),
        };
        self.signed(QA, Role::QualityAssurance, command.into());
    }

    /// The donor of the unit transfused at Mercy today, back for platelets (two days after
    /// whole blood is enough for plateletpheresis, INT-PLT).
    fn donor_returns(&mut self) {
        let Some(unit) = self.crossmatched_for_first() else {
            return;
        };
        let Some(donor_id) = self
            .state
            .components
            .get(&unit)
            .and_then(|c| self.state.donations.get(&c.din))
            .map(|d| d.donor_id.clone())
        else {
            return;
        };
        let Some(events) = self.run(
            SCREENER,
            Role::CollectionStaff,
            DonorCentreCommand::RecordScreening {
                donor_id: donor_id.clone(),
                procedure: Procedure::Plateletpheresis,
                input: super::demo_screening(),
            }
            .into(),
        ) else {
            return;
        };
        let Some(screening_id) = events.iter().find_map(|e| match e {
            Event::DonorCentre(DonorCentreEvent::ScreeningRecorded { screening })
                if screening.accepted =>
            {
                Some(screening.id.clone())
            }
            _ => None,
        }) else {
            return;
        };
        self.wait(80, 90);
        let din = self.next_din();
        let collected = self.run(
            SCREENER,
            Role::CollectionStaff,
            DonorCentreCommand::CollectDonation {
                din: din.clone(),
                donor_id,
                screening_id,
                container: hemaflow_domain::donor_centre::collection::Container {
                    catalogue_number: "KIT-PLT-APH".to_owned(),
                    lot: format!("L{}-CEN", self.now.year()),
                },
                started_at: self.now - Duration::minutes(70),
                ended_at: self.now,
                volume_ml: 250,
                red_cell_loss_ml: 0,
                phlebotomist: SCREENER.to_owned(),
                adverse_reactions: Vec::new(),
                collection_state: "PA".to_owned(),
            }
            .into(),
        );
        if collected.is_some() {
            // Split into two doses and held in quarantine until the tests are in.
            let at = self.now + Duration::minutes(30);
            let recipe = "platelets_double";
            self.schedule(at, Step::Produce { din, recipe });
        }
    }

    /// LB-WINDOW: anti-HIV-1/2 initial reactive and reactive in both repeats; the lookback
    /// starts in the same decision as the second repeat.
    fn reactive_result(&mut self) {
        let Some(din) = self
            .state
            .donations
            .values()
            .filter(|d| d.procedure == Procedure::Plateletpheresis)
            .max_by_key(|d| d.ended_at)
            .filter(|d| d.ended_at > self.now - Duration::hours(4))
            .map(|d| d.din.clone())
        else {
            return;
        };
        for stage in [Stage::Initial, Stage::Repeat, Stage::Repeat] {
            self.run(
                LAB,
                Role::LabTechnologist,
                LabCommand::RecordTestResult {
                    result: TestResultInput {
                        din: din.clone(),
                        test: "anti_hiv_1_2".to_owned(),
                        stage,
                        reading: Reading::Reactive,
                    },
                }
                .into(),
            );
            self.wait(3, 6);
        }
    }

    /// LB-DEADLINES: QA telephones the first consignee to quarantine its units; the other
    /// notices stay open on their clocks.
    fn first_notice(&mut self) {
        let Some(lookback) = self.state.lookback.lookbacks.values().next_back() else {
            return;
        };
        let Some(task) = lookback
            .open_tasks()
            .find(|t| matches!(t.notice, Notice::Quarantine { .. }))
        else {
            return;
        };
        let (lookback_id, task_id) = (lookback.id.clone(), task.id.clone());
        self.qa(Lb::CompleteLookbackTask {
            lookback_id,
            task_id,
            contact: "the transfusion service supervisor".to_owned(),
            method: "telephone; written notice by fax".to_owned(),
        });
    }
}
