//! The donor centre's tables: the donor age range, the screening limits, the donation
//! intervals, the deferral reasons and the collection volumes, with their US defaults. Sections
//! of the site's [`Config`](crate::config::Config).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::donor_centre::eligibility::DeferralKind;
use crate::kernel::refusal::Rule;

/// ELIG-AGE.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DonorRules {
    pub minimum_age: u8,
    pub minimum_age_with_consent: u8,
    pub maximum_age: Option<u8>,
}

/// ELIG-WEIGHT, -TEMP, -BP, -PULSE, -HB-*, -2RBC, -PLT.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScreeningRules {
    #[serde(with = "crate::kernel::decimal")]
    pub whole_blood_min_weight_kg: f64,
    #[serde(with = "crate::kernel::decimal")]
    pub max_temperature_c: f64,
    pub systolic: (u16, u16),
    pub diastolic: (u16, u16),
    pub pulse: (u16, u16),
    #[serde(with = "crate::kernel::decimal")]
    pub female_min_hb: f64,
    #[serde(with = "crate::kernel::decimal")]
    pub female_min_hct: f64,
    #[serde(with = "crate::kernel::decimal")]
    pub female_physician_min_hb: f64,
    #[serde(with = "crate::kernel::decimal")]
    pub female_physician_min_hct: f64,
    #[serde(with = "crate::kernel::decimal")]
    pub male_min_hb: f64,
    #[serde(with = "crate::kernel::decimal")]
    pub male_min_hct: f64,
    #[serde(with = "crate::kernel::decimal")]
    pub max_hb: f64,
    #[serde(with = "crate::kernel::decimal")]
    pub max_hct: f64,
    #[serde(with = "crate::kernel::decimal")]
    pub double_red_min_hct: f64,
    #[serde(with = "crate::kernel::decimal")]
    pub double_red_min_hb: f64,
    #[serde(with = "crate::kernel::decimal")]
    pub double_red_male_min_weight_kg: f64,
    #[serde(with = "crate::kernel::decimal")]
    pub double_red_male_min_height_cm: f64,
    #[serde(with = "crate::kernel::decimal")]
    pub double_red_female_min_weight_kg: f64,
    #[serde(with = "crate::kernel::decimal")]
    pub double_red_female_min_height_cm: f64,
    pub platelet_min_count: u32,
    pub aspirin_free_days: u32,
    pub clopidogrel_free_days: u32,
    /// The deferral reason used for each screening rule that fails (rule ID -> reason code).
    pub deferral_for_rule: BTreeMap<String, String>,
}

/// INT-*.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeferralReason {
    pub description: String,
    pub kind: DeferralKind,
    /// For temporary deferrals: how many days from the start.
    pub days: Option<u32>,
}

/// COMP-WEIGHT: collection volumes of a whole-blood collection (450 mL bag, +-10 %).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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

/// A deferral reason of the defaults: code, description, kind, days.
type Reason = (&'static str, &'static str, DeferralKind, Option<u32>);

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
    .map(|(code, description, kind, days)| {
        (
            (*code).to_owned(),
            DeferralReason {
                description: (*description).to_owned(),
                kind: *kind,
                days: *days,
            },
        )
    })
    .collect()
}

/// Screening outcomes: deferred for the day (the donor may come back tomorrow).
fn screening_outcomes() -> &'static [Reason] {
    use DeferralKind::*;
    &[
        ("age", "Outside the donor age range", Temporary, Some(1)),
        (
            "low_weight",
            "Weight below the minimum for the procedure",
            Temporary,
            Some(1),
        ),
        (
            "temperature",
            "Temperature above 37.5 C",
            Temporary,
            Some(1),
        ),
        (
            "blood_pressure",
            "Blood pressure outside limits",
            Temporary,
            Some(1),
        ),
        (
            "pulse",
            "Pulse outside limits or irregular",
            Temporary,
            Some(1),
        ),
        (
            "low_hemoglobin",
            "Low hemoglobin or hematocrit",
            Temporary,
            Some(1),
        ),
        (
            "high_hemoglobin",
            "Hemoglobin or hematocrit above the upper limit",
            Temporary,
            Some(1),
        ),
        (
            "double_red_criteria",
            "Does not meet double red cell criteria",
            Temporary,
            Some(1),
        ),
        (
            "platelet_criteria",
            "Does not meet plateletpheresis criteria",
            Temporary,
            Some(1),
        ),
    ]
}

/// Questionnaire (FDA guidance, table 1.3): HIV risk, exposure to blood and sexually
/// transmitted infections.
fn questionnaire_risks() -> &'static [Reason] {
    use DeferralKind::*;
    &[
        (
            "ira_hiv_risk",
            "New or multiple partners and anal sex in the last 3 months",
            Temporary,
            Some(90),
        ),
        (
            "sex_for_money_or_drugs",
            "Sex for money or drugs, or non-prescription injection drug use",
            Temporary,
            Some(90),
        ),
        (
            "partner_hiv_risk",
            "Sex with a person who has HIV or the above risks",
            Temporary,
            Some(90),
        ),
        ("oral_prep_pep", "Oral PrEP or PEP", Temporary, Some(90)),
        (
            "injectable_prep",
            "Long-acting injectable PrEP",
            Temporary,
            Some(730),
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
            Some(90),
        ),
        (
            "syphilis_gonorrhea",
            "Syphilis or gonorrhea treatment",
            Temporary,
            Some(90),
        ),
    ]
}

/// Questionnaire (FDA guidance, table 1.3): malaria, CJD and transfusion.
fn questionnaire_travel_and_exposure() -> &'static [Reason] {
    use DeferralKind::*;
    &[
        (
            "malaria_travel",
            "Travel to a malaria-endemic area",
            Temporary,
            Some(90),
        ),
        (
            "malaria_residence",
            "Former residence in a malaria-endemic country",
            Temporary,
            Some(1095),
        ),
        (
            "malaria_history",
            "Malaria diagnosis",
            Temporary,
            Some(1095),
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
            Some(90),
        ),
    ]
}

/// Questionnaire (FDA guidance, table 1.3): pregnancy, medications and vaccines.
fn questionnaire_medications() -> &'static [Reason] {
    use DeferralKind::*;
    &[
        ("pregnancy", "Pregnancy", Temporary, Some(42)),
        ("isotretinoin", "Isotretinoin", Temporary, Some(30)),
        ("finasteride", "Finasteride", Temporary, Some(30)),
        ("dutasteride", "Dutasteride", Temporary, Some(180)),
        ("acitretin", "Acitretin", Temporary, Some(1095)),
        ("etretinate", "Etretinate", Indefinite, None),
        (
            "live_vaccine",
            "Live attenuated vaccine",
            Temporary,
            Some(28),
        ),
    ]
}

/// Test results (DEF-NOTIFY); supplemental positives escalate to permanent (TEST-SUPPL); and
/// post-donation information and any other reason, which every site needs.
fn test_results() -> &'static [Reason] {
    use DeferralKind::*;
    &[
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
            Some(120),
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
        ("other", "Other reason (see notes)", Temporary, Some(1)),
    ]
}
