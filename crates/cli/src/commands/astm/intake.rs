//! What an analyser's message does: its final results recorded through the lab's own
//! command (`RecordTestResults`, one batch per message, accepted or refused whole) as the
//! analyser's actor, and its host queries answered with the donation's panel.
//!
//! A message is applied once: its command ID is derived from the analyser and the message's
//! bytes, so a transmission repeated (a lost ACK, an operator resending a run) gets the first
//! answer back from the ledger and records nothing again.

use std::fmt::Write as _;

use hemaflow_astm::message::{Content, Interpretation, ResultStatus, SpecimenId, SpecimenResults};
use hemaflow_astm::record::{Field, Message, Record};
use hemaflow_domain::lab::testing::{MarkerStatus, Method, Reading, Stage};
use hemaflow_domain::{
    ClientCommand, Command, Context, LabCommand, Role, Stamp, State, TestResultInput,
};
use hemaflow_service::BloodLedger;
use hemaflow_service::ledger::Outcome;
use sha2::{Digest, Sha256};

use super::analysers::{Analyser, Kind};

/// What a message comes to before it is given: the results to record, and a line for the
/// run log about each record that is not recorded and why.
#[derive(Debug, Default, PartialEq)]
pub struct Plan {
    pub results: Vec<TestResultInput>,
    pub notes: Vec<String>,
}

/// Reads the results of a message against the current state (for each marker's stage).
/// An R record whose test code is not in the analyser's table refuses the whole message:
/// what it meant cannot be known, and half a message is never recorded.
pub fn plan(analyser: &Analyser, content: &Content, state: &State) -> Result<Plan, String> {
    let mut plan = Plan::default();
    for specimen in &content.specimens {
        plan_specimen(analyser, specimen, state, &mut plan)?;
    }
    Ok(plan)
}

fn plan_specimen(
    analyser: &Analyser,
    specimen: &SpecimenResults,
    state: &State,
    plan: &mut Plan,
) -> Result<(), String> {
    let din = match &specimen.specimen {
        SpecimenId::Donation { din, .. } if !specimen.is_control() => din.as_str().to_owned(),
        SpecimenId::Donation { .. } | SpecimenId::Other(_) => {
            let id = match &specimen.specimen {
                SpecimenId::Donation { din, .. } => din.as_str().to_owned(),
                SpecimenId::Other(id) => id.clone(),
            };
            let what = if specimen.is_control() {
                "a run control"
            } else {
                "not a DIN (a pool or control)"
            };
            plan.notes.push(format!(
                "record {}: specimen {id} is {what}; not recorded",
                specimen.record
            ));
            return Ok(());
        }
    };
    for result in &specimen.results {
        let Some(reading) = result.interpretation() else {
            // A signal value (S/CO, RLU) beside the interpretation, or an invalid run's text.
            if result.status == ResultStatus::CannotBeDone {
                plan.notes.push(format!(
                    "record {}: {din} {} could not be done (invalid): retest required; {}",
                    result.record,
                    result.code,
                    specimen.comments.join("; ")
                ));
            }
            continue;
        };
        if !result.status.is_final() {
            let why = match result.status {
                ResultStatus::Correction => {
                    "a correction: give it at the bench, signed, as a corrected result"
                }
                ResultStatus::CannotBeDone => "could not be done (invalid): retest required",
                ResultStatus::Warning => "its validity is questionable",
                _ => "not final",
            };
            plan.notes.push(format!(
                "record {}: {din} {} status {}: {why}; not recorded",
                result.record,
                result.code,
                result.status.code()
            ));
            continue;
        }
        let Some(markers) = analyser.markers(&result.code) else {
            return Err(format!(
                "record {}: test code {:?} is not in analyser {}'s table; nothing of the message was recorded",
                result.record, result.code, analyser.name
            ));
        };
        if markers.len() > 1 && reading == Interpretation::Reactive {
            plan.notes.push(format!(
                "record {}: {din} {} reactive: awaiting the discriminatory tests",
                result.record, result.code
            ));
            continue;
        }
        for marker in markers {
            let stage = stage_for(analyser.kind, state, &din, marker, &plan.results);
            plan.results.push(TestResultInput {
                din: din.clone(),
                test: marker.clone(),
                stage,
                reading: match reading {
                    Interpretation::Reactive => Reading::Reactive,
                    Interpretation::Nonreactive => Reading::Nonreactive,
                },
            });
        }
    }
    Ok(())
}

