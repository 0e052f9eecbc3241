//! The transfusion service's decisions: one arm per command, into the area's rule files.

use crate::Context;
use crate::kernel::refusal::Refusal;
use crate::state::State;
use crate::transfusion::bedside::{self, EmergencyRequest, IssueRequest, ReactionReport};
use crate::transfusion::bench::{self, CrossmatchRequest, NewPatient};
use crate::transfusion::{Command, Event};

pub(crate) fn decide(
    state: &State,
    command: &Command,
    ctx: &Context,
) -> Result<Vec<crate::Event>, Refusal> {
    decide_here(state, command, ctx).map(|events| events.into_iter().map(Into::into).collect())
}

fn decide_here(state: &State, command: &Command, ctx: &Context) -> Result<Vec<Event>, Refusal> {
    match command {
        Command::ConfigureTransfusionService { hospital, settings } => {
            configure(state, hospital, settings)
        }
        Command::RegisterPatient {
            wristband,
            mrn,
            family_name,
            given_name,
            sex,
            born,
            recent_history,
            historical_group,
            known_antibodies,
            requirements,
        } => bench::register_patient(
            state,
            NewPatient {
                wristband,
                mrn,
                family_name,
                given_name,
                sex: *sex,
                born: *born,
                recent_history: *recent_history,
                historical_group: *historical_group,
                known_antibodies,
                requirements,
            },
            ctx,
        ),
        Command::AddRequirement {
            wristband,
            requirement,
            reason,
        } => bench::add_requirement(state, wristband, *requirement, reason, ctx),
        Command::ReceiveSample {
            sample_id,
            wristband,
            drawn_at,
            drawn_by,
        } => bench::receive_sample(state, sample_id, wristband, *drawn_at, drawn_by, ctx),
        Command::TypeSample {
            sample_id,
            abo,
            rhd,
        } => bench::type_sample(state, sample_id, *abo, *rhd, ctx),
        Command::ScreenSample {
            sample_id,
            positive,
        } => bench::screen_sample(state, sample_id, *positive, ctx),
        Command::IdentifyAntibodies {
            sample_id,
            antigens,
        } => bench::identify_antibodies(state, sample_id, antigens, ctx),
        Command::ResolveDiscrepancy {
            sample_id,
            sample_wrong,
            reason,
        } => bench::resolve_discrepancy(state, sample_id, *sample_wrong, reason, ctx),
        Command::RetypeUnit {
            component,
            abo,
            rhd,
        } => bench::retype_unit(state, component, *abo, *rhd, ctx),
        Command::TypeUnitAntigen {
            component,
            antigen,
            negative,
        } => bench::type_unit_antigen(state, component, *antigen, *negative, ctx),
        Command::CrossmatchUnit {
            sample_id,
            wristband,
            component,
            method,
            compatible,
            rhd_approved_by,
        } => bench::crossmatch(
            state,
            CrossmatchRequest {
                sample_id,
                wristband,
                component,
                method: *method,
                compatible: *compatible,
                rhd_approved_by: rhd_approved_by.as_deref(),
            },
            ctx,
        ),
        Command::IssueUnit {
            component,
            wristband,
            to,
            remote,
        } => bedside::issue(
            state,
            IssueRequest {
                component,
                wristband,
                to,
                remote: remote.as_deref(),
            },
            ctx,
        ),
        Command::StartTransfusion {
            component,
            wristband,
            second_checker,
            vitals,
        } => bedside::start(
            state,
            component,
            wristband,
            second_checker.as_deref(),
            vitals,
            ctx,
        ),
        Command::EndTransfusion {
            component,
            volume_ml,
            vitals,
        } => bedside::end(state, component, *volume_ml, vitals, ctx),
        Command::ReportReaction {
            reaction_id,
            component,
            category,
            severity,
            imputability,
            description,
        } => bedside::report_reaction(
            state,
            ReactionReport {
                reaction_id,
                component,
                category: *category,
                severity: *severity,
                imputability: *imputability,
                description,
            },
            ctx,
        ),
        Command::WasteUnit { component, reason } => bedside::waste(state, component, reason, ctx),
        Command::ReturnToStock {
            component,
            minutes_out,
            kept_at_c,
        } => bedside::return_to_stock(state, component, *minutes_out, *kept_at_c, ctx),
        Command::ReleaseEmergency {
            release_id,
            wristband,
            components,
            physician,
            reason,
        } => bedside::release_emergency(
            state,
            EmergencyRequest {
                release_id,
                wristband,
                physician,
                reason,
            },
            components,
            ctx,
        ),
        Command::SignEmergencyRelease {
            release_id,
            physician,
            signed_at,
        } => bedside::sign(state, release_id, physician, *signed_at, ctx),
        Command::ReviewEmergencyRelease { release_id, note } => {
            bedside::review(state, release_id, note, ctx)
        }
        Command::ActivateMtp {
            release_id,
            wristband,
            physician,
            reason,
        } => bedside::activate_mtp(
            state,
            EmergencyRequest {
                release_id,
                wristband,
                physician,
                reason,
            },
            ctx,
        ),
        Command::IssueMtpRound {
            release_id,
            components,
        } => bedside::issue_round(state, release_id, components, ctx),
        Command::StandDownMtp { release_id, note } => {
            bedside::stand_down(state, release_id, note, ctx)
        }
    }
}

/// An admin sets a hospital's SOP choices.
fn configure(
    state: &State,
    hospital: &str,
    settings: &crate::transfusion::settings::ServiceSettings,
) -> Result<Vec<Event>, Refusal> {
    if !state.hospitals.contains_key(hospital) {
        return crate::kernel::refusal::refuse(
            crate::kernel::refusal::Rule::TxInput,
            format!("no hospital {hospital:?} is on record"),
        );
    }
    settings.check()?;
    Ok(vec![Event::TransfusionServiceConfigured {
        hospital: hospital.to_owned(),
        settings: settings.clone(),
    }])
}
