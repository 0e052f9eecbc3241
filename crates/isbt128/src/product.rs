//! Data structure 003, the Product Code (ST-001 §2.4.3, Table 7 [RT008], Table 26), and the
//! product description catalogue.

use std::sync::OnceLock;

/// What the first character of a product description code says the product is (Table 26).
pub fn product_type(alpha: u8) -> &'static str {
    match alpha {
        b'E' | b'F' => "blood component",
        b'H' => "MPHO with INN/USAN name",
        b'M' => "other therapy (human milk, topical products)",
        b'N' => "organ",
        b'P' => "regenerated tissue",
        b'R' => "reproductive tissue and cells",
        b'S' => "cellular therapy",
        b'T' => "tissue",
        b'V' => "ocular tissue",
        b'W' => "fecal microbiota",
        b'X' => "other blood product (plasma derivative or in vivo diagnostic)",
        b'Y' => "clinical trial",
        b'A'..=b'C' => "nationally defined product",
        b'D' => "locally (facility) defined product",
        _ => "not assigned by ICCBBA",
    }
}

/// The collection type `t` of Table 7, or `None` for a character not in the table.
pub fn collection_type(t: u8) -> Option<&'static str> {
    Some(match t {
        b'0' => "not specified",
        b'V' => "volunteer homologous (allogeneic)",
        b'R' => "volunteer research",
        b'S' => "volunteer source",
        b'T' => "volunteer therapeutic",
        b'P' => "paid homologous (allogeneic)",
        b'r' => "paid research",
        b's' => "paid source",
        b'A' => "autologous, eligible for crossover",
        b'1' => "for autologous use only",
        b'X' => "for autologous use only, biohazardous",
        b'D' => "volunteer directed, eligible for crossover",
        b'd' => "paid directed, eligible for crossover",
        b'2' => "for directed recipient use only",
        b'L' => "for directed recipient use only, limited exposure",
        b'E' => "medical exception, for specified recipient only",
        b'Q' => "see Special Testing barcode",
        b'3' => "for directed recipient use only, biohazardous",
        b'4' => "designated",
        b'5' => "dedicated",
        b'6' => "designated, biohazardous",
        b'F' => "family reserved",
        b'C' => "replacement",
        b'7' => "for allogeneic use",
        b'8' => "autologous, contains allogeneic material",
        b'B' => "directed, dedicated or designated use only",
        b'H' => "directed, dedicated or designated use only, biohazardous",
        b'J' => "directed, dedicated or designated use only, eligible for crossover",
        b'G' => "for emergency use only",
        _ => return None,
    })
}

/// How the last three characters `tds` of a product code are read, by product type (§2.4.3).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TrailerRule {
    /// `t` is a Table 7 collection type and `ds` the division code (E, F, H, S, P, X0, Y).
    CollectionTypeAndDivision,
    /// `tds` is a 3-digit division or pack code (M, N, R, T, V, W).
    NumericDivision,
    /// `tds` is `000` (X1-X9).
    Zeros,
    /// Defined nationally or locally (A-D), or not assigned.
    Unspecified,
}

/// The rule for reading `tds`, from the first two characters of the code.
pub fn trailer_rule(alpha: u8, second: u8) -> TrailerRule {
    match alpha {
        b'E' | b'F' | b'H' | b'S' | b'P' | b'Y' => TrailerRule::CollectionTypeAndDivision,
        b'X' if second == b'0' => TrailerRule::CollectionTypeAndDivision,
        b'X' => TrailerRule::Zeros,
        b'M' | b'N' | b'R' | b'T' | b'V' | b'W' => TrailerRule::NumericDivision,
        _ => TrailerRule::Unspecified,
    }
}

/// One entry of the product description catalogue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogueEntry {
    pub code: &'static str,
    pub description: &'static str,
    pub source: &'static str,
}

const CATALOGUE_TSV: &str = include_str!("../data/product-descriptions.tsv");

/// The product description catalogue shipped with Hemaflow (`data/product-descriptions.tsv`):
/// the codes whose descriptions are published in public sources. ICCBBA's full table (RT064)
/// is licensed; a site loads its own entries at a higher layer.
pub fn catalogue() -> &'static [CatalogueEntry] {
    static CATALOGUE: OnceLock<Vec<CatalogueEntry>> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        CATALOGUE_TSV
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .filter_map(|line| {
                let mut columns = line.split('\t');
                Some(CatalogueEntry {
                    code: columns.next()?,
                    description: columns.next()?,
                    source: columns.next()?,
                })
            })
            .collect()
    })
}

/// The description of a product description code, if the catalogue has it.
pub fn description(code: &str) -> Option<&'static str> {
    catalogue()
        .iter()
        .find(|entry| entry.code == code)
        .map(|entry| entry.description)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_line_has_a_valid_code_description_and_source() {
        let data_lines = CATALOGUE_TSV
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .count();
        assert_eq!(
            catalogue().len(),
            data_lines,
            "a malformed line was skipped"
        );
        for entry in catalogue() {
            assert_eq!(entry.code.len(), 5, "{}", entry.code);
            assert!(
                entry.code.as_bytes()[0].is_ascii_uppercase(),
                "{}",
                entry.code
            );
            assert!(
                !entry.description.is_empty() && !entry.source.is_empty(),
                "{}",
                entry.code
            );
        }
    }

    #[test]
    fn a_code_not_in_the_catalogue_has_no_description() {
        assert_eq!(
            description("E0398"),
            Some("RED BLOOD CELLS|CPD>AS5/450mL/refg|Irr|ResLeu")
        );
        assert_eq!(description("E9999"), None);
    }
}
