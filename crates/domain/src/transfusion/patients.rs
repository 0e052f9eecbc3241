//! Patients of a hospital's transfusion service: identity from the ISBT 128 wristband
//! (TX-PATIENT), their ABO/RhD determinations, antibodies and special requirements, which
//! stay with the patient for life.

use hemaflow_isbt128::{DataStructure, Kind};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::kernel::refusal::{Refusal, Rule, refuse};
use crate::kernel::{Abo, RhD};
use crate::state::State;

/// The longest name, MRN or reason a transfusion-service command takes.
pub const MAX_TEXT: usize = 200;

/// What a scanned ISBT 128 wristband says: 025 Patient Identification Number (location code
/// and the number) and, when printed beside it, 024 Patient Date of Birth.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Wristband {
    /// The location code (RT018) of the 025 structure.
    pub location: String,
    /// The patient identification number of the 025 structure.
    pub number: String,
    /// The date of birth of a 024 structure scanned with it.
    #[serde(default)]
    pub born: Option<Date>,
}

impl Wristband {
    /// TX-PATIENT: the wristband a scan is, or why it is not one (a DIN, a product code or
    /// any other structure in the patient field is named as such).
    pub fn parse(scan: &str) -> Result<Wristband, Refusal> {
        let scan = scan.trim();
        if scan.is_empty() {
            return refuse(
                Rule::TxPatient,
                "no wristband was scanned: scan the patient's wristband (ISBT 128 025)",
            );
        }
        let parsed = hemaflow_isbt128::parse(scan).map_err(|e| Refusal {
            rule: Rule::TxPatient,
            message: format!("the wristband scan {scan:?} is not ISBT 128: {e}"),
        })?;
        let mut number = None;
        let mut born = None;
        for structure in parsed.structures() {
            match (structure.kind(), structure) {
                (Kind::PatientIdentificationNumber, DataStructure::Other(raw)) => {
                    number = Some(raw.content().to_owned())
                }
                (Kind::PatientDateOfBirth, DataStructure::Other(raw)) => {
                    born = Some(birth_date(raw.content())?)
                }
                (kind, _) => {
                    return refuse(
                        Rule::TxPatient,
                        format!(
                            "{} was scanned in the patient field: scan the patient's wristband \
                             (ISBT 128 025 Patient Identification Number)",
                            describe_kind(kind)
                        ),
                    );
                }
            }
        }
        let Some(content) = number else {
            return refuse(
                Rule::TxPatient,
                "the wristband scan holds a date of birth (024) but no patient identification \
                 number (025): scan the barcode with the patient's number",
            );
        };
        // 025 content is `aallxx..`: location, length, then the number (the codec checked
        // the length against what follows).
        Ok(Wristband {
            location: content[..2].to_owned(),
            number: content[4..].to_owned(),
            born,
        })
    }

    /// The wristband as printed: `location/number`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.location, self.number)
    }
}

fn birth_date(content: &str) -> Result<Date, Refusal> {
    let digits = &content[2..];
    let number = |range: std::ops::Range<usize>| digits[range].parse::<u32>().unwrap_or(0);
    let month = time::Month::try_from(number(4..6) as u8).ok();
    month
        .and_then(|m| Date::from_calendar_date(number(0..4) as i32, m, number(6..8) as u8).ok())
        .ok_or_else(|| Refusal {
            rule: Rule::TxPatient,
            message: format!("the wristband's date of birth {digits:?} is not a date"),
        })
}

/// A structure in words, for the refusal of a wrong scan.
fn describe_kind(kind: Kind) -> &'static str {
    match kind {
        Kind::DonationIdentificationNumber => "a unit's donation number (DIN)",
        Kind::ProductCode => "a unit's product code",
        Kind::BloodGroups => "a unit's blood group label",
        _ => "a barcode that is not a wristband",
    }
}

/// A patient's sex as the hospital records it (EMERG-RELEASE needs to know when it is not
/// known).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PatientSex {
    Female,
    Male,
    Unknown,
}

/// XM-SAMPLE: whether the patient was transfused or pregnant in the last 3 months.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RecentHistory {
    TransfusedOrPregnant,
    Neither,
    Unknown,
}

