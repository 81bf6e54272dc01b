//! The DNS seam: every lookup the program makes goes through [`Dns`], which fronts one of
//! three backends (live, zone replay, recording) with a per-run cache.
//!
//! Failures stay distinct all the way up: NXDOMAIN and NODATA are answers (an SPF "void
//! lookup", a DMARC "no record"), SERVFAIL / timeout / REFUSED are temporary errors.

mod cache;
pub(crate) mod live;
pub(crate) mod name;
pub(crate) mod net;
pub(crate) mod record;
pub(crate) mod recording;
pub(crate) mod zone;

pub use crate::common::Dnssec;
pub use cache::Dns;
pub use live::Live;
pub use name::escape_name;
pub use record::{Failure, Rdata, Record, RecordType};
pub use recording::Recording;
pub use zone::Zone;

use std::fmt;

/// The outcome of one query: the answer records (CNAME records of the chain included, with
/// their owners), or why there are none.
pub type Answer = Result<Vec<Record>, Failure>;

/// A DNS backend. Names are passed without the trailing dot; they may hold any octet.
pub trait Resolve: Send + Sync {
    fn query(&self, name: &str, rtype: RecordType) -> Answer;

    /// The same question, with the DNSSEC status of the answer (DANE needs it). Backends that
    /// cannot validate say `Indeterminate`.
    fn query_dnssec(&self, name: &str, rtype: RecordType) -> (Answer, Dnssec) {
        (self.query(name, rtype), Dnssec::Indeterminate)
    }

    /// Whether answers cost network round trips, so that callers issue independent questions
    /// concurrently (a zone replay answers at once: threads would only cost).
    fn is_remote(&self) -> bool {
        false
    }
}

/// A shared backend (one parsed zone for many runs, e.g. per-message caches in a batch).
impl<T: Resolve + ?Sized> Resolve for std::sync::Arc<T> {
    fn query(&self, name: &str, rtype: RecordType) -> Answer {
        (**self).query(name, rtype)
    }

    fn query_dnssec(&self, name: &str, rtype: RecordType) -> (Answer, Dnssec) {
        (**self).query_dnssec(name, rtype)
    }

    fn is_remote(&self) -> bool {
        (**self).is_remote()
    }
}

/// Errors that stop the DNS seam from being set up at all (bad zone file, resolver config).
#[derive(Debug, thiserror::Error)]
pub enum DnsSetupError {
    #[error("cannot read zone file {path}: {source}")]
    ZoneRead {
        path: String,
        source: std::io::Error,
    },
    #[error("zone file {path}, line {line}: {message}")]
    ZoneSyntax {
        path: String,
        line: usize,
        message: String,
    },
    #[error("cannot set up the DNS resolver: {0}")]
    Resolver(String),
    #[error("cannot create DNS recording file {path}: {source}")]
    RecordCreate {
        path: String,
        source: std::io::Error,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Failure::NxDomain => "NXDOMAIN",
            Failure::NoData => "NODATA",
            Failure::ServFail => "SERVFAIL",
            Failure::Timeout => "TIMEOUT",
            Failure::Refused => "REFUSED",
        })
    }
}

impl Failure {
    /// SERVFAIL, timeout and REFUSED are worth retrying later; the others are answers.
    pub fn is_temporary(self) -> bool {
        matches!(
            self,
            Failure::ServFail | Failure::Timeout | Failure::Refused
        )
    }
}

/// Only the records of one type from an answer (the CNAME chain filtered out).
pub fn of_type(records: &[Record], rtype: RecordType) -> impl Iterator<Item = &Rdata> {
    records
        .iter()
        .filter(move |r| r.rdata.rtype() == rtype)
        .map(|r| &r.rdata)
}

/// TXT answers as complete record texts (the character-strings of one record joined).
pub fn txt_strings(records: &[Record]) -> Vec<Vec<u8>> {
    records
        .iter()
        .filter_map(|r| match &r.rdata {
            Rdata::Txt(parts) => Some(parts.concat()),
            _ => None,
        })
        .collect()
}
