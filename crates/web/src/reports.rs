//! Daily reports read from the ledger's events: collections, production, shipments, discards
//! with their reasons. A day is the site's local day (the offset of its labels,
//! `Config::labels`), and an event belongs to the day of the time it carries (`at`, a
//! collection's end, a production's time), not of the moment it was recorded: a centre that
//! records yesterday's paper log today reports it on yesterday.

use hemaflow_domain::Event;
use hemaflow_domain::donor_centre::collection::Donation;
use hemaflow_domain::manufacturing::components::Component;
use hemaflow_domain::{DistributionEvent, DonorCentreEvent, ManufacturingEvent, ReleaseEvent};
use serde::Serialize;
use time::{Date, OffsetDateTime, UtcOffset};

/// The reports there are, in the order the reports page lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    Collections,
    Production,
    Shipments,
    Discards,
    /// Units shipped against units ordered, per hospital, for the orders due that day.
    FillRate,
}

impl ReportKind {
    pub const ALL: [ReportKind; 5] = [
        ReportKind::Collections,
        ReportKind::Production,
        ReportKind::Shipments,
        ReportKind::Discards,
        ReportKind::FillRate,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            ReportKind::Collections => "collections",
            ReportKind::Production => "production",
            ReportKind::Shipments => "shipments",
            ReportKind::Discards => "discards",
            ReportKind::FillRate => "fill-rate",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ReportKind::Collections => "Collections",
            ReportKind::Production => "Production",
            ReportKind::Shipments => "Shipments",
            ReportKind::Discards => "Discards and expiries",
            ReportKind::FillRate => "Fill rate per hospital",
        }
    }

    pub fn from_slug(slug: &str) -> Option<ReportKind> {
        ReportKind::ALL.into_iter().find(|kind| kind.slug() == slug)
    }

    pub fn columns(self) -> &'static [&'static str] {
        match self {
            ReportKind::Collections => &[
                "Time",
                "DIN",
                "Donor",
                "Procedure",
                "Volume (mL)",
                "Collected by",
            ],
            ReportKind::Production => &["Time", "DIN", "Product code", "Component", "Made by"],
            ReportKind::Shipments => &["Time", "DIN", "Product code", "Consignee", "Shipped by"],
            ReportKind::Discards => &["Time", "DIN", "Product code", "Reason", "By"],
            ReportKind::FillRate => &[
                "Hospital",
                "Orders due",
                "Units ordered",
                "Units shipped",
                "Fill rate",
            ],
        }
    }

    /// The ledger's event types this report reads (checked before an entry is parsed).
    pub fn event_types(self) -> &'static [&'static str] {
        match self {
            ReportKind::Collections => &["donation_collected"],
            ReportKind::Production => &["component_produced"],
            ReportKind::Shipments => &["component_shipped"],
            ReportKind::Discards => &["component_discarded", "component_expired"],
            // Read from the orders on record, not from events.
            ReportKind::FillRate => &[],
        }
    }

    /// What an empty report says.
    pub fn empty(self) -> &'static str {
        match self {
            ReportKind::Collections => "No collection on this day.",
            ReportKind::Production => "No component made on this day.",
            ReportKind::Shipments => "No unit shipped on this day.",
            ReportKind::Discards => "No unit discarded or expired on this day.",
            ReportKind::FillRate => "No order was due on this day.",
        }
    }
}

/// One day's report: a row per event, in the order of the ledger.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub report: ReportKind,
    pub day: Date,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

/// The local day bounds: `[start, end)` in UTC.
pub fn bounds(day: Date, offset: UtcOffset) -> (OffsetDateTime, OffsetDateTime) {
    let start = day.midnight().assume_offset(offset);
    (start, start + time::Duration::DAY)
}

fn clock(at: OffsetDateTime, offset: UtcOffset) -> String {
    let local = at.to_offset(offset);
    format!("{:02}:{:02}", local.hour(), local.minute())
}

/// A component ID is `DIN-productcode`.
fn din_and_code(id: &str) -> (String, String) {
    match id.split_once('-') {
        Some((din, code)) => (din.to_owned(), code.to_owned()),
        None => (id.to_owned(), String::new()),
    }
}

