//! Export (JSON lines, one entry per line) and import into an empty database.

use std::io::{BufRead, Write};

use crate::engine::{LedgerError, decode_event};
use crate::entry::{ChainError, ChainHead, Entry};
use crate::model::Model;
use crate::store::{AppendBatch, CommandRecord, Store, StoreError};
use crate::verify::{Span, VerifyReport, extend_span, verify};

const PAGE: u32 = 1000;

/// Why an export or import stopped.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the export: {0}")]
    Write(#[source] std::io::Error),
    #[error("cannot read the import at line {line}: {source}")]
    Read {
        line: u64,
        #[source]
        source: std::io::Error,
    },
    #[error("line {line} of the import is not a ledger entry: {reason}")]
    BadLine { line: u64, reason: String },
    #[error("line {line} of the import breaks the chain: {source}; nothing was imported")]
    Chain {
        line: u64,
        #[source]
        source: ChainError,
    },
    #[error(
        "line {line} of the import is not an event of this domain: {reason}; nothing was imported"
    )]
    BadEvent { line: u64, reason: String },
    #[error(
        "command {command_id} appears at entry {sequence} apart from its earlier entries; nothing was imported"
    )]
    SplitCommand { command_id: String, sequence: i64 },
    #[error(
        "cannot import into a database that is not empty ({0}); import needs an empty database"
    )]
    NotEmpty(String),
    #[error("the imported ledger does not verify: {0}")]
    Verify(String),
    #[error("cannot encode the export: {0}")]
    Encode(String),
}

/// Writes every entry as one JSON line; returns how many.
pub async fn export<S: Store, W: Write>(store: &S, mut out: W) -> Result<u64, TransferError> {
    let mut after = 0;
    let mut count = 0;
    loop {
        let entries = store.entries_after(after, PAGE).await?;
        let Some(last) = entries.last() else { break };
        after = last.sequence;
        for entry in &entries {
            let line = entry
                .to_json_line()
                .map_err(|e| TransferError::Encode(e.to_string()))?;
            writeln!(out, "{line}").map_err(TransferError::Write)?;
            count += 1;
        }
    }
    out.flush().map_err(TransferError::Write)?;
    Ok(count)
}

/// Reads an export, checks its chain and replays it, writes it into an empty database in one
/// transaction (entries, command records, rebuilt projections), then verifies the database.
///
/// Imported command records carry no command hash (the export holds events, not commands),
/// so a retry of an imported command ID is answered without comparing the command.
pub async fn import<M: Model, S: Store, R: BufRead>(
    store: &S,
    input: R,
) -> Result<VerifyReport, TransferError> {
    refuse_if_not_empty(store).await?;
    let mut state = M::State::default();
    let mut head = ChainHead::EMPTY;
    let mut entries: Vec<Entry> = Vec::new();
    let mut spans: Vec<Span> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (index, line) in input.lines().enumerate() {
        let number = index as u64 + 1;
        let line = line.map_err(|source| TransferError::Read {
            line: number,
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let entry = Entry::from_json_line(&line).map_err(|reason| TransferError::BadLine {
            line: number,
            reason,
        })?;
        head = head
            .check_next(&entry)
            .map_err(|source| TransferError::Chain {
                line: number,
                source,
            })?;
        match decode_event::<M>(&entry) {
            Ok(Some(event)) => M::evolve(&mut state, &event),
            Ok(None) => {}
            Err(LedgerError::Unreadable { reason, .. }) => {
                return Err(TransferError::BadEvent {
                    line: number,
                    reason,
                });
            }
            Err(e) => return Err(TransferError::Verify(e.to_string())),
        }
        if let Some(span) = extend_span(spans.last_mut(), &entry) {
            if !seen.insert(entry.command_id.clone()) {
                return Err(TransferError::SplitCommand {
                    command_id: entry.command_id,
                    sequence: entry.sequence,
                });
            }
            spans.push(span);
        }
        entries.push(entry);
    }
    let commands = spans
        .into_iter()
        .map(|span| CommandRecord {
            command_id: span.command_id,
            command_hash: String::new(),
            first_sequence: span.first,
            last_sequence: span.last,
            refused: span.refused,
        })
        .collect();
    let batch = AppendBatch::new(0, entries, M::all_rows(&state), commands);
    store.import(batch).await.map_err(|e| match e {
        StoreError::NotEmpty {
            entries,
            rows,
            commands,
        } => TransferError::NotEmpty(format!(
            "it holds {entries} entries, {rows} projection rows and {commands} command records"
        )),
        other => TransferError::Store(other),
    })?;
    let report = verify::<M, S>(store).await?;
    match &report.problem {
        None => Ok(report),
        Some(problem) => Err(TransferError::Verify(problem.to_string())),
    }
}

async fn refuse_if_not_empty<S: Store>(store: &S) -> Result<(), TransferError> {
    let head = store.head().await?;
    let rows = store.all_rows_after(("", ""), 1).await?;
    let commands = store.commands_after(0, 1).await?;
    if head.sequence > 0 || !rows.is_empty() || !commands.is_empty() {
        return Err(TransferError::NotEmpty(if head.sequence > 0 {
            format!("its ledger has {} entries", head.sequence)
        } else {
            "it holds projection rows or command records".to_owned()
        }));
    }
    Ok(())
}
