//! The donor centre's tables: the donor age range, the screening limits, the donation
//! intervals, the deferral reasons and the collection volumes, with their US defaults. Sections
//! of the site's [`Config`](crate::config::Config).

use std::collections::BTreeMap;

use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::Date;

use crate::donor_centre::eligibility::DeferralKind;
use crate::kernel::Period;
use crate::kernel::refusal::{Refusal, Rule};

/// ELIG-AGE.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DonorRules {
    pub minimum_age: u8,
    pub minimum_age_with_consent: u8,
    pub maximum_age: Option<u8>,
}

/// ELIG-WEIGHT, -TEMP, -BP, -PULSE, -HB-*, -2RBC, -PLT.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScreeningRules {
    #[serde(with = "crate::kernel::decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "decimal"))]
    pub whole_blood_min_weight_kg: f64,
    #[serde(with = "crate::kernel::decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "decimal"))]
    pub max_temperature_c: f64,
    pub systolic: (u16, u16),
    pub diastolic: (u16, u16),
    pub pulse: (u16, u16),
    #[serde(with = "crate::kernel::decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "decimal"))]
    pub female_min_hb: f64,
    #[serde(with = "crate::kernel::decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "decimal"))]
    pub female_min_hct: f64,
    #[serde(with = "crate::kernel::decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "decimal"))]
    pub female_physician_min_hb: f64,
    #[serde(with = "crate::kernel::decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "decimal"))]
    pub female_physician_min_hct: f64,
    #[serde(with = "crate::kernel::decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "decimal"))]
    pub male_min_hb: f64,
    #[serde(with = "crate::kernel::decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "decimal"))]
    pub male_min_hct: f64,
    #[serde(with = "crate::kernel::decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "decimal"))]
    pub max_hb: f64,
    #[serde(with = "crate::kernel::decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "decimal"))]
    pub max_hct: f64,
    #[serde(with = "crate::kernel::decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "decimal"))]
    pub double_red_min_hct: f64,
    #[serde(with = "crate::kernel::decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "decimal"))]
    pub double_red_min_hb: f64,
    #[serde(with = "crate::kernel::decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "decimal"))]
    pub double_red_male_min_weight_kg: f64,
    #[serde(with = "crate::kernel::decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "decimal"))]
    pub double_red_male_min_height_cm: f64,
    #[serde(with = "crate::kernel::decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "decimal"))]
    pub double_red_female_min_weight_kg: f64,
    #[serde(with = "crate::kernel::decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "decimal"))]
    pub double_red_female_min_height_cm: f64,
    pub platelet_min_count: u32,
    pub aspirin_free_days: u32,
    pub clopidogrel_free_days: u32,
    /// The deferral reason used for each screening rule that fails (rule ID -> reason code).
    pub deferral_for_rule: BTreeMap<String, String>,
}

/// INT-*.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntervalRules {
    pub after_whole_blood_days: u32,
    pub after_double_red_days: u32,
    pub red_cell_loss_limit_ml: u32,
    pub after_red_cell_loss_days: u32,
    pub apheresis_after_any_days: u32,
    pub platelet_min_days: u32,
    pub platelet_max_per_7_days: u32,
    pub platelet_max_per_12_months: u32,
    pub plasma_infrequent_days: u32,
    pub plasma_frequent_min_days: u32,
    pub plasma_frequent_max_per_7_days: u32,
}

/// One reason a donor is deferred, and for how long (DEF-REASONS, DEF-KINDS).
///
/// In JSON the period is its unit key among the reason's fields ([`Period`]):
/// `{"description":"Oral PrEP or PEP","kind":"temporary","months":3}`. A reason recorded before
/// periods carries `"days": N` (`"days": null` without a period) and reads as N days; a reason
/// in days still writes `"days": N` and one without a period `"days": null`, so every reason
/// recorded before writes back to the bytes it was recorded as.
#[derive(Clone, Debug, PartialEq)]
pub struct DeferralReason {
    pub description: String,
    pub kind: DeferralKind,
    /// For temporary deferrals: how long from the start, in the rule book's unit.
    pub period: Option<Period>,
}

impl DeferralReason {
    /// DEF-REASONS: the first day a deferral for this reason from `starts` no longer defers
    /// (temporary reasons; a temporary reason without a period defers for the day). `None` for
    /// indefinite and permanent reasons; an error when the end is off the calendar.
    pub fn ends(&self, starts: Date) -> Result<Option<Date>, Refusal> {
        if self.kind != DeferralKind::Temporary {
            return Ok(None);
        }
        self.period
            .unwrap_or(Period::days(1))
            .end(starts)
            .map(Some)
            .ok_or_else(|| {
                Refusal::new(
                    Rule::DefReasons,
                    format!("{starts} is not a usable start date"),
                )
            })
    }
}

impl Serialize for DeferralReason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("description", &self.description)?;
        map.serialize_entry("kind", &self.kind)?;
        match self.period {
            Some(period) => map.serialize_entry(period.unit.as_str(), &period.count)?,
            None => map.serialize_entry("days", &None::<u32>)?,
        }
        map.end()
    }
}

