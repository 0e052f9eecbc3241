//! The transfusion service's commands and events.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::distribution::Celsius;
use crate::kernel::{Abo, RhD, Role};
use crate::transfusion::emergency::{
    EmergencyRelease, Imputability, PhysicianSignature, Reaction, ReactionCategory, Review,
    Severity,
};
use crate::transfusion::patients::RequirementRecord;
use crate::transfusion::patients::{Antigen, Patient, PatientSex, RecentHistory, Requirement};
use crate::transfusion::samples::{Sample, Screen};
use crate::transfusion::settings::ServiceSettings;
use crate::transfusion::units::{Crossmatch, Fate, Issue, Retype, Start, Vitals, XmMethod};

/// A group brought with the patient from an earlier record (the historical determination).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoricalGroup {
    pub abo: Abo,
    pub rhd: RhD,
}

/// What users of a hospital's transfusion service ask: one variant per command, serialised as
/// `{"type": "<snake_case name>", ...}`. Every patient is named by the scan of their wristband
/// (`wristband`: ISBT 128 025, with 024 when printed), every unit by its ID
/// (`DIN-productcode`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = TransfusionCommand))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    /// The hospital's SOP choices (admin).
    ConfigureTransfusionService {
        hospital: String,
        settings: ServiceSettings,
    },
    /// TX-PATIENT: a patient of the actor's hospital, from the wristband and the admission.
    RegisterPatient {
        wristband: String,
        mrn: String,
        family_name: String,
        given_name: String,
        sex: PatientSex,
        #[serde(default)]
        born: Option<Date>,
        recent_history: RecentHistory,
        #[serde(default)]
        historical_group: Option<HistoricalGroup>,
        #[serde(default)]
        known_antibodies: Vec<Antigen>,
        #[serde(default)]
        requirements: Vec<Requirement>,
    },
    /// TX-REQUIRE: a special requirement, for life.
    AddRequirement {
        wristband: String,
        requirement: Requirement,
        reason: String,
    },
    /// XM-SAMPLE: a sample received in the lab, its label's wristband number scanned.
    ReceiveSample {
        sample_id: String,
        wristband: String,
        #[serde(with = "time::serde::rfc3339")]
        drawn_at: OffsetDateTime,
        drawn_by: String,
    },
    /// TX-TYPE: the sample's ABO/RhD.
    TypeSample {
        sample_id: String,
        abo: Abo,
        rhd: RhD,
    },
    /// The sample's antibody screen.
    ScreenSample { sample_id: String, positive: bool },
    /// The antibodies identified on a sample with a positive screen (for life).
    IdentifyAntibodies {
        sample_id: String,
        antigens: Vec<Antigen>,
    },
    /// TX-TYPE: a discrepancy investigated: the sample was wrong (wrong blood in tube) and is
    /// set aside, or the earlier record was, and the sample's group stands.
    ResolveDiscrepancy {
        sample_id: String,
        sample_wrong: bool,
        reason: String,
    },
    /// XM-RETYPE: a unit's ABO (and RhD when labelled negative) confirmed on receipt.
    RetypeUnit {
        component: String,
        abo: Abo,
        #[serde(default)]
        rhd: Option<RhD>,
    },
    /// TX-REQUIRE: a red-cell unit typed for an antigen at the service.
    TypeUnitAntigen {
        component: String,
        antigen: Antigen,
        negative: bool,
    },
    /// A crossmatch of a unit with the patient's sample: electronic (XM-ELECTRONIC), or
    /// serologic with its reading.
    CrossmatchUnit {
        sample_id: String,
        wristband: String,
        component: String,
        method: XmMethod,
        #[serde(default)]
        compatible: Option<bool>,
        #[serde(default)]
        rhd_approved_by: Option<String>,
    },
    /// TX-WRONG-PATIENT: a unit issued by scan to one patient; from a remote fridge
    /// (`remote`) by electronic crossmatch at the moment of issue.
    IssueUnit {
        component: String,
        wristband: String,
        to: String,
        #[serde(default)]
        remote: Option<String>,
    },
    /// TX-BEDSIDE: the bedside check, and the transfusion starts.
    StartTransfusion {
        component: String,
        wristband: String,
        #[serde(default)]
        second_checker: Option<String>,
        vitals: Vitals,
    },
    /// TX-FATE: the transfusion ended.
    EndTransfusion {
        component: String,
        volume_ml: u32,
        vitals: Vitals,
    },
    /// TX-REACTION: a reaction to a unit transfused.
    ReportReaction {
        reaction_id: String,
        component: String,
        category: ReactionCategory,
        severity: Severity,
        imputability: Imputability,
        description: String,
    },
    /// TX-FATE: a unit wasted, issued or in stock.
    WasteUnit { component: String, reason: String },
    /// TX-FATE: an issued unit not hung, back to the service's stock.
    ReturnToStock {
        component: String,
        minutes_out: u32,
        kept_at_c: Celsius,
    },
    /// EMERG-RELEASE: uncrossmatched units for a patient on a physician's request.
    ReleaseEmergency {
        release_id: String,
        wristband: String,
        components: Vec<String>,
        physician: String,
        reason: String,
    },
    /// EMERG-RELEASE: the physician's signature on the request, recorded after the fact.
    SignEmergencyRelease {
        release_id: String,
        physician: String,
        #[serde(with = "time::serde::rfc3339")]
        signed_at: OffsetDateTime,
    },
    /// QA's review of an emergency release or protocol.
    ReviewEmergencyRelease { release_id: String, note: String },
    /// TX-MTP: a massive transfusion protocol activated for a patient.
    ActivateMtp {
        release_id: String,
        wristband: String,
        physician: String,
        reason: String,
    },
    /// TX-MTP: one round of the hospital's pack.
    IssueMtpRound {
        release_id: String,
        components: Vec<String>,
    },
    /// TX-MTP: the protocol stood down.
    StandDownMtp { release_id: String, note: String },
}

