//! Errors as RFC 9457 problem details for the API (`application/problem+json` with `type`,
//! `title`, `status`, `detail` and the `rule` that refused), and as a page with the refusal
//! for the browser.

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use hemaflow_domain::Rule;
use serde::Serialize;

/// A refusal or an error, said for the person at the bench.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The rule ID of the rule book, or a local ID (INPUT, NOT-FOUND, INTERNAL).
    pub rule: String,
    /// Seconds after which the request may be tried again (`Retry-After`), when it was
    /// refused for its rate rather than its content.
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

/// The problems a read can answer with (`application/problem+json`).
#[derive(utoipa::IntoResponses)]
pub enum ReadProblems {
    /// Rule INPUT: a parameter is malformed; the detail says which and why.
    #[response(status = 400, content_type = "application/problem+json")]
    Input(Problem),
    /// Not signed in, or the session or token is closed, expired or revoked.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Problem),
    /// P11-ACCESS: the caller's role may not see this (or another hospital's record).
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// NOT-FOUND: nothing of that ID is on record (or visible to the caller).
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// A rule refused the read (a scan of the wrong kind, a site not on record).
    #[response(status = 422, content_type = "application/problem+json")]
    Refused(Problem),
    /// INTERNAL: not the caller's doing; the incident ID is in the detail and the log.
    #[response(status = 500, content_type = "application/problem+json")]
    Internal(Problem),
}

/// The problems a command can answer with; a refused command leaves only its refusal on the
/// ledger, and nothing else is recorded.
#[derive(utoipa::IntoResponses)]
pub enum CommandProblems {
    /// Rule INPUT: the body is not the JSON of a command (the detail names the field).
    #[response(status = 400, content_type = "application/problem+json")]
    Input(Problem),
    /// Not signed in, or the session or token is closed, expired or revoked.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Problem),
    /// P11-ACCESS (the role may not give it, or a browser's CSRF token is missing) or P11-SIGN
    /// (the signature was refused).
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// NOT-FOUND: a record the command names is not on record.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// STALE: a record of `records_seen` changed since it was read; nothing was recorded.
    #[response(status = 409, content_type = "application/problem+json")]
    Stale(Problem),
    /// Refused by a rule (its ID in `rule`), and the refusal recorded on the ledger.
    #[response(status = 422, content_type = "application/problem+json")]
    Refused(Problem),
    /// INTERNAL: not the caller's doing; the incident ID is in the detail and the log.
    #[response(status = 500, content_type = "application/problem+json")]
    Internal(Problem),
}

/// The problems of a sign-in.
#[derive(utoipa::IntoResponses)]
pub enum SignInProblems {
    /// Rule INPUT: the body is not a user ID and password.
    #[response(status = 400, content_type = "application/problem+json")]
    Input(Problem),
    /// P11-ACCESS: wrong user ID or password (the attempt is recorded, P11-AUDIT).
    #[response(status = 401, content_type = "application/problem+json")]
    Refused(Problem),
    /// P11-ACCESS: the account is locked after too many failed attempts.
    #[response(status = 423, content_type = "application/problem+json")]
    Locked(Problem),
    /// INTERNAL: not the caller's doing.
    #[response(status = 500, content_type = "application/problem+json")]
    Internal(Problem),
}

impl Problem {
    pub fn new(status: StatusCode, rule: &str, title: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("urn:hemaflow:rule:{rule}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            rule: rule.to_owned(),
            retry_after: None,
        }
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Problem {
        self.retry_after = Some(seconds);
        self
    }

    /// A refusal by a rule: 403 for access and signatures, 404 for what is not on record,
    /// 422 for every other rule. P11-ACCESS refuses both a role that may not act and an
    /// account or token bound to no hospital on record, so its title names neither: the
    /// detail says which.
    pub fn refused(rule: &str, message: impl Into<String>) -> Problem {
        let (status, title) = match rule.parse::<Rule>() {
            Ok(Rule::P11Access) => (StatusCode::FORBIDDEN, "Not allowed"),
            Ok(Rule::P11Sign) => (StatusCode::FORBIDDEN, "Signature refused"),
            Ok(Rule::NotFound) => (StatusCode::NOT_FOUND, "Not on record"),
            _ => (StatusCode::UNPROCESSABLE_ENTITY, "Refused by a rule"),
        };
        Problem::new(status, rule, title, message)
    }

    pub fn input(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "INPUT", "Invalid input", detail)
    }

    /// A measurement or reading the form did not carry: 422 naming the field; nothing is
    /// recorded, and nothing stands in for the missing value.
    pub fn missing(field: &str, what_to_do: &str) -> Problem {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INPUT",
            "Missing input",
            format!("{field} is missing: {what_to_do}"),
        )
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::NOT_FOUND,
            Rule::NotFound.as_str(),
            "Not on record",
            detail,
        )
    }

    /// Something failed that is not the caller's doing; the cause goes to the log only.
    pub fn internal(cause: impl std::fmt::Display) -> Problem {
        let incident = &crate::auth::token::generate()[..8];
        tracing::error!(incident, %cause, "internal error");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            Rule::Internal.as_str(),
            "Hemaflow could not do this",
            format!("nothing was recorded; tell your administrator incident {incident}"),
        )
    }

    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// A problem is answered as JSON; for a page or an htmx request [`render_for_browser`] turns
/// it into HTML, so that handlers return `Problem` whoever asked.
impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let mut response = (status, Json(&self)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        set_retry_after(&mut response, self.retry_after);
        response.extensions_mut().insert(self);
        response
    }
}

/// Middleware: outside `/api`, a problem becomes a page (or, for htmx, the refusal fragment
/// shown next to the field).
pub async fn render_for_browser(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let htmx = request.headers().contains_key("hx-request");
    let response = next.run(request).await;
    if api {
        return response;
    }
    let Some(problem) = response.extensions().get::<Problem>().cloned() else {
        return response;
    };
    let html = if htmx {
        crate::views::refusal_fragment(&problem)
    } else {
        crate::views::problem_page(&problem)
    };
    let mut page = (problem.status_code(), Html(html)).into_response();
    set_retry_after(&mut page, problem.retry_after);
    page
}

fn set_retry_after(response: &mut Response, seconds: Option<u64>) {
    if let Some(seconds) = seconds {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
}

impl From<hemaflow_service::ledger::LedgerError> for Problem {
    fn from(error: hemaflow_service::ledger::LedgerError) -> Problem {
        Problem::internal(error)
    }
}

impl From<askama::Error> for Problem {
    fn from(error: askama::Error) -> Problem {
        Problem::internal(error)
    }
}
