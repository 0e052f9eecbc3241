//! Every clock this area runs, in one list, overdue first: lookback notices (LB-DEADLINES),
//! deviation reports (BPD-45), fatality notices and written reports (FATAL-7), and recall
//! notices to consignees (no regulatory deadline: listed from the day the recall opened).

use serde::Serialize;
use time::Date;

use crate::kernel::Rule;
use crate::lookback::lookbacks;
use crate::state::State;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deadline {
    pub due: Date,
    /// The record the clock belongs to (`LB-000001`, `DV-000001`, `FR-000001`, `RC-000001`).
    pub record: String,
    /// The task within it, where the record has several (a lookback notice's ID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// The rule the clock comes from.
    pub rule: Rule,
    pub what: String,
    pub overdue: bool,
}

/// Every open clock at `today`, overdue first, then by due date.
pub fn open_deadlines(state: &State, today: Date) -> Vec<Deadline> {
    let mut out = Vec::new();
    let mut add = |due: Date, record: &str, task: Option<&str>, rule: Rule, what: String| {
        out.push(Deadline {
            due,
            record: record.to_owned(),
            task: task.map(str::to_owned),
            rule,
            what,
            overdue: due < today,
        });
    };
    for (lookback, task) in lookbacks::open_tasks(state) {
        add(
            task.due,
            &lookback.id,
            Some(&task.id),
            Rule::LbDeadlines,
            task.notice.describe(),
        );
    }
    for d in state.lookback.deviations.values().filter(|d| d.is_open()) {
        if let (Some(due), None) = (d.report_due, &d.report) {
            add(
                due,
                &d.id,
                None,
                Rule::Bpd45,
                format!("report the deviation to FDA: {}", d.description),
            );
        }
    }
    for f in state.lookback.fatalities.values() {
        if f.notified.is_none() {
            add(
                f.notice_due,
                &f.id,
                None,
                Rule::Fatal7,
                format!("tell CBER of the fatality of patient {} at once", f.patient),
            );
        }
        if f.written.is_none() {
            add(
                f.written_due,
                &f.id,
                None,
                Rule::Fatal7,
                format!(
                    "send the written report of the fatality of patient {}",
                    f.patient
                ),
            );
        }
    }
    for r in state.lookback.recalls.values().filter(|r| r.is_open()) {
        for c in r.consignees.iter().filter(|c| c.done.is_none()) {
            add(
                lookbacks::local_date(state, r.opened_at),
                &r.id,
                Some(&c.hospital),
                Rule::RecallTrack,
                format!("tell {} of the {}", c.hospital, r.kind.describe()),
            );
        }
    }
    out.sort_by(|a, b| {
        (b.overdue, a.due, &a.record, &a.task).cmp(&(a.overdue, b.due, &b.record, &b.task))
    });
    out
}
