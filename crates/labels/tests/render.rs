//! Rendering tests: golden SVG and ZPL of a fixed label (reviewed by eye once: the PNG of
//! the same label is docs/label-example.png), the structure of the ZPL at both printhead
//! resolutions, and a property test that any valid label renders.
//!
//! To accept a deliberate layout change: `HEMAFLOW_UPDATE_GOLDEN=1 cargo test -p
//! hemaflow-labels --test render`, then look at the new files before committing them.

mod common;

use std::path::Path;

use hemaflow_labels::{Anchor, Element, Label, ZplDpi, render_pdf, to_svg, to_zpl};
use proptest::prelude::*;

fn fixed_label() -> Label {
    Label::base(&common::fixed().content()).expect("the fixed label lays out")
}

fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var("HEMAFLOW_UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::write(&path, actual).expect("the golden file is writable");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (HEMAFLOW_UPDATE_GOLDEN=1 writes it)",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "{name} differs from its golden file; if the change is intended, regenerate with \
         HEMAFLOW_UPDATE_GOLDEN=1 and review it"
    );
}

#[test]
fn svg_of_the_fixed_label_matches_its_golden_file() {
    golden("base-label.svg", &to_svg(&fixed_label()));
}

#[test]
fn zpl_of_the_fixed_label_matches_its_golden_files() {
    golden(
        "base-label-203dpi.zpl",
        &to_zpl(&fixed_label(), ZplDpi::Dpi203),
    );
    golden(
        "base-label-300dpi.zpl",
        &to_zpl(&fixed_label(), ZplDpi::Dpi300),
    );
}

fn numbers_after<'a>(zpl: &'a str, command: &'a str) -> Vec<Vec<i64>> {
    zpl.lines()
        .filter_map(|line| line.find(command).map(|at| &line[at + command.len()..]))
        .map(|rest| {
            rest.split(['^', ','])
                .map_while(|n| n.parse::<i64>().ok())
                .collect()
        })
        .collect()
}

#[test]
fn zpl_is_one_format_with_each_structure_in_a_code_128_field() {
    for dpi in [ZplDpi::Dpi203, ZplDpi::Dpi300] {
        let zpl = to_zpl(&fixed_label(), dpi);
        assert!(zpl.starts_with("^XA\n"));
        assert!(zpl.ends_with("^XZ\n"));
        assert_eq!(zpl.matches("^XA").count(), 1);
        let fields: Vec<&str> = zpl
            .lines()
            .filter(|l| l.contains("^BC"))
            .map(|l| &l[l.find("^FD").expect("field data") + 3..l.len() - 3])
            .collect();
        // Automatic mode: the field data is each structure's scan string, unchanged.
        assert_eq!(
            fields,
            ["=W12342512345600", "=%5100", "=<E0398V00", "&>0253652359"]
        );
        assert!(
            zpl.lines()
                .filter(|l| l.contains("^BC"))
                .all(|l| l.contains(",N,N,N,A^FH^FD"))
        );
        assert!(
            zpl.contains("^BXN,"),
            "the Data Matrix is missing at {dpi:?}"
        );
        assert!(zpl.contains("^FD=+04000=W12342512345600=%5100=<E0398V00&>0253652359^FS"));
        // Every field is closed.
        for line in zpl.lines().filter(|l| l.contains("^FD")) {
            assert!(line.ends_with("^FS"), "{line}");
        }
    }
}

#[test]
fn zpl_positions_and_modules_scale_with_the_printhead() {
    let low = to_zpl(&fixed_label(), ZplDpi::Dpi203);
    let high = to_zpl(&fixed_label(), ZplDpi::Dpi300);
    assert!(low.contains("^PW799\n^LL799\n"));
    assert!(high.contains("^PW1181\n^LL1181\n"));
    // Code 128 modules: 2 dots (0.250 mm) at 203 dpi, 3 dots (0.254 mm) at 300 dpi.
    assert!(numbers_after(&low, "^BY").iter().all(|n| n[0] == 2));
    assert!(numbers_after(&high, "^BY").iter().all(|n| n[0] == 3));
    let low_origins = numbers_after(&low, "^FO");
    let high_origins = numbers_after(&high, "^FO");
    assert_eq!(low_origins.len(), high_origins.len());
    for (l, h) in low_origins.iter().zip(&high_origins) {
        for (a, b) in l.iter().take(2).zip(h.iter().take(2)) {
            // The same millimetre position, rounded to each printhead's dots.
            let mm_low = *a as f64 * 25.4 / 203.0;
            let mm_high = *b as f64 * 25.4 / 300.0;
            assert!((mm_low - mm_high).abs() < 0.15, "{l:?} vs {h:?}");
        }
    }
    // The DIN symbol: at (4.064 mm, 3 mm), 10 mm high.
    assert!(low.contains("^FO32,24^BY2^BCN,80,"));
    assert!(high.contains("^FO48,35^BY3^BCN,118,"));
}

