//! Data structure 002, Blood Groups [ABO and RhD] (ST-001 §2.4.2, Tables 4 [RT005],
//! 5 [RT006] and 6 [RT007]).

/// ABO group. Ordered O, A, B, AB (the order of Table 4's rows); in JSON (feature `serde`)
/// `"O"`, `"A"`, `"B"`, `"AB"`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Abo {
    O,
    A,
    B,
    AB,
}

impl Abo {
    pub fn as_str(self) -> &'static str {
        match self {
            Abo::O => "O",
            Abo::A => "A",
            Abo::B => "B",
            Abo::AB => "AB",
        }
    }
}

/// RhD type; in JSON (feature `serde`) `"positive"` or `"negative"`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum RhD {
    Positive,
    Negative,
}

impl RhD {
    pub fn as_str(self) -> &'static str {
        match self {
            RhD::Positive => "RhD positive",
            RhD::Negative => "RhD negative",
        }
    }
}

/// The intended use encoded by the column of Table 4.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum IntendedUse {
    NotSpecified,
    Directed,
    Emergency,
    DirectedBiohazardous,
    DirectedEligibleForCrossover,
    AutologousEligibleForCrossover,
    Autologous,
    AutologousBiohazardous,
}

impl IntendedUse {
    /// The column offset of Table 4 within a row (`x2`..`x9`, default `x6` or `base + 5`).
    fn from_offset(offset: u8) -> Option<IntendedUse> {
        Some(match offset {
            1 => IntendedUse::Directed,
            2 => IntendedUse::Emergency,
            3 => IntendedUse::DirectedBiohazardous,
            4 => IntendedUse::DirectedEligibleForCrossover,
            5 => IntendedUse::NotSpecified,
            6 => IntendedUse::AutologousEligibleForCrossover,
            7 => IntendedUse::Autologous,
            8 => IntendedUse::AutologousBiohazardous,
            _ => return None,
        })
    }

    /// The column heading of Table 4.
    pub fn as_str(self) -> &'static str {
        match self {
            IntendedUse::NotSpecified => "intended use not specified",
            IntendedUse::Directed => "directed (dedicated/designated) collection use only",
            IntendedUse::Emergency => "for emergency use only",
            IntendedUse::DirectedBiohazardous => {
                "directed (dedicated/designated) collection/biohazardous"
            }
            IntendedUse::DirectedEligibleForCrossover => {
                "directed (dedicated/designated) collection/eligible for crossover"
            }
            IntendedUse::AutologousEligibleForCrossover => {
                "autologous collection/eligible for crossover"
            }
            IntendedUse::Autologous => "for autologous use only",
            IntendedUse::AutologousBiohazardous => "for autologous use only/biohazardous",
        }
    }
}

/// What the two-character group code `gg` says.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct GroupMeaning {
    /// The row of Table 4 or the interpretation of Table 5, in the standard's words.
    pub description: &'static str,
    /// The ABO group, where the code states one (not for Bombay phenotypes or pools).
    pub abo: Option<Abo>,
    /// The RhD type, where the code states one.
    pub rhd: Option<RhD>,
    /// The intended use (Table 4 only).
    pub intended_use: Option<IntendedUse>,
    /// Whether this is a special message of Table 5 (e.g. `Mq` quarantine) rather than a group.
    pub special_message: bool,
}

/// Rows of Table 4 with numeric codes: (base, description, ABO, RhD); the row's codes are
/// `base + 1` to `base + 8` with the default at `base + 5`.
const NUMERIC_ROWS: [(u8, &str, Abo, RhD); 8] = [
    (90, "O RhD negative", Abo::O, RhD::Negative),
    (46, "O RhD positive", Abo::O, RhD::Positive),
    (1, "A RhD negative", Abo::A, RhD::Negative),
    (57, "A RhD positive", Abo::A, RhD::Positive),
    (12, "B RhD negative", Abo::B, RhD::Negative),
    (68, "B RhD positive", Abo::B, RhD::Positive),
    (23, "AB RhD negative", Abo::AB, RhD::Negative),
    (79, "AB RhD positive", Abo::AB, RhD::Positive),
];

/// Rows of Table 4 coded with a letter and the column digit (`x2`..`x9`). `default` is the
/// row's default-column code when it is not `x6`.
struct LetterRow {
    letter: u8,
    description: &'static str,
    abo: Option<Abo>,
    rhd: Option<RhD>,
    default: Option<&'static [u8; 2]>,
}

const fn row(
    letter: u8,
    description: &'static str,
    abo: Option<Abo>,
    rhd: Option<RhD>,
    default: Option<&'static [u8; 2]>,
) -> LetterRow {
    LetterRow {
        letter,
        description,
        abo,
        rhd,
        default,
    }
}

