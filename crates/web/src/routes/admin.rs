//! The admin page: accounts (create with a role, set a password, disable) and API tokens
//! (issue, revoke) as commands on the ledger, and the latest sign-in attempts from the ledger.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Html;
use axum::response::{IntoResponse, Redirect, Response};
use hemaflow_domain::access::credentials::SignInOutcome;
use hemaflow_domain::{AccessCommand, ClientCommand, ServerCommand};
use hemaflow_domain::{Command, Role};
use serde::Deserialize;

use super::{command_id, execute, is_htmx, parse_role};
use crate::App;
use crate::access;
use crate::accounts::{AccountError, create_account};
use crate::auth::{Caller, password};
use crate::problem::Problem;
use crate::routes::units::time_text;
use crate::views::Page;

pub struct AccountLine {
    pub id: String,
    pub name: String,
    pub role: &'static str,
    pub hospital: String,
    pub enabled: bool,
}

pub struct TokenLine {
    pub id: String,
    pub name: String,
    pub role: &'static str,
    pub hospital: String,
    pub issued: String,
    /// "active", or who revoked it, when and why.
    pub state: String,
    pub active: bool,
}

pub struct AttemptLine {
    pub at: String,
    pub user_id: String,
    pub channel: String,
    pub outcome: &'static str,
}

/// What the admin page reads from the records, in one read.
struct Records {
    accounts: Vec<AccountLine>,
    tokens: Vec<TokenLine>,
    attempts: Vec<AttemptLine>,
    hospitals: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    page: Page,
    accounts: Vec<AccountLine>,
    tokens: Vec<TokenLine>,
    attempts: Vec<AttemptLine>,
    roles: Vec<(String, &'static str)>,
    /// The hospitals on record (ID, name): the only ones a hospital user or token is bound to.
    hospitals: Vec<(String, String)>,
    /// A token just issued: its ID and the secret, shown this once.
    issued: Option<(String, String)>,
}

pub fn role_key(role: Role) -> String {
    serde_json::to_value(role)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn outcome_text(outcome: SignInOutcome) -> &'static str {
    match outcome {
        SignInOutcome::Succeeded => "signed in",
        SignInOutcome::Failed => "wrong user ID or password",
        SignInOutcome::Locked => "locked out",
    }
}

fn read_records(state: &hemaflow_domain::State) -> Records {
    let accounts = state
        .users
        .values()
        .map(|u| AccountLine {
            id: u.id.clone(),
            name: u.name.clone(),
            role: u.role.as_str(),
            hospital: u.hospital.clone().unwrap_or_default(),
            enabled: u.enabled,
        })
        .collect();
    let tokens = state
        .api_tokens
        .values()
        .map(|t| TokenLine {
            id: t.id.clone(),
            name: t.name.clone(),
            role: t.role.as_str(),
            hospital: t.hospital.clone().unwrap_or_default(),
            issued: format!("{} by {}", time_text(t.issued_at), t.issued_by),
            state: t.revoked.as_ref().map_or_else(
                || "active".to_owned(),
                |r| format!("revoked {} by {}: {}", time_text(r.at), r.by, r.reason),
            ),
            active: t.is_active(),
        })
        .collect();
    let attempts = state
        .recent_sign_ins
        .iter()
        .rev()
        .take(100)
        .map(|a| AttemptLine {
            at: time_text(a.at),
            user_id: a.user_id.clone(),
            channel: a.channel.clone(),
            outcome: outcome_text(a.outcome),
        })
        .collect();
    let hospitals = state
        .hospitals
        .values()
        .map(|h| (h.id.clone(), h.name.clone()))
        .collect();
    Records {
        accounts,
        tokens,
        attempts,
        hospitals,
    }
}

/// The admin page; `issued` shows a token's secret once, right after it was issued.
pub async fn render(
    caller: &Caller,
    app: &App,
    issued: Option<(String, String)>,
) -> Result<Response, Problem> {
    let records = app.ledger.read(read_records).await?;
    let page = AdminPage {
        page: Page::of(caller, "/admin/users"),
        accounts: records.accounts,
        tokens: records.tokens,
        attempts: records.attempts,
        roles: Role::ALL
            .iter()
            .map(|r| (role_key(*r), r.as_str()))
            .collect(),
        hospitals: records.hospitals,
        issued,
    };
    Ok(Html(page.render()?).into_response())
}

pub async fn page(caller: Caller, State(app): State<App>) -> Result<Response, Problem> {
    caller.require(access::ADMIN)?;
    render(&caller, &app, None).await
}

#[derive(Deserialize)]
pub struct NewAccount {
    user_id: String,
    name: String,
    role: String,
    #[serde(default)]
    hospital: String,
    password: String,
}

fn account_problem(error: AccountError) -> Problem {
    match error {
        AccountError::Refused { rule, message } => Problem::refused(&rule, message),
        AccountError::Password(error) => Problem::input(error.to_string()),
        AccountError::Ledger(error) => Problem::internal(error),
    }
}

/// `POST /admin/users`: the account is created with its initial password; from htmx the
/// answer (or the refusal) is shown under the form, otherwise the page is shown again.
pub async fn create(
    caller: Caller,
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<NewAccount>,
) -> Result<Response, Problem> {
    caller.require(access::ADMIN)?;
    let role = parse_role(&form.role)?;
    // Check the password before anything is recorded: nothing half-saved.
    if form.password.chars().count() < password::MINIMUM_LENGTH {
        return Err(Problem::input(
            password::PasswordError::TooShort.to_string(),
        ));
    }
    let hospital = Some(form.hospital.trim()).filter(|h| !h.is_empty());
    create_account(
        &app.ledger,
        &caller.context(),
        form.user_id.trim(),
        &form.name,
        role,
        hospital,
        &form.password,
    )
    .await
    .map_err(account_problem)?;
    if !is_htmx(&headers) {
        return Ok(Redirect::to("/admin/users").into_response());
    }
    let created = AccountCreated {
        user_id: form.user_id.trim().to_owned(),
    };
    Ok(Html(created.render()?).into_response())
}

#[derive(Template)]
#[template(
    source = "<p class=\"accepted\" role=\"status\">Account {{ user_id }} created. <a href=\"/admin/users\">Show it in the list</a></p>",
    ext = "html"
)]
struct AccountCreated {
    user_id: String,
}

