//! The label as drawing elements in millimetres, from the top left corner: one layout that
//! every output (SVG, PNG, PDF, ZPL) renders, so they cannot disagree.

use hemaflow_isbt128::product::collection_type;
use hemaflow_isbt128::{DataStructure, DonationNumber, FlagKind, Kind, RhD, mod37};

use crate::LabelError;
use crate::code128::{self, Code128Symbol};
use crate::content::LabelContent;
use crate::fonts::{self, Font};
use crate::matrix::{self, MatrixSymbol};

/// Where a text's `x` is: its start, middle or end.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// One thing drawn on a label. Lengths in millimetres.
#[derive(Clone, PartialEq, Debug)]
pub enum Element {
    /// A Code 128 symbol; `x` is its first bar (the quiet zone lies to its left and right).
    Linear {
        x: f64,
        y: f64,
        height: f64,
        module: f64,
        symbol: Code128Symbol,
    },
    /// A Data Matrix symbol; `x`, `y` is its top left module (quiet zone outside).
    Matrix {
        x: f64,
        y: f64,
        module: f64,
        symbol: MatrixSymbol,
    },
    /// A line of text; `y` is its baseline. A rotated text turns 90 degrees clockwise about
    /// (`x`, `y`) and reads downwards.
    Text {
        x: f64,
        y: f64,
        size: f64,
        font: Font,
        anchor: Anchor,
        rotated: bool,
        text: String,
    },
    /// An unfilled rectangle (the box round the keyboard entry check character).
    Frame {
        x: f64,
        y: f64,
        width: f64,
        height: f64,
        stroke: f64,
    },
    /// A straight line (the quadrant rules).
    Rule {
        x1: f64,
        y1: f64,
        x2: f64,
        y2: f64,
        stroke: f64,
    },
}

/// A label ready to render.
#[derive(Clone, PartialEq, Debug)]
pub struct Label {
    pub width_mm: f64,
    pub height_mm: f64,
    pub elements: Vec<Element>,
}

/// The base label is 100 mm x 100 mm in four 50 mm quadrants.
pub const BASE_SIZE_MM: f64 = 100.0;
const HALF: f64 = BASE_SIZE_MM / 2.0;
/// Left edge of the symbols in the left and right quadrants: far enough in for the 10 X
/// quiet zone (2.54 mm) and the label's die-cut tolerance.
const LEFT_INSET: f64 = 4.0;
const SYMBOL_TOP: f64 = 3.0;
/// Linear symbol height on the base label: above the 5 mm / 15 % minimum of every symbol
/// Hemaflow prints (the DIN's 15 % is 5.1 mm) and tall enough for a hand scanner's line.
const SYMBOL_HEIGHT: f64 = 10.0;
/// Gap between the bars and the text under them ("immediately below, but not touching").
const TEXT_GAP: f64 = 0.8;
/// Text under a linear symbol is at most 2 mm high (ST-001 §7.4.2.1): 2.7 mm type has
/// 1.97 mm capitals.
const DATA_TEXT_SIZE: f64 = 2.7;
/// Text in a quadrant stays this far from the quadrant's edges.
const QUADRANT_TEXT_WIDTH: f64 = HALF - 2.0 * LEFT_INSET;
const RULE: f64 = 0.3;

/// Special testing structures whose eye-readable text carries the keyboard entry check
/// character K (ST-001 §7.5, Table 30 [RT002]).
const K_PRINTED_WITH_TEXT: [Kind; 3] = [
    Kind::SpecialTestingRedCellAntigensGeneral,
    Kind::SpecialTestingRedCellAntigensFinnish,
    Kind::SpecialTestingPlateletAntigens,
];

/// Round a symbol's left edge to a whole number of modules from the label's edge, so that
/// at 300 and 600 dpi every bar edge falls on a pixel edge.
fn on_module_grid(x: f64) -> f64 {
    (x / code128::X_DIMENSION_MM).round() * code128::X_DIMENSION_MM
}

fn linear(data: &str, x: f64, y: f64, height: f64) -> Result<(Element, f64), LabelError> {
    let symbol = Code128Symbol::encode(data).map_err(|error| LabelError::Symbol {
        data: data.to_owned(),
        reason: error.to_string(),
    })?;
    let module = code128::X_DIMENSION_MM;
    let height = height.max(symbol.min_height_mm(module));
    let width = symbol.modules().len() as f64 * module;
    let x = on_module_grid(x);
    Ok((
        Element::Linear {
            x,
            y,
            height,
            module,
            symbol,
        },
        x + width,
    ))
}

