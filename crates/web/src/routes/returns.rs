//! DIST-RETURN at quality assurance: the returned units waiting for review, each with the
//! return criteria it fails in words; accepting puts the unit back in stock, rejecting
//! discards it with the reason (the domain decides which it may be).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use hemaflow_domain::distribution::shipping::return_failures;
use hemaflow_domain::queries;
use hemaflow_domain::{ClientCommand, DistributionCommand};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::App;
use crate::access;
use crate::auth::{Caller, token};
use crate::problem::Problem;
use crate::supply::{local_text, offset};
use crate::views::Page;

pub struct PendingReturn {
    pub component: String,
    pub name: String,
    pub hospital: String,
    pub minutes_out_of_storage: u32,
    pub seal_intact: bool,
    pub validated_container: bool,
    pub reason: String,
    pub returned_at: String,
    pub failures: Vec<String>,
}

#[derive(Template)]
#[template(path = "returns.html")]
struct ReturnsPage {
    page: Page,
    returns: Vec<PendingReturn>,
    form_id: String,
    /// The ledger entry the page reflects: the `seen` of its review forms.
    seen: i64,
}

pub fn pending(records: &hemaflow_domain::State, now: OffsetDateTime) -> Vec<PendingReturn> {
    let offset = offset(records);
    queries::pending_returns(records)
        .into_iter()
        .map(|(component, unit_return)| PendingReturn {
            component: component.id.clone(),
            name: component.name.clone(),
            hospital: unit_return.hospital.clone(),
            minutes_out_of_storage: unit_return.minutes_out_of_storage,
            seal_intact: unit_return.seal_intact,
            validated_container: unit_return.validated_container,
            reason: unit_return.reason.clone(),
            returned_at: local_text(unit_return.at, offset),
            failures: return_failures(records, component, unit_return, now),
        })
        .collect()
}

/// `GET /returns`.
pub async fn page(caller: Caller, State(app): State<App>) -> Result<Response, Problem> {
    caller.require(access::RETURNS_REVIEW)?;
    let now = app.now();
    let (returns, seen) = app.ledger.read_at(|records| pending(records, now)).await?;
    let html = ReturnsPage {
        page: Page::of(&caller, "/returns"),
        returns,
        form_id: token::generate(),
        seen,
    }
    .render()?;
    Ok(Html(html).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReviewForm {
    pub command_id: Option<String>,
    pub seen: Option<i64>,
    /// `accept` or `reject`.
    pub decision: String,
    pub reason: String,
    /// The reviewer's password: the decision is signed (P11-SIGN).
    #[serde(default)]
    pub password: String,
    /// The reviewer's user ID: asked at the first signature of a session (P11-SIGN).
    #[serde(default)]
    pub signature_user_id: Option<String>,
}

/// `POST /returns/{component}/review`: the unit must be as the reviewer saw it (`seen`): a
/// decision is made on the criteria the page showed.
pub async fn review(
    caller: Caller,
    State(app): State<App>,
    Path(component): Path<String>,
    axum::Form(form): axum::Form<ReviewForm>,
) -> Result<Response, Problem> {
    caller.require(access::RETURNS_REVIEW)?;
    let accept = match form.decision.trim() {
        "accept" => true,
        "reject" => false,
        other => {
            return Err(Problem::input(format!(
                "decision '{other}' is neither accept nor reject"
            )));
        }
    };
    let command = ClientCommand::Distribution(DistributionCommand::ReviewReturn {
        component: component.clone(),
        accept,
        reason: form.reason.trim().to_owned(),
    });
    let id = super::command_id(form.command_id.as_deref())?;
    let seen = [super::seen(
        "component",
        &component,
        super::required_seen(form.seen)?,
    )];
    super::execute_signed(
        &app,
        &caller,
        &id,
        super::Signature::new(form.signature_user_id.as_deref(), &form.password),
        command,
        &seen,
    )
    .await?;
    Ok(Redirect::to("/returns").into_response())
}
