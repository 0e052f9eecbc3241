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
//! - [`donor`]: registration, duplicate detection, the donor number (ISBT 128 structure 019).
//! - [`eligibility`]: screening (ELIG-*), intervals (INT-*), deferrals (DEF-*).
//! - [`collection`]: donations, DINs, volume (COMP-WEIGHT), the ordered panel.
//! - [`testing`]: the repeat-reactive algorithm, ABO/RhD twice, the antibody screen.
//! - [`components`]: recipes, shelf lives, modifications, bacterial control, discard.
//! - [`release`]: the release gate, holds, post-donation information, expiry.
//! - [`label`]: the final label built from the record (LABEL-FINAL) and the check of an applied
//!   label (LABEL-VERIFY).
//! - [`compat`]: ABO/RhD compatibility tables.
//! - [`sites`]: our sites, storage, where each unit is, transfers, hospitals.
//! - [`orders`]: hospital orders, standing orders, the priority clock.
//! - [`allocation`]: the proposal of units for an order and the allocation command.
//! - [`shipping`]: pick, ship, receipt, returns and their QA review.
//! - [`roles`]: who may give which command (P11-ACCESS).
//! - [`accounts`]: user accounts and electronic signatures (P11-ACCESS, P11-SIGN).
//! - [`credentials`]: API tokens of machine clients (P11-ACCESS) and the record of sign-in
//!   attempts (P11-AUDIT).
//! - [`config`]: the site's rules and tables, US defaults.
//! - [`queries`] and [`rows`]: reads for the server and projections for the ledger.
//! - [`records`]: retention, report deadlines, recall classes, the lookback window.
//! - [`scenario`]: a donor centre with a clock, to drive the rules in tests.
//! - [`invariants`] and [`simulation`]: DESIGN.md's invariants, checked on random runs.
//!
//! # Rules enforced
//! Every rule ID below is named in the doc comment of the code that enforces it and at the
//! start of a test's name:
//! ELIG-AGE, ELIG-WEIGHT, ELIG-TEMP, ELIG-BP, ELIG-PULSE, ELIG-HB-F, ELIG-HB-M, ELIG-HB-HIGH,
//! ELIG-2RBC, ELIG-PLT, ELIG-DEFERRED, INT-WB, INT-2RBC, INT-PLT, INT-PLASMA, INT-RBC-LOSS,
//! DEF-KINDS, DEF-REASONS, DEF-NOTIFY, TEST-PANEL, TEST-ONCE, TEST-REGIONAL, TEST-RR, TEST-NAT,
//! TEST-SUPPL, TEST-ABO-TWICE, TEST-ABSCREEN, TEST-BACT, REL-QUAR, REL-GATE, REL-UNSAFE,
//! REL-EXPIRE, REL-PDI, COMP-SHELF, COMP-PROC, COMP-WEIGHT, MOD-ALLOWED, MOD-IRR, MOD-WASH,
//! MOD-OPEN, MOD-THAW, MOD-SPLIT, MOD-POOL, MOD-CODE, COMPAT-RBC, COMPAT-PLASMA, COMPAT-PLT,
//! COMPAT-CRYO, COMPAT-RHD, REC-TRACE, P11-ACCESS, P11-SIGN (what a signature records and
//! means; the password check is the server's).
//!
//! Computed but not yet tracked by commands (the lookback and recall issue will open tasks
//! with these dates): LB-WINDOW, LB-DEADLINES, BPD-45, FATAL-7, RECALL-CLASS, REC-RETAIN
//! (see [`records`]).
//!
//! Local rule IDs (not in the rule book) used by refusals: DONOR-IDENTITY, DONOR-DUPLICATE,
//! SCREEN-INPUT, ACCOUNT-INPUT, ACCOUNT-EXISTS, ACCOUNT-DISABLED, COLL-DIN, COLL-SCREENED, COLL-TIMES, COLL-RECORD, COMP-PROD, CONFIG-VALID,
//! DIST-INPUT (a malformed supply command), DIST-EXISTS (an ID already used), ORDER-STATE (an
//! order past the step the command needs),
//! NOT-FOUND, and two that make REL-GATE's "final label verified" precise:
//! - LABEL-FINAL: a final label is printed only for a quarantined or available, in-date unit that
//!   is not unsafe and whose ABO/RhD is confirmed; a site that labels at release
//!   (`Config::labels.final_label_at`) also waits for every other release check.
//! - LABEL-VERIFY: the applied label is scanned (each barcode, or the Data Matrix once) and
//!   every structure must equal the one built from the record (DIN with flags `00`, ABO/RhD,
//!   product code, expiry date and time in the site's local time, no special testing); any
//!   mismatch is refused, and the refusal is recorded like every refusal. The unit is released
//!   only after an exact match, and only while the record still says what the verified label
//!   says (a later change of expiry or group asks for a new label).
//!
//! # Rules not yet enforced here
//! - REL-URGENT, EMERG-RELEASE: an order of priority `emergency` runs on the STAT clock, but
//!   emergency release of untested or uncrossmatched units (with the physician's request) is
//!   the transfusion service's and is not a command here.
//! - XM-SAMPLE, XM-ELECTRONIC, XM-RETYPE: crossmatch belongs to the transfusion-service issue.
//! - LB-WINDOW, LB-DEADLINES, BPD-45, FATAL-7, RECALL-CLASS as workflows: no command yet
//!   starts a lookback, reports a deviation or fatality, or records a recall (REL-PDI opens
//!   the deviation review and says when a BPD assessment is due).
//! - REC-RETAIN as a purge rule: retention is the ledger's (nothing here deletes anything).
//! - P11-AUDIT: the audit trail is the ledger's; every event here carries who and when.
//! - P11-SIGN as a hard stop: release, discard and requalification are accepted unsigned
//!   here (older callers and tests give them so); the server only submits them inside
//!   `Command::Signed`.
//! - Invariant 5 (the ledger verifies) is the ledger's; [`invariants::check`] covers 1-4 and
//!   the simulation checks 6.

