//! The MTA-STS policy fetched over HTTPS and checked against the MX hosts.

use super::findings::Findings;
use super::mx::MxSection;
use crate::dns::Dns;
use crate::transport::https::HttpsError;
use crate::transport::mta_sts::{self, Mode};

pub(super) fn audit_mta_sts_policy(
    dns: &Dns,
    client: &crate::transport::https::HttpsClient,
    domain: &str,
    mx: &MxSection,
    f: &mut Findings,
) -> Option<mta_sts::Policy> {
    let host = format!("mta-sts.{domain}");
    let url = format!("https://{host}/.well-known/mta-sts.txt");
    let response = match client.get(dns, &host, "/.well-known/mta-sts.txt", mta_sts::MAX_POLICY) {
        Ok(r) => r,
        Err(e) => {
            // The fix depends on what failed: the certificate, or reaching the host at all.
            let fix = match &e {
                HttpsError::Deadline { .. }
                | HttpsError::Connect { .. }
                | HttpsError::NoAddress { .. } => {
                    "make the mta-sts host reachable on port 443 and answer promptly"
                }
                _ => "serve the policy over HTTPS with a certificate valid for the mta-sts host",
            };
            f.error(
                "mta-sts.policy-fetch-failed",
                format!("{url}: {e}"),
                Some(fix),
            );
            return None;
        }
    };
    if (300..400).contains(&response.status) {
        f.error(
            "mta-sts.redirect",
            format!(
                "{url} answers {} (redirect to {}): RFC 8461 forbids following it",
                response.status,
                response.header("Location").unwrap_or("?")
            ),
            Some("serve the policy at that URL directly"),
        );
        return None;
    }
    if response.status != 200 {
        f.error(
            "mta-sts.policy-fetch-failed",
            format!("{url} answers HTTP {}", response.status),
            Some("serve the policy with status 200"),
        );
        return None;
    }
    if !response
        .header("Content-Type")
        .is_some_and(|t| t.to_ascii_lowercase().starts_with("text/plain"))
    {
        f.warning(
            "mta-sts.content-type",
            format!("{url} is not served as text/plain"),
            Some("set Content-Type: text/plain"),
        );
    }
    let policy = match mta_sts::parse_policy(&String::from_utf8_lossy(&response.body)) {
        Ok(p) => p,
        Err(e) => {
            f.error(
                "mta-sts.policy-syntax",
                format!("{url}: {e}"),
                Some("fix the policy file"),
            );
            return None;
        }
    };
    match policy.mode {
        Mode::Testing => f.warning(
            "mta-sts.mode-testing",
            "MTA-STS mode testing: failures are reported, not enforced".into(),
            Some("switch to mode: enforce once TLS-RPT reports are clean"),
        ),
        Mode::None => f.warning(
            "mta-sts.mode-none",
            "MTA-STS mode none: the policy is withdrawn".into(),
            None,
        ),
        Mode::Enforce => f.info(
            "mta-sts.policy",
            format!(
                "mode {}, max_age {}s, mx {}",
                policy.mode,
                policy.max_age,
                policy.mx.join(", ")
            ),
        ),
    }
    if policy.max_age < 86_400 && policy.mode != Mode::None {
        f.warning(
            "mta-sts.max-age-short",
            format!(
                "max_age {}s: senders refetch often and the policy protects for under a day",
                policy.max_age
            ),
            Some("use weeks (e.g. 604800 or more)"),
        );
    }
    for host in &mx.hosts {
        if policy.mx.iter().any(|p| mta_sts::mx_matches(p, &host.host)) {
            continue;
        }
        match policy.mode {
            Mode::Enforce => f.error(
                "mta-sts.mx-mismatch",
                format!("MX {} matches no mx: line of the policy: senders in enforce mode will not deliver to it", host.host),
                Some("add the MX to the policy (and change the id in _mta-sts)"),
            ),
            // RFC 8461 §5: in testing mode a failed check is reported (TLS-RPT), never a
            // reason not to deliver.
            Mode::Testing => f.warning(
                "mta-sts.mx-mismatch",
                format!("MX {} matches no mx: line of the policy: in testing mode senders still deliver to it and report the failure; switching to enforce would stop that mail", host.host),
                Some("add the MX to the policy (and change the id in _mta-sts) before enforcing"),
            ),
            Mode::None => {}
        }
    }
    Some(policy)
}
