//! The hospital an account or API token is bound to (P11-ACCESS): what the credential may see
//! and do at the hospitals we supply.

use crate::access::roles::Role;
use crate::kernel::refusal::{Refusal, Rule, refuse};
use crate::state::State;

/// P11-ACCESS (binding): the hospital an account or API token of `role` is bound to. A
/// hospital user, transfusion technologist or nurse (or such a token) is bound to exactly one
/// hospital on record, given by its ID; no other role is bound to one. `what` names the credential in the refusal ("a
/// hospital user", "a hospital-user token"). The binding is an access rule (it decides what
/// the credential may see and do), so its refusals are P11-ACCESS like the rest of account
/// and token management, not DIST-EXISTS (which refuses an ID already used). Returns the
/// trimmed hospital ID to record, or `None` for any other role.
pub fn hospital_binding(
    state: &State,
    role: Role,
    hospital: Option<&str>,
    what: &str,
) -> Result<Option<String>, Refusal> {
    let hospital = hospital.map(str::trim).filter(|h| !h.is_empty());
    match (role, hospital) {
        (role, None) if role.is_hospital_bound() => refuse(
            Rule::P11Access,
            format!(
                "{what} must be bound to one hospital; {}",
                hospitals_to_choose(state)
            ),
        ),
        (role, Some(id)) if role.is_hospital_bound() && state.hospitals.contains_key(id) => {
            Ok(Some(id.to_owned()))
        }
        (role, Some(unknown)) if role.is_hospital_bound() => {
            let by_name = state
                .hospitals
                .values()
                .find(|h| h.name.eq_ignore_ascii_case(unknown));
            let hint = match by_name {
                Some(h) => format!(
                    "{unknown:?} is the name of hospital {}: bind to its ID; {}",
                    h.id,
                    hospitals_to_choose(state)
                ),
                None => hospitals_to_choose(state),
            };
            refuse(
                Rule::P11Access,
                format!(
                    "{what} is bound to a hospital by its ID, and no hospital on record has the ID {unknown:?}; {hint}"
                ),
            )
        }
        (other, Some(given)) => refuse(
            Rule::P11Access,
            format!(
                "only hospital users, transfusion technologists and nurses are bound to a hospital; the role {} takes none (hospital {given:?} given)",
                other.as_str()
            ),
        ),
        (_, None) => Ok(None),
    }
}

/// The hospitals' IDs an admin may choose from, in words.
fn hospitals_to_choose(state: &State) -> String {
    if state.hospitals.is_empty() {
        return "no hospital is on record yet: register the hospital first".to_owned();
    }
    let ids: Vec<String> = state
        .hospitals
        .values()
        .map(|h| format!("{} ({})", h.id, h.name))
        .collect();
    format!("the hospitals on record are {}", ids.join(", "))
}
