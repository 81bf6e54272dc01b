//! DMARC: RFC 9989 (the DNS tree walk, `np=`, `psd=`, `t=`) by default, RFC 7489 (the Public
//! Suffix List, `pct=`) on request. Policy discovery, identifier alignment of SPF and of each
//! DKIM signature, the result, and the disposition a receiver following the policy applies.
//! Every message is evaluated under both specs; the report says when they differ.

mod align;
pub mod cause;
pub mod discovery;
pub mod org;
pub mod record;

use serde::Serialize;

use crate::auth::dkim::DkimReport;
use crate::auth::spf::SpfReport;
use crate::common::AuthResult;
use crate::dns::name::normalize;
use crate::dns::{Dns, Failure, RecordType};
use crate::message::Author;
use cause::{DispositionCause, DmarcCause, PolicyTag, disposition};
use discovery::{Discovery, Org, Outcome, Source, Step, StepAnswer, discover};
use record::{Mode, Policy, Psd, Record};

pub use record::parse;

/// Which DMARC specification to evaluate by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub enum DmarcSpec {
    /// RFC 9989 (May 2026), the standard: tree walk, `np=`, `psd=`, `t=`.
    #[default]
    #[serde(rename = "rfc9989")]
    Rfc9989,
    /// RFC 7489 (2015, informational): Public Suffix List, `pct=`.
    #[serde(rename = "rfc7489")]
    Rfc7489,
}

impl DmarcSpec {
    /// The option and JSON word.
    pub fn word(self) -> &'static str {
        match self {
            DmarcSpec::Rfc9989 => "rfc9989",
            DmarcSpec::Rfc7489 => "rfc7489",
        }
    }

    /// The name in prose.
    pub fn title(self) -> &'static str {
        match self {
            DmarcSpec::Rfc9989 => "RFC 9989",
            DmarcSpec::Rfc7489 => "RFC 7489",
        }
    }

    /// The other one.
    pub fn other(self) -> DmarcSpec {
        match self {
            DmarcSpec::Rfc9989 => DmarcSpec::Rfc7489,
            DmarcSpec::Rfc7489 => DmarcSpec::Rfc9989,
        }
    }
}

/// The Organizational Domain of one identity and how it was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgDomain {
    pub domain: String,
    /// None when a DNS failure on the tree walk hid it.
    pub org_domain: Option<String>,
    /// `psd-n`, `below-psd`, `highest`, `no-record`, `psl`, `same-as-author`, `not-needed`,
    /// `unknown`.
    pub method: &'static str,
    /// The method in words.
    pub how: String,
}

/// Organizational Domains of the author domain and of the authenticated identifiers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OrgDomains {
    pub author: Option<OrgDomain>,
    pub spf: Option<OrgDomain>,
    pub dkim: Vec<OrgDomain>,
}

/// The evaluation under the other spec, when its result or disposition differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OtherSpec {
    pub spec: DmarcSpec,
    pub result: AuthResult,
    pub disposition: Policy,
    pub policy_domain: Option<String>,
    /// "under RFC 7489: ..." in one line.
    pub line: String,
}

/// The DMARC part of a check report.
#[derive(Debug, Clone, Serialize)]
pub struct DmarcReport {
    /// The DMARC result: `pass`, `fail`, `none` (no policy applies), `temperror` or `permerror`.
    pub result: AuthResult,
    /// The spec this result is by.
    pub spec: DmarcSpec,
    /// The author domain evaluated (A-label), when there is exactly one.
    pub from_domain: Option<String>,
    /// Where the applied record was found.
    pub policy_domain: Option<String>,
    /// `author`, `organizational` or `public-suffix`.
    pub policy_source: Option<Source>,
    /// The applied record's text.
    pub record: Option<String>,
    /// `p=` in force (after the RFC's fallback rule).
    pub policy: Option<Policy>,
    /// `sp=` as published.
    pub subdomain_policy: Option<Policy>,
    /// `np=` as published (RFC 9989).
    pub nonexistent_policy: Option<Policy>,
    /// The policy that applies to this From domain, before `t=`/`pct=`.
    pub applied_policy: Option<Policy>,
    /// Which tag it came from: `p`, `sp` or `np`.
    pub applied_tag: Option<PolicyTag>,
    /// Whether the From domain exists (asked only when `np=` would differ from `sp=`).
    pub author_exists: Option<bool>,
    /// RFC 7489 only.
    pub pct: Option<u8>,
    /// RFC 9989 `t=y`.
    pub testing: bool,
    /// RFC 9989 `psd=` of the applied record.
    pub psd: Option<Psd>,
    /// `adkim=` of the applied record: DKIM alignment, relaxed or strict.
    pub adkim: Option<Mode>,
    /// `aspf=` of the applied record: SPF alignment, relaxed or strict.
    pub aspf: Option<Mode>,
    /// `rua=`: where aggregate reports are to be sent.
    pub rua: Vec<String>,
    /// `ruf=`: where failure reports are to be sent.
    pub ruf: Vec<String>,
    /// Whether SPF passed for a domain aligned with the author domain.
    pub spf_aligned: bool,
    /// Whether a DKIM signature passed for a domain aligned with the author domain.
    pub dkim_aligned: bool,
    /// What a receiver following the policy does: `none`, `quarantine` or `reject`.
    pub disposition: Policy,
    /// Why that disposition.
    pub disposition_reason: String,
    /// Why the result, in one line.
    pub reason: String,
    /// Every `_dmarc` name queried for the author domain and what it returned.
    pub discovery: Vec<Step>,
    /// The Organizational Domains of the author, SPF and DKIM domains, and how each was found.
    pub org_domains: OrgDomains,
    /// Tags of the record that were ignored or replaced by defaults.
    pub notes: Vec<String>,
    /// The other spec's outcome, when it differs.
    pub other_spec: Option<OtherSpec>,
    /// The typed cause behind `reason`.
    #[serde(skip)]
    pub cause: DmarcCause,
    /// The typed cause behind `disposition_reason`.
    #[serde(skip)]
    pub disposition_cause: DispositionCause,
}

