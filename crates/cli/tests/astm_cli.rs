//! `serve --astm` with `hemaflow analyser`: the real server and the simulator over TCP on
//! 127.0.0.1, on a demo centre in a temporary SQLite file. Results land on the record once
//! (bad checksums resent, a dropped connection applying nothing, a repeated transmission
//! recorded once), a donation not on record is refused on the record, host queries are
//! answered with the panel, and python-astm reads every frame both ends wrote.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_hemaflow");

struct Server {
    child: Child,
    analysers: Vec<(String, String)>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn seeded(folder: &std::path::Path) -> String {
    let url = format!("sqlite://{}", folder.join("lab.db").display());
    let seeded = Command::new(BIN)
        .args([
            "demo",
            "--seed-only",
            "--database",
            &url,
            "--donors",
            "40",
            "--days",
            "6",
        ])
        .args(["--now", "2026-12-01T12:00:00Z"])
        .output()
        .unwrap();
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    url
}

fn serve(url: &str) -> Server {
    let mut child = Command::new(BIN)
        .args(["serve", "--database", url, "--bind", "127.0.0.1:0"])
        .args([
            "--astm",
            "panther=127.0.0.1:0",
            "--astm",
            "neo:serology=127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let started = Instant::now();
    let mut analysers = Vec::new();
    loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "the server stopped"
        );
        if let Some(rest) = line.strip_prefix("Listening for analyser ") {
            let mut words = rest.split_whitespace();
            let name = words.next().unwrap().to_owned();
            analysers.push((name, words.last().unwrap().to_owned()));
        }
        if line.contains("Hemaflow is serving") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "no address");
    }
    Server { child, analysers }
}

fn address<'a>(server: &'a Server, name: &str) -> &'a str {
    &server.analysers.iter().find(|(n, _)| n == name).unwrap().1
}

fn analyser(url: &str, args: &[&str]) -> String {
    let output = Command::new(BIN)
        .args(["analyser", "--database", url])
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn entries(url: &str) -> Vec<serde_json::Value> {
    let output = Command::new(BIN)
        .args(["export", "--database", url])
        .output()
        .unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        // The export's last line is its trailer, not an entry.
        .filter(|line| line.get("trailer").is_none())
        .collect()
}

fn python() -> String {
    std::env::var("HEMAFLOW_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

#[test]
fn analyser_results_are_recorded_once_through_bad_checksums_drops_and_repeats() {
    let folder = tempfile::tempdir().unwrap();
    let url = seeded(folder.path());
    let server = serve(&url);
    let transcript = folder.path().join("nat");
    let out = analyser(
        &url,
        &[
            "--server",
            address(&server, "panther"),
            "--kind",
            "nat",
            "--from-demo",
            "--count",
            "6",
            "--per-message",
            "3",
            "--bad-checksum-rate",
            "0.3",
            "--drop-rate",
            "1",
            "--repeat",
            "--query",
            "--transcript",
            transcript.to_str().unwrap(),
        ],
    );
    assert!(out.contains("host: O|1|"), "{out}");
    assert!(out.contains("2 connections dropped"), "{out}");
    let all = entries(&url);
    let recorded: Vec<&serde_json::Value> = all
        .iter()
        .filter(|e| e["actor"] == "instrument:panther" && e["event_type"] == "test_result_recorded")
        .collect();
    // Six donations, each with at least the three NAT markers of the multiplex, once each.
    assert!(recorded.len() >= 18, "{}", recorded.len());
    let mut keys: Vec<String> = recorded
        .iter()
        .map(|e| format!("{} {}", e["payload"]["din"], e["payload"]["test"]))
        .collect();
    let count = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), count, "no result recorded twice");
    assert!(recorded.iter().all(|e| e["role"] == "lab technologist"));
    let commands: std::collections::BTreeSet<&str> = recorded
        .iter()
        .map(|e| e["command_id"].as_str().unwrap())
        .collect();
    assert_eq!(commands.len(), 2, "one batch per message: {commands:?}");

    // python-astm reads what the simulator sent and what Hemaflow answered.
    let checked = Command::new(python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../astm/tests/check_frames.py"
        ))
        .arg(transcript.join("sent.bin"))
        .arg(transcript.join("received.bin"))
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&checked.stdout).unwrap();
    let sent = &report[transcript.join("sent.bin").to_str().unwrap()];
    assert_eq!(
        sent["messages"].as_array().unwrap().len(),
        5,
        "a query and two messages twice"
    );
    assert!(
        sent["bad_checksums"].as_u64().unwrap() > 0,
        "some frames went out bad and were resent"
    );
    let answer = &report[transcript.join("received.bin").to_str().unwrap()]["messages"][0];
    let kinds: String = answer
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap())
        .collect();
    assert_eq!(kinds, "HPOOOOOOL", "{answer}");
    assert_eq!(answer[2][4][0][3], "MPX", "{answer}");
    assert_eq!(answer[2][25], "O", "report type O: tests to do");
}

#[test]
fn a_donation_not_on_record_is_refused_on_the_record_and_nothing_else_is_applied() {
    let folder = tempfile::tempdir().unwrap();
    let url = seeded(folder.path());
    let server = serve(&url);
    let before = entries(&url).len();
    let dins = folder.path().join("dins.txt");
    // A valid DIN of ICCBBA's example facility, not collected here.
    std::fs::write(&dins, "# not on record\n=A99992600001207\n").unwrap();
    analyser(
        &url,
        &[
            "--server",
            address(&server, "neo"),
            "--kind",
            "serology",
            "--dins",
            dins.to_str().unwrap(),
        ],
    );
    let all = entries(&url);
    let new: Vec<&serde_json::Value> = all[before..].iter().collect();
    assert_eq!(new.len(), 1, "only the refusal: {new:?}");
    assert_eq!(new[0]["kind"], "refusal");
    assert_eq!(new[0]["actor"], "instrument:neo");
    assert!(
        new[0]["payload"].to_string().contains("A999926000012"),
        "{}",
        new[0]
    );
}
