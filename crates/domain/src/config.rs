//! The site's rules and tables as data, with the US defaults of the rule book
//! (../shared/DOMAIN.md). An admin `Configure` command replaces them; nothing else in the
//! crate holds a threshold.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::distribution::sites::{Celsius, KeptAs, TemperatureRange};
use crate::donor_centre::eligibility::{DeferralKind, Procedure};
use crate::kernel::refusal::{Refusal, Rule, refuse};
use crate::lab::testing::{Frequency, Method, TestSpec};
use crate::manufacturing::components::{Attr, Family};
use crate::manufacturing::label::LabelRules;

/// Everything a site may configure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
}

/// The tables of orders, storage, shipping and returns (US defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    fn validate(&self) -> Result<(), Refusal> {
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

/// One product of the catalogue (COMP-SHELF).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComponentType {
    pub name: String,
    pub family: Family,
    /// The product line this type belongs to; modifications stay in their line.
    pub line: u8,
    pub attributes: Vec<Attr>,
    pub contains_plasma: bool,
    pub storage: String,
    /// Shelf life from the end of collection, for types made by a recipe.
    pub shelf_life_hours: u32,
    /// COMP-PROC: must be made within this many hours of the end of collection.
    pub process_within_hours: Option<u32>,
}

/// What a recipe makes from a donation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recipe {
    pub procedures: Vec<Procedure>,
    /// Product description code and division of each output.
    pub outputs: Vec<(String, String)>,
}

/// COMP-WEIGHT: collection volumes of a whole-blood collection (450 mL bag, +-10 %).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CollectionRules {
    pub whole_blood_full_min_ml: u32,
    pub whole_blood_low_min_ml: u32,
    pub whole_blood_max_ml: u32,
}

/// MOD-*: the dating of modified products, in hours from the modification.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModificationRules {
    pub irradiated_red_cells_hours: u32,
    pub washed_red_cells_hours: u32,
    pub washed_platelets_hours: u32,
    pub volume_reduced_platelets_hours: u32,
    pub thawed_plasma_hours: u32,
    pub relabelled_thawed_plasma_hours: u32,
    pub thawed_cryo_hours: u32,
    pub open_pool_hours: u32,
    /// MOD-ALLOWED: the modifications each family accepts.
    pub allowed: BTreeMap<Family, Vec<Attr>>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            facility: "W1234".to_owned(),
            additional_facilities: Vec::new(),
            donor: DonorRules {
                minimum_age: 17,
                minimum_age_with_consent: 16,
                maximum_age: None,
            },
            screening: default_screening(),
            intervals: IntervalRules {
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
            },
            deferral_reasons: default_deferral_reasons(),
            tests: default_tests(),
            regional_states: [
                "CT", "DE", "ME", "MD", "MA", "MN", "NH", "NJ", "NY", "PA", "RI", "VT", "VA", "WI",
                "DC",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
            catalogue: default_catalogue(),
            recipes: default_recipes(),
            collection: CollectionRules {
                whole_blood_full_min_ml: 405,
                whole_blood_low_min_ml: 300,
                whole_blood_max_ml: 550,
            },
            modification: default_modification(),
            bacterial_control_days: [
                ("primary_culture_24h", 3),
                ("secondary_culture_day3", 5),
                ("secondary_culture_day4", 7),
                ("lvds_36h", 5),
                ("lvds_48h", 7),
                ("pathogen_reduction", 5),
            ]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), *v))
            .collect(),
            labels: LabelRules::default(),
            distribution: DistributionRules::default(),
        }
    }
}

