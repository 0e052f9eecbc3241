//! `hemaflow sim generate` and `hemaflow sim run`: the workload of `hemaflow-sim` on the
//! command line. Glue only: options, the progress line, the summary.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args as ClapArgs, Subcommand};
use hemaflow_sim::{Progress, RunError, RunOptions, RunReport, Workload};

use crate::Exit;

#[derive(ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: SimCommand,
}

#[derive(Subcommand)]
enum SimCommand {
    /// Write a deterministic workload as JSON lines (one command each) to standard output.
    #[command(after_help = GENERATE_HELP)]
    Generate {
        /// Successful donations to collect.
        #[arg(long, default_value_t = 1000)]
        donations: u64,
        /// The seed: the same seed and size give the same stream, byte for byte.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Days to spread the donations over (default: four weeks, or more for very large runs).
        #[arg(long)]
        days: Option<u32>,
    },
    /// Drive a workload read from standard input through the domain and the ledger.
    #[command(after_help = RUN_HELP)]
    Run {
        /// Commands recorded per transaction (group commit). A replay has no one waiting for
        /// an answer, so its transactions are large: a projection row or an index page that
        /// many commands of a batch touch is written once per batch, not once per command.
        #[arg(long, default_value_t = hemaflow_sim::RunOptions::DEFAULT_BATCH as u64,
              value_parser = clap::value_parser!(u64).range(1..=100_000))]
        batch: u64,
        /// One JSON object at the end (commands, accepted, refused by rule, events, entries,
        /// state, timings, database size) instead of lines of text; the exit code is the same.
        #[arg(long)]
        json: bool,
    },
}

const GENERATE_HELP: &str = "\
The figures (deferral rates, procedure mix, ABO/RhD distribution, reactive rates, weekday
seasonality) and their sources are documented in the hemaflow-sim crate (src/figures.rs).

Example:
  hemaflow sim generate --donations 1000 --seed 7 | hemaflow sim run --database sqlite://sim.db";

const RUN_HELP: &str = "\
Every command goes through the domain's rules and is recorded in the ledger; refusals are
recorded too. At the end the whole ledger is verified and the domain invariants are checked.
A progress line (rate, ETA when the size is known) is shown when standard error is a
terminal.

Exit status: 0 when the run completed and verified, 2 when the stream is not valid, 1 when
the database failed or did not verify.";

/// `sim run` records into the global `--database`.
pub fn run(
    args: Args,
    database: Option<&str>,
    anchor: &super::anchor::Given,
) -> anyhow::Result<Exit> {
    match args.command {
        SimCommand::Generate {
            donations,
            seed,
            days,
        } => generate(donations, seed, days),
        SimCommand::Run { batch, json } => drive(database, anchor, batch, json),
    }
}

fn generate(donations: u64, seed: u64, days: Option<u32>) -> anyhow::Result<Exit> {
    let mut workload = Workload::new(donations, seed);
    if let Some(days) = days {
        if days == 0 {
            eprintln!("hemaflow sim generate: --days must be at least 1");
            return Ok(Exit::InvalidInput);
        }
        workload.days = days;
    }
    let stdout = io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 16, stdout);
    let mut emit = |step: &hemaflow_sim::Step| {
        serde_json::to_writer(&mut out, step)?;
        out.write_all(b"\n")
    };
    let result = hemaflow_sim::generate(&workload, &mut emit).and_then(|_| out.flush());
    match result {
        Ok(()) => Ok(Exit::Success),
        // The reader stopped early (`| head`): not an error of Hemaflow's.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(Exit::Success),
        Err(e) => Err(e).context("cannot write the workload"),
    }
}

fn drive(
    database: Option<&str>,
    anchor: &super::anchor::Given,
    batch: u64,
    json: bool,
) -> anyhow::Result<Exit> {
    let url = super::database::resolve(database)?;
    if let Some(refusal) = super::database::runtime()?.block_on(refuse_establishment(&url))? {
        eprintln!("hemaflow sim run: {refusal}");
        return Ok(Exit::InvalidInput);
    }
    let witness = super::anchor::start(anchor, &url, super::anchor::Announce::Stderr)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    let terminal = io::stderr().is_terminal();
    // The stream's size, when standard input is a file (`< workload.jsonl`), gives an ETA.
    let total = std::fs::metadata("/dev/stdin")
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    let options = RunOptions {
        batch: usize::try_from(batch).unwrap_or(RunOptions::DEFAULT_BATCH),
    };
    let result = runtime.block_on(async {
        let ledger = hemaflow_service::open_with_clock(&url, super::database::clock())
            .await
            .map_err(RunError::from)?;
        let ledger = super::anchor::attach(ledger, witness.as_ref());
        let stdin = io::stdin().lock();
        hemaflow_sim::run(&ledger, stdin, &options, |p| {
            if terminal {
                progress_line(p, total);
            }
        })
        .await
    });
    super::anchor::finish(witness.as_deref())?;
    if terminal {
        eprintln!();
    }
    match result {
        Ok(report) if json => {
            println!("{}", json_report(&report, &url));
            Ok(Exit::Success)
        }
        Ok(report) => {
            print_report(&report, &url);
            Ok(Exit::Success)
        }
        Err(error @ RunError::Input { .. }) => {
            eprintln!("hemaflow sim run: {error}");
            Ok(Exit::InvalidInput)
        }
        Err(error) => {
            eprintln!("hemaflow sim run: {error}");
            Ok(Exit::Failure)
        }
    }
}

