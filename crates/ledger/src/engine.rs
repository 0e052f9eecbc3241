//! The engine: decide a command against the current state and append its outcome.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use crate::canonical::{CanonicalError, to_canonical};
use crate::clock::{SharedClock, SystemClock};
use crate::entry::{ChainError, ChainHead, Digest32, Entry, EntryDraft, EntryKind};
use crate::model::{Model, RowKey};
use crate::store::{AppendBatch, CommandRecord, Store, StoreError};
use crate::witness::{Checkpoint, Witness};

mod pipeline;
pub use pipeline::{Answers, OwnedCommand, Pipeline};

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
    /// A record the command changes was changed since the version its user saw: nothing was
    /// recorded (a lost update refused, not a rule of the domain refusing).
    #[error("{0}")]
    Stale(Box<Stale>),
    /// A command whose planned time is earlier than the ledger's last entry: recorded, it
    /// would make the ledger's times run backwards against its sequence. Nothing was recorded.
    #[error(
        "command {command_id} was not recorded: its time {planned} is earlier than the ledger's last entry ({last}); planned times must not go back"
    )]
    TimeBehind {
        command_id: String,
        planned: jiff::Timestamp,
        last: jiff::Timestamp,
    },
}

/// A record as the user saw it before changing it: the projection row `kind`/`id` must not
/// have been written after ledger entry `seen`. `seen` is either the row's own version (its
/// `StoredRow::updated_seq`) or the ledger's head when the user's view was read
/// ([`Ledger::read_at`]); both say "unchanged since what I saw".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub kind: String,
    pub id: String,
    pub seen: i64,
}

/// Who changed a record since the version a command was made against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    pub kind: String,
    pub id: String,
    pub seen: i64,
    /// The row's version now (the sequence that last wrote it).
    pub current: i64,
    /// The actor and time of the entry that wrote the current version.
    pub changed_by: String,
    pub changed_at: jiff::Timestamp,
}

impl std::fmt::Display for Stale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} was changed by {} at {} (version {}, you saw {}); look again",
            self.kind, self.id, self.changed_by, self.changed_at, self.current, self.seen
        )
    }
}

struct Cache<S> {
    state: S,
    head: ChainHead,
    /// True while `state` holds events of a group not yet committed. If the future appending
    /// a group is dropped (a cancelled request), the flag is still set when the next call
    /// takes the lock, and the state is rebuilt from the ledger.
    stale: bool,
    /// When the last completed catch-up began: everything committed before that instant is in
    /// `state`. Lets concurrent reads share one catch-up (see [`Ledger::read`]).
    caught_up_from: Option<Instant>,
    /// The `recorded_at` of the entry at `head` (`Timestamp::MIN` for an empty chain): no
    /// command is stamped earlier.
    last_at: jiff::Timestamp,
    /// The hash of the ledger's first entry (its identity in a checkpoint), once known.
    genesis: Option<Digest32>,
}

impl<S: Default> Cache<S> {
    /// Forgets the state; the next catch-up replays every entry.
    fn reset(&mut self) {
        self.state = S::default();
        self.head = ChainHead::EMPTY;
        self.stale = false;
        self.caught_up_from = None;
        self.last_at = jiff::Timestamp::MIN;
        self.genesis = None;
    }

    /// Notes a committed entry's place: the head, its time, and the ledger's first hash.
    /// `first` is the sequence and hash of the first entry committed.
    fn advance(
        &mut self,
        head: ChainHead,
        last_at: jiff::Timestamp,
        first: Option<(i64, Digest32)>,
    ) {
        if let Some((1, hash)) = first {
            self.genesis = Some(hash);
        }
        self.head = head;
        self.last_at = last_at;
    }

    /// Whether a catch-up that began at or after `asked` completed: the state then holds
    /// everything committed before `asked`, and a read asked then needs no query of its own.
    fn fresh_for(&self, asked: Instant) -> bool {
        !self.stale && self.caught_up_from.is_some_and(|from| from >= asked)
    }
}

