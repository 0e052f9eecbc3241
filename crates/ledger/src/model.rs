//! What the ledger needs to know about a domain: the [`Model`] trait.

use std::fmt;

use serde::{Serialize, de::DeserializeOwned};

use crate::entry::EntryMeta;

/// One row of a projection: what screens and reports read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Row {
    /// The projection: `donor`, `donation`, `component`, …
    pub kind: String,
    pub id: String,
    /// Indexed with `kind`, for lists such as "components in quarantine".
    pub status: Option<String>,
    pub body: serde_json::Value,
}

/// What names a projection row: its kind and id.
pub type RowKey = (&'static str, String);

impl Row {
    pub fn key(&self) -> (&str, &str) {
        (&self.kind, &self.id)
    }
}

/// A pure domain: decide commands into events, evolve the state with them, and describe the
/// projection rows of a state. The ledger stores what it decides, never second-guesses it.
///
/// Every function is pure: the time comes in the context.
pub trait Model: Send + Sync + 'static {
    type State: Default + Clone + Send + Sync + 'static;
    type Command: Serialize + DeserializeOwned + Send + Sync;
    type Event: Serialize + DeserializeOwned + Clone + Send + Sync;
    type Refusal: Serialize + fmt::Display + Send;
    /// Who acts, in which role, and when.
    type Context: Send + Sync;

    fn decide(
        state: &Self::State,
        command: &Self::Command,
        context: &Self::Context,
    ) -> Result<Vec<Self::Event>, Self::Refusal>;

    fn evolve(state: &mut Self::State, event: &Self::Event);

    /// The event's name, recorded as the entry's `event_type`.
    fn event_name(event: &Self::Event) -> &'static str;

    /// The rule ID a refusal names, recorded as the refusal entry's `event_type`.
    fn refusal_rule(refusal: &Self::Refusal) -> &str;

    /// The actor, role and time recorded on every entry of a command.
    fn entry_meta(context: &Self::Context) -> EntryMeta;

    /// The keys of the rows `event` changed, read from `state` after the event was applied.
    /// The ledger writes each row a batch touched once, as it is after the whole batch.
    fn rows_touched(state: &Self::State, event: &Self::Event) -> Vec<RowKey>;

    /// A row of `state` by its key, as it is now; `None` when no such record exists.
    fn row(state: &Self::State, key: &RowKey) -> Option<Row>;

    /// The key of every projection row of a state.
    fn all_row_keys(state: &Self::State) -> Vec<RowKey>;

    /// Every projection row of a state: the rebuild of the projections.
    fn all_rows(state: &Self::State) -> Vec<Row> {
        Self::all_row_keys(state)
            .iter()
            .filter_map(|key| Self::row(state, key))
            .collect()
    }
}
