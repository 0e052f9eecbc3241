//! `hemaflow bench`: throughput measured against a baseline measured in the same run, so that
//! the ratio means something on a noisy machine.

mod astm_bench;
mod http_bench;
mod isbt128_bench;
mod ledger_bench;
mod lookback_bench;
mod lookup_bench;
mod mllp_bench;

use clap::{Args as ClapArgs, FromArgMatches, Parser, Subcommand};

use crate::Exit;

#[derive(ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// ISBT 128 parsing: structures per second on one core, against splitting the same
    /// input into lines.
    Isbt128(isbt128_bench::Args),
    /// The ledger: commands per second through domain + ledger + projections, against raw
    /// batched inserts of the same rows with the SHA-256 chain (SQLite, and PostgreSQL when
    /// --database-url is given); and the cost per command at 1x and 10x the data.
    Ledger(ledger_bench::Args),
    /// The web server: requests per second and p50/p99/max latency of the scan endpoint (a
    /// unit looked up by a scanned DIN over the JSON API) against a static endpoint of the same
    /// server, at 32 keep-alive connections.
    Http(http_bench::Args),
    /// Look-ups as the record grows: a unit by DIN, the donor search and the duplicate check
    /// on states of 1x, 10x and 100x the demo's donations, each as a ratio to 1x.
    Lookup(lookup_bench::Args),
    /// A lookback as the centre grows: the trace of a donor of 20 donations (3 units each,
    /// shipped to two hospitals) and the decision that starts the lookback, on generated
    /// centres of 1x and 10x --base donations, against one map look-up per unit traced.
    Lookback(lookback_bench::Args),
    /// HL7 over MLLP: OMB^O27 orders parsed, placed on the ledger and answered by ORB^O28
    /// per second on one core, against parsing them alone.
    Mllp(mllp_bench::Args),
    /// Analyser results over ASTM: result records per second through the ledger on one
    /// core (frames read, records parsed, the batch decided and recorded) against parsing and
    /// planning the same messages alone.
    Astm(astm_bench::Args),
    /// Every benchmark above with its default options, one after the other (about a minute
    /// or two): each prints its figures and its ratio to its baseline.
    All {
        /// Print each benchmark's JSON object, one a line.
        #[arg(long)]
        json: bool,
    },
}

/// One benchmark's options as its own command line would give them.
#[derive(Parser)]
struct Defaults<T: ClapArgs + FromArgMatches> {
    #[command(flatten)]
    args: T,
}

fn defaults<T: ClapArgs + FromArgMatches>(json: bool) -> anyhow::Result<T> {
    let argv: &[&str] = if json {
        &["bench", "--json"]
    } else {
        &["bench"]
    };
    Ok(Defaults::<T>::try_parse_from(argv)?.args)
}

/// One benchmark run with its default options (`--json` or not).
type DefaultRun = fn(bool) -> anyhow::Result<Exit>;

/// Runs every benchmark; the first that cannot run stops the others.
fn run_all(json: bool) -> anyhow::Result<Exit> {
    let runs: [(&str, DefaultRun); 7] = [
        ("isbt128", |json| isbt128_bench::run(defaults(json)?)),
        ("ledger", |json| ledger_bench::run(defaults(json)?)),
        ("http", |json| http_bench::run(defaults(json)?)),
        ("lookup", |json| lookup_bench::run(defaults(json)?)),
        ("lookback", |json| lookback_bench::run(defaults(json)?)),
        ("mllp", |json| mllp_bench::run(defaults(json)?)),
        ("astm", |json| astm_bench::run(defaults(json)?)),
    ];
    for (name, run) in runs {
        if !json {
            println!("== bench {name}");
        }
        let exit = run(json)?;
        if !matches!(exit, Exit::Success) {
            return Ok(exit);
        }
        if !json {
            println!();
        }
    }
    Ok(Exit::Success)
}

pub fn run(args: Args) -> anyhow::Result<Exit> {
    match args.command {
        Command::Isbt128(args) => isbt128_bench::run(args),
        Command::Ledger(args) => ledger_bench::run(args),
        Command::Http(args) => http_bench::run(args),
        Command::Lookup(args) => lookup_bench::run(args),
        Command::Lookback(args) => lookback_bench::run(args),
        Command::Mllp(args) => mllp_bench::run(args),
        Command::Astm(args) => astm_bench::run(args),
        Command::All { json } => run_all(json),
    }
}
