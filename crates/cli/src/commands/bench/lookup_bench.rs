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

use std::time::{Duration, Instant};

use clap::Args as ClapArgs;
use hemaflow_domain::simulation::Rng;
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
    let mut scales = Vec::new();
    for &multiple in &args.scales {
        let (state, now) = build(args.base * multiple, args.seed)?;
        scales.push(measure(&state, now, multiple, &args));
    }
    if args.json {
        println!("{}", json_report(&args, &scales));
    } else {
        print(&args, &scales);
    }
    Ok(Exit::Success)
}

/// The state after a generated workload of `donations`, and the time of its last command.
fn build(donations: u64, seed: u64) -> anyhow::Result<(State, OffsetDateTime)> {
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

fn measure(state: &State, now: OffsetDateTime, multiple: u64, args: &Args) -> Scale {
    let dins: Vec<&String> = state.donations.keys().collect();
    let donors: Vec<&hemaflow_domain::donor::Donor> = state.donors.values().collect();
    let mut rng = Rng::new(args.seed);
    let mut pick = |n: usize| rng.below(n as u64) as usize;
    let din_picks: Vec<&str> = (0..args.lookups)
        .map(|_| dins[pick(dins.len())].as_str())
        .collect();
    let donor_picks: Vec<_> = (0..args.lookups)
        .map(|_| donors[pick(donors.len())])
        .collect();

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
            })
        })
        .collect();
    json!({"benchmark": "lookup", "base_donations": args.base, "lookups": args.lookups, "scales": rows})
}

fn print(args: &Args, scales: &[Scale]) {
    let base = &scales[0];
    println!(
        "hemaflow bench lookup: {} look-ups of each kind per state; ratio to the {}x state",
        args.lookups, base.multiple
    );
    println!(
        "{:>6} {:>9} {:>8} {:>8} | {:>11} {:>6} | {:>11} {:>6} | {:>11} {:>6}",
        "scale",
        "donations",
        "donors",
        "units",
        "unit by DIN",
        "ratio",
        "donor srch",
        "ratio",
        "dup. check",
        "ratio"
    );
    for s in scales {
        println!(
            "{:>5}x {:>9} {:>8} {:>8} | {:>9.2}µs {:>6.2} | {:>9.2}µs {:>6.2} | {:>9.2}µs {:>6.2}",
            s.multiple,
            s.donations,
            s.donors,
            s.units,
            micros(s.unit),
            ratio(s.unit, base.unit),
            micros(s.donor_search),
            ratio(s.donor_search, base.donor_search),
            micros(s.duplicate_check),
            ratio(s.duplicate_check, base.duplicate_check),
        );
    }
}
