//! The rules of a blood establishment as pure functions.
//!
//! `decide(state, command, context)` returns the events a command causes, or a [`Refusal`]
//! that names the rule that refused; `evolve(state, event)` applies one event. No I/O, no
//! database, no async, no clock: the time of a decision is `Context::now`.
//!
//! Times are `time::OffsetDateTime` instants. ISBT 128 labels carry calendar dates and
//! times (data structures 005/006 and the eye-readable expiry); the label layer converts an
//! instant to the site's local date and time, and the domain compares instants only. Calendar
//! rules (intervals in days, deferral end dates, age) use the date of the instant in the offset
//! the context gives, so a site passes its local offset. In JSON, instants are RFC 3339
//! (`2026-03-02T08:00:00Z`) and dates ISO 8601 (`1990-01-01`).
//!
//! # Modules
//! One folder per area, each owning its commands, events, decisions (`decide.rs`) and how its
//! events change the state (`evolve.rs`); another area uses only what its `mod.rs` lists as its
//! doors (ARCHITECTURE.md draws the map):
//! - [`access`]: user accounts and electronic signatures (P11-ACCESS, P11-SIGN), the hospital
//!   binding of an account or token, API tokens of machine clients and the record of sign-in
//!   attempts (P11-AUDIT), who may give which command.
//! - [`donor_centre`]: registration, duplicate detection, the donor number (ISBT 128 structure
//!   019); screening (ELIG-*), intervals (INT-*), deferrals (DEF-*); donations, DINs, volume
//!   (COMP-WEIGHT).
//! - [`lab`]: the panel ordered per donation, the repeat-reactive algorithm, ABO/RhD twice, the
//!   antibody screen.
//! - [`manufacturing`]: recipes, shelf lives, modifications, bacterial control, discard; the
//!   final label built from the record (LABEL-FINAL) and the check of an applied label
//!   (LABEL-VERIFY).
//! - [`release`]: the release gate, holds, post-donation information, expiry.
//! - [`distribution`]: our sites, storage, where each unit is, transfers, hospitals, orders,
//!   standing orders and the priority clock, allocation, pick, ship, receipt, returns.
//! - [`transfusion`]: a client hospital's transfusion service: patients by wristband, samples,
//!   type and screen, unit retype, crossmatch, issue by scan, the bedside check, fates,
//!   reactions, emergency release and the massive transfusion protocol; its records are its
//!   own (`State::transfusion`).
//! - [`lookback`]: lookback on a reactive donor (LB-WINDOW, LB-DEADLINES), recalls and
//!   market withdrawals (RECALL-CLASS, RECALL-TRACK), deviations (BPD-45), fatalities
//!   (FATAL-7), the clocks of each and retention arithmetic (REC-RETAIN, in `clocks`); its
//!   records are its own (`State::lookback`).
//! - [`kernel`]: refusals and the [`Rule`] index, roles, decimals, blood groups (the codec's),
//!   ABO/RhD compatibility tables.
//! - [`command`]: the top level's `Command` (`Client` or `Server`) and `Event`, composed of the
//!   areas' own.
//! - [`config`]: the site's rules and tables, US defaults.
//! - [`queries`] and [`rows`]: reads for the server and projections for the ledger.
//! - [`invariants`]: DESIGN.md's invariants over a state (checked on random runs by the
//!   simulation of `hemaflow-testkit`, and by `hemaflow sim run` on a replayed state).
//! - [`rng`]: the seeded random numbers of the demo, the workload and the simulation.
//!
//! # Rules enforced
//! [`Rule`] (`kernel/rule.rs`) is the index of every rule the domain refuses with: one variant
//! per rule ID, documented with what the rule is and its source. A [`Refusal`] names its rule
//! by variant, and on the wire by the variant's ID string ([`Rule::as_str`]); no other source
//! file spells a rule ID as a string (the `tidy` test holds it to that). Every rule ID below is
//! named in the doc comment of the code that enforces it and at the start of a test's name:
//! ELIG-AGE, ELIG-WEIGHT, ELIG-TEMP, ELIG-BP, ELIG-PULSE, ELIG-HB-F, ELIG-HB-M, ELIG-HB-HIGH,
//! ELIG-2RBC, ELIG-PLT, ELIG-DEFERRED, INT-WB, INT-2RBC, INT-PLT, INT-PLASMA, INT-RBC-LOSS,
//! DEF-KINDS, DEF-REASONS, DEF-NOTIFY, TEST-PANEL, TEST-ONCE, TEST-REGIONAL, TEST-RR, TEST-NAT,
//! TEST-SUPPL, TEST-ABO-TWICE, TEST-ABSCREEN, TEST-BACT, REL-QUAR, REL-GATE, REL-UNSAFE,
//! REL-EXPIRE, REL-PDI, COMP-SHELF, COMP-PROC, COMP-WEIGHT, MOD-ALLOWED, MOD-IRR, MOD-WASH,
//! MOD-OPEN, MOD-THAW, MOD-SPLIT, MOD-POOL, MOD-CODE, COMPAT-RBC, COMPAT-PLASMA, COMPAT-PLT,
//! COMPAT-CRYO, COMPAT-RHD, XM-SAMPLE, XM-ELECTRONIC, XM-RETYPE, EMERG-RELEASE, REC-TRACE,
//! P11-ACCESS, P11-SIGN (what a signature records and means; the password check is the
//! server's). All of them but TEST-ONCE, TEST-REGIONAL,
//! REL-QUAR, MOD-IRR, MOD-WASH and MOD-OPEN are [`Rule`] variants, named by refusals, release
//! blockers, screening findings and deferrals; those six are enforced by what the events carry
//! (the ordered panel, the starting status, the computed expiry) and name no rule.
//!
//! Lookback and recall, stated in [`lookback`]'s module docs and the [`Rule`] index:
//! LB-WINDOW, LB-DEADLINES, BPD-45, FATAL-7, RECALL-CLASS, and the local RECALL-TRACK and
//! LB-INPUT. REC-RETAIN is computed (`lookback::clocks::retain_until`) and reported
//! (`lookback::retention`); nothing is deleted.
//!
//! Local rule IDs (not in the rule book), each a [`Rule`] variant that says what it refuses:
//! - donor centre: DONOR-IDENTITY, DONOR-DUPLICATE, SCREEN-INPUT, COLL-DIN, COLL-SCREENED,
//!   COLL-TIMES, COLL-RECORD;
//! - corrections (21 CFR 11.10(e)), stated in the module docs of `donor_centre::correction`
//!   and `lab::correction`: CORR-ENTRY (a correction names the record and value, with its
//!   reason and signature, and keeps the value it replaces), CORR-REDECIDE (what the old value
//!   decided is decided again), CORR-SAFE (a correction never puts a unit back in use);
//! - manufacturing: COMP-PROD;
//! - hospital supply, stated in the module docs of [`distribution`]'s `sites`, `shipping` and
//!   `allocation`: DIST-STORAGE, DIST-TRANSFER, DIST-PICK, DIST-SHIP, DIST-RECEIPT,
//!   DIST-RETURN, ALLOC-FEFO, ALLOC-SUBST, and DIST-INPUT (a malformed supply command),
//!   DIST-EXISTS (an ID already used), ORDER-STATE (an order past the step the command needs);
//!   ORDER-CLOCK (the due time of each priority, in `orders`) is computed and never refuses;
//! - the transfusion service, stated in [`transfusion`]'s module docs and the [`Rule`] index:
//!   TX-PATIENT, TX-TYPE, TX-REQUIRE, TX-UNIT, TX-WRONG-PATIENT, TX-BEDSIDE, TX-FATE,
//!   TX-REACTION, TX-MTP, TX-INPUT;
//! - accounts and tokens: ACCOUNT-INPUT, ACCOUNT-EXISTS, ACCOUNT-DISABLED;
//! - CONFIG-VALID (a configuration that does not hold together), NOT-FOUND (a record not on
//!   record), INTERNAL (a command decided by a function not its own: a bug);
//! - and two that make REL-GATE's "final label verified" precise:
//!   - LABEL-FINAL: a final label is printed only for a quarantined or available, in-date unit
//!     that is not unsafe and whose ABO/RhD is confirmed; a site that labels at release
//!     (`Config::labels.final_label_at`) also waits for every other release check.
//!   - LABEL-VERIFY: the applied label is scanned (each barcode, or the Data Matrix once) and
//!     every structure must equal the one built from the record (DIN with flags `00`, ABO/RhD,
//!     product code, expiry date and time in the site's local time, no special testing); any
//!     mismatch is refused, and the refusal is recorded like every refusal. The unit is
//!     released only after an exact match, and only while the record still says what the
//!     verified label says (a later change of expiry or group asks for a new label).
//!
//! # Rules not yet enforced here
//! - REL-URGENT: an order of priority `emergency` runs on the STAT clock, but shipping a unit
//!   before its testing is complete (with the "untested" label and the results reported
//!   afterwards) is not a command here; the transfusion service's EMERG-RELEASE issues
//!   released units uncrossmatched, never untested ones.
//! - Corrections of a recorded value (21 CFR 11.10(e)) and the report of records past
//!   retention are not commands or queries yet.
//! - REC-RETAIN as a purge rule: retention is the ledger's (nothing here deletes anything).
//! - P11-AUDIT: the audit trail is the ledger's; every event here carries who and when.
//! - P11-SIGN as a hard stop: release, discard and requalification are accepted unsigned
//!   here (older callers and tests give them so); the server only submits them inside
//!   `Command::Server(ServerCommand::Signed)`.
//! - Invariant 5 (the ledger verifies) is the ledger's; [`invariants::check`] covers 1-4 and
//!   7-10, and the simulation checks 6.

