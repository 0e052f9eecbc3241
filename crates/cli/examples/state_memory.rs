//! Where the heap of the in-memory state goes, by part. Run it from a release build:
//!
//! ```sh
//! cargo run --release -p hemaflow --example state_memory                 # 10 000 and 100 000
//! cargo run --release -p hemaflow --example state_memory -- --donations 20000 --json
//! ```
//!
//! States of `--donations` donations are built as `hemaflow bench lookup` builds them
//! (`hemaflow_sim::generate`, every command decided and evolved by the domain); then each map
//! of the state, and each of its indexes, is dropped in turn, and the heap it gave back is its
//! size. The heap is counted by this example's own global allocator: mimalloc, as in the
//! `hemaflow` binary, wrapped in `stats_alloc` (bytes asked for and blocks; mimalloc's size
//! classes round each block up a little more, which `resident` includes). The `hemaflow`
//! binary itself does not count: it would cost every allocation two atomic additions.
//!
//! The baseline, on the same state: the bytes of each map's JSON (the ledger's projection of
//! the same records), so that a part's heap is also given as a multiple of its content.

use std::io::Write;

use clap::{Args as ClapArgs, Parser};
use hemaflow_domain::{State, decide, evolve};
use hemaflow_sim::{Workload, generate};
use mimalloc::MiMalloc;
use serde::Serialize;
use serde_json::{Value, json};
use stats_alloc::{Stats, StatsAlloc};

#[global_allocator]
static GLOBAL: StatsAlloc<MiMalloc> = StatsAlloc::new(MiMalloc);

/// What the process holds: bytes asked for and blocks, allocated minus freed.
#[derive(Clone, Copy, Debug, Default)]
struct Held {
    requested: isize,
    blocks: isize,
}

fn held() -> Held {
    let Stats {
        allocations,
        deallocations,
        bytes_allocated,
        bytes_deallocated,
        bytes_reallocated,
        ..
    } = GLOBAL.stats();
    Held {
        requested: bytes_allocated as isize - bytes_deallocated as isize + bytes_reallocated,
        blocks: allocations as isize - deallocations as isize,
    }
}

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: Args,
}