/// The stage of a result from the marker's status: a serology result after an initial
/// reactive (on record, or earlier in the same message) is a repeat; a NAT result on a
/// reactive minipool resolves it. A result that fits nothing goes as initial and the
/// domain refuses it by its rule.
fn stage_for(
    kind: Kind,
    state: &State,
    din: &str,
    marker: &str,
    earlier: &[TestResultInput],
) -> Stage {
    let status = state.donations.get(din).and_then(|d| d.tests.get(marker));
    let earlier_here = earlier.iter().any(|r| r.din == din && r.test == marker);
    match (kind, status) {
        (Kind::Nat, Some(MarkerStatus::MinipoolReactive)) => Stage::Individual,
        (Kind::Nat, _) => Stage::Initial,
        (Kind::Serology, Some(MarkerStatus::InitialReactive { .. })) => Stage::Repeat,
        (Kind::Serology, Some(MarkerStatus::Pending)) if earlier_here => Stage::Repeat,
        (Kind::Serology, _) => Stage::Initial,
    }
}

/// The command ID of a message: the analyser and a digest of its records.
pub fn command_id(analyser: &Analyser, records: &[Vec<u8>]) -> String {
    let mut hash = Sha256::new();
    for record in records {
        hash.update(record);
        hash.update(b"\r");
    }
    let digest = hash.finalize();
    let mut id = format!("astm-{}-", analyser.name);
    for byte in &digest[..16] {
        let _ = write!(id, "{byte:02x}");
    }
    id
}

/// What recording a message came to, for the run log.
#[derive(Debug, PartialEq)]
pub enum Recorded {
    /// Nothing in it to record.
    Nothing,
    Accepted {
        results: usize,
        sequence: i64,
    },
    /// The same message was recorded before: its first answer, nothing recorded again.
    Repeated {
        sequence: i64,
    },
    /// The domain refused the batch; the refusal is on the record.
    Refused {
        rule: String,
        message: String,
    },
}

/// Records the plan's results as one batch, as the analyser.
pub async fn record(
    ledger: &BloodLedger,
    analyser: &Analyser,
    command_id: &str,
    results: Vec<TestResultInput>,
) -> anyhow::Result<Recorded> {
    if results.is_empty() {
        return Ok(Recorded::Nothing);
    }
    let count = results.len();
    let command = Command::Client(ClientCommand::Lab(LabCommand::RecordTestResults {
        results,
    }));
    let context = Context {
        actor: analyser.actor(),
        role: Role::LabTechnologist,
        now: super::super::database::now(),
        stamp: Stamp::Clock,
    };
    let receipt = ledger.execute(command_id, &command, &context).await?;
    Ok(match (receipt.repeated, receipt.outcome) {
        (true, _) => Recorded::Repeated {
            sequence: receipt.first_sequence,
        },
        (false, Outcome::Accepted { .. }) => Recorded::Accepted {
            results: count,
            sequence: receipt.last_sequence,
        },
        (false, Outcome::Refused { rule, message }) => Recorded::Refused { rule, message },
    })
}

/// The answer to a host query: for each donation asked about, an O record naming the tests
/// of this analyser still to be done on it (report type O); `Y` when none is left, `Z` when
/// the donation is not on record.
pub fn answer_query(analyser: &Analyser, specimens: &[SpecimenId], state: &State) -> Message {
    let mut records = vec![header(analyser), Record::new('P', vec![Field::text("1")])];
    for (index, specimen) in specimens.iter().enumerate() {
        let id = match specimen {
            SpecimenId::Donation { din, .. } => din.as_str().to_owned(),
            SpecimenId::Other(id) => id.clone(),
        };
        let donation = specimen.din().and_then(|din| state.donations.get(din));
        let (tests, report) = match donation {
            None => (Vec::new(), "Z"),
            Some(donation) => {
                let codes = codes_due(analyser, state, &donation.tests);
                let report = if codes.is_empty() { "Y" } else { "O" };
                (codes, report)
            }
        };
        let tests = Field(
            tests
                .iter()
                .map(|code| vec![String::new(), String::new(), String::new(), code.clone()])
                .collect(),
        );
        let mut fields = vec![
            Field::text(&(index + 1).to_string()),
            Field::text(&id),
            Field::text(""),
            tests,
        ];
        fields.resize(25, Field::text(""));
        fields[10] = Field::text("N");
        fields[24] = Field::text(report);
        records.push(Record::new('O', fields));
    }
    records.push(Record::new('L', vec![Field::text("1"), Field::text("N")]));
    Message {
        delimiters: hemaflow_astm::Delimiters::STANDARD,
        records,
    }
}

