//! DMARC policy discovery and Organizational Domains: the RFC 9989 §4.10 DNS tree walk, or
//! RFC 7489 §6.6.3 (the From domain, then its Public Suffix List organizational domain).
//!
//! The one discovery used by `check` (the message's author domain) and the domain audit.

use serde::Serialize;

use super::DmarcSpec;
use super::org::psl_organizational_domain;
use super::record::{Psd, Record, is_dmarc};
use crate::dns::name::normalize;
use crate::dns::{Dns, Failure};

/// RFC 9989 §4.10: at most eight queries per walk, whatever the number of labels.
pub const MAX_WALK_QUERIES: usize = 8;

/// What one `_dmarc` query returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "answer", rename_all = "kebab-case")]
pub enum StepAnswer {
    /// Exactly one DMARC record.
    Record { record: String },
    /// Several DMARC records: all discarded.
    Multiple { records: usize },
    /// TXT records, none of them DMARC.
    NoDmarc { txt_records: usize },
    /// The name does not exist.
    Nxdomain,
    /// The name exists without TXT records.
    Nodata,
    /// A temporary failure (SERVFAIL, timeout, REFUSED).
    Temperror { failure: String },
}

/// One query of a discovery: the name asked and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The queried name, `_dmarc.<domain>`.
    pub name: String,
    #[serde(skip)]
    pub domain: String,
    #[serde(flatten)]
    pub answer: StepAnswer,
    #[serde(skip)]
    failure: Option<Failure>,
}

impl Step {
    fn record(&self) -> Option<&str> {
        match &self.answer {
            StepAnswer::Record { record } => Some(record),
            _ => None,
        }
    }

    fn psd(&self) -> Psd {
        self.record()
            .and_then(|r| Record::parse(r, DmarcSpec::Rfc9989).ok())
            .map_or(Psd::U, |r| r.psd)
    }
}

/// Where the applicable record was found (RFC 9989 §4.10.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// At the author domain itself: `p=` applies.
    Author,
    /// At the Organizational Domain: `sp=`/`np=` apply to a subdomain.
    Organizational,
    /// At the Public Suffix Domain (`psd=y`).
    PublicSuffix,
}

/// How an Organizational Domain was determined; its `Display` says it in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgMethod {
    /// A record with `psd=n` (RFC 9989 §4.10.2 rule 1).
    PsdN { at: String },
    /// One label below a `psd=y` record (rule 2).
    BelowPsd { psd: String },
    /// The name with the fewest labels holding a record (rule 3).
    Highest { at: String },
    /// No record on the walk: the domain itself.
    NoRecord,
    /// The Public Suffix List (RFC 7489 §3.2).
    Psl,
    /// Not walked: the identifier equals the author domain, or cannot share its
    /// Organizational Domain (it is not at or below it).
    NotNeeded,
}

impl OrgMethod {
    /// The JSON keyword.
    pub fn word(&self) -> &'static str {
        match self {
            OrgMethod::PsdN { .. } => "psd-n",
            OrgMethod::BelowPsd { .. } => "below-psd",
            OrgMethod::Highest { .. } => "highest",
            OrgMethod::NoRecord => "no-record",
            OrgMethod::Psl => "psl",
            OrgMethod::NotNeeded => "not-needed",
        }
    }
}

impl std::fmt::Display for OrgMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OrgMethod::PsdN { at } => write!(f, "the record at _dmarc.{at} says psd=n"),
            OrgMethod::BelowPsd { psd } => {
                write!(f, "one label below the psd=y record at _dmarc.{psd}")
            }
            OrgMethod::Highest { at } => {
                write!(
                    f,
                    "the highest name on the tree walk with a record (_dmarc.{at})"
                )
            }
            OrgMethod::NoRecord => f.write_str("no record on the tree walk: the domain itself"),
            OrgMethod::Psl => f.write_str("the Public Suffix List (RFC 7489)"),
            OrgMethod::NotNeeded => f.write_str("not needed"),
        }
    }
}

