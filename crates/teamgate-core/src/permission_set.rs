//! A compact set of catalog permissions: one bit per permission in a `u64`,
//! so a check is a single bit test and a set is `Copy`.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::catalog::Permission;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PermissionSet(u64);

impl PermissionSet {
    pub const EMPTY: PermissionSet = PermissionSet(0);

    pub const fn from_bits(bits: u64) -> PermissionSet {
        PermissionSet(bits)
    }

    pub const fn bits(self) -> u64 {
        self.0
    }

    /// Every permission of the catalog.
    pub fn all() -> PermissionSet {
        Permission::all().collect()
    }

    pub const fn with(self, p: Permission) -> PermissionSet {
        PermissionSet(self.0 | (1 << p.index()))
    }

    #[inline]
    pub const fn contains(self, p: Permission) -> bool {
        self.0 & (1 << p.index()) != 0
    }

    /// True when every permission of `self` is also in `other`.
    pub const fn is_subset_of(self, other: PermissionSet) -> bool {
        self.0 & !other.0 == 0
    }

    pub const fn intersection(self, other: PermissionSet) -> PermissionSet {
        PermissionSet(self.0 & other.0)
    }

    pub const fn union(self, other: PermissionSet) -> PermissionSet {
        PermissionSet(self.0 | other.0)
    }

    pub const fn difference(self, other: PermissionSet) -> PermissionSet {
        PermissionSet(self.0 & !other.0)
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub const fn len(self) -> u32 {
        self.0.count_ones()
    }

    /// The permissions in catalog order.
    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::all().filter(move |p| self.contains(*p))
    }

    /// The permission names, sorted as strings (the order the API answers with).
    pub fn sorted_names(self) -> Vec<String> {
        let mut names: Vec<String> = self.iter().map(|p| p.to_string()).collect();
        names.sort();
        names
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        iter.into_iter()
            .fold(PermissionSet::EMPTY, PermissionSet::with)
    }
}

impl fmt::Debug for PermissionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.iter().map(|p| p.to_string()))
            .finish()
    }
}

impl Serialize for PermissionSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.sorted_names())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_algebra_matches_the_bits() {
        let view = Permission::of("chat_agents", "view");
        let edit = Permission::of("chat_agents", "edit");
        let a = PermissionSet::EMPTY.with(view);
        let b = a.with(edit);
        assert!(a.is_subset_of(b));
        assert!(!b.is_subset_of(a));
        assert!(b.contains(edit) && !a.contains(edit));
        assert_eq!(b.difference(a), PermissionSet::EMPTY.with(edit));
        assert_eq!(a.intersection(b), a);
        assert_eq!(PermissionSet::all().len(), 44);
        assert!(PermissionSet::EMPTY.is_subset_of(a));
    }

    #[test]
    fn names_come_out_sorted() {
        let set: PermissionSet = ["team:view", "analytics:view", "logs:view"]
            .iter()
            .map(|s| s.parse::<Permission>().unwrap())
            .collect();
        assert_eq!(
            set.sorted_names(),
            vec!["analytics:view", "logs:view", "team:view"]
        );
    }
}
