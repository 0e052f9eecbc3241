//! How this area's events change the state (release, quarantine, holds and tasks). Events carry every value
//! needed, so nothing here decides.

use crate::manufacturing::Status;
use crate::release::gate::HoldRelease;
use crate::state::{State, set_status};

use super::Event;

pub(crate) fn evolve(state: &mut State, event: &Event) {
    match event {
        Event::ComponentReleased { id, at, .. } => {
            if let Some(c) = state.components.get_mut(id) {
                c.status = Status::Available;
                c.status_reason = None;
                c.released_at = Some(*at);
            }
        }
        Event::ComponentQuarantined { id, hold_id, .. } => set_status(
            state,
            id,
            Status::Quarantined,
            Some(format!("hold {hold_id}")),
        ),
        Event::ComponentMarkedUnsafe { id, reason, .. } => {
            set_status(state, id, Status::Unsafe, Some(reason.clone()))
        }
        Event::ComponentExpired { id, .. } => set_status(state, id, Status::Expired, None),
        Event::HoldPlaced { hold } => {
            state.counters.holds += 1;
            state.index.update_hold(hold);
            let previous = state.holds.insert(hold.id.clone(), hold.clone());
            assert!(previous.is_none(), "hold {} placed twice", hold.id);
        }
        Event::HoldReleased {
            hold_id,
            reason,
            at,
            by,
        } => {
            if let Some(h) = state.holds.get_mut(hold_id) {
                h.released = Some(HoldRelease {
                    at: *at,
                    by: by.clone(),
                    reason: reason.clone(),
                });
                state.index.update_hold(h);
            }
        }
        Event::TaskOpened { task } => {
            state.counters.tasks += 1;
            let previous = state.tasks.insert(task.id.clone(), task.clone());
            assert!(previous.is_none(), "task {} opened twice", task.id);
        }
    }
}
