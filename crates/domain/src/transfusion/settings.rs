//! A hospital's transfusion-service settings: what its SOPs decide where the rules leave a
//! choice (XM-SAMPLE's validity when neither transfused nor pregnant, a validated electronic
//! crossmatch, a second person at the bedside, the return limit, the massive transfusion pack).

use serde::{Deserialize, Serialize};
use time::UtcOffset;

use crate::distribution::Celsius;
use crate::kernel::refusal::{Refusal, Rule, refuse};
use crate::manufacturing::Family;

/// One line of a massive transfusion pack.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PackLine {
    pub family: Family,
    pub quantity: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceSettings {
    /// XM-SAMPLE: days a sample stays valid (draw day = day 0) when the patient was neither
    /// transfused nor pregnant in the last 3 months (many services use 3 for every patient).
    pub sample_days_otherwise: u8,
    /// XM-ELECTRONIC: the service validated its electronic crossmatch.
    pub electronic_crossmatch: bool,
    /// TX-BEDSIDE: a second person scans their own badge at the bedside check.
    pub second_person_at_bedside: bool,
    /// TX-FATE: an issued unit returns to stock only within this many minutes out of
    /// controlled storage (the 30-minute rule)...
    pub return_minutes: u32,
    /// ...and kept between these temperatures.
    pub return_min_c: Celsius,
    pub return_max_c: Celsius,
    /// Local time of the service for XM-SAMPLE's day count, in minutes east of UTC; none
    /// for the establishment's own (its label time).
    #[serde(default)]
    pub utc_offset_minutes: Option<i32>,
    /// TX-MTP: the units of one massive-transfusion round.
    pub mtp_pack: Vec<PackLine>,
}

impl Default for ServiceSettings {
    fn default() -> ServiceSettings {
        ServiceSettings {
            sample_days_otherwise: 3,
            electronic_crossmatch: true,
            second_person_at_bedside: false,
            return_minutes: 30,
            return_min_c: Celsius::degrees(1),
            return_max_c: Celsius::degrees(10),
            utc_offset_minutes: None,
            mtp_pack: vec![
                PackLine {
                    family: Family::RedCells,
                    quantity: 6,
                },
                PackLine {
                    family: Family::Plasma,
                    quantity: 6,
                },
                PackLine {
                    family: Family::Platelets,
                    quantity: 1,
                },
            ],
        }
    }
}

/// The most units of one family in an MTP round.
const MAX_PACK_LINE: u32 = 12;

impl ServiceSettings {
    /// TX-INPUT: settings a service can work by.
    pub fn check(&self) -> Result<(), Refusal> {
        if !(1..=30).contains(&self.sample_days_otherwise) {
            return refuse(
                Rule::XmSample,
                format!(
                    "sample_days_otherwise is {}: a sample is valid for 1 to 30 days",
                    self.sample_days_otherwise
                ),
            );
        }
        if !(1..=240).contains(&self.return_minutes) {
            return refuse(
                Rule::TxInput,
                format!(
                    "return_minutes is {}: between 1 and 240",
                    self.return_minutes
                ),
            );
        }
        if self.return_min_c >= self.return_max_c {
            return refuse(
                Rule::TxInput,
                format!(
                    "the return range {}-{} °C is empty",
                    self.return_min_c, self.return_max_c
                ),
            );
        }
        if let Some(minutes) = self.utc_offset_minutes
            && UtcOffset::from_whole_seconds(minutes.saturating_mul(60)).is_err()
        {
            return refuse(
                Rule::TxInput,
                format!("utc_offset_minutes {minutes} is not a UTC offset"),
            );
        }
        if self.mtp_pack.is_empty()
            || self
                .mtp_pack
                .iter()
                .any(|l| l.quantity == 0 || l.quantity > MAX_PACK_LINE)
        {
            return refuse(
                Rule::TxMtp,
                format!("an MTP pack needs at least one line, each of 1 to {MAX_PACK_LINE} units"),
            );
        }
        Ok(())
    }
}
