//! Manufacturing's tables: the component catalogue (COMP-SHELF), the production recipes, the
//! dating of modified products (MOD-*), the platelet dating of bacterial risk control
//! (TEST-BACT) and the labelling settings (LABEL-FINAL), with their US defaults. Sections of
//! the site's [`Config`](crate::config::Config).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::donor_centre::Procedure;
use crate::manufacturing::components::{Attr, Family};
pub use crate::manufacturing::label::{FinalLabelAt, LabelRules};

/// One product of the catalogue (COMP-SHELF).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Recipe {
    pub procedures: Vec<Procedure>,
    /// Product description code and division of each output.
    pub outputs: Vec<(String, String)>,
}

/// MOD-*: the dating of modified products, in hours from the modification.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// The product description code of a line with a set of attributes. The default codes are
/// locally defined (ISBT 128 product type `D`, Table 26): ICCBBA's E-codes are licensed, so a
/// site replaces this catalogue with its own entries through `Configure`.
pub fn local_code(line: u8, attributes: &[Attr]) -> String {
    let mask: u16 = attributes.iter().map(|a| a.bit()).sum();
    format!("D{line}{mask:03}")
}
/// A product line of the defaults: line, name, family, plasma, storage, shelf hours,
/// process-within hours, modifications.
type Line = (
    u8,
    &'static str,
    Family,
    bool,
    &'static str,
    u32,
    Option<u32>,
    &'static [Attr],
);

/// COMP-SHELF: the US default catalogue, by product family: every line with every subset of
/// its modifications.
pub(crate) fn default_catalogue() -> BTreeMap<String, ComponentType> {
    let lines = [whole_blood_and_red_cells(), plasma(), platelets(), cryo()];
    let mut catalogue = BTreeMap::new();
    for (line, name, family, plasma, storage, shelf, within, mods) in lines.into_iter().flatten() {
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

/// Whole blood and red cells, from whole blood and by apheresis.
fn whole_blood_and_red_cells() -> &'static [Line] {
    use Attr::*;
    use Family::*;
    &[
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
    ]
}

/// Plasma: frozen within 8 or 24 hours, and by apheresis.
fn plasma() -> &'static [Line] {
    use Attr::*;
    use Family::*;
    &[
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
            9,
            "Apheresis FRESH FROZEN PLASMA|ACD-A/XX/<=-18C",
            Plasma,
            true,
            "<= -18 C",
            365 * 24,
            Some(8),
            &[Thawed, ThawedPlasma],
        ),
    ]
}

/// Platelets: from whole blood and by apheresis.
fn platelets() -> &'static [Line] {
    use Attr::*;
    use Family::*;
    &[
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
    ]
}

/// Cryoprecipitate.
fn cryo() -> &'static [Line] {
    use Attr::*;
    use Family::*;
    &[(
        8,
        "CRYOPRECIPITATED AHF|CPD/450mL/<=-18C",
        Cryo,
        true,
        "<= -18 C",
        365 * 24,
        Some(8),
        &[Thawed, Pooled],
    )]
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
pub(crate) fn default_recipes() -> BTreeMap<String, Recipe> {
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

pub(crate) fn default_modification() -> ModificationRules {
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

/// TEST-BACT: the US default days of platelet dating per bacterial risk-control method.
pub(crate) fn default_bacterial_control_days() -> BTreeMap<String, u32> {
    [
        ("primary_culture_24h", 3),
        ("secondary_culture_day3", 5),
        ("secondary_culture_day4", 7),
        ("lvds_36h", 5),
        ("lvds_48h", 7),
        ("pathogen_reduction", 5),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), *v))
    .collect()
}
