//! `verify`: recompute every hash, replay every event, compare with what is stored.

use std::collections::{BTreeSet, VecDeque};
use std::fmt;

use crate::canonical::to_canonical;
use crate::engine::{LedgerError, decode_event};
use crate::entry::{ChainError, ChainHead};
use crate::model::{Model, Row, RowKey};
use crate::store::{CommandRecord, Store, StoreError};

const PAGE: u32 = 1000;

/// The first disagreement found, in the order: chain, events, command records, rows.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    Chain(ChainError),
    /// The entry is intact but its payload is not an event of this domain.
    UnreadableEvent {
        sequence: i64,
        reason: String,
    },
    /// The command records (idempotency) disagree with the entries.
    CommandRecord {
        command_id: String,
        reason: String,
    },
    /// A stored projection row differs from the rebuilt one.
    RowDiffers {
        kind: String,
        id: String,
        stored: Box<Row>,
        rebuilt: Box<Row>,
    },
    /// The rebuild has this row; the store does not.
    RowMissing {
        kind: String,
        id: String,
    },
    /// The store has this row; the rebuild does not.
    RowUnexpected {
        kind: String,
        id: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Chain(e) => write!(f, "{e}"),
            Problem::UnreadableEvent { sequence, reason } => {
                write!(f, "entry {sequence} is not a readable event: {reason}")
            }
            Problem::CommandRecord { command_id, reason } => {
                write!(
                    f,
                    "the record of command {command_id} disagrees with the ledger: {reason}"
                )
            }
            Problem::RowDiffers {
                kind,
                id,
                stored,
                rebuilt,
            } => write!(
                f,
                "projection row {kind} {id} differs from the ledger: stored status {:?} body {}, rebuilt status {:?} body {}",
                stored.status, stored.body, rebuilt.status, rebuilt.body
            ),
            Problem::RowMissing { kind, id } => {
                write!(f, "projection row {kind} {id} is missing from the store")
            }
            Problem::RowUnexpected { kind, id } => write!(
                f,
                "projection row {kind} {id} is in the store but no entry of the ledger makes it"
            ),
        }
    }
}

/// What `verify` checked and the first disagreement, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifyReport {
    pub entries: i64,
    pub commands: u64,
    pub rows: u64,
    pub problem: Option<Problem>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.problem.is_none()
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            None => write!(
                f,
                "ledger verified: {} entries, {} commands, {} projection rows agree",
                self.entries, self.commands, self.rows
            ),
            Some(problem) => write!(f, "ledger does NOT verify: {problem}"),
        }
    }
}

/// A command's entries as the ledger shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Span {
    pub command_id: String,
    pub first: i64,
    pub last: i64,
    pub refused: bool,
}

/// Recomputes every hash, replays every event into a fresh state, and compares the command
/// records and every projection row with the store. Database errors are errors; any
/// disagreement is reported in [`VerifyReport::problem`], naming the first entry or row.
pub async fn verify<M: Model, S: Store>(store: &S) -> Result<VerifyReport, StoreError> {
    Ok(verify_replaying::<M, S>(store).await?.0)
}