/// Red-cell antigens a patient may have an antibody to and a unit may be typed for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Antigen {
    D,
    C,
    #[serde(rename = "c")]
    SmallC,
    E,
    #[serde(rename = "e")]
    SmallE,
    K,
    #[serde(rename = "k")]
    SmallK,
    Fya,
    Fyb,
    Jka,
    Jkb,
    S,
    #[serde(rename = "s")]
    SmallS,
    M,
    N,
    P1,
    Lea,
    Leb,
}

impl Antigen {
    pub const ALL: [Antigen; 18] = [
        Antigen::D,
        Antigen::C,
        Antigen::SmallC,
        Antigen::E,
        Antigen::SmallE,
        Antigen::K,
        Antigen::SmallK,
        Antigen::Fya,
        Antigen::Fyb,
        Antigen::Jka,
        Antigen::Jkb,
        Antigen::S,
        Antigen::SmallS,
        Antigen::M,
        Antigen::N,
        Antigen::P1,
        Antigen::Lea,
        Antigen::Leb,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Antigen::D => "D",
            Antigen::C => "C",
            Antigen::SmallC => "c",
            Antigen::E => "E",
            Antigen::SmallE => "e",
            Antigen::K => "K",
            Antigen::SmallK => "k",
            Antigen::Fya => "Fya",
            Antigen::Fyb => "Fyb",
            Antigen::Jka => "Jka",
            Antigen::Jkb => "Jkb",
            Antigen::S => "S",
            Antigen::SmallS => "s",
            Antigen::M => "M",
            Antigen::N => "N",
            Antigen::P1 => "P1",
            Antigen::Lea => "Lea",
            Antigen::Leb => "Leb",
        }
    }

    /// Whether an antibody to the antigen is clinically significant (can cause haemolysis of
    /// transfused red cells): the Rh, Kell, Duffy, Kidd and Ss antibodies. Anti-M, -N, -P1,
    /// -Lea and -Leb are usually cold, IgM and benign (AABB Technical Manual); a service that
    /// finds one reactive at 37 °C records the requirement by hand.
    pub fn clinically_significant(self) -> bool {
        !matches!(
            self,
            Antigen::M | Antigen::N | Antigen::P1 | Antigen::Lea | Antigen::Leb
        )
    }
}

/// A special requirement of a patient's blood (TX-REQUIRE), for life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", content = "antigen", rename_all = "snake_case")]
pub enum Requirement {
    Irradiated,
    /// Leukoreduced units count as CMV-safe (AABB Standards; FDA 2023 CMV guidance draft).
    CmvSafe,
    Washed,
    /// Red cells typed negative for the antigen at the transfusion service.
    AntigenNegative(Antigen),
}

impl Requirement {
    pub fn describe(&self) -> String {
        match self {
            Requirement::Irradiated => "irradiated".to_owned(),
            Requirement::CmvSafe => "CMV-safe".to_owned(),
            Requirement::Washed => "washed".to_owned(),
            Requirement::AntigenNegative(a) => format!("{}-antigen negative", a.as_str()),
        }
    }
}

/// One ABO/RhD determination of the patient: on a sample, or the historical record the
/// hospital brought with the patient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = PatientDetermination))]
pub struct Determination {
    /// The sample typed; none for the historical record.
    pub sample: Option<String>,
    pub abo: Abo,
    pub rhd: RhD,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
}

/// An antibody identified in the patient (for life).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Antibody {
    pub antigen: Antigen,
    /// The sample it was identified on; none when brought from another hospital's record.
    pub sample: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
}

/// A requirement on record, with why and who.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequirementRecord {
    pub requirement: Requirement,
    pub reason: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
}

/// TX-TYPE: a sample's type that disagrees with the patient's earlier determinations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Discrepancy {
    pub sample: String,
    pub found: (Abo, RhD),
    pub expected: (Abo, RhD),
    /// How it was resolved; while none, it blocks every crossmatch and issue.
    pub resolution: Option<String>,
}

/// A patient of one hospital.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Patient {
    /// `hospital:location/number`.
    pub id: String,
    pub hospital: String,
    pub wristband: Wristband,
    pub mrn: String,
    pub family_name: String,
    pub given_name: String,
    pub sex: PatientSex,
    pub born: Option<Date>,
    pub recent_history: RecentHistory,
    #[serde(default)]
    pub determinations: Vec<Determination>,
    #[serde(default)]
    pub discrepancies: Vec<Discrepancy>,
    #[serde(default)]
    pub antibodies: Vec<Antibody>,
    #[serde(default)]
    pub requirements: Vec<RequirementRecord>,
    #[serde(with = "time::serde::rfc3339")]
    pub registered_at: OffsetDateTime,
    pub registered_by: String,
}

