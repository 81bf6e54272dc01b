//! The SPF part of the domain audit. The include/redirect tree is walked by the evaluator
//! itself ([`crate::auth::spf::walk_for_audit`]), so the audit's lookups, void lookups and the
//! term at which the limit breaks are exactly those `mailverdict spf` reports.

use std::collections::HashSet;
use std::fmt;

use serde::Serialize;

use super::findings::Findings;
use crate::auth::spf::record::{self, Mechanism, Qualifier, Term};
use crate::auth::spf::{
    self, MAX_LOOKUPS, MAX_VOID_LOOKUPS, SpfCause, TermOutcome, TermTrace, TraceNode, Unfollowed,
};
use crate::common::as_text;
use crate::dns::{Dns, Failure, RecordType, txt_strings};

/// Longest record that fits a classic 512-octet UDP answer with room for the rest.
const LONG_RECORD: usize = 450;

/// One record of the tree, as the audit shows it.
#[derive(Debug, Clone, Serialize)]
pub struct SpfNode {
    /// The domain whose record this is.
    pub domain: String,
    /// The record text.
    pub record: Option<String>,
    /// DNS-querying terms in this record itself.
    pub lookups: usize,
    /// This record and everything below it.
    pub total_lookups: usize,
    /// The included and redirected records.
    pub children: Vec<SpfBranch>,
    /// What is wrong in this record (each a reason).
    pub problems: Vec<Problem>,
}

/// An include or redirect and the record it leads to.
#[derive(Debug, Clone, Serialize)]
pub struct SpfBranch {
    /// `include:x` or `redirect=x`.
    pub term: String,
    /// The record it leads to.
    pub node: SpfNode,
}

/// A problem in one record of the tree.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct Problem {
    #[serde(serialize_with = "as_text")]
    cause: ProblemCause,
}

#[derive(Debug, Clone)]
enum ProblemCause {
    /// The evaluator's cause (a temporary DNS failure, or a permerror for every receiver).
    Spf(SpfCause),
    /// A term the audit cannot follow without a real client (macros).
    NotFollowed { term: String, why: Unfollowed },
}

impl fmt::Display for ProblemCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProblemCause::Spf(c) => write!(f, "{c}"),
            ProblemCause::NotFollowed { term, why } => write!(f, "{term}: {why}"),
        }
    }
}

/// The SPF section of a domain's audit.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SpfSection {
    /// The domain's record.
    pub record: Option<String>,
    /// The whole include/redirect tree as a receiver walks it.
    pub tree: Option<SpfNode>,
    /// DNS-querying terms a receiver counts (past the limit too).
    pub total_lookups: usize,
    /// Names whose lookups come back empty.
    pub void_names: Vec<String>,
    /// The term at which the count passes 10, with its path.
    pub over_limit_at: Option<String>,
    /// ip4 ranges in the tree (each distinct range once).
    pub ipv4_ranges: usize,
    /// IPv4 addresses those ranges cover.
    pub ipv4_addresses: u64,
    /// ip6 ranges in the tree.
    pub ipv6_ranges: usize,
}

fn spf_records(dns: &Dns, domain: &str) -> Result<Vec<String>, Failure> {
    dns.query(domain, RecordType::Txt).map(|r| {
        txt_strings(&r)
            .into_iter()
            .filter(|t| record::is_spf(t))
            .map(|t| String::from_utf8_lossy(&t).into_owned())
            .collect()
    })
}

/// The distinct ip4 / ip6 ranges of every record in the tree.
#[derive(Default)]
struct Ranges {
    v4: HashSet<(std::net::Ipv4Addr, u8)>,
    v6: HashSet<(std::net::Ipv6Addr, u8)>,
}

