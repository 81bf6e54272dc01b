//! check_host() itself: records, terms, lookup accounting and the evaluation trace.

use std::net::IpAddr;

use super::macros::{self, MacroVars};
use super::record::{self, Mechanism, Record, Term};
use super::{
    MAX_DOMAIN_LEN, MAX_LOOKUPS, MAX_NAMES_PER_MECHANISM, MAX_VOID_LOOKUPS, Outcome, TermTrace,
    TraceNode,
};
use crate::dns::net::Cidr;
use crate::dns::{Dns, Failure, Rdata, RecordType, of_type};

pub(super) struct Eval<'a> {
    pub(super) dns: &'a Dns,
    pub(super) ip: IpAddr,
    pub(super) sender: String,
    pub(super) local: String,
    pub(super) sender_domain: String,
    pub(super) helo: String,
    pub(super) now: u64,
    pub(super) receiver: String,
    pub(super) lookups: usize,
    pub(super) voids: usize,
    /// The term that decided the top-level result (with the include path).
    pub(super) decided_by: Option<String>,
    /// The include/redirect path of the term being evaluated, for limit messages.
    pub(super) path: Vec<String>,
}

/// IPv4-mapped IPv6 clients are IPv4 clients (RFC 7208 §5 / RFC 4291 §2.5.5.2).
pub(super) fn client_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// RFC 7208 §4.3: labels 1..63 octets, at least two labels, total within 253.
pub(super) fn valid_domain(d: &str) -> bool {
    let d = d.strip_suffix('.').unwrap_or(d);
    let labels: Vec<&str> = d.split('.').collect();
    d.len() <= MAX_DOMAIN_LEN
        && labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty() && l.len() <= 63)
}

