//! Corrections of a screening's measurements (CORR-ENTRY, CORR-REDECIDE): a value entered
//! wrongly (a haemoglobin, a weight) is corrected by a command that names the screening and
//! the measurement, with the reason, under the corrector's signature. The screening keeps both
//! values (21 CFR 11.10(e): a change does not obscure what was recorded), and what the old value
//! decided is decided again on the corrected one: a deferral it caused and that no longer
//! holds is withdrawn, one it now calls for is placed from the screening's day. A donation
//! already collected on a screening that no longer passes is for the lookback area to hold
//! and investigate (`lookback::follow`).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::kernel::refusal::{Refusal, Rule, refuse, required_text};
use crate::state::State;
use crate::{Context, DonorCentreEvent, Event};

use super::eligibility::{
    Deferral, DeferralIds, Finding, Screening, ScreeningInput, check_input, deferral, evaluate,
};

/// The longest reason a correction takes.
pub const MAX_REASON: usize = 2_000;

/// A measurement of a screening that a correction may change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Measurement {
    TemperatureC,
    Systolic,
    Diastolic,
    Pulse,
    WeightKg,
    HeightCm,
    HemoglobinGDl,
    HematocritPct,
    PlateletCount,
}

impl Measurement {
    pub const ALL: &[Measurement] = &[
        Measurement::TemperatureC,
        Measurement::Systolic,
        Measurement::Diastolic,
        Measurement::Pulse,
        Measurement::WeightKg,
        Measurement::HeightCm,
        Measurement::HemoglobinGDl,
        Measurement::HematocritPct,
        Measurement::PlateletCount,
    ];

    /// The measurement in words, with its unit.
    pub fn label(self) -> &'static str {
        match self {
            Measurement::TemperatureC => "temperature (°C)",
            Measurement::Systolic => "systolic pressure (mmHg)",
            Measurement::Diastolic => "diastolic pressure (mmHg)",
            Measurement::Pulse => "pulse (/min)",
            Measurement::WeightKg => "weight (kg)",
            Measurement::HeightCm => "height (cm)",
            Measurement::HemoglobinGDl => "haemoglobin (g/dL)",
            Measurement::HematocritPct => "haematocrit (%)",
            Measurement::PlateletCount => "platelet count (x10³/µL)",
        }
    }

    /// The value as recorded, if the screening recorded one.
    pub fn read(self, input: &ScreeningInput) -> Option<f64> {
        match self {
            Measurement::TemperatureC => Some(input.temperature_c),
            Measurement::Systolic => Some(input.systolic.into()),
            Measurement::Diastolic => Some(input.diastolic.into()),
            Measurement::Pulse => Some(input.pulse.into()),
            Measurement::WeightKg => Some(input.weight_kg),
            Measurement::HeightCm => input.height_cm,
            Measurement::HemoglobinGDl => input.hemoglobin_g_dl,
            Measurement::HematocritPct => input.hematocrit_pct,
            Measurement::PlateletCount => input.platelet_count.map(f64::from),
        }
    }

    /// `input` with this measurement set to `value`; a whole-number measurement refuses a
    /// fraction or a value out of its range.
    fn write(self, input: &ScreeningInput, value: f64) -> Result<ScreeningInput, Refusal> {
        let max: Option<f64> = match self {
            Measurement::Systolic | Measurement::Diastolic | Measurement::Pulse => {
                Some(u16::MAX.into())
            }
            Measurement::PlateletCount => Some(u32::MAX.into()),
            _ => None,
        };
        if let Some(max) = max
            && (value.fract() != 0.0 || !(0.0..=max).contains(&value))
        {
            return refuse(
                Rule::CorrEntry,
                format!(
                    "the {} is a whole number from 0 to {max}, not {value}",
                    self.label()
                ),
            );
        }
        let mut input = input.clone();
        self.set(&mut input, value);
        Ok(input)
    }

    /// Sets the measurement (a whole-number one already checked by `write`).
    pub(crate) fn set(self, input: &mut ScreeningInput, value: f64) {
        match self {
            Measurement::TemperatureC => input.temperature_c = value,
            Measurement::Systolic => input.systolic = value as u16,
            Measurement::Diastolic => input.diastolic = value as u16,
            Measurement::Pulse => input.pulse = value as u16,
            Measurement::WeightKg => input.weight_kg = value,
            Measurement::HeightCm => input.height_cm = Some(value),
            Measurement::HemoglobinGDl => input.hemoglobin_g_dl = Some(value),
            Measurement::HematocritPct => input.hematocrit_pct = Some(value),
            Measurement::PlateletCount => input.platelet_count = Some(value as u32),
        }
    }
}

/// One correction of a screening, kept on the screening beside the value it replaced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScreeningCorrection {
    pub screening_id: String,
    pub measurement: Measurement,
    /// The value as it stood before this correction (none if it was not measured).
    #[serde(with = "crate::kernel::decimal::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = "decimal"))]
    pub was: Option<f64>,
    #[serde(with = "crate::kernel::decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "decimal"))]
    pub now: f64,
    pub reason: String,
    /// The screening's findings before this correction and on the corrected values.
    pub findings_before: Vec<Finding>,
    pub findings: Vec<Finding>,
    pub accepted: bool,
    /// The deferrals this correction placed (those it withdrew have their own events).
    pub deferrals: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
}

