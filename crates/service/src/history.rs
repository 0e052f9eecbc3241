//! The story of a unit from the ledger (REC-TRACE, 21 CFR 606.160): every entry that concerns
//! a DIN, its donation, its components (and the pools and DINs they went into), its donor, and
//! the holds, tasks, screenings and deferrals opened for them; refusals included.
//!
//! An entry concerns the unit when one of the string values of its payload equals one of the
//! unit's identifiers. The identifiers are found from the entries themselves (a collection
//! names the donor; a production names the components; a hold names its id), repeated until
//! no new one appears, so the story is read from the ledger alone, not from projections.
//!
//! [`history`] reads only the entries that name an identifier, through the store's index of
//! entry terms (`Store::entries_with_terms`; the rule is in `hemaflow_ledger::terms`: every
//! identifier Hemaflow mints is a term, so the index finds every entry the scan would; an
//! identifier that is not a term sends the search to the scan). [`history_by_scan`]
//! reads every entry of the ledger, up to [`MAX_ROUNDS`] times; it is kept as the oracle of
//! the tests and is used when an identifier to follow is not a term.

use hemaflow_domain::{
    AccessEvent, DistributionEvent, DonorCentreEvent, LabEvent, LookbackEvent, ManufacturingEvent,
    ReleaseEvent, TransfusionEvent,
};
use std::collections::BTreeSet;

use hemaflow_domain::command::Event;
use hemaflow_domain::release::gate::HoldTarget;
use hemaflow_isbt128::{DataStructure, Din, Kind, ParseError, parse_as};
use hemaflow_ledger::terms::is_term;
use hemaflow_ledger::{Entry, EntryKind, Store, StoreError};
use serde::Serialize;

const PAGE: u32 = 1000;
/// More rounds than any chain of identifiers needs (DIN -> donor -> hold -> ...); a bound so
/// that the search always ends.
const MAX_ROUNDS: usize = 8;

/// A DIN as scanned (`=W12342512345600`) or keyed in with its check character
/// (`W1234 25 123456 R`), read with the ISBT 128 codec.
pub fn parse_din(input: &str) -> Result<Din, ParseError> {
    match parse_as(input.trim(), &[Kind::DonationIdentificationNumber])? {
        DataStructure::Donation(number) => Ok(number.din),
        DataStructure::KeyedDin(din) => Ok(din),
        // parse_as answers only with the kinds it was asked for.
        other => unreachable!("parse_as returned {other:?} for a DIN prompt"),
    }
}

/// One line of the story.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryLine {
    pub sequence: i64,
    /// RFC 3339, UTC.
    pub recorded_at: String,
    pub actor: String,
    pub role: String,
    pub command_id: String,
    /// `event` or `refusal`.
    pub kind: &'static str,
    /// The event's name, or the rule ID of a refusal.
    pub event_type: String,
    pub summary: String,
    /// The entry's payload as recorded (canonical JSON), for a page that shows the record
    /// itself; left out of the JSON answer, which gives the summary.
    #[serde(skip)]
    pub payload: String,
}

/// The story of one DIN.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct History {
    pub din: String,
    /// The donor of the donation, when the ledger holds its collection.
    pub donor_id: Option<String>,
    /// Every identifier the story followed (DINs, component, donor, hold, task ids...).
    pub identifiers: Vec<String>,
    pub lines: Vec<HistoryLine>,
}

