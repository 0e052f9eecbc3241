//! The release queue: every quarantined unit with what blocks its release, in words (from the
//! domain's `release_blockers`), and release or discard with an electronic signature.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use hemaflow_domain::manufacturing::components::Status;
use hemaflow_domain::{AccessEvent, ClientCommand, ManufacturingCommand, ReleaseCommand};
use hemaflow_domain::{Event, State as Records, queries};
use serde::Deserialize;
use time::OffsetDateTime;

use super::units::{ComponentLine, component_line, time_text};
use super::{Signature, command_id, execute_signed, required_seen, seen};
use crate::App;
use crate::access;
use crate::auth::{Caller, token};
use crate::problem::Problem;
use crate::views::Page;

/// Quarantined units, those ready first, then by expiry.
pub fn queue_lines(records: &Records, now: OffsetDateTime) -> Vec<ComponentLine> {
    let mut lines: Vec<(OffsetDateTime, ComponentLine)> =
        queries::inventory(records, Some(Status::Quarantined), now)
            .into_iter()
            .map(|(c, status)| (c.expires_at, component_line(records, c, status, now)))
            .collect();
    lines.sort_by_key(|(expires_at, line)| (!line.blockers.is_empty(), *expires_at));
    lines.into_iter().map(|(_, line)| line).collect()
}

#[derive(Template)]
#[template(path = "release.html")]
struct QueuePage {
    page: Page,
    lines: Vec<(ComponentLine, String)>,
    ready: usize,
    blocked: usize,
    /// What blocks the blocked units: each rule once, with how many units it stops.
    blocked_by: Vec<(String, usize)>,
    signer: String,
    /// The ledger entry the queue reflects: the `seen` of its release and discard forms.
    seen: i64,
}

/// The line as the queue shows it: each blocker once, without the DIN the unit's heading
/// already names.
fn shown(mut line: ComponentLine) -> ComponentLine {
    let prefix = format!("{}: ", line.din);
    let mut seen_messages = std::collections::BTreeSet::new();
    line.blockers.retain_mut(|b| {
        if let Some(rest) = b.message.strip_prefix(&prefix) {
            b.message = rest.to_owned();
        }
        seen_messages.insert(b.message.clone())
    });
    line
}

/// How many blocked units each rule stops, the most first.
fn blocked_by(lines: &[ComponentLine]) -> Vec<(String, usize)> {
    let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for line in lines {
        let rules: std::collections::BTreeSet<&str> =
            line.blockers.iter().map(|b| b.rule.as_str()).collect();
        for rule in rules {
            *counts.entry(rule.to_owned()).or_default() += 1;
        }
    }
    let mut counts: Vec<(String, usize)> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts
}

pub async fn queue(caller: Caller, State(app): State<App>) -> Result<Response, Problem> {
    caller.require(access::RELEASE)?;
    let now = app.now();
    let (lines, seen) = app
        .ledger
        .read_at(|records| queue_lines(records, now))
        .await?;
    let lines: Vec<ComponentLine> = lines.into_iter().map(shown).collect();
    let ready = lines.iter().filter(|l| l.blockers.is_empty()).count();
    let page = QueuePage {
        page: Page::of(&caller, "/release"),
        ready,
        blocked: lines.len() - ready,
        blocked_by: blocked_by(&lines),
        // Each form carries its own command ID: a double submit gets the first answer.
        lines: lines.into_iter().map(|l| (l, token::generate())).collect(),
        signer: caller.user.name.clone(),
        seen,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Deserialize)]
pub struct SignedForm {
    #[serde(default)]
    command_id: Option<String>,
    #[serde(default)]
    password: String,
    /// The signer's user ID: asked at the first signature of a session (P11-SIGN).
    #[serde(default)]
    signature_user_id: Option<String>,
    #[serde(default)]
    reason: String,
    /// The ledger entry the page showed (no lost updates).
    #[serde(default)]
    seen: Option<i64>,
}

