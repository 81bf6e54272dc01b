//! Errors that end a run, each with the exit code DESIGN.md assigns to it.

use crate::dns::DnsSetupError;

/// Exit codes (README "Exit codes").
pub mod code {
    pub const PASS: i32 = 0;
    pub const FAIL: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const NO_VERDICT: i32 = 3;
    pub const NOT_A_MESSAGE: i32 = 65;
    pub const CANNOT_OPEN: i32 = 66;
    pub const IO: i32 = 74;
    pub const TEMPFAIL: i32 = 75;
    /// `batch` stopped by Ctrl-C (after printing the summary so far).
    pub const INTERRUPTED: i32 = 130;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Usage(String),
    #[error("{what} is not a message: {why}")]
    NotAMessage { what: String, why: String },
    #[error("{what} is larger than the {limit}-byte limit (raise it with --max-size)")]
    TooLarge { what: String, limit: u64 },
    #[error("cannot open {path}: {source}")]
    CannotOpen {
        path: String,
        source: std::io::Error,
    },
    #[error("I/O error: {0}")]
    Io(String),
    #[error(transparent)]
    Dns(#[from] DnsSetupError),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => code::USAGE,
            Error::NotAMessage { .. } | Error::TooLarge { .. } => code::NOT_A_MESSAGE,
            Error::CannotOpen { .. } => code::CANNOT_OPEN,
            Error::Io(_) => code::IO,
            Error::Dns(DnsSetupError::ZoneRead { .. }) => code::CANNOT_OPEN,
            Error::Dns(DnsSetupError::ZoneSyntax { .. }) => code::USAGE,
            Error::Dns(DnsSetupError::RecordCreate { .. }) => code::IO,
            Error::Dns(DnsSetupError::Resolver(_)) => code::TEMPFAIL,
        }
    }
}
