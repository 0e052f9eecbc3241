//! `verify`: recompute every hash, replay every event, compare with what is stored.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::fmt;

use crate::canonical::{canonical_value, to_canonical};
use crate::engine::{LedgerError, decode_event, sha256_hex};
use crate::entry::{ChainError, ChainHead, Digest32, Entry};
use crate::model::{Model, Row, RowKey};
use crate::store::{CommandRecord, Store, StoreError};
use crate::witness::{Witnessed, WitnessedHead};

const PAGE: u32 = 1000;

/// The first disagreement found, in the order: chain (with the witness and the times),
/// events, command records, rows.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    Chain(ChainError),
    /// The ledger holds no entry at all: not a ledger that was ever written.
    Empty,
    /// A signed checkpoint names another hash at its sequence: the ledger was rewritten at or
    /// before that entry (an entry edited, removed, inserted or renumbered, hashes recomputed).
    WitnessDisagrees {
        sequence: i64,
        stored: Digest32,
        witnessed: Digest32,
        source: String,
    },
    /// A signed checkpoint names another first entry: another ledger's witness, or a ledger
    /// rewritten from its first entry.
    OtherLedger {
        stored: Digest32,
        witnessed: Digest32,
        source: String,
    },
    /// The ledger ends before the last signed checkpoint: entries were removed from its end.
    ShorterThanWitnessed {
        entries: i64,
        witnessed: i64,
        source: String,
    },
    /// An entry recorded earlier than the one before it.
    TimeBackwards {
        sequence: i64,
        recorded_at: jiff::Timestamp,
        previous: jiff::Timestamp,
    },
    /// The `entry_terms` index disagrees with the entries' terms ([`crate::terms`]): a unit's
    /// history would miss or invent entries.
    TermIndex {
        sequence: i64,
        term: String,
        reason: String,
    },
    /// A projection row's version (`updated_seq`) is not one the ledger can have written.
    RowVersion {
        kind: String,
        id: String,
        updated_seq: i64,
        reason: String,
    },
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
            Problem::Empty => write!(
                f,
                "the database holds no ledger entry: an empty or emptied database is not a verified ledger"
            ),
            Problem::WitnessDisagrees {
                sequence,
                stored,
                witnessed,
                source,
            } => write!(
                f,
                "entry {sequence} has hash {stored} but the checkpoint signed at {source} names {witnessed}: the ledger was rewritten at or before entry {sequence} (an entry edited, removed, inserted or renumbered)"
            ),
            Problem::OtherLedger {
                stored,
                witnessed,
                source,
            } => write!(
                f,
                "the ledger's first entry has hash {stored} but the checkpoint signed at {source} is of the ledger whose first entry is {witnessed}: another ledger's witness, or this ledger rewritten from its start"
            ),
            Problem::ShorterThanWitnessed {
                entries,
                witnessed,
                source,
            } => write!(
                f,
                "the ledger ends at entry {entries} but the checkpoint signed at {source} names entry {witnessed}: {} entries were removed from its end (or from anywhere, the rest renumbered)",
                witnessed - entries
            ),
            Problem::TimeBackwards {
                sequence,
                recorded_at,
                previous,
            } => write!(
                f,
                "entry {sequence} is recorded at {recorded_at}, earlier than entry {} ({previous}): times never run backwards on the ledger",
                sequence - 1
            ),
            Problem::TermIndex {
                sequence,
                term,
                reason,
            } => write!(
                f,
                "the entry-term index {reason}: term {term:?} of entry {sequence}"
            ),
            Problem::RowVersion {
                kind,
                id,
                updated_seq,
                reason,
            } => write!(
                f,
                "projection row {kind} {id} has version (updated_seq) {updated_seq}: {reason}"
            ),
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
    /// With a witness: how many signed checkpoints were checked, and the entries after the
    /// last one (none when the last entry is witnessed).
    pub witness: Option<WitnessCheck>,
    /// The first entry recorded earlier than the one before it ([`Problem::TimeBackwards`]).
    /// Not a `problem` of the ledger itself: ledgers written before the engine refused
    /// planned times that go back (`LedgerError::TimeBehind`) hold such entries, and replay
    /// byte for byte; `audit verify` fails on it unless told the ledger is such a one.
    pub time_backwards: Option<Problem>,
}

