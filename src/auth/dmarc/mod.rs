//! DMARC (RFC 7489): record discovery, alignment of SPF and of each DKIM signature, result and
//! the disposition a receiver following the policy would apply.

pub mod org;

use crate::auth::spf::SpfReport;
use crate::auth::tags::TagList;
use crate::dns::{Dns, Failure};
use org::organizational_domain;
use serde::Serialize;

use crate::auth::dkim::DkimReport;
use crate::common::AuthResult;
use crate::message::Author;

#[derive(Debug, Clone, Serialize)]
pub struct DmarcReport {
    pub result: AuthResult,
    pub from_domain: Option<String>,
    /// Where the record was found (the From domain or its organizational domain).
    pub policy_domain: Option<String>,
    pub record: Option<String>,
    pub policy: Option<String>,
    pub subdomain_policy: Option<String>,
    /// The policy that applies to this From domain (sp= for a subdomain).
    pub applied_policy: Option<String>,
    pub pct: Option<u8>,
    pub adkim: Option<String>,
    pub aspf: Option<String>,
    pub rua: Vec<String>,
    pub ruf: Vec<String>,
    pub spf_aligned: bool,
    pub dkim_aligned: bool,
    /// What a receiver following the policy would do: none, quarantine, reject.
    pub disposition: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub p: String,
    pub sp: Option<String>,
    pub pct: u8,
    pub adkim_strict: bool,
    pub aspf_strict: bool,
    pub rua: Vec<String>,
    pub ruf: Vec<String>,
}

fn policy_word(v: &str) -> Option<String> {
    let v = v.trim().to_ascii_lowercase();
    matches!(v.as_str(), "none" | "quarantine" | "reject").then_some(v)
}

