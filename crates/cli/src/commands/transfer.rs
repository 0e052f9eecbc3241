//! `hemaflow export` and `hemaflow import`: the ledger as JSON lines, one entry per line, so
//! that a site can move from SQLite to PostgreSQL without losing a line.

use std::io::{BufWriter, Write};

use anyhow::Context;
use clap::Args as ClapArgs;
use hemaflow_service::Blood;
use hemaflow_service::ledger::{ImportOptions, TransferError, export_with, import_with};

use super::database;
use crate::Exit;

#[derive(ClapArgs)]
pub struct ExportArgs {
    /// The public key of the witness: with it the last checkpoint's signature is checked
    /// before the export carries it in its trailer. Default: the signing key's `.pub`.
    #[arg(long, value_name = "FILE")]
    public_key: Option<std::path::PathBuf>,
}

#[derive(ClapArgs)]
pub struct ImportArgs {
    /// One JSON object (`imported`, `entries`, `commands`, `rows`, or `refused` with the
    /// reason) instead of a line of text; the exit code is the same.
    #[arg(long)]
    json: bool,
    /// Accept an export without a trailer (written before exports ended with one). Without
    /// this flag such an export is refused as cut short.
    #[arg(long)]
    without_trailer: bool,
}

/// Writes every entry of the ledger to stdout, then the trailer with the witness's last
/// checkpoint (its signature checked) when the ledger has a witness.
pub fn run_export(
    args: ExportArgs,
    database: Option<&str>,
    anchor: &super::anchor::Given,
) -> anyhow::Result<Exit> {
    let url = database::resolve_existing(database)?;
    database::runtime()?.block_on(async {
        let store = database::existing_store(&url).await?;
        let checkpoint = last_checkpoint(&url, anchor, args.public_key.as_deref())?;
        let stdout = std::io::stdout();
        let mut out = BufWriter::new(stdout.lock());
        let count = export_with(&store, &mut out, checkpoint)
            .await
            .context("the export stopped")?;
        out.flush().context("cannot write the export")?;
        eprintln!("exported {count} entries from {}", database::redact(&url));
        Ok(Exit::Success)
    })
}

/// The last checkpoint of the ledger's witness, read with its signature checked; `None` when
/// the ledger has no witness and public key to hand. A witness that does not read is an error:
/// an export does not carry what cannot be trusted.
fn last_checkpoint(
    url: &str,
    anchor: &super::anchor::Given,
    public_key: Option<&std::path::Path>,
) -> anyhow::Result<Option<serde_json::Value>> {
    let Some(paths) = anchor.paths(url)? else {
        return Ok(None);
    };
    let public_key = public_key
        .map(ToOwned::to_owned)
        .unwrap_or_else(|| hemaflow_anchor::public_key_path(&paths.signing_key));
    let witness = &paths.witnesses[0];
    if !witness.is_file() || !public_key.is_file() {
        return Ok(None);
    }
    let key = hemaflow_anchor::read_public_key(&public_key)?;
    let read = hemaflow_anchor::read_witness_file(witness, &key)?;
    let Some(last) = read.heads.len().checked_sub(1) else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(witness)
        .with_context(|| format!("cannot read the witness {}", witness.display()))?;
    let line = text.lines().filter(|l| !l.trim().is_empty()).nth(last);
    Ok(line.and_then(|l| serde_json::from_str(l).ok()))
}

/// Reads an export from stdin into an empty database; nothing is written unless all of it
/// checks, replays and verifies.
pub fn run_import(
    args: ImportArgs,
    database: Option<&str>,
    anchor: &super::anchor::Given,
) -> anyhow::Result<Exit> {
    let url = database::resolve(database)?;
    let witness = super::anchor::start(anchor, &url, super::anchor::Announce::Stderr)?;
    database::runtime()?.block_on(async {
        let store = database::store(&url).await?;
        let stdin = std::io::stdin();
        let options = ImportOptions {
            without_trailer: args.without_trailer,
        };
        let imported = import_with::<Blood, _, _>(&store, stdin.lock(), options).await;
        if let (Ok(_), Some(witness)) = (&imported, &witness) {
            super::anchor::witness_store(witness, &store).await?;
        }
        match imported {
            Ok(report) if args.json => {
                let answer = serde_json::json!({
                    "database": database::redact(&url),
                    "imported": true,
                    "entries": report.entries,
                    "commands": report.commands,
                    "rows": report.rows,
                });
                println!("{answer}");
                Ok(Exit::Success)
            }
            Ok(report) => {
                println!("imported into {}: {report}", database::redact(&url));
                Ok(Exit::Success)
            }
            Err(e) => {
                if args.json {
                    let answer = serde_json::json!({
                        "database": database::redact(&url),
                        "imported": false,
                        "refused": e.to_string(),
                    });
                    println!("{answer}");
                }
                eprintln!("hemaflow: import refused: {e}");
                Ok(match e {
                    TransferError::BadLine { .. }
                    | TransferError::Chain { .. }
                    | TransferError::BadEvent { .. }
                    | TransferError::SplitCommand { .. }
                    | TransferError::CutShort { .. }
                    | TransferError::Trailer { .. }
                    | TransferError::Read { .. } => Exit::InvalidInput,
                    _ => Exit::Failure,
                })
            }
        }
    })
}
