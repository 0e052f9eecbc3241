//! `hemaflow bench mllp`: OMB^O27 orders received over MLLP, placed on the ledger and answered
//! by ORB^O28, on one core (a current-thread runtime serving the listener and the client).
//!
//! The baseline is parsing alone, measured in the same run: each message's ER7 read and its
//! order read (`Message::parse_bytes`, `read_envelope`, `read_order`). The measured figures
//! are the whole exchange over loopback: frame sent, read, parsed, the `PlaceOrder` decided and
//! committed durably, ORB^O28 written and framed back, and read by the client; first on one
//! connection (each message waits for the one commit of its own), then on `--connections`
//! connections at once (hospitals' systems sending together share commits: the listener's
//! group commit).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args as ClapArgs;
use hemaflow_hl7::config::{Hl7Settings, Sender};
use hemaflow_hl7::listener::{Interface, serve};
use hemaflow_hl7::mllp::{frame, take_frame};
use hemaflow_hl7::orders::{read_envelope, read_order};
use hemaflow_hl7::{Limits, Message};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::Exit;

#[derive(ClapArgs)]
pub struct Args {
    /// How many distinct orders are sent (each places one order).
    #[arg(long, default_value_t = 2_000)]
    messages: u32,
    /// Connections sending at once in the second measurement (each sends its share in turn,
    /// waiting for each answer, as an HL7 sender in original mode does).
    #[arg(long, default_value_t = 16)]
    connections: u32,
    /// Rounds of the parse baseline; the best counts (the exchange runs once: it places
    /// orders, and a second round would only repeat answers).
    #[arg(long, default_value_t = 5)]
    rounds: u32,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

/// The target: orders parsed and answered per second on one core.
const TARGET_MESSAGES_PER_SECOND: f64 = 1_000.0;

pub fn run(args: Args) -> anyhow::Result<Exit> {
    anyhow::ensure!(args.messages > 0, "--messages must be at least 1");
    anyhow::ensure!(args.rounds > 0, "--rounds must be at least 1");
    let messages: Vec<Vec<u8>> = (0..args.messages).map(omb).collect();
    let mut parse = Duration::MAX;
    for _ in 0..args.rounds {
        parse = parse.min(parse_all(&messages)?);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    anyhow::ensure!(args.connections > 0, "--connections must be at least 1");
    let (one, accepted_one) = runtime.block_on(exchange_all(&messages, 1))?;
    let (many, accepted_many) =
        runtime.block_on(exchange_all(&messages, args.connections as usize))?;
    for accepted in [accepted_one, accepted_many] {
        anyhow::ensure!(
            accepted == args.messages,
            "only {accepted} of {} orders were accepted",
            args.messages
        );
    }
    let report = Report {
        messages: args.messages,
        connections: args.connections,
        parse,
        one,
        many,
    };
    if args.json {
        println!("{}", report.json());
    } else {
        report.print();
    }
    Ok(Exit::Success)
}

fn omb(n: u32) -> Vec<u8> {
    [
        format!("MSH|^~\\&|HIS|GENHOSP|HEMAFLOW|BLOODBANK|20251125101500||OMB^O27^OMB_O27|B{n:08}|P|2.5|||AL|NE"),
        "PID|1||MRN12345^^^GENHOSP^MR||DOE^JANE^A||19700101|F".to_owned(),
        "PV1|1|I|WARD3^301^1^GENHOSP".to_owned(),
        format!("ORC|NW|P{n:08}^HIS||GRP55^HIS|||||20251125101500|||1234^SMITH^JOHN^^^DR"),
        "TQ1|1||||||20251125120000||R^Routine^HL70485".to_owned(),
        "BPO|1|PC^Packed Cells^HL70426|IR^Irradiated^HL70508~LR^Leukoreduced^HL70508|2".to_owned(),
        "OBX|1|NM|718-7^Hemoglobin [Mass/volume] in Blood^LN||72|g/L^g/L^UCUM|120-160|L|||F".to_owned(),
        "OBX|2|CWE|882-1^ABO and Rh group^LN||O Pos||||||F".to_owned(),
    ]
    .join("\r")
    .into_bytes()
}

fn parse_all(messages: &[Vec<u8>]) -> anyhow::Result<Duration> {
    let start = Instant::now();
    for bytes in messages {
        let message = Message::parse_bytes(std::hint::black_box(bytes), &Limits::default())?;
        let envelope = read_envelope(&message).map_err(|(_, p)| anyhow::anyhow!(p.message))?;
        let order = read_order(&message, &envelope).map_err(|(_, p)| anyhow::anyhow!(p.message))?;
        std::hint::black_box(order);
    }
    Ok(start.elapsed())
}

/// Every message over `connections` connections to a listener on a fresh database with one
/// hospital; the time of the exchange and how many were accepted.
async fn exchange_all(messages: &[Vec<u8>], connections: usize) -> anyhow::Result<(Duration, u32)> {
    let folder = tempfile::tempdir().context("cannot make a folder for the bench database")?;
    let url = format!("sqlite://{}", folder.path().join("mllp.db").display());
    let ledger = hemaflow_service::open(&url).await?;
    register_hospital(&ledger).await?;
    let interface = Interface::new(
        hemaflow_web::App::new(ledger, false),
        Arc::new(Hl7Settings {
            senders: vec![Sender {
                facility: "GENHOSP".into(),
                hospital: "mercy".into(),
                bps_endpoint: None,
            }],
            ..Hl7Settings::default()
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(serve(listener, interface, std::future::pending()));
    let share = messages.len().div_ceil(connections);
    let start = Instant::now();
    let mut senders = Vec::new();
    for part in messages.chunks(share) {
        let part = part.to_vec();
        senders.push(tokio::spawn(async move { send_each(address, &part).await }));
    }
    let mut accepted = 0;
    for sender in senders {
        accepted += sender.await??;
    }
    Ok((start.elapsed(), accepted))
}

/// Sends each message in turn on one connection, waiting for its answer; how many were AA.
async fn send_each(address: std::net::SocketAddr, messages: &[Vec<u8>]) -> anyhow::Result<u32> {
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    stream.set_nodelay(true)?;
    let mut buffer = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    let mut accepted = 0;
    for message in messages {
        stream.write_all(&frame(message)).await?;
        let reply = loop {
            if let Some((reply, used)) = take_frame(&buffer, 1 << 20)? {
                let reply = reply.to_vec();
                buffer.drain(..used);
                break reply;
            }
            let n = stream.read(&mut chunk).await?;
            anyhow::ensure!(n > 0, "the listener closed the connection");
            buffer.extend_from_slice(&chunk[..n]);
        };
        if reply.windows(7).any(|w| w == b"\rMSA|AA") {
            accepted += 1;
        }
    }
    Ok(accepted)
}

async fn register_hospital(ledger: &hemaflow_service::BloodLedger) -> anyhow::Result<()> {
    use hemaflow_domain::distribution::command::Command as Distribution;
    use hemaflow_domain::{ClientCommand, Command, Context, Role, Stamp};
    let command = Command::Client(ClientCommand::Distribution(
        Distribution::RegisterHospital {
            hospital_id: "mercy".into(),
            name: "Mercy General Hospital".into(),
            address: "1500 Lansdowne Ave".into(),
            contacts: Vec::new(),
        },
    ));
    let context = Context {
        actor: "admin".into(),
        role: Role::Admin,
        now: hemaflow_service::time_of(ledger.clock().now()),
        stamp: Stamp::Clock,
    };
    let receipt = ledger.execute("bench-hospital", &command, &context).await?;
    anyhow::ensure!(
        matches!(
            receipt.outcome,
            hemaflow_service::ledger::Outcome::Accepted { .. }
        ),
        "the bench hospital was refused: {:?}",
        receipt.outcome
    );
    Ok(())
}

struct Report {
    messages: u32,
    connections: u32,
    parse: Duration,
    one: Duration,
    many: Duration,
}

impl Report {
    fn per_second(&self, time: Duration) -> f64 {
        f64::from(self.messages) / time.as_secs_f64()
    }

    fn ratio(&self, answered: Duration) -> f64 {
        answered.as_secs_f64() / self.parse.as_secs_f64()
    }

    fn print(&self) {
        let answered = self.per_second(self.many);
        println!("MLLP OMB^O27 on one core: {} orders", self.messages);
        println!(
            "  parse alone (ER7 + order)          {:>10.0} messages/s",
            self.per_second(self.parse)
        );
        for (label, time) in [
            ("1 connection".to_owned(), self.one),
            (format!("{} connections", self.connections), self.many),
        ] {
            println!(
                "  answered, {label:<18}       {:>10.0} messages/s  (time / parse time {:.1})",
                self.per_second(time),
                self.ratio(time)
            );
        }
        let verdict = if answered >= TARGET_MESSAGES_PER_SECOND {
            "met"
        } else {
            "NOT met"
        };
        println!("  target {TARGET_MESSAGES_PER_SECOND:.0} messages/s: {verdict}");
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "benchmark": "mllp_omb",
            "messages": self.messages,
            "parse_seconds": self.parse.as_secs_f64(),
            "connections": self.connections,
            "answered_one_connection_seconds": self.one.as_secs_f64(),
            "answered_connections_seconds": self.many.as_secs_f64(),
            "parse_messages_per_second": self.per_second(self.parse),
            "answered_one_connection_messages_per_second": self.per_second(self.one),
            "answered_connections_messages_per_second": self.per_second(self.many),
            "ratio_answered_one_to_parse": self.ratio(self.one),
            "ratio_answered_connections_to_parse": self.ratio(self.many),
        })
    }
}