/// What the check against a witness found (when it found no problem).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessCheck {
    pub checkpoints: usize,
    /// The sequence of the last checkpoint (0 when the witness holds none).
    pub last_witnessed: i64,
    /// Entries after it: not yet witnessed.
    pub unwitnessed: i64,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.problem.is_none()
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            None => {
                write!(
                    f,
                    "ledger verified: {} entries, {} commands, {} projection rows agree",
                    self.entries, self.commands, self.rows
                )?;
                match &self.witness {
                    None => Ok(()),
                    Some(w) if w.unwitnessed == 0 => write!(
                        f,
                        "; {} signed checkpoints agree, the last entry is witnessed",
                        w.checkpoints
                    ),
                    Some(w) => write!(
                        f,
                        "; {} signed checkpoints agree; not yet witnessed: {} entries after checkpoint at seq {}",
                        w.checkpoints, w.unwitnessed, w.last_witnessed
                    ),
                }
            }
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
    /// For a refusal, the hash of the command its payload holds (the record must carry it);
    /// an accepted command's entries hold its events, not the command.
    pub command_hash: Option<String>,
}

/// Recomputes every hash, replays every event into a fresh state, and compares the command
/// records and every projection row with the store. Database errors are errors; any
/// disagreement is reported in [`VerifyReport::problem`], naming the first entry or row.
pub async fn verify<M: Model, S: Store>(store: &S) -> Result<VerifyReport, StoreError> {
    Ok(verify_replaying::<M, S>(store).await?.0)
}

/// [`verify`], and the ledger checked against the heads a witness signed: exactly the signed
/// hash at every signed sequence, and no shorter than the last. Entries after the last
/// checkpoint are counted in [`VerifyReport::witness`].
pub async fn verify_witnessed<M: Model, S: Store>(
    store: &S,
    witnessed: &Witnessed,
) -> Result<VerifyReport, StoreError> {
    Ok(verify_with::<M, S>(store, Some(witnessed)).await?.0)
}

/// [`verify`], also giving the state replayed from the ledger (complete when no problem is
/// reported), for checks of the domain's invariants that need not replay it again.
pub async fn verify_replaying<M: Model, S: Store>(
    store: &S,
) -> Result<(VerifyReport, M::State), StoreError> {
    verify_with::<M, S>(store, None).await
}

/// Checks each entry against the signed heads at its sequence, as the replay passes it.
struct WitnessPass<'a> {
    heads: Vec<&'a WitnessedHead>,
    next: usize,
    genesis: Option<Digest32>,
}

impl<'a> WitnessPass<'a> {
    fn new(witnessed: &'a Witnessed) -> Self {
        WitnessPass {
            heads: witnessed.sorted(),
            next: 0,
            genesis: None,
        }
    }

    fn check(&mut self, entry: &Entry) -> Option<Problem> {
        if entry.sequence == 1 {
            self.genesis = Some(entry.hash);
        }
        while let Some(head) = self
            .heads
            .get(self.next)
            .filter(|h| h.sequence <= entry.sequence)
        {
            self.next += 1;
            let genesis = self.genesis.unwrap_or(entry.hash);
            if head.ledger != genesis {
                return Some(Problem::OtherLedger {
                    stored: genesis,
                    witnessed: head.ledger,
                    source: head.source.clone(),
                });
            }
            if head.sequence == entry.sequence && head.head != entry.hash {
                return Some(Problem::WitnessDisagrees {
                    sequence: entry.sequence,
                    stored: entry.hash,
                    witnessed: head.head,
                    source: head.source.clone(),
                });
            }
        }
        None
    }

    /// After the last entry: a checkpoint beyond it means entries were cut off.
    fn finish(&self, entries: i64) -> Result<WitnessCheck, Problem> {
        if let Some(last) = self.heads.last().filter(|h| h.sequence > entries) {
            return Err(Problem::ShorterThanWitnessed {
                entries,
                witnessed: last.sequence,
                source: last.source.clone(),
            });
        }
        let last_witnessed = self.heads.last().map_or(0, |h| h.sequence);
        Ok(WitnessCheck {
            checkpoints: self.heads.len(),
            last_witnessed,
            unwitnessed: entries - last_witnessed,
        })
    }
}

/// Each row's last writer: the last entry of the last command whose events touched it, found
/// as the engine finds it (the rows a command touches, read from the state after all its
/// events). A row is stamped with the last entry of its append, which is at or after that
/// entry and at or before the ledger's head.
struct RowVersions<M: Model> {
    span: Option<(String, i64)>,
    events: Vec<M::Event>,
    last_writer: HashMap<RowKey, i64>,
}

impl<M: Model> RowVersions<M> {
    fn new() -> Self {
        RowVersions {
            span: None,
            events: Vec::new(),
            last_writer: HashMap::new(),
        }
    }

