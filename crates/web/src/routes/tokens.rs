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
use hemaflow_domain::access::credentials::ApiTokenView;
use hemaflow_domain::{AccessCommand, ClientCommand, ServerCommand};
use serde::Deserialize;

use super::admin::render;
use super::{command_id, execute, is_htmx, json_body, parse_role};
use crate::App;
use crate::access;
use crate::auth::{Caller, token};
use crate::problem::Problem;

/// A token to issue (`POST /api/tokens`).
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewToken {
    /// Who uses it (an instrument, a hospital's system).
    name: String,
    /// A role key (`lab_technologist`, `hospital_user`...); a token cannot be admin.
    #[schema(value_type = hemaflow_domain::Role)]
    role: String,
    /// The ID of a hospital on record (hospital_user tokens only); any other value is refused
    /// (P11-ACCESS, 403) with the IDs to choose from.
    #[serde(default)]
    hospital: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
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

/// A token just issued; `token` is its secret, shown in this answer only.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct TokenAnswer {
    token_id: String,
    /// Send it as `Authorization: Bearer <token>`.
    token: String,
    /// Always `Bearer`.
    token_type: &'static str,
    name: String,
    #[schema(value_type = hemaflow_domain::Role)]
    role: String,
}

/// Issues an API token with a role (and hospital for a hospital-user token); the secret is in
/// this answer only. Admin only, signed in with `POST /api/session` (a token cannot be admin).
#[utoipa::path(
    post,
    path = "/tokens",
    operation_id = "issue_token",
    tag = "admin",
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    request_body = NewToken,
    responses(
        (status = 201, description = "Issued: the secret, shown once", body = TokenAnswer),
        crate::problem::CommandProblems,
    )
)]
pub async fn api_issue(
    caller: Caller,
    State(app): State<App>,
    body: Result<Json<NewToken>, JsonRejection>,
) -> Result<Response, Problem> {
    caller.require(access::ADMIN)?;
    let request = json_body(body)?;
    let issued = issue(&app, &caller, &request).await?;
    let answer = Json(TokenAnswer {
        token_id: issued.token_id,
        token: issued.secret,
        token_type: "Bearer",
        name: request.name.trim().to_owned(),
        role: request.role,
    });
    Ok(no_store((StatusCode::CREATED, answer).into_response()))
}

/// The API tokens of machine clients.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Tokens<'a> {
    tokens: Vec<ApiTokenView<'a>>,
}

/// API tokens of machine clients, never a secret or a digest (admin).
#[utoipa::path(
    get,
    path = "/tokens",
    operation_id = "list_tokens",
    tag = "admin",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "Every token", body = Tokens), crate::problem::ReadProblems)
)]
pub async fn api_list(caller: Caller, State(app): State<App>) -> Result<Response, Problem> {
    caller.require(access::ADMIN)?;
    let answer = app
        .ledger
        .read(|state| {
            let tokens = state.api_tokens.values().map(|t| t.view()).collect();
            Json(Tokens { tokens }).into_response()
        })
        .await?;
    Ok(answer)
}

/// A token revoked.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct TokenRevoked {
    token_id: String,
    /// Always true.
    revoked: bool,
}

/// Revokes an API token: it is refused (401) from then on (admin).
#[utoipa::path(
    post,
    path = "/tokens/{token_id}/revoke",
    operation_id = "revoke_token",
    tag = "admin",
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    params(("token_id" = String, Path, description = "the token's ID")),
    request_body = Revocation,
    responses((status = 200, description = "Revoked", body = TokenRevoked), crate::problem::CommandProblems)
)]
pub async fn api_revoke(
    caller: Caller,
    State(app): State<App>,
    Path(token_id): Path<String>,
    body: Result<Json<Revocation>, JsonRejection>,
) -> Result<Response, Problem> {
    caller.require(access::ADMIN)?;
    let request = json_body(body)?;
    revoke(&app, &caller, &token_id, &request.reason).await?;
    Ok(Json(TokenRevoked {
        token_id,
        revoked: true,
    })
    .into_response())
}
