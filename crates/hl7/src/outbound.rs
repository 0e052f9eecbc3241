//! BPS^O29 sent to each hospital's system when one of its shipments leaves.
//!
//! The queue is derived from the ledger: every shipment shipped (since the interface was
//! first started) to a hospital with a `bps_endpoint`, not yet acknowledged. What was
//! acknowledged is kept in a small state file (written to a temporary file and renamed, so a
//! crash leaves the old or the new one), so a restart resends only what no ACK confirmed.
//! A shipment is marked only after its ACK (MSA-1 AA or CA answering its control ID), so
//! nothing is lost; a resend after a crash between the ACK and the write carries the same
//! control ID (`dispense::control_id`), never a new one, so the hospital can drop it.
//! Shipments go in the order they left, one at a time per hospital; a hospital that does not
//! answer is retried with a growing pause (1 s doubling to 60 s), the others are not held up.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::ack::Parties;
use crate::config::Hl7Settings;
use crate::dispense::{bps, control_id};
use crate::er7::{Limits, Message};
use crate::mllp::{frame, take_frame};

/// How long a hospital's system has to connect, and then to answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const ANSWER_TIMEOUT: Duration = Duration::from_secs(15);
const PAUSE_MAX: Duration = Duration::from_secs(60);
/// An ACK is small; a larger answer is refused.
const ANSWER_BYTES_MAX: u32 = 64 * 1024;

/// What the state file holds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OutboundState {
    /// Shipments that left before this were never queued (the interface was not running).
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub since: Option<OffsetDateTime>,
    /// Shipment IDs whose BPS^O29 was acknowledged.
    pub acknowledged: BTreeSet<String>,
}

impl OutboundState {
    /// The state in `path`, or a new one starting `now` when there is no file yet.
    pub fn load(path: &Path, now: OffsetDateTime) -> Result<OutboundState, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|e| format!("{} is not an HL7 outbound state: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(OutboundState {
                since: Some(now),
                acknowledged: BTreeSet::new(),
            }),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    pub fn save(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        let temporary = path.with_extension("json.tmp");
        std::fs::write(&temporary, text)
            .and_then(|()| std::fs::rename(&temporary, path))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}

/// One message waiting for its ACK.
#[derive(Clone, Debug)]
pub struct Pending {
    pub shipment_id: String,
    pub hospital: String,
    pub endpoint: String,
    pub er7: String,
}

/// The queue now: BPS^O29 of every shipment shipped since `state.since` to a hospital with an
/// endpoint and not acknowledged, oldest first.
pub fn pending(
    records: &hemaflow_domain::state::State,
    settings: &Hl7Settings,
    state: &OutboundState,
) -> Vec<Pending> {
    let mut queue: Vec<(OffsetDateTime, Pending)> = Vec::new();
    for shipment in records.shipments.values() {
        let Some(dispatch) = &shipment.dispatch else {
            continue;
        };
        let queued = !shipment.cancelled
            && !state.acknowledged.contains(&shipment.id)
            && state.since.is_none_or(|since| dispatch.at >= since);
        if !queued {
            continue;
        }
        let Some(sender) = settings.sender_of_hospital(&shipment.hospital) else {
            continue;
        };
        let Some(endpoint) = &sender.bps_endpoint else {
            continue;
        };
        let parties = Parties {
            sending_application: settings.application().to_owned(),
            sending_facility: settings.facility().to_owned(),
            receiving_application: String::new(),
            receiving_facility: sender.facility.clone(),
        };
        if let Some(message) = bps(records, shipment, &parties) {
            queue.push((
                dispatch.at,
                Pending {
                    shipment_id: shipment.id.clone(),
                    hospital: shipment.hospital.clone(),
                    endpoint: endpoint.clone(),
                    er7: message.to_er7(),
                },
            ));
        }
    }
    queue.sort_by(|a, b| (a.0, &a.1.shipment_id).cmp(&(b.0, &b.1.shipment_id)));
    queue.into_iter().map(|(_, p)| p).collect()
}

