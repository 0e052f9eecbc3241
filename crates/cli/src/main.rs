//! `hemaflow`: the one binary of Hemaflow. This file only parses arguments and hands over to
//! the command modules; exit codes are documented on [`Exit`].

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod commands;

/// mimalloc instead of the system allocator: the ledger's write path allocates and frees many
/// small strings and JSON values per command, and glibc's malloc spent about 40 % of a
/// `sim run` in itself (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How a command ended. Scripts depend on these numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: everything asked was done.
    Success,
    /// 1: Hemaflow could not do its work (an I/O error, a broken installation).
    Failure,
    /// 2: some input was not valid (a scan, a DIN, a JSON line); the output says which.
    InvalidInput,
    /// 3 (`audit verify` with a witness): the ledger verifies and agrees with every signed
    /// checkpoint, but has entries after the last one (a writer still running, or a forged
    /// tail): not yet witnessed.
    Unwitnessed,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        match exit {
            Exit::Success => ExitCode::SUCCESS,
            Exit::Failure => ExitCode::from(1),
            Exit::InvalidInput => ExitCode::from(2),
            Exit::Unwitnessed => ExitCode::from(3),
        }
    }
}

#[derive(Parser)]
#[command(
    name = "hemaflow",
    version,
    about = "Hemaflow: the computer system of a blood establishment, vein to vein",
    long_about = "Hemaflow: the computer system of a blood establishment, vein to vein.\n\n\
        Donors, eligibility, collection, testing, components, ISBT 128 labels, release, \
        inventory and hospital orders, on a tamper-evident record.",
    after_help = "Exit status: 0 when all went well, 2 when some input was not valid, \
        1 when Hemaflow itself could not do the work (or `audit verify` found the record \
        altered), 3 when `audit verify` found entries after the last signed checkpoint."
)]
struct Cli {
    /// The database holding the ledger: sqlite://FILE or postgres://USER@HOST/DATABASE.
    /// Default: the SQLite file hemaflow.db in the user's data directory
    /// ($XDG_DATA_HOME/hemaflow or ~/.local/share/hemaflow), created on first use.
    #[arg(long, global = true, env = "HEMAFLOW_DATABASE_URL", value_name = "URL")]
    database: Option<String>,
    /// The configuration file (TOML: `database`, `[server] bind`, `log_format`). Default:
    /// hemaflow.toml in $XDG_CONFIG_HOME/hemaflow or ~/.config/hemaflow, when it exists. A
    /// flag or an environment variable wins over it.
    #[arg(long, global = true, env = "HEMAFLOW_CONFIG", value_name = "FILE")]
    config: Option<std::path::PathBuf>,
    /// The Ed25519 key that signs the ledger's checkpoints (64 hex digits, mode 0600; created
    /// on first use, its public half written beside it as FILE.pub). Default: beside the
    /// SQLite file (hemaflow.db.key), or ~/.config/hemaflow/postgres-HOST_PORT_DB.key.
    #[arg(long, global = true, env = "HEMAFLOW_SIGNING_KEY", value_name = "FILE")]
    signing_key: Option<std::path::PathBuf>,
    /// The append-only witness file of signed checkpoints (one JSON line each), written by
    /// every command that appends and read by `audit verify`. Default: beside the SQLite file
    /// (hemaflow.db.witness), or ~/.config/hemaflow/postgres-HOST_PORT_DB.witness.
    #[arg(long, global = true, env = "HEMAFLOW_WITNESS", value_name = "FILE")]
    witness: Option<std::path::PathBuf>,
    /// A second witness file written with the first (another disk, another host's mount).
    #[arg(
        long,
        global = true,
        env = "HEMAFLOW_WITNESS_COPY",
        value_name = "FILE"
    )]
    witness_copy: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read, check and write ISBT 128 barcodes and keyed-in DINs.
    Isbt128(commands::isbt128::Args),
    /// Measure Hemaflow's speed against a baseline measured in the same run.
    Bench(commands::bench::Args),
    /// Print an ISBT 128 label (SVG, PNG, PDF or ZPL) from scanned values.
    Label(commands::label::Args),
    /// Serve the benches and the JSON API over HTTP (and analysers over ASTM with --astm).
    Serve(commands::serve::Args),
    /// A simulated laboratory analyser: sends results (and host queries) over ASTM to
    /// `serve --astm`, with reactive and invalid results, bad checksums and dropped connections.
    Analyser(commands::astm::simulator::Args),
    /// Generate a national workload and drive it through the domain and the ledger.
    Sim(commands::sim::Args),
    /// Check the ledger's integrity and read a unit's story from it.
    Audit(commands::audit::Args),
    /// An online backup of the SQLite ledger into a new file, verified once written.
    Backup(commands::backup::Args),
    /// Write the whole ledger to stdout as JSON lines (one entry per line).
    Export(commands::transfer::ExportArgs),
    /// Read an export from stdin into an EMPTY database; it is replayed and verified, and
    /// nothing is written unless all of it checks.
    Import(commands::transfer::ImportArgs),
    /// A demo blood centre: `--seed-only` creates and seeds a new database and exits.
    Demo(commands::demo::Args),
    /// The configuration: `check` reads it, checks every value and shows what each setting
    /// comes to and from where.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Read the configuration file (if any), check it, print the settings in force.
    Check,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match commands::config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("hemaflow: {error:#}");
            return Exit::InvalidInput.into();
        }
    };
    let database = cli
        .database
        .as_deref()
        .or(config.settings.database.as_deref());
    let anchor = commands::anchor::Given {
        signing_key: cli.signing_key,
        witness: cli.witness,
        witness_copy: cli.witness_copy,
    }
    .over(&config.settings.ledger);
    let result = match cli.command {
        Command::Isbt128(args) => commands::isbt128::run(args),
        Command::Bench(args) => commands::bench::run(args),
        Command::Label(args) => commands::label::run(args, database),
        Command::Serve(args) => commands::serve::run(args, database, &config, &anchor),
        Command::Sim(args) => commands::sim::run(args, database, &anchor),
        Command::Audit(args) => commands::audit::run(args, database, &anchor),
        Command::Analyser(args) => commands::astm::simulator::run(args, database),
        Command::Backup(args) => commands::backup::run(args, database),
        Command::Export(args) => commands::transfer::run_export(args, database, &anchor),
        Command::Import(args) => commands::transfer::run_import(args, database, &anchor),
        // The demo makes a fresh centre: never in the site's database of the configuration
        // file, only in one named on the command line or in the environment.
        Command::Demo(args) => commands::demo::run(args, cli.database.as_deref(), &config, &anchor),
        Command::Config(ConfigCommand::Check) => {
            commands::config::check(&config, cli.database.as_deref())
        }
    };
    match result {
        Ok(exit) => exit.into(),
        Err(error) => {
            eprintln!("hemaflow: {error:#}");
            Exit::Failure.into()
        }
    }
}