fn text(x: f64, y: f64, size: f64, font: Font, anchor: Anchor, text: &str) -> Element {
    Element::Text {
        x,
        y,
        size,
        font,
        anchor,
        rotated: false,
        text: text.to_owned(),
    }
}

/// A linear symbol with its data content printed left-justified under it, data identifier
/// left out (ST-001 §7.4.2.1). Returns the elements, the right end of the bars and the
/// baseline of the text.
fn symbol_with_text(
    structure: &DataStructure,
    x: f64,
    y: f64,
    height: f64,
) -> Result<(Vec<Element>, f64, f64), LabelError> {
    let (symbol, right) = linear(&structure.encode(), x, y, height)?;
    let Element::Linear { x, height, .. } = &symbol else {
        return Err(LabelError::Render {
            reason: "a linear symbol was expected".to_owned(),
        });
    };
    let baseline = y + height + TEXT_GAP + Font::Mono.cap_height() * DATA_TEXT_SIZE;
    let data = structure.content();
    let left = *x;
    let mut elements = vec![text(
        left,
        baseline,
        DATA_TEXT_SIZE,
        Font::Mono,
        Anchor::Start,
        &data,
    )];
    // The red cell and platelet antigen structures carry K beside their printed text
    // (ST-001 §7.5); the DIN's is printed by `din_text`.
    if K_PRINTED_WITH_TEXT.contains(&structure.kind())
        && let Some(check) = mod37::check_character(data.as_bytes())
    {
        let end = left + Font::Mono.width(&data, DATA_TEXT_SIZE);
        boxed_check_character(&mut elements, check, end, baseline, DATA_TEXT_SIZE);
    }
    elements.insert(0, symbol);
    Ok((elements, right, baseline))
}

/// The eye-readable DIN (ST-001 §7.4.1): the 13 characters in groups, the flags rotated 90
/// degrees clockwise when they are type 1 or 2 (type 3 and `00` are not printed), and the
/// keyboard entry check character boxed (§7.5). Returns the right end.
fn din_text(
    out: &mut Vec<Element>,
    donation: &DonationNumber,
    x: f64,
    baseline: f64,
    size: f64,
) -> f64 {
    let din = &donation.din;
    let grouped = format!("{} {} {}", din.facility(), din.year(), din.sequence());
    out.push(text(x, baseline, size, Font::Mono, Anchor::Start, &grouped));
    let cap = Font::Mono.cap_height() * size;
    let mut right = x + Font::Mono.width(&grouped, size);
    let flag_size = size * 0.62;
    if matches!(donation.flags.kind(), FlagKind::Iccbba(_) | FlagKind::Local) {
        let flags = donation.flags.as_str();
        let flag_cap = Font::Mono.cap_height() * flag_size;
        let gap = size * 0.25;
        out.push(Element::Text {
            x: right + gap,
            y: baseline - cap,
            size: flag_size,
            font: Font::Mono,
            anchor: Anchor::Start,
            rotated: true,
            text: flags.to_owned(),
        });
        right += gap + flag_cap;
    }
    boxed_check_character(out, din.check_character(), right, baseline, size)
}

/// The keyboard entry check character K in its box, after text ending at `right` (§7.5).
/// Returns the right end of the box.
fn boxed_check_character(
    out: &mut Vec<Element>,
    check: char,
    right: f64,
    baseline: f64,
    size: f64,
) -> f64 {
    let cap = Font::Mono.cap_height() * size;
    let pad = size * 0.14;
    let check = check.to_string();
    let advance = Font::Mono.width(&check, size);
    let box_x = right + size * 0.3;
    out.push(Element::Frame {
        x: box_x,
        y: baseline - cap - pad,
        width: advance + 2.0 * pad,
        height: cap + 2.0 * pad,
        stroke: 0.2,
    });
    out.push(text(
        box_x + pad + advance / 2.0,
        baseline,
        size,
        Font::Mono,
        Anchor::Middle,
        &check,
    ));
    box_x + advance + 2.0 * pad
}

