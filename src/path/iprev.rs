//! iprev (RFC 8601 §3): the client IP's PTR names, and whether one resolves back to it.

use std::net::IpAddr;

use serde::Serialize;

use crate::common::AuthResult;
use crate::dns::name::reverse_name;
use crate::dns::{Dns, Rdata, RecordType, of_type};

#[derive(Debug, Clone, Serialize)]
pub struct IprevReport {
    pub result: AuthResult,
    pub ip: String,
    pub ptr: Vec<String>,
    pub confirmed: Option<String>,
    pub reason: String,
}

/// PTR names tried at most (as RFC 7208 limits the ptr mechanism).
const MAX_PTR_NAMES: usize = 10;

pub fn check(dns: &Dns, ip: IpAddr) -> IprevReport {
    let mut report = IprevReport {
        result: AuthResult::Fail,
        ip: ip.to_string(),
        ptr: Vec::new(),
        confirmed: None,
        reason: String::new(),
    };
    let records = match dns.query(&reverse_name(ip), RecordType::Ptr) {
        Ok(r) => r,
        Err(f) if f.is_temporary() => {
            report.result = AuthResult::Temperror;
            report.reason = format!("PTR lookup for {ip} failed: {f}");
            return report;
        }
        Err(f) => {
            report.reason = format!("{ip} has no PTR record ({f})");
            return report;
        }
    };
    report.ptr = of_type(&records, RecordType::Ptr)
        .filter_map(|r| match r {
            Rdata::Ptr(n) => Some(n.clone()),
            _ => None,
        })
        .collect();
    let rtype = if ip.is_ipv4() {
        RecordType::A
    } else {
        RecordType::Aaaa
    };
    let mut temp = None;
    for name in report.ptr.iter().take(MAX_PTR_NAMES) {
        match dns.query(name, rtype) {
            Ok(r) => {
                let back = of_type(&r, rtype).any(|a| match a {
                    Rdata::A(v4) => IpAddr::V4(*v4) == ip,
                    Rdata::Aaaa(v6) => IpAddr::V6(*v6) == ip,
                    _ => false,
                });
                if back {
                    report.result = AuthResult::Pass;
                    report.confirmed = Some(name.clone());
                    report.reason = format!("{ip} -> {name} -> {ip}");
                    return report;
                }
            }
            Err(f) if f.is_temporary() => temp = Some((name.clone(), f)),
            Err(_) => {}
        }
    }
    if let Some((name, f)) = temp {
        report.result = AuthResult::Temperror;
        report.reason = format!("forward lookup of {name} failed: {f}");
    } else {
        report.reason = format!(
            "no PTR name of {ip} resolves back to it ({})",
            report.ptr.join(", ")
        );
    }
    report
}
