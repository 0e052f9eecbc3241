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
    pub body: RowBody,
}

/// The body of a projection row: JSON text, as the model serialised it or the store gave it
/// back. Kept as text because every batch writes hundreds of rows and a store writes text:
/// building a `serde_json::Value` per row only to print it again cost a tenth of an append.
/// Two bodies are equal when they are the same JSON value (PostgreSQL's `jsonb` gives back
/// the same value in other text).
#[derive(Debug, Clone)]
pub struct RowBody(String);

impl RowBody {
    /// The body of a record, serialised by serde_json; a value that cannot be serialised
    /// (a map with non-string keys, a bug) is `null`, which `verify` would then show.
    pub fn of<T: Serialize + ?Sized>(record: &T) -> RowBody {
        RowBody(serde_json::to_string(record).unwrap_or_else(|_| "null".to_owned()))
    }

    /// Text that serde_json wrote from a value (JSON by construction, not checked again):
    /// the domain's rows, serialised where the record's type is known.
    pub fn from_serialized(text: String) -> RowBody {
        RowBody(text)
    }

    /// Text read back from a store, checked to be JSON.
    pub fn parse(text: String) -> Result<RowBody, serde_json::Error> {
        serde_json::from_str::<serde::de::IgnoredAny>(&text)?;
        Ok(RowBody(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The body as a JSON value.
    pub fn value(&self) -> serde_json::Value {
        // The text is JSON (written by serde_json or checked by `parse`).
        serde_json::from_str(&self.0).unwrap_or(serde_json::Value::Null)
    }
}

impl From<serde_json::Value> for RowBody {
    fn from(value: serde_json::Value) -> RowBody {
        RowBody(value.to_string())
    }
}

impl PartialEq for RowBody {
    fn eq(&self, other: &RowBody) -> bool {
        self.0 == other.0 || self.value() == other.value()
    }
}

impl Eq for RowBody {}

impl fmt::Display for RowBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for RowBody {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for RowBody {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<RowBody, D::Error> {
        serde_json::Value::deserialize(deserializer).map(RowBody::from)
    }
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

    /// The event an entry records, from its `event_type` and payload text. The default reads
    /// the payload alone; a model whose events are found by their name can use `event_type`
    /// to parse the text once (replay, catch-up and verify decode every event).
    fn decode_event(event_type: &str, payload: &str) -> Result<Self::Event, serde_json::Error> {
        let _ = event_type;
        serde_json::from_str(payload)
    }

    /// The rule ID a refusal names, recorded as the refusal entry's `event_type`.
    fn refusal_rule(refusal: &Self::Refusal) -> &str;

    /// The actor, role and time recorded on every entry of a command.
    fn entry_meta(context: &Self::Context) -> EntryMeta;

    /// The context with `now` as its time, when it asks to be stamped by the ledger's clock
    /// (a command given live, at a bench or through the API); `None` when it carries a planned
    /// time of its own (a replay, the demo's seeding), which the ledger records as given.
    ///
    /// The ledger reads its clock once per batch, under its lock, after catching up, and never
    /// gives a time earlier than its last entry's: the decision's `now` and the entries'
    /// `recorded_at` are then the same instant and grow with the sequence. The default: every
    /// context carries its own time.
    fn stamped(context: &Self::Context, now: jiff::Timestamp) -> Option<Self::Context> {
        let _ = (context, now);
        None
    }

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

#[cfg(test)]
mod row_body_tests {
    use super::RowBody;

    #[test]
    fn bodies_are_equal_when_their_json_values_are() {
        let written = RowBody::of(&serde_json::json!({"b": 1, "a": [true, "x"]}));
        // PostgreSQL's jsonb gives the same value back in its own order and spacing.
        let from_jsonb = RowBody::parse(r#"{"a": [true, "x"], "b": 1}"#.to_owned()).expect("JSON");
        assert_eq!(written, from_jsonb);
        assert_ne!(
            written,
            RowBody::parse(r#"{"a": [true, "x"], "b": 2}"#.to_owned()).expect("JSON")
        );
        assert_eq!(from_jsonb.value()["b"], 1);
    }

    #[test]
    fn text_that_is_not_json_is_not_a_body() {
        assert!(RowBody::parse("{\"a\": ".to_owned()).is_err());
        assert!(RowBody::parse("not json".to_owned()).is_err());
    }
}
