//! Every symbol Hemaflow prints is read back from the rendered PNG by zxing-cpp, a decoder
//! that shares no code with the encoders (`tests/decode_labels.py`), and must return exactly
//! the data: each Code 128 its structure's scan, the Data Matrix the compound message.
//!
//! PDFs are opened and rasterised by PDFium (pypdfium2), another independent reader, and must
//! be one 100 mm x 100 mm page whose symbols decode the same.
//!
//! The ZPL is rendered by zebrash (the npm package zpl-renderer-js, run by `node`), a ZPL
//! viewer independent of Hemaflow, at 203 and 300 dpi, and its symbols must decode the same.
//!
//! Needs `python3` with zxing-cpp, Pillow and pypdfium2
//! (`python3 -m pip install -r crates/labels/tests/requirements.txt`) and `node` with
//! zpl-renderer-js (`npm ci --prefix crates/labels/tests/zpl`).
//! Without them the test fails and says so, unless HEMAFLOW_SKIP_DECODE_TESTS=1 is set.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use hemaflow_labels::{Label, ZplDpi, render_pdf, render_png, to_zpl};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

const RANDOM_LABELS: usize = 12;
/// Labels whose ZPL is also rendered and read back, at each printhead resolution.
const ZPL_LABELS: usize = 5;

fn skip_requested() -> bool {
    std::env::var("HEMAFLOW_SKIP_DECODE_TESTS").as_deref() == Ok("1")
}

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hemaflow-labels-decode-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("the temporary directory is writable");
    dir
}

/// What the decoder found in one file.
struct Decoded {
    /// Page sizes in mm (PDF only).
    pages: Vec<(f64, f64)>,
    /// (format, text) of every symbol.
    symbols: Vec<(String, String)>,
}

const INSTALL: &str = "sh scripts/test-python.sh";

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

