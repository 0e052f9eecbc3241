//! Code 128 symbols for ISBT 128 linear data structures (ST-001 §6.1).
//!
//! The symbol character patterns and the modulo-103 check come from the `barcoders` crate.
//! What ISBT 128 adds is decided here: which code set carries which characters (§6.1.1:
//! "a switch can be made to subset C ... to reduce bar code length"), following the
//! minimisation rules of ISO/IEC 15417 Annex E.

use barcoders::sym::code128::Code128;

/// The target X dimension for linear bar codes on a container label is 0.25 mm, minimum
/// 0.17 mm (ST-001 §6.1.3). Hemaflow prints 0.254 mm (10 mil): within tolerance of the
/// target, and a whole number of dots at 300 dpi (3) and 600 dpi (6), so raster output has
/// no fractional bar edges.
pub const X_DIMENSION_MM: f64 = 0.254;

/// The quiet zone before the start and after the stop character is at least 10 X
/// (ST-001 §6.1.3).
pub const QUIET_ZONE_MODULES: usize = 10;

/// The bar code height is at least 5 mm or 15 % of the bar code length, whichever is greater
/// (ST-001 §6.1.3, after ISO/IEC 15417 Annex G).
pub const MIN_HEIGHT_MM: f64 = 5.0;

/// One Code 128 code set.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CodeSet {
    B,
    C,
}

/// A run of the data in one code set.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Run {
    pub set: CodeSet,
    pub text: String,
}

/// An encoded Code 128 symbol: the data it carries, the code-set plan and the modules
/// (true = bar), start to stop, quiet zones not included.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Code128Symbol {
    data: String,
    runs: Vec<Run>,
    modules: Vec<bool>,
}

/// Why data cannot be carried in an ISBT 128 Code 128 symbol.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum Code128Error {
    #[error("Code 128 cannot carry an empty string")]
    Empty,
    #[error(
        "'{found}' at position {position} is not a printable ASCII character (Code 128 subset B)"
    )]
    Character { found: char, position: usize },
    #[error("the Code 128 encoder refused '{data}': {reason}")]
    Encoder { data: String, reason: String },
}

impl Code128Symbol {
    /// Encode `data` (an ISBT 128 data identifier and content, exactly as scanned).
    pub fn encode(data: &str) -> Result<Code128Symbol, Code128Error> {
        if data.is_empty() {
            return Err(Code128Error::Empty);
        }
        if let Some((position, found)) = data.char_indices().find(|(_, c)| !(' '..='~').contains(c))
        {
            return Err(Code128Error::Character { found, position });
        }
        let runs = plan(data);
        let modules = barcoders_encode(&runs).map_err(|reason| Code128Error::Encoder {
            data: data.to_owned(),
            reason,
        })?;
        Ok(Code128Symbol {
            data: data.to_owned(),
            runs,
            modules,
        })
    }

    /// The data the symbol carries, as a scanner reports it.
    pub fn data(&self) -> &str {
        &self.data
    }

    /// The code sets chosen, in order.
    pub fn runs(&self) -> &[Run] {
        &self.runs
    }

    /// The modules from the start character to the end of the stop pattern (true = bar).
    pub fn modules(&self) -> &[bool] {
        &self.modules
    }

    /// The bars as (first module, width in modules), left to right.
    pub fn bars(&self) -> Vec<(usize, usize)> {
        let mut bars = Vec::new();
        let mut start = None;
        for (index, &dark) in self
            .modules
            .iter()
            .chain(std::iter::once(&false))
            .enumerate()
        {
            match (dark, start) {
                (true, None) => start = Some(index),
                (false, Some(first)) => {
                    bars.push((first, index - first));
                    start = None;
                }
                _ => {}
            }
        }
        bars
    }

    /// Width in modules including both quiet zones.
    pub fn total_modules(&self) -> usize {
        self.modules.len() + 2 * QUIET_ZONE_MODULES
    }

    /// The smallest height the standard allows for this symbol at module width `x_mm`.
    pub fn min_height_mm(&self, x_mm: f64) -> f64 {
        MIN_HEIGHT_MM.max(0.15 * self.modules.len() as f64 * x_mm)
    }
}

