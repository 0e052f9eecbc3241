//! The site's rules and tables as data, with the US defaults of the rule book
//! (../shared/DOMAIN.md). An admin `Configure` command replaces them; nothing else in the
//! crate holds a threshold.
//!
//! Each area keeps its own sections and their defaults in its `config.rs`: the donor centre
//! the donor, screening, interval, deferral and collection rules; the lab the test panel and
//! the regional states; manufacturing the catalogue, recipes, modification and
//! bacterial-control dating and the label settings; distribution its clocks and ranges. Here
//! [`Config`] holds them together (the form recorded in every `configure` command and
//! `configured` event), composes their defaults and checks them across areas.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::donor_centre::eligibility::DeferralKind;
use crate::kernel::refusal::{Refusal, Rule, refuse};
use crate::lookback::config::LookbackRules;
use crate::{donor_centre, lab, manufacturing};

pub use crate::distribution::config::DistributionRules;
pub use crate::donor_centre::config::{
    CollectionRules, DeferralReason, DonorRules, IntervalRules, ScreeningRules,
};
pub use crate::lab::testing::TestSpec;
pub use crate::manufacturing::config::{
    ComponentType, LabelRules, ModificationRules, Recipe, local_code,
};

/// Everything a site may configure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Config {
    /// The facility identification number (FIN) printed in every donor number and in the DINs
    /// of demos and walk-ins.
    pub facility: String,
    /// COLL-DIN: the further FINs this establishment collects under. ICCBBA assigns one FIN per
    /// registered facility and a FIN's DINs number at most 999 999 donations a year, so a
    /// national provider collects under many. Absent from configurations that have none, so
    /// that their recorded form is unchanged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub additional_facilities: Vec<String>,
    pub donor: DonorRules,
    pub screening: ScreeningRules,
    pub intervals: IntervalRules,
    /// DEF-REASONS: deferral reasons by code.
    pub deferral_reasons: BTreeMap<String, DeferralReason>,
    /// TEST-PANEL: the infectious-disease markers tested (ABO/RhD and the antibody screen are
    /// always required and are not listed here).
    pub tests: Vec<TestSpec>,
    /// TEST-REGIONAL: US states (two-letter codes) where regional tests apply.
    pub regional_states: Vec<String>,
    /// COMP-SHELF: the component catalogue by product description code.
    pub catalogue: BTreeMap<String, ComponentType>,
    /// Production recipes by name.
    pub recipes: BTreeMap<String, Recipe>,
    pub collection: CollectionRules,
    pub modification: ModificationRules,
    /// TEST-BACT: days of platelet dating each bacterial risk-control method allows.
    pub bacterial_control_days: BTreeMap<String, u32>,
    /// LABEL-FINAL: when final labels are printed, and the local time they carry.
    #[serde(default)]
    pub labels: LabelRules,
    /// ORDER-CLOCK, DIST-STORAGE, DIST-SHIP, DIST-RETURN: the hospital-supply tables.
    #[serde(default)]
    pub distribution: DistributionRules,
    /// LB-WINDOW: the agents a reactive result starts a lookback for. Left out while it is
    /// the US default, so that configurations recorded before it read and write the same.
    #[serde(default, skip_serializing_if = "LookbackRules::is_default")]
    pub lookback: LookbackRules,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            facility: "W1234".to_owned(),
            additional_facilities: Vec::new(),
            donor: donor_centre::config::default_donor(),
            screening: donor_centre::config::default_screening(),
            intervals: donor_centre::config::default_intervals(),
            deferral_reasons: donor_centre::config::default_deferral_reasons(),
            tests: lab::config::default_tests(),
            regional_states: lab::config::default_regional_states(),
            catalogue: manufacturing::config::default_catalogue(),
            recipes: manufacturing::config::default_recipes(),
            collection: donor_centre::config::default_collection(),
            modification: manufacturing::config::default_modification(),
            bacterial_control_days: manufacturing::config::default_bacterial_control_days(),
            labels: LabelRules::default(),
            distribution: DistributionRules::default(),
            lookback: LookbackRules::default(),
        }
    }
}

impl Config {
    /// COLL-DIN: whether DINs of facility `fin` are this establishment's to collect under.
    pub fn collects_under(&self, fin: &str) -> bool {
        self.facilities().any(|f| f == fin)
    }

    /// Every FIN this establishment collects under, its own first.
    pub fn facilities(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.facility.as_str())
            .chain(self.additional_facilities.iter().map(String::as_str))
    }

    /// CONFIG-VALID: every FIN is a valid ISBT 128 facility identification number, named once.
    fn validate_facilities(&self) -> Result<(), Refusal> {
        let mut seen = std::collections::BTreeSet::new();
        for fin in self.facilities() {
            if hemaflow_isbt128::Din::parse(&format!("{fin}26000001")).is_err() {
                return refuse(
                    Rule::ConfigValid,
                    format!(
                        "facility {fin:?} is not a valid ISBT 128 facility identification number"
                    ),
                );
            }
            if !seen.insert(fin) {
                return refuse(
                    Rule::ConfigValid,
                    format!("facility {fin} is named more than once"),
                );
            }
        }
        Ok(())
    }

    /// CONFIG-VALID: a configuration is accepted only if it is complete and consistent, so that
    /// no later decision meets a missing table entry.
    pub fn validate(&self) -> Result<(), Refusal> {
        self.labels.offset()?;
        self.distribution.validate()?;
        self.validate_facilities()?;
        for (rule, reason) in &self.screening.deferral_for_rule {
            if !self.deferral_reasons.contains_key(reason) {
                return refuse(
                    Rule::ConfigValid,
                    format!("{rule} defers for unknown reason {reason:?}"),
                );
            }
        }
        for test in &self.tests {
            if !self.deferral_reasons.contains_key(&test.deferral_reason) {
                return refuse(
                    Rule::ConfigValid,
                    format!(
                        "test {} defers for unknown reason {:?}",
                        test.code, test.deferral_reason
                    ),
                );
            }
        }
        for needed in ["tti_confirmed", "post_donation_information", "other"] {
            if !self.deferral_reasons.contains_key(needed) {
                return refuse(
                    Rule::ConfigValid,
                    format!("deferral reason {needed:?} is required"),
                );
            }
        }
        for code in self.catalogue.keys() {
            let scan = format!("=<{code}V00");
            if hemaflow_isbt128::parse_as(&scan, &[hemaflow_isbt128::Kind::ProductCode]).is_err() {
                return refuse(
                    Rule::ConfigValid,
                    format!("{code:?} is not a valid ISBT 128 product description code"),
                );
            }
        }
        for (name, recipe) in &self.recipes {
            for (code, division) in &recipe.outputs {
                if !self.catalogue.contains_key(code) || division.len() != 2 {
                    return refuse(
                        Rule::ConfigValid,
                        format!(
                            "recipe {name} makes {code} {division}, which is not in the catalogue"
                        ),
                    );
                }
            }
        }
        for (reason_code, reason) in &self.deferral_reasons {
            match reason.period {
                None if reason.kind == DeferralKind::Temporary => {
                    return refuse(
                        Rule::ConfigValid,
                        format!(
                            "temporary deferral {reason_code} needs a period (days, weeks, months or years)"
                        ),
                    );
                }
                Some(period) => {
                    if let Some(problem) = period.problem() {
                        return refuse(
                            Rule::ConfigValid,
                            format!("deferral {reason_code}: {problem}"),
                        );
                    }
                }
                None => {}
            }
        }
        Ok(())
    }
}
