//! The DMARC part of the domain audit, by RFC 9989 (with the RFC 7489 reading where it
//! differs): where the record is found by the tree walk, what it says, where reports go.
//! Discovery is the one `check` uses (`auth::dmarc::discovery`).

use serde::Serialize;

use super::findings::Findings;
use crate::auth::dmarc::DmarcSpec;
use crate::auth::dmarc::discovery::{
    Discovery, Org, Outcome, Source, Step, StepAnswer, discover, organizational_domain,
};
use crate::auth::dmarc::record::{Mode, Policy, Psd, Record, RecordNote, SubTag, is_dmarc};
use crate::dns::name::is_subdomain_of;
use crate::dns::{Dns, Failure};

#[derive(Debug, Clone, Default, Serialize)]
pub struct DmarcSection {
    pub record: Option<String>,
    /// Where the record applying to this domain was found (RFC 9989 tree walk).
    pub policy_domain: Option<String>,
    /// `author` (the domain itself), `organizational` or `public-suffix`.
    pub policy_source: Option<Source>,
    /// The domain's Organizational Domain by the tree walk.
    pub org_domain: Option<String>,
    /// `p=` as written (check's key name: `policy`).
    #[serde(rename = "policy")]
    pub p: Option<Policy>,
    /// `sp=` (check's key name: `subdomain_policy`).
    #[serde(rename = "subdomain_policy")]
    pub sp: Option<Policy>,
    /// `np=` (check's key name: `nonexistent_policy`).
    #[serde(rename = "nonexistent_policy")]
    pub np: Option<Policy>,
    /// `pct=` as RFC 7489 receivers read it (RFC 9989 removed the tag).
    pub pct: Option<u8>,
    pub testing: bool,
    pub psd: Option<Psd>,
    pub adkim: Option<Mode>,
    pub aspf: Option<Mode>,
    pub rua: Vec<String>,
    pub ruf: Vec<String>,
    /// Every `_dmarc` name queried and what it returned.
    pub discovery: Vec<Step>,
    /// Where RFC 7489 receivers (Public Suffix List) find the record, when elsewhere.
    pub rfc7489_policy_domain: Option<String>,
}

fn sub(t: &SubTag) -> Option<Policy> {
    match t {
        SubTag::Valid(p) => Some(*p),
        _ => None,
    }
}

fn multiple_on_walk(d: &Discovery, f: &mut Findings) {
    for s in &d.steps {
        if let StepAnswer::Multiple { records } = s.answer {
            f.error(
                "dmarc.multiple",
                format!(
                    "{records} DMARC records at {}: receivers discard them all",
                    s.name
                ),
                Some("keep exactly one"),
            );
        }
    }
}

pub(super) fn audit_dmarc(dns: &Dns, domain: &str, f: &mut Findings) -> DmarcSection {
    let d = discover(dns, domain, DmarcSpec::Rfc9989);
    let mut s = DmarcSection {
        discovery: d.steps.clone(),
        org_domain: d.org.domain().map(str::to_string),
        ..DmarcSection::default()
    };
    multiple_on_walk(&d, f);
    let (at, source, text) = match &d.outcome {
        Outcome::Found {
            domain,
            source,
            text,
        } => (domain.clone(), *source, text.clone()),
        Outcome::Temp { name, failure } => {
            f.dns_failure(
                "dmarc.dns-error",
                format!("TXT lookup for {name} failed: {failure}"),
            );
            return s;
        }
        Outcome::NotFound | Outcome::Multiple { .. } => {
            let names: Vec<&str> = d.steps.iter().map(|s| s.name.as_str()).collect();
            f.error(
                "dmarc.missing",
                format!("no DMARC record on the tree walk ({})", names.join(", ")),
                Some("publish \"v=DMARC1; p=none; rua=mailto:dmarc-reports@<domain>\" and tighten p= once reports are clean"),
            );
            return s;
        }
    };
    let Ok(record) = Record::parse(&text, DmarcSpec::Rfc9989) else {
        return s;
    };
    s.record = Some(text.clone());
    s.policy_domain = Some(at.clone());
    s.policy_source = Some(source);
    s.p = record.p_written();
    s.sp = sub(&record.sp);
    s.np = sub(&record.np);
    s.testing = record.testing;
    s.psd = Some(record.psd);
    s.adkim = Some(record.adkim);
    s.aspf = Some(record.aspf);
    s.rua = record.rua.clone();
    s.ruf = record.ruf.clone();
    let old = Record::parse(&text, DmarcSpec::Rfc7489).ok();
    s.pct = old.as_ref().and_then(|r| r.pct).filter(|p| *p < 100);

    location(&d, domain, &at, source, &record, f);
    record_notes(&record, old.as_deref(), f);
    policy_findings(&record, f);
    rfc7489_reading(dns, domain, &d, &at, old.as_deref(), &mut s, f);
    report_destinations(dns, &at, &record, f);
    s
}

