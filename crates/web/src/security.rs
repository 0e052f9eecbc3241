//! Web security that is not a rule of the domain: the headers every answer carries, the limits
//! on sign-in attempts (per address and per account), the bound on concurrent password hashing,
//! and the bound on request bodies (size and the time to send them).
//!
//! A request refused here never reaches the ledger: it was not an attempt to authenticate (no
//! password was checked) but traffic, logged and counted instead, so that 200 anonymous
//! attempts a second cannot become 200 ledger entries a second.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use hemaflow_domain::Rule;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::App;
use crate::problem::Problem;

/// What a page may load: only Hemaflow's own scripts, styles and images (no inline script or
/// style, no plugin), never inside another site's frame, forms only back to Hemaflow.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// A bench needs no camera (scanners type like a keyboard), microphone, location or payment.
pub const PERMISSIONS_POLICY: &str =
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()";

/// HSTS for a year when the server sits behind TLS (it sends `Secure` cookies).
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000; includeSubDomains";

/// The limits of one server process, set when it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Sign-in attempts (pages, API and signatures' password checks) per client address per
    /// minute, also the burst allowed at once.
    pub sign_ins_per_address_per_minute: NonZeroU32,
    /// Sign-in attempts per user ID per minute (known or not, so a guess learns nothing).
    pub sign_ins_per_account_per_minute: NonZeroU32,
    /// Password hashes computed at once; Argon2id takes 19 MiB each, so 64 concurrent failed
    /// sign-ins would otherwise take over a gigabyte.
    pub concurrent_hashes: usize,
    /// How long a sign-in waits for a hashing slot before it is told the server is busy.
    pub hash_wait: Duration,
    /// The largest request body accepted, in bytes.
    pub body_bytes: usize,
    /// The time a client has to send the body of its request once its headers are in.
    pub body_seconds: Duration,
    /// The time a connection has to send a request's headers, and may stay idle between
    /// requests: a client that opens connections and sends nothing, or half a request, is
    /// cut off after this instead of holding the connection (and its memory) open.
    pub header_seconds: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            sign_ins_per_address_per_minute: NonZeroU32::new(30).unwrap_or(NonZeroU32::MIN),
            sign_ins_per_account_per_minute: NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN),
            concurrent_hashes: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
                .clamp(2, 8),
            hash_wait: Duration::from_secs(10),
            body_bytes: 2 * 1024 * 1024,
            body_seconds: Duration::from_secs(30),
            header_seconds: Duration::from_secs(10),
        }
    }
}

/// The state behind the limits: one rate limiter per key kind and the hashing slots.
pub struct Guards {
    pub limits: Limits,
    by_address: DefaultKeyedRateLimiter<IpAddr>,
    by_account: DefaultKeyedRateLimiter<String>,
    hashing: Semaphore,
}

/// Why a sign-in was not tried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Throttled {
    #[error("too many sign-in attempts from this address; try again in {0} s")]
    Address(u64),
    #[error("too many sign-in attempts for this user ID; try again in {0} s")]
    Account(u64),
    #[error("the server is busy checking other sign-ins; try again in a few seconds")]
    Busy,
}

impl Throttled {
    pub fn retry_after(&self) -> u64 {
        match self {
            Throttled::Address(s) | Throttled::Account(s) => *s,
            Throttled::Busy => 5,
        }
    }
}

impl From<Throttled> for Problem {
    fn from(throttled: Throttled) -> Problem {
        let status = match throttled {
            Throttled::Busy => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::TOO_MANY_REQUESTS,
        };
        Problem::new(
            status,
            Rule::WebRate.as_str(),
            "Too many attempts",
            throttled.to_string(),
        )
        .with_retry_after(throttled.retry_after())
    }
}

/// The keyed limiters forget a key once its quota is whole again; a sweep runs when this many
/// keys are held, so that memory stays bounded by recent clients, not by every address seen.
const KEYS_BEFORE_SWEEP: usize = 4096;

impl Guards {
    pub fn new(limits: Limits) -> Guards {
        Guards {
            limits,
            by_address: RateLimiter::keyed(Quota::per_minute(
                limits.sign_ins_per_address_per_minute,
            )),
            by_account: RateLimiter::keyed(Quota::per_minute(
                limits.sign_ins_per_account_per_minute,
            )),
            hashing: Semaphore::new(limits.concurrent_hashes.max(1)),
        }
    }

    /// Counts a sign-in attempt from `address`; refused when over its quota.
    pub fn sign_in_from(&self, address: IpAddr) -> Result<(), Throttled> {
        if self.by_address.len() > KEYS_BEFORE_SWEEP {
            self.by_address.retain_recent();
        }
        self.by_address
            .check_key(&address)
            .map_err(|not_until| Throttled::Address(seconds_until(&not_until)))
    }

    /// Counts a sign-in attempt for `user_id`; refused when over its quota.
    pub fn sign_in_as(&self, user_id: &str) -> Result<(), Throttled> {
        if self.by_account.len() > KEYS_BEFORE_SWEEP {
            self.by_account.retain_recent();
        }
        self.by_account
            .check_key(&user_id.to_owned())
            .map_err(|not_until| Throttled::Account(seconds_until(&not_until)))
    }

    /// A slot for one password hash, waited for at most `hash_wait`.
    pub async fn hashing_slot(&self) -> Result<SemaphorePermit<'_>, Throttled> {
        match tokio::time::timeout(self.limits.hash_wait, self.hashing.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(Throttled::Busy),
        }
    }
}

fn seconds_until(not_until: &governor::NotUntil<governor::clock::QuantaInstant>) -> u64 {
    not_until
        .wait_time_from(DefaultClock::default().now())
        .as_secs()
        .max(1)
}

