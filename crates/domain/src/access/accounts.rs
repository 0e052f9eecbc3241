//! User accounts and electronic signatures (21 CFR Part 11): who may sign in, in which role,
//! and what a signature means. Accounts are records of the establishment, so their changes are
//! commands and events on the ledger like any other.
//!
//! The domain stays pure: the server hashes passwords (Argon2id, PHC string) and checks a
//! re-entered password before it submits a [`Command::Server(ServerCommand::Signed)`]; the domain checks who may
//! manage accounts (P11-ACCESS), that a hash is a PHC string, and what a signature shows and
//! means (P11-SIGN).

use crate::{AccessEvent, ClientCommand};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::binding::hospital_binding;
use crate::Context;
use crate::access::roles::Role;
use crate::command::Event;
use crate::kernel::refusal::{Refusal, Rule, refuse};
use crate::state::State;

/// A user account. The password hash is kept in the state (replayed from the ledger) but never
/// shown in a projection row (see [`UserView`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: String,
    /// The printed name shown on every signature of this user (P11-SIGN).
    pub name: String,
    pub role: Role,
    /// The one hospital a hospital user acts for; none for every other role.
    pub hospital: Option<String>,
    pub enabled: bool,
    pub password_hash: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub password_set_at: Option<OffsetDateTime>,
}

/// What a projection row and a screen show of an account: everything but the hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserView<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub hospital: Option<&'a str>,
    pub enabled: bool,
    pub has_password: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: &'a str,
    #[serde(with = "time::serde::rfc3339::option")]
    pub password_set_at: Option<OffsetDateTime>,
}

impl User {
    pub fn view(&self) -> UserView<'_> {
        UserView {
            id: &self.id,
            name: &self.name,
            role: self.role,
            hospital: self.hospital.as_deref(),
            enabled: self.enabled,
            has_password: self.password_hash.is_some(),
            created_at: self.created_at,
            created_by: &self.created_by,
            password_set_at: self.password_set_at,
        }
    }
}

/// An electronic signature as recorded (P11-SIGN): printed name, date and time, meaning, and
/// the record it is bound to (the command it was given with, in the same ledger entry batch).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Signature {
    pub user_id: String,
    pub printed_name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub signed_at: OffsetDateTime,
    /// "released by", "discarded by", "deferral removed by".
    pub meaning: String,
    /// What was signed, in words ("release a component").
    pub signed: String,
    /// The two components that identified the signer (21 CFR 11.200(a)(1)).
    pub method: String,
}

/// How a signer proved who they are; the server checks the password before submitting.
pub const SIGNATURE_METHOD: &str = "user ID and password re-entered at signing";

/// P11-SIGN: the meaning a signature must carry for each command that needs one, or `None`
/// when the command is not signed.
pub fn required_meaning(command: &ClientCommand) -> Option<&'static str> {
    command.signature_meaning()
}

fn check_user_id(user_id: &str) -> Result<(), Refusal> {
    let valid = (3..=32).contains(&user_id.len())
        && user_id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    if valid {
        Ok(())
    } else {
        refuse(
            Rule::AccountInput,
            format!(
                "user ID {user_id:?} must be 3 to 32 lowercase letters, digits, dots or hyphens"
            ),
        )
    }
}

/// P11-ACCESS: an account has one role; a hospital user is bound to exactly one hospital on
/// record (by its ID, see [`hospital_binding`]) and no other role is bound to one.
pub fn create_user(
    state: &State,
    user_id: &str,
    name: &str,
    role: Role,
    hospital: Option<&str>,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    check_user_id(user_id)?;
    if state.users.contains_key(user_id) {
        return refuse(
            Rule::AccountExists,
            format!("user ID {user_id} is taken; accounts are never reused, choose another"),
        );
    }
    if name.trim().is_empty() {
        return refuse(
            Rule::AccountInput,
            "the printed name is required (it appears on signatures)",
        );
    }
    let hospital = hospital_binding(state, role, hospital, &format!("a {}", role.as_str()))?;
    Ok(vec![Event::Access(AccessEvent::UserCreated {
        user: User {
            id: user_id.to_owned(),
            name: name.trim().to_owned(),
            role,
            hospital,
            enabled: true,
            password_hash: None,
            created_at: ctx.now,
            created_by: ctx.actor.clone(),
            password_set_at: None,
        },
    })])
}

