//! The workload end to end: generated, driven through the real domain and ledger on SQLite
//! (and PostgreSQL when `HEMAFLOW_TEST_POSTGRES_URL` is set, in a fresh schema), verified.

#![allow(clippy::unwrap_used)]

use hemaflow_domain::Command;
use hemaflow_domain::{
    AccessCommand, ClientCommand, DistributionCommand, DonorCentreCommand, ManufacturingCommand,
    ReleaseCommand,
};
use hemaflow_service::BloodLedger;
use hemaflow_service::ledger::Ledger;
use hemaflow_service::store::AnyStore;
use hemaflow_sim::{RunOptions, Step, Workload, generate, run};

fn stream(donations: u64, seed: u64) -> Vec<u8> {
    stream_of(&Workload::new(donations, seed))
}

fn stream_of(workload: &Workload) -> Vec<u8> {
    let mut out = Vec::new();
    let mut emit = |step: &Step| {
        serde_json::to_writer(&mut out, step)?;
        out.push(b'\n');
        Ok(())
    };
    generate(workload, &mut emit).unwrap();
    out
}

fn steps(bytes: &[u8]) -> Vec<Step> {
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect()
}

#[test]
fn the_same_seed_gives_the_same_stream_and_another_seed_another() {
    let a = stream(200, 7);
    assert_eq!(a, stream(200, 7));
    assert_ne!(a, stream(200, 8));
}

#[test]
fn the_stream_is_a_centre_at_work_in_time_order() {
    let steps = steps(&stream(300, 1));
    let times: Vec<_> = steps.iter().map(|s| s.context.now).collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "commands in time order"
    );
    let count = |f: fn(&Command) -> bool| steps.iter().filter(|s| f(&s.command)).count();
    assert_eq!(
        count(|c| matches!(
            c,
            Command::Client(ClientCommand::DonorCentre(
                DonorCentreCommand::CollectDonation { .. }
            ))
        )),
        300
    );
    assert!(
        count(|c| matches!(
            c,
            Command::Client(ClientCommand::DonorCentre(
                DonorCentreCommand::RegisterDonor { .. }
            ))
        )) > 100
    );
    assert!(
        count(|c| matches!(
            c,
            Command::Client(ClientCommand::Manufacturing(
                ManufacturingCommand::ProduceComponents { .. }
            ))
        )) >= 290
    );
    assert!(
        count(|c| matches!(
            c,
            Command::Client(ClientCommand::Manufacturing(
                ManufacturingCommand::VerifyLabel { .. }
            ))
        )) > 300
    );
    assert!(
        count(|c| matches!(
            c,
            Command::Client(ClientCommand::Release(
                ReleaseCommand::ReleaseComponent { .. }
            ))
        )) > 300
    );
    // Hospitals order; each order is allocated, picked by scan, shipped and received.
    let orders = count(|c| {
        matches!(
            c,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::PlaceOrder { .. }
            ))
        )
    });
    assert!(orders > 20, "{orders} orders");
    assert_eq!(
        count(|c| matches!(
            c,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::AllocateOrder { .. }
            ))
        )),
        orders
    );
    assert!(
        count(|c| matches!(
            c,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::PickUnit { .. }
            ))
        )) > 100
    );
    assert!(
        count(|c| matches!(
            c,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::ShipShipment { .. }
            ))
        )) >= orders
    );
    assert!(
        count(|c| matches!(
            c,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::ConfirmReceipt { .. }
            ))
        )) > 100
    );
    assert_eq!(
        count(|c| matches!(
            c,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::ShipComponent { .. }
            ))
        )),
        0
    );
    // Weekday seasonality: more orders on a Monday than on a Sunday.
    let on = |day: time::Weekday| {
        steps
            .iter()
            .filter(|s| {
                matches!(
                    s.command,
                    Command::Client(ClientCommand::Distribution(
                        DistributionCommand::PlaceOrder { .. }
                    ))
                ) && s.context.now.weekday() == day
            })
            .count()
    };
    assert!(on(time::Weekday::Monday) > on(time::Weekday::Sunday));
    assert_eq!(
        count(|c| matches!(
            c,
            Command::Client(ClientCommand::Release(ReleaseCommand::ExpireUnits { .. }))
        )),
        28
    );
}

