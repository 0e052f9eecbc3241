//! The lab's tables: the test panel (TEST-PANEL) and the states where regional tests apply
//! (TEST-REGIONAL), with their US defaults. Sections of the site's
//! [`Config`](crate::config::Config); a marker's [`TestSpec`] is the lab's own (`testing.rs`).

use crate::donor_centre::Procedure;
use crate::lab::testing::{Frequency, Method, TestSpec};

/// A marker of the defaults: code, name, method, frequency, exempt procedures, deferral reason.
type Marker = (
    &'static str,
    &'static str,
    Method,
    Frequency,
    &'static [Procedure],
    &'static str,
);

/// Markers not tested on source plasma.
const NOT_SOURCE_PLASMA: &[Procedure] = &[Procedure::SourcePlasma];

/// TEST-PANEL: the US default infectious-disease markers, by marker group, in panel order.
pub(crate) fn default_tests() -> Vec<TestSpec> {
    [
        hiv(),
        hepatitis(),
        htlv_and_syphilis(),
        seasonal_once_and_regional(),
    ]
    .into_iter()
    .flatten()
    .map(|(code, name, method, frequency, exempt, reason)| TestSpec {
        code: (*code).to_owned(),
        name: (*name).to_owned(),
        method: *method,
        frequency: *frequency,
        exempt_procedures: exempt.to_vec(),
        deferral_reason: (*reason).to_owned(),
    })
    .collect()
}

/// HIV: antibody and NAT.
fn hiv() -> &'static [Marker] {
    use Frequency::*;
    use Method::*;
    &[
        (
            "anti_hiv_1_2",
            "anti-HIV-1/2",
            Serology,
            EveryDonation,
            &[],
            "tti_reactive",
        ),
        (
            "hiv_nat",
            "HIV-1 NAT",
            Nat,
            EveryDonation,
            &[],
            "tti_reactive",
        ),
    ]
}

/// Hepatitis B and C: antigen, antibodies and NAT.
fn hepatitis() -> &'static [Marker] {
    use Frequency::*;
    use Method::*;
    &[
        (
            "hbsag",
            "HBsAg",
            Serology,
            EveryDonation,
            &[],
            "tti_reactive",
        ),
        (
            "anti_hbc",
            "anti-HBc",
            Serology,
            EveryDonation,
            &[],
            "tti_reactive",
        ),
        (
            "hbv_nat",
            "HBV NAT",
            Nat,
            EveryDonation,
            &[],
            "tti_reactive",
        ),
        (
            "anti_hcv",
            "anti-HCV",
            Serology,
            EveryDonation,
            &[],
            "tti_reactive",
        ),
        (
            "hcv_nat",
            "HCV NAT",
            Nat,
            EveryDonation,
            &[],
            "tti_reactive",
        ),
    ]
}

/// HTLV and syphilis, not tested on source plasma.
fn htlv_and_syphilis() -> &'static [Marker] {
    use Frequency::*;
    use Method::*;
    &[
        (
            "anti_htlv",
            "anti-HTLV-I/II",
            Serology,
            EveryDonation,
            NOT_SOURCE_PLASMA,
            "tti_reactive",
        ),
        (
            "syphilis",
            "Syphilis serology",
            Serology,
            EveryDonation,
            NOT_SOURCE_PLASMA,
            "tti_reactive",
        ),
    ]
}

/// West Nile virus, T. cruzi (once per donor) and Babesia (in the regional states).
fn seasonal_once_and_regional() -> &'static [Marker] {
    use Frequency::*;
    use Method::*;
    &[
        (
            "wnv_nat",
            "WNV NAT",
            Nat,
            EveryDonation,
            &[],
            "wnv_reactive",
        ),
        (
            "t_cruzi",
            "T. cruzi antibody",
            Serology,
            OncePerDonor,
            &[],
            "t_cruzi_reactive",
        ),
        (
            "babesia_nat",
            "Babesia microti NAT",
            Nat,
            Regional,
            &[],
            "babesia_reactive",
        ),
    ]
}

/// TEST-REGIONAL: the US states (two-letter codes, and DC) where regional tests apply.
pub(crate) fn default_regional_states() -> Vec<String> {
    [
        "CT", "DE", "ME", "MD", "MA", "MN", "NH", "NJ", "NY", "PA", "RI", "VT", "VA", "WI", "DC",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}