/// A deferral reason as recorded: before periods with `days`, since with one unit key.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
struct RecordedReason {
    description: String,
    kind: DeferralKind,
    days: Option<u32>,
    weeks: Option<u32>,
    months: Option<u32>,
    years: Option<u32>,
}

impl<'de> Deserialize<'de> for DeferralReason {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<DeferralReason, D::Error> {
        let r = RecordedReason::deserialize(deserializer)?;
        Ok(DeferralReason {
            description: r.description,
            kind: r.kind,
            period: Period::from_keys(r.days, r.weeks, r.months, r.years)
                .map_err(D::Error::custom)?,
        })
    }
}

/// COMP-WEIGHT: collection volumes of a whole-blood collection (450 mL bag, +-10 %).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CollectionRules {
    pub whole_blood_full_min_ml: u32,
    pub whole_blood_low_min_ml: u32,
    pub whole_blood_max_ml: u32,
}

pub(crate) fn default_donor() -> DonorRules {
    DonorRules {
        minimum_age: 17,
        minimum_age_with_consent: 16,
        maximum_age: None,
    }
}

pub(crate) fn default_screening() -> ScreeningRules {
    let deferral_for_rule = [
        (Rule::EligAge, "age"),
        (Rule::EligWeight, "low_weight"),
        (Rule::EligTemp, "temperature"),
        (Rule::EligBp, "blood_pressure"),
        (Rule::EligPulse, "pulse"),
        (Rule::EligHbF, "low_hemoglobin"),
        (Rule::EligHbM, "low_hemoglobin"),
        (Rule::EligHbHigh, "high_hemoglobin"),
        (Rule::Elig2Rbc, "double_red_criteria"),
        (Rule::EligPlt, "platelet_criteria"),
    ]
    .iter()
    .map(|(k, v)| (k.as_str().to_owned(), (*v).to_owned()))
    .collect();
    ScreeningRules {
        whole_blood_min_weight_kg: 50.0,
        max_temperature_c: 37.5,
        systolic: (90, 180),
        diastolic: (50, 100),
        pulse: (50, 100),
        female_min_hb: 12.5,
        female_min_hct: 38.0,
        female_physician_min_hb: 12.0,
        female_physician_min_hct: 36.0,
        male_min_hb: 13.0,
        male_min_hct: 39.0,
        max_hb: 20.0,
        max_hct: 60.0,
        double_red_min_hct: 40.0,
        double_red_min_hb: 13.3,
        double_red_male_min_weight_kg: 59.0,
        double_red_male_min_height_cm: 155.0,
        double_red_female_min_weight_kg: 68.0,
        double_red_female_min_height_cm: 165.0,
        platelet_min_count: 150,
        aspirin_free_days: 2,
        clopidogrel_free_days: 14,
        deferral_for_rule,
    }
}

pub(crate) fn default_intervals() -> IntervalRules {
    IntervalRules {
        after_whole_blood_days: 56,
        after_double_red_days: 112,
        red_cell_loss_limit_ml: 200,
        after_red_cell_loss_days: 56,
        apheresis_after_any_days: 2,
        platelet_min_days: 2,
        platelet_max_per_7_days: 2,
        platelet_max_per_12_months: 24,
        plasma_infrequent_days: 28,
        plasma_frequent_min_days: 2,
        plasma_frequent_max_per_7_days: 2,
    }
}

pub(crate) fn default_collection() -> CollectionRules {
    CollectionRules {
        whole_blood_full_min_ml: 405,
        whole_blood_low_min_ml: 300,
        whole_blood_max_ml: 550,
    }
}

/// A deferral reason of the defaults: code, description, kind, period (in the unit of the rule
/// book's table 1.3).
type Reason = (&'static str, &'static str, DeferralKind, Option<Period>);

/// DEF-REASONS: the US default deferral reasons, by group.
pub(crate) fn default_deferral_reasons() -> BTreeMap<String, DeferralReason> {
    [
        screening_outcomes(),
        questionnaire_risks(),
        questionnaire_travel_and_exposure(),
        questionnaire_medications(),
        test_results(),
    ]
    .into_iter()
    .flatten()
    .map(|(code, description, kind, period)| {
        (
            code.to_owned(),
            DeferralReason {
                description: description.to_owned(),
                kind,
                period,
            },
        )
    })
    .collect()
}

