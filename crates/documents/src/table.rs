//! A report as a table over as many A4 pages as it needs: the title and the lines under it on
//! every page, the column headings repeated, "page n of m" at the foot.

use hemaflow_labels::fonts::Font;

use crate::DocumentError;
use crate::page::{A4, Page, clip};

const MARGIN: f64 = 15.0;
const TITLE_SIZE: f64 = 5.0;
const TEXT_SIZE: f64 = 3.0;
const ROW_HEIGHT: f64 = 5.0;
const CELL_PADDING: f64 = 1.5;

/// A table of text: what a report prints.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub title: String,
    /// Lines under the title (the day, the site, who printed it and when).
    pub subtitle: Vec<String>,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Printed when there is no row, so that an empty report says so.
    pub empty: String,
}

/// How many rows fit a page below a header of `subtitle_lines` lines.
fn rows_per_page(subtitle_lines: usize) -> usize {
    let top = MARGIN + 8.0 + 5.0 * subtitle_lines as f64 + 4.0 + ROW_HEIGHT;
    let bottom = A4.1 - MARGIN - 8.0;
    (((bottom - top) / ROW_HEIGHT).floor() as usize).max(1)
}

/// Column widths in proportion to the widest text of each column, fitted to the page.
fn column_widths(table: &Table) -> Vec<f64> {
    let available = A4.0 - 2.0 * MARGIN;
    let natural: Vec<f64> = (0..table.columns.len())
        .map(|column| {
            std::iter::once(&table.columns[column])
                .chain(table.rows.iter().map(|row| &row[column]))
                .map(|text| Font::Sans.width(text, TEXT_SIZE) + 2.0 * CELL_PADDING)
                .fold(10.0, f64::max)
        })
        .collect();
    let total: f64 = natural.iter().sum();
    let scale = if total > available {
        available / total
    } else {
        1.0
    };
    natural.into_iter().map(|width| width * scale).collect()
}

/// The table's pages as SVG documents.
pub fn table_pages(table: &Table) -> Result<Vec<String>, DocumentError> {
    if let Some(row) = table
        .rows
        .iter()
        .find(|row| row.len() != table.columns.len())
    {
        return Err(DocumentError::RowWidth {
            expected: table.columns.len(),
            found: row.len(),
        });
    }
    let widths = column_widths(table);
    let per_page = rows_per_page(table.subtitle.len());
    let chunks: Vec<&[Vec<String>]> = if table.rows.is_empty() {
        vec![&[]]
    } else {
        table.rows.chunks(per_page).collect()
    };
    let count = chunks.len();
    Ok(chunks
        .into_iter()
        .enumerate()
        .map(|(index, rows)| page(table, &widths, rows, index + 1, count))
        .collect())
}

fn page(
    table: &Table,
    widths: &[f64],
    rows: &[Vec<String>],
    number: usize,
    count: usize,
) -> String {
    let mut page = Page::new(A4);
    let mut y = MARGIN + 6.0;
    page.text(MARGIN, y, TITLE_SIZE, Font::Sans, &table.title, false);
    y += 2.0;
    for line in &table.subtitle {
        y += 5.0;
        page.text(MARGIN, y, TEXT_SIZE + 0.5, Font::Sans, line, false);
    }
    y += 4.0;
    let right = A4.0 - MARGIN;
    row(&mut page, widths, y, &table.columns);
    page.line(MARGIN, y + ROW_HEIGHT, right, y + ROW_HEIGHT, 0.4);
    y += ROW_HEIGHT;
    if rows.is_empty() {
        page.text(MARGIN, y + 4.0, TEXT_SIZE, Font::Sans, &table.empty, false);
    }
    for cells in rows {
        row(&mut page, widths, y, cells);
        page.line(MARGIN, y + ROW_HEIGHT, right, y + ROW_HEIGHT, 0.1);
        y += ROW_HEIGHT;
    }
    let footer = format!("{} · page {number} of {count}", table.title);
    page.text(right, A4.1 - MARGIN, TEXT_SIZE, Font::Sans, &footer, true);
    page.into_svg()
}

fn row(page: &mut Page, widths: &[f64], top: f64, cells: &[String]) {
    let mut x = MARGIN;
    for (cell, width) in cells.iter().zip(widths) {
        let text = clip(Font::Sans, cell, TEXT_SIZE, width - 2.0 * CELL_PADDING);
        page.text(
            x + CELL_PADDING,
            top + ROW_HEIGHT - 1.5,
            TEXT_SIZE,
            Font::Sans,
            &text,
            false,
        );
        x += width;
    }
}

/// The table as a PDF of as many A4 pages as it needs.
pub fn table_pdf(table: &Table) -> Result<Vec<u8>, DocumentError> {
    Ok(hemaflow_labels::render_pdf_pages(&table_pages(table)?)?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn table(rows: usize) -> Table {
        Table {
            title: "Discards".to_owned(),
            subtitle: vec!["Day 2026-11-25".to_owned()],
            columns: vec!["DIN".to_owned(), "Reason".to_owned()],
            rows: (0..rows)
                .map(|i| vec![format!("W1234260{i:05}"), "expired <& \"late\"".to_owned()])
                .collect(),
            empty: "No discard on this day.".to_owned(),
        }
    }

    #[test]
    fn a_long_table_runs_over_pages_with_every_row_printed_once() {
        let per_page = rows_per_page(1);
        let pages = table_pages(&table(per_page * 2 + 1)).unwrap();
        assert_eq!(pages.len(), 3);
        for i in 0..per_page * 2 + 1 {
            let din = format!(">W1234260{i:05}<");
            assert_eq!(
                pages.iter().filter(|p| p.contains(&din)).count(),
                1,
                "{din}"
            );
        }
        assert!(pages[2].contains("page 3 of 3"));
        assert!(pages[0].contains("expired &lt;&amp; &quot;late&quot;"));
    }

    #[test]
    fn an_empty_table_is_one_page_that_says_so() {
        let pages = table_pages(&table(0)).unwrap();
        assert_eq!(pages.len(), 1);
        assert!(pages[0].contains("No discard on this day."));
        assert!(table_pdf(&table(0)).unwrap().starts_with(b"%PDF-"));
    }

    #[test]
    fn a_row_of_the_wrong_width_is_refused() {
        let mut bad = table(2);
        bad.rows[1].pop();
        assert!(matches!(
            table_pages(&bad),
            Err(DocumentError::RowWidth {
                expected: 2,
                found: 1
            })
        ));
    }
}
