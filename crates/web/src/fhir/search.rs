//! The search of `BiologicallyDerivedProduct`: its parameters parsed strictly (a parameter,
//! prefix or value this server does not know is an error naming it), the units that match,
//! and the `searchset` Bundle, paged by `_count` and the `next` link.

use hemaflow_domain::manufacturing::components::Component;
use hemaflow_domain::{State as Records, queries};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::product;
use crate::supply::Scope;

/// Every search parameter: (name, FHIR type, what it matches).
pub const PARAMETERS: [(&str, &str, &str); 9] = [
    (
        "identifier",
        "token",
        "the ISBT 128 DIN (system https://www.isbt128.org/uri/DonationIdentificationNumber), keyed or scanned",
    ),
    (
        "biological-source-event",
        "token",
        "the ISBT 128 DIN of the donation or pool",
    ),
    (
        "code",
        "token",
        "the ISBT 128 product description code, e.g. E0336",
    ),
    ("product-status", "token", "available or unavailable"),
    ("product-category", "token", "cells or fluid"),
    ("hospital", "string", "the hospital the unit was shipped to"),
    (
        "_lastUpdated",
        "date",
        "when the unit's record last changed, with eq, gt, ge, lt or le",
    ),
    ("_count", "number", "entries per page (1-500, default 50)"),
    (
        "_offset",
        "number",
        "the first entry of the page (set by the next link)",
    ),
];

const DEFAULT_COUNT: usize = 50;
const MAX_COUNT: usize = 500;

