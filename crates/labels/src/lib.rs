//! # hemaflow-labels
//!
//! ISBT 128 labels for blood components: the symbols, the 100 mm x 100 mm base label and
//! the small tube/segment label, rendered as SVG (the master), PNG, PDF and ZPL.
//!
//! * [`LabelContent::from_request`] checks the scans a label is made from, each at the field
//!   that expects its structure (ST-001 §2.2), and finds the product description.
//! * [`Label::base`] and [`Label::tube`] lay a label out once, in millimetres; [`to_svg`],
//!   [`render_png`], [`render_pdf`] and [`to_zpl`] render that one layout.
//! * [`verify_scans`] compares the barcodes scanned from an applied label with what the label
//!   was meant to carry; any difference is a [`Mismatch`].
//!
//! Symbol sizes follow ST-001 §6: Code 128 at X = 0.254 mm (target 0.25 mm, minimum
//! 0.17 mm) with 10 X quiet zones and at least 5 mm or 15 % of the length in height; Data
//! Matrix ECC 200 at X between 0.25 and 1 mm with a 2 X quiet zone.

pub mod code128;
mod content;
pub mod fonts;
mod label;
pub mod matrix;
mod render;
mod svg;
mod verify;
pub mod zpl;

pub use code128::Code128Symbol;
pub use content::{
    DESCRIPTION_MAX_CHARS, Expiry, LabelContent, LabelError, LabelRequest, SPECIAL_TESTING_KINDS,
    VOLUME_MAX_ML, parse_donation,
};
pub use label::{Anchor, BASE_SIZE_MM, Element, Label, storage_text};
pub use matrix::MatrixSymbol;
pub use render::{DEFAULT_PNG_DPI, PNG_DPI_RANGE};
pub use verify::{Mismatch, verify_scans};
pub use zpl::ZplDpi;

/// The label as a standalone SVG document (millimetre units).
pub fn to_svg(label: &Label) -> String {
    svg::to_svg(label)
}

/// The label as PNG at `dpi` (150 to 1200; 300 is the usual), resolution recorded in the file.
pub fn render_png(label: &Label, dpi: u32) -> Result<Vec<u8>, LabelError> {
    render::svg_to_png(&to_svg(label), dpi)
}

/// The label as a one-page PDF of its own size.
pub fn render_pdf(label: &Label) -> Result<Vec<u8>, LabelError> {
    render::svg_to_pdf(&to_svg(label))
}

/// SVG documents (millimetre units, e.g. A4 pages) as one PDF, a page each, with the labels'
/// embedded fonts: packing lists, shipping labels and reports.
pub fn render_pdf_pages(pages: &[String]) -> Result<Vec<u8>, LabelError> {
    render::svg_pages_to_pdf(pages)
}

/// The label as a ZPL II format for a Zebra printer.
pub fn to_zpl(label: &Label, dpi: ZplDpi) -> String {
    zpl::to_zpl(label, dpi)
}
