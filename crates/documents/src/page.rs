//! A page as SVG in millimetres: text (escaped, measured with the embedded fonts), lines and
//! rectangles, and a Code 128 symbol.

use std::fmt::Write;

use hemaflow_labels::Code128Symbol;
use hemaflow_labels::fonts::Font;

/// A4 portrait, in millimetres.
pub const A4: (f64, f64) = (210.0, 297.0);

pub struct Page {
    width: f64,
    height: f64,
    body: String,
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
            c if c.is_control() => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Shorten `text` with an ellipsis until it fits `width` at `size`.
pub fn clip(font: Font, text: &str, size: f64, width: f64) -> String {
    if font.width(text, size) <= width {
        return text.to_owned();
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let candidate: String = chars.iter().collect::<String>() + "…";
        if font.width(&candidate, size) <= width {
            return candidate;
        }
    }
    String::new()
}

impl Page {
    pub fn new((width, height): (f64, f64)) -> Page {
        Page {
            width,
            height,
            body: String::with_capacity(8 * 1024),
        }
    }

    /// Text with its baseline at `y`, starting at `x` (or ending there when `right`).
    pub fn text(&mut self, x: f64, y: f64, size: f64, font: Font, text: &str, right: bool) {
        let anchor = if right { "end" } else { "start" };
        // Writing to a String cannot fail.
        let _ = write!(
            self.body,
            r#"<text x="{x:.2}" y="{y:.2}" font-family="{}" font-weight="bold" font-size="{size:.2}" text-anchor="{anchor}">{}</text>"#,
            font.family(),
            escape(text)
        );
    }

    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: f64) {
        let _ = write!(
            self.body,
            r#"<line x1="{x1:.2}" y1="{y1:.2}" x2="{x2:.2}" y2="{y2:.2}" stroke="black" stroke-width="{stroke:.2}"/>"#
        );
    }

    pub fn frame(&mut self, x: f64, y: f64, width: f64, height: f64, stroke: f64) {
        let _ = write!(
            self.body,
            r#"<rect x="{x:.2}" y="{y:.2}" width="{width:.2}" height="{height:.2}" fill="none" stroke="black" stroke-width="{stroke:.2}"/>"#
        );
    }

    /// A Code 128 symbol whose left quiet zone starts at `x`, bars `height` tall from `y`, at
    /// module width `module`; returns its total width with quiet zones.
    pub fn code128(
        &mut self,
        symbol: &Code128Symbol,
        x: f64,
        y: f64,
        module: f64,
        height: f64,
    ) -> f64 {
        let quiet = (symbol.total_modules() - symbol.modules().len()) as f64 / 2.0;
        for (first, width) in symbol.bars() {
            let _ = write!(
                self.body,
                r#"<rect x="{:.4}" y="{y:.2}" width="{:.4}" height="{height:.2}"/>"#,
                x + (quiet + first as f64) * module,
                width as f64 * module
            );
        }
        symbol.total_modules() as f64 * module
    }

    pub fn into_svg(self) -> String {
        format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{h}mm" viewBox="0 0 {w} {h}"><rect width="{w}" height="{h}" fill="white"/>{}</svg>"#,
            self.body,
            w = self.width,
            h = self.height
        )
    }
}