/// A FHIR resource id: 1-64 of `A-Z a-z 0-9 - .`.
pub fn is_fhir_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// Whether `scope` may see `component`: staff every unit, a hospital its own shipped units.
pub fn visible(scope: &Scope, component: &Component) -> bool {
    match scope {
        Scope::Every => true,
        _ => component
            .consignee
            .as_deref()
            .is_some_and(|hospital| scope.sees(hospital)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prefix {
    Eq,
    Gt,
    Ge,
    Lt,
    Le,
}

/// A parsed search.
#[derive(Debug, Default)]
pub struct Query {
    din: Option<String>,
    codes: Option<Vec<String>>,
    statuses: Option<Vec<String>>,
    categories: Option<Vec<String>>,
    hospital: Option<String>,
    updated: Vec<(Prefix, OffsetDateTime)>,
    count: usize,
    offset: usize,
    /// The parameters as given, for the `self` and `next` links.
    given: Vec<(String, String)>,
}

impl Query {
    pub fn parse(pairs: &[(String, String)]) -> Result<Query, String> {
        let mut query = Query {
            count: DEFAULT_COUNT,
            ..Query::default()
        };
        for (name, value) in pairs {
            query.take(name, value)?;
            if name != "_offset" {
                query.given.push((name.clone(), value.clone()));
            }
        }
        Ok(query)
    }

    fn take(&mut self, name: &str, value: &str) -> Result<(), String> {
        match name {
            "identifier" | "biological-source-event" => {
                let din = din_token(name, value)?;
                if self.din.as_ref().is_some_and(|d| *d != din) {
                    self.din = Some(String::new()); // two different DINs: nothing matches
                } else {
                    self.din = Some(din);
                }
            }
            "code" => {
                self.codes = Some(tokens(value, product::PRODUCT_CODE_SYSTEM, name)?);
            }
            "product-status" => {
                let statuses = tokens(value, product::STATUS_SYSTEM, name)?;
                if let Some(bad) = statuses
                    .iter()
                    .find(|s| !["available", "unavailable"].contains(&s.as_str()))
                {
                    return Err(format!(
                        "product-status {bad:?} is not a status: available or unavailable"
                    ));
                }
                self.statuses = Some(statuses);
            }
            "product-category" => {
                self.categories = Some(tokens(value, product::CATEGORY_SYSTEM, name)?);
            }
            "hospital" => self.hospital = Some(value.to_owned()),
            "_lastUpdated" => self.updated.push(date_param(value)?),
            "_count" => self.count = number(name, value, 1, MAX_COUNT)?,
            "_offset" => self.offset = number(name, value, 0, usize::MAX)?,
            other => {
                let known: Vec<&str> = PARAMETERS.iter().map(|(n, _, _)| *n).collect();
                return Err(format!(
                    "search parameter {other:?} is not supported for BiologicallyDerivedProduct; \
                     supported: {}",
                    known.join(", ")
                ));
            }
        }
        Ok(())
    }

    fn matches(&self, component: &Component, now: OffsetDateTime) -> bool {
        let any = |wanted: &Option<Vec<String>>, value: &str| {
            wanted.as_ref().is_none_or(|w| w.iter().any(|x| x == value))
        };
        let updated = product::last_updated(component);
        any(&self.codes, &component.description_code)
            && any(&self.statuses, product::product_status(component, now))
            && any(&self.categories, product::resource_category(component))
            && self
                .hospital
                .as_ref()
                .is_none_or(|h| component.consignee.as_deref() == Some(h))
            && self.updated.iter().all(|(prefix, at)| match prefix {
                Prefix::Eq => updated == *at,
                Prefix::Gt => updated > *at,
                Prefix::Ge => updated >= *at,
                Prefix::Lt => updated < *at,
                Prefix::Le => updated <= *at,
            })
    }

    fn link(&self, base: &str, offset: usize) -> String {
        let mut pairs = self.given.clone();
        if offset > 0 {
            pairs.push(("_offset".to_owned(), offset.to_string()));
        }
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        if query.is_empty() {
            format!("{base}/BiologicallyDerivedProduct")
        } else {
            format!("{base}/BiologicallyDerivedProduct?{query}")
        }
    }
}

/// The DIN of a token `[system|]value`: the system, if given, must be ISBT 128's DIN; the
/// value a DIN keyed (13 characters) or scanned (`=` and the flags).
fn din_token(name: &str, value: &str) -> Result<String, String> {
    let (system, din) = match value.split_once('|') {
        Some((system, din)) => (Some(system), din),
        None => (None, value),
    };
    if let Some(system) = system.filter(|s| !s.is_empty() && *s != product::DIN_SYSTEM) {
        return Err(format!(
            "{name}: system {system:?} is not the ISBT 128 DIN's ({})",
            product::DIN_SYSTEM
        ));
    }
    hemaflow_isbt128::Din::parse(din)
        .or_else(|_| hemaflow_service::history::parse_din(din))
        .map(|din| din.as_str().to_owned())
        .map_err(|error| format!("{name}: {din:?} is not a DIN: {error}"))
}

/// The codes of a token parameter, `,` for either; a system given must be `system`.
fn tokens(value: &str, system: &str, name: &str) -> Result<Vec<String>, String> {
    value
        .split(',')
        .map(|token| match token.split_once('|') {
            Some((given, code)) if given.is_empty() || given == system => Ok(code.to_owned()),
            Some((given, _)) => Err(format!("{name}: system {given:?} is not {system:?}")),
            None => Ok(token.to_owned()),
        })
        .collect()
}

fn number(name: &str, value: &str, min: usize, max: usize) -> Result<usize, String> {
    value
        .parse::<usize>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| format!("{name} {value:?} must be a whole number from {min} to {max}"))
}

/// `[prefix]instant`: an RFC 3339 time, or a date (its midnight, UTC).
fn date_param(value: &str) -> Result<(Prefix, OffsetDateTime), String> {
    let (prefix, rest) = match value.get(..2) {
        Some("eq") => (Prefix::Eq, &value[2..]),
        Some("gt") => (Prefix::Gt, &value[2..]),
        Some("ge") => (Prefix::Ge, &value[2..]),
        Some("lt") => (Prefix::Lt, &value[2..]),
        Some("le") => (Prefix::Le, &value[2..]),
        _ => (Prefix::Eq, value),
    };
    let at = OffsetDateTime::parse(rest, &Rfc3339).or_else(|_| {
        time::Date::parse(
            rest,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .map(|date| date.midnight().assume_utc())
    });
    at.map(|at| (prefix, at)).map_err(|_| {
        format!("_lastUpdated {value:?} is not a date (2026-12-01) or time (RFC 3339) with eq, gt, ge, lt or le")
    })
}

/// The `searchset` Bundle of `query`'s page.
pub fn bundle(
    records: &Records,
    scope: &Scope,
    query: &Query,
    now: OffsetDateTime,
    base: &str,
) -> Value {
    let candidates: Vec<&Component> = match &query.din {
        Some(din) => queries::components_of(records, din),
        None => records.components.values().collect(),
    };
    let matching: Vec<&Component> = candidates
        .into_iter()
        .filter(|c| visible(scope, c) && query.matches(c, now))
        .collect();
    let page: Vec<Value> = matching
        .iter()
        .skip(query.offset)
        .take(query.count)
        .map(|c| {
            json!({
                "fullUrl": format!("{base}/BiologicallyDerivedProduct/{}", c.id),
                "resource": product::resource(records, c, now),
                "search": {"mode": "match"},
            })
        })
        .collect();
    let mut links = vec![json!({"relation": "self", "url": query.link(base, query.offset)})];
    let next = query.offset.saturating_add(query.count);
    if next < matching.len() {
        links.push(json!({"relation": "next", "url": query.link(base, next)}));
    }
    json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": product::rfc3339(now),
        "total": matching.len(),
        "link": links,
        "entry": page,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_parameter_this_server_does_not_know_is_refused_by_name() {
        let error = Query::parse(&pairs(&[("patient", "x")])).expect_err("unknown");
        assert!(error.contains("\"patient\" is not supported"), "{error}");
    }

    #[test]
    fn a_din_is_read_keyed_or_scanned_and_another_system_is_refused() {
        let keyed = Query::parse(&pairs(&[("identifier", "W123426000001")])).expect("keyed");
        assert_eq!(keyed.din.as_deref(), Some("W123426000001"));
        let with_system = format!("{}|=W12342600000100", product::DIN_SYSTEM);
        let scanned = Query::parse(&pairs(&[("identifier", &with_system)])).expect("scanned");
        assert_eq!(scanned.din.as_deref(), Some("W123426000001"));
        let other = Query::parse(&pairs(&[("identifier", "urn:x|W123426000001")]));
        assert!(other.is_err_and(|e| e.contains("not the ISBT 128 DIN")));
        let not_a_din = Query::parse(&pairs(&[("identifier", "12345")]));
        assert!(not_a_din.is_err_and(|e| e.contains("is not a DIN")));
    }

    #[test]
    fn last_updated_takes_a_prefix_and_a_date_or_a_time() {
        let (prefix, at) = date_param("ge2026-12-01").expect("date");
        assert_eq!(prefix, Prefix::Ge);
        assert_eq!(at, time::macros::datetime!(2026-12-01 0:00 UTC));
        let (prefix, _) = date_param("lt2026-12-01T10:00:00Z").expect("time");
        assert_eq!(prefix, Prefix::Lt);
        assert!(date_param("ge yesterday").is_err());
    }

    #[test]
    fn count_is_bounded_and_ids_are_fhir_ids() {
        assert!(Query::parse(&pairs(&[("_count", "0")])).is_err());
        assert!(Query::parse(&pairs(&[("_count", "501")])).is_err());
        assert!(is_fhir_id("W123426000001-E0336V00"));
        assert!(!is_fhir_id("W1234/../x"));
        assert!(!is_fhir_id(&"a".repeat(65)));
    }
}
