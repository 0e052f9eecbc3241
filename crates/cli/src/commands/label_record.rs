//! `hemaflow label --database URL --din DIN --product CODE`: the final label of a unit on
//! record. Every value printed comes from the record through the domain (LABEL-FINAL): the
//! confirmed ABO/RhD, the component's expiry, the product code and its description from the
//! site's catalogue. A unit that may not get a final label is refused with the rule's reason.

use std::path::Path;

use hemaflow_domain::manufacturing::label::{FinalLabel, final_label};
use hemaflow_isbt128::{DataStructure, Din, Kind, parse_as};

/// The final label of the unit `din` + `product` at the time of printing, or why not (in
/// words for the bench; nothing is written then).
pub fn load(database: &str, din: &str, product: &str) -> Result<FinalLabel, String> {
    let din = din_of(din)?;
    let product = product_of(product)?;
    refuse_missing_file(database)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the database runtime: {e}"))?;
    let state = runtime.block_on(async {
        let ledger = hemaflow_service::open_with_clock(database, super::database::clock())
            .await
            .map_err(|e| format!("--database: {e}"))?;
        ledger.state().await.map_err(|e| format!("--database: {e}"))
    })?;
    let id = hemaflow_domain::manufacturing::components::component_id(&din, &product);
    final_label(&state, &id, super::database::now())
        .map_err(|refusal| format!("no final label for {id}: {refusal}"))
}

/// The DIN as scanned (`=W12342600000100`), keyed in with its check character, or the 13
/// characters of the record.
fn din_of(input: &str) -> Result<String, String> {
    if input.len() == 13
        && let Ok(din) = Din::parse(input)
    {
        return Ok(din.as_str().to_owned());
    }
    hemaflow_labels::parse_donation(input)
        .map(|donation| donation.din.as_str().to_owned())
        .map_err(|e| format!("--din: {e}"))
}

/// The product code as scanned (`=<D1000V00`) or its 8 characters.
fn product_of(input: &str) -> Result<String, String> {
    let scan = if input.starts_with("=<") {
        input.to_owned()
    } else {
        format!("=<{input}")
    };
    match parse_as(&scan, &[Kind::ProductCode]) {
        Ok(DataStructure::Product(code)) => Ok(code.as_str().to_owned()),
        Ok(_) => Err(format!("--product: '{input}' is not a product code")),
        Err(e) => Err(format!("--product '{input}' is not valid: {e}")),
    }
}

/// Opening a SQLite URL creates the file; a label is never printed from a database that did
/// not exist, so a missing file is refused before anything is opened.
fn refuse_missing_file(database: &str) -> Result<(), String> {
    let Some(rest) = database.strip_prefix("sqlite:") else {
        return Ok(());
    };
    let path = rest.trim_start_matches("//");
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() || path.starts_with(":memory:") || Path::new(path).exists() {
        Ok(())
    } else {
        Err(format!("--database: there is no database at {path}"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn din_and_product_are_read_in_every_form_the_bench_gives() {
        assert_eq!(din_of("W123426000001").unwrap(), "W123426000001");
        assert_eq!(din_of("=W12342600000100").unwrap(), "W123426000001");
        assert!(din_of("W12342600000").is_err());
        assert_eq!(product_of("D1000V00").unwrap(), "D1000V00");
        assert_eq!(product_of("=<D1000V00").unwrap(), "D1000V00");
        assert!(product_of("=%5100").is_err());
        assert!(refuse_missing_file("sqlite:///nonexistent/x.db").is_err());
    }
}
