//! The MLLP interface on a real ledger (a SQLite file seeded with the demo blood centre),
//! over real TCP sockets: OMB^O27 in, ORB^O28 out, the order on the ledger; BPS^O29 out to a
//! listener of the test's own when the order's shipment leaves, once, across a restart.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use hemaflow_hl7::outbound;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_omb_places_one_order_answered_by_orb_and_a_resend_places_nothing_more() {
    let centre = centre(None).await;
    let (product, group) = in_stock(&centre.interface.app).await;
    let message = omb_of("GENHOSP", "MSG00001", "ORD777", &product, &group);
    let first = exchange(centre.address, message.as_bytes()).await;
    assert_eq!(first.get("MSH-9.1"), Some("ORB"), "{}", first.to_er7());
    assert_eq!(first.get("MSA-1"), Some("AA"), "{}", first.to_er7());
    assert_eq!(first.get("MSA-2"), Some("MSG00001"));
    assert_eq!(first.get("ORC-3"), Some("ORD-GENHOSP-ORD777"));
    assert_eq!(first.get("ORC-2"), Some("ORD777"));
    let order = centre
        .interface
        .app
        .ledger
        .read(|records| records.orders.get("ORD-GENHOSP-ORD777").cloned())
        .await
        .unwrap()
        .expect("the order is on the ledger");
    assert_eq!(order.hospital, "mercy");
    assert_eq!(order.placed_by, "hl7:GENHOSP");
    assert_eq!(order.lines[0].quantity, 1);
    assert_eq!(
        order.priority,
        hemaflow_domain::distribution::orders::Priority::Stat
    );

    let again = exchange(centre.address, message.as_bytes()).await;
    assert_eq!(again.get("MSA-1"), Some("AA"));
    assert_eq!(again.get("MSH-10"), first.get("MSH-10"), "the same answer");
    assert_eq!(again.get("ORC-3"), first.get("ORC-3"));
    assert_eq!(
        orders_of_placer(&centre.interface.app, "ORD-GENHOSP-ORD777").await,
        1
    );
    let count = centre
        .interface
        .app
        .ledger
        .read(|records| {
            records
                .orders
                .values()
                .filter(|o| o.placed_by == "hl7:GENHOSP")
                .count()
        })
        .await
        .unwrap();
    assert_eq!(count, 1, "a resend places nothing twice");

    // The same placer order under a new control ID is a second order of the same number:
    // the domain refuses it, and says so.
    let second = exchange(
        centre.address,
        omb_of("GENHOSP", "MSG00002", "ORD777", &product, &group).as_bytes(),
    )
    .await;
    assert_eq!(second.get("MSA-1"), Some("AE"), "{}", second.to_er7());
    assert_eq!(second.get("ERR-7"), Some("DIST-EXISTS"));
    assert!(
        second.get("ERR-8").unwrap().contains("already exists"),
        "{}",
        second.to_er7()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hl7_sender_an_unknown_facility_is_rejected_before_the_domain() {
    let centre = centre(None).await;
    let reply = exchange(
        centre.address,
        omb("STRANGER", "MSG1", "ORD1", "O Pos").as_bytes(),
    )
    .await;
    assert_eq!(reply.get("MSA-1"), Some("AR"), "{}", reply.to_er7());
    assert_eq!(reply.get("ERR-2"), Some("MSH"));
    assert_eq!(reply.get("ERR-2.3"), Some("4"));
    assert_eq!(reply.get("ERR-3"), Some("204"));
    assert!(reply.get("ERR-8").unwrap().contains("HL7-SENDER"));
    assert_eq!(
        orders_of_placer(&centre.interface.app, "ORD-STRANGER-ORD1").await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_the_message_cannot_express_are_refused_with_where_and_why() {
    let centre = centre(None).await;
    // The example of INTEROP.md as sent: no patient group, so no order (AE at OBX-5).
    let example = std::fs::read("tests/data/interop/omb_o27.hl7").unwrap();
    let reply = exchange(centre.address, &example).await;
    assert_eq!(reply.get("MSA-1"), Some("AE"), "{}", reply.to_er7());
    assert_eq!(reply.get("MSA-2"), Some("MSG00001"));
    assert_eq!(reply.get("ERR-2"), Some("OBX"));
    assert_eq!(reply.get("ERR-3"), Some("101"));
    assert!(reply.get("ERR-8").unwrap().contains("882-1"));

    let no_quantity =
        omb("GENHOSP", "MSG3", "ORD3", "O Pos").replace("BPO|1|PC||1", "BPO|1|PC||two");
    let reply = exchange(centre.address, no_quantity.as_bytes()).await;
    assert_eq!(reply.get("MSA-1"), Some("AE"));
    assert_eq!(reply.get("ERR-2.3"), Some("4"), "{}", reply.to_er7());
    assert!(reply.get("ERR-8").unwrap().contains("BPO-4"));

    let two_orders = omb("GENHOSP", "MSG6", "ORD6", "O Pos") + "ORC|NW|ORD7^HIS\rBPO|2|PLT||1\r";
    let reply = exchange(centre.address, two_orders.as_bytes()).await;
    assert_eq!(reply.get("MSA-1"), Some("AE"), "{}", reply.to_er7());
    assert_eq!(reply.get("ERR-2.2"), Some("2"));
    assert!(reply.get("ERR-8").unwrap().contains("ORD7"));

    let not_omb = omb("GENHOSP", "MSG4", "ORD4", "O Pos").replace("OMB^O27^OMB_O27", "ADT^A01");
    let reply = exchange(centre.address, not_omb.as_bytes()).await;
    assert_eq!(reply.get("MSH-9.1"), Some("ACK"));
    assert_eq!(reply.get("MSA-1"), Some("AR"));
    assert_eq!(reply.get("ERR-3"), Some("200"));

    let garbage = exchange(centre.address, b"PID|1||x").await;
    assert_eq!(garbage.get("MSA-1"), Some("AR"));
    assert!(garbage.get("ERR-8").unwrap().contains("MSH"));

    // A hospital configured but not on record: the domain's refusal, recorded as one.
    let reply = exchange(
        centre.address,
        omb("NOWHERE", "MSG5", "ORD5", "O Pos").as_bytes(),
    )
    .await;
    assert_eq!(reply.get("MSA-1"), Some("AE"), "{}", reply.to_er7());
    assert!(reply.get("ERR-7").is_some());
    for id in [
        "ORD-GENHOSP-ORD3",
        "ORD-GENHOSP-ORD4",
        "ORD-NOWHERE-ORD5",
        "ORD-GENHOSP-ORD6",
    ] {
        assert_eq!(orders_of_placer(&centre.interface.app, id).await, 0, "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shipment_leaving_sends_one_bps_which_a_restart_does_not_send_again() {
    let (refusing, mut refused) = receiver("AE").await;
    let centre = centre(Some(refusing.to_string())).await;
    let app = centre.interface.app.clone();
    let (product, group) = in_stock(&app).await;
    let reply = exchange(
        centre.address,
        omb_of("GENHOSP", "MSG10", "ORD10", &product, &group).as_bytes(),
    )
    .await;
    assert_eq!(reply.get("MSA-1"), Some("AA"), "{}", reply.to_er7());
    let state = tempfile::tempdir().unwrap();
    let state_path = state.path().join("outbound.json");
    let interval = Duration::from_millis(100);
    let sender = tokio::spawn(outbound::run(
        app.clone(),
        centre.interface.settings.clone(),
        state_path.clone(),
        interval,
    ));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let shipment = ship(&app, "ORD-GENHOSP-ORD10").await;

    // The hospital answers AE: not delivered, kept in the queue.
    let first = tokio::time::timeout(Duration::from_secs(10), refused.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.get("MSH-9.1"), Some("BPS"));
    assert_eq!(first.get("ORC-3"), Some("ORD-GENHOSP-ORD10"));
    assert_eq!(first.get("BPX-2"), Some("DS"));
    let control = first.get("MSH-10").unwrap().to_owned();
    assert_eq!(control, hemaflow_hl7::dispense::control_id(&shipment));
    sender.abort();
    let saved = outbound::OutboundState::load(&state_path, app.now()).unwrap();
    assert!(saved.acknowledged.is_empty(), "{saved:?}");

    // Restarted towards a receiver that accepts: the same message, same control ID, once.
    let (accepting, mut accepted) = receiver("AA").await;
    let settings = Arc::new(settings(Some(accepting.to_string())));
    let sender = tokio::spawn(outbound::run(
        app.clone(),
        settings.clone(),
        state_path.clone(),
        interval,
    ));
    let delivered = tokio::time::timeout(Duration::from_secs(10), accepted.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(delivered.get("MSH-10"), Some(control.as_str()));
    tokio::time::sleep(Duration::from_millis(500)).await;
    sender.abort();
    let saved = outbound::OutboundState::load(&state_path, app.now()).unwrap();
    assert!(saved.acknowledged.contains(&shipment), "{saved:?}");

    // Restarted again: the ACK is remembered, nothing is sent.
    let sender = tokio::spawn(outbound::run(app.clone(), settings, state_path, interval));
    tokio::time::sleep(Duration::from_millis(800)).await;
    sender.abort();
    assert!(accepted.try_recv().is_err(), "nothing is sent twice");
    // The shipments of the demo, which left before the interface started, were never queued.
    assert!(refused.try_recv().is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_that_are_not_mllp_close_the_connection_and_the_listener_serves_on() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let centre = centre(None).await;
    let mut stream = tokio::net::TcpStream::connect(centre.address)
        .await
        .unwrap();
    stream.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .unwrap();
    assert!(read.is_ok());
    assert!(answer.is_empty(), "no answer to what is not a frame");
    // A frame larger than the limit, without its end: refused as soon as the limit is passed.
    let mut stream = tokio::net::TcpStream::connect(centre.address)
        .await
        .unwrap();
    let mut big = vec![0x0B];
    big.extend(std::iter::repeat_n(
        b'x',
        hemaflow_hl7::listener::FRAME_BYTES_MAX as usize + 10,
    ));
    let _ = stream.write_all(&big).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .unwrap();
    assert!(answer.is_empty());
    let reply = exchange(
        centre.address,
        omb("STRANGER", "M9", "O9", "O Pos").as_bytes(),
    )
    .await;
    assert_eq!(reply.get("MSA-1"), Some("AR"));
}