const LETTER_ROWS: [LetterRow; 16] = [
    row(
        b'P',
        "O (RhD not specified)",
        Some(Abo::O),
        None,
        Some(b"55"),
    ),
    row(
        b'A',
        "A (RhD not specified)",
        Some(Abo::A),
        None,
        Some(b"66"),
    ),
    row(
        b'B',
        "B (RhD not specified)",
        Some(Abo::B),
        None,
        Some(b"77"),
    ),
    row(
        b'C',
        "AB (RhD not specified)",
        Some(Abo::AB),
        None,
        Some(b"88"),
    ),
    row(
        b'D',
        "para-Bombay, RhD negative",
        None,
        Some(RhD::Negative),
        None,
    ),
    row(
        b'E',
        "para-Bombay, RhD positive",
        None,
        Some(RhD::Positive),
        None,
    ),
    row(
        b'G',
        "Bombay, RhD negative",
        None,
        Some(RhD::Negative),
        None,
    ),
    row(
        b'H',
        "Bombay, RhD positive",
        None,
        Some(RhD::Positive),
        None,
    ),
    row(
        b'I',
        "O para-Bombay, RhD negative",
        None,
        Some(RhD::Negative),
        None,
    ),
    row(
        b'J',
        "O para-Bombay, RhD positive",
        None,
        Some(RhD::Positive),
        None,
    ),
    row(
        b'K',
        "A para-Bombay, RhD negative",
        None,
        Some(RhD::Negative),
        None,
    ),
    row(
        b'L',
        "B para-Bombay, RhD negative",
        None,
        Some(RhD::Negative),
        None,
    ),
    row(
        b'M',
        "AB para-Bombay, RhD negative",
        None,
        Some(RhD::Negative),
        None,
    ),
    row(
        b'N',
        "A para-Bombay, RhD positive",
        None,
        Some(RhD::Positive),
        None,
    ),
    row(
        b'O',
        "B para-Bombay, RhD positive",
        None,
        Some(RhD::Positive),
        None,
    ),
    row(
        b'Q',
        "AB para-Bombay, RhD positive",
        None,
        Some(RhD::Positive),
        None,
    ),
];

/// A code with one meaning: code, words, ABO, RhD, and whether it carries more than a group.
type SingleCode = (
    &'static [u8; 2],
    &'static str,
    Option<Abo>,
    Option<RhD>,
    bool,
);

/// Table 4 rows with only a default code (pools and A subgroups), and Table 5.
const SINGLE_CODES: [SingleCode; 26] = [
    (b"A0", "Group A, Pooled RhD", Some(Abo::A), None, false),
    (b"B0", "Group B, Pooled RhD", Some(Abo::B), None, false),
    (
        b"C0",
        "Group AB, Pooled RhD [Pooled Products]",
        Some(Abo::AB),
        None,
        false,
    ),
    (b"D0", "Group O, Pooled RhD", Some(Abo::O), None, false),
    (
        b"E0",
        "Pooled ABO, RhD Positive",
        None,
        Some(RhD::Positive),
        false,
    ),
    (
        b"F0",
        "Pooled ABO, RhD Negative",
        None,
        Some(RhD::Negative),
        false,
    ),
    (b"G0", "Pooled ABO, Pooled RhD", None, None, false),
    (b"H0", "Pooled ABO (RhD not specified)", None, None, false),
    (b"I0", "A1", Some(Abo::A), None, false),
    (b"J0", "A2", Some(Abo::A), None, false),
    (b"K0", "A1B", Some(Abo::AB), None, false),
    (b"L0", "A2B", Some(Abo::AB), None, false),
    (
        b"00",
        "No ABO or Rh information is available",
        None,
        None,
        true,
    ),
    (b"Ma", "Autologous collection", None, None, true),
    (b"Mb", "Biohazardous", None, None, true),
    (b"Md", "Discard (to be destroyed)", None, None, true),
    (b"Mf", "For fractionation use only", None, None, true),
    (
        b"Mq",
        "Quarantine/hold for further testing or processing",
        None,
        None,
        true,
    ),
    (b"Mr", "For research use only", None, None, true),
    (
        b"Mx",
        "Not for transfusion based on test results",
        None,
        None,
        true,
    ),
    (
        b"T1",
        "ABO not specified, RhD positive (tissue only)",
        None,
        Some(RhD::Positive),
        true,
    ),
    (
        b"T2",
        "ABO not specified, RhD negative (tissue only)",
        None,
        Some(RhD::Negative),
        true,
    ),
    (
        b"T3",
        "ABO not specified, RhD not specified (tissue only)",
        None,
        None,
        true,
    ),
    (
        b"T4",
        "Autologous collection/in quarantine (tissue only)",
        None,
        None,
        true,
    ),
    (
        b"T5",
        "See outer packaging for product status (tissue only)",
        None,
        None,
        true,
    ),
    (
        b"T6",
        "Must be sterilized before release (tissue only)",
        None,
        None,
        true,
    ),
];

