//! `domain`: a CI-grade audit of a domain's mail DNS. Every check adds findings with stable ids;
//! the exit code follows the worst severity (README "Finding ids").

pub mod findings;
pub mod spf_audit;

use serde::Serialize;

use crate::auth::dkim::key::{KeyError, KeyRecord, PublicKey};
use crate::auth::dmarc;
use crate::auth::tags::TagList;
use crate::dns::name::{normalize, organizational_domain};
use crate::dns::{Dns, Dnssec, Failure, Rdata, RecordType, of_type};
use crate::transport::{dane, mta_sts};
use findings::{Finding, Findings, Severity};

/// Selectors tried by `--guess-selectors`: the common defaults of mail services.
pub const COMMON_SELECTORS: &[&str] = &[
    "default",
    "dkim",
    "mail",
    "selector1",
    "selector2",
    "google",
    "k1",
    "k2",
    "k3",
    "s1",
    "s2",
    "s1024",
    "s2048",
    "smtp",
    "mx",
    "key1",
    "key2",
    "dkim1",
    "dkim2",
    "mandrill",
    "everlytickey1",
    "everlytickey2",
    "sendgrid",
    "pm",
    "zoho",
    "protonmail",
    "protonmail2",
    "protonmail3",
    "fm1",
    "fm2",
    "fm3",
    "mxvault",
    "amazonses",
    "cm",
    "mailjet",
    "sig1",
];

#[derive(Default)]
pub struct AuditOptions {
    pub selectors: Vec<String>,
    pub guess_selectors: bool,
    /// Fetches MTA-STS policies; None leaves them unchecked.
    pub https: Option<crate::transport::https::HttpsClient>,
    /// `--probe`: STARTTLS to every MX.
    pub probe: Option<ProbeSettings>,
}

pub struct ProbeSettings {
    pub connect_to: Vec<crate::transport::https::ConnectTo>,
    pub ca_file: Option<std::path::PathBuf>,
    pub timeout: std::time::Duration,
    pub now: i64,
}

/// Certificates expiring within this many days get a warning.
const EXPIRY_WARNING_DAYS: i64 = 14;

