//! The figures of the workload, each with its source. Where no public figure was found the
//! value is a modelling assumption and says so; change it here, nowhere else.
//!
//! Sources:
//! - **NBCUS 2021**: Free RJ et al., "Continued stabilization of blood collections and
//!   transfusions in the United States: Findings from the 2021 National Blood Collection and
//!   Utilization Survey", Transfusion 2023;63(S4):S8-S18, Table 1: 9 842 000 allogeneic
//!   whole-blood units and 1 931 000 apheresis RBC units collected; 121 000 of 11 784 000 RBC
//!   units (1.0 %) rejected on disease-marker testing; 305 000 of 11 033 000 available RBC
//!   units (2.8 %) outdated.
//! - **NBCUS 2021 supplemental**: Kracalik I et al., "Supplemental findings of the 2021
//!   National Blood Collection and Utilization Survey", Transfusion 2023: 11 507 000
//!   successful donations and 2 010 000 donor deferrals (14.9 % of presentations), mostly
//!   low haemoglobin/haematocrit, then pulse (6.9 % of deferrals) and blood pressure (6.4 %);
//!   54.1 % of presenting donors female.
//! - **ABO/RhD**: the US distribution published by blood centres (e.g. Stanford Blood Center,
//!   American Red Cross "Blood types"): O+ 37 %, O- 7 %, A+ 36 %, A- 6 %, B+ 9 %, B- 2 %,
//!   AB+ 3 %, AB- 1 % (rounded; they differ by a point between publishers).
//!
//! Modelling assumptions (no public figure used):
//! - Procedure mix of collections: whole blood 80 %, double red cells 8 % (1 931 000 apheresis
//!   RBC units at two per procedure against 9 842 000 whole-blood units gives about 9 %),
//!   plateletpheresis 8 %, plasmapheresis 4 %.
//! - Whole-blood processing: red cells + FFP 55 %, red cells + PF24 20 %, red cells + FFP +
//!   platelets 15 %, red cells + cryo 10 %; platelet collections 60 % single, 30 % double,
//!   10 % with concurrent plasma.
//! - First-time donors 25 % of visits; a donor returns once the interval of their procedure
//!   has passed (whole blood 56 days, double red 112, platelets 7, plasma 28).
//! - Repeat-reactive serology 0.3 % of donations (the 1.0 % rejected on testing above
//!   counts all markers and repeat testing; 0.3 % keeps the refusals realistic without
//!   modelling each marker); positive antibody screen 0.5 %.
//! - A label scanned wrongly first 0.2 % of the time (then scanned again correctly).
//! - Collections by weekday: Monday-Friday 100, Saturday 70, Sunday 30.
//! - Hospital orders by weekday: Monday-Friday the hospitals order 45 % of the released shelf
//!   each evening, weekends 20 % (elective surgery runs on weekdays); 20 hospitals, each order
//!   1 to 6 units, ordered exactly by the units' families and groups.
//! - Order priorities: routine 75 %, ASAP 17 %, STAT 7 %, emergency 1 % (the ORDER-CLOCK
//!   priorities; no public breakdown was found).

use hemaflow_domain::distribution::orders::Priority;
use hemaflow_domain::donor_centre::donor::Sex;
use hemaflow_domain::donor_centre::eligibility::{Procedure, ScreeningInput};
use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_domain::rng::Rng;
use time::Weekday;

/// A day never collects more than this (DIN sequence numbers are six digits a year, and a
/// national provider's busiest days stay below it).
pub const MAX_DONATIONS_PER_DAY: u64 = 40_000;

/// The `n`th further FIN the establishment registers when a year's DIN sequence numbers of
/// its FINs run out (999 999 each; a national year of 12 million donations needs 12 more).
pub fn additional_facility(n: usize) -> String {
    format!("W{:04}", 1235 + n)
}

/// The figures in use (US defaults).
#[derive(Clone, Debug)]
pub struct Figures {
    pub first_time_percent: u64,
    pub female_percent: u64,
    /// Deferral at screening, percent of presentations: low haemoglobin, pulse, blood
    /// pressure, temperature.
    pub deferral_low_hb: u64,
    pub deferral_pulse: u64,
    pub deferral_bp: u64,
    pub deferral_temperature: u64,
    pub repeat_reactive_per_100k: u64,
    pub antibody_screen_positive_per_100k: u64,
    pub label_mismatch_per_100k: u64,
    /// The most units one hospital order asks for.
    pub max_units_per_order: u64,
    /// ABO/RhD distribution in tenths of a percent, summing to 1000.
    pub groups: [((Abo, RhD), u64); 8],
}

impl Figures {
    pub fn us() -> Figures {
        Figures {
            first_time_percent: 25,
            female_percent: 54,
            // 14.9 % of presentations deferred (NBCUS 2021): 6.9 % and 6.4 % of them for
            // pulse and blood pressure (1 % each), the bulk for haemoglobin; 11 % modelled
            // here with rules the domain checks (the rest are questionnaire deferrals).
            deferral_low_hb: 8,
            deferral_pulse: 1,
            deferral_bp: 1,
            deferral_temperature: 1,
            repeat_reactive_per_100k: 300,
            antibody_screen_positive_per_100k: 500,
            label_mismatch_per_100k: 200,
            max_units_per_order: 6,
            groups: [
                ((Abo::O, RhD::Positive), 370),
                ((Abo::O, RhD::Negative), 70),
                ((Abo::A, RhD::Positive), 360),
                ((Abo::A, RhD::Negative), 60),
                ((Abo::B, RhD::Positive), 90),
                ((Abo::B, RhD::Negative), 20),
                ((Abo::AB, RhD::Positive), 20),
                ((Abo::AB, RhD::Negative), 10),
            ],
        }
    }