impl Patient {
    pub fn name(&self) -> String {
        format!("{}, {}", self.family_name, self.given_name)
    }

    /// TX-TYPE: the patient's group when every determination agrees and none is discrepant.
    pub fn group(&self) -> Option<(Abo, RhD)> {
        if self.open_discrepancy().is_some() {
            return None;
        }
        let first = self.determinations.first()?;
        let group = (first.abo, first.rhd);
        self.determinations
            .iter()
            .all(|d| (d.abo, d.rhd) == group)
            .then_some(group)
    }

    pub fn open_discrepancy(&self) -> Option<&Discrepancy> {
        self.discrepancies.iter().find(|d| d.resolution.is_none())
    }

    /// XM-ELECTRONIC: two concordant determinations on separate samples or a sample and
    /// the historical record.
    pub fn group_confirmed(&self) -> bool {
        self.group().is_some() && self.determinations.len() >= 2
    }

    pub fn significant_antibodies(&self) -> impl Iterator<Item = Antigen> + '_ {
        self.antibodies
            .iter()
            .map(|a| a.antigen)
            .filter(|a| a.clinically_significant())
    }

    /// Every requirement a unit must meet: those recorded, and antigen-negative for each
    /// clinically significant antibody.
    pub fn all_requirements(&self) -> Vec<Requirement> {
        let mut out: Vec<Requirement> = self.requirements.iter().map(|r| r.requirement).collect();
        out.extend(
            self.significant_antibodies()
                .map(Requirement::AntigenNegative),
        );
        out.sort();
        out.dedup();
        out
    }

    /// EMERG-RELEASE: whether uncrossmatched red cells must be RhD negative: a female under
    /// 50, or a patient whose sex or age is not known.
    pub fn needs_rhd_negative_in_emergency(&self, today: Date) -> bool {
        match (self.sex, self.born) {
            (PatientSex::Male, Some(_)) => false,
            (PatientSex::Female, Some(born)) => age_on(born, today) < 50,
            _ => true,
        }
    }
}

/// Whole years of age on `day`.
pub fn age_on(born: Date, day: Date) -> i32 {
    let mut age = day.year() - born.year();
    if (day.month() as u8, day.day()) < (born.month() as u8, born.day()) {
        age -= 1;
    }
    age
}

/// The record ID of a patient of `hospital` with `wristband`.
pub fn patient_id(hospital: &str, wristband: &Wristband) -> String {
    format!("{hospital}:{}", wristband.key())
}

/// TX-PATIENT: the patient a wristband scan names at the actor's hospital.
pub fn by_wristband<'a>(
    state: &'a State,
    hospital: &str,
    scan: &str,
) -> Result<&'a Patient, Refusal> {
    let wristband = Wristband::parse(scan)?;
    let id = patient_id(hospital, &wristband);
    let Some(patient) = state.transfusion.patients.get(&id) else {
        return refuse(
            Rule::TxPatient,
            format!(
                "no patient of hospital {hospital} has the wristband {}: register the patient first",
                wristband.key()
            ),
        );
    };
    if let (Some(scanned), Some(recorded)) = (wristband.born, patient.born)
        && scanned != recorded
    {
        return refuse(
            Rule::TxPatient,
            format!(
                "the wristband's date of birth {scanned} is not patient {}'s ({recorded}): \
                 the wristband is wrong; stop and re-identify the patient",
                patient.name()
            ),
        );
    }
    Ok(patient)
}

/// TX-INPUT: a required text field, trimmed, at most [`MAX_TEXT`] characters.
pub fn text(field: &str, value: &str) -> Result<String, Refusal> {
    let value = value.trim();
    if value.is_empty() {
        return refuse(Rule::TxInput, format!("{field} is empty"));
    }
    if value.chars().count() > MAX_TEXT {
        return refuse(
            Rule::TxInput,
            format!("{field} is longer than {MAX_TEXT} characters"),
        );
    }
    Ok(value.to_owned())
}
