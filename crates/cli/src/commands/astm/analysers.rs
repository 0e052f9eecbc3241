//! The analysers `serve --astm` listens for: each with its name, kind (NAT or serology), the
//! address it connects to, and the table that maps its test codes to our markers. From the
//! configuration file (`[astm.NAME]`) and the command line (`--astm NAME[:KIND]=ADDR`).
//!
//! ```toml
//! [astm.panther1]
//! address = "127.0.0.1:5001"
//! kind = "nat"
//! codes = { MPX = ["hiv_nat", "hcv_nat", "hbv_nat"], DHBV = ["hbv_nat"] }
//! ```

use std::collections::BTreeMap;
use std::net::SocketAddr;

use anyhow::{Context, bail};
use serde::Deserialize;

/// What an analyser tests: its results' stages follow from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Nucleic acid tests (individual-donation NAT, or the individual resolution of a pool).
    Nat,
    /// Antibody and antigen screening (an initial reactive repeated in duplicate).
    Serology,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Nat => "nat",
            Kind::Serology => "serology",
        }
    }
}

/// An analyser as configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Analyser {
    pub name: String,
    pub kind: Kind,
    pub address: SocketAddr,
    /// The analyser's test code (upper case) and the markers its result stands for. A code
    /// of several markers is a multiplex assay: nonreactive clears each marker; reactive
    /// waits for the discriminatory tests, which name one marker each.
    pub codes: BTreeMap<String, Vec<String>>,
}

impl Analyser {
    /// The markers of a test code, matched without regard to case.
    pub fn markers(&self, code: &str) -> Option<&[String]> {
        self.codes
            .get(&code.to_ascii_uppercase())
            .map(Vec::as_slice)
    }

    /// The actor the analyser's results are recorded as.
    pub fn actor(&self) -> String {
        format!("instrument:{}", self.name)
    }
}

/// The codes of the examples in INSTRUMENTS.md (Procleix Ultrio Elite on a Panther; the
/// grouping and screening analysers' `^^^code` test IDs), for an analyser configured with none.
pub fn default_codes(kind: Kind) -> BTreeMap<String, Vec<String>> {
    let table: &[(&str, &[&str])] = match kind {
        Kind::Nat => &[
            ("MPX", &["hiv_nat", "hcv_nat", "hbv_nat"]),
            ("DHIV", &["hiv_nat"]),
            ("DHCV", &["hcv_nat"]),
            ("DHBV", &["hbv_nat"]),
            ("WNV", &["wnv_nat"]),
            ("BABESIA", &["babesia_nat"]),
        ],
        Kind::Serology => &[
            ("HBSAG", &["hbsag"]),
            ("HBSAGV3", &["hbsag"]),
            ("HBC", &["anti_hbc"]),
            ("HCV", &["anti_hcv"]),
            ("HIV", &["anti_hiv_1_2"]),
            ("HTLV", &["anti_htlv"]),
            ("SYPH", &["syphilis"]),
            ("CHAGAS", &["t_cruzi"]),
        ],
    };
    table
        .iter()
        .map(|(code, markers)| {
            let markers = markers.iter().map(|m| (*m).to_owned()).collect();
            ((*code).to_owned(), markers)
        })
        .collect()
}

/// `[astm.NAME]` in the configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalyserSettings {
    pub address: Option<SocketAddr>,
    pub kind: Option<Kind>,
    pub codes: Option<BTreeMap<String, Vec<String>>>,
}

/// One `--astm NAME[:KIND]=ADDR`.
pub fn parse_flag(flag: &str) -> anyhow::Result<(String, Option<Kind>, SocketAddr)> {
    let Some((name, address)) = flag.split_once('=') else {
        bail!(
            "--astm {flag:?}: expected NAME=ADDR or NAME:KIND=ADDR, e.g. panther1=127.0.0.1:5001"
        );
    };
    let (name, kind) = match name.split_once(':') {
        Some((name, "nat")) => (name, Some(Kind::Nat)),
        Some((name, "serology")) => (name, Some(Kind::Serology)),
        Some((_, other)) => bail!("--astm {flag:?}: kind {other:?} is not nat or serology"),
        None => (name, None),
    };
    check_name(name).with_context(|| format!("--astm {flag:?}"))?;
    let address = address.parse().with_context(|| {
        format!("--astm {flag:?}: {address:?} is not an address such as 127.0.0.1:5001")
    })?;
    Ok((name.to_owned(), kind, address))
}

