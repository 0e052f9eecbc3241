//! # hemaflow-sim
//!
//! A blood establishment's workload for Hemaflow, at any scale from a thousand donations to a
//! national year:
//!
//! * [`generate`] writes a deterministic (seeded) stream of domain commands, one [`Step`]
//!   (command ID, context, command) per JSON line: donors and return visits, screening
//!   deferrals, the procedure mix, the US ABO/RhD distribution, test results with reactive
//!   rates, component production, bacterial risk control, label verification, release,
//!   expiry, and hospital orders with weekday seasonality (20 hospitals, each with a bound
//!   user), each allocated oldest first, picked by scan into one box per temperature,
//!   shipped and received. Every figure and its source (or that it is an assumption) is in
//!   [`figures`].
//! * [`run`] drives such a stream through the real domain and ledger (group commit in
//!   batches), then verifies the ledger and checks the domain's invariants, and reports what
//!   happened: commands accepted and refused by rule, events, throughput, database size.
//!
//! The generator decides every command it writes against its own in-memory state (the pure
//! domain), so the IDs it names exist and the outcomes `run` meets are the same; refused
//! commands (an early return visit, a wrong label scan, the release of a reactive unit) are
//! part of the stream, as they are part of a real day.

pub mod figures;
mod generate;
mod run;

use hemaflow_domain::{Command, Context};
use serde::{Deserialize, Serialize};

pub use generate::{Workload, generate};
pub use run::{Progress, RunError, RunOptions, RunReport, run};

/// One line of the stream: a command with its ID (for idempotency) and its context.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub id: String,
    pub context: Context,
    pub command: Command,
}