impl Command {
    /// The `type` of each command, as serialised.
    pub const TYPES: &[&str] = &[
        "configure_transfusion_service",
        "register_patient",
        "add_requirement",
        "receive_sample",
        "type_sample",
        "screen_sample",
        "identify_antibodies",
        "resolve_discrepancy",
        "retype_unit",
        "type_unit_antigen",
        "crossmatch_unit",
        "issue_unit",
        "start_transfusion",
        "end_transfusion",
        "report_reaction",
        "waste_unit",
        "return_to_stock",
        "release_emergency",
        "sign_emergency_release",
        "review_emergency_release",
        "activate_mtp",
        "issue_mtp_round",
        "stand_down_mtp",
    ];

    /// Who may give the command (P11-ACCESS). Technologists and nurses act for their own
    /// hospital only (checked with the patient or unit).
    pub fn roles(&self) -> &'static [Role] {
        use Role::*;
        match self {
            Command::ConfigureTransfusionService { .. } => &[Admin],
            Command::IssueUnit { .. } | Command::WasteUnit { .. } => {
                &[TransfusionTechnologist, Nurse]
            }
            Command::StartTransfusion { .. } | Command::EndTransfusion { .. } => &[Nurse],
            Command::ReportReaction { .. } => &[Nurse, TransfusionTechnologist],
            Command::ReviewEmergencyRelease { .. } => &[QualityAssurance],
            _ => &[TransfusionTechnologist],
        }
    }

    /// P11-SIGN: none of these is signed with a password: the bedside and bench scans are
    /// the record (the physician's signature is on the emergency request form).
    pub fn signature_meaning(&self) -> Option<&'static str> {
        None
    }

    pub fn describe(&self) -> &'static str {
        match self {
            Command::ConfigureTransfusionService { .. } => "configure a transfusion service",
            Command::RegisterPatient { .. } => "register a patient",
            Command::AddRequirement { .. } => "add a special requirement",
            Command::ReceiveSample { .. } => "receive a sample",
            Command::TypeSample { .. } => "type a sample",
            Command::ScreenSample { .. } => "screen a sample",
            Command::IdentifyAntibodies { .. } => "identify antibodies",
            Command::ResolveDiscrepancy { .. } => "resolve a typing discrepancy",
            Command::RetypeUnit { .. } => "retype a unit",
            Command::TypeUnitAntigen { .. } => "antigen-type a unit",
            Command::CrossmatchUnit { .. } => "crossmatch a unit",
            Command::IssueUnit { .. } => "issue a unit to a patient",
            Command::StartTransfusion { .. } => "start a transfusion",
            Command::EndTransfusion { .. } => "end a transfusion",
            Command::ReportReaction { .. } => "report a transfusion reaction",
            Command::WasteUnit { .. } => "record a unit wasted",
            Command::ReturnToStock { .. } => "return a unit to stock",
            Command::ReleaseEmergency { .. } => "release uncrossmatched blood",
            Command::SignEmergencyRelease { .. } => "record a physician's signature",
            Command::ReviewEmergencyRelease { .. } => "review an emergency release",
            Command::ActivateMtp { .. } => "activate a massive transfusion protocol",
            Command::IssueMtpRound { .. } => "issue a massive transfusion round",
            Command::StandDownMtp { .. } => "stand down a massive transfusion protocol",
        }
    }
}

