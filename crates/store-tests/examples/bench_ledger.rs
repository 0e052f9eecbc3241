//! The ledger benchmark on the accounts domain, until `hemaflow bench ledger` runs it on the
//! blood-establishment domain:
//!
//! ```sh
//! cargo run --release -p hemaflow-store-tests --example bench_ledger -- [COMMANDS] [BATCH]
//! HEMAFLOW_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo run --release ...
//! ```

use hemaflow_ledger::{BenchStores, bench_ledger};
use hemaflow_store_tests::accounts::{Accounts, random_commands};
use hemaflow_store_tests::{Backend, TestDb};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5000);
    let batch: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let commands = random_commands(2026, count);
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let mut dbs = Vec::new();
        for _ in 0..4 {
            match TestDb::fresh(backend).await {
                Some(db) => dbs.push(db),
                None => break,
            }
        }
        if dbs.len() < 4 {
            continue;
        }
        let stores = BenchStores {
            raw_batched: dbs[0].open().await,
            raw_single: dbs[1].open().await,
            ledger_batched: dbs[2].open().await,
            ledger_single: dbs[3].open().await,
        };
        let figures = bench_ledger::<Accounts, _>(stores, &commands, batch)
            .await
            .unwrap_or_else(|e| panic!("benchmark on {backend:?} failed: {e}"));
        println!("== {backend:?}\n{figures}\n");
        for db in dbs {
            db.cleanup().await;
        }
    }
}
