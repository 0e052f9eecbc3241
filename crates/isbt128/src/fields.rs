//! The named fields of a parsed structure, as reported by `hemaflow isbt128 parse`.
//!
//! Each structure reports first its raw segments, named as in [`crate::spec`] and holding the
//! exact characters of the scan (for a DIN: `facility`, `year`, `sequence`, `flags`), then the
//! interpreted ones (for a DIN: `din`, `check_character`, `flag_type`, `flag_meaning`).
//! All names are snake_case. [`crate::encode_fields`] rebuilds a structure from the raw
//! segments and refuses interpreted fields that contradict them.

use crate::blood_group::Phenotype;
use crate::din::FlagKind;
use crate::spec::{Kind, Length, Segment};
use crate::structure::DataStructure;
use crate::{meaning, product};

/// A field value.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum FieldValue {
    Text(String),
    Integer(i64),
    Bool(bool),
    Null,
    /// Repeated groups (dimensions, antigen results).
    List(Vec<Fields>),
}

impl FieldValue {
    pub(crate) fn text(value: &str) -> FieldValue {
        FieldValue::Text(value.to_owned())
    }
}

/// Named fields in order.
pub type Fields = Vec<(&'static str, FieldValue)>;

/// Split content into the raw segments of `kind` (with the counted or repeated tail).
pub(crate) fn raw_fields(kind: Kind, content: &str) -> Fields {
    let spec = kind.spec();
    let mut fields = Vec::new();
    let mut at = 0;
    for Segment { name, classes } in spec.segments {
        let end = (at + classes.len()).min(content.len());
        fields.push((*name, FieldValue::text(&content[at..end])));
        at = end;
    }
    match spec.length {
        Length::Fixed => {}
        Length::Counted { name, .. } | Length::Repeated { name, .. } => {
            fields.push((name, FieldValue::text(&content[at..])));
        }
        Length::RestOfScan => fields.push(("content", FieldValue::text(content))),
    }
    fields
}

impl DataStructure {
    /// The raw and interpreted fields of this structure.
    pub fn fields(&self) -> Fields {
        let content = self.content();
        if let DataStructure::KeyedDin(din) = self {
            return vec![
                ("facility", FieldValue::text(din.facility())),
                ("year", FieldValue::text(din.year())),
                ("sequence", FieldValue::text(din.sequence())),
                (
                    "check_character",
                    FieldValue::Text(din.check_character().to_string()),
                ),
                ("din", FieldValue::text(din.as_str())),
                ("keyed_in", FieldValue::Bool(true)),
            ];
        }
        let mut fields = raw_fields(self.kind(), &content);
        match self {
            DataStructure::Donation(number) => {
                let din = number.din;
                fields.push(("din", FieldValue::text(din.as_str())));
                fields.push((
                    "check_character",
                    FieldValue::Text(din.check_character().to_string()),
                ));
                fields.push(("eye_readable", FieldValue::Text(din.eye_readable())));
                let flag_type = number
                    .flags
                    .flag_type()
                    .map_or(FieldValue::Null, |t| FieldValue::Integer(t.into()));
                fields.push(("flag_type", flag_type));
                fields.push(("flag_meaning", FieldValue::text(number.flags.meaning())));
                if number.flags.kind() == FlagKind::Check {
                    fields.push(("flag_check_valid", FieldValue::Bool(true)));
                }
            }
            DataStructure::BloodGroup(group) => blood_group_fields(group, &mut fields),
            DataStructure::Product(code) => {
                let alpha = code.description_code().as_bytes()[0];
                fields.push((
                    "product_type",
                    FieldValue::text(product::product_type(alpha)),
                ));
                let description = code.description();
                fields.push((
                    "description",
                    description.map_or(FieldValue::Null, FieldValue::text),
                ));
                fields.push(("in_catalogue", FieldValue::Bool(description.is_some())));
                let rule = product::trailer_rule(alpha, code.description_code().as_bytes()[1]);
                if rule == product::TrailerRule::CollectionTypeAndDivision {
                    let meaning =
                        product::collection_type(code.collection_type() as u8).unwrap_or("");
                    fields.push(("collection_type_meaning", FieldValue::text(meaning)));
                }
            }
            DataStructure::Date { date, .. } => {
                fields.push(("date", FieldValue::Text(date.to_string())));
            }
            DataStructure::DateTime { date_time, .. } => {
                fields.push(("date", FieldValue::Text(date_time.date.to_string())));
                fields.push(("time", FieldValue::Text(date_time.time.to_string())));
                fields.push(("date_time", FieldValue::Text(date_time.to_string())));
            }
            DataStructure::Compound(header) => {
                fields.push(("declared_count", FieldValue::Integer(header.count.into())));
                fields.push(("specified_sequence", FieldValue::Bool(header.sequence != 0)));
            }
            DataStructure::Other(raw) => {
                meaning::derived_fields(raw.kind(), raw.content().as_bytes(), &mut fields);
            }
            DataStructure::KeyedDin(_) => {}
        }
        fields
    }
}

fn blood_group_fields(group: &crate::BloodGroup, fields: &mut Fields) {
    let meaning = group.meaning();
    let optional = |value: Option<&'static str>| value.map_or(FieldValue::Null, FieldValue::text);
    fields.push(("abo", optional(meaning.abo.map(|abo| abo.as_str()))));
    fields.push(("rhd", optional(meaning.rhd.map(|rhd| rhd.as_str()))));
    if meaning.special_message {
        fields.push(("abo_rhd", FieldValue::Null));
        fields.push(("meaning", FieldValue::text(meaning.description)));
    } else {
        fields.push(("abo_rhd", FieldValue::text(meaning.description)));
    }
    fields.push((
        "intended_use",
        optional(meaning.intended_use.map(|use_| use_.as_str())),
    ));
    let phenotype = group.phenotype();
    fields.push(("phenotype_meaning", FieldValue::Text(phenotype.describe())));
    if phenotype == Phenotype::SeeSpecialTesting {
        fields.push(("special_testing_required", FieldValue::Bool(true)));
    }
}
