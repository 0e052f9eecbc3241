//! Credentials other than passwords, and the record of access attempts (21 CFR Part 11).
//!
//! - API tokens for machine clients (instruments, hospital systems): each has a name, one role
//!   and, for a hospital-role token, the one hospital it acts for (P11-ACCESS). The server
//!   draws the secret and gives the domain only its SHA-256 digest, so the secret is never on
//!   the ledger; a revoked token opens nothing again (11.300(c): loss management).
//! - Sign-in attempts (11.10(e), 11.300(d)): every successful and failed sign-in and every
//!   lockout is an event, so that access attempts are part of the tamper-evident record. The
//!   server checks the password (the domain stays pure) and never sends it here.
//!
//! The actor of a token's commands is `token:<id>`: the colon cannot appear in a user ID, so a
//! token never passes for a person, and it cannot sign (P11-SIGN needs an enabled account).

use crate::AccessEvent;
use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::binding::hospital_binding;
use crate::Context;
use crate::access::roles::Role;
use crate::command::Event;
use crate::kernel::refusal::{Refusal, Rule, refuse};
use crate::state::State;

/// The prefix of the actor of a token's commands.
pub const TOKEN_ACTOR_PREFIX: &str = "token:";
/// How many sign-in attempts the state keeps for review (the newest); all are on the ledger.
pub const SIGN_INS_KEPT: usize = 500;

/// An API token as recorded: never the secret, only its SHA-256 digest (64 hex digits).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub hospital: Option<String>,
    pub digest: String,
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    pub issued_by: String,
    pub revoked: Option<TokenRevocation>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenRevocation {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
    pub reason: String,
}

/// What a projection row and a screen show of a token: everything but the digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiTokenView<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub hospital: Option<&'a str>,
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    pub issued_by: &'a str,
    pub revoked: Option<&'a TokenRevocation>,
}

impl ApiToken {
    pub fn view(&self) -> ApiTokenView<'_> {
        ApiTokenView {
            id: &self.id,
            name: &self.name,
            role: self.role,
            hospital: self.hospital.as_deref(),
            issued_at: self.issued_at,
            issued_by: &self.issued_by,
            revoked: self.revoked.as_ref(),
        }
    }

    /// The actor recorded on the ledger for this token's commands.
    pub fn actor(&self) -> String {
        format!("{TOKEN_ACTOR_PREFIX}{}", self.id)
    }

    pub fn is_active(&self) -> bool {
        self.revoked.is_none()
    }
}

/// The active token whose digest is `digest`, if any.
pub fn active_token_by_digest<'a>(state: &'a State, digest: &str) -> Option<&'a ApiToken> {
    state
        .api_tokens
        .values()
        .find(|token| token.is_active() && token.digest == digest)
}

fn check_token_id(token_id: &str) -> Result<(), Refusal> {
    let valid = (8..=64).contains(&token_id.len())
        && token_id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if valid {
        Ok(())
    } else {
        refuse(
            Rule::AccountInput,
            format!("token ID {token_id:?} must be 8 to 64 lowercase letters or digits"),
        )
    }
}

fn check_digest(digest: &str) -> Result<(), Refusal> {
    let valid = digest.len() == 64
        && digest
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if valid {
        Ok(())
    } else {
        refuse(
            Rule::P11Access,
            "a token is recorded only as the SHA-256 digest of its secret (64 lowercase hex digits)",
        )
    }
}

/// P11-ACCESS: an admin issues a named token with one role; a hospital-role token is bound to
/// exactly one hospital on record (by its ID, see [`hospital_binding`]), no
/// other is. A token may not be an admin: accounts are managed by
/// people who sign in, never by a machine.
pub fn issue_token(
    state: &State,
    token_id: &str,
    name: &str,
    role: Role,
    hospital: Option<&str>,
    digest: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    check_token_id(token_id)?;
    check_digest(digest)?;
    if state.api_tokens.contains_key(token_id) {
        return refuse(
            Rule::AccountExists,
            format!("token ID {token_id} is taken; choose another"),
        );
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return refuse(
            Rule::AccountInput,
            "a token needs a name of 1 to 80 characters (what uses it: instrument, hospital system)",
        );
    }
    if state
        .api_tokens
        .values()
        .any(|t| t.is_active() && t.name == name)
    {
        return refuse(
            Rule::AccountExists,
            format!("an active token is already named {name:?}; revoke it or choose another name"),
        );
    }
    if state.api_tokens.values().any(|t| t.digest == digest) {
        return refuse(
            Rule::P11Access,
            "this secret was already issued; draw a new one",
        );
    }
    if role == Role::Admin {
        return refuse(
            Rule::P11Access,
            "a token may not have the admin role: accounts and tokens are managed by a person",
        );
    }
    let hospital = hospital_binding(state, role, hospital, "a hospital-user token")?;
    Ok(vec![Event::Access(AccessEvent::ApiTokenIssued {
        token: ApiToken {
            id: token_id.to_owned(),
            name: name.to_owned(),
            role,
            hospital,
            digest: digest.to_owned(),
            issued_at: ctx.now,
            issued_by: ctx.actor.clone(),
            revoked: None,
        },
    })])
}

