//! The five built-in roles of SPEC.md section 1. They cannot be edited or deleted.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::catalog::{Permission, CATALOG};
use crate::permission_set::PermissionSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Admin,
    Manager,
    Staff,
    Viewer,
    Billing,
}

/// A role key that names no role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a role (expected one of admin, manager, staff, viewer, billing)")]
pub struct UnknownRole(pub String);

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Manager,
        Role::Staff,
        Role::Viewer,
        Role::Billing,
    ];

    pub const fn key(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Staff => "staff",
            Role::Viewer => "viewer",
            Role::Billing => "billing",
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Manager => "Manager",
            Role::Staff => "Staff",
            Role::Viewer => "Viewer",
            Role::Billing => "Billing",
        }
    }

    pub const fn description(self) -> &'static str {
        match self {
            Role::Admin => "Full access to every feature and setting of the organisation.",
            Role::Manager => "Runs agents, campaigns, the inbox and analytics; sees logs, the team and the audit log.",
            Role::Staff => "Works the inbox day to day and sees agents and campaigns.",
            Role::Viewer => "Reads analytics, logs and the audit log.",
            Role::Billing => "Manages the plan, invoices, usage and payment settings.",
        }
    }

    /// What the role grants.
    #[inline]
    pub fn permissions(self) -> PermissionSet {
        GRANTS[self as usize]
    }

    fn compute_permissions(self) -> PermissionSet {
        match self {
            Role::Admin => PermissionSet::all(),
            Role::Manager => whole_features(&[
                "chat_agents",
                "whatsapp_agents",
                "voice_agents",
                "campaigns",
                "inbox",
                "analytics",
            ])
            .union(named(&[
                "logs:view",
                "team:view",
                "roles:view",
                "audit_log:view",
            ])),
            Role::Staff => whole_features(&["inbox"]).union(named(&[
                "chat_agents:view",
                "whatsapp_agents:view",
                "voice_agents:view",
                "campaigns:view",
                "logs:view",
                "team:view",
            ])),
            Role::Viewer => named(&["analytics:view", "logs:view", "audit_log:view"]),
            Role::Billing => {
                whole_features(&["billing", "payment_settings"]).union(named(&["usage:view"]))
            }
        }
    }
}

/// Each role's grant, computed once from the catalog.
static GRANTS: LazyLock<[PermissionSet; 5]> =
    LazyLock::new(|| Role::ALL.map(Role::compute_permissions));

fn whole_features(features: &[&str]) -> PermissionSet {
    CATALOG
        .iter()
        .filter(|f| features.contains(&f.key))
        .flat_map(|f| {
            f.actions
                .iter()
                .filter_map(|a| Permission::lookup(f.key, a))
        })
        .collect()
}

fn named(names: &[&str]) -> PermissionSet {
    names
        .iter()
        .filter_map(|n| n.parse::<Permission>().ok())
        .collect()
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.key().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownRole(s.chars().take(80).collect()))
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.key())
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(role: Role) -> Vec<String> {
        role.permissions().sorted_names()
    }

    #[test]
    fn admin_holds_every_permission() {
        assert_eq!(Role::Admin.permissions(), PermissionSet::all());
    }

    #[test]
    fn manager_matches_the_contract() {
        let p = names(Role::Manager);
        assert_eq!(p.len(), 4 + 4 + 4 + 5 + 4 + 2 + 4);
        for want in [
            "campaigns:launch",
            "inbox:assign",
            "analytics:export",
            "logs:view",
            "team:view",
            "roles:view",
            "audit_log:view",
        ] {
            assert!(p.contains(&want.to_string()), "{want}");
        }
        for absent in [
            "team:invite",
            "api_keys:view",
            "billing:view",
            "audit_log:export",
        ] {
            assert!(!p.contains(&absent.to_string()), "{absent}");
        }
    }

    #[test]
    fn staff_viewer_and_billing_match_the_contract() {
        assert_eq!(
            names(Role::Staff),
            vec![
                "campaigns:view",
                "chat_agents:view",
                "inbox:assign",
                "inbox:close",
                "inbox:reply",
                "inbox:view",
                "logs:view",
                "team:view",
                "voice_agents:view",
                "whatsapp_agents:view"
            ]
        );
        assert_eq!(
            names(Role::Viewer),
            vec!["analytics:view", "audit_log:view", "logs:view"]
        );
        assert_eq!(
            names(Role::Billing),
            vec![
                "billing:edit",
                "billing:view",
                "payment_settings:edit",
                "payment_settings:view",
                "usage:view"
            ]
        );
    }

    #[test]
    fn role_keys_parse_and_unknown_ones_do_not() {
        assert_eq!("manager".parse::<Role>(), Ok(Role::Manager));
        assert_eq!("Admin".parse::<Role>(), Ok(Role::Admin));
        assert!("owner".parse::<Role>().is_err());
        assert!("".parse::<Role>().is_err());
    }
}
