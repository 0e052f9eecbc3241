//! The fonts of every rendering, embedded so that a label looks the same on every machine:
//! DejaVu Sans Bold for words and DejaVu Sans Mono Bold for codes, whose slashed zero and
//! serifed one and capital I keep 0/O and 1/I apart (ST-001 §7.4). Licence:
//! `fonts/LICENSE-DejaVu.txt`.

pub const SANS_BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");
pub const MONO_BOLD: &[u8] = include_bytes!("../fonts/DejaVuSansMono-Bold.ttf");

/// The two typefaces a label uses.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Font {
    /// Words: headings, the blood group, descriptions.
    Sans,
    /// Data content: DIN, codes, dates read back by hand.
    Mono,
}

impl Font {
    /// The CSS font family, as the embedded files name themselves.
    pub fn family(self) -> &'static str {
        match self {
            Font::Sans => "DejaVu Sans",
            Font::Mono => "DejaVu Sans Mono",
        }
    }

    fn bytes(self) -> &'static [u8] {
        match self {
            Font::Sans => SANS_BOLD,
            Font::Mono => MONO_BOLD,
        }
    }

    /// The advance width of `text` at `size` (the em size, in the caller's unit). Characters
    /// the font lacks count as one em, so a measurement never comes out short.
    pub fn width(self, text: &str, size: f64) -> f64 {
        let Ok(face) = ttf_parser::Face::parse(self.bytes(), 0) else {
            return text.chars().count() as f64 * size;
        };
        let units = f64::from(face.units_per_em());
        let advance: f64 = text
            .chars()
            .map(|c| {
                face.glyph_index(c)
                    .and_then(|glyph| face.glyph_hor_advance(glyph))
                    .map_or(units, f64::from)
            })
            .sum();
        advance / units * size
    }

    /// The height of a capital letter as a fraction of the em (DejaVu: 0.729).
    pub fn cap_height(self) -> f64 {
        0.729
    }
}

/// The largest size up to `max` at which `text` fits `width`.
pub fn fit(font: Font, text: &str, width: f64, max: f64) -> f64 {
    let at_one = font.width(text, 1.0);
    if at_one <= 0.0 {
        return max;
    }
    max.min(width / at_one)
}

/// Break `text` into lines no wider than `width` at `size`, at spaces, or inside a word when
/// one word alone is too wide.
pub fn wrap(font: Font, text: &str, size: f64, width: f64) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if font.width(&candidate, size) <= width {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for c in word.chars() {
            let mut longer = line.clone();
            longer.push(c);
            if !line.is_empty() && font.width(&longer, size) > width {
                lines.push(std::mem::take(&mut line));
            }
            line.push(c);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn mono_advance_is_constant_and_sans_is_proportional() {
        let one = Font::Mono.width("W", 10.0);
        assert!((Font::Mono.width("W1234", 10.0) - 5.0 * one).abs() < 1e-9);
        assert!(Font::Sans.width("i", 10.0) < Font::Sans.width("W", 10.0));
    }

    #[test]
    fn wrapped_lines_fit_and_keep_every_character() {
        let text = "Apheresis RED BLOOD CELLS ACD-A/XX/refg Irradiated 1st container";
        let lines = wrap(Font::Sans, text, 3.0, 30.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| Font::Sans.width(l, 3.0) <= 30.0));
        assert_eq!(lines.join(" "), text);
    }

    #[test]
    fn fit_never_exceeds_the_width_or_the_maximum() {
        let size = fit(Font::Sans, "31 DEC 2025 23:59", 40.0, 8.0);
        assert!(Font::Sans.width("31 DEC 2025 23:59", size) <= 40.0 + 1e-9);
        assert_eq!(fit(Font::Sans, "O", 40.0, 8.0), 8.0);
    }
}