fn check_name(name: &str) -> anyhow::Result<()> {
    let fine = !name.is_empty()
        && name.len() <= 40
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !fine {
        bail!("the analyser name {name:?} must be 1-40 letters, digits, - or _");
    }
    Ok(())
}

/// The analysers to listen for: every `--astm` flag, completed from the file's section of
/// the same name; and every section of the file with an address, when no flag names it.
pub fn resolve(
    flags: &[String],
    file: &BTreeMap<String, AnalyserSettings>,
) -> anyhow::Result<Vec<Analyser>> {
    let mut analysers: BTreeMap<String, Analyser> = BTreeMap::new();
    for (name, settings) in file {
        check_name(name).with_context(|| format!("configuration [astm.{name}]"))?;
        if let Some(address) = settings.address {
            analysers.insert(name.clone(), build(name, settings.kind, address, settings)?);
        }
    }
    for flag in flags {
        let (name, kind, address) = parse_flag(flag)?;
        let empty = AnalyserSettings {
            address: None,
            kind: None,
            codes: None,
        };
        let settings = file.get(&name).unwrap_or(&empty);
        let kind = kind.or(settings.kind);
        analysers.insert(name.clone(), build(&name, kind, address, settings)?);
    }
    let mut addresses = std::collections::BTreeSet::new();
    for analyser in analysers.values() {
        // Port 0 asks the system for a free port each time: never a clash.
        if analyser.address.port() != 0 && !addresses.insert(analyser.address) {
            bail!("two analysers listen on {}", analyser.address);
        }
    }
    Ok(analysers.into_values().collect())
}

fn build(
    name: &str,
    kind: Option<Kind>,
    address: SocketAddr,
    settings: &AnalyserSettings,
) -> anyhow::Result<Analyser> {
    let kind = kind.unwrap_or(Kind::Nat);
    let codes = match &settings.codes {
        Some(codes) => codes
            .iter()
            .map(|(code, markers)| (code.to_ascii_uppercase(), markers.clone()))
            .collect(),
        None => default_codes(kind),
    };
    for (code, markers) in &codes {
        if markers.is_empty() {
            bail!("analyser {name}: test code {code} maps to no marker");
        }
    }
    Ok(Analyser {
        name: name.to_owned(),
        kind,
        address,
        codes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_names_the_analyser_its_kind_and_address() {
        let (name, kind, address) = parse_flag("neo:serology=127.0.0.1:5002").expect("valid");
        assert_eq!((name.as_str(), kind), ("neo", Some(Kind::Serology)));
        assert_eq!(address.port(), 5002);
        assert!(parse_flag("neo=nowhere").is_err());
        assert!(parse_flag("neo:chemistry=127.0.0.1:1").is_err());
        assert!(parse_flag("bad name=127.0.0.1:1").is_err());
    }

    #[test]
    fn a_flag_takes_the_codes_of_its_section_and_defaults_otherwise() {
        let mut file = BTreeMap::new();
        let codes = BTreeMap::from([("hbs".to_owned(), vec!["hbsag".to_owned()])]);
        file.insert(
            "neo".to_owned(),
            AnalyserSettings {
                address: None,
                kind: Some(Kind::Serology),
                codes: Some(codes),
            },
        );
        let flags = [
            "neo=127.0.0.1:5002".to_owned(),
            "panther=127.0.0.1:5001".to_owned(),
        ];
        let analysers = resolve(&flags, &file).expect("valid");
        assert_eq!(analysers[0].markers("HBS"), Some(&["hbsag".to_owned()][..]));
        assert_eq!(analysers[0].kind, Kind::Serology);
        assert_eq!(analysers[1].kind, Kind::Nat);
        assert_eq!(analysers[1].markers("mpx").map(<[String]>::len), Some(3));
    }
}
