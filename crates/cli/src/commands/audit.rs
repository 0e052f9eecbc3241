//! `hemaflow audit`: prove the record was not altered (`verify`), and tell a unit's story
//! from it (`history`).

use anyhow::Context;
use clap::{Args as ClapArgs, Subcommand};
use hemaflow_service::Blood;
use hemaflow_service::ledger::{Store, verify};

use super::database;
use crate::Exit;

#[derive(ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Recompute every hash, replay the ledger into fresh projections and compare them with
    /// the stored ones. Exit 0 when all agree; 1 naming the first entry or row that does not.
    Verify(VerifyArgs),
    /// The full story of a unit, its donation and its donor, from the ledger, in order.
    History(HistoryArgs),
}

#[derive(ClapArgs)]
struct VerifyArgs {
    /// One JSON object (`verified`, `entries`, `commands`, `rows`, `last_hash`, `problem`)
    /// instead of lines of text; the exit code is the same.
    #[arg(long)]
    json: bool,
}

#[derive(ClapArgs)]
struct HistoryArgs {
    /// The DIN, scanned (`=W12342600000100`) or keyed in with its check character
    /// (`W1234 26 000001 N`).
    din: String,
    /// One JSON object for the whole story instead of lines of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, database: Option<&str>) -> anyhow::Result<Exit> {
    let url = database::resolve_existing(database)?;
    let runtime = database::runtime()?;
    match args.command {
        Command::Verify(args) => runtime.block_on(run_verify(&url, args.json)),
        Command::History(args) => runtime.block_on(run_history(&url, args)),
    }
}

async fn run_verify(url: &str, json: bool) -> anyhow::Result<Exit> {
    let store = database::existing_store(url).await?;
    let report = verify::<Blood, _>(&store)
        .await
        .context("cannot read the ledger")?;
    let head = store.head().await.context("cannot read the ledger")?;
    if json {
        let answer = serde_json::json!({
            "database": database::redact(url),
            "verified": report.is_ok(),
            "entries": report.entries,
            "commands": report.commands,
            "rows": report.rows,
            "last_hash": head.hash.to_hex(),
            "problem": report.problem.as_ref().map(ToString::to_string),
        });
        println!("{answer}");
    } else if report.is_ok() {
        println!("{report}");
        println!(
            "entries: {}\ncommands: {}\nprojection rows: {}\nlast hash: {}",
            report.entries,
            report.commands,
            report.rows,
            head.hash.to_hex()
        );
    } else {
        eprintln!("hemaflow: {report}");
    }
    Ok(if report.is_ok() {
        Exit::Success
    } else {
        Exit::Failure
    })
}

async fn run_history(url: &str, args: HistoryArgs) -> anyhow::Result<Exit> {
    let din = match hemaflow_service::history::parse_din(&args.din) {
        Ok(din) => din,
        Err(e) => {
            eprintln!(
                "hemaflow: {:?} is not a DIN: {e} (scan it, or key it in with its check character)",
                args.din
            );
            return Ok(Exit::InvalidInput);
        }
    };
    let store = database::existing_store(url).await?;
    let Some(history) = hemaflow_service::history::history(&store, &din)
        .await
        .context("cannot read the ledger")?
    else {
        eprintln!(
            "hemaflow: DIN {} is unknown: no entry of the ledger at {} mentions it",
            din.as_str(),
            database::redact(url)
        );
        return Ok(Exit::InvalidInput);
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&history)?);
        return Ok(Exit::Success);
    }
    println!(
        "DIN {} (keyed: {} {}){}",
        history.din,
        history.din,
        din.check_character(),
        history
            .donor_id
            .as_deref()
            .map(|d| format!(", donor {d}"))
            .unwrap_or_default()
    );
    for line in &history.lines {
        println!(
            "#{:<7} {}  {:<16} {:<18} {:<8} {:<28} {}",
            line.sequence,
            line.recorded_at,
            line.actor,
            line.role,
            line.kind,
            line.event_type,
            line.summary
        );
    }
    println!("{} entries", history.lines.len());
    Ok(Exit::Success)
}
