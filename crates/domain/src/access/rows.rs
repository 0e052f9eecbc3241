//! The projection rows this area's events change (their kind and ID), for the ledger.

use super::Event;

/// The kind and ID of every projection row `event` changes.
pub(crate) fn row_keys(event: &Event) -> Vec<(&'static str, String)> {
    match event {
        Event::Configured { .. } => vec![("config", "site".to_owned())],
        Event::UserCreated { user } => vec![("user", user.id.clone())],
        Event::PasswordSet { user_id, .. } | Event::UserDisabled { user_id, .. } => {
            vec![("user", user_id.clone())]
        }
        Event::ApiTokenIssued { token } => {
            vec![("api_token", token.id.clone())]
        }
        Event::ApiTokenRevoked { token_id, .. } => {
            vec![("api_token", token_id.clone())]
        }
        // A signature is in the ledger beside the events it signs, a sign-in attempt is the
        // entry itself: neither has a row of its own.
        Event::Signed { .. } | Event::SignInRecorded { .. } => vec![],
    }
}
