//! One module per top-level command.

pub mod bench;
pub mod isbt128;
pub mod label;
pub mod label_record;
pub mod serve;
pub mod sim;
