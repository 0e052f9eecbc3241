//! Distribution's tables: the clocks of hospital orders, the temperature ranges of storage and
//! shipping, and how long a returned unit may have been out of storage, with their US
//! defaults. A section of the site's [`Config`](crate::config::Config).

use serde::{Deserialize, Serialize};

use crate::distribution::sites::{Celsius, KeptAs, TemperatureRange};
use crate::kernel::refusal::{Refusal, Rule, refuse};

/// The tables of orders, storage, shipping and returns (US defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DistributionRules {
    /// ORDER-CLOCK: minutes from placing to shipping, per priority.
    pub routine_minutes: u32,
    pub asap_minutes: u32,
    pub stat_minutes: u32,
    pub emergency_minutes: u32,
    /// ORDER-CLOCK: a pending order this close to its due time (or past it) is at risk.
    pub at_risk_minutes: u32,
    /// The hour (site time) a standing order's units are needed on its weekday.
    pub standing_order_hour: u8,
    /// DIST-STORAGE: red cells, whole blood, thawed plasma (1-6 °C).
    pub refrigerated_storage: TemperatureRange,
    /// DIST-SHIP: red cells and whole blood in transit (1-10 °C, 21 CFR 600.15).
    pub refrigerated_shipping: TemperatureRange,
    /// Platelets and thawed cryo, stored and shipped (20-24 °C).
    pub room_temperature: TemperatureRange,
    /// Frozen plasma and cryo, stored and shipped (at or below -18 °C).
    pub frozen: TemperatureRange,
    /// DIST-RETURN: minutes out of controlled storage a returned unit may have spent.
    pub return_refrigerated_minutes: u32,
    pub return_room_temperature_minutes: u32,
    pub return_frozen_minutes: u32,
    /// Units expiring within this many hours are "expiring soon".
    pub expiring_soon_hours: u32,
}

impl Default for DistributionRules {
    fn default() -> DistributionRules {
        DistributionRules {
            routine_minutes: 24 * 60,
            asap_minutes: 4 * 60,
            stat_minutes: 60,
            emergency_minutes: 60,
            at_risk_minutes: 60,
            standing_order_hour: 8,
            refrigerated_storage: TemperatureRange::degrees(1, 6),
            refrigerated_shipping: TemperatureRange::degrees(1, 10),
            room_temperature: TemperatureRange::degrees(20, 24),
            frozen: TemperatureRange {
                min_c: Celsius::LOWEST,
                max_c: Celsius::degrees(-18),
            },
            return_refrigerated_minutes: 30,
            return_room_temperature_minutes: 24 * 60,
            return_frozen_minutes: 0,
            expiring_soon_hours: 72,
        }
    }
}

impl DistributionRules {
    /// DIST-RETURN: the minutes out of storage allowed for a unit kept `kept`.
    pub fn return_limit_minutes(&self, kept: KeptAs) -> u32 {
        match kept {
            KeptAs::Refrigerated => self.return_refrigerated_minutes,
            KeptAs::Agitated | KeptAs::RoomTemperature => self.return_room_temperature_minutes,
            KeptAs::Frozen => self.return_frozen_minutes,
        }
    }
    pub(crate) fn validate(&self) -> Result<(), Refusal> {
        let ranges = [
            ("refrigerated_storage", self.refrigerated_storage),
            ("refrigerated_shipping", self.refrigerated_shipping),
            ("room_temperature", self.room_temperature),
            ("frozen", self.frozen),
        ];
        for (name, range) in ranges {
            if range.min_c > range.max_c {
                return refuse(
                    Rule::ConfigValid,
                    format!(
                        "distribution.{name}: {} is above {}",
                        range.min_c, range.max_c
                    ),
                );
            }
        }
        if self.standing_order_hour > 23 {
            return refuse(
                Rule::ConfigValid,
                "distribution.standing_order_hour is not an hour (0-23)",
            );
        }
        Ok(())
    }
}
