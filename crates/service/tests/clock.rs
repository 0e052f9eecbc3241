//! One clock, read by the ledger once per batch under its lock: a live command's decision and
//! its entries carry the same instant, and the ledger's times never go back against its
//! sequence, whatever the order in which concurrent callers read the time themselves. A
//! planned time earlier than the last entry's is refused.

#![allow(clippy::unwrap_used)]

use hemaflow_domain::{AccessEvent, ServerCommand};
use std::sync::Arc;

use hemaflow_domain::access::credentials::SignInOutcome;
use hemaflow_domain::{Command, Context, Event, Role, Stamp};
use hemaflow_service::ledger::{
    Clock, FixedClock, LedgerError, Outcome, SharedClock, SteppingClock, Store,
};
use hemaflow_service::{BloodLedger, open_with_clock, time_of};
use jiff::{SignedDuration, Timestamp};
use time::OffsetDateTime;

const TASKS: usize = 8;
const COMMANDS_PER_TASK: usize = 12;

fn start() -> Timestamp {
    Timestamp::from_second(1_795_000_000).unwrap()
}

/// A live command, with a `now` deliberately wrong: the ledger's clock replaces it.
fn live(provisional: OffsetDateTime) -> Context {
    Context {
        actor: "system".to_owned(),
        role: Role::Admin,
        now: provisional,
        stamp: Stamp::Clock,
    }
}

fn sign_in(user: &str) -> Command {
    Command::Server(ServerCommand::RecordSignIn {
        user_id: user.to_owned(),
        channel: "sign-in".to_owned(),
        outcome: SignInOutcome::Succeeded,
    })
}

async fn ledger_with(clock: SharedClock) -> (tempfile::TempDir, BloodLedger) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("clock.db").display());
    (dir, open_with_clock(&url, clock).await.unwrap())
}

/// A clock that runs backwards at every reading: only the ledger's rule keeps times in order.
struct Backwards(SteppingClock);

impl Clock for Backwards {
    fn now(&self) -> Timestamp {
        self.0.now()
    }
}

async fn concurrent_commands_are_recorded_in_time_order(clock: SharedClock) {
    let (_dir, ledger) = ledger_with(clock).await;
    let ledger = Arc::new(ledger);
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let ledger = Arc::clone(&ledger);
        tasks.push(tokio::spawn(async move {
            for n in 0..COMMANDS_PER_TASK {
                // Each caller's own idea of the time, in no particular order.
                let provisional = OffsetDateTime::UNIX_EPOCH
                    + time::Duration::minutes(((task * 7 + n * 13) % 17) as i64);
                let receipt = ledger
                    .execute(
                        &format!("sign-in-{task}-{n}"),
                        &sign_in(&format!("user{task}")),
                        &live(provisional),
                    )
                    .await
                    .unwrap();
                assert!(matches!(receipt.outcome, Outcome::Accepted { .. }));
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let entries = ledger.store().entries_after(0, 10_000).await.unwrap();
    assert_eq!(entries.len(), TASKS * COMMANDS_PER_TASK);
    for pair in entries.windows(2) {
        assert!(
            pair[0].recorded_at <= pair[1].recorded_at,
            "entry {} at {} after entry {} at {}",
            pair[1].sequence,
            pair[1].recorded_at,
            pair[0].sequence,
            pair[0].recorded_at
        );
    }
    // The decision's `now` (the attempt's time) is the entry's `recorded_at`.
    for entry in &entries {
        let event: Event = serde_json::from_str(&entry.payload).unwrap();
        let Event::Access(AccessEvent::SignInRecorded { attempt }) = event else {
            panic!("{}", entry.event_type);
        };
        assert_eq!(attempt.at, time_of(entry.recorded_at));
    }
}

#[tokio::test]
async fn concurrent_commands_get_recorded_at_non_decreasing_with_sequence() {
    concurrent_commands_are_recorded_in_time_order(Arc::new(SteppingClock::new(
        start(),
        SignedDuration::from_millis(1),
    )))
    .await;
    concurrent_commands_are_recorded_in_time_order(hemaflow_service::ledger::SystemClock::shared())
        .await;
}

#[tokio::test]
async fn a_clock_that_goes_back_never_takes_the_ledger_back() {
    let clock = Arc::new(Backwards(SteppingClock::new(
        start(),
        SignedDuration::from_secs(-60),
    )));
    concurrent_commands_are_recorded_in_time_order(clock).await;
}

#[tokio::test]
async fn a_planned_time_is_recorded_as_given_and_one_earlier_than_the_last_entry_is_refused() {
    let (_dir, ledger) = ledger_with(Arc::new(FixedClock(start()))).await;
    let planned = |at: Timestamp| Context {
        stamp: Stamp::Planned,
        now: time_of(at),
        ..live(OffsetDateTime::UNIX_EPOCH)
    };
    let later = start() + SignedDuration::from_hours(2);
    ledger
        .execute("planned-1", &sign_in("a"), &planned(later))
        .await
        .unwrap();
    let entries = ledger.store().entries_after(0, 10).await.unwrap();
    assert_eq!(entries[0].recorded_at, later);

    let behind = ledger
        .execute("planned-2", &sign_in("a"), &planned(start()))
        .await;
    assert!(
        matches!(behind, Err(LedgerError::TimeBehind { .. })),
        "{behind:?}"
    );
    assert_eq!(ledger.store().entries_after(0, 10).await.unwrap().len(), 1);

    // A live command after a planned one in the future is stamped at that time, not before.
    ledger
        .execute("live-1", &sign_in("a"), &live(OffsetDateTime::UNIX_EPOCH))
        .await
        .unwrap();
    let entries = ledger.store().entries_after(0, 10).await.unwrap();
    assert_eq!(entries[1].recorded_at, later);
}