/// The width the eye-readable DIN takes at `size`, flags and boxed check character included.
fn din_text_width(donation: &DonationNumber, size: f64) -> f64 {
    let mut scratch = Vec::new();
    din_text(&mut scratch, donation, 0.0, 0.0, size)
}

impl Label {
    /// The 100 mm x 100 mm base label in four quadrants: DIN and collection facility (upper
    /// left), ABO and RhD (upper right), product (lower left), expiry and special testing
    /// (lower right); the Data Matrix with the compound message sits at the top right.
    pub fn base(content: &LabelContent) -> Result<Label, LabelError> {
        let mut elements = vec![
            Element::Rule {
                x1: HALF,
                y1: 2.0,
                x2: HALF,
                y2: BASE_SIZE_MM - 2.0,
                stroke: RULE,
            },
            Element::Rule {
                x1: 2.0,
                y1: HALF,
                x2: BASE_SIZE_MM - 2.0,
                y2: HALF,
                stroke: RULE,
            },
        ];
        upper_left(&mut elements, content)?;
        upper_right(&mut elements, content)?;
        lower_left(&mut elements, content)?;
        lower_right(&mut elements, content)?;
        Ok(Label {
            width_mm: BASE_SIZE_MM,
            height_mm: BASE_SIZE_MM,
            elements,
        })
    }

    /// A tube or segment label, 50 mm x 16 mm: the DIN symbol (with its flags, e.g. `07` for
    /// a test tube) and the eye-readable DIN with its boxed check character.
    pub fn tube(donation: &DonationNumber) -> Result<Label, LabelError> {
        let width = 50.0;
        let mut elements = Vec::new();
        let (symbol, _, _) = symbol_with_text(&DataStructure::Donation(*donation), 5.0, 1.5, 7.0)?;
        // The DIN text replaces the plain data-content line under the symbol.
        let Some(bars) = symbol.into_iter().next() else {
            return Err(LabelError::Render {
                reason: "the DIN symbol is missing".to_owned(),
            });
        };
        let (x, bottom) = match &bars {
            Element::Linear { x, y, height, .. } => (*x, y + height),
            _ => (5.0, 8.5),
        };
        elements.push(bars);
        let size = fit_din(donation, width - x - 2.0, 4.0);
        let baseline = bottom + TEXT_GAP + Font::Mono.cap_height() * size + 0.3;
        din_text(&mut elements, donation, x, baseline, size);
        Ok(Label {
            width_mm: width,
            height_mm: 16.0,
            elements,
        })
    }

    /// Every Code 128 symbol on the label, in drawing order.
    pub fn linear_symbols(&self) -> Vec<&Code128Symbol> {
        self.elements
            .iter()
            .filter_map(|element| match element {
                Element::Linear { symbol, .. } => Some(symbol),
                _ => None,
            })
            .collect()
    }

    /// The Data Matrix symbol, if the label has one.
    pub fn matrix_symbol(&self) -> Option<&MatrixSymbol> {
        self.elements.iter().find_map(|element| match element {
            Element::Matrix { symbol, .. } => Some(symbol),
            _ => None,
        })
    }
}

/// The largest DIN type size, up to `max`, whose whole eye-readable DIN fits `width`.
fn fit_din(donation: &DonationNumber, width: f64, max: f64) -> f64 {
    let at_one = din_text_width(donation, 1.0);
    max.min(width / at_one)
}

