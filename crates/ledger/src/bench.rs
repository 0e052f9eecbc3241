//! The ledger benchmark: commands through the engine against raw inserts of the same rows.

use std::time::Instant;

use crate::canonical::to_canonical;
use crate::engine::{Ledger, LedgerError};
use crate::entry::{ChainHead, Entry, EntryDraft, EntryKind};
use crate::model::{Model, Row};
use crate::store::{AppendBatch, CommandRecord, Store};

/// Figures of one run; rates are commands per second.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchFigures {
    pub commands: u64,
    pub entries: u64,
    /// Through [`Ledger::execute`]: catch up, idempotency lookup, decide, evolve, rows, append;
    /// one transaction per command.
    pub ledger_per_s: f64,
    /// Through [`Ledger::execute_batch`]: the same work, `batch_size` commands per transaction.
    pub ledger_batched_per_s: f64,
    /// The same entries, rows and command records with the SHA-256 chain computed, written
    /// `batch_size` commands per transaction.
    pub raw_batched_per_s: f64,
    pub batch_size: usize,
    /// The same, one transaction per command.
    pub raw_single_per_s: f64,
}

impl BenchFigures {
    /// The engine's group-commit rate as a fraction of the raw batched rate.
    pub fn ratio_batched(&self) -> f64 {
        self.ledger_batched_per_s / self.raw_batched_per_s
    }

    /// The engine's one-transaction-per-command rate as a fraction of the raw rate with one
    /// transaction per command.
    pub fn ratio_single(&self) -> f64 {
        self.ledger_per_s / self.raw_single_per_s
    }
}

impl std::fmt::Display for BenchFigures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} commands ({} entries)", self.commands, self.entries)?;
        writeln!(
            f,
            "raw inserts + SHA-256 chain, {} per transaction: {:>10.0} commands/s",
            self.batch_size, self.raw_batched_per_s
        )?;
        writeln!(
            f,
            "raw inserts + SHA-256 chain, 1 per transaction:   {:>10.0} commands/s",
            self.raw_single_per_s
        )?;
        writeln!(
            f,
            "ledger, {} per transaction (execute_batch):      {:>10.0} commands/s",
            self.batch_size, self.ledger_batched_per_s
        )?;
        writeln!(
            f,
            "ledger, 1 per transaction (execute):             {:>10.0} commands/s",
            self.ledger_per_s
        )?;
        write!(
            f,
            "ratio ledger / raw, batched: {:.1}%; one per transaction: {:.1}%",
            100.0 * self.ratio_batched(),
            100.0 * self.ratio_single()
        )
    }
}

/// One command's work, decided in advance for the raw baselines (outside the timing).
struct Prepared {
    drafts: Vec<EntryDraft>,
    rows: Vec<Row>,
    command_id: String,
    command_hash: String,
    refused: bool,
}

/// The four empty stores of one benchmark run, all of the same kind.
pub struct BenchStores<S> {
    pub raw_batched: S,
    pub raw_single: S,
    pub ledger_batched: S,
    pub ledger_single: S,
}

/// Runs `commands` four times, each into its own empty store: raw inserts batched and one per
/// transaction (the baselines, SHA-256 chain included), then through a [`Ledger`] with
/// [`Ledger::execute_batch`] and with [`Ledger::execute`]. Every command must be decided
/// the same way each time (the same stream from an empty state).
pub async fn bench_ledger<M: Model, S: Store>(
    stores: BenchStores<S>,
    commands: &[(String, M::Command, M::Context)],
    batch_size: usize,
) -> Result<BenchFigures, LedgerError> {
    let batch_size = batch_size.max(1);
    let prepared = prepare::<M>(commands)?;
    let entries: u64 = prepared.iter().map(|p| p.drafts.len() as u64).sum();

    let started = Instant::now();
    insert_raw(&stores.raw_batched, &prepared, batch_size).await?;
    let raw_batched = started.elapsed().as_secs_f64();

    let started = Instant::now();
    insert_raw(&stores.raw_single, &prepared, 1).await?;
    let raw_single = started.elapsed().as_secs_f64();

    let ledger = Ledger::<M, S>::open(stores.ledger_batched).await?;
    let started = Instant::now();
    for chunk in commands.chunks(batch_size) {
        let chunk: Vec<(&str, &M::Command, &M::Context)> = chunk
            .iter()
            .map(|(id, c, ctx)| (id.as_str(), c, ctx))
            .collect();
        for answer in ledger.execute_batch(&chunk).await? {
            answer?;
        }
    }
    let ledger_batched = started.elapsed().as_secs_f64();

    let ledger = Ledger::<M, S>::open(stores.ledger_single).await?;
    let started = Instant::now();
    for (command_id, command, context) in commands {
        ledger.execute(command_id, command, context).await?;
    }
    let through_ledger = started.elapsed().as_secs_f64();

    let n = commands.len() as f64;
    Ok(BenchFigures {
        commands: commands.len() as u64,
        entries,
        ledger_per_s: n / through_ledger,
        ledger_batched_per_s: n / ledger_batched,
        raw_batched_per_s: n / raw_batched,
        batch_size,
        raw_single_per_s: n / raw_single,
    })
}

