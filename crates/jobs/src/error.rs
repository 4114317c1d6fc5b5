//! The one error type of the jobs: why a job (or a step of it) failed. Its text is what the
//! queue records as the job's last error and what the log shows, so each variant keeps the
//! wording the workers always used.

use abonent_store::StoreError;

/// Why a job failed; the job is retried later (see `abonent_store::jobs`).
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A letter or message was not sent.
    #[error(transparent)]
    Send(#[from] SendError),
    /// The job's payload does not decode as its kind's.
    #[error("bad payload")]
    BadPayload,
    #[error("unknown job kind {0}")]
    UnknownKind(String),
    #[error("no such reply")]
    NoSuchReply,
    #[error("the applicant has no e-mail address")]
    NoApplicantEmail,
    /// A setting that cannot be used (`mail.imap_url`).
    #[error("{0}")]
    Config(String),
    /// The mailbox could not be reached or read.
    #[error("{0}")]
    Imap(String),
    /// A stored letter that cannot become an appeal; the text (Russian) is kept with the letter.
    #[error("{0}")]
    Letter(String),
    #[error("no branch")]
    NoBranch,
    /// A restriction warning's values name no case.
    #[error("message {0} names no case")]
    NoCase(i64),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// Why a letter was not sent: a malformed `Address` will not change by retrying; anything else
/// (the server down or refusing, even with a permanent code that may be its configuration) is
/// retried.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("{0}")]
    Address(String),
    #[error("{0}")]
    Other(String),
}

/// The jobs' result.
pub type Result<T, E = JobError> = std::result::Result<T, E>;
