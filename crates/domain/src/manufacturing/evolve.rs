//! How this area's events change the state (components, their processing and labels). Events carry every value
//! needed, so nothing here decides.

use crate::distribution::Location;
use crate::manufacturing::components::Status;
use crate::state::{State, set_status};

use super::Event;

pub(crate) fn evolve(state: &mut State, event: &Event) {
    match event {
        Event::ComponentProduced { component } => {
            for din in &component.sources {
                if let Some(d) = state.donations.get_mut(din) {
                    d.components.push(component.id.clone());
                    if component.parents.is_empty() {
                        d.produced = true;
                    }
                }
            }
            state.index.add_component_sources(component);
            let previous = state
                .components
                .insert(component.id.clone(), (**component).clone());
            assert!(
                previous.is_none(),
                "component {} produced twice",
                component.id
            );
        }
        Event::ComponentProcessed { id, into, .. } => {
            set_status(
                state,
                id,
                Status::Processed,
                Some(format!("processed into {}", into.join(", "))),
            );
            if let Some(c) = state.components.get_mut(id) {
                c.location = Location::Gone;
            }
        }
        Event::BacterialControlRecorded {
            id,
            method,
            expires_at,
            ..
        } => {
            if let Some(c) = state.components.get_mut(id) {
                c.bacterial_control = Some(method.clone());
                c.expires_at = *expires_at;
            }
        }
        Event::LabelVerified { id, structures, .. } => {
            if let Some(c) = state.components.get_mut(id) {
                c.label_verified = true;
                c.verified_label = structures.clone();
            }
        }
        Event::ComponentDiscarded { id, reason, at, .. } => {
            set_status(state, id, Status::Discarded, Some(reason.clone()));
            if let Some(c) = state.components.get_mut(id) {
                c.discarded_at = Some(*at);
                c.location = Location::Gone;
            }
        }
    }
}
