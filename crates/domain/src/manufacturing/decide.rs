//! The decisions of this area: one function per command, chosen here.

use crate::kernel::Refusal;
use crate::state::State;
use crate::{Context, Event};

use super::Command;
use super::{components, label};
use crate::distribution;

pub(crate) fn decide(
    state: &State,
    command: &Command,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    // A unit is processed only where it is: at one of our sites, not in transit or shipped.
    match command {
        Command::ModifyComponent { component, .. } | Command::DivideComponent { component, .. } => {
            distribution::check_at_a_site(state, std::slice::from_ref(component))?;
        }
        Command::PoolComponents { components, .. } => {
            distribution::check_at_a_site(state, components)?
        }
        _ => {}
    }
    match command {
        Command::ProduceComponents { din, recipe } => components::produce(state, din, recipe, ctx),
        Command::ModifyComponent {
            component,
            modification,
        } => components::modify(state, component, *modification, ctx),
        Command::DivideComponent { component, parts } => {
            components::divide(state, component, *parts, ctx)
        }
        Command::PoolComponents {
            components,
            pool_din,
            closed_system,
        } => components::pool(state, components, pool_din, *closed_system, ctx),
        Command::RecordBacterialControl { component, method } => {
            components::bacterial_control(state, component, method, ctx)
        }
        Command::VerifyLabel { component, scans } => label::verify(state, component, scans, ctx),
        Command::DiscardComponent { component, reason } => {
            components::discard(state, component, reason, ctx)
        }
    }
}