#[derive(Template)]
#[template(path = "signed_answer.html")]
struct SignedAnswer {
    what: String,
    printed_name: String,
    meaning: String,
    signed_at: String,
}

fn answer(events: &[Event], what: &str, headers: &HeaderMap) -> Result<Response, Problem> {
    if !super::is_htmx(headers) {
        return Ok(Redirect::to("/release").into_response());
    }
    let signature = events.iter().find_map(|e| match e {
        Event::Access(AccessEvent::Signed { signature }) => Some(signature),
        _ => None,
    });
    let Some(signature) = signature else {
        return Err(Problem::internal(
            "a signed command was recorded without its signature",
        ));
    };
    let html = SignedAnswer {
        what: what.to_owned(),
        printed_name: signature.printed_name.clone(),
        meaning: signature.meaning.clone(),
        signed_at: time_text(signature.signed_at),
    }
    .render()?;
    Ok(Html(html).into_response())
}

/// REL-GATE + P11-SIGN: release a unit, signed "released by".
pub async fn post_release(
    caller: Caller,
    State(app): State<App>,
    Path(component): Path<String>,
    headers: HeaderMap,
    Form(form): Form<SignedForm>,
) -> Result<Response, Problem> {
    caller.require(access::RELEASE)?;
    let id = command_id(form.command_id.as_deref())?;
    let command = ClientCommand::Release(ReleaseCommand::ReleaseComponent {
        component: component.clone(),
    });
    let seen = [seen("component", &component, required_seen(form.seen)?)];
    let events = execute_signed(
        &app,
        &caller,
        &id,
        Signature::new(form.signature_user_id.as_deref(), &form.password),
        command,
        &seen,
    )
    .await?;
    answer(&events, &format!("{component} released"), &headers)
}

/// P11-SIGN: discard a unit with a reason, signed "discarded by".
pub async fn post_discard(
    caller: Caller,
    State(app): State<App>,
    Path(component): Path<String>,
    headers: HeaderMap,
    Form(form): Form<SignedForm>,
) -> Result<Response, Problem> {
    caller.require(access::RELEASE)?;
    let id = command_id(form.command_id.as_deref())?;
    let command = ClientCommand::Manufacturing(ManufacturingCommand::DiscardComponent {
        component: component.clone(),
        reason: form.reason.trim().to_owned(),
    });
    let seen = [seen("component", &component, required_seen(form.seen)?)];
    let events = execute_signed(
        &app,
        &caller,
        &id,
        Signature::new(form.signature_user_id.as_deref(), &form.password),
        command,
        &seen,
    )
    .await?;
    answer(&events, &format!("{component} discarded"), &headers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::units::Blocker;

    fn blocker(rule: &str, message: &str) -> Blocker {
        Blocker {
            rule: rule.to_owned(),
            message: message.to_owned(),
        }
    }

    #[test]
    fn a_queued_unit_says_each_blocker_once_without_its_din() {
        let line = ComponentLine {
            id: "W123426000001-D2000V00".to_owned(),
            din: "W123426000001".to_owned(),
            product_code: "D2000V00".to_owned(),
            name: "red cells".to_owned(),
            status: "quarantined".to_owned(),
            expires_at: String::new(),
            label_verified: false,
            blockers: vec![
                blocker("TEST-PANEL", "W123426000001: anti-HIV-1/2 not yet resulted"),
                blocker("TEST-PANEL", "W123426000001: anti-HIV-1/2 not yet resulted"),
                blocker(
                    "REL-GATE",
                    "the final label has not been scanned and verified",
                ),
            ],
        };
        let shown = shown(line);
        let messages: Vec<&str> = shown.blockers.iter().map(|b| b.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "anti-HIV-1/2 not yet resulted",
                "the final label has not been scanned and verified"
            ]
        );
        assert_eq!(
            blocked_by(&[shown]),
            [("REL-GATE".to_owned(), 1), ("TEST-PANEL".to_owned(), 1)]
        );
    }
}