#[test]
fn pdf_is_one_page_of_100_mm() {
    let pdf = render_pdf(&fixed_label()).expect("renders");
    let text = String::from_utf8_lossy(&pdf);
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(
        text.matches("/Type /Page\n").count()
            + text.matches("/Type /Page/").count()
            + text.matches("/Type /Page ").count(),
        1,
        "one page"
    );
    assert!(text.contains("283.46"), "100 mm is 283.46 pt");
}

/// Every text and symbol of a base label lies inside its own quadrant, clear of the rules.
fn assert_inside_quadrants(label: &Label) -> Result<(), TestCaseError> {
    let quadrant = |x: f64, y: f64| {
        let left = if x < 50.0 { 0.0 } else { 50.0 };
        let top = if y < 50.0 { 0.0 } else { 50.0 };
        (left, top)
    };
    for element in &label.elements {
        let (left, right, top, bottom) = match element {
            Element::Text {
                x,
                y,
                size,
                font,
                anchor,
                rotated: false,
                text,
            } => {
                let width = font.width(text, *size);
                let start = match anchor {
                    Anchor::Start => *x,
                    Anchor::Middle => x - width / 2.0,
                    Anchor::End => x - width,
                };
                (start, start + width, y - font.cap_height() * size, *y)
            }
            Element::Text {
                x,
                y,
                size,
                text,
                rotated: true,
                font,
                ..
            } => (
                *x,
                x + font.cap_height() * size,
                *y,
                y + font.width(text, *size),
            ),
            Element::Linear {
                x,
                y,
                height,
                module,
                symbol,
            } => {
                let quiet = 10.0 * module;
                (
                    x - quiet,
                    x + symbol.modules().len() as f64 * module + quiet,
                    *y,
                    y + height,
                )
            }
            Element::Matrix {
                x,
                y,
                module,
                symbol,
            } => {
                let side = symbol.size() as f64 * module;
                (
                    x - 2.0 * module,
                    x + side + 2.0 * module,
                    y - 2.0 * module,
                    y + side + 2.0 * module,
                )
            }
            Element::Frame {
                x,
                y,
                width,
                height,
                ..
            } => (*x, x + width, *y, y + height),
            Element::Rule { .. } => continue,
        };
        let (q_left, q_top) = quadrant(left + 0.01, top + 0.01);
        prop_assert!(
            left >= q_left + 0.3 && right <= q_left + 49.7,
            "{element:?} leaves its quadrant sideways"
        );
        prop_assert!(
            top >= q_top + 0.3 && bottom <= q_top + 49.7,
            "{element:?} leaves its quadrant"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_valid_label_renders_and_shows_its_din(values in common::values()) {
        let content = values.content();
        let label = Label::base(&content).expect("lays out");
        let svg = to_svg(&label);
        let din = &content.donation.din;
        let eye = format!("{} {} {}", din.facility(), din.year(), din.sequence());
        let din_text = format!(">{eye}</text>");
        prop_assert!(svg.contains(&din_text), "no eye-readable DIN {}", eye);
        let check = format!(">{}</text>", din.check_character());
        prop_assert!(svg.contains(&check), "no check character");
        for scan in values.linear_scans() {
            let escaped = scan.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
            let attribute = format!("data-code128=\"{escaped}\"");
            prop_assert!(svg.contains(&attribute), "no symbol for {}", scan);
        }
        let zpl = to_zpl(&label, ZplDpi::Dpi203);
        prop_assert!(zpl.starts_with("^XA") && zpl.ends_with("^XZ\n"));
        assert_inside_quadrants(&label)?;
        let tube = Label::tube(&content.donation).expect("tube lays out");
        let tube_text = format!(">{eye}</text>");
        prop_assert!(to_svg(&tube).contains(&tube_text), "tube label lacks {}", eye);
    }
}