#[derive(ClapArgs)]
pub struct Args {
    /// Donations of each state measured.
    #[arg(long, value_delimiter = ',', default_values_t = [10_000u64, 100_000])]
    donations: Vec<u64>,
    /// Seed of the workload.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

/// The heap one part of the state held, and the size of its JSON.
struct Part {
    name: String,
    records: usize,
    held: Held,
    json_bytes: u64,
}

/// One state, by part.
struct Scale {
    donations: usize,
    donors: usize,
    units: usize,
    parts: Vec<Part>,
    /// Everything the state held (the parts, plus what no part holds: the configuration).
    total: Held,
    /// The process's resident set after the state was built (the generator's own state freed).
    resident_bytes: Option<u64>,
}

fn main() -> anyhow::Result<()> {
    let args = Cli::parse().args;
    anyhow::ensure!(
        !args.donations.is_empty() && args.donations.iter().all(|&d| d > 0),
        "--donations needs at least one count, each at least 1"
    );
    let mut scales = Vec::new();
    for &donations in &args.donations {
        let state = build(donations, args.seed)?;
        scales.push(measure(state));
    }
    if args.json {
        println!("{}", json_report(&args, &scales));
    } else {
        print(&scales);
    }
    Ok(())
}

/// The state after a generated workload of `donations` (as `hemaflow bench lookup` builds it).
fn build(donations: u64, seed: u64) -> anyhow::Result<State> {
    let mut state = State::default();
    generate(&Workload::new(donations, seed), &mut |step| {
        if let Ok(events) = decide(&state, &step.command, &step.context) {
            for event in &events {
                evolve(&mut state, event);
            }
        }
        Ok(())
    })?;
    Ok(state)
}

/// Counts the bytes written to it.
struct Counter(u64);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn json_size<T: Serialize>(value: &T) -> u64 {
    let mut counter = Counter(0);
    // A state's maps always serialise (the ledger writes them).
    serde_json::to_writer(&mut counter, value)
        .map(|()| counter.0)
        .unwrap_or(0)
}

fn minus(before: Held, after: Held) -> Held {
    Held {
        requested: before.requested - after.requested,
        blocks: before.blocks - after.blocks,
    }
}

/// Drops the parts of `state` one by one, measuring what each gave back.
fn measure(state: State) -> Scale {
    let donations = state.donations.len();
    let donors = state.donors.len();
    let units = state.components.len();
    let resident_bytes = resident();
    let mut parts = Vec::new();
    // Destructured, so that a new field of the state cannot be forgotten here.
    let State {
        config,
        donors: donor_map,
        screenings,
        deferrals,
        donations: donation_map,
        components,
        holds,
        tasks,
        counters,
        users,
        api_tokens,
        recent_sign_ins,
        failed_sign_ins,
        sites,
        storages,
        transfers,
        hospitals,
        orders,
        standing_orders,
        shipments,
        allocations,
        returns,
        transfusion,
        lookback,
        index,
    } = state;
    macro_rules! part {
        ($name:literal, $map:ident) => {{
            let (records, json_bytes) = ($map.len(), json_size(&$map));
            let before = held();
            drop($map);
            let after = held();
            parts.push(Part {
                name: $name.to_owned(),
                records,
                held: minus(before, after),
                json_bytes,
            });
        }};
    }
    part!("donations", donation_map);
    part!("components", components);
    part!("donors", donor_map);
    part!("screenings", screenings);
    part!("deferrals", deferrals);
    part!("holds", holds);
    part!("tasks", tasks);
    part!("users", users);
    part!("api_tokens", api_tokens);
    part!("recent_sign_ins", recent_sign_ins);
    part!("failed_sign_ins", failed_sign_ins);
    part!("sites", sites);
    part!("storages", storages);
    part!("transfers", transfers);
    part!("hospitals", hospitals);
    part!("orders", orders);
    part!("standing_orders", standing_orders);
    part!("shipments", shipments);
    part!("allocations", allocations);
    part!("returns", returns);
    part!("transfusion", transfusion);
    part!("lookback", lookback);
    let mut before = held();
    index.drop_each(|name| {
        let after = held();
        parts.push(Part {
            name: format!("index.{name}"),
            records: 0,
            held: minus(before, after),
            json_bytes: 0,
        });
        // The pushed part's own allocation is not the next index's.
        before = held();
    });
    let before = held();
    drop((config, counters));
    parts.push(Part {
        name: "config, counters".to_owned(),
        records: 0,
        held: minus(before, held()),
        json_bytes: 0,
    });
    let total_parts = parts.iter().fold(Held::default(), |sum, p| Held {
        requested: sum.requested + p.held.requested,
        blocks: sum.blocks + p.held.blocks,
    });
    Scale {
        donations,
        donors,
        units,
        parts,
        total: total_parts,
        resident_bytes,
    }
}

/// VmRSS of this process, from /proc (Linux only).
fn resident() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn per(bytes: isize, donations: usize) -> f64 {
    bytes as f64 / donations.max(1) as f64
}

fn json_report(args: &Args, scales: &[Scale]) -> Value {
    let rows: Vec<Value> = scales
        .iter()
        .map(|s| {
            let parts: Vec<Value> = s
                .parts
                .iter()
                .filter(|p| p.held.blocks != 0 || p.records != 0)
                .map(|p| {
                    json!({
                        "part": p.name,
                        "records": p.records,
                        "bytes": p.held.requested,
                        "blocks": p.held.blocks,
                        "bytes_per_donation": per(p.held.requested, s.donations),
                        "json_bytes": p.json_bytes,
                    })
                })
                .collect();
            json!({
                "donations": s.donations,
                "donors": s.donors,
                "units": s.units,
                "bytes": s.total.requested,
                "blocks": s.total.blocks,
                "bytes_per_donation": per(s.total.requested, s.donations),
                "resident_bytes": s.resident_bytes,
                "parts": parts,
            })
        })
        .collect();
    json!({"benchmark": "state_memory", "seed": args.seed, "scales": rows})
}

fn print(scales: &[Scale]) {
    println!(
        "state_memory: heap held by each part of the state (bytes asked for), per donation, \
         and as a multiple of the part's JSON"
    );
    for s in scales {
        println!();
        println!(
            "{} donations, {} donors, {} units: {:.1} MB in {} blocks ({:.0} B/donation); \
             resident {}",
            s.donations,
            s.donors,
            s.units,
            s.total.requested as f64 / 1e6,
            s.total.blocks,
            per(s.total.requested, s.donations),
            s.resident_bytes.map_or("unknown".to_owned(), |b| format!(
                "{:.1} MB",
                b as f64 / 1e6
            )),
        );
        println!(
            "{:<28} {:>9} {:>11} {:>7} {:>9} {:>10} {:>9} {:>7}",
            "part", "records", "bytes", "share", "B/donat.", "B/record", "blk/rec.", "x JSON"
        );
        for p in s.parts.iter().filter(|p| p.held.blocks != 0) {
            let records = if p.records > 0 {
                format!("{}", p.records)
            } else {
                String::new()
            };
            let per_record = if p.records > 0 {
                format!("{:.0}", p.held.requested as f64 / p.records as f64)
            } else {
                String::new()
            };
            let blocks_per_record = if p.records > 0 {
                format!("{:.1}", p.held.blocks as f64 / p.records as f64)
            } else {
                String::new()
            };
            let of_json = if p.json_bytes > 0 {
                format!("{:.2}", p.held.requested as f64 / p.json_bytes as f64)
            } else {
                String::new()
            };
            println!(
                "{:<28} {:>9} {:>11} {:>6.1}% {:>9.0} {:>10} {:>9} {:>7}",
                p.name,
                records,
                p.held.requested,
                100.0 * p.held.requested as f64 / s.total.requested.max(1) as f64,
                per(p.held.requested, s.donations),
                per_record,
                blocks_per_record,
                of_json,
            );
        }
    }
}
