//! Signing in and signing: the password check against the account on the ledger, the lockout
//! after repeated failures (21 CFR 11.300(d)), and the record of failures an admin reviews.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use hemaflow_domain::accounts::User;
use hemaflow_domain::{Command, Context, Role};
use hemaflow_service::BloodLedger;
use hemaflow_service::ledger::Outcome;
use serde::Serialize;
use time::OffsetDateTime;

use crate::auth::lockout::Attempts;
use crate::auth::{password, token};

/// How many sign-in failures the admin page keeps (the newest).
const FAILURES_KEPT: usize = 500;

/// One failed sign-in or signature, for the admin's review.
#[derive(Clone, Debug, Serialize)]
pub struct SignInFailure {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub user_id: String,
    pub reason: &'static str,
    pub locked: bool,
}

/// Lockout counters per user ID (known or not, so that a guess of a user ID learns nothing)
/// and the failures seen since the server started.
#[derive(Default)]
pub struct Guard {
    attempts: Mutex<HashMap<String, Attempts>>,
    failures: Mutex<VecDeque<SignInFailure>>,
}

/// Why a sign-in or a signature was refused. The message never says whether the user ID
/// exists.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    #[error("the user ID or the password is wrong")]
    Wrong,
    #[error(
        "this account is locked after repeated failed sign-ins; try again in 15 minutes or ask an admin"
    )]
    Locked,
    #[error("the ledger could not be read: {0}")]
    Ledger(String),
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Each change under these locks is one map or queue call: a panic elsewhere cannot leave
    // them half-written, so a poisoned lock is still sound.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Guard {
    pub fn failures(&self) -> Vec<SignInFailure> {
        lock(&self.failures).iter().rev().cloned().collect()
    }

    fn is_locked(&self, user_id: &str, now: i64) -> bool {
        lock(&self.attempts)
            .get(user_id)
            .is_some_and(|a| a.is_locked(now))
    }

    fn fail(&self, user_id: &str, reason: &'static str, now: OffsetDateTime) {
        let after = {
            let mut attempts = lock(&self.attempts);
            let entry = attempts.entry(user_id.to_owned()).or_default();
            *entry = entry.after_failure(now.unix_timestamp());
            *entry
        };
        let locked = after.is_locked(now.unix_timestamp());
        tracing::warn!(user_id, reason, locked, "sign-in failure");
        let mut failures = lock(&self.failures);
        if failures.len() >= FAILURES_KEPT {
            failures.pop_front();
        }
        failures.push_back(SignInFailure {
            at: now,
            user_id: user_id.to_owned(),
            reason,
            locked,
        });
    }

    fn succeed(&self, user_id: &str) {
        lock(&self.attempts).remove(user_id);
    }
}

/// Checks `password` for `user_id` (sign-in, or re-entry for a signature): the account must
/// exist, be enabled, have a password, and not be locked. A failure counts towards the lockout.
pub async fn authenticate(
    ledger: &BloodLedger,
    guard: &Guard,
    user_id: &str,
    password: &str,
    reason: &'static str,
) -> Result<User, SignInError> {
    let now = OffsetDateTime::now_utc();
    if guard.is_locked(user_id, now.unix_timestamp()) {
        guard.fail(user_id, "locked account", now);
        return Err(SignInError::Locked);
    }
    let user = ledger
        .read(|state| state.users.get(user_id).cloned())
        .await
        .map_err(|e| SignInError::Ledger(e.to_string()))?;
    // Hashing runs even without an account, so that timing does not tell which IDs exist.
    let stored = user
        .as_ref()
        .filter(|u| u.enabled)
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| DUMMY_HASH.clone());
    let password = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || password::verify(&password, &stored))
        .await
        .unwrap_or(false);
    match user {
        Some(user) if matches && user.enabled && user.password_hash.is_some() => {
            guard.succeed(user_id);
            Ok(user)
        }
        _ => {
            guard.fail(user_id, reason, now);
            if guard.is_locked(user_id, now.unix_timestamp()) {
                Err(SignInError::Locked)
            } else {
                Err(SignInError::Wrong)
            }
        }
    }
}

/// A hash of a random password nobody knows, checked when an account does not exist so that a
/// failure takes the same time either way. Hashing a 64-character token cannot be refused
/// (it is longer than the minimum); were it ever, the empty string matches no password.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| password::hash(&token::generate()).unwrap_or_default());

/// Why an account could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{rule}: {message}")]
    Refused { rule: String, message: String },
    #[error(transparent)]
    Password(#[from] password::PasswordError),
    #[error(transparent)]
    Ledger(#[from] hemaflow_service::ledger::LedgerError),
}

/// Creates an account with a password, as `by` (an admin): two commands on the ledger.
pub async fn create_account(
    ledger: &BloodLedger,
    by: &Context,
    user_id: &str,
    name: &str,
    role: Role,
    hospital: Option<&str>,
    password: &str,
) -> Result<(), AccountError> {
    let hash = password::hash(password)?;
    let create = Command::CreateUser {
        user_id: user_id.to_owned(),
        name: name.to_owned(),
        role,
        hospital: hospital.map(str::to_owned),
    };
    execute(ledger, by, &create).await?;
    let set = Command::SetPassword {
        user_id: user_id.to_owned(),
        password_hash: hash,
    };
    execute(ledger, by, &set).await
}

async fn execute(
    ledger: &BloodLedger,
    by: &Context,
    command: &Command,
) -> Result<(), AccountError> {
    let receipt = ledger.execute(&token::generate(), command, by).await?;
    match receipt.outcome {
        Outcome::Accepted { .. } => Ok(()),
        Outcome::Refused { rule, message } => Err(AccountError::Refused { rule, message }),
    }
}

/// On a ledger without any account, creates the first admin `user_id` with `password`, recorded
/// as given by `system` in the admin role (there is nobody else to give it). Returns false and
/// does nothing when accounts exist.
pub async fn bootstrap_admin(
    ledger: &BloodLedger,
    user_id: &str,
    name: &str,
    password: &str,
) -> Result<bool, AccountError> {
    if !ledger.read(|state| state.users.is_empty()).await? {
        return Ok(false);
    }
    let system = Context {
        actor: "system".to_owned(),
        role: Role::Admin,
        now: OffsetDateTime::now_utc(),
    };
    create_account(ledger, &system, user_id, name, Role::Admin, None, password).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_is_an_argon2id_hash_that_matches_nothing_common() {
        assert!(DUMMY_HASH.starts_with("$argon2id$"));
        assert!(!password::verify("", &DUMMY_HASH));
        assert!(!password::verify("password", &DUMMY_HASH));
    }
}
