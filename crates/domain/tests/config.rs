//! The US defaults keep the JSON they had when every area's tables sat in one file:
//! `data/config-default.json` is `Config::default()` as the code of 2026-12-07 wrote it, and
//! today's defaults write the same bytes, fields and map keys in the same order. The
//! `configure` command recorded in `data/wire-before-rooms.tsv` carries the defaults with one
//! value changed (a female donor's minimum hemoglobin, 12.6 g/dL), so it checks the fixture too.

#![allow(clippy::unwrap_used, clippy::float_cmp)]

use hemaflow_domain::Config;

const DEFAULT: &str = include_str!("data/config-default.json");
const WIRE: &str = include_str!("data/wire-before-rooms.tsv");

fn recorded_default() -> &'static str {
    DEFAULT.trim_end()
}

/// The `config` of the first `configure` command recorded, as written.
fn recorded_configure() -> &'static str {
    let prefix = r#"{"type":"configure","config":"#;
    let json = WIRE
        .lines()
        .filter_map(|line| line.strip_prefix("command\t"))
        .find(|json| json.starts_with(prefix))
        .unwrap();
    json.strip_prefix(prefix)
        .and_then(|rest| rest.strip_suffix('}'))
        .unwrap()
}

#[test]
fn the_default_configuration_writes_the_bytes_recorded_before_its_tables_moved() {
    let today = serde_json::to_string(&Config::default()).unwrap();
    assert_eq!(today, recorded_default());
}

#[test]
fn the_recorded_default_configuration_reads_back_as_the_default_and_is_valid() {
    let read: Config = serde_json::from_str(recorded_default()).unwrap();
    assert_eq!(read, Config::default());
    read.validate().unwrap();
}

#[test]
fn the_configure_command_on_the_ledger_is_the_default_with_one_limit_changed() {
    let mut read: Config = serde_json::from_str(recorded_configure()).unwrap();
    assert_eq!(read.screening.female_min_hb, 12.6);
    read.screening.female_min_hb = 12.5;
    assert_eq!(serde_json::to_string(&read).unwrap(), recorded_default());
}
