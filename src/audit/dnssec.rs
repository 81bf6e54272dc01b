//! DNSSEC status of the domain and of each MX host's zone (validated, insecure, bogus), not
//! only of TLSA records. Over the network a validator is asked only where a DNSKEY is
//! published at the name or above it: a resolver that cannot supply a chain would otherwise
//! cost a walk of DS queries per name, and without any DNSKEY the zone is unsigned anyway.

use serde::Serialize;

use super::findings::Findings;
use crate::dns::{Dns, Dnssec, RecordType, of_type};

/// DNSKEY (RFC 4034), asked plainly to find whether a zone above a name is signed.
const DNSKEY: RecordType = RecordType::Other(48);

/// The DNSSEC status of one name the audit depends on.
#[derive(Debug, Clone, Serialize)]
pub struct NameDnssec {
    /// The name (the domain, or an MX host).
    pub name: String,
    /// `domain` or `mx`.
    pub role: &'static str,
    /// `secure`, `insecure`, `bogus` or `indeterminate` (not validated).
    pub status: Dnssec,
    /// The nearest name at or above it that publishes a DNSKEY (live only), if any.
    pub signed_zone: Option<String>,
}

/// The name and its ancestors, up to and including its top-level label.
fn ancestors(name: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(name), |n| n.split_once('.').map(|(_, rest)| rest))
        .filter(|n| !n.is_empty())
}

fn status_of(dns: &Dns, name: &str, rtype: RecordType) -> (Dnssec, Option<String>) {
    if !dns.is_remote() {
        // A zone replay answers with the status it recorded, at no cost.
        return (dns.query_dnssec(name, rtype).1, None);
    }
    let signed = ancestors(name).find(|n| {
        dns.query(n, DNSKEY)
            .is_ok_and(|r| of_type(&r, DNSKEY).next().is_some())
    });
    match signed {
        Some(zone) => (dns.query_dnssec(name, rtype).1, Some(zone.to_string())),
        None => (Dnssec::Indeterminate, None),
    }
}

/// The status of the domain (its MX answer) and of each MX host (its address answer).
pub(super) fn audit_dnssec(
    dns: &Dns,
    domain: &str,
    mx_hosts: &[String],
    f: &mut Findings,
) -> Vec<NameDnssec> {
    let mut out = Vec::new();
    let names = std::iter::once((domain, "domain", RecordType::Mx))
        .chain(mx_hosts.iter().map(|h| (h.as_str(), "mx", RecordType::A)));
    for (name, role, rtype) in names {
        let (status, signed_zone) = status_of(dns, name, rtype);
        let what = if role == "domain" {
            name.to_string()
        } else {
            format!("MX {name}")
        };
        match status {
            Dnssec::Secure => f.info("dnssec.secure", format!("{what}: DNSSEC-validated")),
            Dnssec::Insecure => f.info(
                "dnssec.insecure",
                format!("{what}: in an unsigned zone (provably insecure): answers can be spoofed and DANE cannot apply"),
            ),
            Dnssec::Bogus => f.error(
                "dnssec.bogus",
                format!("{what}: answers fail DNSSEC validation: validating resolvers return SERVFAIL"),
                Some("re-sign the zone, or fix the DS record at the parent"),
            ),
            // A zone replay without a recorded status says nothing about DNSSEC.
            Dnssec::Indeterminate if role == "domain" && dns.is_remote() => f.info(
                "dnssec.undetermined",
                match &signed_zone {
                    Some(z) => format!("{what}: {z} publishes DNSKEY records, but the resolver supplied no DNSSEC chain (use a validating resolver or --trust-anchor)"),
                    None => format!("{what}: no DNSKEY at the domain or above it: unsigned, not validated"),
                },
            ),
            Dnssec::Indeterminate => {}
        }
        out.push(NameDnssec {
            name: name.to_string(),
            role,
            status,
            signed_zone,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_stop_at_the_top_label() {
        let got: Vec<&str> = ancestors("mx.a.example").collect();
        assert_eq!(got, ["mx.a.example", "a.example", "example"]);
    }
}
