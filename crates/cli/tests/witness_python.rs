//! The witness read by a client we did not write: `check_witness.py` (Python `cryptography`,
//! requirements in `tests/requirements.txt`, interpreter `HEMAFLOW_PYTHON`) checks every
//! signature a real `hemaflow demo` wrote and the hashes in its SQLite file, and names an
//! entry rewritten behind the witness's back.

#![allow(clippy::unwrap_used)]

use std::process::Command;

fn python(
    db: &std::path::Path,
    witness: &std::path::Path,
    key: &std::path::Path,
) -> (bool, String) {
    let interpreter = std::env::var("HEMAFLOW_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/check_witness.py");
    let out = Command::new(interpreter)
        .arg(script)
        .args([db, witness, key])
        .output()
        .expect("python runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

#[test]
fn python_cryptography_verifies_the_checkpoints_and_names_a_rewritten_entry() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("site.db");
    let out = Command::new(env!("CARGO_BIN_EXE_hemaflow"))
        .args([
            "demo",
            "--seed-only",
            "--donors",
            "20",
            "--days",
            "4",
            "--database",
        ])
        .arg(format!("sqlite://{}", db.display()))
        .env_remove("HEMAFLOW_SIGNING_KEY")
        .env_remove("HEMAFLOW_WITNESS")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let witness = dir.path().join("site.db.witness");
    let key = dir.path().join("site.db.key.pub");
    let (ok, said) = python(&db, &witness, &key);
    assert!(ok, "{said}");
    assert!(said.starts_with("witness OK: "), "{said}");

    // The last entry's hash replaced (as a rewrite with recomputed hashes would leave it).
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = hemaflow_service::store::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        let forged = "0".repeat(64);
        hemaflow_store_tests::TestDb::execute(
            &store,
            &format!("UPDATE entries SET hash = '{forged}' WHERE sequence = (SELECT max(sequence) FROM entries)"),
        )
        .await;
    });
    let (ok, said) = python(&db, &witness, &key);
    assert!(!ok, "{said}");
    assert!(said.contains("rewritten"), "{said}");
}
