//! Anchoring the chain outside the database. A hash chain proves nothing against whoever can
//! write to the database: they can recompute every hash after an edit. So after each commit
//! the engine tells a [`Witness`] the new chain head, and the witness (a process-local
//! service that holds a signing key the database does not, `hemaflow-anchor`) signs it and
//! writes it where the database's writers cannot rewrite it. `verify` then checks the ledger
//! against the [`Witnessed`] heads read back: the ledger must hold exactly the signed hash at
//! every signed sequence, and be at least as long as the last one.
//!
//! This crate does no file I/O and knows no key: it only says what a checkpoint is.

use crate::entry::Digest32;

/// A chain head after a commit, as the engine reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    /// The ledger's identity: the hash of its first entry.
    pub ledger: Digest32,
    /// The last committed entry.
    pub sequence: i64,
    /// Its hash.
    pub head: Digest32,
    /// Its `recorded_at`.
    pub recorded_at: jiff::Timestamp,
}

/// Where the engine reports each commit. `committed` is called with the engine's lock held,
/// right after the append commits: it must return at once (hand the checkpoint to a writer of
/// its own, coalescing) and never fail the append; a witness that cannot write says so itself.
pub trait Witness: Send + Sync {
    fn committed(&self, checkpoint: Checkpoint);
}

/// One signed head read back from a witness, with where it was read (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessedHead {
    pub ledger: Digest32,
    pub sequence: i64,
    pub head: Digest32,
    /// Where it was read, e.g. `witness.jsonl line 12`.
    pub source: String,
}

/// The heads a verify checks the ledger against, in any order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Witnessed {
    pub heads: Vec<WitnessedHead>,
}

impl Witnessed {
    /// The heads by sequence (ties kept in reading order), for a single pass of the ledger.
    pub(crate) fn sorted(&self) -> Vec<&WitnessedHead> {
        let mut heads: Vec<&WitnessedHead> = self.heads.iter().collect();
        heads.sort_by_key(|head| head.sequence);
        heads
    }

    /// The head with the highest sequence.
    pub fn last(&self) -> Option<&WitnessedHead> {
        self.heads.iter().max_by_key(|head| head.sequence)
    }
}
