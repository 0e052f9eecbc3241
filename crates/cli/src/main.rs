//! `hemaflow`: the one binary of Hemaflow. This file only parses arguments and hands over to
//! the command modules; exit codes are documented on [`Exit`].

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod commands;

/// How a command ended. Scripts depend on these numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: everything asked was done.
    Success,
    /// 1: Hemaflow could not do its work (an I/O error, a broken installation).
    Failure,
    /// 2: some input was not valid (a scan, a DIN, a JSON line); the output says which.
    InvalidInput,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        match exit {
            Exit::Success => ExitCode::SUCCESS,
            Exit::Failure => ExitCode::from(1),
            Exit::InvalidInput => ExitCode::from(2),
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
        1 when Hemaflow itself could not do the work."
)]
struct Cli {
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
    /// Serve the benches and the JSON API over HTTP.
    Serve(commands::serve::Args),
    /// Seed a fresh database with a small blood centre and demo accounts, then serve it.
    Demo(commands::serve::DemoArgs),
    /// Generate a national workload and drive it through the domain and the ledger.
    Sim(commands::sim::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Isbt128(args) => commands::isbt128::run(args),
        Command::Bench(args) => commands::bench::run(args),
        Command::Label(args) => commands::label::run(args),
        Command::Serve(args) => commands::serve::run(args),
        Command::Demo(args) => commands::serve::run_demo(args),
        Command::Sim(args) => commands::sim::run(args),
    };
    match result {
        Ok(exit) => exit.into(),
        Err(error) => {
            eprintln!("hemaflow: {error:#}");
            Exit::Failure.into()
        }
    }
}
