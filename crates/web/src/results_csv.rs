//! Instrument results as delimited text, read by the `csv` crate (quoting, a UTF-8 byte
//! order mark, CRLF or LF line ends): one layout per kind of export.
//!
//! - `hemaflow`: a header naming the columns `din`, `test`, `stage`, `reading` in any order
//!   (other columns ignored), one result a row.
//! - `procleix`: the Procleix NAT2 export (tab-separated, a header row; INSTRUMENTS.md §1.5):
//!   column 0 the sample ID, column 1 the overall interpretation. A multiplex result stands
//!   for HIV-1, HCV and HBV NAT: nonreactive clears the three; a reactive one is resolved by
//!   the discriminatory assays and is refused here, naming its row.
//!
//! Every row is checked first; the batch is then one command, accepted or refused whole.

use hemaflow_domain::TestResultInput;
use hemaflow_domain::lab::testing::{Reading, Stage};

/// The largest file read: a limit on what the uploader controls.
pub const BYTES_MAX: usize = 4 * 1024 * 1024;
pub const ROWS_MAX: usize = 20_000;

/// How an export's columns are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Layout {
    #[default]
    Hemaflow,
    Procleix,
}

impl Layout {
    pub fn parse(name: &str) -> Option<Layout> {
        match name.trim() {
            "" | "hemaflow" => Some(Layout::Hemaflow),
            "procleix" => Some(Layout::Procleix),
            _ => None,
        }
    }
}

/// Where the Procleix export keeps what we read (the export's version decides; see
/// INSTRUMENTS.md: the columns move between versions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcleixColumns {
    pub sample: usize,
    pub interpretation: usize,
}

pub const PROCLEIX_NAT2: ProcleixColumns = ProcleixColumns {
    sample: 0,
    interpretation: 1,
};
const MULTIPLEX_MARKERS: [&str; 3] = ["hiv_nat", "hcv_nat", "hbv_nat"];

/// Reads the results of an export; the error names the line and the column.
pub fn parse(text: &str, layout: Layout) -> Result<Vec<TestResultInput>, String> {
    if text.len() > BYTES_MAX {
        return Err(format!(
            "the file is larger than {} MiB",
            BYTES_MAX / 1024 / 1024
        ));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let results = match layout {
        Layout::Hemaflow => hemaflow(text)?,
        Layout::Procleix => procleix(text, PROCLEIX_NAT2)?,
    };
    if results.is_empty() {
        return Err("the file has no result lines".to_owned());
    }
    Ok(results)
}

fn reader(text: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes())
}

fn line_of(record: &csv::StringRecord, index: usize) -> u64 {
    record.position().map_or(index as u64 + 2, |p| p.line())
}

fn hemaflow(text: &str) -> Result<Vec<TestResultInput>, String> {
    let mut rows = reader(text, b',');
    let header = rows.headers().map_err(|e| format!("line 1: {e}"))?.clone();
    let column = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(din), Some(test), Some(stage), Some(reading)) = (
        column("din"),
        column("test"),
        column("stage"),
        column("reading"),
    ) else {
        return Err(
            "line 1: the header must name the columns din, test, stage and reading".to_owned(),
        );
    };
    let mut results = Vec::new();
    for (index, row) in rows.records().enumerate() {
        let row = row.map_err(|e| format!("line {}: {e}", index + 2))?;
        let line = line_of(&row, index);
        if row.iter().all(str::is_empty) {
            continue;
        }
        if results.len() == ROWS_MAX {
            return Err(format!("line {line}: more than {ROWS_MAX} results"));
        }
        let cell = |at: usize, name: &str| {
            row.get(at)
                .filter(|c| !c.is_empty())
                .ok_or_else(|| format!("line {line}: the {name} is missing"))
        };
        let din = scanned_din(cell(din, "DIN")?).map_err(|e| format!("line {line}: {e}"))?;
        let stage_text = cell(stage, "stage")?;
        let stage = parse_stage(stage_text).ok_or_else(|| {
            format!("line {line}: stage {stage_text:?} is not initial, repeat, minipool, individual or supplemental")
        })?;
        let reading_text = cell(reading, "reading")?;
        let reading = parse_reading(reading_text).ok_or_else(|| {
            format!("line {line}: reading {reading_text:?} is not reactive or nonreactive")
        })?;
        results.push(TestResultInput {
            din,
            test: cell(test, "test")?.to_owned(),
            stage,
            reading,
        });
    }
    Ok(results)
}

