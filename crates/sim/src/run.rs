//! The driver: a stream of steps through the real domain and ledger, in batches (group
//! commit), then `verify` and the invariants.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::time::{Duration, Instant};

use hemaflow_domain::invariants;
use hemaflow_service::ledger::{
    Answers, LedgerError, Outcome, OwnedCommand, StoreError, verify_replaying,
};
use hemaflow_service::{Blood, BloodLedger, OpenError};

use crate::Step;

/// How to run a stream.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Commands per transaction.
    pub batch: usize,
}

impl RunOptions {
    /// Commands per transaction unless told otherwise: measured on the 10 000-donation
    /// stream (BENCHMARKS.md, "Larger batches"), the rate grows up to about 8 000 commands per
    /// transaction and is flat beyond.
    pub const DEFAULT_BATCH: usize = 8192;
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            batch: RunOptions::DEFAULT_BATCH,
        }
    }
}

/// Where a run stands, for a progress line.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub commands: u64,
    /// Bytes of the stream read so far (for an ETA when its size is known).
    pub bytes: u64,
    pub elapsed: Duration,
}

/// What a run did.
#[derive(Clone, Debug, Default)]
pub struct RunReport {
    pub commands: u64,
    pub accepted: u64,
    /// Refused commands by the rule that refused them.
    pub refused: BTreeMap<String, u64>,
    pub events: u64,
    /// Entries in the ledger after the run (events and refusals, all runs).
    pub entries: i64,
    pub elapsed: Duration,
    pub verify_elapsed: Duration,
    /// Donors, donations and components in the state after the run.
    pub donors: usize,
    pub donations: usize,
    pub components: usize,
}

impl RunReport {
    pub fn refused_total(&self) -> u64 {
        self.refused.values().sum()
    }
    pub fn commands_per_second(&self) -> f64 {
        self.commands as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("line {line} of the stream cannot be read: {reason}")]
    Input { line: u64, reason: String },
    #[error("the database cannot be opened: {0}")]
    Open(#[from] OpenError),
    #[error("the ledger failed: {0}")]
    Ledger(#[from] LedgerError),
    #[error("the store failed: {0}")]
    Store(#[from] StoreError),
    #[error("the ledger does not verify after the run: {0}")]
    Verify(String),
    #[error("a domain invariant is broken after the run: {0}")]
    Invariant(String),
}

/// Drive every step of `input` through `ledger`, `options.batch` commands a transaction;
/// `progress` is called after each batch. Batches are pipelined (`Ledger::pipeline`): the
/// next is decided while the previous one commits. Then verify the whole ledger and check
/// the domain invariants on the final state.
pub async fn run<R: BufRead>(
    ledger: &BloodLedger,
    input: R,
    options: &RunOptions,
    mut progress: impl FnMut(Progress),
) -> Result<RunReport, RunError> {
    let started = Instant::now();
    let mut report = RunReport::default();
    let size = options.batch.max(1);
    let mut batch: Vec<OwnedCommand<Blood>> = Vec::with_capacity(size);
    let mut bytes = 0u64;
    let mut pipeline = ledger.pipeline().await?;
    for (number, line) in input.lines().enumerate() {
        let line_number = number as u64 + 1;
        let line = line.map_err(|e| RunError::Input {
            line: line_number,
            reason: e.to_string(),
        })?;
        bytes += line.len() as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let step: Step = serde_json::from_str(&line).map_err(|e| RunError::Input {
            line: line_number,
            reason: e.to_string(),
        })?;
        batch.push((step.id, step.command, step.context));
        if batch.len() >= size {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(size));
            tally(pipeline.submit(full).await?, &mut report)?;
            progress(Progress {
                commands: report.commands,
                bytes,
                elapsed: started.elapsed(),
            });
        }
    }
    if !batch.is_empty() {
        tally(pipeline.submit(batch).await?, &mut report)?;
    }
    tally(pipeline.finish().await?, &mut report)?;
    progress(Progress {
        commands: report.commands,
        bytes,
        elapsed: started.elapsed(),
    });
    report.elapsed = started.elapsed();

    // The invariants are checked on the state replayed from the verified ledger; the run's
    // own state goes first, so that the two are never held at once (at a million donations
    // each is about 9 GB).
    ledger.forget_state().await;
    let verifying = Instant::now();
    let (verified, state) = verify_replaying::<Blood, _>(ledger.store()).await?;
    if let Some(problem) = &verified.problem {
        return Err(RunError::Verify(format!("{problem:?}")));
    }
    report.entries = verified.entries;
    invariants::check(&state).map_err(|v| RunError::Invariant(format!("{v:?}")))?;
    report.verify_elapsed = verifying.elapsed();
    report.donors = state.donors.len();
    report.donations = state.donations.len();
    report.components = state.components.len();
    Ok(report)
}

/// Counts the answers of committed commands.
fn tally(answers: Answers<Blood>, report: &mut RunReport) -> Result<(), RunError> {
    for answer in answers {
        let receipt = answer?;
        report.commands += 1;
        match receipt.outcome {
            Outcome::Accepted { events } => {
                report.accepted += 1;
                report.events += events.len() as u64;
            }
            Outcome::Refused { rule, .. } => *report.refused.entry(rule).or_default() += 1,
        }
    }
    Ok(())
}
