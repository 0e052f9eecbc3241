//! Random valid label values for the property and decode tests.
#![allow(dead_code)] // each test file uses part of this

use hemaflow_isbt128::{Din, Flags};
use hemaflow_labels::{LabelContent, LabelRequest};
use proptest::prelude::*;

/// Scans for one label, owned.
#[derive(Clone, Debug)]
pub struct Values {
    pub din: String,
    pub product: String,
    pub blood_group: String,
    pub expiry: String,
    pub special: Option<String>,
    pub description: String,
    pub volume: u16,
    pub facility: String,
}

impl Values {
    pub fn content(&self) -> LabelContent {
        LabelContent::from_request(&LabelRequest {
            din: &self.din,
            product: &self.product,
            blood_group: &self.blood_group,
            expiry: &self.expiry,
            special_testing: self.special.as_deref(),
            description: Some(&self.description),
            volume_ml: Some(self.volume),
            facility_name: Some(&self.facility),
        })
        .unwrap_or_else(|error| panic!("{self:?} should make a label: {error}"))
    }

    /// Every scan the label's linear symbols must read back as.
    pub fn linear_scans(&self) -> Vec<String> {
        let mut scans = vec![
            self.din.clone(),
            self.blood_group.clone(),
            self.product.clone(),
            self.expiry.clone(),
        ];
        scans.extend(self.special.clone());
        scans
    }
}

const FIN_FIRST: &str = "ABCDEFGHIJKLMNPQRSTUVWXYZ123456789";

fn din() -> impl Strategy<Value = String> {
    (
        0..FIN_FIRST.len(),
        0u32..10_000,
        0u32..100,
        0u32..1_000_000,
        prop::sample::select(vec!["00", "01", "07", "11", "25", "check"]),
    )
        .prop_map(|(first, facility, year, sequence, flags)| {
            let din = format!(
                "{}{facility:04}{year:02}{sequence:06}",
                &FIN_FIRST[first..first + 1]
            );
            let flags = if flags == "check" {
                let parsed = Din::parse(&din).unwrap_or_else(|e| panic!("{din}: {e}"));
                Flags::check_flag(&parsed).as_str().to_owned()
            } else {
                flags.to_owned()
            };
            format!("={din}{flags}")
        })
}

fn product() -> impl Strategy<Value = String> {
    (
        0u32..10_000,
        prop::sample::select(vec!['V', 'A', 'D', '1', 'X', 'P', '0']),
        prop::sample::select(vec!["00", "A0", "B0", "Aa", "Cb"]),
    )
        .prop_map(|(code, t, ds)| format!("=<E{code:04}{t}{ds}"))
}

fn blood_group() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "=%5100", "=%9500", "=%6200", "=%0600", "=%7300", "=%1700", "=%8400", "=%2800", "=%51E0",
        "=%95S0", "=%Mq00", "=%5500", "=%4700", "=%Md00", "=%Mx00", "=%G600", "=%A000", "=%Mf00",
        "=%9700",
    ])
    .prop_map(str::to_owned)
}

fn expiry() -> impl Strategy<Value = String> {
    (0u32..100, 1u32..=365, 0u32..24, 0u32..60)
        .prop_map(|(year, day, hour, minute)| format!("&>0{year:02}{day:03}{hour:02}{minute:02}"))
}

fn special() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        "[A-Z0-9]{5}".prop_map(|code| format!("&({code}")),
        // Red cell antigens (012, 013) and platelet antigens (014), printed with K.
        Just("=\\000000000000000000".to_owned()),
        Just("&\\000000000000000000".to_owned()),
        Just("&{000000000000000000".to_owned()),
    ])
}

fn description() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "RED BLOOD CELLS|CPD>AS1/450mL/refg|ResLeu",
        "Apheresis PLATELETS|ACD-A/XX/20-24C|Irradiated|ResLeu:<5E6|2nd container",
        "FRESH FROZEN PLASMA|CPD/450mL/<=-18C",
        "Locally defined product",
    ])
    .prop_map(str::to_owned)
}

pub fn values() -> impl Strategy<Value = Values> {
    (
        din(),
        product(),
        blood_group(),
        expiry(),
        special(),
        description(),
        1u16..=700,
        prop::sample::select(vec![
            "Test Blood Center",
            "Hemaflow Regional Blood Services of the Northern Valley and Lakes District",
        ]),
    )
        .prop_map(
            |(din, product, blood_group, expiry, special, description, volume, facility)| Values {
                din,
                product,
                blood_group,
                expiry,
                special,
                description,
                volume,
                facility: facility.to_owned(),
            },
        )
}

/// The fixed label of the golden files and the README picture.
pub fn fixed() -> Values {
    Values {
        din: "=W12342512345600".to_owned(),
        product: "=<E0398V00".to_owned(),
        blood_group: "=%5100".to_owned(),
        expiry: "&>0253652359".to_owned(),
        special: None,
        description: "RED BLOOD CELLS|CPD>AS5/450mL/refg|Irr|ResLeu".to_owned(),
        volume: 300,
        facility: "Test Blood Center".to_owned(),
    }
}
