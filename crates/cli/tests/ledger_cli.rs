//! Black-box tests of the ledger commands: `demo --seed-only`, `audit verify`,
//! `audit history`, `export` and `import`, on SQLite files and on PostgreSQL when
//! `HEMAFLOW_TEST_POSTGRES_URL` names a server.

// In tests a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use hemaflow_store_tests::{Backend, TestDb};

const NOW: &str = "2026-03-20T15:30:00Z";

fn hemaflow_with(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hemaflow"));
    command
        .args(args)
        .env_remove("HEMAFLOW_DATABASE_URL")
        // A PostgreSQL ledger's key and witness go to the configuration directory: not the
        // user's own in a test.
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join("hemaflow-ledger-cli-config"),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("the hemaflow binary starts");
    let mut input = child.stdin.take().expect("stdin is piped");
    let stdin = stdin.to_vec();
    // A command that refuses before reading its input closes the pipe: not a test failure.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let output = child.wait_with_output().expect("hemaflow finishes");
    writer.join().expect("the writer thread ends");
    output
}

fn hemaflow(args: &[&str], stdin: &[u8]) -> Output {
    hemaflow_with(args, stdin, &[])
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The entry lines of an export: every line but the trailer.
fn entry_lines(export: &[u8]) -> Vec<&[u8]> {
    export
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty() && !l.starts_with(b"{\"trailer\""))
        .collect()
}

fn sqlite_url(dir: &Path, name: &str) -> String {
    format!("sqlite://{}", dir.join(name).display())
}

