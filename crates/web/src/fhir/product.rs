//! A unit as a FHIR R5 `BiologicallyDerivedProduct`: the ISBT 128 DIN as the biological
//! source event (and an identifier), the product description code as the product code, the
//! ABO/RhD of the donation as a property, the storage range, the dates, and the parent units
//! it was divided or pooled from. Systems are ICCBBA's `https://www.isbt128.org/uri/...`
//! identifiers, the direction ICCBBA and HL7's OO work group take (INTEROP.md 1.2).

use hemaflow_domain::distribution::sites::{Celsius, KeptAs, storage_range};
use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_domain::manufacturing::components::{Component, Family, Status};
use hemaflow_domain::{State as Records, queries};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub const DIN_SYSTEM: &str = "https://www.isbt128.org/uri/DonationIdentificationNumber";
pub const PRODUCT_CODE_SYSTEM: &str = "https://www.isbt128.org/uri/ProductDescriptionCode";
/// ISBT 128 data structure 002 values have no FHIR code system; ICCBBA's URI pattern is used
/// (INTEROP.md marks it unverified).
pub const ABO_RHD_SYSTEM: &str = "https://www.isbt128.org/uri/ABORhD";
pub const CATEGORY_SYSTEM: &str = "http://hl7.org/fhir/product-category";
pub const STATUS_SYSTEM: &str = "http://hl7.org/fhir/biologicallyderived-product-status";
pub const PROPERTY_SYSTEM: &str =
    "http://hl7.org/fhir/biologicallyderived-product-property-type-codes";

/// `available` for an in-date unit that may be given: released in our stock, or shipped to
/// the hospital that holds it; every other status of ours (quarantined, unsafe, expired,
/// discarded, processed, returned for review) is `unavailable`, the only other code R5
/// defines.
pub fn product_status(component: &Component, now: OffsetDateTime) -> &'static str {
    let usable = matches!(component.status, Status::Available | Status::Shipped);
    if usable && component.expires_at > now {
        "available"
    } else {
        "unavailable"
    }
}

/// R5's product categories: red cells, platelets and granulocytes are cells; whole blood,
/// plasma and cryoprecipitate are fluids.
fn category(family: Family) -> &'static str {
    match family {
        Family::RedCells | Family::Platelets => "cells",
        Family::WholeBlood | Family::Plasma | Family::Cryo => "fluid",
    }
}

/// The category of `component`'s family (`productCategory`).
pub fn resource_category(component: &Component) -> &'static str {
    category(component.family)
}

/// The latest time the unit's record changed: what `meta.lastUpdated` and `_lastUpdated`
/// mean here.
pub fn last_updated(component: &Component) -> OffsetDateTime {
    [
        Some(component.produced_at),
        component.released_at,
        component.shipped_at,
        component.discarded_at,
        component.thawed_at,
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(component.produced_at)
}

pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

fn abo_rhd(records: &Records, din: &str) -> Option<(Abo, RhD)> {
    let donation = queries::donation(records, din)?;
    donation
        .resolved_group
        .or_else(|| donation.determinations.last().map(|d| (d.abo, d.rhd)))
}

fn celsius(value: Celsius) -> Value {
    json!({
        "value": f64::from(value.as_tenths()) / 10.0,
        "unit": "Cel",
        "system": "http://unitsofmeasure.org",
        "code": "Cel",
    })
}

fn storage(records: &Records, component: &Component) -> Value {
    let range = storage_range(&records.config, KeptAs::of(component));
    let mut value = json!({"high": celsius(range.max_c)});
    if range.min_c > Celsius::LOWEST {
        value["low"] = celsius(range.min_c);
    }
    value
}

fn group_property(abo: Abo, rhd: RhD) -> Value {
    let code = crate::scan::blood_group_scan(abo, rhd).trim_start_matches("=%");
    let rhd_text = if rhd == RhD::Positive {
        "RhD positive"
    } else {
        "RhD negative"
    };
    json!({
        "type": {"coding": [{"system": PROPERTY_SYSTEM, "code": "aborhd", "display": "ABO/RhD"}]},
        "valueCodeableConcept": {"coding": [{
            "system": ABO_RHD_SYSTEM,
            "code": code,
            "display": format!("{} {rhd_text}", abo.as_str()),
        }]},
    })
}

/// The resource of `component`, as of `now`.
pub fn resource(records: &Records, component: &Component, now: OffsetDateTime) -> Value {
    let din = json!({"system": DIN_SYSTEM, "value": component.din});
    let mut product = json!({
        "resourceType": "BiologicallyDerivedProduct",
        "id": component.id,
        "meta": {"lastUpdated": rfc3339(last_updated(component))},
        "productCategory": {"system": CATEGORY_SYSTEM, "code": category(component.family)},
        "productCode": {"coding": [{
            "system": PRODUCT_CODE_SYSTEM,
            "code": component.description_code,
            "display": component.name,
        }]},
        "identifier": [din.clone()],
        "biologicalSourceEvent": din,
        "processingFacility": [{"display": format!("FIN {}", component.din.get(..5).unwrap_or_default())}],
        "division": component.product_code.get(6..8).unwrap_or_default(),
        "productStatus": {"system": STATUS_SYSTEM, "code": product_status(component, now)},
        "expirationDate": rfc3339(component.expires_at),
        "collection": {"collectedDateTime": rfc3339(component.collected_at)},
        "storageTempRequirements": storage(records, component),
    });
    if !component.parents.is_empty() {
        product["parent"] = component
            .parents
            .iter()
            .map(|parent| json!({"reference": format!("BiologicallyDerivedProduct/{parent}")}))
            .collect();
    }
    if let Some((abo, rhd)) = abo_rhd(records, &component.din) {
        product["property"] = json!([group_property(abo, rhd)]);
    }
    product
}
