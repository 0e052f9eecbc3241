//! The ledger anchored outside the database (issue 23). The hash chain alone proves nothing
//! against whoever can write to the database: they can edit an entry and recompute every
//! later hash. So each process that appends holds an Ed25519 signing key that is not in the
//! database ([`key`]), and after its commits signs a checkpoint of the chain head (ledger
//! identity, sequence, head hash, time) into one or more append-only witness files
//! ([`writer::FileWitness`], one JSON line per checkpoint, see [`checkpoint`]). `verify` reads
//! the witness back ([`checkpoint::read_witness`]) and checks the ledger against it.
//!
//! The ledger crate knows only the [`hemaflow_ledger::Witness`] trait; the files and the key
//! are here.

pub mod checkpoint;
pub mod key;
pub mod writer;

pub use checkpoint::{SignedCheckpoint, WitnessError, read_witness, read_witness_file};
pub use key::{KeyError, load_or_create, public_key_path, read_public_key};
pub use writer::{DEFAULT_INTERVAL, FileWitness};
