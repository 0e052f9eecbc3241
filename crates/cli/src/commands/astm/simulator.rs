//! `hemaflow analyser`: a simulated analyser that connects to `serve --astm` and sends its
//! results over ASTM, with reactive and invalid results, bad checksums and dropped
//! connections at the rates asked, so that the whole loop can be seen (and tested).

use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use anyhow::{Context, bail};
use hemaflow_astm::driver::WriteFault;
use hemaflow_astm::frame::{ACK, ENQ, STX, encode_record_frames};
use hemaflow_astm::{Event, Link, Role, SpecimenId, Timers, drive};
use hemaflow_domain::lab::testing::{MarkerStatus, Method};
use hemaflow_domain::rng::Rng;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::analysers::{Kind, default_codes};
use crate::Exit;

#[derive(clap::Args)]
pub struct Args {
    /// The address `serve --astm NAME=ADDR` listens on.
    #[arg(long)]
    pub server: std::net::SocketAddr,
    #[arg(long, value_enum)]
    pub kind: Kind,
    /// A file of DINs (or DIN barcodes), one a line; `#` starts a comment.
    #[arg(long, value_name = "FILE", conflicts_with = "from_demo")]
    pub dins: Option<PathBuf>,
    /// The donations of the database (--database) with tests of this kind still due.
    #[arg(long)]
    pub from_demo: bool,
    /// The most donations to test.
    #[arg(long, default_value_t = 20)]
    pub count: usize,
    /// Donations per message.
    #[arg(long, default_value_t = 5)]
    pub per_message: usize,
    /// The share of donations reactive on one marker (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    pub reactive_rate: f64,
    /// The share of donations whose test is invalid (status X, an internal control failed).
    #[arg(long, default_value_t = 0.0)]
    pub invalid_rate: f64,
    /// The share of frames first sent with a wrong checksum (the receiver NAKs, we resend).
    #[arg(long, default_value_t = 0.0)]
    pub bad_checksum_rate: f64,
    /// The share of messages whose connection is dropped half-way (then sent again whole).
    #[arg(long, default_value_t = 0.0)]
    pub drop_rate: f64,
    /// Ask the host for each donation's tests first (a Q record) and print the answer.
    #[arg(long)]
    pub query: bool,
    /// Send every message twice (a duplicate transmission, which must be recorded once).
    #[arg(long)]
    pub repeat: bool,
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Write the bytes sent and received to DIR/sent.bin and DIR/received.bin.
    #[arg(long, value_name = "DIR")]
    pub transcript: Option<PathBuf>,
}

/// What the run did, printed at the end.
#[derive(Debug, Default)]
struct Tally {
    messages: u32,
    frames_corrupted: u32,
    dropped: u32,
    queries: u32,
}

pub fn run(args: Args, database: Option<&str>) -> anyhow::Result<Exit> {
    for (name, rate) in [
        ("--reactive-rate", args.reactive_rate),
        ("--invalid-rate", args.invalid_rate),
        ("--bad-checksum-rate", args.bad_checksum_rate),
        ("--drop-rate", args.drop_rate),
    ] {
        if !(0.0..=1.0).contains(&rate) {
            eprintln!("hemaflow: {name} {rate} is not between 0 and 1");
            return Ok(Exit::InvalidInput);
        }
    }
    if args.per_message == 0 {
        eprintln!("hemaflow: --per-message must be at least 1");
        return Ok(Exit::InvalidInput);
    }
    super::super::serve::runtime()?.block_on(async {
        let donations = donations(&args, database).await?;
        if donations.is_empty() {
            eprintln!("hemaflow: no donation to test (give --dins FILE or --from-demo)");
            return Ok(Exit::InvalidInput);
        }
        let tally = simulate(&args, &donations).await?;
        println!(
            "analyser sent {} messages for {} donations ({} queries answered, {} frames sent with a bad checksum and resent, {} connections dropped and the message sent again)",
            tally.messages,
            donations.len(),
            tally.queries,
            tally.frames_corrupted,
            tally.dropped
        );
        Ok(Exit::Success)
    })
}

/// A donation to test: its DIN and the analyser codes due.
struct Tube {
    din: String,
    codes: Vec<String>,
}