impl DmarcReport {
    fn new(spec: DmarcSpec, from_domain: Option<String>) -> DmarcReport {
        DmarcReport {
            result: AuthResult::None,
            spec,
            from_domain,
            policy_domain: None,
            policy_source: None,
            record: None,
            policy: None,
            subdomain_policy: None,
            nonexistent_policy: None,
            applied_policy: None,
            applied_tag: None,
            author_exists: None,
            pct: None,
            testing: false,
            psd: None,
            adkim: None,
            aspf: None,
            rua: Vec::new(),
            ruf: Vec::new(),
            spf_aligned: false,
            dkim_aligned: false,
            disposition: Policy::None,
            disposition_reason: String::new(),
            reason: String::new(),
            discovery: Vec::new(),
            org_domains: OrgDomains::default(),
            notes: Vec::new(),
            other_spec: None,
            cause: DmarcCause::NotEvaluated,
            disposition_cause: DispositionCause::NotFailed(AuthResult::None),
        }
    }

    /// The result and its cause; the sentences are written by `with_reasons`, once the report
    /// is one that is shown (the other spec's is only compared).
    fn finish(mut self, result: AuthResult, cause: DmarcCause) -> DmarcReport {
        self.result = result;
        self.cause = cause;
        if result != AuthResult::Fail {
            self.disposition = Policy::None;
            self.disposition_cause = DispositionCause::NotFailed(result);
        }
        self
    }

    fn with_reasons(mut self) -> DmarcReport {
        self.reason = self.cause.to_string();
        self.disposition_reason = self.disposition_cause.to_string();
        self
    }
}

/// Evaluate DMARC for the message's author domain under `spec`, and under the other spec for
/// comparison; marks each DKIM signature whose domain is aligned.
pub fn evaluate(
    dns: &Dns,
    author: &Author,
    spf: &SpfReport,
    dkim: &mut [DkimReport],
    spec: DmarcSpec,
) -> DmarcReport {
    let mut report = evaluate_under(dns, author, spf, dkim, spec).with_reasons();
    // The other spec marks alignment too: its marks are undone, rather than the reports
    // copied for it (the only field an evaluation writes is `aligned`).
    let marks: Vec<bool> = dkim.iter().map(|d| d.aligned).collect();
    let other = evaluate_under(dns, author, spf, dkim, spec.other());
    for (d, aligned) in dkim.iter_mut().zip(marks) {
        d.aligned = aligned;
    }
    if other.result != report.result || other.disposition != report.disposition {
        let why = if other.result != report.result {
            other.cause.to_string()
        } else {
            other.disposition_cause.to_string()
        };
        report.other_spec = Some(OtherSpec {
            spec: other.spec,
            result: other.result,
            disposition: other.disposition,
            policy_domain: other.policy_domain.clone(),
            line: format!(
                "under {}: {}, disposition {} ({why})",
                other.spec.title(),
                other.result.word(),
                other.disposition
            ),
        });
    }
    report
}

/// RFC 8020: a name exists unless a query for it is answered NXDOMAIN. A `_dmarc` child that
/// exists proves its parent does, so the extra query is needed only after an NXDOMAIN there.
fn author_exists(dns: &Dns, domain: &str, first: Option<&Step>) -> Result<bool, Failure> {
    if first.is_some_and(|s| {
        !matches!(
            s.answer,
            StepAnswer::Nxdomain | StepAnswer::Temperror { .. }
        )
    }) {
        return Ok(true);
    }
    match dns.query(domain, RecordType::A) {
        Ok(_) | Err(Failure::NoData) => Ok(true),
        Err(Failure::NxDomain) => Ok(false),
        Err(f) => Err(f),
    }
}

fn org_entry(domain: &str, org: &Org) -> OrgDomain {
    match org {
        Org::Known { domain: o, method } => OrgDomain {
            domain: domain.to_string(),
            org_domain: Some(o.clone()),
            method: method.word(),
            how: method.to_string(),
        },
        Org::Unknown { name, failure } => OrgDomain {
            domain: domain.to_string(),
            org_domain: None,
            method: "unknown",
            how: format!("a DNS failure on the tree walk: {name} {failure}"),
        },
    }
}

