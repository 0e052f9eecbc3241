//! How this area's events change the state (accounts, tokens, sign-ins and the configuration). Events carry every value
//! needed, so nothing here decides.

use std::sync::Arc;

use crate::access::{accounts, credentials};
use crate::state::State;

use super::Event;

pub(crate) fn evolve(state: &mut State, event: &Event) {
    match event {
        Event::Configured { config, .. } => {
            state.counters.configurations += 1;
            state.config = Arc::new((**config).clone());
        }
        Event::UserCreated { .. }
        | Event::PasswordSet { .. }
        | Event::UserDisabled { .. }
        | Event::Signed { .. } => accounts::evolve(state, event),
        Event::ApiTokenIssued { .. }
        | Event::ApiTokenRevoked { .. }
        | Event::SignInRecorded { .. } => credentials::evolve(state, event),
    }
}
