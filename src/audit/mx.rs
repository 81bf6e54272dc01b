//! MX records in the domain audit: null MX, CNAME targets, IP literals, unresolvable hosts,
//! forward-confirmed reverse DNS of every address, and IPv6 reachability.

use serde::Serialize;

use super::findings::Findings;
use crate::common::AuthResult;
use crate::dns::{Dns, Failure, Rdata, RecordType, of_type};
use crate::path::iprev::{self, IprevReport};

/// The MX part of a domain's audit.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MxSection {
    /// The MX hosts, by preference (at most 20).
    pub hosts: Vec<MxHost>,
    /// A valid null MX (RFC 7505: the only MX, preference 0).
    pub null_mx: bool,
}

/// One MX host.
#[derive(Debug, Clone, Serialize)]
pub struct MxHost {
    /// The MX preference.
    pub preference: u16,
    /// The exchange name.
    pub host: String,
    /// Its A and AAAA addresses.
    pub addresses: Vec<String>,
    /// Forward-confirmed reverse DNS of each address (the iprev check of `check`).
    pub reverse: Vec<IprevReport>,
}

pub(super) fn audit_mx(dns: &Dns, domain: &str, f: &mut Findings) -> MxSection {
    let mut s = MxSection::default();
    let records = match dns.query(domain, RecordType::Mx) {
        Ok(r) => r,
        Err(e) if e.is_temporary() => {
            f.dns_failure(
                "mx.dns-error",
                format!("MX lookup for {domain} failed: {e}"),
            );
            return s;
        }
        Err(_) => {
            f.warning(
                "mx.missing",
                format!("no MX records: mail goes to {domain}'s A/AAAA address, if any"),
                Some("publish MX records, or a null MX (\"0 .\") if the domain takes no mail"),
            );
            return s;
        }
    };
    let mut hosts: Vec<(u16, String)> = of_type(&records, RecordType::Mx)
        .filter_map(|r| match r {
            Rdata::Mx {
                preference,
                exchange,
            } => Some((*preference, exchange.clone())),
            _ => None,
        })
        .collect();
    hosts.sort();
    if hosts.iter().any(|(_, h)| h.is_empty()) {
        match hosts.as_slice() {
            [(0, _)] => {
                s.null_mx = true;
                f.info(
                    "mx.null",
                    "null MX (RFC 7505): the domain accepts no mail".into(),
                );
            }
            [(preference, _)] => f.error(
                "mx.null-preference",
                format!(
                    "MX {preference} . is not a null MX: RFC 7505 §3 requires preference 0, so \
                     senders may treat it as a host and queue mail for it"
                ),
                Some("publish \"MX 0 .\""),
            ),
            _ => {
                s.null_mx = true;
                f.error(
                    "mx.null-mixed",
                    "a null MX (RFC 7505) beside other MX records".into(),
                    Some("a null MX must be the only MX record"),
                );
            }
        }
        return s;
    }
    for (pref, host) in hosts.into_iter().take(20) {
        if host.parse::<std::net::IpAddr>().is_ok() {
            f.error(
                "mx.ip-literal",
                format!("MX {host} is an address, not a host name"),
                Some("point the MX at a host name with A/AAAA records"),
            );
            continue;
        }
        if let Ok(r) = dns.query(&host, RecordType::Cname)
            && of_type(&r, RecordType::Cname).next().is_some()
        {
            f.error(
                "mx.cname",
                format!("MX target {host} is a CNAME (RFC 5321 §5.1 forbids it)"),
                Some("point the MX at the canonical name"),
            );
        }
        let mut addresses = Vec::new();
        let mut temporary = None;
        for rtype in [RecordType::A, RecordType::Aaaa] {
            match dns.query(&host, rtype) {
                Ok(r) => addresses.extend(of_type(&r, rtype).map(ToString::to_string)),
                Err(e) if e.is_temporary() => temporary = Some(e),
                Err(_) => {}
            }
        }
        if let Some(e) = temporary {
            f.dns_failure(
                "mx.dns-error",
                format!("address lookup for MX {host} failed: {e}"),
            );
        } else if addresses.is_empty() {
            f.error(
                "mx.unresolvable",
                format!("MX {host} has no A or AAAA record: mail to it cannot be delivered"),
                Some("publish an address for it or remove the MX"),
            );
        }
        let reverse = reverse_dns(dns, &host, &addresses, f);
        s.hosts.push(MxHost {
            preference: pref,
            host,
            addresses,
            reverse,
        });
    }
    let v6 = s
        .hosts
        .iter()
        .any(|h| h.addresses.iter().any(|a| a.contains(':')));
    if !s.hosts.is_empty() && !v6 {
        f.warning(
            "mx.no-ipv6",
            "no MX host has an IPv6 (AAAA) address: IPv6-only senders cannot deliver".into(),
            Some("publish AAAA records for the MX hosts"),
        );
    }
    s
}

/// Why mail to a domain cannot arrive (a report destination, say).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(super) enum NoMail {
    /// The domain does not exist.
    #[error("the domain does not exist")]
    NoDomain,
    /// A null MX: it says it takes no mail.
    #[error("it publishes a null MX (accepts no mail)")]
    NullMx,
    /// Neither MX nor A/AAAA records (RFC 5321 §5.1 has nothing to deliver to).
    #[error("it has no MX and no A/AAAA records")]
    NoHost,
}

/// Whether mail to `domain` can be delivered: an MX, or the implicit MX of its A/AAAA
/// records (RFC 5321 §5.1). `Err(Err(failure))` when DNS could not tell.
pub(super) fn mail_reaches(dns: &Dns, domain: &str) -> Result<(), Result<NoMail, Failure>> {
    match dns.query(domain, RecordType::Mx) {
        Ok(r) => {
            let hosts: Vec<&str> = of_type(&r, RecordType::Mx)
                .filter_map(|r| match r {
                    Rdata::Mx { exchange, .. } => Some(exchange.as_str()),
                    _ => None,
                })
                .collect();
            if hosts.iter().all(|h| h.is_empty()) && !hosts.is_empty() {
                return Err(Ok(NoMail::NullMx));
            }
            Ok(())
        }
        Err(Failure::NxDomain) => Err(Ok(NoMail::NoDomain)),
        Err(Failure::NoData) => {
            for rtype in [RecordType::A, RecordType::Aaaa] {
                match dns.query(domain, rtype) {
                    Ok(r) if of_type(&r, rtype).next().is_some() => return Ok(()),
                    Ok(_) | Err(Failure::NxDomain | Failure::NoData) => {}
                    Err(e) => return Err(Err(e)),
                }
            }
            Err(Ok(NoMail::NoHost))
        }
        Err(e) => Err(Err(e)),
    }
}

/// FCrDNS of each address of an MX host: a PTR name that resolves back to the address. Mail
/// the host sends is judged by it, and a missing one is a common cause of rejected mail; a
/// lookup failure is a warning here, not an incomplete audit (PTR zones are often broken).
fn reverse_dns(dns: &Dns, host: &str, addresses: &[String], f: &mut Findings) -> Vec<IprevReport> {
    let mut out = Vec::new();
    for a in addresses {
        let Ok(ip) = a.parse() else { continue };
        let r = iprev::check(dns, ip);
        if r.result != AuthResult::Pass {
            f.warning(
                "mx.fcrdns",
                format!("MX {host} address {a}: {}", r.reason),
                Some("publish a PTR record for the address naming a host that resolves back to it"),
            );
        }
        out.push(r);
    }
    out
}