/// The story of `din`, or `None` when no entry of the ledger mentions it: the entries that
/// name one of its identifiers, found through the index of entry terms, following new
/// identifiers until none appears. The same answer as [`history_by_scan`].
pub async fn history<S: Store>(store: &S, din: &Din) -> Result<Option<History>, StoreError> {
    let mut ids: BTreeSet<String> = BTreeSet::from([din.as_str().to_owned()]);
    let mut asked: BTreeSet<String> = BTreeSet::new();
    let mut donor_id = None;
    // Each round asks for the identifiers found by the last one (the scan's fixpoint; a
    // bound so that the search always ends even on a damaged ledger).
    for _ in 0..MAX_INDEXED_ROUNDS {
        let new: Vec<String> = ids.difference(&asked).cloned().collect();
        if new.is_empty() {
            break;
        }
        if !new.iter().all(|id| is_term(id)) {
            return history_by_scan(store, din).await;
        }
        asked.extend(new.iter().cloned());
        let terms: Vec<&str> = new.iter().map(String::as_str).collect();
        for_each_entry_with(store, &terms, |entry| {
            if let Some(Some(event)) = concerning(entry, &ids) {
                if let Event::DonorCentre(DonorCentreEvent::DonationCollected { donation }) = &event
                    && donation.din == din.as_str()
                {
                    donor_id = Some(donation.donor_id.clone());
                }
                ids.extend(identifiers_made_by(&event));
            }
        })
        .await?;
    }
    if !ids.iter().all(|id| is_term(id)) {
        return history_by_scan(store, din).await;
    }
    let terms: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut lines = Vec::new();
    for_each_entry_with(store, &terms, |entry| {
        if let Some(event) = concerning(entry, &ids) {
            lines.push(line(entry, event.as_ref()));
        }
    })
    .await?;
    if lines.is_empty() {
        return Ok(None);
    }
    Ok(Some(History {
        din: din.as_str().to_owned(),
        donor_id,
        identifiers: ids.into_iter().collect(),
        lines,
    }))
}

/// Rounds of the indexed search: each costs only the entries it finds.
const MAX_INDEXED_ROUNDS: usize = 64;

/// Every entry naming one of `terms`, in order, a page at a time.
async fn for_each_entry_with<S: Store>(
    store: &S,
    terms: &[&str],
    mut visit: impl FnMut(&Entry),
) -> Result<(), StoreError> {
    let mut after = 0;
    loop {
        let entries = store.entries_with_terms(terms, after, PAGE).await?;
        let Some(last) = entries.last() else {
            return Ok(());
        };
        after = last.sequence;
        entries.iter().for_each(&mut visit);
    }
}

/// The story of `din` read from every entry of the ledger (up to [`MAX_ROUNDS`] passes): the
/// definition [`history`] answers through the index, kept as its oracle.
pub async fn history_by_scan<S: Store>(
    store: &S,
    din: &Din,
) -> Result<Option<History>, StoreError> {
    let mut ids: BTreeSet<String> = BTreeSet::from([din.as_str().to_owned()]);
    let mut donor_id = None;
    for _ in 0..MAX_ROUNDS {
        let before = ids.len();
        for_each_entry(store, |entry| {
            if let Some(event) = concerning(entry, &ids) {
                if let Some(Event::DonorCentre(DonorCentreEvent::DonationCollected { donation })) =
                    &event
                    && donation.din == din.as_str()
                {
                    donor_id = Some(donation.donor_id.clone());
                }
                if let Some(event) = &event {
                    ids.extend(identifiers_made_by(event));
                }
            }
        })
        .await?;
        if ids.len() == before {
            break;
        }
    }
    let mut lines = Vec::new();
    for_each_entry(store, |entry| {
        if let Some(event) = concerning(entry, &ids) {
            lines.push(line(entry, event.as_ref()));
        }
    })
    .await?;
    if lines.is_empty() {
        return Ok(None);
    }
    Ok(Some(History {
        din: din.as_str().to_owned(),
        donor_id,
        identifiers: ids.into_iter().collect(),
        lines,
    }))
}

async fn for_each_entry<S: Store>(
    store: &S,
    mut visit: impl FnMut(&Entry),
) -> Result<(), StoreError> {
    let mut after = 0;
    loop {
        let entries = store.entries_after(after, PAGE).await?;
        let Some(last) = entries.last() else {
            return Ok(());
        };
        after = last.sequence;
        entries.iter().for_each(&mut visit);
    }
}

/// `Some(event)` (`Some(None)` for a refusal) when the entry mentions one of `ids`.
fn concerning(entry: &Entry, ids: &BTreeSet<String>) -> Option<Option<Event>> {
    let payload: serde_json::Value = serde_json::from_str(&entry.payload).ok()?;
    if !mentions(&payload, ids) {
        return None;
    }
    Some(match entry.kind {
        EntryKind::Event => serde_json::from_value(payload).ok(),
        EntryKind::Refusal => None,
    })
}

