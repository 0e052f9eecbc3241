//! The donor centre's commands and events.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::donor_centre::collection::{Container, Donation};
use crate::donor_centre::correction::{Measurement, ScreeningCorrection};
use crate::donor_centre::donor::{Donor, Identity};
use crate::donor_centre::eligibility::{Deferral, Procedure, Screening, ScreeningInput};
use crate::kernel::Role;

/// What users ask of this area: one variant per command, serialised as `{"type": "<snake_case
/// name>", ...}`, the same JSON as every command has had on the ledger.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = DonorCentreCommand))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
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
    /// CORR-ENTRY: one measurement of a screening was entered wrongly.
    CorrectScreening {
        screening_id: String,
        measurement: Measurement,
        #[serde(with = "crate::kernel::decimal")]
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = "decimal"))]
        value: f64,
        reason: String,
    },
}

impl Command {
    /// The `type` of each command, as serialised.
    pub const TYPES: &[&str] = &[
        "register_donor",
        "record_screening",
        "defer_donor",
        "requalify_donor",
        "collect_donation",
        "correct_screening",
    ];

    /// Who may give the command (P11-ACCESS): each command names its roles here, in one place.
    pub fn roles(&self) -> &'static [Role] {
        use Role::*;
        match self {
            Command::RegisterDonor { .. }
            | Command::RecordScreening { .. }
            | Command::CollectDonation { .. }
            | Command::CorrectScreening { .. } => &[CollectionStaff],
            Command::DeferDonor { .. } => &[CollectionStaff, QualityAssurance],
            Command::RequalifyDonor { .. } => &[QualityAssurance],
        }
    }

    /// P11-SIGN: the meaning a signature of this command must state, for the commands that
    /// are given only with the electronic signature of the person who gives them.
    pub fn signature_meaning(&self) -> Option<&'static str> {
        match self {
            Command::RequalifyDonor { .. } => Some("deferral removed by"),
            Command::CorrectScreening { .. } => Some("screening corrected by"),
            _ => None,
        }
    }

    /// What the command does, for messages ("may not release a component").
    pub fn describe(&self) -> &'static str {
        match self {
            Command::RegisterDonor { .. } => "register a donor",
            Command::RecordScreening { .. } => "record a donor screening",
            Command::DeferDonor { .. } => "defer a donor",
            Command::RequalifyDonor { .. } => "requalify a deferred donor",
            Command::CollectDonation { .. } => "record a collection",
            Command::CorrectScreening { .. } => "correct a screening",
        }
    }
}

/// What happened in this area: facts carrying every value `evolve` needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = DonorCentreEvent))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
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
    ScreeningCorrected {
        correction: Box<ScreeningCorrection>,
    },
    DeferralWithdrawn {
        deferral_id: String,
        reason: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
}

impl Event {
    /// The `type` of each event, as serialised.
    pub const TYPES: &[&str] = &[
        "donor_registered",
        "screening_recorded",
        "donor_deferred",
        "donor_requalified",
        "donation_collected",
        "screening_corrected",
        "deferral_withdrawn",
    ];

    /// The event's name, as in its serialized `type`.
    pub fn name(&self) -> &'static str {
        match self {
            Event::DonorRegistered { .. } => "donor_registered",
            Event::ScreeningRecorded { .. } => "screening_recorded",
            Event::DonorDeferred { .. } => "donor_deferred",
            Event::DonorRequalified { .. } => "donor_requalified",
            Event::DonationCollected { .. } => "donation_collected",
            Event::ScreeningCorrected { .. } => "screening_corrected",
            Event::DeferralWithdrawn { .. } => "deferral_withdrawn",
        }
    }
}