/// Look up a group code in Tables 4 and 5; `None` if it is in neither.
pub fn group_meaning(code: [u8; 2]) -> Option<GroupMeaning> {
    if let [tens @ b'0'..=b'9', units @ b'0'..=b'9'] = code
        && let Some(meaning) = numeric_group(((tens - b'0') * 10) + (units - b'0'))
    {
        return Some(meaning);
    }
    if let Some(meaning) = letter_group(code) {
        return Some(meaning);
    }
    SINGLE_CODES.iter().find(|entry| *entry.0 == code).map(
        |&(_, description, abo, rhd, special)| GroupMeaning {
            description,
            abo,
            rhd,
            intended_use: None,
            special_message: special,
        },
    )
}

fn numeric_group(code: u8) -> Option<GroupMeaning> {
    for &(base, description, abo, rhd) in &NUMERIC_ROWS {
        if code > base && code <= base + 8 {
            return Some(GroupMeaning {
                description,
                abo: Some(abo),
                rhd: Some(rhd),
                intended_use: IntendedUse::from_offset(code - base),
                special_message: false,
            });
        }
    }
    // The default column of the "RhD not specified" rows is numeric: 55, 66, 77, 88.
    let row = LETTER_ROWS
        .iter()
        .find(|row| row.default.copied() == Some([b'0' + code / 10, b'0' + code % 10]))?;
    Some(GroupMeaning {
        description: row.description,
        abo: row.abo,
        rhd: row.rhd,
        intended_use: Some(IntendedUse::NotSpecified),
        special_message: false,
    })
}

fn letter_group([letter, column]: [u8; 2]) -> Option<GroupMeaning> {
    let row = LETTER_ROWS.iter().find(|row| row.letter == letter)?;
    let offset = match column {
        b'2'..=b'5' => column - b'1',
        b'6' if row.default.is_none() => 5,
        b'7'..=b'9' => column - b'1',
        _ => return None,
    };
    Some(GroupMeaning {
        description: row.description,
        abo: row.abo,
        rhd: row.rhd,
        intended_use: IntendedUse::from_offset(offset),
        special_message: false,
    })
}

/// The result of one antigen test in Table 6.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AntigenResult {
    Negative,
    Positive,
    NoInformation,
}

/// What the phenotype character `r` says (Table 6 [RT007]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Phenotype {
    /// Kell and C, c, E, e results.
    RhKell {
        kell: AntigenResult,
        rh: [AntigenResult; 4],
    },
    /// Mia/Mur negative (`U`) or positive (`V`).
    Miltenberger(AntigenResult),
    /// `W`: a Special Testing barcode is present and must be scanned and interpreted.
    SeeSpecialTesting,
}

/// The C, c, E, e pattern of each row of Table 6, in row order.
const RH_ROWS: [[AntigenResult; 4]; 11] = {
    use AntigenResult::{Negative as N, NoInformation as I, Positive as P};
    [
        [I, I, I, I],
        [N, P, N, P],
        [P, P, N, P],
        [P, P, P, P],
        [P, P, P, N],
        [N, P, P, P],
        [N, P, P, N],
        [P, N, N, P],
        [P, N, P, P],
        [P, N, P, N],
        [N, I, N, I],
    ]
};

/// The characters of the three Kell columns of Table 6, in row order.
const KELL_NO_INFORMATION: &[u8; 11] = b"0123456789X";
const KELL_NEGATIVE: &[u8; 11] = b"SABCDEFGHIY";
const KELL_POSITIVE: &[u8; 11] = b"TJKLMNOPQRZ";

/// Look up the phenotype character in Table 6. Every character `0-9`, `A-Z` is defined.
pub fn phenotype(r: u8) -> Option<Phenotype> {
    let columns = [
        (KELL_NO_INFORMATION, AntigenResult::NoInformation),
        (KELL_NEGATIVE, AntigenResult::Negative),
        (KELL_POSITIVE, AntigenResult::Positive),
    ];
    for (column, kell) in columns {
        if let Some(row) = column.iter().position(|&c| c == r) {
            return Some(Phenotype::RhKell {
                kell,
                rh: RH_ROWS[row],
            });
        }
    }
    match r {
        b'U' => Some(Phenotype::Miltenberger(AntigenResult::Negative)),
        b'V' => Some(Phenotype::Miltenberger(AntigenResult::Positive)),
        b'W' => Some(Phenotype::SeeSpecialTesting),
        _ => None,
    }
}

