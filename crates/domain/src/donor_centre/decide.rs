//! The decisions of this area: one function per command, chosen here.

use crate::kernel::Refusal;
use crate::state::State;
use crate::{Context, Event};

use super::Command;
use super::{collection, correction, donor, eligibility};

pub(crate) fn decide(
    state: &State,
    command: &Command,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    match command {
        Command::RegisterDonor { identity } => donor::register(state, identity, ctx),
        Command::RecordScreening {
            donor_id,
            procedure,
            input,
        } => eligibility::record_screening(state, donor_id, *procedure, input, ctx),
        Command::DeferDonor {
            donor_id,
            reason,
            starts,
            notes,
        } => eligibility::defer_donor(state, donor_id, reason, *starts, notes, ctx),
        Command::RequalifyDonor {
            deferral_id,
            reason,
        } => eligibility::requalify(state, deferral_id, reason, ctx),
        Command::CollectDonation { .. } => collection::collect(state, command, ctx),
        Command::CorrectScreening {
            screening_id,
            measurement,
            value,
            reason,
        } => correction::correct_screening(state, screening_id, *measurement, *value, reason, ctx),
    }
}
