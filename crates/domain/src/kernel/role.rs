//! The roles of a blood establishment: every area names who may give its commands by them.

use serde::{Deserialize, Serialize};

/// The roles of a blood establishment. A `HospitalUser` account is bound to one hospital and
/// orders, confirms receipt and returns units for it only; a `TransfusionTechnologist` (the
/// hospital's blood bank) and a `Nurse` (the bedside) are bound to one hospital the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    CollectionStaff,
    LabTechnologist,
    Manufacturing,
    QualityAssurance,
    Distribution,
    Admin,
    HospitalUser,
    TransfusionTechnologist,
    Nurse,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::CollectionStaff,
        Role::LabTechnologist,
        Role::Manufacturing,
        Role::QualityAssurance,
        Role::Distribution,
        Role::Admin,
        Role::HospitalUser,
        Role::TransfusionTechnologist,
        Role::Nurse,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::CollectionStaff => "collection staff",
            Role::LabTechnologist => "lab technologist",
            Role::Manufacturing => "manufacturing",
            Role::QualityAssurance => "quality assurance",
            Role::Distribution => "distribution",
            Role::Admin => "admin",
            Role::HospitalUser => "hospital user",
            Role::TransfusionTechnologist => "transfusion technologist",
            Role::Nurse => "nurse",
        }
    }

    /// P11-ACCESS: whether an account of this role is bound to one hospital, and acts and
    /// sees for it only.
    pub fn is_hospital_bound(self) -> bool {
        matches!(
            self,
            Role::HospitalUser | Role::TransfusionTechnologist | Role::Nurse
        )
    }
}