/// CORR-ENTRY, CORR-REDECIDE: correct one measurement of a screening and decide again what it
/// decided.
pub(crate) fn correct_screening(
    state: &State,
    screening_id: &str,
    measurement: Measurement,
    value: f64,
    reason: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let Some(screening) = state.screenings.get(screening_id) else {
        return refuse(Rule::NotFound, format!("no screening {screening_id}"));
    };
    check_reason(reason)?;
    let was = measurement.read(&screening.input);
    if was == Some(value) {
        return refuse(
            Rule::CorrEntry,
            format!(
                "the {} of {screening_id} is already {value}; nothing to correct",
                measurement.label()
            ),
        );
    }
    let input = measurement.write(&screening.input, value)?;
    check_input(&input)?;
    let Some(donor) = state.donors.get(&screening.donor_id) else {
        return refuse(
            Rule::NotFound,
            format!("no donor {} for {screening_id}", screening.donor_id),
        );
    };
    let day = screening.at.date();
    let mut findings = evaluate(&state.config, donor, screening.procedure, &input, day);
    let questionnaire = screening
        .findings
        .iter()
        .filter(|f| f.rule == Rule::DefReasons.as_str())
        .cloned();
    let measured = findings.clone();
    findings.extend(questionnaire);
    let (deferral_events, placed) = redecide_deferrals(state, screening, &measured, ctx)?;
    let correction = ScreeningCorrection {
        screening_id: screening_id.to_owned(),
        measurement,
        was,
        now: value,
        reason: reason.trim().to_owned(),
        accepted: findings.is_empty(),
        findings_before: screening.findings.clone(),
        findings,
        deferrals: placed,
        at: ctx.now,
        by: ctx.actor.clone(),
    };
    let mut events = vec![Event::DonorCentre(DonorCentreEvent::ScreeningCorrected {
        correction: Box::new(correction),
    })];
    events.extend(deferral_events);
    Ok(events)
}

fn check_reason(reason: &str) -> Result<(), Refusal> {
    required_text(
        Rule::CorrEntry,
        "reason of the correction",
        reason,
        MAX_REASON,
    )
}

/// The deferral reason a finding gives, as the screening's own decision chose it.
fn reason_of<'a>(state: &'a State, finding: &Finding) -> &'a str {
    state
        .config
        .screening
        .deferral_for_rule
        .get(&finding.rule)
        .map_or("other", String::as_str)
}

/// The deferrals the screening's measurements placed: those of its own decision (the donor's
/// deferrals of the same instant and screener naming a finding's rule as their source, the
/// questionnaire's aside) and those its earlier corrections placed.
fn deferrals_of<'a>(state: &'a State, screening: &Screening) -> Vec<&'a Deferral> {
    let first = screening.corrections.first();
    let original = first.map_or(&screening.findings, |c| &c.findings_before);
    let mut placed: Vec<&Deferral> = state
        .index
        .deferrals_of(&screening.donor_id)
        .filter_map(|id| state.deferrals.get(id))
        .filter(|d| d.at == screening.at && d.by == screening.by)
        .filter(|d| d.source != Rule::DefReasons.as_str() && d.source != "questionnaire")
        .filter(|d| original.iter().any(|f| f.rule == d.source))
        .collect();
    let later = screening.corrections.iter().flat_map(|c| &c.deferrals);
    placed.extend(later.filter_map(|id| state.deferrals.get(id)));
    placed
}

/// CORR-REDECIDE: withdraw what the corrected values no longer call for and place what they
/// now call for, from the screening's day.
fn redecide_deferrals(
    state: &State,
    screening: &Screening,
    measured: &[Finding],
    ctx: &Context,
) -> Result<(Vec<Event>, Vec<String>), Refusal> {
    let placed = deferrals_of(state, screening);
    let mut events = Vec::new();
    for d in &placed {
        let still = measured.iter().any(|f| reason_of(state, f) == d.reason);
        if !still && d.withdrawn.is_none() {
            events.push(Event::DonorCentre(DonorCentreEvent::DeferralWithdrawn {
                deferral_id: d.id.clone(),
                reason: format!(
                    "CORR-REDECIDE: screening {} corrected; its values no longer call for this deferral",
                    screening.id
                ),
                at: ctx.now,
                by: ctx.actor.clone(),
            }));
        }
    }
    let mut ids = DeferralIds::new(state);
    let mut reasons: Vec<&str> = Vec::new();
    let mut placed_now = Vec::new();
    for f in measured {
        let reason = reason_of(state, f);
        let active = placed
            .iter()
            .any(|d| d.reason == reason && d.withdrawn.is_none());
        if active || reasons.contains(&reason) {
            continue;
        }
        reasons.push(reason);
        let d = deferral(
            &state.config,
            &mut ids,
            &screening.donor_id,
            reason,
            screening.at.date(),
            &f.rule,
            &format!("{} (corrected screening {})", f.message, screening.id),
            ctx,
        )?;
        placed_now.push(d.id.clone());
        events.push(Event::DonorCentre(DonorCentreEvent::DonorDeferred {
            deferral: d,
        }));
    }
    Ok((events, placed_now))
}

/// The donation collected on `screening_id`, if any.
pub fn donation_of_screening<'a>(
    state: &'a State,
    screening: &Screening,
) -> Option<&'a super::Donation> {
    state
        .donors
        .get(&screening.donor_id)?
        .donations
        .iter()
        .filter_map(|din| state.donations.get(din))
        .find(|d| d.screening_id == screening.id)
}