//!
//! # Choices where the rule book is silent
//! - A failed screening defers the donor for 1 day (configurable per rule in
//!   `Config::screening.deferral_for_rule` and `Config::deferral_reasons`); questionnaire
//!   reasons use the durations of the rule book's table 1.3, counted from the event's date.
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

pub mod accounts;
pub mod allocation;
pub mod collection;
pub mod command;
pub mod compat;
pub mod components;
pub mod config;
pub mod credentials;
pub mod decimal;
pub mod donor;
pub mod eligibility;
pub mod index;
pub mod invariants;
pub mod label;
pub mod orders;
pub mod queries;
pub mod records;
pub mod refusal;
pub mod release;
pub mod roles;
pub mod rows;
pub mod scenario;
pub mod shipping;
pub mod simulation;
pub mod sites;
pub mod state;
mod supply;
pub mod testing;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use command::{Command, Event, TestResultInput};
pub use config::Config;
pub use refusal::Refusal;
pub use release::release_blockers;
pub use roles::Role;
pub use rows::{Row, all_row_keys, all_rows, row_keys, rows_touched};
pub use state::{State, evolve};

/// Who acts, in which role, and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    roles::check_access(command, ctx.role)?;
    decide_command(state, command, ctx).map(|events| supply::withdraw_allocations(state, events))
}

