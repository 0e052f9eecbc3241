//! One story per ledger behaviour, each run on SQLite and on PostgreSQL
//! (the latter when HEMAFLOW_TEST_POSTGRES_URL is set; otherwise it says it did not run).

// In tests a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use hemaflow_ledger::{
    ChainError, ChainHead, EntryKind, Expected, Ledger, LedgerError, Outcome, Problem,
    SessionLimits, SessionStore, Store, StoredSession, TransferError, export, import,
    rebuild_projections, verify, verify_chain, verify_replaying,
};
use hemaflow_store::AnyStore;
use hemaflow_store_tests::accounts::{Accounts, Command, Context, Event, random_commands};
use hemaflow_store_tests::{Backend, TestDb};

type AccountsLedger = Ledger<Accounts, AnyStore>;

/// Declares a story as two tests, `<story>::sqlite` and `<story>::postgres`.
macro_rules! on_every_backend {
    ($($story:ident),* $(,)?) => {$(
        mod $story {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = TestDb::fresh(Backend::Sqlite).await.expect("SQLite always runs");
                super::$story(&db).await;
                db.cleanup().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(db) = TestDb::fresh(Backend::Postgres).await else { return };
                super::$story(&db).await;
                db.cleanup().await;
            }
        }
    )*};
}

on_every_backend!(
    append_and_read_back,
    chain_verifies,
    altered_payload_is_named,
    reformatted_payload_is_named,
    altered_hash_is_named,
    deleted_entry_is_named,
    reordered_entries_are_named,
    deleted_last_entry_is_caught_by_its_command_record,
    command_records_are_checked_page_by_page_and_a_missing_or_altered_one_is_named,
    altered_projection_row_is_named,
    repeated_command_id_gets_the_first_answer,
    command_id_reused_for_another_command_is_refused,
    refused_command_appends_only_its_refusal,
    concurrent_writers_never_fork_and_lose_nothing,
    a_writer_catches_up_before_deciding,
    a_read_sees_what_another_writer_committed_before_it,
    export_then_import_reproduces_the_ledger,
    import_into_a_non_empty_database_is_refused,
    import_of_a_broken_export_writes_nothing,
    projections_rebuilt_from_the_ledger_equal_the_stored_ones,
    a_change_made_against_an_old_version_is_refused_and_writes_nothing,
    two_writers_racing_on_one_version_one_wins_one_is_told_who,
    a_session_outlives_a_restart_and_is_shared_by_processes,
    a_session_seen_moments_ago_is_not_written_again_and_never_outlives_its_idle_limit,
    a_session_ends_when_idle_or_too_old_and_its_row_is_removed,
    closing_sessions_removes_them,
);

fn open_cmd(account: &str) -> Command {
    Command::Open {
        account: account.into(),
        owner: format!("owner of {account}"),
    }
}

fn deposit(account: &str, amount: i64) -> Command {
    Command::Deposit {
        account: account.into(),
        amount,
    }
}

async fn ledger(db: &TestDb) -> AccountsLedger {
    Ledger::open(db.open().await)
        .await
        .expect("open the ledger")
}

/// A small ledger: 2 accounts, deposits, a transfer (2 events), a refusal. 8 entries.
async fn standard_ledger(db: &TestDb) -> AccountsLedger {
    let l = ledger(db).await;
    let ctx = Context::new("ann");
    let commands = [
        ("c1", open_cmd("a")),
        ("c2", open_cmd("b")),
        ("c3", deposit("a", 100)),
        ("c4", deposit("b", 5)),
        (
            "c5",
            Command::Transfer {
                from: "a".into(),
                to: "b".into(),
                amount: 30,
            },
        ),
        (
            "c6",
            Command::Withdraw {
                account: "b".into(),
                amount: 500,
            },
        ),
        ("c7", deposit("a", 1)),
    ];
    for (id, command) in commands {
        l.execute(id, &command, &ctx).await.expect("recorded");
    }
    assert_eq!(l.store().head().await.unwrap().sequence, 8);
    l
}

async fn assert_verifies(store: &AnyStore) {
    let report = verify::<Accounts, _>(store).await.expect("verify runs");
    assert!(report.is_ok(), "{report}");
}

async fn problem_after_tampering(db: &TestDb, sql: &str) -> Problem {
    let l = standard_ledger(db).await;
    assert_verifies(l.store()).await;
    assert_eq!(TestDb::execute(l.store(), sql).await, 1, "{sql}");
    let report = verify::<Accounts, _>(l.store()).await.expect("verify runs");
    let problem = report.problem.clone().expect("tampering is detected");
    // The report is what `audit verify` prints: it must name the place.
    assert!(report.to_string().contains("does NOT verify"), "{report}");
    problem
}