/// The Organizational Domain of a name, or the failure that hides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Org {
    Known {
        domain: String,
        method: OrgMethod,
    },
    /// A temporary failure on the walk could have changed the answer.
    Unknown {
        name: String,
        failure: Failure,
    },
}

impl Org {
    pub fn domain(&self) -> Option<&str> {
        match self {
            Org::Known { domain, .. } => Some(domain),
            Org::Unknown { .. } => None,
        }
    }
}

/// The outcome of policy discovery for one domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Found {
        domain: String,
        source: Source,
        text: String,
    },
    /// No DMARC record applies.
    NotFound,
    /// RFC 7489 §6.6.3 step 5: several records at the name where discovery stopped.
    Multiple { name: String, records: usize },
    /// A temporary failure at a name whose answer decides.
    Temp { name: String, failure: Failure },
}

/// Policy discovery for a domain: every query made, the outcome and the Organizational Domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    pub spec: DmarcSpec,
    pub domain: String,
    pub steps: Vec<Step>,
    pub outcome: Outcome,
    pub org: Org,
}

/// The names of a tree walk from `domain` (RFC 9989 §4.10 steps 3–7): the domain, then its
/// ancestors from at most seven labels down to one.
pub fn walk_names(domain: &str) -> Vec<String> {
    let labels: Vec<&str> = domain.split('.').collect();
    let mut names = vec![domain.to_string()];
    let below = labels.len().saturating_sub(1).min(MAX_WALK_QUERIES - 1);
    for keep in (1..=below).rev() {
        names.push(labels[labels.len() - keep..].join("."));
    }
    names
}

fn ask(dns: &Dns, domain: &str) -> Step {
    let name = format!("_dmarc.{domain}");
    let (answer, failure) = match dns.txt(&name) {
        Ok(txts) => {
            let mut texts: Vec<String> = txts
                .iter()
                .map(|t| String::from_utf8_lossy(t).into_owned())
                .collect();
            let dmarc: Vec<usize> = (0..texts.len()).filter(|&i| is_dmarc(&texts[i])).collect();
            let answer = match dmarc.as_slice() {
                [] => StepAnswer::NoDmarc {
                    txt_records: texts.len(),
                },
                [one] => StepAnswer::Record {
                    record: texts.swap_remove(*one),
                },
                many => StepAnswer::Multiple {
                    records: many.len(),
                },
            };
            (answer, None)
        }
        Err(Failure::NxDomain) => (StepAnswer::Nxdomain, None),
        Err(Failure::NoData) => (StepAnswer::Nodata, None),
        Err(f) => (
            StepAnswer::Temperror {
                failure: f.to_string(),
            },
            Some(f),
        ),
    };
    Step {
        name,
        domain: domain.to_string(),
        answer,
        failure,
    }
}

/// Query every name, at once on live DNS (they are independent, and a walk has at most
/// eight), and return the answers in order.
fn ask_all(dns: &Dns, domains: &[String]) -> Vec<Step> {
    crate::common::map(dns.is_remote(), domains, |d| ask(dns, d))
}

/// The RFC 9989 tree walk from `domain`: the steps up to and including the first record with
/// `psd=y` or `psd=n` (the walk stops there).
pub fn tree_walk(dns: &Dns, domain: &str) -> Vec<Step> {
    let mut steps = ask_all(dns, &walk_names(domain));
    if let Some(stop) = steps.iter().position(|s| s.psd() != Psd::U) {
        steps.truncate(stop + 1);
    }
    steps
}

