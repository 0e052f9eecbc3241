//! Hemaflow's ledger: the tamper-evident record of everything the domain accepted or refused.
//!
//! - [`entry`]: the entry envelope and its SHA-256 hash chain ([`verify_chain`]); the hash
//!   definition is in that module's docs.
//! - [`canonical`]: canonical JSON, the only bytes that are hashed.
//! - [`Model`]: what a domain provides (decide, evolve, projection rows).
//! - [`Store`]: what a database provides (append in one transaction, read back); one
//!   implementation per backend in the `store-*` crates.
//! - [`SessionStore`]: signed-in sessions beside the ledger (token digests only).
//! - [`Ledger`]: the engine (catch up, idempotency, decide, optimistic append, bounded retry).
//! - [`verify()`], [`export`], [`import`], [`rebuild_projections`]: whole-ledger operations.
//! - [`bench_ledger`]: the engine against raw inserts of the same rows.
//!
//! Architecture invariant: no SQL and no database driver here; the hash is computed over the
//! canonical encoding, never over a database's representation.

pub mod bench;
pub mod canonical;
pub mod clock;
pub mod engine;
pub mod entry;
pub mod model;
pub mod sessions;
pub mod store;
pub mod terms;
pub mod transfer;
pub mod verify;
pub mod witness;

pub use bench::{BenchFigures, BenchStores, bench_ledger};
pub use canonical::{CanonicalError, canonical_value, to_canonical};
pub use clock::{Clock, FixedClock, SharedClock, SteppingClock, SystemClock};
pub use engine::{
    Answers, DEFAULT_MAX_ATTEMPTS, Expected, Ledger, LedgerError, Outcome, OwnedCommand, Pipeline,
    Receipt, Stale,
};
pub use entry::{
    ChainError, ChainHead, Digest32, Entry, EntryDraft, EntryKind, EntryMeta, verify_chain,
};
pub use model::{Model, Row, RowBody, RowKey};
pub use sessions::{SessionLimits, SessionStore, StoredSession};
pub use store::{AppendBatch, CommandRecord, Store, StoreError, StoredRow};
pub use transfer::{
    ImportOptions, Trailer, TransferError, export, export_with, import, import_with,
};
pub use verify::{
    Problem, VerifyReport, rebuild_projections, verify, verify_replaying, verify_witnessed,
};
pub use witness::{Checkpoint, Witness, Witnessed, WitnessedHead};