/// [`verify`], also giving the state replayed from the ledger (complete when no problem is
/// reported), for checks of the domain's invariants that need not replay it again.
pub async fn verify_replaying<M: Model, S: Store>(
    store: &S,
) -> Result<(VerifyReport, M::State), StoreError> {
    let mut report = VerifyReport {
        entries: 0,
        commands: 0,
        rows: 0,
        problem: None,
    };
    let mut state = M::State::default();
    let mut head = ChainHead::EMPTY;
    let mut commands = CommandCheck::default();
    loop {
        let entries = store.entries_after(head.sequence, PAGE).await?;
        if entries.is_empty() {
            break;
        }
        for entry in &entries {
            let decoded = decode_event::<M>(entry);
            // An event that writes back to the very text stored has a canonical payload.
            let canonical = matches!(&decoded, Ok(Some(event))
                if to_canonical(event).is_ok_and(|text| text == entry.payload));
            // A gap is reported against the entry after it; a broken chain before an
            // unreadable event.
            head = match head.check_next_known(entry, canonical) {
                Ok(next) => next,
                Err(e) => return Ok((report.with(Problem::Chain(e)), state)),
            };
            match decoded {
                Ok(Some(event)) => M::evolve(&mut state, &event),
                Ok(None) => {}
                Err(LedgerError::Unreadable { sequence, reason }) => {
                    return Ok((
                        report.with(Problem::UnreadableEvent { sequence, reason }),
                        state,
                    ));
                }
                Err(e) => return Err(StoreError::Corrupt(e.to_string())),
            }
            commands.add(entry);
            report.entries = entry.sequence;
        }
        commands.compare(store, &mut report, false).await?;
    }
    commands.compare(store, &mut report, true).await?;
    if let Some(problem) = commands.problem {
        return Ok((report.with(problem), state));
    }
    if let Some(problem) = check_rows::<M, S>(store, &state, &mut report).await? {
        return Ok((report.with(problem), state));
    }
    Ok((report, state))
}

impl VerifyReport {
    fn with(mut self, problem: Problem) -> Self {
        self.problem = Some(problem);
        self
    }
}

/// The span `entry` begins, or `None` when it extends `last` (the next event of the same
/// accepted command).
pub(crate) fn extend_span(last: Option<&mut Span>, entry: &crate::entry::Entry) -> Option<Span> {
    let refused = entry.kind == crate::entry::EntryKind::Refusal;
    if let Some(last) = last
        && last.command_id == entry.command_id
        && !last.refused
        && !refused
    {
        last.last = entry.sequence;
        return None;
    }
    Some(Span {
        command_id: entry.command_id.clone(),
        first: entry.sequence,
        last: entry.sequence,
        refused,
    })
}

/// Compares the command records with the spans of entries as the replay finds them, a page of
/// records at a time, so that only the spans not yet compared are held: a national ledger
/// has hundreds of millions of commands, too many to keep until the replay ends.
#[derive(Default)]
struct CommandCheck {
    /// Spans found by the replay and not yet compared; the last may still grow.
    pending: VecDeque<Span>,
    /// Records read and not yet compared.
    records: VecDeque<CommandRecord>,
    /// The `first_sequence` of the last record read.
    read_after: i64,
    no_more_records: bool,
    /// The first disagreement, reported once the chain is known to hold.
    problem: Option<Problem>,
}

impl CommandCheck {
    fn add(&mut self, entry: &crate::entry::Entry) {
        if self.problem.is_some() {
            return;
        }
        if let Some(span) = extend_span(self.pending.back_mut(), entry) {
            self.pending.push_back(span);
        }
    }

    /// Compares the spans that can no longer grow (all of them when `finished`).
    async fn compare<S: Store>(
        &mut self,
        store: &S,
        report: &mut VerifyReport,
        finished: bool,
    ) -> Result<(), StoreError> {
        let growing = usize::from(!finished);
        while self.problem.is_none() && self.pending.len() > growing {
            let Some(span) = self.pending.pop_front() else {
                break;
            };
            self.problem = match self.next_record(store).await? {
                None => Some(Problem::CommandRecord {
                    reason: format!(
                        "entries {}..={} have no command record",
                        span.first, span.last
                    ),
                    command_id: span.command_id,
                }),
                Some(record) => {
                    report.commands += 1;
                    disagreement(record, &span)
                }
            };
        }
        if finished
            && self.problem.is_none()
            && let Some(record) = self.next_record(store).await?
        {
            report.commands += 1;
            self.problem = Some(Problem::CommandRecord {
                reason: format!(
                    "it names entries {}..={}, which are not in the ledger",
                    record.first_sequence, record.last_sequence
                ),
                command_id: record.command_id,
            });
        }
        Ok(())
    }