/// The routes that take a user ID and password to open a session.
pub const SIGN_IN_ROUTES: [&str; 2] = ["/login", "/api/session"];

/// Middleware on every route: a sign-in (`POST` to one of [`SIGN_IN_ROUTES`]) is counted
/// against its address's quota before its form or body is read. A signature's password check
/// is counted against its account's quota only (its signer is signed in already).
pub async fn limit_sign_ins(State(app): State<App>, request: Request, next: Next) -> Response {
    let sign_in = request.method() == axum::http::Method::POST
        && SIGN_IN_ROUTES.contains(&request.uri().path());
    if sign_in
        && let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>()
        && let Err(throttled) = app.guards.sign_in_from(peer.ip())
    {
        tracing::warn!(address = %peer.ip(), "sign-in attempts over the address's quota");
        return Problem::from(throttled).into_response();
    }
    next.run(request).await
}

/// Middleware on every route: reads the body in full within the time and size allowed, so that
/// a handler never waits on a slow client and an oversized body is refused before any of it is
/// parsed: 413 for too large, 408 for too slow.
pub async fn bound_body(State(app): State<App>, request: Request, next: Next) -> Response {
    let limits = app.guards.limits;
    if declared_length(request.headers()).is_some_and(|length| length > limits.body_bytes) {
        return too_large(limits.body_bytes);
    }
    let (parts, body) = request.into_parts();
    let read = axum::body::to_bytes(body, limits.body_bytes);
    let bytes = match tokio::time::timeout(limits.body_seconds, read).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => return too_large(limits.body_bytes),
        Err(_) => {
            return Problem::new(
                StatusCode::REQUEST_TIMEOUT,
                Rule::WebTime.as_str(),
                "Request too slow",
                format!(
                    "the request's body did not arrive within {} s",
                    limits.body_seconds.as_secs()
                ),
            )
            .into_response();
        }
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn declared_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

fn too_large(limit: usize) -> Response {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        Rule::WebSize.as_str(),
        "Request too large",
        format!("the request's body is larger than the {limit} bytes accepted"),
    )
    .into_response()
}

/// Middleware on every route: the security headers, and `Cache-Control: no-store` on every
/// answer that does not set its own caching (only the versioned static files do), since pages
/// and API answers carry donor and patient data.
pub async fn headers(State(app): State<App>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let fixed = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::HeaderName::from_static("permissions-policy"),
            PERMISSIONS_POLICY,
        ),
        (
            header::HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if app.secure_cookies {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        );
    }
    response
}

/// The longest identifier a client may choose (an order, a sample, a user ID...), in bytes.
pub const ID_BYTES: usize = 100;
/// The longest free text a client may give (a reason, a note, a name), in bytes.
pub const TEXT_BYTES: usize = 4000;

/// WEB-SIZE: every string of a command within its kind's length, checked before the command
/// reaches the ledger, so that an order ID of a megabyte is refused as input (400, naming the
/// field) and never recorded, not even in a refusal. A field is an identifier when its name
/// is `id`, `din`, or ends in `_id`, `_ids` or `_din` (strings in a list count as the list's
/// field).
pub fn check_lengths(command: &hemaflow_domain::Command) -> Result<(), Problem> {
    let Ok(value) = serde_json::to_value(command) else {
        return Ok(()); // the ledger reports a command it cannot write
    };
    match too_long(&value, "command") {
        None => Ok(()),
        Some((field, limit, length)) => Err(Problem::new(
            StatusCode::BAD_REQUEST,
            Rule::WebSize.as_str(),
            "Input too long",
            format!("{field} is {length} bytes long; at most {limit} are accepted"),
        )),
    }
}

fn is_identifier(field: &str) -> bool {
    let name = field.rsplit('.').next().unwrap_or(field);
    let name = name.split('[').next().unwrap_or(name);
    matches!(name, "id" | "din")
        || name.ends_with("_id")
        || name.ends_with("_ids")
        || name.ends_with("_din")
}

/// The first string under `value` longer than its field allows: (field, limit, length).
fn too_long(value: &serde_json::Value, field: &str) -> Option<(String, usize, usize)> {
    match value {
        serde_json::Value::String(text) => {
            let limit = if is_identifier(field) {
                ID_BYTES
            } else {
                TEXT_BYTES
            };
            (text.len() > limit).then(|| (field.to_owned(), limit, text.len()))
        }
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(n, item)| too_long(item, &format!("{field}[{n}]"))),
        serde_json::Value::Object(members) => members
            .iter()
            .find_map(|(key, item)| too_long(item, &format!("{field}.{key}"))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_size_an_identifier_and_a_text_each_have_their_limit() {
        let long_id = serde_json::json!({"order_id": "O".repeat(ID_BYTES + 1)});
        assert_eq!(
            too_long(&long_id, "command"),
            Some(("command.order_id".to_owned(), ID_BYTES, ID_BYTES + 1))
        );
        let fine_text = serde_json::json!({"reason": "r".repeat(ID_BYTES + 1)});
        assert_eq!(too_long(&fine_text, "command"), None);
        let long_in_list = serde_json::json!({"unit_ids": ["ok", "U".repeat(ID_BYTES + 1)]});
        assert_eq!(
            too_long(&long_in_list, "command").map(|(f, _, _)| f),
            Some("command.unit_ids[1]".to_owned())
        );
        let long_text = serde_json::json!({"note": {"text": "t".repeat(TEXT_BYTES + 1)}});
        assert_eq!(
            too_long(&long_text, "command").map(|(_, limit, _)| limit),
            Some(TEXT_BYTES)
        );
    }
}
