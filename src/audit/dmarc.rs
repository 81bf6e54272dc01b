//! The DMARC part of the domain audit: where the record is, what it says, where reports go.

use serde::Serialize;

use super::findings::Findings;
use super::records_starting;
use crate::auth::dmarc::{self, org::organizational_domain};
use crate::auth::tags::TagList;
use crate::dns::{Dns, Failure};

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

pub(super) fn audit_dmarc(dns: &Dns, domain: &str, f: &mut Findings) -> DmarcSection {
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
