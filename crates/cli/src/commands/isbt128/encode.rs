//! `hemaflow isbt128 encode`: the reverse of `parse`, from the same JSON.

use std::io::{self, BufRead, Write};

use anyhow::Context;
use hemaflow_isbt128 as isbt128;
use isbt128::{DataStructure, Kind};
use serde_json::Value;

use crate::Exit;

pub fn run(arguments: Vec<String>) -> anyhow::Result<Exit> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut exit = Exit::Success;
    let lines: Box<dyn Iterator<Item = io::Result<String>>> = if arguments.is_empty() {
        Box::new(io::stdin().lock().lines())
    } else {
        Box::new(arguments.into_iter().map(Ok))
    };
    for (index, line) in lines.enumerate() {
        let line = line.context("could not read standard input")?;
        match encode_json(&line) {
            Ok(scan) => writeln!(out, "{scan}").context("could not write to standard output")?,
            Err(reason) => {
                eprintln!("hemaflow: input {}: {reason}", index + 1);
                exit = Exit::InvalidInput;
            }
        }
    }
    out.flush().context("could not write to standard output")?;
    Ok(exit)
}

/// Encode one JSON object (as `parse` prints it) into the scan it describes.
pub fn encode_json(line: &str) -> Result<String, String> {
    let value: Value = serde_json::from_str(line).map_err(|error| format!("not JSON: {error}"))?;
    if value.get("ok") == Some(&Value::Bool(false)) {
        return Err(
            "this line records a scan that did not parse; there is nothing to encode".into(),
        );
    }
    let structures = value
        .get("structures")
        .and_then(Value::as_array)
        .ok_or("expected an object with a \"structures\" list")?;
    if structures.is_empty() {
        return Err("the \"structures\" list is empty".into());
    }
    let mut scan = String::new();
    for (index, item) in structures.iter().enumerate() {
        let structure = encode_structure(item)
            .map_err(|reason| format!("structure {}: {reason}", index + 1))?;
        structure.encode_into(&mut scan);
    }
    let parsed =
        isbt128::parse(&scan).map_err(|error| format!("'{scan}' does not parse: {error}"))?;
    if parsed.structures().len() != structures.len() {
        return Err(format!(
            "'{scan}' reads back as {} structures, not {}",
            parsed.structures().len(),
            structures.len()
        ));
    }
    Ok(scan)
}

fn encode_structure(item: &Value) -> Result<DataStructure, String> {
    let kind = kind_of(item)?;
    let data = item
        .get("data")
        .map(|data| data.as_str().ok_or("\"data\" must be a string"));
    let structure = match item.get("fields") {
        Some(fields) => from_fields(kind, fields)?,
        None => {
            let data = data.ok_or("give \"fields\" or \"data\"")??;
            from_data(kind, item, data)?
        }
    };
    if let Some(data) = data {
        let data = data?;
        if structure.content() != data {
            return Err(format!(
                "\"data\" is '{data}' but the fields make '{}'",
                structure.content()
            ));
        }
    }
    Ok(structure)
}

fn kind_of(item: &Value) -> Result<Kind, String> {
    match item.get("number") {
        Some(Value::String(number)) => {
            Kind::from_number(number).ok_or_else(|| format!("no ISBT 128 data structure {number}"))
        }
        Some(Value::Null) => match item.get("identifier").and_then(Value::as_str) {
            Some("&;") => Ok(Kind::NationalDonorIdentificationNumber),
            Some("&!") => Ok(Kind::ConfidentialUnitExclusionStatus),
            Some(_) => Ok(Kind::NonIccbba),
            None => Err("a nationally defined structure needs its \"identifier\"".into()),
        },
        _ => Err("expected \"number\", e.g. \"001\"".into()),
    }
}

fn from_data(kind: Kind, item: &Value, data: &str) -> Result<DataStructure, String> {
    let identifier = match kind {
        Kind::DonationIdentificationNumber => item
            .get("identifier")
            .and_then(Value::as_str)
            .unwrap_or("="),
        Kind::NonIccbba => "&",
        _ => kind.spec().identifier,
    };
    let scan = format!("{identifier}{data}");
    isbt128::parse_as(&scan, &[kind]).map_err(|error| format!("'{scan}' is not valid: {error}"))
}

fn from_fields(kind: Kind, fields: &Value) -> Result<DataStructure, String> {
    let object = fields.as_object().ok_or("\"fields\" must be an object")?;
    let mut pairs = Vec::with_capacity(object.len());
    for (name, value) in object {
        let text = match value {
            Value::String(text) => text.clone(),
            Value::Number(number) => number.to_string(),
            Value::Bool(flag) => flag.to_string(),
            Value::Null => "null".to_owned(),
            Value::Array(_) | Value::Object(_) => continue,
        };
        pairs.push((name.clone(), text));
    }
    if object.get("keyed_in") == Some(&Value::Bool(true)) {
        return keyed_din(&pairs);
    }
    isbt128::encode_fields(kind, &pairs).map_err(|error| error.to_string())
}

/// A keyed-in DIN: 13 characters and the check character, as typed.
fn keyed_din(pairs: &[(String, String)]) -> Result<DataStructure, String> {
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .ok_or(format!("a keyed-in DIN needs the field '{name}'"))
    };
    let din = format!("{}{}{}", get("facility")?, get("year")?, get("sequence")?);
    let check = match get("check_character") {
        Ok(check) => check.to_owned(),
        Err(_) => isbt128::Din::parse(&din)
            .map_err(|e| e.to_string())?
            .check_character()
            .to_string(),
    };
    isbt128::parse_as(
        &format!("{din}{check}"),
        &[Kind::DonationIdentificationNumber],
    )
    .map_err(|error| error.to_string())
}
