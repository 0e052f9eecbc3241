//! `GET /api/openapi.json`: the API described by hand (OpenAPI 3.1), kept true by a test that
//! calls every path it lists.

use axum::Json;
use serde_json::{Value, json};

/// The API's paths and methods, as the router serves them (the test checks both ways).
pub const PATHS: &[(&str, &str)] = &[
    ("/api/session", "post"),
    ("/api/session", "delete"),
    ("/api/me", "get"),
    ("/api/commands", "post"),
    ("/api/patients", "get"),
    ("/api/deadlines", "get"),
    ("/api/lookbacks/{id}", "get"),
    ("/api/trace", "get"),
    ("/api/retention", "get"),
    ("/api/units/{din}", "get"),
    ("/api/release-queue", "get"),
    ("/api/donors", "get"),
    ("/api/inventory", "get"),
    ("/api/tokens", "get"),
    ("/api/tokens", "post"),
    ("/api/tokens/{token_id}/revoke", "post"),
    ("/api/reports/{report}", "get"),
    ("/api/orders", "get"),
    ("/api/orders/{order_id}", "get"),
    ("/api/orders/{order_id}/proposal", "get"),
    ("/api/shipments", "get"),
    ("/api/shipments/{shipment_id}", "get"),
    ("/api/returns", "get"),
    ("/api/hospital-inventory", "get"),
    ("/api/openapi.json", "get"),
];

fn operation(summary: &str, roles: &str) -> Value {
    json!({
        "summary": summary,
        "description": format!("Roles: {roles}."),
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {}}},
            "default": {"description": "Problem details (RFC 9457)", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        }
    })
}

fn with_parameters(mut operation: Value, parameters: Value) -> Value {
    operation["parameters"] = parameters;
    operation
}

/// A daily report: the path names it, `day` (YYYY-MM-DD, the site's local day) picks the day.
fn report_operation() -> Value {
    let mut operation = operation(
        "A daily report (collections, production, shipments, discards, fill rate per hospital): columns and rows",
        "manufacturing, quality assurance, distribution, admin",
    );
    operation["parameters"] = json!([
        {"name": "report", "in": "path", "required": true, "schema": {"type": "string", "enum": ["collections", "production", "shipments", "discards", "fill-rate"]}},
        {"name": "day", "in": "query", "required": false, "schema": {"type": "string", "format": "date"}, "description": "the site's local day; today when absent"}
    ]);
    operation
}

