//! The DNS seam: every lookup the program makes goes through [`Dns`], which fronts one of
//! three backends (live, zone replay, recording) with a per-run cache.
//!
//! Failures stay distinct all the way up: NXDOMAIN and NODATA are answers (an SPF "void
//! lookup", a DMARC "no record"), SERVFAIL / timeout / REFUSED are temporary errors.

pub(crate) mod anchor;
mod cache;
pub(crate) mod live;
pub(crate) mod name;
pub(crate) mod net;
pub(crate) mod record;
pub(crate) mod recording;
mod stub;
mod ttl_cache;
pub(crate) mod zone;

pub use crate::common::Dnssec;
pub use cache::Dns;
pub use live::Live;
pub use name::escape_name;
pub use record::{Failure, Rdata, Record, RecordType};
pub use recording::Recording;
pub use ttl_cache::{CacheLimits, CacheStats, TtlCache, Warm};
pub use zone::{Zone, ZoneError, ZoneErrorKind};

use std::fmt;

/// CNAME chains longer than this are treated as loops (SERVFAIL), as resolvers do; live and
/// replay apply the same limit.
pub(crate) const MAX_CNAME_CHAIN: usize = 16;

/// The outcome of one query: the answer records (CNAME records of the chain included, with
/// their owners), or why there are none.
pub type Answer = Result<Vec<Record>, Failure>;

/// How many seconds an answer may be kept, as its source said: the smallest TTL of the
/// records (RFC 2181 §5.2), or for NXDOMAIN and NODATA the SOA's TTL capped by its MINIMUM
/// (RFC 2308 §5). `None`: not to be kept (a temporary failure, a negative answer without SOA,
/// or a backend that cannot tell).
pub type Ttl = Option<u32>;

/// A DNS backend. Names are passed without the trailing dot; they may hold any octet.
pub trait Resolve: Send + Sync {
    /// The answer records for `name` and `rtype` (CNAME chain included), or why there are none.
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

    /// What the backend learnt about the DNS service so far (live only).
    fn notes(&self) -> Vec<DnsNote> {
        Vec::new()
    }

    /// [`Resolve::query`], answered no later than `by` (the run's deadline): a backend that
    /// waits on the network ends the query then with [`Failure::Deadline`]. Per question, so
    /// one backend can serve runs with different deadlines; one that answers at once ignores it.
    fn query_by(&self, name: &str, rtype: RecordType, _by: std::time::Instant) -> Answer {
        self.query(name, rtype)
    }

    /// [`Resolve::query_dnssec`], answered no later than `by`.
    fn query_dnssec_by(
        &self,
        name: &str,
        rtype: RecordType,
        _by: std::time::Instant,
    ) -> (Answer, Dnssec) {
        self.query_dnssec(name, rtype)
    }

    /// [`Resolve::query_by`] (or [`Resolve::query`] without `by`) with how long the answer
    /// may be kept, for a cache that outlives one run ([`TtlCache`]). The default cannot tell.
    fn query_ttl(
        &self,
        name: &str,
        rtype: RecordType,
        by: Option<std::time::Instant>,
    ) -> (Answer, Ttl) {
        let answer = match by {
            Some(by) => self.query_by(name, rtype, by),
            None => self.query(name, rtype),
        };
        (answer, None)
    }