/// Decode the files; `None` when the decoder is missing and skipping was asked for.
fn decode(files: &[PathBuf]) -> Option<Vec<Decoded>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/decode_labels.py");
    let output = match Command::new(python()).arg(&script).args(files).output() {
        Ok(output) => output,
        Err(error) if skip_requested() => {
            eprintln!("decode test skipped (HEMAFLOW_SKIP_DECODE_TESTS=1): python3: {error}");
            return None;
        }
        Err(error) => panic!(
            "python3 is needed to decode the label symbols ({error}); install python3 and \
             run `{INSTALL}`, or set HEMAFLOW_SKIP_DECODE_TESTS=1 to skip this check explicitly"
        ),
    };
    if output.status.code() == Some(3) {
        let message = String::from_utf8_lossy(&output.stderr);
        if skip_requested() {
            eprintln!("decode test skipped (HEMAFLOW_SKIP_DECODE_TESTS=1): {message}");
            return None;
        }
        panic!(
            "{message}\nThe decode check needs zxing-cpp, Pillow and pypdfium2: `{INSTALL}` \
             (or set HEMAFLOW_SKIP_DECODE_TESTS=1 to skip it explicitly)"
        );
    }
    assert!(
        output.status.success(),
        "the decoder failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines = String::from_utf8_lossy(&output.stdout);
    Some(
        lines
            .lines()
            .map(|line| {
                let value: serde_json::Value = serde_json::from_str(line).expect("JSON line");
                let symbols = value["symbols"]
                    .as_array()
                    .expect("symbols array")
                    .iter()
                    .map(|s| {
                        (
                            s["format"].as_str().unwrap_or_default().to_owned(),
                            s["text"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect();
                let pages = value["pages"]
                    .as_array()
                    .map(|pages| {
                        pages
                            .iter()
                            .map(|p| (p[0].as_f64().unwrap_or(0.0), p[1].as_f64().unwrap_or(0.0)))
                            .collect()
                    })
                    .unwrap_or_default();
                Decoded { pages, symbols }
            })
            .collect(),
    )
}

const ZPL_INSTALL: &str = "npm ci --prefix crates/labels/tests/zpl";

/// Render ZPL files to PNG with zebrash; `false` when it is missing and skipping was asked.
fn render_zpl(pairs: &[(PathBuf, PathBuf)], dots_per_mm: u32, size_mm: (f64, f64)) -> bool {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/zpl/render_zpl.cjs");
    let mut command = Command::new("node");
    command.arg(&script).args([
        dots_per_mm.to_string(),
        size_mm.0.to_string(),
        size_mm.1.to_string(),
    ]);
    for (zpl, png) in pairs {
        command.arg(zpl).arg(png);
    }
    let output = match command.output() {
        Ok(output) => output,
        Err(error) if skip_requested() => {
            eprintln!("ZPL check skipped (HEMAFLOW_SKIP_DECODE_TESTS=1): node: {error}");
            return false;
        }
        Err(error) => panic!(
            "node is needed to render the ZPL ({error}); install Node.js and run \
             `{ZPL_INSTALL}`, or set HEMAFLOW_SKIP_DECODE_TESTS=1 to skip this check explicitly"
        ),
    };
    if output.status.code() == Some(3) {
        let message = String::from_utf8_lossy(&output.stderr);
        if skip_requested() {
            eprintln!("ZPL check skipped (HEMAFLOW_SKIP_DECODE_TESTS=1): {message}");
            return false;
        }
        panic!(
            "{message}\nRun `{ZPL_INSTALL}` (or set HEMAFLOW_SKIP_DECODE_TESTS=1 to skip it explicitly)"
        );
    }
    assert!(
        output.status.success(),
        "the ZPL viewer refused Hemaflow's ZPL: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    true
}

fn sorted(mut items: Vec<(String, String)>) -> Vec<(String, String)> {
    items.sort();
    items
}

#[test]
fn every_symbol_on_random_labels_decodes_to_exactly_its_data() {
    let mut runner = TestRunner::deterministic();
    let strategy = common::values();
    let mut cases = vec![common::fixed()];
    for _ in 0..RANDOM_LABELS {
        cases.push(strategy.new_tree(&mut runner).expect("a value").current());
    }
    let dir = scratch_dir();
    let mut files = Vec::new();
    let mut expected = Vec::new();
    for (index, values) in cases.iter().enumerate() {
        let content = values.content();
        let label = Label::base(&content).expect("the label lays out");
        // Mostly the default 300 dpi; every fourth at 600 dpi.
        let dpi = if index % 4 == 3 { 600 } else { 300 };
        let png = render_png(&label, dpi).expect("the label renders");
        let png_file = dir.join(format!("label-{index}.png"));
        std::fs::write(&png_file, png).expect("the PNG is written");
        let mut symbols: Vec<(String, String)> = values
            .linear_scans()
            .into_iter()
            .map(|scan| ("Code128".to_owned(), scan))
            .collect();
        symbols.push(("DataMatrix".to_owned(), content.compound_message()));
        let symbols = sorted(symbols);
        files.push(png_file);
        expected.push(symbols.clone());
        if index % 4 == 0 {
            let file = dir.join(format!("label-{index}.pdf"));
            std::fs::write(&file, render_pdf(&label).expect("renders")).expect("written");
            files.push(file);
            expected.push(symbols);
        }

        let tube = Label::tube(&content.donation).expect("the tube label lays out");
        let file = dir.join(format!("tube-{index}.png"));
        std::fs::write(&file, render_png(&tube, 300).expect("renders")).expect("written");
        files.push(file);
        expected.push(vec![("Code128".to_owned(), values.din.clone())]);
    }
    // The ZPL of the first few labels, rendered by the independent viewer at both heads.
    for (dpi, dots_per_mm) in [(ZplDpi::Dpi203, 8), (ZplDpi::Dpi300, 12)] {
        let mut pairs = Vec::new();
        for (index, values) in cases.iter().take(ZPL_LABELS).enumerate() {
            let content = values.content();
            let label = Label::base(&content).expect("the label lays out");
            let zpl = dir.join(format!("label-{index}-{}.zpl", dpi.dpi()));
            std::fs::write(&zpl, to_zpl(&label, dpi)).expect("the ZPL is written");
            let png = zpl.with_extension("zpl.png");
            pairs.push((zpl, png.clone()));
            files.push(png);
            let mut symbols: Vec<(String, String)> = values
                .linear_scans()
                .into_iter()
                .map(|scan| ("Code128".to_owned(), scan))
                .collect();
            symbols.push(("DataMatrix".to_owned(), content.compound_message()));
            expected.push(sorted(symbols));
        }
        if !render_zpl(&pairs, dots_per_mm, (100.0, 100.0)) {
            files.truncate(files.len() - pairs.len());
            expected.truncate(expected.len() - pairs.len());
        }
    }
    let Some(decoded) = decode(&files) else {
        return;
    };
    assert_eq!(decoded.len(), files.len());
    for ((file, want), got) in files.iter().zip(&expected).zip(decoded) {
        assert_eq!(&sorted(got.symbols), want, "{}", file.display());
        if file.extension().is_some_and(|e| e == "pdf") {
            assert_eq!(
                got.pages,
                [(100.0, 100.0)],
                "{}: one 100 mm page",
                file.display()
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
