//! The US defaults keep the JSON they had when every area's tables sat in one file, but for
//! the deferral periods the rule book states in weeks, months and years.
//!
//! `data/config-default-before-periods.json` is `Config::default()` as the code of 2026-12-07
//! wrote it, every deferral period a number of days. It still reads, as the same periods in
//! days, and writes back to the same bytes. `data/config-default.json` is today's defaults:
//! the same bytes, fields and map keys in the same order, except the 17 deferral reasons of
//! [`CALENDAR`], whose `"days": N` became the rule book's `"months": 3`, `"years": 2`,
//! `"weeks": 6`. The `configure` command recorded in `data/wire-before-rooms.tsv` carries the
//! defaults of before with one value changed (a female donor's minimum hemoglobin, 12.6 g/dL),
//! so it checks that fixture too.

#![allow(clippy::unwrap_used, clippy::float_cmp)]

use hemaflow_domain::Config;
use hemaflow_domain::kernel::Period;

const DEFAULT: &str = include_str!("data/config-default.json");
const BEFORE_PERIODS: &str = include_str!("data/config-default-before-periods.json");
const WIRE: &str = include_str!("data/wire-before-rooms.tsv");

/// The reasons whose default period moved from days to the rule book's unit (rule book 1.3):
/// code, days recorded before, period today.
const CALENDAR: [(&str, u32, Period); 17] = [
    ("acitretin", 1095, Period::years(3)),
    ("dutasteride", 180, Period::months(6)),
    ("finasteride", 30, Period::months(1)),
    ("injectable_prep", 730, Period::years(2)),
    ("ira_hiv_risk", 90, Period::months(3)),
    ("isotretinoin", 30, Period::months(1)),
    ("live_vaccine", 28, Period::weeks(4)),
    ("malaria_history", 1095, Period::years(3)),
    ("malaria_residence", 1095, Period::years(3)),
    ("malaria_travel", 90, Period::months(3)),
    ("oral_prep_pep", 90, Period::months(3)),
    ("partner_hiv_risk", 90, Period::months(3)),
    ("pregnancy", 42, Period::weeks(6)),
    ("sex_for_money_or_drugs", 90, Period::months(3)),
    ("syphilis_gonorrhea", 90, Period::months(3)),
    ("tattoo_piercing", 90, Period::months(3)),
    ("transfusion_received", 90, Period::months(3)),
];

fn recorded_default() -> &'static str {
    DEFAULT.trim_end()
}

fn recorded_before_periods() -> &'static str {
    BEFORE_PERIODS.trim_end()
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
fn the_default_configuration_writes_the_recorded_bytes() {
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
fn the_defaults_recorded_before_periods_read_as_days_and_write_back_to_their_bytes() {
    let mut read: Config = serde_json::from_str(recorded_before_periods()).unwrap();
    read.validate().unwrap();
    assert_eq!(
        serde_json::to_string(&read).unwrap(),
        recorded_before_periods()
    );
    for (code, days, today) in CALENDAR {
        let reason = read.deferral_reasons.get_mut(code).unwrap();
        assert_eq!(reason.period, Some(Period::days(days)), "{code}");
        reason.period = Some(today);
    }
    assert_eq!(
        read,
        Config::default(),
        "only the reasons of CALENDAR changed"
    );
}

#[test]
fn the_configure_command_on_the_ledger_is_the_default_of_before_periods_with_one_limit_changed() {
    let mut read: Config = serde_json::from_str(recorded_configure()).unwrap();
    assert_eq!(read.screening.female_min_hb, 12.6);
    read.screening.female_min_hb = 12.5;
    assert_eq!(
        serde_json::to_string(&read).unwrap(),
        recorded_before_periods()
    );
}
