//! Pipelined group commit for one writer with a long stream of commands (a replay, a
//! migration, the national workload): the next batch is decided while the previous one
//! commits, so that the domain's work and the database's work run on two cores.
//!
//! Every guarantee of [`Ledger::execute_batch`] holds: a batch is decided against the state
//! the previous batches left, each command's answer is given only once its entries are
//! committed, a command ID already answered (in the store, in the batch, or in the batch still
//! committing) gets its first answer, and other processes appending to the same store are
//! kept apart by the store: an append that finds the chain moved fails as a whole, and both
//! the failed batch and the one decided after it are decided again from the ledger.

use std::collections::HashSet;

use tokio::sync::MutexGuard;
use tokio::task::JoinHandle;

use super::{Cache, Group, Ledger, LedgerError, Receipt, encode_commands, with_attempts};
use crate::entry::ChainHead;
use crate::model::Model;
use crate::store::{Store, StoreError};

/// One command of a pipelined batch, owned: the pipeline keeps a batch until it commits, to
/// decide it again if its append fails.
pub type OwnedCommand<M> = (String, <M as Model>::Command, <M as Model>::Context);

/// The answers of a batch, in the order of its commands.
pub type Answers<M> = Vec<Result<Receipt<<M as Model>::Event>, LedgerError>>;

/// A batch whose entries are being appended.
struct InFlight<M: Model> {
    commands: Vec<OwnedCommand<M>>,
    answers: Answers<M>,
    /// The chain head once the append commits.
    head: ChainHead,
    /// The `recorded_at` of the entry at `head`.
    last_at: jiff::Timestamp,
    /// The batch's first entry (the ledger's identity when it is entry 1).
    first: Option<(i64, crate::entry::Digest32)>,
    append: JoinHandle<Result<(), StoreError>>,
}

/// A writer holding the ledger for a stream of batches ([`Ledger::pipeline`]). Other callers
/// of the same `Ledger` wait until it is finished or dropped; dropping it with a batch in
/// flight leaves the state to be rebuilt from the ledger by the next caller.
pub struct Pipeline<'a, M: Model, S: Store + Clone + 'static> {
    ledger: &'a Ledger<M, S>,
    cache: MutexGuard<'a, Cache<M::State>>,
    in_flight: Option<InFlight<M>>,
}

impl<M: Model, S: Store + Clone + 'static> Ledger<M, S> {
    /// Takes the ledger for a stream of batches, caught up with the store: see [`Pipeline`].
    pub async fn pipeline(&self) -> Result<Pipeline<'_, M, S>, LedgerError> {
        let mut cache = self.cache.lock().await;
        self.catch_up(&mut cache).await?;
        Ok(Pipeline {
            ledger: self,
            cache,
            in_flight: None,
        })
    }
}

impl<M: Model, S: Store + Clone + 'static> Pipeline<'_, M, S> {
    /// Decides `commands` and starts appending them; returns the answers of every command
    /// committed meanwhile (those of the batch submitted before, once it committed), in order.
    /// An `Err` means that no command without an answer yet was recorded.
    pub async fn submit(
        &mut self,
        commands: Vec<OwnedCommand<M>>,
    ) -> Result<Answers<M>, LedgerError> {
        if self.repeats_in_flight(&commands) {
            // Its answer must come from the committed record: let the batch before commit.
            let mut answers = self.finish_in_flight().await?;
            answers.extend(self.decide_and_append(commands).await?);
            return Ok(answers);
        }
        self.decide_and_append(commands).await
    }

    /// Waits for the last batch to commit; returns its answers.
    pub async fn finish(mut self) -> Result<Answers<M>, LedgerError> {
        self.finish_in_flight().await
    }

    fn repeats_in_flight(&self, commands: &[OwnedCommand<M>]) -> bool {
        let Some(in_flight) = &self.in_flight else {
            return false;
        };
        let ids: HashSet<&str> = in_flight.commands.iter().map(|c| c.0.as_str()).collect();
        commands.iter().any(|c| ids.contains(c.0.as_str()))
    }

