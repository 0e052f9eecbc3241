//! `hemaflow bench isbt128`: ISBT 128 parse throughput on one core.
//!
//! The baseline is splitting the same input into lines, measured in the same run: the ratio
//! of the two times says how much parsing costs beyond merely reading the scans.

use std::hint::black_box;
use std::time::{Duration, Instant};

use clap::Args as ClapArgs;
use hemaflow_isbt128 as isbt128;

use crate::Exit;

#[derive(ClapArgs)]
pub struct Args {
    /// How many scans the generated input holds.
    #[arg(long, default_value_t = 100_000)]
    scans: u32,
    /// Seed of the generated input (the same seed gives the same scans).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Rounds of each measurement; the best round counts.
    #[arg(long, default_value_t = 5)]
    rounds: u32,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

/// The target set for parse throughput on one core.
const TARGET_STRUCTURES_PER_SECOND: f64 = 10_000_000.0;

pub fn run(args: Args) -> anyhow::Result<Exit> {
    anyhow::ensure!(args.scans > 0, "--scans must be at least 1");
    anyhow::ensure!(args.rounds > 0, "--rounds must be at least 1");
    let corpus = generate(args.seed, args.scans);
    let structures = count_structures(&corpus)?;
    let mut baseline = Duration::MAX;
    let mut parse = Duration::MAX;
    for _ in 0..args.rounds {
        baseline = baseline.min(time(|| split_lines(&corpus)));
        parse = parse.min(time(|| parse_lines(&corpus)));
    }
    let report = Report {
        scans: args.scans,
        structures,
        bytes: corpus.len(),
        baseline,
        parse,
    };
    if args.json {
        println!("{}", report.json());
    } else {
        report.print();
    }
    Ok(Exit::Success)
}

struct Report {
    scans: u32,
    structures: u64,
    bytes: usize,
    baseline: Duration,
    parse: Duration,
}

impl Report {
    fn structures_per_second(&self) -> f64 {
        self.structures as f64 / self.parse.as_secs_f64()
    }

    fn ratio(&self) -> f64 {
        self.parse.as_secs_f64() / self.baseline.as_secs_f64()
    }

    fn print(&self) {
        let lines_per_second = f64::from(self.scans) / self.baseline.as_secs_f64();
        let rate = self.structures_per_second();
        println!(
            "ISBT 128 parse, one core: {} scans, {} structures, {} bytes",
            self.scans, self.structures, self.bytes
        );
        println!(
            "  baseline  split into lines   {:>14.0} scans/s",
            lines_per_second
        );
        println!("  hemaflow  parse              {:>14.0} structures/s", rate);
        println!("  ratio     parse time / split time = {:.1}", self.ratio());
        let verdict = if rate >= TARGET_STRUCTURES_PER_SECOND {
            "met"
        } else {
            "NOT met"
        };
        println!("  target    >= {TARGET_STRUCTURES_PER_SECOND:.0} structures/s: {verdict}");
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "benchmark": "isbt128_parse",
            "scans": self.scans,
            "structures": self.structures,
            "bytes": self.bytes,
            "baseline_seconds": self.baseline.as_secs_f64(),
            "parse_seconds": self.parse.as_secs_f64(),
            "structures_per_second": self.structures_per_second(),
            "ratio_parse_to_split": self.ratio(),
        })
    }
}

fn time(work: impl Fn() -> u64) -> Duration {
    let start = Instant::now();
    black_box(work());
    start.elapsed()
}

fn split_lines(corpus: &str) -> u64 {
    corpus
        .lines()
        .map(|line| black_box(line).len() as u64)
        .sum()
}

fn parse_lines(corpus: &str) -> u64 {
    corpus
        .lines()
        .map(|line| match isbt128::parse(black_box(line)) {
            Ok(scan) => scan.structures().len() as u64,
            Err(_) => 0,
        })
        .sum()
}

fn count_structures(corpus: &str) -> anyhow::Result<u64> {
    let mut total = 0;
    for line in corpus.lines() {
        let scan = isbt128::parse(line)
            .map_err(|error| anyhow::anyhow!("generated scan '{line}' does not parse: {error}"))?;
        total += scan.structures().len() as u64;
    }
    Ok(total)
}

/// SplitMix64: a small deterministic generator, so that a seed always gives the same input.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const GROUPS: [&str; 8] = ["51", "95", "62", "06", "73", "17", "84", "28"];
const PRODUCTS: [&str; 6] = [
    "E0398V00", "E4377V00", "E7003V00", "E0398VA0", "E7003VB0", "S1128000",
];

/// A realistic mix of the scans of a blood centre's benches: DINs, blood groups, product
/// codes, expiry dates, concatenated pairs and compound messages.
fn generate(seed: u64, scans: u32) -> String {
    let mut random = SplitMix(seed);
    let mut corpus = String::with_capacity(scans as usize * 24);
    for _ in 0..scans {
        let din = din(&mut random);
        let group = format!("=%{}00", random.pick(&GROUPS));
        let product = format!("=<{}", random.pick(&PRODUCTS));
        let expiry = format!(
            "&>0{}{:03}2359",
            26 + random.below(2),
            1 + random.below(365)
        );
        match random.below(10) {
            0..=2 => corpus.push_str(&din),
            3 => corpus.push_str(&group),
            4 => corpus.push_str(&product),
            5 => corpus.push_str(&expiry),
            6 => corpus.push_str(&format!("{din}{group}")),
            7 => corpus.push_str(&format!("{product}{expiry}")),
            8 => corpus.push_str(&format!("&({:05}", random.below(100_000))),
            _ => corpus.push_str(&format!("=+04000{din}{group}{product}{expiry}")),
        }
        corpus.push('\n');
    }
    corpus
}

fn din(random: &mut SplitMix) -> String {
    let text = format!(
        "W{:04}{:02}{:06}",
        1000 + random.below(9000),
        25 + random.below(2),
        random.below(1_000_000)
    );
    let flags = match isbt128::Din::parse(&text) {
        Ok(din) if random.below(2) == 0 => isbt128::Flags::check_flag(&din).as_str().to_owned(),
        _ => "00".to_owned(),
    };
    format!("={text}{flags}")
}
