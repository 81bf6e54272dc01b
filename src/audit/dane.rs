//! DANE TLSA records per MX in the domain audit, with their DNSSEC status.

use super::findings::Findings;
use super::mx::MxSection;
use crate::dns::{Dns, Dnssec};
use crate::transport::dane;

/// RFC 6698 §2.1.3: matching type 1 is SHA-256 (32 octets), 2 is SHA-512 (64); 0 is the
/// full data, any length.
fn digest_len(matching: u8) -> Option<usize> {
    match matching {
        1 => Some(32),
        2 => Some(64),
        _ => None,
    }
}

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
                Dnssec::Indeterminate => f.info(
                    "dane.undetermined",
                    format!(
                        "_25._tcp.{}: {} TLSA record(s), but the resolver supplied no DNSSEC chain: whether DANE applies is undetermined",
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
                Dnssec::Insecure => f.warning(
                    "dane.unsigned",
                    format!(
                        "_25._tcp.{}: TLSA records in an unsigned zone (DNSSEC insecure): DANE does not apply",
                        host.host,
                    ),
                    Some("sign the zone (DNSSEC), or remove the TLSA records"),
                ),
            }
            for (r, (_, _, matching, data)) in t.records.iter().zip(&t.parsed) {
                if let Some(want) = digest_len(*matching)
                    && data.len() != want
                {
                    f.error(
                        "dane.digest-length",
                        format!(
                            "_25._tcp.{}: \"{r}\" carries {} octets; matching type {matching} is a {want}-octet digest, so it matches no certificate",
                            host.host,
                            data.len()
                        ),
                        Some("publish the full digest (sha256: 32 octets, sha512: 64)"),
                    );
                }
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