    /// Decides `commands` on the state after the batch in flight, then waits for that batch
    /// to commit before starting this one's append (one append at a time keeps the chain in
    /// order and lets a failure be retried batch by batch).
    async fn decide_and_append(
        &mut self,
        commands: Vec<OwnedCommand<M>>,
    ) -> Result<Answers<M>, LedgerError> {
        let ledger = self.ledger;
        let borrowed = borrow::<M>(&commands);
        let encoded = encode_commands::<M>(&borrowed);
        let mut recorded = ledger.recorded_commands(&borrowed).await?;
        let head = self.in_flight.as_ref().map_or(self.cache.head, |f| f.head);
        let last_at = self
            .in_flight
            .as_ref()
            .map_or(self.cache.last_at, |f| f.last_at);
        let now = ledger.clock.now().max(last_at);
        let mut group = Group::<M>::new(head, last_at);
        let answers = ledger
            .decide_all(
                &mut self.cache,
                &mut group,
                &borrowed,
                &encoded,
                &mut recorded,
                now,
            )
            .await?;
        let batch = (!group.entries.is_empty()).then(|| {
            let head = group.head;
            let last_at = group.last_at;
            let first = group.entries.first().map(|e| (e.sequence, e.hash));
            (
                (head, last_at, first),
                group.into_batch(&self.cache.state, self.in_flight_last()),
            )
        });
        let mut committed = match self.finish_in_flight_keeping_state().await? {
            Committed::Answers(answers) => answers,
            Committed::Retried(answers) => {
                // The state this batch was decided on is gone: decide it again.
                let mut all = answers;
                all.extend(self.decide_again(&commands).await?);
                return Ok(all);
            }
        };
        let Some(((head, last_at, first), batch)) = batch else {
            // Nothing in flight any more: the state is the store's.
            self.cache.stale = false;
            committed.extend(with_attempts(answers, 1));
            return Ok(committed);
        };
        let store = ledger.store.clone();
        self.in_flight = Some(InFlight {
            commands,
            answers: with_attempts(answers, 1),
            head,
            last_at,
            first,
            append: tokio::spawn(async move { store.append(batch).await }),
        });
        Ok(committed)
    }

    /// The sequence the next append expects to follow.
    fn in_flight_last(&self) -> i64 {
        self.in_flight
            .as_ref()
            .map_or(self.cache.head.sequence, |f| f.head.sequence)
    }

    /// Waits for the batch in flight; the cache is up to date after it.
    async fn finish_in_flight(&mut self) -> Result<Answers<M>, LedgerError> {
        let answers = match self.finish_in_flight_keeping_state().await? {
            Committed::Answers(answers) | Committed::Retried(answers) => answers,
        };
        self.cache.stale = false;
        Ok(answers)
    }

    /// Waits for the batch in flight to commit. If its append failed in a way worth
    /// retrying, the state (which may hold a later batch's events too) is rebuilt from the
    /// ledger and the batch is decided and appended again the ordinary way.
    async fn finish_in_flight_keeping_state(&mut self) -> Result<Committed<M>, LedgerError> {
        let Some(in_flight) = self.in_flight.take() else {
            return Ok(Committed::Answers(Vec::new()));
        };
        let appended = in_flight.append.await.unwrap_or_else(|join| {
            Err(StoreError::Backend(
                format!("the append of a batch stopped: {join}").into(),
            ))
        });
        match appended {
            Ok(()) => {
                self.cache
                    .advance(in_flight.head, in_flight.last_at, in_flight.first);
                self.ledger.witness_head(&self.cache);
                Ok(Committed::Answers(in_flight.answers))
            }
            Err(e) => {
                self.cache.reset();
                if !e.is_retryable() {
                    return Err(e.into());
                }
                let answers = self.decide_again(&in_flight.commands).await?;
                Ok(Committed::Retried(answers))
            }
        }
    }

    /// Decides and appends `commands` again with the retries of [`Ledger::execute_batch`];
    /// each answer counts the decision made before as one more attempt.
    async fn decide_again(
        &mut self,
        commands: &[OwnedCommand<M>],
    ) -> Result<Answers<M>, LedgerError> {
        let answers = self
            .ledger
            .execute_group_in(&mut self.cache, &borrow::<M>(commands), &[])
            .await?;
        Ok(answers
            .into_iter()
            .map(|answer| {
                answer.map(|receipt| Receipt {
                    attempts: receipt.attempts + 1,
                    ..receipt
                })
            })
            .collect())
    }
}

/// What waiting for the batch in flight came to.
enum Committed<M: Model> {
    /// It committed as decided (or there was none).
    Answers(Answers<M>),
    /// Its append failed and it was decided and appended again: the state changed under any
    /// batch decided after it.
    Retried(Answers<M>),
}

fn borrow<M: Model>(commands: &[OwnedCommand<M>]) -> Vec<(&str, &M::Command, &M::Context)> {
    commands
        .iter()
        .map(|(id, c, x)| (id.as_str(), c, x))
        .collect()
}