/// Sends one message and reads its ACK: `Ok` when MSA-1 is AA or CA for its control ID.
pub async fn send(pending: &Pending) -> Result<(), String> {
    let connect = TcpStream::connect(&pending.endpoint);
    let mut stream = tokio::time::timeout(CONNECT_TIMEOUT, connect)
        .await
        .map_err(|_| format!("{} did not accept a connection in time", pending.endpoint))?
        .map_err(|e| format!("cannot connect to {}: {e}", pending.endpoint))?;
    stream
        .write_all(&frame(pending.er7.as_bytes()))
        .await
        .map_err(|e| format!("cannot send to {}: {e}", pending.endpoint))?;
    let answer = tokio::time::timeout(ANSWER_TIMEOUT, read_frame(&mut stream))
        .await
        .map_err(|_| format!("{} did not answer in time", pending.endpoint))??;
    let message = Message::parse_bytes(&answer, &Limits::default())
        .map_err(|e| format!("the answer of {} cannot be read: {e}", pending.endpoint))?;
    let code = message.get("MSA-1").unwrap_or_default();
    let answered = message.get("MSA-2").unwrap_or_default();
    let expected = control_id(&pending.shipment_id);
    if answered != expected {
        return Err(format!(
            "the answer acknowledges {answered:?}, not {expected:?}"
        ));
    }
    match code {
        "AA" | "CA" => Ok(()),
        other => Err(format!(
            "{} answered {other}: {}",
            pending.endpoint,
            message
                .get("ERR-8")
                .or(message.get("MSA-3"))
                .unwrap_or("no reason given")
        )),
    }
}

async fn read_frame(stream: &mut TcpStream) -> Result<Vec<u8>, String> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match take_frame(&buffer, ANSWER_BYTES_MAX) {
            Ok(Some((message, _))) => return Ok(message.to_vec()),
            Ok(None) => {}
            Err(e) => return Err(format!("the answer is not MLLP: {e}")),
        }
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|e| format!("the connection failed: {e}"))?;
        if n == 0 {
            return Err("the connection closed before an answer".to_owned());
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

/// The sender's loop: every `interval`, what is pending is sent, hospital by hospital.
pub async fn run(
    app: hemaflow_web::App,
    settings: Arc<Hl7Settings>,
    state_path: PathBuf,
    interval: Duration,
) -> Result<(), String> {
    let mut state = OutboundState::load(&state_path, app.now())?;
    state.save(&state_path)?;
    let mut pauses: BTreeMap<String, (Instant, Duration)> = BTreeMap::new();
    loop {
        let queue = app
            .ledger
            .read(|records| pending(records, &settings, &state))
            .await
            .map_err(|e| format!("cannot read the ledger: {e}"))?;
        let mut held: BTreeSet<String> = BTreeSet::new();
        for item in queue {
            let paused = pauses
                .get(&item.hospital)
                .is_some_and(|(until, _)| Instant::now() < *until);
            if held.contains(&item.hospital) || paused {
                continue;
            }
            match send(&item).await {
                Ok(()) => {
                    tracing::info!(shipment = %item.shipment_id, hospital = %item.hospital, "BPS^O29 acknowledged");
                    pauses.remove(&item.hospital);
                    state.acknowledged.insert(item.shipment_id.clone());
                    state.save(&state_path)?;
                }
                Err(why) => {
                    let pause = pauses
                        .get(&item.hospital)
                        .map_or(Duration::from_secs(1), |(_, p)| (*p * 2).min(PAUSE_MAX));
                    tracing::warn!(shipment = %item.shipment_id, hospital = %item.hospital, retry_in_s = pause.as_secs(), "BPS^O29 not delivered: {why}");
                    pauses.insert(item.hospital.clone(), (Instant::now() + pause, pause));
                    held.insert(item.hospital.clone());
                }
            }
        }
        tokio::time::sleep(interval).await;
    }
}
