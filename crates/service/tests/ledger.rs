//! The real domain on the real ledger (SQLite in a temporary folder, and PostgreSQL when
//! `HEMAFLOW_TEST_POSTGRES_URL` names a server): what a command leaves behind, and that the
//! record verifies.

#![allow(clippy::unwrap_used)]

use hemaflow_domain::donor_centre::donor::Sex;
use hemaflow_domain::{ClientCommand, DonorCentreCommand};
use hemaflow_domain::{Command, Context, Role};
use hemaflow_service::ledger::{Outcome, verify};
use hemaflow_service::store::AnyStore;
use hemaflow_service::{Blood, BloodLedger, open};
use hemaflow_testkit::scenario::identity;
use time::macros::{date, datetime};

fn context(role: Role) -> Context {
    Context {
        actor: "t.tester".into(),
        role,
        now: datetime!(2026-03-02 08:00 UTC),
        stamp: hemaflow_service::domain::Stamp::Planned,
    }
}

fn register(family: &str) -> Command {
    Command::Client(ClientCommand::DonorCentre(
        DonorCentreCommand::RegisterDonor {
            identity: identity(family, "Ada", date!(1980 - 05 - 17), Sex::Female),
        },
    ))
}

async fn story(ledger: BloodLedger) {
    let accepted = ledger
        .execute("c1", &register("Lovelace"), &context(Role::CollectionStaff))
        .await
        .unwrap();
    assert!(
        matches!(accepted.outcome, Outcome::Accepted { .. }),
        "{accepted:?}"
    );

    // P11-ACCESS: a lab technologist may not register donors; only the refusal is recorded.
    let refused = ledger
        .execute("c2", &register("Byron"), &context(Role::LabTechnologist))
        .await
        .unwrap();
    let Outcome::Refused { rule, .. } = &refused.outcome else {
        panic!("a wrong role must be refused: {refused:?}");
    };
    assert_eq!(rule, "P11-ACCESS");
    assert_eq!(
        refused.first_sequence, refused.last_sequence,
        "one refusal entry"
    );

    // A retry of c1 gets the first answer and appends nothing.
    let again = ledger
        .execute("c1", &register("Lovelace"), &context(Role::CollectionStaff))
        .await
        .unwrap();
    assert!(again.repeated);
    assert_eq!(again.last_sequence, accepted.last_sequence);

    let state = ledger.state().await.unwrap();
    assert_eq!(state.donors.len(), 1);
    let report = verify::<Blood, _>(ledger.store()).await.unwrap();
    assert!(report.is_ok(), "{report}");
}

#[tokio::test]
async fn the_domain_records_and_verifies_on_sqlite() {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("hemaflow.db").display());
    story(open(&url).await.unwrap()).await;
}

#[tokio::test]
async fn the_domain_records_and_verifies_on_postgres() {
    let Ok(url) = std::env::var("HEMAFLOW_TEST_POSTGRES_URL") else {
        eprintln!("HEMAFLOW_TEST_POSTGRES_URL is not set: the PostgreSQL story was NOT run");
        return;
    };
    let schema = format!("hemaflow_test_service_{}", std::process::id());
    let store = hemaflow_service::store::PgStore::connect_in_schema(&url, &schema)
        .await
        .unwrap();
    let cleanup = store.clone();
    let ledger = hemaflow_service::ledger::Ledger::open(AnyStore::Postgres(store))
        .await
        .unwrap();
    story(ledger).await;
    cleanup.drop_schema(&schema).await.unwrap();
}
