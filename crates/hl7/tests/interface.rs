//! The MLLP interface on a real ledger (a SQLite file seeded with the demo blood centre),
//! over real TCP sockets: OMB^O27 in, ORB^O28 out, the order on the ledger; BPS^O29 out to a
//! listener of the test's own when the order's shipment leaves, once, across a restart.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use hemaflow_domain::distribution::allocation::propose_allocation;
use hemaflow_domain::distribution::command::{Command as Distribution, LineUnit};
use hemaflow_domain::kernel::{Abo, RhD};
use hemaflow_domain::manufacturing::components::{Family, Status};
use hemaflow_domain::release::gate::confirmed_group;
use hemaflow_domain::{ClientCommand, Command, Context, Role, Stamp};
use hemaflow_hl7::config::{Hl7Settings, Sender};
use hemaflow_hl7::listener::{Interface, serve};
use hemaflow_hl7::mllp::{frame, take_frame};
use hemaflow_hl7::outbound;
use hemaflow_hl7::{Limits, Message};
use hemaflow_service::demo::{DISTRIBUTION_SITE, DemoOptions, seed};
use hemaflow_web::App;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

struct Centre {
    _folder: tempfile::TempDir,
    interface: Interface,
    address: std::net::SocketAddr,
}

fn settings(bps_endpoint: Option<String>) -> Hl7Settings {
    Hl7Settings {
        senders: vec![
            Sender {
                facility: "GENHOSP".into(),
                hospital: "mercy".into(),
                bps_endpoint,
            },
            // Configured for a hospital that is not on record: the domain refuses its orders.
            Sender {
                facility: "NOWHERE".into(),
                hospital: "no-such-hospital".into(),
                bps_endpoint: None,
            },
        ],
        ..Hl7Settings::default()
    }
}

async fn centre(bps_endpoint: Option<String>) -> Centre {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("hl7.db").display());
    let ledger = hemaflow_service::open(&url).await.unwrap();
    let options = DemoOptions {
        seed: 2026,
        donors: 40,
        days: 10,
        now: time::OffsetDateTime::now_utc() - time::Duration::minutes(5),
    };
    seed(&ledger, &options).await.unwrap();
    let interface = Interface {
        app: App::new(ledger, false),
        settings: Arc::new(settings(bps_endpoint)),
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, interface.clone(), std::future::pending()));
    Centre {
        _folder: folder,
        interface,
        address,
    }
}

/// A product and group with a unit available (red cells first): the BPO-2 code and the
/// OBX-5 group of an order the demo centre can fill.
async fn in_stock(app: &App) -> (String, String) {
    let (family, abo, rhd) = app
        .ledger
        .read(|records| {
            let mut available: Vec<(Family, Abo, RhD)> = records
                .components
                .values()
                .filter(|c| c.status == Status::Available && c.family != Family::WholeBlood)
                .filter_map(|c| confirmed_group(records, c).map(|(a, r)| (c.family, a, r)))
                .collect();
            available.sort_by_key(|(f, _, _)| *f != Family::RedCells);
            available.first().copied()
        })
        .await
        .unwrap()
        .expect("the demo has units in stock");
    let rh = if rhd == RhD::Positive { "Pos" } else { "Neg" };
    let (code, _) = hemaflow_hl7::orders::family_code(family);
    (code.to_owned(), format!("{} {rh}", abo.as_str()))
}

fn omb(facility: &str, control_id: &str, placer: &str, group: &str) -> String {
    omb_of(facility, control_id, placer, "PC", group)
}

fn omb_of(facility: &str, control_id: &str, placer: &str, product: &str, group: &str) -> String {
    [
        format!("MSH|^~\\&|HIS|{facility}|HEMAFLOW|BLOODBANK|20251125101500||OMB^O27^OMB_O27|{control_id}|P|2.5|||AL|NE"),
        "PID|1||MRN12345^^^GENHOSP^MR||DOE^JANE^A||19700101|F".to_owned(),
        "PV1|1|I|WARD3^301^1^GENHOSP".to_owned(),
        format!("ORC|NW|{placer}^HIS||GRP55^HIS|||||20251125101500|||1234^SMITH^JOHN^^^DR"),
        "TQ1|1||||||20251125120000||S^Stat^HL70485".to_owned(),
        format!("BPO|1|{product}||1"),
        format!("OBX|1|CWE|882-1^ABO and Rh group^LN||{group}||||||F"),
    ]
    .join("\r")
        + "\r"
}

