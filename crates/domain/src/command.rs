//! The top level only composes: a [`Command`] is a command of one area ([`ClientCommand`]) or
//! one only the server builds ([`ServerCommand`]); an [`Event`] is an event of one area. Each
//! area owns its own `Command` and `Event` enums (`crate::<area>::command`).
//!
//! On the ledger every command and event keeps the JSON it always had: one object with its
//! `type` in snake_case beside its fields, whichever area owns it. The wrappers here add no
//! level to the JSON; reading one back finds the area by the `type` (each area lists its own
//! in `TYPES`), so a bad field is reported by the area that knows the command.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::access::credentials::SignInOutcome;
use crate::kernel::Role;
use crate::{
    access, distribution, donor_centre, lab, lookback, manufacturing, release, transfusion,
};

pub use crate::distribution::command::LineUnit;
pub use crate::lab::command::TestResultInput;

/// Every command the ledger records.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// What a person or a machine client may send.
    Client(ClientCommand),
    /// What only the server builds, after checking a password or drawing a secret.
    Server(ServerCommand),
}

/// A command a client may send (a form, `POST /api/commands`, a script): one area's command.
/// A signature, a password hash, an API token's digest or a sign-in record cannot be said in
/// this type; the server builds those as [`ServerCommand`]s.
#[derive(Clone, Debug, PartialEq)]
pub enum ClientCommand {
    Access(access::Command),
    DonorCentre(donor_centre::Command),
    Lab(lab::Command),
    Manufacturing(manufacturing::Command),
    Release(release::Command),
    Distribution(distribution::Command),
    Transfusion(transfusion::Command),
    Lookback(lookback::Command),
}

/// Commands only the server builds: each carries something a client must not be able to
/// state (a password's hash computed by the server, a token digest of a secret it drew, the
/// outcome of a password check, a signature after the signer's password was checked).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerCommand {
    /// The Argon2id PHC string of a new password, computed by the server.
    SetPassword {
        user_id: String,
        password_hash: String,
    },
    /// An API token for a machine client (P11-ACCESS): the SHA-256 digest of a secret the
    /// server drew and showed once; never the secret.
    IssueApiToken {
        token_id: String,
        name: String,
        role: Role,
        hospital: Option<String>,
        digest: String,
    },
    /// An access attempt (P11-AUDIT), recorded by the server; never the password.
    RecordSignIn {
        user_id: String,
        channel: String,
        outcome: SignInOutcome,
    },
    /// A command given with an electronic signature of the actor (P11-SIGN), after the server
    /// checked the signer's password.
    Signed {
        meaning: String,
        command: Box<ClientCommand>,
    },
}

impl ServerCommand {
    /// The `type` of each server command, as serialised.
    pub const TYPES: &[&str] = &[
        "set_password",
        "issue_api_token",
        "record_sign_in",
        "signed",
    ];

    pub fn describe(&self) -> &'static str {
        match self {
            ServerCommand::SetPassword { .. } => "set a password",
            ServerCommand::IssueApiToken { .. } => "issue an API token",
            ServerCommand::RecordSignIn { .. } => "record a sign-in attempt",
            ServerCommand::Signed { command, .. } => command.describe(),
        }
    }
}

/// Every event the ledger records: one area's event.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Access(access::Event),
    DonorCentre(donor_centre::Event),
    Lab(lab::Event),
    Manufacturing(manufacturing::Event),
    Release(release::Event),
    Distribution(distribution::Event),
    Transfusion(transfusion::Event),
    Lookback(lookback::Event),
}

impl Command {
    /// What the command does, for messages ("may not release a component").
    pub fn describe(&self) -> &'static str {
        match self {
            Command::Client(command) => command.describe(),
            Command::Server(command) => command.describe(),
        }
    }
}

impl ClientCommand {
    pub fn describe(&self) -> &'static str {
        match self {
            ClientCommand::Access(command) => command.describe(),
            ClientCommand::DonorCentre(command) => command.describe(),
            ClientCommand::Lab(command) => command.describe(),
            ClientCommand::Manufacturing(command) => command.describe(),
            ClientCommand::Release(command) => command.describe(),
            ClientCommand::Distribution(command) => command.describe(),
            ClientCommand::Transfusion(command) => command.describe(),
            ClientCommand::Lookback(command) => command.describe(),
        }
    }
}

