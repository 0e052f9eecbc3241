//! `hemaflow bench astm`: analyser results per second through the ledger on one core, against
//! parsing the same messages alone, measured in the same run.
//!
//! The centre is the demo's registrations, screenings and collections (`demo::plan`, its lab
//! results left out so that every panel is pending) in a temporary SQLite file. Each donation
//! then gets a NAT message (the Procleix multiplex, nonreactive: three markers) and a
//! serology message (six markers), `--per-message` donations a message, as frames on the wire.
//! - **Baseline**: the frames read (checksums), the records split and read into results, and
//!   the batch planned against the state: everything but the ledger.
//! - **Measured**: the same, and each message's batch recorded by the ledger
//!   (`intake::record`: decide, events, projections, hash chain, commit).

use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args as ClapArgs;
use hemaflow_astm::frame::{Frame, encode_record_frames};
use hemaflow_astm::read_message;
use hemaflow_domain::lab::testing::MarkerStatus;
use hemaflow_domain::{ClientCommand, Command, State};
use hemaflow_service::BloodLedger;
use hemaflow_service::demo::{DemoOptions, plan};
use time::macros::datetime;

use crate::Exit;
use crate::commands::astm::analysers::{Analyser, Kind, default_codes};
use crate::commands::astm::intake;

#[derive(ClapArgs)]
pub struct Args {
    /// Donors of the generated centre (each collected donation gets two messages' worth).
    #[arg(long, default_value_t = 2000)]
    donors: u32,
    /// Donations per message.
    #[arg(long, default_value_t = 50)]
    per_message: usize,
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

/// The target: result records per second through the ledger on one core.
const TARGET_RESULTS_PER_SECOND: f64 = 10_000.0;

pub fn run(args: Args) -> anyhow::Result<Exit> {
    anyhow::ensure!(
        args.donors > 0 && args.per_message > 0,
        "--donors and --per-message must be at least 1"
    );
    // One core: a current-thread runtime, as the figure claims.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    runtime.block_on(measure(&args, dir.path()))
}

async fn measure(args: &Args, dir: &std::path::Path) -> anyhow::Result<Exit> {
    let ledger = centre(args, dir).await?;
    let nat = analyser("panther", Kind::Nat);
    let serology = analyser("neo", Kind::Serology);
    let dins = ledger.read(pending_dins).await?;
    anyhow::ensure!(
        !dins.is_empty(),
        "the generated centre has no donation with a pending panel"
    );
    let mut wire = Vec::new();
    for chunk in dins.chunks(args.per_message) {
        wire.push((&nat, frames(&message(Kind::Nat, chunk))));
        wire.push((&serology, frames(&message(Kind::Serology, chunk))));
    }
    let started = Instant::now();
    let mut planned_results = 0usize;
    for (analyser, frames) in &wire {
        let plan = parse_and_plan(&ledger, analyser, frames).await?;
        planned_results += plan.1.results.len();
    }
    let parse = started.elapsed();
    let started = Instant::now();
    let mut recorded = 0usize;
    for (analyser, frames) in &wire {
        let (id, plan) = parse_and_plan(&ledger, analyser, frames).await?;
        let count = plan.results.len();
        match intake::record(&ledger, analyser, &id, plan.results).await? {
            intake::Recorded::Accepted { .. } => recorded += count,
            other => anyhow::bail!("a benchmark message was not recorded: {other:?}"),
        }
    }
    let through = started.elapsed();
    report(
        args,
        dins.len(),
        wire.len(),
        planned_results,
        recorded,
        parse,
        through,
    );
    Ok(Exit::Success)
}

/// The demo's donor-centre commands only (no results): every collected donation's panel pending.
async fn centre(args: &Args, dir: &std::path::Path) -> anyhow::Result<BloodLedger> {
    let url = format!("sqlite://{}", dir.join("astm.db").display());
    let ledger = crate::commands::database::open(&url).await?;
    let options = DemoOptions {
        seed: args.seed,
        donors: args.donors,
        days: 35,
        now: datetime!(2026-03-20 15:30 UTC),
    };
    let commands: Vec<_> = plan(&options)
        .into_iter()
        .filter(|p| {
            !matches!(
                p.command,
                Command::Client(
                    ClientCommand::Lab(_)
                        | ClientCommand::Manufacturing(_)
                        | ClientCommand::Release(_)
                        | ClientCommand::Distribution(_)
                        | ClientCommand::Transfusion(_)
                        | ClientCommand::Lookback(_)
                )
            )
        })
        .collect();
    for chunk in commands.chunks(500) {
        let batch: Vec<_> = chunk
            .iter()
            .map(|p| (p.command_id.as_str(), &p.command, &p.context))
            .collect();
        ledger.execute_batch(&batch).await?;
    }
    Ok(ledger)
}

fn pending_dins(state: &State) -> Vec<String> {
    let markers = [
        "hiv_nat",
        "hcv_nat",
        "hbv_nat",
        "hbsag",
        "anti_hbc",
        "anti_hcv",
        "anti_hiv_1_2",
        "anti_htlv",
        "syphilis",
    ];
    state
        .donations
        .values()
        .filter(|d| {
            markers
                .iter()
                .all(|m| matches!(d.tests.get(*m), Some(MarkerStatus::Pending)))
        })
        .map(|d| d.din.clone())
        .collect()
}

fn analyser(name: &str, kind: Kind) -> Analyser {
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    Analyser {
        name: name.to_owned(),
        kind,
        address,
        codes: default_codes(kind),
    }
}

fn message(kind: Kind, dins: &[String]) -> Vec<Vec<u8>> {
    let (codes, flag): (&[&str], &str) = match kind {
        Kind::Nat => (&["MPX"], "09"),
        Kind::Serology => (&["HBSAG", "HBC", "HCV", "HIV", "HTLV", "SYPH"], "07"),
    };
    let mut records = vec![b"H|\\^&|||BENCH^ANALYSER^1.0|||||||P|LIS2-A2|20261208020000".to_vec()];
    for (index, din) in dins.iter().enumerate() {
        records.push(format!("P|{}", index + 1).into_bytes());
        records.push(
            format!(
                "O|1|={din}{flag}||^^^{}|R||||||N||||P||||||||||F",
                codes.join("\\^^^")
            )
            .into_bytes(),
        );
        for (sequence, code) in codes.iter().enumerate() {
            records.push(
                format!(
                    "R|{}|^^^{code}^INTERP|Nonreactive|||N||F||OPER1||20261208015900|BENCH1",
                    sequence + 1
                )
                .into_bytes(),
            );
        }
    }
    records.push(b"L|1|N".to_vec());
    records
}

fn frames(records: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut number = 1u8;
    let mut frames = Vec::new();
    for record in records {
        for frame in encode_record_frames(record, number) {
            number = (frame.number + 1) % 8;
            frames.push(frame.encode());
        }
    }
    frames
}

/// Frames checked and joined into records, the message read, the batch planned.
async fn parse_and_plan(
    ledger: &BloodLedger,
    analyser: &Analyser,
    frames: &[Vec<u8>],
) -> anyhow::Result<(String, intake::Plan)> {
    let mut records = Vec::new();
    let mut partial = Vec::new();
    for bytes in frames {
        let frame = Frame::parse(bytes)?;
        partial.extend_from_slice(&frame.text);
        if frame.last {
            partial.pop();
            records.push(std::mem::take(&mut partial));
        }
    }
    let (_, content) = read_message(&records)?;
    let id = intake::command_id(analyser, &records);
    let plan = ledger
        .read(|state| intake::plan(analyser, &content, state))
        .await?;
    Ok((id, plan.map_err(anyhow::Error::msg)?))
}

fn report(
    args: &Args,
    donations: usize,
    messages: usize,
    planned: usize,
    recorded: usize,
    parse: Duration,
    through: Duration,
) {
    let parse_rate = planned as f64 / parse.as_secs_f64();
    let rate = recorded as f64 / through.as_secs_f64();
    let ratio = through.as_secs_f64() / parse.as_secs_f64();
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "bench": "astm", "donations": donations, "messages": messages, "results": recorded,
                "parse_seconds": parse.as_secs_f64(), "ledger_seconds": through.as_secs_f64(),
                "parse_results_per_second": parse_rate.round(), "ledger_results_per_second": rate.round(),
                "ratio": ratio, "target_results_per_second": TARGET_RESULTS_PER_SECOND,
                "meets_target": rate >= TARGET_RESULTS_PER_SECOND,
            })
        );
        return;
    }
    println!(
        "ASTM results, one core: {donations} donations, {messages} messages, {recorded} result records"
    );
    println!(
        "  parse alone (frames, records, plan)   {:>10.0} results/s  ({:.3} s)",
        parse_rate,
        parse.as_secs_f64()
    );
    println!(
        "  through the ledger (SQLite)           {:>10.0} results/s  ({:.3} s)",
        rate,
        through.as_secs_f64()
    );
    println!("  ledger / parse time                   {ratio:>10.1}x");
    let verdict = if rate >= TARGET_RESULTS_PER_SECOND {
        "meets"
    } else {
        "MISSES"
    };
    println!("  target {TARGET_RESULTS_PER_SECOND:.0} results/s through the ledger: {verdict}");
}
