//! The JSON shape of `hemaflow isbt128 parse`.

use hemaflow_isbt128 as isbt128;
use isbt128::{DataStructure, FieldValue, Form, ParseError, Scan};
use serde_json::{Map, Value, json};

/// The JSON line for one scan.
pub fn scan_result(input: &str, result: &Result<Scan, ParseError>) -> Value {
    match result {
        Ok(scan) => json!({
            "input": input,
            "ok": true,
            "form": form_name(scan.form),
            "structures": scan.structures().iter().map(structure).collect::<Vec<_>>(),
        }),
        Err(error) => json!({
            "input": input,
            "ok": false,
            "error": {"position": error.position, "message": error.to_string()},
        }),
    }
}

pub fn form_name(form: Form) -> &'static str {
    match form {
        Form::Single => "single",
        Form::Concatenated => "concatenated",
        Form::Compound => "compound",
        Form::KeyedDin => "keyed_din",
    }
}

/// One structure: number, name, data identifier, data content and fields.
pub fn structure(structure: &DataStructure) -> Value {
    let kind = structure.kind();
    let encoded = structure.encode();
    let content = structure.content();
    let identifier = &encoded[..encoded.len() - content.len()];
    json!({
        "number": kind.number(),
        "name": kind.name(),
        "identifier": identifier,
        "data": content,
        "fields": fields(structure.fields()),
    })
}

fn fields(fields: isbt128::Fields) -> Value {
    let map: Map<String, Value> = fields
        .into_iter()
        .map(|(name, value)| (name.to_owned(), field_value(value)))
        .collect();
    Value::Object(map)
}

fn field_value(value: FieldValue) -> Value {
    match value {
        FieldValue::Text(text) => Value::String(text),
        FieldValue::Integer(number) => Value::from(number),
        FieldValue::Bool(flag) => Value::Bool(flag),
        FieldValue::Null => Value::Null,
        FieldValue::List(items) => Value::Array(items.into_iter().map(fields).collect()),
    }
}