fn decide_command(state: &State, command: &Command, ctx: &Context) -> Result<Vec<Event>, Refusal> {
    match command {
        Command::ModifyComponent { component, .. } | Command::DivideComponent { component, .. } => {
            sites::check_at_a_site(state, std::slice::from_ref(component))?;
        }
        Command::PoolComponents { components, .. } => sites::check_at_a_site(state, components)?,
        _ => {}
    }
    match command {
        Command::Configure { config } => {
            config.validate()?;
            Ok(vec![Event::Configured {
                config: config.clone(),
                at: ctx.now,
                by: ctx.actor.clone(),
            }])
        }
        Command::RegisterDonor { identity } => donor::register(state, identity, ctx),
        Command::RecordScreening {
            donor_id,
            procedure,
            input,
        } => eligibility::record_screening(state, donor_id, *procedure, input, ctx),
        Command::DeferDonor {
            donor_id,
            reason,
            starts,
            notes,
        } => eligibility::defer_donor(state, donor_id, reason, *starts, notes, ctx),
        Command::RequalifyDonor {
            deferral_id,
            reason,
        } => eligibility::requalify(state, deferral_id, reason, ctx),
        Command::CollectDonation { .. } => collection::collect(state, command, ctx),
        Command::RecordTestResult { result } => testing::record_result(state, result, ctx),
        Command::RecordTestResults { results } => testing::record_batch(state, results, ctx),
        Command::RecordBloodGroup { din, abo, rhd } => {
            testing::record_blood_group(state, din, *abo, *rhd, ctx)
        }
        Command::RecordAntibodyScreen { din, positive } => {
            testing::record_antibody_screen(state, din, *positive, ctx)
        }
        Command::ResolveBloodGroup {
            din,
            abo,
            rhd,
            reason,
        } => testing::resolve_blood_group(state, din, *abo, *rhd, reason, ctx),
        Command::ProduceComponents { din, recipe } => components::produce(state, din, recipe, ctx),
        Command::ModifyComponent {
            component,
            modification,
        } => components::modify(state, component, *modification, ctx),
        Command::DivideComponent { component, parts } => {
            components::divide(state, component, *parts, ctx)
        }
        Command::PoolComponents {
            components,
            pool_din,
            closed_system,
        } => components::pool(state, components, pool_din, *closed_system, ctx),
        Command::RecordBacterialControl { component, method } => {
            components::bacterial_control(state, component, method, ctx)
        }
        Command::VerifyLabel { component, scans } => label::verify(state, component, scans, ctx),
        Command::ReleaseComponent { component } => release::release(state, component, ctx),
        Command::DiscardComponent { component, reason } => {
            components::discard(state, component, reason, ctx)
        }
        Command::PlaceHold {
            target,
            kind,
            reason,
        } => release::place_hold(state, target, *kind, reason, ctx),
        Command::ReleaseHold { hold_id, reason } => {
            release::release_hold(state, hold_id, reason, ctx)
        }
        Command::RecordPostDonationInformation {
            donor_id,
            information,
        } => release::post_donation_information(state, donor_id, information, ctx),
        Command::ExpireUnits { as_of } => release::expire(state, *as_of, ctx),
        Command::ShipComponent {
            component,
            consignee,
        } => release::ship(state, component, consignee, ctx),
        Command::RegisterSite {
            site_id,
            name,
            kind,
            address,
        } => sites::register_site(state, site_id, name, *kind, address, ctx),
        Command::RegisterStorage {
            storage_id,
            site_id,
            kind,
            min_c,
            max_c,
        } => sites::register_storage(
            state,
            sites::Storage {
                id: storage_id.clone(),
                site_id: site_id.clone(),
                kind: *kind,
                min_c: *min_c,
                max_c: *max_c,
            },
        ),
        Command::StoreComponent { component, storage } => {
            sites::store_component(state, component, storage, ctx)
        }
        Command::DispatchTransfer {
            transfer_id,
            from,
            to,
            components,
        } => sites::dispatch_transfer(state, transfer_id, from, to, components, ctx),
        Command::ReceiveTransfer {
            transfer_id,
            component,
        } => sites::receive_transfer(state, transfer_id, component, ctx),
        Command::RegisterHospital {
            hospital_id,
            name,
            address,
            contacts,
        } => sites::register_hospital(state, hospital_id, name, address, contacts, ctx),
        Command::PlaceOrder {
            order_id,
            hospital,
            lines,
            priority,
            needed_by,
        } => orders::place_order(state, order_id, hospital, lines, *priority, *needed_by, ctx),
        Command::PlaceStandingOrder {
            standing_order_id,
            hospital,
            lines,
            priority,
            weekday,
        } => orders::place_standing_order(
            state,
            standing_order_id,
            hospital,
            lines,
            *priority,
            *weekday,
            ctx,
        ),
        Command::RenewStandingOrders { as_of } => orders::renew_standing_orders(state, *as_of, ctx),
        Command::CancelOrder { order_id, reason } => {
            orders::cancel_order(state, order_id, reason, ctx)
        }
        Command::AllocateOrder { order_id, units } => {
            allocation::allocate_order(state, order_id, units, ctx)
        }
        Command::PickUnit {
            shipment_id,
            order_id,
            component,
        } => shipping::pick(state, shipment_id, order_id, component, ctx),
        Command::ShipShipment {
            shipment_id,
            box_id,
            temperature_range,
            courier,
        } => shipping::ship(state, shipment_id, box_id, *temperature_range, courier, ctx),
        Command::ConfirmReceipt {
            shipment_id,
            component,
        } => shipping::confirm_receipt(state, shipment_id, component, ctx),
        Command::ReturnUnit {
            component,
            minutes_out_of_storage,
            reason,
            seal_intact,
            validated_container,
        } => shipping::return_unit(
            state,
            component,
            *minutes_out_of_storage,
            *seal_intact,
            *validated_container,
            reason,
            ctx,
        ),
        Command::ReviewReturn {
            component,
            accept,
            reason,
        } => shipping::review_return(state, component, *accept, reason, ctx),
        Command::CreateUser {
            user_id,
            name,
            role,
            hospital,
        } => accounts::create_user(state, user_id, name, *role, hospital.as_deref(), ctx),
        Command::SetPassword {
            user_id,
            password_hash,
        } => accounts::set_password(state, user_id, password_hash, ctx),
        Command::DisableUser { user_id, reason } => {
            accounts::disable_user(state, user_id, reason, ctx)
        }
        Command::IssueApiToken {
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
        Command::RevokeApiToken { token_id, reason } => {
            credentials::revoke_token(state, token_id, reason, ctx)
        }
        Command::RecordSignIn {
            user_id,
            channel,
            outcome,
        } => credentials::record_sign_in(user_id, channel, *outcome, ctx),
        Command::Signed { meaning, command } => accounts::signed(state, meaning, command, ctx),
    }
}