fn location(
    d: &Discovery,
    domain: &str,
    at: &str,
    source: Source,
    record: &Record,
    f: &mut Findings,
) {
    let org = d.org.domain().unwrap_or("?");
    let how = match &d.org {
        Org::Known { method, .. } => method.to_string(),
        Org::Unknown { name, failure } => format!("unknown: {name} {failure}"),
    };
    match source {
        Source::Author => f.info(
            "dmarc.location",
            format!("record at _dmarc.{at}; Organizational Domain {org} ({how})"),
        ),
        Source::Organizational => {
            let applied = match (sub(&record.sp), record.p_written()) {
                (Some(sp), _) => format!("sp={sp}"),
                (None, Some(p)) => format!("p={p} (no sp=)"),
                (None, None) => "p=none".into(),
            };
            f.info(
                "dmarc.inherited",
                format!("no record at _dmarc.{domain}: the Organizational Domain {at}'s record applies ({how}), with {applied} for this subdomain"),
            );
        }
        Source::PublicSuffix => f.warning(
            "dmarc.psd-policy",
            format!("no record at _dmarc.{domain} or its Organizational Domain {org}: only the Public Suffix Domain policy at _dmarc.{at} (psd=y) applies"),
            Some("publish a record for your own Organizational Domain"),
        ),
    }
    if source == Source::Author && record.psd == Psd::Y {
        f.warning(
            "dmarc.psd-y",
            format!("psd=y declares {at} a Public Suffix Domain: each name below it is its own Organizational Domain, so mail of one never aligns with another"),
            Some("remove psd=y unless this is a public suffix operator's record"),
        );
    }
}

fn record_notes(record: &Record, old: Option<&Record>, f: &mut Findings) {
    for note in &record.notes {
        let (id, warn) = match note {
            RecordNote::PMissingNone => ("dmarc.p-missing", true),
            RecordNote::BadPolicy { .. } => ("dmarc.policy-invalid", false),
            RecordNote::Removed(_) => ("dmarc.tag-removed", true),
            RecordNote::Unknown(_) => ("dmarc.tag-unknown", true),
            RecordNote::Defaulted { tag: "fo", .. } => ("dmarc.fo-invalid", true),
            RecordNote::Defaulted { .. } => ("dmarc.tag-invalid", true),
            RecordNote::BadUri { .. } => ("dmarc.report-uri", false),
            RecordNote::ObsoleteSize { .. } => ("dmarc.uri-size", true),
            RecordNote::EmptyTag
            | RecordNote::NoEquals(_)
            | RecordNote::BadName(_)
            | RecordNote::Duplicate(_) => ("dmarc.syntax", true),
            RecordNote::PMissing | RecordNote::PNotSecond => continue,
        };
        let fix = match id {
            "dmarc.p-missing" => {
                Some("add p= right after v=DMARC1 (RFC 7489 receivers require it)")
            }
            "dmarc.policy-invalid" => Some("use none, quarantine or reject"),
            "dmarc.tag-removed" => Some("use t=y instead of pct=0; drop rf= and ri="),
            _ => None,
        };
        if warn {
            f.warning(id, note.to_string(), fix);
        } else {
            f.error(id, note.to_string(), fix);
        }
    }
    if let Some(old) = old
        && old.notes.contains(&RecordNote::PNotSecond)
    {
        f.warning(
            "dmarc.p-not-second",
            "p= does not follow v=DMARC1 directly: RFC 7489 receivers treat the record as having no valid p= (p=none with rua=, otherwise no policy)".into(),
            Some("put p= right after v=DMARC1"),
        );
    }
    if let Err(defect) = record.policies() {
        f.error(
            "dmarc.no-policy",
            format!("{defect} and no valid rua=: receivers apply no DMARC policy at all"),
            Some("fix the policy tags"),
        );
    } else if let Ok(p) = record.policies()
        && let Some(defect) = p.fallback
    {
        f.error(
            "dmarc.policy-fallback",
            format!("{defect}: receivers read the whole record as p=none (RFC 9989 §4.10.1)"),
            Some("fix the policy tags"),
        );
    }
}

