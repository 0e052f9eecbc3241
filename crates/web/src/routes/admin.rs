//! The admin page: accounts (create with a role, set a password, disable) as commands on the
//! ledger, and the sign-in failures seen since the server started.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Html;
use axum::response::{IntoResponse, Redirect, Response};
use hemaflow_domain::{Command, Role};
use serde::Deserialize;

use super::{command_id, execute};
use crate::App;
use crate::access;
use crate::accounts::{AccountError, SignInFailure, create_account};
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

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    page: Page,
    accounts: Vec<AccountLine>,
    failures: Vec<(String, SignInFailure)>,
    roles: Vec<(String, &'static str)>,
}

pub fn role_key(role: Role) -> String {
    serde_json::to_value(role)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub async fn page(caller: Caller, State(app): State<App>) -> Result<Response, Problem> {
    caller.require(access::ADMIN)?;
    let accounts = app
        .ledger
        .read(|records| {
            records
                .users
                .values()
                .map(|u| AccountLine {
                    id: u.id.clone(),
                    name: u.name.clone(),
                    role: u.role.as_str(),
                    hospital: u.hospital.clone().unwrap_or_default(),
                    enabled: u.enabled,
                })
                .collect()
        })
        .await?;
    let page = AdminPage {
        page: Page::of(&caller, "/admin/users"),
        accounts,
        failures: app
            .guard
            .failures()
            .into_iter()
            .map(|f| (time_text(f.at), f))
            .collect(),
        roles: Role::ALL
            .iter()
            .map(|r| (role_key(*r), r.as_str()))
            .collect(),
    };
    Ok(Html(page.render()?).into_response())
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

fn parse_role(key: &str) -> Result<Role, Problem> {
    serde_json::from_value(serde_json::Value::String(key.to_owned()))
        .map_err(|_| Problem::input(format!("{key:?} is not a role")))
}

fn account_problem(error: AccountError) -> Problem {
    match error {
        AccountError::Refused { rule, message } => Problem::refused(&rule, message),
        AccountError::Password(error) => Problem::input(error.to_string()),
        AccountError::Ledger(error) => Problem::internal(error),
    }
}

pub async fn create(
    caller: Caller,
    State(app): State<App>,
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
    Ok(Redirect::to("/admin/users").into_response())
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
    if form.reason.trim().is_empty() {
        return Err(Problem::input("say why the account is disabled"));
    }
    let command = Command::DisableUser {
        user_id: user_id.clone(),
        reason: form.reason,
    };
    execute(&app, &caller, &command_id(None)?, &command).await?;
    app.sessions.close_all_of(&user_id);
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
    let command = Command::SetPassword {
        user_id: user_id.clone(),
        password_hash: hash,
    };
    execute(&app, &caller, &command_id(None)?, &command).await?;
    app.sessions.close_all_of(&user_id);
    Ok(Redirect::to("/admin/users").into_response())
}