//!
//! # Choices where the rule book is silent
//! - A failed screening defers the donor for 1 day (configurable per rule in
//!   `Config::screening.deferral_for_rule` and `Config::deferral_reasons`); questionnaire
//!   reasons use the durations of the rule book's table 1.3, counted from the event's date
//!   in the table's own unit (`kernel::Period`): months and years end on the same calendar
//!   day, or on the last day of a shorter month (31 January + 1 month: 28 February).
//! - An interval not yet passed (INT-*) is a refusal naming the first allowed day, not a
//!   deferral. Plateletpheresis or plasmapheresis after any donation waits 2 days (the AABB
//!   allowance when the apheresis red-cell loss is below 100 mL).
//! - TEST-RR waits for both duplicate repeats before deciding; a reactive marker defers the
//!   donor indefinitely (`tti_reactive`; WNV 120 days), a positive supplemental permanently.
//! - A positive antibody screen makes plasma-containing components unsafe (as BSIS does); red
//!   cells may still be released.
//! - Platelets are not released without a bacterial risk-control step (606.145).
//! - Releasing a hold leaves its units quarantined: they pass the release gate again.
//! - A unit under an open hold is not modified, divided or pooled (the hold would not follow).
//! - Pools of mixed ABO/RhD cannot yet be label-verified (their label group is a later issue).
//! - A refused label scan changes nothing (invariant 6), so it cannot place a hold; none is
//!   needed: a unit is unreleasable until its label is verified, and a verification is kept
//!   with the structures it verified, so a unit verified earlier is held again by the gate when
//!   its record changes.
//! - Hospital supply: RhD-positive red cells are never allocated to an RhD-negative line (the
//!   physician's approval COMPAT-RHD asks for is not part of an order); CMV-safe is met by
//!   leukoreduced units; HLA-matched and antigen-negative lines stay short (no typing is
//!   kept); returned red cells may have been out of controlled storage 30 min (AABB practice),
//!   platelets 24 h, frozen products not at all, unless they travelled in a validated
//!   container; an accepted return goes back to available stock at the site it shipped from.
//! - The default catalogue uses locally defined product codes (`D....`); ICCBBA's E-codes are
//!   licensed and a site configures its own.