pub fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Hemaflow API", "version": env!("CARGO_PKG_VERSION")},
        "security": [{"bearer": []}],
        "paths": {
            "/api/session": {
                "post": {"summary": "Sign in: a bearer token for the account's role", "security": [],
                    "requestBody": {"content": {"application/json": {"schema": {"type": "object", "required": ["user_id", "password"], "properties": {"user_id": {"type": "string"}, "password": {"type": "string"}}}}}},
                    "responses": {"201": {"description": "token"}, "401": {"description": "wrong user ID or password"}, "423": {"description": "locked"}}},
                "delete": {"summary": "Sign out", "responses": {"204": {"description": "closed"}}}
            },
            "/api/me": {"get": operation("The signed-in account", "any")},
            "/api/commands": {"post": {
                "summary": "Give one domain command; release, discard and requalification need signature_password (P11-SIGN)",
                "requestBody": {"content": {"application/json": {"schema": {"type": "object", "required": ["command"], "properties": {
                    "command_id": {"type": "string", "description": "idempotency key: a retry gets the first answer"},
                    "command": {"type": "object", "description": "a Command, tagged by `type` in snake_case", "required": ["type"], "properties": {"type": {"type": "string", "enum": hemaflow_domain::ClientCommand::types().collect::<Vec<_>>()}}},
                    "signature_password": {"type": "string"},
                    "records_seen": {"type": "array", "description": "no lost updates: each record this change was made from, unchanged since ledger entry `seen` (the `ledger_sequence` of the read); otherwise 409 STALE, naming who changed it and when, and nothing is recorded",
                        "items": {"type": "object", "required": ["kind", "id", "seen"], "properties": {"kind": {"type": "string", "enum": ["component", "donation", "deferral", "hold", "donor"]}, "id": {"type": "string"}, "seen": {"type": "integer"}}}}}}}}},
                "responses": {"200": {"description": "accepted, with its events"}, "default": {"description": "refused: problem details with the rule", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}
            }},
            "/api/deadlines": {"get": operation("Every open clock of lookback, recall, deviations and fatalities, overdue first: due date, record, task, rule (LB-DEADLINES, BPD-45, FATAL-7, RECALL-TRACK) and what is due", "quality assurance")},
            "/api/lookbacks/{id}": {"get": with_parameters(operation("A lookback (LB-WINDOW, LB-DEADLINES): trigger, window, holds, notices with their clocks, supplemental outcome; and the tree of its donations, each unit and where it is now down to the recipient", "quality assurance"), json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}]))},
            "/api/trace": {"get": with_parameters(operation("The trace of a donor (every donation, newest first) or of one DIN: every unit made from each donation (divisions, pools, modifications) and where each is now: our stock, in transit, a hospital's stock, issued, transfused to a patient, wasted or discarded (REC-TRACE). Exactly one of donor and din", "quality assurance"), json!([{"name": "donor", "in": "query", "required": false, "schema": {"type": "string"}}, {"name": "din", "in": "query", "required": false, "schema": {"type": "string"}}]))},
            "/api/retention": {"get": operation("REC-RETAIN (21 CFR 606.160(d)): how many donations are on record, how many passed their retention date (10 years after processing or 6 months after the latest expiry, whichever is later) with the oldest listed, how many are kept with no end, and the next date due. Nothing is ever deleted", "quality assurance")},
            "/api/patients": {"get": with_parameters(operation("A patient of the caller's hospital by the scan of their wristband (ISBT 128 025, with 024): the record, ABO/RhD and whether confirmed, samples, units crossmatched or issued to them, and the units in stock that suit them on their newest ready sample; any other barcode is refused (TX-PATIENT)", "transfusion technologist, nurse (their own hospital's only)"), json!([{"name": "wristband", "in": "query", "required": true, "schema": {"type": "string"}}]))},
            "/api/units/{din}": {"get": operation("A donation and its units, with what blocks release", "any (hospital users: units shipped to their hospital)")},
            "/api/release-queue": {"get": operation("Quarantined units and what blocks each", "manufacturing, quality assurance")},
            "/api/donors": {"get": operation("Donors by name (and date of birth)", "collection staff, quality assurance")},
            "/api/inventory": {"get": operation("Stock by site, component, ABO/RhD and days to expiry", "manufacturing, quality assurance, distribution, admin")},
            "/api/tokens": {
                "get": operation("API tokens of machine clients (never a secret or digest)", "admin"),
                "post": {"summary": "Issue an API token with a role (and hospital for a hospital-user token); the secret is in this answer only",
                    "description": "Roles: admin (signed in with POST /api/session; a token cannot be admin). Send the secret as `Authorization: Bearer <token>`.",
                    "requestBody": {"content": {"application/json": {"schema": {"type": "object", "required": ["name", "role"], "properties": {"name": {"type": "string"}, "role": {"type": "string"}, "hospital": {"type": "string", "description": "the ID of a hospital on record (hospital_user tokens only); any other value is refused (P11-ACCESS, 403) with the IDs to choose from"}}}}}},
                    "responses": {"201": {"description": "token_id and token (the secret, shown once)"}, "default": {"description": "Problem details (RFC 9457)", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}}
            },
            "/api/tokens/{token_id}/revoke": {"post": {"summary": "Revoke an API token: it is refused (401) from then on", "description": "Roles: admin.",
                "requestBody": {"content": {"application/json": {"schema": {"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}}}}},
                "responses": {"200": {"description": "revoked"}, "default": {"description": "Problem details (RFC 9457)", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}}},
            "/api/reports/{report}": {"get": report_operation()},
            "/api/orders": {"get": operation("Orders: pending first by due time (ORDER-CLOCK), with status and at_risk; place one with the command place_order", "hospital user (its own hospital's only), distribution, quality assurance, admin")},
            "/api/orders/{order_id}": {"get": operation("An order with its status at every step, its lines' progress and its shipments, and the ledger_sequence it was read at (the seen of records_seen)", "hospital user (its own hospital's only), distribution, quality assurance, admin")},
            "/api/orders/{order_id}/proposal": {"get": with_parameters(operation("The units Hemaflow proposes for each line (ALLOC-FEFO, ALLOC-SUBST, substitutions shown, shortfall stated); confirm or change with the command allocate_order", "distribution"), json!([{"name": "site", "in": "query", "required": true, "schema": {"type": "string"}}]))},
            "/api/shipments": {"get": operation("Shipments, latest first, with status; pick_unit, ship_shipment and confirm_receipt are commands", "hospital user (its own hospital's only), distribution, quality assurance, admin")},
            "/api/shipments/{shipment_id}": {"get": operation("One shipment: units, dispatch (box, temperature range, courier), receipts, and the ledger_sequence it was read at (the seen of records_seen)", "hospital user (its own hospital's only), distribution, quality assurance, admin")},
            "/api/returns": {"get": operation("Returned units waiting for review, with the return criteria each fails (DIST-RETURN)", "quality assurance, distribution")},
            "/api/hospital-inventory": {"get": operation("The units at the caller's hospital (shipped there, not returned)", "hospital user")},
            "/api/openapi.json": {"get": operation("This document", "any")}
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "a session token from POST /api/session, or an API token (hfat_...) issued by an admin"}},
            "schemas": {"Problem": {"type": "object", "required": ["type", "title", "status", "detail", "rule"], "properties": {
                "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                "detail": {"type": "string"}, "rule": {"type": "string", "description": "the rule ID that refused"}}}}
        }
    })
}

pub async fn get() -> Json<Value> {
    Json(document())
}
