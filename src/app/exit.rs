//! Exit codes: the one place that maps typed outcomes to the numbers DESIGN.md assigns.

use mailverdict::dns::DnsSetupError;
use mailverdict::{AuthResult, BatchSummary, DomainReport, FilterError, InputError};

/// Exit codes (README "Check a message you received").
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

/// Errors that end a run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad option value.
    #[error(transparent)]
    Option(#[from] super::settings::OptionError),
    /// The message could not be had.
    #[error(transparent)]
    Input(#[from] InputError),
    /// `check`/`trace` were given an mbox of several messages.
    #[error(
        "{what} is an mbox of several messages, and {command} reads one; check each with \
         `mailverdict batch {file}`"
    )]
    Mbox {
        /// The input's name.
        what: String,
        /// The command that refused it.
        command: &'static str,
        /// What to pass to batch.
        file: String,
    },
    /// Writing output failed.
    #[error("I/O error: {what}: {source}")]
    Io {
        /// What was being written.
        what: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// The DNS seam could not be set up.
    #[error(transparent)]
    Dns(#[from] DnsSetupError),
}

impl Error {
    /// The exit code of a run that ended with this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Option(_) => code::USAGE,
            Error::Input(InputError::NotAMessage { .. } | InputError::TooLarge { .. }) => {
                code::NOT_A_MESSAGE
            }
            Error::Input(InputError::CannotOpen { .. }) => code::CANNOT_OPEN,
            Error::Mbox { .. } => code::NOT_A_MESSAGE,
            Error::Input(InputError::Read { .. }) | Error::Io { .. } => code::IO,
            Error::Dns(DnsSetupError::ZoneRead { .. } | DnsSetupError::AnchorRead { .. }) => {
                code::CANNOT_OPEN
            }
            Error::Dns(DnsSetupError::AnchorSyntax { .. } | DnsSetupError::Anchor { .. }) => {
                code::USAGE
            }
            Error::Dns(DnsSetupError::ZoneSyntax { .. }) => code::USAGE,
            Error::Dns(DnsSetupError::RecordCreate { .. }) => code::IO,
            Error::Dns(DnsSetupError::Resolver(_)) => code::TEMPFAIL,
        }
    }
}

/// `check`: the verdict (the DMARC result).
pub fn verdict(result: AuthResult) -> i32 {
    match result {
        AuthResult::Pass => code::PASS,
        AuthResult::Fail | AuthResult::Permerror => code::FAIL,
        AuthResult::Temperror => code::TEMPFAIL,
        AuthResult::None | AuthResult::Neutral | AuthResult::Softfail | AuthResult::Policy => {
            code::NO_VERDICT
        }
    }
}

/// `spf`: the SPF result (none, neutral and softfail give no verdict).
pub fn spf(result: AuthResult) -> i32 {
    verdict(result)
}

/// `domain`: 75 when DNS failures left the audit incomplete, 1 on errors (or warnings with
/// `--strict`), else 0.
pub fn domain(r: &DomainReport, strict: bool) -> i32 {
    if r.incomplete {
        code::TEMPFAIL
    } else if r.errors > 0 || (strict && r.warnings > 0) {
        code::FAIL
    } else {
        code::PASS
    }
}

/// `filter`: 0 once the message was written, 75 when it could not be read or written.
pub fn filter(outcome: &Result<mailverdict::FilterHandling, FilterError>) -> i32 {
    match outcome {
        Ok(_) => code::PASS,
        Err(_) => code::TEMPFAIL,
    }
}

/// `batch`: 130 when interrupted, 66 when an input could not be opened, else 0.
pub fn batch(s: &BatchSummary) -> i32 {
    if s.interrupted {
        code::INTERRUPTED
    } else if s.unreadable_inputs > 0 {
        code::CANNOT_OPEN
    } else {
        code::PASS
    }
}