async fn donations(args: &Args, database: Option<&str>) -> anyhow::Result<Vec<Tube>> {
    let standard: Vec<String> = match args.kind {
        Kind::Nat => vec!["MPX".into()],
        Kind::Serology => ["HBSAG", "HBC", "HCV", "HIV", "HTLV", "SYPH"]
            .map(String::from)
            .to_vec(),
    };
    if let Some(file) = &args.dins {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let mut tubes = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            match SpecimenId::parse(line) {
                Ok(SpecimenId::Donation { din, .. }) => tubes.push(Tube {
                    din: din.as_str().to_owned(),
                    codes: standard.clone(),
                }),
                Ok(SpecimenId::Other(_)) => bail!(
                    "{} line {}: {line:?} is not a DIN",
                    file.display(),
                    number + 1
                ),
                Err(error) => bail!("{} line {}: {error}", file.display(), number + 1),
            }
        }
        tubes.truncate(args.count);
        return Ok(tubes);
    }
    if !args.from_demo {
        return Ok(Vec::new());
    }
    let url = super::super::database::resolve_existing(database)?;
    let ledger = super::super::database::open(&url).await?;
    let kind = args.kind;
    let count = args.count;
    Ok(ledger.read(|state| due_tubes(state, kind, count)).await?)
}

/// Donations with a marker of this kind still pending, with the analyser codes for them.
fn due_tubes(state: &hemaflow_domain::State, kind: Kind, count: usize) -> Vec<Tube> {
    let method = match kind {
        Kind::Nat => Method::Nat,
        Kind::Serology => Method::Serology,
    };
    let codes = default_codes(kind);
    let mut tubes = Vec::new();
    for donation in state.donations.values() {
        let pending: Vec<&str> = donation
            .tests
            .iter()
            .filter(|(_, status)| matches!(status, MarkerStatus::Pending))
            .map(|(marker, _)| marker.as_str())
            .filter(|marker| {
                state
                    .config
                    .tests
                    .iter()
                    .any(|t| t.code == *marker && t.method == method)
            })
            .collect();
        let mut due: Vec<String> = Vec::new();
        for (code, markers) in &codes {
            // A multiplex code only when all its markers are due; a single one otherwise.
            let all = markers.iter().all(|m| pending.contains(&m.as_str()));
            let covered = markers
                .iter()
                .all(|m| due.iter().any(|d| codes[d].contains(m)));
            let wanted = if markers.len() > 1 {
                all
            } else {
                pending.contains(&markers[0].as_str())
            };
            if wanted && !covered && !code.starts_with('D') {
                due.push(code.clone());
            }
        }
        if !due.is_empty() {
            tubes.push(Tube {
                din: donation.din.clone(),
                codes: due,
            });
        }
        if tubes.len() == count {
            break;
        }
    }
    tubes
}

async fn simulate(args: &Args, tubes: &[Tube]) -> anyhow::Result<Tally> {
    let mut rng = Rng::new(args.seed);
    let mut tally = Tally::default();
    let transcript = Transcript::default();
    if args.query {
        let dins: Vec<&str> = tubes.iter().map(|t| t.din.as_str()).collect();
        let answer = exchange(
            args,
            query_message(args.kind, &dins),
            true,
            &mut rng,
            &mut tally,
            &transcript,
        )
        .await?;
        tally.queries += 1;
        for record in answer.iter().filter(|r| r.first() == Some(&b'O')) {
            println!("host: {}", String::from_utf8_lossy(record));
        }
    }
    for (index, chunk) in tubes.chunks(args.per_message).enumerate() {
        let message = results_message(args, chunk, index, &mut rng);
        if chance(&mut rng, args.drop_rate) {
            drop_mid_message(args.server, &message).await?;
            tally.dropped += 1;
        }
        exchange(
            args,
            message.clone(),
            false,
            &mut rng,
            &mut tally,
            &transcript,
        )
        .await?;
        tally.messages += 1;
        if args.repeat {
            exchange(args, message, false, &mut rng, &mut tally, &transcript).await?;
            tally.messages += 1;
        }
    }
    if let Some(dir) = &args.transcript {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot make {}", dir.display()))?;
        let (sent, received) = transcript.take();
        std::fs::write(dir.join("sent.bin"), sent)?;
        std::fs::write(dir.join("received.bin"), received)?;
    }
    Ok(tally)
}

