//! The decisions of this area: one function per command, chosen here.

use crate::kernel::Refusal;
use crate::state::State;
use crate::{Context, Event};

use super::Command;
use super::{correction, testing};

pub(crate) fn decide(
    state: &State,
    command: &Command,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    match command {
        Command::RecordTestResult { result } => testing::record_result(state, result, ctx),
        Command::RecordTestResults { results } => testing::record_batch(state, results, ctx),
        Command::RecordBloodGroup { din, abo, rhd } => {
            testing::record_blood_group(state, din, *abo, *rhd, ctx)
        }
        Command::RecordAntibodyScreen { din, positive } => {
            testing::record_antibody_screen(state, din, *positive, ctx)
        }
        Command::ResolveBloodGroup {
            din,
            abo,
            rhd,
            reason,
        } => testing::resolve_blood_group(state, din, *abo, *rhd, reason, ctx),
        Command::CorrectTestResult {
            din,
            test,
            results,
            reason,
        } => correction::correct_result(state, din, test, results, reason, ctx),
    }
}