/// A small demo centre (fast to make), through the binary.
fn seeded(url: &str) {
    let out = hemaflow(
        &[
            "demo",
            "--seed-only",
            "--database",
            url,
            "--now",
            NOW,
            "--donors",
            "60",
            "--days",
            "12",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("j.garcia"), "{stdout}");
    assert!(stdout.contains("Mercy General Hospital"), "{stdout}");
}

fn verify(url: &str) -> Output {
    hemaflow(&["audit", "verify", "--database", url], b"")
}

#[test]
fn demo_export_import_on_sqlite_and_postgres_then_verify_and_tamper() {
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite_url(dir.path(), "source.db");
    seeded(&source);

    // The demo goes into an empty database only.
    let again = hemaflow(&["demo", "--seed-only", "--database", &source], b"");
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("not empty"),
        "{}",
        text(&again.stderr)
    );

    let verified = verify(&source);
    assert_eq!(
        verified.status.code(),
        Some(0),
        "{}",
        text(&verified.stderr)
    );
    let summary = text(&verified.stdout);
    assert!(summary.contains("ledger verified"), "{summary}");
    assert!(summary.contains("last hash: "), "{summary}");
    let json = hemaflow(&["audit", "verify", "--json", "--database", &source], b"");
    assert_eq!(json.status.code(), Some(0));
    let answer: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(answer["verified"], true, "{answer}");
    assert!(answer["entries"].as_i64() > Some(500), "{answer}");
    assert_eq!(
        answer["last_hash"].as_str().map(str::len),
        Some(64),
        "{answer}"
    );
    assert!(answer["problem"].is_null());

    let export = hemaflow(&["export", "--database", &source], b"");
    assert_eq!(export.status.code(), Some(0), "{}", text(&export.stderr));
    let lines = entry_lines(&export.stdout).len();
    assert!(lines > 500, "{lines} lines");
    let trailer: serde_json::Value = serde_json::from_slice(
        export
            .stdout
            .trim_ascii_end()
            .rsplit(|b| *b == b'\n')
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        trailer["trailer"]["entries"].as_u64(),
        Some(lines as u64),
        "{trailer}"
    );
    // The demo signed checkpoints into the witness beside its file: the last rides along.
    assert_eq!(
        trailer["trailer"]["checkpoint"]["sequence"].as_u64(),
        Some(lines as u64),
        "{trailer}"
    );

    // Into a fresh SQLite file: it verifies, and exports to the same bytes.
    let copy = sqlite_url(dir.path(), "copy.db");
    let import = hemaflow(&["import", "--database", &copy], &export.stdout);
    assert_eq!(import.status.code(), Some(0), "{}", text(&import.stderr));
    assert_eq!(verify(&copy).status.code(), Some(0));
    let re_export = hemaflow(&["export", "--database", &copy], b"");
    // The same entries; the trailer carries the copy's own checkpoint.
    assert_eq!(entry_lines(&re_export.stdout), entry_lines(&export.stdout));

    // The same import as JSON, into another fresh file.
    let json_copy = sqlite_url(dir.path(), "json-copy.db");
    let import = hemaflow(
        &["import", "--json", "--database", &json_copy],
        &export.stdout,
    );
    assert_eq!(import.status.code(), Some(0), "{}", text(&import.stderr));
    let answer: serde_json::Value = serde_json::from_slice(&import.stdout).unwrap();
    assert_eq!(answer["imported"], true, "{answer}");
    assert_eq!(answer["entries"].as_u64(), Some(lines as u64), "{answer}");

    // A second import into the same database is refused; nothing changes.
    let refused = hemaflow(
        &["import", "--json", "--database", &json_copy],
        &export.stdout,
    );
    assert_eq!(refused.status.code(), Some(1));
    let answer: serde_json::Value = serde_json::from_slice(&refused.stdout).unwrap();
    assert_eq!(answer["imported"], false, "{answer}");
    assert!(
        answer["refused"]
            .as_str()
            .is_some_and(|r| r.contains("not empty"))
    );
    let twice = hemaflow(&["import", "--database", &copy], &export.stdout);
    assert_eq!(twice.status.code(), Some(1));
    assert!(
        text(&twice.stderr).contains("not empty"),
        "{}",
        text(&twice.stderr)
    );

    // Into PostgreSQL (a fresh schema of the test server).
    let runtime = tokio::runtime::Runtime::new().unwrap();
    match runtime.block_on(TestDb::fresh(Backend::Postgres)) {
        None => println!("PostgreSQL import NOT tested: HEMAFLOW_TEST_POSTGRES_URL is not set"),
        Some(db) => {
            let url = db.store_url();
            let import = hemaflow(&["import", "--database", &url], &export.stdout);
            assert_eq!(import.status.code(), Some(0), "{}", text(&import.stderr));
            let verified = verify(&url);
            assert_eq!(
                verified.status.code(),
                Some(0),
                "{}",
                text(&verified.stderr)
            );
            let pg_export = hemaflow(&["export", "--database", &url], b"");
            assert_eq!(entry_lines(&pg_export.stdout), entry_lines(&export.stdout));
            runtime.block_on(db.cleanup());
        }
    }

    // Tampering with the SQLite file: a changed actor is caught and its entry named.
    runtime.block_on(async {
        let store = hemaflow_service::store::connect(&copy).await.unwrap();
        let changed = TestDb::execute(
            &store,
            "UPDATE entries SET actor = 'mallory' WHERE sequence = 120",
        )
        .await;
        assert_eq!(changed, 1);
    });
    let tampered = verify(&copy);
    assert_eq!(tampered.status.code(), Some(1));
    let message = text(&tampered.stderr);
    assert!(message.contains("does NOT verify"), "{message}");
    assert!(message.contains("entry 120"), "{message}");
    let json = hemaflow(&["audit", "verify", "--json", "--database", &copy], b"");
    assert_eq!(json.status.code(), Some(1));
    let answer: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(answer["verified"], false, "{answer}");
    assert!(
        answer["problem"]
            .as_str()
            .is_some_and(|p| p.contains("entry 120")),
        "{answer}"
    );

    // A rewritten payload, a deleted entry and two entries swapped, each on a fresh copy.
    let tamperings = [
        (
            "UPDATE entries SET payload = replace(payload, ':', ': ') WHERE sequence = 300",
            "entry 300",
        ),
        (
            "DELETE FROM entries WHERE sequence = 200",
            "entry 200 is missing",
        ),
        (
            "UPDATE entries SET payload = CASE sequence WHEN 150 THEN (SELECT payload FROM entries WHERE sequence = 151) ELSE (SELECT payload FROM entries WHERE sequence = 150) END WHERE sequence IN (150, 151)",
            "entry 150 was altered",
        ),
    ];
    for (index, (sql, named)) in tamperings.into_iter().enumerate() {
        let url = sqlite_url(dir.path(), &format!("tampered{index}.db"));
        let import = hemaflow(&["import", "--database", &url], &export.stdout);
        assert_eq!(import.status.code(), Some(0), "{}", text(&import.stderr));
        runtime.block_on(async {
            let store = hemaflow_service::store::connect(&url).await.unwrap();
            assert!(TestDb::execute(&store, sql).await > 0, "{sql}");
        });
        let tampered = verify(&url);
        let message = text(&tampered.stderr);
        assert_eq!(tampered.status.code(), Some(1), "{sql}: {message}");
        assert!(message.contains(named), "{sql}: {message}");
    }

    // A projection row changed behind the ledger's back is named too.
    runtime.block_on(async {
        let store = hemaflow_service::store::connect(&source).await.unwrap();
        TestDb::execute(
            &store,
            "UPDATE projection_rows SET status = 'available' WHERE id = (SELECT min(id) FROM projection_rows WHERE status = 'quarantined')",
        )
        .await;
    });
    let tampered = verify(&source);
    assert_eq!(tampered.status.code(), Some(1));
    assert!(
        text(&tampered.stderr).contains("projection row"),
        "{}",
        text(&tampered.stderr)
    );
}

