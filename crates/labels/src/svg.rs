//! The master rendering: SVG in millimetres (`viewBox` = the label in mm). PNG and PDF are
//! made from this text, so what a reviewer sees in the SVG is what prints.

use std::fmt::Write;

use crate::label::{Anchor, Element, Label};

/// Write a number with at most 4 decimals and no trailing zeros (0.1 um is far below any
/// printer's dot).
fn n(value: f64) -> String {
    let text = format!("{value:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

/// Escape text for XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

/// Render a label as a standalone SVG document.
pub fn to_svg(label: &Label) -> String {
    let mut svg = String::with_capacity(16 * 1024);
    let (w, h) = (n(label.width_mm), n(label.height_mm));
    // `write!` into a String cannot fail; the results are ignored on purpose below.
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{h}mm" viewBox="0 0 {w} {h}">"#
    );
    let _ = writeln!(svg, r##"<rect width="{w}" height="{h}" fill="#fff"/>"##);
    for element in &label.elements {
        element_svg(&mut svg, element);
    }
    svg.push_str("</svg>\n");
    svg
}

fn element_svg(svg: &mut String, element: &Element) {
    match element {
        Element::Linear {
            x,
            y,
            height,
            module,
            symbol,
        } => {
            let mut d = String::new();
            for (first, width) in symbol.bars() {
                let bar_x = x + first as f64 * module;
                let bar_w = width as f64 * module;
                let _ = write!(
                    d,
                    "M{} {}h{}v{}h-{}z",
                    n(bar_x),
                    n(*y),
                    n(bar_w),
                    n(*height),
                    n(bar_w)
                );
            }
            let _ = writeln!(
                svg,
                r#"<path data-code128="{}" d="{d}"/>"#,
                escape(symbol.data())
            );
        }
        Element::Matrix {
            x,
            y,
            module,
            symbol,
        } => {
            // One path; horizontal runs of dark modules merged into one rectangle each.
            let mut rows: Vec<Vec<usize>> = vec![Vec::new(); symbol.size()];
            for &(column, row) in symbol.dark_modules() {
                rows[row].push(column);
            }
            let mut d = String::new();
            for (row, columns) in rows.iter_mut().enumerate() {
                columns.sort_unstable();
                let mut index = 0;
                while index < columns.len() {
                    let start = columns[index];
                    let mut end = start;
                    while index + 1 < columns.len() && columns[index + 1] == end + 1 {
                        index += 1;
                        end += 1;
                    }
                    index += 1;
                    let run = (end - start + 1) as f64 * module;
                    let _ = write!(
                        d,
                        "M{} {}h{}v{}h-{}z",
                        n(x + start as f64 * module),
                        n(y + row as f64 * module),
                        n(run),
                        n(*module),
                        n(run)
                    );
                }
            }
            let _ = writeln!(
                svg,
                r#"<path data-datamatrix="{}" d="{d}"/>"#,
                escape(symbol.data())
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
            let anchor = match anchor {
                Anchor::Start => "start",
                Anchor::Middle => "middle",
                Anchor::End => "end",
            };
            let place = if *rotated {
                format!(r#"transform="translate({} {}) rotate(90)""#, n(*x), n(*y))
            } else {
                format!(r#"x="{}" y="{}""#, n(*x), n(*y))
            };
            let _ = writeln!(
                svg,
                r#"<text {place} font-family="{}" font-weight="bold" font-size="{}" text-anchor="{anchor}">{}</text>"#,
                font.family(),
                n(*size),
                escape(text)
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
                svg,
                r##"<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#000" stroke-width="{}"/>"##,
                n(*x),
                n(*y),
                n(*width),
                n(*height),
                n(*stroke)
            );
        }
        Element::Rule {
            x1,
            y1,
            x2,
            y2,
            stroke,
        } => {
            let _ = writeln!(
                svg,
                r##"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#000" stroke-width="{}"/>"##,
                n(*x1),
                n(*y1),
                n(*x2),
                n(*y2),
                n(*stroke)
            );
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_exact_enough() {
        assert_eq!(n(4.064), "4.064");
        assert_eq!(n(10.0), "10");
        assert_eq!(n(-0.00001), "0");
        assert_eq!(n(0.254 * 3.0), "0.762");
    }

    #[test]
    fn data_identifiers_are_escaped() {
        assert_eq!(escape("=<E0398V00&>0253"), "=&lt;E0398V00&amp;&gt;0253");
    }
}