/// The ledger of one domain on one store. Keeps the state in memory and catches up on what
/// other processes appended before each decision. Share it behind an `Arc`; calls from one
/// process are serialised, calls from several processes are kept apart by the store.
pub struct Ledger<M: Model, S: Store> {
    store: S,
    cache: Mutex<Cache<M::State>>,
    max_attempts: u32,
    clock: SharedClock,
    witness: Option<Arc<dyn Witness>>,
}

impl<M: Model, S: Store> Ledger<M, S> {
    /// Opens the ledger, replaying (and checking) every stored entry.
    pub async fn open(store: S) -> Result<Self, LedgerError> {
        let ledger = Ledger {
            store,
            cache: Mutex::new(Cache {
                state: M::State::default(),
                head: ChainHead::EMPTY,
                stale: false,
                caught_up_from: None,
                last_at: jiff::Timestamp::MIN,
                genesis: None,
            }),
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            clock: SystemClock::shared(),
            witness: None,
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

    /// Sets the clock that stamps the commands whose context asks for it
    /// ([`Model::stamped`]); the system's clock by default.
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Reports every commit's chain head to `witness` (see [`crate::witness`]), starting with
    /// the head the ledger was opened at, so that a ledger written before it had a witness is
    /// anchored from its first start with one.
    pub fn with_witness(mut self, witness: Arc<dyn Witness>) -> Self {
        if let Ok(cache) = self.cache.try_lock() {
            report_head(&witness, &cache);
        }
        self.witness = Some(witness);
        self
    }

    /// Tells the witness (if any) the cache's head, just committed.
    fn witness_head(&self, cache: &Cache<M::State>) {
        if let Some(witness) = &self.witness {
            report_head(witness, cache);
        }
    }

    /// The clock the ledger stamps commands with: the one a process shows as "now".
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// Drops the in-memory state; the next command or read replays the ledger. For a caller
    /// done with commands that needs the memory: `sim run` before it verifies, which replays
    /// the ledger into a state of its own.
    pub async fn forget_state(&self) {
        self.cache.lock().await.reset();
    }

    /// A copy of the current state, caught up with the store. This copies the whole state:
    /// prefer [`Ledger::read`] for a query.
    pub async fn state(&self) -> Result<M::State, LedgerError> {
        self.read(|state| state.clone()).await
    }

    /// Answers `query` from the current state, caught up with the store, without copying it.
    /// Commands wait while the query runs: keep it short.
    ///
    /// The answer holds everything committed (by any process) before `read` was called. Reads
    /// waiting for the lock together share one catch-up: a read skips the store's query when a
    /// catch-up that began after the read was called has completed, so that a busy server
    /// does not ask the database once per request, one request at a time.
    pub async fn read<R>(&self, query: impl FnOnce(&M::State) -> R) -> Result<R, LedgerError> {
        self.read_at(query).await.map(|(answer, _)| answer)
    }

    /// As [`Ledger::read`] (sharing its catch-ups), with the sequence of the last entry the
    /// answer reflects: the `seen` of a change the user then makes from it (see [`Expected`]).
    pub async fn read_at<R>(
        &self,
        query: impl FnOnce(&M::State) -> R,
    ) -> Result<(R, i64), LedgerError> {
        let asked = Instant::now();
        let mut cache = self.cache.lock().await;
        if !cache.fresh_for(asked) {
            self.catch_up(&mut cache).await?;
        }
        Ok((query(&cache.state), cache.head.sequence))
    }

    /// Decides `command` and records the outcome: its events (with their projection rows) or
    /// its refusal. A command ID already answered gets that answer, and nothing is appended.
    pub async fn execute(
        &self,
        command_id: &str,
        command: &M::Command,
        context: &M::Context,
    ) -> Result<Receipt<M::Event>, LedgerError> {
        let mut answers = self
            .execute_batch(&[(command_id, command, context)])
            .await?;
        answers
            .pop()
            .unwrap_or_else(|| unreachable!("execute_batch answers every command it is given"))
    }

    /// As [`Ledger::execute`], but only if no record in `expected` was written after the entry
    /// its user saw; otherwise [`LedgerError::Stale`] and nothing is recorded. The check is made
    /// after catching up, under the same lock as the decision, and the append names the chain
    /// head it was made at: a change by another process in between makes the append conflict,
    /// and the retry checks again. A command ID already answered gets its answer unchecked.
    pub async fn execute_expecting(
        &self,
        command_id: &str,
        command: &M::Command,
        context: &M::Context,
        expected: &[Expected],
    ) -> Result<Receipt<M::Event>, LedgerError> {
        let mut answers = self
            .execute_group(&[(command_id, command, context)], expected)
            .await?;
        answers
            .pop()
            .unwrap_or_else(|| unreachable!("execute_group answers every command it is given"))
    }

    /// The first record of `expected` changed since its version, with who changed it.
    async fn first_stale(&self, expected: &[Expected]) -> Result<Option<Stale>, LedgerError> {
        for wanted in expected {
            // A record not on record is left to the domain, which refuses it by name.
            let Some(stored) = self.store.row(&wanted.kind, &wanted.id).await? else {
                continue;
            };
            let current = stored.updated_seq;
            if current <= wanted.seen {
                continue;
            }
            let writer = self
                .store
                .entries_after(current - 1, 1)
                .await?
                .pop()
                .ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "row {} {} names entry {current}, which is not in the ledger",
                        wanted.kind, wanted.id
                    ))
                })?;
            return Ok(Some(Stale {
                kind: wanted.kind.clone(),
                id: wanted.id.clone(),
                seen: wanted.seen,
                current,
                changed_by: writer.actor,
                changed_at: writer.recorded_at,
            }));
        }
        Ok(None)
    }

    /// Decides several commands in order, each against the state the previous ones left, and
    /// records all their outcomes in one transaction (group commit): one answer per command,
    /// as [`Ledger::execute`] would give it. A command ID repeated within the batch gets the
    /// first answer. An error of the whole batch (database, contention) is the outer `Err`;
    /// nothing of the batch was recorded then.
    pub async fn execute_batch(
        &self,
        commands: &[(&str, &M::Command, &M::Context)],
    ) -> Result<Vec<Result<Receipt<M::Event>, LedgerError>>, LedgerError> {
        self.execute_group(commands, &[]).await
    }

    /// `execute_batch` with versions checked before deciding (see `execute_expecting`).
    async fn execute_group(
        &self,
        commands: &[(&str, &M::Command, &M::Context)],
        expected: &[Expected],
    ) -> Result<Vec<Result<Receipt<M::Event>, LedgerError>>, LedgerError> {
        let mut cache = self.cache.lock().await;
        self.execute_group_in(&mut cache, commands, expected).await
    }

    /// `execute_group` under the cache lock its caller holds.
    async fn execute_group_in(
        &self,
        cache: &mut Cache<M::State>,
        commands: &[(&str, &M::Command, &M::Context)],
        expected: &[Expected],
    ) -> Result<Vec<Result<Receipt<M::Event>, LedgerError>>, LedgerError> {
        let encoded = encode_commands::<M>(commands);
        for attempt in 0..self.max_attempts {
            if attempt > 0 {
                let first_id = commands.first().map_or("", |c| c.0);
                tokio::time::sleep(backoff(attempt, first_id)).await;
            }
            self.catch_up(cache).await?;
            let mut recorded = self.recorded_commands(commands).await?;
            if !expected.is_empty()
                && recorded.len() < commands.len()
                && let Some(stale) = self.first_stale(expected).await?
            {
                return Err(LedgerError::Stale(Box::new(stale)));
            }
            // One reading of the clock for the batch, under the lock, after catching up.
            let now = self.clock.now().max(cache.last_at);
            let mut group = Group::<M>::new(cache.head, cache.last_at);
            let answers = self
                .decide_all(cache, &mut group, commands, &encoded, &mut recorded, now)
                .await?;
            if group.entries.is_empty() {
                return Ok(with_attempts(answers, attempt + 1));
            }
            let head = group.head;
            let last_at = group.last_at;
            let first = group.entries.first().map(|e| (e.sequence, e.hash));
            let batch = group.into_batch(&cache.state, cache.head.sequence);
            let appended = self.store.append(batch).await;
            cache.stale = false;
            match appended {
                Ok(()) => {
                    cache.advance(head, last_at, first);
                    self.witness_head(cache);
                    return Ok(with_attempts(answers, attempt + 1));
                }
                Err(e) => {
                    // The state holds events the store refused: start again from the ledger.
                    cache.reset();
                    if !e.is_retryable() {
                        return Err(e.into());
                    }
                }
            }
        }
        Err(LedgerError::Contention {
            command_id: commands.iter().map(|c| c.0).collect::<Vec<_>>().join(", "),
            attempts: self.max_attempts,
        })
    }

    /// The commands of `commands` already answered, by command ID.
    async fn recorded_commands(
        &self,
        commands: &[(&str, &M::Command, &M::Context)],
    ) -> Result<HashMap<String, CommandRecord>, LedgerError> {
        let ids: Vec<&str> = commands.iter().map(|c| c.0).collect();
        Ok(self
            .store
            .commands_by_id(&ids)
            .await?
            .into_iter()
            .map(|record| (record.command_id.clone(), record))
            .collect())
    }

    /// Decides each command of a batch into `group`, in order: a command ID repeated within
    /// the batch or already `recorded` gets its first answer, the others are decided against
    /// the state the previous ones left. The group evolves the cached state in place as it
    /// accepts commands (no copy of the whole state per command); from then until the append
    /// commits, the cache is ahead of the store and is marked stale, so that any way out other
    /// than a commit makes the next catch-up replay the ledger from the start. A command whose
    /// context asks for the clock is decided at `now` (the batch's reading, or the time of
    /// the group's last entry if a planned command of the batch went past it).
    async fn decide_all(
        &self,
        cache: &mut Cache<M::State>,
        group: &mut Group<M>,
        commands: &[(&str, &M::Command, &M::Context)],
        encoded: &[Result<(String, String), CanonicalError>],
        recorded: &mut HashMap<String, CommandRecord>,
        now: jiff::Timestamp,
    ) -> Result<Vec<Result<Receipt<M::Event>, LedgerError>>, LedgerError> {
        let mut answers = Vec::with_capacity(commands.len());
        // The first position of each command ID in the batch, with its command's hash.
        let mut first_seen: HashMap<&str, (usize, &str)> = HashMap::new();
        for (index, (command_id, command, context)) in commands.iter().enumerate() {
            let (json, hash) = match &encoded[index] {
                Ok((json, hash)) => (json, hash),
                Err(e) => {
                    answers.push(Err(LedgerError::Encode(e.clone())));
                    continue;
                }
            };
            let answer = if let Some(&(earlier, earlier_hash)) = first_seen.get(command_id) {
                repeat_within_batch(&answers[earlier], command_id, earlier_hash == hash)
            } else if let Some(record) = recorded.remove(*command_id) {
                first_seen.insert(command_id, (index, hash));
                match self.recorded_answer(record, hash, 1).await {
                    Err(LedgerError::Store(e)) => return Err(e.into()),
                    answer => answer,
                }
            } else {
                first_seen.insert(command_id, (index, hash));
                let stamped = M::stamped(context, now.max(group.last_at));
                let context = stamped.as_ref().unwrap_or(context);
                group.decide(cache, command_id, command, json, hash, context)
            };
            answers.push(answer);
        }
        Ok(answers)
    }

    /// Reads and applies every entry appended since the cache's head.
    async fn catch_up(&self, cache: &mut Cache<M::State>) -> Result<(), LedgerError> {
        if cache.stale {
            cache.reset();
        }
        let began = Instant::now();
        loop {
            let entries = self
                .store
                .entries_after(cache.head.sequence, CATCH_UP_PAGE)
                .await?;
            if entries.is_empty() {
                cache.caught_up_from = Some(began);
                return Ok(());
            }
            for entry in &entries {
                let head = cache.head.check_next(entry)?;
                if let Some(event) = decode_event::<M>(entry)? {
                    M::evolve(&mut cache.state, &event);
                }
                cache.advance(head, entry.recorded_at, Some((entry.sequence, entry.hash)));
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

/// Hands the cache's head to `witness`, once the ledger has an entry.
fn report_head<S>(witness: &Arc<dyn Witness>, cache: &Cache<S>) {
    if let Some(ledger) = cache.genesis {
        witness.committed(Checkpoint {
            ledger,
            sequence: cache.head.sequence,
            head: cache.head.hash,
            recorded_at: cache.last_at,
        });
    }
}

/// Each command's canonical JSON and its SHA-256 (the idempotency check compares hashes).
fn encode_commands<M: Model>(
    commands: &[(&str, &M::Command, &M::Context)],
) -> Vec<Result<(String, String), CanonicalError>> {
    commands
        .iter()
        .map(|(_, command, _)| {
            to_canonical(*command).map(|json| {
                let hash = sha256_hex(&json);
                (json, hash)
            })
        })
        .collect()
}

fn missing(record: &CommandRecord) -> LedgerError {
    StoreError::Corrupt(format!(
        "command {} names entries {}..={} that are not in the ledger",
        record.command_id, record.first_sequence, record.last_sequence
    ))
    .into()
}

/// The event an entry records, or `None` for a refusal. The payload must be the event its
/// `event_type` names.
pub(crate) fn decode_event<M: Model>(entry: &Entry) -> Result<Option<M::Event>, LedgerError> {
    match entry.kind {
        EntryKind::Refusal => Ok(None),
        EntryKind::Event => {
            let event = M::decode_event(&entry.event_type, &entry.payload).map_err(|e| {
                LedgerError::Unreadable {
                    sequence: entry.sequence,
                    reason: e.to_string(),
                }
            })?;
            let name = M::event_name(&event);
            if name != entry.event_type {
                return Err(LedgerError::Unreadable {
                    sequence: entry.sequence,
                    reason: format!(
                        "the entry's event type is {:?} but its payload is a {name:?} event",
                        entry.event_type
                    ),
                });
            }
            Ok(Some(event))
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

/// The answer to a command ID already seen earlier in the same batch.
fn repeat_within_batch<E: Clone>(
    earlier: &Result<Receipt<E>, LedgerError>,
    command_id: &str,
    same_command: bool,
) -> Result<Receipt<E>, LedgerError> {
    match earlier {
        Ok(receipt) if same_command => Ok(Receipt {
            repeated: true,
            ..receipt.clone()
        }),
        _ => Err(LedgerError::CommandIdReused {
            command_id: command_id.to_owned(),
        }),
    }
}

fn with_attempts<E>(
    answers: Vec<Result<Receipt<E>, LedgerError>>,
    attempts: u32,
) -> Vec<Result<Receipt<E>, LedgerError>> {
    answers
        .into_iter()
        .map(|answer| {
            answer.map(|receipt| Receipt {
                attempts,
                ..receipt
            })
        })
        .collect()
}

/// The entries, rows and command records of one transaction being built.
struct Group<M: Model> {
    head: ChainHead,
    /// The `recorded_at` of the entry at `head`: a planned time earlier is refused.
    last_at: jiff::Timestamp,
    entries: Vec<Entry>,
    /// The rows the group's events changed; read from the state once, when the group is
    /// appended (a record touched by several commands of a batch is serialised once).
    rows: BTreeSet<RowKey>,
    commands: Vec<CommandRecord>,
    model: std::marker::PhantomData<M>,
}

impl<M: Model> Group<M> {
    fn new(head: ChainHead, last_at: jiff::Timestamp) -> Self {
        Group {
            head,
            last_at,
            entries: Vec::new(),
            rows: BTreeSet::new(),
            commands: Vec::new(),
            model: std::marker::PhantomData,
        }
    }

    /// Decides one command against the state so far (the cache's state, with the group's
    /// accepted events already applied) and adds what it records.
    fn decide(
        &mut self,
        cache: &mut Cache<M::State>,
        command_id: &str,
        command: &M::Command,
        command_json: &str,
        command_hash: &str,
        context: &M::Context,
    ) -> Result<Receipt<M::Event>, LedgerError> {
        let meta = M::entry_meta(context);
        let at = meta.recorded_at;
        let first = self.head.sequence + 1;
        let decided = M::decide(&cache.state, command, context);
        // A command that records nothing (accepted with no events) leaves the times alone.
        let records = !matches!(&decided, Ok(events) if events.is_empty());
        if records && at < self.last_at {
            return Err(LedgerError::TimeBehind {
                command_id: command_id.to_owned(),
                planned: at,
                last: self.last_at,
            });
        }
        let (drafts, outcome) = match decided {
            Ok(events) if events.is_empty() => {
                return Ok(Receipt {
                    command_id: command_id.to_owned(),
                    first_sequence: self.head.sequence,
                    last_sequence: self.head.sequence,
                    outcome: Outcome::Accepted { events },
                    repeated: false,
                    attempts: 1,
                });
            }
            Ok(events) => {
                let mut drafts = Vec::with_capacity(events.len());
                for (offset, event) in (0i64..).zip(&events) {
                    drafts.push(EntryDraft {
                        sequence: first + offset,
                        meta: meta.clone(),
                        command_id: command_id.to_owned(),
                        kind: EntryKind::Event,
                        event_type: M::event_name(event).to_owned(),
                        payload: to_canonical(event)?,
                    });
                }
                (drafts, Outcome::Accepted { events })
            }
            Err(refusal) => {
                let draft = refusal_draft::<M>(first, meta, command_id, command_json, &refusal)?;
                let outcome = Outcome::Refused {
                    rule: draft.event_type.clone(),
                    message: refusal.to_string(),
                };
                (vec![draft], outcome)
            }
        };
        // Everything that can fail is done: seal the entries, then change the group.
        let mut head = self.head;
        let mut entries = Vec::with_capacity(drafts.len());
        for draft in drafts {
            let entry = draft.seal(head.hash)?;
            head = ChainHead {
                sequence: entry.sequence,
                hash: entry.hash,
            };
            entries.push(entry);
        }
        if let Outcome::Accepted { events } = &outcome {
            cache.stale = true;
            for event in events {
                M::evolve(&mut cache.state, event);
            }
            for event in events {
                self.rows.extend(M::rows_touched(&cache.state, event));
            }
        }
        self.head = head;
        self.last_at = at;
        self.entries.extend(entries);
        let refused = matches!(outcome, Outcome::Refused { .. });
        self.commands.push(CommandRecord {
            command_id: command_id.to_owned(),
            command_hash: command_hash.to_owned(),
            first_sequence: first,
            last_sequence: head.sequence,
            refused,
        });
        Ok(Receipt {
            command_id: command_id.to_owned(),
            first_sequence: first,
            last_sequence: head.sequence,
            outcome,
            repeated: false,
            attempts: 1,
        })
    }

    /// What to append: the rows are read from `state`, the state after the whole group.
    fn into_batch(self, state: &M::State, expected_last: i64) -> AppendBatch {
        let rows = self
            .rows
            .iter()
            .filter_map(|key| M::row(state, key))
            .collect();
        AppendBatch::new(expected_last, self.entries, rows, self.commands)
    }
}

/// The entry of a refusal: kind `refusal`, the rule ID as its type, the command in its payload.
fn refusal_draft<M: Model>(
    sequence: i64,
    meta: crate::entry::EntryMeta,
    command_id: &str,
    command_json: &str,
    refusal: &M::Refusal,
) -> Result<EntryDraft, CanonicalError> {
    let rule = M::refusal_rule(refusal).to_owned();
    let payload = serde_json::json!({
        "command": serde_json::from_str::<serde_json::Value>(command_json)
            .map_err(|e| CanonicalError::Serialize(e.to_string()))?,
        "rule": rule,
        "message": refusal.to_string(),
        "refusal": serde_json::to_value(refusal)
            .map_err(|e| CanonicalError::Serialize(e.to_string()))?,
    });
    Ok(EntryDraft {
        sequence,
        meta,
        command_id: command_id.to_owned(),
        kind: EntryKind::Refusal,
        event_type: rule,
        payload: crate::canonical::canonical_value(&payload)?,
    })
}