/// One connection: the message sent, and (for a query) the host's answer awaited.
async fn exchange(
    args: &Args,
    message: Vec<Vec<u8>>,
    await_answer: bool,
    rng: &mut Rng,
    tally: &mut Tally,
    transcript: &Transcript,
) -> anyhow::Result<Vec<Vec<u8>>> {
    let stream = TcpStream::connect(args.server)
        .await
        .with_context(|| format!("cannot connect to {}", args.server))?;
    stream.set_nodelay(true)?;
    let (events, mut happened) = mpsc::channel(16);
    let (outgoing, queue) = mpsc::channel(2);
    outgoing
        .send(message)
        .await
        .context("cannot queue the message")?;
    let corrupted = Arc::new(Mutex::new(0u32));
    let fault = bad_checksums(args.bad_checksum_rate, rng.next_u64(), corrupted.clone());
    let link = Link::new(Role::Instrument, Timers::STANDARD);
    let tapped = Tap {
        inner: stream,
        transcript: transcript.clone(),
    };
    let driver = tokio::spawn(drive(tapped, link, events, queue, Some(fault)));
    let mut answer = Vec::new();
    let mut sent = false;
    let limit = tokio::time::Instant::now() + Duration::from_secs(120);
    while let Ok(Some(event)) = tokio::time::timeout_at(limit, happened.recv()).await {
        match event {
            Event::Sent => {
                sent = true;
                if !await_answer {
                    break;
                }
            }
            Event::Received(records) => {
                answer = records;
                break;
            }
            Event::Failed(error) => bail!("the message was not delivered: {error}"),
            Event::Nak(error) => bail!("the host sent a bad frame: {error}"),
        }
    }
    drop(outgoing);
    let _ = tokio::time::timeout(Duration::from_secs(5), driver).await;
    *tally = Tally {
        frames_corrupted: tally.frames_corrupted
            + *corrupted.lock().map_err(|_| anyhow::anyhow!("lock"))?,
        ..std::mem::take(tally)
    };
    if !sent {
        bail!("the host did not take the message within 120 s");
    }
    if await_answer && answer.is_empty() {
        bail!("the host did not answer the query");
    }
    Ok(answer)
}

/// Corrupts the checksum of a frame's first sending, at `rate`; the resend goes out right.
fn bad_checksums(rate: f64, seed: u64, count: Arc<Mutex<u32>>) -> WriteFault {
    let mut rng = Rng::new(seed);
    let mut last: Option<Vec<u8>> = None;
    Box::new(move |bytes: &mut Vec<u8>| {
        if bytes.first() != Some(&STX) || bytes.len() < 7 {
            return;
        }
        let resend = last.as_ref() == Some(bytes);
        last = Some(bytes.clone());
        if !resend && chance(&mut rng, rate) {
            let at = bytes.len() - 3;
            bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
            if let Ok(mut count) = count.lock() {
                *count += 1;
            }
        }
    })
}

/// ENQ and the first half of the message's frames, then the connection closed.
async fn drop_mid_message(server: std::net::SocketAddr, message: &[Vec<u8>]) -> anyhow::Result<()> {
    let mut stream = TcpStream::connect(server).await?;
    stream.write_all(&[ENQ]).await?;
    let mut reply = [0u8; 1];
    stream.read_exact(&mut reply).await?;
    if reply[0] != ACK {
        bail!(
            "the host did not take the line (answered 0x{:02X})",
            reply[0]
        );
    }
    for (index, record) in message.iter().take(message.len() / 2).enumerate() {
        let frame = encode_record_frames(record, (index as u8 + 1) % 8);
        stream.write_all(&frame[0].encode()).await?;
        stream.read_exact(&mut reply).await?;
    }
    Ok(())
}

fn header(kind: Kind) -> Vec<u8> {
    let sender = match kind {
        Kind::Nat => "NATSYS^SIMULATOR^1.0^SIM0001",
        Kind::Serology => "SEROSYS^SIMULATOR^1.0^SIM0002",
    };
    format!("H|\\^&|||{sender}|||||||P|LIS2-A2|20261208020000").into_bytes()
}

fn query_message(kind: Kind, dins: &[&str]) -> Vec<Vec<u8>> {
    let ids: Vec<String> = dins
        .iter()
        .map(|din| format!("^={din}{}", flag(kind)))
        .collect();
    vec![
        header(kind),
        format!("Q|1|{}||||||||||O", ids.join("\\")).into_bytes(),
        b"L|1|N".to_vec(),
    ]
}