impl ClientCommand {
    /// Who may give the command (P11-ACCESS), as its area says.
    pub fn roles(&self) -> &'static [Role] {
        match self {
            ClientCommand::Access(command) => command.roles(),
            ClientCommand::DonorCentre(command) => command.roles(),
            ClientCommand::Lab(command) => command.roles(),
            ClientCommand::Manufacturing(command) => command.roles(),
            ClientCommand::Release(command) => command.roles(),
            ClientCommand::Distribution(command) => command.roles(),
            ClientCommand::Transfusion(command) => command.roles(),
            ClientCommand::Lookback(command) => command.roles(),
        }
    }
}

impl ClientCommand {
    /// P11-SIGN: the meaning a signature of the command must state, as its area says; `None`
    /// for a command given without a signature.
    pub fn signature_meaning(&self) -> Option<&'static str> {
        match self {
            ClientCommand::Access(command) => command.signature_meaning(),
            ClientCommand::DonorCentre(command) => command.signature_meaning(),
            ClientCommand::Lab(command) => command.signature_meaning(),
            ClientCommand::Manufacturing(command) => command.signature_meaning(),
            ClientCommand::Release(command) => command.signature_meaning(),
            ClientCommand::Distribution(command) => command.signature_meaning(),
            ClientCommand::Transfusion(command) => command.signature_meaning(),
            ClientCommand::Lookback(command) => command.signature_meaning(),
        }
    }
}

impl Event {
    /// The event's name, as in its serialized `type`.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Access(event) => event.name(),
            Event::DonorCentre(event) => event.name(),
            Event::Lab(event) => event.name(),
            Event::Manufacturing(event) => event.name(),
            Event::Release(event) => event.name(),
            Event::Distribution(event) => event.name(),
            Event::Transfusion(event) => event.name(),
            Event::Lookback(event) => event.name(),
        }
    }
}

/// One `From` per area, so that `lab::Command::RecordBloodGroup { .. }.into()` is a command.
macro_rules! from_area {
    ($($area:ident => $variant:ident),* $(,)?) => {$(
        impl From<$area::Command> for ClientCommand {
            fn from(command: $area::Command) -> Self {
                ClientCommand::$variant(command)
            }
        }
        impl From<$area::Command> for Command {
            fn from(command: $area::Command) -> Self {
                Command::Client(ClientCommand::$variant(command))
            }
        }
        impl From<$area::Event> for Event {
            fn from(event: $area::Event) -> Self {
                Event::$variant(event)
            }
        }
    )*};
}

from_area! {
    access => Access,
    donor_centre => DonorCentre,
    lab => Lab,
    manufacturing => Manufacturing,
    release => Release,
    distribution => Distribution,
    transfusion => Transfusion,
    lookback => Lookback,
}

impl From<ClientCommand> for Command {
    fn from(command: ClientCommand) -> Self {
        Command::Client(command)
    }
}

impl From<ServerCommand> for Command {
    fn from(command: ServerCommand) -> Self {
        Command::Server(command)
    }
}

/// The areas, in the order their `TYPES` are searched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Area {
    Access,
    DonorCentre,
    Lab,
    Manufacturing,
    Release,
    Distribution,
    Transfusion,
    Lookback,
}

impl Area {
    const ALL: [Area; 8] = [
        Area::Access,
        Area::DonorCentre,
        Area::Lab,
        Area::Manufacturing,
        Area::Release,
        Area::Distribution,
        Area::Transfusion,
        Area::Lookback,
    ];

