//! The `[hl7]` section of `hemaflow.toml`: where the MLLP listener listens, what Hemaflow calls
//! itself in MSH, and the hospitals' systems (each sending facility, MSH-4, names one hospital
//! on record; a facility not listed is refused, HL7-SENDER).
//!
//! ```toml
//! [hl7]
//! mllp = "127.0.0.1:2575"
//! [[hl7.senders]]
//! facility = "GENHOSP"          # MSH-4 of its messages
//! hospital = "mercy"            # the hospital's ID on record
//! bps_endpoint = "10.1.2.3:2576" # where BPS^O29 goes when a shipment leaves (optional)
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hl7Settings {
    /// The MLLP listener's address (`--mllp` wins).
    pub mllp: Option<SocketAddr>,
    /// MSH-3 of what Hemaflow sends (default `HEMAFLOW`).
    pub application: Option<String>,
    /// MSH-4 of what Hemaflow sends (default `BLOODBANK`).
    pub facility: Option<String>,
    /// Where the outbound queue keeps which shipments each hospital acknowledged (default:
    /// `hl7-outbound.json` beside the SQLite database, else in the working folder).
    pub outbound_state: Option<PathBuf>,
    #[serde(default)]
    pub senders: Vec<Sender>,
}

/// One hospital system.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Sender {
    pub facility: String,
    pub hospital: String,
    /// `host:port` of the hospital's MLLP receiver for BPS^O29.
    pub bps_endpoint: Option<String>,
}

impl Hl7Settings {
    pub fn application(&self) -> &str {
        self.application.as_deref().unwrap_or("HEMAFLOW")
    }

    pub fn facility(&self) -> &str {
        self.facility.as_deref().unwrap_or("BLOODBANK")
    }

    /// The sender whose MSH-4 is `facility` (compared as sent, case-sensitive: HL7 namespace
    /// IDs are).
    pub fn sender(&self, facility: &str) -> Option<&Sender> {
        self.senders.iter().find(|s| s.facility == facility)
    }

    /// The sender of a hospital, for what Hemaflow sends it.
    pub fn sender_of_hospital(&self, hospital: &str) -> Option<&Sender> {
        self.senders.iter().find(|s| s.hospital == hospital)
    }

    /// Plain-words problems with the settings, checked at startup.
    pub fn check(&self) -> Result<(), String> {
        for (i, sender) in self.senders.iter().enumerate() {
            if sender.facility.trim().is_empty() || sender.hospital.trim().is_empty() {
                return Err(format!(
                    "hl7.senders[{i}]: facility and hospital must both be given"
                ));
            }
            if !crate::orders::is_id_text(&sender.facility) {
                return Err(format!(
                    "hl7.senders[{i}]: facility {:?} must be 1 to 20 letters, digits, '-', '_' or '.'",
                    sender.facility
                ));
            }
            if self.senders[..i]
                .iter()
                .any(|s| s.facility == sender.facility)
            {
                return Err(format!(
                    "hl7.senders[{i}]: facility {:?} is listed twice",
                    sender.facility
                ));
            }
        }
        Ok(())
    }
}
