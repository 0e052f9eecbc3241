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
use crate::release::{Hold, HoldKind, HoldTarget, Task};
use crate::roles::Role;
use crate::testing::{Abo, MarkerStatus, Reading, RhD, Stage};

/// One result of one test of one donation, as a technologist keys it in or an instrument sends it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestResultInput {
    pub din: String,
    pub test: String,
    pub stage: Stage,
    pub reading: Reading,
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
    ShipComponent {
        component: String,
        consignee: String,
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
