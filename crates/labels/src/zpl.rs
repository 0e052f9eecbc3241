//! ZPL II for Zebra thermal printers at 203 or 300 dpi, from the same layout as the SVG.
//!
//! Code 128 goes out as `^BC` in automatic mode (`A`): the field data is the structure's
//! scan string as it is, and the printer switches to subset C for runs of digits, as ST-001
//! §6.1.1 asks. Automatic mode is used rather than invocation codes (`>:`, `>5`...) because
//! in normal mode `>` starts an invocation code, and `>` is in the expiry's data identifier
//! `&>`: one escaping mistake there would print a wrong expiry. `code128_field` keeps the
//! invocation-code form of Hemaflow's own plan for printers without automatic mode.
//! The Data Matrix goes out as `^BX` quality 200 (ECC 200).

use std::fmt::Write;

use crate::code128::CodeSet;
use crate::fonts::Font;
use crate::label::{Anchor, Element, Label};

/// The two printhead resolutions Zebra label printers come in for this work.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ZplDpi {
    /// 8 dots per mm.
    Dpi203,
    /// 12 dots per mm.
    Dpi300,
}

impl ZplDpi {
    pub fn from_dpi(dpi: u32) -> Option<ZplDpi> {
        match dpi {
            203 => Some(ZplDpi::Dpi203),
            300 => Some(ZplDpi::Dpi300),
            _ => None,
        }
    }

    pub fn dpi(self) -> u32 {
        match self {
            ZplDpi::Dpi203 => 203,
            ZplDpi::Dpi300 => 300,
        }
    }

    /// Millimetres to whole dots.
    pub fn dots(self, mm: f64) -> i64 {
        (mm * f64::from(self.dpi()) / 25.4).round() as i64
    }

    /// The Code 128 module in whole dots nearest the layout's X dimension, never below one:
    /// 0.254 mm is 2 dots at 203 dpi (0.250 mm) and 3 at 300 dpi (0.254 mm).
    pub fn module_dots(self, mm: f64) -> i64 {
        self.dots(mm).max(1)
    }
}

/// `^`, `~` and `_` would be read as commands or escapes; `^FH` turns `_XX` back into them.
fn field_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '^' => out.push_str("_5E"),
            '~' => out.push_str("_7E"),
            '_' => out.push_str("_5F"),
            _ => out.push(c),
        }
    }
    out
}

/// The `^BC` normal-mode field data of a code-set plan: start code, invocation codes between
/// code sets, escapes in B (`>0` for `>`, `><` for `^`, `>=` for `~`).
pub fn code128_field(runs: &[crate::code128::Run]) -> String {
    let mut out = String::new();
    for (index, run) in runs.iter().enumerate() {
        out.push_str(match (index, run.set) {
            (0, CodeSet::B) => ">:",
            (0, CodeSet::C) => ">;",
            (_, CodeSet::B) => ">6",
            (_, CodeSet::C) => ">5",
        });
        match run.set {
            CodeSet::C => out.push_str(&run.text),
            CodeSet::B => {
                for c in run.text.chars() {
                    match c {
                        '>' => out.push_str(">0"),
                        '^' => out.push_str("><"),
                        '~' => out.push_str(">="),
                        _ => out.push(c),
                    }
                }
            }
        }
    }
    out
}

/// Square ECC 200 symbol sizes and their data codeword capacities (ISO/IEC 16022 Table 7).
const SQUARE_CAPACITY: [(usize, usize); 24] = [
    (10, 3),
    (12, 5),
    (14, 8),
    (16, 12),
    (18, 18),
    (20, 22),
    (22, 30),
    (24, 36),
    (26, 44),
    (32, 62),
    (36, 86),
    (40, 114),
    (44, 144),
    (48, 174),
    (52, 204),
    (64, 280),
    (72, 368),
    (80, 456),
    (88, 576),
    (96, 696),
    (104, 816),
    (120, 1050),
    (132, 1304),
    (144, 1558),
];

/// Codewords of `data` in ASCII encodation: a digit pair is one, another ASCII character one,
/// a character above 127 two (upper shift).
fn ascii_codewords(data: &str) -> usize {
    let bytes = data.as_bytes();
    let mut count = 0;
    let mut index = 0;
    while index < bytes.len() {
        let pair = index + 1 < bytes.len()
            && bytes[index].is_ascii_digit()
            && bytes[index + 1].is_ascii_digit();
        count += if bytes[index] > 127 { 2 } else { 1 };
        index += if pair { 2 } else { 1 };
    }
    count
}

/// The smallest square symbol that holds `data` in ASCII encodation.
fn ascii_square_size(data: &str) -> usize {
    let needed = ascii_codewords(data);
    SQUARE_CAPACITY
        .iter()
        .find(|(_, capacity)| *capacity >= needed)
        .map_or(144, |(size, _)| *size)
}

/// Render a label as one ZPL format (`^XA` ... `^XZ`).
pub fn to_zpl(label: &Label, dpi: ZplDpi) -> String {
    let mut zpl = String::new();
    // ^CI28: field data is UTF-8 (the degree sign of the storage temperature).
    let _ = writeln!(zpl, "^XA");
    let _ = writeln!(zpl, "^CI28");
    let _ = writeln!(zpl, "^PW{}", dpi.dots(label.width_mm));
    let _ = writeln!(zpl, "^LL{}", dpi.dots(label.height_mm));
    let _ = writeln!(zpl, "^LH0,0");
    for element in &label.elements {
        element_zpl(&mut zpl, element, dpi);
    }
    let _ = writeln!(zpl, "^XZ");
    zpl
}