pub mod access;
pub mod command;
pub mod config;
pub mod distribution;
pub mod donor_centre;
pub mod index;
pub mod invariants;
pub mod kernel;
pub mod lab;
pub mod lookback;
pub mod manufacturing;
#[cfg(feature = "openapi")]
mod openapi;
pub mod queries;
pub mod release;
pub mod rng;
pub mod rows;
pub mod state;
pub mod transfusion;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use access::{accounts, credentials, roles};
use distribution::supply;

pub use access::roles::Role;
pub use access::{Command as AccessCommand, Event as AccessEvent};
pub use command::{ClientCommand, Command, Event, ServerCommand, TestResultInput};
pub use config::Config;
pub use distribution::{Command as DistributionCommand, Event as DistributionEvent};
pub use donor_centre::{Command as DonorCentreCommand, Event as DonorCentreEvent};
pub use kernel::{Refusal, Rule};
pub use lab::{Command as LabCommand, Event as LabEvent};
pub use lookback::{Command as LookbackCommand, Event as LookbackEvent};
pub use manufacturing::{Command as ManufacturingCommand, Event as ManufacturingEvent};
pub use release::gate::release_blockers;
pub use release::{Command as ReleaseCommand, Event as ReleaseEvent};
pub use rows::{Row, all_row_keys, all_rows, row_keys, rows_touched};
pub use state::{State, evolve};
pub use transfusion::{Command as TransfusionCommand, Event as TransfusionEvent};

