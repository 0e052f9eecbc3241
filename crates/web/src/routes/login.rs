//! Sign in and out. The session cookie is HttpOnly, SameSite=Strict, and Secure unless the
//! server listens on loopback; the server keeps only the SHA-256 of its token.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::App;
use crate::access;
use crate::accounts::{SignInError, authenticate};
use crate::auth::caller::cookie_from_headers;
use crate::auth::{csrf, session, token};
use crate::problem::Problem;
use crate::views::Page;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    page: Page,
    error: Option<String>,
    username: String,
}

fn cookie_attributes(app: &App, path: &str) -> String {
    let secure = if app.secure_cookies { "; Secure" } else { "" };
    format!("HttpOnly; SameSite=Strict; Path={path}{secure}")
}

fn login_page(app: &App, status: StatusCode, error: Option<String>, username: String) -> Response {
    let form_token = token::generate();
    let page = LoginPage {
        page: Page::anonymous(&form_token),
        error,
        username,
    };
    match page.render() {
        Ok(html) => {
            let set = format!(
                "{}={form_token}; {}",
                csrf::LOGIN_COOKIE,
                cookie_attributes(app, "/login")
            );
            (status, [(header::SET_COOKIE, set)], Html(html)).into_response()
        }
        Err(error) => Problem::from(error).into_response(),
    }
}

pub async fn get(State(app): State<App>) -> Response {
    login_page(&app, StatusCode::OK, None, String::new())
}

#[derive(Deserialize)]
pub struct SignIn {
    username: String,
    password: String,
}

pub async fn post(State(app): State<App>, Form(form): Form<SignIn>) -> Response {
    let user_id = form.username.trim().to_lowercase();
    match authenticate(&app, &user_id, &form.password, "sign-in").await {
        Ok(user) => {
            let now = app.now().unix_timestamp();
            let session_token = match app.sessions.open(&user.id, now).await {
                Ok((session_token, _)) => session_token,
                Err(error) => return Problem::internal(error).into_response(),
            };
            tracing::info!(user_id = %user.id, "signed in");
            let set = format!(
                "{}={session_token}; {}",
                session::COOKIE,
                cookie_attributes(&app, "/")
            );
            (
                StatusCode::SEE_OTHER,
                [
                    (header::SET_COOKIE, set),
                    (header::LOCATION, access::home_of(user.role).to_owned()),
                ],
            )
                .into_response()
        }
        Err(SignInError::Ledger(cause)) => Problem::internal(cause).into_response(),
        Err(SignInError::Throttled(throttled)) => Problem::from(throttled).into_response(),
        Err(refused @ SignInError::Locked) => {
            login_page(&app, StatusCode::LOCKED, Some(refused.to_string()), user_id)
        }
        Err(refused) => login_page(
            &app,
            StatusCode::UNAUTHORIZED,
            Some(refused.to_string()),
            user_id,
        ),
    }
}

pub async fn logout(State(app): State<App>, headers: HeaderMap) -> Response {
    if let Some(session_token) = cookie_from_headers(&headers, session::COOKIE)
        && let Err(error) = app.sessions.close(session_token).await
    {
        return Problem::internal(error).into_response();
    }
    let clear = format!(
        "{}=; Max-Age=0; {}",
        session::COOKIE,
        cookie_attributes(&app, "/")
    );
    ([(header::SET_COOKIE, clear)], Redirect::to("/login")).into_response()
}
