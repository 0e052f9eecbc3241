//! `hemaflow bench http`: the real server (`hemaflow_web`) on 127.0.0.1:0 with the demo centre
//! seeded in a temporary SQLite database, driven by a load generator built into the benchmark
//! (reqwest over keep-alive connections, each connection a task sending its next request when
//! the previous one is answered). Two endpoints in the same run:
//!
//! - **static** (the baseline): `GET /health`, the cheapest route of the same server, through
//!   the same stack (routing, tracing layer, JSON);
//! - **scan**: `GET /api/units/{scan}` with a bearer token from `POST /api/session`, a unit
//!   looked up by a scanned DIN (`=` + DIN + flags) as a bench does: the token checked, the
//!   account re-read, the scan parsed by the ISBT 128 codec, the donation, its units and every
//!   release blocker computed from the state, JSON written. Each connection signs in for a
//!   session of its own, as that many benches would.
//! - **fhir**: `GET /fhir/BiologicallyDerivedProduct?identifier={din}`, the same units as a
//!   FHIR R5 searchset Bundle, as a hospital's system reads them, with the same tokens.
//!
//! Targets: scan p99 under 5 ms at 32 connections, scan rate at least 40 % of the static rate,
//! the FHIR read within 2x the scan's time (its rate at least half the scan's).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args as ClapArgs;
use hemaflow_service::demo::{DemoOptions, seed};
use hemaflow_web::App;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::Exit;
use crate::commands::database;

