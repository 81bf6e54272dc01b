//! Transport security of the domains on a message's path: what their MTA-STS and DANE records
//! demand, and whether the hop into their MX used TLS.

pub mod dane;
pub mod https;
pub mod mta_sts;
pub mod starttls;
pub mod tls_rpt;
pub mod x509;

use serde::Serialize;

use crate::dns::name::normalize;
use crate::dns::{Dns, Dnssec, Rdata, RecordType, of_type};
use crate::path::PathInfo;

/// MX hosts looked at per domain.
const MAX_MX: usize = 10;

/// Which end of the message a domain is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The domain mail was delivered to.
    Recipient,
    /// The author's (From) domain.
    Sender,
}

impl Role {
    /// The JSON word.
    pub fn word(self) -> &'static str {
        match self {
            Role::Recipient => "recipient",
            Role::Sender => "sender",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DomainTransport {
    pub domain: String,
    pub role: Role,
    pub mx: Vec<String>,
    pub mx_error: Option<String>,
    pub mta_sts: mta_sts::TxtPosture,
    pub dane: Vec<dane::MxTlsa>,
    /// The domain demands TLS: DNSSEC-validated TLSA records, or an MTA-STS record.
    pub requires_tls: bool,
    /// The hop (path order) received by one of the domain's MX hosts, and whether it used TLS.
    pub inbound_hop: Option<usize>,
    pub hop_tls: Option<bool>,
    pub verdict: String,
}

/// The MX hosts of a domain, by preference; RFC 7505 null MX gives none.
pub fn mx_hosts(dns: &Dns, domain: &str) -> Result<Vec<String>, String> {
    match dns.query(domain, RecordType::Mx) {
        Ok(records) => {
            let mut mx: Vec<(u16, String)> = of_type(&records, RecordType::Mx)
                .filter_map(|r| match r {
                    Rdata::Mx {
                        preference,
                        exchange,
                    } if !exchange.is_empty() => Some((*preference, exchange.clone())),
                    _ => None,
                })
                .collect();
            mx.sort();
            Ok(mx.into_iter().map(|(_, h)| h).take(MAX_MX).collect())
        }
        Err(f) if f.is_temporary() => Err(format!("MX lookup for {domain} failed: {f}")),
        Err(_) => Ok(Vec::new()),
    }
}

pub fn assess(dns: &Dns, domain: &str, role: Role, path: &PathInfo) -> DomainTransport {
    let domain = normalize(domain);
    // MX then TLSA per MX, beside the MTA-STS record: concurrent round trips on live DNS.
    let parallel = dns.is_remote();
    let ((mx, mx_error, tlsa), sts) = crate::common::join(
        parallel,
        || {
            let (mx, mx_error) = match mx_hosts(dns, &domain) {
                Ok(m) => (m, None),
                Err(e) => (Vec::new(), Some(e)),
            };
            let tlsa: Vec<dane::MxTlsa> =
                crate::common::map(parallel, &mx, |h| dane::lookup(dns, h, 25));
            (mx, mx_error, tlsa)
        },
        || mta_sts::lookup_txt(dns, &domain),
    );
    let dane_required = tlsa.iter().any(|t| t.usable);
    let requires_tls = dane_required || sts.record.is_some();
    let hop = path.hops.iter().rev().find(|h| {
        h.by_host
            .as_deref()
            .is_some_and(|b| mx.contains(&normalize(b)))
    });
    let verdict = match (hop, dane_required, sts.id.as_deref()) {
        _ if mx.is_empty() => "no MX hosts: nothing to assess".to_string(),
        (None, _, _) if requires_tls => {
            "the domain demands TLS, but no hop in this path was received by one of its MX hosts"
                .into()
        }
        (None, _, _) => "no MTA-STS or DANE policy; no hop into its MX in this path".into(),
        (Some(h), true, _) if h.tls => format!(
            "DANE requires TLS; hop {} into {} used TLS",
            h.index,
            opt(&h.by_host)
        ),
        (Some(h), true, _) => format!(
            "DANE requires TLS, but hop {} into {} was sent WITHOUT TLS",
            h.index,
            opt(&h.by_host)
        ),
        (Some(h), false, Some(id)) if h.tls => {
            format!(
                "MTA-STS published (id={id}); hop {} into {} used TLS",
                h.index,
                opt(&h.by_host)
            )
        }
        (Some(h), false, Some(id)) => format!(
            "MTA-STS published (id={id}), but hop {} into {} was sent WITHOUT TLS (a violation if the policy is in enforce mode)",
            h.index,
            opt(&h.by_host)
        ),
        (Some(h), _, _) => format!(
            "no MTA-STS or DANE policy: TLS is optional (hop {} {} TLS)",
            h.index,
            if h.tls { "used" } else { "did not use" }
        ),
    };
    let not_validated = tlsa
        .iter()
        .any(|t| !t.records.is_empty() && t.dnssec != Dnssec::Secure);
    let verdict = if not_validated && !dane_required {
        format!(
            "{verdict}; TLSA records exist but are not DNSSEC-validated, so DANE does not apply"
        )
    } else {
        verdict
    };
    DomainTransport {
        domain,
        role,
        mx,
        mx_error,
        mta_sts: sts,
        dane: tlsa,
        requires_tls,
        inbound_hop: hop.map(|h| h.index),
        hop_tls: hop.map(|h| h.tls),
        verdict,
    }
}

fn opt(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("?")
}
