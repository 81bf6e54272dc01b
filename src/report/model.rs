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

#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub schema: &'static str,
    pub verdict: Verdict,
    /// Which displayed fields and how much of the body an aligned passing signature covers.
    pub coverage: crate::message::coverage::Coverage,
    pub message: MessageInfo,
    pub path: PathInfo,
    pub spf: SpfReport,
    pub dkim: Vec<DkimReport>,
    pub arc: ArcReport,
    pub dmarc: DmarcReport,
    pub iprev: Option<IprevReport>,
    /// Existing Authentication-Results / ARC-Authentication-Results fields.
    pub authentication_results: Vec<FieldReport>,
    pub dnsbl: Vec<DnsblResult>,
    /// MTA-STS / DANE posture of the recipient and sender domains, and the hop into their MX.
    pub transport: Vec<crate::transport::DomainTransport>,
    pub errors: Vec<String>,
    pub dns: DnsStats,
}

/// `trace`: the path alone, with what can be said about it without verifying signatures.
#[derive(Debug, Clone, Serialize)]
pub struct TraceReport {
    pub schema: &'static str,
    pub message: MessageInfo,
    pub path: PathInfo,
    pub iprev: Option<IprevReport>,
    pub authentication_results: Vec<FieldReport>,
    pub dnsbl: Vec<DnsblResult>,
    pub transport: Vec<crate::transport::DomainTransport>,
    pub dns: DnsStats,
}

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// The DMARC result, which is the message's verdict.
    pub result: AuthResult,
    /// A few words on why.
    pub summary: String,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct DnsStats {
    /// Queries answered by the backend (cache misses).
    pub queries: usize,
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