fn mentions(value: &serde_json::Value, ids: &BTreeSet<String>) -> bool {
    match value {
        serde_json::Value::String(s) => ids.contains(s),
        serde_json::Value::Array(items) => items.iter().any(|v| mentions(v, ids)),
        serde_json::Value::Object(fields) => fields.values().any(|v| mentions(v, ids)),
        _ => false,
    }
}

/// The identifiers an event gives to things of the unit's story, which later entries name.
fn identifiers_made_by(event: &Event) -> Vec<String> {
    match event {
        Event::DonorCentre(DonorCentreEvent::DonorRegistered { donor }) => vec![donor.id.clone()],
        Event::DonorCentre(DonorCentreEvent::ScreeningRecorded { screening }) => {
            vec![screening.id.clone()]
        }
        Event::DonorCentre(DonorCentreEvent::DonorDeferred { deferral }) => {
            vec![deferral.id.clone()]
        }
        Event::DonorCentre(DonorCentreEvent::DonationCollected { donation }) => {
            vec![donation.din.clone(), donation.donor_id.clone()]
        }
        // A pool made of the unit gets its own DIN: its story continues the unit's.
        Event::Manufacturing(ManufacturingEvent::ComponentProduced { component }) => {
            vec![component.id.clone(), component.din.clone()]
        }
        Event::Manufacturing(ManufacturingEvent::ComponentProcessed { into, .. }) => into.clone(),
        Event::Release(ReleaseEvent::HoldPlaced { hold }) => vec![hold.id.clone()],
        Event::Release(ReleaseEvent::TaskOpened { task }) => vec![task.id.clone()],
        _ => Vec::new(),
    }
}

fn line(entry: &Entry, event: Option<&Event>) -> HistoryLine {
    let summary = match (entry.kind, event) {
        (EntryKind::Event, Some(event)) => summary(event),
        (EntryKind::Event, None) => format!("{} (payload not readable)", entry.event_type),
        (EntryKind::Refusal, _) => refusal_summary(&entry.payload),
    };
    HistoryLine {
        sequence: entry.sequence,
        recorded_at: entry.recorded_at.to_string(),
        actor: entry.actor.clone(),
        role: entry.role.clone(),
        command_id: entry.command_id.clone(),
        kind: entry.kind.as_str(),
        event_type: entry.event_type.clone(),
        summary,
        payload: entry.payload.clone(),
    }
}

fn refusal_summary(payload: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(payload).unwrap_or_default();
    let rule = value["rule"].as_str().unwrap_or("?");
    let message = value["message"].as_str().unwrap_or("");
    format!("refused ({rule}): {message}")
}

/// A donation's volume against its container's range, in words.
fn volume_text(status: hemaflow_domain::donor_centre::collection::VolumeStatus) -> &'static str {
    use hemaflow_domain::donor_centre::collection::VolumeStatus::*;
    match status {
        Full => "full volume",
        Low => "low volume",
        Unusable => "outside the container's range",
    }
}

fn group(
    abo: &hemaflow_domain::lab::testing::Abo,
    rhd: &hemaflow_domain::lab::testing::RhD,
) -> String {
    let sign = match rhd {
        hemaflow_domain::lab::testing::RhD::Positive => "+",
        hemaflow_domain::lab::testing::RhD::Negative => "-",
    };
    format!("{}{sign}", abo.as_str())
}

