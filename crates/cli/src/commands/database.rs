//! Where the ledger lives: `--database URL`, else `HEMAFLOW_DATABASE_URL`, else the embedded
//! SQLite file `hemaflow.db` in the user's data directory, created on first use:
//!
//! - Linux and other Unix: `$XDG_DATA_HOME/hemaflow/hemaflow.db`, or
//!   `~/.local/share/hemaflow/hemaflow.db` when `XDG_DATA_HOME` is unset or not absolute
//!   (XDG Base Directory specification);
//! - macOS: `~/Library/Application Support/hemaflow/hemaflow.db`;
//! - Windows: `%APPDATA%\hemaflow\hemaflow.db`.

use std::path::PathBuf;

use anyhow::{Context, bail};
use hemaflow_service::BloodLedger;

/// The environment variable that names the database when `--database` is not given.
pub const DATABASE_VAR: &str = "HEMAFLOW_DATABASE_URL";

/// The URL to open: the one given, or the default file (its directory created now).
pub fn resolve(given: Option<&str>) -> anyhow::Result<String> {
    if let Some(url) = given.filter(|u| !u.trim().is_empty()) {
        return Ok(url.to_owned());
    }
    let dir = data_dir()?.join("hemaflow");
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    Ok(format!("sqlite://{}", dir.join("hemaflow.db").display()))
}

/// As [`resolve`], for a command that only reads: nothing is created, not even the data
/// directory.
pub fn resolve_existing(given: Option<&str>) -> anyhow::Result<String> {
    if let Some(url) = given.filter(|u| !u.trim().is_empty()) {
        return Ok(url.to_owned());
    }
    let file = data_dir()?.join("hemaflow").join("hemaflow.db");
    Ok(format!("sqlite://{}", file.display()))
}

/// The user's data directory, from the environment as each platform defines it.
fn data_dir() -> anyhow::Result<PathBuf> {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if cfg!(windows) {
        if let Some(dir) = var("APPDATA") {
            return Ok(dir);
        }
    } else if cfg!(target_os = "macos") {
        if let Some(home) = var("HOME") {
            return Ok(home.join("Library").join("Application Support"));
        }
    } else {
        if let Some(dir) = var("XDG_DATA_HOME").filter(|d| d.is_absolute()) {
            return Ok(dir);
        }
        if let Some(home) = var("HOME") {
            return Ok(home.join(".local").join("share"));
        }
    }
    bail!(
        "cannot find the user's data directory for the default database (HOME is not set); give --database URL or set {DATABASE_VAR}"
    )
}

/// A runtime for the database work of one command.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The process's one clock (the system's), constructed once: the ledger stamps live commands
/// with it, and what the command line shows or counts as "now" reads it.
pub fn clock() -> hemaflow_service::ledger::SharedClock {
    static CLOCK: std::sync::OnceLock<hemaflow_service::ledger::SharedClock> =
        std::sync::OnceLock::new();
    CLOCK
        .get_or_init(hemaflow_service::ledger::SystemClock::shared)
        .clone()
}

/// The clock's reading as the domain's time.
pub fn now() -> time::OffsetDateTime {
    hemaflow_service::time_of(clock().now())
}

/// Opens the ledger at `url`, replaying it, with the process's clock; the error says which
/// database and why.
pub async fn open(url: &str) -> anyhow::Result<BloodLedger> {
    hemaflow_service::open_with_clock(url, clock())
        .await
        .with_context(|| format!("cannot open the ledger at {}", redact(url)))
}

/// Opens the store at `url` without replaying the ledger (verify, export, import read it
/// themselves, and must work on a ledger that does not replay).
pub async fn store(url: &str) -> anyhow::Result<hemaflow_service::store::AnyStore> {
    hemaflow_service::store::connect(url)
        .await
        .with_context(|| format!("cannot open the database {}", redact(url)))
}

/// As [`store`], for a command that only reads: the database must already hold a Hemaflow
/// ledger, so that a mistyped path or URL is an error, never a new empty ledger.
pub async fn existing_store(url: &str) -> anyhow::Result<hemaflow_service::store::AnyStore> {
    let found = hemaflow_service::store::has_ledger(url)
        .await
        .with_context(|| format!("cannot open the database {}", redact(url)))?;
    if !found {
        bail!(
            "no Hemaflow ledger at {}: this command only reads and creates nothing; check --database or {DATABASE_VAR}",
            redact(url)
        );
    }
    store(url).await
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    hemaflow_service::store::redact(url)
}
