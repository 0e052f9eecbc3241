//! LABEL-VERIFY on the real ledger: a mismatched label scan is refused and the refusal is in
//! the record; release waits for an exact match.

#![allow(clippy::unwrap_used)]

use hemaflow_domain::donor_centre::eligibility::Procedure;
use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_domain::manufacturing::label::final_label;
use hemaflow_domain::{ClientCommand, ManufacturingCommand, ReleaseCommand};
use hemaflow_domain::{Command, Role};
use hemaflow_service::ledger::{Outcome, Store, verify};
use hemaflow_service::{Blood, open};
use hemaflow_testkit::scenario::Centre;
use time::macros::date;

#[tokio::test]
async fn label_verify_a_mismatch_is_refused_and_recorded_and_release_waits_for_a_match() {
    let mut centre = Centre::new();
    let (_, din) = centre
        .walk_in("Lane", date!(1990 - 01 - 01), Procedure::WholeBlood)
        .unwrap();
    let id = centre.produce(&din, "rbc_ffp").unwrap()[0].clone();
    centre.all_negative(&din).unwrap();
    centre.type_and_screen(&din, Abo::O, RhD::Negative).unwrap();

    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("hemaflow.db").display());
    let ledger = open(&url).await.unwrap();
    for (n, (command, context)) in centre.journal.iter().enumerate() {
        let receipt = ledger
            .execute(&format!("seed-{n}"), command, context)
            .await
            .unwrap();
        assert!(matches!(receipt.outcome, Outcome::Accepted { .. }));
    }

    let label = final_label(&centre.state, &id, centre.now).unwrap();
    let mut scans: Vec<String> = label.scans().map(str::to_owned).to_vec();
    scans[1] = "=%5100".into(); // O RhD positive printed on an O negative unit
    let context = centre.context(Role::Manufacturing);
    let scan = |scans: Vec<String>| {
        Command::Client(ClientCommand::Manufacturing(
            ManufacturingCommand::VerifyLabel {
                component: id.clone(),
                scans,
            },
        ))
    };
    let refused = ledger
        .execute("scan-1", &scan(scans), &context)
        .await
        .unwrap();
    let Outcome::Refused { rule, message } = &refused.outcome else {
        panic!("a mismatched label must be refused: {refused:?}");
    };
    assert_eq!(rule, "LABEL-VERIFY");
    assert!(message.contains("=%9500"), "{message}");
    let entry = ledger
        .store()
        .entries_after(refused.first_sequence - 1, 1)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(entry.kind.as_str(), "refusal");
    assert_eq!(entry.event_type, "LABEL-VERIFY");

    let release = Command::Client(ClientCommand::Release(ReleaseCommand::ReleaseComponent {
        component: id.clone(),
    }));
    let qa = centre.context(Role::QualityAssurance);
    let blocked = ledger.execute("release-1", &release, &qa).await.unwrap();
    assert!(matches!(blocked.outcome, Outcome::Refused { ref rule, .. } if rule == "REL-GATE"));

    let good: Vec<String> = label.scans().map(str::to_owned).to_vec();
    let verified = ledger
        .execute("scan-2", &scan(good), &context)
        .await
        .unwrap();
    assert!(matches!(verified.outcome, Outcome::Accepted { .. }));
    let released = ledger.execute("release-2", &release, &qa).await.unwrap();
    assert!(matches!(released.outcome, Outcome::Accepted { .. }));

    let report = verify::<Blood, _>(ledger.store()).await.unwrap();
    assert!(report.is_ok(), "{report}");
}
