//! Black-box tests of `hemaflow label --database`: a SQLite database seeded through the
//! domain's commands on the ledger, then the real binary asked for final labels.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use hemaflow_domain::ManufacturingCommand;
use hemaflow_domain::Role;
use hemaflow_domain::donor_centre::eligibility::Procedure;
use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_testkit::scenario::Centre;
use time::macros::date;

fn hemaflow(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hemaflow"))
        .args(args)
        .output()
        .expect("the hemaflow binary starts")
}

struct Seeded {
    _folder: tempfile::TempDir,
    url: String,
    folder: std::path::PathBuf,
    /// Red cells typed A RhD negative and tested: may be labelled.
    typed: String,
    /// Red cells of a donation not yet typed.
    untyped: String,
    /// Plasma discarded.
    discarded: String,
}

/// A day's work at the current time (so that red cells are in date), recorded in SQLite.
fn seed() -> Seeded {
    let mut centre = Centre::new();
    centre.now = time::OffsetDateTime::now_utc() - time::Duration::hours(2);
    let (_, typed_din) = centre
        .walk_in("Lane", date!(1990 - 01 - 01), Procedure::WholeBlood)
        .unwrap();
    let typed = centre.produce(&typed_din, "rbc_ffp").unwrap();
    centre.all_negative(&typed_din).unwrap();
    centre
        .type_and_screen(&typed_din, Abo::A, RhD::Negative)
        .unwrap();
    let (_, untyped_din) = centre
        .walk_in("Okafor", date!(1985 - 01 - 02), Procedure::WholeBlood)
        .unwrap();
    let untyped = centre.produce(&untyped_din, "rbc_ffp").unwrap();
    centre
        .run(
            Role::Manufacturing,
            ManufacturingCommand::DiscardComponent {
                component: typed[1].clone(),
                reason: "bag broken in the centrifuge".into(),
            },
        )
        .unwrap();

    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("hemaflow.db").display());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let ledger = hemaflow_service::open(&url).await.unwrap();
        for (n, (command, context)) in centre.journal.iter().enumerate() {
            ledger
                .execute(&format!("seed-{n}"), command, context)
                .await
                .unwrap();
        }
    });
    Seeded {
        folder: folder.path().to_owned(),
        _folder: folder,
        url,
        typed: typed[0].clone(),
        untyped: untyped[0].clone(),
        discarded: typed[1].clone(),
    }
}

fn label_of(db: &Seeded, id: &str, format: &str, out: &Path) -> Output {
    let (din, product) = id.split_once('-').unwrap();
    hemaflow(&[
        "label",
        "--database",
        &db.url,
        "--din",
        din,
        "--product",
        product,
        "--format",
        format,
        "--out",
        out.to_str().unwrap(),
    ])
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn label_final_of_a_typed_unit_on_record_prints_the_record_values() {
    let db = seed();
    let out = db.folder.join("unit.svg");
    let output = label_of(&db, &db.typed, "svg", &out);
    assert!(output.status.success(), "{}", stderr(&output));
    let svg = std::fs::read_to_string(&out).unwrap();
    let (din, product) = db.typed.split_once('-').unwrap();
    // The data text under each symbol is the scan itself.
    assert!(svg.contains(&format!("={din}00")), "DIN with flags");
    assert!(svg.contains("=%0600"), "A RhD negative from the record");
    assert!(svg.contains(&format!("=&lt;{product}")), "product code");
    assert!(
        svg.contains("RED BLOOD CELLS"),
        "description from the catalogue"
    );
    let png = db.folder.join("unit.png");
    assert!(label_of(&db, &db.typed, "png", &png).status.success());
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
}

#[test]
fn label_final_refused_for_units_that_may_not_be_labelled_and_nothing_is_written() {
    let db = seed();
    let cases = [
        (db.untyped.clone(), "TEST-ABO-TWICE"),
        (db.discarded.clone(), "discarded"),
        (
            format!("{}-D9999V00", db.typed.split_once('-').unwrap().0),
            "NOT-FOUND",
        ),
    ];
    for (id, reason) in cases {
        let out = db.folder.join("refused.pdf");
        let output = label_of(&db, &id, "pdf", &out);
        assert_eq!(output.status.code(), Some(2), "{id}: {}", stderr(&output));
        assert!(
            stderr(&output).contains(reason),
            "{id}: {}",
            stderr(&output)
        );
        assert!(!out.exists(), "{id}: nothing is written");
    }
}

#[test]
fn label_final_refuses_a_database_that_does_not_exist_without_creating_it() {
    let folder = tempfile::tempdir().unwrap();
    let missing = folder.path().join("missing.db");
    let out = folder.path().join("unit.svg");
    let output = hemaflow(&[
        "label",
        "--database",
        &format!("sqlite://{}", missing.display()),
        "--din",
        "W123426000001",
        "--product",
        "D2000V00",
        "--format",
        "svg",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no database"),
        "{}",
        stderr(&output)
    );
    assert!(!missing.exists() && !out.exists());
    // Values from the record cannot be given as well.
    let output = hemaflow(&[
        "label",
        "--database",
        "sqlite://x.db",
        "--din",
        "W123426000001",
        "--product",
        "D2000V00",
        "--abo-rh",
        "=%5100",
        "--format",
        "svg",
        "--out",
        "x.svg",
    ]);
    assert_eq!(output.status.code(), Some(2));
}
