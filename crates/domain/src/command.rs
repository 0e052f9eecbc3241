//! What users ask for (`Command`) and what happened (`Event`). Events are facts: they carry
//! every value `evolve` needs (ids, times, computed expiries), so replaying them needs no rule.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::accounts::{Signature, User};
use crate::collection::{Container, Donation};
use crate::components::{Attr, Component};
use crate::config::Config;
use crate::credentials::{ApiToken, SignInAttempt, SignInOutcome};
use crate::donor::{Donor, Identity};
use crate::eligibility::{Deferral, Procedure, Screening, ScreeningInput};
use crate::orders::{AllocatedUnit, Cancellation, Order, OrderLine, Priority, StandingOrder};
use crate::release::{Hold, HoldKind, HoldTarget, Task};
use crate::roles::Role;
use crate::shipping::{Dispatch, ReturnReview, Shipment, UnitReturn};
use crate::sites::{
    Celsius, Contact, Hospital, Site, SiteKind, Storage, StorageKind, TemperatureRange, Transfer,
};
use crate::testing::{Abo, MarkerStatus, Reading, RhD, Stage};

/// One result of one test of one donation, as a technologist keys it in or an instrument sends it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestResultInput {
    pub din: String,
    pub test: String,
    pub stage: Stage,
    pub reading: Reading,
}

