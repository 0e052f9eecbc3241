//! `hemaflow bench`: throughput measured against a baseline measured in the same run, so that
//! the ratio means something on a noisy machine.

mod isbt128_bench;

use clap::{Args as ClapArgs, Subcommand};

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
}

pub fn run(args: Args) -> anyhow::Result<Exit> {
    match args.command {
        Command::Isbt128(args) => isbt128_bench::run(args),
    }
}
