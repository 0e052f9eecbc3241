//! `hemaflow bench ledger`: commands per second through domain + ledger + projections,
//! against raw inserts of the same entries, rows and command records with the SHA-256 chain,
//! measured in the same run on the same database (`hemaflow_ledger::bench_ledger`). Then the
//! growth check: the cost of the same kind of work on a ledger 1x and 10x as large.
//!
//! The commands are the demo centre's (`hemaflow_service::demo::plan`): registrations,
//! screenings, collections, results, production, labels, release, shipping, expiry.

use std::time::Instant;

use anyhow::Context;
use clap::Args as ClapArgs;
use hemaflow_service::demo::{DemoOptions, Planned, plan};
use hemaflow_service::ledger::{BenchFigures, BenchStores, Ledger, bench_ledger};
use hemaflow_service::store::{AnyStore, PgStore, SqliteStore};
use hemaflow_service::{Blood, BloodLedger};
use time::macros::datetime;

use crate::Exit;
use crate::commands::database;

#[derive(ClapArgs)]
pub struct Args {
    /// Also run on this PostgreSQL server (each run in its own schema, dropped afterwards).
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// How many commands each run records.
    #[arg(long, default_value_t = 20_000)]
    commands: usize,
    /// Commands per transaction for the batched runs.
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// Donors of the smaller ledger of the growth check (the larger has 10 times as many);
    /// 0 skips the check.
    #[arg(long, default_value_t = 300)]
    growth_donors: u32,
    /// Seed of the generated centre.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

/// The target: the ledger on SQLite at least half the raw batched rate.
const TARGET_RATIO: f64 = 0.5;
/// Commands timed at the end of each ledger of the growth check.
const GROWTH_TAIL: usize = 400;

pub fn run(args: Args) -> anyhow::Result<Exit> {
    anyhow::ensure!(args.commands > 0, "--commands must be at least 1");
    let commands = stream(args.seed, args.commands);
    let runtime = database::runtime()?;
    let mut results = Vec::new();
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let sqlite = runtime.block_on(async {
        let stores = BenchStores {
            raw_batched: sqlite_store(dir.path(), "raw_batched").await?,
            raw_single: sqlite_store(dir.path(), "raw_single").await?,
            ledger_batched: sqlite_store(dir.path(), "ledger_batched").await?,
            ledger_single: sqlite_store(dir.path(), "ledger_single").await?,
        };
        bench_ledger::<Blood, _>(stores, &commands, args.batch)
            .await
            .context("the SQLite benchmark failed")
    })?;
    results.push(("sqlite", sqlite));
    if let Some(url) = &args.database_url {
        let figures = runtime.block_on(postgres(url, &commands, args.batch))?;
        results.push(("postgres", figures));
    }
    let growth = if args.growth_donors > 0 {
        Some(runtime.block_on(growth(dir.path(), args.seed, args.growth_donors))?)
    } else {
        None
    };
    if args.json {
        println!("{}", json(&results, growth.as_ref()));
    } else {
        print(&results, growth.as_ref());
    }
    Ok(Exit::Success)
}

/// The first `count` commands of the demo centre, with enough donors to make them.
fn stream(
    seed: u64,
    count: usize,
) -> Vec<(
    String,
    hemaflow_service::domain::Command,
    hemaflow_service::domain::Context,
)> {
    let donors = u32::try_from(count / 11 + 20).unwrap_or(u32::MAX);
    let options = DemoOptions {
        seed,
        donors,
        days: 35,
        now: datetime!(2026-03-20 15:30 UTC),
    };
    plan(&options)
        .into_iter()
        .take(count)
        .map(|p| (p.command_id, p.command, p.context))
        .collect()
}

async fn sqlite_store(dir: &std::path::Path, name: &str) -> anyhow::Result<AnyStore> {
    let url = format!("sqlite://{}", dir.join(format!("{name}.db")).display());
    Ok(AnyStore::Sqlite(
        SqliteStore::connect(&url)
            .await
            .with_context(|| format!("cannot create {url}"))?,
    ))
}

async fn postgres(
    url: &str,
    commands: &[(
        String,
        hemaflow_service::domain::Command,
        hemaflow_service::domain::Context,
    )],
    batch: usize,
) -> anyhow::Result<BenchFigures> {
    let names = [
        "raw_batched",
        "raw_single",
        "ledger_batched",
        "ledger_single",
    ]
    .map(|n| format!("hemaflow_bench_{}_{n}", std::process::id()));
    let mut stores = Vec::new();
    for name in &names {
        let store = PgStore::connect_in_schema(url, name)
            .await
            .with_context(|| format!("cannot open {}", database::redact(url)))?;
        stores.push(store);
    }
    let [a, b, c, d] = <[PgStore; 4]>::try_from(stores.clone())
        .map_err(|_| anyhow::anyhow!("four schemas were not made"))?;
    let figures = bench_ledger::<Blood, _>(
        BenchStores {
            raw_batched: AnyStore::Postgres(a),
            raw_single: AnyStore::Postgres(b),
            ledger_batched: AnyStore::Postgres(c),
            ledger_single: AnyStore::Postgres(d),
        },
        commands,
        batch,
    )
    .await
    .context("the PostgreSQL benchmark failed");
    for (store, name) in stores.iter().zip(&names) {
        store
            .drop_schema(name)
            .await
            .with_context(|| format!("cannot drop the benchmark schema {name}"))?;
    }
    figures
}

/// The cost per command at the end of a ledger of `donors` and of `10 * donors`.
struct Growth {
    small: Point,
    large: Point,
}

struct Point {
    donors: u32,
    entries: i64,
    single_us: f64,
    batched_us: f64,
}

async fn growth(dir: &std::path::Path, seed: u64, donors: u32) -> anyhow::Result<Growth> {
    Ok(Growth {
        small: growth_point(dir, seed, donors).await?,
        large: growth_point(dir, seed, donors.saturating_mul(10)).await?,
    })
}

/// Loads all of a centre's commands but the last `2 * GROWTH_TAIL`, then times the next
/// `GROWTH_TAIL` one per transaction and the last `GROWTH_TAIL` in one batch.
async fn growth_point(dir: &std::path::Path, seed: u64, donors: u32) -> anyhow::Result<Point> {
    let planned = plan(&DemoOptions {
        seed,
        donors,
        days: 35,
        now: datetime!(2026-03-20 15:30 UTC),
    });
    anyhow::ensure!(
        planned.len() > 3 * GROWTH_TAIL,
        "--growth-donors is too small"
    );
    let store = sqlite_store(dir, &format!("growth_{donors}")).await?;
    let ledger: BloodLedger = Ledger::open(store).await?;
    let (load, tail) = planned.split_at(planned.len() - 2 * GROWTH_TAIL);
    for chunk in load.chunks(1000) {
        execute_all(&ledger, chunk).await?;
    }
    let (single, batched) = tail.split_at(GROWTH_TAIL);
    let started = Instant::now();
    for planned in single {
        execute_all(&ledger, std::slice::from_ref(planned)).await?;
    }
    let single_us = started.elapsed().as_secs_f64() * 1e6 / GROWTH_TAIL as f64;
    let started = Instant::now();
    execute_all(&ledger, batched).await?;
    let batched_us = started.elapsed().as_secs_f64() * 1e6 / GROWTH_TAIL as f64;
    let head = hemaflow_service::ledger::Store::head(ledger.store()).await?;
    Ok(Point {
        donors,
        entries: head.sequence,
        single_us,
        batched_us,
    })
}

async fn execute_all(ledger: &BloodLedger, planned: &[Planned]) -> anyhow::Result<()> {
    let batch: Vec<_> = planned
        .iter()
        .map(|p| (p.command_id.as_str(), &p.command, &p.context))
        .collect();
    for answer in ledger.execute_batch(&batch).await? {
        answer?;
    }
    Ok(())
}

fn print(results: &[(&str, BenchFigures)], growth: Option<&Growth>) {
    for (backend, figures) in results {
        println!("== ledger on {backend}");
        println!("{figures}");
        if *backend == "sqlite" {
            let ratio = figures.ratio_batched();
            println!(
                "target: ledger >= {:.0}% of raw batched on SQLite: {}",
                100.0 * TARGET_RATIO,
                if ratio >= TARGET_RATIO {
                    "met"
                } else {
                    "NOT met"
                }
            );
        }
        println!();
    }
    if let Some(growth) = growth {
        println!("== cost per command as the ledger grows (SQLite, last {GROWTH_TAIL} commands)");
        for point in [&growth.small, &growth.large] {
            println!(
                "{:>6} donors, {:>8} entries: {:>8.0} us/command one per transaction, {:>6.0} us/command batched",
                point.donors, point.entries, point.single_us, point.batched_us
            );
        }
        println!(
            "10x / 1x: {:.2} one per transaction, {:.2} batched",
            growth.large.single_us / growth.small.single_us,
            growth.large.batched_us / growth.small.batched_us
        );
    }
}

fn json(results: &[(&str, BenchFigures)], growth: Option<&Growth>) -> serde_json::Value {
    let runs: Vec<serde_json::Value> = results
        .iter()
        .map(|(backend, f)| {
            serde_json::json!({
                "backend": backend,
                "commands": f.commands,
                "entries": f.entries,
                "batch_size": f.batch_size,
                "raw_batched_per_s": f.raw_batched_per_s,
                "raw_single_per_s": f.raw_single_per_s,
                "ledger_batched_per_s": f.ledger_batched_per_s,
                "ledger_single_per_s": f.ledger_per_s,
                "ratio_batched": f.ratio_batched(),
                "ratio_single": f.ratio_single(),
            })
        })
        .collect();
    let point = |p: &Point| {
        serde_json::json!({
            "donors": p.donors,
            "entries": p.entries,
            "single_us_per_command": p.single_us,
            "batched_us_per_command": p.batched_us,
        })
    };
    serde_json::json!({
        "benchmark": "ledger",
        "runs": runs,
        "growth": growth.map(|g| serde_json::json!({
            "small": point(&g.small),
            "large": point(&g.large),
            "ratio_single": g.large.single_us / g.small.single_us,
            "ratio_batched": g.large.batched_us / g.small.batched_us,
        })),
    })
}
