//! Every kind of message Hemaflow writes, read by libraries we did not write: hl7apy 1.3.5
//! STRICT validation as v2.5 and python-hl7 (`tests/python/check_v2.py`; requirements in
//! `tests/requirements.txt`; the interpreter is `HEMAFLOW_PYTHON`, default `python3`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;
use hemaflow_hl7::outbound;

fn python() -> String {
    std::env::var("HEMAFLOW_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// Writes each message to a file and has the checker validate them all.
fn check_with_hl7apy(messages: &[(&str, String)]) {
    let folder = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (name, er7) in messages {
        let path = folder.path().join(format!("{name}.hl7"));
        std::fs::write(&path, er7).unwrap();
        paths.push(path);
    }
    let output = Command::new(python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/python/check_v2.py"
        ))
        .arg("validate")
        .args(&paths)
        .output()
        .expect("python runs (set HEMAFLOW_PYTHON)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}\n{messages:?}");
    assert_eq!(stdout.lines().count(), messages.len(), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_hemaflow_writes_passes_hl7apy_strict_and_python_hl7() {
    let (address, mut received) = receiver("AA").await;
    let centre = centre(Some(address.to_string())).await;
    let app = centre.interface.app.clone();
    let (product, group) = in_stock(&app).await;
    let mut written = Vec::new();
    let order = omb_of("GENHOSP", "MSG20", "ORD20", &product, &group);
    let accepted = exchange(centre.address, order.as_bytes()).await;
    assert_eq!(accepted.get("MSA-1"), Some("AA"));
    written.push(("orb_accepted", accepted.to_er7()));
    let again = omb_of("GENHOSP", "MSG21", "ORD20", &product, &group);
    let refused = exchange(centre.address, again.as_bytes()).await;
    assert_eq!(refused.get("MSA-1"), Some("AE"));
    written.push(("orb_refused_by_the_domain", refused.to_er7()));
    let example = std::fs::read("tests/data/interop/omb_o27.hl7").unwrap();
    let no_group = exchange(centre.address, &example).await;
    written.push(("orb_without_group", no_group.to_er7()));
    let stranger = exchange(
        centre.address,
        omb("STRANGER", "M1", "O1", "O Pos").as_bytes(),
    )
    .await;
    written.push(("orb_unknown_sender", stranger.to_er7()));
    let adt = omb("GENHOSP", "M2", "O2", "O Pos").replace("OMB^O27^OMB_O27", "ADT^A01^ADT_A01");
    written.push((
        "ack_not_an_order",
        exchange(centre.address, adt.as_bytes()).await.to_er7(),
    ));
    written.push((
        "ack_unreadable",
        exchange(centre.address, b"NOT HL7").await.to_er7(),
    ));

    let state = tempfile::tempdir().unwrap();
    let sender = tokio::spawn(outbound::run(
        app.clone(),
        centre.interface.settings.clone(),
        state.path().join("outbound.json"),
        Duration::from_millis(100),
    ));
    tokio::time::sleep(Duration::from_millis(300)).await;
    ship(&app, "ORD-GENHOSP-ORD20").await;
    let bps = tokio::time::timeout(Duration::from_secs(10), received.recv())
        .await
        .unwrap()
        .unwrap();
    sender.abort();
    assert!(bps.segment("BPX").is_some(), "{}", bps.to_er7());
    written.push(("bps", bps.to_er7()));
    check_with_hl7apy(&written);
}

#[test]
fn the_example_messages_of_other_systems_pass_the_checker_too() {
    let examples: Vec<(&str, String)> = [
        "omb_o27", "orb_o28", "bps_o29", "brp_o30", "bts_o31", "brt_o32", "ack",
    ]
    .into_iter()
    .map(|name| {
        let path = format!(
            "{}/tests/data/interop/{name}.hl7",
            env!("CARGO_MANIFEST_DIR")
        );
        (name, std::fs::read_to_string(path).unwrap())
    })
    .collect();
    check_with_hl7apy(&examples);
}