    async fn next_record<S: Store>(
        &mut self,
        store: &S,
    ) -> Result<Option<CommandRecord>, StoreError> {
        if self.records.is_empty() && !self.no_more_records {
            let page = store.commands_after(self.read_after, PAGE).await?;
            match page.last() {
                Some(last) => self.read_after = last.first_sequence,
                None => self.no_more_records = true,
            }
            self.records.extend(page);
        }
        Ok(self.records.pop_front())
    }
}

/// The problem when a command record does not name the span of entries in its place.
fn disagreement(record: CommandRecord, span: &Span) -> Option<Problem> {
    let stored = (
        record.command_id.as_str(),
        record.first_sequence,
        record.last_sequence,
        record.refused,
    );
    if stored
        == (
            span.command_id.as_str(),
            span.first,
            span.last,
            span.refused,
        )
    {
        return None;
    }
    Some(Problem::CommandRecord {
        reason: format!(
            "it names entries {}..={} (refused: {}), the ledger has command {} at entries {}..={} (refused: {})",
            record.first_sequence,
            record.last_sequence,
            record.refused,
            span.command_id,
            span.first,
            span.last,
            span.refused
        ),
        command_id: record.command_id,
    })
}

/// Compares the stored projection rows with the rows of the replayed state, a page of stored
/// rows at a time: each stored row is rebuilt by its key (`Model::row`), so that only the
/// keys of the state's rows are held, never every row of both sides (a national ledger's rows
/// do not fit in memory twice as JSON values).
async fn check_rows<M: Model, S: Store>(
    store: &S,
    state: &M::State,
    report: &mut VerifyReport,
) -> Result<Option<Problem>, StoreError> {
    let mut unseen: BTreeSet<RowKey> = M::all_row_keys(state).into_iter().collect();
    let kinds: BTreeSet<&'static str> = unseen.iter().map(|(kind, _)| *kind).collect();
    let mut after = (String::new(), String::new());
    loop {
        let page = store.all_rows_after((&after.0, &after.1), PAGE).await?;
        let Some(last) = page.last() else { break };
        after = (last.row.kind.clone(), last.row.id.clone());
        for stored in page {
            report.rows += 1;
            let stored = stored.row;
            let key = kinds
                .get(stored.kind.as_str())
                .map(|kind| (*kind, stored.id.clone()))
                .filter(|key| unseen.remove(key));
            let Some(key) = key else {
                return Ok(Some(Problem::RowUnexpected {
                    kind: stored.kind,
                    id: stored.id,
                }));
            };
            match M::row(state, &key) {
                Some(rebuilt) if rebuilt == stored => {}
                Some(rebuilt) => {
                    return Ok(Some(Problem::RowDiffers {
                        kind: stored.kind.clone(),
                        id: stored.id.clone(),
                        stored: Box::new(stored),
                        rebuilt: Box::new(rebuilt),
                    }));
                }
                None => {
                    return Ok(Some(Problem::RowUnexpected {
                        kind: stored.kind,
                        id: stored.id,
                    }));
                }
            }
        }
    }
    Ok(unseen
        .into_iter()
        .next()
        .map(|(kind, id)| Problem::RowMissing {
            kind: kind.to_owned(),
            id,
        }))
}

/// Rebuilds every projection row from the ledger and replaces the stored ones with them.
pub async fn rebuild_projections<M: Model, S: Store>(store: &S) -> Result<u64, LedgerError> {
    let mut state = M::State::default();
    let mut head = ChainHead::EMPTY;
    loop {
        let entries = store.entries_after(head.sequence, PAGE).await?;
        if entries.is_empty() {
            break;
        }
        for entry in &entries {
            head = head.check_next(entry)?;
            if let Some(event) = decode_event::<M>(entry)? {
                M::evolve(&mut state, &event);
            }
        }
    }
    let rows = M::all_rows(&state);
    let count = rows.len() as u64;
    store.replace_rows(rows, head.sequence).await?;
    Ok(count)
}
