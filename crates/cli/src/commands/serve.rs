//! `hemaflow serve` and `hemaflow demo`: the web server on a database, and the same on a fresh
//! database seeded with a small blood centre and an account for every role.

use std::net::SocketAddr;

use anyhow::Context as _;
use hemaflow_web::App;

use crate::Exit;

#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on; anything but loopback needs TLS in front (cookies are Secure).
    /// Default: the configuration file's `server.bind`, else 127.0.0.1:8080.
    #[arg(long)]
    pub bind: Option<SocketAddr>,
    #[command(flatten)]
    pub log: LogArgs,
    #[command(flatten)]
    pub astm: AstmArgs,
}

/// The analysers to listen for over ASTM.
#[derive(clap::Args, Clone, Default)]
pub struct AstmArgs {
    /// An analyser to listen for over ASTM (E1381/E1394 on TCP): `NAME=ADDR` or
    /// `NAME:KIND=ADDR` (KIND nat or serology; default nat, or the `[astm.NAME]` section's).
    /// Repeatable. Its results are recorded as `instrument:NAME`.
    #[arg(long = "astm", value_name = "NAME=ADDR")]
    pub analysers: Vec<String>,
}

impl AstmArgs {
    /// The analysers of the flags and of the configuration file.
    pub fn resolve(
        &self,
        config: &super::config::Loaded,
    ) -> anyhow::Result<Vec<super::astm::analysers::Analyser>> {
        super::astm::analysers::resolve(&self.analysers, &config.settings.astm)
    }
}

/// How the server logs (to standard error; `HEMAFLOW_LOG` filters, e.g. `debug`).
#[derive(clap::Args, Clone, Copy)]
pub struct LogArgs {
    /// `text` for a person, `json` (one object a line, with the request's ID) for a log
    /// collector. Default: the configuration file's `server.log_format`, else text.
    #[arg(long, value_enum, env = "HEMAFLOW_LOG_FORMAT")]
    pub log_format: Option<LogFormat>,
}

#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

fn init_tracing(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("HEMAFLOW_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second initialisation (tests) is harmless: the first subscriber stays.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Serves the database named by the global `--database` (default: the SQLite file in the
/// user's data directory).
pub fn run(
    args: Args,
    database: Option<&str>,
    config: &super::config::Loaded,
) -> anyhow::Result<Exit> {
    let url = super::database::resolve(database)?;
    runtime()?.block_on(async {
        let ledger = hemaflow_service::open_with_clock(&url, super::database::clock())
            .await
            .with_context(|| format!("cannot open the ledger at {}", redact(&url)))?;
        let password = hemaflow_web::auth::token::generate();
        if hemaflow_web::bootstrap_admin(&ledger, "admin", "Administrator", &password).await? {
            // On standard output, with the address: standard error is the log, and a
            // password has no place in a log collector.
            println!(
                "No account existed: created user `admin` with password {password}\n\
                 (shown once; sign in and set a new one on the Users page)"
            );
        }
        let bind = super::config::bind(args.bind, config);
        let format = super::config::log_format(args.log.log_format, config);
        serve(ledger, bind, format, args.astm.resolve(config)?).await
    })
}

pub async fn serve(
    ledger: hemaflow_service::BloodLedger,
    bind: SocketAddr,
    format: LogFormat,
    analysers: Vec<super::astm::analysers::Analyser>,
) -> anyhow::Result<Exit> {
    init_tracing(format);
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let address = listener
        .local_addr()
        .context("cannot read the bound address")?;
    let app = App::new(ledger, hemaflow_web::secure_cookies_for(address));
    for (name, address) in super::astm::listener::start(app.clone(), analysers).await? {
        println!("Listening for analyser {name} (ASTM) on {address}");
    }
    println!("Hemaflow is serving on http://{address}/  (Ctrl-C stops it)");
    tracing::info!(%address, "serving");
    hemaflow_web::serve(listener, app, hemaflow_web::shutdown_signal())
        .await
        .context("the server stopped with an error")?;
    Ok(Exit::Success)
}

/// A database URL with its password hidden, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn a_database_password_is_never_printed() {
        assert_eq!(
            redact("postgres://hemaflow:s3cret@db:5432/hf"),
            "postgres://hemaflow:***@db:5432/hf"
        );
        assert_eq!(redact("sqlite://hemaflow.db"), "sqlite://hemaflow.db");
    }
}
