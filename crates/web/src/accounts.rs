//! Signing in and signing: the password check against the account on the ledger, the lockout
//! after repeated failures (21 CFR 11.300(d)), and every attempt recorded on the ledger
//! (11.10(e): access attempts are part of the audit record; never the password).

use hemaflow_domain::access::accounts::User;
use hemaflow_domain::access::credentials::SignInOutcome;
use hemaflow_domain::{AccessCommand, ClientCommand, ServerCommand};
use hemaflow_domain::{Command, Context, Role, Stamp};
use hemaflow_service::BloodLedger;
use hemaflow_service::ledger::Outcome;
use time::OffsetDateTime;

use crate::auth::lockout::Attempts;
use crate::auth::{password, token};

/// The channel of a signature's password re-entry: its success is the `signed` event itself,
/// so only its failures are recorded as attempts.
pub const SIGNATURE: &str = "signature";

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
    #[error("the ledger could not be read or written: {0}")]
    Ledger(String),
    /// Not tried (no password checked, nothing recorded): over a rate limit or no hashing
    /// slot free (`security`).
    #[error(transparent)]
    Throttled(#[from] crate::security::Throttled),
}

/// The lockout record of `user_id` (known or not, so that a guess of a user ID learns
/// nothing): its failed sign-ins in a row, counted by the ledger's state from the recorded
/// attempts, so that a restart or another server process sees the same lock.
async fn attempts_of(ledger: &BloodLedger, user_id: &str) -> Result<Attempts, SignInError> {
    let run = ledger
        .read(|state| state.failed_sign_ins.get(user_id).cloned())
        .await
        .map_err(|e| SignInError::Ledger(e.to_string()))?;
    Ok(run.map_or_else(Attempts::default, |run| {
        Attempts::from_run(run.consecutive, run.last_at.unix_timestamp())
    }))
}

/// P11-AUDIT: records an access attempt on the ledger, as `system` in the admin role (nobody is
/// signed in yet to give it). A sign-in whose attempt cannot be recorded does not happen.
async fn record_attempt(
    ledger: &BloodLedger,
    user_id: &str,
    channel: &str,
    outcome: SignInOutcome,
    now: OffsetDateTime,
) -> Result<(), SignInError> {
    let command = Command::Server(ServerCommand::RecordSignIn {
        user_id: user_id.to_owned(),
        channel: channel.to_owned(),
        outcome,
    });
    let system = Context {
        actor: "system".to_owned(),
        role: Role::Admin,
        now,
        stamp: Stamp::Clock,
    };
    tracing::info!(user_id, channel, ?outcome, "sign-in attempt");
    let receipt = ledger
        .execute(&token::generate(), &command, &system)
        .await
        .map_err(|e| SignInError::Ledger(e.to_string()))?;
    match receipt.outcome {
        Outcome::Accepted { .. } => Ok(()),
        Outcome::Refused { rule, message } => {
            Err(SignInError::Ledger(format!("{rule}: {message}")))
        }
    }
}

/// Checks `password` for `user_id` (sign-in, or re-entry for a signature): the account must
/// exist, be enabled, have a password, and not be locked. A failure counts towards the lockout;
/// every attempt is recorded (a signature's success is recorded by its `signed` event). An
/// attempt over the account's rate, or with no hashing slot free, is not tried
/// ([`SignInError::Throttled`]).
pub async fn authenticate(
    app: &crate::App,
    user_id: &str,
    password: &str,
    channel: &'static str,
) -> Result<User, SignInError> {
    app.guards.sign_in_as(user_id)?;
    let ledger = &app.ledger;
    let now = crate::now_of(ledger);
    let attempts = attempts_of(ledger, user_id).await?;
    if attempts.is_locked(now.unix_timestamp()) {
        record_attempt(ledger, user_id, channel, SignInOutcome::Locked, now).await?;
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
    let slot = app.guards.hashing_slot().await?;
    let matches = tokio::task::spawn_blocking(move || password::verify(&password, &stored))
        .await
        .unwrap_or(false);
    drop(slot);
    match user {
        Some(user) if matches && user.enabled && user.password_hash.is_some() => {
            // A signature's success is its `signed` event; it does not clear a run of failed
            // sign-ins (only a sign-in does).
            if channel != SIGNATURE {
                record_attempt(ledger, user_id, channel, SignInOutcome::Succeeded, now).await?;
            }
            Ok(user)
        }
        _ => {
            let locked = attempts
                .after_failure(now.unix_timestamp())
                .is_locked(now.unix_timestamp());
            let outcome = if locked {
                SignInOutcome::Locked
            } else {
                SignInOutcome::Failed
            };
            record_attempt(ledger, user_id, channel, outcome, now).await?;
            Err(if locked {
                SignInError::Locked
            } else {
                SignInError::Wrong
            })
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
    let create = Command::Client(ClientCommand::Access(AccessCommand::CreateUser {
        user_id: user_id.to_owned(),
        name: name.to_owned(),
        role,
        hospital: hospital.map(str::to_owned),
    }));
    execute(ledger, by, &create).await?;
    let set = Command::Server(ServerCommand::SetPassword {
        user_id: user_id.to_owned(),
        password_hash: hash,
    });
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
        now: crate::now_of(ledger),
        stamp: Stamp::Clock,
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
