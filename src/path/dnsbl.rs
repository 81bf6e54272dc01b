//! DNS blocklist lookups of the origin IP (`--dnsbl ZONE`): listed when the reversed address
//! under the zone has an A record (RFC 5782), with the zone's TXT reason when it gives one.

use std::net::IpAddr;

use serde::Serialize;

use crate::dns::{Dns, Failure, Rdata, RecordType, of_type};

#[derive(Debug, Clone, Serialize)]
pub struct DnsblResult {
    pub zone: String,
    pub ip: String,
    /// true listed, false not listed, null when the lookup failed.
    pub listed: Option<bool>,
    /// The A record(s) returned (127.0.0.x codes).
    pub codes: Vec<String>,
    pub reason: Option<String>,
    pub error: Option<String>,
}

/// The RFC 5782 query name: reversed octets (IPv4) or nibbles (IPv6) under the zone.
pub fn query_name(ip: IpAddr, zone: &str) -> String {
    let reversed = crate::dns::name::reverse_name(ip);
    let stem = reversed
        .strip_suffix(".in-addr.arpa")
        .or_else(|| reversed.strip_suffix(".ip6.arpa"))
        .unwrap_or(&reversed);
    format!("{stem}.{}", zone.trim_end_matches('.'))
}

pub fn lookup(dns: &Dns, ip: IpAddr, zone: &str) -> DnsblResult {
    let name = query_name(ip, zone);
    let mut out = DnsblResult {
        zone: zone.to_string(),
        ip: ip.to_string(),
        listed: Some(false),
        codes: Vec::new(),
        reason: None,
        error: None,
    };
    match dns.query(&name, RecordType::A) {
        Ok(records) => {
            out.codes = of_type(&records, RecordType::A)
                .filter_map(|r| match r {
                    Rdata::A(a) => Some(a.to_string()),
                    _ => None,
                })
                .collect();
            out.listed = Some(!out.codes.is_empty());
            out.reason = dns
                .txt(&name)
                .ok()
                .and_then(|t| t.first().map(|r| String::from_utf8_lossy(r).into_owned()));
        }
        Err(Failure::NxDomain | Failure::NoData) => {}
        Err(f) => {
            out.listed = None;
            out.error = Some(format!("lookup of {name} failed: {f}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_names() {
        assert_eq!(
            query_name("192.0.2.99".parse().expect("ip"), "bl.test."),
            "99.2.0.192.bl.test"
        );
        assert!(
            query_name("2001:db8::1".parse().expect("ip"), "bl.test")
                .ends_with(".8.b.d.0.1.0.0.2.bl.test")
        );
    }
}