/// RFC 9989 §4.10.2: the Organizational Domain from a walk started at `start`.
fn org_from_walk(start: &str, steps: &[Step]) -> Org {
    if let Some(s) = steps.iter().find(|s| s.failure.is_some()) {
        return Org::Unknown {
            name: s.name.clone(),
            failure: s.failure.unwrap_or(Failure::ServFail),
        };
    }
    for s in steps.iter().filter(|s| s.record().is_some()) {
        match s.psd() {
            Psd::N => {
                return Org::Known {
                    domain: s.domain.clone(),
                    method: OrgMethod::PsdN {
                        at: s.domain.clone(),
                    },
                };
            }
            Psd::Y if s.domain != start => {
                let depth = s.domain.split('.').count() + 1;
                let labels: Vec<&str> = start.split('.').collect();
                let domain = labels[labels.len().saturating_sub(depth)..].join(".");
                return Org::Known {
                    domain,
                    method: OrgMethod::BelowPsd {
                        psd: s.domain.clone(),
                    },
                };
            }
            _ => {}
        }
    }
    match steps.iter().rev().find(|s| s.record().is_some()) {
        Some(s) => Org::Known {
            domain: s.domain.clone(),
            method: OrgMethod::Highest {
                at: s.domain.clone(),
            },
        },
        None => Org::Known {
            domain: start.to_string(),
            method: OrgMethod::NoRecord,
        },
    }
}

/// The Organizational Domain of `domain` under `spec` (a tree walk, or the PSL).
pub fn organizational_domain(dns: &Dns, domain: &str, spec: DmarcSpec) -> Org {
    let domain = normalize(domain);
    match spec {
        DmarcSpec::Rfc9989 => org_from_walk(&domain, &tree_walk(dns, &domain)),
        DmarcSpec::Rfc7489 => Org::Known {
            domain: psl_organizational_domain(&domain),
            method: OrgMethod::Psl,
        },
    }
}

/// Policy discovery for `domain` under `spec` (RFC 9989 §4.10.1 or RFC 7489 §6.6.3).
pub fn discover(dns: &Dns, domain: &str, spec: DmarcSpec) -> Discovery {
    let domain = normalize(domain);
    match spec {
        DmarcSpec::Rfc9989 => discover_bis(dns, domain),
        DmarcSpec::Rfc7489 => discover_7489(dns, domain),
    }
}

fn found(step: &Step, source: Source) -> Outcome {
    Outcome::Found {
        domain: step.domain.clone(),
        source,
        text: step.record().unwrap_or_default().to_string(),
    }
}

fn temp(step: &Step) -> Option<Outcome> {
    step.failure.map(|failure| Outcome::Temp {
        name: step.name.clone(),
        failure,
    })
}

fn discover_bis(dns: &Dns, domain: String) -> Discovery {
    let steps = tree_walk(dns, &domain);
    let org = org_from_walk(&domain, &steps);
    let outcome = match steps.first() {
        Some(first) if first.record().is_some() => found(first, Source::Author),
        Some(first) if first.failure.is_some() => temp(first).unwrap_or(Outcome::NotFound),
        _ => match &org {
            Org::Unknown { name, failure } => Outcome::Temp {
                name: name.clone(),
                failure: *failure,
            },
            Org::Known { domain: org, .. } => {
                let at_org = steps
                    .iter()
                    .find(|s| &s.domain == org && s.record().is_some());
                let psd = steps
                    .iter()
                    .find(|s| s.record().is_some() && s.psd() == Psd::Y && s.domain != domain);
                match (at_org, psd) {
                    (Some(s), _) => found(s, Source::Organizational),
                    (None, Some(s)) => found(s, Source::PublicSuffix),
                    (None, None) => Outcome::NotFound,
                }
            }
        },
    };
    Discovery {
        spec: DmarcSpec::Rfc9989,
        domain,
        steps,
        outcome,
        org,
    }
}