/// Why `sim run` will not append to the database at `url`, if it will not. A workload's
/// commands name any actor and role and are recorded without a sign-in: fed a site's database,
/// `sim run` would be a side door around every signature. So it writes only into an empty
/// database or one whose first entry it made itself (a workload's first command ID begins
/// with `sim-`; a served database's first entry is the bootstrap administrator, a demo's
/// `demo-`).
async fn refuse_establishment(url: &str) -> anyhow::Result<Option<String>> {
    use hemaflow_service::ledger::Store;
    if !hemaflow_service::store::has_ledger(url)
        .await
        .unwrap_or(false)
    {
        return Ok(None);
    }
    let store = super::database::store(url).await?;
    let first = store
        .entries_after(0, 1)
        .await
        .context("cannot read the ledger")?;
    Ok(first
        .into_iter()
        .next()
        .filter(|entry| !entry.command_id.starts_with("sim-"))
        .map(|entry| {
            format!(
                "{} holds an establishment's ledger (its first entry, command {} by {}, was not made by sim run): sim run records commands in any name without a sign-in, so it writes only into an empty database or a simulation it began; nothing was recorded",
                super::database::redact(url),
                entry.command_id,
                entry.actor
            )
        }))
}

fn progress_line(p: Progress, total: Option<u64>) {
    let seconds = p.elapsed.as_secs_f64().max(1e-9);
    let rate = p.commands as f64 / seconds;
    let eta = match total {
        Some(total) if p.bytes > 0 && total >= p.bytes => {
            let left = seconds * (total - p.bytes) as f64 / p.bytes as f64;
            format!(
                "  {:>3.0}%  ETA {}",
                100.0 * p.bytes as f64 / total as f64,
                clock(Duration::from_secs_f64(left))
            )
        }
        _ => String::new(),
    };
    eprint!(
        "\r{:>12} commands  {:>9.0} commands/s  {}{eta}",
        p.commands,
        rate,
        clock(p.elapsed)
    );
}

fn clock(d: Duration) -> String {
    let s = d.as_secs();
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

fn json_report(report: &RunReport, url: &str) -> serde_json::Value {
    serde_json::json!({
        "database": super::database::redact(url),
        "commands": report.commands,
        "accepted": report.accepted,
        "refused": report.refused_total(),
        "refused_by_rule": report.refused,
        "events": report.events,
        "entries": report.entries,
        "verified": true,
        "invariants_hold": true,
        "donors": report.donors,
        "donations": report.donations,
        "components": report.components,
        "seconds": report.elapsed.as_secs_f64(),
        "commands_per_second": report.commands_per_second(),
        "verify_seconds": report.verify_elapsed.as_secs_f64(),
        "database_bytes": sqlite_size(url),
    })
}

fn print_report(report: &RunReport, url: &str) {
    println!("commands   {}", report.commands);
    println!("accepted   {}", report.accepted);
    println!("refused    {}", report.refused_total());
    for (rule, count) in &report.refused {
        println!("  {rule:<18} {count}");
    }
    println!("events     {}", report.events);
    println!("entries    {} (whole ledger, verified)", report.entries);
    println!(
        "state      {} donors, {} donations, {} components; invariants hold",
        report.donors, report.donations, report.components
    );
    println!(
        "time       {:.1} s, {:.0} commands/s; verify and invariants {:.1} s",
        report.elapsed.as_secs_f64(),
        report.commands_per_second(),
        report.verify_elapsed.as_secs_f64()
    );
    match sqlite_size(url) {
        Some(bytes) => println!("database   {:.1} MB", bytes as f64 / 1e6),
        None => println!("database   size not measured for this backend"),
    }
}

/// The SQLite file and its write-ahead log, in bytes.
fn sqlite_size(url: &str) -> Option<u64> {
    let path = url.strip_prefix("sqlite:")?.trim_start_matches("//");
    let path = PathBuf::from(path.split('?').next().unwrap_or(path));
    let main = std::fs::metadata(&path).ok()?.len();
    let wal = std::fs::metadata(format!("{}-wal", path.display()))
        .map(|m| m.len())
        .unwrap_or(0);
    Some(main + wal)
}
