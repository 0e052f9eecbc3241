//! `hemaflow bench lookback`: the cost of a lookback as the centre grows. A centre of
//! `--base` x each scale donations is generated in memory (`hemaflow_sim::generate`, every
//! command decided and evolved by the domain); into it comes a regular donor with
//! `--donations` whole-blood donations, each made into red cells, plasma and platelets,
//! released, shipped to two hospitals and in part transfused (`Centre::regular_donor_shipped`).
//! Then the donor's next donation is repeat reactive for anti-HIV-1/2, and two things are
//! timed on the grown state:
//!
//! - **trace**: what `GET /api/trace?donor=` computes: every donation of the donor, every unit
//!   made from each, and where each is now, down to the recipient (`trace_donation`);
//! - **start**: deciding the last duplicate repeat, the decision that starts the lookback by
//!   itself (LB-WINDOW: the window, the holds, the consignees' notices and their clocks).
//!
//! The **baseline**, measured on the same state: one look-up per unit traced in a
//! `BTreeMap<String, u64>` holding every unit ID of the state, the least a trace of that many
//! units could cost. A figure that stays the same multiple of its baseline as the centre grows
//! is flat (no scan of the centre). `--base 1000000 --scales 1` is the million-donation centre
//! of the issue; it needs about 10 GB of memory and some minutes to generate.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use clap::Args as ClapArgs;
use hemaflow_domain::access::roles::Role;
use hemaflow_domain::command::{ClientCommand, Command, TestResultInput};
use hemaflow_domain::lab::testing::{Reading, Stage};
use hemaflow_domain::lookback::trace::trace_donation;
use hemaflow_domain::{Context, LabCommand, State, decide};
use hemaflow_testkit::scenario::Centre;
use serde_json::{Value, json};
use time::Duration as Span;

use super::lookup_bench::build;
use crate::Exit;

