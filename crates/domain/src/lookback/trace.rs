//! REC-TRACE forward: from donations to every unit made from them (through divisions, pools
//! and modifications: each unit lists every donation it comes from) and where each unit is
//! now, down to the patient who received it where one of our transfusion services recorded
//! it.

use serde::Serialize;
use time::OffsetDateTime;

use crate::distribution::{Location, received_at_hospital};
use crate::manufacturing::{Component, Status};
use crate::state::State;
use crate::transfusion::{ServiceStanding, unit_standing};

/// Where one unit is, or how it ended. There is no "unknown": a unit is always at one of our
/// sites, between two, at a consignee or gone, and the consignee's own records take it on
/// from there (invariant 11).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "place", rename_all = "snake_case")]
pub enum Whereabouts {
    /// In our hands: at a site (or none recorded yet), in its status.
    OurStock {
        site: Option<String>,
        status: &'static str,
    },
    InTransit {
        to: String,
    },
    /// Shipped to a consignee that has not confirmed its receipt on our record: its fate is
    /// the consignee's to report.
    AtConsignee {
        hospital: String,
    },
    /// Received into a hospital's stock (its receipt confirmed), not issued.
    HospitalStock {
        hospital: String,
    },
    Issued {
        hospital: String,
        patient: String,
    },
    Transfused {
        hospital: String,
        patient: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    WastedAtHospital {
        hospital: String,
    },
    Discarded,
    /// Made into other units (divided, pooled, modified); they are traced too.
    ProcessedFurther,
}

impl Whereabouts {
    /// The hospital that received the unit, if it left us.
    pub fn consignee(&self) -> Option<&str> {
        match self {
            Whereabouts::AtConsignee { hospital }
            | Whereabouts::HospitalStock { hospital }
            | Whereabouts::Issued { hospital, .. }
            | Whereabouts::Transfused { hospital, .. }
            | Whereabouts::WastedAtHospital { hospital } => Some(hospital),
            _ => None,
        }
    }

    /// The patient who received it.
    pub fn recipient(&self) -> Option<(&str, &str, OffsetDateTime)> {
        match self {
            Whereabouts::Transfused {
                hospital,
                patient,
                at,
            } => Some((hospital, patient, *at)),
            _ => None,
        }
    }

    /// Whether the unit may still reach a patient: the units a lookback or recall holds.
    pub fn may_reach_a_patient(&self) -> bool {
        !matches!(
            self,
            Whereabouts::Transfused { .. }
                | Whereabouts::WastedAtHospital { .. }
                | Whereabouts::Discarded
                | Whereabouts::ProcessedFurther
        )
    }

    pub fn describe(&self) -> String {
        match self {
            Whereabouts::OurStock { site, status } => match site {
                Some(site) => format!("{status} at {site}"),
                None => format!("{status}, at no recorded site"),
            },
            Whereabouts::InTransit { to } => format!("in transit to {to}"),
            Whereabouts::AtConsignee { hospital } => {
                format!(
                    "shipped to {hospital}, receipt not confirmed (the consignee reports its fate)"
                )
            }
            Whereabouts::HospitalStock { hospital } => format!("in {hospital}'s stock"),
            Whereabouts::Issued { hospital, patient } => {
                format!("issued at {hospital} to patient {patient}")
            }
            Whereabouts::Transfused {
                hospital, patient, ..
            } => format!("transfused at {hospital} to patient {patient}"),
            Whereabouts::WastedAtHospital { hospital } => format!("wasted at {hospital}"),
            Whereabouts::Discarded => "discarded".to_owned(),
            Whereabouts::ProcessedFurther => "made into the units below".to_owned(),
        }
    }
}

/// Where `unit` is now.
pub fn whereabouts(state: &State, unit: &Component) -> Whereabouts {
    match (&unit.location, unit.status) {
        (_, Status::Discarded) => Whereabouts::Discarded,
        (_, Status::Processed) => Whereabouts::ProcessedFurther,
        (Location::Hospital { hospital, .. }, _) => {
            let hospital = hospital.clone();
            let received = received_at_hospital(state, unit).is_some();
            match unit_standing(state, &unit.id) {
                None if received => Whereabouts::HospitalStock { hospital },
                None => Whereabouts::AtConsignee { hospital },
                Some(ServiceStanding::InStock) => Whereabouts::HospitalStock { hospital },
                Some(
                    ServiceStanding::Issued { patient } | ServiceStanding::Transfusing { patient },
                ) => Whereabouts::Issued { hospital, patient },
                Some(ServiceStanding::Transfused { patient, at }) => Whereabouts::Transfused {
                    hospital,
                    patient,
                    at,
                },
                Some(ServiceStanding::Wasted) => Whereabouts::WastedAtHospital { hospital },
            }
        }
        (Location::InTransit { to, .. }, _) => Whereabouts::InTransit { to: to.clone() },
        (Location::Site { site, .. }, status) => Whereabouts::OurStock {
            site: Some(site.clone()),
            status: status.as_str(),
        },
        (Location::Unplaced | Location::Gone, status) => Whereabouts::OurStock {
            site: None,
            status: status.as_str(),
        },
    }
}

/// One unit of a trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TracedUnit {
    pub component: String,
    pub name: String,
    pub product_code: String,
    /// The donations it comes from (more than one for a pool).
    pub sources: Vec<String>,
    pub parents: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    pub whereabouts: Whereabouts,
    /// Said in words, for a list.
    pub where_now: String,
}

/// One donation of a trace and every unit made from it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TracedDonation {
    pub din: String,
    #[serde(with = "time::serde::rfc3339")]
    pub collected_at: OffsetDateTime,
    pub units: Vec<TracedUnit>,
}

/// Every unit made from `din` (pools included), where each is now.
pub fn trace_donation(state: &State, din: &str) -> Option<TracedDonation> {
    let donation = state.donations.get(din)?;
    let units = crate::queries::components_of(state, din)
        .into_iter()
        .map(|unit| traced(state, unit))
        .collect();
    Some(TracedDonation {
        din: din.to_owned(),
        collected_at: donation.ended_at,
        units,
    })
}

fn traced(state: &State, unit: &Component) -> TracedUnit {
    let whereabouts = whereabouts(state, unit);
    TracedUnit {
        component: unit.id.clone(),
        name: unit.name.clone(),
        product_code: unit.product_code.clone(),
        sources: unit.sources.clone(),
        parents: unit.parents.clone(),
        expires_at: unit.expires_at,
        where_now: whereabouts.describe(),
        whereabouts,
    }
}

/// The units of `dins`, each once (a pool of two of them is listed under the first).
pub fn units_of<'a>(state: &'a State, dins: &[String]) -> Vec<&'a Component> {
    let mut seen = std::collections::BTreeSet::new();
    dins.iter()
        .flat_map(|din| crate::queries::components_of(state, din))
        .filter(|unit| seen.insert(unit.id.clone()))
        .collect()
}
