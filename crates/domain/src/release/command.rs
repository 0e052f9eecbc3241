//! The commands and events of release and quality.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::kernel::Role;
use crate::release::gate::{Hold, HoldKind, HoldTarget, Task};

/// What users ask of this area: one variant per command, serialised as `{"type": "<snake_case
/// name>", ...}`, the same JSON as every command has had on the ledger.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ReleaseCommand))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    ReleaseComponent {
        component: String,
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
}

impl Command {
    /// The `type` of each command, as serialised.
    pub const TYPES: &[&str] = &[
        "release_component",
        "place_hold",
        "release_hold",
        "record_post_donation_information",
        "expire_units",
    ];

    /// Who may give the command (P11-ACCESS): each command names its roles here, in one place.
    pub fn roles(&self) -> &'static [Role] {
        use Role::*;
        match self {
            Command::ReleaseComponent { .. } => &[Manufacturing, QualityAssurance],
            Command::PlaceHold { .. } | Command::ReleaseHold { .. } => &[QualityAssurance],
            Command::RecordPostDonationInformation { .. } => &[CollectionStaff, QualityAssurance],
            Command::ExpireUnits { .. } => &[Manufacturing, QualityAssurance, Distribution, Admin],
        }
    }

    /// P11-SIGN: the meaning a signature of this command must state, for the commands that
    /// are given only with the electronic signature of the person who gives them.
    pub fn signature_meaning(&self) -> Option<&'static str> {
        match self {
            Command::ReleaseComponent { .. } => Some("released by"),
            _ => None,
        }
    }

    /// What the command does, for messages ("may not release a component").
    pub fn describe(&self) -> &'static str {
        match self {
            Command::ReleaseComponent { .. } => "release a component",
            Command::PlaceHold { .. } => "place a hold",
            Command::ReleaseHold { .. } => "release a hold",
            Command::RecordPostDonationInformation { .. } => "record post-donation information",
            Command::ExpireUnits { .. } => "expire units",
        }
    }
}

/// What happened in this area: facts carrying every value `evolve` needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ReleaseEvent))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
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
    ComponentExpired {
        id: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
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
}

impl Event {
    /// The `type` of each event, as serialised.
    pub const TYPES: &[&str] = &[
        "component_released",
        "component_quarantined",
        "component_marked_unsafe",
        "component_expired",
        "hold_placed",
        "hold_released",
        "task_opened",
    ];

    /// The event's name, as in its serialized `type`.
    pub fn name(&self) -> &'static str {
        match self {
            Event::ComponentReleased { .. } => "component_released",
            Event::ComponentQuarantined { .. } => "component_quarantined",
            Event::ComponentMarkedUnsafe { .. } => "component_marked_unsafe",
            Event::ComponentExpired { .. } => "component_expired",
            Event::HoldPlaced { .. } => "hold_placed",
            Event::HoldReleased { .. } => "hold_released",
            Event::TaskOpened { .. } => "task_opened",
        }
    }
}
