//! The decisions of this area: one function per command, chosen here.

use crate::kernel::Refusal;
use crate::state::State;
use crate::{Context, Event};

use super::Command;
use super::gate;

pub(crate) fn decide(
    state: &State,
    command: &Command,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    match command {
        Command::ReleaseComponent { component } => gate::release(state, component, ctx),
        Command::PlaceHold {
            target,
            kind,
            reason,
        } => gate::place_hold(state, target, *kind, reason, ctx),
        Command::ReleaseHold { hold_id, reason } => gate::release_hold(state, hold_id, reason, ctx),
        Command::RecordPostDonationInformation {
            donor_id,
            information,
        } => gate::post_donation_information(state, donor_id, information, ctx),
        Command::ExpireUnits { as_of } => gate::expire(state, *as_of, ctx),
    }
}
