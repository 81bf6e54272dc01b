//! Identifier alignment (RFC 9989 §4.4, §4.10.2; RFC 7489 §3.1) of the SPF domain and of each
//! DKIM signing domain with the author domain.

use std::collections::HashMap;

use super::cause::Miss;
use super::discovery::{Org, OrgMethod, organizational_domain};
use super::record::Mode;
use super::{DmarcSpec, OrgDomain, org_entry};
use crate::auth::dkim::DkimReport;
use crate::auth::spf::SpfReport;
use crate::common::AuthResult;
use crate::dns::name::{is_subdomain_of, normalize};
use crate::dns::{Dns, Failure};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aligned {
    Yes,
    No,
    /// A DNS failure hid an Organizational Domain.
    Unknown,
}

/// What alignment found.
pub(super) struct Alignment {
    pub spf_aligned: bool,
    pub dkim_aligned: bool,
    /// Domains of aligned passing signatures.
    pub dkim_pass: Vec<String>,
    /// A temporary failure could have hidden an aligned pass.
    pub maybe_hidden: bool,
    pub org_failure: Option<(String, Failure)>,
    pub misses: Vec<Miss>,
    pub spf_org: Option<OrgDomain>,
    pub dkim_orgs: Vec<OrgDomain>,
}

/// Whether `identity` can share the author's Organizational Domain at all: an Organizational
/// Domain is always the name itself or an ancestor, so the identity must be at or below the
/// author's (unknown when the author's is).
fn may_align(identity: &str, author_org: &Org) -> bool {
    author_org
        .domain()
        .is_none_or(|o| is_subdomain_of(identity, o))
}

/// The Organizational Domains of the identities that need one, looked up concurrently.
fn org_domains(dns: &Dns, spec: DmarcSpec, identities: Vec<String>) -> HashMap<String, Org> {
    // The PSL needs no DNS; tree walks of several identities run at once on live DNS.
    let parallel = spec == DmarcSpec::Rfc9989 && dns.is_remote();
    let orgs = crate::common::map(parallel, &identities, |d| {
        organizational_domain(dns, d, spec)
    });
    identities.into_iter().zip(orgs).collect()
}

fn aligned(
    identity: &str,
    author: &str,
    mode: Mode,
    author_org: &Org,
    orgs: &HashMap<String, Org>,
) -> Aligned {
    if identity == author {
        return Aligned::Yes;
    }
    if mode == Mode::Strict {
        return Aligned::No;
    }
    if !may_align(identity, author_org) {
        return Aligned::No;
    }
    let Some(author_org_domain) = author_org.domain() else {
        return Aligned::Unknown;
    };
    match orgs.get(identity) {
        Some(Org::Known { domain, .. }) if domain == author_org_domain => Aligned::Yes,
        Some(Org::Unknown { .. }) => Aligned::Unknown,
        _ => Aligned::No,
    }
}

fn entry(identity: &str, author: &str, author_org: &Org, orgs: &HashMap<String, Org>) -> OrgDomain {
    if identity == author {
        let mut e = org_entry(identity, author_org);
        e.method = "same-as-author";
        e.how = "the author domain itself".into();
        return e;
    }
    match orgs.get(identity) {
        Some(org) => org_entry(identity, org),
        None => OrgDomain {
            domain: identity.to_string(),
            org_domain: None,
            method: OrgMethod::NotNeeded.word(),
            how: match author_org.domain() {
                Some(o) => format!(
                    "not looked up: {identity} is not at or below {o}, so it cannot share that Organizational Domain"
                ),
                None => "not looked up: the author's Organizational Domain is unknown".into(),
            },
        },
    }
}