async fn append_and_read_back(db: &TestDb) {
    let l = ledger(db).await;
    let ctx = Context::new("ann");
    let opened = l.execute("c1", &open_cmd("a"), &ctx).await.unwrap();
    assert_eq!((opened.first_sequence, opened.last_sequence), (1, 1));
    assert!(!opened.repeated);
    let deposited = l.execute("c2", &deposit("a", 70), &ctx).await.unwrap();
    assert_eq!(
        deposited.outcome,
        Outcome::Accepted {
            events: vec![Event::Deposited {
                account: "a".into(),
                amount: 70
            }]
        }
    );

    // Read back through a store opened afresh, as another process would.
    let store = db.open().await;
    let entries = store.entries_after(0, 100).await.unwrap();
    assert_eq!(entries.len(), 2);
    let e = &entries[1];
    assert_eq!(
        (
            e.sequence,
            e.kind,
            e.event_type.as_str(),
            e.command_id.as_str()
        ),
        (2, EntryKind::Event, "Deposited", "c2")
    );
    assert_eq!((e.actor.as_str(), e.role.as_str()), ("ann", "teller"));
    assert_eq!(e.recorded_at, ctx.now);
    assert_eq!(
        e.payload,
        r#"{"account":"a","amount":70,"type":"Deposited"}"#
    );
    assert_eq!(e.prev_hash, entries[0].hash);
    assert_eq!(store.entries_after(1, 100).await.unwrap(), entries[1..]);

    let row = store.row("account", "a").await.unwrap().expect("row a");
    assert_eq!(row.row.status.as_deref(), Some("funded"));
    assert_eq!(row.row.body.value()["balance"], 70);
    assert_eq!(row.updated_seq, 2);
    let funded = store.rows("account", Some("funded"), "", 10).await.unwrap();
    assert_eq!(funded.len(), 1);
    assert!(
        store
            .rows("account", Some("empty"), "", 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.row("account", "zz").await.unwrap().is_none());
}

async fn chain_verifies(db: &TestDb) {
    let l = standard_ledger(db).await;
    let entries = l.store().entries_after(0, 100).await.unwrap();
    let head = verify_chain(ChainHead::EMPTY, &entries).unwrap();
    assert_eq!(head, l.store().head().await.unwrap());
    let report = verify::<Accounts, _>(l.store()).await.unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!((report.entries, report.commands, report.rows), (8, 7, 2));
    // The state verify replays is the ledger's; a forgotten state is replayed on the next read.
    let (report, replayed) = verify_replaying::<Accounts, _>(l.store()).await.unwrap();
    assert!(report.is_ok(), "{report}");
    let held = l.state().await.unwrap();
    assert_eq!(replayed, held);
    l.forget_state().await;
    assert_eq!(l.state().await.unwrap(), held);
    assert_eq!(held.accounts["a"].balance, 71);
}

async fn altered_payload_is_named(db: &TestDb) {
    let problem = problem_after_tampering(
        db,
        r#"UPDATE entries SET payload = '{"account":"a","amount":1000,"type":"Deposited"}' WHERE sequence = 3"#,
    )
    .await;
    assert!(
        matches!(
            problem,
            Problem::Chain(ChainError::HashMismatch { sequence: 3, .. })
        ),
        "{problem}"
    );
    assert!(
        problem.to_string().starts_with("entry 3 was altered"),
        "{problem}"
    );
}

/// The same value in other bytes (a space after each comma) is tampering too: the hash covers
/// the stored text, which must be the canonical one.
async fn reformatted_payload_is_named(db: &TestDb) {
    let problem = problem_after_tampering(
        db,
        "UPDATE entries SET payload = replace(payload, ',', ', ') WHERE sequence = 3",
    )
    .await;
    assert!(
        matches!(
            &problem,
            Problem::Chain(ChainError::Unreadable { sequence: 3, reason }) if reason.contains("not in canonical form")
        ),
        "{problem}"
    );
}

async fn altered_hash_is_named(db: &TestDb) {
    let problem = problem_after_tampering(
        db,
        "UPDATE entries SET hash = '0000000000000000000000000000000000000000000000000000000000000001' WHERE sequence = 4",
    )
    .await;
    assert!(
        matches!(
            problem,
            Problem::Chain(ChainError::HashMismatch { sequence: 4, .. })
        ),
        "{problem}"
    );
}

async fn deleted_entry_is_named(db: &TestDb) {
    let problem = problem_after_tampering(db, "DELETE FROM entries WHERE sequence = 5").await;
    assert!(
        matches!(
            problem,
            Problem::Chain(ChainError::Gap {
                expected: 5,
                found: 6,
                ..
            })
        ),
        "{problem}"
    );
    assert!(
        problem.to_string().contains("entry 5 is missing"),
        "{problem}"
    );
}

async fn reordered_entries_are_named(db: &TestDb) {
    // Swap entries 3 and 4 by swapping their sequence numbers (through a free number).
    let l = standard_ledger(db).await;
    for sql in [
        "UPDATE entries SET sequence = 1000 WHERE sequence = 3",
        "UPDATE entries SET sequence = 3 WHERE sequence = 4",
        "UPDATE entries SET sequence = 4 WHERE sequence = 1000",
    ] {
        assert_eq!(TestDb::execute(l.store(), sql).await, 1);
    }
    let problem = verify::<Accounts, _>(l.store()).await.unwrap().problem;
    assert!(
        matches!(
            problem,
            Some(Problem::Chain(ChainError::BrokenLink { sequence: 3, .. }))
        ),
        "{problem:?}"
    );
}

async fn deleted_last_entry_is_caught_by_its_command_record(db: &TestDb) {
    let problem = problem_after_tampering(db, "DELETE FROM entries WHERE sequence = 8").await;
    assert!(
        matches!(&problem, Problem::CommandRecord { command_id, .. } if command_id == "c7"),
        "{problem}"
    );
}

/// More than a page (1 000) of entries and of command records, with two-event commands
/// across the page boundaries: verify compares the records as the replay goes.
async fn command_records_are_checked_page_by_page_and_a_missing_or_altered_one_is_named(
    db: &TestDb,
) {
    let l = standard_ledger(db).await;
    let ctx = Context::new("ann");
    // Back and forth between the accounts, each transfer two events.
    let there = Command::Transfer {
        from: "a".into(),
        to: "b".into(),
        amount: 1,
    };
    let back = Command::Transfer {
        from: "b".into(),
        to: "a".into(),
        amount: 1,
    };
    let ids: Vec<String> = (0..1_200).map(|n| format!("t{n:04}")).collect();
    let batch: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(n, id)| (id.as_str(), if n % 2 == 0 { &there } else { &back }, &ctx))
        .collect();
    for receipt in l.execute_batch(&batch).await.unwrap() {
        receipt.unwrap();
    }
    let report = verify::<Accounts, _>(l.store()).await.unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!(
        (report.entries, report.commands),
        (8 + 2 * 1_200, 7 + 1_200)
    );

    // A record altered in the second page of records is named.
    TestDb::execute(
        l.store(),
        "UPDATE commands SET refused = NOT refused WHERE command_id = 't1100'",
    )
    .await;
    let problem = verify::<Accounts, _>(l.store()).await.unwrap().problem;
    assert!(
        matches!(&problem, Some(Problem::CommandRecord { command_id, reason })
            if command_id == "t1100" && reason.contains("refused: true")),
        "{problem:?}"
    );
    // A record gone from the middle: the entries of its command meet the next record.
    TestDb::execute(l.store(), "DELETE FROM commands WHERE command_id = 't0500'").await;
    let problem = verify::<Accounts, _>(l.store()).await.unwrap().problem;
    assert!(
        matches!(&problem, Some(Problem::CommandRecord { command_id, reason })
            if command_id == "t0501" && reason.contains("the ledger has command t0500")),
        "{problem:?}"
    );
}

