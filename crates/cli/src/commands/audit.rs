//! `hemaflow audit`: prove the record was not altered (`verify`), and tell a unit's story
//! from it (`history`).

use anyhow::Context;
use clap::{Args as ClapArgs, Subcommand};
use hemaflow_service::Blood;
use hemaflow_service::ledger::{Store, VerifyReport, Witnessed, verify, verify_witnessed};

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
    /// the stored ones, and check the ledger against the signed checkpoints of its witness
    /// (`--witness`, `--public-key`; by default the files beside the database when they
    /// exist). Exit 0 when all agree; 1 naming the first entry, row or checkpoint that does
    /// not; 3 when all agree but entries follow the last checkpoint (not yet witnessed).
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
    /// The public key (64 hex digits, the `.pub` written beside the signing key) that signed
    /// the witness's checkpoints. Default: the signing key's `.pub`, when the witness is read.
    #[arg(long, value_name = "FILE")]
    public_key: Option<std::path::PathBuf>,
    /// Accept entries recorded earlier than the one before them (a ledger written before
    /// Hemaflow refused planned times that go back); a note names the first. Without this
    /// flag such a ledger does not verify.
    #[arg(long)]
    legacy_times: bool,
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

pub fn run(
    args: Args,
    database: Option<&str>,
    anchor: &super::anchor::Given,
) -> anyhow::Result<Exit> {
    let url = database::resolve_existing(database)?;
    let runtime = database::runtime()?;
    match args.command {
        Command::Verify(args) => runtime.block_on(run_verify(&url, &args, anchor)),
        Command::History(args) => runtime.block_on(run_history(&url, args)),
    }
}

/// The witness files and public key a verify reads: those named (flags, environment,
/// configuration), which must exist; else the defaults beside the database when both exist.
struct WitnessFiles {
    witnesses: Vec<std::path::PathBuf>,
    public_key: std::path::PathBuf,
}

fn witness_files(
    url: &str,
    anchor: &super::anchor::Given,
    public_key: Option<&std::path::Path>,
) -> anyhow::Result<Option<WitnessFiles>> {
    let named = anchor.witness.is_some() || public_key.is_some();
    let Some(paths) = anchor.paths(url)? else {
        if named {
            anyhow::bail!("give both --witness FILE and --public-key FILE");
        }
        return Ok(None);
    };
    let public_key = public_key
        .map(ToOwned::to_owned)
        .unwrap_or_else(|| hemaflow_anchor::public_key_path(&paths.signing_key));
    let files = WitnessFiles {
        witnesses: paths.witnesses,
        public_key,
    };
    let missing: Vec<String> = std::iter::once(&files.public_key)
        .chain(&files.witnesses)
        .filter(|p| !p.is_file())
        .map(|p| p.display().to_string())
        .collect();
    match (missing.is_empty(), named) {
        (true, _) => Ok(Some(files)),
        (false, true) => anyhow::bail!(
            "cannot check the ledger against its witness: no file {}",
            missing.join(", no file ")
        ),
        (false, false) => Ok(None),
    }
}

/// Every checkpoint of every witness file, each signature checked.
fn read_witnessed(files: &WitnessFiles) -> anyhow::Result<Witnessed> {
    let key = hemaflow_anchor::read_public_key(&files.public_key)?;
    let mut all = Witnessed::default();
    for path in &files.witnesses {
        let witnessed = hemaflow_anchor::read_witness_file(path, &key)?;
        all.heads.extend(witnessed.heads);
    }
    Ok(all)
}

async fn run_verify(
    url: &str,
    args: &VerifyArgs,
    anchor: &super::anchor::Given,
) -> anyhow::Result<Exit> {
    let json = args.json;
    let store = database::existing_store(url).await?;
    let witness = match witness_files(url, anchor, args.public_key.as_deref()) {
        Ok(witness) => witness,
        Err(e) => {
            eprintln!("hemaflow: {e:#}");
            return Ok(Exit::InvalidInput);
        }
    };
    let witnessed = match witness.as_ref().map(read_witnessed).transpose() {
        Ok(witnessed) => witnessed,
        Err(e) => {
            let problem = format!("the witness cannot be trusted: {e:#}");
            if json {
                let answer = serde_json::json!({
                    "database": database::redact(url),
                    "verified": false,
                    "problem": problem,
                });
                println!("{answer}");
            }
            eprintln!("hemaflow: ledger does NOT verify: {problem}");
            return Ok(Exit::Failure);
        }
    };
    let report = match &witnessed {
        Some(witnessed) => verify_witnessed::<Blood, _>(&store, witnessed).await,
        None => verify::<Blood, _>(&store).await,
    }
    .context("cannot read the ledger")?;
    let report = times_checked(report, args.legacy_times);
    let head = store.head().await.context("cannot read the ledger")?;
    let unwitnessed = report.witness.as_ref().map_or(0, |w| w.unwitnessed);
    if json {
        let answer = serde_json::json!({
            "database": database::redact(url),
            "verified": report.is_ok(),
            "entries": report.entries,
            "commands": report.commands,
            "rows": report.rows,
            "last_hash": head.hash.to_hex(),
            "witness": report.witness.as_ref().map(|w| serde_json::json!({
                "checkpoints": w.checkpoints,
                "last_witnessed": w.last_witnessed,
                "unwitnessed": w.unwitnessed,
            })),
            "problem": report.problem.as_ref().map(ToString::to_string),
        });
        println!("{answer}");
    } else if report.is_ok() {
        print_verified(&report, &head.hash.to_hex());
    } else {
        eprintln!("hemaflow: {report}");
    }
    Ok(if !report.is_ok() {
        Exit::Failure
    } else if unwitnessed > 0 {
        Exit::Unwitnessed
    } else {
        Exit::Success
    })
}

/// A time that runs backwards is the report's problem unless the ledger is accepted as one
/// written before the engine refused such times (then a note on standard error).
fn times_checked(mut report: VerifyReport, legacy_times: bool) -> VerifyReport {
    if report.problem.is_some() {
        return report;
    }
    match report.time_backwards.take() {
        Some(problem) if legacy_times => {
            eprintln!(
                "hemaflow: note: {problem} (accepted with --legacy-times: a ledger written before Hemaflow refused times that go back)"
            );
        }
        Some(problem) => report.problem = Some(problem),
        None => {}
    }
    report
}

fn print_verified(report: &VerifyReport, last_hash: &str) {
    println!("{report}");
    println!(
        "entries: {}\ncommands: {}\nprojection rows: {}\nlast hash: {last_hash}",
        report.entries, report.commands, report.rows,
    );
    match &report.witness {
        None => println!(
            "witness: none read: the chain was checked, but whoever can write to the database can recompute it; give --witness and --public-key"
        ),
        Some(w) => {
            println!(
                "witness: {} signed checkpoints, the last at entry {}",
                w.checkpoints, w.last_witnessed
            );
            if w.unwitnessed > 0 {
                eprintln!(
                    "hemaflow: warning: not yet witnessed: {} entries after checkpoint at seq {} (a writer still running, or entries added behind its back)",
                    w.unwitnessed, w.last_witnessed
                );
            }
        }
    }
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