/// One readable line per event, as a supervisor reading the record would say it.
pub fn summary(event: &Event) -> String {
    match event {
        Event::Access(AccessEvent::Configured { by, .. }) => {
            format!("site configuration changed by {by}")
        }
        Event::DonorCentre(DonorCentreEvent::DonorRegistered { donor }) => format!(
            "donor {} registered: {}, {} (born {})",
            donor.id,
            donor.identity.family_name,
            donor.identity.given_name,
            donor.identity.date_of_birth
        ),
        Event::DonorCentre(DonorCentreEvent::ScreeningRecorded { screening }) => {
            let verdict = if screening.accepted {
                "accepted".to_owned()
            } else {
                let rules: Vec<&str> = screening.findings.iter().map(|f| f.rule.as_str()).collect();
                format!("not accepted ({})", rules.join(", "))
            };
            format!(
                "screening {} for {}: {verdict}",
                screening.id,
                screening.procedure.as_str()
            )
        }
        Event::DonorCentre(DonorCentreEvent::DonorDeferred { deferral }) => format!(
            "donor {} deferred: {} ({}, from {}{})",
            deferral.donor_id,
            deferral.description,
            deferral.kind.describe(),
            deferral.starts,
            deferral
                .ends
                .map(|d| format!(" until {d}"))
                .unwrap_or_default()
        ),
        Event::DonorCentre(DonorCentreEvent::DonorRequalified {
            deferral_id,
            reason,
            ..
        }) => format!("deferral {deferral_id} lifted: {reason}"),
        Event::DonorCentre(DonorCentreEvent::ScreeningCorrected { correction }) => format!(
            "screening {} corrected by {}: {} was {}, now {} ({}); {}",
            correction.screening_id,
            correction.by,
            correction.measurement.label(),
            correction
                .was
                .map_or("not measured".to_owned(), |v| v.to_string()),
            correction.now,
            correction.reason,
            if correction.accepted {
                "the screening passes".to_owned()
            } else {
                let rules: Vec<&str> = correction
                    .findings
                    .iter()
                    .map(|f| f.rule.as_str())
                    .collect();
                format!("the screening does not pass ({})", rules.join(", "))
            }
        ),
        Event::DonorCentre(DonorCentreEvent::DeferralWithdrawn {
            deferral_id,
            reason,
            ..
        }) => format!("deferral {deferral_id} withdrawn: {reason}"),
        Event::DonorCentre(DonorCentreEvent::DonationCollected { donation }) => format!(
            "{} donation {} collected from donor {}: {} mL ({}) in {}",
            donation.procedure.as_str(),
            donation.din,
            donation.donor_id,
            donation.volume_ml,
            volume_text(donation.volume_status),
            donation.collection_state
        ),
        Event::Lab(LabEvent::TestsOrdered { din, tests }) => {
            format!(
                "{} tests ordered for {din}: {}",
                tests.len(),
                tests.join(", ")
            )
        }
        Event::Lab(LabEvent::TestResultRecorded {
            din,
            test,
            stage,
            reading,
            status,
            ..
        }) => format!(
            "{din} {test} {}: {} -> {}",
            stage.describe(),
            reading.describe(),
            marker(status)
        ),
        Event::Lab(LabEvent::TestResultCorrected {
            din,
            test,
            was,
            now,
            reason,
            by,
            ..
        }) => format!(
            "{din} {test} corrected by {by}: was {}, now {} ({reason})",
            marker(was),
            marker(now)
        ),
        Event::Lab(LabEvent::DonationUnsuitable { din, reason, .. }) => {
            format!("donation {din} unsuitable: {reason}")
        }
        Event::Lab(LabEvent::BloodGroupDetermined { din, abo, rhd, .. }) => {
            format!("{din} ABO/RhD determined: {}", group(abo, rhd))
        }
        Event::Lab(LabEvent::BloodGroupResolved {
            din,
            abo,
            rhd,
            reason,
            ..
        }) => format!("{din} ABO/RhD resolved as {}: {reason}", group(abo, rhd)),
        Event::Lab(LabEvent::DonorBloodGroupConfirmed {
            donor_id, abo, rhd, ..
        }) => format!(
            "donor {donor_id} blood group confirmed: {}",
            group(abo, rhd)
        ),
        Event::Lab(LabEvent::AntibodyScreenRecorded { din, positive, .. }) => format!(
            "{din} antibody screen {}",
            if *positive { "POSITIVE" } else { "negative" }
        ),
        Event::Manufacturing(ManufacturingEvent::ComponentProduced { component }) => format!(
            "component {} produced: {} ({}), expires {}",
            component.id,
            component.name,
            component.status.as_str(),
            rfc3339(component.expires_at)
        ),
        Event::Manufacturing(ManufacturingEvent::ComponentProcessed { id, into, .. }) => {
            format!("component {id} processed into {}", into.join(", "))
        }
        Event::Manufacturing(ManufacturingEvent::BacterialControlRecorded {
            id,
            method,
            expires_at,
            ..
        }) => format!(
            "{id} bacterial control {method}: expiry now {}",
            rfc3339(*expires_at)
        ),
        Event::Manufacturing(ManufacturingEvent::LabelVerified { id, by, .. }) => {
            format!("label of {id} verified by {by}")
        }
        Event::Access(AccessEvent::UserCreated { user }) => {
            format!(
                "user {} ({}) created as {}",
                user.id,
                user.name,
                user.role.as_str()
            )
        }
        Event::Access(AccessEvent::PasswordSet { user_id, by, .. }) => {
            format!("password of {user_id} set by {by}")
        }
        Event::Access(AccessEvent::UserDisabled {
            user_id,
            reason,
            by,
            ..
        }) => format!("user {user_id} disabled by {by}: {reason}"),
        Event::Access(AccessEvent::ApiTokenIssued { token }) => format!(
            "API token {} ({}) issued as {} by {}",
            token.id,
            token.name,
            token.role.as_str(),
            token.issued_by
        ),
        Event::Access(AccessEvent::ApiTokenRevoked {
            token_id,
            reason,
            by,
            ..
        }) => format!("API token {token_id} revoked by {by}: {reason}"),
        Event::Access(AccessEvent::SignInRecorded { attempt }) => format!(
            "{} of {}: {:?}",
            attempt.channel, attempt.user_id, attempt.outcome
        ),
        Event::Access(AccessEvent::Signed { signature }) => format!(
            "{} by {} ({}) at {}",
            signature.signed, signature.printed_name, signature.meaning, signature.signed_at
        ),
        Event::Release(ReleaseEvent::ComponentReleased { id, by, .. }) => {
            format!("{id} released by {by}")
        }
        Event::Release(ReleaseEvent::ComponentQuarantined { id, hold_id, .. }) => {
            format!("{id} quarantined by hold {hold_id}")
        }
        Event::Release(ReleaseEvent::ComponentMarkedUnsafe { id, reason, .. }) => {
            format!("{id} UNSAFE: {reason}")
        }
        Event::Manufacturing(ManufacturingEvent::ComponentDiscarded { id, reason, by, .. }) => {
            format!("{id} discarded by {by}: {reason}")
        }
        Event::Release(ReleaseEvent::ComponentExpired { id, .. }) => format!("{id} expired"),
        Event::Distribution(DistributionEvent::ComponentShipped { id, consignee, .. }) => {
            format!("{id} shipped to {consignee}")
        }
        Event::Release(ReleaseEvent::HoldPlaced { hold }) => {
            let target = match &hold.target {
                HoldTarget::Donation { din } => format!("donation {din}"),
                HoldTarget::Component { id } => format!("component {id}"),
            };
            format!(
                "hold {} ({}) placed on {target}: {}",
                hold.id,
                hold.kind.describe(),
                hold.reason
            )
        }
        Event::Release(ReleaseEvent::HoldReleased {
            hold_id, reason, ..
        }) => format!("hold {hold_id} released: {reason}"),
        Event::Release(ReleaseEvent::TaskOpened { task }) => {
            format!(
                "task {} ({}): {}",
                task.id,
                task.kind.describe(),
                task.reason
            )
        }
        other => supply_summary(other),
    }
}

