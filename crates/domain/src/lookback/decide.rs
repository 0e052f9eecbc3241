//! The decisions of lookback, recall, deviations and fatalities: one arm per command.

use crate::Context;
use crate::kernel::refusal::Refusal;
use crate::lookback::{Command, deviations, lookbacks, recalls};
use crate::state::State;

pub(crate) fn decide(
    state: &State,
    command: &Command,
    ctx: &Context,
) -> Result<Vec<crate::Event>, Refusal> {
    match command {
        Command::StartLookback {
            donor_id,
            din,
            agent,
            evidence,
        } => lookbacks::start_by_hand(
            state,
            donor_id.as_deref(),
            din.as_deref(),
            agent,
            evidence,
            ctx,
        ),
        Command::RecordNoSupplementalTest {
            lookback_id,
            reason,
        } => lookbacks::no_supplemental_test(state, lookback_id, reason, ctx),
        Command::CompleteLookbackTask {
            lookback_id,
            task_id,
            contact,
            method,
        } => lookbacks::complete_task(state, lookback_id, task_id, contact, method, ctx),
        Command::OpenRecall {
            kind,
            reason,
            selection,
        } => recalls::open(state, *kind, reason, selection, ctx),
        Command::NotifyRecallConsignee {
            recall_id,
            hospital,
            contact,
            method,
        } => recalls::notify(state, recall_id, hospital, contact, method, ctx),
        Command::RecordRecallReturn {
            recall_id,
            component,
            note,
        } => recalls::record_return(state, recall_id, component, note, ctx),
        Command::RecordRecallOutcome {
            recall_id,
            component,
            outcome,
            note,
        } => recalls::record_outcome(state, recall_id, component, *outcome, note, ctx),
        Command::CloseRecall { recall_id, summary } => {
            recalls::close(state, recall_id, summary, ctx)
        }
        Command::OpenDeviation {
            subject,
            discovered_on,
            occurred_on,
            description,
            units,
        } => deviations::open(
            state,
            subject,
            *discovered_on,
            *occurred_on,
            description,
            units,
            ctx,
        ),
        Command::InvestigateDeviation {
            deviation_id,
            root_cause,
            corrective_action,
        } => deviations::investigate(state, deviation_id, root_cause, corrective_action, ctx),
        Command::ReportDeviation {
            deviation_id,
            reference,
        } => deviations::report(state, deviation_id, reference, ctx),
        Command::CloseDeviation {
            deviation_id,
            reason,
        } => deviations::close(state, deviation_id, reason, ctx),
        Command::ReportFatality {
            hospital,
            patient,
            component,
            died_at,
            description,
        } => deviations::report_fatality(
            state,
            hospital,
            patient,
            component,
            *died_at,
            description,
            ctx,
        ),
        Command::NotifyFatality {
            fatality_id,
            contact,
            method,
        } => deviations::notify_fatality(state, fatality_id, contact, method, ctx),
        Command::SendFatalityReport {
            fatality_id,
            reference,
        } => deviations::send_fatality_report(state, fatality_id, reference, ctx),
    }
}
