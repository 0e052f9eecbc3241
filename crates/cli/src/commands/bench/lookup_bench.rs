//! `hemaflow bench lookup`: the cost of the bench look-ups as the record grows. States of 1x,
//! 10x and 100x `--base` donations are built in memory from `hemaflow_sim::generate` (every
//! command decided and evolved by the domain); on each, the same number of look-ups of random
//! records is timed, and each figure is given as a ratio to the 1x figure (flat is 1.0):
//!
//! - **unit look-up by DIN**: what the scan endpoint computes (`unit_view`): the donation, its
//!   units, and every release blocker of each;
//! - **donor search**: `queries::search_donors` by family name and birth date (the desk's
//!   search);
//! - **duplicate check**: `queries::deferral_lookup`, the registration desk's look-up of an
//!   identity among registered donors (DONOR-DUPLICATE, ELIG-DEFERRED).
//!
//! Each figure is also given as a multiple of a **baseline measured at the same scale**: one
//! look-up of the same random key in a `BTreeMap<String, u64>` holding every DIN (for the unit)
//! or every donor id (for the donor look-ups) of that state, the least any keyed look-up costs
//! with that many keys. Its growth is the memory hierarchy (a deeper tree whose nodes and keys
//! leave the caches), not a scan; a look-up is flat when its multiple of the baseline does not
//! grow with the data. So that the 1x state is not the only one that fits in the caches, every
//! scale touches the same number of distinct records (`--lookups`, or all of the smallest
//! state's when it has fewer), drawn at random and looked up in a random order.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use clap::Args as ClapArgs;
use hemaflow_domain::rng::Rng;
use hemaflow_domain::{State, decide, evolve, queries, release_blockers};
use hemaflow_sim::{Workload, generate};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::Exit;

#[derive(ClapArgs)]
pub struct Args {
    /// Donations of the 1x state (the demo centre has about 265).
    #[arg(long, default_value_t = 265)]
    base: u64,
    /// Multiples of --base to measure.
    #[arg(long, value_delimiter = ',', default_values_t = [1u64, 10, 100])]
    scales: Vec<u64>,
    /// Look-ups of each kind timed per state.
    #[arg(long, default_value_t = 5_000)]
    lookups: usize,
    /// Seed of the workload and of the records looked up.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

/// Mean cost of each look-up on one state.
struct Scale {
    multiple: u64,
    donations: usize,
    donors: usize,
    units: usize,
    unit: Duration,
    donor_search: Duration,
    duplicate_check: Duration,
    /// One look-up in a `BTreeMap<String, u64>` of every DIN of the state.
    din_baseline: Duration,
    /// One look-up in a `BTreeMap<String, u64>` of every donor id of the state.
    donor_baseline: Duration,
    /// Distinct records looked up (the same at every scale where possible).
    distinct: usize,
}

pub fn run(args: Args) -> anyhow::Result<Exit> {
    anyhow::ensure!(
        args.base > 0 && args.lookups > 0,
        "--base and --lookups must be at least 1"
    );
    anyhow::ensure!(
        !args.scales.is_empty(),
        "--scales needs at least one multiple"
    );
    let smallest = args.scales.iter().copied().min().unwrap_or(1);
    // Every scale touches as many distinct records as the smallest state can give.
    let distinct = args
        .lookups
        .min(usize::try_from(args.base * smallest).unwrap_or(usize::MAX));
    let mut scales = Vec::new();
    for &multiple in &args.scales {
        let (state, now) = build(args.base * multiple, args.seed)?;
        scales.push(measure(&state, now, multiple, distinct, &args));
    }
    if args.json {
        println!("{}", json_report(&args, &scales));
    } else {
        print(&args, &scales);
    }
    Ok(Exit::Success)
}

/// The state after a generated workload of `donations`, and the time of its last command.
pub(super) fn build(donations: u64, seed: u64) -> anyhow::Result<(State, OffsetDateTime)> {
    let mut state = State::default();
    let mut now = OffsetDateTime::UNIX_EPOCH;
    generate(&Workload::new(donations, seed), &mut |step| {
        if let Ok(events) = decide(&state, &step.command, &step.context) {
            for event in &events {
                evolve(&mut state, event);
            }
        }
        now = step.context.now;
        Ok(())
    })?;
    Ok((state, now))
}

/// `count` random draws among `distinct` different records of `records` (drawn without
/// replacement first), so that the working set is the same at every scale.
fn picks<'a, T>(records: &[&'a T], distinct: usize, count: usize, rng: &mut Rng) -> Vec<&'a T>
where
    T: ?Sized,
{
    let mut order: Vec<usize> = (0..records.len()).collect();
    let distinct = distinct.min(order.len()).max(1);
    for i in 0..distinct {
        let remaining = (order.len() - i) as u64;
        let j = i + rng.below(remaining) as usize;
        order.swap(i, j);
    }
    (0..count)
        .map(|_| records[order[rng.below(distinct as u64) as usize]])
        .collect()
}