/// The analyser's codes for the donation's markers still pending, each code once.
fn codes_due(
    analyser: &Analyser,
    state: &State,
    tests: &std::collections::BTreeMap<String, MarkerStatus>,
) -> Vec<String> {
    let method = match analyser.kind {
        Kind::Nat => Method::Nat,
        Kind::Serology => Method::Serology,
    };
    let due = |marker: &str| {
        let pending = matches!(
            tests.get(marker),
            Some(
                MarkerStatus::Pending
                    | MarkerStatus::InitialReactive { .. }
                    | MarkerStatus::MinipoolReactive
            )
        );
        let of_kind = state
            .config
            .tests
            .iter()
            .any(|t| t.code == marker && t.method == method);
        pending && of_kind
    };
    let mut codes: Vec<String> = Vec::new();
    // A multiplex code first: one assay covers its markers.
    let mut table: Vec<(&String, &Vec<String>)> = analyser.codes.iter().collect();
    table.sort_by_key(|(_, markers)| std::cmp::Reverse(markers.len()));
    let mut covered: Vec<&str> = Vec::new();
    for (code, markers) in table {
        let wanted: Vec<&str> = markers
            .iter()
            .map(String::as_str)
            .filter(|m| due(m) && !covered.contains(m))
            .collect();
        // A code is asked for only when every marker it stands for is still due.
        if !wanted.is_empty() && wanted.len() == markers.len() {
            covered.extend(wanted);
            codes.push(code.clone());
        }
    }
    codes
}

fn header(analyser: &Analyser) -> Record {
    // H.2 delimiters, H.5 sender, H.10 receiver, H.12 processing ID, H.13 version.
    let mut fields = vec![Field::text(""); 12];
    fields[0] = Field::text("\\^&");
    fields[3] = Field::components(&["HEMAFLOW", "BECS"]);
    fields[8] = Field::text(&analyser.name);
    fields[10] = Field::text("P");
    fields[11] = Field::text("LIS2-A2");
    Record::new('H', fields)
}

/// The sender of a message, for the run log.
pub fn describe(content: &Content) -> String {
    format!(
        "{} ({} specimens, {} queries)",
        content.sender,
        content.specimens.len(),
        content.queries.len()
    )
}

#[cfg(test)]
mod tests {
    use hemaflow_domain::donor_centre::eligibility::Procedure;
    use hemaflow_testkit::scenario::Centre;
    use time::macros::date;

    use super::*;
    use crate::commands::astm::analysers::default_codes;

    fn analyser(kind: Kind) -> Analyser {
        let address = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        Analyser {
            name: "a1".into(),
            kind,
            address,
            codes: default_codes(kind),
        }
    }

    fn content(din: &str, results: &[&str]) -> Content {
        let mut text = format!("H|\\^&|||SIM\rP|1\rO|1|={din}09||^^^MPX|R||||||N");
        for (index, result) in results.iter().enumerate() {
            text.push_str(&format!("\rR|{}|{result}", index + 1));
        }
        text.push_str("\rL|1|N");
        let records: Vec<Vec<u8>> = text.split('\r').map(|r| r.as_bytes().to_vec()).collect();
        hemaflow_astm::read_message(&records).expect("valid").1
    }

    fn donation() -> (Centre, String) {
        let mut centre = Centre::new();
        let (_, din) = centre
            .walk_in("Astm", date!(1990 - 01 - 01), Procedure::WholeBlood)
            .expect("collected");
        (centre, din)
    }