fn policy_findings(record: &Record, f: &mut Findings) {
    let Ok(p) = record.policies() else {
        return;
    };
    match p.p {
        Policy::None => f.warning(
            "dmarc.p-none",
            "p=none: failing mail is only reported, not quarantined or rejected".into(),
            Some("move to p=quarantine, then p=reject, once reports show legitimate mail aligned"),
        ),
        other => f.info("dmarc.policy", format!("p={other}")),
    }
    if p.p != Policy::None && sub(&record.sp) == Some(Policy::None) {
        f.warning(
            "dmarc.sp-none",
            format!("sp=none: subdomains are unprotected while p={}", p.p),
            Some("remove sp= or set it to quarantine/reject"),
        );
    }
    if record.np == SubTag::Absent && p.p != Policy::None && p.sp != Policy::Reject {
        f.info(
            "dmarc.np-advice",
            format!("no np=: mail from non-existent subdomains gets {} like existing ones; np=reject refuses it (RFC 9989)", p.sp),
        );
    }
    if record.testing && p.p != Policy::None {
        f.warning(
            "dmarc.testing",
            format!(
                "t=y: receivers apply one level below p={} ({})",
                p.p,
                p.p.lowered()
            ),
            Some("remove t=y once reports are clean"),
        );
    }
    if record.rua.is_empty() {
        f.warning(
            "dmarc.no-rua",
            "no rua=: no aggregate reports, so failures go unseen".into(),
            Some("add rua=mailto:..."),
        );
    }
}

/// Where RFC 7489 receivers disagree: another record location, or `pct=` still applied.
fn rfc7489_reading(
    dns: &Dns,
    domain: &str,
    bis: &Discovery,
    at: &str,
    old: Option<&Record>,
    s: &mut DmarcSection,
    f: &mut Findings,
) {
    let d = discover(dns, domain, DmarcSpec::Rfc7489);
    let old_at = match &d.outcome {
        Outcome::Found { domain, .. } => Some(domain.as_str()),
        _ => None,
    };
    if old_at != Some(at) {
        s.rfc7489_policy_domain = old_at.map(str::to_string);
        let old_text = match old_at {
            Some(o) => format!("_dmarc.{o}"),
            None => "no record".into(),
        };
        f.warning(
            "dmarc.rfc7489-location",
            format!("RFC 7489 receivers (Public Suffix List) find {old_text}, RFC 9989 receivers (tree walk) _dmarc.{at}"),
            Some("publish the record at the domain itself so both find the same one"),
        );
    }
    if let (Some(psl), Some(walk)) = (d.org.domain(), bis.org.domain())
        && psl != walk
    {
        f.info(
            "dmarc.rfc7489-org",
            format!("Organizational Domain: {walk} by the RFC 9989 tree walk, {psl} by the Public Suffix List (RFC 7489): relaxed alignment can differ"),
        );
    }
    if let Some(pct) = old.and_then(|r| r.pct).filter(|p| *p < 100) {
        let message = match old.and_then(Record::p_written).unwrap_or(Policy::None) {
            Policy::None => {
                format!("pct={pct} has no effect with p=none (and RFC 9989 receivers ignore pct=)")
            }
            p => format!(
                "pct={pct}: RFC 9989 receivers ignore it and apply p={p} to all failing mail; RFC 7489 receivers apply it to {pct}% and {} to the rest",
                p.lowered()
            ),
        };
        f.warning(
            "dmarc.pct",
            message,
            Some("drop pct=; use t=y while testing"),
        );
    }
}

/// RFC 9990 §3 / RFC 7489 §7.1: a report destination outside the policy domain's
/// Organizational Domain must publish `<policy-domain>._report._dmarc.<destination>`.
fn report_destinations(dns: &Dns, at: &str, record: &Record, f: &mut Findings) {
    let own = organizational_domain(dns, at, DmarcSpec::Rfc9989);
    let mut checked = std::collections::HashSet::new();
    for uri in record.rua.iter().chain(&record.ruf) {
        let Some(addr) = uri
            .get(..7)
            .filter(|p| p.eq_ignore_ascii_case("mailto:"))
            .and_then(|_| uri.get(7..))
        else {
            f.warning(
                "dmarc.report-uri",
                format!("{uri}: only mailto: report URIs are sure to be delivered"),
                None,
            );
            continue;
        };
        let Some(dest) = crate::message::domain_of(addr) else {
            f.error(
                "dmarc.report-uri",
                format!("{uri}: no domain in the address"),
                None,
            );
            continue;
        };
        if checked.insert(dest.clone()) {
            super::report_mailbox(dns, "dmarc.report-no-mx", uri, &dest, f);
        }
        if own.domain().is_some_and(|o| is_subdomain_of(&dest, o)) {
            continue;
        }
        let name = format!("{at}._report._dmarc.{dest}");
        match dns.txt(&name) {
            Ok(r) if r.iter().any(|t| is_dmarc(&String::from_utf8_lossy(t))) => {
                f.info(
                    "dmarc.external-authorized",
                    format!("{dest} accepts reports for {at} ({name})"),
                );
            }
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
}
