//! MX records in the domain audit: null MX, CNAME targets, IP literals, unresolvable hosts.

use serde::Serialize;

use super::findings::Findings;
use crate::dns::{Dns, Rdata, RecordType, of_type};

#[derive(Debug, Clone, Default, Serialize)]
pub struct MxSection {
    pub hosts: Vec<MxHost>,
    pub null_mx: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct MxHost {
    pub preference: u16,
    pub host: String,
    pub addresses: Vec<String>,
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
        s.hosts.push(MxHost {
            preference: pref,
            host,
            addresses,
        });
    }
    s
}
