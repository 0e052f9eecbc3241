//! API tokens of machine clients (P11-ACCESS) and the record of sign-in attempts (P11-AUDIT).

#![allow(clippy::unwrap_used)]

use hemaflow_domain::Role;
use hemaflow_domain::access::credentials::{SignInOutcome, active_token_by_digest};
use hemaflow_domain::command::{Command, Event};
use hemaflow_domain::rows_touched;
use hemaflow_domain::{
    AccessCommand, AccessEvent, ClientCommand, DistributionCommand, ServerCommand,
};
use hemaflow_testkit::scenario::Centre;

const DIGEST: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

fn issue(role: Role, hospital: Option<&str>, digest: &str) -> Command {
    Command::Server(ServerCommand::IssueApiToken {
        token_id: "0123456789abcdef".into(),
        name: "Analyser 1".into(),
        role,
        hospital: hospital.map(str::to_owned),
        digest: digest.into(),
    })
}

#[test]
fn p11_access_an_admin_issues_a_token_with_one_role_kept_as_a_digest_only() {
    let mut centre = Centre::new();
    let refusal = centre
        .run(
            Role::QualityAssurance,
            issue(Role::LabTechnologist, None, DIGEST),
        )
        .unwrap_err();
    assert_eq!(refusal.rule, "P11-ACCESS");
    let events = centre
        .run(Role::Admin, issue(Role::LabTechnologist, None, DIGEST))
        .unwrap();
    let token = active_token_by_digest(&centre.state, DIGEST).unwrap();
    assert_eq!(token.role, Role::LabTechnologist);
    assert_eq!(token.actor(), "token:0123456789abcdef");
    let rows = rows_touched(&centre.state, &events[0]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].kind, "api_token");
    assert!(
        !rows[0].body.contains(DIGEST),
        "the row never shows the digest"
    );
}

fn register_mercy(centre: &mut Centre) {
    centre
        .run(
            Role::Admin,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::RegisterHospital {
                    hospital_id: "mercy".into(),
                    name: "Mercy Hospital".into(),
                    address: "2 Hospital Way".into(),
                    contacts: vec![],
                },
            )),
        )
        .unwrap();
}

#[test]
fn p11_access_a_token_refuses_a_secret_instead_of_a_digest_and_the_admin_role() {
    let mut centre = Centre::new();
    register_mercy(&mut centre);
    let before = centre.state.clone();
    for (command, rule) in [
        (
            issue(Role::LabTechnologist, None, "hfat_plain-secret"),
            "P11-ACCESS",
        ),
        (issue(Role::Admin, None, DIGEST), "P11-ACCESS"),
        (issue(Role::HospitalUser, None, DIGEST), "P11-ACCESS"),
        (
            issue(Role::Distribution, Some("mercy"), DIGEST),
            "P11-ACCESS",
        ),
    ] {
        assert_eq!(centre.run(Role::Admin, command).unwrap_err().rule, rule);
    }
    assert_eq!(centre.state, before, "a refused command changes nothing");
    centre
        .run(
            Role::Admin,
            issue(Role::HospitalUser, Some("mercy"), DIGEST),
        )
        .unwrap();
    let token = active_token_by_digest(&centre.state, DIGEST).unwrap();
    assert_eq!(token.hospital.as_deref(), Some("mercy"));
}

#[test]
fn p11_access_a_hospital_token_is_bound_only_to_a_hospital_on_record_by_its_id() {
    let mut centre = Centre::new();
    register_mercy(&mut centre);
    let before = centre.state.clone();
    for given in ["Mercy Hospital", "stlukes"] {
        let refusal = centre
            .run(Role::Admin, issue(Role::HospitalUser, Some(given), DIGEST))
            .unwrap_err();
        assert_eq!(refusal.rule, "P11-ACCESS");
        assert!(
            refusal.message.contains(&format!("{given:?}"))
                && refusal.message.contains("mercy")
                && refusal.message.contains("hospital-user token"),
            "{}",
            refusal.message
        );
    }
    assert_eq!(
        centre.state, before,
        "no token is issued for an unknown hospital"
    );
}

#[test]
fn p11_access_a_revoked_token_is_no_longer_found_and_cannot_be_revoked_twice() {
    let mut centre = Centre::new();
    centre
        .run(Role::Admin, issue(Role::LabTechnologist, None, DIGEST))
        .unwrap();
    let revoke = Command::Client(ClientCommand::Access(AccessCommand::RevokeApiToken {
        token_id: "0123456789abcdef".into(),
        reason: "analyser replaced".into(),
    }));
    centre.run(Role::Admin, revoke.clone()).unwrap();
    assert!(active_token_by_digest(&centre.state, DIGEST).is_none());
    assert_eq!(
        centre.run(Role::Admin, revoke).unwrap_err().rule,
        "ACCOUNT-DISABLED"
    );
    assert_eq!(
        centre
            .run(Role::Admin, issue(Role::LabTechnologist, None, DIGEST))
            .unwrap_err()
            .rule,
        "ACCOUNT-EXISTS",
        "a token ID is never reused"
    );
}

#[test]
fn p11_audit_a_sign_in_attempt_is_recorded_with_its_outcome_and_never_a_password() {
    let mut centre = Centre::new();
    let events = centre
        .run(
            Role::Admin,
            Command::Server(ServerCommand::RecordSignIn {
                user_id: "x".repeat(100),
                channel: "sign-in".into(),
                outcome: SignInOutcome::Locked,
            }),
        )
        .unwrap();
    let Event::Access(AccessEvent::SignInRecorded { attempt }) = &events[0] else {
        panic!("a sign-in record, got {events:?}");
    };
    assert_eq!(attempt.user_id.len(), 64, "a long user ID is cut");
    assert_eq!(attempt.outcome, SignInOutcome::Locked);
    assert_eq!(centre.state.recent_sign_ins.len(), 1);
    let json = serde_json::to_value(&events[0]).unwrap();
    assert_eq!(
        json.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["type", "attempt"]
    );
}

#[test]
fn p11_access_failed_sign_ins_are_counted_in_a_row_until_a_success() {
    let mut centre = Centre::new();
    let attempt = |outcome| {
        Command::Server(ServerCommand::RecordSignIn {
            user_id: "labtech".into(),
            channel: "sign-in".into(),
            outcome,
        })
    };
    for _ in 0..3 {
        centre
            .run(Role::Admin, attempt(SignInOutcome::Failed))
            .unwrap();
    }
    centre
        .run(Role::Admin, attempt(SignInOutcome::Locked))
        .unwrap();
    assert_eq!(centre.state.failed_sign_ins["labtech"].consecutive, 4);
    centre
        .run(Role::Admin, attempt(SignInOutcome::Succeeded))
        .unwrap();
    assert!(centre.state.failed_sign_ins.is_empty());
}