fn uris(v: Option<&str>) -> Vec<String> {
    v.map(|v| {
        v.split(',')
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

/// Parse a DMARC record. Unknown tags are ignored (RFC 7489 §6.3); a missing or bad `p=` is
/// read as `none` when `rua=` is present (§6.6.3), otherwise the record is invalid.
pub fn parse(text: &str) -> Result<Policy, String> {
    let tags = TagList::parse(text).map_err(|e| e.to_string())?;
    if tags.names().next() != Some("v") || tags.get("v") != Some("DMARC1") {
        return Err("record does not start with v=DMARC1".into());
    }
    let rua = uris(tags.get("rua"));
    let p = match tags.get("p").and_then(policy_word) {
        Some(p) => p,
        None if !rua.is_empty() => "none".to_string(),
        None => return Err("p= is missing or not none/quarantine/reject".into()),
    };
    let pct = match tags.get("pct") {
        Some(v) => v
            .trim()
            .parse::<u8>()
            .ok()
            .filter(|n| *n <= 100)
            .ok_or_else(|| format!("pct={v} is not 0..100"))?,
        None => 100,
    };
    let strict = |name: &str| -> Result<bool, String> {
        match tags.get(name).map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(false),
            Some(v) if v == "r" => Ok(false),
            Some(v) if v == "s" => Ok(true),
            Some(v) => Err(format!("{name}={v} is not r or s")),
        }
    };
    Ok(Policy {
        p,
        sp: tags.get("sp").and_then(policy_word),
        pct,
        adkim_strict: strict("adkim")?,
        aspf_strict: strict("aspf")?,
        rua,
        ruf: uris(tags.get("ruf")),
    })
}

enum Lookup {
    Found(Policy, String),
    Invalid(String),
    None,
    Temp(Failure),
}

fn lookup_at(dns: &Dns, domain: &str) -> Lookup {
    let name = format!("_dmarc.{domain}");
    let records = match dns.txt(&name) {
        Ok(r) => r,
        Err(f) if f.is_temporary() => return Lookup::Temp(f),
        Err(_) => return Lookup::None,
    };
    let dmarc: Vec<String> = records
        .iter()
        .map(|r| String::from_utf8_lossy(r).into_owned())
        .filter(|r| {
            r.trim_start()
                .get(..8)
                .is_some_and(|p| p.eq_ignore_ascii_case("v=DMARC1"))
        })
        .collect();
    match dmarc.as_slice() {
        [] => Lookup::None,
        [one] => match parse(one) {
            Ok(p) => Lookup::Found(p, one.clone()),
            Err(e) => Lookup::Invalid(format!("invalid DMARC record at {name}: {e}")),
        },
        // §6.6.3: more than one record means no policy.
        _ => Lookup::Invalid(format!(
            "{} DMARC records at {name} (exactly one allowed)",
            dmarc.len()
        )),
    }
}

pub fn aligned(a: &str, b: &str, strict: bool) -> bool {
    let a = crate::dns::name::normalize(a);
    let b = crate::dns::name::normalize(b);
    if strict {
        a == b
    } else {
        organizational_domain(&a) == organizational_domain(&b)
    }
}

fn base_report(from_domain: Option<String>) -> DmarcReport {
    DmarcReport {
        result: AuthResult::None,
        from_domain,
        policy_domain: None,
        record: None,
        policy: None,
        subdomain_policy: None,
        applied_policy: None,
        pct: None,
        adkim: None,
        aspf: None,
        rua: Vec::new(),
        ruf: Vec::new(),
        spf_aligned: false,
        dkim_aligned: false,
        disposition: "none".into(),
        reason: String::new(),
    }
}

/// Evaluate DMARC for the message's author domain; marks each aligned DKIM signature.
pub fn evaluate(
    dns: &Dns,
    author: &Author,
    spf: &SpfReport,
    dkim: &mut [DkimReport],
) -> DmarcReport {
    let from_domain = match author {
        Author::Domain(d) => d.clone(),
        Author::Problem(p) => {
            let mut r = base_report(None);
            r.result = AuthResult::Permerror;
            r.reason = p.to_string();
            return r;
        }
    };
    let mut report = base_report(Some(from_domain.clone()));
    let org = organizational_domain(&from_domain);
    let mut found = lookup_at(dns, &from_domain);
    let mut policy_domain = from_domain.clone();
    if matches!(found, Lookup::None) && org != from_domain {
        found = lookup_at(dns, &org);
        policy_domain = org.clone();
    }
    let (policy, record) = match found {
        Lookup::Found(p, r) => (p, r),
        Lookup::Temp(f) => {
            report.result = AuthResult::Temperror;
            report.reason =
                format!("DMARC record lookup for {from_domain} failed: {f} (retry later)");
            return report;
        }
        Lookup::Invalid(e) => {
            report.result = AuthResult::None;
            report.reason = format!("{e}; no policy applies");
            return report;
        }
        Lookup::None => {
            report.reason = if org == from_domain {
                format!("no DMARC record at _dmarc.{from_domain}")
            } else {
                format!("no DMARC record at _dmarc.{from_domain} or _dmarc.{org}")
            };
            return report;
        }
    };
    report.policy_domain = Some(policy_domain.clone());
    report.record = Some(record);
    report.policy = Some(policy.p.clone());
    report.subdomain_policy = policy.sp.clone();
    report.pct = Some(policy.pct);
    report.adkim = Some(if policy.adkim_strict { "s" } else { "r" }.into());
    report.aspf = Some(if policy.aspf_strict { "s" } else { "r" }.into());
    report.rua = policy.rua.clone();
    report.ruf = policy.ruf.clone();
    let applied = if policy_domain != from_domain {
        policy.sp.clone().unwrap_or_else(|| policy.p.clone())
    } else {
        policy.p.clone()
    };
    report.applied_policy = Some(applied.clone());

    let spf_domain = spf.domain.clone().unwrap_or_default();
    let spf_identity_aligned = aligned(&spf_domain, &from_domain, policy.aspf_strict);
    report.spf_aligned = spf.result == AuthResult::Pass && spf_identity_aligned;
    for sig in dkim.iter_mut() {
        sig.aligned = sig
            .domain
            .as_deref()
            .is_some_and(|d| aligned(d, &from_domain, policy.adkim_strict));
    }
    report.dkim_aligned = dkim
        .iter()
        .any(|s| s.aligned && s.result == AuthResult::Pass);
    let temp_possible = (spf.result == AuthResult::Temperror && spf_identity_aligned)
        || dkim
            .iter()
            .any(|s| s.aligned && s.result == AuthResult::Temperror);
    let mode = |strict: bool| if strict { "strict" } else { "relaxed" };
    if report.spf_aligned || report.dkim_aligned {
        report.result = AuthResult::Pass;
        let mut why = Vec::new();
        if report.dkim_aligned {
            let mut d: Vec<String> = dkim
                .iter()
                .filter(|s| s.aligned && s.result == AuthResult::Pass)
                .filter_map(|s| s.domain.clone())
                .collect();
            d.dedup();
            why.push(format!(
                "DKIM pass aligned ({}: d={})",
                mode(policy.adkim_strict),
                d.join(", d=")
            ));
        }
        if report.spf_aligned {
            why.push(format!(
                "SPF pass aligned ({}: {spf_domain})",
                mode(policy.aspf_strict)
            ));
        }
        report.reason = why.join("; ");
        return report;
    }
    if temp_possible {
        report.result = AuthResult::Temperror;
        report.reason = "no aligned pass, and a DNS failure in an aligned SPF or DKIM check may have hidden one (retry later)".into();
        return report;
    }
    report.result = AuthResult::Fail;
    report.disposition = applied.clone();
    let mut why = vec![match (spf.result, spf_identity_aligned) {
        (AuthResult::Pass, false) => format!(
            "SPF passed for {spf_domain}, which is not aligned with {from_domain} ({})",
            mode(policy.aspf_strict)
        ),
        (r, _) if !spf_domain.is_empty() => format!("SPF {} for {spf_domain}", r.word()),
        (r, _) => format!("SPF {}", r.word()),
    }];
    if dkim.is_empty() {
        why.push("no DKIM signature".into());
    }
    for s in dkim.iter() {
        let d = s.domain.clone().unwrap_or_else(|| "?".into());
        if s.result == AuthResult::Pass {
            why.push(format!(
                "DKIM d={d} passed but is not aligned with {from_domain}"
            ));
        } else {
            why.push(format!("DKIM d={d} {}", s.result.word()));
        }
    }
    report.reason = format!("no aligned pass: {}", why.join("; "));
    if policy.pct < 100 && applied != "none" {
        report.disposition = format!(
            "{applied} (pct={}: applied to {}% of failing mail, the rest one step lower)",
            policy.pct, policy.pct
        );
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_policy_tags() {
        let p = parse("v=DMARC1; p=reject; sp=quarantine; pct=50; adkim=s; rua=mailto:a@x.test,mailto:b@y.test").expect("parses");
        assert_eq!(p.p, "reject");
        assert_eq!(p.sp.as_deref(), Some("quarantine"));
        assert_eq!(p.pct, 50);
        assert!(p.adkim_strict && !p.aspf_strict);
        assert_eq!(p.rua.len(), 2);
        assert!(parse("v=DMARC1; p=bogus").is_err());
        assert_eq!(
            parse("v=DMARC1; p=bogus; rua=mailto:a@x.test")
                .expect("falls back")
                .p,
            "none"
        );
    }

    #[test]
    fn relaxed_alignment_uses_the_organizational_domain() {
        assert!(aligned("mail.example.com", "example.com", false));
        assert!(!aligned("mail.example.com", "example.com", true));
        assert!(!aligned("example.co.uk", "other.co.uk", false));
    }
}