impl Ranges {
    fn add(&mut self, text: &str) {
        let Ok(parsed) = record::parse(text.as_bytes()) else {
            return;
        };
        for t in &parsed.terms {
            match t {
                Term::Directive {
                    mechanism: Mechanism::Ip4(a, l),
                    ..
                } => {
                    self.v4.insert((*a, *l));
                }
                Term::Directive {
                    mechanism: Mechanism::Ip6(a, l),
                    ..
                } => {
                    self.v6.insert((*a, *l));
                }
                _ => {}
            }
        }
    }

    fn v4_addresses(&self) -> u64 {
        self.v4
            .iter()
            .map(|(_, l)| 1u64 << (32 - u32::from(*l)))
            .sum()
    }
}

/// The audit's view of one evaluated record: lookups per branch and what went wrong.
fn convert(node: &TraceNode, ranges: &mut Ranges) -> SpfNode {
    if let Some(r) = &node.record {
        ranges.add(r);
    }
    let mut out = SpfNode {
        domain: node.domain.clone(),
        record: node.record.clone(),
        lookups: node.terms.iter().map(|t| t.cost).sum(),
        total_lookups: 0,
        children: Vec::new(),
        problems: node
            .note
            .iter()
            .filter(|c| {
                !matches!(
                    c,
                    SpfCause::TooManyLookups { .. } | SpfCause::TooManyVoids { .. }
                )
            })
            .map(|c| Problem {
                cause: ProblemCause::Spf(c.clone()),
            })
            .collect(),
    };
    for t in &node.terms {
        out.problems.extend(term_problem(t));
        if let Some(child) = &t.child {
            out.children.push(SpfBranch {
                term: t.term.clone(),
                node: convert(child, ranges),
            });
        }
    }
    out.total_lookups = out.lookups
        + out
            .children
            .iter()
            .map(|b| b.node.total_lookups)
            .sum::<usize>();
    out
}

/// A term's own problem; errors of an included record are listed at that record.
fn term_problem(t: &TermTrace) -> Option<Problem> {
    match (&t.error, t.outcome) {
        (Some(c), _) if t.child.is_none() => Some(Problem {
            cause: ProblemCause::Spf(c.clone()),
        }),
        (_, TermOutcome::NotFollowed(why @ Unfollowed::Macros)) => Some(Problem {
            cause: ProblemCause::NotFollowed {
                term: t.term.clone(),
                why,
            },
        }),
        _ => None,
    }
}

/// Every problem of the tree, with the record it is in.
fn collect_problems<'a>(node: &'a SpfNode, out: &mut Vec<(&'a str, &'a Problem)>) {
    for p in &node.problems {
        out.push((&node.domain, p));
    }
    for b in &node.children {
        collect_problems(&b.node, out);
    }
}

/// The qualifier of a record's first `all` (the one a receiver reaches; terms after it are
/// never evaluated).
fn all_qualifier(parsed: &record::Record) -> Option<Qualifier> {
    parsed.terms.iter().find_map(|t| match t {
        Term::Directive {
            mechanism: Mechanism::All,
            qualifier,
            ..
        } => Some(*qualifier),
        _ => None,
    })
}

