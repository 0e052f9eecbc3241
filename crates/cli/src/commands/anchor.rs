//! The ledger's anchor on the command line: which signing key and witness files a command
//! that appends uses (`--signing-key`, `--witness`, `--witness-copy`, their environment
//! variables, `[ledger]` in the configuration file, else the defaults below), and the
//! [`FileWitness`] it attaches to the ledger.
//!
//! Defaults: for a SQLite file `F`, the key `F.key` (public half `F.key.pub`) and the witness
//! `F.witness`, beside the database; for PostgreSQL, `postgres-HOST_PORT_DATABASE.key` and
//! `.witness` (named after the URL, its query included, without user or password) in the
//! user's configuration directory (`~/.config/hemaflow/`). An in-memory database has none.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use hemaflow_anchor::FileWitness;
use hemaflow_service::BloodLedger;
use hemaflow_service::ledger::{ChainHead, Checkpoint, Store, Witness};

/// What the flags, the environment and the configuration file say (flags and environment are
/// parsed by clap together; the file is under them).
#[derive(Debug, Clone, Default)]
pub struct Given {
    pub signing_key: Option<PathBuf>,
    pub witness: Option<PathBuf>,
    pub witness_copy: Option<PathBuf>,
}

/// The key and witness files of one database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub signing_key: PathBuf,
    pub witnesses: Vec<PathBuf>,
}

impl Given {
    /// The flags' values, else the file's.
    pub fn over(self, file: &super::config::LedgerSettings) -> Given {
        Given {
            signing_key: self.signing_key.or_else(|| file.signing_key.clone()),
            witness: self.witness.or_else(|| file.witness.clone()),
            witness_copy: self.witness_copy.or_else(|| file.witness_copy.clone()),
        }
    }

    /// The files for the database at `url`; `None` for an in-memory SQLite database (nothing
    /// outlives the process to anchor) unless a key is given.
    pub fn paths(&self, url: &str) -> anyhow::Result<Option<Paths>> {
        let (key, witness) = match default_paths(url)? {
            Some((key, witness)) => (
                self.signing_key.clone().unwrap_or(key),
                self.witness.clone().unwrap_or(witness),
            ),
            None => match (&self.signing_key, &self.witness) {
                (Some(key), Some(witness)) => (key.clone(), witness.clone()),
                _ => return Ok(None),
            },
        };
        let mut witnesses = vec![witness];
        witnesses.extend(self.witness_copy.clone());
        Ok(Some(Paths {
            signing_key: key,
            witnesses,
        }))
    }
}

/// The default key and witness of the database at `url`.
fn default_paths(url: &str) -> anyhow::Result<Option<(PathBuf, PathBuf)>> {
    match hemaflow_service::store::backend_of(url)? {
        hemaflow_service::store::Backend::Sqlite => {
            Ok(hemaflow_service::store::SqliteStore::file_of(url)
                .map(|file| (with_suffix(&file, ".key"), with_suffix(&file, ".witness"))))
        }
        hemaflow_service::store::Backend::Postgres => {
            let dir = config_dir().context(
                "cannot find the user's configuration directory for the PostgreSQL ledger's signing key (HOME is not set); give --signing-key and --witness",
            )?;
            // One witness per database: a witness holds the checkpoints of one ledger.
            let name = postgres_name(url);
            Ok(Some((
                dir.join(format!("{name}.key")),
                dir.join(format!("{name}.witness")),
            )))
        }
    }
}

/// A file name for a PostgreSQL database: its URL without password or scheme, every
/// character but letters, digits, `.` and `-` made `_` (`postgres-db.example_5432_hemaflow`).
fn postgres_name(url: &str) -> String {
    let redacted = hemaflow_service::store::redact(url);
    let rest = redacted
        .split_once("://")
        .map_or(redacted.as_str(), |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let name: String = rest
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(150)
        .collect();
    format!("postgres-{name}")
}

fn with_suffix(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn config_dir() -> Option<PathBuf> {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let dir = var("XDG_CONFIG_HOME")
        .filter(|d| d.is_absolute())
        .or_else(|| var("HOME").map(|h| h.join(".config")))?;
    Some(dir.join("hemaflow"))
}

/// Where [`start`] names the public key and the witness files: standard error, or standard
/// output for a command whose standard error is a log (a server's JSON lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Announce {
    Stdout,
    Stderr,
}

/// The witness of the database at `url`, its key loaded (created on first use); the public
/// key and the files are named where `announce` says.
pub fn start(
    given: &Given,
    url: &str,
    announce: Announce,
) -> anyhow::Result<Option<Arc<FileWitness>>> {
    let Some(paths) = given.paths(url)? else {
        return Ok(None);
    };
    let key = hemaflow_anchor::load_or_create(&paths.signing_key)?;
    let public = hemaflow_anchor::public_key_path(&paths.signing_key);
    let witness = FileWitness::open(
        paths.witnesses.clone(),
        key.clone(),
        super::database::clock(),
        hemaflow_anchor::DEFAULT_INTERVAL,
    )
    .context("cannot open the witness file")?;
    let hex: String = key
        .verifying_key()
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let files: Vec<String> = paths
        .witnesses
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let line = format!(
        "ledger signing key {hex} (public key in {}); checkpoints to {}",
        public.display(),
        files.join(" and ")
    );
    match announce {
        Announce::Stdout => println!("{line}"),
        Announce::Stderr => eprintln!("{line}"),
    }
    Ok(Some(Arc::new(witness)))
}

/// The ledger with its witness attached, if any.
pub fn attach(ledger: BloodLedger, witness: Option<&Arc<FileWitness>>) -> BloodLedger {
    match witness {
        Some(witness) => ledger.with_witness(Arc::clone(witness) as Arc<dyn Witness>),
        None => ledger,
    }
}

/// Signs the head of a ledger written without the engine (an import).
pub async fn witness_store(witness: &FileWitness, store: &impl Store) -> anyhow::Result<()> {
    let head = store
        .head()
        .await
        .context("cannot read the ledger's head")?;
    if head == ChainHead::EMPTY {
        return Ok(());
    }
    let first = store.entries_after(0, 1).await?;
    let last = store.entries_after(head.sequence - 1, 1).await?;
    if let (Some(first), Some(last)) = (first.first(), last.first()) {
        witness.committed(Checkpoint {
            ledger: first.hash,
            sequence: head.sequence,
            head: head.hash,
            recorded_at: last.recorded_at,
        });
    }
    finish(Some(witness))
}

/// Waits until the witness holds the last head; an error if it could not be written.
pub fn finish(witness: Option<&FileWitness>) -> anyhow::Result<()> {
    if let Some(witness) = witness {
        witness
            .flush()
            .map_err(|e| anyhow::anyhow!("the ledger's last checkpoint was not written: {e}"))?;
    }
    Ok(())
}
