//! `hemaflow backup --to FILE`: an online backup of the SQLite ledger, taken while the server
//! runs (SQLite's `VACUUM INTO`: one consistent snapshot, readers and writers not stopped),
//! then verified: the copy's chain and projections are checked and its last hash compared
//! with the one the source had when the copy began. PostgreSQL has its own tools (`pg_dump`,
//! base backups); this command refuses a PostgreSQL URL and says so.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args as ClapArgs;
use hemaflow_service::Blood;
use hemaflow_service::ledger::{Store, verify};
use hemaflow_service::store::AnyStore;

use super::database;
use crate::Exit;

#[derive(ClapArgs)]
pub struct Args {
    /// The new SQLite file to write (never overwritten).
    #[arg(long)]
    to: PathBuf,
}

pub fn run(args: Args, database: Option<&str>) -> anyhow::Result<Exit> {
    let url = database::resolve_existing(database)?;
    database::runtime()?.block_on(async {
        let store = database::existing_store(&url).await?;
        let AnyStore::Sqlite(sqlite) = &store else {
            eprintln!(
                "hemaflow: {} is PostgreSQL: back it up with pg_dump or a base backup; this command copies SQLite ledgers",
                database::redact(&url)
            );
            return Ok(Exit::InvalidInput);
        };
        if args.to.exists() {
            eprintln!(
                "hemaflow: {} already exists: a backup never overwrites a file",
                args.to.display()
            );
            return Ok(Exit::InvalidInput);
        }
        let before = store.head().await.context("cannot read the ledger")?;
        sqlite.backup_to(&args.to).await?;
        let copy_url = format!("sqlite://{}", args.to.display());
        let copy = database::existing_store(&copy_url).await?;
        let report = verify::<Blood, _>(&copy)
            .await
            .context("cannot read the backup")?;
        let head = copy.head().await.context("cannot read the backup")?;
        if !report.is_ok() {
            bail!("the backup {} does not verify: {report}", args.to.display());
        }
        if head.sequence < before.sequence {
            bail!(
                "the backup ends at entry {} but the ledger had {} when it began",
                head.sequence,
                before.sequence
            );
        }
        println!(
            "backed up {} to {}: {report}; last hash {}",
            database::redact(&url),
            args.to.display(),
            head.hash.to_hex()
        );
        Ok(Exit::Success)
    })
}