fn element_zpl(zpl: &mut String, element: &Element, dpi: ZplDpi) {
    match element {
        Element::Linear {
            x,
            y,
            height,
            module,
            symbol,
        } => {
            let _ = writeln!(
                zpl,
                "^FO{},{}^BY{}^BCN,{},N,N,N,A^FH^FD{}^FS",
                dpi.dots(*x),
                dpi.dots(*y),
                dpi.module_dots(*module),
                dpi.dots(*height),
                field_text(symbol.data())
            );
        }
        Element::Matrix {
            x,
            y,
            module,
            symbol,
        } => {
            // The printer encodes the data itself; a printer that uses ASCII encodation only
            // may need a larger symbol than Hemaflow's optimising encoder chose. Ask for one
            // that holds the ASCII form, grown to the left so the right edge stays put.
            let size = symbol.size().max(ascii_square_size(symbol.data()));
            let grown = (size - symbol.size()) as f64 * module;
            let _ = writeln!(
                zpl,
                "^FO{},{}^BXN,{},200,{size},{size}^FH^FD{}^FS",
                dpi.dots(x - grown),
                dpi.dots(*y),
                dpi.module_dots(*module),
                field_text(symbol.data())
            );
        }
        Element::Text {
            x,
            y,
            size,
            font,
            anchor,
            rotated,
            text,
        } => {
            let height = dpi.dots(*size);
            if *rotated {
                // ^FO is the top left of the turned field; the SVG's (x, y) is the start of
                // the baseline, which after a clockwise turn is the field's top left.
                let _ = writeln!(
                    zpl,
                    "^FO{},{}^A0R,{height},{height}^FH^FD{}^FS",
                    dpi.dots(*x),
                    dpi.dots(*y),
                    field_text(text)
                );
                return;
            }
            let width = font.width(text, *size);
            let left = match anchor {
                Anchor::Start => *x,
                Anchor::Middle => x - width / 2.0,
                Anchor::End => x - width,
            };
            // ^FT places the text's baseline, as the SVG does.
            if *font == Font::Mono {
                // The printer's font 0 is proportional: codes are set one character a field
                // on the layout's monospaced grid, so a DIN and its boxed check character
                // keep the positions the layout gave them.
                let advance = font.width("0", *size);
                // Narrowed a little so that a wide W keeps clear of the next cell.
                let char_width = dpi.dots(size * 0.8);
                for (index, c) in text.chars().enumerate() {
                    if c == ' ' {
                        continue;
                    }
                    let _ = writeln!(
                        zpl,
                        "^FT{},{}^A0N,{height},{char_width}^FH^FD{}^FS",
                        dpi.dots(left + index as f64 * advance),
                        dpi.dots(*y),
                        field_text(&c.to_string())
                    );
                }
                return;
            }
            let _ = writeln!(
                zpl,
                "^FT{},{}^A0N,{height},{height}^FH^FD{}^FS",
                dpi.dots(left),
                dpi.dots(*y),
                field_text(text)
            );
        }
        Element::Frame {
            x,
            y,
            width,
            height,
            stroke,
        } => {
            let _ = writeln!(
                zpl,
                "^FO{},{}^GB{},{},{}^FS",
                dpi.dots(*x),
                dpi.dots(*y),
                dpi.dots(*width),
                dpi.dots(*height),
                dpi.dots(*stroke).max(1)
            );
        }
        Element::Rule {
            x1,
            y1,
            x2,
            y2,
            stroke,
        } => {
            let thickness = dpi.dots(*stroke).max(1);
            let (width, height) = (
                dpi.dots(x2 - x1).max(thickness),
                dpi.dots(y2 - y1).max(thickness),
            );
            let _ = writeln!(
                zpl,
                "^FO{},{}^GB{width},{height},{thickness}^FS",
                dpi.dots(x1.min(*x2)),
                dpi.dots(y1.min(*y2))
            );
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::code128::plan;

    #[test]
    fn zpl_field_switches_code_sets_and_escapes_the_greater_than() {
        assert_eq!(
            code128_field(&plan("=W12342512345600")),
            ">:=W>512342512345600"
        );
        assert_eq!(code128_field(&plan("&>0253652359")), ">:&>0>50253652359");
        assert_eq!(code128_field(&plan("=<E0398V00")), ">:=<E0398V00");
        assert_eq!(
            code128_field(&plan("=W1234251234560A0")),
            ">:=W1>5234251234560>6A0"
        );
    }

    #[test]
    fn dots_follow_the_printhead() {
        assert_eq!(ZplDpi::Dpi203.dots(100.0), 799);
        assert_eq!(ZplDpi::Dpi300.dots(100.0), 1181);
        assert_eq!(ZplDpi::Dpi203.module_dots(0.254), 2);
        assert_eq!(ZplDpi::Dpi300.module_dots(0.254), 3);
        assert_eq!(ZplDpi::from_dpi(600), None);
    }

    #[test]
    fn data_matrix_size_holds_the_ascii_form() {
        // 51 characters, 32 ASCII codewords: 24x24 holds 36.
        let four = "=+04000=W12342512345600=%5100=<E0398V00&>0253652359";
        assert_eq!(ascii_codewords(four), 32);
        assert_eq!(ascii_square_size(four), 24);
        // With special testing: 37 codewords need 26x26.
        let five = "=+05000=W12342512345600=%5100=<E0398V00&>0253652359&(N0001";
        assert_eq!(ascii_codewords(five), 37);
        assert_eq!(ascii_square_size(five), 26);
    }

    #[test]
    fn field_text_escapes_zpl_control_characters() {
        assert_eq!(field_text("a^b~c_d"), "a_5Eb_7Ec_5Fd");
    }
}