    #[test]
    fn a_nonreactive_multiplex_clears_its_three_markers_and_a_reactive_one_waits() {
        let (centre, din) = donation();
        let nat = analyser(Kind::Nat);
        let plan = plan(
            &nat,
            &content(
                &din,
                &[
                    "^^^MPX^INTERP|Nonreactive|||N||F",
                    "^^^MPX^SCO|0.04|S/CO||||F",
                ],
            ),
            &centre.state,
        )
        .expect("valid");
        let markers: Vec<&str> = plan.results.iter().map(|r| r.test.as_str()).collect();
        assert_eq!(markers, ["hiv_nat", "hcv_nat", "hbv_nat"]);
        let reactive = content(
            &din,
            &[
                "^^^MPX^INTERP|Reactive|||A||F",
                "^^^DHBV^INTERP|Reactive|||A||F",
            ],
        );
        let plan = plan_of(&nat, &reactive, &centre.state);
        assert_eq!(plan.results.len(), 1);
        assert_eq!(
            (plan.results[0].test.as_str(), plan.results[0].reading),
            ("hbv_nat", Reading::Reactive)
        );
        assert!(
            plan.notes[0].contains("awaiting the discriminatory tests"),
            "{:?}",
            plan.notes
        );
    }

    fn plan_of(analyser: &Analyser, content: &Content, state: &State) -> Plan {
        plan(analyser, content, state).expect("valid")
    }

    #[test]
    fn an_unknown_test_code_refuses_the_whole_message() {
        let (centre, din) = donation();
        let message = content(
            &din,
            &[
                "^^^MPX^INTERP|Nonreactive|||N||F",
                "^^^ZIKA^INTERP|Nonreactive|||N||F",
            ],
        );
        let error = plan(&analyser(Kind::Nat), &message, &centre.state).expect_err("unknown code");
        assert!(
            error.contains("\"ZIKA\"") && error.contains("nothing of the message"),
            "{error}"
        );
    }

    #[test]
    fn only_final_results_are_recorded_and_the_others_are_said_in_the_log() {
        let (centre, din) = donation();
        let message = content(
            &din,
            &[
                "^^^HBSAG^INTERP|Nonreactive|||N||C",
                "^^^HCV^INTERP|Invalid|||||X",
                "^^^HIV^INTERP|Nonreactive|||N||P",
                "^^^HBC^INTERP|Nonreactive|||N||V",
            ],
        );
        let plan = plan_of(&analyser(Kind::Serology), &message, &centre.state);
        assert_eq!(plan.results.len(), 1, "only the verified one");
        assert_eq!(plan.results[0].test, "anti_hbc");
        let notes = plan.notes.join("\n");
        assert!(
            notes.contains("a correction")
                && notes.contains("retest required")
                && notes.contains("not final"),
            "{notes}"
        );
    }

    #[test]
    fn an_initial_reactive_and_its_duplicate_repeats_in_one_message_make_a_repeat_reactive() {
        let (mut centre, din) = donation();
        let message = content(
            &din,
            &[
                "^^^HBSAG^INTERP|Reactive|||A||F",
                "^^^HBSAG^INTERP|Reactive|||A||F",
                "^^^HBSAG^INTERP|Nonreactive|||N||F",
            ],
        );
        let plan = plan_of(&analyser(Kind::Serology), &message, &centre.state);
        let stages: Vec<Stage> = plan.results.iter().map(|r| r.stage).collect();
        assert_eq!(stages, [Stage::Initial, Stage::Repeat, Stage::Repeat]);
        let batch = LabCommand::RecordTestResults {
            results: plan.results,
        };
        centre
            .run(
                Role::LabTechnologist,
                Command::Client(ClientCommand::Lab(batch)),
            )
            .expect("accepted");
        let status = &centre.state.donations[&din].tests["hbsag"];
        assert!(
            matches!(status, MarkerStatus::RepeatReactive { .. }),
            "{status:?}"
        );
    }

    #[test]
    fn a_host_query_is_answered_with_the_tests_due_or_z_for_a_donation_not_on_record() {
        let (centre, din) = donation();
        let asked = [
            hemaflow_astm::SpecimenId::parse(&din).expect("din"),
            hemaflow_astm::SpecimenId::parse("A999926000012").expect("din"),
        ];
        let answer = answer_query(&analyser(Kind::Nat), &asked, &centre.state);
        let kinds: String = answer.records.iter().map(|r| r.kind).collect();
        assert_eq!(kinds, "HPOOL");
        let due = &answer.records[2];
        assert_eq!(due.field(3).first(), din);
        assert!(
            due.field(5)
                .0
                .iter()
                .any(|test| test.get(3).map(String::as_str) == Some("MPX")),
            "{due:?}"
        );
        assert_eq!(due.field(26).first(), "O");
        assert_eq!(answer.records[3].field(26).first(), "Z");
    }
}
