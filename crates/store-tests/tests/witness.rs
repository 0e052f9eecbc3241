//! The engine's witness hook on both backends: every commit (one by one, in a group, in a
//! pipeline) reports its chain head; the heads reported are the ones `verify_witnessed`
//! accepts, and a head past the ledger's end or of another hash is named.

// In tests a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use hemaflow_ledger::{
    Checkpoint, Digest32, Ledger, Problem, Store, Witness, Witnessed, WitnessedHead,
    verify_witnessed,
};
use hemaflow_store_tests::accounts::{Accounts, random_commands};
use hemaflow_store_tests::{Backend, TestDb};

#[derive(Default)]
struct Recorded(Mutex<Vec<Checkpoint>>);

impl Witness for Recorded {
    fn committed(&self, checkpoint: Checkpoint) {
        self.0.lock().unwrap().push(checkpoint);
    }
}

fn witnessed(checkpoints: &[Checkpoint]) -> Witnessed {
    Witnessed {
        heads: checkpoints
            .iter()
            .enumerate()
            .map(|(i, c)| WitnessedHead {
                ledger: c.ledger,
                sequence: c.sequence,
                head: c.head,
                source: format!("test line {}", i + 1),
            })
            .collect(),
    }
}

async fn every_commit_is_reported_and_verifies(backend: Backend) {
    let Some(db) = TestDb::fresh(backend).await else {
        return;
    };
    let recorded = Arc::new(Recorded::default());
    let ledger = Ledger::<Accounts, _>::open(db.open().await)
        .await
        .unwrap()
        .with_witness(recorded.clone());
    let commands = random_commands(3, 60);
    for (id, command, context) in &commands[..20] {
        ledger.execute(id, command, context).await.unwrap();
    }
    let group: Vec<_> = commands[20..40]
        .iter()
        .map(|(i, c, x)| (i.as_str(), c, x))
        .collect();
    ledger.execute_batch(&group).await.unwrap();
    let mut pipeline = ledger.pipeline().await.unwrap();
    for batch in commands[40..].chunks(5) {
        pipeline.submit(batch.to_vec()).await.unwrap();
    }
    pipeline.finish().await.unwrap();

    let store = ledger.store();
    let head = store.head().await.unwrap();
    let first = store.entries_after(0, 1).await.unwrap().remove(0);
    let checkpoints = recorded.0.lock().unwrap().clone();
    let last = checkpoints.last().unwrap();
    assert_eq!((last.sequence, last.head), (head.sequence, head.hash));
    assert!(checkpoints.iter().all(|c| c.ledger == first.hash));
    assert!(
        checkpoints
            .windows(2)
            .all(|w| w[0].sequence <= w[1].sequence)
    );

    let report = verify_witnessed::<Accounts, _>(store, &witnessed(&checkpoints))
        .await
        .unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.witness.unwrap().unwitnessed, 0);

    // A signed head past the end: entries were cut off.
    let mut beyond = checkpoints.clone();
    beyond.push(Checkpoint {
        sequence: head.sequence + 2,
        ..*last
    });
    let report = verify_witnessed::<Accounts, _>(store, &witnessed(&beyond))
        .await
        .unwrap();
    assert!(
        matches!(report.problem, Some(Problem::ShorterThanWitnessed { witnessed, .. }) if witnessed == head.sequence + 2),
        "{report}"
    );
    // A signed head of another hash in the middle: a rewrite.
    let mut other = checkpoints.clone();
    let middle = other.len() / 2;
    other[middle].head = Digest32([9; 32]);
    let report = verify_witnessed::<Accounts, _>(store, &witnessed(&other))
        .await
        .unwrap();
    assert!(
        matches!(&report.problem, Some(Problem::WitnessDisagrees { sequence, .. }) if *sequence == other[middle].sequence),
        "{report}"
    );
    // Only the first half witnessed: the rest is counted, not failed.
    let report = verify_witnessed::<Accounts, _>(store, &witnessed(&checkpoints[..middle]))
        .await
        .unwrap();
    assert!(report.is_ok(), "{report}");
    let check = report.witness.unwrap();
    assert_eq!(check.unwitnessed, head.sequence - check.last_witnessed);
    assert!(check.unwitnessed > 0);
    drop(ledger);
    db.cleanup().await;
}

#[tokio::test]
async fn every_commit_is_reported_and_verifies_sqlite() {
    every_commit_is_reported_and_verifies(Backend::Sqlite).await;
}

#[tokio::test]
async fn every_commit_is_reported_and_verifies_postgres() {
    every_commit_is_reported_and_verifies(Backend::Postgres).await;
}
