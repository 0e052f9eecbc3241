//! Export (JSON lines, one entry per line, then a trailer) and import into an empty database.
//!
//! The trailer is the last line, `{"trailer":{"checkpoint":…,"entries":N,"last_hash":"…"}}`:
//! how many entries the export holds, the last one's hash, and the last signed checkpoint of
//! the ledger's witness when the exporter had one (carried as it was written, for whoever
//! holds the public key). An export cut short (a full disk, a broken pipe) lacks it, and
//! import refuses it rather than take a shorter ledger for the whole one.

use std::io::{BufRead, Write};

use crate::engine::{LedgerError, decode_event};
use crate::entry::{ChainError, ChainHead, Digest32, Entry};
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
    #[error(
        "export cut short: {entries} entries, trailer missing; nothing was imported (an export written before trailers is imported with --without-trailer)"
    )]
    CutShort { entries: u64 },
    #[error("the export's trailer (line {line}) does not match it: {reason}; nothing was imported")]
    Trailer { line: u64, reason: String },
}

/// The last line of an export.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trailer {
    /// The witness's last checkpoint line, as written (see `hemaflow-anchor`), if any.
    pub checkpoint: Option<serde_json::Value>,
    pub entries: u64,
    pub last_hash: Digest32,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TrailerLine {
    trailer: Trailer,
}

/// How strict an import is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Accept an export without a trailer (one written before exports had them).
    pub without_trailer: bool,
}

/// Writes every entry as one JSON line, then the trailer; returns how many entries.
pub async fn export<S: Store, W: Write>(store: &S, out: W) -> Result<u64, TransferError> {
    export_with(store, out, None).await
}

/// [`export`], the trailer carrying `checkpoint` (the witness's last line).
pub async fn export_with<S: Store, W: Write>(
    store: &S,
    mut out: W,
    checkpoint: Option<serde_json::Value>,
) -> Result<u64, TransferError> {
    let mut last_hash = Digest32::GENESIS;
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
            last_hash = entry.hash;
        }
    }
    let trailer = TrailerLine {
        trailer: Trailer {
            checkpoint,
            entries: count,
            last_hash,
        },
    };
    let line = serde_json::to_string(&trailer).map_err(|e| TransferError::Encode(e.to_string()))?;
    writeln!(out, "{line}").map_err(TransferError::Write)?;
    out.flush().map_err(TransferError::Write)?;
    Ok(count)
}

/// The trailer, if `line` is one.
fn trailer_of(line: &str, number: u64) -> Result<Option<Trailer>, TransferError> {
    if !line.trim_start().starts_with("{\"trailer\"") {
        return Ok(None);
    }
    serde_json::from_str::<TrailerLine>(line)
        .map(|t| Some(t.trailer))
        .map_err(|e| TransferError::Trailer {
            line: number,
            reason: format!("it is not a trailer: {e}"),
        })
}

/// Checks the trailer (if any, and whether one was needed) against what was read.
fn check_trailer(
    trailer: Option<(u64, Trailer)>,
    entries: u64,
    head: ChainHead,
    options: ImportOptions,
) -> Result<(), TransferError> {
    let Some((line, trailer)) = trailer else {
        return if options.without_trailer {
            Ok(())
        } else {
            Err(TransferError::CutShort { entries })
        };
    };
    if trailer.entries != entries {
        return Err(TransferError::Trailer {
            line,
            reason: format!(
                "it counts {} entries, the export holds {entries}",
                trailer.entries
            ),
        });
    }
    if trailer.last_hash != head.hash {
        return Err(TransferError::Trailer {
            line,
            reason: format!(
                "it names the last hash {}, the export's last entry has {}",
                trailer.last_hash, head.hash
            ),
        });
    }
    Ok(())
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
    import_with::<M, S, R>(store, input, ImportOptions::default()).await
}

/// [`import`] with its options: an export without a trailer is refused unless
/// `without_trailer`; a trailer that does not match the export always is.
pub async fn import_with<M: Model, S: Store, R: BufRead>(
    store: &S,
    input: R,
    options: ImportOptions,
) -> Result<VerifyReport, TransferError> {
    refuse_if_not_empty(store).await?;
    let mut trailer: Option<(u64, Trailer)> = None;
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
        if let Some((at, _)) = &trailer {
            return Err(TransferError::Trailer {
                line: *at,
                reason: format!("line {number} follows it"),
            });
        }
        if let Some(found) = trailer_of(&line, number)? {
            trailer = Some((number, found));
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
    check_trailer(trailer, entries.len() as u64, head, options)?;
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