fn default_screening() -> ScreeningRules {
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

fn default_deferral_reasons() -> BTreeMap<String, DeferralReason> {
    use DeferralKind::*;
    let rows: &[(&str, &str, DeferralKind, Option<u32>)] = &[
        // Screening outcomes: deferred for the day (the donor may come back tomorrow).
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
        // Questionnaire (FDA guidance, table 1.3).
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
        // Test results (DEF-NOTIFY); supplemental positives escalate to permanent (TEST-SUPPL).
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
    ];
    rows.iter()
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

// The rows read as the rule book's tables; naming a struct per table would hide that.
#[allow(clippy::type_complexity)]
fn default_tests() -> Vec<TestSpec> {
    use Frequency::*;
    use Method::*;
    let not_source_plasma = vec![Procedure::SourcePlasma];
    let rows: Vec<(&str, &str, Method, Frequency, Vec<Procedure>, &str)> = vec![
        (
            "anti_hiv_1_2",
            "anti-HIV-1/2",
            Serology,
            EveryDonation,
            vec![],
            "tti_reactive",
        ),
        (
            "hiv_nat",
            "HIV-1 NAT",
            Nat,
            EveryDonation,
            vec![],
            "tti_reactive",
        ),
        (
            "hbsag",
            "HBsAg",
            Serology,
            EveryDonation,
            vec![],
            "tti_reactive",
        ),
        (
            "anti_hbc",
            "anti-HBc",
            Serology,
            EveryDonation,
            vec![],
            "tti_reactive",
        ),
        (
            "hbv_nat",
            "HBV NAT",
            Nat,
            EveryDonation,
            vec![],
            "tti_reactive",
        ),
        (
            "anti_hcv",
            "anti-HCV",
            Serology,
            EveryDonation,
            vec![],
            "tti_reactive",
        ),
        (
            "hcv_nat",
            "HCV NAT",
            Nat,
            EveryDonation,
            vec![],
            "tti_reactive",
        ),
        (
            "anti_htlv",
            "anti-HTLV-I/II",
            Serology,
            EveryDonation,
            not_source_plasma.clone(),
            "tti_reactive",
        ),
        (
            "syphilis",
            "Syphilis serology",
            Serology,
            EveryDonation,
            not_source_plasma,
            "tti_reactive",
        ),
        (
            "wnv_nat",
            "WNV NAT",
            Nat,
            EveryDonation,
            vec![],
            "wnv_reactive",
        ),
        (
            "t_cruzi",
            "T. cruzi antibody",
            Serology,
            OncePerDonor,
            vec![],
            "t_cruzi_reactive",
        ),
        (
            "babesia_nat",
            "Babesia microti NAT",
            Nat,
            Regional,
            vec![],
            "babesia_reactive",
        ),
    ];
    rows.into_iter()
        .map(|(code, name, method, frequency, exempt, reason)| TestSpec {
            code: code.to_owned(),
            name: name.to_owned(),
            method,
            frequency,
            exempt_procedures: exempt,
            deferral_reason: reason.to_owned(),
        })
        .collect()
}

/// The product description code of a line with a set of attributes. The default codes are
/// locally defined (ISBT 128 product type `D`, Table 26): ICCBBA's E-codes are licensed, so a
/// site replaces this catalogue with its own entries through `Configure`.
pub fn local_code(line: u8, attributes: &[Attr]) -> String {
    let mask: u16 = attributes.iter().map(|a| a.bit()).sum();
    format!("D{line}{mask:03}")
}

// The rows read as the rule book's tables; naming a struct per table would hide that.
#[allow(clippy::type_complexity)]
fn default_catalogue() -> BTreeMap<String, ComponentType> {
    use Attr::*;
    use Family::*;
    // (line, name, family, plasma, storage, shelf hours, process-within hours, modifications)
    let lines: &[(u8, &str, Family, bool, &str, u32, Option<u32>, &[Attr])] = &[
        (
            1,
            "WHOLE BLOOD|CPD/450mL/refg",
            WholeBlood,
            true,
            "1-6 C",
            21 * 24,
            None,
            &[Irradiated, Leukoreduced],
        ),
        (
            2,
            "RED BLOOD CELLS|CPD>AS1/450mL/refg",
            RedCells,
            false,
            "1-6 C",
            42 * 24,
            None,
            &[Irradiated, Leukoreduced, Washed],
        ),
        (
            3,
            "Apheresis RED BLOOD CELLS|ACD-A>AS3/refg",
            RedCells,
            false,
            "1-6 C",
            42 * 24,
            None,
            &[Irradiated, Leukoreduced, Washed],
        ),
        (
            4,
            "FRESH FROZEN PLASMA|CPD/450mL/<=-18C",
            Plasma,
            true,
            "<= -18 C",
            365 * 24,
            Some(8),
            &[Thawed, ThawedPlasma],
        ),
        (
            5,
            "PLASMA FROZEN WITHIN 24 HOURS|CPD/450mL/<=-18C",
            Plasma,
            true,
            "<= -18 C",
            365 * 24,
            Some(24),
            &[Thawed, ThawedPlasma],
        ),
        (
            6,
            "PLATELETS|CPD/450mL/20-24C",
            Platelets,
            true,
            "20-24 C, agitated",
            5 * 24,
            Some(8),
            &[Irradiated, Leukoreduced, Washed, VolumeReduced, Pooled],
        ),
        (
            7,
            "Apheresis PLATELETS|ACD-A/XX/20-24C",
            Platelets,
            true,
            "20-24 C, agitated",
            5 * 24,
            None,
            &[Irradiated, Leukoreduced, Washed, VolumeReduced],
        ),
        (
            8,
            "CRYOPRECIPITATED AHF|CPD/450mL/<=-18C",
            Cryo,
            true,
            "<= -18 C",
            365 * 24,
            Some(8),
            &[Thawed, Pooled],
        ),
        (
            9,
            "Apheresis FRESH FROZEN PLASMA|ACD-A/XX/<=-18C",
            Plasma,
            true,
            "<= -18 C",
            365 * 24,
            Some(8),
            &[Thawed, ThawedPlasma],
        ),
    ];
    let mut catalogue = BTreeMap::new();
    for (line, name, family, plasma, storage, shelf, within, mods) in lines {
        for subset in subsets(mods) {
            let mut full_name = (*name).to_owned();
            for attr in &subset {
                full_name.push('|');
                full_name.push_str(attr.label());
            }
            catalogue.insert(
                local_code(*line, &subset),
                ComponentType {
                    name: full_name,
                    family: *family,
                    line: *line,
                    attributes: subset,
                    contains_plasma: *plasma,
                    storage: (*storage).to_owned(),
                    shelf_life_hours: *shelf,
                    process_within_hours: *within,
                },
            );
        }
    }
    catalogue
}

fn subsets(attrs: &[Attr]) -> Vec<Vec<Attr>> {
    (0u32..(1 << attrs.len()))
        .map(|mask| {
            attrs
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, a)| *a)
                .collect()
        })
        .collect()
}

