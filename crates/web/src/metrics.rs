//! `GET /metrics`: the server's figures in the Prometheus text format, for the centre's
//! monitoring: requests by route and status and their latency, commands by type and outcome,
//! refusals by rule, and the ledger's position. Each server keeps its own registry
//! (`prometheus-client`, the Prometheus project's Rust client), so that two servers in one
//! process (the tests) count apart. Routes are the router's path templates
//! (`/units/{din}`), never a request's own path, so that the label values stay few; no label
//! holds a DIN, a donor or a user.

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::App;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CommandLabels {
    r#type: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RuleLabels {
    rule: String,
}

/// A route's latency buckets: 0.5 ms doubling to about 16 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    commands: Family<CommandLabels, Counter>,
    refusals: Family<RuleLabels, Counter>,
    ledger_sequence: Gauge,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("hemaflow");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route",
            latency.clone(),
        );
        let commands = Family::<CommandLabels, Counter>::default();
        registry.register(
            "commands",
            "Commands given through the server, by type and outcome (accepted, refused, error)",
            commands.clone(),
        );
        let refusals = Family::<RuleLabels, Counter>::default();
        registry.register(
            "refusals",
            "Commands refused and recorded, by the rule that refused them",
            refusals.clone(),
        );
        let ledger_sequence = Gauge::default();
        registry.register(
            "ledger_sequence",
            "The sequence number of the ledger's last entry",
            ledger_sequence.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            commands,
            refusals,
            ledger_sequence,
        }
    }

    fn request(&self, method: &str, route: &str, status: StatusCode, elapsed: Duration) {
        let route = RouteLabels {
            method: method.to_owned(),
            route: route.to_owned(),
        };
        self.latency
            .get_or_create(&route)
            .observe(elapsed.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                method: route.method,
                route: route.route,
                status: status.as_u16(),
            })
            .inc();
    }

    /// One command given: its `type` and how it ended.
    pub fn command(&self, kind: &str, outcome: &str) {
        self.commands
            .get_or_create(&CommandLabels {
                r#type: kind.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// One refusal recorded, by its rule ID.
    pub fn refusal(&self, rule: &str) {
        self.refusals
            .get_or_create(&RuleLabels {
                rule: rule.to_owned(),
            })
            .inc();
    }

    /// The text exposition, with the ledger at `sequence`.
    fn render(&self, sequence: i64) -> Result<String, std::fmt::Error> {
        self.ledger_sequence.set(sequence);
        let mut text = String::new();
        encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// The `type` of a command as its JSON carries it (`issue_unit`), for the command counts.
pub fn command_type(command: &hemaflow_domain::Command) -> String {
    serde_json::to_value(command)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str().map(str::to_owned)))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The middleware that times and counts every routed request.
pub async fn track(State(app): State<App>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let response = next.run(request).await;
    app.metrics
        .request(&method, &route, response.status(), started.elapsed());
    response
}

/// `GET /metrics`: Prometheus text exposition (public, as scrapers call it).
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "operations",
    security(()),
    responses(
        (status = 200, description = "Prometheus text format 0.0.4", content_type = "text/plain; version=0.0.4", body = String),
        (status = 503, description = "The ledger cannot be read", content_type = "text/plain", body = String),
    )
)]
pub async fn get(State(app): State<App>) -> Response {
    use hemaflow_service::ledger::Store;
    let sequence = match app.ledger.store().head().await {
        Ok(head) => head.sequence,
        Err(reason) => {
            return (StatusCode::SERVICE_UNAVAILABLE, reason.to_string()).into_response();
        }
    };
    match app.metrics.render(sequence) {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