fn audit_probe(
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
            if p.address.is_some()
                && (e.starts_with("TLS") || e.contains("STARTTLS") || e.contains("certificate"))
            {
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

#[derive(Debug, Clone, Default, Serialize)]
pub struct DmarcSection {
    pub record: Option<String>,
    /// Where the record was found: the domain or its organizational domain.
    pub policy_domain: Option<String>,
    pub p: Option<String>,
    pub sp: Option<String>,
    pub pct: Option<u8>,
    pub rua: Vec<String>,
    pub ruf: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SelectorSection {
    pub selector: String,
    pub record: Option<String>,
    pub key_type: Option<String>,
    pub key_bits: Option<usize>,
    pub revoked: bool,
    pub testing: bool,
}

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

#[derive(Debug, Clone, Serialize)]
pub struct DomainSection {
    pub domain: String,
    pub spf: spf_audit::SpfSection,
    pub dmarc: DmarcSection,
    pub dkim: Vec<SelectorSection>,
    pub mx: MxSection,
    pub mta_sts: mta_sts::TxtPosture,
    /// The policy fetched from https://mta-sts.<domain>/.well-known/mta-sts.txt.
    pub mta_sts_policy: Option<mta_sts::Policy>,
    /// `--probe` results, one per MX.
    pub probes: Vec<crate::transport::starttls::Probe>,
    pub tls_rpt: Option<String>,
    pub dane: Vec<dane::MxTlsa>,
    pub bimi: Option<String>,
    pub findings: Vec<Finding>,
    pub incomplete: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct DomainReport {
    pub schema: &'static str,
    pub domains: Vec<DomainSection>,
    /// Every finding of every domain, in order.
    pub findings: Vec<Finding>,
    pub errors: usize,
    pub warnings: usize,
    pub incomplete: bool,
}

fn records_starting(dns: &Dns, name: &str, prefix: &str) -> Result<Vec<String>, Failure> {
    dns.txt(name).map(|r| {
        r.iter()
            .map(|t| String::from_utf8_lossy(t).into_owned())
            .filter(|t| {
                t.trim_start()
                    .get(..prefix.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
            })
            .collect()
    })
}

fn audit_dmarc(dns: &Dns, domain: &str, f: &mut Findings) -> DmarcSection {
    let mut s = DmarcSection::default();
    let org = organizational_domain(domain);
    let mut found = None;
    for candidate in [domain.to_string(), org.clone()] {
        match records_starting(dns, &format!("_dmarc.{candidate}"), "v=DMARC1") {
            Ok(r) if r.is_empty() => {}
            Ok(r) => {
                found = Some((candidate, r));
                break;
            }
            Err(e) if e.is_temporary() => {
                f.dns_failure(
                    "dmarc.dns-error",
                    format!("TXT lookup for _dmarc.{candidate} failed: {e}"),
                );
                return s;
            }
            Err(_) => {}
        }
        if candidate == org {
            break;
        }
    }
    let Some((at, records)) = found else {
        f.error(
            "dmarc.missing",
            format!("no DMARC record at _dmarc.{domain}{}", if org != domain { format!(" or _dmarc.{org}") } else { String::new() }),
            Some("publish \"v=DMARC1; p=none; rua=mailto:dmarc-reports@<domain>\" and tighten p= once reports are clean"),
        );
        return s;
    };
    if records.len() > 1 {
        f.error(
            "dmarc.multiple",
            format!(
                "{} DMARC records at _dmarc.{at}: receivers apply no policy",
                records.len()
            ),
            Some("keep exactly one"),
        );
        return s;
    }
    let text = records[0].clone();
    s.record = Some(text.clone());
    s.policy_domain = Some(at.clone());
    let policy = match dmarc::parse(&text) {
        Ok(p) => p,
        Err(e) => {
            f.error(
                "dmarc.syntax",
                format!("invalid DMARC record at _dmarc.{at}: {e}"),
                Some("fix the record"),
            );
            return s;
        }
    };
    if let Ok(tags) = TagList::parse(&text) {
        if let Some(fo) = tags.get("fo")
            && !fo
                .split(':')
                .all(|o| matches!(o.trim(), "0" | "1" | "d" | "s"))
        {
            f.warning(
                "dmarc.fo-invalid",
                format!("fo={fo} is not 0, 1, d or s"),
                None,
            );
        }
        if let Some(ri) = tags.get("ri")
            && ri.trim().parse::<u32>().is_err()
        {
            f.warning(
                "dmarc.ri-invalid",
                format!("ri={ri} is not a number of seconds"),
                None,
            );
        }
    }
    if at != domain {
        let applied = policy.sp.clone().unwrap_or_else(|| policy.p.clone());
        f.info(
            "dmarc.inherited",
            format!("no record at _dmarc.{domain}: the organizational domain {at}'s record applies, with sp={applied} for this subdomain"),
        );
    }
    match policy.p.as_str() {
        "none" => f.warning(
            "dmarc.p-none",
            "p=none: failing mail is only reported, not quarantined or rejected".into(),
            Some("move to p=quarantine, then p=reject, once reports show legitimate mail aligned"),
        ),
        _ => f.info("dmarc.policy", format!("p={}", policy.p)),
    }
    if policy.p != "none" && policy.sp.as_deref() == Some("none") {
        f.warning(
            "dmarc.sp-none",
            format!("sp=none: subdomains are unprotected while p={}", policy.p),
            Some("remove sp= or set it to quarantine/reject"),
        );
    }
    if policy.pct < 100 {
        f.warning(
            "dmarc.pct",
            format!(
                "pct={}: the policy applies to {}% of failing mail only",
                policy.pct, policy.pct
            ),
            Some("raise pct to 100"),
        );
    }
    if policy.rua.is_empty() {
        f.warning(
            "dmarc.no-rua",
            "no rua=: no aggregate reports, so failures go unseen".into(),
            Some("add rua=mailto:..."),
        );
    }
    for uri in policy.rua.iter().chain(&policy.ruf) {
        let Some(addr) = uri
            .strip_prefix("mailto:")
            .or_else(|| uri.strip_prefix("MAILTO:"))
        else {
            f.error(
                "dmarc.report-uri",
                format!("{uri}: only mailto: report URIs are delivered"),
                None,
            );
            continue;
        };
        let addr = addr.split('!').next().unwrap_or(addr);
        let Some(dest) = crate::message::domain_of(addr) else {
            f.error(
                "dmarc.report-uri",
                format!("{uri}: no domain in the address"),
                None,
            );
            continue;
        };
        if organizational_domain(&dest) == organizational_domain(&at) {
            continue;
        }
        let name = format!("{at}._report._dmarc.{dest}");
        match records_starting(dns, &name, "v=DMARC1") {
            Ok(r) if !r.is_empty() => f.info(
                "dmarc.external-authorized",
                format!("{dest} accepts reports for {at} ({name})"),
            ),
            Ok(_) | Err(Failure::NxDomain | Failure::NoData) => f.error(
                "dmarc.external-unauthorized",
                format!(
                    "reports go to {dest}, which has no {name} record: receivers will not send them"
                ),
                Some("ask the report receiver to publish \"v=DMARC1\" at that name"),
            ),
            Err(e) => f.dns_failure(
                "dmarc.dns-error",
                format!("TXT lookup for {name} failed: {e}"),
            ),
        }
    }
    s.p = Some(policy.p);
    s.sp = policy.sp;
    s.pct = Some(policy.pct);
    s.rua = policy.rua;
    s.ruf = policy.ruf;
    s
}

fn audit_selector(
    dns: &Dns,
    domain: &str,
    selector: &str,
    guessed: bool,
    f: &mut Findings,
) -> Option<SelectorSection> {
    let name = format!("{selector}._domainkey.{domain}");
    let records = match dns.txt(&name) {
        Ok(r) => r,
        Err(e) if e.is_temporary() => {
            f.dns_failure(
                "dkim.dns-error",
                format!("TXT lookup for {name} failed: {e}"),
            );
            return None;
        }
        Err(_) => Vec::new(),
    };
    let Some(text) = records
        .first()
        .map(|r| String::from_utf8_lossy(r).into_owned())
    else {
        if !guessed {
            f.error(
                "dkim.missing",
                format!("no DKIM key at {name}"),
                Some("publish the selector's public key, or fix the selector name"),
            );
        }
        return None;
    };
    let mut s = SelectorSection {
        selector: selector.to_string(),
        record: Some(text.clone()),
        key_type: None,
        key_bits: None,
        revoked: false,
        testing: false,
    };
    if guessed {
        f.info(
            "dkim.found",
            format!("selector {selector} has a key at {name}"),
        );
    }
    match KeyRecord::parse(&text) {
        Err(KeyError::Syntax(e)) => f.error(
            "dkim.syntax",
            format!("{name}: syntax error: {e}"),
            Some("fix the key record"),
        ),
        Err(e) => f.error(
            "dkim.syntax",
            format!("{name}: {e}"),
            Some("fix the key record"),
        ),
        Ok(k) => {
            s.key_type = Some(k.key_type.name().to_string());
            s.testing = k.testing;
            s.revoked = k.key.is_none();
            s.key_bits = k.key.as_ref().map(PublicKey::bits);
            if s.revoked {
                f.info("dkim.revoked", format!("{name}: key revoked (empty p=)"));
            }
            if k.testing {
                f.warning(
                    "dkim.testing",
                    format!("{name}: t=y (testing): receivers treat signatures as unsigned"),
                    Some("remove t=y once signing works"),
                );
            }
            if let Some(PublicKey::Rsa { bits, .. }) = &k.key {
                if *bits < 1024 {
                    f.error(
                        "dkim.weak-key",
                        format!("{name}: RSA key of {bits} bits (RFC 8301 requires 1024 or more)"),
                        Some("rotate to a 2048-bit key"),
                    );
                } else if *bits < 2048 {
                    f.warning(
                        "dkim.short-key",
                        format!("{name}: RSA key of {bits} bits"),
                        Some("rotate to a 2048-bit key"),
                    );
                } else {
                    f.info("dkim.key", format!("{name}: RSA {bits} bits"));
                }
            }
            if let Some(PublicKey::Ed25519(_)) = &k.key {
                f.info("dkim.key", format!("{name}: Ed25519"));
            }
            if let Some(h) = &k.hashes
                && !h.iter().any(|x| x == "sha256")
            {
                f.error(
                    "dkim.hash-sha1-only",
                    format!(
                        "{name}: h={} allows only SHA-1 (not acceptable, RFC 8301)",
                        h.join(":")
                    ),
                    Some("allow sha256"),
                );
            }
        }
    }
    Some(s)
}

fn audit_mx(dns: &Dns, domain: &str, f: &mut Findings) -> MxSection {
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
        s.null_mx = true;
        if hosts.len() > 1 {
            f.error(
                "mx.null-mixed",
                "a null MX (RFC 7505) beside other MX records".into(),
                Some("a null MX must be the only MX record"),
            );
        } else {
            f.info(
                "mx.null",
                "null MX (RFC 7505): the domain accepts no mail".into(),
            );
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

fn audit_mta_sts_policy(
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
            f.error(
                "mta-sts.policy-fetch-failed",
                format!("{url}: {e}"),
                Some("serve the policy over HTTPS with a certificate valid for the mta-sts host"),
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
    match policy.mode.as_str() {
        "testing" => f.warning(
            "mta-sts.mode-testing",
            "MTA-STS mode testing: failures are reported, not enforced".into(),
            Some("switch to mode: enforce once TLS-RPT reports are clean"),
        ),
        "none" => f.warning(
            "mta-sts.mode-none",
            "MTA-STS mode none: the policy is withdrawn".into(),
            None,
        ),
        _ => f.info(
            "mta-sts.policy",
            format!(
                "mode {}, max_age {}s, mx {}",
                policy.mode,
                policy.max_age,
                policy.mx.join(", ")
            ),
        ),
    }
    if policy.max_age < 86_400 && policy.mode != "none" {
        f.warning(
            "mta-sts.max-age-short",
            format!(
                "max_age {}s: senders refetch often and the policy protects for under a day",
                policy.max_age
            ),
            Some("use weeks (e.g. 604800 or more)"),
        );
    }
    if policy.mode != "none" {
        for host in &mx.hosts {
            if !policy.mx.iter().any(|p| mta_sts::mx_matches(p, &host.host)) {
                f.error(
                    "mta-sts.mx-mismatch",
                    format!("MX {} matches no mx: line of the policy: senders in enforce mode will not deliver to it", host.host),
                    Some("add the MX to the policy (and change the id in _mta-sts)"),
                );
            }
        }
    }
    Some(policy)
}

fn audit_tls_rpt(dns: &Dns, domain: &str, wants_tls: bool, f: &mut Findings) -> Option<String> {
    let name = format!("_smtp._tls.{domain}");
    let found = match records_starting(dns, &name, "v=TLSRPTv1") {
        Err(Failure::NxDomain | Failure::NoData) => Ok(Vec::new()),
        other => other,
    };
    match found {
        Ok(r) if r.is_empty() => {
            if wants_tls {
                f.warning("tls-rpt.missing", format!("no TLS-RPT record at {name}: TLS delivery failures to this domain go unreported"), Some("publish \"v=TLSRPTv1; rua=mailto:tls-reports@<domain>\""));
            } else {
                f.info("tls-rpt.missing", format!("no TLS-RPT record at {name}"));
            }
            None
        }
        Ok(r) if r.len() > 1 => {
            f.error(
                "tls-rpt.multiple",
                format!("{} TLS-RPT records at {name}", r.len()),
                Some("keep exactly one"),
            );
            None
        }
        Ok(r) => {
            match crate::transport::tls_rpt::parse(&r[0]) {
                Ok(uris) => f.info("tls-rpt.ok", format!("reports go to {}", uris.join(", "))),
                Err(e) => f.error(
                    "tls-rpt.syntax",
                    format!("{name}: {e}"),
                    Some("fix the record"),
                ),
            }
            Some(r[0].clone())
        }
        Err(e) => {
            if e.is_temporary() {
                f.dns_failure(
                    "tls-rpt.dns-error",
                    format!("TXT lookup for {name} failed: {e}"),
                );
            }
            None
        }
    }
}

fn audit_dane(dns: &Dns, mx: &MxSection, f: &mut Findings) -> Vec<dane::MxTlsa> {
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

fn audit_bimi(dns: &Dns, domain: &str, f: &mut Findings) -> Option<String> {
    let name = format!("default._bimi.{domain}");
    let r = records_starting(dns, &name, "v=BIMI1").ok()?;
    let text = r.first()?.clone();
    match TagList::parse(&text) {
        Ok(t)
            if t.get("l")
                .is_some_and(|l| l.is_empty() || l.starts_with("https://")) =>
        {
            f.info("bimi.present", format!("BIMI record at {name}"));
        }
        Ok(_) => f.warning(
            "bimi.syntax",
            format!("{name}: l= must be an https: URL (or empty)"),
            None,
        ),
        Err(e) => f.warning("bimi.syntax", format!("{name}: {e}"), None),
    }
    Some(text)
}

pub fn audit_domain(dns: &Dns, domain: &str, opts: &AuditOptions) -> DomainSection {
    let domain = normalize(domain);
    let mut f = Findings::new(&domain);
    let spf = spf_audit::audit(dns, &domain, &mut f);
    let dmarc = audit_dmarc(dns, &domain, &mut f);
    let mut dkim = Vec::new();
    for s in &opts.selectors {
        dkim.extend(audit_selector(dns, &domain, s, false, &mut f));
    }
    if opts.guess_selectors {
        for s in COMMON_SELECTORS
            .iter()
            .filter(|s| !opts.selectors.iter().any(|x| x == *s))
        {
            dkim.extend(audit_selector(dns, &domain, s, true, &mut f));
        }
    }
    if opts.selectors.is_empty() && dkim.is_empty() {
        f.info(
            "dkim.not-checked",
            "no selector given (--selector, --guess-selectors): DKIM keys not checked".into(),
        );
    }
    let mx = audit_mx(dns, &domain, &mut f);
    let sts = mta_sts::lookup_txt(dns, &domain);
    match (&sts.id, &sts.error) {
        (Some(id), _) => f.info("mta-sts.txt", format!("_mta-sts.{domain}: id={id}")),
        (None, Some(e)) if e.contains("failed") => f.dns_failure("mta-sts.dns-error", e.clone()),
        (None, Some(e)) => f.error(
            "mta-sts.txt-syntax",
            e.clone(),
            Some("publish \"v=STSv1; id=<date>\""),
        ),
        (None, None) => f.info(
            "mta-sts.missing",
            format!("no MTA-STS record at _mta-sts.{domain}: senders may deliver without TLS"),
        ),
    }
    let mta_sts_policy = match (&sts.id, &opts.https) {
        (Some(_), Some(client)) => audit_mta_sts_policy(dns, client, &domain, &mx, &mut f),
        _ => None,
    };
    let dane = if mx.null_mx {
        Vec::new()
    } else {
        audit_dane(dns, &mx, &mut f)
    };
    let wants_tls = sts.id.is_some() || dane.iter().any(|d| !d.records.is_empty());
    let probes = match &opts.probe {
        Some(settings) => {
            let demands = sts.id.is_some() || dane.iter().any(|d| d.usable);
            let enforced = mta_sts_policy.as_ref().is_some_and(|p| p.mode == "enforce");
            audit_probe(dns, settings, &dane, demands, enforced, &mut f)
        }
        None => Vec::new(),
    };
    let tls_rpt = audit_tls_rpt(dns, &domain, wants_tls, &mut f);
    let bimi = audit_bimi(dns, &domain, &mut f);
    DomainSection {
        domain,
        spf,
        dmarc,
        dkim,
        mx,
        mta_sts: sts,
        mta_sts_policy,
        probes,
        tls_rpt,
        dane,
        bimi,
        incomplete: f.incomplete,
        findings: f.list,
    }
}

/// Audit several domains concurrently; each domain's failures stay its own.
pub fn audit(dns: &Dns, domains: &[String], opts: &AuditOptions) -> DomainReport {
    let sections: Vec<DomainSection> = std::thread::scope(|s| {
        let handles: Vec<_> = domains
            .iter()
            .map(|d| s.spawn(move || audit_domain(dns, d, opts)))
            .collect();
        handles
            .into_iter()
            .zip(domains)
            .map(|(h, d)| {
                h.join().unwrap_or_else(|_| {
                    let mut f = Findings::new(d);
                    f.error(
                        "internal.error",
                        "the audit of this domain stopped on an internal error".into(),
                        None,
                    );
                    DomainSection {
                        domain: d.clone(),
                        spf: spf_audit::SpfSection::default(),
                        dmarc: DmarcSection::default(),
                        dkim: Vec::new(),
                        mx: MxSection::default(),
                        mta_sts: mta_sts::TxtPosture::default(),
                        mta_sts_policy: None,
                        probes: Vec::new(),
                        tls_rpt: None,
                        dane: Vec::new(),
                        bimi: None,
                        incomplete: true,
                        findings: f.list,
                    }
                })
            })
            .collect()
    });
    let findings: Vec<Finding> = sections.iter().flat_map(|s| s.findings.clone()).collect();
    DomainReport {
        schema: "mailverdict.domain.v1",
        errors: findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count(),
        warnings: findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .count(),
        incomplete: sections.iter().any(|s| s.incomplete),
        domains: sections,
        findings,
    }
}

/// Exit code: 75 when DNS failures left the audit incomplete, 1 on errors (or warnings with
/// `--strict`), else 0.
pub fn exit_code(r: &DomainReport, strict: bool) -> i32 {
    use crate::error::code;
    if r.incomplete {
        code::TEMPFAIL
    } else if r.errors > 0 || (strict && r.warnings > 0) {
        code::FAIL
    } else {
        code::PASS
    }
}
