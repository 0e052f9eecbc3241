//! Manufacturing's commands and events.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::kernel::Role;
use crate::manufacturing::components::{Attr, Component};

/// What users ask of this area: one variant per command, serialised as `{"type": "<snake_case
/// name>", ...}`, the same JSON as every command has had on the ledger.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ManufacturingCommand))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
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
    DiscardComponent {
        component: String,
        reason: String,
    },
}

impl Command {
    /// The `type` of each command, as serialised.
    pub const TYPES: &[&str] = &[
        "produce_components",
        "modify_component",
        "divide_component",
        "pool_components",
        "record_bacterial_control",
        "verify_label",
        "discard_component",
    ];

    /// Who may give the command (P11-ACCESS): each command names its roles here, in one place.
    pub fn roles(&self) -> &'static [Role] {
        use Role::*;
        match self {
            Command::ProduceComponents { .. }
            | Command::ModifyComponent { .. }
            | Command::DivideComponent { .. }
            | Command::PoolComponents { .. }
            | Command::RecordBacterialControl { .. }
            | Command::VerifyLabel { .. } => &[Manufacturing],
            Command::DiscardComponent { .. } => &[Manufacturing, QualityAssurance, Distribution],
        }
    }

    /// P11-SIGN: the meaning a signature of this command must state, for the commands that
    /// are given only with the electronic signature of the person who gives them.
    pub fn signature_meaning(&self) -> Option<&'static str> {
        match self {
            Command::DiscardComponent { .. } => Some("discarded by"),
            _ => None,
        }
    }

    /// What the command does, for messages ("may not release a component").
    pub fn describe(&self) -> &'static str {
        match self {
            Command::ProduceComponents { .. } => "produce components",
            Command::ModifyComponent { .. } => "modify a component",
            Command::DivideComponent { .. } => "divide a component",
            Command::PoolComponents { .. } => "pool components",
            Command::RecordBacterialControl { .. } => "record a bacterial risk-control step",
            Command::VerifyLabel { .. } => "verify a label",
            Command::DiscardComponent { .. } => "discard a component",
        }
    }
}

/// What happened in this area: facts carrying every value `evolve` needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ManufacturingEvent))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
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
    ComponentDiscarded {
        id: String,
        reason: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
}

impl Event {
    /// The `type` of each event, as serialised.
    pub const TYPES: &[&str] = &[
        "component_produced",
        "component_processed",
        "bacterial_control_recorded",
        "label_verified",
        "component_discarded",
    ];

    /// The event's name, as in its serialized `type`.
    pub fn name(&self) -> &'static str {
        match self {
            Event::ComponentProduced { .. } => "component_produced",
            Event::ComponentProcessed { .. } => "component_processed",
            Event::BacterialControlRecorded { .. } => "bacterial_control_recorded",
            Event::LabelVerified { .. } => "label_verified",
            Event::ComponentDiscarded { .. } => "component_discarded",
        }
    }
}