async fn altered_projection_row_is_named(db: &TestDb) {
    let problem = problem_after_tampering(
        db,
        "UPDATE projection_rows SET status = 'empty' WHERE kind = 'account' AND id = 'b'",
    )
    .await;
    assert!(
        matches!(&problem, Problem::RowDiffers { kind, id, .. } if kind == "account" && id == "b"),
        "{problem}"
    );
    assert!(problem.to_string().contains("account b"), "{problem}");
}

async fn repeated_command_id_gets_the_first_answer(db: &TestDb) {
    let l = standard_ledger(db).await;
    let ctx = Context::new("ann");
    let first = l.execute("c8", &deposit("b", 7), &ctx).await.unwrap();
    let head = l.store().head().await.unwrap();

    let again = l.execute("c8", &deposit("b", 7), &ctx).await.unwrap();
    assert!(again.repeated);
    assert_eq!(
        (again.first_sequence, again.last_sequence, &again.outcome),
        (first.first_sequence, first.last_sequence, &first.outcome)
    );
    // A client retrying through another server process gets the same answer.
    let other = ledger(db).await;
    let via_other = other.execute("c8", &deposit("b", 7), &ctx).await.unwrap();
    assert_eq!(via_other.outcome, first.outcome);
    // A refused command, retried, is refused the same way without a second refusal entry.
    let withdraw = Command::Withdraw {
        account: "b".into(),
        amount: 500,
    };
    let refused = l.execute("c6", &withdraw, &ctx).await.unwrap();
    assert!(refused.repeated);
    assert!(matches!(refused.outcome, Outcome::Refused { ref rule, .. } if rule == "ACC-FUNDS"));

    assert_eq!(
        l.store().head().await.unwrap(),
        head,
        "nothing appended twice"
    );
    let balance = l.state().await.unwrap().accounts["b"].balance;
    assert_eq!(balance, 5 + 30 + 7);
}

async fn command_id_reused_for_another_command_is_refused(db: &TestDb) {
    let l = standard_ledger(db).await;
    let err = l
        .execute("c3", &deposit("a", 999), &Context::new("ann"))
        .await
        .unwrap_err();
    assert!(matches!(err, LedgerError::CommandIdReused { .. }), "{err}");
    assert_eq!(l.store().head().await.unwrap().sequence, 8);
}

async fn refused_command_appends_only_its_refusal(db: &TestDb) {
    let l = standard_ledger(db).await;
    let before_rows = l.store().all_rows_after(("", ""), 100).await.unwrap();
    let receipt = l
        .execute(
            "c9",
            &Command::Transfer {
                from: "b".into(),
                to: "a".into(),
                amount: 10_000,
            },
            &Context::new("bob"),
        )
        .await
        .unwrap();
    let Outcome::Refused { rule, message } = &receipt.outcome else {
        panic!("expected a refusal, got {receipt:?}");
    };
    assert_eq!(rule, "ACC-FUNDS");
    assert!(message.contains("holds 35, not 10000"), "{message}");
    assert_eq!((receipt.first_sequence, receipt.last_sequence), (9, 9));

    let entries = l.store().entries_after(8, 10).await.unwrap();
    assert_eq!(entries.len(), 1, "only the refusal is appended");
    let refusal = &entries[0];
    assert_eq!(
        (
            refusal.kind,
            refusal.event_type.as_str(),
            refusal.actor.as_str()
        ),
        (EntryKind::Refusal, "ACC-FUNDS", "bob")
    );
    let payload: serde_json::Value = serde_json::from_str(&refusal.payload).unwrap();
    assert_eq!(payload["command"]["type"], "Transfer");
    assert_eq!(payload["rule"], "ACC-FUNDS");
    assert_eq!(
        l.store().all_rows_after(("", ""), 100).await.unwrap(),
        before_rows,
        "no projection row changed"
    );
    assert_verifies(l.store()).await;
}

