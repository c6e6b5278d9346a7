//! teamgate's domain, with no I/O: the permission catalog, the built-in roles,
//! compact permission sets, the rules every change must obey, and the audit
//! event with its hash chain.
//!
//! Everything here is deterministic: time arrives through [`clock::Clock`], so
//! the storage and HTTP layers (and their tests) decide what "now" is.

pub mod audit;
pub mod audit_summary;
pub mod card;
pub mod catalog;
pub mod clock;
pub mod email;
pub mod export;
pub mod permission_set;
pub mod rate_limit;
pub mod role;
pub mod rules;

pub use catalog::{Feature, Permission, CATALOG};
pub use permission_set::PermissionSet;
pub use role::Role;