// The rows read as the rule book's tables; naming a struct per table would hide that.
#[allow(clippy::type_complexity)]
fn default_recipes() -> BTreeMap<String, Recipe> {
    use Procedure::*;
    let rows: &[(&str, &[Procedure], &[(&str, &str)])] = &[
        ("whole_blood", &[WholeBlood], &[("D1000", "00")]),
        (
            "rbc_ffp_platelets",
            &[WholeBlood],
            &[("D2000", "00"), ("D4000", "00"), ("D6000", "00")],
        ),
        (
            "rbc_ffp",
            &[WholeBlood],
            &[("D2000", "00"), ("D4000", "00")],
        ),
        (
            "rbc_pf24",
            &[WholeBlood],
            &[("D2000", "00"), ("D5000", "00")],
        ),
        (
            "rbc_cryo",
            &[WholeBlood],
            &[("D2000", "00"), ("D8000", "00")],
        ),
        (
            "double_red_cells",
            &[DoubleRedCells],
            &[("D3000", "A0"), ("D3000", "B0")],
        ),
        ("platelets_single", &[Plateletpheresis], &[("D7000", "00")]),
        (
            "platelets_double",
            &[Plateletpheresis],
            &[("D7000", "A0"), ("D7000", "B0")],
        ),
        (
            "platelets_triple",
            &[Plateletpheresis],
            &[("D7000", "A0"), ("D7000", "B0"), ("D7000", "C0")],
        ),
        (
            "platelets_and_plasma",
            &[Plateletpheresis],
            &[("D7000", "00"), ("D9000", "00")],
        ),
        (
            "apheresis_plasma",
            &[Plasmapheresis, SourcePlasma],
            &[("D9000", "00")],
        ),
    ];
    rows.iter()
        .map(|(name, procedures, outputs)| {
            (
                (*name).to_owned(),
                Recipe {
                    procedures: procedures.to_vec(),
                    outputs: outputs
                        .iter()
                        .map(|(c, d)| ((*c).to_owned(), (*d).to_owned()))
                        .collect(),
                },
            )
        })
        .collect()
}

fn default_modification() -> ModificationRules {
    use Attr::*;
    ModificationRules {
        irradiated_red_cells_hours: 28 * 24,
        washed_red_cells_hours: 24,
        washed_platelets_hours: 4,
        volume_reduced_platelets_hours: 4,
        thawed_plasma_hours: 24,
        relabelled_thawed_plasma_hours: 5 * 24,
        thawed_cryo_hours: 6,
        open_pool_hours: 4,
        allowed: [
            (Family::WholeBlood, vec![Irradiated, Leukoreduced]),
            (Family::RedCells, vec![Irradiated, Leukoreduced, Washed]),
            (Family::Plasma, vec![Thawed, ThawedPlasma]),
            (
                Family::Platelets,
                vec![Irradiated, Leukoreduced, Washed, VolumeReduced, Pooled],
            ),
            (Family::Cryo, vec![Thawed, Pooled]),
        ]
        .into_iter()
        .collect(),
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
            if reason.kind == DeferralKind::Temporary && reason.days.is_none() {
                return refuse(
                    Rule::ConfigValid,
                    format!("temporary deferral {reason_code} needs a number of days"),
                );
            }
        }
        Ok(())
    }
}