#[test]
fn when_a_years_din_numbers_run_out_the_stream_registers_a_further_facility_and_collects_under_it()
{
    let workload = Workload {
        din_sequences_per_year: 120,
        ..Workload::new(300, 5)
    };
    let steps = steps(&stream_of(&workload));
    let configured: Vec<Vec<String>> = steps
        .iter()
        .filter_map(|s| match &s.command {
            Command::Client(ClientCommand::Access(AccessCommand::Configure { config })) => {
                Some(config.additional_facilities.clone())
            }
            _ => None,
        })
        .collect();
    assert_eq!(configured, [vec!["W1235"], vec!["W1235", "W1236"]]);
    // Every collection is accepted by the domain, its DIN unused and of one of our FINs.
    let mut state = hemaflow_domain::State::default();
    let mut dins = std::collections::BTreeSet::new();
    for step in &steps {
        let outcome = hemaflow_domain::decide(&state, &step.command, &step.context);
        if let Command::Client(ClientCommand::DonorCentre(DonorCentreCommand::CollectDonation {
            din,
            ..
        })) = &step.command
        {
            assert!(outcome.is_ok(), "{din}: {outcome:?}");
            assert!(dins.insert(din.clone()), "{din} used twice");
        }
        for event in outcome.unwrap_or_default() {
            hemaflow_domain::evolve(&mut state, &event);
        }
    }
    let by_facility = |fin: &str| dins.iter().filter(|d| d.starts_with(fin)).count();
    assert_eq!(
        (
            by_facility("W1234"),
            by_facility("W1235"),
            by_facility("W1236")
        ),
        (120, 120, 60)
    );
}

async fn drive(ledger: BloodLedger, donations: u64) {
    let bytes = stream(donations, 3);
    let commands = steps(&bytes).len() as u64;
    let mut calls = 0;
    let report = run(&ledger, &bytes[..], &RunOptions { batch: 64 }, |_| {
        calls += 1
    })
    .await
    .unwrap();
    assert_eq!(report.commands, commands);
    assert_eq!(report.accepted + report.refused_total(), commands);
    assert_eq!(report.donations as u64, donations);
    assert!(
        report.events > report.accepted,
        "most commands cause events"
    );
    assert!(calls > 1, "progress is reported per batch");
    // Refusals are part of the workload, each by a rule the domain names.
    assert!(
        report.refused.keys().all(|rule| rule
            .chars()
            .all(|c| c.is_ascii_uppercase() || c == '-' || c.is_ascii_digit())),
        "{:?}",
        report.refused
    );
    assert_eq!(
        report.entries as u64,
        report.events + report.refused_total()
    );
    // The supply commands are accepted: orders meet the stock they were made from.
    for rule in [
        "DIST-PICK",
        "DIST-SHIP",
        "DIST-RECEIPT",
        "ALLOC-FEFO",
        "ALLOC-SUBST",
    ] {
        assert!(
            !report.refused.contains_key(rule),
            "{rule}: {:?}",
            report.refused
        );
    }
    // Run again: every command ID is answered from its record, nothing is appended.
    let again = run(&ledger, &bytes[..], &RunOptions::default(), |_| {})
        .await
        .unwrap();
    assert_eq!(again.entries, report.entries);
}

#[tokio::test]
async fn a_generated_workload_runs_and_verifies_on_sqlite() {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("sim.db").display());
    drive(hemaflow_service::open(&url).await.unwrap(), 300).await;
}

#[tokio::test]
async fn a_generated_workload_runs_and_verifies_on_postgres() {
    let Ok(url) = std::env::var("HEMAFLOW_TEST_POSTGRES_URL") else {
        eprintln!("HEMAFLOW_TEST_POSTGRES_URL is not set: the PostgreSQL run was NOT made");
        return;
    };
    let schema = format!("hemaflow_test_sim_{}", std::process::id());
    let store = hemaflow_service::store::PgStore::connect_in_schema(&url, &schema)
        .await
        .unwrap();
    let cleanup = store.clone();
    let ledger = Ledger::open(AnyStore::Postgres(store)).await.unwrap();
    drive(ledger, 300).await;
    cleanup.drop_schema(&schema).await.unwrap();
}
