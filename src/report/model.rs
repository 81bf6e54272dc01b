//! The report documents of `check` and `trace`: the mechanisms' typed results side by side, in
//! a form every renderer reads.
//! JSON keys here are a public contract (README "JSON output"); add, never rename.

use serde::Serialize;

use crate::auth::arc::ArcReport;
use crate::auth::dkim::DkimReport;
use crate::auth::dmarc::DmarcReport;
use crate::auth::spf::SpfReport;
use crate::common::AuthResult;
use crate::message::info::MessageInfo;
use crate::path::PathInfo;
use crate::path::authres::FieldReport;
use crate::path::dnsbl::DnsblResult;
use crate::path::iprev::IprevReport;

/// `check`: every mechanism for one message, the verdict and the reasons.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// `mailverdict.check.v1`.
    pub schema: &'static str,
    /// The verdict (the DMARC result) and why.
    pub verdict: Verdict,
    /// Which displayed fields and how much of the body an aligned passing signature covers.
    pub coverage: crate::message::coverage::Coverage,
    /// The message itself: From, Subject, Message-ID, Date, size.
    pub message: MessageInfo,
    /// The Received path: hops, trust boundary, origin, anomalies.
    pub path: PathInfo,
    /// SPF for the client and envelope sender.
    pub spf: SpfReport,
    /// One report per DKIM-Signature, top to bottom.
    pub dkim: Vec<DkimReport>,
    /// The ARC chain.
    pub arc: ArcReport,
    /// DMARC for the author domain.
    pub dmarc: DmarcReport,
    /// iprev for the client IP (none without one).
    pub iprev: Option<IprevReport>,
    /// Existing Authentication-Results / ARC-Authentication-Results fields.
    pub authentication_results: Vec<FieldReport>,
    /// Existing Received-SPF fields (RFC 7208 §9.1): who wrote them, trusted or not, and
    /// (in `check`) whether they agree with our SPF result.
    pub received_spf: Vec<crate::path::received_spf::ReceivedSpfField>,
    /// `--dnsbl` lookups of the origin IP.
    pub dnsbl: Vec<DnsblResult>,
    /// MTA-STS / DANE posture of the recipient and sender domains, and the hop into their MX.
    pub transport: Vec<crate::transport::DomainTransport>,
    /// What could not be evaluated (no client IP, no Return-Path, signatures left out).
    pub errors: Vec<String>,
    /// DNS questions sent for this report.
    pub dns: DnsStats,
}

/// `trace`: the path alone, with what can be said about it without verifying signatures.
#[derive(Debug, Clone, Serialize)]
pub struct TraceReport {
    /// `mailverdict.trace.v1`.
    pub schema: &'static str,
    /// The message itself.
    pub message: MessageInfo,
    /// The Received path.
    pub path: PathInfo,
    /// iprev for the origin IP.
    pub iprev: Option<IprevReport>,
    /// Existing Authentication-Results / ARC-Authentication-Results fields.
    pub authentication_results: Vec<FieldReport>,
    /// Existing Received-SPF fields (RFC 7208 §9.1): who wrote them, trusted or not, and
    /// (in `check`) whether they agree with our SPF result.
    pub received_spf: Vec<crate::path::received_spf::ReceivedSpfField>,
    /// `--dnsbl` lookups of the origin IP.
    pub dnsbl: Vec<DnsblResult>,
    /// MTA-STS / DANE posture of the recipient and sender domains.
    pub transport: Vec<crate::transport::DomainTransport>,
    /// DNS questions sent.
    pub dns: DnsStats,
}

/// The one-line verdict of a check.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// The DMARC result, which is the message's verdict.
    pub result: AuthResult,
    /// A few words on why.
    pub summary: String,
}

/// How much DNS a report cost, and what the run learnt about the DNS service.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DnsStats {
    /// Queries answered by the backend (cache misses).
    pub queries: usize,
    /// What the run learnt about the DNS service (a silent resolver, one that answers
    /// NXDOMAIN for everything); a note, never a change of verdict. Absent when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<crate::dns::DnsNote>,
}

impl DnsStats {
    /// The figures and notes of `dns` so far.
    pub fn of(dns: &crate::dns::Dns) -> DnsStats {
        DnsStats {
            queries: dns.queries_sent(),
            notes: dns.notes(),
        }
    }
}

/// The `spf` command's JSON document: the SPF report's keys at top level, plus `schema`.
#[derive(Debug, Serialize)]
pub struct SpfDocument<'a> {
    /// `mailverdict.spf.v1`.
    pub schema: &'static str,
    /// The evaluation.
    #[serde(flatten)]
    pub spf: &'a SpfReport,
}

impl<'a> SpfDocument<'a> {
    /// Wrap an SPF report for JSON output.
    pub fn new(spf: &'a SpfReport) -> SpfDocument<'a> {
        SpfDocument {
            schema: "mailverdict.spf.v1",
            spf,
        }
    }
}
