//! Black-box tests of `hemaflow label`: the real binary, the file it writes, its messages and
//! exit status.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn hemaflow(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hemaflow"))
        .args(args)
        .output()
        .expect("the hemaflow binary starts")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hemaflow-label-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

const VALUES: [&str; 8] = [
    "--din",
    "=W12342512345600",
    "--product",
    "=<E0398V00",
    "--abo-rh",
    "=%5100",
    "--expiry",
    "&>0253652359",
];

fn label(format: &str, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["label"];
    args.extend(VALUES);
    args.extend([
        "--format",
        format,
        "--out",
        out.to_str().expect("UTF-8 path"),
    ]);
    args.extend(extra);
    hemaflow(&args)
}

#[test]
fn svg_png_pdf_and_zpl_are_written() {
    let svg = scratch("label.svg");
    let output = label("svg", &svg, &["--volume", "300"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let text = std::fs::read_to_string(&svg).expect("SVG written");
    assert!(text.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100mm\""));
    assert!(text.contains(">W1234 25 123456</text>"));
    assert!(text.contains("RED BLOOD CELLS"));
    assert!(text.contains("Volume approx. 300 mL"));

    let png = scratch("label.png");
    assert_eq!(label("png", &png, &[]).status.code(), Some(0));
    let bytes = std::fs::read(&png).expect("PNG written");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    let width = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
    assert_eq!(width, 1181, "100 mm at the default 300 dpi");
    assert_eq!(label("png", &png, &["--dpi", "600"]).status.code(), Some(0));
    let bytes = std::fs::read(&png).expect("PNG written");
    assert_eq!(
        u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]),
        2362
    );

    let pdf = scratch("label.pdf");
    assert_eq!(label("pdf", &pdf, &[]).status.code(), Some(0));
    assert!(
        std::fs::read(&pdf)
            .expect("PDF written")
            .starts_with(b"%PDF-")
    );

    let zpl = scratch("label.zpl");
    assert_eq!(label("zpl", &zpl, &["--dpi", "203"]).status.code(), Some(0));
    let text = std::fs::read_to_string(&zpl).expect("ZPL written");
    assert!(text.starts_with("^XA") && text.trim_end().ends_with("^XZ"));
    assert!(text.contains("^PW799"));
    assert!(text.contains("^BCN,80,N,N,N,A^FH^FD=W12342512345600^FS"));
}

#[test]
fn tube_label_needs_only_the_din() {
    let out = scratch("tube.svg");
    let output = hemaflow(&[
        "label",
        "--tube",
        "--din",
        "=W12342512345607",
        "--format",
        "svg",
        "--out",
        out.to_str().expect("UTF-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let text = std::fs::read_to_string(&out).expect("written");
    assert!(text.contains("width=\"50mm\""));
    assert!(text.contains("data-code128=\"=W12342512345607\""));
}

#[test]
fn out_dash_writes_the_label_to_standard_output() {
    let output = hemaflow(&[
        "label",
        "--tube",
        "--din",
        "=W12342512345607",
        "--format",
        "zpl",
        "--out",
        "-",
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let zpl = String::from_utf8(output.stdout).expect("ZPL is text");
    assert!(zpl.starts_with("^XA"), "{zpl}");
    assert!(zpl.trim_end().ends_with("^XZ"), "{zpl}");
    assert!(!std::path::Path::new("-").exists(), "no file named '-'");
}

#[test]
fn description_overrides_the_catalogue_and_makes_an_unknown_product_printable() {
    let out = scratch("described.svg");
    let mut args = vec!["label"];
    args.extend(VALUES);
    args[4] = "=<E9999V00";
    args.extend(["--format", "svg", "--out", out.to_str().expect("UTF-8")]);
    let refused = hemaflow(&args);
    assert_eq!(refused.status.code(), Some(2));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("--product: product code E9999 is not in Hemaflow's product catalogue"),
        "{message}"
    );
    assert!(!out.exists(), "nothing is written for a refused label");
    args.extend(["--description", "LOCAL RED CELLS|CPD/450mL/refg"]);
    assert_eq!(hemaflow(&args).status.code(), Some(0));
    assert!(
        std::fs::read_to_string(&out)
            .expect("written")
            .contains("LOCAL RED CELLS")
    );
}

/// Run with one option replaced; expect exit 2, the message, and no file.
fn refused(replace: (&str, &str), extra: &[&str], expected: &str) {
    let out = scratch(&format!(
        "refused-{}.svg",
        replace.0.trim_start_matches('-')
    ));
    let mut args: Vec<&str> = vec!["label"];
    args.extend(VALUES);
    if let Some(at) = args.iter().position(|a| *a == replace.0) {
        args[at + 1] = replace.1;
    } else {
        args.extend([replace.0, replace.1]);
    }
    args.extend(["--format", "svg", "--out", out.to_str().expect("UTF-8")]);
    args.extend(extra);
    let output = hemaflow(&args);
    let message = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {message}");
    assert!(message.contains(expected), "{args:?}: {message}");
    assert!(!out.exists(), "{args:?} wrote a file");
}

#[test]
fn each_wrong_value_is_refused_with_the_codec_reason_and_exit_2() {
    refused(
        ("--abo-rh", "=<E0398V00"),
        &[],
        "--abo-rh: blood group '=<E0398V00' is not valid",
    );
    refused(
        ("--din", "=W1234251234560"),
        &[],
        "--din: DIN '=W1234251234560' is not valid",
    );
    refused(
        ("--product", "=%5100"),
        &[],
        "--product: product code '=%5100' is not valid",
    );
    refused(
        ("--expiry", "&>0253662359"),
        &[],
        "--expiry: expiry '&>0253662359' is not valid",
    );
    refused(("--expiry", "=<E0398V00"), &[], "--expiry: expiry");
    refused(
        ("--special", "=%5100"),
        &[],
        "--special: special testing '=%5100' is not valid",
    );
    refused(
        ("--volume", "0"),
        &[],
        "--volume: the volume 0 mL is not plausible",
    );
    refused(
        ("--description", " "),
        &[],
        "--description: the product description is empty",
    );
}

#[test]
fn a_resolution_the_format_cannot_use_is_refused() {
    for (format, dpi, expected) in [
        ("svg", "300", "--dpi applies to png and zpl only"),
        ("zpl", "600", "ZPL is written for 203 or 300 dpi"),
        ("png", "72", "PNG is rendered at 150 to 1200 dpi"),
    ] {
        let out = scratch(&format!("dpi.{format}"));
        let output = label(format, &out, &["--dpi", dpi]);
        assert_eq!(output.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&output.stderr).contains(expected));
        assert!(!out.exists());
    }
}

#[test]
fn an_unwritable_output_exits_1() {
    let out = scratch("no-such-directory").join("label.svg");
    let output = label("svg", &out, &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot write the label"));
}
