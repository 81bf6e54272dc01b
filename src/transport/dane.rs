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
    /// (usage, selector, matching, data) of each record, for the STARTTLS probe.
    #[serde(skip)]
    pub parsed: Vec<(u8, u8, u8, Vec<u8>)>,
    pub error: Option<String>,
}

/// The TLSA records of `host:port`. Over the network they are asked plainly first: a name
/// without TLSA records needs no DNSSEC chain (DANE does not apply), and a validator would
/// walk DS records up to the root to prove that, about 50 queries when the resolver cannot
/// supply a chain. Only published records are asked again through the validator. A zone
/// replay answers with its recorded status at once.
pub fn lookup(dns: &Dns, host: &str, port: u16) -> MxTlsa {
    let name = format!("_{port}._tcp.{host}");
    let mut out = MxTlsa {
        mx: host.to_string(),
        records: Vec::new(),
        dnssec: Dnssec::Indeterminate,
        usable: false,
        parsed: Vec::new(),
        error: None,
    };
    let remote = dns.is_remote();
    let answer = if remote {
        dns.query(&name, RecordType::Tlsa)
    } else {
        let (answer, dnssec) = dns.query_dnssec(&name, RecordType::Tlsa);
        out.dnssec = dnssec;
        answer
    };
    let records = match answer {
        Ok(records) => records,
        Err(f) if f.is_temporary() => {
            out.error = Some(format!("TLSA lookup {name} failed: {f}"));
            return out;
        }
        Err(_) => return out,
    };
    for r in of_type(&records, RecordType::Tlsa) {
        if let Rdata::Tlsa {
            usage,
            selector,
            matching,
            data,
        } = r
        {
            out.records.push(r.to_string());
            out.parsed
                .push((*usage, *selector, *matching, data.clone()));
        }
    }
    if remote && !out.records.is_empty() {
        // A validator that cannot build a chain (a resolver without DNSSEC) leaves the
        // status indeterminate; only a bogus answer is the zone's fault.
        out.dnssec = dns.query_dnssec(&name, RecordType::Tlsa).1;
    }
    out.usable = !out.records.is_empty() && out.dnssec == Dnssec::Secure;
    out
}