/// Screening outcomes: deferred for the day (the donor may come back tomorrow).
fn screening_outcomes() -> Vec<Reason> {
    use DeferralKind::*;
    vec![
        (
            "age",
            "Outside the donor age range",
            Temporary,
            Some(Period::days(1)),
        ),
        (
            "low_weight",
            "Weight below the minimum for the procedure",
            Temporary,
            Some(Period::days(1)),
        ),
        (
            "temperature",
            "Temperature above 37.5 C",
            Temporary,
            Some(Period::days(1)),
        ),
        (
            "blood_pressure",
            "Blood pressure outside limits",
            Temporary,
            Some(Period::days(1)),
        ),
        (
            "pulse",
            "Pulse outside limits or irregular",
            Temporary,
            Some(Period::days(1)),
        ),
        (
            "low_hemoglobin",
            "Low hemoglobin or hematocrit",
            Temporary,
            Some(Period::days(1)),
        ),
        (
            "high_hemoglobin",
            "Hemoglobin or hematocrit above the upper limit",
            Temporary,
            Some(Period::days(1)),
        ),
        (
            "double_red_criteria",
            "Does not meet double red cell criteria",
            Temporary,
            Some(Period::days(1)),
        ),
        (
            "platelet_criteria",
            "Does not meet plateletpheresis criteria",
            Temporary,
            Some(Period::days(1)),
        ),
    ]
}

/// Questionnaire (FDA guidance, table 1.3): HIV risk, exposure to blood and sexually
/// transmitted infections.
fn questionnaire_risks() -> Vec<Reason> {
    use DeferralKind::*;
    vec![
        (
            "ira_hiv_risk",
            "New or multiple partners and anal sex in the last 3 months",
            Temporary,
            Some(Period::months(3)),
        ),
        (
            "sex_for_money_or_drugs",
            "Sex for money or drugs, or non-prescription injection drug use",
            Temporary,
            Some(Period::months(3)),
        ),
        (
            "partner_hiv_risk",
            "Sex with a person who has HIV or the above risks",
            Temporary,
            Some(Period::months(3)),
        ),
        (
            "oral_prep_pep",
            "Oral PrEP or PEP",
            Temporary,
            Some(Period::months(3)),
        ),
        (
            "injectable_prep",
            "Long-acting injectable PrEP",
            Temporary,
            Some(Period::years(2)),
        ),
        (
            "hiv_positive",
            "HIV positive or ever took antiretroviral treatment for HIV",
            Permanent,
            None,
        ),
        (
            "tattoo_piercing",
            "Tattoo, piercing, needle-stick or blood exposure",
            Temporary,
            Some(Period::months(3)),
        ),
        (
            "syphilis_gonorrhea",
            "Syphilis or gonorrhea treatment",
            Temporary,
            Some(Period::months(3)),
        ),
    ]
}

/// Questionnaire (FDA guidance, table 1.3): malaria, CJD and transfusion.
fn questionnaire_travel_and_exposure() -> Vec<Reason> {
    use DeferralKind::*;
    vec![
        (
            "malaria_travel",
            "Travel to a malaria-endemic area",
            Temporary,
            Some(Period::months(3)),
        ),
        (
            "malaria_residence",
            "Former residence in a malaria-endemic country",
            Temporary,
            Some(Period::years(3)),
        ),
        (
            "malaria_history",
            "Malaria diagnosis",
            Temporary,
            Some(Period::years(3)),
        ),
        (
            "cjd_risk",
            "CJD risk (dura mater graft, pituitary hGH, familial CJD)",
            Indefinite,
            None,
        ),
        (
            "transfusion_received",
            "Received a transfusion or allogeneic tissue",
            Temporary,
            Some(Period::months(3)),
        ),
    ]
}

/// Questionnaire (FDA guidance, table 1.3): pregnancy, medications and vaccines.
fn questionnaire_medications() -> Vec<Reason> {
    use DeferralKind::*;
    vec![
        ("pregnancy", "Pregnancy", Temporary, Some(Period::weeks(6))),
        (
            "isotretinoin",
            "Isotretinoin",
            Temporary,
            Some(Period::months(1)),
        ),
        (
            "finasteride",
            "Finasteride",
            Temporary,
            Some(Period::months(1)),
        ),
        (
            "dutasteride",
            "Dutasteride",
            Temporary,
            Some(Period::months(6)),
        ),
        ("acitretin", "Acitretin", Temporary, Some(Period::years(3))),
        ("etretinate", "Etretinate", Indefinite, None),
        (
            "live_vaccine",
            "Live attenuated vaccine",
            Temporary,
            Some(Period::weeks(4)),
        ),
    ]
}

/// Test results (DEF-NOTIFY); supplemental positives escalate to permanent (TEST-SUPPL); and
/// post-donation information and any other reason, which every site needs.
fn test_results() -> Vec<Reason> {
    use DeferralKind::*;
    vec![
        (
            "tti_reactive",
            "Repeatedly reactive infectious disease test",
            Indefinite,
            None,
        ),
        (
            "tti_confirmed",
            "Confirmed positive infectious disease test",
            Permanent,
            None,
        ),
        (
            "wnv_reactive",
            "West Nile virus NAT reactive",
            Temporary,
            Some(Period::days(120)),
        ),
        ("babesia_reactive", "Babesia NAT reactive", Indefinite, None),
        (
            "t_cruzi_reactive",
            "T. cruzi antibody repeatedly reactive",
            Indefinite,
            None,
        ),
        (
            "post_donation_information",
            "Post-donation information under review",
            Indefinite,
            None,
        ),
        (
            "other",
            "Other reason (see notes)",
            Temporary,
            Some(Period::days(1)),
        ),
    ]
}
