//! The signed-in caller of a request: a session cookie (browsers) or a bearer token (machine
//! clients), resolved to an enabled account on the ledger at every request, so that disabling
//! an account takes effect at once.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use hemaflow_domain::Rule;
use hemaflow_domain::access::accounts::User;
use hemaflow_domain::{Context, Role, Stamp};
use time::OffsetDateTime;

use crate::App;
use crate::auth::{session, token};
use crate::problem::Problem;

/// A signed-in user and how they came.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user: User,
    /// The session's CSRF token (forms and htmx send it back).
    pub csrf: String,
    /// Whether the request came for the JSON API (errors as problem details).
    pub api: bool,
    /// The clock's reading when the request was read (what its pages show as "now").
    pub now: OffsetDateTime,
    /// The digest of the session's token (none for an API token, which never signs).
    pub session: Option<String>,
    /// Whether this session has signed before: its next signature needs the password only
    /// (P11-SIGN-SESSION).
    pub signed_before: bool,
}

impl Caller {
    /// P11-ACCESS: refuse a caller whose role may not open this bench.
    pub fn require(&self, roles: &[Role]) -> Result<(), Problem> {
        if roles.contains(&self.user.role) {
            return Ok(());
        }
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        Err(Problem::refused(
            Rule::P11Access.as_str(),
            format!(
                "{} may not open this; it needs: {}",
                self.user.role.as_str(),
                names.join(" or ")
            ),
        ))
    }

    /// The context of a command given now by this caller: stamped by the ledger's clock when
    /// it is decided (`now` here is only the reading of the request's start).
    pub fn context(&self) -> Context {
        Context {
            actor: self.user.id.clone(),
            role: self.user.role,
            now: self.now,
            stamp: Stamp::Clock,
        }
    }
}

/// The value of cookie `name` in a request's `Cookie` headers.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    cookie_from_headers(&parts.headers, name)
}

pub fn cookie_from_headers<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The bearer token of an `Authorization` header.
pub fn bearer(parts: &Parts) -> Option<&str> {
    bearer_from_headers(&parts.headers)
}

pub fn bearer_from_headers(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Not signed in: pages go to the sign-in page, the API answers 401.
pub struct SignInRequired {
    api: bool,
}

impl IntoResponse for SignInRequired {
    fn into_response(self) -> Response {
        if self.api {
            Problem::new(
                axum::http::StatusCode::UNAUTHORIZED,
                Rule::P11Access.as_str(),
                "Sign-in required",
                "send a bearer token from POST /api/session, or sign in",
            )
            .into_response()
        } else {
            Redirect::to("/login").into_response()
        }
    }
}

/// Whether the request is for a machine interface (the JSON API or FHIR), which answers 401
/// instead of the sign-in page. Inside a nested router the path has lost its prefix, so the
/// original URI decides.
pub fn is_api(parts: &Parts) -> bool {
    let path = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or(&parts.uri, |original| &original.0)
        .path();
    path.starts_with("/api/") || path.starts_with("/fhir/")
}

impl FromRequestParts<App> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Caller, Response> {
        let api = is_api(parts);
        if let Some(secret) = bearer(parts).filter(|b| b.starts_with(token::API_TOKEN_PREFIX)) {
            return token_caller(app, secret, api).await;
        }
        let refuse = || SignInRequired { api }.into_response();
        let token = bearer(parts)
            .or_else(|| cookie(parts, session::COOKIE))
            .ok_or_else(refuse)?;
        let now = app.now().unix_timestamp();
        let opened = app
            .sessions
            .touch(token, now)
            .await
            .map_err(|e| Problem::internal(e).into_response())?
            .ok_or_else(refuse)?;
        let user = app
            .ledger
            .read(|state| state.users.get(&opened.user_id).cloned())
            .await
            .map_err(|e| Problem::internal(e.to_string()).into_response())?
            .filter(|user| user.enabled);
        let Some(user) = user else {
            app.sessions
                .close_all_of(&opened.user_id)
                .await
                .map_err(|e| Problem::internal(e).into_response())?;
            return Err(refuse());
        };
        Ok(Caller {
            user,
            csrf: opened.csrf,
            api,
            now: app.now(),
            session: Some(opened.digest),
            signed_before: opened.signed_before,
        })
    }
}

/// The caller of an API token (P11-ACCESS): the token's role and hospital, acting as
/// `token:<id>`; it has no password, so it can never sign. A revoked or unknown token is
/// refused with 401, saying which.
async fn token_caller(app: &App, secret: &str, api: bool) -> Result<Caller, Response> {
    let digest = token::digest(secret);
    let found = app
        .ledger
        .read(|state| {
            state
                .api_tokens
                .values()
                .find(|t| token::same(&t.digest, &digest))
                .cloned()
        })
        .await
        .map_err(|e| Problem::internal(e).into_response())?;
    let unauthorized = |detail: String| {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            Rule::P11Access.as_str(),
            "API token refused",
            detail,
        )
        .into_response()
    };
    let Some(api_token) = found else {
        return Err(unauthorized(
            "this API token is not known; ask an admin for one".to_owned(),
        ));
    };
    if let Some(revoked) = &api_token.revoked {
        return Err(unauthorized(format!(
            "API token {} ({}) was revoked by {}: {}",
            api_token.id, api_token.name, revoked.by, revoked.reason
        )));
    }
    Ok(Caller {
        user: User {
            id: api_token.actor(),
            name: format!("API token {}", api_token.name),
            role: api_token.role,
            hospital: api_token.hospital.clone(),
            enabled: true,
            password_hash: None,
            created_at: api_token.issued_at,
            created_by: api_token.issued_by.clone(),
            password_set_at: None,
        },
        csrf: String::new(),
        api,
        now: app.now(),
        session: None,
        signed_before: false,
    })
}