fn measure(
    state: &State,
    now: OffsetDateTime,
    multiple: u64,
    distinct: usize,
    args: &Args,
) -> Scale {
    let dins: Vec<&str> = state.donations.keys().map(String::as_str).collect();
    let donors: Vec<&hemaflow_domain::donor_centre::donor::Donor> = state.donors.values().collect();
    let mut rng = Rng::new(args.seed);
    let din_picks: Vec<&str> = picks(&dins, distinct, args.lookups, &mut rng);
    let donor_picks = picks(&donors, distinct, args.lookups, &mut rng);

    // The baselines: the same keys in a plain ordered map of strings, as many as the state has.
    let din_map: BTreeMap<String, u64> = dins.iter().map(|d| ((*d).to_owned(), 1)).collect();
    let donor_map: BTreeMap<String, u64> = donors.iter().map(|d| (d.id.clone(), 1)).collect();
    let donor_ids: Vec<&str> = donor_picks.iter().map(|d| d.id.as_str()).collect();
    let din_baseline = time_each(&din_picks, |din| {
        din_map.get(din).copied().unwrap_or(0) as usize
    });
    let donor_baseline = time_each(&donor_ids, |id| {
        donor_map.get(id).copied().unwrap_or(0) as usize
    });
    drop((din_map, donor_map));

    let unit = time_each(&din_picks, |din| {
        let donation = queries::donation(state, din);
        let blockers: usize = queries::components_of(state, din)
            .into_iter()
            .map(|c| release_blockers(state, c, now).len())
            .sum();
        donation.is_some() as usize + blockers
    });
    let donor_search = time_each(&donor_picks, |donor| {
        queries::search_donors(
            state,
            &donor.identity.family_name,
            Some(donor.identity.date_of_birth),
        )
        .len()
    });
    let duplicate_check = time_each(&donor_picks, |donor| {
        queries::deferral_lookup(state, &donor.identity, now.date()).len()
    });
    Scale {
        multiple,
        donations: dins.len(),
        donors: donors.len(),
        units: state.components.len(),
        unit,
        donor_search,
        duplicate_check,
        din_baseline,
        donor_baseline,
        distinct: distinct.min(dins.len()),
    }
}

/// The mean time of `lookup` over `items` (its answers summed so that none is optimised away).
fn time_each<T: Copy>(items: &[T], lookup: impl Fn(T) -> usize) -> Duration {
    let started = Instant::now();
    let answers: usize = items.iter().map(|item| lookup(*item)).sum();
    let elapsed = started.elapsed();
    std::hint::black_box(answers);
    elapsed / u32::try_from(items.len()).unwrap_or(u32::MAX)
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn ratio(d: Duration, base: Duration) -> f64 {
    d.as_secs_f64() / base.as_secs_f64().max(1e-12)
}

/// How many baseline look-ups one look-up costs.
fn multiple(d: Duration, baseline: Duration) -> f64 {
    ratio(d, baseline)
}

fn json_report(args: &Args, scales: &[Scale]) -> Value {
    let base = &scales[0];
    let rows: Vec<Value> = scales
        .iter()
        .map(|s| {
            json!({
                "multiple": s.multiple,
                "donations": s.donations,
                "donors": s.donors,
                "units": s.units,
                "unit_lookup_us": micros(s.unit),
                "donor_search_us": micros(s.donor_search),
                "duplicate_check_us": micros(s.duplicate_check),
                "unit_lookup_ratio": ratio(s.unit, base.unit),
                "donor_search_ratio": ratio(s.donor_search, base.donor_search),
                "duplicate_check_ratio": ratio(s.duplicate_check, base.duplicate_check),
                "distinct_records": s.distinct,
                "din_baseline_us": micros(s.din_baseline),
                "donor_baseline_us": micros(s.donor_baseline),
                "din_baseline_ratio": ratio(s.din_baseline, base.din_baseline),
                "donor_baseline_ratio": ratio(s.donor_baseline, base.donor_baseline),
                "unit_lookup_baselines": multiple(s.unit, s.din_baseline),
                "donor_search_baselines": multiple(s.donor_search, s.donor_baseline),
                "duplicate_check_baselines": multiple(s.duplicate_check, s.donor_baseline),
            })
        })
        .collect();
    json!({"benchmark": "lookup", "base_donations": args.base, "lookups": args.lookups, "scales": rows})
}

fn print(args: &Args, scales: &[Scale]) {
    let base = &scales[0];
    println!(
        "hemaflow bench lookup: {} look-ups of each kind per state over {} distinct records; \
         ratio to the {}x state, and multiple of one BTreeMap<String, _> look-up at the same scale",
        args.lookups, base.distinct, base.multiple
    );
    println!(
        "{:>6} {:>9} {:>8} {:>8} | {:>13} | {:>11} {:>6} {:>6} | {:>11} {:>6} {:>6} | {:>11} {:>6} {:>6}",
        "scale",
        "donations",
        "donors",
        "units",
        "map din/donor",
        "unit by DIN",
        "ratio",
        "x map",
        "donor srch",
        "ratio",
        "x map",
        "dup. check",
        "ratio",
        "x map"
    );
    for s in scales {
        println!(
            "{:>5}x {:>9} {:>8} {:>8} | {:>5.0}/{:>5.0}ns | {:>9.2}µs {:>6.2} {:>6.1} | {:>9.2}µs {:>6.2} {:>6.1} | {:>9.2}µs {:>6.2} {:>6.1}",
            s.multiple,
            s.donations,
            s.donors,
            s.units,
            micros(s.din_baseline) * 1e3,
            micros(s.donor_baseline) * 1e3,
            micros(s.unit),
            ratio(s.unit, base.unit),
            multiple(s.unit, s.din_baseline),
            micros(s.donor_search),
            ratio(s.donor_search, base.donor_search),
            multiple(s.donor_search, s.donor_baseline),
            micros(s.duplicate_check),
            ratio(s.duplicate_check, base.duplicate_check),
            multiple(s.duplicate_check, s.donor_baseline),
        );
    }
}
