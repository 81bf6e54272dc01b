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

/// Rollover readiness (RFC 7671 §8.1): the published TLSA set keeps mail flowing across a key
/// or certificate change. Without a probe: at least two distinct DANE records (current and
/// next, or a `3 1 1` beside a `2 1 1`). With the chain `--probe` saw (`matched`, per record):
/// a `2 x x` record that matches the issuing CA (the server key may change under it), or a
/// record that matches nothing presented now (the next key, published ahead).
pub(super) fn rollover(t: &dane::MxTlsa, matched: Option<&[bool]>, f: &mut Findings) {
    // (index in the published set, record) of the usage 2 / 3 records.
    let dane: Vec<_> = t
        .parsed
        .iter()
        .enumerate()
        .filter(|(_, r)| matches!(r.0, 2 | 3))
        .collect();
    if !t.usable || dane.is_empty() {
        return;
    }
    let name = format!("_25._tcp.{}", t.mx);
    let ready = match matched.filter(|m| m.len() == t.parsed.len()) {
        Some(m) => {
            let ta = dane.iter().any(|(i, r)| r.0 == 2 && m[*i]);
            let next = dane.iter().any(|(i, _)| !m[*i]);
            match (ta, next) {
                _ if !dane.iter().any(|(i, _)| m[*i]) => return, // probe.dane-mismatch says it
                (true, _) => Ok("a 2 x x record matches the issuing CA of the presented chain: the server key can change under it".to_string()),
                (false, true) => Ok("a record that matches nothing presented now is published: taken as the next key".to_string()),
                (false, false) => Err("every TLSA record matches only the server key presented now: changing that key breaks DANE delivery".to_string()),
            }
        }
        None => {
            let mut distinct: Vec<&Vec<u8>> = dane.iter().map(|(_, r)| &r.3).collect();
            distinct.sort();
            distinct.dedup();
            if distinct.len() >= 2 {
                Ok(format!(
                    "{} distinct DANE records (current and next, or EE beside TA)",
                    distinct.len()
                ))
            } else {
                Err("a single DANE record: the next key or certificate change breaks DANE delivery unless its record is published first".to_string())
            }
        }
    };
    match ready {
        Ok(why) => f.info("dane.rollover-ready", format!("{name}: {why}")),
        Err(why) => f.warning(
            "dane.rollover",
            format!("{name}: {why} (RFC 7671 §8.1)"),
            Some("publish the next key's 3 1 1 record ahead of the change, or a 2 1 1 for the issuing CA"),
        ),
    }
}