    fn command_types(self) -> &'static [&'static str] {
        match self {
            Area::Access => access::Command::TYPES,
            Area::DonorCentre => donor_centre::Command::TYPES,
            Area::Lab => lab::Command::TYPES,
            Area::Manufacturing => manufacturing::Command::TYPES,
            Area::Release => release::Command::TYPES,
            Area::Distribution => distribution::Command::TYPES,
            Area::Transfusion => transfusion::Command::TYPES,
            Area::Lookback => lookback::Command::TYPES,
        }
    }

    fn event_types(self) -> &'static [&'static str] {
        match self {
            Area::Access => access::Event::TYPES,
            Area::DonorCentre => donor_centre::Event::TYPES,
            Area::Lab => lab::Event::TYPES,
            Area::Manufacturing => manufacturing::Event::TYPES,
            Area::Release => release::Event::TYPES,
            Area::Distribution => distribution::Event::TYPES,
            Area::Transfusion => transfusion::Event::TYPES,
            Area::Lookback => lookback::Event::TYPES,
        }
    }

    fn of_command(kind: &str) -> Option<Area> {
        Area::ALL
            .into_iter()
            .find(|area| area.command_types().contains(&kind))
    }

    fn of_event(kind: &str) -> Option<Area> {
        Area::ALL
            .into_iter()
            .find(|area| area.event_types().contains(&kind))
    }
}

impl ClientCommand {
    /// Every `type` a client may send, area by area (the API documents them).
    pub fn types() -> impl Iterator<Item = &'static str> {
        Area::ALL
            .into_iter()
            .flat_map(|area| area.command_types().iter().copied())
    }
}

impl Event {
    /// Every event `type`, area by area (the API documents them).
    pub fn types() -> impl Iterator<Item = &'static str> {
        Area::ALL
            .into_iter()
            .flat_map(|area| area.event_types().iter().copied())
    }
}

/// The JSON object and its `type`, or the error a reader can act on.
fn tagged<'de, D: Deserializer<'de>>(
    deserializer: D,
    what: &str,
) -> Result<(serde_json::Value, String), D::Error> {
    let value = serde_json::Value::deserialize(deserializer)?;
    let kind = match value.get("type") {
        Some(serde_json::Value::String(kind)) => kind.clone(),
        Some(_) => {
            return Err(D::Error::custom(format!(
                "the {what}'s `type` must be a string"
            )));
        }
        None => return Err(D::Error::missing_field("type")),
    };
    Ok((value, kind))
}

fn area_value<T: serde::de::DeserializeOwned, E: serde::de::Error>(
    value: serde_json::Value,
) -> Result<T, E> {
    T::deserialize(value).map_err(E::custom)
}

impl ClientCommand {
    fn from_tagged<E: serde::de::Error>(value: serde_json::Value, kind: &str) -> Result<Self, E> {
        match Area::of_command(kind) {
            Some(Area::Access) => area_value(value).map(ClientCommand::Access),
            Some(Area::DonorCentre) => area_value(value).map(ClientCommand::DonorCentre),
            Some(Area::Lab) => area_value(value).map(ClientCommand::Lab),
            Some(Area::Manufacturing) => area_value(value).map(ClientCommand::Manufacturing),
            Some(Area::Release) => area_value(value).map(ClientCommand::Release),
            Some(Area::Distribution) => area_value(value).map(ClientCommand::Distribution),
            Some(Area::Transfusion) => area_value(value).map(ClientCommand::Transfusion),
            Some(Area::Lookback) => area_value(value).map(ClientCommand::Lookback),
            None if ServerCommand::TYPES.contains(&kind) => Err(E::custom(format!(
                "`{kind}` is given by the server only (a signature, a password, a token or a \
                 sign-in record), never by a client"
            ))),
            None => Err(E::custom(format!("unknown command type `{kind}`"))),
        }
    }
}

impl Serialize for ClientCommand {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ClientCommand::Access(command) => command.serialize(serializer),
            ClientCommand::DonorCentre(command) => command.serialize(serializer),
            ClientCommand::Lab(command) => command.serialize(serializer),
            ClientCommand::Manufacturing(command) => command.serialize(serializer),
            ClientCommand::Release(command) => command.serialize(serializer),
            ClientCommand::Distribution(command) => command.serialize(serializer),
            ClientCommand::Transfusion(command) => command.serialize(serializer),
            ClientCommand::Lookback(command) => command.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for ClientCommand {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (value, kind) = tagged(deserializer, "command")?;
        ClientCommand::from_tagged(value, &kind)
    }
}

