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
use super::{command_id, execute_signed, required_seen, seen};
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
    signer: String,
    /// The ledger entry the queue reflects: the `seen` of its release and discard forms.
    seen: i64,
}

pub async fn queue(caller: Caller, State(app): State<App>) -> Result<Response, Problem> {
    caller.require(access::RELEASE)?;
    let now = app.now();
    let (lines, seen) = app
        .ledger
        .read_at(|records| queue_lines(records, now))
        .await?;
    let page = QueuePage {
        page: Page::of(&caller, "/release"),
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
    let events = execute_signed(&app, &caller, &id, &form.password, command, &seen).await?;
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
    let events = execute_signed(&app, &caller, &id, &form.password, command, &seen).await?;
    answer(&events, &format!("{component} discarded"), &headers)
}