#[derive(ClapArgs)]
pub struct Args {
    /// Requests sent to each endpoint (after a warm-up of one request per connection).
    #[arg(long, default_value_t = 20_000)]
    requests: usize,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Donors of the seeded demo centre.
    #[arg(long, default_value_t = 300)]
    donors: u32,
    /// Seed of the demo centre.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

/// The targets of the issue.
const TARGET_SCAN_P99_MS: f64 = 5.0;
const TARGET_RATE_RATIO: f64 = 0.4;
const TARGET_FHIR_OVER_SCAN: f64 = 0.5;
/// The account the load generator signs in as (any staff role may look up a unit).
const BENCH_USER: &str = "labtech";

/// The three endpoints' figures of one run.
pub struct Results {
    pub stat: Figures,
    pub scan: Figures,
    pub fhir: Figures,
    pub dins: usize,
}

impl Results {
    fn met(&self) -> bool {
        self.scan.p99_ms < TARGET_SCAN_P99_MS
            && self.scan.rate / self.stat.rate >= TARGET_RATE_RATIO
            && self.fhir.rate / self.scan.rate >= TARGET_FHIR_OVER_SCAN
    }
}

/// Requests per second and latencies of one endpoint.
#[derive(Debug, Clone, Copy)]
pub struct Figures {
    pub requests: usize,
    pub rate: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

pub fn run(args: Args) -> anyhow::Result<Exit> {
    anyhow::ensure!(args.requests > 0, "--requests must be at least 1");
    anyhow::ensure!(args.connections > 0, "--connections must be at least 1");
    let runtime = crate::commands::serve::runtime()?;
    let results = runtime.block_on(measure(&args))?;
    if args.json {
        println!("{}", json_report(&args, &results));
    } else {
        print(&args, &results);
    }
    Ok(Exit::Success)
}

async fn measure(args: &Args) -> anyhow::Result<Results> {
    let folder = tempfile::Builder::new()
        .prefix("hemaflow-bench-http-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let url = format!("sqlite://{}", folder.path().join("bench.db").display());
    let ledger = database::open(&url).await?;
    let options = DemoOptions {
        seed: args.seed,
        donors: args.donors,
        ..DemoOptions::new(database::now())
    };
    seed(&ledger, &options)
        .await
        .context("cannot seed the demo centre")?;
    hemaflow_web::demo::accounts(&ledger)
        .await
        .context("cannot create the demo accounts")?;
    let dins: Vec<String> = ledger
        .read(|state| state.donations.keys().cloned().collect())
        .await
        .context("cannot read the seeded donations")?;
    anyhow::ensure!(!dins.is_empty(), "the demo centre has no donations");
    // The scans a bench reader delivers: data identifier `=`, the DIN, flags `00`.
    let scans: Vec<String> = dins.iter().map(|din| format!("={din}00")).collect();

    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot listen on 127.0.0.1")?;
    let address = listener.local_addr().context("no local address")?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(hemaflow_web::serve(
        listener,
        // Every connection signs in as the bench account: the sign-in quotas of a real
        // server would refuse the 11th in a minute.
        App::with_limits(ledger, false, bench_limits()),
        async move {
            let _ = stopped.await;
        },
    ));
    let base = format!("http://{address}");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .timeout(Duration::from_secs(30))
        .build()
        .context("cannot build the HTTP client")?;
    let mut tokens = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        tokens.push(sign_in(&client, &base).await?);
    }

    let health = Arc::new(vec![format!("{base}/health")]);
    let units: Arc<Vec<String>> = Arc::new(
        scans
            .iter()
            .map(|scan| format!("{base}/api/units/{scan}"))
            .collect(),
    );
    let products: Arc<Vec<String>> = Arc::new(
        dins.iter()
            .map(|din| format!("{base}/fhir/BiologicallyDerivedProduct?identifier={din}"))
            .collect(),
    );
    let stat = load(&client, health, Vec::new(), args).await?;
    let scan = load(&client, units, tokens.clone(), args).await?;
    let fhir = load(&client, products, tokens, args).await?;
    let _ = stop.send(());
    server
        .await
        .context("the server task failed")?
        .context("the server failed")?;
    Ok(Results {
        stat,
        scan,
        fhir,
        dins: dins.len(),
    })
}

fn bench_limits() -> hemaflow_web::security::Limits {
    let many = std::num::NonZeroU32::new(100_000).unwrap_or(std::num::NonZeroU32::MIN);
    hemaflow_web::security::Limits {
        sign_ins_per_address_per_minute: many,
        sign_ins_per_account_per_minute: many,
        ..hemaflow_web::security::Limits::default()
    }
}

/// A bearer token for the bench account, as a machine client gets one.
async fn sign_in(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let response = client
        .post(format!("{base}/api/session"))
        .json(&json!({"user_id": BENCH_USER, "password": hemaflow_web::demo::DEMO_PASSWORD}))
        .send()
        .await
        .context("cannot reach the server")?;
    let status = response.status();
    let body: Value =
        serde_json::from_str(&response.text().await?).context("the sign-in answer is not JSON")?;
    match body.get("token").and_then(Value::as_str) {
        Some(token) if status.is_success() => Ok(token.to_owned()),
        _ => bail!("sign-in refused ({status}): {body}"),
    }
}

/// `args.requests` requests over `args.connections` connections, cycling through `urls`,
/// connection `i` sending bearer token `i` of `tokens` (none when `tokens` is empty);
/// every answer must be 200 with a body (a failed request stops the benchmark).
async fn load(
    client: &reqwest::Client,
    urls: Arc<Vec<String>>,
    tokens: Vec<String>,
    args: &Args,
) -> anyhow::Result<Figures> {
    let tokens = Arc::new(tokens);
    // Warm-up: open every connection and touch the route once each.
    run_workers(client, &urls, &tokens, args.connections, args.connections).await?;
    let started = Instant::now();
    let mut latencies =
        run_workers(client, &urls, &tokens, args.requests, args.connections).await?;
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    Ok(Figures {
        requests: latencies.len(),
        rate: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: percentile_ms(&latencies, 50.0),
        p99_ms: percentile_ms(&latencies, 99.0),
        max_ms: latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
    })
}

async fn run_workers(
    client: &reqwest::Client,
    urls: &Arc<Vec<String>>,
    tokens: &Arc<Vec<String>>,
    requests: usize,
    connections: usize,
) -> anyhow::Result<Vec<Duration>> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for connection in 0..connections.min(requests) {
        let (client, urls, tokens, next) = (
            client.clone(),
            Arc::clone(urls),
            Arc::clone(tokens),
            Arc::clone(&next),
        );
        workers.spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= requests {
                    return Ok::<_, anyhow::Error>(latencies);
                }
                let url = &urls[n % urls.len()];
                let mut request = client.get(url);
                if !tokens.is_empty() {
                    request = request.bearer_auth(&tokens[connection % tokens.len()]);
                }
                let sent = Instant::now();
                let response = request.send().await.with_context(|| format!("GET {url}"))?;
                let status = response.status();
                let body = response
                    .bytes()
                    .await
                    .with_context(|| format!("GET {url}"))?;
                latencies.push(sent.elapsed());
                if !status.is_success() || body.is_empty() {
                    bail!(
                        "GET {url} answered {status}: {}",
                        String::from_utf8_lossy(&body)
                    );
                }
            }
        });
    }
    let mut all = Vec::with_capacity(requests);
    while let Some(done) = workers.join_next().await {
        all.extend(done.context("a load worker failed")??);
    }
    Ok(all)
}

