//! Random quality commands for the simulation: lookbacks started by hand, supplemental
//! results, notices completed, recalls opened on units, donations or donors and worked to
//! their end (or closed too early), deviations opened and worked, and corrections of
//! screenings and results, right and wrong.

use hemaflow_domain::command::{ClientCommand, Command, TestResultInput};
use hemaflow_domain::donor_centre::correction::Measurement;
use hemaflow_domain::lab::correction::StageReading;
use hemaflow_domain::lab::testing::{MarkerStatus, Reading, Stage};
use hemaflow_domain::lookback::clocks::RecallClass;
use hemaflow_domain::lookback::deviations::Subject;
use hemaflow_domain::lookback::recalls::{RecallKind, RecallOutcome, Selection};
use hemaflow_domain::state::State;
use hemaflow_domain::{DonorCentreCommand, LabCommand, LookbackCommand as Lb};

use super::{Rng, pick_key, pick_where};
use crate::scenario::Centre;

fn lb(command: Lb) -> Option<Command> {
    Some(Command::Client(ClientCommand::Lookback(command)))
}

/// One random quality command, or none when the state offers nothing to act on.
pub(super) fn generate(centre: &Centre, rng: &mut Rng) -> Option<Command> {
    let state = &centre.state;
    match rng.below(100) {
        0..=9 => start_lookback(state, rng),
        10..=19 => supplemental(state, rng),
        20..=29 => complete_task(state, rng),
        30..=39 => open_recall(state, rng),
        40..=54 => work_recall(state, rng),
        55..=59 => close_recall(state, rng),
        60..=69 => deviation(state, rng),
        70..=84 => correct_screening(state, rng),
        _ => correct_result(state, rng),
    }
}

fn start_lookback(state: &State, rng: &mut Rng) -> Option<Command> {
    let agent = (*rng.pick(&["HIV", "HCV", "HBV"])?).to_owned();
    let (donor_id, din) = if rng.chance(50) {
        (Some(pick_key(&state.donors, rng)?), None)
    } else {
        (None, Some(pick_key(&state.donations, rng)?))
    };
    lb(Lb::StartLookback {
        donor_id,
        din,
        agent,
        evidence: "a recipient's physician reported a seroconversion".into(),
    })
}

/// A supplemental result for a reactive marker (or, now and then, one that is not).
fn supplemental(state: &State, rng: &mut Rng) -> Option<Command> {
    let reactive = pick_where(&state.donations, rng, |d| {
        d.tests.values().any(MarkerStatus::is_unsuitable)
    });
    let donation = match reactive {
        Some(d) if !rng.chance(10) => d,
        _ => pick_where(&state.donations, rng, |_| true)?,
    };
    let test = donation
        .tests
        .iter()
        .find(|(_, s)| s.is_unsuitable())
        .map(|(t, _)| t.clone())
        .or_else(|| donation.tests.keys().next().cloned())?;
    let reading = *rng.pick(&[
        Reading::Reactive,
        Reading::Nonreactive,
        Reading::Indeterminate,
    ])?;
    if rng.chance(20) {
        let open = pick_where(&state.lookback.lookbacks, rng, |l| l.is_open())?;
        return lb(Lb::RecordNoSupplementalTest {
            lookback_id: open.id.clone(),
            reason: "no sample left".into(),
        });
    }
    Some(Command::Client(ClientCommand::Lab(
        LabCommand::RecordTestResult {
            result: TestResultInput {
                din: donation.din.clone(),
                test,
                stage: Stage::Supplemental,
                reading,
            },
        },
    )))
}

fn complete_task(state: &State, rng: &mut Rng) -> Option<Command> {
    let lookback = pick_where(&state.lookback.lookbacks, rng, |l| l.is_open())?;
    let task = rng.pick(&lookback.tasks)?;
    lb(Lb::CompleteLookbackTask {
        lookback_id: lookback.id.clone(),
        task_id: task.id.clone(),
        contact: "the transfusion service".into(),
        method: if rng.chance(5) { " " } else { "telephone" }.into(),
    })
}

fn open_recall(state: &State, rng: &mut Rng) -> Option<Command> {
    let selection = match rng.below(3) {
        0 => Selection::Units {
            components: vec![pick_key(&state.components, rng)?],
        },
        1 => Selection::Donations {
            dins: vec![pick_key(&state.donations, rng)?],
        },
        _ => Selection::Donor {
            donor_id: pick_key(&state.donors, rng)?,
        },
    };
    let kind = match rng.below(4) {
        0 => RecallKind::MarketWithdrawal,
        1 => RecallKind::Recall {
            class: RecallClass::I,
        },
        2 => RecallKind::Recall {
            class: RecallClass::II,
        },
        _ => RecallKind::Recall {
            class: RecallClass::III,
        },
    };
    lb(Lb::OpenRecall {
        kind,
        reason: "bag lot out of specification".into(),
        selection,
    })
}