    /// Notes an accepted event of `entry`, evolved into `state` already.
    fn add(&mut self, state: &M::State, entry: &Entry, event: M::Event) {
        let same = self
            .span
            .as_ref()
            .is_some_and(|(command_id, _)| *command_id == entry.command_id);
        if !same {
            self.close(state);
            self.span = Some((entry.command_id.clone(), entry.sequence));
        } else if let Some(span) = &mut self.span {
            span.1 = entry.sequence;
        }
        self.events.push(event);
    }

    /// Ends the command in progress (at a refusal, another command, or the end).
    fn close(&mut self, state: &M::State) {
        let Some((_, last)) = self.span.take() else {
            return;
        };
        for event in self.events.drain(..) {
            for key in M::rows_touched(state, &event) {
                self.last_writer.insert(key, last);
            }
        }
    }

    fn check(&self, key: &RowKey, updated_seq: i64, head: i64) -> Option<String> {
        let writer = self.last_writer.get(key).copied().unwrap_or(0);
        if updated_seq < writer {
            Some(format!(
                "entry {writer} changed it last, so its version cannot be earlier"
            ))
        } else if updated_seq > head {
            Some(format!("the ledger ends at entry {head}"))
        } else {
            None
        }
    }
}

/// A digest of a set of `(term, sequence)` pairs that does not depend on their order: the sum
/// of a hash of each pair, with their count. The index is read in its own key order and the
/// entries in theirs, so neither side is held in memory; only when the digests differ are the
/// pairs compared one by one, to name the first that differs.
#[derive(Debug, Default, PartialEq, Eq)]
struct TermDigest {
    sum: u128,
    count: u64,
}

impl TermDigest {
    fn add(&mut self, term: &str, sequence: i64) {
        use sha2::Digest as _;
        let digest = sha2::Sha256::new()
            .chain_update(term.as_bytes())
            .chain_update([0u8])
            .chain_update(sequence.to_be_bytes())
            .finalize();
        let mut low = [0u8; 16];
        low.copy_from_slice(&digest[..16]);
        self.sum = self.sum.wrapping_add(u128::from_be_bytes(low));
        self.count += 1;
    }

    fn add_entry(&mut self, entry: &Entry) {
        for term in crate::terms::entry_terms(&entry.payload) {
            self.add(&term, entry.sequence);
        }
    }
}

/// Reads the whole `entry_terms` index a page at a time, giving each row to `each`.
async fn each_term<S: Store>(
    store: &S,
    mut each: impl FnMut(String, i64) -> bool,
) -> Result<(), StoreError> {
    let mut after = (String::new(), i64::MIN);
    loop {
        let page = store.terms_after((&after.0, after.1), PAGE).await?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = last.clone();
        for (term, sequence) in page {
            if !each(term, sequence) {
                return Ok(());
            }
        }
    }
}

/// Compares the stored index with the terms of the entries (`expected`).
async fn check_terms<S: Store>(
    store: &S,
    expected: &TermDigest,
) -> Result<Option<Problem>, StoreError> {
    let mut stored = TermDigest::default();
    each_term(store, |term, sequence| {
        stored.add(&term, sequence);
        true
    })
    .await?;
    if stored == *expected {
        return Ok(None);
    }
    locate_term_difference(store).await
}

/// The first pair in which the index and the entries differ: every entry's terms held in
/// memory, which only a damaged index costs.
async fn locate_term_difference<S: Store>(store: &S) -> Result<Option<Problem>, StoreError> {
    let mut wanted: BTreeSet<(i64, String)> = BTreeSet::new();
    let mut after = 0;
    loop {
        let entries = store.entries_after(after, PAGE).await?;
        let Some(last) = entries.last() else { break };
        after = last.sequence;
        for entry in &entries {
            for term in crate::terms::entry_terms(&entry.payload) {
                wanted.insert((entry.sequence, term));
            }
        }
    }
    let mut extra: Option<(i64, String)> = None;
    each_term(store, |term, sequence| {
        let pair = (sequence, term);
        if wanted.remove(&pair) {
            return true;
        }
        if extra.as_ref().is_none_or(|e| pair < *e) {
            extra = Some(pair);
        }
        true
    })
    .await?;
    let missing = wanted.into_iter().next();
    Ok(match (missing, extra) {
        (Some(m), Some(e)) if e < m => Some(term_extra(e)),
        (Some((sequence, term)), _) => Some(Problem::TermIndex {
            sequence,
            term,
            reason: "lacks a row the entry makes".to_owned(),
        }),
        (None, Some(e)) => Some(term_extra(e)),
        // The digests differed by a collision of the sum: report nothing we cannot name.
        (None, None) => None,
    })
}