fn upper_left(out: &mut Vec<Element>, content: &LabelContent) -> Result<(), LabelError> {
    let donation = &content.donation;
    let (symbol, _) = linear(
        &DataStructure::Donation(*donation).encode(),
        LEFT_INSET,
        SYMBOL_TOP,
        SYMBOL_HEIGHT,
    )?;
    let (x, bottom) = match &symbol {
        Element::Linear { x, y, height, .. } => (*x, y + height),
        _ => (LEFT_INSET, SYMBOL_TOP + SYMBOL_HEIGHT),
    };
    out.push(symbol);
    // The DIN is printed beneath its symbol, larger than other data text (ST-001 §7.4.1).
    let size = fit_din(donation, HALF - x - 2.5, 4.6);
    let baseline = bottom + TEXT_GAP + Font::Mono.cap_height() * size + 0.2;
    din_text(out, donation, x, baseline, size);

    let mut y = baseline + 6.5;
    out.push(text(x, y, 2.2, Font::Sans, Anchor::Start, "COLLECTED BY"));
    y += 4.2;
    if let Some(name) = &content.facility_name {
        // Up to three lines; a long name is set smaller rather than cut.
        let (size, lines) = [3.2, 2.9, 2.6, 2.3]
            .iter()
            .map(|size| {
                (
                    *size,
                    fonts::wrap(Font::Sans, name, *size, QUADRANT_TEXT_WIDTH),
                )
            })
            .find(|(_, lines)| lines.len() <= 3)
            .ok_or_else(|| LabelError::FacilityName {
                reason: format!("'{name}' does not fit three lines of the quadrant"),
            })?;
        for line in lines {
            out.push(text(x, y, size, Font::Sans, Anchor::Start, &line));
            y += size * 1.25;
        }
    }
    let facility = format!("FIN {}", donation.din.facility());
    out.push(text(x, y, 3.0, Font::Mono, Anchor::Start, &facility));

    let t = content.product.collection_type() as u8;
    if let Some(collection) = collection_type(t) {
        let words = collection.to_uppercase();
        let size = fonts::fit(Font::Sans, &words, QUADRANT_TEXT_WIDTH, 3.2);
        out.push(text(x, HALF - 3.0, size, Font::Sans, Anchor::Start, &words));
    }
    Ok(())
}

fn upper_right(out: &mut Vec<Element>, content: &LabelContent) -> Result<(), LabelError> {
    let group = &content.blood_group;
    let structure = DataStructure::BloodGroup(*group);
    let (elements, bars_end, text_baseline) =
        symbol_with_text(&structure, HALF + LEFT_INSET, SYMBOL_TOP, SYMBOL_HEIGHT)?;
    out.extend(elements);

    // The Data Matrix with the compound message: right of the group symbol's quiet zone.
    let message = content.compound_message();
    let matrix = MatrixSymbol::encode(&message).map_err(|reason| LabelError::Symbol {
        data: message.clone(),
        reason,
    })?;
    let box_left = bars_end + code128::QUIET_ZONE_MODULES as f64 * code128::X_DIMENSION_MM;
    let box_side = (BASE_SIZE_MM - 1.5 - box_left).min(20.0);
    let module = matrix
        .module_for_box(box_side)
        .ok_or_else(|| LabelError::Symbol {
            data: message.clone(),
            reason: format!(
                "the Data Matrix needs {} modules a side, too many for a {box_side:.1} mm box",
                matrix.size()
            ),
        })?;
    let quiet = matrix::QUIET_ZONE_MODULES as f64 * module;
    let side = matrix.size() as f64 * module;
    let matrix_left = BASE_SIZE_MM - 1.5 - quiet - side;
    out.push(Element::Matrix {
        x: matrix_left,
        y: 1.5 + quiet,
        module,
        symbol: matrix,
    });

    let left = HALF + LEFT_INSET;
    let notes_width = matrix_left - quiet - left - 0.5;
    let meaning = group.meaning();
    let mut y = text_baseline + 3.6;
    let phenotype = group.phenotype().describe();
    if phenotype != "no information" {
        let size = fonts::fit(Font::Sans, &phenotype, notes_width, 2.4);
        out.push(text(left, y, size, Font::Sans, Anchor::Start, &phenotype));
        y += 3.0;
    }
    if let Some(intended) = meaning.intended_use
        && intended != hemaflow_isbt128::IntendedUse::NotSpecified
    {
        let words = intended.as_str().to_uppercase();
        let size = fonts::fit(Font::Sans, &words, notes_width, 2.4);
        out.push(text(left, y, size, Font::Sans, Anchor::Start, &words));
    }

    let centre = HALF + HALF / 2.0;
    let width = HALF - 5.0;
    match meaning.abo {
        Some(abo) if !meaning.special_message => {
            let letters = abo.as_str();
            let size = fonts::fit(Font::Sans, letters, width, 25.0);
            out.push(text(
                centre,
                42.0,
                size,
                Font::Sans,
                Anchor::Middle,
                letters,
            ));
            let rh = match meaning.rhd {
                Some(RhD::Positive) => "RhD POSITIVE",
                Some(RhD::Negative) => "RhD NEGATIVE",
                None => "RhD NOT SPECIFIED",
            };
            let size = fonts::fit(Font::Sans, rh, width, 5.2);
            out.push(text(centre, 48.0, size, Font::Sans, Anchor::Middle, rh));
        }
        _ => {
            // Special messages (quarantine, discard...) and groups without a plain ABO
            // (Bombay, pools): the standard's words, large.
            let words = meaning.description.to_uppercase();
            let (size, lines) = [5.0, 4.2, 3.5, 3.0]
                .iter()
                .map(|size| (*size, fonts::wrap(Font::Sans, &words, *size, width)))
                .find(|(_, lines)| lines.len() <= 4)
                .ok_or_else(|| LabelError::Render {
                    reason: format!("the blood group text '{words}' does not fit its quadrant"),
                })?;
            let step = size * 1.2;
            let mut y = 36.0 - step / 2.0 * (lines.len() as f64 - 1.0);
            for line in &lines {
                out.push(text(centre, y, size, Font::Sans, Anchor::Middle, line));
                y += step;
            }
        }
    }
    Ok(())
}