/// One unit chosen for one line of an order (`AllocateOrder`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineUnit {
    /// Index of the order line (from 0).
    pub line: u32,
    pub component: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    Configure {
        config: Box<Config>,
    },
    RegisterDonor {
        identity: Identity,
    },
    RecordScreening {
        donor_id: String,
        procedure: Procedure,
        input: ScreeningInput,
    },
    DeferDonor {
        donor_id: String,
        reason: String,
        starts: Option<Date>,
        notes: String,
    },
    RequalifyDonor {
        deferral_id: String,
        reason: String,
    },
    CollectDonation {
        din: String,
        donor_id: String,
        screening_id: String,
        container: Container,
        #[serde(with = "time::serde::rfc3339")]
        started_at: OffsetDateTime,
        #[serde(with = "time::serde::rfc3339")]
        ended_at: OffsetDateTime,
        volume_ml: u32,
        red_cell_loss_ml: u32,
        phlebotomist: String,
        adverse_reactions: Vec<String>,
        /// Two-letter US state where the donation was collected (TEST-REGIONAL).
        collection_state: String,
    },
    RecordTestResult {
        result: TestResultInput,
    },
    /// An instrument batch: accepted whole or refused whole.
    RecordTestResults {
        results: Vec<TestResultInput>,
    },
    RecordBloodGroup {
        din: String,
        abo: Abo,
        rhd: RhD,
    },
    RecordAntibodyScreen {
        din: String,
        positive: bool,
    },
    ResolveBloodGroup {
        din: String,
        abo: Abo,
        rhd: RhD,
        reason: String,
    },
    ProduceComponents {
        din: String,
        recipe: String,
    },
    ModifyComponent {
        component: String,
        modification: Attr,
    },
    DivideComponent {
        component: String,
        parts: u8,
    },
    PoolComponents {
        components: Vec<String>,
        pool_din: String,
        closed_system: bool,
    },
    RecordBacterialControl {
        component: String,
        method: String,
    },
    /// LABEL-VERIFY: the applied label was scanned; every scan exactly as the scanner
    /// delivered it (each linear barcode, pairs read together, or the Data Matrix once).
    VerifyLabel {
        component: String,
        scans: Vec<String>,
    },
    ReleaseComponent {
        component: String,
    },
    DiscardComponent {
        component: String,
        reason: String,
    },
    PlaceHold {
        target: HoldTarget,
        kind: HoldKind,
        reason: String,
    },
    ReleaseHold {
        hold_id: String,
        reason: String,
    },
    RecordPostDonationInformation {
        donor_id: String,
        information: String,
    },
    ExpireUnits {
        #[serde(with = "time::serde::rfc3339")]
        as_of: OffsetDateTime,
    },
    /// Ships one unit to a consignee outside the order workflow (kept for scripts and the
    /// older workload); hospital orders ship with `ShipShipment`.
    ShipComponent {
        component: String,
        consignee: String,
    },
    /// One of our sites (admin).
    RegisterSite {
        site_id: String,
        name: String,
        kind: SiteKind,
        address: String,
    },
    /// A refrigerator, freezer, platelet agitator or room-temperature store at a site (admin).
    RegisterStorage {
        storage_id: String,
        site_id: String,
        kind: StorageKind,
        min_c: Celsius,
        max_c: Celsius,
    },
    /// DIST-STORAGE: a unit put away by scan.
    StoreComponent {
        component: String,
        storage: String,
    },
    /// DIST-TRANSFER: units scanned out of `from` towards `to`.
    DispatchTransfer {
        transfer_id: String,
        from: String,
        to: String,
        components: Vec<String>,
    },
    /// DIST-TRANSFER: one unit scanned in at the transfer's destination.
    ReceiveTransfer {
        transfer_id: String,
        component: String,
    },
    /// A hospital we supply (admin).
    RegisterHospital {
        hospital_id: String,
        name: String,
        address: String,
        #[serde(default)]
        contacts: Vec<Contact>,
    },
    /// ORDER-CLOCK: an order of a hospital (its own user, or distribution for it).
    PlaceOrder {
        order_id: String,
        hospital: String,
        lines: Vec<OrderLine>,
        priority: Priority,
        #[serde(default, with = "time::serde::rfc3339::option")]
        needed_by: Option<OffsetDateTime>,
    },
    /// An order placed again every week on `weekday` by `RenewStandingOrders`.
    PlaceStandingOrder {
        standing_order_id: String,
        hospital: String,
        lines: Vec<OrderLine>,
        priority: Priority,
        weekday: time::Weekday,
    },
    /// Places the coming order of every standing order not yet placed (a scheduler sends it).
    RenewStandingOrders {
        #[serde(with = "time::serde::rfc3339")]
        as_of: OffsetDateTime,
    },
    /// Cancels an order not yet shipped, or a standing order.
    CancelOrder {
        order_id: String,
        reason: String,
    },
    /// ALLOC-FEFO, ALLOC-SUBST: the units chosen for an order (the proposal or a changed one).
    AllocateOrder {
        order_id: String,
        units: Vec<LineUnit>,
    },
    /// DIST-PICK: a unit scanned into a shipment of its order.
    PickUnit {
        shipment_id: String,
        order_id: String,
        component: String,
    },
    /// DIST-SHIP: the shipment closed and sent.
    ShipShipment {
        shipment_id: String,
        box_id: String,
        temperature_range: TemperatureRange,
        courier: String,
    },
    /// DIST-RECEIPT: the hospital scans one unit of a shipment in.
    ConfirmReceipt {
        shipment_id: String,
        component: String,
    },
    /// DIST-RETURN: a unit sent back by a hospital.
    ReturnUnit {
        component: String,
        minutes_out_of_storage: u32,
        reason: String,
        #[serde(default = "yes")]
        seal_intact: bool,
        #[serde(default)]
        validated_container: bool,
    },
    /// DIST-RETURN: QA accepts a returned unit back into stock, or rejects it (discarded).
    ReviewReturn {
        component: String,
        accept: bool,
        reason: String,
    },
    /// An account (P11-ACCESS): admin only.
    CreateUser {
        user_id: String,
        name: String,
        role: Role,
        hospital: Option<String>,
    },
    /// The Argon2id PHC string of a new password, computed by the server.
    SetPassword {
        user_id: String,
        password_hash: String,
    },
    DisableUser {
        user_id: String,
        reason: String,
    },
    /// An API token for a machine client (P11-ACCESS): the SHA-256 digest of a secret the
    /// server drew and showed once; never the secret.
    IssueApiToken {
        token_id: String,
        name: String,
        role: Role,
        hospital: Option<String>,
        digest: String,
    },
    RevokeApiToken {
        token_id: String,
        reason: String,
    },
    /// An access attempt (P11-AUDIT), recorded by the server; never the password.
    RecordSignIn {
        user_id: String,
        channel: String,
        outcome: SignInOutcome,
    },
    /// A command given with an electronic signature of the actor (P11-SIGN).
    Signed {
        meaning: String,
        command: Box<Command>,
    },
}

