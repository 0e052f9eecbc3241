//! Emergency release (EMERG-RELEASE) and the massive transfusion protocol (TX-MTP): units
//! issued uncrossmatched on a physician's request, signed for after the fact, crossmatched
//! afterwards and reviewed by QA; and transfusion reactions, classified for haemovigilance
//! reporting (TX-REACTION).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A physician's signature on an emergency request, recorded from the signed form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhysicianSignature {
    pub physician: String,
    #[serde(with = "time::serde::rfc3339")]
    pub signed_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
    pub recorded_by: String,
}

/// QA's review of an emergency release.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Review {
    pub note: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
}

/// A massive transfusion protocol's rounds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Protocol {
    /// The units of each round, in order.
    pub rounds: Vec<Vec<String>>,
    #[serde(default)]
    pub stood_down: Option<Review>,
}

/// One emergency release, or one massive transfusion protocol.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmergencyRelease {
    pub id: String,
    pub hospital: String,
    pub patient: String,
    /// The requesting physician as named on the request.
    pub physician: String,
    pub reason: String,
    /// The units issued under it (every round of a protocol).
    pub components: Vec<String>,
    /// A massive transfusion protocol's rounds; none for a single release.
    #[serde(default)]
    pub protocol: Option<Protocol>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
    #[serde(default)]
    pub signature: Option<PhysicianSignature>,
    #[serde(default)]
    pub review: Option<Review>,
}

impl EmergencyRelease {
    /// Still issuing rounds: a protocol not stood down.
    pub fn is_active_protocol(&self) -> bool {
        self.protocol
            .as_ref()
            .is_some_and(|p| p.stood_down.is_none())
    }
}

/// Adverse reaction categories of the NHSN Hemovigilance Module (CDC, 2021 protocol), which
/// follow the ISBT working party's definitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReactionCategory {
    AllergicReaction,
    AcuteHemolytic,
    DelayedHemolytic,
    DelayedSerologic,
    FebrileNonHemolytic,
    Hypotensive,
    PostTransfusionPurpura,
    /// Transfusion-associated circulatory overload.
    Taco,
    /// Transfusion-associated dyspnea.
    Tad,
    /// Transfusion-related acute lung injury.
    Trali,
    /// Transfusion-associated graft-versus-host disease.
    TaGvhd,
    TransfusionTransmittedInfection,
    Other,
}

impl ReactionCategory {
    pub fn describe(self) -> &'static str {
        match self {
            ReactionCategory::AllergicReaction => "allergic reaction",
            ReactionCategory::AcuteHemolytic => "acute hemolytic transfusion reaction",
            ReactionCategory::DelayedHemolytic => "delayed hemolytic transfusion reaction",
            ReactionCategory::DelayedSerologic => "delayed serologic transfusion reaction",
            ReactionCategory::FebrileNonHemolytic => "febrile non-hemolytic transfusion reaction",
            ReactionCategory::Hypotensive => "hypotensive transfusion reaction",
            ReactionCategory::PostTransfusionPurpura => "post-transfusion purpura",
            ReactionCategory::Taco => "transfusion-associated circulatory overload (TACO)",
            ReactionCategory::Tad => "transfusion-associated dyspnea (TAD)",
            ReactionCategory::Trali => "transfusion-related acute lung injury (TRALI)",
            ReactionCategory::TaGvhd => "transfusion-associated graft-vs-host disease",
            ReactionCategory::TransfusionTransmittedInfection => {
                "transfusion-transmitted infection"
            }
            ReactionCategory::Other => "other",
        }
    }
}

/// NHSN severity grades.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    NonSevere,
    Severe,
    LifeThreatening,
    Death,
}

/// NHSN imputability (the strength of the relationship to the transfusion).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Imputability {
    Definite,
    Probable,
    Possible,
    Doubtful,
    RuledOut,
    NotDetermined,
}

/// A transfusion reaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reaction {
    pub id: String,
    pub hospital: String,
    pub patient: String,
    pub component: String,
    pub category: ReactionCategory,
    pub severity: Severity,
    pub imputability: Imputability,
    pub description: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
}