/// Lines for the hospital-supply events.
fn supply_summary(event: &Event) -> String {
    match event {
        Event::Distribution(DistributionEvent::SiteRegistered { site }) => {
            format!("site {} ({}) registered", site.id, site.name)
        }
        Event::Distribution(DistributionEvent::StorageRegistered { storage }) => format!(
            "storage {} at site {} registered ({} to {} °C)",
            storage.id, storage.site_id, storage.min_c, storage.max_c
        ),
        Event::Distribution(DistributionEvent::ComponentStored {
            id,
            site,
            storage,
            by,
            ..
        }) => format!("{id} put away in {storage} at site {site} by {by}"),
        Event::Distribution(DistributionEvent::TransferDispatched { transfer }) => format!(
            "transfer {} from {} to {} dispatched: {}",
            transfer.id,
            transfer.from,
            transfer.to,
            transfer.components.join(", ")
        ),
        Event::Distribution(DistributionEvent::TransferReceived {
            transfer_id,
            id,
            site,
            ..
        }) => format!("{id} received at site {site} (transfer {transfer_id})"),
        Event::Distribution(DistributionEvent::HospitalRegistered { hospital }) => {
            format!("hospital {} ({}) registered", hospital.id, hospital.name)
        }
        Event::Distribution(DistributionEvent::OrderPlaced { order }) => format!(
            "order {} placed for {} ({}, due {})",
            order.id,
            order.hospital,
            order.priority.as_str(),
            rfc3339(order.due_at)
        ),
        Event::Distribution(DistributionEvent::StandingOrderPlaced { standing_order }) => format!(
            "standing order {} placed for {} every {}",
            standing_order.id, standing_order.hospital, standing_order.weekday
        ),
        Event::Distribution(DistributionEvent::OrderCancelled {
            order_id,
            cancellation,
        }) => format!("order {order_id} cancelled: {}", cancellation.reason),
        Event::Distribution(DistributionEvent::StandingOrderCancelled {
            standing_order_id,
            cancellation,
        }) => format!(
            "standing order {standing_order_id} cancelled: {}",
            cancellation.reason
        ),
        Event::Distribution(DistributionEvent::OrderAllocated {
            order_id,
            units,
            by,
            ..
        }) => {
            let units: Vec<String> = units
                .iter()
                .map(|u| match &u.substitution {
                    Some(s) => format!("{} (substitute, {}: {})", u.component, s.rule, s.note),
                    None => u.component.clone(),
                })
                .collect();
            format!("order {order_id} allocated by {by}: {}", units.join(", "))
        }
        Event::Distribution(DistributionEvent::AllocationWithdrawn {
            order_id,
            id,
            reason,
        }) => format!("{id} withdrawn from order {order_id}: {reason}"),
        Event::Distribution(DistributionEvent::ShipmentOpened { shipment }) => format!(
            "shipment {} opened for order {} at site {}",
            shipment.id, shipment.order_id, shipment.site
        ),
        Event::Distribution(DistributionEvent::UnitPicked {
            shipment_id,
            id,
            by,
            ..
        }) => format!("{id} picked into shipment {shipment_id} by {by}"),
        Event::Distribution(DistributionEvent::ShipmentShipped {
            shipment_id,
            dispatch,
        }) => format!(
            "shipment {shipment_id} shipped in box {} at {} by {}",
            dispatch.box_id, dispatch.temperature_range, dispatch.courier
        ),
        Event::Distribution(DistributionEvent::ReceiptConfirmed {
            shipment_id,
            id,
            by,
            ..
        }) => format!("{id} received from shipment {shipment_id} by {by}"),
        Event::Distribution(DistributionEvent::UnitReturned { unit_return }) => format!(
            "{} returned by {} after {} min out of storage: {}",
            unit_return.component,
            unit_return.hospital,
            unit_return.minutes_out_of_storage,
            unit_return.reason
        ),
        Event::Distribution(DistributionEvent::ReturnReviewed { id, review }) => format!(
            "return of {id} {} by {}: {}",
            if review.accepted {
                "accepted"
            } else {
                "rejected"
            },
            review.by,
            review.reason
        ),
        Event::Transfusion(event) => transfusion_summary(event),
        Event::Lookback(event) => lookback_summary(event),
        _ => event.name().replace('_', " "),
    }
}

