use teamgate_core::rules::RuleViolation;

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such row in this organisation.
    #[error("not found")]
    NotFound,
    /// A uniqueness rule of the product (such as one pending invite per address).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// A rule of SPEC.md section 2 refused the change.
    #[error(transparent)]
    Rule(#[from] RuleViolation),
    /// An invite that can no longer be used.
    #[error("the invite is expired, used, revoked or replaced")]
    InviteGone,
    /// The invite is for another address than the account accepting it.
    #[error("the invite is for another address")]
    WrongAccount,
    /// The invited address has an account, which must sign in to accept.
    #[error("the invited address has an account; sign in to accept")]
    SignInRequired,
    /// Input the store refuses whatever the caller checked before (a card
    /// number in payment settings, an assignee who is not a member).
    #[error("invalid: {0}")]
    Invalid(String),
    /// Data in the database that teamgate did not write.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Migration(#[from] sqlx::migrate::MigrateError),
}
