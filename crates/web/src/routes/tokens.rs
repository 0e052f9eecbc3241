//! API tokens for machine clients (P11-ACCESS): an admin issues a named token with a role (and
//! the hospital of a hospital-role token) on the Users page or through the API, and sees its
//! secret once; the ledger records only the SHA-256 digest. Revoking is a command too.

use askama::Template;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use hemaflow_domain::Command;
use hemaflow_domain::{AccessCommand, ClientCommand, ServerCommand};
use serde::Deserialize;
use serde_json::{Value, json};

use super::admin::render;
use super::{command_id, execute, is_htmx, json_body, parse_role};
use crate::App;
use crate::access;
use crate::auth::{Caller, token};
use crate::problem::Problem;

#[derive(Deserialize)]
pub struct NewToken {
    name: String,
    role: String,
    #[serde(default)]
    hospital: Option<String>,
}

#[derive(Deserialize)]
pub struct Revocation {
    /// Always sent by the form (a form without it is not this form); an empty one goes to
    /// the domain, which refuses it on the record.
    reason: String,
}

/// A token just issued: its ID and its secret, which exists nowhere else.
pub struct Issued {
    pub token_id: String,
    pub secret: String,
}

/// Draws a secret and records the token with its digest (`IssueApiToken`).
pub async fn issue(app: &App, caller: &Caller, request: &NewToken) -> Result<Issued, Problem> {
    caller.require(access::ADMIN)?;
    let role = parse_role(&request.role)?;
    let token_id = token::generate()[..16].to_owned();
    let secret = token::generate_api_secret();
    let command = Command::Server(ServerCommand::IssueApiToken {
        token_id: token_id.clone(),
        name: request.name.clone(),
        role,
        hospital: request
            .hospital
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_owned),
        digest: token::digest(&secret),
    });
    execute(app, caller, &command_id(None)?, &command).await?;
    Ok(Issued { token_id, secret })
}

async fn revoke(app: &App, caller: &Caller, token_id: &str, reason: &str) -> Result<(), Problem> {
    caller.require(access::ADMIN)?;
    let command = Command::Client(ClientCommand::Access(AccessCommand::RevokeApiToken {
        token_id: token_id.to_owned(),
        reason: reason.to_owned(),
    }));
    execute(app, caller, &command_id(None)?, &command).await?;
    Ok(())
}

/// The secret must not stay in any cache: the page that shows it is never stored.
fn no_store(response: Response) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], response).into_response()
}

/// The secret of a token just issued, shown this once (also part of the Users page).
#[derive(Template)]
#[template(path = "token_issued.html")]
struct TokenIssued {
    id: String,
    secret: String,
}

/// `POST /admin/tokens`: from htmx the secret (or the refusal) is shown under the form,
/// otherwise on the Users page.
pub async fn post_issue(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<NewToken>,
) -> Result<Response, Problem> {
    let issued = issue(&app, &caller, &form).await?;
    if is_htmx(&headers) {
        let fragment = TokenIssued {
            id: issued.token_id,
            secret: issued.secret,
        };
        return Ok(no_store(Html(fragment.render()?).into_response()));
    }
    let page = render(&caller, &app, Some((issued.token_id, issued.secret))).await?;
    Ok(no_store(page))
}

pub async fn post_revoke(
    caller: Caller,
    State(app): State<App>,
    Path(token_id): Path<String>,
    Form(form): Form<Revocation>,
) -> Result<Response, Problem> {
    revoke(&app, &caller, &token_id, &form.reason).await?;
    Ok(Redirect::to("/admin/users#tokens").into_response())
}

/// `POST /api/tokens`: 201 with the secret, shown this once.
pub async fn api_issue(
    caller: Caller,
    State(app): State<App>,
    body: Result<Json<NewToken>, JsonRejection>,
) -> Result<Response, Problem> {
    caller.require(access::ADMIN)?;
    let request = json_body(body)?;
    let issued = issue(&app, &caller, &request).await?;
    let answer = Json(json!({
        "token_id": issued.token_id,
        "token": issued.secret,
        "token_type": "Bearer",
        "name": request.name.trim(),
        "role": request.role,
    }));
    Ok(no_store((StatusCode::CREATED, answer).into_response()))
}

/// `GET /api/tokens`: every token, never a digest or a secret.
pub async fn api_list(caller: Caller, State(app): State<App>) -> Result<Json<Value>, Problem> {
    caller.require(access::ADMIN)?;
    let tokens = app
        .ledger
        .read(|state| {
            state
                .api_tokens
                .values()
                .map(|t| json!(t.view()))
                .collect::<Vec<_>>()
        })
        .await?;
    Ok(Json(json!({ "tokens": tokens })))
}

/// `POST /api/tokens/{token_id}/revoke`.
pub async fn api_revoke(
    caller: Caller,
    State(app): State<App>,
    Path(token_id): Path<String>,
    body: Result<Json<Revocation>, JsonRejection>,
) -> Result<Response, Problem> {
    caller.require(access::ADMIN)?;
    let request = json_body(body)?;
    revoke(&app, &caller, &token_id, &request.reason).await?;
    Ok(Json(json!({ "token_id": token_id, "revoked": true })).into_response())
}
