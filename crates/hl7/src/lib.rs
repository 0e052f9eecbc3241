//! HL7 v2.5 for Hemaflow.
//!
//! The codec, with no I/O and no other Hemaflow crate: [`er7`] (parse and write messages,
//! typed access by `SEG-n.c.s`, size limits), [`escape`] (the escape sequences), [`mllp`]
//! (framing), [`ack`] (MSA and ERR). With the feature `interface` (default), the blood bank
//! messages on the ledger: [`orders`] (OMB^O27 read into a `PlaceOrder`, ORB^O28 written),
//! [`dispense`] (BPS^O29 of a shipment), [`listener`] (the MLLP server `hemaflow serve
//! --mllp` runs) and [`outbound`] (BPS^O29 sent to each hospital, with a queue that survives
//! a restart).

pub mod ack;
pub mod er7;
pub mod escape;
pub mod mllp;

#[cfg(feature = "interface")]
pub mod config;
#[cfg(feature = "interface")]
pub mod dispense;
#[cfg(feature = "interface")]
pub mod listener;
#[cfg(feature = "interface")]
pub mod orders;
#[cfg(feature = "interface")]
pub mod outbound;

pub use er7::{Delimiters, Field, Limits, Message, ParseError, Segment};
