//! Data Matrix (ECC 200) symbols for the compound message (ST-001 §6.2).
//!
//! The encoding, error correction and module placement come from the `datamatrix` crate;
//! Hemaflow asks for square symbols only (the crate would otherwise pick a rectangle, which
//! fits a label quadrant badly) and draws the modules itself.

use datamatrix::{DataMatrix, SymbolList};

/// The X dimension is 0.25 mm to 1 mm, as large as practical (ST-001 §6.2.3). Hemaflow
/// prints 0.508 mm (6 dots at 300 dpi) when the symbol fits its box, smaller (never under
/// 0.25 mm) when it does not.
pub const PREFERRED_MODULE_MM: f64 = 0.508;

/// The smallest module ST-001 §6.2.3 allows.
pub const MIN_MODULE_MM: f64 = 0.25;

/// The quiet zone is at least X on all four sides; 2X to 4X where reflected noise is near
/// (ST-001 §6.2.3). Hemaflow leaves 2X.
pub const QUIET_ZONE_MODULES: usize = 2;

/// A square Data Matrix symbol: its data and its modules.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct MatrixSymbol {
    data: String,
    size: usize,
    dark: Vec<(usize, usize)>,
}

impl MatrixSymbol {
    /// Encode `data` in the smallest square ECC 200 symbol that holds it.
    pub fn encode(data: &str) -> Result<MatrixSymbol, String> {
        let symbol = DataMatrix::encode_str(data, SymbolList::default().enforce_square())
            .map_err(|error| format!("Data Matrix encoding failed: {error:?}"))?;
        let bitmap = symbol.bitmap();
        Ok(MatrixSymbol {
            data: data.to_owned(),
            size: bitmap.width(),
            dark: bitmap.pixels().collect(),
        })
    }

    pub fn data(&self) -> &str {
        &self.data
    }

    /// Modules per side (the symbol is square), quiet zone not included.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The dark modules as (column, row) from the top left.
    pub fn dark_modules(&self) -> &[(usize, usize)] {
        &self.dark
    }

    /// The module size that fits the symbol and its quiet zones into `box_mm`, capped at
    /// the preferred size, or `None` when even the smallest allowed module does not fit.
    pub fn module_for_box(&self, box_mm: f64) -> Option<f64> {
        let modules = (self.size + 2 * QUIET_ZONE_MODULES) as f64;
        let fit = PREFERRED_MODULE_MM.min(box_mm / modules);
        (fit >= MIN_MODULE_MM).then_some(fit)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn compound_message_gets_a_small_square_symbol() {
        let symbol =
            MatrixSymbol::encode("=+04000=W12342512345600=%5100=<E0398V00&>0253652359").unwrap();
        assert_eq!(symbol.size(), 24);
        // Finder pattern: the left column and bottom row are all dark.
        let dark = |x, y| symbol.dark_modules().contains(&(x, y));
        assert!((0..symbol.size()).all(|y| dark(0, y)));
        assert!((0..symbol.size()).all(|x| dark(x, symbol.size() - 1)));
        // Timing pattern: the top row alternates, starting dark.
        assert!((0..symbol.size()).all(|x| dark(x, 0) == (x % 2 == 0)));
    }

    #[test]
    fn module_is_as_large_as_the_box_allows_within_the_standard() {
        let symbol = MatrixSymbol::encode("=+04000=W12342512345600").unwrap();
        let n = (symbol.size() + 4) as f64;
        assert_eq!(symbol.module_for_box(100.0), Some(PREFERRED_MODULE_MM));
        assert_eq!(symbol.module_for_box(n * 0.3), Some(0.3));
        assert_eq!(symbol.module_for_box(n * 0.2), None);
    }
}
