//! The rules of SPEC.md section 2 as pure functions.
//!
//! Storage calls these inside the same transaction as the write they guard,
//! with the facts it has just read under lock, so a rule and its write can
//! never be separated by a concurrent change.

use crate::catalog::Permission;
use crate::permission_set::PermissionSet;
use crate::role::Role;

/// Why a change was refused. Each maps to one stable error code of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RuleViolation {
    /// Rule 2: the role (or the member addressed) reaches beyond the actor's own permissions.
    #[error("you can only give or manage roles whose permissions you hold yourself")]
    RoleCeiling,
    /// Rule 3: nobody changes their own role.
    #[error("you cannot change your own role")]
    OwnRole,
    /// Rule 4: the organisation would be left without an admin.
    #[error("an organisation must keep at least one admin")]
    LastAdmin,
}

/// Rule 2, for giving a role (invite, resend, accept, change role, API key).
pub fn may_grant(actor: PermissionSet, role: Role) -> Result<(), RuleViolation> {
    if role.permissions().is_subset_of(actor) {
        Ok(())
    } else {
        Err(RuleViolation::RoleCeiling)
    }
}

/// Who asks for a change to a membership, and who it is about.
#[derive(Debug, Clone, Copy)]
pub struct MembershipChange<'a> {
    pub actor_user: &'a str,
    pub actor_permissions: PermissionSet,
    pub target_user: &'a str,
    pub target_role: Role,
    /// How many admins the organisation has now, counted under lock.
    pub admins: u64,
}

impl MembershipChange<'_> {
    fn target_within_actor(&self) -> Result<(), RuleViolation> {
        may_grant(self.actor_permissions, self.target_role)
    }

    fn removes_last_admin(&self) -> bool {
        self.target_role == Role::Admin && self.admins <= 1
    }
}

/// Rules 2, 3 and 4 for `PATCH /members/{user}`.
pub fn check_role_change(
    change: MembershipChange<'_>,
    new_role: Role,
) -> Result<(), RuleViolation> {
    if change.actor_user == change.target_user {
        return Err(RuleViolation::OwnRole);
    }
    change.target_within_actor()?;
    may_grant(change.actor_permissions, new_role)?;
    if new_role != Role::Admin && change.removes_last_admin() {
        return Err(RuleViolation::LastAdmin);
    }
    Ok(())
}

/// Rules 2 and 4 for `DELETE /members/{user}`.
pub fn check_removal(change: MembershipChange<'_>) -> Result<(), RuleViolation> {
    change.target_within_actor()?;
    if change.removes_last_admin() {
        return Err(RuleViolation::LastAdmin);
    }
    Ok(())
}

/// Rule 4 for a member leaving on their own.
pub fn check_leave(role: Role, admins: u64) -> Result<(), RuleViolation> {
    if role == Role::Admin && admins <= 1 {
        Err(RuleViolation::LastAdmin)
    } else {
        Ok(())
    }
}

/// Rule 7: an API key acts with its own role, capped by its creator's current permissions.
pub fn api_key_permissions(key_role: Role, creator: Option<PermissionSet>) -> PermissionSet {
    match creator {
        Some(creator) => key_role.permissions().intersection(creator),
        None => PermissionSet::EMPTY,
    }
}

/// The answer to "may this member do that", with the reason the API reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub reason: String,
}

/// Rule 1, deny by default: allowed only when the member's current role grants it.
pub fn decide(role: Role, permission: Permission) -> Decision {
    if role.permissions().contains(permission) {
        Decision {
            allowed: true,
            reason: format!("role {} grants {permission}", role.key()),
        }
    } else {
        Decision {
            allowed: false,
            reason: format!("role {} does not grant {permission}", role.key()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change<'a>(
        actor: &'a str,
        actor_role: Role,
        target: &'a str,
        target_role: Role,
        admins: u64,
    ) -> MembershipChange<'a> {
        MembershipChange {
            actor_user: actor,
            actor_permissions: actor_role.permissions(),
            target_user: target,
            target_role,
            admins,
        }
    }

    #[test]
    fn a_manager_cannot_give_admin_or_billing() {
        let manager = Role::Manager.permissions();
        assert_eq!(
            may_grant(manager, Role::Admin),
            Err(RuleViolation::RoleCeiling)
        );
        assert_eq!(
            may_grant(manager, Role::Billing),
            Err(RuleViolation::RoleCeiling)
        );
        assert_eq!(may_grant(manager, Role::Staff), Ok(()));
        assert_eq!(may_grant(manager, Role::Viewer), Ok(()));
    }

    #[test]
    fn nobody_changes_their_own_role() {
        let c = change("a", Role::Admin, "a", Role::Admin, 5);
        assert_eq!(
            check_role_change(c, Role::Viewer),
            Err(RuleViolation::OwnRole)
        );
    }

    #[test]
    fn the_last_admin_cannot_be_demoted_removed_or_leave() {
        let c = change("a", Role::Admin, "b", Role::Admin, 1);
        assert_eq!(
            check_role_change(c, Role::Staff),
            Err(RuleViolation::LastAdmin)
        );
        assert_eq!(check_removal(c), Err(RuleViolation::LastAdmin));
        assert_eq!(check_leave(Role::Admin, 1), Err(RuleViolation::LastAdmin));
        let two = change("a", Role::Admin, "b", Role::Admin, 2);
        assert_eq!(check_role_change(two, Role::Staff), Ok(()));
        assert_eq!(check_removal(two), Ok(()));
        assert_eq!(check_leave(Role::Admin, 2), Ok(()));
        assert_eq!(check_leave(Role::Viewer, 1), Ok(()));
    }

    #[test]
    fn a_member_above_the_actor_cannot_be_touched() {
        let c = change("m", Role::Manager, "b", Role::Billing, 1);
        assert_eq!(
            check_role_change(c, Role::Viewer),
            Err(RuleViolation::RoleCeiling)
        );
        assert_eq!(check_removal(c), Err(RuleViolation::RoleCeiling));
    }

    #[test]
    fn an_api_key_is_capped_by_its_creator_and_dies_with_them() {
        let capped = api_key_permissions(Role::Admin, Some(Role::Viewer.permissions()));
        assert_eq!(capped, Role::Viewer.permissions());
        assert_eq!(api_key_permissions(Role::Admin, None), PermissionSet::EMPTY);
    }

    #[test]
    fn deny_by_default_names_the_role() {
        let p = Permission::of("billing", "view");
        let d = decide(Role::Staff, p);
        assert!(!d.allowed);
        assert_eq!(d.reason, "role staff does not grant billing:view");
        assert!(decide(Role::Billing, p).allowed);
    }
}
