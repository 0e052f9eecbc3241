//! `GET /api/openapi.json`: the JSON API described as OpenAPI 3.1, generated from the code.
//! Every API route is registered through `utoipa_axum::routes!` (see `api::router`), so the
//! router and the document come from the same `#[utoipa::path]` of each handler; request and
//! answer bodies are the types the handlers read and write (`ToSchema`, derived beside
//! `Serialize`, the domain's behind its feature `openapi`).
//!
//! Public by choice: it describes the API and holds no record, and a hospital's integrator
//! generates a client from it before they have a token.
//!
//! One step is applied to the generated document: each area's command and event enums become
//! one named schema per command (`PlaceOrderCommand`) and per event (`OrderPlacedEvent`),
//! and `ClientCommand` and `Event` unions of them with a discriminator on `type`, so that a
//! generated client has one class per command.

use std::sync::LazyLock;

use axum::Json;
use serde_json::{Map, Value, json};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::auth::{csrf, session};
use crate::problem::Problem;

/// The document's frame: what is not one route's (title, security schemes, the routes
/// outside `/api`).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Hemaflow API",
        description = "The JSON API of Hemaflow, a blood establishment computer system: the same commands and queries as the pages, for instruments and hospital systems. Errors are RFC 9457 problem details naming the rule that refused.",
    ),
    modifiers(&SecuritySchemes),
    security(("bearer" = []), ("session" = [])),
    components(schemas(Problem)),
    paths(super::health::get, super::health::ready, super::health::live, crate::metrics::get),
    tags(
        (name = "session", description = "Sign in and out"),
        (name = "commands", description = "Every change, as one domain command"),
        (name = "units", description = "Units, stock and release"),
        (name = "donors", description = "Donors"),
        (name = "supply", description = "Hospital orders, shipments and returns"),
        (name = "transfusion", description = "A hospital's transfusion service"),
        (name = "quality", description = "Lookback, recall, deadlines and retention"),
        (name = "admin", description = "API tokens and reports"),
        (name = "operations", description = "Health, metrics and this document"),
    )
)]
struct Frame;

/// The three ways to be signed in: a bearer token (machine clients), or a browser's session
/// cookie with the CSRF header on every change.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A session token from POST /api/session, or an API token (hfat_...) issued by an admin",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                session::COOKIE,
                "The session cookie a browser gets at sign-in on /login",
            ))),
        );
        components.add_security_scheme(
            "csrf",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                csrf::HEADER,
                "The session's CSRF token, required with the session cookie on every change",
            ))),
        );
    }
}

/// The areas' enums whose variants become schemas of their own, with the suffix they take.
const UNIONS: &[(&str, &[&str], &str)] = &[
    ("ClientCommand", AREA_COMMANDS, "Command"),
    ("Event", AREA_EVENTS, "Event"),
];

const AREA_COMMANDS: &[&str] = &[
    "AccessCommand",
    "DonorCentreCommand",
    "LabCommand",
    "ManufacturingCommand",
    "ReleaseCommand",
    "DistributionCommand",
    "TransfusionCommand",
    "LookbackCommand",
];

const AREA_EVENTS: &[&str] = &[
    "AccessEvent",
    "DonorCentreEvent",
    "LabEvent",
    "ManufacturingEvent",
    "ReleaseEvent",
    "DistributionEvent",
    "TransfusionEvent",
    "LookbackEvent",
];

/// The whole document, built once.
static DOCUMENT: LazyLock<Value> = LazyLock::new(build);

pub fn document() -> Value {
    DOCUMENT.clone()
}

fn build() -> Value {
    let (_, api) = super::api::router().split_for_parts();
    let openapi = Frame::openapi().nest("/api", api);
    let mut document = serde_json::to_value(openapi).unwrap_or_else(|error| {
        json!({"openapi": "3.1.0", "info": {"title": "Hemaflow API", "version": "", "description": format!("the document could not be built: {error}")}, "paths": {}})
    });
    document["info"]["version"] = json!(env!("CARGO_PKG_VERSION"));
    if let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (union, areas, suffix) in UNIONS {
            split_union(schemas, union, areas, suffix);
        }
    }
    if let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        distribute_flattened_unions(schemas);
    }
    open_tuples(&mut document);
    document
}