impl Serialize for Command {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Command::Client(command) => command.serialize(serializer),
            Command::Server(command) => command.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Command {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (value, kind) = tagged(deserializer, "command")?;
        if ServerCommand::TYPES.contains(&kind.as_str()) {
            return area_value(value).map(Command::Server);
        }
        ClientCommand::from_tagged(value, &kind).map(Command::Client)
    }
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Event::Access(event) => event.serialize(serializer),
            Event::DonorCentre(event) => event.serialize(serializer),
            Event::Lab(event) => event.serialize(serializer),
            Event::Manufacturing(event) => event.serialize(serializer),
            Event::Release(event) => event.serialize(serializer),
            Event::Distribution(event) => event.serialize(serializer),
            Event::Transfusion(event) => event.serialize(serializer),
            Event::Lookback(event) => event.serialize(serializer),
        }
    }
}

impl Event {
    /// The event of type `kind` from its JSON text, parsed once by the area that owns the type
    /// (the ledger keeps each event's type beside its payload). A `kind` no area owns is read
    /// as any event is, so the error names what the text says.
    pub fn from_json(kind: &str, text: &str) -> Result<Event, serde_json::Error> {
        match Area::of_event(kind) {
            Some(Area::Access) => serde_json::from_str(text).map(Event::Access),
            Some(Area::DonorCentre) => serde_json::from_str(text).map(Event::DonorCentre),
            Some(Area::Lab) => serde_json::from_str(text).map(Event::Lab),
            Some(Area::Manufacturing) => serde_json::from_str(text).map(Event::Manufacturing),
            Some(Area::Release) => serde_json::from_str(text).map(Event::Release),
            Some(Area::Distribution) => serde_json::from_str(text).map(Event::Distribution),
            Some(Area::Transfusion) => serde_json::from_str(text).map(Event::Transfusion),
            Some(Area::Lookback) => serde_json::from_str(text).map(Event::Lookback),
            None => serde_json::from_str(text),
        }
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (value, kind) = tagged(deserializer, "event")?;
        match Area::of_event(&kind) {
            Some(Area::Access) => area_value(value).map(Event::Access),
            Some(Area::DonorCentre) => area_value(value).map(Event::DonorCentre),
            Some(Area::Lab) => area_value(value).map(Event::Lab),
            Some(Area::Manufacturing) => area_value(value).map(Event::Manufacturing),
            Some(Area::Release) => area_value(value).map(Event::Release),
            Some(Area::Distribution) => area_value(value).map(Event::Distribution),
            Some(Area::Transfusion) => area_value(value).map(Event::Transfusion),
            Some(Area::Lookback) => area_value(value).map(Event::Lookback),
            None => Err(D::Error::custom(format!("unknown event type `{kind}`"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_and_event_type_belongs_to_exactly_one_area() {
        let mut commands: Vec<&str> = ServerCommand::TYPES.to_vec();
        let mut events: Vec<&str> = Vec::new();
        for area in Area::ALL {
            commands.extend(area.command_types());
            events.extend(area.event_types());
        }
        let (command_count, event_count) = (commands.len(), events.len());
        commands.sort_unstable();
        commands.dedup();
        events.sort_unstable();
        events.dedup();
        assert_eq!(commands.len(), command_count, "a command type in two areas");
        assert_eq!(events.len(), event_count, "an event type in two areas");
    }

    #[test]
    fn a_server_command_is_not_a_client_command() {
        let json = r#"{"type":"set_password","user_id":"u","password_hash":"x"}"#;
        let error = serde_json::from_str::<ClientCommand>(json).expect_err("server only");
        assert!(error.to_string().contains("server only"), "{error}");
        let command: Command = serde_json::from_str(json).expect("the ledger reads it");
        assert!(matches!(
            command,
            Command::Server(ServerCommand::SetPassword { .. })
        ));
    }

    #[test]
    fn an_unknown_type_and_a_bad_field_are_named() {
        let unknown = serde_json::from_str::<Command>(r#"{"type":"brew_coffee"}"#);
        assert!(
            unknown
                .expect_err("unknown")
                .to_string()
                .contains("`brew_coffee`")
        );
        let bad = serde_json::from_str::<Command>(r#"{"type":"release_component"}"#);
        assert!(
            bad.expect_err("no component")
                .to_string()
                .contains("component")
        );
    }
}
