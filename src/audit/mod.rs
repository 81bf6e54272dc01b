//! The domain audit (`domain`): a CI-grade audit of a domain's mail DNS. Every check adds findings with stable ids;
//! the exit code follows the worst severity (README "Finding ids").

mod bimi;
mod bimi_svg;
mod bimi_vmc;
mod dane;
mod dkim;
mod dmarc;
pub mod dnssec;
pub mod findings;
mod mta_sts;
mod mx;
mod probe;
pub mod spf;
mod tls_rpt;

use serde::Serialize;

use crate::dns::name::normalize;
use crate::dns::{Dns, Failure};
use crate::transport::dane::MxTlsa;
use crate::transport::mta_sts::{Mode as StsMode, Policy as StsPolicy, TxtPosture, TxtProblem};
use findings::{Finding, Findings, Severity};

pub use dkim::{COMMON_SELECTORS, SelectorSection};
pub use dmarc::DmarcSection;
pub use mx::MxSection;
pub use probe::ProbeSettings;

/// What `domain` checks beyond the records every domain has.
#[derive(Default)]
pub struct AuditOptions {
    /// DKIM selectors to check (`--selector`).
    pub selectors: Vec<String>,
    /// Also try common selector names.
    pub guess_selectors: bool,
    /// Fetches MTA-STS policies; None leaves them unchecked.
    pub https: Option<crate::transport::https::HttpsClient>,
    /// `--probe`: STARTTLS to every MX.
    pub probe: Option<ProbeSettings>,
    /// `--ca-file` contents (PEM): also the anchors a BIMI VMC/CMC chain is verified against.
    pub ca_pem: Option<Vec<u8>>,
    /// When certificates are judged (`--at`, else now), unix seconds.
    pub now: i64,
}

/// The audit of one domain.
#[derive(Debug, Clone, Serialize)]
pub struct DomainSection {
    /// The domain, normalised.
    pub domain: String,
    /// SPF: record, tree, counts.
    pub spf: spf::SpfSection,
    /// DMARC: record, where found, policy.
    pub dmarc: DmarcSection,
    /// One entry per selector found.
    pub dkim: Vec<SelectorSection>,
    /// MX hosts and their addresses.
    pub mx: MxSection,
    /// The `_mta-sts` TXT record.
    pub mta_sts: TxtPosture,
    /// The policy fetched from https://mta-sts.<domain>/.well-known/mta-sts.txt.
    pub mta_sts_policy: Option<StsPolicy>,
    /// `--probe` results, one per MX.
    pub probes: Vec<crate::transport::starttls::Probe>,
    /// The `_smtp._tls` record.
    pub tls_rpt: Option<String>,
    /// TLSA records per MX with their DNSSEC status.
    pub dane: Vec<MxTlsa>,
    /// DNSSEC status of the domain and of each MX host.
    pub dnssec: Vec<dnssec::NameDnssec>,
    /// The `default._bimi` record.
    pub bimi: Option<String>,
    /// This domain's findings.
    pub findings: Vec<Finding>,
    /// A DNS failure left part of the audit undone.
    pub incomplete: bool,
}

/// `domain`: the audit of every domain asked for.
#[derive(Debug, Clone, Serialize)]
pub struct DomainReport {
    /// `mailverdict.domain.v1`.
    pub schema: &'static str,
    /// One section per domain, in the order given.
    pub domains: Vec<DomainSection>,
    /// Every finding of every domain, in order.
    pub findings: Vec<Finding>,
    /// Error findings in all domains.
    pub errors: usize,
    /// Warning findings in all domains.
    pub warnings: usize,
    /// Some audit could not finish (DNS): retry.
    pub incomplete: bool,
}

