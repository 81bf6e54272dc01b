//! DANE TLSA records per MX in the domain audit, with their DNSSEC status.

use super::findings::Findings;
use super::mx::MxSection;
use crate::dns::{Dns, Dnssec};
use crate::transport::dane;

pub(super) fn audit_dane(dns: &Dns, mx: &MxSection, f: &mut Findings) -> Vec<dane::MxTlsa> {
    let mut out = Vec::new();
    for host in &mx.hosts {
        let t = dane::lookup(dns, &host.host, 25);
        if let Some(e) = &t.error {
            // A TLSA SERVFAIL makes DANE senders defer all mail to this MX (RFC 7672 §2.2).
            f.error(
                "dane.lookup-failed",
                format!("{e}: DANE senders cannot deliver to {}", host.host),
                Some("fix the zone's DNSSEC signatures or name servers"),
            );
        }
        if !t.records.is_empty() {
            match t.dnssec {
                Dnssec::Secure => f.info(
                    "dane.ok",
                    format!(
                        "_25._tcp.{}: {} TLSA record(s), DNSSEC-validated",
                        host.host,
                        t.records.len()
                    ),
                ),
                Dnssec::Bogus => f.error(
                    "dane.bogus",
                    format!(
                        "_25._tcp.{}: TLSA answer fails DNSSEC validation",
                        host.host
                    ),
                    Some("re-sign the zone"),
                ),
                other => f.warning(
                    "dane.unsigned",
                    format!(
                        "_25._tcp.{}: TLSA records without DNSSEC ({}): DANE does not apply",
                        host.host,
                        other.word().to_lowercase()
                    ),
                    Some("sign the zone (DNSSEC), or remove the TLSA records"),
                ),
            }
            for r in &t.records {
                let fields: Vec<&str> = r.split(' ').collect();
                match fields.as_slice() {
                    ["0" | "1", ..] => f.warning("dane.pkix-usage", format!("_25._tcp.{}: \"{r}\" uses a PKIX usage, which SMTP DANE ignores (RFC 7672 §3.1.3)", host.host), Some("use 3 1 1 (or 2 1 1)")),
                    ["3", "1", "1", ..] | ["2", "1", "1", ..] => {}
                    _ => f.info("dane.params", format!("_25._tcp.{}: \"{r}\" (3 1 1 or 2 1 1 are recommended)", host.host)),
                }
            }
        }
        out.push(t);
    }
    out
}
