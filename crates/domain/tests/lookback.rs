//! Lookback, recall, deviations and fatalities through `decide` and `evolve`, on a centre that
//! collected, released and shipped a donor's earlier units to Mercy, where one was transfused:
//! the window and the quarantine (LB-WINDOW), the notices and their clocks (LB-DEADLINES),
//! recalls (RECALL-CLASS, RECALL-TRACK), deviation reports (BPD-45), fatalities (FATAL-7) and
//! malformed input (LB-INPUT). Every scenario ends with the domain's invariants.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use hemaflow_domain::access::roles::Role;
use hemaflow_domain::lab::testing::{Reading, Stage};
use hemaflow_domain::lookback::clocks::RecallClass;
use hemaflow_domain::lookback::deviations::Subject;
use hemaflow_domain::lookback::lookbacks::{Notice, SupplementalOutcome, Trigger};
use hemaflow_domain::lookback::recalls::{RecallKind, RecallOutcome, Selection};
use hemaflow_domain::lookback::trace::{Whereabouts, whereabouts};
use hemaflow_domain::manufacturing::components::Status;
use hemaflow_domain::transfusion::emergency::{Imputability, ReactionCategory, Severity};
use hemaflow_domain::{
    LookbackCommand as Lb, ReleaseCommand, Rule, TransfusionCommand as Tx, invariants,
};
use hemaflow_testkit::scenario::Centre;
use hemaflow_testkit::transfusion::OTHER_TECH;
use time::Duration;

/// A donor with four released donations 60 days apart (red cells and plasma each): the last
/// one's red cells transfused at Mercy to patient 2001, its plasma in Mercy's stock. Then,
/// 60 days later, a donation repeat reactive for anti-HIV-1/2.
struct Scene {
    centre: Centre,
    donor: String,
    history: Vec<(String, Vec<String>)>,
    reactive: String,
    transfused: String,
    plasma_at_mercy: String,
}

fn scene() -> Scene {
    let mut centre = Centre::new();
    centre.open_transfusion_service().unwrap();
    let (donor, history) = centre.donor_with_history("Ray", 4, "rbc_ffp").unwrap();
    let transfused = history[3].1[0].clone();
    let plasma_at_mercy = history[3].1[1].clone();
    centre
        .deliver("ORD-1", &[transfused.clone(), plasma_at_mercy.clone()])
        .unwrap();
    centre.transfuse(&transfused, "2001").unwrap();
    centre.advance(Duration::days(60));
    let reactive = centre.repeat_reactive(&donor, "anti_hiv_1_2").unwrap();
    Scene {
        centre,
        donor,
        history,
        reactive,
        transfused,
        plasma_at_mercy,
    }
}

fn rule(result: Result<Vec<hemaflow_domain::Event>, hemaflow_domain::Refusal>) -> Rule {
    result.expect_err("refused").rule
}

fn complete(centre: &mut Centre, lookback: &str, task: &str) -> Vec<hemaflow_domain::Event> {
    centre
        .qa(Lb::CompleteLookbackTask {
            lookback_id: lookback.into(),
            task_id: task.into(),
            contact: "Dr. Lee, Mercy transfusion service".into(),
            method: "telephone, then letter".into(),
        })
        .unwrap()
}