#[derive(ClapArgs)]
pub struct Args {
    /// Donations of the 1x centre.
    #[arg(long, default_value_t = 10_000)]
    base: u64,
    /// Multiples of --base to measure.
    #[arg(long, value_delimiter = ',', default_values_t = [1u64, 10])]
    scales: Vec<u64>,
    /// Earlier donations of the reactive donor.
    #[arg(long, default_value_t = 20)]
    donations: usize,
    /// Times each figure is measured (the mean is reported).
    #[arg(long, default_value_t = 50)]
    repeats: u32,
    /// Seed of the generated centre.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

struct Scale {
    multiple: u64,
    donations: usize,
    units: usize,
    traced_units: usize,
    window: usize,
    trace: Duration,
    start: Duration,
    baseline: Duration,
    built: Duration,
}

pub fn run(args: Args) -> anyhow::Result<Exit> {
    anyhow::ensure!(
        args.base > 0 && args.repeats > 0 && args.donations > 0,
        "--base, --repeats and --donations must be at least 1"
    );
    anyhow::ensure!(
        !args.scales.is_empty(),
        "--scales needs at least one multiple"
    );
    let mut scales = Vec::new();
    for &multiple in &args.scales {
        let started = Instant::now();
        let (state, now) = build(args.base * multiple, args.seed)?;
        let (centre, donor, command) = subject(state, now, args.donations)?;
        let built = started.elapsed();
        scales.push(measure(&centre, &donor, &command, multiple, built, &args)?);
    }
    if args.json {
        println!("{}", json_report(&args, &scales));
    } else {
        print(&args, &scales);
    }
    Ok(Exit::Success)
}

/// The reactive donor brought into the generated centre: the centre, the donor, and the last
/// duplicate repeat of the reactive donation (decided, not applied).
fn subject(
    state: State,
    now: time::OffsetDateTime,
    donations: usize,
) -> anyhow::Result<(Centre, String, Command)> {
    let refused = |r: hemaflow_domain::Refusal| anyhow::anyhow!("{}: {}", r.rule, r.message);
    let mut centre = Centre::new();
    centre.state = state;
    centre.now = now + Span::days(1);
    centre.open_transfusion_service().map_err(refused)?;
    let (donor, _) = centre
        .regular_donor_shipped("Lookback", donations)
        .map_err(refused)?;
    centre.advance(Span::days(60));
    let din = centre.donate(&donor).map_err(refused)?;
    for stage in [Stage::Initial, Stage::Repeat] {
        centre
            .result(&din, "anti_hiv_1_2", stage, Reading::Reactive)
            .map_err(refused)?;
    }
    let last = Command::Client(ClientCommand::Lab(LabCommand::RecordTestResult {
        result: TestResultInput {
            din,
            test: "anti_hiv_1_2".to_owned(),
            stage: Stage::Repeat,
            reading: Reading::Reactive,
        },
    }));
    Ok((centre, donor, last))
}

fn measure(
    centre: &Centre,
    donor: &str,
    command: &Command,
    multiple: u64,
    built: Duration,
    args: &Args,
) -> anyhow::Result<Scale> {
    let state = &centre.state;
    let dins = state
        .donors
        .get(donor)
        .map(|d| d.donations.clone())
        .unwrap_or_default();
    let trace_all = || -> usize {
        dins.iter()
            .filter_map(|din| trace_donation(state, din))
            .map(|traced| traced.units.len())
            .sum()
    };
    let traced_units = trace_all();
    let trace = mean(args.repeats, trace_all);

    let ctx = Context {
        actor: "labtechnologist".to_owned(),
        role: Role::LabTechnologist,
        now: centre.now,
        stamp: hemaflow_domain::Stamp::Planned,
    };
    let events = decide(state, command, &ctx)
        .map_err(|r| anyhow::anyhow!("the reactive result was refused: {}", r.message))?;
    let window = events
        .iter()
        .find_map(|e| match e {
            hemaflow_domain::Event::Lookback(hemaflow_domain::LookbackEvent::LookbackStarted {
                lookback,
            }) => Some(lookback.window.donations.len()),
            _ => None,
        })
        .ok_or_else(|| anyhow::anyhow!("the reactive result started no lookback"))?;
    let start = mean(args.repeats, || {
        decide(state, command, &ctx).map_or(0, |events| events.len())
    });

    // The baseline: as many look-ups as units traced, in a map of every unit ID.
    let ids: BTreeMap<String, u64> = state.components.keys().map(|k| (k.clone(), 1)).collect();
    let traced: Vec<String> = dins
        .iter()
        .flat_map(|din| hemaflow_domain::queries::components_of(state, din))
        .map(|c| c.id.clone())
        .collect();
    let baseline = mean(args.repeats, || {
        traced
            .iter()
            .map(|id| ids.get(id).copied().unwrap_or(0) as usize)
            .sum()
    });
    Ok(Scale {
        multiple,
        donations: state.donations.len(),
        units: state.components.len(),
        traced_units,
        window,
        trace,
        start,
        baseline,
        built,
    })
}

/// The mean time of `work` over `repeats` runs (its answers summed so that none is optimised
/// away).
fn mean(repeats: u32, work: impl Fn() -> usize) -> Duration {
    let started = Instant::now();
    let answers: usize = (0..repeats).map(|_| work()).sum();
    let elapsed = started.elapsed();
    std::hint::black_box(answers);
    elapsed / repeats
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn ratio(d: Duration, base: Duration) -> f64 {
    d.as_secs_f64() / base.as_secs_f64().max(1e-12)
}

fn json_report(args: &Args, scales: &[Scale]) -> Value {
    let rows: Vec<Value> = scales
        .iter()
        .map(|s| {
            json!({
                "multiple": s.multiple,
                "donations": s.donations,
                "units": s.units,
                "traced_units": s.traced_units,
                "window_donations": s.window,
                "trace_ms": millis(s.trace),
                "start_ms": millis(s.start),
                "baseline_ms": millis(s.baseline),
                "trace_baselines": ratio(s.trace, s.baseline),
                "start_baselines": ratio(s.start, s.baseline),
                "trace_ratio": ratio(s.trace, scales[0].trace),
                "start_ratio": ratio(s.start, scales[0].start),
                "built_s": s.built.as_secs_f64(),
            })
        })
        .collect();
    json!({"benchmark": "lookback", "base_donations": args.base, "donor_donations": args.donations, "repeats": args.repeats, "scales": rows})
}

fn print(args: &Args, scales: &[Scale]) {
    let base = &scales[0];
    println!(
        "hemaflow bench lookback: a donor of {} earlier donations (3 units each, shipped to two \
         hospitals, some transfused) made repeat reactive; mean of {} runs; ratio to the {}x \
         centre, and multiple of the baseline ({} map look-ups, one per unit traced) on the same \
         state",
        args.donations, args.repeats, base.multiple, base.traced_units
    );
    println!(
        "{:>6} {:>9} {:>9} | {:>11} | {:>10} {:>6} {:>7} | {:>10} {:>6} {:>7} | {:>6} {:>8}",
        "scale",
        "donations",
        "units",
        "baseline",
        "trace",
        "ratio",
        "x base",
        "start",
        "ratio",
        "x base",
        "window",
        "built"
    );
    for s in scales {
        println!(
            "{:>5}x {:>9} {:>9} | {:>9.4}ms | {:>8.3}ms {:>6.2} {:>7.0} | {:>8.3}ms {:>6.2} {:>7.0} | {:>6} {:>7.1}s",
            s.multiple,
            s.donations,
            s.units,
            millis(s.baseline),
            millis(s.trace),
            ratio(s.trace, base.trace),
            ratio(s.trace, s.baseline),
            millis(s.start),
            ratio(s.start, base.start),
            ratio(s.start, s.baseline),
            s.window,
            s.built.as_secs_f64(),
        );
    }
}
