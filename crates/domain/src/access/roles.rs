//! Who may give which command (rule P11-ACCESS: limited access and authority checks,
//! 21 CFR 11.10(d) and (g)).

pub use crate::kernel::role::Role;
use crate::{Command, ServerCommand};

use crate::kernel::refusal::{Refusal, Rule, refuse};

/// The roles allowed to give `command`: each area names the roles of its own commands
/// (`<area>::Command::roles`).
pub fn allowed_roles(command: &Command) -> &'static [Role] {
    match command {
        Command::Client(command) => command.roles(),
        Command::Server(command) => server_roles(command),
    }
}

/// The roles that may have the server build `command`.
pub fn server_roles(command: &ServerCommand) -> &'static [Role] {
    match command {
        // Passwords and tokens are an admin's; a sign-in is recorded by the server as `system`
        // in the admin role (nobody is signed in yet).
        ServerCommand::SetPassword { .. }
        | ServerCommand::IssueApiToken { .. }
        | ServerCommand::RecordSignIn { .. } => &[Role::Admin],
        // A signature adds nothing to who may give the command it signs.
        ServerCommand::Signed { command, .. } => command.roles(),
    }
}

/// P11-ACCESS: refuse a command (`what` it does) given by a role not among `allowed`.
pub fn check_access(what: &str, allowed: &[Role], role: Role) -> Result<(), Refusal> {
    if allowed.contains(&role) {
        return Ok(());
    }
    let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
    refuse(
        Rule::P11Access,
        format!(
            "{} may not {}; this needs: {}",
            role.as_str(),
            what,
            names.join(" or ")
        ),
    )
}