    /// [`Resolve::query_dnssec_by`] with how long the answer may be kept.
    fn query_dnssec_ttl(
        &self,
        name: &str,
        rtype: RecordType,
        by: Option<std::time::Instant>,
    ) -> ((Answer, Dnssec), Ttl) {
        let answer = match by {
            Some(by) => self.query_dnssec_by(name, rtype, by),
            None => self.query_dnssec(name, rtype),
        };
        (answer, None)
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

    fn notes(&self) -> Vec<DnsNote> {
        (**self).notes()
    }

    fn query_by(&self, name: &str, rtype: RecordType, by: std::time::Instant) -> Answer {
        (**self).query_by(name, rtype, by)
    }

    fn query_dnssec_by(
        &self,
        name: &str,
        rtype: RecordType,
        by: std::time::Instant,
    ) -> (Answer, Dnssec) {
        (**self).query_dnssec_by(name, rtype, by)
    }

    fn query_ttl(
        &self,
        name: &str,
        rtype: RecordType,
        by: Option<std::time::Instant>,
    ) -> (Answer, Ttl) {
        (**self).query_ttl(name, rtype, by)
    }

    fn query_dnssec_ttl(
        &self,
        name: &str,
        rtype: RecordType,
        by: Option<std::time::Instant>,
    ) -> ((Answer, Dnssec), Ttl) {
        (**self).query_dnssec_ttl(name, rtype, by)
    }
}

/// Errors that stop the DNS seam from being set up at all (bad zone file, resolver config).
#[derive(Debug, thiserror::Error)]
pub enum DnsSetupError {
    /// The `--trust-anchor` file could not be read.
    #[error("cannot read --trust-anchor {path}: {source}")]
    AnchorRead {
        /// The file as given on the command line.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The `--trust-anchor` file is not a valid zone file.
    #[error("--trust-anchor {path}, line {line}: {error}")]
    AnchorSyntax {
        /// The file as given on the command line.
        path: String,
        /// The 1-based line of the error.
        line: usize,
        /// What is wrong on that line.
        error: zone::ZoneErrorKind,
    },
    /// The `--trust-anchor` file holds no usable DNSKEY record.
    #[error("--trust-anchor {path}: {error}")]
    Anchor {
        /// The file as given on the command line.
        path: String,
        /// Why not.
        error: anchor::AnchorError,
    },
    /// A `--dns-zone` file could not be read.
    #[error("cannot read zone file {path}: {source}")]
    ZoneRead {
        /// The file as given on the command line.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A `--dns-zone` file is not a valid zone file.
    #[error("zone file {path}, line {line}: {error}")]
    ZoneSyntax {
        /// The file as given on the command line.
        path: String,
        /// The 1-based line of the error.
        line: usize,
        /// What is wrong on that line.
        error: zone::ZoneErrorKind,
    },
    /// The live resolver could not be set up.
    #[error("cannot set up the DNS resolver: {0}")]
    Resolver(ResolverError),
    /// The `--record-dns` file could not be created.
    #[error("cannot create DNS recording file {path}: {source}")]
    RecordCreate {
        /// The file as given on the command line.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Why the live backend could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ResolverError {
    /// `/etc/resolv.conf` (or the platform's configuration) could not be read.
    #[error("cannot read the system resolver configuration: {0}")]
    SystemConfig(Box<dyn std::error::Error + Send + Sync>),
    /// The configuration names no resolver.
    #[error("no DNS resolver configured (give --nameserver IP or --dns-zone FILE)")]
    NoResolver,
}

/// The reason text a report shows for a failed lookup.
impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Failure::Unanswered => "resolver did not answer (query not sent)",
            Failure::NotRecorded => "not in the recording (replayed --record-dns file)",
            Failure::Deadline => "not answered before the deadline",
            other => other.word(),
        })
    }
}

impl Failure {
    /// SERVFAIL, timeout, REFUSED, a query not sent to a silent resolver and a name a
    /// recording never saw are worth retrying later; NXDOMAIN and NODATA are answers.
    pub fn is_temporary(self) -> bool {
        !matches!(self, Failure::NxDomain | Failure::NoData)
    }

    /// The word of a `;! NAME TYPE WORD` zone-file line. A query not sent is recorded as the
    /// timeout it stands for; `NotRecorded` only arises in replay, where nothing records.
    pub fn word(self) -> &'static str {
        match self {
            Failure::NxDomain => "NXDOMAIN",
            Failure::NoData => "NODATA",
            Failure::ServFail | Failure::NotRecorded => "SERVFAIL",
            Failure::Timeout | Failure::Unanswered | Failure::Deadline => "TIMEOUT",
            Failure::Refused => "REFUSED",
        }
    }
}

/// Something about the DNS service itself that a user should know, exposed by the backend
/// (the application prints it; reports carry it in their `dns` object).
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
pub enum DnsNote {
    /// A resolver let a query time out; queries were not sent to it again for the back-off.
    #[error(
        "DNS resolver {resolver} did not answer within --timeout; later queries were not sent to \
         it for {backoff_secs} s and count as temporary errors (use --nameserver IP to pick a \
         working resolver, or --dns-zone FILE to replay recorded answers)"
    )]
    ResolverSilent {
        /// The resolver that did not answer.
        resolver: std::net::SocketAddr,
        /// How long, in seconds, later queries were not sent to it.
        backoff_secs: u64,
    },
    /// The resolver answered NXDOMAIN for the root zone's NS records, a name that always
    /// exists: it invents NXDOMAIN (captive portal, filtering), so "no record" results may be
    /// false. A note only: a spoof from a non-existent domain is a real case (DMARC `np=`).
    #[error(
        "DNS resolver {resolver} answers NXDOMAIN even for the root zone (a name that always \
         exists): it is filtering or captive, so \"no record\" results may be false (use \
         --nameserver IP to pick another resolver)"
    )]
    NxdomainForEverything {
        /// The resolver that answered NXDOMAIN for the root.
        resolver: std::net::SocketAddr,
    },
}

impl DnsNote {
    /// A stable word for JSON (`dns.notes[].kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            DnsNote::ResolverSilent { .. } => "resolver_silent",
            DnsNote::NxdomainForEverything { .. } => "nxdomain_for_everything",
        }
    }
}

impl serde::Serialize for DnsNote {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("DnsNote", 3)?;
        st.serialize_field("kind", self.kind())?;
        let resolver = match self {
            DnsNote::ResolverSilent { resolver, .. }
            | DnsNote::NxdomainForEverything { resolver } => resolver.to_string(),
        };
        st.serialize_field("resolver", &resolver)?;
        st.serialize_field("text", &self.to_string())?;
        st.end()
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
