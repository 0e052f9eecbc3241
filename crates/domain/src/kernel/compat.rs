//! ABO/RhD compatibility tables (COMPAT-RBC, COMPAT-PLASMA, COMPAT-PLT, COMPAT-CRYO,
//! COMPAT-RHD). Pure tables for the crossmatch and issue work of later issues.

use serde::Serialize;

use super::{Abo, RhD};

/// What a table says about giving a donor unit to a recipient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Compatibility {
    Compatible,
    /// Allowed, with the warning or note to show.
    AllowedWithWarning(&'static str),
    /// Needs a physician's approval first.
    NeedsPhysicianApproval(&'static str),
    Incompatible,
}

fn has_a(abo: Abo) -> bool {
    matches!(abo, Abo::A | Abo::AB)
}

fn has_b(abo: Abo) -> bool {
    matches!(abo, Abo::B | Abo::AB)
}

/// COMPAT-RBC: the donor's red cells carry no antigen the recipient lacks
/// (O -> all, A -> A/AB, B -> B/AB, AB -> AB).
pub fn red_cells(recipient: Abo, donor: Abo) -> bool {
    (!has_a(donor) || has_a(recipient)) && (!has_b(donor) || has_b(recipient))
}

/// COMPAT-RBC: whole blood is ABO-identical.
pub fn whole_blood(recipient: Abo, donor: Abo) -> bool {
    recipient == donor
}

/// COMPAT-PLASMA: the reverse of red cells (AB -> all, A -> A/O, B -> B/O, O -> O); RhD is not
/// considered.
pub fn plasma(recipient: Abo, donor: Abo) -> bool {
    red_cells(donor, recipient)
}

/// COMPAT-RHD: an RhD-negative recipient gets RhD-negative red cells unless a physician
/// approves.
pub fn red_cells_rhd(recipient: RhD, donor: RhD) -> Compatibility {
    match (recipient, donor) {
        (RhD::Negative, RhD::Positive) => Compatibility::NeedsPhysicianApproval(
            "RhD-positive red cells for an RhD-negative recipient",
        ),
        _ => Compatibility::Compatible,
    }
}

/// COMPAT-PLT: identical preferred, ABO-incompatible allowed with a warning; an RhD-negative
/// recipient of RhD-positive platelets needs an RhIG note.
pub fn platelets(recipient: (Abo, RhD), donor: (Abo, RhD)) -> Compatibility {
    if recipient.1 == RhD::Negative && donor.1 == RhD::Positive {
        return Compatibility::AllowedWithWarning(
            "RhD-positive platelets for an RhD-negative recipient: consider RhIG within 72 h",
        );
    }
    if recipient.0 != donor.0 {
        return Compatibility::AllowedWithWarning(
            "ABO-non-identical platelets: watch for incompatible plasma",
        );
    }
    Compatibility::Compatible
}

/// COMPAT-CRYO: any ABO; RhD not considered.
pub fn cryo(_recipient: Abo, _donor: Abo) -> bool {
    true
}
