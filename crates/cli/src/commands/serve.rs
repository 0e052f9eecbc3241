//! `hemaflow serve` and `hemaflow demo`: the web server on a database, and the same on a fresh
//! database seeded with a small blood centre and an account for every role.

use std::net::SocketAddr;

use anyhow::Context as _;
use hemaflow_web::{App, demo};

use crate::Exit;

#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on; anything but loopback needs TLS in front (cookies are Secure).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// The database: sqlite://FILE or postgres://...
    #[arg(long, env = "HEMAFLOW_DATABASE_URL", default_value = hemaflow_service::store::DEFAULT_DATABASE_URL)]
    pub database: String,
}

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// A database to seed; it must be empty. Default: a new SQLite file in a temporary folder.
    #[arg(long)]
    pub database: Option<String>,
    /// Seed the database and exit without serving.
    #[arg(long)]
    pub seed_only: bool,
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("HEMAFLOW_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info"));
    // A second initialisation (tests) is harmless: the first subscriber stays.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub fn run(args: Args) -> anyhow::Result<Exit> {
    init_tracing();
    runtime()?.block_on(async {
        let ledger = hemaflow_service::open(&args.database)
            .await
            .with_context(|| format!("cannot open the ledger at {}", redact(&args.database)))?;
        let password = hemaflow_web::auth::token::generate();
        if hemaflow_web::bootstrap_admin(&ledger, "admin", "Administrator", &password).await? {
            eprintln!(
                "No account existed: created user `admin` with password {password}\n\
                 (shown once; sign in and set a new one on the Users page)"
            );
        }
        serve(ledger, args.bind).await
    })
}

pub fn run_demo(args: DemoArgs) -> anyhow::Result<Exit> {
    init_tracing();
    let (database, _folder) = match args.database {
        Some(url) => (url, None),
        None => {
            let folder = tempfile::Builder::new()
                .prefix("hemaflow-demo-")
                .tempdir()
                .context("cannot make a folder for the demo database")?;
            let url = format!("sqlite://{}", folder.path().join("demo.db").display());
            (url, Some(folder))
        }
    };
    runtime()?.block_on(async {
        let ledger = hemaflow_service::open(&database)
            .await
            .with_context(|| format!("cannot open the ledger at {}", redact(&database)))?;
        if !ledger
            .read(|state| state.users.is_empty() && state.donors.is_empty())
            .await?
        {
            anyhow::bail!(
                "the demo seeds an empty database; {} is not empty",
                redact(&database)
            );
        }
        let scans = demo::seed(&ledger)
            .await
            .context("cannot seed the demo centre")?;
        println!("Hemaflow demo database: {}", redact(&database));
        println!("DIN barcodes to scan into the look-up field:");
        for (scan, shows) in &scans {
            println!("  {scan}  {shows}");
        }
        println!(
            "Demo accounts (password `{}` for each):",
            demo::DEMO_PASSWORD
        );
        for (user_id, name, role, hospital) in demo::ACCOUNTS {
            let scope = hospital.map(|h| format!(", {h}")).unwrap_or_default();
            println!("  {user_id:<10} {name} ({}{scope})", role.as_str());
        }
        if args.seed_only {
            return Ok(Exit::Success);
        }
        serve(ledger, args.bind).await
    })
}

async fn serve(ledger: hemaflow_service::BloodLedger, bind: SocketAddr) -> anyhow::Result<Exit> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let address = listener
        .local_addr()
        .context("cannot read the bound address")?;
    let app = App::new(ledger, hemaflow_web::secure_cookies_for(address));
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
