//! Black-box tests of `hemaflow isbt128`: the real binary, its output and exit status, as
//! scripts and instruments use it.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn hemaflow(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hemaflow"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the hemaflow binary starts");
    let mut input = child.stdin.take().expect("stdin is piped");
    input
        .write_all(stdin.unwrap_or("").as_bytes())
        .expect("stdin accepts input");
    drop(input);
    child.wait_with_output().expect("hemaflow finishes")
}

fn json_lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect()
}

#[test]
fn parse_prints_the_decoded_din_as_json() {
    let output = hemaflow(&["isbt128", "parse", "=W12342512345600"], None);
    assert_eq!(output.status.code(), Some(0));
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 1);
    let line = &lines[0];
    assert_eq!(line["input"], "=W12342512345600");
    assert_eq!(line["ok"], true);
    let din = &line["structures"][0];
    assert_eq!(din["number"], "001");
    assert_eq!(din["name"], "Donation Identification Number");
    assert_eq!(din["data"], "W12342512345600");
    let fields = &din["fields"];
    assert_eq!(fields["facility"], "W1234");
    assert_eq!(fields["year"], "25");
    assert_eq!(fields["sequence"], "123456");
    assert_eq!(fields["flags"], "00");
    assert_eq!(fields["check_character"], "O");
}

#[test]
fn a_wrong_check_character_an_impossible_date_and_an_unknown_identifier_each_exit_2() {
    let cases = [
        ("A999915123456N", 13, "check character is 'N', expected '6'"),
        ("=>025366", 5, "julian day 366 beyond the last day of 2025"),
        ("&>0250012400", 8, "hour 24 outside 00-23"),
        ("=zABC", 0, "unrecognized data identifier '=z'"),
    ];
    for (scan, position, message) in cases {
        let output = hemaflow(&["isbt128", "parse", scan], None);
        assert_eq!(output.status.code(), Some(2), "{scan}");
        let line = &json_lines(&output)[0];
        assert_eq!(line["ok"], false, "{scan}");
        assert_eq!(line["input"], scan);
        assert_eq!(line["error"]["position"], position, "{scan}");
        let text = line["error"]["message"].as_str().expect("message is text");
        assert!(text.contains(message), "{scan}: {text}");
    }
}

#[test]
fn parse_stdin_prints_one_line_per_scan_and_exits_2_if_any_fails() {
    let input = "=A99991712345600=%5100\r\nG1234 17 654321 A\n=%5100\n=+01000=%5100\nnot a scan\n";
    let output = hemaflow(&["isbt128", "parse", "--stdin"], Some(input));
    assert_eq!(output.status.code(), Some(2));
    let lines = json_lines(&output);
    let forms: Vec<Option<&str>> = lines.iter().map(|line| line["form"].as_str()).collect();
    let expected = [
        Some("concatenated"),
        Some("keyed_din"),
        Some("single"),
        Some("compound"),
        None,
    ];
    assert_eq!(forms, expected);
    assert_eq!(
        lines[0]["structures"][1]["fields"]["abo_rhd"],
        "O RhD positive"
    );
    assert_eq!(lines[4]["ok"], false);
    let all_good = hemaflow(
        &["isbt128", "parse", "--stdin"],
        Some("=%5100\n=<E0398V00\n"),
    );
    assert_eq!(all_good.status.code(), Some(0));
    assert_eq!(
        json_lines(&all_good)[1]["structures"][0]["fields"]["in_catalogue"],
        true
    );
}

#[test]
fn check_char_prints_the_check_character_or_exits_2() {
    let output = hemaflow(&["isbt128", "check-char", "G123417654321"], None);
    assert_eq!(
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).trim()
        ),
        (Some(0), "A")
    );
    let spaced = hemaflow(&["isbt128", "check-char", "A9999 17 123456"], None);
    assert_eq!(String::from_utf8_lossy(&spaced.stdout).trim(), "9");
    for bad in ["G12341765432", "O123417654321", "G1234176543210", ""] {
        let output = hemaflow(&["isbt128", "check-char", bad], None);
        assert_eq!(output.status.code(), Some(2), "{bad:?}");
        assert!(output.stdout.is_empty(), "{bad:?}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("not a DIN"),
            "{bad:?}"
        );
    }
}

#[test]
fn encode_reverses_parse_for_every_valid_public_vector() {
    let vectors: Vec<Value> =
        serde_json::from_str(include_str!("../../isbt128/tests/data/vectors.json")).expect("JSON");
    let scans: Vec<&str> = vectors
        .iter()
        .filter(|v| v["kind"] == "valid")
        .map(|v| v["input"].as_str().expect("text"))
        .collect();
    let parsed = hemaflow(&[&["isbt128", "parse"][..], &scans].concat(), None);
    assert_eq!(parsed.status.code(), Some(0));
    let encoded = hemaflow(
        &["isbt128", "encode"],
        Some(&String::from_utf8_lossy(&parsed.stdout)),
    );
    assert_eq!(
        encoded.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&encoded.stderr)
    );
    let keyed = |scan: &&str| scan.replace(' ', "");
    let expected: Vec<String> = scans.iter().map(keyed).collect();
    let lines: Vec<String> = String::from_utf8_lossy(&encoded.stdout)
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(lines, expected);
}

#[test]
fn encode_builds_from_fields_and_refuses_fields_that_contradict_each_other() {
    let good = r#"{"structures": [{"number": "002", "fields": {"group": "51", "phenotype": "0", "reserved": "0", "abo_rhd": "O RhD positive"}}]}"#;
    let output = hemaflow(&["isbt128", "encode", good], None);
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "=%5100");
    let contradiction = good.replace("O RhD positive", "A RhD positive");
    let output = hemaflow(&["isbt128", "encode", &contradiction], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("abo_rhd"));
    let wrong_check = r#"{"structures": [{"number": "001", "fields": {"facility": "G1234", "year": "17", "sequence": "654321", "flags": "00", "check_character": "B"}}]}"#;
    let output = hemaflow(&["isbt128", "encode", wrong_check], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("check_character"));
    for bad in [
        "not json",
        "{}",
        r#"{"structures": []}"#,
        r#"{"structures": [{"number": "999", "data": "x"}]}"#,
    ] {
        let output = hemaflow(&["isbt128", "encode", bad], None);
        assert_eq!(output.status.code(), Some(2), "{bad}");
        assert!(output.stdout.is_empty(), "{bad}");
    }
}

#[test]
fn help_shows_examples_a_technologist_can_copy() {
    let output = hemaflow(&["isbt128", "parse", "--help"], None);
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(
        help.contains("Examples:") && help.contains("hemaflow isbt128 parse '=W12342512345600'")
    );
    assert!(help.contains("Exit status"));
}
