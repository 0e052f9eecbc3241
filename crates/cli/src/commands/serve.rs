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
    pub hl7: Hl7Args,
    #[command(flatten)]
    pub astm: AstmArgs,
}

/// The HL7 v2.5 interface beside the web server.
#[derive(clap::Args, Clone, Copy, Default)]
pub struct Hl7Args {
    /// Also listen for HL7 v2.5 over MLLP here (OMB^O27 orders answered by ORB^O28; the
    /// `[hl7]` section of the configuration maps each sending facility to its hospital).
    /// Default: the configuration file's `hl7.mllp`, else no listener.
    #[arg(long, value_name = "ADDR")]
    pub mllp: Option<SocketAddr>,
}

/// What the HL7 interface runs with: its settings, where it listens, where the outbound
/// queue keeps its state.
pub struct Hl7Plan {
    pub settings: hemaflow_hl7::config::Hl7Settings,
    pub mllp: Option<SocketAddr>,
    pub state_path: std::path::PathBuf,
}

impl Hl7Plan {
    /// `--mllp` over the file's `hl7.mllp`; the state file as configured, else beside a
    /// SQLite database, else in the working folder.
    pub fn of(args: Hl7Args, config: &super::config::Loaded, url: &str) -> Hl7Plan {
        let settings = config.settings.hl7.clone();
        let beside_database = url
            .strip_prefix("sqlite://")
            .map(std::path::Path::new)
            .and_then(std::path::Path::parent)
            .map(|dir| dir.join("hl7-outbound.json"));
        let state_path = settings
            .outbound_state
            .clone()
            .or(beside_database)
            .unwrap_or_else(|| std::path::PathBuf::from("hl7-outbound.json"));
        Hl7Plan {
            mllp: args.mllp.or(settings.mllp),
            settings,
            state_path,
        }
    }
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
    anchor: &super::anchor::Given,
) -> anyhow::Result<Exit> {
    let url = super::database::resolve(database)?;
    let witness = super::anchor::start(anchor, &url, super::anchor::Announce::Stdout)?;
    runtime()?.block_on(async {
        let ledger = hemaflow_service::open_with_clock(&url, super::database::clock())
            .await
            .with_context(|| format!("cannot open the ledger at {}", redact(&url)))?;
        let ledger = super::anchor::attach(ledger, witness.as_ref());
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
        let analysers = args.astm.resolve(config)?;
        serve(
            ledger,
            bind,
            format,
            Hl7Plan::of(args.hl7, config, &url),
            analysers,
        )
        .await
    })
}

pub async fn serve(
    ledger: hemaflow_service::BloodLedger,
    bind: SocketAddr,
    format: LogFormat,
    hl7: Hl7Plan,
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
    start_hl7(&app, hl7).await?;
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

/// The MLLP listener (when an address is given) and the BPS^O29 sender (when a hospital has
/// an endpoint), as tasks beside the web server on the same ledger.
async fn start_hl7(app: &App, plan: Hl7Plan) -> anyhow::Result<()> {
    let settings = std::sync::Arc::new(plan.settings);
    // A sender mapped to a hospital not on record has its orders refused by the domain: say so
    // at startup rather than at the first order.
    let unknown: Vec<String> = app
        .ledger
        .read(|records| {
            settings
                .senders
                .iter()
                .filter(|s| !records.hospitals.contains_key(&s.hospital))
                .map(|s| format!("{} -> {}", s.facility, s.hospital))
                .collect()
        })
        .await?;
    for sender in unknown {
        tracing::warn!(%sender, "hl7.senders names a hospital not on record: its orders will be refused");
    }
    if let Some(mllp) = plan.mllp {
        let listener = tokio::net::TcpListener::bind(mllp)
            .await
            .with_context(|| format!("cannot listen for MLLP on {mllp}"))?;
        let address = listener
            .local_addr()
            .context("cannot read the MLLP address")?;
        println!("Hemaflow is receiving HL7 v2.5 on mllp://{address}");
        tracing::info!(%address, "receiving HL7 over MLLP");
        let interface = hemaflow_hl7::listener::Interface::new(app.clone(), settings.clone());
        tokio::spawn(hemaflow_hl7::listener::serve(
            listener,
            interface,
            hemaflow_web::shutdown_signal(),
        ));
    }
    if settings.senders.iter().any(|s| s.bps_endpoint.is_some()) {
        let app = app.clone();
        let path = plan.state_path;
        tracing::info!(state = %path.display(), "sending BPS^O29 when shipments leave");
        tokio::spawn(async move {
            let interval = std::time::Duration::from_millis(500);
            if let Err(why) = hemaflow_hl7::outbound::run(app, settings, path, interval).await {
                tracing::error!("the BPS^O29 sender stopped: {why}");
            }
        });
    }
    Ok(())
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
