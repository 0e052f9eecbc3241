//! The test centre: a real ledger (a SQLite file seeded with the demo blood centre), the
//! MLLP listener on a free port, and helpers that talk to it over real sockets.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

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

use hemaflow_hl7::{Limits, Message};
use hemaflow_service::demo::{DISTRIBUTION_SITE, DemoOptions, seed};
use hemaflow_web::App;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub struct Centre {
    pub _folder: tempfile::TempDir,
    pub interface: Interface,
    pub address: std::net::SocketAddr,
}

pub fn settings(bps_endpoint: Option<String>) -> Hl7Settings {
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

pub async fn centre(bps_endpoint: Option<String>) -> Centre {
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
    let interface = Interface::new(App::new(ledger, false), Arc::new(settings(bps_endpoint)));
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
pub async fn in_stock(app: &App) -> (String, String) {
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

pub fn omb(facility: &str, control_id: &str, placer: &str, group: &str) -> String {
    omb_of(facility, control_id, placer, "PC", group)
}

pub fn omb_of(
    facility: &str,
    control_id: &str,
    placer: &str,
    product: &str,
    group: &str,
) -> String {
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

pub async fn exchange(address: std::net::SocketAddr, message: &[u8]) -> Message {
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

pub async fn orders_of_placer(app: &App, id: &str) -> usize {
    app.ledger
        .read(|records| records.orders.keys().filter(|k| *k == id).count())
        .await
        .unwrap()
}

pub fn distribution() -> Context {
    Context {
        actor: "k.mendes".into(),
        role: Role::Distribution,
        now: time::OffsetDateTime::now_utc(),
        stamp: Stamp::Clock,
    }
}

pub async fn run(app: &App, id: &str, command: Distribution) {
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
pub async fn ship(app: &App, order_id: &str) -> String {
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
pub async fn receiver(
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