fn prepare<M: Model>(
    commands: &[(String, M::Command, M::Context)],
) -> Result<Vec<Prepared>, LedgerError> {
    let mut state = M::State::default();
    let mut sequence = 0;
    let mut prepared = Vec::with_capacity(commands.len());
    for (command_id, command, context) in commands {
        let meta = M::entry_meta(context);
        let command_json = to_canonical(command)?;
        let command_hash = crate::engine::sha256_hex(&command_json);
        let (drafts, rows, refused) = match M::decide(&state, command, context) {
            // Accepted with nothing to record: the engine writes nothing for it either.
            Ok(events) if events.is_empty() => continue,
            Ok(events) => {
                let mut drafts = Vec::new();
                for event in &events {
                    M::evolve(&mut state, event);
                    sequence += 1;
                    drafts.push(EntryDraft {
                        sequence,
                        meta: meta.clone(),
                        command_id: command_id.clone(),
                        kind: EntryKind::Event,
                        event_type: M::event_name(event).to_owned(),
                        payload: to_canonical(event)?,
                    });
                }
                let rows = events
                    .iter()
                    .flat_map(|event| M::rows_touched(&state, event))
                    .filter_map(|key| M::row(&state, &key))
                    .collect();
                (drafts, rows, false)
            }
            Err(refusal) => {
                sequence += 1;
                let payload = serde_json::json!({
                    "rule": M::refusal_rule(&refusal),
                    "message": refusal.to_string(),
                });
                let draft = EntryDraft {
                    sequence,
                    meta,
                    command_id: command_id.clone(),
                    kind: EntryKind::Refusal,
                    event_type: M::refusal_rule(&refusal).to_owned(),
                    payload: crate::canonical::canonical_value(&payload)?,
                };
                (vec![draft], Vec::new(), true)
            }
        };
        prepared.push(Prepared {
            drafts,
            rows,
            command_id: command_id.clone(),
            command_hash,
            refused,
        });
    }
    Ok(prepared)
}

/// Hashes the chain and writes `per_transaction` commands per append.
async fn insert_raw<S: Store>(
    store: &S,
    prepared: &[Prepared],
    per_transaction: usize,
) -> Result<(), LedgerError> {
    let mut head = ChainHead::EMPTY;
    for group in prepared.chunks(per_transaction) {
        let expected_last = head.sequence;
        let mut entries: Vec<Entry> = Vec::new();
        let mut rows = Vec::new();
        let mut records = Vec::new();
        for command in group {
            let first = head.sequence + 1;
            for draft in &command.drafts {
                let entry = draft.clone().seal(head.hash)?;
                head = ChainHead {
                    sequence: entry.sequence,
                    hash: entry.hash,
                };
                entries.push(entry);
            }
            rows.extend(command.rows.iter().cloned());
            records.push(CommandRecord {
                command_id: command.command_id.clone(),
                command_hash: command.command_hash.clone(),
                first_sequence: first,
                last_sequence: head.sequence,
                refused: command.refused,
            });
        }
        store
            .append(AppendBatch::new(expected_last, entries, rows, records))
            .await?;
    }
    Ok(())
}