fn discover_7489(dns: &Dns, domain: String) -> Discovery {
    let org_domain = psl_organizational_domain(&domain);
    let mut steps = vec![ask(dns, &domain)];
    let decide = |s: &Step, source: Source| -> Option<Outcome> {
        match &s.answer {
            StepAnswer::Record { .. } => Some(found(s, source)),
            StepAnswer::Multiple { records } => Some(Outcome::Multiple {
                name: s.name.clone(),
                records: *records,
            }),
            _ => temp(s),
        }
    };
    let mut outcome = decide(&steps[0], Source::Author);
    if outcome.is_none() && org_domain != domain {
        let s = ask(dns, &org_domain);
        outcome = decide(&s, Source::Organizational);
        steps.push(s);
    }
    Discovery {
        spec: DmarcSpec::Rfc7489,
        domain,
        steps,
        outcome: outcome.unwrap_or(Outcome::NotFound),
        org: Org::Known {
            domain: org_domain,
            method: OrgMethod::Psl,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::zone::Zone;

    fn dns(text: &str) -> Dns {
        let mut z = Zone::default();
        z.add_text(text).expect("zone");
        Dns::new(Box::new(z))
    }

    #[test]
    fn walk_names_follow_the_label_limits() {
        assert_eq!(
            walk_names("a.mail.example.com"),
            [
                "a.mail.example.com",
                "mail.example.com",
                "example.com",
                "com"
            ]
        );
        // RFC 9989 §4.10's own example: eight queries for a 13-label name.
        let names = walk_names("a.b.c.d.e.f.g.h.i.j.mail.example.com");
        assert_eq!(names.len(), 8);
        assert_eq!(names[1], "g.h.i.j.mail.example.com");
        assert_eq!(names[7], "com");
        assert_eq!(walk_names("com"), ["com"]);
        assert_eq!(walk_names("a.b.c.d.e.f.g.h").len(), 8);
    }

    #[test]
    fn org_domain_rules_of_section_4_10_2() {
        let z = dns(concat!(
            "_dmarc.mail.example.com. TXT \"v=DMARC1; p=none\"\n",
            "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n",
            "_dmarc.sub.psdn.test. TXT \"v=DMARC1; p=none; psd=n\"\n",
            "_dmarc.psdn.test. TXT \"v=DMARC1; p=reject\"\n",
            "_dmarc.bank.example. TXT \"v=DMARC1; p=reject; psd=y\"\n",
        ));
        let org = |d| organizational_domain(&z, d, DmarcSpec::Rfc9989);
        assert_eq!(org("a.mail.example.com").domain(), Some("example.com"));
        assert_eq!(org("x.sub.psdn.test").domain(), Some("sub.psdn.test"));
        assert_eq!(
            org("mail.giant.bank.example").domain(),
            Some("giant.bank.example")
        );
        assert_eq!(org("bank.example").domain(), Some("bank.example"));
        assert_eq!(org("nothing.test").domain(), Some("nothing.test"));
    }

    #[test]
    fn a_failure_on_the_walk_hides_the_org_domain() {
        let z = dns(concat!(
            "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n",
            ";! _dmarc.com. TXT SERVFAIL\n",
        ));
        let d = discover(&z, "example.com", DmarcSpec::Rfc9989);
        assert!(matches!(
            d.outcome,
            Outcome::Found {
                source: Source::Author,
                ..
            }
        ));
        assert!(matches!(d.org, Org::Unknown { .. }));
        let d = discover(&z, "a.example.com", DmarcSpec::Rfc9989);
        assert!(matches!(d.outcome, Outcome::Temp { .. }));
    }

    #[test]
    fn multiple_records_differ_between_the_specs() {
        let z = dns(concat!(
            "_dmarc.a.example.com. TXT \"v=DMARC1; p=none\"\n",
            "_dmarc.a.example.com. TXT \"v=DMARC1; p=quarantine\"\n",
            "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n",
        ));
        let bis = discover(&z, "a.example.com", DmarcSpec::Rfc9989);
        assert!(
            matches!(&bis.outcome, Outcome::Found { domain, source: Source::Organizational, .. } if domain == "example.com")
        );
        let old = discover(&z, "a.example.com", DmarcSpec::Rfc7489);
        assert!(matches!(old.outcome, Outcome::Multiple { records: 2, .. }));
    }

    #[test]
    fn psd_record_applies_when_the_org_domain_has_none() {
        let z = dns("_dmarc.bank.example. TXT \"v=DMARC1; p=reject; psd=y\"\n");
        let d = discover(&z, "giant.bank.example", DmarcSpec::Rfc9989);
        assert!(
            matches!(&d.outcome, Outcome::Found { domain, source: Source::PublicSuffix, .. } if domain == "bank.example")
        );
        assert_eq!(d.org.domain(), Some("giant.bank.example"));
    }
}