/// The storage temperature, from the storage part of an ICCBBA-style description
/// (`CLASS|anticoagulant/volume/storage|attributes`), in words.
pub fn storage_text(description: &str) -> Option<String> {
    let core = description.split('|').nth(1)?;
    let storage = core.split('/').nth(2)?.trim();
    let text = match storage {
        "refg" => "Store at 1 to 6 \u{b0}C".to_owned(),
        "rt" => "Store at room temperature".to_owned(),
        other => {
            if let Some(range) = other.strip_suffix('C')
                && let Some((low, high)) = range.split_once('-')
                && !low.is_empty()
                && low.chars().all(|c| c.is_ascii_digit())
            {
                format!("Store at {low} to {high} \u{b0}C")
            } else if let Some(limit) = other
                .strip_prefix("<=")
                .and_then(|rest| rest.strip_suffix('C'))
            {
                format!("Store at {limit} \u{b0}C or colder")
            } else {
                return None;
            }
        }
    };
    Some(text)
}

fn lower_left(out: &mut Vec<Element>, content: &LabelContent) -> Result<(), LabelError> {
    let structure = DataStructure::Product(content.product);
    let (elements, _, text_baseline) =
        symbol_with_text(&structure, LEFT_INSET, HALF + SYMBOL_TOP, SYMBOL_HEIGHT)?;
    let left = match elements.first() {
        Some(Element::Linear { x, .. }) => *x,
        _ => LEFT_INSET,
    };
    out.extend(elements);

    // Class name largest, then the core conditions, then the attributes smaller still
    // (ST-001 §7.4.4.1).
    let mut parts = content.description.split('|').map(str::trim);
    let class = parts.next().unwrap_or_default().to_owned();
    let core = parts.next().map(str::to_owned);
    let attributes: Vec<&str> = parts.filter(|p| !p.is_empty()).collect();
    let attributes = (!attributes.is_empty()).then(|| attributes.join(" \u{b7} "));
    // A class name that fits one line at no less than 3.4 mm is kept on one line.
    let class_size = match fonts::fit(Font::Sans, &class, QUADRANT_TEXT_WIDTH, 4.2) {
        size if size >= 3.4 => size,
        _ => 4.2,
    };
    let blocks: Vec<(String, f64)> = [
        Some((class, class_size)),
        core.map(|c| (c, 3.0)),
        attributes.map(|a| (a, 2.7)),
    ]
    .into_iter()
    .flatten()
    .collect();

    let bottom_reserved = 10.0;
    let top = text_baseline + 1.5;
    let available = BASE_SIZE_MM - bottom_reserved - top;
    let mut scale = 1.0;
    let mut laid = lay_blocks(&blocks, scale);
    while laid.iter().map(|(_, size)| size * 1.25).sum::<f64>() > available && scale > 0.55 {
        scale -= 0.05;
        laid = lay_blocks(&blocks, scale);
    }
    let mut y = top;
    for (line, size) in laid {
        y += size * 1.25;
        if y > BASE_SIZE_MM - bottom_reserved {
            return Err(LabelError::Render {
                reason: format!(
                    "the product description is too long to print legibly: '{}'",
                    content.description
                ),
            });
        }
        out.push(text(left, y, size, Font::Sans, Anchor::Start, &line));
    }

    if let Some(volume) = content.volume_ml {
        let words = format!("Volume approx. {volume} mL");
        out.push(text(
            left,
            BASE_SIZE_MM - 7.0,
            3.2,
            Font::Sans,
            Anchor::Start,
            &words,
        ));
    }
    if let Some(storage) = storage_text(&content.description) {
        let size = fonts::fit(Font::Sans, &storage, QUADRANT_TEXT_WIDTH, 3.2);
        out.push(text(
            left,
            BASE_SIZE_MM - 3.0,
            size,
            Font::Sans,
            Anchor::Start,
            &storage,
        ));
    }
    Ok(())
}

