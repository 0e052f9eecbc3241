//! Horizontal bar charts as SVG, drawn on the server and put straight into the page (no
//! JavaScript chart library): one bar per category, its value written at its end.

use std::fmt::Write;

use crate::page::escape;

/// One category of a chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    pub label: String,
    pub value: u64,
    /// A CSS class for the bar's colour (e.g. `expired`, `soon`); empty for the default.
    pub tone: String,
}

const WIDTH: u32 = 480;
const LABEL_WIDTH: u32 = 150;
const VALUE_WIDTH: u32 = 50;
const BAR_HEIGHT: u32 = 18;
const GAP: u32 = 6;

/// A bar chart titled `title` (also its accessible name); bars are scaled to the largest value.
pub fn bar_chart_svg(title: &str, bars: &[Bar]) -> String {
    let height = 24 + bars.len() as u32 * (BAR_HEIGHT + GAP);
    let largest = bars.iter().map(|bar| bar.value).max().unwrap_or(0).max(1);
    let room = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
    let mut svg = String::with_capacity(256 + bars.len() * 256);
    // Writing to a String cannot fail.
    let _ = write!(
        svg,
        r#"<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-label="{t}"><title>{t}</title><text x="0" y="14" class="chart-title">{t}</text>"#,
        t = escape(title)
    );
    for (index, bar) in bars.iter().enumerate() {
        let top = 24 + index as u32 * (BAR_HEIGHT + GAP);
        let length = (bar.value as f64 / largest as f64 * f64::from(room)).round() as u32;
        let tone = if bar.tone.is_empty() {
            String::new()
        } else {
            format!(" bar-{}", escape(&bar.tone))
        };
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end" class="chart-label">{}</text><rect class="bar{tone}" x="{LABEL_WIDTH}" y="{top}" width="{length}" height="{BAR_HEIGHT}"><title>{}: {}</title></rect><text x="{}" y="{}" class="chart-value">{}</text>"#,
            LABEL_WIDTH - 6,
            top + 13,
            escape(&bar.label),
            escape(&bar.label),
            bar.value,
            LABEL_WIDTH + length + 4,
            top + 13,
            bar.value
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn widths(svg: &str) -> Vec<u32> {
        svg.split("class=\"bar")
            .skip(1)
            .filter_map(|rest| rest.split("width=\"").nth(1))
            .filter_map(|rest| rest.split('"').next())
            .filter_map(|n| n.parse().ok())
            .collect()
    }

    #[test]
    fn bars_are_in_proportion_to_their_values_and_labelled() {
        let bars = [("O neg", 40), ("A pos", 20), ("B <x>", 0)].map(|(label, value)| Bar {
            label: label.to_owned(),
            value,
            tone: String::new(),
        });
        let svg = bar_chart_svg("Units by group", &bars);
        assert_eq!(widths(&svg), vec![280, 140, 0]);
        assert!(svg.contains(">B &lt;x&gt;<"));
        assert!(svg.contains("aria-label=\"Units by group\""));
    }

    proptest! {
        #[test]
        fn no_bar_is_longer_than_the_room_and_the_largest_fills_it(values in prop::collection::vec(0u64..1_000_000, 1..20)) {
            let bars: Vec<Bar> = values.iter().map(|&value| Bar { label: "x".into(), value, tone: String::new() }).collect();
            let drawn = widths(&bar_chart_svg("t", &bars));
            prop_assert_eq!(drawn.len(), values.len());
            let room = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
            prop_assert!(drawn.iter().all(|&w| w <= room));
            if values.iter().any(|&v| v > 0) {
                prop_assert_eq!(drawn.iter().copied().max(), Some(room));
            }
        }
    }
}
