//! Schemas (feature `openapi`) of the types whose JSON is written by hand rather than derived:
//! the wrappers that add no level to a command's or event's JSON, rule IDs, periods,
//! temperatures and deferral reasons. Each says what its `Serialize` writes; the server's
//! OpenAPI document is built from these and the derived schemas of every other type.

use std::borrow::Cow;

use utoipa::openapi::schema::{
    Discriminator, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type,
};
use utoipa::openapi::{KnownFormat, Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use crate::distribution::sites::Celsius;
use crate::donor_centre::config::DeferralReason;
use crate::donor_centre::eligibility::DeferralKind;
use crate::kernel::Period;
use crate::{
    AccessCommand, AccessEvent, DistributionCommand, DistributionEvent, DonorCentreCommand,
    DonorCentreEvent, LabCommand, LabEvent, LookbackCommand, LookbackEvent, ManufacturingCommand,
    ManufacturingEvent, ReleaseCommand, ReleaseEvent, TransfusionCommand, TransfusionEvent,
};
use crate::{ClientCommand, Event, Rule};

type Schemas = Vec<(String, RefOr<Schema>)>;

/// The schema of one area's enum, and those it refers to.
fn collect<T: ToSchema>(schemas: &mut Schemas) {
    schemas.push((T::name().into_owned(), T::schema()));
    T::schemas(schemas);
}

/// A union of the areas' enums, each tagged by `type` (one area's schema per item).
fn union_of(names: &[Cow<'static, str>], description: &str) -> RefOr<Schema> {
    let mut one_of = OneOfBuilder::new()
        .description(Some(description))
        .discriminator(Some(Discriminator::new("type")));
    for name in names {
        one_of = one_of.item(Ref::from_schema_name(name.clone()));
    }
    one_of.into()
}

impl PartialSchema for ClientCommand {
    fn schema() -> RefOr<Schema> {
        union_of(
            &[
                AccessCommand::name(),
                DonorCentreCommand::name(),
                LabCommand::name(),
                ManufacturingCommand::name(),
                ReleaseCommand::name(),
                DistributionCommand::name(),
                TransfusionCommand::name(),
                LookbackCommand::name(),
            ],
            "A command a client may send: one area's command, `{\"type\": ..., fields}`",
        )
    }
}

impl ToSchema for ClientCommand {
    fn schemas(schemas: &mut Schemas) {
        collect::<AccessCommand>(schemas);
        collect::<DonorCentreCommand>(schemas);
        collect::<LabCommand>(schemas);
        collect::<ManufacturingCommand>(schemas);
        collect::<ReleaseCommand>(schemas);
        collect::<DistributionCommand>(schemas);
        collect::<TransfusionCommand>(schemas);
        collect::<LookbackCommand>(schemas);
    }
}

impl PartialSchema for Event {
    fn schema() -> RefOr<Schema> {
        union_of(
            &[
                <AccessEvent as ToSchema>::name(),
                <DonorCentreEvent as ToSchema>::name(),
                <LabEvent as ToSchema>::name(),
                <ManufacturingEvent as ToSchema>::name(),
                <ReleaseEvent as ToSchema>::name(),
                <DistributionEvent as ToSchema>::name(),
                <TransfusionEvent as ToSchema>::name(),
                <LookbackEvent as ToSchema>::name(),
            ],
            "An event the ledger recorded: one area's event, `{\"type\": ..., fields}`",
        )
    }
}

impl ToSchema for Event {
    fn schemas(schemas: &mut Schemas) {
        collect::<AccessEvent>(schemas);
        collect::<DonorCentreEvent>(schemas);
        collect::<LabEvent>(schemas);
        collect::<ManufacturingEvent>(schemas);
        collect::<ReleaseEvent>(schemas);
        collect::<DistributionEvent>(schemas);
        collect::<TransfusionEvent>(schemas);
        collect::<LookbackEvent>(schemas);
    }
}

/// A rule ID (`"REL-ABO"`), as `Rule` writes it.
impl PartialSchema for Rule {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("a rule ID of the domain's index of rules"))
            .enum_values(Some(Rule::ALL.iter().map(|r| r.as_str())))
            .into()
    }
}

impl ToSchema for Rule {}

/// The keys a period is written with: exactly one of them.
const PERIOD_UNITS: [&str; 4] = ["days", "weeks", "months", "years"];

fn count() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
        .minimum(Some(0))
}

/// `{"months": 3}`: one unit key with its count.
impl PartialSchema for Period {
    fn schema() -> RefOr<Schema> {
        let mut object = ObjectBuilder::new()
            .description(Some(
                "a period as the rule book states it: exactly one unit",
            ))
            .min_properties(Some(1))
            .max_properties(Some(1));
        for unit in PERIOD_UNITS {
            object = object.property(unit, count());
        }
        object.into()
    }
}

impl ToSchema for Period {}

/// `{"description", "kind", and one unit key of its period}` (`"days": null` for none).
impl PartialSchema for DeferralReason {
    fn schema() -> RefOr<Schema> {
        let mut object = ObjectBuilder::new()
            .property("description", String::schema())
            .property("kind", Ref::from_schema_name(DeferralKind::name()))
            .required("description")
            .required("kind");
        for unit in PERIOD_UNITS {
            object = object.property(
                unit,
                count().schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                    Type::Integer,
                    Type::Null,
                ])),
            );
        }
        object.into()
    }
}

impl ToSchema for DeferralReason {
    fn schemas(schemas: &mut Schemas) {
        collect::<DeferralKind>(schemas);
    }
}

/// A temperature in °C as a decimal string (`"4"`, `"-18.5"`); an integer is read too.
impl PartialSchema for Celsius {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("a temperature in °C, at most one decimal"))
            .pattern(Some(r"^-?[0-9]{1,3}(\.[0-9])?$"))
            .into()
    }
}

impl ToSchema for Celsius {}

/// A day of the week, as the `time` crate writes a `Weekday` in JSON (`"Monday"`); only its
/// schema is used (`schema(value_type = ...)` on those fields).
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}