fn existing<'a>(state: &'a State, user_id: &str) -> Result<&'a User, Refusal> {
    state
        .users
        .get(user_id)
        .ok_or_else(|| Refusal::new(Rule::NotFound, format!("no user {user_id}")))
}

/// P11-SIGN: a password is one of the two components of a signature; only an Argon2id PHC
/// string is accepted, so that no plain or weakly hashed password reaches the ledger.
pub fn set_password(
    state: &State,
    user_id: &str,
    password_hash: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    existing(state, user_id)?;
    if !password_hash.starts_with("$argon2id$") {
        return refuse(
            Rule::P11Sign,
            "a password is stored only as an Argon2id hash (PHC string)",
        );
    }
    Ok(vec![Event::Access(AccessEvent::PasswordSet {
        user_id: user_id.to_owned(),
        password_hash: password_hash.to_owned(),
        at: ctx.now,
        by: ctx.actor.clone(),
    })])
}

/// P11-ACCESS: a disabled account signs in no more; it stays on record (never deleted).
pub fn disable_user(
    state: &State,
    user_id: &str,
    reason: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let user = existing(state, user_id)?;
    if reason.trim().is_empty() {
        return refuse(
            Rule::AccountInput,
            "the reason is required: say why the account is disabled",
        );
    }
    if !user.enabled {
        return refuse(
            Rule::AccountDisabled,
            format!("user {user_id} is already disabled"),
        );
    }
    if user_id == ctx.actor {
        return refuse(
            Rule::P11Access,
            "an admin may not disable their own account",
        );
    }
    Ok(vec![Event::Access(AccessEvent::UserDisabled {
        user_id: user_id.to_owned(),
        reason: reason.trim().to_owned(),
        at: ctx.now,
        by: ctx.actor.clone(),
    })])
}

/// P11-SIGN: a signed command carries the meaning its command needs; the signer is the actor
/// (a signature is bound to the one who gives the command), an enabled account whose printed
/// name the signature records with the date and time. The signature event comes first, then
/// the command's own events, in one batch: neither is recorded without the other.
pub fn signed(
    state: &State,
    meaning: &str,
    command: &ClientCommand,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let Some(required) = required_meaning(command) else {
        return refuse(
            Rule::P11Sign,
            format!(
                "to {} needs no signature; give it unsigned",
                command.describe()
            ),
        );
    };
    if meaning != required {
        return refuse(
            Rule::P11Sign,
            format!(
                "the signature to {} must mean {required:?}, not {meaning:?}",
                command.describe()
            ),
        );
    }
    let Some(user) = state.users.get(&ctx.actor).filter(|u| u.enabled) else {
        return refuse(
            Rule::P11Sign,
            format!("{} has no enabled account and cannot sign", ctx.actor),
        );
    };
    let mut events = vec![Event::Access(AccessEvent::Signed {
        signature: Signature {
            user_id: user.id.clone(),
            printed_name: user.name.clone(),
            signed_at: ctx.now,
            meaning: required.to_owned(),
            signed: command.describe().to_owned(),
            method: SIGNATURE_METHOD.to_owned(),
        },
    })];
    events.extend(crate::decide_client(state, command, ctx)?);
    Ok(events)
}

pub(crate) fn evolve(state: &mut State, event: &AccessEvent) {
    match event {
        AccessEvent::UserCreated { user } => {
            state.users.insert(user.id.clone(), user.clone());
        }
        AccessEvent::PasswordSet {
            user_id,
            password_hash,
            at,
            ..
        } => {
            if let Some(user) = state.users.get_mut(user_id) {
                user.password_hash = Some(password_hash.clone());
                user.password_set_at = Some(*at);
            }
        }
        AccessEvent::UserDisabled { user_id, .. } => {
            if let Some(user) = state.users.get_mut(user_id) {
                user.enabled = false;
            }
        }
        _ => {}
    }
}
