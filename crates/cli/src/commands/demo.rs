//! `hemaflow demo`: a new database holding a realistic blood centre, made through the domain's
//! commands (see `hemaflow_service::demo`), with a sign-in account for every role; then the
//! server on it, or, with `--seed-only`, exit.

use anyhow::Context;
use clap::Args as ClapArgs;
use hemaflow_service::demo::{DemoError, DemoOptions, DemoSummary, seed};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::database;
use crate::Exit;

#[derive(ClapArgs)]
pub struct Args {
    /// Create and seed the database, print what was made, and exit. Without it the demo is
    /// served, on a fresh SQLite file in a temporary folder unless --database names one.
    #[arg(long)]
    pub seed_only: bool,
    /// Address to serve on. Default: the configuration file's `server.bind`, else
    /// 127.0.0.1:8080.
    #[arg(long)]
    pub bind: Option<std::net::SocketAddr>,
    #[command(flatten)]
    pub log: super::serve::LogArgs,
    #[command(flatten)]
    pub hl7: super::serve::Hl7Args,
    #[command(flatten)]
    pub astm: super::serve::AstmArgs,
    /// The random seed: the same seed (and --now) makes the same centre.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// How many donors come in over the period.
    #[arg(long, default_value_t = 300)]
    pub donors: u32,
    /// How many days of work before now.
    #[arg(long, default_value_t = 35)]
    pub days: u32,
    /// The end of the story, RFC 3339 (default: the current time).
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(
    args: Args,
    database: Option<&str>,
    config: &super::config::Loaded,
    anchor: &super::anchor::Given,
) -> anyhow::Result<Exit> {
    let now = match &args.now {
        None => super::database::now(),
        Some(text) => match OffsetDateTime::parse(text, &Rfc3339) {
            Ok(now) => now,
            Err(e) => {
                eprintln!("hemaflow: --now {text:?} is not an RFC 3339 time: {e}");
                return Ok(Exit::InvalidInput);
            }
        },
    };
    let options = DemoOptions {
        seed: args.seed,
        donors: args.donors,
        days: args.days,
        now,
    };
    // Served without --database: a fresh file that disappears with the demo.
    let (url, _folder) = match (database, args.seed_only) {
        (None, false) => {
            let folder = tempfile::Builder::new()
                .prefix("hemaflow-demo-")
                .tempdir()
                .context("cannot make a folder for the demo database")?;
            let url = format!("sqlite://{}", folder.path().join("demo.db").display());
            (url, Some(folder))
        }
        (database, _) => (database::resolve(database)?, None),
    };
    // Standard output unless it is one JSON object (then standard error, a log once served).
    let announce = if args.json {
        super::anchor::Announce::Stderr
    } else {
        super::anchor::Announce::Stdout
    };
    let witness = super::anchor::start(anchor, &url, announce)?;
    super::serve::runtime()?.block_on(async {
        let ledger = super::anchor::attach(database::open(&url).await?, witness.as_ref());
        match seed(&ledger, &options).await {
            Ok(summary) => {
                hemaflow_web::demo::accounts(&ledger)
                    .await
                    .context("cannot create the demo accounts")?;
                if args.json {
                    println!("{}", serde_json::to_string_pretty(&summary)?);
                } else {
                    print_summary(&summary, &url);
                    print_accounts();
                }
                if args.seed_only {
                    super::anchor::finish(witness.as_deref())?;
                    return Ok(Exit::Success);
                }
                super::serve::serve(
                    ledger,
                    super::config::bind(args.bind, config),
                    super::config::log_format(args.log.log_format, config),
                    super::serve::Hl7Plan::of(args.hl7, config, &url),
                    args.astm.resolve(config)?,
                )
                .await
            }
            Err(e @ DemoError::NotEmpty { .. }) => {
                eprintln!(
                    "hemaflow: {e}; {} was left as it was. Choose another --database",
                    database::redact(&url)
                );
                Ok(Exit::Failure)
            }
            Err(e) => Err(e).context("the demo could not be seeded"),
        }
    })
}

fn print_summary(summary: &DemoSummary, url: &str) {
    println!("Demo blood centre created in {}", database::redact(url));
    println!(
        "{} commands ({} accepted, {} refused and recorded), {} ledger entries, seed {}",
        summary.commands,
        summary.accepted,
        summary.refused.values().sum::<u64>(),
        summary.entries,
        summary.seed
    );
    println!(
        "{} donors, {} deferrals, {} donations, {} open holds, {} tasks",
        summary.donors, summary.deferrals, summary.donations, summary.open_holds, summary.tasks
    );
    let components: Vec<String> = summary
        .components_by_status
        .iter()
        .map(|(status, n)| format!("{n} {status}"))
        .collect();
    println!("components: {}", components.join(", "));
    let refused: Vec<String> = summary
        .refused
        .iter()
        .map(|(rule, n)| format!("{n} {rule}"))
        .collect();
    println!("refusals: {}", refused.join(", "));
    let orders: Vec<String> = summary
        .orders_by_status
        .iter()
        .map(|(status, n)| format!("{n} {status}"))
        .collect();
    println!(
        "hospital orders: {} ({} at risk of missing their clock), {} shipments",
        orders.join(", "),
        summary.orders_at_risk,
        summary.shipments
    );
    println!("\nSites:");
    for site in &summary.sites {
        println!("  {}  {} ({})", site.code, site.name, site.state);
    }
    println!("Hospitals:");
    for hospital in &hemaflow_service::demo::DEMO_HOSPITALS {
        println!(
            "  {:<17} {} (user {})",
            hospital.id, hospital.name, hospital.user
        );
    }
    println!("\nStaff (actor ids as recorded in the ledger):");
    for member in &summary.staff {
        println!(
            "  {:<12} {:<18} {:<18} {}",
            member.actor,
            member.name,
            member.role.as_str(),
            member.works_at
        );
    }
    println!(
        "\nA unit at each stage (scan it into the look-up field, or `hemaflow audit history` it):"
    );
    // Printed as the DIN barcode reads (flags 00), so it can be typed into any scan field.
    for (stage, din) in &summary.examples {
        println!("  ={din}00  {stage}");
    }
}

fn print_accounts() {
    println!(
        "\nSign in with these accounts (password `{}` for each):",
        hemaflow_web::demo::DEMO_PASSWORD
    );
    for (user_id, name, role, hospital) in hemaflow_web::demo::ACCOUNTS {
        let scope = hospital.map(|h| format!(", {h}")).unwrap_or_default();
        println!("  {user_id:<10} {name} ({}{scope})", role.as_str());
    }
}
