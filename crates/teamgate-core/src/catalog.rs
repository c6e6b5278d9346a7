//! The catalog of feature permissions (SPEC.md section 1).
//!
//! A permission is `feature:action`. Each one has a fixed index below 64 so a
//! member's whole grant fits in one machine word ([`crate::PermissionSet`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A feature of the platform and the actions it offers, in catalog order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feature {
    pub key: &'static str,
    pub label: &'static str,
    pub actions: &'static [&'static str],
    pub covers: &'static str,
}

/// The whole catalog. The order fixes each permission's index, so it only ever grows at the end.
pub const CATALOG: &[Feature] = &[
    Feature {
        key: "chat_agents",
        label: "Chat Agents",
        actions: &["view", "create", "edit", "delete"],
        covers: "website chat agents and their configuration",
    },
    Feature {
        key: "whatsapp_agents",
        label: "WhatsApp Agents",
        actions: &["view", "create", "edit", "delete"],
        covers: "WhatsApp agents",
    },
    Feature {
        key: "voice_agents",
        label: "Voice Agents",
        actions: &["view", "create", "edit", "delete"],
        covers: "voice (phone) agents",
    },
    Feature {
        key: "campaigns",
        label: "Campaigns",
        actions: &["view", "create", "edit", "delete", "launch"],
        covers: "outbound campaigns",
    },
    Feature {
        key: "inbox",
        label: "Inbox",
        actions: &["view", "reply", "assign", "close"],
        covers: "the shared conversation inbox",
    },
    Feature {
        key: "analytics",
        label: "Analytics",
        actions: &["view", "export"],
        covers: "dashboards and their exports",
    },
    Feature {
        key: "logs",
        label: "Logs",
        actions: &["view"],
        covers: "conversation transcripts and call logs",
    },
    Feature {
        key: "api_keys",
        label: "API Keys",
        actions: &["view", "create", "revoke"],
        covers: "platform API keys",
    },
    Feature {
        key: "billing",
        label: "Billing",
        actions: &["view", "edit"],
        covers: "plan and invoices",
    },
    Feature {
        key: "usage",
        label: "Usage",
        actions: &["view"],
        covers: "usage counters",
    },
    Feature {
        key: "payment_settings",
        label: "Payment Settings",
        actions: &["view", "edit"],
        covers: "payment method and billing address",
    },
    Feature {
        key: "team",
        label: "Team Members",
        actions: &["view", "invite", "change_role", "remove"],
        covers: "members and invites",
    },
    Feature {
        key: "roles",
        label: "Roles",
        actions: &["view", "create", "edit", "delete"],
        covers: "role definitions",
    },
    Feature {
        key: "audit_log",
        label: "Audit Log",
        actions: &["view", "export"],
        covers: "the audit log",
    },
    Feature {
        key: "org_settings",
        label: "Organisation Settings",
        actions: &["view", "edit"],
        covers: "organisation name and settings",
    },
];

/// Number of permissions in the catalog.
pub const PERMISSION_COUNT: usize = {
    let mut n = 0;
    let mut i = 0;
    while i < CATALOG.len() {
        n += CATALOG[i].actions.len();
        i += 1;
    }
    n
};

const _: () = assert!(
    PERMISSION_COUNT <= 64,
    "a PermissionSet holds at most 64 permissions"
);

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// One `feature:action` of the catalog, as its index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Permission(u8);

/// A permission string that is not in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a permission of the catalog (expected feature:action, such as chat_agents:view)"
)]
pub struct UnknownPermission(pub String);

impl Permission {
    /// Looks a permission up by feature and action.
    pub const fn lookup(feature: &str, action: &str) -> Option<Permission> {
        let mut index = 0u8;
        let mut f = 0;
        while f < CATALOG.len() {
            let mut a = 0;
            while a < CATALOG[f].actions.len() {
                if str_eq(CATALOG[f].key, feature) && str_eq(CATALOG[f].actions[a], action) {
                    return Some(Permission(index));
                }
                index += 1;
                a += 1;
            }
            f += 1;
        }
        None
    }

    /// The permission for a feature and action known when compiling; used in
    /// constants, where a pair outside the catalog stops the build.
    pub const fn of(feature: &str, action: &str) -> Permission {
        match Permission::lookup(feature, action) {
            Some(p) => p,
            None => panic!("a permission named in code is not in the catalog"),
        }
    }

    /// Every permission, in catalog order.
    pub fn all() -> impl Iterator<Item = Permission> {
        (0..PERMISSION_COUNT as u8).map(Permission)
    }

    pub const fn index(self) -> u8 {
        self.0
    }

    pub fn from_index(index: u8) -> Option<Permission> {
        ((index as usize) < PERMISSION_COUNT).then_some(Permission(index))
    }

    pub fn feature(self) -> &'static Feature {
        self.parts().0
    }

    pub fn action(self) -> &'static str {
        self.parts().1
    }

    fn parts(self) -> (&'static Feature, &'static str) {
        let mut index = self.0 as usize;
        for f in CATALOG {
            if index < f.actions.len() {
                return (f, f.actions[index]);
            }
            index -= f.actions.len();
        }
        unreachable!("a Permission is only built from a valid index")
    }

    /// The permission in plain words, for people: "edit Chat Agents".
    pub fn describe(self) -> String {
        let action = self.action().replace('_', " ");
        format!("{action} {}", self.feature().label)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (feature, action) = self.parts();
        write!(f, "{}:{}", feature.key, action)
    }
}

impl FromStr for Permission {
    type Err = UnknownPermission;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown = || UnknownPermission(s.chars().take(80).collect());
        let (feature, action) = s.split_once(':').ok_or_else(unknown)?;
        Permission::lookup(feature, action).ok_or_else(unknown)
    }
}

impl Serialize for Permission {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Permission {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_holds_forty_four_permissions() {
        assert_eq!(PERMISSION_COUNT, 44);
        assert_eq!(Permission::all().count(), 44);
    }

    #[test]
    fn every_permission_round_trips_through_its_name() {
        for p in Permission::all() {
            let name = p.to_string();
            assert_eq!(name.parse::<Permission>(), Ok(p), "{name}");
        }
    }

    #[test]
    fn malformed_or_unknown_names_are_refused() {
        for bad in [
            "",
            ":",
            "chat_agents",
            "chat_agents:",
            ":view",
            "chat_agents:fly",
            "x:view",
            "chat_agents:view:x",
            "CHAT_AGENTS:view",
            " chat_agents:view",
        ] {
            assert!(bad.parse::<Permission>().is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn permissions_read_in_plain_words() {
        assert_eq!(
            Permission::of("team", "change_role").describe(),
            "change role Team Members"
        );
        assert_eq!(
            Permission::of("chat_agents", "edit").describe(),
            "edit Chat Agents"
        );
    }
}