fn done_text(done: &hemaflow_domain::lookback::command::Done) -> String {
    format!("{} by {} ({})", done.contact, done.by, done.method)
}

/// Lines for lookback, recall, deviation and fatality events: what QA did, to whom, by when.
fn lookback_summary(event: &LookbackEvent) -> String {
    match event {
        LookbackEvent::LookbackStarted { lookback } => format!(
            "lookback {} on donor {} for {} ({}): {}; {} earlier donation(s) in the window ({}), {} notice(s) due",
            lookback.id,
            lookback.donor_id,
            lookback.agent,
            lookback.regulation,
            lookback.trigger.describe(),
            lookback.window.donations.len(),
            lookback.window.basis,
            lookback.tasks.len()
        ),
        LookbackEvent::SupplementalLinked {
            lookback_id,
            supplemental,
            tasks,
        } => format!(
            "lookback {lookback_id}: supplemental test {} ({}); {} new notice(s)",
            supplemental.outcome.describe(),
            supplemental.note,
            tasks.len()
        ),
        LookbackEvent::LookbackTaskCompleted {
            lookback_id,
            task_id,
            done,
        } => format!(
            "lookback {lookback_id} task {task_id} done: {}",
            done_text(done)
        ),
        LookbackEvent::LookbackClosed { lookback_id, .. } => {
            format!("lookback {lookback_id} closed")
        }
        LookbackEvent::RecallOpened { recall } => format!(
            "{} {} opened by {}: {}; {} unit(s)",
            recall.kind.describe(),
            recall.id,
            recall.opened_by,
            recall.reason,
            recall.units.len()
        ),
        LookbackEvent::RecallConsigneeNotified {
            recall_id,
            hospital,
            done,
        } => format!("recall {recall_id}: {hospital} told, {}", done_text(done)),
        LookbackEvent::RecallUnitReturned {
            recall_id,
            component,
            by,
            ..
        } => format!("recall {recall_id}: {component} returned, received by {by}"),
        LookbackEvent::RecallUnitOutcome {
            recall_id,
            component,
            outcome,
            by,
            ..
        } => format!(
            "recall {recall_id}: {component} {} (recorded by {by})",
            outcome.describe()
        ),
        LookbackEvent::RecallClosed {
            recall_id,
            summary,
            by,
            ..
        } => format!("recall {recall_id} closed by {by}: {summary}"),
        LookbackEvent::DeviationOpened { deviation } => format!(
            "deviation {} opened on {}: {}{}",
            deviation.id,
            deviation.subject.describe(),
            deviation.description,
            deviation
                .report_due
                .map(|due| format!("; distributed, BPD report due {due}"))
                .unwrap_or_default()
        ),
        LookbackEvent::DeviationInvestigated {
            deviation_id,
            root_cause,
            corrective_action,
            ..
        } => format!(
            "deviation {deviation_id} investigated: root cause {root_cause}; corrective action {corrective_action}"
        ),
        LookbackEvent::DeviationReported {
            deviation_id,
            reference,
            ..
        } => format!("deviation {deviation_id} reported to FDA ({reference})"),
        LookbackEvent::DeviationClosed {
            deviation_id,
            reason,
            by,
            ..
        } => format!("deviation {deviation_id} closed by {by}: {reason}"),
        LookbackEvent::FatalityOpened { fatality } => format!(
            "transfusion fatality {} of patient {} at {} ({}): CBER to be told at once (by {}), written report due {}",
            fatality.id,
            fatality.patient,
            fatality.hospital,
            fatality.component,
            fatality.notice_due,
            fatality.written_due
        ),
        LookbackEvent::FatalityNotified { fatality_id, done } => {
            format!("fatality {fatality_id}: CBER told, {}", done_text(done))
        }
        LookbackEvent::FatalityReportSent {
            fatality_id,
            reference,
            ..
        } => format!("fatality {fatality_id}: written report sent ({reference})"),
    }
}

