//! The configuration file beside the command line and the environment: `--config FILE` (or
//! `HEMAFLOW_CONFIG`), else `hemaflow.toml` in the user's configuration directory
//! (`$XDG_CONFIG_HOME/hemaflow/` or `~/.config/hemaflow/`) when it exists. A flag wins over
//! its environment variable, which wins over the file, which wins over the default. Unknown
//! keys are refused, so that a misspelt setting is not silently ignored.
//!
//! ```toml
//! database = "sqlite:///var/lib/hemaflow/hemaflow.db"
//!
//! [server]
//! bind = "127.0.0.1:8080"
//! log_format = "json"
//!
//! [ledger]
//! signing_key = "/etc/hemaflow/ledger.key"      # mode 0600, created on first start
//! witness = "/var/lib/hemaflow-witness/hemaflow.witness"
//! witness_copy = "/mnt/offsite/hemaflow.witness" # optional second witness
//! [astm.panther1]
//! address = "127.0.0.1:5001"
//! kind = "nat"
//! ```
//!
//! `hemaflow config check` reads it, checks every value and prints what each setting comes
//! to and from where.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use super::serve::LogFormat;
use crate::Exit;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The database URL (`sqlite://FILE` or `postgres://...`).
    pub database: Option<String>,
    #[serde(default)]
    pub server: ServerSettings,
    #[serde(default)]
    pub ledger: LedgerSettings,
    /// The HL7 v2.5 interface (`hemaflow_hl7::config`): the MLLP listener and the hospitals'
    /// systems.
    #[serde(default)]
    pub hl7: hemaflow_hl7::config::Hl7Settings,
    /// The analysers `serve` listens for, by name (`[astm.NAME]`).
    #[serde(default)]
    pub astm: std::collections::BTreeMap<String, super::astm::analysers::AnalyserSettings>,
}

/// Where the ledger's signing key and witness files are (see `commands::anchor`).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerSettings {
    pub signing_key: Option<PathBuf>,
    pub witness: Option<PathBuf>,
    pub witness_copy: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: Option<SocketAddr>,
    pub log_format: Option<LogFormatSetting>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormatSetting {
    Text,
    Json,
}

impl From<LogFormatSetting> for LogFormat {
    fn from(setting: LogFormatSetting) -> LogFormat {
        match setting {
            LogFormatSetting::Text => LogFormat::Text,
            LogFormatSetting::Json => LogFormat::Json,
        }
    }
}

/// The settings in force: the file read (if any) and what it says.
#[derive(Debug, Default)]
pub struct Loaded {
    pub file: Option<PathBuf>,
    pub settings: Settings,
}

/// The default file, when the user's configuration directory is known.
fn default_file() -> Option<PathBuf> {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let dir = var("XDG_CONFIG_HOME")
        .filter(|d| d.is_absolute())
        .or_else(|| var("HOME").map(|h| h.join(".config")))?;
    Some(dir.join("hemaflow").join("hemaflow.toml"))
}

/// Reads the configuration: `given` (which must exist), else the default file if there is one.
pub fn load(given: Option<&Path>) -> anyhow::Result<Loaded> {
    let file = match given {
        Some(path) => Some(path.to_owned()),
        None => default_file().filter(|p| p.is_file()),
    };
    let Some(file) = file else {
        return Ok(Loaded::default());
    };
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read the configuration file {}", file.display()))?;
    let settings: Settings = toml::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "the configuration file {} is not valid: {e}",
            file.display()
        )
    })?;
    if let Some(url) = &settings.database {
        hemaflow_service::store::backend_of(url)
            .map_err(|e| anyhow::anyhow!("{}: database: {e}", file.display()))?;
    }
    settings
        .hl7
        .check()
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    Ok(Loaded {
        file: Some(file),
        settings,
    })
}

/// Where a setting came from, for `config check`.
fn source(given: bool, in_file: bool, given_as: &str) -> String {
    if given {
        given_as.to_owned()
    } else if in_file {
        "configuration file".to_owned()
    } else {
        "default".to_owned()
    }
}

/// `hemaflow config check`: every setting, its value and where it comes from.
pub fn check(loaded: &Loaded, database_flag: Option<&str>) -> anyhow::Result<Exit> {
    let database = match (database_flag, &loaded.settings.database) {
        (Some(url), _) => url.to_owned(),
        (None, Some(url)) => url.clone(),
        (None, None) => super::database::resolve_existing(None)?,
    };
    hemaflow_service::store::backend_of(&database).map_err(|e| anyhow::anyhow!("database: {e}"))?;
    let server = &loaded.settings.server;
    let bind = server
        .bind
        .map_or_else(|| "127.0.0.1:8080".to_owned(), |b| b.to_string());
    let log_format = match server.log_format {
        Some(LogFormatSetting::Json) => "json",
        Some(LogFormatSetting::Text) | None => "text",
    };
    match &loaded.file {
        Some(file) => println!("configuration file  {}", file.display()),
        None => println!("configuration file  none (defaults, flags and environment only)"),
    }
    let database_from = source(
        database_flag.is_some(),
        loaded.settings.database.is_some(),
        "command line or HEMAFLOW_DATABASE_URL",
    );
    println!(
        "database            {} ({database_from})",
        super::database::redact(&database)
    );
    println!(
        "server.bind         {bind} ({})",
        source(false, server.bind.is_some(), "")
    );
    println!(
        "server.log_format   {log_format} ({})",
        source(false, server.log_format.is_some(), "")
    );
    let hl7 = &loaded.settings.hl7;
    println!(
        "hl7.mllp            {} ({})",
        hl7.mllp.map_or_else(|| "off".to_owned(), |a| a.to_string()),
        source(false, hl7.mllp.is_some(), "")
    );
    for sender in &hl7.senders {
        println!(
            "hl7.senders         {} -> hospital {}{}",
            sender.facility,
            sender.hospital,
            sender
                .bps_endpoint
                .as_ref()
                .map(|e| format!(", BPS^O29 to {e}"))
                .unwrap_or_default()
        );
    }
    println!("configuration valid");
    Ok(Exit::Success)
}

/// `--bind` if given, else the file's, else the default.
pub fn bind(flag: Option<SocketAddr>, loaded: &Loaded) -> SocketAddr {
    flag.or(loaded.settings.server.bind)
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)))
}

/// `--log-format` (or its variable) if given, else the file's, else text.
pub fn log_format(flag: Option<LogFormat>, loaded: &Loaded) -> LogFormat {
    flag.or(loaded.settings.server.log_format.map(LogFormat::from))
        .unwrap_or(LogFormat::Text)
}