/// Split the data into code-set runs (ISO/IEC 15417 Annex E, for data that starts in
/// subset B as every ISBT 128 structure does): a digit run of 4 or more at the end of the
/// data, or of 6 or more elsewhere, goes to subset C; an odd run leaves its first digit in B.
pub fn plan(data: &str) -> Vec<Run> {
    let bytes = data.as_bytes();
    let mut runs: Vec<Run> = Vec::new();
    let mut push = |set: CodeSet, text: &str| match runs.last_mut() {
        Some(last) if last.set == set => last.text.push_str(text),
        _ => runs.push(Run {
            set,
            text: text.to_owned(),
        }),
    };
    let mut index = 0;
    while index < bytes.len() {
        let digits = bytes[index..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let at_end = index + digits == bytes.len();
        let worth_c = (at_end && digits >= 4) || digits >= 6;
        if digits > 0 && worth_c {
            let odd = digits % 2;
            if odd == 1 {
                push(CodeSet::B, &data[index..index + 1]);
            }
            push(CodeSet::C, &data[index + odd..index + digits]);
            index += digits;
        } else {
            let end = if digits > 0 {
                index + digits
            } else {
                index + 1
            };
            push(CodeSet::B, &data[index..end]);
            index = end;
        }
    }
    runs
}

/// barcoders selects code sets with marker characters: `Ɓ` (B) and `Ć` (C), at the start
/// for the start character and later for a code-set switch.
fn barcoders_encode(runs: &[Run]) -> Result<Vec<bool>, String> {
    let mut marked = String::new();
    for run in runs {
        marked.push(match run.set {
            CodeSet::B => 'Ɓ',
            CodeSet::C => 'Ć',
        });
        marked.push_str(&run.text);
    }
    let symbol = Code128::new(&marked).map_err(|error| error.to_string())?;
    Ok(symbol.encode().into_iter().map(|bit| bit == 1).collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn sets(data: &str) -> Vec<(CodeSet, String)> {
        plan(data).into_iter().map(|r| (r.set, r.text)).collect()
    }

    #[test]
    fn din_goes_to_subset_c_after_its_data_identifier() {
        assert_eq!(
            sets("=W12342512345600"),
            vec![
                (CodeSet::B, "=W".to_owned()),
                (CodeSet::C, "12342512345600".to_owned())
            ]
        );
    }

    #[test]
    fn odd_digit_run_leaves_its_first_digit_in_subset_b() {
        // Flags with a letter end the digit run; the 13 digits before them are odd.
        assert_eq!(
            sets("=W1234251234560A0"),
            vec![
                (CodeSet::B, "=W1".to_owned()),
                (CodeSet::C, "234251234560".to_owned()),
                (CodeSet::B, "A0".to_owned())
            ]
        );
    }

    #[test]
    fn short_digit_runs_stay_in_subset_b() {
        assert_eq!(
            sets("=<E0336V00"),
            vec![(CodeSet::B, "=<E0336V00".to_owned())]
        );
        assert_eq!(
            sets("&>0253652359"),
            vec![
                (CodeSet::B, "&>".to_owned()),
                (CodeSet::C, "0253652359".to_owned())
            ]
        );
        assert_eq!(
            sets("=%5100"),
            vec![
                (CodeSet::B, "=%".to_owned()),
                (CodeSet::C, "5100".to_owned())
            ]
        );
    }

    #[test]
    fn din_symbol_has_the_module_count_of_its_characters() {
        // Start B, "=", "W", CODE C, 7 digit pairs, check: 12 characters of 11 modules,
        // then the 13-module stop pattern.
        let symbol = Code128Symbol::encode("=W12342512345600").unwrap();
        assert_eq!(symbol.modules().len(), 12 * 11 + 13);
        // Every Code 128 symbol starts with a bar and ends with the stop's final bar.
        assert!(symbol.modules()[0]);
        assert!(symbol.modules()[symbol.modules().len() - 1]);
        // Start B pattern 11010010000.
        let start: Vec<bool> = "11010010000".bytes().map(|b| b == b'1').collect();
        assert_eq!(&symbol.modules()[..11], &start[..]);
        // At 0.254 mm: 36.8 mm of bars, under the 50 mm quadrant with both quiet zones.
        let width = symbol.total_modules() as f64 * X_DIMENSION_MM;
        assert!(width < 48.0, "{width}");
    }

    #[test]
    fn height_rule_is_the_greater_of_5_mm_and_15_percent() {
        let symbol = Code128Symbol::encode("=W12342512345600").unwrap();
        let length = symbol.modules().len() as f64 * X_DIMENSION_MM;
        assert_eq!(
            symbol.min_height_mm(X_DIMENSION_MM),
            (0.15 * length).max(5.0)
        );
        let short = Code128Symbol::encode("=%5100").unwrap();
        assert_eq!(short.min_height_mm(X_DIMENSION_MM), 5.0);
    }

    #[test]
    fn non_ascii_and_empty_data_are_refused() {
        assert_eq!(Code128Symbol::encode(""), Err(Code128Error::Empty));
        assert!(matches!(
            Code128Symbol::encode("=Wé"),
            Err(Code128Error::Character {
                found: 'é',
                position: 2
            })
        ));
    }

    #[test]
    fn bars_cover_exactly_the_dark_modules() {
        let symbol = Code128Symbol::encode("&>0253652359").unwrap();
        let dark: usize = symbol.modules().iter().filter(|m| **m).count();
        let covered: usize = symbol.bars().iter().map(|(_, w)| w).sum();
        assert_eq!(dark, covered);
        assert!(symbol.bars().iter().all(|(_, w)| (1..=4).contains(w)));
    }
}
