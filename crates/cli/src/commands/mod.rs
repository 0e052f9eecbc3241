//! One module per top-level command.

pub mod bench;
pub mod isbt128;
