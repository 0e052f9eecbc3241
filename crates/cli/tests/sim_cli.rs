//! Black-box test of `hemaflow sim generate --donations 1000 | hemaflow sim run` on SQLite
//! (and on PostgreSQL when `HEMAFLOW_TEST_POSTGRES_URL` is set, in a fresh database schema).

#![allow(clippy::unwrap_used)]

use std::process::{Command, Stdio};

fn hemaflow() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hemaflow"));
    // A PostgreSQL ledger's key and witness go to the configuration directory: not the
    // user's own in a test.
    command.env(
        "XDG_CONFIG_HOME",
        std::env::temp_dir().join("hemaflow-sim-cli-config"),
    );
    command
}

/// `sim generate | sim run --database url`: the summary printed by run.
fn pipe(url: &str, donations: &str) -> String {
    pipe_with(url, donations, &[])
}

fn pipe_with(url: &str, donations: &str, extra: &[&str]) -> String {
    let mut generate = hemaflow()
        .args(["sim", "generate", "--donations", donations, "--seed", "11"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let run = hemaflow()
        .args(["sim", "run", "--database", url])
        .args(extra)
        .stdin(generate.stdout.take().unwrap())
        .output()
        .unwrap();
    assert!(generate.wait().unwrap().success());
    let stdout = String::from_utf8(run.stdout).unwrap();
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    stdout
}

fn figure(summary: &str, name: &str) -> u64 {
    summary
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {summary}"))
}

fn check(summary: &str) {
    let commands = figure(summary, "commands");
    assert!(commands > 10_000, "{summary}");
    assert_eq!(
        figure(summary, "accepted") + figure(summary, "refused"),
        commands
    );
    assert!(summary.contains("1000 donations"), "{summary}");
    assert!(summary.contains("invariants hold"), "{summary}");
    assert!(summary.contains("verified"), "{summary}");
    assert!(summary.contains("commands/s"), "{summary}");
}

#[test]
fn sim_generate_1000_donations_piped_into_sim_run_verifies_on_sqlite() {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("sim.db").display());
    let summary = pipe(&url, "1000");
    check(&summary);
    assert!(summary.contains("database   "), "{summary}");
    assert!(summary.contains(" MB"), "{summary}");
}

#[test]
fn sim_run_json_gives_the_same_figures_as_one_object() {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("sim.db").display());
    let answer: serde_json::Value =
        serde_json::from_str(&pipe_with(&url, "100", &["--json"])).unwrap();
    let commands = answer["commands"].as_u64().unwrap();
    assert!(commands > 1_000, "{answer}");
    assert_eq!(
        answer["accepted"].as_u64().unwrap() + answer["refused"].as_u64().unwrap(),
        commands
    );
    assert_eq!(answer["donations"], 100, "{answer}");
    assert_eq!(answer["verified"], true);
    assert!(answer["database_bytes"].as_u64() > Some(0), "{answer}");
    assert!(answer["refused_by_rule"].is_object(), "{answer}");
}

#[test]
fn sim_run_on_postgres_in_a_fresh_schema() {
    let Ok(url) = std::env::var("HEMAFLOW_TEST_POSTGRES_URL") else {
        eprintln!("HEMAFLOW_TEST_POSTGRES_URL is not set: the PostgreSQL run was NOT made");
        return;
    };
    use hemaflow_service::store::PgStore;
    let schema = format!("hemaflow_test_sim_cli_{}", std::process::id());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = runtime
        .block_on(PgStore::connect_in_schema(&url, &schema))
        .unwrap();
    // The binary takes a URL: the schema is chosen by the connection's search_path.
    let separator = if url.contains('?') { '&' } else { '?' };
    let in_schema = format!("{url}{separator}options=-c%20search_path%3D{schema}");
    let summary = pipe(&in_schema, "1000");
    runtime.block_on(store.drop_schema(&schema)).unwrap();
    check(&summary);
    assert!(summary.contains("size not measured"), "{summary}");
}

#[test]
fn sim_run_refuses_a_batch_size_out_of_range_and_creates_no_database() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("sim.db");
    let url = format!("sqlite://{}", path.display());
    for batch in ["0", "100001"] {
        let run = hemaflow()
            .args(["sim", "run", "--batch", batch, "--database", &url])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("--batch"), "{stderr}");
        assert!(stderr.contains("1..=100000"), "{stderr}");
    }
    assert!(!path.exists(), "a refused run opened the database");
}

/// The entries of the ledger at `url`, as `audit verify --json` counts them.
fn entries(url: &str) -> i64 {
    let out = hemaflow()
        .args(["audit", "verify", "--json", "--database", url])
        .output()
        .unwrap();
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    answer["entries"].as_i64().unwrap()
}

#[test]
fn sim_run_refuses_an_establishments_ledger_and_records_nothing() {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("site.db").display());
    let demo = hemaflow()
        .args([
            "demo",
            "--seed-only",
            "--database",
            &url,
            "--donors",
            "5",
            "--days",
            "2",
        ])
        .output()
        .unwrap();
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let before = entries(&url);
    // A QA release in a QA officer's name, with no one signed in.
    let forged = br#"{"id":"sim-000000001","context":{"actor":"e.walsh","role":"qa","now":"2030-01-01T00:00:00Z"},"command":{"type":"release_component","id":"W123426000001-D7000VA0"}}"#;
    let mut run = hemaflow()
        .args(["sim", "run", "--database", &url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let _ = run.stdin.take().unwrap().write_all(forged);
    }
    let out = run.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("holds an establishment's ledger"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was recorded"), "{stderr}");
    assert_eq!(entries(&url), before);
}

#[test]
fn sim_run_appends_again_to_a_simulation_it_began() {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("sim.db").display());
    pipe(&url, "3");
    let first = entries(&url);
    // The same workload again: every command ID already answered, nothing new, not refused.
    pipe(&url, "3");
    assert_eq!(entries(&url), first);
    // The pipelined writer signed its last head into the witness beside the file.
    let verified = hemaflow()
        .args(["audit", "verify", "--database", &url])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&verified.stdout);
    assert_eq!(verified.status.code(), Some(0), "{said}");
    assert!(said.contains("the last entry is witnessed"), "{said}");
}
