//! The projection rows this area's events change, and the rows themselves.

use crate::lookback::Event;
use crate::state::State;

/// The kinds of row this area owns.
pub(crate) const KINDS: [&str; 4] = ["lookback", "recall", "deviation", "fatality"];

/// The kind and ID of every projection row `event` changes.
pub(crate) fn row_keys(event: &Event) -> Vec<(&'static str, String)> {
    let key = match event {
        Event::LookbackStarted { lookback } => ("lookback", lookback.id.clone()),
        Event::SupplementalLinked { lookback_id, .. }
        | Event::LookbackTaskCompleted { lookback_id, .. }
        | Event::LookbackClosed { lookback_id, .. } => ("lookback", lookback_id.clone()),
        Event::RecallOpened { recall } => ("recall", recall.id.clone()),
        Event::RecallConsigneeNotified { recall_id, .. }
        | Event::RecallUnitReturned { recall_id, .. }
        | Event::RecallUnitOutcome { recall_id, .. }
        | Event::RecallClosed { recall_id, .. } => ("recall", recall_id.clone()),
        Event::DeviationOpened { deviation } => ("deviation", deviation.id.clone()),
        Event::DeviationInvestigated { deviation_id, .. }
        | Event::DeviationReported { deviation_id, .. }
        | Event::DeviationClosed { deviation_id, .. } => ("deviation", deviation_id.clone()),
        Event::FatalityOpened { fatality } => ("fatality", fatality.id.clone()),
        Event::FatalityNotified { fatality_id, .. }
        | Event::FatalityReportSent { fatality_id, .. } => ("fatality", fatality_id.clone()),
    };
    vec![key]
}

fn body<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

fn status(open: bool) -> Option<String> {
    Some(if open { "open" } else { "closed" }.to_owned())
}

/// One row of this area by kind and ID: its status and JSON body.
pub(crate) fn row(state: &State, kind: &str, id: &str) -> Option<(Option<String>, String)> {
    let book = &state.lookback;
    Some(match kind {
        "lookback" => {
            let l = book.lookbacks.get(id)?;
            (status(l.is_open()), body(l))
        }
        "recall" => {
            let r = book.recalls.get(id)?;
            (status(r.is_open()), body(r))
        }
        "deviation" => {
            let d = book.deviations.get(id)?;
            (status(d.is_open()), body(d))
        }
        "fatality" => {
            let f = book.fatalities.get(id)?;
            (status(f.is_open()), body(f))
        }
        _ => return None,
    })
}

/// The key of every row of this area.
pub(crate) fn all_row_keys(state: &State) -> Vec<(&'static str, String)> {
    let book = &state.lookback;
    let mut keys: Vec<(&'static str, String)> = Vec::new();
    keys.extend(book.lookbacks.keys().map(|id| ("lookback", id.clone())));
    keys.extend(book.recalls.keys().map(|id| ("recall", id.clone())));
    keys.extend(book.deviations.keys().map(|id| ("deviation", id.clone())));
    keys.extend(book.fatalities.keys().map(|id| ("fatality", id.clone())));
    keys
}
