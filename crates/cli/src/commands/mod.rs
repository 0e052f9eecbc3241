//! One module per top-level command.

pub mod anchor;
pub mod astm;
pub mod audit;
pub mod backup;
pub mod bench;
pub mod config;
pub mod database;
pub mod demo;
pub mod isbt128;
pub mod label;
pub mod label_record;
pub mod serve;
pub mod sim;
pub mod transfer;
