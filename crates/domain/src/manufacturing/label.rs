//! The final label of a unit: what it must carry (built from the record with
//! `hemaflow-isbt128`), when a unit may have one (LABEL-FINAL), and the check of an applied
//! label (LABEL-VERIFY).
//!
//! The label is built here from the record, never from what an operator types: the DIN with
//! flags `00` (the base label's DIN carries no container or check flag), the confirmed ABO/RhD
//! (structure 002, intended use not specified, no phenotype information), the product code
//! (003), and the expiry date and time (005) in the facility's local time (ISBT 128 dates are
//! local; [`LabelRules::utc_offset_minutes`]), truncated to the minute so that the label never
//! says later than the record. The domain records no special testing, so a label carrying a
//! special-testing barcode does not match.

use crate::ManufacturingEvent;
use hemaflow_isbt128::{DataStructure, Kind, parse_as, verify_scans};
use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, UtcOffset};

use crate::Context;
use crate::command::Event;
use crate::config::Config;
use crate::kernel::refusal::{Refusal, Rule, refuse};
use crate::kernel::{Abo, RhD};
use crate::manufacturing::components::{self, Component, Status};
use crate::release::{confirmed_group, release_blockers_before_label};
use crate::state::State;

/// When a site prints the final label of a unit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FinalLabelAt {
    /// Once the ABO/RhD is confirmed, while the unit may still wait in quarantine for its
    /// tests (the usual US practice: label, then release when the results are in).
    #[default]
    Typing,
    /// Only when every other release check has passed: labelling is the last step of release.
    Release,
}

/// The site's labelling settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LabelRules {
    /// LABEL-FINAL: when the final label may be printed.
    pub final_label_at: FinalLabelAt,
    /// The facility's offset from UTC, in minutes: the expiry printed on the label is local
    /// time (ST-001 dates carry no zone). A fixed offset: a site that changes clocks for
    /// summer time reconfigures it.
    pub utc_offset_minutes: i32,
}

impl LabelRules {
    /// CONFIG-VALID: an offset within the ±18 h that any time zone stays inside.
    pub fn offset(&self) -> Result<UtcOffset, Refusal> {
        self.utc_offset_minutes
            .checked_mul(60)
            .and_then(|seconds| UtcOffset::from_whole_seconds(seconds).ok())
            .ok_or_else(|| {
                Refusal::new(
                    Rule::ConfigValid,
                    format!(
                        "the label UTC offset {} min is not between -18 h and +18 h",
                        self.utc_offset_minutes
                    ),
                )
            })
    }
}

/// What the final label of a unit carries, each structure as a scanner reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FinalLabel {
    pub component: String,
    pub din: String,
    pub blood_group: String,
    pub product: String,
    pub expiry: String,
    /// From the site's catalogue (or the public ISBT 128 descriptions for a code it lacks).
    pub description: String,
    pub storage: Option<String>,
}

impl FinalLabel {
    /// The scans in reading order.
    pub fn scans(&self) -> [&str; 4] {
        [&self.din, &self.blood_group, &self.product, &self.expiry]
    }
}

/// The description printed for a product code on record: the site's catalogue first (its
/// local `D` codes and any licensed codes it configured), then the publicly sourced ISBT 128
/// descriptions shipped with the codec.
pub fn product_description(config: &Config, product_code: &str) -> Option<String> {
    let description_code = product_code.get(..5)?;
    config
        .catalogue
        .get(description_code)
        .map(|kind| kind.name.clone())
        .or_else(|| hemaflow_isbt128::product::description(description_code).map(str::to_owned))
}

/// LABEL-FINAL: whether `id` may get its final label at `now`, and what it carries. Refused
/// for a unit that is unsafe, discarded, expired, processed or shipped, whose ABO/RhD is not
/// confirmed, or (where the site labels at release) that has not passed every other release
/// check.
pub fn final_label(state: &State, id: &str, now: OffsetDateTime) -> Result<FinalLabel, Refusal> {
    let component = components::find(state, id)?;
    final_label_allowed(state, component, now)?;
    let structures = expected_structures(state, component)?;
    let scans: Vec<String> = structures.iter().map(DataStructure::encode).collect();
    let [din, blood_group, product, expiry] = <[String; 4]>::try_from(scans)
        .map_err(|_| Refusal::new(Rule::LabelFinal, "a base label carries four structures"))?;
    Ok(FinalLabel {
        component: id.to_owned(),
        din,
        blood_group,
        product,
        expiry,
        description: product_description(&state.config, &component.product_code)
            .unwrap_or_else(|| component.name.clone()),
        storage: state
            .config
            .catalogue
            .get(&component.description_code)
            .map(|kind| kind.storage.clone()),
    })
}

