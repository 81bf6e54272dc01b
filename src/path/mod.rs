//! The path a message took: its Received chain, the trust boundary and origin, iprev and DNSBL
//! for the origin, and the Authentication-Results fields others added on the way.

pub mod anomaly;
pub mod authres;
pub mod chain;
pub(crate) mod client;
pub(crate) mod date;
pub mod dnsbl;
mod handoff;
pub mod internal;
pub mod iprev;
pub mod ranges;
pub mod received;
pub mod received_spf;
pub mod trust;
pub(crate) mod with;

use serde::Serialize;

/// The path section of a report (JSON `path`): the hops, and the trust boundary and origin
/// they give.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PathInfo {
    /// Received fields in path order: hop 1 is the oldest (bottom-most) field, the last hop the
    /// one our own MTA added (topmost).
    pub hops: Vec<Hop>,
    /// How many hops (counted from the newest) are inside the trusted part.
    pub trusted_hops: usize,
    /// The client IP of the hop that entered the trusted part: what SPF and iprev use.
    pub origin_ip: Option<std::net::IpAddr>,
    /// Which hop that is (path order), and the trusted MTA that received it.
    pub origin_hop: Option<usize>,
    /// The trusted MTA that received the origin hop (its by-host).
    pub boundary_host: Option<String>,
    /// HELO of that hop (its HELO clause, else its from-host).
    pub helo: Option<String>,
    /// Envelope sender used for SPF (Return-Path, or `--mail-from`); "" is the null sender.
    pub mail_from: Option<String>,
    /// Where each of ip / helo / mail_from came from.
    pub sources: Vec<String>,
    /// From the Date field (or the first hop) to the last hop, when both have times.
    pub total_transit_seconds: Option<i64>,
    /// From the first (oldest) Received time to the last (newest).
    pub received_transit_seconds: Option<i64>,
    /// From the Date field to the last Received time.
    pub date_transit_seconds: Option<i64>,
    /// Whether internal hops were inferred (off: only `--trusted-mta` moves the boundary).
    pub infer_internal: bool,
    /// `--ip` replaced the origin the path gives (`origin_ip` is then the option's).
    pub origin_override: bool,
    /// The origin the path itself gives, when `--ip` replaced it.
    pub path_origin_ip: Option<std::net::IpAddr>,
    /// What looks wrong along the path (clock skew, gaps, hops without TLS, odd client addresses).
    pub anomalies: Vec<anomaly::Anomaly>,
}

/// One Received field as a hop of the path (JSON `path.hops[]`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Hop {
    /// Position in path order (1 = oldest).
    pub index: usize,
    /// Position of the field in the header (1 = topmost).
    pub field: usize,
    /// The sending host as the field's `from` clause names it.
    pub from_host: Option<String>,
    /// The client IP the receiving MTA recorded (TCP-level part only).
    pub from_ip: Option<std::net::IpAddr>,
    /// The client's reverse-DNS name as the receiving MTA recorded it (TCP-level part).
    pub from_rdns: Option<String>,
    /// The HELO/EHLO name when the field gives one apart from the from-host.
    pub helo: Option<String>,
    /// The RFC 1413 ident the receiving MTA recorded for the client, if any.
    pub ident: Option<String>,
    /// The receiving MTA (the `by` clause).
    pub by_host: Option<String>,
    /// The `via` clause (RFC 5321 §4.4 link; Exchange's `Frontend Transport`).
    pub via: Option<String>,
    /// The protocol the hop used: a registered name (SMTP, ESMTPS, LMTP, …) in upper case,
    /// the one a vendor phrase names (`Microsoft SMTP Server` → SMTP), else the `with`
    /// value as written (`mapi`, `QMQP`, `local-rmail`).
    pub protocol: Option<String>,
    /// The `with` value exactly as written (vendor words included).
    pub with: Option<String>,
    /// Whether the hop used TLS (a TLS version given, or a TLS protocol such as ESMTPS).
    pub tls: bool,
    /// The TLS version the field records, if any.
    pub tls_version: Option<String>,
    /// The TLS cipher suite the field records, if any.
    pub tls_cipher: Option<String>,
    /// The `id` clause: the receiving MTA's identifier (queue ID) for the message.
    pub id: Option<String>,
    /// The `for` clause: the recipient the hop was for (JSON key `for`).
    #[serde(rename = "for")]
    pub for_addr: Option<String>,
    /// Unix time; RFC 3339 UTC in JSON.
    #[serde(serialize_with = "rfc3339")]
    pub timestamp: Option<i64>,
    /// The zone offset the field wrote, in minutes east of UTC.
    pub zone_offset_minutes: Option<i32>,
    /// Seconds since the previous hop (hop 1: since the Date field).
    pub delay_seconds: Option<i64>,
    /// Whether the hop is inside the trusted part of the path.
    pub trusted: bool,
    /// `internal` (written and received inside our side), `boundary` (where mail entered
    /// the trusted part) or `external` (below it: the sender's claims).
    pub judgement: Judgement,
    /// Why the hop was judged so (for `internal`: the evidence the sender cannot choose).
    pub judgement_reason: String,
    /// How each present value was obtained: `parsed` by the RFC 5321 grammar, or
    /// `recovered` by a heuristic from a non-conforming shape.
    pub obtained: std::collections::BTreeMap<&'static str, Obtained>,
    /// The field as written (escaped on output), when it could not be parsed.
    pub raw: Option<String>,
}

/// How a value of a Received field was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Obtained {
    /// By the RFC 5321 §4.4 grammar (RFC 5322 dates, obsolete forms included).
    Parsed,
    /// By a heuristic, from a shape the grammar does not allow.
    Recovered,
}

/// Where a hop stands relative to the trust boundary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Judgement {
    /// Received by an MTA of ours from a host of ours.
    Internal,
    /// Received by an MTA of ours from outside: where mail entered the trusted part.
    Boundary,
    /// Below the boundary: written by hosts we do not control.
    #[default]
    External,
}

/// A duration as people read it: `40s`, `1m 05s`, `5h 10m`, `2d 7h` (the sign dropped).
pub fn duration(secs: i64) -> String {
    let s = secs.unsigned_abs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {:02}s", s / 60, s % 60),
        3600..=86_399 => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d {}h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// A unix time as RFC 3339 in UTC (what the JSON has always shown).
fn rfc3339<S: serde::Serializer>(t: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.collect_str(&mail_parser::DateTime::from_timestamp(*t).to_rfc3339()),
        None => s.serialize_none(),
    }
}
