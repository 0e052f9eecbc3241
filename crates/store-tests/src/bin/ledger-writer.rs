//! A writer process for the crash story: opens the ledger at URL, opens account `crash`, then
//! deposits 1 per command and prints `ack <command id>` once each command is recorded.
//!
//! Usage: ledger-writer URL COUNT

use std::io::Write;

use hemaflow_ledger::Ledger;
use hemaflow_store_tests::accounts::{Accounts, Command, Context};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(url), Some(count)) = (args.get(1), args.get(2).and_then(|c| c.parse::<u32>().ok()))
    else {
        eprintln!("usage: ledger-writer URL COUNT");
        return std::process::ExitCode::from(2);
    };
    match run(url, count).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ledger-writer: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(url: &str, count: u32) -> Result<(), Box<dyn std::error::Error>> {
    let store = hemaflow_store::connect(url).await?;
    let ledger: Ledger<Accounts, _> = Ledger::open(store).await?;
    let ctx = Context::new("writer");
    let open = Command::Open {
        account: "crash".into(),
        owner: "crash test".into(),
    };
    ledger.execute("open", &open, &ctx).await?;
    let mut out = std::io::stdout().lock();
    for i in 0..count {
        let id = format!("deposit-{i}");
        let deposit = Command::Deposit {
            account: "crash".into(),
            amount: 1,
        };
        ledger.execute(&id, &deposit, &ctx).await?;
        writeln!(out, "ack {id}")?;
        out.flush()?;
    }
    Ok(())
}