/// Align SPF and every DKIM signature with `author` (a normalised domain).
#[allow(clippy::too_many_arguments)]
pub(super) fn check(
    dns: &Dns,
    spec: DmarcSpec,
    author: &str,
    author_org: &Org,
    adkim: Mode,
    aspf: Mode,
    spf: &SpfReport,
    dkim: &mut [DkimReport],
) -> Alignment {
    let spf_domain = spf.domain.as_deref().map(normalize);
    // RFC 9989 §4.10.2 walks the identifiers that passed (to report their Organizational
    // Domains, as its Appendix B.4 does); others only where they could still align.
    let passed = |r: AuthResult| r == AuthResult::Pass;
    let mut identities: Vec<String> = dkim
        .iter()
        .filter(|_| adkim == Mode::Relaxed)
        .filter_map(|s| {
            s.domain
                .as_deref()
                .map(|d| (normalize(d), passed(s.result)))
        })
        .chain(
            spf_domain
                .clone()
                .filter(|_| aspf == Mode::Relaxed)
                .map(|d| (d, passed(spf.result))),
        )
        .filter(|(d, pass)| d != author && (*pass || may_align(d, author_org)))
        .map(|(d, _)| d)
        .collect();
    identities.sort();
    identities.dedup();
    let orgs = org_domains(dns, spec, identities);

    let mut maybe_hidden = false;
    let mut misses = Vec::new();
    let spf_al = spf_domain
        .as_deref()
        .map_or(Aligned::No, |d| aligned(d, author, aspf, author_org, &orgs));
    let spf_aligned = spf.result == AuthResult::Pass && spf_al == Aligned::Yes;
    maybe_hidden |= (spf.result == AuthResult::Temperror && spf_al != Aligned::No)
        || (spf.result == AuthResult::Pass && spf_al == Aligned::Unknown);
    misses.push(match (spf.result, spf_al, &spf_domain) {
        (AuthResult::Pass, Aligned::No, Some(d)) => Miss::SpfUnaligned {
            domain: d.clone(),
            author: author.to_string(),
            mode: aspf,
        },
        (result, _, domain) => Miss::Spf {
            result,
            domain: domain.clone(),
        },
    });

    let mut dkim_pass = Vec::new();
    let mut dkim_orgs = Vec::new();
    if dkim.is_empty() {
        misses.push(Miss::NoDkim);
    }
    for sig in dkim.iter_mut() {
        let d = sig.domain.as_deref().map(normalize);
        let al = d.as_deref().map_or(Aligned::No, |d| {
            aligned(d, author, adkim, author_org, &orgs)
        });
        sig.aligned = al == Aligned::Yes;
        if let Some(d) = &d
            && !dkim_orgs.iter().any(|e: &OrgDomain| &e.domain == d)
        {
            dkim_orgs.push(entry(d, author, author_org, &orgs));
        }
        // RFC 6376 §3.6.1: a signature by a key in testing mode is treated as unsigned.
        let pass = sig.result == AuthResult::Pass && !sig.testing;
        if pass && sig.aligned {
            if let Some(d) = &d
                && !dkim_pass.contains(d)
            {
                dkim_pass.push(d.clone());
            }
            continue;
        }
        maybe_hidden |= (sig.result == AuthResult::Temperror && al != Aligned::No)
            || (pass && al == Aligned::Unknown);
        let domain = d.clone().unwrap_or_else(|| "?".into());
        misses.push(match (sig.result, sig.testing, al) {
            (AuthResult::Pass, true, _) => Miss::DkimTesting { domain },
            (AuthResult::Pass, false, Aligned::No) => Miss::DkimUnaligned {
                domain,
                author: author.to_string(),
            },
            (result, _, _) => Miss::Dkim { result, domain: d },
        });
    }
    let org_failure = match author_org {
        Org::Unknown { name, failure } => Some((name.clone(), *failure)),
        Org::Known { .. } => orgs.values().find_map(|o| match o {
            Org::Unknown { name, failure } => Some((name.clone(), *failure)),
            Org::Known { .. } => None,
        }),
    };
    Alignment {
        spf_aligned,
        dkim_aligned: !dkim_pass.is_empty(),
        dkim_pass,
        maybe_hidden,
        org_failure,
        misses,
        spf_org: spf_domain
            .as_deref()
            .map(|d| entry(d, author, author_org, &orgs)),
        dkim_orgs,
    }
}
