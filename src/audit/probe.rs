//! `--probe`: what each MX presents over STARTTLS, judged against TLSA, WebPKI and expiry.

use super::findings::Findings;
use crate::dns::Dns;
use crate::transport::dane;

/// How `--probe` connects to each MX and judges its certificate.
pub struct ProbeSettings {
    /// `--connect-to` overrides: reach a host and port at another address.
    pub connect_to: Vec<crate::transport::https::ConnectTo>,
    /// `--ca-file`: extra PEM trust anchors for the WebPKI check.
    pub ca_file: Option<std::path::PathBuf>,
    /// `--timeout`: how long one probe (connect, STARTTLS, handshake) may take.
    pub timeout: std::time::Duration,
    /// The time certificate expiry is judged at (unix seconds: `--at` when given, else now).
    pub now: i64,
}

/// Certificates expiring within this many days get a warning.
const EXPIRY_WARNING_DAYS: i64 = 14;

pub(super) fn audit_probe(
    dns: &Dns,
    settings: &ProbeSettings,
    dane: &[dane::MxTlsa],
    requires_tls: bool,
    sts_enforced: bool,
    f: &mut Findings,
) -> Vec<crate::transport::starttls::Probe> {
    use crate::transport::starttls;
    let cfg = starttls::ProbeConfig {
        connect_to: &settings.connect_to,
        ca_file: settings.ca_file.as_deref(),
        timeout: settings.timeout,
        now: settings.now,
    };
    let mut out = Vec::new();
    for t in dane {
        let p = starttls::probe(dns, &t.mx, &t.parsed, &cfg);
        let mx = &t.mx;
        if let Some(e) = &p.error {
            if p.address.is_some() && e.is_tls_failure() {
                f.error(
                    "probe.tls-failed",
                    format!("{mx}: {e}"),
                    Some("fix the server's TLS configuration"),
                );
            } else {
                f.warning(
                    "probe.connect-failed",
                    format!("{mx}: {e} (port 25 may be blocked from here)"),
                    None,
                );
            }
            out.push(p);
            continue;
        }
        if !p.starttls {
            let message = format!("{mx} does not offer STARTTLS");
            if requires_tls {
                f.error(
                    "probe.no-starttls",
                    format!("{message}, but the domain demands TLS"),
                    Some("enable STARTTLS"),
                );
            } else {
                f.warning(
                    "probe.no-starttls",
                    format!("{message}: mail to it travels in clear"),
                    Some("enable STARTTLS"),
                );
            }
            out.push(p);
            continue;
        }
        f.info(
            "probe.tls",
            format!(
                "{mx}: {} {}",
                p.tls_version.as_deref().unwrap_or("?"),
                p.cipher.as_deref().unwrap_or("?")
            ),
        );
        match (p.dane_match, t.usable) {
            (Some(true), _) => f.info(
                "probe.dane-match",
                format!("{mx}: {}", p.dane.as_deref().unwrap_or("")),
            ),
            (Some(false), true) => f.error(
                "probe.dane-mismatch",
                format!(
                    "{mx}: no TLSA record matches the certificate: DANE senders will not deliver"
                ),
                Some("publish TLSA records for the current key (3 1 1) before rotating"),
            ),
            (Some(false), false) => f.warning(
                "probe.dane-mismatch",
                format!(
                    "{mx}: no TLSA record matches the certificate (records not DNSSEC-validated)"
                ),
                None,
            ),
            (None, _) => {}
        }
        match p.pkix_valid {
            Some(false) if sts_enforced => f.error(
                "probe.pkix-invalid",
                format!("{mx}: certificate not valid for the MX name ({}); MTA-STS senders will not deliver", p.pkix_error.as_deref().unwrap_or("?")),
                Some("use a certificate from a public CA that names the MX host"),
            ),
            Some(false) => f.info(
                "probe.pkix-invalid",
                format!("{mx}: certificate not WebPKI-valid for the MX name ({})", p.pkix_error.as_deref().unwrap_or("?")),
            ),
            _ => {}
        }
        if let Some(not_after) = p.not_after {
            let days = (not_after - settings.now).div_euclid(86_400);
            if not_after < settings.now {
                f.error(
                    "probe.cert-expired",
                    format!("{mx}: the certificate expired {} day(s) ago", -days),
                    Some("renew the certificate"),
                );
            } else if days < EXPIRY_WARNING_DAYS {
                f.warning(
                    "probe.cert-expiring",
                    format!("{mx}: the certificate expires in {days} day(s)"),
                    Some("renew the certificate"),
                );
            }
        }
        out.push(p);
    }
    out
}
