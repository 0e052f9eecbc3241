//! Eligibility: the screening record decided against 21 CFR 630.10 (ELIG-*), donation
//! intervals (INT-*), deferrals (DEF-*) and the deferral look-up (ELIG-DEFERRED).

use super::correction::ScreeningCorrection;
use crate::DonorCentreEvent;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};

use crate::Context;
use crate::command::Event;
use crate::config::{Config, IntervalRules};
use crate::donor_centre::donor::{self, Donor, Sex};
use crate::kernel::Period;
use crate::kernel::refusal::{Refusal, Rule, refuse};
use crate::state::State;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Procedure {
    WholeBlood,
    DoubleRedCells,
    Plateletpheresis,
    /// Infrequent plasmapheresis (transfusable plasma).
    Plasmapheresis,
    /// Frequent plasmapheresis (Source Plasma).
    SourcePlasma,
}

impl Procedure {
    pub fn collects_red_cells(self) -> bool {
        matches!(self, Procedure::WholeBlood | Procedure::DoubleRedCells)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Procedure::WholeBlood => "whole blood",
            Procedure::DoubleRedCells => "double red cells",
            Procedure::Plateletpheresis => "plateletpheresis",
            Procedure::Plasmapheresis => "plasmapheresis",
            Procedure::SourcePlasma => "source plasma",
        }
    }
}

/// DEF-KINDS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeferralKind {
    /// Ends on a date; the donor is eligible again from then without action.
    Temporary,
    /// No end date; the donor may be requalified by QA.
    Indefinite,
    /// Never eligible again.
    Permanent,
}

impl DeferralKind {
    /// The kind in words, for messages and pages.
    pub fn describe(self) -> &'static str {
        match self {
            DeferralKind::Temporary => "temporary",
            DeferralKind::Indefinite => "indefinite",
            DeferralKind::Permanent => "permanent",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Requalification {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deferral {
    pub id: String,
    pub donor_id: String,
    pub reason: String,
    pub description: String,
    pub kind: DeferralKind,
    pub starts: Date,
    /// First day the donor is eligible again (temporary deferrals only).
    pub ends: Option<Date>,
    /// The rule or record that deferred: a rule ID, "questionnaire" or "manual".
    pub source: String,
    pub notes: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
    pub requalified: Option<Requalification>,
    /// CORR-REDECIDE: withdrawn because a correction removed what placed it; never current
    /// again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<Box<Requalification>>,
}

impl Deferral {
    /// DEF-KINDS: whether the deferral stops a donation on `day`.
    pub fn is_current(&self, day: Date) -> bool {
        if day < self.starts || self.withdrawn.is_some() {
            return false;
        }
        match self.kind {
            DeferralKind::Temporary => self.ends.is_none_or(|end| day < end),
            DeferralKind::Indefinite => self.requalified.is_none(),
            DeferralKind::Permanent => true,
        }
    }
}

/// ELIG-DEFERRED: the donor's deferrals in force on `day` (the deferred-donor look-up).
pub fn current_deferrals<'a>(state: &'a State, donor_id: &str, day: Date) -> Vec<&'a Deferral> {
    state
        .index
        .deferrals_of(donor_id)
        .filter_map(|id| state.deferrals.get(id))
        .filter(|d| d.donor_id == donor_id && d.is_current(day))
        .collect()
}

/// ELIG-DEFERRED: refuse anything towards a collection from a deferred donor.
pub(crate) fn check_not_deferred(state: &State, donor_id: &str, day: Date) -> Result<(), Refusal> {
    let current = current_deferrals(state, donor_id, day);
    let Some(first) = current.first() else {
        return Ok(());
    };
    let until = match (first.kind, first.ends) {
        (DeferralKind::Temporary, Some(end)) => format!("until {end}"),
        (DeferralKind::Permanent, _) => "permanently".to_owned(),
        _ => "indefinitely (QA may requalify)".to_owned(),
    };
    refuse(
        Rule::EligDeferred,
        format!(
            "donor {donor_id} is deferred {until}: {}; do not collect",
            first.description
        ),
    )
}

/// A questionnaire answer that points at a deferral reason, with the date of the event
/// (a tattoo, the end of a treatment, the return from travel).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuestionnaireFinding {
    pub reason: String,
    pub since: Option<Date>,
}