impl Command {
    /// What the command does, for messages ("may not release a component").
    pub fn describe(&self) -> &'static str {
        match self {
            Command::Configure { .. } => "change the site configuration",
            Command::RegisterDonor { .. } => "register a donor",
            Command::RecordScreening { .. } => "record a donor screening",
            Command::DeferDonor { .. } => "defer a donor",
            Command::RequalifyDonor { .. } => "requalify a deferred donor",
            Command::CollectDonation { .. } => "record a collection",
            Command::RecordTestResult { .. } => "record a test result",
            Command::RecordTestResults { .. } => "record a batch of test results",
            Command::RecordBloodGroup { .. } => "record an ABO/RhD determination",
            Command::RecordAntibodyScreen { .. } => "record an antibody screen",
            Command::ResolveBloodGroup { .. } => "resolve an ABO/RhD discrepancy",
            Command::ProduceComponents { .. } => "produce components",
            Command::ModifyComponent { .. } => "modify a component",
            Command::DivideComponent { .. } => "divide a component",
            Command::PoolComponents { .. } => "pool components",
            Command::RecordBacterialControl { .. } => "record a bacterial risk-control step",
            Command::VerifyLabel { .. } => "verify a label",
            Command::ReleaseComponent { .. } => "release a component",
            Command::DiscardComponent { .. } => "discard a component",
            Command::PlaceHold { .. } => "place a hold",
            Command::ReleaseHold { .. } => "release a hold",
            Command::RecordPostDonationInformation { .. } => "record post-donation information",
            Command::ExpireUnits { .. } => "expire units",
            Command::ShipComponent { .. } => "ship a component",
            Command::RegisterSite { .. } => "register a site",
            Command::RegisterStorage { .. } => "register a storage",
            Command::StoreComponent { .. } => "put a unit away",
            Command::DispatchTransfer { .. } => "dispatch a transfer",
            Command::ReceiveTransfer { .. } => "receive a transfer",
            Command::RegisterHospital { .. } => "register a hospital",
            Command::PlaceOrder { .. } => "place an order",
            Command::PlaceStandingOrder { .. } => "place a standing order",
            Command::RenewStandingOrders { .. } => "renew standing orders",
            Command::CancelOrder { .. } => "cancel an order",
            Command::AllocateOrder { .. } => "allocate an order",
            Command::PickUnit { .. } => "pick a unit",
            Command::ShipShipment { .. } => "ship a shipment",
            Command::ConfirmReceipt { .. } => "confirm receipt of a unit",
            Command::ReturnUnit { .. } => "return a unit",
            Command::ReviewReturn { .. } => "review a returned unit",
            Command::CreateUser { .. } => "create a user account",
            Command::SetPassword { .. } => "set a password",
            Command::DisableUser { .. } => "disable a user account",
            Command::IssueApiToken { .. } => "issue an API token",
            Command::RevokeApiToken { .. } => "revoke an API token",
            Command::RecordSignIn { .. } => "record a sign-in attempt",
            Command::Signed { command, .. } => command.describe(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    Configured {
        config: Box<Config>,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    DonorRegistered {
        donor: Box<Donor>,
    },
    ScreeningRecorded {
        screening: Box<Screening>,
    },
    DonorDeferred {
        deferral: Deferral,
    },
    DonorRequalified {
        deferral_id: String,
        reason: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    DonationCollected {
        donation: Box<Donation>,
    },
    TestsOrdered {
        din: String,
        tests: Vec<String>,
    },
    TestResultRecorded {
        din: String,
        test: String,
        stage: Stage,
        reading: Reading,
        status: MarkerStatus,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    DonationUnsuitable {
        din: String,
        reason: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    BloodGroupDetermined {
        din: String,
        abo: Abo,
        rhd: RhD,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    BloodGroupResolved {
        din: String,
        abo: Abo,
        rhd: RhD,
        reason: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    DonorBloodGroupConfirmed {
        donor_id: String,
        abo: Abo,
        rhd: RhD,
        din: String,
    },
    AntibodyScreenRecorded {
        din: String,
        positive: bool,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    ComponentProduced {
        component: Box<Component>,
    },
    ComponentProcessed {
        id: String,
        into: Vec<String>,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    BacterialControlRecorded {
        id: String,
        method: String,
        #[serde(with = "time::serde::rfc3339")]
        expires_at: OffsetDateTime,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    LabelVerified {
        id: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
        /// The structures the verified label carries, as scanned.
        #[serde(default)]
        structures: Vec<String>,
    },
    ComponentReleased {
        id: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    ComponentQuarantined {
        id: String,
        hold_id: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    ComponentMarkedUnsafe {
        id: String,
        reason: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    ComponentDiscarded {
        id: String,
        reason: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    ComponentExpired {
        id: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    ComponentShipped {
        id: String,
        consignee: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
        /// The shipment it left in (none for `ShipComponent`).
        #[serde(default)]
        shipment: Option<String>,
    },
    SiteRegistered {
        site: Site,
    },
    StorageRegistered {
        storage: Storage,
    },
    ComponentStored {
        id: String,
        site: String,
        storage: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    TransferDispatched {
        transfer: Transfer,
    },
    TransferReceived {
        transfer_id: String,
        id: String,
        site: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    HospitalRegistered {
        hospital: Hospital,
    },
    OrderPlaced {
        order: Box<Order>,
    },
    StandingOrderPlaced {
        standing_order: StandingOrder,
    },
    OrderCancelled {
        order_id: String,
        cancellation: Cancellation,
    },
    StandingOrderCancelled {
        standing_order_id: String,
        cancellation: Cancellation,
    },
    OrderAllocated {
        order_id: String,
        units: Vec<AllocatedUnit>,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    /// An allocated unit can no longer fill its order (discarded, expired, quarantined, unsafe,
    /// processed): it leaves the order and any open shipment; the line is short again.
    AllocationWithdrawn {
        order_id: String,
        id: String,
        reason: String,
    },
    ShipmentOpened {
        shipment: Shipment,
    },
    UnitPicked {
        shipment_id: String,
        order_id: String,
        id: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    ShipmentShipped {
        shipment_id: String,
        dispatch: Dispatch,
    },
    ReceiptConfirmed {
        shipment_id: String,
        id: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    UnitReturned {
        unit_return: UnitReturn,
    },
    ReturnReviewed {
        id: String,
        review: ReturnReview,
    },
    HoldPlaced {
        hold: Hold,
    },
    HoldReleased {
        hold_id: String,
        reason: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    TaskOpened {
        task: Task,
    },
    UserCreated {
        user: User,
    },
    PasswordSet {
        user_id: String,
        password_hash: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    UserDisabled {
        user_id: String,
        reason: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    Signed {
        signature: Signature,
    },
    ApiTokenIssued {
        token: ApiToken,
    },
    ApiTokenRevoked {
        token_id: String,
        reason: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    SignInRecorded {
        attempt: SignInAttempt,
    },
}

impl Event {
    /// The event's name, as in its serialized `type`.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Configured { .. } => "configured",
            Event::DonorRegistered { .. } => "donor_registered",
            Event::ScreeningRecorded { .. } => "screening_recorded",
            Event::DonorDeferred { .. } => "donor_deferred",
            Event::DonorRequalified { .. } => "donor_requalified",
            Event::DonationCollected { .. } => "donation_collected",
            Event::TestsOrdered { .. } => "tests_ordered",
            Event::TestResultRecorded { .. } => "test_result_recorded",
            Event::DonationUnsuitable { .. } => "donation_unsuitable",
            Event::BloodGroupDetermined { .. } => "blood_group_determined",
            Event::BloodGroupResolved { .. } => "blood_group_resolved",
            Event::DonorBloodGroupConfirmed { .. } => "donor_blood_group_confirmed",
            Event::AntibodyScreenRecorded { .. } => "antibody_screen_recorded",
            Event::ComponentProduced { .. } => "component_produced",
            Event::ComponentProcessed { .. } => "component_processed",
            Event::BacterialControlRecorded { .. } => "bacterial_control_recorded",
            Event::LabelVerified { .. } => "label_verified",
            Event::ComponentReleased { .. } => "component_released",
            Event::ComponentQuarantined { .. } => "component_quarantined",
            Event::ComponentMarkedUnsafe { .. } => "component_marked_unsafe",
            Event::ComponentDiscarded { .. } => "component_discarded",
            Event::ComponentExpired { .. } => "component_expired",
            Event::ComponentShipped { .. } => "component_shipped",
            Event::SiteRegistered { .. } => "site_registered",
            Event::StorageRegistered { .. } => "storage_registered",
            Event::ComponentStored { .. } => "component_stored",
            Event::TransferDispatched { .. } => "transfer_dispatched",
            Event::TransferReceived { .. } => "transfer_received",
            Event::HospitalRegistered { .. } => "hospital_registered",
            Event::OrderPlaced { .. } => "order_placed",
            Event::StandingOrderPlaced { .. } => "standing_order_placed",
            Event::OrderCancelled { .. } => "order_cancelled",
            Event::StandingOrderCancelled { .. } => "standing_order_cancelled",
            Event::OrderAllocated { .. } => "order_allocated",
            Event::AllocationWithdrawn { .. } => "allocation_withdrawn",
            Event::ShipmentOpened { .. } => "shipment_opened",
            Event::UnitPicked { .. } => "unit_picked",
            Event::ShipmentShipped { .. } => "shipment_shipped",
            Event::ReceiptConfirmed { .. } => "receipt_confirmed",
            Event::UnitReturned { .. } => "unit_returned",
            Event::ReturnReviewed { .. } => "return_reviewed",
            Event::HoldPlaced { .. } => "hold_placed",
            Event::HoldReleased { .. } => "hold_released",
            Event::TaskOpened { .. } => "task_opened",
            Event::UserCreated { .. } => "user_created",
            Event::PasswordSet { .. } => "password_set",
            Event::UserDisabled { .. } => "user_disabled",
            Event::Signed { .. } => "signed",
            Event::ApiTokenIssued { .. } => "api_token_issued",
            Event::ApiTokenRevoked { .. } => "api_token_revoked",
            Event::SignInRecorded { .. } => "sign_in_recorded",
        }
    }
}

fn yes() -> bool {
    true
}