#[test]
fn a_broken_import_line_is_named_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite_url(dir.path(), "source.db");
    seeded(&source);
    let export = text(&hemaflow(&["export", "--database", &source], b"").stdout);
    let mut lines: Vec<&str> = export.lines().collect();
    lines[6] = "{\"sequence\": 7, \"this is\": \"not an entry\"}";
    let broken = lines.join("\n");
    let target = sqlite_url(dir.path(), "target.db");
    let out = hemaflow(&["import", "--database", &target], broken.as_bytes());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("line 7"),
        "{}",
        text(&out.stderr)
    );
    // Nothing was written: the database holds no entry, which is not a verified ledger.
    let verified = verify(&target);
    assert_eq!(verified.status.code(), Some(1));
    assert!(
        text(&verified.stderr).contains("holds no ledger entry"),
        "{}",
        text(&verified.stderr)
    );

    // A reordered pair of lines breaks the chain at the first of them.
    let mut lines: Vec<&str> = export.lines().collect();
    lines.swap(9, 10);
    let out = hemaflow(
        &["import", "--database", &target],
        lines.join("\n").as_bytes(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("line 10"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn an_export_cut_short_is_refused_unless_imported_as_one_without_trailer() {
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite_url(dir.path(), "source.db");
    seeded(&source);
    let export = text(&hemaflow(&["export", "--database", &source], b"").stdout);
    let lines: Vec<&str> = export.lines().collect();
    let entries = lines.len() - 1;

    // The trailer lost with the last 10 entries (a full disk, a broken pipe).
    let cut = lines[..entries - 10].join("\n");
    let target = sqlite_url(dir.path(), "cut.db");
    let out = hemaflow(&["import", "--database", &target], cut.as_bytes());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let said = text(&out.stderr);
    assert!(
        said.contains(&format!(
            "export cut short: {} entries, trailer missing",
            entries - 10
        )),
        "{said}"
    );

    // Entries removed before a trailer kept: the trailer's count says so.
    let mut kept: Vec<&str> = lines[..entries - 10].to_vec();
    kept.push(lines[entries]);
    let out = hemaflow(
        &["import", "--database", &target],
        kept.join("\n").as_bytes(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(&format!(
            "it counts {entries} entries, the export holds {}",
            entries - 10
        )),
        "{}",
        text(&out.stderr)
    );

    // An export from before trailers is taken only when asked for by name.
    let old = lines[..entries].join("\n");
    let out = hemaflow(
        &["import", "--without-trailer", "--database", &target],
        old.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(verify(&target).status.code(), Some(0));
}

#[test]
fn audit_history_tells_a_units_story_and_refuses_unknown_dins() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path(), "demo.db");
    seeded(&url);
    let out = hemaflow(
        &[
            "audit",
            "history",
            "=W12342600000100",
            "--database",
            &url,
            "--json",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let story: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(story["din"], "W123426000001");
    let lines = story["lines"].as_array().unwrap();
    assert_eq!(lines[0]["event_type"], "donor_registered");
    assert!(
        lines
            .iter()
            .any(|l| l["event_type"] == "donation_collected")
    );
    assert!(
        lines
            .iter()
            .all(|l| l["actor"].as_str().is_some_and(|a| a.contains('.')))
    );

    let text_out = hemaflow(
        &["audit", "history", "=W12342600000100", "--database", &url],
        b"",
    );
    assert_eq!(text_out.status.code(), Some(0));
    assert!(
        text(&text_out.stdout).contains("collected from donor"),
        "{}",
        text(&text_out.stdout)
    );

    let unknown = hemaflow(
        &["audit", "history", "=W12342699999900", "--database", &url],
        b"",
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        text(&unknown.stderr).contains("unknown"),
        "{}",
        text(&unknown.stderr)
    );

    let bad = hemaflow(
        &["audit", "history", "W1234 26 000001 ?", "--database", &url],
        b"",
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("not a DIN"),
        "{}",
        text(&bad.stderr)
    );
}

#[test]
fn a_bad_or_unreachable_database_is_a_clear_error() {
    for url in [
        "mysql://ann:secret@db/x",
        "postgres://ann:secret@127.0.0.1:1/x",
        "nonsense",
    ] {
        let out = hemaflow(&["audit", "verify", "--database", url], b"");
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{url}: {stderr}");
        assert!(stderr.starts_with("hemaflow: "), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!stderr.contains("secret"), "{stderr}");
    }
}

#[test]
fn the_database_comes_from_the_environment_or_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let default = data.join("hemaflow").join("hemaflow.db");
    let out = hemaflow_with(
        &[
            "demo",
            "--seed-only",
            "--now",
            NOW,
            "--donors",
            "5",
            "--days",
            "2",
        ],
        b"",
        &[("XDG_DATA_HOME", data.to_str().unwrap())],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(default.exists());
    let out = hemaflow_with(
        &["audit", "verify"],
        b"",
        &[("XDG_DATA_HOME", data.to_str().unwrap())],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let named = sqlite_url(dir.path(), "named.db");
    seeded(&named);
    let out = hemaflow_with(
        &["audit", "verify"],
        b"",
        &[("HEMAFLOW_DATABASE_URL", &named)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("entries: "),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn read_only_commands_never_create_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("mistyped.db");
    let url = sqlite_url(dir.path(), "mistyped.db");
    for args in [
        vec!["audit", "verify", "--database", &url],
        vec!["audit", "history", "=W12342600000100", "--database", &url],
        vec!["export", "--database", &url],
    ] {
        let out = hemaflow(&args, b"");
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("no Hemaflow ledger at"), "{stderr}");
        assert!(!missing.exists(), "{args:?} created {}", missing.display());
    }
    // With no --database and no ledger in the data directory, not even the directory is made.
    let data = dir.path().join("data");
    let out = hemaflow_with(
        &["audit", "verify"],
        b"",
        &[("XDG_DATA_HOME", data.to_str().unwrap())],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(!data.exists());
    // A SQLite file that is not a ledger is refused as such, and left as it was.
    let other = dir.path().join("other.db");
    std::fs::write(&other, b"").unwrap();
    let out = hemaflow(
        &[
            "audit",
            "verify",
            "--database",
            &sqlite_url(dir.path(), "other.db"),
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(std::fs::metadata(&other).unwrap().len(), 0);
}

#[test]
fn backup_copies_the_ledger_online_verifies_the_copy_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite_url(dir.path(), "source.db");
    seeded(&source);
    let target = dir.path().join("backup.db");
    let target_text = target.to_str().unwrap();
    let out = hemaflow(&["backup", "--to", target_text, "--database", &source], b"");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(stdout.contains("ledger verified"), "{stdout}");

    // The copy is the same ledger: the same last hash and entry count.
    let last_hash = |url: &str| {
        let out = hemaflow(&["audit", "verify", "--json", "--database", url], b"");
        let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (answer["entries"].clone(), answer["last_hash"].clone())
    };
    let copy = sqlite_url(dir.path(), "backup.db");
    assert_eq!(last_hash(&copy), last_hash(&source));

    // Never over an existing file, never from a database that is not a ledger.
    let before = std::fs::metadata(&target).unwrap().len();
    let again = hemaflow(&["backup", "--to", target_text, "--database", &source], b"");
    assert_eq!(again.status.code(), Some(2), "{}", text(&again.stderr));
    assert!(text(&again.stderr).contains("already exists"));
    assert_eq!(std::fs::metadata(&target).unwrap().len(), before);
    let missing = sqlite_url(dir.path(), "missing.db");
    let other = dir.path().join("other.db");
    let out = hemaflow(
        &[
            "backup",
            "--to",
            other.to_str().unwrap(),
            "--database",
            &missing,
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(!other.exists());
}