async fn exchange(address: std::net::SocketAddr, message: &[u8]) -> Message {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(&frame(message)).await.unwrap();
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some((reply, _)) = take_frame(&buffer, 1 << 20).unwrap() {
            let text = String::from_utf8(reply.to_vec()).unwrap();
            return Message::parse(&text, &Limits::default()).unwrap();
        }
        let n = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "the listener closed without answering");
        buffer.extend_from_slice(&chunk[..n]);
    }
}

async fn orders_of_placer(app: &App, id: &str) -> usize {
    app.ledger
        .read(|records| records.orders.keys().filter(|k| *k == id).count())
        .await
        .unwrap()
}

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
    for id in ["ORD-GENHOSP-ORD3", "ORD-GENHOSP-ORD4", "ORD-NOWHERE-ORD5"] {
        assert_eq!(orders_of_placer(&centre.interface.app, id).await, 0, "{id}");
    }
}

fn distribution() -> Context {
    Context {
        actor: "k.mendes".into(),
        role: Role::Distribution,
        now: time::OffsetDateTime::now_utc(),
        stamp: Stamp::Clock,
    }
}

async fn run(app: &App, id: &str, command: Distribution) {
    let receipt = app
        .ledger
        .execute(
            id,
            &Command::Client(ClientCommand::Distribution(command)),
            &distribution(),
        )
        .await
        .unwrap();
    assert!(
        matches!(
            receipt.outcome,
            hemaflow_service::ledger::Outcome::Accepted { .. }
        ),
        "{id}: {:?}",
        receipt.outcome
    );
}

/// Allocates the proposal, picks it and ships it; the shipment's ID.
async fn ship(app: &App, order_id: &str) -> String {
    let now = app.now();
    let proposal = app
        .ledger
        .read(|records| propose_allocation(records, order_id, DISTRIBUTION_SITE, now))
        .await
        .unwrap()
        .unwrap();
    let units: Vec<LineUnit> = proposal
        .lines
        .iter()
        .flat_map(|line| {
            line.units.iter().map(|u| LineUnit {
                line: line.line,
                component: u.component.clone(),
            })
        })
        .collect();
    assert!(!units.is_empty(), "{proposal:?}");
    let tag = order_id.replace('-', "");
    run(
        app,
        &format!("allocate-{tag}"),
        Distribution::AllocateOrder {
            order_id: order_id.into(),
            units: units.clone(),
        },
    )
    .await;
    let shipment_id = format!("SHP-{tag}");
    for unit in &units {
        run(
            app,
            &format!("pick-{}", unit.component),
            Distribution::PickUnit {
                shipment_id: shipment_id.clone(),
                order_id: order_id.into(),
                component: unit.component.clone(),
            },
        )
        .await;
    }
    let range = app
        .ledger
        .read(|records| {
            let rules = &records.config.distribution;
            match records.orders[order_id].lines[0].component_type {
                Family::Plasma | Family::Cryo => rules.frozen,
                Family::Platelets => rules.room_temperature,
                Family::RedCells | Family::WholeBlood => rules.refrigerated_shipping,
            }
        })
        .await
        .unwrap();
    run(
        app,
        &format!("ship-{tag}"),
        Distribution::ShipShipment {
            shipment_id: shipment_id.clone(),
            box_id: "BOX-1".into(),
            temperature_range: range,
            courier: "Test courier".into(),
        },
    )
    .await;
    shipment_id
}

/// A hospital's receiver: answers each BPS with `code`, and hands the message to the test.
async fn receiver(
    code: &'static str,
) -> (
    std::net::SocketAddr,
    tokio::sync::mpsc::UnboundedReceiver<Message>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (sent, received) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buffer = Vec::new();
            let mut chunk = [0u8; 4096];
            let message = loop {
                if let Some((m, _)) = take_frame(&buffer, 1 << 20).unwrap() {
                    break String::from_utf8(m.to_vec()).unwrap();
                }
                let n = stream.read(&mut chunk).await.unwrap();
                buffer.extend_from_slice(&chunk[..n]);
            };
            let message = Message::parse(&message, &Limits::default()).unwrap();
            let control = message.get("MSH-10").unwrap().to_owned();
            let ack = format!(
                "MSH|^~\\&|HIS|GENHOSP|HEMAFLOW|BLOODBANK|20251125114002||ACK^O29^ACK|R{control}|P|2.5\rMSA|{code}|{control}\r"
            );
            stream.write_all(&frame(ack.as_bytes())).await.unwrap();
            sent.send(message).unwrap();
        }
    });
    (address, received)
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