/// `+all` and `?all` wherever a receiver reaches them. On the result path (the record and its
/// redirect targets) both decide the domain's result; inside an include only `+all` matters:
/// the include then matches for every host, so the including record passes everyone (RFC 7208
/// §5.2), while an included `?all` only makes the include not match. A record shared by
/// several branches is reported once.
fn all_findings<'a>(
    node: &'a SpfNode,
    via: &mut Vec<&'a str>,
    in_include: bool,
    seen: &mut HashSet<(&'a str, bool)>,
    f: &mut Findings,
) {
    let qualifier = node
        .record
        .as_deref()
        .and_then(|r| record::parse(r.as_bytes()).ok())
        .and_then(|p| all_qualifier(&p));
    if seen.insert((&node.domain, in_include)) {
        let at = if via.is_empty() {
            String::new()
        } else {
            format!(" in {} (via {})", node.domain, via.join(" > "))
        };
        match qualifier {
            Some(Qualifier::Pass) if in_include => f.error(
                "spf.plus-all",
                format!("+all{at}: the include matches for every host, so every host on the Internet passes as this domain"),
                Some("remove the include, or ask its owner to end the record with -all or ~all"),
            ),
            Some(Qualifier::Pass) => f.error(
                "spf.plus-all",
                format!("+all{at}: every host on the Internet may send as this domain"),
                Some("end the record with -all or ~all"),
            ),
            Some(Qualifier::Neutral) if !in_include => f.warning(
                "spf.neutral-all",
                format!("?all{at}: hosts not listed get neutral, which protects nothing"),
                Some("end the record with -all or ~all"),
            ),
            _ => {}
        }
    }
    for b in &node.children {
        let include = !b.term.starts_with("redirect=");
        // Under `-include:` / `~include:` / `?include:` a match fails (or softfails) the
        // client: nothing below can let every host pass.
        if include && b.term.starts_with(['-', '~', '?']) {
            continue;
        }
        via.push(&b.term);
        all_findings(&b.node, via, in_include || include, seen, f);
        via.pop();
    }
}

/// Whether the record authorizes any sender: a term other than `-all` / `~all`, or a redirect.
pub(super) fn authorizes_senders(section: &SpfSection) -> bool {
    section
        .record
        .as_deref()
        .and_then(|r| record::parse(r.as_bytes()).ok())
        .is_some_and(|p| {
            (p.redirect.is_some() && all_qualifier(&p).is_none())
                || p.terms.iter().any(|t| match t {
                    Term::Directive {
                        mechanism: Mechanism::All,
                        qualifier,
                        ..
                    } => matches!(qualifier, Qualifier::Pass | Qualifier::Neutral),
                    Term::Directive { .. } => true,
                    _ => false,
                })
        })
}

