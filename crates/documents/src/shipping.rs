//! The packing list (A4, every unit of the box) and the shipping label (100 x 150 mm, on the
//! box) of a shipment, each with the shipment ID as a Code 128 symbol so that the receiving
//! bench can scan it.

use hemaflow_labels::Code128Symbol;
use hemaflow_labels::fonts::Font;

use crate::DocumentError;
use crate::page::{A4, Page, clip};

/// A unit in the box, as printed.
#[derive(Debug, Clone, PartialEq)]
pub struct ShippedUnit {
    /// The DIN as read by eye (e.g. `W1234 26 000001`).
    pub din: String,
    pub product_code: String,
    pub description: String,
    /// e.g. `O pos`.
    pub abo_rhd: String,
    /// The expiry as printed (date and time, site time).
    pub expiry: String,
}

/// What both documents print: plain data, so the documents know nothing of the domain.
#[derive(Debug, Clone, PartialEq)]
pub struct ShippingDocument {
    pub shipment_id: String,
    /// The blood establishment shipping (name, then address lines).
    pub shipper: Vec<String>,
    pub consignee: String,
    pub address: Vec<String>,
    pub box_id: String,
    /// e.g. `1-10 °C`.
    pub temperature_range: String,
    pub courier: String,
    /// When it left, as printed.
    pub shipped_at: String,
    pub units: Vec<ShippedUnit>,
}

/// Module width of the shipment ID symbol: 0.33 mm, well inside what every scanner reads.
const MODULE: f64 = 0.33;
const MARGIN: f64 = 15.0;
const ROW: f64 = 5.5;
const UNITS_FIRST_PAGE: usize = 30;
const UNITS_NEXT_PAGES: usize = 42;

fn symbol(id: &str) -> Result<Code128Symbol, DocumentError> {
    Code128Symbol::encode(id).map_err(|error| DocumentError::Barcode {
        id: id.to_owned(),
        reason: error.to_string(),
    })
}

/// The packing list's pages: the shipment's header and barcode, then the units.
pub fn packing_list_pages(document: &ShippingDocument) -> Result<Vec<String>, DocumentError> {
    let symbol = symbol(&document.shipment_id)?;
    let mut chunks: Vec<&[ShippedUnit]> = Vec::new();
    let first = document.units.len().min(UNITS_FIRST_PAGE);
    chunks.push(&document.units[..first]);
    chunks.extend(document.units[first..].chunks(UNITS_NEXT_PAGES));
    let count = chunks.len();
    let mut pages = Vec::with_capacity(count);
    let mut numbered = 0;
    for (index, units) in chunks.into_iter().enumerate() {
        let mut page = Page::new(A4);
        let mut y = if index == 0 {
            header(&mut page, document, &symbol)
        } else {
            page.text(
                MARGIN,
                MARGIN + 6.0,
                5.0,
                Font::Sans,
                "Packing list (continued)",
                false,
            );
            page.text(
                MARGIN,
                MARGIN + 12.0,
                3.5,
                Font::Mono,
                &document.shipment_id,
                false,
            );
            MARGIN + 18.0
        };
        y = unit_rows(&mut page, y, units, numbered);
        numbered += units.len();
        if index + 1 == count {
            footer(&mut page, y, document.units.len());
        }
        page.text(
            A4.0 - MARGIN,
            A4.1 - MARGIN,
            3.0,
            Font::Sans,
            &format!(
                "Shipment {} · page {} of {count}",
                document.shipment_id,
                index + 1
            ),
            true,
        );
        pages.push(page.into_svg());
    }
    Ok(pages)
}

/// Title, barcode, shipper and consignee, box, temperature and courier; returns where the
/// unit table starts.
fn header(page: &mut Page, document: &ShippingDocument, symbol: &Code128Symbol) -> f64 {
    let mut y = MARGIN + 6.0;
    page.text(MARGIN, y, 6.0, Font::Sans, "Packing list", false);
    let width = symbol.total_modules() as f64 * MODULE;
    page.code128(symbol, A4.0 - MARGIN - width, MARGIN - 2.0, MODULE, 12.0);
    page.text(
        A4.0 - MARGIN - width / 2.0 - Font::Mono.width(&document.shipment_id, 3.5) / 2.0,
        MARGIN + 13.5,
        3.5,
        Font::Mono,
        &document.shipment_id,
        false,
    );
    y += 14.0;
    let half = (A4.0 - 2.0 * MARGIN) / 2.0;
    block(page, MARGIN, y, half - 4.0, "From", &document.shipper);
    let mut to = vec![document.consignee.clone()];
    to.extend(document.address.iter().cloned());
    let lines = block(page, MARGIN + half, y, half, "Ship to", &to).max(document.shipper.len());
    y += 6.0 + 5.0 * lines as f64 + 4.0;
    let facts = [
        ("Box", document.box_id.as_str()),
        ("Temperature", document.temperature_range.as_str()),
        ("Courier", document.courier.as_str()),
        ("Shipped", document.shipped_at.as_str()),
    ];
    let column = (A4.0 - 2.0 * MARGIN) / facts.len() as f64;
    for (index, (label, value)) in facts.iter().enumerate() {
        let x = MARGIN + index as f64 * column;
        page.text(x, y, 3.0, Font::Sans, label, false);
        page.text(
            x,
            y + 5.5,
            4.0,
            Font::Sans,
            &clip(Font::Sans, value, 4.0, column - 2.0),
            false,
        );
    }
    y + 12.0
}