impl Eval<'_> {
    fn vars<'s>(&'s self, domain: &'s str, p: &'s dyn Fn() -> String) -> MacroVars<'s> {
        MacroVars {
            sender: &self.sender,
            local: &self.local,
            sender_domain: &self.sender_domain,
            domain,
            ip: self.ip,
            helo: &self.helo,
            validated_name: p,
            receiver: &self.receiver,
            now: self.now,
        }
    }

    fn node(
        domain: &str,
        record: Option<String>,
        outcome: &Outcome,
        terms: Vec<TermTrace>,
    ) -> TraceNode {
        let note = match outcome {
            Outcome::None(r) | Outcome::Temp(r) | Outcome::Perm(r) => Some(r.clone()),
            _ => None,
        };
        TraceNode {
            domain: domain.to_string(),
            record,
            result: outcome.result(),
            terms,
            note,
        }
    }

    /// check_host(): the outcome, the trace of this record, and the explanation (on fail).
    pub(super) fn check_host(
        &mut self,
        domain: &str,
        depth: usize,
    ) -> (Outcome, TraceNode, Option<String>) {
        let domain = crate::dns::name::normalize(domain);
        if !valid_domain(&domain) {
            let o = Outcome::None(format!("{domain:?} is not a valid domain name"));
            return (o.clone(), Self::node(&domain, None, &o, Vec::new()), None);
        }
        let records = match self.dns.txt(&domain) {
            Ok(r) => r,
            Err(f) if f.is_temporary() => {
                let o = Outcome::Temp(format!("SPF record lookup for {domain} failed: {f}"));
                return (o.clone(), Self::node(&domain, None, &o, Vec::new()), None);
            }
            Err(f) => {
                let o = Outcome::None(format!("no SPF record at {domain} ({f})"));
                return (o.clone(), Self::node(&domain, None, &o, Vec::new()), None);
            }
        };
        let spf: Vec<&Vec<u8>> = records.iter().filter(|r| record::is_spf(r)).collect();
        let text = match spf.as_slice() {
            [] => {
                let o = Outcome::None(format!("no SPF record at {domain}"));
                return (o.clone(), Self::node(&domain, None, &o, Vec::new()), None);
            }
            [one] => *one,
            many => {
                let o = Outcome::Perm(format!(
                    "{} SPF records at {domain} (exactly one allowed)",
                    many.len()
                ));
                return (o.clone(), Self::node(&domain, None, &o, Vec::new()), None);
            }
        };
        let shown = String::from_utf8_lossy(text).into_owned();
        let record = match record::parse(text) {
            Ok(r) => r,
            Err(e) => {
                let o = Outcome::Perm(format!("syntax error in the SPF record of {domain}: {e}"));
                return (
                    o.clone(),
                    Self::node(&domain, Some(shown), &o, Vec::new()),
                    None,
                );
            }
        };
        let (outcome, terms, redirected) = self.run_record(&domain, &record, depth);
        // After redirect= the target's exp= applies, never this record's (RFC 7208 §6.2).
        let explanation = match (redirected, &outcome, &record.exp) {
            (Some(from_target), _, _) => from_target,
            (None, Outcome::Fail, Some(exp)) => self.explanation(&domain, exp),
            _ => None,
        };
        let node = Self::node(&domain, Some(shown), &outcome, terms);
        (outcome, node, explanation)
    }

    /// The outcome, the term traces, and for a redirect the target's explanation.
    fn run_record(
        &mut self,
        domain: &str,
        record: &Record,
        depth: usize,
    ) -> (Outcome, Vec<TermTrace>, Option<Option<String>>) {
        let mut traces = Vec::new();
        for term in &record.terms {
            let Term::Directive {
                qualifier,
                mechanism,
                text,
            } = term
            else {
                continue;
            };
            let mut trace = TermTrace {
                term: text.clone(),
                outcome: String::new(),
                lookups: 0,
                detail: None,
                child: None,
            };
            let matched = self.mechanism(domain, mechanism, text, depth, &mut trace);
            trace.lookups = self.lookups;
            match matched {
                Ok(true) => {
                    trace.outcome = "match".into();
                    traces.push(trace);
                    // Inside an include this is discarded again: the parent names the include.
                    self.decided_by = Some(text.clone());
                    return (Outcome::from_qualifier(*qualifier), traces, None);
                }
                Ok(false) => {
                    trace.outcome = "no match".into();
                    traces.push(trace);
                }
                Err(o) => {
                    trace.outcome = "error".into();
                    // An error from an included record is shown there, not again at each level.
                    if trace.detail.is_none() && trace.child.is_none() {
                        trace.detail = Some(match &o {
                            Outcome::Temp(r) | Outcome::Perm(r) | Outcome::None(r) => r.clone(),
                            _ => String::new(),
                        });
                    }
                    traces.push(trace);
                    return (o, traces, None);
                }
            }
        }
        if let Some(target) = &record.redirect {
            let term = format!("redirect={target}");
            let mut trace = TermTrace {
                term: term.clone(),
                outcome: String::new(),
                lookups: 0,
                detail: None,
                child: None,
            };
            let (result, explanation) = self.redirect(domain, target, &term, depth, &mut trace);
            trace.lookups = self.lookups;
            trace.outcome = result.result().word().to_string();
            traces.push(trace);
            return (result, traces, Some(explanation));
        }
        (Outcome::Neutral, traces, None)
    }

    fn count_lookup(&mut self, term: &str) -> Result<(), Outcome> {
        self.lookups += 1;
        if self.lookups > MAX_LOOKUPS {
            let via = if self.path.is_empty() {
                String::new()
            } else {
                format!(" (via {})", self.path.join(" > "))
            };
            return Err(Outcome::Perm(format!(
                "{} DNS lookups (limit {MAX_LOOKUPS}), over the limit at {term}{via}",
                self.lookups
            )));
        }
        Ok(())
    }

    fn count_void(&mut self, term: &str, name: &str) -> Result<(), Outcome> {
        self.voids += 1;
        if self.voids > MAX_VOID_LOOKUPS {
            return Err(Outcome::Perm(format!(
                "{} void DNS lookups (limit {MAX_VOID_LOOKUPS}), over the limit at {term}: {name} does not exist or has no records",
                self.voids
            )));
        }
        Ok(())
    }

    /// Expand a domain-spec (or use the current domain) and shorten it to 253 octets.
    fn target(&self, domain: &str, spec: Option<&str>) -> Result<String, Outcome> {
        let Some(spec) = spec else {
            return Ok(domain.to_string());
        };
        let p = || self.validated_name(domain);
        let mut expanded = macros::expand(spec, &self.vars(domain, &p), false)
            .map_err(|e| Outcome::Perm(format!("macro error in {spec:?}: {e}")))?;
        if expanded.ends_with('.') {
            expanded.pop();
        }
        while expanded.len() > MAX_DOMAIN_LEN {
            match expanded.find('.') {
                Some(i) => expanded.drain(..=i),
                None => break,
            };
        }
        Ok(expanded)
    }

    /// Addresses of `name` of the client's family; NXDOMAIN/NODATA give an empty list.
    fn addresses(&self, name: &str) -> Result<Vec<IpAddr>, Failure> {
        let rtype = if self.ip.is_ipv4() {
            RecordType::A
        } else {
            RecordType::Aaaa
        };
        match self.dns.query(name, rtype) {
            Ok(records) => Ok(of_type(&records, rtype)
                .filter_map(|r| match r {
                    Rdata::A(a) => Some(IpAddr::V4(*a)),
                    Rdata::Aaaa(a) => Some(IpAddr::V6(*a)),
                    _ => None,
                })
                .collect()),
            Err(f) => Err(f),
        }
    }

    fn temp(term: &str, name: &str, f: Failure) -> Outcome {
        Outcome::Temp(format!("DNS lookup of {name} for {term} failed: {f}"))
    }

    fn mechanism(
        &mut self,
        domain: &str,
        mech: &Mechanism,
        text: &str,
        depth: usize,
        trace: &mut TermTrace,
    ) -> Result<bool, Outcome> {
        match mech {
            Mechanism::All => Ok(true),
            Mechanism::Ip4(net, len) => Ok(match self.ip {
                IpAddr::V4(ip) => within(IpAddr::V4(ip), IpAddr::V4(*net), *len),
                IpAddr::V6(_) => false,
            }),
            Mechanism::Ip6(net, len) => Ok(match self.ip {
                IpAddr::V6(ip) => within(IpAddr::V6(ip), IpAddr::V6(*net), *len),
                IpAddr::V4(_) => false,
            }),
            Mechanism::A {
                domain: spec,
                v4,
                v6,
            } => {
                self.count_lookup(text)?;
                let name = self.target(domain, spec.as_deref())?;
                let addrs = self.lookup_addresses(text, &name)?;
                trace.detail = Some(format!("{name}: {}", list_ips(&addrs)));
                Ok(addrs.iter().any(|a| self.ip_matches(*a, *v4, *v6)))
            }
            Mechanism::Mx {
                domain: spec,
                v4,
                v6,
            } => {
                self.count_lookup(text)?;
                let name = self.target(domain, spec.as_deref())?;
                let hosts = match self.dns.query(&name, RecordType::Mx) {
                    Ok(r) => of_type(&r, RecordType::Mx)
                        .filter_map(|r| match r {
                            Rdata::Mx { exchange, .. } => Some(exchange.clone()),
                            _ => None,
                        })
                        .collect::<Vec<_>>(),
                    Err(f) if f.is_temporary() => return Err(Self::temp(text, &name, f)),
                    Err(_) => {
                        self.count_void(text, &name)?;
                        Vec::new()
                    }
                };
                if hosts.len() > MAX_NAMES_PER_MECHANISM {
                    return Err(Outcome::Perm(format!(
                        "{name} has {} MX records (limit {MAX_NAMES_PER_MECHANISM} for the mx mechanism)",
                        hosts.len()
                    )));
                }
                trace.detail = Some(format!(
                    "{name} MX: {}",
                    if hosts.is_empty() {
                        "none".into()
                    } else {
                        hosts.join(", ")
                    }
                ));
                for host in hosts.iter().filter(|h| !h.is_empty()) {
                    let addrs = match self.addresses(host) {
                        Ok(a) => a,
                        Err(f) if f.is_temporary() => return Err(Self::temp(text, host, f)),
                        Err(_) => Vec::new(),
                    };
                    if addrs.iter().any(|a| self.ip_matches(*a, *v4, *v6)) {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Mechanism::Exists(spec) => {
                self.count_lookup(text)?;
                let name = self.target(domain, Some(spec))?;
                match self.dns.query(&name, RecordType::A) {
                    Ok(r) => {
                        trace.detail = Some(format!("{name} exists"));
                        Ok(of_type(&r, RecordType::A).next().is_some())
                    }
                    Err(f) if f.is_temporary() => Err(Self::temp(text, &name, f)),
                    Err(f) => {
                        trace.detail = Some(format!("{name}: {f}"));
                        self.count_void(text, &name)?;
                        Ok(false)
                    }
                }
            }
            Mechanism::Ptr(spec) => {
                self.count_lookup(text)?;
                let target = self.target(domain, spec.as_deref())?;
                let names = self.validated_names();
                trace.detail = Some(format!(
                    "validated names: {}",
                    if names.is_empty() {
                        "none".into()
                    } else {
                        names.join(", ")
                    }
                ));
                Ok(names
                    .iter()
                    .any(|n| crate::dns::name::is_subdomain_of(n, &target.to_ascii_lowercase())))
            }
            Mechanism::Include(spec) => {
                self.count_lookup(text)?;
                let name = self.target(domain, Some(spec))?;
                if depth >= 2 * MAX_LOOKUPS {
                    return Err(Outcome::Perm(format!("include nesting too deep at {text}")));
                }
                self.path.push(text.to_string());
                let saved = self.decided_by.take();
                let (inner, node, _) = self.check_host(&name, depth + 1);
                self.decided_by = saved;
                self.path.pop();
                trace.child = Some(Box::new(node));
                match inner {
                    Outcome::Pass => Ok(true),
                    Outcome::Fail | Outcome::SoftFail | Outcome::Neutral => Ok(false),
                    Outcome::Temp(r) => Err(Outcome::Temp(r)),
                    Outcome::Perm(r) => Err(Outcome::Perm(r)),
                    Outcome::None(r) => {
                        if matches!(
                            self.dns.txt(&name),
                            Err(Failure::NxDomain | Failure::NoData)
                        ) {
                            self.count_void(text, &name)?;
                        }
                        Err(Outcome::Perm(format!(
                            "{text}: the included domain has no SPF record ({r})"
                        )))
                    }
                }
            }
        }
    }

    fn lookup_addresses(&mut self, term: &str, name: &str) -> Result<Vec<IpAddr>, Outcome> {
        if !valid_domain(name) {
            return Ok(Vec::new());
        }
        match self.addresses(name) {
            Ok(a) if a.is_empty() => {
                self.count_void(term, name)?;
                Ok(a)
            }
            Ok(a) => Ok(a),
            Err(f) if f.is_temporary() => Err(Self::temp(term, name, f)),
            Err(_) => {
                self.count_void(term, name)?;
                Ok(Vec::new())
            }
        }
    }

    fn ip_matches(&self, candidate: IpAddr, v4: u8, v6: u8) -> bool {
        let len = if candidate.is_ipv4() { v4 } else { v6 };
        within(self.ip, candidate, len)
    }

    fn redirect(
        &mut self,
        domain: &str,
        target: &str,
        term: &str,
        depth: usize,
        trace: &mut TermTrace,
    ) -> (Outcome, Option<String>) {
        if let Err(o) = self.count_lookup(term) {
            return (o, None);
        }
        let name = match self.target(domain, Some(target)) {
            Ok(n) => n,
            Err(o) => return (o, None),
        };
        if depth >= 2 * MAX_LOOKUPS {
            return (
                Outcome::Perm(format!("redirect nesting too deep at {term}")),
                None,
            );
        }
        self.path.push(term.to_string());
        let (outcome, node, explanation) = self.check_host(&name, depth + 1);
        self.path.pop();
        trace.child = Some(Box::new(node));
        match outcome {
            Outcome::None(r) => (
                Outcome::Perm(format!("{term}: the target has no SPF record ({r})")),
                None,
            ),
            other => {
                if self.decided_by.is_none() {
                    self.decided_by = Some(term.to_string());
                }
                (other, explanation)
            }
        }
    }

    /// PTR names of the client IP that resolve back to it (RFC 7208 §5.5), at most 10 tried.
    fn validated_names(&self) -> Vec<String> {
        let Ok(records) = self
            .dns
            .query(&crate::dns::name::reverse_name(self.ip), RecordType::Ptr)
        else {
            return Vec::new();
        };
        of_type(&records, RecordType::Ptr)
            .filter_map(|r| match r {
                Rdata::Ptr(n) => Some(n.clone()),
                _ => None,
            })
            .take(MAX_NAMES_PER_MECHANISM)
            .filter(|n| self.addresses(n).is_ok_and(|a| a.contains(&self.ip)))
            .collect()
    }

    /// `%{p}`: a validated name, preferring one at or below the current domain.
    fn validated_name(&self, domain: &str) -> String {
        let names = self.validated_names();
        names
            .iter()
            .find(|n| crate::dns::name::is_subdomain_of(n, domain))
            .or(names.first())
            .cloned()
            .unwrap_or_else(|| "unknown".to_string())
    }

    fn explanation(&mut self, domain: &str, exp: &str) -> Option<String> {
        let name = self.target(domain, Some(exp)).ok()?;
        let records = self.dns.txt(&name).ok()?;
        let [one] = records.as_slice() else {
            return None;
        };
        let text = std::str::from_utf8(one).ok()?;
        let p = || self.validated_name(domain);
        macros::expand(text, &self.vars(domain, &p), true).ok()
    }
}

fn list_ips(addrs: &[IpAddr]) -> String {
    if addrs.is_empty() {
        return "no addresses".into();
    }
    let shown: Vec<String> = addrs.iter().take(8).map(IpAddr::to_string).collect();
    let more = addrs.len().saturating_sub(8);
    if more > 0 {
        format!("{} (+{more} more)", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// Whether `ip` lies in `net/len` (same family only).
fn within(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    Cidr { addr: net, len }.contains(ip)
}