#[derive(Deserialize)]
pub struct Disable {
    reason: String,
}

pub async fn disable(
    caller: Caller,
    State(app): State<App>,
    Path(user_id): Path<String>,
    Form(form): Form<Disable>,
) -> Result<Response, Problem> {
    caller.require(access::ADMIN)?;
    let command = Command::Client(ClientCommand::Access(AccessCommand::DisableUser {
        user_id: user_id.clone(),
        reason: form.reason,
    }));
    change_account(&app, &caller, &user_id, &command).await
}

/// Gives an admin's change of an account, then signs its user out everywhere (a disabled
/// account, or a password an admin set, ends every session of it).
async fn change_account(
    app: &App,
    caller: &Caller,
    user_id: &str,
    command: &Command,
) -> Result<Response, Problem> {
    execute(app, caller, &command_id(None)?, command).await?;
    app.sessions
        .close_all_of(user_id)
        .await
        .map_err(Problem::internal)?;
    Ok(Redirect::to("/admin/users").into_response())
}

#[derive(Deserialize)]
pub struct NewPassword {
    password: String,
}

pub async fn set_password(
    caller: Caller,
    State(app): State<App>,
    Path(user_id): Path<String>,
    Form(form): Form<NewPassword>,
) -> Result<Response, Problem> {
    caller.require(access::ADMIN)?;
    let plain = form.password;
    let hash = tokio::task::spawn_blocking(move || password::hash(&plain))
        .await
        .map_err(Problem::internal)?
        .map_err(|e| Problem::input(e.to_string()))?;
    let command = Command::Server(ServerCommand::SetPassword {
        user_id: user_id.clone(),
        password_hash: hash,
    });
    change_account(&app, &caller, &user_id, &command).await
}
