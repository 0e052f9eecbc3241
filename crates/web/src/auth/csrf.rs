//! CSRF protection of every state-changing request that a browser could send on its own
//! (cookies are ambient credentials): the request must carry the session's CSRF token, in the
//! `csrf` form field or the `x-csrf-token` header (htmx sends it from the page's
//! `hx-headers`). The sign-in form has no session yet: it carries a token that must equal its
//! own cookie (double submit). A bearer-token request carries no ambient credential and needs
//! none. Checked here, once, before any handler runs.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hemaflow_domain::Rule;

use crate::App;
use crate::auth::caller::{bearer, cookie};
use crate::auth::{session, token};
use crate::problem::Problem;

/// The cookie of the sign-in form's token.
pub const LOGIN_COOKIE: &str = "hemaflow_login_csrf";
pub const HEADER: &str = "x-csrf-token";
/// The largest form body read (label scans, a CSV of results).
pub const BODY_LIMIT_BYTES: usize = 2 * 1024 * 1024;

pub async fn guard(State(app): State<App>, request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let session_cookie = cookie(&parts, session::COOKIE);
    if bearer(&parts).is_some() && session_cookie.is_none() {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let expected = if parts.uri.path() == "/login" {
        cookie(&parts, LOGIN_COOKIE).map(str::to_owned)
    } else if let Some(session_token) = session_cookie {
        let now = app.now().unix_timestamp();
        match app.sessions.touch(session_token, now).await {
            Ok(session) => session.map(|s| s.csrf),
            Err(error) => return Problem::internal(error).into_response(),
        }
    } else {
        // No credential at all: the handler refuses (401 or the sign-in page), or it is the
        // API's sign-in, which takes the password in its body.
        return next.run(Request::from_parts(parts, body)).await;
    };
    let Ok(bytes) = to_bytes(body, BODY_LIMIT_BYTES).await else {
        return Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "INPUT",
            "Request too large",
            "the request body is larger than 2 MiB",
        )
        .into_response();
    };
    let provided = parts
        .headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| form_field(&parts, &bytes, "csrf"));
    let valid = matches!((&expected, &provided), (Some(e), Some(p)) if token::same(e, p));
    if !valid {
        tracing::warn!(path = %parts.uri.path(), "CSRF token missing or wrong");
        return Problem::new(
            StatusCode::FORBIDDEN,
            Rule::P11Access.as_str(),
            "Form expired or forged",
            "the form's security token is missing or does not match your session; reload the page and try again",
        )
        .into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn form_field(parts: &axum::http::request::Parts, body: &[u8], name: &str) -> Option<String> {
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return None;
    }
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}
