//! Who is calling: sessions (cookie), passwords, and the CSRF origin rule.

pub mod caller;
pub mod password;
pub mod session;
pub mod token;

pub use caller::Caller;
