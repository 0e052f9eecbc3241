//! The engine: decide a command against the current state and append its outcome.

use std::collections::BTreeMap;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use crate::canonical::{CanonicalError, to_canonical};
use crate::entry::{ChainError, ChainHead, Entry, EntryDraft, EntryKind};
use crate::model::{Model, Row};
use crate::store::{AppendBatch, CommandRecord, Store, StoreError};

/// How many entries are read per round trip when catching up.
const CATCH_UP_PAGE: u32 = 1000;
/// How often a command is decided again after another writer appended first.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 64;

/// What a command came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<E> {
    Accepted { events: Vec<E> },
    Refused { rule: String, message: String },
}

/// The answer to a command; a repeated command ID gets the first answer again.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt<E> {
    pub command_id: String,
    /// The entries that record the answer (for a command accepted with no events, both are
    /// the sequence of the ledger's last entry at the time).
    pub first_sequence: i64,
    pub last_sequence: i64,
    pub outcome: Outcome<E>,
    /// True when this is the recorded answer to an earlier submission of the same command ID.
    pub repeated: bool,
    /// How many times the command was decided (more than 1 when other writers appended first).
    pub attempts: u32,
}

/// Why a command could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "command {command_id} was not recorded: other writers kept appending first ({attempts} attempts); submit it again"
    )]
    Contention { command_id: String, attempts: u32 },
    #[error(
        "command ID {command_id} was already used for a different command; a retry must repeat the command exactly"
    )]
    CommandIdReused { command_id: String },
    #[error("the stored ledger is broken: {0}")]
    Chain(#[from] ChainError),
    #[error("entry {sequence} cannot be read as this domain's event: {reason}")]
    Unreadable { sequence: i64, reason: String },
    #[error("cannot encode the command or its events: {0}")]
    Encode(#[from] CanonicalError),
}

struct Cache<S> {
    state: S,
    head: ChainHead,
}

/// The ledger of one domain on one store. Keeps the state in memory and catches up on what
/// other processes appended before each decision. Share it behind an `Arc`; calls from one
/// process are serialised, calls from several processes are kept apart by the store.
pub struct Ledger<M: Model, S: Store> {
    store: S,
    cache: Mutex<Cache<M::State>>,
    max_attempts: u32,
}

impl<M: Model, S: Store> Ledger<M, S> {
    /// Opens the ledger, replaying (and checking) every stored entry.
    pub async fn open(store: S) -> Result<Self, LedgerError> {
        let ledger = Ledger {
            store,
            cache: Mutex::new(Cache {
                state: M::State::default(),
                head: ChainHead::EMPTY,
            }),
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        };
        {
            let mut cache = ledger.cache.lock().await;
            ledger.catch_up(&mut cache).await?;
        }
        Ok(ledger)
    }

    /// Sets how many times a command is decided again when other writers append first.
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// A copy of the current state, caught up with the store.
    pub async fn state(&self) -> Result<M::State, LedgerError> {
        let mut cache = self.cache.lock().await;
        self.catch_up(&mut cache).await?;
        Ok(cache.state.clone())
    }

    /// Decides `command` and records the outcome: its events (with their projection rows) or
    /// its refusal. A command ID already answered gets that answer, and nothing is appended.
    pub async fn execute(
        &self,
        command_id: &str,
        command: &M::Command,
        context: &M::Context,
    ) -> Result<Receipt<M::Event>, LedgerError> {
        let command_json = to_canonical(command)?;
        let command_hash = sha256_hex(&command_json);
        let mut cache = self.cache.lock().await;
        for attempt in 0..self.max_attempts {
            if attempt > 0 {
                tokio::time::sleep(backoff(attempt, command_id)).await;
            }
            self.catch_up(&mut cache).await?;
            if let Some(record) = self.store.command(command_id).await? {
                return self
                    .recorded_answer(record, &command_hash, attempt + 1)
                    .await;
            }
            let planned = plan::<M>(
                &cache,
                command_id,
                command,
                &command_json,
                &command_hash,
                context,
            )?;
            let Some(planned) = planned else {
                return Ok(Receipt {
                    command_id: command_id.to_owned(),
                    first_sequence: cache.head.sequence,
                    last_sequence: cache.head.sequence,
                    outcome: Outcome::Accepted { events: Vec::new() },
                    repeated: false,
                    attempts: attempt + 1,
                });
            };
            match self.store.append(planned.batch).await {
                Ok(()) => {
                    if let Some(state) = planned.state {
                        cache.state = state;
                    }
                    cache.head = planned.head;
                    return Ok(Receipt {
                        attempts: attempt + 1,
                        ..planned.receipt
                    });
                }
                Err(e) if e.is_retryable() => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(LedgerError::Contention {
            command_id: command_id.to_owned(),
            attempts: self.max_attempts,
        })
    }

    /// Reads and applies every entry appended since the cache's head.
    async fn catch_up(&self, cache: &mut Cache<M::State>) -> Result<(), LedgerError> {
        loop {
            let entries = self
                .store
                .entries_after(cache.head.sequence, CATCH_UP_PAGE)
                .await?;
            if entries.is_empty() {
                return Ok(());
            }
            for entry in &entries {
                let head = cache.head.check_next(entry)?;
                if let Some(event) = decode_event::<M>(entry)? {
                    M::evolve(&mut cache.state, &event);
                }
                cache.head = head;
            }
        }
    }

    async fn recorded_answer(
        &self,
        record: CommandRecord,
        command_hash: &str,
        attempts: u32,
    ) -> Result<Receipt<M::Event>, LedgerError> {
        // An imported record has no command hash (an export holds events, not commands).
        if !record.command_hash.is_empty() && record.command_hash != command_hash {
            return Err(LedgerError::CommandIdReused {
                command_id: record.command_id,
            });
        }
        let count =
            u32::try_from(record.last_sequence - record.first_sequence + 1).map_err(|_| {
                StoreError::Corrupt(format!("command {} spans no entries", record.command_id))
            })?;
        let entries = self
            .store
            .entries_after(record.first_sequence - 1, count)
            .await?;
        let outcome = if record.refused {
            let entry = entries.first().ok_or_else(|| missing(&record))?;
            refusal_of(entry)?
        } else {
            let mut events = Vec::with_capacity(entries.len());
            for entry in &entries {
                events.extend(decode_event::<M>(entry)?);
            }
            Outcome::Accepted { events }
        };
        Ok(Receipt {
            command_id: record.command_id,
            first_sequence: record.first_sequence,
            last_sequence: record.last_sequence,
            outcome,
            repeated: true,
            attempts,
        })
    }
}

fn missing(record: &CommandRecord) -> LedgerError {
    StoreError::Corrupt(format!(
        "command {} names entries {}..={} that are not in the ledger",
        record.command_id, record.first_sequence, record.last_sequence
    ))
    .into()
}

/// The event an entry records, or `None` for a refusal.
pub(crate) fn decode_event<M: Model>(entry: &Entry) -> Result<Option<M::Event>, LedgerError> {
    match entry.kind {
        EntryKind::Refusal => Ok(None),
        EntryKind::Event => {
            serde_json::from_str(&entry.payload)
                .map(Some)
                .map_err(|e| LedgerError::Unreadable {
                    sequence: entry.sequence,
                    reason: e.to_string(),
                })
        }
    }
}

fn refusal_of<E>(entry: &Entry) -> Result<Outcome<E>, LedgerError> {
    #[derive(serde::Deserialize)]
    struct Recorded {
        rule: String,
        message: String,
    }
    let recorded: Recorded =
        serde_json::from_str(&entry.payload).map_err(|e| LedgerError::Unreadable {
            sequence: entry.sequence,
            reason: e.to_string(),
        })?;
    Ok(Outcome::Refused {
        rule: recorded.rule,
        message: recorded.message,
    })
}

pub(crate) fn sha256_hex(text: &str) -> String {
    crate::entry::Digest32(Sha256::digest(text.as_bytes()).into()).to_hex()
}

/// Exponential backoff with jitter, so that writers that collided do not collide again.
fn backoff(attempt: u32, command_id: &str) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write(command_id.as_bytes());
    hasher.write_u32(attempt);
    let ceiling_us = 200u64 << attempt.min(7); // at most 25.6 ms
    Duration::from_micros(hasher.finish() % ceiling_us)
}

struct Planned<St, E> {
    batch: AppendBatch,
    /// The state after the events; `None` for a refusal, which changes nothing.
    state: Option<St>,
    head: ChainHead,
    receipt: Receipt<E>,
}

type PlannedFor<M> = Planned<<M as Model>::State, <M as Model>::Event>;

/// Decides the command against the cached state and builds the entries and rows to append.
/// `None` when the command was accepted with no events (nothing to record).
fn plan<M: Model>(
    cache: &Cache<M::State>,
    command_id: &str,
    command: &M::Command,
    command_json: &str,
    command_hash: &str,
    context: &M::Context,
) -> Result<Option<PlannedFor<M>>, LedgerError> {
    let meta = M::entry_meta(context);
    let first = cache.head.sequence + 1;
    // The state is cloned only for an accepted command: the cache keeps the old one until
    // the append has committed.
    let mut new_state = None;
    let (drafts, rows, outcome) = match M::decide(&cache.state, command, context) {
        Ok(events) if events.is_empty() => return Ok(None),
        Ok(events) => {
            let state = new_state.insert(cache.state.clone());
            let mut drafts = Vec::with_capacity(events.len());
            for (offset, event) in (0i64..).zip(&events) {
                M::evolve(state, event);
                drafts.push(EntryDraft {
                    sequence: first + offset,
                    meta: meta.clone(),
                    command_id: command_id.to_owned(),
                    kind: EntryKind::Event,
                    event_type: M::event_name(event).to_owned(),
                    payload: to_canonical(event)?,
                });
            }
            let rows = rows_after::<M>(state, &events);
            (drafts, rows, Outcome::Accepted { events })
        }
        Err(refusal) => {
            let rule = M::refusal_rule(&refusal).to_owned();
            let message = refusal.to_string();
            let payload = serde_json::json!({
                "command": serde_json::from_str::<serde_json::Value>(command_json)
                    .map_err(|e| CanonicalError::Serialize(e.to_string()))?,
                "rule": rule,
                "message": message,
                "refusal": serde_json::to_value(&refusal)
                    .map_err(|e| CanonicalError::Serialize(e.to_string()))?,
            });
            let draft = EntryDraft {
                sequence: first,
                meta,
                command_id: command_id.to_owned(),
                kind: EntryKind::Refusal,
                event_type: rule.clone(),
                payload: crate::canonical::canonical_value(&payload)?,
            };
            (vec![draft], Vec::new(), Outcome::Refused { rule, message })
        }
    };
    let mut entries = Vec::with_capacity(drafts.len());
    let mut head = cache.head;
    for draft in drafts {
        let entry = draft.seal(head.hash)?;
        head = ChainHead {
            sequence: entry.sequence,
            hash: entry.hash,
        };
        entries.push(entry);
    }
    let refused = matches!(outcome, Outcome::Refused { .. });
    let record = CommandRecord {
        command_id: command_id.to_owned(),
        command_hash: command_hash.to_owned(),
        first_sequence: first,
        last_sequence: head.sequence,
        refused,
    };
    Ok(Some(Planned {
        batch: AppendBatch {
            expected_last: cache.head.sequence,
            entries,
            rows,
            commands: vec![record],
        },
        state: new_state,
        head,
        receipt: Receipt {
            command_id: command_id.to_owned(),
            first_sequence: first,
            last_sequence: head.sequence,
            outcome,
            repeated: false,
            attempts: 1,
        },
    }))
}

/// The rows the events touched, each read from the state after all of them (one row per key).
fn rows_after<M: Model>(state: &M::State, events: &[M::Event]) -> Vec<Row> {
    let mut rows = BTreeMap::new();
    for event in events {
        for row in M::rows_touched(state, event) {
            rows.insert((row.kind.clone(), row.id.clone()), row);
        }
    }
    rows.into_values().collect()
}
