//! `hemaflow serve --log-format json`: one JSON object a line on standard error, each request
//! with its method, path, status, latency and request ID (`x-request-id`, the client's or a
//! new one, sent back in the answer), for a log collector.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn serve_logs_each_request_as_json_with_its_request_id() {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("serve.db").display());
    let mut server = Command::new(env!("CARGO_BIN_EXE_hemaflow"))
        .args(["serve", "--database", &url, "--bind", "127.0.0.1:0"])
        .args(["--log-format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // "Hemaflow is serving on http://127.0.0.1:PORT/" on standard output.
    let mut stdout = BufReader::new(server.stdout.take().unwrap());
    let started = Instant::now();
    let address = loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "the server stopped"
        );
        if let Some(rest) = line.split("http://").nth(1) {
            break rest.split('/').next().unwrap().to_owned();
        }
        assert!(started.elapsed() < Duration::from_secs(60), "no address");
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (given, made) = runtime.block_on(async {
        let client = reqwest::Client::new();
        let given = client
            .get(format!("http://{address}/health"))
            .header("x-request-id", "scan-desk-7f3a")
            .send()
            .await
            .unwrap();
        let made = client
            .get(format!("http://{address}/health/live"))
            .send()
            .await
            .unwrap();
        let id = |r: &reqwest::Response| r.headers()["x-request-id"].to_str().unwrap().to_owned();
        (id(&given), id(&made))
    });
    assert_eq!(given, "scan-desk-7f3a");
    assert_eq!(made.len(), 36, "a UUID: {made}");
    server.kill().unwrap();
    let mut log = String::new();
    server
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    server.wait().unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    let answered = |id: &str| {
        lines
            .iter()
            .find(|l| l["span"]["request_id"] == id && l["fields"]["status"].as_u64() == Some(200))
    };
    let line = answered("scan-desk-7f3a").unwrap_or_else(|| panic!("{log}"));
    assert_eq!(line["span"]["path"], "/health", "{line}");
    assert_eq!(line["level"], "INFO", "{line}");
    assert!(line["fields"]["latency"].is_string(), "{line}");
    assert!(answered(&made).is_some(), "{log}");
}
