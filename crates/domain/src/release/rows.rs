//! The projection rows this area's events change (their kind and ID), for the ledger.

use super::Event;

/// The kind and ID of every projection row `event` changes.
pub(crate) fn row_keys(event: &Event) -> Vec<(&'static str, String)> {
    match event {
        Event::ComponentReleased { id, .. }
        | Event::ComponentQuarantined { id, .. }
        | Event::ComponentMarkedUnsafe { id, .. }
        | Event::ComponentExpired { id, .. } => vec![("component", id.clone())],
        Event::HoldPlaced { hold } => vec![("hold", hold.id.clone())],
        Event::HoldReleased { hold_id, .. } => {
            vec![("hold", hold_id.clone())]
        }
        Event::TaskOpened { task } => vec![("task", task.id.clone())],
    }
}