/// What the screener records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScreeningInput {
    pub answers: BTreeMap<String, String>,
    pub questionnaire: Vec<QuestionnaireFinding>,
    #[serde(with = "crate::kernel::decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "decimal"))]
    pub temperature_c: f64,
    pub systolic: u16,
    pub diastolic: u16,
    pub pulse: u16,
    pub pulse_regular: bool,
    #[serde(with = "crate::kernel::decimal")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "decimal"))]
    pub weight_kg: f64,
    #[serde(with = "crate::kernel::decimal::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = "decimal"))]
    pub height_cm: Option<f64>,
    #[serde(with = "crate::kernel::decimal::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = "decimal"))]
    pub hemoglobin_g_dl: Option<f64>,
    #[serde(with = "crate::kernel::decimal::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = "decimal"))]
    pub hematocrit_pct: Option<f64>,
    /// Pre-donation platelet count, x10^3/uL (plateletpheresis).
    pub platelet_count: Option<u32>,
    pub days_since_aspirin: Option<u32>,
    pub days_since_clopidogrel: Option<u32>,
    /// Rule IDs for which the responsible physician qualified the donor (ELIG-BP, ELIG-PULSE,
    /// ELIG-HB-F for 12.0-12.5 g/dL under a physician-approved procedure).
    pub physician_approvals: Vec<String>,
    /// ELIG-PULSE: a self-reported healthy athlete (pulse below 50 allowed by SOP).
    pub healthy_athlete: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Finding {
    pub rule: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Screening {
    pub id: String,
    pub donor_id: String,
    pub procedure: Procedure,
    pub input: ScreeningInput,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
    pub findings: Vec<Finding>,
    pub accepted: bool,
    /// CORR-ENTRY: every correction of this screening, oldest first, each with the value it
    /// replaced; `input` and `findings` hold the values as corrected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corrections: Vec<ScreeningCorrection>,
}

fn finding(rule: Rule, message: String) -> Finding {
    Finding {
        rule: rule.as_str().to_owned(),
        message,
    }
}

pub(crate) fn check_input(input: &ScreeningInput) -> Result<(), Refusal> {
    let numbers = [
        Some(input.temperature_c),
        Some(input.weight_kg),
        input.height_cm,
        input.hemoglobin_g_dl,
        input.hematocrit_pct,
    ];
    if numbers.iter().flatten().any(|n| !n.is_finite() || *n < 0.0) {
        return refuse(
            Rule::ScreenInput,
            "a measurement is not a number; measure again",
        );
    }
    if input.hemoglobin_g_dl.is_none() && input.hematocrit_pct.is_none() {
        return refuse(Rule::ScreenInput, "hemoglobin or hematocrit is required");
    }
    Ok(())
}

fn approved(input: &ScreeningInput, rule: Rule) -> bool {
    input.physician_approvals.iter().any(|r| r == rule.as_str())
}

/// ELIG-AGE.
fn check_age(config: &Config, donor: &Donor, today: Date, out: &mut Vec<Finding>) {
    let age = donor::age_on(donor.identity.date_of_birth, today);
    let minimum = if donor.identity.parental_consent {
        config.donor.minimum_age_with_consent
    } else {
        config.donor.minimum_age
    };
    if age < i32::from(minimum) {
        out.push(finding(
            Rule::EligAge,
            format!("age {age} is below the minimum of {minimum}"),
        ));
    }
    if let Some(maximum) = config.donor.maximum_age
        && age > i32::from(maximum)
    {
        out.push(finding(
            Rule::EligAge,
            format!("age {age} is above the maximum of {maximum}"),
        ));
    }
}

/// ELIG-TEMP, ELIG-BP, ELIG-PULSE, ELIG-WEIGHT.
fn check_vitals(
    config: &Config,
    procedure: Procedure,
    input: &ScreeningInput,
    out: &mut Vec<Finding>,
) {
    let rules = &config.screening;
    if input.temperature_c > rules.max_temperature_c {
        out.push(finding(
            Rule::EligTemp,
            format!(
                "temperature {} C is above {} C",
                input.temperature_c, rules.max_temperature_c
            ),
        ));
    }
    let (s_low, s_high) = rules.systolic;
    let (d_low, d_high) = rules.diastolic;
    let bp_out =
        !(s_low..=s_high).contains(&input.systolic) || !(d_low..=d_high).contains(&input.diastolic);
    if bp_out && !approved(input, Rule::EligBp) {
        out.push(finding(
            Rule::EligBp,
            format!("blood pressure {}/{} is outside {s_low}-{s_high}/{d_low}-{d_high} mmHg and no physician qualified the donor", input.systolic, input.diastolic),
        ));
    }
    let (p_low, p_high) = rules.pulse;
    let athlete_ok = input.healthy_athlete && input.pulse < p_low;
    let pulse_out = !(p_low..=p_high).contains(&input.pulse) || !input.pulse_regular;
    if pulse_out && !athlete_ok && !approved(input, Rule::EligPulse) {
        out.push(finding(
            Rule::EligPulse,
            format!("pulse {} ({}) is outside {p_low}-{p_high} or irregular and no physician qualified the donor", input.pulse, if input.pulse_regular { "regular" } else { "irregular" }),
        ));
    }
    if procedure == Procedure::WholeBlood && input.weight_kg < rules.whole_blood_min_weight_kg {
        out.push(finding(
            Rule::EligWeight,
            format!(
                "weight {} kg is below {} kg (110 lb)",
                input.weight_kg, rules.whole_blood_min_weight_kg
            ),
        ));
    }
}

/// ELIG-HB-F, ELIG-HB-M, ELIG-HB-HIGH.
fn check_hemoglobin(config: &Config, sex: Sex, input: &ScreeningInput, out: &mut Vec<Finding>) {
    let rules = &config.screening;
    let hb = input.hemoglobin_g_dl;
    let hct = input.hematocrit_pct;
    if hb.is_some_and(|v| v > rules.max_hb) || hct.is_some_and(|v| v > rules.max_hct) {
        out.push(finding(
            Rule::EligHbHigh,
            format!(
                "hemoglobin/hematocrit above {} g/dL / {} %",
                rules.max_hb, rules.max_hct
            ),
        ));
        return;
    }
    let (rule, min_hb, min_hct) = match sex {
        Sex::Female => (Rule::EligHbF, rules.female_min_hb, rules.female_min_hct),
        Sex::Male => (Rule::EligHbM, rules.male_min_hb, rules.male_min_hct),
    };
    let meets = |min_hb: f64, min_hct: f64| {
        hb.is_some_and(|v| v >= min_hb) || hct.is_some_and(|v| v >= min_hct)
    };
    if meets(min_hb, min_hct) {
        return;
    }
    let physician_band = sex == Sex::Female
        && approved(input, Rule::EligHbF)
        && meets(
            rules.female_physician_min_hb,
            rules.female_physician_min_hct,
        );
    if !physician_band {
        out.push(finding(
            rule,
            format!(
                "{} is below {min_hb} g/dL haemoglobin or {min_hct} % haematocrit",
                measured_red_cells(hb, hct)
            ),
        ));
    }
}

/// What was measured of haemoglobin and haematocrit, in words ("haemoglobin 12.4 g/dL").
fn measured_red_cells(hb: Option<f64>, hct: Option<f64>) -> String {
    match (hb, hct) {
        (Some(hb), Some(hct)) => format!("haemoglobin {hb} g/dL, haematocrit {hct} %"),
        (Some(hb), None) => format!("haemoglobin {hb} g/dL"),
        (None, Some(hct)) => format!("haematocrit {hct} %"),
        (None, None) => "no haemoglobin or haematocrit".to_owned(),
    }
}

/// ELIG-2RBC and ELIG-PLT.
fn check_procedure(
    config: &Config,
    sex: Sex,
    procedure: Procedure,
    input: &ScreeningInput,
    out: &mut Vec<Finding>,
) {
    let rules = &config.screening;
    match procedure {
        Procedure::DoubleRedCells => {
            let red_ok = match (input.hematocrit_pct, input.hemoglobin_g_dl) {
                (Some(hct), _) => hct >= rules.double_red_min_hct,
                (None, Some(hb)) => hb >= rules.double_red_min_hb,
                (None, None) => false,
            };
            if !red_ok {
                out.push(finding(
                    Rule::Elig2Rbc,
                    format!(
                        "double red cells need hematocrit >= {} % (hemoglobin >= {} g/dL)",
                        rules.double_red_min_hct, rules.double_red_min_hb
                    ),
                ));
            }
            let (min_weight, min_height) = match sex {
                Sex::Male => (
                    rules.double_red_male_min_weight_kg,
                    rules.double_red_male_min_height_cm,
                ),
                Sex::Female => (
                    rules.double_red_female_min_weight_kg,
                    rules.double_red_female_min_height_cm,
                ),
            };
            if input.weight_kg < min_weight || input.height_cm.is_none_or(|h| h < min_height) {
                out.push(finding(
                    Rule::Elig2Rbc,
                    format!("double red cells need at least {min_weight} kg and {min_height} cm"),
                ));
            }
        }
        Procedure::Plateletpheresis => {
            if input
                .platelet_count
                .is_none_or(|c| c < rules.platelet_min_count)
            {
                out.push(finding(
                    Rule::EligPlt,
                    format!(
                        "platelet count {} is below {} x10^3/uL",
                        input
                            .platelet_count
                            .map_or("not measured".to_owned(), |c| c.to_string()),
                        rules.platelet_min_count
                    ),
                ));
            }
            if input
                .days_since_aspirin
                .is_some_and(|d| d < rules.aspirin_free_days)
            {
                out.push(finding(
                    Rule::EligPlt,
                    format!("aspirin within {} days", rules.aspirin_free_days),
                ));
            }
            if input
                .days_since_clopidogrel
                .is_some_and(|d| d < rules.clopidogrel_free_days)
            {
                out.push(finding(
                    Rule::EligPlt,
                    format!("clopidogrel within {} days", rules.clopidogrel_free_days),
                ));
            }
        }
        _ => {}
    }
}

/// Every ELIG-* rule against one screening record.
pub fn evaluate(
    config: &Config,
    donor: &Donor,
    procedure: Procedure,
    input: &ScreeningInput,
    today: Date,
) -> Vec<Finding> {
    let mut out = Vec::new();
    check_age(config, donor, today, &mut out);
    check_vitals(config, procedure, input, &mut out);
    check_hemoglobin(config, donor.identity.sex, input, &mut out);
    check_procedure(config, donor.identity.sex, procedure, input, &mut out);
    out
}

/// Allocates ids for the records one decision creates.
pub(crate) struct DeferralIds {
    next: u64,
}

impl DeferralIds {
    pub(crate) fn new(state: &State) -> DeferralIds {
        DeferralIds {
            next: state.counters.deferrals + 1,
        }
    }
    fn take(&mut self) -> String {
        let id = format!("DF-{:06}", self.next);
        self.next += 1;
        id
    }
}

/// DEF-REASONS: a deferral for `reason` from `starts`, with the kind and period of the table;
/// a temporary one ends on the period's calendar end (3 months from 15 March: 15 June).
#[allow(clippy::too_many_arguments)]
pub(crate) fn deferral(
    config: &Config,
    ids: &mut DeferralIds,
    donor_id: &str,
    reason: &str,
    starts: Date,
    source: &str,
    notes: &str,
    ctx: &Context,
) -> Result<Deferral, Refusal> {
    let Some(entry) = config.deferral_reasons.get(reason) else {
        return refuse(
            Rule::DefReasons,
            format!("{reason:?} is not a configured deferral reason"),
        );
    };
    if starts > ctx.now.date() {
        return refuse(
            Rule::DefReasons,
            format!(
                "a deferral starts on the day of the event or the decision, not later ({starts})"
            ),
        );
    }
    let ends = entry.ends(starts)?;
    Ok(Deferral {
        id: ids.take(),
        donor_id: donor_id.to_owned(),
        reason: reason.to_owned(),
        description: entry.description.clone(),
        kind: entry.kind,
        starts,
        ends,
        source: source.to_owned(),
        notes: notes.to_owned(),
        at: ctx.now,
        by: ctx.actor.clone(),
        requalified: None,
        withdrawn: None,
    })
}

pub(crate) fn record_screening(
    state: &State,
    donor_id: &str,
    procedure: Procedure,
    input: &ScreeningInput,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let donor = donor::find(state, donor_id)?;
    let today = ctx.now.date();
    check_not_deferred(state, donor_id, today)?;
    check_intervals(state, donor, procedure, today)?;
    check_input(input)?;
    let config = &state.config;
    let findings = evaluate(config, donor, procedure, input, today);
    let mut ids = DeferralIds::new(state);
    let mut deferrals: Vec<Deferral> = Vec::new();
    for f in &findings {
        let reason = config
            .screening
            .deferral_for_rule
            .get(&f.rule)
            .map_or("other", String::as_str);
        if deferrals.iter().all(|d| d.reason != reason) {
            deferrals.push(deferral(
                config, &mut ids, donor_id, reason, today, &f.rule, &f.message, ctx,
            )?);
        }
    }
    let mut questionnaire_findings = Vec::new();
    for answer in &input.questionnaire {
        let starts = answer.since.unwrap_or(today);
        let d = deferral(
            config,
            &mut ids,
            donor_id,
            &answer.reason,
            starts,
            "questionnaire",
            "",
            ctx,
        )?;
        if d.is_current(today) {
            questionnaire_findings.push(finding(Rule::DefReasons, d.description.clone()));
            deferrals.push(d);
        }
    }
    let mut all_findings = findings;
    all_findings.extend(questionnaire_findings);
    let screening = Screening {
        id: format!("S-{:06}", state.counters.screenings + 1),
        donor_id: donor_id.to_owned(),
        procedure,
        input: input.clone(),
        at: ctx.now,
        by: ctx.actor.clone(),
        accepted: all_findings.is_empty(),
        findings: all_findings,
        corrections: Vec::new(),
    };
    let mut events = vec![Event::DonorCentre(DonorCentreEvent::ScreeningRecorded {
        screening: Box::new(screening),
    })];
    events.extend(
        deferrals
            .into_iter()
            .map(|deferral| Event::DonorCentre(DonorCentreEvent::DonorDeferred { deferral })),
    );
    Ok(events)
}

pub(crate) fn defer_donor(
    state: &State,
    donor_id: &str,
    reason: &str,
    starts: Option<Date>,
    notes: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    donor::find(state, donor_id)?;
    let mut ids = DeferralIds::new(state);
    let starts = starts.unwrap_or(ctx.now.date());
    let deferral = deferral(
        &state.config,
        &mut ids,
        donor_id,
        reason,
        starts,
        "manual",
        notes,
        ctx,
    )?;
    Ok(vec![Event::DonorCentre(DonorCentreEvent::DonorDeferred {
        deferral,
    })])
}

/// DEF-KINDS: only an indefinite deferral is ended by requalification; a temporary one ends by
/// itself and a permanent one never.
pub(crate) fn requalify(
    state: &State,
    deferral_id: &str,
    reason: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let Some(deferral) = state.deferrals.get(deferral_id) else {
        return refuse(Rule::NotFound, format!("no deferral {deferral_id}"));
    };
    if reason.trim().is_empty() {
        return refuse(Rule::DefKinds, "requalification needs a reason");
    }
    match deferral.kind {
        DeferralKind::Permanent => refuse(Rule::DefKinds, "a permanent deferral cannot be lifted"),
        DeferralKind::Temporary => refuse(
            Rule::DefKinds,
            "a temporary deferral ends by itself on its end date",
        ),
        DeferralKind::Indefinite if deferral.requalified.is_some() => {
            refuse(Rule::DefKinds, "this deferral was already lifted")
        }
        DeferralKind::Indefinite => Ok(vec![Event::DonorCentre(
            DonorCentreEvent::DonorRequalified {
                deferral_id: deferral_id.to_owned(),
                reason: reason.to_owned(),
                at: ctx.now,
                by: ctx.actor.clone(),
            },
        )]),
    }
}

/// INT-PLT: the rolling window of `platelet_max_per_12_months`: 12 calendar months, not 365
/// days. A donation counts while its 12 months from the donation day have not ended: on
/// 15 March 2027 the donations from 16 March 2026 count, and one of 15 March 2026 no longer.
const PLATELET_YEAR: Period = Period::months(12);

fn days_between(earlier: Date, later: Date) -> i64 {
    (later - earlier).whole_days()
}

/// INT-WB, INT-2RBC, INT-PLT, INT-PLASMA, INT-RBC-LOSS: refuse a procedure too soon after the
/// donor's earlier donations, naming the first day it is allowed.
pub fn check_intervals(
    state: &State,
    donor: &Donor,
    procedure: Procedure,
    today: Date,
) -> Result<(), Refusal> {
    let history = History {
        donations: donor
            .donations
            .iter()
            .filter_map(|din| state.donations.get(din))
            .map(|d| (d.procedure, d.ended_at.date(), d.red_cell_loss_ml))
            .collect(),
        procedure,
        today,
    };
    let rules = &state.config.intervals;
    for (previous, date, loss) in &history.donations {
        history.check_after(rules, *previous, *date, *loss)?;
    }
    history.check_frequency(rules)
}

/// A donor's earlier donations (procedure, date, red cells lost) as seen on the day of a
/// procedure about to be collected.
struct History {
    donations: Vec<(Procedure, Date, u32)>,
    procedure: Procedure,
    today: Date,
}

impl History {
    /// Refused by `rule` unless `days` have passed since `last`.
    fn wait(&self, rule: Rule, last: Date, days: u32, what: &str) -> Result<(), Refusal> {
        if days_between(last, self.today) < i64::from(days) {
            let next = last + Duration::days(i64::from(days));
            return refuse(
                rule,
                format!(
                    "{what} on {last}: {} is allowed from {next}",
                    self.procedure.as_str()
                ),
            );
        }
        Ok(())
    }

    /// How many donations of `kinds` fall within the last `days`.
    fn count_within(&self, kinds: &[Procedure], days: u32) -> usize {
        self.donations
            .iter()
            .filter(|(p, date, _)| {
                kinds.contains(p) && days_between(*date, self.today) < i64::from(days)
            })
            .count()
    }

    /// How many donations of `kinds` fall within the last `period`: those whose `period` from
    /// the donation day has not ended by today (a period that ends off the calendar has not).
    fn count_within_period(&self, kinds: &[Procedure], period: Period) -> usize {
        self.donations
            .iter()
            .filter(|(p, date, _)| {
                kinds.contains(p) && period.end(*date).is_none_or(|end| self.today < end)
            })
            .count()
    }

    /// The interval owed to one earlier donation.
    fn check_after(
        &self,
        rules: &IntervalRules,
        previous: Procedure,
        date: Date,
        loss: u32,
    ) -> Result<(), Refusal> {
        if self.procedure.collects_red_cells() {
            match previous {
                Procedure::WholeBlood => self.wait(
                    Rule::IntWb,
                    date,
                    rules.after_whole_blood_days,
                    "whole blood donated",
                )?,
                Procedure::DoubleRedCells => self.wait(
                    Rule::Int2Rbc,
                    date,
                    rules.after_double_red_days,
                    "double red cells donated",
                )?,
                _ if loss > rules.red_cell_loss_limit_ml => self.wait(
                    Rule::IntRbcLoss,
                    date,
                    rules.after_red_cell_loss_days,
                    "red cells lost in apheresis",
                )?,
                _ => {}
            }
        } else {
            let rule = if self.procedure == Procedure::Plateletpheresis {
                Rule::IntPlt
            } else {
                Rule::IntPlasma
            };
            self.wait(rule, date, rules.apheresis_after_any_days, "a donation")?;
        }
        let plasma = matches!(
            previous,
            Procedure::Plasmapheresis | Procedure::SourcePlasma
        );
        if self.procedure == Procedure::Plasmapheresis && plasma {
            self.wait(
                Rule::IntPlasma,
                date,
                rules.plasma_infrequent_days,
                "plasma donated",
            )?;
        }
        if self.procedure == Procedure::SourcePlasma && plasma {
            self.wait(
                Rule::IntPlasma,
                date,
                rules.plasma_frequent_min_days,
                "plasma donated",
            )?;
        }
        Ok(())
    }

    /// INT-PLT and INT-PLASMA: how often plateletpheresis and source plasma may be given.
    fn check_frequency(&self, rules: &IntervalRules) -> Result<(), Refusal> {
        if self.procedure == Procedure::Plateletpheresis {
            let week = self.count_within(&[Procedure::Plateletpheresis], 7);
            if week >= rules.platelet_max_per_7_days as usize {
                return refuse(
                    Rule::IntPlt,
                    format!(
                        "{week} plateletpheresis donations in the last 7 days (limit {})",
                        rules.platelet_max_per_7_days
                    ),
                );
            }
            let year = self.count_within_period(&[Procedure::Plateletpheresis], PLATELET_YEAR);
            if year >= rules.platelet_max_per_12_months as usize {
                return refuse(
                    Rule::IntPlt,
                    format!(
                        "{year} plateletpheresis donations in the last 12 months (limit {})",
                        rules.platelet_max_per_12_months
                    ),
                );
            }
        }
        if self.procedure == Procedure::SourcePlasma {
            let plasma = [Procedure::Plasmapheresis, Procedure::SourcePlasma];
            let week = self.count_within(&plasma, 7);
            if week >= rules.plasma_frequent_max_per_7_days as usize {
                return refuse(
                    Rule::IntPlasma,
                    format!(
                        "{week} plasma donations in the last 7 days (limit {})",
                        rules.plasma_frequent_max_per_7_days
                    ),
                );
            }
        }
        Ok(())
    }
}
