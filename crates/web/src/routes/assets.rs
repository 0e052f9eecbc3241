//! The static files every page needs, embedded in the binary: benches often have no internet,
//! and one binary is one thing to validate.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

const HTMX: &[u8] = include_bytes!("../../static/vendor/htmx-2.0.11.min.js");
const STYLE: &[u8] = include_bytes!("../../static/hemaflow.css");
const SCAN: &[u8] = include_bytes!("../../static/scan.js");

/// A file's path under `/static/`, changed with its content so that a year-long cache is safe.
pub const HTMX_PATH: &str = "/static/htmx-2.0.11.min.js";
pub const STYLE_PATH: &str = "/static/hemaflow-6.css";
pub const SCAN_PATH: &str = "/static/scan-5.js";

fn file(content_type: &'static str, body: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        body,
    )
        .into_response()
}

pub async fn htmx() -> Response {
    file("text/javascript; charset=utf-8", HTMX)
}

pub async fn style() -> Response {
    file("text/css; charset=utf-8", STYLE)
}

pub async fn scan() -> Response {
    file("text/javascript; charset=utf-8", SCAN)
}