fn term_extra((sequence, term): (i64, String)) -> Problem {
    Problem::TermIndex {
        sequence,
        term,
        reason: "has a row no entry makes (or names an entry that does not hold the term)"
            .to_owned(),
    }
}

/// The hash of the command a refusal's payload holds, as the engine hashed it.
fn refused_command_hash(entry: &Entry) -> Option<String> {
    let payload: serde_json::Value = serde_json::from_str(&entry.payload).ok()?;
    let command = payload.get("command")?;
    canonical_value(command).ok().map(|json| sha256_hex(&json))
}

async fn verify_with<M: Model, S: Store>(
    store: &S,
    witnessed: Option<&Witnessed>,
) -> Result<(VerifyReport, M::State), StoreError> {
    let mut report = VerifyReport {
        entries: 0,
        commands: 0,
        rows: 0,
        problem: None,
        witness: None,
        time_backwards: None,
    };
    let mut state = M::State::default();
    let mut head = ChainHead::EMPTY;
    let mut commands = CommandCheck::default();
    let mut witness = witnessed.map(WitnessPass::new);
    let mut versions = RowVersions::<M>::new();
    let mut previous_at: Option<jiff::Timestamp> = None;
    let mut terms = TermDigest::default();
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
            if let Some(problem) = witness.as_mut().and_then(|w| w.check(entry)) {
                return Ok((report.with(problem), state));
            }
            if let Some(previous) = previous_at.filter(|at| entry.recorded_at < *at)
                && report.time_backwards.is_none()
            {
                report.time_backwards = Some(Problem::TimeBackwards {
                    sequence: entry.sequence,
                    recorded_at: entry.recorded_at,
                    previous,
                });
            }
            previous_at = Some(entry.recorded_at);
            terms.add_entry(entry);
            match decoded {
                Ok(Some(event)) => {
                    M::evolve(&mut state, &event);
                    versions.add(&state, entry, event);
                }
                Ok(None) => versions.close(&state),
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
    versions.close(&state);
    if report.entries == 0 {
        return Ok((report.with(Problem::Empty), state));
    }
    if let Some(pass) = &witness {
        match pass.finish(report.entries) {
            Ok(check) => report.witness = Some(check),
            Err(problem) => return Ok((report.with(problem), state)),
        }
    }
    commands.compare(store, &mut report, true).await?;
    if let Some(problem) = commands.problem {
        return Ok((report.with(problem), state));
    }
    if let Some(problem) = check_terms(store, &terms).await? {
        return Ok((report.with(problem), state));
    }
    if let Some(problem) = check_rows::<M, S>(store, &state, &versions, &mut report).await? {
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
        command_hash: refused.then(|| refused_command_hash(entry)).flatten(),
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
    let same_span = stored
        == (
            span.command_id.as_str(),
            span.first,
            span.last,
            span.refused,
        );
    // An imported record has no hash (an export holds events, not commands).
    let hash_differs = span
        .command_hash
        .as_ref()
        .is_some_and(|hash| !record.command_hash.is_empty() && *hash != record.command_hash);
    if same_span && hash_differs {
        return Some(Problem::CommandRecord {
            reason: format!(
                "its command hash is {}, the command the refusal at entry {} holds hashes to {}",
                record.command_hash,
                span.first,
                span.command_hash.as_deref().unwrap_or_default()
            ),
            command_id: record.command_id,
        });
    }
    if same_span {
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
    versions: &RowVersions<M>,
    report: &mut VerifyReport,
) -> Result<Option<Problem>, StoreError> {
    let head = report.entries;
    let mut unseen: BTreeSet<RowKey> = M::all_row_keys(state).into_iter().collect();
    let kinds: BTreeSet<&'static str> = unseen.iter().map(|(kind, _)| *kind).collect();
    let mut after = (String::new(), String::new());
    loop {
        let page = store.all_rows_after((&after.0, &after.1), PAGE).await?;
        let Some(last) = page.last() else { break };
        after = (last.row.kind.clone(), last.row.id.clone());
        for stored in page {
            report.rows += 1;
            let updated_seq = stored.updated_seq;
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
            if let Some(reason) = versions.check(&key, updated_seq, head) {
                return Ok(Some(Problem::RowVersion {
                    kind: stored.kind,
                    id: stored.id,
                    updated_seq,
                    reason,
                }));
            }
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
