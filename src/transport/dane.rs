//! DANE for SMTP (RFC 7672): TLSA records at `_25._tcp.<mx>`, usable only when DNSSEC-validated.

use serde::Serialize;

use crate::dns::{Dns, Dnssec, Rdata, RecordType, of_type};

#[derive(Debug, Clone, Serialize)]
pub struct MxTlsa {
    pub mx: String,
    /// `usage selector matching data` as in zone files.
    pub records: Vec<String>,
    pub dnssec: Dnssec,
    /// Records present and validated: DANE applies and TLS is mandatory.
    pub usable: bool,
    pub error: Option<String>,
}

pub fn lookup(dns: &Dns, host: &str, port: u16) -> MxTlsa {
    let name = format!("_{port}._tcp.{host}");
    let (answer, dnssec) = dns.query_dnssec(&name, RecordType::Tlsa);
    let mut out = MxTlsa {
        mx: host.to_string(),
        records: Vec::new(),
        dnssec,
        usable: false,
        error: None,
    };
    match answer {
        Ok(records) => {
            out.records = of_type(&records, RecordType::Tlsa)
                .filter(|r| matches!(r, Rdata::Tlsa { .. }))
                .map(ToString::to_string)
                .collect();
            out.usable = !out.records.is_empty() && dnssec == Dnssec::Secure;
        }
        Err(f) if f.is_temporary() => out.error = Some(format!("TLSA lookup {name} failed: {f}")),
        Err(_) => {}
    }
    out
}
