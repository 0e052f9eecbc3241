//! The printed documents read back by tools that share no code with Hemaflow: PDFium opens
//! every page of the packing list and the shipping label at its size, and zxing-cpp reads the
//! shipment ID from each barcode. Uses the labels' checker (`crates/labels/tests/
//! decode_labels.py`); needs `python3 -m pip install -r crates/labels/tests/requirements.txt`,
//! or `HEMAFLOW_SKIP_DECODE_TESTS=1` to skip it on purpose. `HEMAFLOW_KEEP_DOCUMENTS=DIR` also
//! writes the two PDFs into DIR for a look.

use std::path::PathBuf;
use std::process::Command;

use hemaflow_documents::{ShippedUnit, ShippingDocument, packing_list_pdf, shipping_label_pdf};
use serde_json::Value;

fn document(units: usize) -> ShippingDocument {
    ShippingDocument {
        shipment_id: "SHP-7F3A-1".to_owned(),
        shipper: vec!["Central processing".to_owned(), "1 Donor Way".to_owned()],
        consignee: "Mercy General Hospital".to_owned(),
        address: vec![
            "1200 Mercy Drive".to_owned(),
            "Springfield, IL 62701".to_owned(),
        ],
        box_id: "BOX-17".to_owned(),
        temperature_range: "1 to 10 °C".to_owned(),
        courier: "MedExpress".to_owned(),
        shipped_at: "2026-11-25 14:05".to_owned(),
        units: (0..units)
            .map(|i| ShippedUnit {
                din: format!("W1234 26 {i:06}"),
                product_code: "E0382V00".to_owned(),
                description: "RED BLOOD CELLS|AS1".to_owned(),
                abo_rhd: "O neg".to_owned(),
                expiry: "2027-01-04 23:59".to_owned(),
            })
            .collect(),
    }
}

/// The Python that runs the checkers: `HEMAFLOW_PYTHON` if set, else the tests' own virtual
/// environment (`target/python`, made by `scripts/test-python.sh`) if it exists, else
/// `python3`.
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

#[test]
fn every_page_opens_at_its_size_and_every_barcode_reads_as_the_shipment_id() {
    if std::env::var("HEMAFLOW_SKIP_DECODE_TESTS").as_deref() == Ok("1") {
        eprintln!("HEMAFLOW_SKIP_DECODE_TESTS=1: the document decode test was NOT run");
        return;
    }
    let folder = tempfile::tempdir().expect("folder");
    if let Ok(keep) = std::env::var("HEMAFLOW_KEEP_DOCUMENTS") {
        let keep = PathBuf::from(keep);
        let shipment = document(80);
        std::fs::write(
            keep.join("packing-list.pdf"),
            packing_list_pdf(&shipment).expect("list"),
        )
        .expect("write");
        std::fs::write(
            keep.join("label.pdf"),
            shipping_label_pdf(&shipment).expect("label"),
        )
        .expect("write");
    }
    let list = folder.path().join("packing-list.pdf");
    let label = folder.path().join("label.pdf");
    let shipment = document(80);
    std::fs::write(&list, packing_list_pdf(&shipment).expect("packing list")).expect("write");
    std::fs::write(&label, shipping_label_pdf(&shipment).expect("label")).expect("write");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../labels/tests/decode_labels.py");
    let output = Command::new(python())
        .arg(script)
        .arg(&list)
        .arg(&label)
        .output()
        .expect("python3 runs (install it, or set HEMAFLOW_SKIP_DECODE_TESTS=1)");
    assert!(
        output.status.success(),
        "the checker failed ({}): {}; install with `sh scripts/test-python.sh`",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 2);
    let pages = |doc: &Value| -> Vec<(f64, f64)> {
        doc["pages"]
            .as_array()
            .expect("pages")
            .iter()
            .map(|p| {
                (
                    p[0].as_f64().unwrap_or(0.0).round(),
                    p[1].as_f64().unwrap_or(0.0).round(),
                )
            })
            .collect()
    };
    assert_eq!(
        pages(&lines[0]),
        vec![(210.0, 297.0); 3],
        "80 units: three A4 pages"
    );
    assert_eq!(pages(&lines[1]), vec![(100.0, 150.0)]);
    for doc in &lines {
        let symbols: Vec<(&str, &str)> = doc["symbols"]
            .as_array()
            .expect("symbols")
            .iter()
            .map(|s| {
                (
                    s["format"].as_str().unwrap_or(""),
                    s["text"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(symbols, [("Code128", "SHP-7F3A-1")], "{doc}");
    }
}