/// The tube's flags: 09 a NAT sample tube, 07 a test tube.
fn flag(kind: Kind) -> &'static str {
    match kind {
        Kind::Nat => "09",
        Kind::Serology => "07",
    }
}

fn results_message(args: &Args, tubes: &[Tube], index: usize, rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut records = vec![header(args.kind)];
    let time = format!("20261208{:02}{:02}00", 2 + index / 60 % 20, index % 60);
    for (number, tube) in tubes.iter().enumerate() {
        records.push(format!("P|{}", number + 1).into_bytes());
        records.push(
            format!(
                "O|1|={}{}||^^^{}|R||||||N||||P||||||||||F",
                tube.din,
                flag(args.kind),
                tube.codes.join("\\^^^")
            )
            .into_bytes(),
        );
        let reactive_code =
            chance(rng, args.reactive_rate).then(|| rng.below(tube.codes.len() as u64) as usize);
        if chance(rng, args.invalid_rate) {
            records.push(
                format!(
                    "R|1|^^^{}^INTERP|Invalid|||||X||SIM||{time}|SIM0001",
                    tube.codes[0]
                )
                .into_bytes(),
            );
            records.push(
                b"C|1|I|IC failure: internal control below cutoff; retest required|G".to_vec(),
            );
            continue;
        }
        let mut sequence = 0u32;
        let mut result = |code: &str, value: &str, flag: &str, records: &mut Vec<Vec<u8>>| {
            sequence += 1;
            records.push(
                format!("R|{sequence}|^^^{code}^INTERP|{value}|||{flag}||F||SIM||{time}|SIM0001")
                    .into_bytes(),
            );
            records.push(
                format!(
                    "R|{}|^^^{code}^SCO|{}|S/CO||||F||SIM||{time}|SIM0001",
                    sequence + 1,
                    if value == "Reactive" { "14.20" } else { "0.04" }
                )
                .into_bytes(),
            );
            sequence += 1;
        };
        for (at, code) in tube.codes.iter().enumerate() {
            let reactive = reactive_code == Some(at);
            match (args.kind, reactive) {
                (_, false) => result(code, "Nonreactive", "N", &mut records),
                (Kind::Serology, true) => {
                    // Initial reactive, then the duplicate repeats: one reactive.
                    result(code, "Reactive", "A", &mut records);
                    result(code, "Reactive", "A", &mut records);
                    result(code, "Nonreactive", "N", &mut records);
                }
                (Kind::Nat, true) if code == "MPX" => {
                    result(code, "Reactive", "A", &mut records);
                    let which = rng.below(3) as usize;
                    for (d, discriminatory) in ["DHIV", "DHCV", "DHBV"].iter().enumerate() {
                        let (value, flag) = if d == which {
                            ("Reactive", "A")
                        } else {
                            ("Nonreactive", "N")
                        };
                        result(discriminatory, value, flag, &mut records);
                    }
                }
                (Kind::Nat, true) => result(code, "Reactive", "A", &mut records),
            }
        }
    }
    records.push(b"L|1|N".to_vec());
    records
}

/// True with probability `rate` (0 to 1).
fn chance(rng: &mut Rng, rate: f64) -> bool {
    let draw = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    rate > 0.0 && draw < rate
}

/// The bytes both ways, for `--transcript`.
#[derive(Clone, Default)]
struct Transcript(Arc<Mutex<(Vec<u8>, Vec<u8>)>>);

impl Transcript {
    fn take(&self) -> (Vec<u8>, Vec<u8>) {
        self.0
            .lock()
            .map(|mut both| std::mem::take(&mut *both))
            .unwrap_or_default()
    }
}

/// A stream that copies what passes through it into the transcript.
struct Tap {
    inner: TcpStream,
    transcript: Transcript,
}

impl AsyncRead for Tap {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let (Poll::Ready(Ok(())), Ok(mut both)) = (&polled, self.transcript.0.lock()) {
            both.1.extend_from_slice(&buf.filled()[before..]);
        }
        polled
    }
}

impl AsyncWrite for Tap {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bytes: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, bytes);
        if let (Poll::Ready(Ok(count)), Ok(mut both)) = (&polled, self.transcript.0.lock()) {
            both.0.extend_from_slice(&bytes[..*count]);
        }
        polled
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
