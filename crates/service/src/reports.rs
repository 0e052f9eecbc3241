//! The events the daily reports count (collections, production, shipments, discards and
//! expiries), kept by the time each carries, so that a day's report reads that day's events
//! and not the whole ledger.
//!
//! Why a projection kept here, caught up from the ledger, and neither of the alternatives:
//! - A report counts an event on the day of the time it carries (a collection's end, a
//!   production's time, a shipment's), which can be long before the entry was recorded (a
//!   paper log keyed in days later, a planned replay): no range of `recorded_at` or of
//!   sequences is guaranteed to hold a day's events, so a store query by recording time
//!   would miss some.
//! - The domain's state keeps each unit's latest status (a unit shipped, returned and shipped
//!   again has one `shipped_at`), not every event a report lists.
//! - An index of payload times in the database would need the domain's knowledge of events
//!   in every store's append and import and a migration with a backfill on both backends,
//!   for what one process can keep: the entries are append-only, so [`ReportEvents`] reads
//!   each entry once (those appended since its last read, by this process or another), and
//!   a day's report then costs its own events (a range of an ordered map) whatever the size
//!   of the ledger. The first report a process gives reads the ledger once.
//!
//! The answer is exactly the full scan's: the same events, in ledger order, for the same
//! range of carried times (`tests/web/reports.rs` checks it against the scan on the demo
//! centre, day by day).

use hemaflow_domain::{DistributionEvent, DonorCentreEvent, ManufacturingEvent, ReleaseEvent};
use std::collections::BTreeMap;

use hemaflow_domain::Event;
use hemaflow_ledger::{EntryKind, LedgerError, Store};
use time::OffsetDateTime;
use tokio::sync::Mutex;

/// The event types a daily report reads.
pub const REPORTED: [&str; 5] = [
    "donation_collected",
    "component_produced",
    "component_shipped",
    "component_discarded",
    "component_expired",
];

const PAGE: u32 = 1000;

/// The time a report counts `event` at (the day it belongs to), for the reported events.
pub fn report_time(event: &Event) -> Option<OffsetDateTime> {
    match event {
        Event::DonorCentre(DonorCentreEvent::DonationCollected { donation }) => {
            Some(donation.ended_at)
        }
        Event::Manufacturing(ManufacturingEvent::ComponentProduced { component }) => {
            Some(component.produced_at)
        }
        Event::Distribution(DistributionEvent::ComponentShipped { at, .. })
        | Event::Manufacturing(ManufacturingEvent::ComponentDiscarded { at, .. })
        | Event::Release(ReleaseEvent::ComponentExpired { at, .. }) => Some(*at),
        _ => None,
    }
}

#[derive(Default)]
struct Kept {
    /// The last entry read.
    after: i64,
    /// Reported events by (carried time, sequence), with their type.
    by_time: BTreeMap<(OffsetDateTime, i64), (&'static str, Event)>,
}

/// The reported events of one ledger, by the time they carry; share one per process.
#[derive(Default)]
pub struct ReportEvents {
    kept: Mutex<Kept>,
}

impl ReportEvents {
    pub fn new() -> ReportEvents {
        ReportEvents::default()
    }

    /// The events of `event_types` carrying a time in `[from, to)`, in ledger order, with
    /// everything committed to `store` before the call read first.
    pub async fn between<S: Store>(
        &self,
        store: &S,
        event_types: &[&str],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<Event>, LedgerError> {
        let mut kept = self.kept.lock().await;
        catch_up(&mut kept, store).await?;
        if from >= to {
            return Ok(Vec::new());
        }
        let mut found: Vec<(i64, &Event)> = kept
            .by_time
            .range((from, i64::MIN)..(to, i64::MIN))
            .filter(|(_, (name, _))| event_types.contains(name))
            .map(|((_, sequence), (_, event))| (*sequence, event))
            .collect();
        found.sort_unstable_by_key(|(sequence, _)| *sequence);
        Ok(found.into_iter().map(|(_, event)| event.clone()).collect())
    }
}

/// Reads the entries appended since the last read; an unreadable reported event is an error
/// (and is read again next time), as it is to the full scan.
async fn catch_up<S: Store>(kept: &mut Kept, store: &S) -> Result<(), LedgerError> {
    loop {
        let entries = store.entries_after(kept.after, PAGE).await?;
        let Some(last) = entries.last() else {
            return Ok(());
        };
        let last = last.sequence;
        let mut read = Vec::new();
        for entry in entries.iter().filter(|e| e.kind == EntryKind::Event) {
            let Some(name) = REPORTED.iter().find(|t| **t == entry.event_type) else {
                continue;
            };
            let event = Event::from_json(&entry.event_type, &entry.payload).map_err(|e| {
                LedgerError::Unreadable {
                    sequence: entry.sequence,
                    reason: e.to_string(),
                }
            })?;
            if let Some(at) = report_time(&event) {
                read.push(((at, entry.sequence), (*name, event)));
            }
        }
        kept.by_time.extend(read);
        kept.after = last;
    }
}