async fn concurrent_writers_never_fork_and_lose_nothing(db: &TestDb) {
    const WRITERS: usize = 4;
    const PER_WRITER: usize = 200;
    let first = ledger(db).await;
    first
        .execute("open", &open_cmd("shared"), &Context::new("ann"))
        .await
        .unwrap();
    let retries = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let retries = Arc::clone(&retries);
        // Half the writers commit one command per transaction, half in groups of 10.
        let group = if w % 2 == 0 { 1 } else { 10 };
        // Each writer is its own ledger on its own connection pool: another server process.
        let writer: Arc<AccountsLedger> = Arc::new(ledger(db).await);
        tasks.push(tokio::spawn(async move {
            let ctx = Context::new(&format!("writer{w}"));
            let one = deposit("shared", 1);
            let ids: Vec<String> = (0..PER_WRITER).map(|i| format!("w{w}-{i}")).collect();
            for chunk in ids.chunks(group) {
                let batch: Vec<_> = chunk.iter().map(|id| (id.as_str(), &one, &ctx)).collect();
                let answers = writer.execute_batch(&batch).await;
                let answers = answers.unwrap_or_else(|e| panic!("{chunk:?}: {e}"));
                for answer in answers {
                    let receipt = answer.unwrap();
                    assert!(matches!(receipt.outcome, Outcome::Accepted { .. }));
                    assert!(!receipt.repeated);
                    retries.fetch_add(receipt.attempts - 1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("writer finished");
    }
    let total = (WRITERS * PER_WRITER) as i64;
    let retries = retries.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!(
        "{:?}: {total} commands, {retries} decided again after a conflict",
        db.backend
    );
    // The writers did collide: the story is about conflicts, not about taking turns.
    assert!(
        retries > 0,
        "no writer ever had to retry: the test exercised no contention"
    );
    let store = db.open().await;
    assert_eq!(store.head().await.unwrap().sequence, total + 1);
    let report = verify::<Accounts, _>(&store).await.unwrap();
    assert!(report.is_ok(), "{report}");
    let row = store.row("account", "shared").await.unwrap().unwrap();
    assert_eq!(row.row.body.value()["balance"], total, "no update lost");
    assert_eq!(
        first.state().await.unwrap().accounts["shared"].balance,
        total
    );
}

async fn a_writer_catches_up_before_deciding(db: &TestDb) {
    let a = ledger(db).await;
    let b = ledger(db).await;
    let ctx = Context::new("ann");
    a.execute("c1", &open_cmd("x"), &ctx).await.unwrap();
    // b opened before x existed; it must see x before deciding.
    let receipt = b.execute("c2", &deposit("x", 3), &ctx).await.unwrap();
    assert!(matches!(receipt.outcome, Outcome::Accepted { .. }));
    let dup = b.execute("c3", &open_cmd("x"), &ctx).await.unwrap();
    assert!(matches!(dup.outcome, Outcome::Refused { ref rule, .. } if rule == "ACC-EXISTS"));
    assert_verifies(b.store()).await;
}

/// Reads share catch-ups (`Ledger::read` and `read_at`), but never skip an append committed
/// before the read was called, even right after another read; `read_at`'s sequence is that of
/// the last entry its answer holds.
async fn a_read_sees_what_another_writer_committed_before_it(db: &TestDb) {
    let reader = ledger(db).await;
    let writer = ledger(db).await;
    let ctx = Context::new("ann");
    writer.execute("c1", &open_cmd("y"), &ctx).await.unwrap();
    for amount in 1..=5 {
        let before = reader
            .read(|s| s.accounts.get("y").map(|a| a.balance))
            .await;
        assert_eq!(before.unwrap(), Some((amount - 1) * (amount) / 2));
        writer
            .execute(&format!("d{amount}"), &deposit("y", amount), &ctx)
            .await
            .unwrap();
        let after = reader.read(|s| s.accounts["y"].balance).await.unwrap();
        assert_eq!(after, amount * (amount + 1) / 2);
        let (again, seen) = reader.read_at(|s| s.accounts["y"].balance).await.unwrap();
        assert_eq!(again, after);
        assert_eq!(seen, writer.store().head().await.unwrap().sequence);
    }
}

async fn export_then_import_reproduces_the_ledger(db: &TestDb) {
    let source = ledger(db).await;
    for (id, command, ctx) in random_commands(7, 150) {
        source.execute(&id, &command, &ctx).await.unwrap();
    }
    let mut exported = Vec::new();
    let count = export(source.store(), &mut exported).await.unwrap();
    assert_eq!(count, source.store().head().await.unwrap().sequence as u64);
    // One line per entry, then the trailer.
    assert_eq!(
        exported.iter().filter(|b| **b == b'\n').count() as u64,
        count + 1
    );

    let target_db = TestDb::fresh(db.backend).await.expect("same backend");
    let target = target_db.open().await;
    let report = import::<Accounts, _, _>(&target, exported.as_slice())
        .await
        .unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!(
        target.entries_after(0, 10_000).await.unwrap(),
        source.store().entries_after(0, 10_000).await.unwrap()
    );
    assert_eq!(
        target.all_rows_after(("", ""), 10_000).await.unwrap().len(),
        source
            .store()
            .all_rows_after(("", ""), 10_000)
            .await
            .unwrap()
            .len()
    );
    let mut again = Vec::new();
    export(&target, &mut again).await.unwrap();
    assert_eq!(
        again, exported,
        "the export of the import is the same bytes"
    );

    // Commands recorded before the move are still idempotent after it.
    let moved: AccountsLedger = Ledger::open(target).await.unwrap();
    let (id, command, ctx) = &random_commands(7, 150)[42];
    let receipt = moved.execute(id, command, ctx).await.unwrap();
    assert!(receipt.repeated);
    target_db.cleanup().await;
}

async fn import_into_a_non_empty_database_is_refused(db: &TestDb) {
    let l = standard_ledger(db).await;
    let mut exported = Vec::new();
    export(l.store(), &mut exported).await.unwrap();
    let err = import::<Accounts, _, _>(l.store(), exported.as_slice())
        .await
        .unwrap_err();
    assert!(matches!(err, TransferError::NotEmpty(_)), "{err}");
    assert!(err.to_string().contains("not empty"), "{err}");
    assert_eq!(l.store().head().await.unwrap().sequence, 8);
    assert_verifies(l.store()).await;
}

async fn import_of_a_broken_export_writes_nothing(db: &TestDb) {
    let l = standard_ledger(db).await;
    let mut exported = Vec::new();
    export(l.store(), &mut exported).await.unwrap();
    let text = String::from_utf8(exported).unwrap();
    let tampered = text.replacen("\"amount\":100", "\"amount\":900", 1);
    assert_ne!(tampered, text);

    let target_db = TestDb::fresh(db.backend).await.expect("same backend");
    let target = target_db.open().await;
    let err = import::<Accounts, _, _>(&target, tampered.as_bytes())
        .await
        .unwrap_err();
    assert!(matches!(err, TransferError::Chain { line: 3, .. }), "{err}");
    let garbage = import::<Accounts, _, _>(&target, "{not json\n".as_bytes()).await;
    assert!(
        matches!(garbage, Err(TransferError::BadLine { line: 1, .. })),
        "{garbage:?}"
    );
    assert_eq!(
        target.head().await.unwrap(),
        ChainHead::EMPTY,
        "nothing imported"
    );
    assert!(
        target
            .all_rows_after(("", ""), 10)
            .await
            .unwrap()
            .is_empty()
    );
    target_db.cleanup().await;
}

async fn projections_rebuilt_from_the_ledger_equal_the_stored_ones(db: &TestDb) {
    let l = ledger(db).await;
    for (id, command, ctx) in random_commands(11, 300) {
        l.execute(&id, &command, &ctx).await.unwrap();
    }
    let stored = l.store().all_rows_after(("", ""), 10_000).await.unwrap();
    assert!(!stored.is_empty());
    assert_verifies(l.store()).await;

    // Lose a row, rebuild, and get exactly the same rows back.
    TestDb::execute(l.store(), "DELETE FROM projection_rows WHERE id = 'acct-3'").await;
    assert!(!verify::<Accounts, _>(l.store()).await.unwrap().is_ok());
    let count = rebuild_projections::<Accounts, _>(l.store()).await.unwrap();
    let rebuilt = l.store().all_rows_after(("", ""), 10_000).await.unwrap();
    assert_eq!(count as usize, rebuilt.len());
    let rows =
        |v: &[hemaflow_ledger::StoredRow]| v.iter().map(|r| r.row.clone()).collect::<Vec<_>>();
    assert_eq!(rows(&rebuilt), rows(&stored));
    assert_verifies(l.store()).await;
}

on_every_backend!(writer_killed_mid_stream_loses_no_acknowledged_command);

/// A writer process is killed with SIGKILL in the middle of a stream of commands: every
/// command it acknowledged is in the ledger, and the ledger verifies.
async fn writer_killed_mid_stream_loses_no_acknowledged_command(db: &TestDb) {
    use std::io::{BufRead, BufReader};
    use std::process::{Command as Process, Stdio};

    let mut child = Process::new(env!("CARGO_BIN_EXE_ledger-writer"))
        .args([db.store_url().as_str(), "100000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the writer");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut acked = Vec::new();
    while acked.len() < 150 {
        let line = lines
            .next()
            .expect("the writer acknowledges")
            .expect("a line");
        acked.push(line.trim_start_matches("ack ").to_owned());
    }
    child.kill().expect("SIGKILL the writer");
    // Acknowledgements already written before the kill count too.
    acked.extend(
        lines
            .map_while(Result::ok)
            .map(|l| l.trim_start_matches("ack ").to_owned()),
    );
    child.wait().expect("reap the writer");

    let store = db.open().await;
    let report = verify::<Accounts, _>(&store).await.unwrap();
    assert!(report.is_ok(), "{report}");
    for id in &acked {
        assert!(
            store.command(id).await.unwrap().is_some(),
            "{id} was acknowledged but is lost"
        );
    }
    let recorded = store.head().await.unwrap().sequence - 1; // minus the opening
    assert!(recorded >= acked.len() as i64);
    let row = store.row("account", "crash").await.unwrap().unwrap();
    assert_eq!(row.row.body.value()["balance"], recorded);
}

/// The move the issue asks for: a site's SQLite ledger exported and imported into PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_ledger_moves_to_postgres_without_losing_a_line() {
    let Some(pg) = TestDb::fresh(Backend::Postgres).await else {
        return;
    };
    let lite = TestDb::fresh(Backend::Sqlite).await.unwrap();
    let source = ledger(&lite).await;
    for (id, command, ctx) in random_commands(3, 200) {
        source.execute(&id, &command, &ctx).await.unwrap();
    }
    let mut exported = Vec::new();
    export(source.store(), &mut exported).await.unwrap();
    let target = pg.open().await;
    let report = import::<Accounts, _, _>(&target, exported.as_slice())
        .await
        .unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!(
        target.entries_after(0, 10_000).await.unwrap(),
        source.store().entries_after(0, 10_000).await.unwrap()
    );
    let mut again = Vec::new();
    export(&target, &mut again).await.unwrap();
    assert_eq!(again, exported);
    pg.cleanup().await;
    lite.cleanup().await;
}

on_every_backend!(group_commit_answers_each_command_as_execute_would);

/// `execute_batch` records several commands in one transaction, each decided against the
/// state the earlier ones left, with the same answers `execute` gives.
async fn group_commit_answers_each_command_as_execute_would(db: &TestDb) {
    let l = ledger(db).await;
    let ctx = Context::new("ann");
    let open = open_cmd("g");
    let five = deposit("g", 5);
    let too_much = Command::Withdraw {
        account: "g".into(),
        amount: 100,
    };
    let other = deposit("g", 6);
    let batch = [
        ("b1", &open, &ctx),
        ("b2", &five, &ctx),
        ("b3", &too_much, &ctx),
        ("b2", &five, &ctx),  // a retry inside the batch
        ("b2", &other, &ctx), // the same ID for another command
    ];
    let answers = l.execute_batch(&batch).await.unwrap();
    assert_eq!(answers.len(), 5);
    let receipts: Vec<_> = answers[..4].iter().map(|a| a.as_ref().unwrap()).collect();
    assert_eq!(
        receipts
            .iter()
            .map(|r| r.first_sequence)
            .collect::<Vec<_>>(),
        [1, 2, 3, 2]
    );
    assert!(matches!(&receipts[2].outcome, Outcome::Refused { rule, .. } if rule == "ACC-FUNDS"));
    assert!(receipts[3].repeated && receipts[3].outcome == receipts[1].outcome);
    assert!(matches!(
        answers[4],
        Err(LedgerError::CommandIdReused { .. })
    ));
    assert_eq!(l.store().head().await.unwrap().sequence, 3);

    // Submitted again later, the whole batch gets its first answers and appends nothing.
    let again = l.execute_batch(&batch[..3]).await.unwrap();
    assert!(again.iter().all(|a| a.as_ref().unwrap().repeated));
    assert_eq!(l.store().head().await.unwrap().sequence, 3);
    let row = l.store().row("account", "g").await.unwrap().unwrap();
    assert_eq!(row.row.body.value()["balance"], 5);
    assert_verifies(l.store()).await;
}

on_every_backend!(random_streams_replay_to_the_stored_projections);

/// Long random command streams (refusals, multi-event commands, single and grouped commits):
/// replaying the ledger gives exactly the stored projections and the engine's own state.
async fn random_streams_replay_to_the_stored_projections(db: &TestDb) {
    let l = ledger(db).await;
    for seed in 1..=4u64 {
        let stream = random_commands(100 + seed, 250);
        let group = seed as usize * 7; // 7, 14, 21, 28 commands per transaction
        for chunk in stream.chunks(group) {
            if seed % 2 == 0 {
                for (id, command, ctx) in chunk {
                    l.execute(id, command, ctx).await.unwrap();
                }
            } else {
                let batch: Vec<_> = chunk
                    .iter()
                    .map(|(id, c, ctx)| (id.as_str(), c, ctx))
                    .collect();
                for answer in l.execute_batch(&batch).await.unwrap() {
                    answer.unwrap();
                }
            }
        }
        let report = verify::<Accounts, _>(l.store()).await.unwrap();
        assert!(report.is_ok(), "seed {seed}: {report}");
    }
    // The engine's state is the replayed state.
    let replayed: AccountsLedger = Ledger::open(db.open().await).await.unwrap();
    assert_eq!(replayed.state().await.unwrap(), l.state().await.unwrap());
    let refusals = l
        .store()
        .entries_after(0, 10_000)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.kind == EntryKind::Refusal)
        .count();
    assert!(refusals > 0, "the streams include refused commands");
}

fn expecting(account: &str, seen: i64) -> Vec<Expected> {
    vec![Expected {
        kind: "account".into(),
        id: account.into(),
        seen,
    }]
}

async fn version_of(store: &AnyStore, account: &str) -> i64 {
    store
        .row("account", account)
        .await
        .unwrap()
        .expect("the account's row")
        .updated_seq
}

/// No lost updates: a change made against a version someone else has since replaced is
/// refused with who changed it, and nothing at all is appended (not even a refusal entry).
async fn a_change_made_against_an_old_version_is_refused_and_writes_nothing(db: &TestDb) {
    let l = standard_ledger(db).await;
    let seen = version_of(l.store(), "a").await;
    let bob = Context::new("bob");
    l.execute_expecting("d1", &deposit("a", 7), &bob, &expecting("a", seen))
        .await
        .expect("the version the user saw is current");
    let head = l.store().head().await.unwrap();
    let error = l
        .execute_expecting(
            "d2",
            &deposit("a", 9),
            &Context::new("ann"),
            &expecting("a", seen),
        )
        .await
        .unwrap_err();
    let LedgerError::Stale(stale) = error else {
        panic!("a stale version, got {error:?}");
    };
    assert_eq!((stale.seen, stale.current), (seen, head.sequence));
    assert_eq!(stale.changed_by, "bob");
    assert!(stale.to_string().ends_with("look again"), "{stale}");
    assert_eq!(
        l.store().head().await.unwrap(),
        head,
        "nothing was appended"
    );
    assert!(l.store().command("d2").await.unwrap().is_none());
    let retried = l
        .execute_expecting("d1", &deposit("a", 7), &bob, &expecting("a", seen))
        .await
        .expect("a retry of an answered command gets its answer");
    assert!(retried.repeated);
    assert_verifies(l.store()).await;
}

/// Two writers (two connection pools, like two server processes) change one record, both
/// against the version they saw: exactly one is recorded, the other is told who won.
async fn two_writers_racing_on_one_version_one_wins_one_is_told_who(db: &TestDb) {
    let first = Arc::new(standard_ledger(db).await);
    let second = Arc::new(ledger(db).await);
    // Both users read the ledger at its head (a page), and change account a from it.
    let (_, seen) = second.read_at(|state| state.accounts.len()).await.unwrap();
    first
        .execute("unrelated", &deposit("b", 2), &Context::new("cy"))
        .await
        .unwrap();
    let race = |l: Arc<AccountsLedger>, actor: &'static str| {
        tokio::spawn(async move {
            l.execute_expecting(
                actor,
                &deposit("a", 1),
                &Context::new(actor),
                &expecting("a", seen),
            )
            .await
        })
    };
    let (ann, bob) = tokio::join!(race(first.clone(), "ann"), race(second.clone(), "bob"));
    let answers = [ann.unwrap(), bob.unwrap()];
    let winners: Vec<_> = answers.iter().filter_map(|a| a.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    let loser = answers.iter().find_map(|a| a.as_ref().err()).unwrap();
    let LedgerError::Stale(stale) = loser else {
        panic!("the loser is told the record changed, got {loser:?}");
    };
    assert_eq!(stale.changed_by, winners[0].command_id);
    let balance = first
        .read(|state| state.accounts["a"].balance)
        .await
        .unwrap();
    assert_eq!(balance, 72, "one deposit of 1 on top of 71");
    assert_verifies(first.store()).await;
}

const LIMITS: SessionLimits = SessionLimits {
    idle: 30 * 60,
    max: 12 * 60 * 60,
    refresh: 60,
};

fn session(digest: &str, user_id: &str, started: i64) -> StoredSession {
    StoredSession {
        digest: digest.into(),
        user_id: user_id.into(),
        csrf: format!("csrf of {digest}"),
        started,
        last_seen: started,
    }
}

async fn session_count(store: &AnyStore) -> i64 {
    let sql = "SELECT COUNT(*) FROM sessions";
    match store {
        AnyStore::Sqlite(s) => sqlx::query_scalar(sql).fetch_one(s.pool()).await.unwrap(),
        AnyStore::Postgres(s) => sqlx::query_scalar(sql).fetch_one(s.pool()).await.unwrap(),
    }
}

/// A session opened through one connection pool is found by another (another process, or the
/// same server after a restart), and its last request is seen by both.
async fn a_session_outlives_a_restart_and_is_shared_by_processes(db: &TestDb) {
    let first = db.open().await;
    first
        .open_session(&session("d1", "ann", 1_000), LIMITS)
        .await
        .unwrap();
    drop(first);
    let second = db.open().await;
    let third = db.open().await;
    let touched = second.touch_session("d1", 1_500, LIMITS).await.unwrap();
    assert_eq!(
        touched,
        Some(StoredSession {
            last_seen: 1_500,
            ..session("d1", "ann", 1_000)
        })
    );
    let seen = third
        .touch_session("d1", 1_500 + LIMITS.idle - 1, LIMITS)
        .await
        .unwrap();
    assert!(seen.is_some(), "the other process's request kept it alive");
    assert_eq!(
        third.touch_session("other", 1_600, LIMITS).await.unwrap(),
        None
    );
}

/// 30 idle minutes or 12 hours after sign-in end a session; the expired row is deleted, and
/// opening a session sweeps every expired one.
async fn a_session_ends_when_idle_or_too_old_and_its_row_is_removed(db: &TestDb) {
    let store = db.open().await;
    store
        .open_session(&session("idle", "ann", 0), LIMITS)
        .await
        .unwrap();
    assert_eq!(
        store
            .touch_session("idle", LIMITS.idle, LIMITS)
            .await
            .unwrap(),
        None
    );
    assert_eq!(session_count(&store).await, 0, "the expired row is removed");
    store
        .open_session(&session("busy", "ann", 0), LIMITS)
        .await
        .unwrap();
    let mut now = 0;
    while now + 600 < LIMITS.max {
        now += 600;
        assert!(
            store
                .touch_session("busy", now, LIMITS)
                .await
                .unwrap()
                .is_some()
        );
    }
    assert_eq!(
        store
            .touch_session("busy", LIMITS.max, LIMITS)
            .await
            .unwrap(),
        None
    );
    store
        .open_session(&session("old", "bob", 0), LIMITS)
        .await
        .unwrap();
    store
        .open_session(&session("new", "bob", LIMITS.idle + 1), LIMITS)
        .await
        .unwrap();
    assert_eq!(
        session_count(&store).await,
        1,
        "opening swept the idle session"
    );
    assert_eq!(
        store
            .remove_expired_sessions(LIMITS.max * 2, LIMITS)
            .await
            .unwrap(),
        1
    );
}

/// A request within `refresh` seconds of the stored `last_seen` writes nothing (a scanning
/// bench is not a write per scan); the idle limit still counts from the stored time, so the
/// session ends early by less than `refresh` seconds, never late.
async fn a_session_seen_moments_ago_is_not_written_again_and_never_outlives_its_idle_limit(
    db: &TestDb,
) {
    let store = db.open().await;
    store
        .open_session(&session("s1", "ann", 1_000), LIMITS)
        .await
        .unwrap();
    let soon = 1_000 + LIMITS.refresh - 1;
    let seen = store.touch_session("s1", soon, LIMITS).await.unwrap();
    assert_eq!(seen, Some(session("s1", "ann", 1_000)), "read, not written");
    let stored_last_seen: i64 = {
        let sql = "SELECT last_seen FROM sessions";
        match &store {
            AnyStore::Sqlite(s) => sqlx::query_scalar(sql).fetch_one(s.pool()).await.unwrap(),
            AnyStore::Postgres(s) => sqlx::query_scalar(sql).fetch_one(s.pool()).await.unwrap(),
        }
    };
    assert_eq!(stored_last_seen, 1_000);
    assert_eq!(
        store
            .touch_session("s1", 1_000 + LIMITS.idle, LIMITS)
            .await
            .unwrap(),
        None,
        "idle since the stored time, though a request came {} s later",
        LIMITS.refresh - 1
    );
    assert_eq!(session_count(&store).await, 0, "the expired row is removed");

    store
        .open_session(&session("s2", "bob", 5_000), LIMITS)
        .await
        .unwrap();
    let later = 5_000 + LIMITS.refresh;
    let refreshed = store.touch_session("s2", later, LIMITS).await.unwrap();
    assert_eq!(refreshed.map(|s| s.last_seen), Some(later), "written");
    assert!(
        store
            .touch_session("s2", later + LIMITS.idle - 1, LIMITS)
            .await
            .unwrap()
            .is_some()
    );
}

async fn closing_sessions_removes_them(db: &TestDb) {
    let store = db.open().await;
    for (digest, user) in [("a1", "ann"), ("a2", "ann"), ("b1", "bob")] {
        store
            .open_session(&session(digest, user, 10), LIMITS)
            .await
            .unwrap();
    }
    store.close_session("b1").await.unwrap();
    assert_eq!(store.touch_session("b1", 11, LIMITS).await.unwrap(), None);
    assert_eq!(store.close_sessions_of("ann").await.unwrap(), 2);
    assert_eq!(store.touch_session("a1", 11, LIMITS).await.unwrap(), None);
    assert_eq!(session_count(&store).await, 0);
}

on_every_backend!(
    a_pipeline_records_what_batches_one_after_another_record,
    a_pipeline_decides_again_when_another_writer_appends_first,
);

/// A pipelined stream (`Ledger::pipeline`: the next batch decided while the previous one
/// commits) records exactly the entries, answers and projections that the same batches
/// give through `execute_batch` one after another, including a command ID repeated from the
/// batch still committing.
async fn a_pipeline_records_what_batches_one_after_another_record(db: &TestDb) {
    let Some(other) = TestDb::fresh(db.backend).await else {
        return;
    };
    let mut stream = random_commands(42, 400);
    // Command 100 again in the next batch (of 16): its answer is the first one.
    let (id, command, ctx) = stream[100].clone();
    stream.insert(120, (id, command, ctx));
    let batches: Vec<Vec<_>> = stream.chunks(16).map(<[_]>::to_vec).collect();

    let piped = ledger(db).await;
    let mut pipeline = piped.pipeline().await.unwrap();
    let mut piped_answers = Vec::new();
    for batch in batches.clone() {
        piped_answers.extend(pipeline.submit(batch).await.unwrap());
    }
    piped_answers.extend(pipeline.finish().await.unwrap());

    let one_by_one = ledger(&other).await;
    let mut batch_answers = Vec::new();
    for batch in &batches {
        let borrowed: Vec<_> = batch.iter().map(|(i, c, x)| (i.as_str(), c, x)).collect();
        batch_answers.extend(one_by_one.execute_batch(&borrowed).await.unwrap());
    }

    assert_eq!(piped_answers.len(), stream.len(), "one answer per command");
    for (n, (piped, batched)) in piped_answers.iter().zip(&batch_answers).enumerate() {
        assert_eq!(
            piped.as_ref().unwrap(),
            batched.as_ref().unwrap(),
            "command {n}"
        );
    }
    let repeat = piped_answers[120].as_ref().unwrap();
    assert!(
        repeat.repeated,
        "the repeated command ID got its first answer"
    );
    assert_eq!(
        piped.store().head().await.unwrap(),
        one_by_one.store().head().await.unwrap(),
        "the same chain, hash for hash"
    );
    assert_eq!(
        piped
            .store()
            .all_rows_after(("", ""), 10_000)
            .await
            .unwrap(),
        one_by_one
            .store()
            .all_rows_after(("", ""), 10_000)
            .await
            .unwrap()
    );
    assert_eq!(
        piped.state().await.unwrap(),
        one_by_one.state().await.unwrap()
    );
    assert_verifies(piped.store()).await;
    other.cleanup().await;
}

/// Another process appends while a pipelined batch commits: the append that finds the chain
/// moved fails as a whole, and the pipeline decides it (and the batch decided after it) again
/// from the ledger. Nothing is lost, nothing is recorded twice, the chain does not fork.
async fn a_pipeline_decides_again_when_another_writer_appends_first(db: &TestDb) {
    let piped = ledger(db).await;
    let intruder = ledger(db).await;
    let ctx = Context::new("ann");
    piped.execute("open", &open_cmd("p"), &ctx).await.unwrap();
    let mut pipeline = piped.pipeline().await.unwrap();
    let mut answers = Vec::new();
    const BATCHES: usize = 6;
    const PER_BATCH: usize = 20;
    for b in 0..BATCHES {
        let batch: Vec<_> = (0..PER_BATCH)
            .map(|i| (format!("p{b}-{i}"), deposit("p", 1), ctx.clone()))
            .collect();
        answers.extend(pipeline.submit(batch).await.unwrap());
        // Between two batches of the pipeline, another writer appends.
        intruder
            .execute(
                &format!("other{b}"),
                &deposit("p", 1000),
                &Context::new("bob"),
            )
            .await
            .unwrap();
    }
    answers.extend(pipeline.finish().await.unwrap());
    assert_eq!(answers.len(), BATCHES * PER_BATCH);
    assert!(answers.iter().all(|a| !a.as_ref().unwrap().repeated));
    let retried = answers
        .iter()
        .filter(|a| a.as_ref().unwrap().attempts > 1)
        .count();
    eprintln!("{:?}: {retried} answers decided again", db.backend);
    // Each round made the next append find the chain moved: the story is about conflicts.
    assert!(retried > 0, "no batch was decided again");
    let expected = (BATCHES * PER_BATCH) as i64 + 1000 * BATCHES as i64;
    let row = piped.store().row("account", "p").await.unwrap().unwrap();
    assert_eq!(row.row.body.value()["balance"], expected, "no update lost");
    assert_eq!(piped.state().await.unwrap().accounts["p"].balance, expected);
    let head = piped.store().head().await.unwrap();
    assert_eq!(head.sequence, 1 + (BATCHES * PER_BATCH + BATCHES) as i64);
    assert_verifies(piped.store()).await;
}

on_every_backend!(
    a_deleted_projection_row_is_named,
    an_extra_projection_row_is_named
);

async fn a_deleted_projection_row_is_named(db: &TestDb) {
    let problem = problem_after_tampering(
        db,
        "DELETE FROM projection_rows WHERE kind = 'account' AND id = 'a'",
    )
    .await;
    assert!(
        matches!(&problem, Problem::RowMissing { kind, id } if kind == "account" && id == "a"),
        "{problem}"
    );
}

async fn an_extra_projection_row_is_named(db: &TestDb) {
    let problem = problem_after_tampering(
        db,
        "INSERT INTO projection_rows (kind, id, status, body, updated_seq) VALUES ('account', 'zz', NULL, '{}', 1)",
    )
    .await;
    assert!(
        matches!(&problem, Problem::RowUnexpected { kind, id } if kind == "account" && id == "zz"),
        "{problem}"
    );
}

/// `sqlite::memory:` is one database for the pool that reads and the connection that writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_memory_sqlite_ledger_reads_what_it_wrote() {
    let store = hemaflow_store::connect("sqlite::memory:").await.unwrap();
    let l: AccountsLedger = Ledger::open(store).await.unwrap();
    let ctx = Context::new("ann");
    l.execute("c1", &open_cmd("a"), &ctx).await.unwrap();
    l.execute("c2", &deposit("a", 70), &ctx).await.unwrap();
    let row = l.store().row("account", "a").await.unwrap().unwrap();
    assert_eq!(row.row.body.value()["balance"], 70);
    assert_eq!(l.store().entries_after(0, 10).await.unwrap().len(), 2);
    assert!(verify::<Accounts, _>(l.store()).await.unwrap().is_ok());
}
