//! ASTM for laboratory analysers: the E1381 / CLSI LIS1-A low-level protocol (`frame`, `link`:
//! a state machine with no I/O, and `driver`: the same over a tokio TCP stream) and the
//! E1394 / CLSI LIS2-A2 records (`record`: H, P, O, R, C, Q, L with the delimiters of the H
//! record; `message`: the results and queries a message carries, the DIN as specimen ID).
//!
//! No crate on crates.io implements either standard (none found by name or by search), so
//! both are written here, checked against python-astm in the tests.

pub mod driver;
pub mod frame;
pub mod fuzzing;
pub mod link;
pub mod message;
pub mod record;

pub use driver::{Event, drive};
pub use frame::{Frame, FrameError, checksum, encode_record_frames};
pub use link::{Action, Link, LinkError, Role, Timers};
pub use message::{
    Content, Interpretation, MessageError, Query, ResultStatus, SpecimenId, SpecimenResults,
    TestResult, read_message,
};
pub use record::{Delimiters, Field, Message, Record, RecordError};