#[test]
fn lb_window_a_repeat_reactive_hiv_screen_opens_a_lookback_on_every_earlier_donation_and_holds_them()
 {
    let s = scene();
    let lookback = s.centre.last_lookback().expect("started by the result");
    assert_eq!(lookback.donor_id, s.donor);
    assert_eq!(lookback.agent, "HIV");
    assert_eq!(lookback.regulation, "21 CFR 610.46");
    assert_eq!(
        lookback.trigger,
        Trigger::Result {
            din: s.reactive.clone(),
            test: "anti_hiv_1_2".into()
        }
    );
    // All four earlier donations fall in the 12 months before the last nonreactive one.
    let mut expected: Vec<String> = s.history.iter().map(|(din, _)| din.clone()).collect();
    expected.reverse();
    assert_eq!(lookback.window.donations, expected);
    assert_eq!(
        lookback.window.last_nonreactive.as_deref(),
        Some(expected[0].as_str())
    );
    // Every earlier donation still has in-date plasma: each is held, and what was available
    // at our sites is quarantined in the same decision.
    assert_eq!(lookback.holds.len(), 4);
    for (din, units) in &s.history {
        let plasma = s.centre.component(&units[1]).unwrap();
        if units[1] != s.plasma_at_mercy {
            assert_eq!(plasma.status, Status::Quarantined, "{din}");
        }
        assert!(
            s.centre
                .state
                .holds
                .values()
                .any(|h| h.is_open() && h.covers(plasma)),
            "{din}"
        );
    }
    // The transfused unit traces to its recipient; the plasma at Mercy to Mercy's stock.
    let state = &s.centre.state;
    match whereabouts(state, s.centre.component(&s.transfused).unwrap()) {
        Whereabouts::Transfused {
            hospital, patient, ..
        } => {
            assert_eq!(hospital, "mercy");
            assert!(patient.ends_with("2001"), "{patient}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        whereabouts(state, s.centre.component(&s.plasma_at_mercy).unwrap()),
        Whereabouts::HospitalStock {
            hospital: "mercy".into()
        }
    );
    invariants::check(state).unwrap();
}

#[test]
fn lb_window_a_second_reactive_marker_of_the_same_agent_opens_no_second_lookback() {
    let mut s = scene();
    s.centre
        .result(&s.reactive, "hiv_nat", Stage::Initial, Reading::Reactive)
        .unwrap();
    assert_eq!(s.centre.state.lookback.lookbacks.len(), 1);
    // Another agent is its own lookback.
    s.centre
        .result(&s.reactive, "hcv_nat", Stage::Initial, Reading::Reactive)
        .unwrap();
    let agents: Vec<&str> = s
        .centre
        .state
        .lookback
        .lookbacks
        .values()
        .map(|l| l.agent.as_str())
        .collect();
    assert_eq!(agents, vec!["HIV", "HCV"]);
    invariants::check(&s.centre.state).unwrap();
}

#[test]
fn lb_window_a_nat_reactive_with_antibody_nonreactive_looks_back_12_months_from_the_nat_the_lesser_period()
 {
    let mut centre = Centre::new();
    let (donor, history) = centre.donor_with_history("Nat", 8, "rbc_ffp").unwrap();
    centre.advance(Duration::days(60));
    let din = centre.donate(&donor).unwrap();
    centre
        .result(&din, "anti_hiv_1_2", Stage::Initial, Reading::Nonreactive)
        .unwrap();
    centre
        .result(&din, "hiv_nat", Stage::Initial, Reading::Reactive)
        .unwrap();
    let lookback = centre.last_lookback().unwrap();
    // Donations 60 days apart; the reactive one 60 days after the last. From the last
    // nonreactive (day 420) the window would reach day 55 and take seven; from the NAT
    // (day 480) it starts at day 115 and takes six.
    assert_eq!(lookback.window.donations.len(), 6, "{:?}", lookback.window);
    assert!(!lookback.window.donations.contains(&history[1].0));
    assert!(lookback.window.donations.contains(&history[2].0));
    assert!(lookback.window.basis.contains("direct viral detection"));
    invariants::check(&centre.state).unwrap();
}

#[test]
fn lb_deadlines_each_consignee_is_told_within_3_calendar_days_and_of_the_supplemental_result_within_45()
 {
    let mut s = scene();
    let lookback = s.centre.last_lookback().unwrap().clone();
    let today = s.centre.now.date();
    assert_eq!(lookback.reactive_on, today);
    assert_eq!(lookback.tasks.len(), 2, "{:?}", lookback.tasks);
    let quarantine = &lookback.tasks[0];
    match &quarantine.notice {
        Notice::Quarantine { hospital, units } => {
            assert_eq!(hospital, "mercy");
            assert!(units.contains(&s.plasma_at_mercy) && units.contains(&s.transfused));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(quarantine.due, today + Duration::days(3));
    assert_eq!(lookback.tasks[1].due, today + Duration::days(45));
    // The plasma at Mercy is held: the service will not give it.
    assert_eq!(rule(s.centre.retype(&s.plasma_at_mercy)), Rule::TxUnit);
    // The supplemental result cannot be told before there is one.
    let too_soon = s.centre.qa(Lb::CompleteLookbackTask {
        lookback_id: lookback.id.clone(),
        task_id: lookback.tasks[1].id.clone(),
        contact: "Dr. Lee".into(),
        method: "telephone".into(),
    });
    assert_eq!(rule(too_soon), Rule::LbDeadlines);
    complete(&mut s.centre, &lookback.id, &quarantine.id);
    let twice = s.centre.qa(Lb::CompleteLookbackTask {
        lookback_id: lookback.id.clone(),
        task_id: quarantine.id.clone(),
        contact: "again".into(),
        method: "telephone".into(),
    });
    assert_eq!(rule(twice), Rule::LbDeadlines);
    let done = s.centre.last_lookback().unwrap().tasks[0]
        .done
        .clone()
        .unwrap();
    assert_eq!(done.by, s.centre.context(Role::QualityAssurance).actor);
    assert_eq!(done.method, "telephone, then letter");
    invariants::check(&s.centre.state).unwrap();
}

#[test]
fn lb_deadlines_a_positive_supplemental_makes_held_units_unsafe_and_opens_a_12_week_notice_per_recipient()
 {
    let mut s = scene();
    s.centre.advance(Duration::days(10));
    s.centre
        .result(
            &s.reactive,
            "anti_hiv_1_2",
            Stage::Supplemental,
            Reading::Reactive,
        )
        .unwrap();
    let lookback = s.centre.last_lookback().unwrap().clone();
    let supplemental = lookback.supplemental.as_ref().unwrap();
    assert_eq!(supplemental.outcome, SupplementalOutcome::Positive);
    let recipient = lookback
        .tasks
        .iter()
        .find(|t| matches!(t.notice, Notice::RecipientPhysician { .. }))
        .expect("a notice to the recipient's physician");
    match &recipient.notice {
        Notice::RecipientPhysician { component, .. } => assert_eq!(component, &s.transfused),
        _ => unreachable!(),
    }
    assert_eq!(recipient.due, s.centre.now.date() + Duration::weeks(12));
    // The plasma still in our hands can never be released.
    let ours = &s.history[0].1[1];
    assert_eq!(s.centre.component(ours).unwrap().status, Status::Unsafe);
    // Every notice given closes the lookback.
    for task in &lookback.tasks {
        complete(&mut s.centre, &lookback.id, &task.id);
    }
    assert!(!s.centre.last_lookback().unwrap().is_open());
    invariants::check(&s.centre.state).unwrap();
}

#[test]
fn lb_deadlines_a_negative_supplemental_releases_the_holds_and_notifies_no_recipient() {
    let mut s = scene();
    s.centre
        .result(
            &s.reactive,
            "anti_hiv_1_2",
            Stage::Supplemental,
            Reading::Nonreactive,
        )
        .unwrap();
    let lookback = s.centre.last_lookback().unwrap().clone();
    assert_eq!(
        lookback.supplemental.as_ref().unwrap().outcome,
        SupplementalOutcome::Negative
    );
    assert!(
        lookback
            .holds
            .iter()
            .all(|h| !s.centre.state.holds[h].is_open())
    );
    assert!(
        !lookback
            .tasks
            .iter()
            .any(|t| matches!(t.notice, Notice::RecipientPhysician { .. }))
    );
    // The units stay quarantined and pass the release gate again.
    let ours = s.history[2].1[1].clone();
    assert_eq!(
        s.centre.component(&ours).unwrap().status,
        Status::Quarantined
    );
    s.centre.release(&ours).unwrap();
    for task in &lookback.tasks {
        complete(&mut s.centre, &lookback.id, &task.id);
    }
    assert!(!s.centre.last_lookback().unwrap().is_open());
    invariants::check(&s.centre.state).unwrap();
}

#[test]
fn lb_deadlines_an_indeterminate_or_impossible_supplemental_notifies_recipients_as_a_positive_would()
 {
    for indeterminate in [true, false] {
        let mut s = scene();
        let id = s.centre.last_lookback().unwrap().id.clone();
        if indeterminate {
            s.centre
                .result(
                    &s.reactive,
                    "anti_hiv_1_2",
                    Stage::Supplemental,
                    Reading::Indeterminate,
                )
                .unwrap();
        } else {
            s.centre
                .qa(Lb::RecordNoSupplementalTest {
                    lookback_id: id.clone(),
                    reason: "no sample left for further testing".into(),
                })
                .unwrap();
            let again = s.centre.qa(Lb::RecordNoSupplementalTest {
                lookback_id: id.clone(),
                reason: "twice".into(),
            });
            assert_eq!(rule(again), Rule::LbDeadlines);
        }
        let lookback = s.centre.last_lookback().unwrap();
        assert!(
            lookback
                .tasks
                .iter()
                .any(|t| matches!(t.notice, Notice::RecipientPhysician { .. })),
            "indeterminate: {indeterminate}"
        );
        invariants::check(&s.centre.state).unwrap();
    }
}

#[test]
fn lb_window_started_by_hand_from_a_din_on_other_evidence_and_once_per_agent() {
    let mut centre = Centre::new();
    let (donor, history) = centre.donor_with_history("Hand", 2, "rbc_ffp").unwrap();
    let start = |din: &str| Lb::StartLookback {
        donor_id: None,
        din: Some(din.to_owned()),
        agent: "hcv".into(),
        evidence: "the donor's physician reports chronic hepatitis C".into(),
    };
    centre.qa(start(&history[0].0)).unwrap();
    let lookback = centre.last_lookback().unwrap();
    assert_eq!(lookback.donor_id, donor);
    assert_eq!(lookback.agent, "HCV");
    assert_eq!(lookback.window.donations.len(), 2);
    assert!(matches!(lookback.trigger, Trigger::Evidence { .. }));
    assert_eq!(rule(centre.qa(start(&history[1].0))), Rule::LbWindow);
    // Only QA starts one.
    assert_eq!(
        rule(centre.run(Role::LabTechnologist, start(&history[1].0))),
        Rule::P11Access
    );
    invariants::check(&centre.state).unwrap();
}

#[test]
fn lb_input_an_unknown_agent_or_an_empty_field_is_refused_and_changes_nothing() {
    let mut centre = Centre::new();
    let (donor, _) = centre.donor_with_history("Input", 1, "rbc_ffp").unwrap();
    let before = centre.state.clone();
    for (agent, evidence, needle) in [
        (
            "Ebola",
            "reported",
            "not an agent of the lookback table (HIV, HCV)",
        ),
        ("HIV", "   ", "the evidence is empty"),
    ] {
        let refusal = centre
            .qa(Lb::StartLookback {
                donor_id: Some(donor.clone()),
                din: None,
                agent: agent.into(),
                evidence: evidence.into(),
            })
            .unwrap_err();
        assert_eq!(refusal.rule, Rule::LbInput);
        assert!(refusal.message.contains(needle), "{}", refusal.message);
    }
    let long = centre.qa(Lb::StartLookback {
        donor_id: Some(donor.clone()),
        din: None,
        agent: "HIV".into(),
        evidence: "x".repeat(2_001),
    });
    assert_eq!(rule(long), Rule::LbInput);
    assert_eq!(centre.state, before);
}

// ------------------------------------------------------------------ recalls

/// QA releases a hold by hand.
fn release_hold(
    centre: &mut Centre,
    hold: &str,
) -> Result<Vec<hemaflow_domain::Event>, hemaflow_domain::Refusal> {
    centre.run(
        Role::QualityAssurance,
        ReleaseCommand::ReleaseHold {
            hold_id: hold.into(),
            reason: "investigation closed".into(),
        },
    )
}

fn recall_scene() -> (Centre, Vec<String>) {
    let mut centre = Centre::new();
    centre.open_transfusion_service().unwrap();
    let (_, history) = centre.donor_with_history("Recall", 1, "rbc_ffp").unwrap();
    let units = history[0].1.clone();
    centre.deliver("ORD-9", &units[..1]).unwrap();
    (centre, units)
}

#[test]
fn recall_class_a_class_i_recall_holds_every_unit_and_a_unit_is_never_corrected() {
    let (mut centre, units) = recall_scene();
    let din = centre.component(&units[0]).unwrap().din.clone();
    centre
        .qa(Lb::OpenRecall {
            kind: RecallKind::Recall {
                class: RecallClass::I,
            },
            reason: "ABO label error found on the donation".into(),
            selection: Selection::Donations { dins: vec![din] },
        })
        .unwrap();
    let recall = centre.state.lookback.recalls["RC-000001"].clone();
    assert_eq!(recall.units.len(), 2);
    assert_eq!(recall.consignees.len(), 1);
    assert_eq!(recall.consignees[0].hospital, "mercy");
    // Our plasma is quarantined: it cannot be released or shipped.
    assert_eq!(
        centre.component(&units[1]).unwrap().status,
        Status::Quarantined
    );
    assert_eq!(rule(centre.release(&units[1])), Rule::RelGate);
    // Mercy's service will not crossmatch or give the red cells.
    assert_eq!(rule(centre.retype(&units[0])), Rule::TxUnit);
    // RECALL-TRACK: the recall's hold is not released by hand while the recall is open.
    let released = release_hold(&mut centre, &recall.holds[0]);
    assert_eq!(rule(released), Rule::RecallTrack);
    let corrected = centre.qa(Lb::RecordRecallOutcome {
        recall_id: recall.id.clone(),
        component: units[0].clone(),
        outcome: RecallOutcome::Corrected,
        note: "relabelled".into(),
    });
    assert_eq!(rule(corrected), Rule::RecallClass);
    invariants::check(&centre.state).unwrap();
}

#[test]
fn recall_track_a_recall_closes_only_when_every_consignee_is_told_and_every_unit_has_its_end() {
    let (mut centre, units) = recall_scene();
    centre
        .qa(Lb::OpenRecall {
            kind: RecallKind::Recall {
                class: RecallClass::II,
            },
            reason: "storage temperature excursion".into(),
            selection: Selection::Units {
                components: units.clone(),
            },
        })
        .unwrap();
    let close = |centre: &mut Centre| {
        centre.qa(Lb::CloseRecall {
            recall_id: "RC-000001".into(),
            summary: "all units accounted for".into(),
        })
    };
    let refusal = close(&mut centre).unwrap_err();
    assert_eq!(refusal.rule, Rule::RecallTrack);
    assert!(
        refusal.message.contains("mercy not yet told"),
        "{}",
        refusal.message
    );
    assert!(refusal.message.contains(&units[1]), "{}", refusal.message);
    centre
        .qa(Lb::NotifyRecallConsignee {
            recall_id: "RC-000001".into(),
            hospital: "mercy".into(),
            contact: "Mercy blood bank supervisor".into(),
            method: "telephone and fax".into(),
        })
        .unwrap();
    // A unit that never left us has nothing to return.
    let no_return = centre.qa(Lb::RecordRecallReturn {
        recall_id: "RC-000001".into(),
        component: units[1].clone(),
        note: "".into(),
    });
    assert_eq!(rule(no_return), Rule::RecallTrack);
    centre
        .qa(Lb::RecordRecallReturn {
            recall_id: "RC-000001".into(),
            component: units[0].clone(),
            note: "returned by courier, box 17".into(),
        })
        .unwrap();
    for unit in &units {
        centre
            .qa(Lb::RecordRecallOutcome {
                recall_id: "RC-000001".into(),
                component: unit.clone(),
                outcome: RecallOutcome::Destroyed,
                note: "destroyed as biohazard".into(),
            })
            .unwrap();
    }
    // Our plasma is discarded in the same decision.
    assert_eq!(
        centre.component(&units[1]).unwrap().status,
        Status::Discarded
    );
    invariants::check(&centre.state).unwrap();
    close(&mut centre).unwrap();
    let recall = &centre.state.lookback.recalls["RC-000001"];
    assert!(!recall.is_open());
    assert!(
        recall
            .holds
            .iter()
            .all(|h| !centre.state.holds[h].is_open())
    );
    assert_eq!(rule(close(&mut centre)), Rule::RecallTrack);
}

#[test]
fn recall_class_a_market_withdrawal_corrects_a_unit_which_then_passes_the_release_gate_again() {
    let (mut centre, units) = recall_scene();
    centre
        .qa(Lb::OpenRecall {
            kind: RecallKind::MarketWithdrawal,
            reason: "label missing a required statement".into(),
            selection: Selection::Units {
                components: vec![units[1].clone()],
            },
        })
        .unwrap();
    centre
        .qa(Lb::RecordRecallOutcome {
            recall_id: "RC-000001".into(),
            component: units[1].clone(),
            outcome: RecallOutcome::Corrected,
            note: "relabelled".into(),
        })
        .unwrap();
    centre
        .qa(Lb::CloseRecall {
            recall_id: "RC-000001".into(),
            summary: "relabelled".into(),
        })
        .unwrap();
    centre.release(&units[1]).unwrap();
    invariants::check(&centre.state).unwrap();
}

// ------------------------------------------------------------------ deviations, fatalities

#[test]
fn bpd_45_only_a_distributed_product_is_reported_within_45_days_of_discovery() {
    let (mut centre, units) = recall_scene();
    let today = centre.now.date();
    let open = |centre: &mut Centre, unit: &str| {
        centre.qa(Lb::OpenDeviation {
            subject: Subject::Component { id: unit.into() },
            discovered_on: today,
            occurred_on: Some(today - Duration::days(2)),
            description: "unit released before its label was checked".into(),
            units: vec![],
        })
    };
    open(&mut centre, &units[1]).unwrap();
    open(&mut centre, &units[0]).unwrap();
    let ours = centre.state.lookback.deviations["DV-000001"].clone();
    let shipped = centre.state.lookback.deviations["DV-000002"].clone();
    assert!(!ours.distributed && ours.report_due.is_none());
    assert!(shipped.distributed);
    assert_eq!(shipped.report_due, Some(today + Duration::days(45)));
    let report = |centre: &mut Centre, id: &str| {
        centre.qa(Lb::ReportDeviation {
            deviation_id: id.into(),
            reference: "BPD eSubmitter 2026-001".into(),
        })
    };
    assert_eq!(rule(report(&mut centre, &ours.id)), Rule::Bpd45);
    let close = |centre: &mut Centre, id: &str| {
        centre.qa(Lb::CloseDeviation {
            deviation_id: id.into(),
            reason: "corrective action effective".into(),
        })
    };
    assert_eq!(rule(close(&mut centre, &shipped.id)), Rule::Bpd45);
    centre
        .qa(Lb::InvestigateDeviation {
            deviation_id: shipped.id.clone(),
            root_cause: "label check step skipped under workload".into(),
            corrective_action: "release blocked until the label scan".into(),
        })
        .unwrap();
    let refusal = close(&mut centre, &shipped.id).unwrap_err();
    assert!(
        refusal.message.contains("report it to FDA"),
        "{}",
        refusal.message
    );
    report(&mut centre, &shipped.id).unwrap();
    close(&mut centre, &shipped.id).unwrap();
    assert!(!centre.state.lookback.deviations[&shipped.id].is_open());
    // A discovery in the future is refused.
    let future = centre.qa(Lb::OpenDeviation {
        subject: Subject::Component {
            id: units[1].clone(),
        },
        discovered_on: today + Duration::days(1),
        occurred_on: None,
        description: "later".into(),
        units: vec![],
    });
    assert_eq!(rule(future), Rule::Bpd45);
}

#[test]
fn rel_pdi_post_donation_information_opens_a_deviation_reportable_when_units_were_shipped() {
    let (mut centre, units) = recall_scene();
    let donor = centre
        .state
        .donations
        .values()
        .next()
        .unwrap()
        .donor_id
        .clone();
    centre
        .run(
            Role::QualityAssurance,
            ReleaseCommand::RecordPostDonationInformation {
                donor_id: donor,
                information: "donor reports travel to a malaria-endemic area".into(),
            },
        )
        .unwrap();
    let deviation = centre.state.lookback.deviations.values().next().unwrap();
    assert!(matches!(deviation.subject, Subject::Task { .. }));
    assert!(deviation.distributed);
    assert!(deviation.units.contains(&units[0]));
    invariants::check(&centre.state).unwrap();
}

#[test]
fn fatal_7_a_fatal_reaction_opens_a_report_due_at_once_and_in_writing_within_7_days() {
    let mut s = scene();
    let died = s.centre.now;
    s.centre
        .nurse(Tx::ReportReaction {
            reaction_id: "R-9".into(),
            component: s.transfused.clone(),
            category: ReactionCategory::AcuteHemolytic,
            severity: Severity::Death,
            imputability: Imputability::Probable,
            description: "hypotension and haemoglobinuria; died despite resuscitation".into(),
        })
        .unwrap();
    let fatality = s.centre.state.lookback.fatalities["FR-000001"].clone();
    assert_eq!(fatality.reaction.as_deref(), Some("R-9"));
    assert_eq!(fatality.notice_due, died.date());
    assert_eq!(fatality.written_due, died.date() + Duration::days(7));
    let written = s.centre.qa(Lb::SendFatalityReport {
        fatality_id: fatality.id.clone(),
        reference: "letter to CBER".into(),
    });
    assert_eq!(rule(written), Rule::Fatal7);
    s.centre
        .qa(Lb::NotifyFatality {
            fatality_id: fatality.id.clone(),
            contact: "CBER Office of Compliance".into(),
            method: "e-mail fatalities2@fda.hhs.gov".into(),
        })
        .unwrap();
    s.centre
        .qa(Lb::SendFatalityReport {
            fatality_id: fatality.id.clone(),
            reference: "written report, investigation attached".into(),
        })
        .unwrap();
    assert!(!s.centre.state.lookback.fatalities[&fatality.id].is_open());
    // Another hospital's technologist cannot report Mercy's patient.
    let other = s.centre.run_as(
        OTHER_TECH,
        Role::TransfusionTechnologist,
        Lb::ReportFatality {
            hospital: "mercy".into(),
            patient: "2001".into(),
            component: s.transfused.clone(),
            died_at: died,
            description: "x".into(),
        }
        .into(),
    );
    assert_eq!(rule(other), Rule::P11Access);
    invariants::check(&s.centre.state).unwrap();
}

#[test]
fn rec_retain_the_retention_report_lists_what_passed_ten_years_after_processing_and_deletes_nothing()
 {
    use hemaflow_domain::lookback::retention::report;
    use time::macros::date;
    let mut centre = Centre::new();
    let (_, history) = centre.donor_with_history("Keep", 1, "rbc_ffp").unwrap();
    let din = &history[0].0;
    let processed = centre.now.date();
    // Another donor's donation, collected and never made into units.
    let procedure = hemaflow_domain::donor_centre::eligibility::Procedure::WholeBlood;
    centre
        .walk_in("Unmade", date!(1980 - 01 - 01), procedure)
        .unwrap();

    let today = report(&centre.state, processed);
    assert_eq!((today.donations, today.past_retention), (2, 0));
    assert_eq!(
        today.kept_without_end, 1,
        "a donation with no unit has no end"
    );
    // FFP keeps a year; 10 years after processing is later: the same day 10 years on.
    assert_eq!(today.next_due, Some(date!(2036 - 03 - 02)));

    let on_the_day = report(&centre.state, date!(2036 - 03 - 02));
    assert_eq!(on_the_day.past_retention, 0, "kept through its last day");
    let after = report(&centre.state, date!(2036 - 03 - 03));
    assert_eq!(after.past_retention, 1);
    assert_eq!(&after.listed[0].din, din);
    assert_eq!(after.listed[0].processing_completed, processed);
    assert!(
        centre.state.donations.contains_key(din),
        "nothing is deleted"
    );
}
