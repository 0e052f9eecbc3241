//! The testing laboratory's commands and events.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::kernel::Role;
use crate::lab::correction::StageReading;
use crate::lab::testing::{Abo, MarkerStatus, Reading, RhD, Stage};

/// One result of one test of one donation, as a technologist keys it in or an instrument sends it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TestResultInput {
    pub din: String,
    pub test: String,
    pub stage: Stage,
    pub reading: Reading,
}

/// What users ask of this area: one variant per command, serialised as `{"type": "<snake_case
/// name>", ...}`, the same JSON as every command has had on the ledger.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = LabCommand))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
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
    /// CORR-ENTRY: the marker's results on this donation, as they should have been recorded
    /// (none when they were keyed into the wrong donation).
    CorrectTestResult {
        din: String,
        test: String,
        results: Vec<StageReading>,
        reason: String,
    },
}

impl Command {
    /// The `type` of each command, as serialised.
    pub const TYPES: &[&str] = &[
        "record_test_result",
        "record_test_results",
        "record_blood_group",
        "record_antibody_screen",
        "resolve_blood_group",
        "correct_test_result",
    ];

    /// Who may give the command (P11-ACCESS): each command names its roles here, in one place.
    pub fn roles(&self) -> &'static [Role] {
        use Role::*;
        match self {
            Command::RecordTestResult { .. }
            | Command::RecordTestResults { .. }
            | Command::RecordBloodGroup { .. }
            | Command::RecordAntibodyScreen { .. }
            | Command::CorrectTestResult { .. } => &[LabTechnologist],
            Command::ResolveBloodGroup { .. } => &[QualityAssurance],
        }
    }

    /// P11-SIGN: the meaning a signature of this command must state, for the commands that
    /// are given only with the electronic signature of the person who gives them.
    pub fn signature_meaning(&self) -> Option<&'static str> {
        match self {
            Command::CorrectTestResult { .. } => Some("test result corrected by"),
            _ => None,
        }
    }

    /// What the command does, for messages ("may not release a component").
    pub fn describe(&self) -> &'static str {
        match self {
            Command::RecordTestResult { .. } => "record a test result",
            Command::RecordTestResults { .. } => "record a batch of test results",
            Command::RecordBloodGroup { .. } => "record an ABO/RhD determination",
            Command::RecordAntibodyScreen { .. } => "record an antibody screen",
            Command::ResolveBloodGroup { .. } => "resolve an ABO/RhD discrepancy",
            Command::CorrectTestResult { .. } => "correct a test result",
        }
    }
}

/// What happened in this area: facts carrying every value `evolve` needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = LabEvent))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
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
    /// CORR-ENTRY: the marker's results replaced; `was` is the status they replace.
    TestResultCorrected {
        din: String,
        test: String,
        results: Vec<StageReading>,
        was: MarkerStatus,
        now: MarkerStatus,
        reason: String,
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
}

impl Event {
    /// The `type` of each event, as serialised.
    pub const TYPES: &[&str] = &[
        "tests_ordered",
        "test_result_recorded",
        "test_result_corrected",
        "donation_unsuitable",
        "blood_group_determined",
        "blood_group_resolved",
        "donor_blood_group_confirmed",
        "antibody_screen_recorded",
    ];

    /// The event's name, as in its serialized `type`.
    pub fn name(&self) -> &'static str {
        match self {
            Event::TestsOrdered { .. } => "tests_ordered",
            Event::TestResultRecorded { .. } => "test_result_recorded",
            Event::TestResultCorrected { .. } => "test_result_corrected",
            Event::DonationUnsuitable { .. } => "donation_unsuitable",
            Event::BloodGroupDetermined { .. } => "blood_group_determined",
            Event::BloodGroupResolved { .. } => "blood_group_resolved",
            Event::DonorBloodGroupConfirmed { .. } => "donor_blood_group_confirmed",
            Event::AntibodyScreenRecorded { .. } => "antibody_screen_recorded",
        }
    }
}
