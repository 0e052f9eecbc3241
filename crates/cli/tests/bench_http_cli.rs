//! `hemaflow bench http` runs the real server and prints both endpoints' figures (no timing is
//! asserted: the figures depend on the machine).

use std::process::Command;

use serde_json::Value;

fn bench_http(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hemaflow"))
        .args([
            "bench",
            "http",
            "--requests",
            "200",
            "--connections",
            "8",
            "--donors",
            "40",
        ])
        .args(args)
        .output()
        .expect("the hemaflow binary runs")
}

#[test]
fn bench_http_json_gives_rate_and_latencies_of_scan_and_static() {
    let output = bench_http(&["--json"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "bench http failed: {stderr}");
    let report: Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    for endpoint in ["static", "scan"] {
        let figures = &report[endpoint];
        assert_eq!(figures["requests"], 200, "{endpoint}: {figures}");
        for field in ["requests_per_second", "p50_ms", "p99_ms", "max_ms"] {
            let value = figures[field].as_f64().unwrap_or(-1.0);
            assert!(value > 0.0, "{endpoint}.{field} = {}", figures[field]);
        }
        assert!(figures["p50_ms"].as_f64() <= figures["p99_ms"].as_f64());
        assert!(figures["p99_ms"].as_f64() <= figures["max_ms"].as_f64());
    }
    let ratio = report["scan_rate_over_static"].as_f64().unwrap_or(-1.0);
    assert!(ratio > 0.0, "ratio {ratio}");
    assert!(report["donations"].as_u64().unwrap_or(0) > 0);
}

#[test]
fn bench_http_table_names_both_endpoints_and_the_ratio() {
    let output = bench_http(&[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.contains("GET /health"), "{table}");
    assert!(table.contains("GET /api/units/{scan}"), "{table}");
    assert!(table.contains("scan rate / static rate"), "{table}");
}
