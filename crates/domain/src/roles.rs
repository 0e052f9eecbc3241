//! Who may give which command (rule P11-ACCESS: limited access and authority checks,
//! 21 CFR 11.10(d) and (g)).

use serde::{Deserialize, Serialize};

use crate::command::Command;
use crate::refusal::{Refusal, refuse};

/// The roles of a blood establishment. A `HospitalUser` account is bound to one hospital and
/// orders, confirms receipt and returns units for it only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    CollectionStaff,
    LabTechnologist,
    Manufacturing,
    QualityAssurance,
    Distribution,
    Admin,
    HospitalUser,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::CollectionStaff,
        Role::LabTechnologist,
        Role::Manufacturing,
        Role::QualityAssurance,
        Role::Distribution,
        Role::Admin,
        Role::HospitalUser,
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
        }
    }
}

/// The roles allowed to give `command`: each command names them here, in one place.
pub fn allowed_roles(command: &Command) -> &'static [Role] {
    use Role::*;
    match command {
        Command::Configure { .. } => &[Admin],
        Command::RegisterDonor { .. } | Command::RecordScreening { .. } => &[CollectionStaff],
        Command::CollectDonation { .. } => &[CollectionStaff],
        Command::DeferDonor { .. } => &[CollectionStaff, QualityAssurance],
        Command::RequalifyDonor { .. } => &[QualityAssurance],
        Command::RecordTestResult { .. }
        | Command::RecordTestResults { .. }
        | Command::RecordBloodGroup { .. }
        | Command::RecordAntibodyScreen { .. } => &[LabTechnologist],
        Command::ResolveBloodGroup { .. } => &[QualityAssurance],
        Command::ProduceComponents { .. }
        | Command::ModifyComponent { .. }
        | Command::DivideComponent { .. }
        | Command::PoolComponents { .. }
        | Command::RecordBacterialControl { .. }
        | Command::VerifyLabel { .. } => &[Manufacturing],
        Command::ReleaseComponent { .. } => &[Manufacturing, QualityAssurance],
        Command::DiscardComponent { .. } => &[Manufacturing, QualityAssurance, Distribution],
        Command::PlaceHold { .. } | Command::ReleaseHold { .. } => &[QualityAssurance],
        Command::RecordPostDonationInformation { .. } => &[CollectionStaff, QualityAssurance],
        Command::ExpireUnits { .. } => &[Manufacturing, QualityAssurance, Distribution, Admin],
        Command::ShipComponent { .. } => &[Distribution],
        Command::RegisterSite { .. }
        | Command::RegisterStorage { .. }
        | Command::RegisterHospital { .. } => &[Admin],
        Command::StoreComponent { .. } => &[Manufacturing, Distribution],
        Command::DispatchTransfer { .. } | Command::ReceiveTransfer { .. } => &[Distribution],
        // A hospital user only for its own hospital (checked with the order).
        Command::PlaceOrder { .. }
        | Command::PlaceStandingOrder { .. }
        | Command::CancelOrder { .. } => &[HospitalUser, Distribution],
        Command::RenewStandingOrders { .. } => &[Distribution, Admin],
        Command::AllocateOrder { .. } | Command::PickUnit { .. } | Command::ShipShipment { .. } => {
            &[Distribution]
        }
        Command::ConfirmReceipt { .. } => &[HospitalUser],
        Command::ReturnUnit { .. } => &[HospitalUser, Distribution],
        Command::ReviewReturn { .. } => &[QualityAssurance],
        Command::CreateUser { .. } | Command::SetPassword { .. } | Command::DisableUser { .. } => {
            &[Admin]
        }
        Command::IssueApiToken { .. } | Command::RevokeApiToken { .. } => &[Admin],
        // Recorded by the server as `system` in the admin role (nobody is signed in yet).
        Command::RecordSignIn { .. } => &[Admin],
        // A signature adds nothing to who may give the command it signs.
        Command::Signed { command, .. } => allowed_roles(command),
    }
}

/// P11-ACCESS: refuse a command given by a role that may not give it.
pub fn check_access(command: &Command, role: Role) -> Result<(), Refusal> {
    let allowed = allowed_roles(command);
    if allowed.contains(&role) {
        return Ok(());
    }
    let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
    refuse(
        "P11-ACCESS",
        format!(
            "{} may not {}; this needs: {}",
            role.as_str(),
            command.describe(),
            names.join(" or ")
        ),
    )
}