/// Who acts, in which role, and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Context {
    /// The user id.
    pub actor: String,
    pub role: Role,
    #[serde(with = "time::serde::rfc3339")]
    pub now: OffsetDateTime,
    /// Whether `now` is the command's own time or the ledger's clock's, read when it decides.
    #[serde(default, skip_serializing_if = "Stamp::is_planned")]
    pub stamp: Stamp,
}

/// Where a command's time comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Stamp {
    /// `now` is the command's planned time (a replay, the demo's seeding), recorded as given;
    /// the ledger refuses one earlier than its last entry's.
    #[default]
    Planned,
    /// A live command: the ledger replaces `now` with its clock's reading, taken under its
    /// lock, which is also the time its entries are recorded at.
    Clock,
}

impl Stamp {
    pub fn is_planned(&self) -> bool {
        *self == Stamp::Planned
    }
}

/// Decide what `command` causes in `state`: the events to append, or the refusal of the rule
/// that stops it. Never changes anything (invariant 6); apply the events with [`evolve`].
pub fn decide(state: &State, command: &Command, ctx: &Context) -> Result<Vec<Event>, Refusal> {
    match command {
        Command::Client(command) => decide_client(state, command, ctx),
        Command::Server(command) => {
            roles::check_access(command.describe(), roles::server_roles(command), ctx.role)?;
            decide_server(state, command, ctx)
        }
    }
}

/// A client's command: who may give it, then its area decides; an allocated unit the
/// decision takes out of fitness leaves its order in the same decision.
pub(crate) fn decide_client(
    state: &State,
    command: &ClientCommand,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    roles::check_access(command.describe(), command.roles(), ctx.role)?;
    let events = match command {
        ClientCommand::Access(command) => access::decide::decide(state, command, ctx),
        // The lab orders a collected donation's panel in the same decision.
        ClientCommand::DonorCentre(command) => donor_centre::decide::decide(state, command, ctx)
            .map(|events| lab::panel::order_panel(state, events)),
        ClientCommand::Lab(command) => lab::decide::decide(state, command, ctx),
        ClientCommand::Manufacturing(command) => manufacturing::decide::decide(state, command, ctx),
        ClientCommand::Release(command) => release::decide::decide(state, command, ctx),
        ClientCommand::Distribution(command) => distribution::decide::decide(state, command, ctx),
        ClientCommand::Transfusion(command) => transfusion::decide::decide(state, command, ctx),
        ClientCommand::Lookback(command) => lookback::decide::decide(state, command, ctx),
    }?;
    // What the events start in lookback (a reactive result, a fatal reaction, PDI's review).
    let events = lookback::follow::consequences(state, events, ctx);
    Ok(supply::withdraw_allocations(state, events))
}

fn decide_server(
    state: &State,
    command: &ServerCommand,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    match command {
        ServerCommand::SetPassword {
            user_id,
            password_hash,
        } => accounts::set_password(state, user_id, password_hash, ctx),
        ServerCommand::IssueApiToken {
            token_id,
            name,
            role,
            hospital,
            digest,
        } => credentials::issue_token(
            state,
            token_id,
            name,
            *role,
            hospital.as_deref(),
            digest,
            ctx,
        ),
        ServerCommand::RecordSignIn {
            user_id,
            channel,
            outcome,
        } => credentials::record_sign_in(user_id, channel, *outcome, ctx),
        ServerCommand::Signed { meaning, command } => {
            accounts::signed(state, meaning, command, ctx)
        }
    }
}