/// A struct that flattens a tagged enum (`#[serde(flatten)] matched: Match`) is generated as
/// `allOf` of the union and its own fields; client generators cannot take `allOf` of a
/// union, so it is written as the union of each variant with those fields, which says the same.
fn distribute_flattened_unions(schemas: &mut Map<String, Value>) {
    let unions: Map<String, Value> = schemas
        .iter()
        .filter(|(_, schema)| schema.get("oneOf").is_some())
        .map(|(name, schema)| (format!("#/components/schemas/{name}"), schema.clone()))
        .collect();
    for schema in schemas.values_mut() {
        let Some(parts) = schema.get("allOf").and_then(Value::as_array).cloned() else {
            continue;
        };
        let (union_refs, fields): (Vec<&Value>, Vec<&Value>) = parts.iter().partition(|part| {
            part.get("$ref")
                .is_some_and(|r| unions.contains_key(r.as_str().unwrap_or_default()))
        });
        let [union_ref] = union_refs.as_slice() else {
            continue;
        };
        let reference = union_ref["$ref"].as_str().unwrap_or_default();
        let variants = unions[reference]["oneOf"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let merged: Vec<Value> = variants
            .into_iter()
            .map(|variant| {
                fields
                    .iter()
                    .fold(variant, |acc, part| merge_object(acc, part))
            })
            .collect();
        let description = schema.get("description").cloned();
        *schema = json!({"oneOf": merged});
        if let Some(description) = description {
            schema["description"] = description;
        }
    }
}

/// `into` with the properties and required fields of `part` added.
fn merge_object(mut into: Value, part: &Value) -> Value {
    if let (Some(target), Some(properties)) = (
        into.get_mut("properties").and_then(Value::as_object_mut),
        part.get("properties").and_then(Value::as_object),
    ) {
        for (key, value) in properties {
            target.insert(key.clone(), value.clone());
        }
    }
    let mut required: Vec<Value> = into["required"].as_array().cloned().unwrap_or_default();
    required.extend(part["required"].as_array().cloned().unwrap_or_default());
    into["required"] = json!(required);
    into
}

/// A Rust tuple is generated as JSON Schema 2020-12 says it (`prefixItems` and `items: false`);
/// client generators do not read `items: false`, so each tuple also says what any of its
/// items may be and how many there are, which says the same.
fn open_tuples(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if let (Some(Value::Array(prefix)), Some(Value::Bool(false))) =
                (object.get("prefixItems"), object.get("items"))
            {
                let mut kinds: Vec<Value> = Vec::new();
                for item in prefix {
                    if !kinds.contains(item) {
                        kinds.push(item.clone());
                    }
                }
                let length = prefix.len();
                let items = match kinds.len() {
                    1 => kinds.remove(0),
                    _ => json!({"anyOf": kinds}),
                };
                object.insert("items".to_owned(), items);
                object.insert("minItems".to_owned(), json!(length));
                object.insert("maxItems".to_owned(), json!(length));
            }
            object.values_mut().for_each(open_tuples);
        }
        Value::Array(items) => items.iter_mut().for_each(open_tuples),
        _ => {}
    }
}

/// Makes each variant of the areas' enums a named schema, and `union` the one union of them
/// all, tagged by `type`; the areas' own unions are then removed (nothing refers to them).
fn split_union(schemas: &mut Map<String, Value>, union: &str, areas: &[&str], suffix: &str) {
    let mut refs = Vec::new();
    let mut mapping = Map::new();
    for area in areas {
        let Some(area_schema) = schemas.remove(*area) else {
            continue;
        };
        let variants = area_schema["oneOf"].as_array().cloned().unwrap_or_default();
        for mut variant in variants {
            let Some(tag) = variant
                .pointer("/properties/type/enum/0")
                .and_then(Value::as_str)
                .map(str::to_owned)
            else {
                continue;
            };
            let name = format!("{}{suffix}", pascal_case(&tag));
            let area_name = area.trim_end_matches(suffix);
            variant["title"] = json!(name);
            variant["x-hemaflow-area"] = json!(area_name);
            let reference = format!("#/components/schemas/{name}");
            refs.push(json!({"$ref": reference}));
            mapping.insert(tag, json!(reference));
            schemas.insert(name, variant);
        }
    }
    let description = schemas
        .get(union)
        .and_then(|s| s.get("description").cloned())
        .unwrap_or(Value::Null);
    schemas.insert(
        union.to_owned(),
        json!({
            "description": description,
            "oneOf": refs,
            "discriminator": {"propertyName": "type", "mapping": mapping},
        }),
    );
}

/// `place_order` -> `PlaceOrder`.
fn pascal_case(snake: &str) -> String {
    snake
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// This document (OpenAPI 3.1). Public: it holds no record.
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "openapi_document",
    tag = "operations",
    security(()),
    responses((status = 200, description = "This document (OpenAPI 3.1)", content_type = "application/json", body = Object))
)]
pub async fn get() -> Json<Value> {
    Json(document())
}