/// What happened in the transfusion service: facts carrying every value `evolve` needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = TransfusionEvent))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    TransfusionServiceConfigured {
        hospital: String,
        settings: ServiceSettings,
    },
    PatientRegistered {
        patient: Box<Patient>,
    },
    RequirementAdded {
        patient: String,
        record: RequirementRecord,
    },
    SampleReceived {
        sample: Sample,
    },
    SampleTyped {
        sample_id: String,
        patient: String,
        abo: Abo,
        rhd: RhD,
        /// TX-TYPE: the group the patient's record expected, when the sample disagrees.
        #[serde(default)]
        discrepant_with: Option<(Abo, RhD)>,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    SampleScreened {
        sample_id: String,
        screen: Screen,
    },
    AntibodiesIdentified {
        sample_id: String,
        patient: String,
        antigens: Vec<Antigen>,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    DiscrepancyResolved {
        sample_id: String,
        patient: String,
        sample_wrong: bool,
        reason: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    UnitRetyped {
        component: String,
        hospital: String,
        retype: Retype,
    },
    UnitAntigenTyped {
        component: String,
        hospital: String,
        antigen: Antigen,
        negative: bool,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    CrossmatchRecorded {
        component: String,
        hospital: String,
        crossmatch: Crossmatch,
    },
    UnitIssued {
        component: String,
        hospital: String,
        issue: Issue,
    },
    TransfusionStarted {
        component: String,
        patient: String,
        start: Start,
    },
    TransfusionEnded {
        component: String,
        patient: String,
        fate: Fate,
    },
    UnitWasted {
        component: String,
        hospital: String,
        fate: Fate,
    },
    UnitReturnedToStock {
        component: String,
        hospital: String,
        fate: Fate,
    },
    ReactionReported {
        reaction: Reaction,
    },
    EmergencyReleased {
        release: Box<EmergencyRelease>,
    },
    EmergencyReleaseSigned {
        release_id: String,
        signature: PhysicianSignature,
    },
    EmergencyReleaseReviewed {
        release_id: String,
        review: Review,
    },
    MtpRoundIssued {
        release_id: String,
        components: Vec<String>,
    },
    MtpStoodDown {
        release_id: String,
        review: Review,
    },
}

impl Event {
    /// The `type` of each event, as serialised.
    pub const TYPES: &[&str] = &[
        "transfusion_service_configured",
        "patient_registered",
        "requirement_added",
        "sample_received",
        "sample_typed",
        "sample_screened",
        "antibodies_identified",
        "discrepancy_resolved",
        "unit_retyped",
        "unit_antigen_typed",
        "crossmatch_recorded",
        "unit_issued",
        "transfusion_started",
        "transfusion_ended",
        "unit_wasted",
        "unit_returned_to_stock",
        "reaction_reported",
        "emergency_released",
        "emergency_release_signed",
        "emergency_release_reviewed",
        "mtp_round_issued",
        "mtp_stood_down",
    ];

    pub fn name(&self) -> &'static str {
        match self {
            Event::TransfusionServiceConfigured { .. } => "transfusion_service_configured",
            Event::PatientRegistered { .. } => "patient_registered",
            Event::RequirementAdded { .. } => "requirement_added",
            Event::SampleReceived { .. } => "sample_received",
            Event::SampleTyped { .. } => "sample_typed",
            Event::SampleScreened { .. } => "sample_screened",
            Event::AntibodiesIdentified { .. } => "antibodies_identified",
            Event::DiscrepancyResolved { .. } => "discrepancy_resolved",
            Event::UnitRetyped { .. } => "unit_retyped",
            Event::UnitAntigenTyped { .. } => "unit_antigen_typed",
            Event::CrossmatchRecorded { .. } => "crossmatch_recorded",
            Event::UnitIssued { .. } => "unit_issued",
            Event::TransfusionStarted { .. } => "transfusion_started",
            Event::TransfusionEnded { .. } => "transfusion_ended",
            Event::UnitWasted { .. } => "unit_wasted",
            Event::UnitReturnedToStock { .. } => "unit_returned_to_stock",
            Event::ReactionReported { .. } => "reaction_reported",
            Event::EmergencyReleased { .. } => "emergency_released",
            Event::EmergencyReleaseSigned { .. } => "emergency_release_signed",
            Event::EmergencyReleaseReviewed { .. } => "emergency_release_reviewed",
            Event::MtpRoundIssued { .. } => "mtp_round_issued",
            Event::MtpStoodDown { .. } => "mtp_stood_down",
        }
    }
}