impl Phenotype {
    /// In words: `K-negative C- c+ E+ e+`; parts without information are left out.
    pub fn describe(&self) -> String {
        match self {
            Phenotype::RhKell { kell, rh } => {
                let mut parts = Vec::new();
                match kell {
                    AntigenResult::Negative => parts.push("K-negative".to_owned()),
                    AntigenResult::Positive => parts.push("K-positive".to_owned()),
                    AntigenResult::NoInformation => {}
                }
                for (antigen, result) in ["C", "c", "E", "e"].iter().zip(rh) {
                    match result {
                        AntigenResult::Negative => parts.push(format!("{antigen}-")),
                        AntigenResult::Positive => parts.push(format!("{antigen}+")),
                        AntigenResult::NoInformation => {}
                    }
                }
                if parts.is_empty() {
                    "no information".to_owned()
                } else {
                    parts.join(" ")
                }
            }
            Phenotype::Miltenberger(AntigenResult::Positive) => "Mia/Mur positive".to_owned(),
            Phenotype::Miltenberger(_) => "Mia/Mur negative".to_owned(),
            Phenotype::SeeSpecialTesting => {
                "Special Testing barcode present and must be scanned and interpreted".to_owned()
            }
        }
    }
}

/// Data structure 002 as scanned: a group code found in Tables 4/5 and a phenotype character
/// found in Table 6. The reserved last character is always `0`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct BloodGroup {
    group: [u8; 2],
    phenotype: u8,
}

impl BloodGroup {
    /// Build from a group code and phenotype character, or say which is not in its table.
    pub fn new(group: [u8; 2], phenotype: u8) -> Result<BloodGroup, &'static str> {
        if group_meaning(group).is_none() {
            return Err("not in ST-001 Table 4 or Table 5");
        }
        if self::phenotype(phenotype).is_none() {
            return Err("not in ST-001 Table 6");
        }
        Ok(BloodGroup { group, phenotype })
    }

    /// The group code `gg`.
    pub fn group_code(&self) -> &str {
        std::str::from_utf8(&self.group).expect("group codes are ASCII, checked when parsed")
    }

    pub fn meaning(&self) -> GroupMeaning {
        group_meaning(self.group).expect("the group code was found in the table when parsed")
    }

    /// The phenotype character `r`.
    pub fn phenotype_code(&self) -> char {
        self.phenotype as char
    }

    pub fn phenotype(&self) -> Phenotype {
        phenotype(self.phenotype).expect("the phenotype was found in Table 6 when parsed")
    }

    pub(crate) fn write_content(&self, out: &mut String) {
        out.push_str(self.group_code());
        out.push(self.phenotype as char);
        out.push('0');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_4_holds_96_group_codes_and_the_default_column_is_correct() {
        let mut count = 0;
        for first in b'0'..=b'Z' {
            for second in b'0'..=b'z' {
                if let Some(meaning) = group_meaning([first, second])
                    && meaning.intended_use.is_some()
                {
                    count += 1;
                }
            }
        }
        // 24 rows of 8 columns each.
        assert_eq!(count, 24 * 8);
        let o_neg = group_meaning(*b"95").expect("95 is O RhD negative");
        assert_eq!((o_neg.abo, o_neg.rhd), (Some(Abo::O), Some(RhD::Negative)));
        assert_eq!(o_neg.intended_use, Some(IntendedUse::NotSpecified));
        let a_pos_directed = group_meaning(*b"58").expect("58 is A RhD positive, directed");
        assert_eq!(a_pos_directed.intended_use, Some(IntendedUse::Directed));
        assert_eq!(group_meaning(*b"A6"), None, "the A row's default is 66");
        assert_eq!(
            group_meaning(*b"D6").map(|m| m.description),
            Some("para-Bombay, RhD negative")
        );
    }

    #[test]
    fn codes_outside_tables_4_and_5_are_unknown() {
        for code in [b"01", b"10", b"56", b"99", b"A1", b"P6", b"Mz", b"ma"] {
            assert_eq!(
                group_meaning(*code),
                None,
                "{}",
                String::from_utf8_lossy(code)
            );
        }
    }

    #[test]
    fn phenotype_e_is_k_negative_c_negative_c_positive_e_positive_e_positive() {
        let phenotype = phenotype(b'E').expect("E is in Table 6");
        assert_eq!(phenotype.describe(), "K-negative C- c+ E+ e+");
        assert_eq!(
            self::phenotype(b'0').map(|p| p.describe()),
            Some("no information".into())
        );
        assert_eq!(
            self::phenotype(b'Z').map(|p| p.describe()),
            Some("K-positive C- E-".into())
        );
        assert!(self::phenotype(b'a').is_none());
    }
}