/// A heading and its lines; returns the number of lines.
fn block(page: &mut Page, x: f64, y: f64, width: f64, heading: &str, lines: &[String]) -> usize {
    page.text(x, y, 3.0, Font::Sans, heading, false);
    for (index, line) in lines.iter().enumerate() {
        let text = clip(Font::Sans, line, 4.0, width);
        page.text(
            x,
            y + 6.0 + 5.0 * index as f64,
            4.0,
            Font::Sans,
            &text,
            false,
        );
    }
    lines.len()
}

const COLUMNS: [(&str, f64); 6] = [
    ("#", 8.0),
    ("DIN", 38.0),
    ("Product", 26.0),
    ("Description", 50.0),
    ("ABO/RhD", 18.0),
    ("Expires", 40.0),
];

fn unit_rows(page: &mut Page, mut y: f64, units: &[ShippedUnit], before: usize) -> f64 {
    let right = A4.0 - MARGIN;
    cells(page, y, COLUMNS.map(|(name, _)| name.to_owned()));
    page.line(MARGIN, y + 1.5, right, y + 1.5, 0.4);
    for (index, unit) in units.iter().enumerate() {
        y += ROW;
        cells(
            page,
            y,
            [
                (before + index + 1).to_string(),
                unit.din.clone(),
                unit.product_code.clone(),
                unit.description.clone(),
                unit.abo_rhd.clone(),
                unit.expiry.clone(),
            ],
        );
        page.line(MARGIN, y + 1.5, right, y + 1.5, 0.1);
    }
    y
}

fn cells(page: &mut Page, y: f64, texts: [String; 6]) {
    let mut x = MARGIN;
    for ((_, width), text) in COLUMNS.iter().zip(texts) {
        page.text(
            x,
            y,
            3.2,
            Font::Sans,
            &clip(Font::Sans, &text, 3.2, width - 1.5),
            false,
        );
        x += width;
    }
}

fn footer(page: &mut Page, y: f64, units: usize) {
    let y = y + 10.0;
    let noun = if units == 1 { "unit" } else { "units" };
    page.text(
        MARGIN,
        y,
        4.0,
        Font::Sans,
        &format!("{units} {noun} in this box"),
        false,
    );
    for (index, label) in [
        "Packed by (name, date, time)",
        "Received by (name, date, time)",
    ]
    .iter()
    .enumerate()
    {
        let x = MARGIN + index as f64 * 95.0;
        page.line(x, y + 16.0, x + 85.0, y + 16.0, 0.2);
        page.text(x, y + 20.0, 3.0, Font::Sans, label, false);
    }
}

/// The packing list as a PDF.
pub fn packing_list_pdf(document: &ShippingDocument) -> Result<Vec<u8>, DocumentError> {
    Ok(hemaflow_labels::render_pdf_pages(&packing_list_pages(
        document,
    )?)?)
}