fn lay_blocks(blocks: &[(String, f64)], scale: f64) -> Vec<(String, f64)> {
    blocks
        .iter()
        .flat_map(|(words, size)| {
            let size = size * scale;
            fonts::wrap(Font::Sans, words, size, QUADRANT_TEXT_WIDTH)
                .into_iter()
                .map(move |line| (line, size))
        })
        .collect()
}

fn lower_right(out: &mut Vec<Element>, content: &LabelContent) -> Result<(), LabelError> {
    let structure = content.expiry.structure();
    let (elements, _, text_baseline) = symbol_with_text(
        &structure,
        HALF + LEFT_INSET,
        HALF + SYMBOL_TOP,
        SYMBOL_HEIGHT,
    )?;
    let left = match elements.first() {
        Some(Element::Linear { x, .. }) => *x,
        _ => HALF + LEFT_INSET,
    };
    out.extend(elements);
    out.push(text(
        left,
        text_baseline + 5.0,
        2.2,
        Font::Sans,
        Anchor::Start,
        "EXPIRES",
    ));
    let expiry = content.expiry.eye_readable();
    let size = fonts::fit(Font::Sans, &expiry, QUADRANT_TEXT_WIDTH, 6.0);
    out.push(text(
        left,
        text_baseline + 11.5,
        size,
        Font::Sans,
        Anchor::Start,
        &expiry,
    ));

    if let Some(special) = &content.special_testing {
        out.push(text(
            left,
            83.0,
            2.2,
            Font::Sans,
            Anchor::Start,
            "SPECIAL TESTING",
        ));
        let (elements, _, _) = symbol_with_text(special, left, 84.2, 7.5)?;
        out.extend(elements);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::content::LabelRequest;
    use crate::content::tests::request;

    fn base() -> Label {
        Label::base(&LabelContent::from_request(&request()).unwrap()).unwrap()
    }

    #[test]
    fn base_label_carries_one_symbol_per_structure_and_the_compound_message() {
        let label = base();
        let data: Vec<&str> = label.linear_symbols().iter().map(|s| s.data()).collect();
        assert_eq!(
            data,
            ["=W12342512345600", "=%5100", "=<E0398V00", "&>0253652359"]
        );
        assert_eq!(
            label.matrix_symbol().map(|m| m.data()),
            Some("=+04000=W12342512345600=%5100=<E0398V00&>0253652359")
        );
    }

    #[test]
    fn every_symbol_keeps_its_quiet_zone_inside_its_quadrant() {
        let label = base();
        for element in &label.elements {
            if let Element::Linear {
                x,
                y,
                module,
                symbol,
                height,
            } = element
            {
                let quiet = code128::QUIET_ZONE_MODULES as f64 * module;
                let right = x + symbol.modules().len() as f64 * module + quiet;
                let quadrant_left = if *x < HALF { 0.0 } else { HALF };
                assert!(x - quiet >= quadrant_left + 0.5, "{}", symbol.data());
                assert!(right <= quadrant_left + HALF - 0.5, "{}", symbol.data());
                assert!(*height >= symbol.min_height_mm(*module));
                assert!(y + height < if *y < HALF { HALF } else { BASE_SIZE_MM });
                assert_eq!(*module, code128::X_DIMENSION_MM);
            }
            if let Element::Matrix {
                x,
                y,
                module,
                symbol,
            } = element
            {
                let side = symbol.size() as f64 * module;
                assert!(*module >= matrix::MIN_MODULE_MM && *module <= 1.0);
                assert!(x + side + 2.0 * module <= BASE_SIZE_MM);
                assert!(*y >= 2.0 * module);
            }
        }
    }

    #[test]
    fn din_text_has_groups_and_a_boxed_check_character() {
        let label = base();
        let texts: Vec<&str> = label
            .elements
            .iter()
            .filter_map(|e| match e {
                Element::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert!(texts.contains(&"W1234 25 123456"));
        let din = LabelContent::from_request(&request()).unwrap().donation.din;
        assert!(texts.contains(&din.check_character().to_string().as_str()));
        assert!(
            label
                .elements
                .iter()
                .any(|e| matches!(e, Element::Frame { .. }))
        );
        // Flags 00 are not printed.
        assert!(
            !label
                .elements
                .iter()
                .any(|e| matches!(e, Element::Text { rotated: true, .. }))
        );
    }

    #[test]
    fn type_1_flags_are_printed_rotated_and_type_3_are_not() {
        let flagged = LabelRequest {
            din: "=W12342512345607",
            ..request()
        };
        let label = Label::base(&LabelContent::from_request(&flagged).unwrap()).unwrap();
        assert!(
            label
                .elements
                .iter()
                .any(|e| matches!(e, Element::Text { rotated: true, text, .. } if text == "07"))
        );
        // 60 + the checksum: a type 3 flag is not printed.
        let content = LabelContent::from_request(&request()).unwrap();
        let check = hemaflow_isbt128::Flags::check_flag(&content.donation.din);
        let scan = format!("=W123425123456{}", check.as_str());
        let typed = LabelRequest {
            din: &scan,
            ..request()
        };
        let label = Label::base(&LabelContent::from_request(&typed).unwrap()).unwrap();
        assert!(
            !label
                .elements
                .iter()
                .any(|e| matches!(e, Element::Text { rotated: true, .. }))
        );
    }

    #[test]
    fn storage_comes_from_the_description() {
        assert_eq!(
            storage_text("RED BLOOD CELLS|CPD>AS5/450mL/refg|Irr|ResLeu").as_deref(),
            Some("Store at 1 to 6 \u{b0}C")
        );
        assert_eq!(
            storage_text("Apheresis PLATELETS|ACD-A>PAS-C/XX/20-24C|ResLeu:<5E6").as_deref(),
            Some("Store at 20 to 24 \u{b0}C")
        );
        assert_eq!(
            storage_text("FRESH FROZEN PLASMA|CPD/450mL/<=-18C").as_deref(),
            Some("Store at -18 \u{b0}C or colder")
        );
        assert_eq!(storage_text("Local product"), None);
    }

    #[test]
    fn antigen_special_testing_text_has_its_boxed_check_character() {
        let antigens = LabelRequest {
            special_testing: Some("=\\000000000000000000"),
            ..request()
        };
        let content = LabelContent::from_request(&antigens).unwrap();
        let label = Label::base(&content).unwrap();
        let k = mod37::check_character(b"000000000000000000")
            .unwrap()
            .to_string();
        let frames = label
            .elements
            .iter()
            .filter(|e| matches!(e, Element::Frame { .. }))
            .count();
        assert_eq!(frames, 2, "the DIN's box and the antigen structure's box");
        assert!(
            label
                .elements
                .iter()
                .any(|e| matches!(e, Element::Text { text, .. } if *text == k))
        );
        // Special Testing: General (010) has no K.
        let general = LabelRequest {
            special_testing: Some("&(N0001"),
            ..request()
        };
        let label = Label::base(&LabelContent::from_request(&general).unwrap()).unwrap();
        let frames = label
            .elements
            .iter()
            .filter(|e| matches!(e, Element::Frame { .. }))
            .count();
        assert_eq!(frames, 1);
    }

    #[test]
    fn tube_label_carries_the_din_symbol_and_text() {
        let donation = LabelContent::from_request(&request()).unwrap().donation;
        let label = Label::tube(&donation).unwrap();
        assert_eq!(label.linear_symbols().len(), 1);
        assert_eq!(label.linear_symbols()[0].data(), "=W12342512345600");
        for element in &label.elements {
            if let Element::Text { x, size, text, .. } = element {
                assert!(x + Font::Mono.width(text, *size) <= label.width_mm);
            }
        }
    }
}
