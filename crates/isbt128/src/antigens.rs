//! Red cell antigen results of data structures 011-013 (ST-001 §2.4.11-13, §9.1, Tables 8-13).
//!
//! Positions 2-16 each carry two antigens coded by one digit (Table 9's value code); position 1
//! carries the Rh phenotype; `ii` names one more antigen found negative (Table 12).
//! Decoded for 012, the structure in use. The retired 011 and the Finnish 013 report their
//! raw digits only: the public copy of their tables is not reliable enough to interpret.

use crate::fields::{FieldValue, Fields};
use crate::spec::Kind;

/// The antigen pair of positions 2-16 of DS012 (Table 9 [RT009]).
const GENERAL_PAIRS: [(&str, &str); 15] = [
    ("K", "k"),
    ("Cw", "Mia"),
    ("M", "N"),
    ("S", "s"),
    ("U", "P1"),
    ("Lua", "Kpa"),
    ("Lea", "Leb"),
    ("Fya", "Fyb"),
    ("Jka", "Jkb"),
    ("Doa", "Dob"),
    ("Ina", "Cob"),
    ("Dia", "VS/V"),
    ("Jsa", "C"),
    ("c", "E"),
    ("e", "CMV antibody"),
];

/// Position 1: the Rh phenotype (Table 9, column Rh).
const RH_PHENOTYPES: [&str; 9] = [
    "C+c-E+e-", "C+c+E+e-", "C-c+E+e-", "C+c-E+e+", "C+c+E+e+", "C-c+E+e+", "C+c-E-e+", "C+c+E-e+",
    "C-c+E-e+",
];

/// Table 12 [RT011]: the antigen or characteristic of `ii` (01-98), found negative unless the
/// text says otherwise.
const ADDITIONAL: [&str; 99] = [
    "information elsewhere",
    "Ena",
    "'N'",
    "Vw",
    "Mur",
    "Hut",
    "Hil",
    "P",
    "PP1Pk",
    "hrS",
    "hrB",
    "f",
    "Ce",
    "G",
    "Hr0",
    "CE",
    "cE",
    "Cx",
    "Ew",
    "Dw",
    "hrH",
    "Goa",
    "Rh32",
    "Rh33",
    "Tar",
    "Kpb",
    "Kpc",
    "Jsb",
    "Ula",
    "K11",
    "K12",
    "K13",
    "K14",
    "K17",
    "K18",
    "K19",
    "K22",
    "K23",
    "K24",
    "Lub",
    "Lu3",
    "Lu4",
    "Lu5",
    "Lu6",
    "Lu7",
    "Lu8",
    "Lu11",
    "Lu12",
    "Lu13",
    "Lu20",
    "Aua",
    "Aub",
    "Fy4",
    "Fy5",
    "Fy6",
    "Dib",
    "Sda",
    "Wrb",
    "Ytb",
    "Xga",
    "Sc1",
    "Sc2",
    "Sc3",
    "Joa",
    "",
    "Hy",
    "Gya",
    "Co3",
    "LWa",
    "LWb",
    "Kx",
    "Ge2",
    "Ge3",
    "Wb",
    "Lsa",
    "Ana",
    "Dha",
    "Cra",
    "IFC",
    "Kna",
    "Inb",
    "Csa",
    "I",
    "Era",
    "Vel",
    "Lan",
    "Ata",
    "Jra",
    "Oka",
    "Wra",
    "Ge4",
    "",
    "",
    "",
    "",
    "nationally specified",
    "Hemoglobin S negative",
    "parvovirus B19 antibody present",
    "IgA deficient",
];

fn result(code: u8, first: bool) -> Option<&'static str> {
    // Table 9's value code: 0 nt/nt, 1 nt/neg, 2 nt/pos, 3 neg/nt, ... 8 pos/pos, 9 ni/ni.
    let value = code - b'0';
    if value == 9 {
        return None;
    }
    let part = if first { value / 3 } else { value % 3 };
    Some(["not tested", "negative", "positive"][usize::from(part)])
}

/// Append the decoded antigens of a DS012 content to `fields`.
pub(crate) fn fields(kind: Kind, content: &[u8], fields: &mut Fields) {
    if kind != Kind::SpecialTestingRedCellAntigensGeneral {
        return;
    }
    let rh = match content[0] {
        code @ b'0'..=b'8' => FieldValue::text(RH_PHENOTYPES[usize::from(code - b'0')]),
        _ => FieldValue::Null,
    };
    fields.push(("rh_phenotype", rh));
    let mut tested = Vec::new();
    for (&code, (first, second)) in content[1..16].iter().zip(GENERAL_PAIRS) {
        for (antigen, is_first) in [(first, true), (second, false)] {
            match result(code, is_first) {
                Some("not tested") | None => {}
                Some(outcome) => tested.push(vec![
                    ("antigen", FieldValue::text(antigen)),
                    ("result", FieldValue::text(outcome)),
                ]),
            }
        }
    }
    fields.push(("antigen_results", FieldValue::List(tested)));
    let additional = usize::from(content[16] - b'0') * 10 + usize::from(content[17] - b'0');
    let meaning = match additional {
        99 => "no information provided".to_owned(),
        0 | 95..=98 => ADDITIONAL[additional].to_owned(),
        _ if ADDITIONAL[additional].is_empty() => "reserved".to_owned(),
        _ => format!("{} negative", ADDITIONAL[additional]),
    };
    fields.push(("additional_meaning", FieldValue::Text(meaning)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(content: &str) -> Fields {
        let mut out = Vec::new();
        fields(
            Kind::SpecialTestingRedCellAntigensGeneral,
            content.as_bytes(),
            &mut out,
        );
        out
    }

    #[test]
    fn worked_example_of_section_9_1_decodes_fy_and_jk() {
        // ST-001 §9.1: "C-c+E-e+, K+k+; ... Fy(a+b+), Jk(a+b-)".
        let fields = decode("880000008700000000");
        assert_eq!(fields[0], ("rh_phenotype", FieldValue::text("C-c+E-e+")));
        let FieldValue::List(results) = &fields[1].1 else {
            panic!("antigen_results is a list")
        };
        let pairs: Vec<String> = results
            .iter()
            .map(|r| format!("{:?}={:?}", r[0].1, r[1].1))
            .collect();
        assert_eq!(
            pairs,
            [
                "Text(\"K\")=Text(\"positive\")",
                "Text(\"k\")=Text(\"positive\")",
                "Text(\"Fya\")=Text(\"positive\")",
                "Text(\"Fyb\")=Text(\"positive\")",
                "Text(\"Jka\")=Text(\"positive\")",
                "Text(\"Jkb\")=Text(\"negative\")",
            ]
        );
    }

    #[test]
    fn additional_code_55_is_dib_negative_and_96_is_hbs_negative() {
        let last = |content: &str| decode(content).pop().map(|field| field.1);
        assert_eq!(
            last("999999999999999955"),
            Some(FieldValue::text("Dib negative"))
        );
        assert_eq!(
            last("999999999999999996"),
            Some(FieldValue::text("Hemoglobin S negative"))
        );
        assert_eq!(
            last("999999999999999999"),
            Some(FieldValue::text("no information provided"))
        );
    }
}
