//! Collection: a donation gets its DIN (never twice), procedure, container and lot, times,
//! volume (COMP-WEIGHT), phlebotomist and adverse reactions; the panel is ordered with it
//! (TEST-PANEL, TEST-ONCE, TEST-REGIONAL).

use crate::{DonorCentreCommand, DonorCentreEvent};
use std::collections::BTreeMap;

use hemaflow_isbt128::Din;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::Context;
use crate::command::Event;
use crate::config::Config;
use crate::donor_centre::donor::{self};
use crate::donor_centre::eligibility::{self, Procedure};
use crate::kernel::refusal::{Refusal, Rule, refuse};
use crate::kernel::{Abo, RhD};
use crate::lab::{MarkerStatus, ResultCorrection};
use crate::state::State;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Container {
    pub catalogue_number: String,
    pub lot: String,
}

/// COMP-WEIGHT: how the collected volume limits what the donation can become.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VolumeStatus {
    Full,
    /// Low volume: plasma-containing components are discarded.
    Low,
    /// Outside the container's range: nothing can be made.
    Unusable,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = DonationDetermination))]
pub struct Determination {
    pub abo: Abo,
    pub rhd: RhD,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Donation {
    pub din: String,
    pub donor_id: String,
    pub procedure: Procedure,
    pub screening_id: String,
    pub container: Container,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ended_at: OffsetDateTime,
    pub volume_ml: u32,
    pub red_cell_loss_ml: u32,
    pub volume_status: VolumeStatus,
    pub phlebotomist: String,
    pub adverse_reactions: Vec<String>,
    pub collection_state: String,
    pub collected_by: String,
    /// The ordered markers and where each stands.
    pub tests: BTreeMap<String, MarkerStatus>,
    pub determinations: Vec<Determination>,
    pub resolved_group: Option<(Abo, RhD)>,
    pub antibody_screen: Option<bool>,
    /// Why the donation is unsuitable (630.30), if it is.
    pub unsuitable: Option<String>,
    pub components: Vec<String>,
    pub produced: bool,
    /// CORR-ENTRY: corrections of this donation's results, oldest first, each with the
    /// status it replaced; `tests` holds the statuses as corrected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corrections: Vec<ResultCorrection>,
}

/// The next DIN of this site in `year` (two digits) after the DINs already used: facility
/// identification number, year and a six-digit sequence. Used by demos and the simulation;
/// benches scan pre-printed DIN labels.
pub fn next_din(state: &State, year: u8) -> Option<Din> {
    let prefix = format!("{}{year:02}", state.config.facility);
    let used = state
        .donations
        .keys()
        .chain(state.components.values().map(|c| &c.din))
        .filter(|din| din.starts_with(&prefix))
        .filter_map(|din| din[prefix.len()..].parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    Din::parse(&format!("{prefix}{:06}", used + 1)).ok()
}

/// COLL-DIN: a DIN is valid ISBT 128, belongs to one of this establishment's facilities and
/// was never used.
pub(crate) fn check_new_din(state: &State, din: &str) -> Result<Din, Refusal> {
    let parsed = Din::parse(din)
        .map_err(|e| Refusal::new(Rule::CollDin, format!("{din:?} is not a valid DIN: {e}")))?;
    if !state.config.collects_under(parsed.facility()) {
        let ours: Vec<&str> = state.config.facilities().collect();
        return refuse(
            Rule::CollDin,
            format!(
                "DIN {din} belongs to facility {}, not to this establishment ({})",
                parsed.facility(),
                ours.join(", ")
            ),
        );
    }
    if state.donations.contains_key(din) || din_has_components(state, din) {
        return refuse(
            Rule::CollDin,
            format!("DIN {din} is already used; take a new DIN label set"),
        );
    }
    Ok(parsed)
}

/// Whether any component carries `din` (a pool's DIN has components and no donation).
/// Component ids are `{DIN}-{product code}` (`components::component_id`), so the ids of a
/// DIN's components are one range of the ordered map: a look-up, not a scan of every unit.
fn din_has_components(state: &State, din: &str) -> bool {
    let prefix = format!("{din}-");
    state
        .components
        .range(prefix.clone()..)
        .take_while(|(id, _)| id.starts_with(&prefix))
        .any(|(_, c)| c.din == din)
}

/// COMP-WEIGHT: the volume class of a collection.
pub fn volume_status(config: &Config, procedure: Procedure, volume_ml: u32) -> VolumeStatus {
    if procedure != Procedure::WholeBlood {
        return VolumeStatus::Full;
    }
    let rules = &config.collection;
    if volume_ml < rules.whole_blood_low_min_ml || volume_ml > rules.whole_blood_max_ml {
        VolumeStatus::Unusable
    } else if volume_ml < rules.whole_blood_full_min_ml {
        VolumeStatus::Low
    } else {
        VolumeStatus::Full
    }
}

pub(crate) fn collect(
    state: &State,
    command: &DonorCentreCommand,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let DonorCentreCommand::CollectDonation {
        din,
        donor_id,
        screening_id,
        container,
        started_at,
        ended_at,
        volume_ml,
        red_cell_loss_ml,
        phlebotomist,
        adverse_reactions,
        collection_state,
    } = command
    else {
        return refuse(Rule::Internal, "not a collection");
    };
    let donor = donor::find(state, donor_id)?;
    let today = ctx.now.date();
    eligibility::check_not_deferred(state, donor_id, today)?;
    let Some(screening) = state.screenings.get(screening_id) else {
        return refuse(
            Rule::CollScreened,
            format!("no screening {screening_id}; screen the donor first"),
        );
    };
    if screening.donor_id != *donor_id || screening.at.date() != today || !screening.accepted {
        return refuse(
            Rule::CollScreened,
            format!(
                "screening {screening_id} is not today's accepted screening of donor {donor_id}"
            ),
        );
    }
    if state.index.screening_used(screening_id) {
        return refuse(
            Rule::CollScreened,
            format!("screening {screening_id} was already used for a collection"),
        );
    }
    let procedure = screening.procedure;
    eligibility::check_intervals(state, donor, procedure, today)?;
    check_new_din(state, din)?;
    if started_at > ended_at || *ended_at > ctx.now {
        return refuse(
            Rule::CollTimes,
            "the collection must end after it starts and not in the future",
        );
    }
    if phlebotomist.trim().is_empty()
        || container.lot.trim().is_empty()
        || container.catalogue_number.trim().is_empty()
    {
        return refuse(
            Rule::CollRecord,
            "phlebotomist, container catalogue number and lot are required (606.160(b))",
        );
    }
    if collection_state.len() != 2 || !collection_state.chars().all(|c| c.is_ascii_uppercase()) {
        return refuse(
            Rule::CollRecord,
            format!("{collection_state:?} is not a two-letter state code"),
        );
    }
    let donation = Donation {
        din: din.clone(),
        donor_id: donor_id.clone(),
        procedure,
        screening_id: screening_id.clone(),
        container: container.clone(),
        started_at: *started_at,
        ended_at: *ended_at,
        volume_ml: *volume_ml,
        red_cell_loss_ml: *red_cell_loss_ml,
        volume_status: volume_status(&state.config, procedure, *volume_ml),
        phlebotomist: phlebotomist.clone(),
        adverse_reactions: adverse_reactions.clone(),
        collection_state: collection_state.clone(),
        collected_by: ctx.actor.clone(),
        tests: BTreeMap::new(),
        determinations: Vec::new(),
        resolved_group: None,
        antibody_screen: None,
        unsuitable: None,
        components: Vec::new(),
        produced: false,
        corrections: Vec::new(),
    };
    Ok(vec![Event::DonorCentre(
        DonorCentreEvent::DonationCollected {
            donation: Box::new(donation),
        },
    )])
}