/// The shipping label: 100 x 150 mm, for the outside of the box.
pub fn shipping_label_svg(document: &ShippingDocument) -> Result<String, DocumentError> {
    let symbol = symbol(&document.shipment_id)?;
    let size = (100.0, 150.0);
    let mut page = Page::new(size);
    let inner = size.0 - 10.0;
    page.frame(2.0, 2.0, size.0 - 4.0, size.1 - 4.0, 0.5);
    let mut y = 10.0;
    page.text(5.0, y, 3.0, Font::Sans, "FROM", false);
    for line in &document.shipper {
        y += 4.5;
        page.text(
            5.0,
            y,
            3.5,
            Font::Sans,
            &clip(Font::Sans, line, 3.5, inner),
            false,
        );
    }
    y += 6.0;
    page.line(2.0, y, size.0 - 2.0, y, 0.3);
    y += 7.0;
    page.text(5.0, y, 3.0, Font::Sans, "SHIP TO", false);
    y += 8.0;
    page.text(
        5.0,
        y,
        6.0,
        Font::Sans,
        &clip(Font::Sans, &document.consignee, 6.0, inner),
        false,
    );
    for line in &document.address {
        y += 6.0;
        page.text(
            5.0,
            y,
            4.5,
            Font::Sans,
            &clip(Font::Sans, line, 4.5, inner),
            false,
        );
    }
    y += 6.0;
    page.line(2.0, y, size.0 - 2.0, y, 0.3);
    y += 10.0;
    page.text(
        5.0,
        y,
        7.0,
        Font::Sans,
        &clip(
            Font::Sans,
            &format!("KEEP AT {}", document.temperature_range),
            7.0,
            inner,
        ),
        false,
    );
    y += 7.0;
    let care = "HUMAN BLOOD FOR TRANSFUSION · HANDLE WITH CARE";
    let care_size = hemaflow_labels::fonts::fit(Font::Sans, care, inner, 3.5);
    page.text(5.0, y, care_size, Font::Sans, care, false);
    y += 8.0;
    let count = document.units.len();
    let facts = format!(
        "Box {} · {count} unit{} · {}",
        document.box_id,
        if count == 1 { "" } else { "s" },
        document.courier
    );
    page.text(
        5.0,
        y,
        4.0,
        Font::Sans,
        &clip(Font::Sans, &facts, 4.0, inner),
        false,
    );
    y += 5.0;
    page.text(
        5.0,
        y,
        3.5,
        Font::Sans,
        &format!("Shipped {}", document.shipped_at),
        false,
    );
    let module = (inner / symbol.total_modules() as f64).min(0.5);
    let width = symbol.total_modules() as f64 * module;
    let top = size.1 - 30.0;
    page.code128(&symbol, (size.0 - width) / 2.0, top, module, 15.0);
    page.text(
        size.0 / 2.0 + Font::Mono.width(&document.shipment_id, 4.0) / 2.0,
        top + 20.0,
        4.0,
        Font::Mono,
        &document.shipment_id,
        true,
    );
    Ok(page.into_svg())
}

/// The shipping label as a one-page PDF.
pub fn shipping_label_pdf(document: &ShippingDocument) -> Result<Vec<u8>, DocumentError> {
    Ok(hemaflow_labels::render_pdf_pages(&[shipping_label_svg(
        document,
    )?])?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn document(units: usize) -> ShippingDocument {
        ShippingDocument {
            shipment_id: "SHP-2026-0001".to_owned(),
            shipper: vec!["Hemaflow Blood Center".to_owned(), "1 Donor Way".to_owned()],
            consignee: "St Mary's Hospital".to_owned(),
            address: vec!["12 Main St".to_owned(), "Springfield, IL 62701".to_owned()],
            box_id: "BOX-7".to_owned(),
            temperature_range: "1-10 °C".to_owned(),
            courier: "MedExpress".to_owned(),
            shipped_at: "2026-11-25 14:05".to_owned(),
            units: (0..units)
                .map(|i| ShippedUnit {
                    din: format!("W1234 26 {i:06}"),
                    product_code: "E0382V00".to_owned(),
                    description: "RED BLOOD CELLS|AS-1/450mL/refg|ResLeu:<5E6".to_owned(),
                    abo_rhd: "O neg".to_owned(),
                    expiry: "2027-01-04 23:59".to_owned(),
                })
                .collect(),
        }
    }

    #[test]
    fn every_unit_is_on_the_packing_list_once_across_pages() {
        let units = UNITS_FIRST_PAGE + UNITS_NEXT_PAGES + 3;
        let pages = packing_list_pages(&document(units)).unwrap();
        assert_eq!(pages.len(), 3);
        for i in 0..units {
            let din = format!(">W1234 26 {i:06}<");
            assert_eq!(
                pages.iter().filter(|p| p.contains(&din)).count(),
                1,
                "{din}"
            );
        }
        assert!(pages[2].contains(&format!("{units} units in this box")));
        assert!(pages[0].contains("St Mary&apos;s Hospital"));
        assert!(pages[0].contains("1-10 °C"));
    }

    #[test]
    fn the_shipment_id_barcode_carries_the_id() {
        let svg = shipping_label_svg(&document(2)).unwrap();
        let bars = Code128Symbol::encode("SHP-2026-0001").unwrap().bars().len();
        assert_eq!(
            svg.matches("<rect x=").count() - 1,
            bars,
            "one rect per bar besides the frame"
        );
        assert!(svg.contains("KEEP AT 1-10 °C"));
        assert!(svg.contains("2 units"));
        assert!(
            shipping_label_pdf(&document(2))
                .unwrap()
                .starts_with(b"%PDF-")
        );
        assert!(
            packing_list_pdf(&document(0))
                .unwrap()
                .starts_with(b"%PDF-")
        );
    }

    #[test]
    fn a_shipment_id_that_cannot_be_a_barcode_is_refused() {
        let mut bad = document(1);
        bad.shipment_id = "SHP-é".to_owned();
        assert!(matches!(
            packing_list_pdf(&bad),
            Err(DocumentError::Barcode { .. })
        ));
    }
}