/// Lines for the transfusion service's events: the unit's story from the hospital's receipt
/// to the patient.
fn transfusion_summary(event: &TransfusionEvent) -> String {
    use hemaflow_domain::transfusion::units::Fate;
    match event {
        TransfusionEvent::UnitRetyped {
            component,
            hospital,
            retype,
        } => format!(
            "{component} retyped at {hospital} by {}: {}{} ({})",
            retype.by,
            retype.abo.as_str(),
            retype
                .rhd
                .map(|rhd| match rhd {
                    hemaflow_domain::lab::testing::RhD::Positive => " RhD positive",
                    hemaflow_domain::lab::testing::RhD::Negative => " RhD negative",
                })
                .unwrap_or_default(),
            if retype.matches {
                "agrees with the label"
            } else {
                "DISAGREES with the label"
            }
        ),
        TransfusionEvent::UnitAntigenTyped {
            component,
            antigen,
            negative,
            by,
            ..
        } => format!(
            "{component} typed {} {} by {by}",
            antigen.as_str(),
            if *negative { "negative" } else { "positive" }
        ),
        TransfusionEvent::CrossmatchRecorded {
            component,
            crossmatch,
            ..
        } => format!(
            "{component} crossmatched ({}) for patient {} on sample {} by {}: {}",
            crossmatch.method.describe(),
            crossmatch.patient,
            crossmatch.sample,
            crossmatch.by,
            if crossmatch.compatible {
                "compatible"
            } else {
                "INCOMPATIBLE"
            }
        ),
        TransfusionEvent::UnitIssued {
            component, issue, ..
        } => {
            let mut line = format!(
                "{component} issued to patient {} by {}, taken by {}",
                issue.patient, issue.by, issue.to
            );
            if let Some(fridge) = &issue.remote {
                line.push_str(&format!(", from remote fridge {fridge}"));
            }
            if let Some(release) = &issue.emergency {
                line.push_str(&format!(", under emergency release {release}"));
            }
            line
        }
        TransfusionEvent::TransfusionStarted {
            component,
            patient,
            start,
        } => format!(
            "transfusion of {component} to patient {patient} started by {}{}",
            start.by,
            start
                .second_checker
                .as_ref()
                .map(|c| format!(" (checked with {c})"))
                .unwrap_or_default()
        ),
        TransfusionEvent::TransfusionEnded {
            component,
            patient,
            fate,
        } => match fate {
            Fate::Transfused { volume_ml, by, .. } => format!(
                "transfusion of {component} to patient {patient} ended by {by}: {volume_ml} mL"
            ),
            other => format!("{component} for patient {patient}: {}", other.describe()),
        },
        TransfusionEvent::UnitWasted {
            component,
            hospital,
            fate,
        } => match fate {
            Fate::Wasted { reason, by, .. } => {
                format!("{component} wasted at {hospital} by {by}: {reason}")
            }
            other => format!("{component} at {hospital}: {}", other.describe()),
        },
        TransfusionEvent::UnitReturnedToStock {
            component,
            hospital,
            fate,
        } => match fate {
            Fate::ReturnedToStock {
                minutes_out,
                kept_at_c,
                by,
                ..
            } => format!(
                "{component} returned to the stock of {hospital} by {by} ({minutes_out} min out, kept at {kept_at_c} °C)"
            ),
            other => format!("{component} at {hospital}: {}", other.describe()),
        },
        TransfusionEvent::ReactionReported { reaction } => format!(
            "reaction {} to {} reported for patient {} by {}: {}",
            reaction.id,
            reaction.component,
            reaction.patient,
            reaction.by,
            reaction.category.describe()
        ),
        TransfusionEvent::EmergencyReleased { release } => format!(
            "emergency release {} for patient {} on the request of {}: {}",
            release.id,
            release.patient,
            release.physician,
            release.components.join(", ")
        ),
        TransfusionEvent::MtpRoundIssued {
            release_id,
            components,
        } => format!(
            "massive transfusion round of {release_id}: {}",
            components.join(", ")
        ),
        other => other.name().replace('_', " "),
    }
}

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}

fn marker(status: &hemaflow_domain::lab::testing::MarkerStatus) -> &'static str {
    use hemaflow_domain::lab::testing::MarkerStatus::*;
    match status {
        Pending => "pending",
        InitialReactive { .. } => "initial reactive, repeat in duplicate",
        MinipoolReactive => "minipool reactive",
        Negative => "negative",
        RepeatReactive { .. } => "REPEAT REACTIVE",
        Reactive { .. } => "REACTIVE",
    }
}