pub(crate) fn records_starting(
    dns: &Dns,
    name: &str,
    prefix: &str,
) -> Result<Vec<String>, Failure> {
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

/// A `mailto:` report destination whose domain takes no mail: the reports cannot arrive.
pub(crate) fn report_mailbox(dns: &Dns, id: &'static str, uri: &str, dest: &str, f: &mut Findings) {
    match mx::mail_reaches(dns, dest) {
        Ok(()) => {}
        Err(Ok(why)) => f.error(
            id,
            format!("{uri}: {dest} cannot receive mail ({why}): the reports cannot arrive"),
            Some("send reports to a mailbox at a domain with working MX records"),
        ),
        Err(Err(e)) if e.is_temporary() => f.dns_failure(
            id,
            format!("MX lookup for report destination {dest} failed: {e}"),
        ),
        Err(Err(_)) => {}
    }
}

/// Audit one domain: every area's findings, in a fixed order.
pub fn audit_domain(dns: &Dns, domain: &str, opts: &AuditOptions) -> DomainSection {
    let domain = normalize(domain);
    let mut f = Findings::new(&domain);
    let spf = spf::audit(dns, &domain, &mut f);
    let dmarc = dmarc::audit_dmarc(dns, &domain, &mut f);
    let mut dkim = Vec::new();
    for s in &opts.selectors {
        dkim.extend(dkim::audit_selector(dns, &domain, s, false, &mut f));
    }
    if opts.guess_selectors {
        for s in COMMON_SELECTORS
            .iter()
            .filter(|s| !opts.selectors.iter().any(|x| x == *s))
        {
            dkim.extend(dkim::audit_selector(dns, &domain, s, true, &mut f));
        }
    }
    if opts.selectors.is_empty() && dkim.is_empty() {
        f.info(
            "dkim.not-checked",
            "no selector given (--selector, --guess-selectors): DKIM keys not checked".into(),
        );
    }
    let mx = mx::audit_mx(dns, &domain, &mut f);
    if mx.null_mx && spf::authorizes_senders(&spf) {
        f.warning(
            "mx.null-with-senders",
            "null MX, yet SPF authorizes senders: mail from this domain cannot receive bounces, \
             and receivers may reject it (RFC 7505 §4.2)"
                .into(),
            Some("publish \"v=spf1 -all\" if the domain sends no mail, or real MX records if it does"),
        );
    }
    let mx_names: Vec<String> = mx.hosts.iter().map(|h| h.host.clone()).collect();
    let dnssec = dnssec::audit_dnssec(dns, &domain, &mx_names, &mut f);
    let sts = crate::transport::mta_sts::lookup_txt(dns, &domain);
    match (&sts.id, &sts.error) {
        (Some(id), _) => f.info("mta-sts.txt", format!("_mta-sts.{domain}: id={id}")),
        (None, Some(e @ TxtProblem::Lookup { .. })) => {
            f.dns_failure("mta-sts.dns-error", e.to_string());
        }
        (None, Some(e)) => f.error(
            "mta-sts.txt-syntax",
            e.to_string(),
            Some("publish \"v=STSv1; id=<date>\""),
        ),
        (None, None) => f.info(
            "mta-sts.missing",
            format!("no MTA-STS record at _mta-sts.{domain}: senders may deliver without TLS"),
        ),
    }
    let mta_sts_policy = match (&sts.id, &opts.https) {
        (Some(_), Some(client)) => mta_sts::audit_mta_sts_policy(dns, client, &domain, &mx, &mut f),
        _ => None,
    };
    let dane = if mx.null_mx {
        Vec::new()
    } else {
        dane::audit_dane(dns, &mx, &mut f)
    };
    let wants_tls = sts.id.is_some() || dane.iter().any(|d| !d.records.is_empty());
    let probes = match &opts.probe {
        Some(settings) => {
            let demands = sts.id.is_some() || dane.iter().any(|d| d.usable);
            let enforced = mta_sts_policy
                .as_ref()
                .is_some_and(|p| p.mode == StsMode::Enforce);
            probe::audit_probe(dns, settings, &dane, demands, enforced, &mut f)
        }
        None => Vec::new(),
    };
    for t in &dane {
        let probed = probes
            .iter()
            .find(|p| p.mx == t.mx && !p.tlsa_matched.is_empty());
        dane::rollover(t, probed.map(|p| p.tlsa_matched.as_slice()), &mut f);
    }
    let tls_rpt = tls_rpt::audit_tls_rpt(dns, &domain, wants_tls, &mut f);
    let bimi_cx = bimi::BimiContext {
        https: opts.https.as_ref(),
        anchors: opts.ca_pem.as_deref(),
        now: opts.now,
    };
    let bimi = bimi::audit_bimi(dns, &domain, &dmarc, &bimi_cx, &mut f);
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
        dnssec,
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
                        spf: spf::SpfSection::default(),
                        dmarc: DmarcSection::default(),
                        dkim: Vec::new(),
                        mx: MxSection::default(),
                        mta_sts: TxtPosture::default(),
                        mta_sts_policy: None,
                        probes: Vec::new(),
                        tls_rpt: None,
                        dane: Vec::new(),
                        dnssec: Vec::new(),
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
        schema: "mailverdict.domain.v2",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::Zone;

    fn audit_zone(zone: &str, domain: &str) -> DomainSection {
        let mut z = Zone::default();
        z.add_text(zone).expect("zone");
        let dns = Dns::new(Box::new(z));
        audit_domain(&dns, domain, &AuditOptions::default())
    }

    fn ids(s: &DomainSection) -> Vec<String> {
        s.findings
            .iter()
            .map(|f| format!("{}:{}", f.severity.word(), f.id))
            .collect()
    }

    /// A tidy domain: SPF within limits, an enforcing DMARC policy, an MX with an address.
    #[test]
    fn a_tidy_domain_has_no_errors() {
        let s = audit_zone(
            "$ORIGIN ok.test.\n@ TXT \"v=spf1 mx -all\"\n@ MX 10 mx.ok.test.\nmx A 192.0.2.1\n\
             _dmarc TXT \"v=DMARC1; p=reject; rua=mailto:d@ok.test\"\n",
            "ok.test",
        );
        assert!(
            s.findings.iter().all(|f| f.severity != Severity::Error),
            "{:?}",
            ids(&s)
        );
        assert_eq!(s.spf.total_lookups, 1);
        assert_eq!(s.mx.hosts.len(), 1);
        assert!(!s.incomplete);
    }

    /// A DNS failure makes the audit incomplete (exit 75) instead of reporting "missing".
    #[test]
    fn dns_failure_is_incomplete_not_missing() {
        let s = audit_zone(
            ";! flaky.test. TXT SERVFAIL\nflaky.test. MX 0 .\n",
            "flaky.test",
        );
        assert!(s.incomplete);
        assert!(
            ids(&s).contains(&"error:spf.dns-error".to_string()),
            "{:?}",
            ids(&s)
        );
        assert!(!ids(&s).iter().any(|i| i.ends_with("spf.missing")));
    }

    /// Terms after `all` and a redirect beside `all` are never evaluated, so never counted.
    #[test]
    fn the_audit_counts_what_a_receiver_evaluates() {
        let s = audit_zone(
            "$ORIGIN r.test.\n@ TXT \"v=spf1 a -all a:x.r.test redirect=other.r.test\"\n@ A 192.0.2.1\n\
             other TXT \"v=spf1 a a a -all\"\n",
            "r.test",
        );
        assert_eq!(s.spf.total_lookups, 1, "{:?}", ids(&s));
        assert!(s.spf.void_names.is_empty());
    }
}
