//! # hemaflow-documents
//!
//! The documents Hemaflow prints besides unit labels, made from plain data (no domain types,
//! no I/O): the packing list and the shipping label of a shipment, daily report tables, and
//! server-rendered SVG bar charts for the inventory page.
//!
//! Every document is laid out once as SVG in millimetres and rendered to PDF through
//! `hemaflow_labels::render_pdf_pages`, the same svg2pdf path and embedded DejaVu fonts as the
//! unit labels, so that a document prints the same on every machine.

pub mod chart;
mod page;
pub mod shipping;
pub mod table;

pub use chart::{Bar, bar_chart_svg};
pub use shipping::{ShippedUnit, ShippingDocument, packing_list_pdf, shipping_label_pdf};
pub use table::{Table, table_pdf};

/// Why a document could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("the shipment ID '{id}' cannot be printed as a Code 128 barcode: {reason}")]
    Barcode { id: String, reason: String },
    #[error("a table row has {found} cells where the table has {expected} columns")]
    RowWidth { expected: usize, found: usize },
    #[error(transparent)]
    Render(#[from] hemaflow_labels::LabelError),
}