impl Report {
    pub fn new(report: ReportKind, day: Date) -> Report {
        Report {
            report,
            day,
            columns: report.columns().to_vec(),
            rows: Vec::new(),
        }
    }

    /// Adds the row `event` makes for this report, if it is of the report's kind and day.
    pub fn add(&mut self, event: &Event, offset: UtcOffset) {
        let (start, end) = bounds(self.day, offset);
        let Some((at, row)) = row(self.report, event, offset) else {
            return;
        };
        if (start..end).contains(&at) {
            self.rows.push(row);
        }
    }
}

fn row(
    kind: ReportKind,
    event: &Event,
    offset: UtcOffset,
) -> Option<(OffsetDateTime, Vec<String>)> {
    let made = |at: OffsetDateTime, cells: Vec<String>| {
        let mut row = vec![clock(at, offset)];
        row.extend(cells);
        Some((at, row))
    };
    match (kind, event) {
        (
            ReportKind::Collections,
            Event::DonorCentre(DonorCentreEvent::DonationCollected { donation }),
        ) => {
            let Donation {
                din,
                donor_id,
                procedure,
                volume_ml,
                collected_by,
                ended_at,
                ..
            } = donation.as_ref();
            made(
                *ended_at,
                vec![
                    din.clone(),
                    donor_id.clone(),
                    procedure.as_str().to_owned(),
                    volume_ml.to_string(),
                    collected_by.clone(),
                ],
            )
        }
        (
            ReportKind::Production,
            Event::Manufacturing(ManufacturingEvent::ComponentProduced { component }),
        ) => {
            let Component {
                din,
                product_code,
                name,
                produced_at,
                produced_by,
                ..
            } = component.as_ref();
            made(
                *produced_at,
                vec![
                    din.clone(),
                    product_code.clone(),
                    name.clone(),
                    produced_by.clone(),
                ],
            )
        }
        (
            ReportKind::Shipments,
            Event::Distribution(DistributionEvent::ComponentShipped {
                id,
                consignee,
                at,
                by,
                ..
            }),
        ) => {
            let (din, code) = din_and_code(id);
            made(*at, vec![din, code, consignee.clone(), by.clone()])
        }
        (
            ReportKind::Discards,
            Event::Manufacturing(ManufacturingEvent::ComponentDiscarded {
                id, reason, at, by, ..
            }),
        ) => {
            let (din, code) = din_and_code(id);
            made(*at, vec![din, code, reason.clone(), by.clone()])
        }
        (ReportKind::Discards, Event::Release(ReleaseEvent::ComponentExpired { id, at, .. })) => {
            let (din, code) = din_and_code(id);
            made(
                *at,
                vec![
                    din,
                    code,
                    "expired (outdated)".to_owned(),
                    "system".to_owned(),
                ],
            )
        }
        _ => None,
    }
}

/// Fill rate per hospital for the orders due on the report's day (not cancelled): units
/// shipped against units ordered, as a percentage with one decimal.
pub fn fill_rate(records: &hemaflow_domain::State, day: Date, offset: UtcOffset) -> Report {
    let mut report = Report::new(ReportKind::FillRate, day);
    let daily = hemaflow_domain::queries::daily_report(records, day, offset);
    report.rows = daily
        .fill_rates
        .iter()
        .map(|row| {
            let name = records
                .hospitals
                .get(&row.hospital)
                .map_or_else(|| row.hospital.clone(), |h| h.name.clone());
            let rate = if row.ordered_units == 0 {
                "-".to_owned()
            } else {
                let tenths = u64::from(row.shipped_units) * 1000 / u64::from(row.ordered_units);
                format!("{}.{} %", tenths / 10, tenths % 10)
            };
            vec![
                name,
                row.orders.to_string(),
                row.ordered_units.to_string(),
                row.shipped_units.to_string(),
                rate,
            ]
        })
        .collect();
    report
}

