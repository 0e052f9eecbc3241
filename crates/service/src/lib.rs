//! The domain on the ledger: [`Blood`] tells the generic ledger how Hemaflow's domain decides,
//! evolves and projects, and [`open`] gives the ledger of a database URL. Every front end (the
//! command line, the server) goes through here, so that there is one way to record a command.

use hemaflow_ledger::StoreError;
use hemaflow_ledger::{EntryMeta, Ledger, LedgerError, Model, Row, RowBody, RowKey};
use hemaflow_store::AnyStore;

pub mod demo;
pub mod history;
pub mod reports;

pub use hemaflow_domain as domain;
pub use hemaflow_ledger as ledger;
pub use hemaflow_store as store;

/// Hemaflow's domain as the ledger sees it.
pub struct Blood;

/// The ledger of a blood establishment on either database.
pub type BloodLedger = Ledger<Blood, AnyStore>;

impl Model for Blood {
    type State = domain::State;
    type Command = domain::Command;
    type Event = domain::Event;
    type Refusal = domain::Refusal;
    type Context = domain::Context;

    fn decide(
        state: &domain::State,
        command: &domain::Command,
        context: &domain::Context,
    ) -> Result<Vec<domain::Event>, domain::Refusal> {
        domain::decide(state, command, context)
    }

    fn evolve(state: &mut domain::State, event: &domain::Event) {
        domain::evolve(state, event);
    }

    fn event_name(event: &domain::Event) -> &'static str {
        event.name()
    }

    /// Parsed once, by the area that owns the entry's event type.
    fn decode_event(event_type: &str, payload: &str) -> Result<domain::Event, serde_json::Error> {
        domain::Event::from_json(event_type, payload)
    }

    fn refusal_rule(refusal: &domain::Refusal) -> &str {
        refusal.rule.as_str()
    }

    fn entry_meta(context: &domain::Context) -> EntryMeta {
        EntryMeta {
            actor: context.actor.clone(),
            role: context.role.as_str().to_owned(),
            recorded_at: timestamp(context.now),
        }
    }

    fn stamped(context: &domain::Context, now: jiff::Timestamp) -> Option<domain::Context> {
        if context.stamp != domain::Stamp::Clock {
            return None;
        }
        Some(domain::Context {
            now: time_of(now),
            ..context.clone()
        })
    }

    fn rows_touched(state: &domain::State, event: &domain::Event) -> Vec<RowKey> {
        domain::row_keys(state, event)
    }

    fn row(state: &domain::State, (kind, id): &RowKey) -> Option<Row> {
        domain::rows::row(state, kind, id).map(into_ledger_row)
    }

    fn all_row_keys(state: &domain::State) -> Vec<RowKey> {
        domain::all_row_keys(state)
    }
}

fn into_ledger_row(row: domain::Row) -> Row {
    Row {
        kind: row.kind.to_owned(),
        id: row.id,
        status: row.status,
        body: RowBody::from_serialized(row.body),
    }
}

/// The ledger's timestamp of a domain time. Every `OffsetDateTime` lies within jiff's range
/// (years -9999..=9999), so the conversion cannot fail for a time the domain accepted; a time
/// outside it would be recorded as the Unix epoch, which `verify` would then show plainly.
fn timestamp(now: time::OffsetDateTime) -> jiff::Timestamp {
    jiff::Timestamp::from_nanosecond(now.unix_timestamp_nanos())
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// The domain's time of a ledger timestamp (the clock's reading). Both libraries span the
/// years -9999..=9999; a reading outside `time`'s range (not a real clock's) is the epoch.
pub fn time_of(at: jiff::Timestamp) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(at.as_nanosecond())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// Why a database could not be opened as a Hemaflow ledger.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// Opens (and on first use creates) the ledger at `url`: `sqlite://FILE` or `postgres://...`.
pub async fn open(url: &str) -> Result<BloodLedger, OpenError> {
    open_with_clock(url, hemaflow_ledger::SystemClock::shared()).await
}

/// [`open`], with the clock that stamps live commands (the process's one clock).
pub async fn open_with_clock(
    url: &str,
    clock: hemaflow_ledger::SharedClock,
) -> Result<BloodLedger, OpenError> {
    let store = hemaflow_store::connect(url).await?;
    Ok(Ledger::open(store).await?.with_clock(clock))
}
