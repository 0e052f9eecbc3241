//! This area's own records: lookbacks, recalls, deviations and fatality reports, by ID.
//! Nothing is ever removed (REC-RETAIN); a closed record stays with its whole history.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::lookback::deviations::{Deviation, Fatality};
use crate::lookback::lookbacks::Lookback;
use crate::lookback::recalls::Recall;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LookbackState {
    #[serde(default)]
    pub lookbacks: BTreeMap<String, Lookback>,
    #[serde(default)]
    pub recalls: BTreeMap<String, Recall>,
    #[serde(default)]
    pub deviations: BTreeMap<String, Deviation>,
    #[serde(default)]
    pub fatalities: BTreeMap<String, Fatality>,
}

impl LookbackState {
    /// The records held: lookbacks, recalls, deviations and fatality reports.
    pub fn len(&self) -> usize {
        self.lookbacks.len() + self.recalls.len() + self.deviations.len() + self.fatalities.len()
    }

    pub fn is_empty(&self) -> bool {
        self == &LookbackState::default()
    }
}