/// Evaluate under one spec only, without the reason sentences (`DmarcReport::with_reasons`).
fn evaluate_under(
    dns: &Dns,
    author: &Author,
    spf: &SpfReport,
    dkim: &mut [DkimReport],
    spec: DmarcSpec,
) -> DmarcReport {
    let from = match author {
        Author::Domain(d) => normalize(d),
        Author::Problem(p) => {
            return DmarcReport::new(spec, None)
                .finish(AuthResult::Permerror, DmarcCause::Author(p.clone()));
        }
    };
    let mut report = DmarcReport::new(spec, Some(from.clone()));
    let Discovery {
        steps,
        outcome,
        org,
        ..
    } = discover(dns, &from, spec);
    report.discovery = steps;
    report.org_domains.author = Some(org_entry(&from, &org));
    let (domain, source, text) = match outcome {
        Outcome::Found {
            domain,
            source,
            text,
        } => (domain, source, text),
        Outcome::NotFound => {
            let names = report.discovery.iter().map(|s| s.domain.clone()).collect();
            return report.finish(AuthResult::None, DmarcCause::NoRecord { names });
        }
        Outcome::Multiple { name, records } => {
            return report.finish(AuthResult::None, DmarcCause::Multiple { name, records });
        }
        Outcome::Temp { name, failure } => {
            return report.finish(AuthResult::Temperror, DmarcCause::Lookup { name, failure });
        }
    };
    let Ok(record) = Record::parse(&text, spec) else {
        let names = report.discovery.iter().map(|s| s.domain.clone()).collect();
        return report.finish(AuthResult::None, DmarcCause::NoRecord { names });
    };
    report.policy_domain = Some(domain.clone());
    report.policy_source = Some(source);
    report.record = Some(text);
    report.subdomain_policy = match record.sp {
        record::SubTag::Valid(p) => Some(p),
        _ => None,
    };
    report.nonexistent_policy = match record.np {
        record::SubTag::Valid(p) => Some(p),
        _ => None,
    };
    report.pct = record.pct;
    report.testing = record.testing;
    report.psd = (spec == DmarcSpec::Rfc9989).then_some(record.psd);
    report.adkim = Some(record.adkim);
    report.aspf = Some(record.aspf);
    report.rua = record.rua.clone();
    report.ruf = record.ruf.clone();
    report.notes = record.notes.iter().map(ToString::to_string).collect();
    let policies = match record.policies() {
        Ok(p) => p,
        Err(defect) => {
            let name = format!("_dmarc.{domain}");
            return report.finish(AuthResult::None, DmarcCause::NoPolicy { name, defect });
        }
    };
    report.policy = Some(policies.p);

    let mut existence_failure = None;
    let (tag, applied) = if source == Source::Author || domain == from {
        (PolicyTag::P, policies.p)
    } else if spec == DmarcSpec::Rfc9989 && policies.np != policies.sp {
        match author_exists(dns, &from, report.discovery.first()) {
            Ok(exists) => {
                report.author_exists = Some(exists);
                if exists {
                    (PolicyTag::Sp, policies.sp)
                } else {
                    (PolicyTag::Np, policies.np)
                }
            }
            Err(f) => {
                existence_failure = Some(f);
                (PolicyTag::Sp, policies.sp)
            }
        }
    } else {
        (PolicyTag::Sp, policies.sp)
    };
    report.applied_policy = Some(applied);
    report.applied_tag = Some(tag);

    let a = align::check(dns, spec, &from, &org, record.adkim, record.aspf, spf, dkim);
    report.spf_aligned = a.spf_aligned;
    report.dkim_aligned = a.dkim_aligned;
    report.org_domains.spf = a.spf_org;
    report.org_domains.dkim = a.dkim_orgs;
    if a.spf_aligned || a.dkim_aligned {
        let cause = DmarcCause::Pass {
            dkim: a.dkim_pass,
            dkim_mode: record.adkim,
            spf: a
                .spf_aligned
                .then(|| spf.domain.clone().unwrap_or_default()),
            spf_mode: record.aspf,
        };
        return report.finish(AuthResult::Pass, cause);
    }
    if a.maybe_hidden {
        let cause = DmarcCause::MaybeHidden {
            org_failure: a.org_failure,
        };
        return report.finish(AuthResult::Temperror, cause);
    }
    if let Some(failure) = existence_failure {
        let cause = DmarcCause::Existence {
            domain: from,
            failure,
        };
        return report.finish(AuthResult::Temperror, cause);
    }
    let (keyword, why) = disposition(
        spec,
        tag,
        applied,
        record.testing,
        record.pct,
        policies.fallback,
    );
    report.disposition = keyword;
    report.disposition_cause = why;
    report.finish(AuthResult::Fail, DmarcCause::Fail(a.misses))
}