fn procleix(text: &str, columns: ProcleixColumns) -> Result<Vec<TestResultInput>, String> {
    let mut rows = reader(text, b'\t');
    let mut results = Vec::new();
    for (index, row) in rows.records().enumerate() {
        let row = row.map_err(|e| format!("line {}: {e}", index + 2))?;
        let line = line_of(&row, index);
        if row.iter().all(str::is_empty) {
            continue;
        }
        if results.len() >= ROWS_MAX {
            return Err(format!("line {line}: more than {ROWS_MAX} results"));
        }
        let sample = row.get(columns.sample).unwrap_or("");
        let interpretation = row.get(columns.interpretation).unwrap_or("");
        let din = scanned_din(sample)
            .map_err(|e| format!("line {line}, column {}: {e}", columns.sample + 1))?;
        match parse_reading(interpretation) {
            Some(Reading::Nonreactive) => {
                results.extend(MULTIPLEX_MARKERS.iter().map(|marker| TestResultInput {
                    din: din.clone(),
                    test: (*marker).to_owned(),
                    stage: Stage::Initial,
                    reading: Reading::Nonreactive,
                }))
            }
            Some(_) => {
                return Err(format!(
                    "line {line}: {din} is multiplex reactive; record the discriminatory results (HIV-1, HCV, HBV) instead"
                ));
            }
            None => {
                return Err(format!(
                    "line {line}, column {}: interpretation {interpretation:?} is not Reactive or Nonreactive (an invalid run is retested)",
                    columns.interpretation + 1
                ));
            }
        }
    }
    Ok(results)
}

/// A DIN as on record, scanned (`=` + DIN + flags) or keyed in with its check character.
fn scanned_din(text: &str) -> Result<String, String> {
    crate::scan::din_in_path(text).map_err(|p| p.detail)
}

fn parse_stage(text: &str) -> Option<Stage> {
    serde_json::from_value(serde_json::json!(text.to_ascii_lowercase())).ok()
}

fn parse_reading(text: &str) -> Option<Reading> {
    match text.to_ascii_lowercase().replace(['-', ' '], "").as_str() {
        "reactive" => Some(Reading::Reactive),
        "nonreactive" => Some(Reading::Nonreactive),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bom_quoted_cells_any_column_order_and_crlf_are_read() {
        let text = "\u{feff}reading,\"din\",test,stage,note\r\n\"Nonreactive\",W123426000001,hbsag,initial,\"ok, read\"\r\n\r\n";
        let results = parse(text, Layout::Hemaflow).expect("valid");
        assert_eq!(results.len(), 1);
        assert_eq!(results[0].din, "W123426000001");
        assert_eq!(results[0].reading, Reading::Nonreactive);
    }

    #[test]
    fn a_bad_row_is_named_by_its_line() {
        let text = "din,test,stage,reading\nW123426000001,hbsag,initial,nonreactive\nW123426000001,hbsag,first,nonreactive\n";
        let error = parse(text, Layout::Hemaflow).expect_err("a bad stage");
        assert!(error.starts_with("line 3:"), "{error}");
        assert!(parse("w,t\n", Layout::Hemaflow).is_err());
        assert!(parse("din,test,stage,reading\n", Layout::Hemaflow).is_err());
    }

    #[test]
    fn a_procleix_export_gives_the_three_nat_markers_of_a_nonreactive_sample() {
        let text = "Sample ID\tOverall Interpretation\tProtocol\tRun\n=W12342600000109\tNonreactive\tUltrio Elite\t26112501\n";
        let results = parse(text, Layout::Procleix).expect("valid");
        let markers: Vec<&str> = results.iter().map(|r| r.test.as_str()).collect();
        assert_eq!(markers, ["hiv_nat", "hcv_nat", "hbv_nat"]);
        let reactive = "Sample ID\tOverall Interpretation\n=W12342600000109\tReactive\n";
        assert!(
            parse(reactive, Layout::Procleix)
                .expect_err("reactive")
                .contains("line 2")
        );
        let invalid = "Sample ID\tOverall Interpretation\n=W12342600000109\tInvalid\n";
        assert!(
            parse(invalid, Layout::Procleix)
                .expect_err("invalid")
                .contains("column 2")
        );
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_read_or_refused_without_panic(text in "\\PC{0,200}", procleix in proptest::bool::ANY) {
            let layout = if procleix { Layout::Procleix } else { Layout::Hemaflow };
            let _ = parse(&text, layout);
        }

        #[test]
        fn rows_written_by_a_csv_writer_read_back(notes in proptest::collection::vec("\\PC{0,20}", 1..20), reactive in proptest::collection::vec(proptest::bool::ANY, 20)) {
            let mut writer = csv::Writer::from_writer(Vec::new());
            writer.write_record(["note", "din", "test", "stage", "reading"]).expect("header");
            for (index, note) in notes.iter().enumerate() {
                let reading = if reactive[index] { "reactive" } else { "nonreactive" };
                writer.write_record([note.as_str(), "W123426000001", "hbsag", "initial", reading]).expect("row");
            }
            let text = String::from_utf8(writer.into_inner().expect("bytes")).expect("utf-8");
            let results = parse(&text, Layout::Hemaflow).expect("what a writer wrote reads");
            proptest::prop_assert_eq!(results.len(), notes.len());
            for (index, result) in results.iter().enumerate() {
                let expected = if reactive[index] { Reading::Reactive } else { Reading::Nonreactive };
                proptest::prop_assert_eq!(result.reading, expected);
            }
        }
    }
}
