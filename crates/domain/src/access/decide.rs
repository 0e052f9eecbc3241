//! The decisions of this area: one function per command, chosen here.

use crate::kernel::Refusal;
use crate::state::State;
use crate::{Context, Event};

use super::Command;
use super::{accounts, credentials};
use crate::AccessEvent;

pub(crate) fn decide(
    state: &State,
    command: &Command,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    match command {
        Command::Configure { config } => {
            config.validate()?;
            Ok(vec![Event::Access(AccessEvent::Configured {
                config: config.clone(),
                at: ctx.now,
                by: ctx.actor.clone(),
            })])
        }
        Command::CreateUser {
            user_id,
            name,
            role,
            hospital,
        } => accounts::create_user(state, user_id, name, *role, hospital.as_deref(), ctx),
        Command::DisableUser { user_id, reason } => {
            accounts::disable_user(state, user_id, reason, ctx)
        }
        Command::RevokeApiToken { token_id, reason } => {
            credentials::revoke_token(state, token_id, reason, ctx)
        }
    }
}
