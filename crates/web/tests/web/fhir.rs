//! FHIR R5 under `/fhir`: the capability statement, a unit read and searched by its DIN as
//! the ISBT 128 identifier, a hospital seeing only its own units, every error an
//! OperationOutcome, and every resource the server wrote validated by fhir.resources.

use std::io::Write;
use std::process::{Command, Stdio};

use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_web::fhir::product::DIN_SYSTEM;
use serde_json::Value;

use crate::helpers::{Database, TestApp, spawn};
use crate::supply::shipped_and_received;

const INSTALL: &str = "sh scripts/test-python.sh";

fn python() -> std::path::PathBuf {
    if let Some(named) = std::env::var_os("HEMAFLOW_PYTHON") {
        return named.into();
    }
    let venv =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/python/bin/python");
    if venv.exists() {
        venv
    } else {
        "python3".into()
    }
}

/// Every resource through fhir.resources' R5 models; panics with its report if one fails.
fn validate(resources: &[Value]) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/validate_fhir.py");
    let mut child = Command::new(python())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("Python is needed to validate FHIR ({e}); run `{INSTALL}`"));
    let text = serde_json::to_vec(resources).expect("json");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&text)
        .expect("write");
    let output = child.wait_with_output().expect("validator");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.code() != Some(3),
        "{}; run `{INSTALL}`",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "fhir.resources refused:\n{report}");
    assert_eq!(
        report.lines().filter(|l| l.starts_with("ok ")).count(),
        resources.len()
    );
}

async fn fhir(app: &TestApp, token: Option<&str>, path: &str) -> (u16, Value) {
    let mut request = reqwest::Client::new().get(app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("get");
    assert_eq!(
        response.headers()["content-type"],
        "application/fhir+json; charset=utf-8",
        "{path}"
    );
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

fn assert_outcome(body: &Value, code: &str, says: &str) {
    assert_eq!(body["resourceType"], "OperationOutcome", "{body}");
    assert_eq!(body["issue"][0]["code"], code, "{body}");
    assert!(
        body["issue"][0]["diagnostics"]
            .as_str()
            .is_some_and(|d| d.contains(says)),
        "{body}"
    );
}

#[tokio::test]
async fn fhir_a_unit_is_found_by_its_din_read_and_validated_and_a_hospital_sees_only_its_own() {
    let app = spawn(Database::Sqlite).await;
    let unit = shipped_and_received(&app, (Abo::O, RhD::Positive), "FHIR-1").await;
    let din = unit.split('-').next().expect("din").to_owned();
    let mut written = Vec::new();

    let (status, capability) = fhir(&app, None, "/fhir/metadata").await;
    assert_eq!(status, 200);
    assert_eq!(capability["fhirVersion"], "5.0.0");
    assert_eq!(
        capability["rest"][0]["resource"][0]["type"],
        "BiologicallyDerivedProduct"
    );
    written.push(capability);

    let (status, refused) = fhir(&app, None, "/fhir/BiologicallyDerivedProduct").await;
    assert_eq!(status, 401);
    assert_outcome(&refused, "login", "bearer token");
    written.push(refused);

    // Staff find every unit of the donation by its DIN, keyed or as the token system|value.
    let quality = app.token("quality").await;
    let by_din = format!("/fhir/BiologicallyDerivedProduct?identifier={DIN_SYSTEM}|{din}");
    let (status, bundle) = fhir(&app, Some(&quality), &by_din).await;
    assert_eq!(status, 200, "{bundle}");
    assert_eq!(bundle["type"], "searchset");
    let entries = bundle["entry"].as_array().expect("entries");
    assert!(entries.len() >= 2, "every unit of the donation: {bundle}");
    assert_eq!(bundle["total"], entries.len());
    assert!(
        entries
            .iter()
            .all(|e| e["resource"]["biologicalSourceEvent"]["value"] == din.as_str())
    );
    assert!(entries.iter().any(|e| e["resource"]["id"] == unit.as_str()));
    written.push(bundle);

    let (status, product) = fhir(
        &app,
        Some(&quality),
        &format!("/fhir/BiologicallyDerivedProduct/{unit}"),
    )
    .await;
    assert_eq!(status, 200, "{product}");
    assert_eq!(product["biologicalSourceEvent"]["system"], DIN_SYSTEM);
    assert_eq!(product["productCategory"]["code"], "cells");
    assert_eq!(product["productStatus"]["code"], "available");
    assert_eq!(
        product["property"][0]["valueCodeableConcept"]["coding"][0]["code"],
        "5100"
    );
    assert!(
        product["productCode"]["coding"][0]["code"]
            .as_str()
            .is_some_and(|c| c.len() == 5)
    );
    assert_eq!(product["storageTempRequirements"]["high"]["value"], 6.0);
    written.push(product);

    // The hospital it was shipped to sees that unit only; another hospital sees nothing.
    let hospital = app.token("hospital").await;
    let (_, own) = fhir(
        &app,
        Some(&hospital),
        &format!("/fhir/BiologicallyDerivedProduct?identifier={din}"),
    )
    .await;
    assert_eq!(own["total"], 1, "{own}");
    assert_eq!(own["entry"][0]["resource"]["id"], unit.as_str());
    written.push(own);
    let other = app.token("hospital2").await;
    let (status, hidden) = fhir(
        &app,
        Some(&other),
        &format!("/fhir/BiologicallyDerivedProduct/{unit}"),
    )
    .await;
    assert_eq!(status, 404);
    assert_outcome(&hidden, "not-found", "is not on record");
    written.push(hidden);
    let (_, none) = fhir(
        &app,
        Some(&other),
        &format!("/fhir/BiologicallyDerivedProduct?identifier={din}"),
    )
    .await;
    assert_eq!(none["total"], 0);
    written.push(none);

    // Strict search: an unknown parameter or a wrong DIN is refused by name.
    let (status, unknown) = fhir(
        &app,
        Some(&quality),
        "/fhir/BiologicallyDerivedProduct?patient=123",
    )
    .await;
    assert_eq!(status, 400);
    assert_outcome(&unknown, "invalid", "\"patient\" is not supported");
    written.push(unknown);
    let (status, not_a_din) = fhir(
        &app,
        Some(&quality),
        "/fhir/BiologicallyDerivedProduct?identifier=12345",
    )
    .await;
    assert_eq!(status, 400);
    assert_outcome(&not_a_din, "invalid", "is not a DIN");

    // Paging: one entry a page, the next link carries the search on.
    let (_, first) = fhir(&app, Some(&quality), &format!("{by_din}&_count=1")).await;
    assert_eq!(first["entry"].as_array().map(Vec::len), Some(1));
    let next = first["link"]
        .as_array()
        .and_then(|links| links.iter().find(|l| l["relation"] == "next"))
        .and_then(|l| l["url"].as_str())
        .expect("a next link")
        .to_owned();
    let next_path = next.trim_start_matches(&app.base);
    let (_, second) = fhir(&app, Some(&quality), next_path).await;
    assert_ne!(
        second["entry"][0]["resource"]["id"],
        first["entry"][0]["resource"]["id"]
    );
    written.push(first);

    validate(&written);
    app.stop().await;
}
