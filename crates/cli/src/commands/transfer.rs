//! `hemaflow export` and `hemaflow import`: the ledger as JSON lines, one entry per line, so
//! that a site can move from SQLite to PostgreSQL without losing a line.

use std::io::{BufWriter, Write};

use anyhow::Context;
use clap::Args as ClapArgs;
use hemaflow_service::Blood;
use hemaflow_service::ledger::{TransferError, export, import};

use super::database;
use crate::Exit;

#[derive(ClapArgs)]
pub struct ExportArgs {}

#[derive(ClapArgs)]
pub struct ImportArgs {
    /// One JSON object (`imported`, `entries`, `commands`, `rows`, or `refused` with the
    /// reason) instead of a line of text; the exit code is the same.
    #[arg(long)]
    json: bool,
}

/// Writes every entry of the ledger to stdout.
pub fn run_export(_args: ExportArgs, database: Option<&str>) -> anyhow::Result<Exit> {
    let url = database::resolve_existing(database)?;
    database::runtime()?.block_on(async {
        let store = database::existing_store(&url).await?;
        let stdout = std::io::stdout();
        let mut out = BufWriter::new(stdout.lock());
        let count = export(&store, &mut out)
            .await
            .context("the export stopped")?;
        out.flush().context("cannot write the export")?;
        eprintln!("exported {count} entries from {}", database::redact(&url));
        Ok(Exit::Success)
    })
}

/// Reads an export from stdin into an empty database; nothing is written unless all of it
/// checks, replays and verifies.
pub fn run_import(
    args: ImportArgs,
    database: Option<&str>,
    anchor: &super::anchor::Given,
) -> anyhow::Result<Exit> {
    let url = database::resolve(database)?;
    let witness = super::anchor::start(anchor, &url)?;
    database::runtime()?.block_on(async {
        let store = database::store(&url).await?;
        let stdin = std::io::stdin();
        let imported = import::<Blood, _, _>(&store, stdin.lock()).await;
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
                    | TransferError::Read { .. } => Exit::InvalidInput,
                    _ => Exit::Failure,
                })
            }
        }
    })
}