    pub fn procedure(&self, rng: &mut Rng) -> Procedure {
        match rng.below(100) {
            0..80 => Procedure::WholeBlood,
            80..88 => Procedure::DoubleRedCells,
            88..96 => Procedure::Plateletpheresis,
            _ => Procedure::Plasmapheresis,
        }
    }

    pub fn recipe(&self, rng: &mut Rng, procedure: Procedure) -> &'static str {
        let roll = rng.below(100);
        match procedure {
            Procedure::WholeBlood => match roll {
                0..55 => "rbc_ffp",
                55..75 => "rbc_pf24",
                75..90 => "rbc_ffp_platelets",
                _ => "rbc_cryo",
            },
            Procedure::DoubleRedCells => "double_red_cells",
            Procedure::Plateletpheresis => match roll {
                0..60 => "platelets_single",
                60..90 => "platelets_double",
                _ => "platelets_and_plasma",
            },
            Procedure::Plasmapheresis | Procedure::SourcePlasma => "apheresis_plasma",
        }
    }

    pub fn blood_group(&self, rng: &mut Rng) -> (Abo, RhD) {
        let mut roll = rng.below(1000);
        for (group, weight) in self.groups {
            if roll < weight {
                return group;
            }
            roll -= weight;
        }
        (Abo::O, RhD::Positive)
    }

    pub fn screening_deferral(&self, rng: &mut Rng, _sex: Sex) -> Deferral {
        let roll = rng.below(100);
        let mut bound = self.deferral_low_hb;
        if roll < bound {
            return Deferral::LowHemoglobin;
        }
        bound += self.deferral_pulse;
        if roll < bound {
            return Deferral::Pulse;
        }
        bound += self.deferral_bp;
        if roll < bound {
            return Deferral::BloodPressure;
        }
        bound += self.deferral_temperature;
        if roll < bound {
            return Deferral::Temperature;
        }
        Deferral::None
    }

    pub fn procedure_minutes(&self, procedure: Procedure) -> i64 {
        match procedure {
            Procedure::WholeBlood => 10,
            Procedure::DoubleRedCells => 30,
            Procedure::Plateletpheresis => 90,
            Procedure::Plasmapheresis | Procedure::SourcePlasma => 45,
        }
    }

    /// The priority of a hospital order (ORDER-CLOCK), by the assumed mix.
    pub fn order_priority(&self, rng: &mut Rng) -> Priority {
        match rng.below(100) {
            0..=74 => Priority::Routine,
            75..=91 => Priority::Asap,
            92..=98 => Priority::Stat,
            _ => Priority::Emergency,
        }
    }

    /// Units the hospitals order this evening out of `on_shelf` released units.
    pub fn shipments_today(&self, weekday: Weekday, on_shelf: usize) -> usize {
        let percent = match weekday {
            Weekday::Saturday | Weekday::Sunday => 20,
            _ => 45,
        };
        on_shelf * percent / 100
    }
}

/// Collections by weekday (relative weights).
pub fn collection_weight(weekday: Weekday) -> u64 {
    match weekday {
        Weekday::Saturday => 70,
        Weekday::Sunday => 30,
        _ => 100,
    }
}

/// Why a screening fails, if it does: the value written into the screening.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deferral {
    None,
    LowHemoglobin,
    Pulse,
    BloodPressure,
    Temperature,
}

impl Deferral {
    pub fn apply(self, input: &mut ScreeningInput, sex: Sex) {
        match self {
            Deferral::None => {}
            Deferral::LowHemoglobin => {
                input.hemoglobin_g_dl = Some(match sex {
                    Sex::Female => 11.6,
                    _ => 12.4,
                });
            }
            Deferral::Pulse => input.pulse = 112,
            Deferral::BloodPressure => input.systolic = 192,
            Deferral::Temperature => input.temperature_c = 38.1,
        }
    }
}

/// Days until a donor may give again by the same procedure (the INT-* intervals).
pub fn return_days(procedure: Procedure) -> i64 {
    match procedure {
        Procedure::WholeBlood => 56,
        Procedure::DoubleRedCells => 112,
        Procedure::Plateletpheresis => 7,
        Procedure::Plasmapheresis | Procedure::SourcePlasma => 28,
    }
}

pub fn volume_ml(procedure: Procedure) -> u32 {
    match procedure {
        Procedure::WholeBlood => 475,
        Procedure::DoubleRedCells => 360,
        Procedure::Plateletpheresis => 250,
        Procedure::Plasmapheresis | Procedure::SourcePlasma => 600,
    }
}

pub fn container(procedure: Procedure) -> &'static str {
    match procedure {
        Procedure::WholeBlood => "BAG-450-AS1",
        _ => "APH-KIT",
    }
}

pub fn given_name(n: usize) -> &'static str {
    const NAMES: [&str; 12] = [
        "Alex", "Maria", "Sam", "Li", "Ada", "Omar", "Grace", "Jon", "Priya", "Luis", "Mei", "Tom",
    ];
    NAMES[n % NAMES.len()]
}

/// How many hospitals the establishment supplies (an assumption).
pub const HOSPITALS: usize = 20;

/// The site where units are made and from which they ship.
pub const PROCESSING_SITE: &str = "NPC";

pub fn hospital(n: usize) -> String {
    format!("Hospital {:02}", n + 1)
}

/// The ID a hospital is registered under.
pub fn hospital_id(n: usize) -> String {
    format!("h{:02}", n + 1)
}