fn work_recall(state: &State, rng: &mut Rng) -> Option<Command> {
    let recall = pick_where(&state.lookback.recalls, rng, |r| r.is_open())?;
    let id = recall.id.clone();
    if rng.chance(30)
        && let Some(notice) = rng.pick(&recall.consignees)
    {
        return lb(Lb::NotifyRecallConsignee {
            recall_id: id,
            hospital: notice.hospital.clone(),
            contact: "blood bank supervisor".into(),
            method: "telephone".into(),
        });
    }
    let unit = rng.pick(&recall.units)?;
    if rng.chance(30) {
        return lb(Lb::RecordRecallReturn {
            recall_id: id,
            component: unit.component.clone(),
            note: "returned in its box".into(),
        });
    }
    let outcome = *rng.pick(&[
        RecallOutcome::Destroyed,
        RecallOutcome::Destroyed,
        RecallOutcome::TransfusedBeforeRecall,
        RecallOutcome::ProcessedBeforeRecall,
        RecallOutcome::Corrected,
    ])?;
    lb(Lb::RecordRecallOutcome {
        recall_id: id,
        component: unit.component.clone(),
        outcome,
        note: "as reported".into(),
    })
}

fn close_recall(state: &State, rng: &mut Rng) -> Option<Command> {
    let recall = pick_where(&state.lookback.recalls, rng, |r| r.is_open())?;
    lb(Lb::CloseRecall {
        recall_id: recall.id.clone(),
        summary: "every unit accounted for".into(),
    })
}

fn deviation(state: &State, rng: &mut Rng) -> Option<Command> {
    if let Some(open) = pick_where(&state.lookback.deviations, rng, |d| d.is_open())
        && rng.chance(60)
    {
        let id = open.id.clone();
        return lb(match rng.below(3) {
            0 => Lb::InvestigateDeviation {
                deviation_id: id,
                root_cause: "label printed from the wrong template".into(),
                corrective_action: "template locked".into(),
            },
            1 => Lb::ReportDeviation {
                deviation_id: id,
                reference: "BPD 2026-0001".into(),
            },
            _ => Lb::CloseDeviation {
                deviation_id: id,
                reason: "corrective action effective".into(),
            },
        });
    }
    let subject = if rng.chance(50) {
        Subject::Component {
            id: pick_key(&state.components, rng)?,
        }
    } else {
        Subject::Donation {
            din: pick_key(&state.donations, rng)?,
        }
    };
    lb(Lb::OpenDeviation {
        subject,
        discovered_on: time::macros::date!(2026 - 03 - 10),
        occurred_on: None,
        description: "label error found at receipt".into(),
        units: Vec::new(),
    })
}

fn correct_screening(state: &State, rng: &mut Rng) -> Option<Command> {
    let measurement = *rng.pick(Measurement::ALL)?;
    let value = match measurement {
        Measurement::HemoglobinGDl => 10.5 + rng.below(60) as f64 / 10.0,
        Measurement::WeightKg => 40.0 + rng.below(80) as f64,
        Measurement::Pulse => 40.0 + rng.below(80) as f64 + if rng.chance(5) { 0.5 } else { 0.0 },
        Measurement::Systolic => 80.0 + rng.below(120) as f64,
        Measurement::TemperatureC => 36.0 + rng.below(25) as f64 / 10.0,
        _ => rng.below(400) as f64,
    };
    Some(Command::Client(ClientCommand::DonorCentre(
        DonorCentreCommand::CorrectScreening {
            screening_id: pick_key(&state.screenings, rng)?,
            measurement,
            value,
            reason: if rng.chance(5) {
                ""
            } else {
                "typed from the wrong line"
            }
            .into(),
        },
    )))
}

fn correct_result(state: &State, rng: &mut Rng) -> Option<Command> {
    let donation = pick_where(&state.donations, rng, |d| !d.tests.is_empty())?;
    let test = donation
        .tests
        .keys()
        .nth(rng.below(donation.tests.len() as u64) as usize)?;
    let results = match rng.below(4) {
        0 => Vec::new(),
        1 => vec![StageReading {
            stage: Stage::Initial,
            reading: Reading::Nonreactive,
        }],
        2 => vec![
            StageReading {
                stage: Stage::Initial,
                reading: Reading::Reactive,
            },
            StageReading {
                stage: Stage::Repeat,
                reading: Reading::Reactive,
            },
            StageReading {
                stage: Stage::Repeat,
                reading: Reading::Nonreactive,
            },
        ],
        _ => vec![StageReading {
            stage: Stage::Repeat,
            reading: Reading::Reactive,
        }],
    };
    Some(Command::Client(ClientCommand::Lab(
        LabCommand::CorrectTestResult {
            din: donation.din.clone(),
            test: test.clone(),
            results,
            reason: "keyed into the wrong donation".into(),
        },
    )))
}
