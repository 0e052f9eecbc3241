//! The commands and events of accounts, access and the site's configuration.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::access::accounts::{Signature, User};
use crate::access::credentials::{ApiToken, SignInAttempt};
use crate::access::roles::Role;
use crate::config::Config;

/// What users ask of this area: one variant per command, serialised as `{"type": "<snake_case
/// name>", ...}`, the same JSON as every command has had on the ledger.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = AccessCommand))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    Configure {
        config: Box<Config>,
    },
    /// An account (P11-ACCESS): admin only.
    CreateUser {
        user_id: String,
        name: String,
        role: Role,
        hospital: Option<String>,
    },
    DisableUser {
        user_id: String,
        reason: String,
    },
    RevokeApiToken {
        token_id: String,
        reason: String,
    },
}

impl Command {
    /// The `type` of each command, as serialised.
    pub const TYPES: &[&str] = &[
        "configure",
        "create_user",
        "disable_user",
        "revoke_api_token",
    ];

    /// Who may give the command (P11-ACCESS): each command names its roles here, in one place.
    pub fn roles(&self) -> &'static [Role] {
        use Role::*;
        match self {
            Command::Configure { .. }
            | Command::CreateUser { .. }
            | Command::DisableUser { .. }
            | Command::RevokeApiToken { .. } => &[Admin],
        }
    }

    /// P11-SIGN: the meaning a signature of this command must state, for the commands that
    /// are given only with the electronic signature of the person who gives them.
    pub fn signature_meaning(&self) -> Option<&'static str> {
        None
    }

    /// What the command does, for messages ("may not release a component").
    pub fn describe(&self) -> &'static str {
        match self {
            Command::Configure { .. } => "change the site configuration",
            Command::CreateUser { .. } => "create a user account",
            Command::DisableUser { .. } => "disable a user account",
            Command::RevokeApiToken { .. } => "revoke an API token",
        }
    }
}

/// What happened in this area: facts carrying every value `evolve` needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = AccessEvent))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    Configured {
        config: Box<Config>,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    UserCreated {
        user: User,
    },
    PasswordSet {
        user_id: String,
        password_hash: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    UserDisabled {
        user_id: String,
        reason: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    Signed {
        signature: Signature,
    },
    ApiTokenIssued {
        token: ApiToken,
    },
    ApiTokenRevoked {
        token_id: String,
        reason: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    SignInRecorded {
        attempt: SignInAttempt,
    },
}

impl Event {
    /// The `type` of each event, as serialised.
    pub const TYPES: &[&str] = &[
        "configured",
        "user_created",
        "password_set",
        "user_disabled",
        "signed",
        "api_token_issued",
        "api_token_revoked",
        "sign_in_recorded",
    ];

    /// The event's name, as in its serialized `type`.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Configured { .. } => "configured",
            Event::UserCreated { .. } => "user_created",
            Event::PasswordSet { .. } => "password_set",
            Event::UserDisabled { .. } => "user_disabled",
            Event::Signed { .. } => "signed",
            Event::ApiTokenIssued { .. } => "api_token_issued",
            Event::ApiTokenRevoked { .. } => "api_token_revoked",
            Event::SignInRecorded { .. } => "sign_in_recorded",
        }
    }
}
