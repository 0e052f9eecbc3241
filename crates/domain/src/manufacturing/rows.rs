//! The projection rows this area's events change (their kind and ID), for the ledger.

use super::Event;

/// The kind and ID of every projection row `event` changes.
pub(crate) fn row_keys(event: &Event) -> Vec<(&'static str, String)> {
    match event {
        Event::ComponentProduced { component } => {
            let mut k = vec![("component", component.id.clone())];
            k.extend(
                component
                    .sources
                    .iter()
                    .map(|din| ("donation", din.clone())),
            );
            k
        }
        Event::ComponentProcessed { id, .. }
        | Event::BacterialControlRecorded { id, .. }
        | Event::LabelVerified { id, .. }
        | Event::ComponentDiscarded { id, .. } => {
            vec![("component", id.clone())]
        }
    }
}
