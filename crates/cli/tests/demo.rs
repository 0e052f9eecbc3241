//! `hemaflow demo --seed-only`: a fresh database with the demo centre, the accounts of every
//! role and the DINs to scan printed, and a second seed of the same database refused.

use std::process::Command;

#[test]
fn demo_seed_only_prints_every_role_and_refuses_a_database_that_is_not_empty() {
    let folder = tempfile::tempdir().expect("folder");
    let url = format!("sqlite://{}", folder.path().join("demo.db").display());
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_hemaflow"))
            .args(["demo", "--seed-only", "--database", &url])
            .output()
            .expect("hemaflow runs")
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let out = String::from_utf8_lossy(&first.stdout);
    for role in [
        "collection staff",
        "lab technologist",
        "manufacturing",
        "quality assurance",
        "distribution",
        "hospital user",
        "admin",
    ] {
        assert!(out.contains(role), "{role} missing from:\n{out}");
    }
    assert!(
        out.contains("hemaflow-demo") && out.contains("W123426"),
        "{out}"
    );
    let second = run();
    assert_eq!(second.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&second.stderr).contains("not empty"));
}