/// The report as CSV (RFC 4180, CRLF line ends, a header row). A cell a spreadsheet would
/// take for a formula (`=`, `+`, `-`, `@` first) is prefixed with `'`, so that opening a
/// report never runs what a free-text reason contains.
pub fn to_csv(report: &Report) -> String {
    let mut out = String::new();
    let header: Vec<String> = report.columns.iter().map(|c| (*c).to_owned()).collect();
    for row in std::iter::once(&header).chain(&report.rows) {
        let cells: Vec<String> = row.iter().map(|cell| csv_cell(cell)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

fn csv_cell(cell: &str) -> String {
    let guarded = if cell.starts_with(['=', '+', '-', '@']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    };
    if guarded.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// The report as a printable table.
pub fn to_table(report: &Report, site: &str, printed: &str) -> hemaflow_documents::Table {
    hemaflow_documents::Table {
        title: format!("{} · {}", report.report.title(), report.day),
        subtitle: vec![
            format!("{site} · {} rows", report.rows.len()),
            format!("Printed {printed}"),
        ],
        columns: report.columns.iter().map(|c| (*c).to_owned()).collect(),
        rows: report.rows.clone(),
        empty: report.report.empty().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime, offset};

    fn shipped(id: &str, at: OffsetDateTime) -> Event {
        Event::Distribution(DistributionEvent::ComponentShipped {
            id: id.to_owned(),
            consignee: "General, \"North\"".to_owned(),
            at,
            by: "shipper".to_owned(),
            shipment: None,
        })
    }

    #[test]
    fn a_day_is_the_sites_local_day() {
        let offset = offset!(-5);
        let mut report = Report::new(ReportKind::Shipments, date!(2026 - 11 - 25));
        // 04:59 UTC on the 25th is 23:59 on the 24th in New York; 05:00 UTC is midnight.
        report.add(
            &shipped("W123426000001-D2000V00", datetime!(2026-11-25 04:59 UTC)),
            offset,
        );
        report.add(
            &shipped("W123426000002-D2000V00", datetime!(2026-11-25 05:00 UTC)),
            offset,
        );
        report.add(
            &shipped("W123426000003-D2000V00", datetime!(2026-11-26 04:59 UTC)),
            offset,
        );
        report.add(
            &shipped("W123426000004-D2000V00", datetime!(2026-11-26 05:00 UTC)),
            offset,
        );
        let dins: Vec<&str> = report.rows.iter().map(|r| r[1].as_str()).collect();
        assert_eq!(dins, ["W123426000002", "W123426000003"]);
        assert_eq!(report.rows[0][0], "00:00");
        assert_eq!(report.rows[0][2], "D2000V00");
    }

    #[test]
    fn events_of_other_reports_are_not_counted() {
        let mut report = Report::new(ReportKind::Discards, date!(2026 - 11 - 25));
        report.add(
            &shipped("W123426000001-D2000V00", datetime!(2026-11-25 12:00 UTC)),
            UtcOffset::UTC,
        );
        report.add(
            &Event::Release(ReleaseEvent::ComponentExpired {
                id: "W123426000005-D2000V00".to_owned(),
                at: datetime!(2026-11-25 12:00 UTC),
            }),
            UtcOffset::UTC,
        );
        assert_eq!(report.rows.len(), 1);
        assert_eq!(report.rows[0][3], "expired (outdated)");
    }

    #[test]
    fn csv_quotes_what_needs_quoting_and_defuses_formulas() {
        let mut report = Report::new(ReportKind::Shipments, date!(2026 - 11 - 25));
        report.add(
            &shipped("W123426000001-D2000V00", datetime!(2026-11-25 12:00 UTC)),
            UtcOffset::UTC,
        );
        report.rows[0][4] = "=HYPERLINK(\"x\")".to_owned();
        let csv = to_csv(&report);
        assert_eq!(
            csv,
            "Time,DIN,Product code,Consignee,Shipped by\r\n\
             12:00,W123426000001,D2000V00,\"General, \"\"North\"\"\",\"'=HYPERLINK(\"\"x\"\")\"\r\n"
        );
    }
}
