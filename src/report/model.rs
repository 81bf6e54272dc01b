//! The report data model: what the checks find, in a form every renderer reads.
//! JSON keys here are a public contract (README "JSON output"); add, never rename.

use serde::Serialize;

/// RFC 8601 result words, lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum AuthResult {
    Pass,
    Fail,
    Softfail,
    Neutral,
    None,
    Temperror,
    Permerror,
    Policy,
}

impl AuthResult {
    pub fn word(self) -> &'static str {
        match self {
            AuthResult::Pass => "pass",
            AuthResult::Fail => "fail",
            AuthResult::Softfail => "softfail",
            AuthResult::Neutral => "neutral",
            AuthResult::None => "none",
            AuthResult::Temperror => "temperror",
            AuthResult::Permerror => "permerror",
            AuthResult::Policy => "policy",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub schema: &'static str,
    pub verdict: Verdict,
    pub message: MessageInfo,
    pub path: PathInfo,
    pub spf: crate::auth::spf::SpfReport,
    pub dkim: Vec<DkimReport>,
    pub arc: ArcReport,
    pub dmarc: DmarcReport,
    pub iprev: Option<IprevReport>,
    /// Existing Authentication-Results / ARC-Authentication-Results fields.
    pub authentication_results: Vec<crate::auth::authres::FieldReport>,
    pub dnsbl: Vec<crate::dnsbl::DnsblResult>,
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
    pub authentication_results: Vec<crate::auth::authres::FieldReport>,
    pub dnsbl: Vec<crate::dnsbl::DnsblResult>,
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

#[derive(Debug, Clone, Default, Serialize)]
pub struct MessageInfo {
    /// The From addresses (more than one is a DMARC permerror).
    pub from: Vec<String>,
    /// The display name of the first From address (where look-alike names live).
    pub from_name: Option<String>,
    pub from_domain: Option<String>,
    pub subject: Option<String>,
    pub message_id: Option<String>,
    /// RFC 3339 in UTC, when the Date field parses.
    pub date: Option<String>,
    pub size: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PathInfo {
    /// Received fields in path order: hop 1 is the oldest (bottom-most) field, the last hop the
    /// one our own MTA added (topmost).
    pub hops: Vec<Hop>,
    /// How many hops (counted from the newest) are inside the trusted part.
    pub trusted_hops: usize,
    /// The client IP of the hop that entered the trusted part: what SPF and iprev use.
    pub origin_ip: Option<String>,
    /// Which hop that is (path order), and the trusted MTA that received it.
    pub origin_hop: Option<usize>,
    pub boundary_host: Option<String>,
    /// HELO of that hop (its HELO clause, else its from-host).
    pub helo: Option<String>,
    /// Envelope sender used for SPF (Return-Path, or `--mail-from`); "" is the null sender.
    pub mail_from: Option<String>,
    /// Where each of ip / helo / mail_from came from.
    pub sources: Vec<String>,
    /// From the Date field (or the first hop) to the last hop, when both have times.
    pub total_transit_seconds: Option<i64>,
    pub anomalies: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Hop {
    /// Position in path order (1 = oldest).
    pub index: usize,
    /// Position of the field in the header (1 = topmost).
    pub field: usize,
    pub from_host: Option<String>,
    pub from_ip: Option<String>,
    pub from_rdns: Option<String>,
    /// The HELO/EHLO name when the field gives one apart from the from-host.
    pub helo: Option<String>,
    pub ident: Option<String>,
    pub by_host: Option<String>,
    pub protocol: Option<String>,
    pub tls: bool,
    pub tls_version: Option<String>,
    pub tls_cipher: Option<String>,
    pub id: Option<String>,
    #[serde(rename = "for")]
    pub for_addr: Option<String>,
    /// RFC 3339 UTC.
    pub timestamp: Option<String>,
    /// Seconds since the previous hop (hop 1: since the Date field).
    pub delay_seconds: Option<i64>,
    pub trusted: bool,
    /// The field as written (escaped on output), when it could not be parsed.
    pub raw: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DkimReport {
    pub result: AuthResult,
    pub domain: Option<String>,
    pub selector: Option<String>,
    pub algorithm: Option<String>,
    pub key_type: Option<String>,
    pub key_bits: Option<usize>,
    pub canonicalization: Option<String>,
    /// The `l=` value when present.
    pub body_length: Option<u64>,
    /// Body octets (canonical) left outside the signature by `l=`.
    pub body_unsigned_bytes: Option<u64>,
    pub signed_headers: Vec<String>,
    pub from_signed: bool,
    /// Header names signed more often than they occur: protected against added copies.
    pub oversigned: Vec<String>,
    pub identity: Option<String>,
    pub timestamp: Option<u64>,
    pub expiration: Option<u64>,
    pub testing: bool,
    pub reason: String,
    pub aligned: bool,
    /// The first characters of b= (RFC 6008 header.b).
    pub header_b: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ArcReport {
    pub result: AuthResult,
    pub instances: usize,
    /// The instance whose check failed, and which part ("ams", "as", "structure").
    pub failing_instance: Option<usize>,
    pub failing_part: Option<String>,
    /// The oldest instance whose AMS still verifies (RFC 8617 §5.2 oldest-pass).
    pub oldest_pass: Option<usize>,
    pub reason: String,
    /// Per instance, oldest first.
    pub sets: Vec<ArcSetReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ArcSetReport {
    pub instance: usize,
    pub domain: Option<String>,
    pub selector: Option<String>,
    pub cv: Option<String>,
    pub ams: AuthResult,
    pub seal: AuthResult,
    pub authserv_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DmarcReport {
    pub result: AuthResult,
    pub from_domain: Option<String>,
    /// Where the record was found (the From domain or its organizational domain).
    pub policy_domain: Option<String>,
    pub record: Option<String>,
    pub policy: Option<String>,
    pub subdomain_policy: Option<String>,
    /// The policy that applies to this From domain (sp= for a subdomain).
    pub applied_policy: Option<String>,
    pub pct: Option<u8>,
    pub adkim: Option<String>,
    pub aspf: Option<String>,
    pub rua: Vec<String>,
    pub ruf: Vec<String>,
    pub spf_aligned: bool,
    pub dkim_aligned: bool,
    /// What a receiver following the policy would do: none, quarantine, reject.
    pub disposition: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct IprevReport {
    pub result: AuthResult,
    pub ip: String,
    pub ptr: Vec<String>,
    pub confirmed: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct DnsStats {
    /// Queries answered by the backend (cache misses).
    pub queries: usize,
}