/// Audit the SPF record of `domain`.
pub fn audit(dns: &Dns, domain: &str, f: &mut Findings) -> SpfSection {
    let mut section = SpfSection::default();
    if let Ok(r) = dns.query(domain, RecordType::Spf)
        && !r.is_empty()
    {
        f.warning(
            "spf.rr-type-spf",
            "an SPF (type 99) record is published; RFC 7208 uses TXT only".into(),
            Some("remove the type-99 record; keep the TXT record"),
        );
    }
    let records = match spf_records(dns, domain) {
        Ok(r) => r,
        Err(e) if e.is_temporary() => {
            f.dns_failure(
                "spf.dns-error",
                format!("TXT lookup for {domain} failed: {e}"),
            );
            return section;
        }
        Err(_) => Vec::new(),
    };
    let text = match records.as_slice() {
        [] => {
            f.error(
                "spf.missing",
                format!("no SPF record at {domain}: receivers cannot tell which hosts may send its mail"),
                Some("publish e.g. \"v=spf1 mx -all\" (or \"v=spf1 -all\" if the domain sends no mail)"),
            );
            return section;
        }
        [one] => one.clone(),
        many => {
            f.error(
                "spf.multiple",
                format!(
                    "{} SPF records at {domain}: every evaluation is a permerror",
                    many.len()
                ),
                Some("merge them into one record"),
            );
            return section;
        }
    };
    section.record = Some(text.clone());
    if text.len() > LONG_RECORD {
        f.warning(
            "spf.long-record",
            format!(
                "the record is {} octets: answers may be truncated over UDP",
                text.len()
            ),
            Some("shorten it (fewer ip4/ip6 terms, an include for a block)"),
        );
    }
    let parsed = match record::parse(text.as_bytes()) {
        Ok(p) => p,
        Err(e) => {
            f.error(
                "spf.syntax",
                format!("syntax error: {e} (every evaluation is a permerror)"),
                Some("fix the record"),
            );
            return section;
        }
    };
    let walk = spf::walk_for_audit(dns, domain);
    let mut ranges = Ranges::default();
    let tree = convert(&walk.tree, &mut ranges);
    section.total_lookups = walk.lookups;
    section.over_limit_at = walk.lookup_limit.iter().find_map(|c| match c {
        SpfCause::TooManyLookups { term, via, .. } if via.is_empty() => Some(term.clone()),
        SpfCause::TooManyLookups { term, via, .. } => {
            Some(format!("{term} (via {})", via.join(" > ")))
        }
        _ => None,
    });
    section.void_names = walk.void_names.clone();
    section.ipv4_ranges = ranges.v4.len();
    section.ipv4_addresses = ranges.v4_addresses();
    section.ipv6_ranges = ranges.v6.len();
    if walk.lookups > MAX_LOOKUPS {
        f.error(
            "spf.too-many-lookups",
            format!(
                "{} DNS lookups in the include tree (limit {MAX_LOOKUPS}); over the limit at {}",
                walk.lookups,
                section.over_limit_at.as_deref().unwrap_or("?")
            ),
            Some(
                "flatten includes into ip4/ip6 terms, or drop includes of services no longer used",
            ),
        );
    } else if walk.lookups >= MAX_LOOKUPS - 1 {
        f.warning(
            "spf.lookups-near-limit",
            format!(
                "{} DNS lookups of {MAX_LOOKUPS}: one more include breaks SPF",
                walk.lookups
            ),
            None,
        );
    }
    if walk.void_names.len() > MAX_VOID_LOOKUPS {
        f.error(
            "spf.too-many-void-lookups",
            match &walk.void_limit {
                Some(SpfCause::TooManyVoids { term, .. }) => format!(
                    "{} void lookups (limit {MAX_VOID_LOOKUPS}): {}; receivers stop at {term}",
                    walk.void_names.len(),
                    walk.void_names.join(", ")
                ),
                _ => format!(
                    "{} void lookups (limit {MAX_VOID_LOOKUPS}): {}",
                    walk.void_names.len(),
                    walk.void_names.join(", ")
                ),
            },
            Some("remove terms that name domains without records"),
        );
    } else if !walk.void_names.is_empty() {
        f.warning(
            "spf.void-lookup",
            format!(
                "names without records in the tree: {}",
                walk.void_names.join(", ")
            ),
            Some("remove or fix those terms"),
        );
    }
    let mut problems = Vec::new();
    collect_problems(&tree, &mut problems);
    for (at, p) in problems {
        let message = format!("{at}: {}", p.cause);
        match &p.cause {
            ProblemCause::Spf(c) if c.is_temporary() => f.dns_failure("spf.dns-error", message),
            ProblemCause::Spf(_) => {
                f.error(
                    "spf.include-broken",
                    message,
                    Some("fix or remove the include"),
                );
            }
            ProblemCause::NotFollowed { .. } => f.info("spf.note", message),
        }
    }
    if all_qualifier(&parsed).is_none() && parsed.redirect.is_none() {
        f.warning(
            "spf.no-all",
            "no all term and no redirect: unlisted hosts get neutral".into(),
            Some("end the record with -all or ~all"),
        );
    }
    all_findings(&tree, &mut Vec::new(), false, &mut HashSet::new(), f);
    if parsed.terms.iter().any(|t| {
        matches!(
            t,
            Term::Directive {
                mechanism: Mechanism::Ptr(_),
                ..
            }
        )
    }) {
        f.warning(
            "spf.ptr",
            "the ptr mechanism is slow, unreliable and deprecated (RFC 7208 §5.5)".into(),
            Some("replace ptr with ip4/ip6 or a terms"),
        );
    }
    f.info(
        "spf.summary",
        format!(
            "{} DNS lookups of {MAX_LOOKUPS}; {} IPv4 range(s) ({} addresses), {} IPv6 range(s)",
            walk.lookups, section.ipv4_ranges, section.ipv4_addresses, section.ipv6_ranges
        ),
    );
    section.tree = Some(tree);
    section
}
