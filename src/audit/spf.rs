//! The SPF part of the domain audit: the whole include/redirect tree walked statically, with
//! the DNS lookups of every branch, void names, and the term that pushes the total past 10.

use std::collections::HashSet;

use serde::Serialize;

use super::findings::Findings;
use crate::auth::spf::record::{self, Mechanism, Qualifier, Term};
use crate::auth::spf::{MAX_LOOKUPS, MAX_VOID_LOOKUPS};
use crate::dns::{Dns, Failure, RecordType, txt_strings};

/// Branches followed at most (loops and absurd trees end here).
const MAX_DEPTH: usize = 12;
/// Longest record that fits a classic 512-octet UDP answer with room for the rest.
const LONG_RECORD: usize = 450;

#[derive(Debug, Clone, Serialize)]
pub struct SpfNode {
    pub domain: String,
    pub record: Option<String>,
    /// DNS-querying terms in this record itself.
    pub lookups: usize,
    /// This record and everything below it.
    pub total_lookups: usize,
    pub children: Vec<SpfBranch>,
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SpfBranch {
    /// `include:x` or `redirect=x`.
    pub term: String,
    pub node: SpfNode,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SpfSection {
    pub record: Option<String>,
    pub tree: Option<SpfNode>,
    pub total_lookups: usize,
    pub void_names: Vec<String>,
    /// The term at which the count passes 10, with its path.
    pub over_limit_at: Option<String>,
    pub ipv4_ranges: usize,
    pub ipv4_addresses: u64,
    pub ipv6_ranges: usize,
}

struct Walk<'a> {
    dns: &'a Dns,
    count: usize,
    over_limit_at: Option<String>,
    voids: Vec<String>,
    seen: HashSet<String>,
    path: Vec<String>,
    v4: usize,
    v4_addresses: u64,
    v6: usize,
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

impl Walk<'_> {
    fn count(&mut self, term: &str) -> usize {
        self.count += 1;
        if self.count == MAX_LOOKUPS + 1 && self.over_limit_at.is_none() {
            let via = if self.path.is_empty() {
                String::new()
            } else {
                format!(" (via {})", self.path.join(" > "))
            };
            self.over_limit_at = Some(format!("{term}{via}"));
        }
        1
    }

    fn check_target(&mut self, name: &str, rtype: RecordType, problems: &mut Vec<String>) {
        if name.contains('%') {
            return;
        }
        match self.dns.query(name, rtype) {
            Err(Failure::NxDomain | Failure::NoData) => self.voids.push(name.to_string()),
            Err(f) => problems.push(format!("lookup of {name} failed: {f}")),
            Ok(_) => {}
        }
    }

    /// Follow an include or redirect target, once per run.
    fn branch(
        &mut self,
        term: &str,
        target: &str,
        depth: usize,
        problems: &mut Vec<String>,
    ) -> Option<SpfBranch> {
        if target.contains('%') {
            problems.push(format!("{term}: target has macros; not followed"));
            return None;
        }
        let target = crate::dns::name::normalize(target);
        if depth >= MAX_DEPTH || !self.seen.insert(target.clone()) {
            problems.push(format!("{term}: loop or too deep; not followed again"));
            return None;
        }
        self.path.push(term.to_string());
        let node = match spf_records(self.dns, &target) {
            Ok(records) if records.len() == 1 => {
                self.node(&target, records.into_iter().next(), depth + 1)
            }
            Ok(records) if records.len() > 1 => {
                let mut n = self.node(&target, None, depth + 1);
                n.problems
                    .push(format!("{} SPF records: permerror", records.len()));
                n
            }
            Err(f) if f.is_temporary() => {
                let mut n = self.node(&target, None, depth + 1);
                n.problems.push(format!("SPF lookup failed: {f}"));
                n
            }
            _ => {
                self.voids.push(target.clone());
                let mut n = self.node(&target, None, depth + 1);
                n.problems
                    .push("no SPF record: permerror for everyone who includes it".into());
                n
            }
        };
        self.path.pop();
        Some(SpfBranch {
            term: term.to_string(),
            node,
        })
    }

    fn node(&mut self, domain: &str, text: Option<String>, depth: usize) -> SpfNode {
        let mut node = SpfNode {
            domain: domain.to_string(),
            record: text.clone(),
            lookups: 0,
            total_lookups: 0,
            children: Vec::new(),
            problems: Vec::new(),
        };
        let Some(text) = text else {
            return node;
        };
        let parsed = match record::parse(text.as_bytes()) {
            Ok(r) => r,
            Err(e) => {
                node.problems.push(format!("syntax error: {e}"));
                return node;
            }
        };
        let mut below = 0;
        // Terms in evaluation order: an include is followed where it stands, so the count
        // crosses 10 at the term a receiver would stop at.
        for term in &parsed.terms {
            let Term::Directive {
                mechanism,
                text: term_text,
                ..
            } = term
            else {
                continue;
            };
            match mechanism {
                Mechanism::Include(target) => {
                    node.lookups += self.count(term_text);
                    let child = self.branch(term_text, target, depth, &mut node.problems);
                    if let Some(child) = child {
                        below += child.node.total_lookups;
                        node.children.push(child);
                    }
                }
                Mechanism::A { domain: d, .. } => {
                    node.lookups += self.count(term_text);
                    let name = d.clone().unwrap_or_else(|| domain.to_string());
                    self.check_target(
                        name.trim_end_matches('.'),
                        RecordType::A,
                        &mut node.problems,
                    );
                }
                Mechanism::Mx { domain: d, .. } => {
                    node.lookups += self.count(term_text);
                    let name = d.clone().unwrap_or_else(|| domain.to_string());
                    self.check_target(
                        name.trim_end_matches('.'),
                        RecordType::Mx,
                        &mut node.problems,
                    );
                }
                Mechanism::Ptr(_) | Mechanism::Exists(_) => {
                    node.lookups += self.count(term_text);
                }
                Mechanism::Ip4(_, len) => {
                    self.v4 += 1;
                    self.v4_addresses += 1u64 << (32 - u32::from(*len));
                }
                Mechanism::Ip6(..) => self.v6 += 1,
                Mechanism::All => {}
            }
        }
        if let Some(target) = &parsed.redirect {
            let term = format!("redirect={target}");
            node.lookups += self.count(&term);
            if let Some(child) = self.branch(&term, target, depth, &mut node.problems) {
                below += child.node.total_lookups;
                node.children.push(child);
            }
        }
        node.total_lookups = node.lookups + below;
        node
    }
}

fn collect_problems(node: &SpfNode, out: &mut Vec<String>) {
    for p in &node.problems {
        out.push(format!("{}: {p}", node.domain));
    }
    for b in &node.children {
        collect_problems(&b.node, out);
    }
}

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
    let mut walk = Walk {
        dns,
        count: 0,
        over_limit_at: None,
        voids: Vec::new(),
        seen: HashSet::from([crate::dns::name::normalize(domain)]),
        path: Vec::new(),
        v4: 0,
        v4_addresses: 0,
        v6: 0,
    };
    let tree = walk.node(domain, Some(text), 0);
    section.total_lookups = tree.total_lookups;
    section.over_limit_at = walk.over_limit_at.clone();
    section.void_names = walk.voids.clone();
    section.ipv4_ranges = walk.v4;
    section.ipv4_addresses = walk.v4_addresses;
    section.ipv6_ranges = walk.v6;
    if tree.total_lookups > MAX_LOOKUPS {
        f.error(
            "spf.too-many-lookups",
            format!(
                "{} DNS lookups in the include tree (limit {MAX_LOOKUPS}); over the limit at {}",
                tree.total_lookups,
                walk.over_limit_at.as_deref().unwrap_or("?")
            ),
            Some(
                "flatten includes into ip4/ip6 terms, or drop includes of services no longer used",
            ),
        );
    } else if tree.total_lookups >= MAX_LOOKUPS - 1 {
        f.warning(
            "spf.lookups-near-limit",
            format!(
                "{} DNS lookups of {MAX_LOOKUPS}: one more include breaks SPF",
                tree.total_lookups
            ),
            None,
        );
    }
    if walk.voids.len() > MAX_VOID_LOOKUPS {
        f.error(
            "spf.too-many-void-lookups",
            format!(
                "{} void lookups (limit {MAX_VOID_LOOKUPS}): {}",
                walk.voids.len(),
                walk.voids.join(", ")
            ),
            Some("remove terms that name domains without records"),
        );
    } else if !walk.voids.is_empty() {
        f.warning(
            "spf.void-lookup",
            format!(
                "names without records in the tree: {}",
                walk.voids.join(", ")
            ),
            Some("remove or fix those terms"),
        );
    }
    let mut problems = Vec::new();
    collect_problems(&tree, &mut problems);
    for p in problems {
        if p.contains("failed: SERVFAIL")
            || p.contains("failed: TIMEOUT")
            || p.contains("failed: REFUSED")
        {
            f.dns_failure("spf.dns-error", p);
        } else if p.contains("permerror") || p.contains("syntax error") || p.contains("loop") {
            f.error("spf.include-broken", p, Some("fix or remove the include"));
        } else {
            f.info("spf.note", p);
        }
    }
    let all = parsed.terms.iter().find_map(|t| match t {
        Term::Directive {
            mechanism: Mechanism::All,
            qualifier,
            ..
        } => Some(*qualifier),
        _ => None,
    });
    match all {
        Some(Qualifier::Pass) => f.error(
            "spf.plus-all",
            "+all: every host on the Internet may send as this domain".into(),
            Some("end the record with -all or ~all"),
        ),
        Some(Qualifier::Neutral) => f.warning(
            "spf.neutral-all",
            "?all: hosts not listed get neutral, which protects nothing".into(),
            Some("end the record with -all or ~all"),
        ),
        None if parsed.redirect.is_none() => f.warning(
            "spf.no-all",
            "no all term and no redirect: unlisted hosts get neutral".into(),
            Some("end the record with -all or ~all"),
        ),
        _ => {}
    }
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
            tree.total_lookups, walk.v4, walk.v4_addresses, walk.v6
        ),
    );
    section.tree = Some(tree);
    section
}