/// The nearest-rank percentile of sorted latencies, in milliseconds.
fn percentile_ms(sorted: &[Duration], percent: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((percent / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

fn figures_json(f: &Figures) -> Value {
    json!({
        "requests": f.requests,
        "requests_per_second": f.rate,
        "p50_ms": f.p50_ms,
        "p99_ms": f.p99_ms,
        "max_ms": f.max_ms,
    })
}

fn json_report(args: &Args, r: &Results) -> Value {
    json!({
        "benchmark": "http",
        "connections": args.connections,
        "donations": r.dins,
        "static": figures_json(&r.stat),
        "scan": figures_json(&r.scan),
        "fhir": figures_json(&r.fhir),
        "scan_rate_over_static": r.scan.rate / r.stat.rate,
        "fhir_rate_over_scan": r.fhir.rate / r.scan.rate,
        "targets": {
            "scan_p99_ms_below": TARGET_SCAN_P99_MS,
            "scan_rate_over_static_at_least": TARGET_RATE_RATIO,
            "fhir_rate_over_scan_at_least": TARGET_FHIR_OVER_SCAN,
            "met": r.met(),
        },
    })
}

fn print(args: &Args, r: &Results) {
    println!(
        "hemaflow bench http: {} requests per endpoint, {} connections, demo centre with {} donations",
        args.requests, args.connections, r.dins
    );
    println!(
        "{:<56} {:>12} {:>9} {:>9} {:>9}",
        "endpoint", "requests/s", "p50 ms", "p99 ms", "max ms"
    );
    for (name, f) in [
        ("static  GET /health", &r.stat),
        ("scan    GET /api/units/{scan}", &r.scan),
        (
            "fhir    GET /fhir/BiologicallyDerivedProduct?identifier",
            &r.fhir,
        ),
    ] {
        println!(
            "{name:<56} {:>12.0} {:>9.2} {:>9.2} {:>9.2}",
            f.rate, f.p50_ms, f.p99_ms, f.max_ms
        );
    }
    println!(
        "scan rate / static rate: {:.1} % (target >= {:.0} %); scan p99 {:.2} ms (target < {TARGET_SCAN_P99_MS} ms); \
         fhir rate / scan rate: {:.1} % (target >= {:.0} %): {}",
        r.scan.rate / r.stat.rate * 100.0,
        TARGET_RATE_RATIO * 100.0,
        r.scan.p99_ms,
        r.fhir.rate / r.scan.rate * 100.0,
        TARGET_FHIR_OVER_SCAN * 100.0,
        if r.met() { "met" } else { "NOT met" }
    );
}