/// P11-ACCESS (11.300(c)): a revoked token opens nothing again; it stays on record.
pub fn revoke_token(
    state: &State,
    token_id: &str,
    reason: &str,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    let Some(token) = state.api_tokens.get(token_id) else {
        return refuse(Rule::NotFound, format!("no API token {token_id}"));
    };
    if !token.is_active() {
        return refuse(
            Rule::AccountDisabled,
            format!("token {token_id} is already revoked"),
        );
    }
    if reason.trim().is_empty() {
        return refuse(
            Rule::AccountInput,
            "the reason is required: say why the token is revoked",
        );
    }
    Ok(vec![Event::Access(AccessEvent::ApiTokenRevoked {
        token_id: token_id.to_owned(),
        reason: reason.trim().to_owned(),
        at: ctx.now,
        by: ctx.actor.clone(),
    })])
}

/// How a sign-in attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SignInOutcome {
    Succeeded,
    /// A wrong user ID or password (the record does not say which).
    Failed,
    /// This failure locked the account, or the account was locked when tried.
    Locked,
}

/// The failed sign-ins in a row of one user ID (as typed), since its last success: what the
/// server's lockout (P11-ACCESS, 11.300(d)) reads, so that a restart or another server process
/// sees the same count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FailedRun {
    pub consecutive: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub last_at: OffsetDateTime,
}

/// One access attempt as recorded: who was tried, through what, how it ended. Never the
/// password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignInAttempt {
    /// The user ID as typed (an unknown one too: guessing is what this record detects).
    pub user_id: String,
    /// "sign-in", "API sign-in", "signature".
    pub channel: String,
    pub outcome: SignInOutcome,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// P11-AUDIT (11.10(e), 11.300(d)): an access attempt goes on the record as it happened. The
/// user ID is kept as typed, cut to 64 characters so that a pasted essay is not the record.
pub fn record_sign_in(
    user_id: &str,
    channel: &str,
    outcome: SignInOutcome,
    ctx: &Context,
) -> Result<Vec<Event>, Refusal> {
    if channel.trim().is_empty() {
        return refuse(Rule::AccountInput, "a sign-in record names its channel");
    }
    Ok(vec![Event::Access(AccessEvent::SignInRecorded {
        attempt: SignInAttempt {
            user_id: user_id.chars().take(64).collect(),
            channel: channel.trim().to_owned(),
            outcome,
            at: ctx.now,
        },
    })])
}

pub(crate) fn evolve(state: &mut State, event: &AccessEvent) {
    match event {
        AccessEvent::ApiTokenIssued { token } => {
            state.api_tokens.insert(token.id.clone(), token.clone());
        }
        AccessEvent::ApiTokenRevoked {
            token_id,
            reason,
            at,
            by,
        } => {
            if let Some(token) = state.api_tokens.get_mut(token_id) {
                token.revoked = Some(TokenRevocation {
                    at: *at,
                    by: by.clone(),
                    reason: reason.clone(),
                });
            }
        }
        AccessEvent::SignInRecorded { attempt } => {
            count_failures(state, attempt);
            push_bounded(&mut state.recent_sign_ins, attempt.clone());
        }
        _ => {}
    }
}

fn count_failures(state: &mut State, attempt: &SignInAttempt) {
    if attempt.outcome == SignInOutcome::Succeeded {
        state.failed_sign_ins.remove(&attempt.user_id);
        return;
    }
    let run = state
        .failed_sign_ins
        .entry(attempt.user_id.clone())
        .or_insert(FailedRun {
            consecutive: 0,
            last_at: attempt.at,
        });
    run.consecutive += 1;
    run.last_at = attempt.at;
}

fn push_bounded(list: &mut VecDeque<SignInAttempt>, attempt: SignInAttempt) {
    if list.len() >= SIGN_INS_KEPT {
        list.pop_front();
    }
    list.push_back(attempt);
}