fn final_label_allowed(
    state: &State,
    component: &Component,
    now: OffsetDateTime,
) -> Result<(), Refusal> {
    let id = &component.id;
    match component.status {
        Status::Quarantined | Status::Available => {}
        Status::Unsafe => {
            return refuse(
                Rule::RelUnsafe,
                format!(
                    "{id} is unsafe ({}); it gets no final label",
                    component.status_reason.clone().unwrap_or_default()
                ),
            );
        }
        status => {
            return refuse(
                Rule::LabelFinal,
                format!("{id} is {}; it gets no final label", status.as_str()),
            );
        }
    }
    if component.expires_at <= now {
        return refuse(
            Rule::RelExpire,
            format!(
                "{id} expired at {}; it gets no final label",
                component.expires_at
            ),
        );
    }
    let blockers = release_blockers_before_label(state, component, now);
    if let Some(unsafe_) = blockers.iter().find(|b| b.rule == Rule::RelUnsafe) {
        return Err(Refusal::new(
            Rule::RelUnsafe,
            format!("{id} gets no final label: {}", unsafe_.message),
        ));
    }
    if confirmed_group(state, component).is_none() {
        return refuse(
            Rule::TestAboTwice,
            format!("the ABO/RhD of {id} is not confirmed; label after typing"),
        );
    }
    if state.config.labels.final_label_at == FinalLabelAt::Release && !blockers.is_empty() {
        let words: Vec<String> = blockers.iter().map(Refusal::to_string).collect();
        return refuse(
            Rule::LabelFinal,
            format!(
                "this site labels at release and {id} is not ready: {}",
                words.join("; ")
            ),
        );
    }
    Ok(())
}

/// The structures the final label of `component` must carry, built from the record.
pub fn expected_structures(
    state: &State,
    component: &Component,
) -> Result<Vec<DataStructure>, Refusal> {
    let Some((abo, rhd)) = confirmed_group(state, component) else {
        return refuse(
            Rule::TestAboTwice,
            format!(
                "the ABO/RhD of {} is not confirmed; label after typing",
                component.id
            ),
        );
    };
    let offset = state.config.labels.offset()?;
    let scans = [
        (
            format!("={}00", component.din),
            Kind::DonationIdentificationNumber,
        ),
        (format!("=%{}00", group_code(abo, rhd)), Kind::BloodGroups),
        (format!("=<{}", component.product_code), Kind::ProductCode),
        (
            expiry_scan(component.expires_at.to_offset(offset))?,
            Kind::ExpirationDateAndTime,
        ),
    ];
    scans
        .iter()
        .map(|(scan, kind)| {
            parse_as(scan, &[*kind]).map_err(|error| {
                Refusal::new(
                    Rule::LabelFinal,
                    format!(
                        "the record of {} makes no valid label ({scan}: {error})",
                        component.id
                    ),
                )
            })
        })
        .collect()
}

/// Structure 002's group code for a group, the "intended use not specified" column of ST-001
/// Table 4.
fn group_code(abo: Abo, rhd: RhD) -> &'static str {
    match (abo, rhd) {
        (Abo::O, RhD::Negative) => "95",
        (Abo::O, RhD::Positive) => "51",
        (Abo::A, RhD::Negative) => "06",
        (Abo::A, RhD::Positive) => "62",
        (Abo::B, RhD::Negative) => "17",
        (Abo::B, RhD::Positive) => "73",
        (Abo::AB, RhD::Negative) => "28",
        (Abo::AB, RhD::Positive) => "84",
    }
}

/// Structure 005 `&>cyyjjjhhmm` for a local instant, truncated to the minute.
fn expiry_scan(local: OffsetDateTime) -> Result<String, Refusal> {
    let years = local.year() - 2000;
    if !(0..=999).contains(&years) {
        return refuse(
            Rule::LabelFinal,
            format!("the expiry {local} is outside the years ISBT 128 dates can carry"),
        );
    }
    Ok(format!(
        "&>{years:03}{:03}{:02}{:02}",
        local.ordinal(),
        local.hour(),
        local.minute()
    ))
}

/// LABEL-VERIFY: the operator scanned every barcode of the label applied to `id` (or its Data
/// Matrix once). Accepted only when every structure equals the one built from the record;
/// any mismatch (a wrong character, another unit's label, a missing or extra structure, a
/// keyed-in DIN) is refused, and the refusal is recorded like every refusal. The unit cannot
/// be released until an exact match is recorded (REL-GATE), and the match is tied to the
/// record: if the record changes what the label must say (a new expiry, a resolved group) the
/// release gate asks for a new label.
pub(crate) fn verify(
    state: &State,
    id: &str,
    scans: &[String],
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let component = components::find(state, id)?;
    final_label_allowed(state, component, ctx.now)?;
    let expected = expected_structures(state, component)?;
    if let Err(mismatch) = verify_scans(&expected, scans) {
        return refuse(
            Rule::LabelVerify,
            format!(
                "the label on {id} does not match the record: {mismatch}; relabel and scan again \
                 (the unit cannot be released until a correct label is verified)"
            ),
        );
    }
    Ok(vec![Event::Manufacturing(
        ManufacturingEvent::LabelVerified {
            id: id.to_owned(),
            at: ctx.now,
            by: ctx.actor.clone(),
            structures: expected.iter().map(DataStructure::encode).collect(),
        },
    )])
}

/// REL-GATE: why the label of `component` does not allow release, if it does not.
pub(crate) fn label_blocker(state: &State, component: &Component) -> Option<Refusal> {
    if !component.label_verified {
        return Some(Refusal::new(
            Rule::RelGate,
            "the final label has not been scanned and verified",
        ));
    }
    let expected: Vec<String> = expected_structures(state, component)
        .ok()?
        .iter()
        .map(DataStructure::encode)
        .collect();
    (expected != component.verified_label).then(|| {
        Refusal::new(
            Rule::LabelVerify,
            format!(
                "the verified label ({}) no longer matches the record ({}); relabel and verify",
                component.verified_label.join(" "),
                expected.join(" ")
            ),
        )
    })
}
