//! check_host() itself: records, terms, lookup accounting and the evaluation trace. One walker
//! for two modes: a real client (`spf`, `check`), and the domain audit's worst case.

use std::net::{IpAddr, Ipv4Addr};

use super::macros::{self, MacroVars};
use super::record::{self, Mechanism, Record, Term};
use super::{
    MAX_DOMAIN_LEN, MAX_LOOKUPS, MAX_NAMES_PER_MECHANISM, MAX_VOID_LOOKUPS, Outcome, SpfCause,
    TermOutcome, TermTrace, TraceNode, Unfollowed,
};
use crate::dns::net::Cidr;
use crate::dns::{Dns, Failure, Rdata, RecordType, of_type};

/// Who the evaluation is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// A real client: RFC 7208 to the letter, stopping at the first error or limit.
    Client(IpAddr),
    /// The domain audit: a client that matches no address term. Errors and limits are noted
    /// and the walk goes on; past the lookup limit terms are counted without querying.
    Audit,
}

/// What a mechanism did.
enum Step {
    Match,
    NoMatch,
    /// Audit only: counted, not evaluated.
    NotFollowed(Unfollowed),
}

pub(super) struct Eval<'a> {
    dns: &'a Dns,
    mode: Mode,
    /// The client (IPv4-mapped addresses as IPv4); the audit's stands for "an IPv4 client".
    ip: IpAddr,
    pub(super) sender: String,
    local: String,
    sender_domain: String,
    helo: String,
    now: u64,
    pub(super) receiver: String,
    pub(super) lookups: usize,
    pub(super) voids: usize,
    /// The term that decided the top-level result (with the include path).
    pub(super) decided_by: Option<String>,
    /// The include/redirect path of the term being evaluated, for limit messages.
    path: Vec<String>,
    /// Every name whose lookup came back empty.
    pub(super) void_names: Vec<String>,
    /// Audit: the first breach of the lookup limit, and of the void-lookup limit.
    pub(super) lookup_breach: Option<SpfCause>,
    pub(super) void_breach: Option<SpfCause>,
    /// Audit: past the lookup limit, nothing more is queried.
    exhausted: bool,
}

/// IPv4-mapped IPv6 clients are IPv4 clients (RFC 7208 §5 / RFC 4291 §2.5.5.2).
fn client_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// RFC 7208 §4.3: labels 1..63 octets, at least two labels, total within 253.
fn valid_domain(d: &str) -> bool {
    let d = d.strip_suffix('.').unwrap_or(d);
    let labels: Vec<&str> = d.split('.').collect();
    d.len() <= MAX_DOMAIN_LEN
        && labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty() && l.len() <= 63)
}

/// Whether `ip` lies in `net/len` (same family only).
fn within(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    Cidr { addr: net, len }.contains(ip)
}

fn term_trace(term: &str) -> TermTrace {
    TermTrace {
        term: term.to_string(),
        outcome: TermOutcome::NoMatch,
        lookups: 0,
        detail: None,
        child: None,
        cost: 0,
        error: None,
    }
}

impl<'a> Eval<'a> {
    pub(super) fn new(dns: &'a Dns, mode: Mode, sender: &str, helo: &str, now: u64) -> Eval<'a> {
        let (local, sender_domain) = match sender.rsplit_once('@') {
            Some(("", d)) => ("postmaster".to_string(), d.to_string()),
            Some((l, d)) => (l.to_string(), d.to_string()),
            None => ("postmaster".to_string(), sender.to_string()),
        };
        let ip = match mode {
            Mode::Client(ip) => client_ip(ip),
            Mode::Audit => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        };
        Eval {
            dns,
            mode,
            ip,
            sender: sender.to_string(),
            local,
            sender_domain,
            helo: helo.to_string(),
            now,
            receiver: String::new(),
            lookups: 0,
            voids: 0,
            decided_by: None,
            path: Vec::new(),
            void_names: Vec::new(),
            lookup_breach: None,
            void_breach: None,
            exhausted: false,
        }
    }

    fn audit(&self) -> bool {
        self.mode == Mode::Audit
    }

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
        TraceNode {
            domain: domain.to_string(),
            record,
            result: outcome.result(),
            terms,
            note: outcome.cause().cloned(),
        }
    }

    fn bare(
        domain: &str,
        record: Option<String>,
        o: Outcome,
    ) -> (Outcome, TraceNode, Option<String>) {
        let node = Self::node(domain, record, &o, Vec::new());
        (o, node, None)
    }

    /// check_host(): the outcome, the trace of this record, and the explanation (on fail).
    pub(super) fn check_host(
        &mut self,
        domain: &str,
        depth: usize,
    ) -> (Outcome, TraceNode, Option<String>) {
        let domain = crate::dns::name::normalize(domain);
        if !valid_domain(&domain) {
            return Self::bare(
                &domain,
                None,
                Outcome::None(SpfCause::InvalidDomain(domain.clone())),
            );
        }
        let records = match self.dns.txt(&domain) {
            Ok(r) => r,
            Err(failure) if failure.is_temporary() => {
                let cause = SpfCause::RecordLookup {
                    domain: domain.clone(),
                    failure,
                };
                return Self::bare(&domain, None, Outcome::Temp(cause));
            }
            Err(failure) => {
                let cause = SpfCause::NoRecord {
                    domain: domain.clone(),
                    failure: Some(failure),
                };
                return Self::bare(&domain, None, Outcome::None(cause));
            }
        };
        let spf: Vec<&Vec<u8>> = records.iter().filter(|r| record::is_spf(r)).collect();
        let text = match spf.as_slice() {
            [] => {
                let cause = SpfCause::NoRecord {
                    domain: domain.clone(),
                    failure: None,
                };
                return Self::bare(&domain, None, Outcome::None(cause));
            }
            [one] => *one,
            many => {
                let cause = SpfCause::MultipleRecords {
                    domain: domain.clone(),
                    count: many.len(),
                };
                return Self::bare(&domain, None, Outcome::Perm(cause));
            }
        };
        let shown = String::from_utf8_lossy(text).into_owned();
        let record = match record::parse(text) {
            Ok(r) => r,
            Err(error) => {
                let cause = SpfCause::Syntax {
                    domain: domain.clone(),
                    error,
                };
                return Self::bare(&domain, Some(shown), Outcome::Perm(cause));
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
            let mut trace = term_trace(text);
            let step = self.mechanism(domain, mechanism, text, depth, &mut trace);
            trace.lookups = self.lookups;
            match step {
                Ok(Step::Match) => {
                    trace.outcome = TermOutcome::Match;
                    traces.push(trace);
                    // Inside an include this is discarded again: the parent names the include.
                    self.decided_by = Some(text.clone());
                    return (Outcome::from_qualifier(*qualifier), traces, None);
                }
                Ok(Step::NoMatch) => {
                    trace.outcome = TermOutcome::NoMatch;
                    traces.push(trace);
                }
                Ok(Step::NotFollowed(why)) => {
                    trace.outcome = TermOutcome::NotFollowed(why);
                    trace.detail = Some(why.to_string());
                    traces.push(trace);
                }
                Err(o) => {
                    trace.outcome = TermOutcome::Error;
                    let cause = o.cause().cloned();
                    // An error from an included record is shown there, not again at each level.
                    if trace.detail.is_none() && trace.child.is_none() {
                        trace.detail = cause.as_ref().map(ToString::to_string);
                    }
                    trace.error = cause;
                    traces.push(trace);
                    // The audit lists every problem a domain owner has to fix, not just the first.
                    if !self.audit() {
                        return (o, traces, None);
                    }
                }
            }
        }
        if let Some(target) = &record.redirect {
            let term = format!("redirect={target}");
            let mut trace = term_trace(&term);
            let (result, explanation, unfollowed) =
                self.redirect(domain, target, &term, depth, &mut trace);
            trace.lookups = self.lookups;
            trace.outcome = match unfollowed {
                None => TermOutcome::Redirected(result.result()),
                Some(why) => {
                    trace.detail = Some(why.to_string());
                    TermOutcome::NotFollowed(why)
                }
            };
            trace.error = result.cause().cloned();
            traces.push(trace);
            return (result, traces, Some(explanation));
        }
        (Outcome::Neutral, traces, None)
    }

    /// A DNS-querying term: counted against the limit of 10, which ends a client's
    /// evaluation; the audit notes the first breach and counts on without querying.
    fn count_lookup(&mut self, term: &str, trace: &mut TermTrace) -> Result<(), Outcome> {
        self.lookups += 1;
        trace.cost = 1;
        if self.lookups > MAX_LOOKUPS {
            self.exhausted = true;
            let cause = SpfCause::TooManyLookups {
                count: self.lookups,
                term: term.to_string(),
                via: self.path.clone(),
            };
            if !self.audit() {
                return Err(Outcome::Perm(cause));
            }
            self.lookup_breach.get_or_insert(cause);
        }
        Ok(())
    }

    fn count_void(&mut self, term: &str, name: &str) -> Result<(), Outcome> {
        self.voids += 1;
        self.void_names.push(name.to_string());
        if self.voids > MAX_VOID_LOOKUPS {
            let cause = SpfCause::TooManyVoids {
                count: self.voids,
                term: term.to_string(),
                name: name.to_string(),
            };
            if !self.audit() {
                return Err(Outcome::Perm(cause));
            }
            self.void_breach.get_or_insert(cause);
        }
        Ok(())
    }

    /// For the audit: a term it cannot or need not evaluate (macros need a real client; past
    /// the limit a receiver has already stopped). Its lookup is counted either way.
    fn audit_skip(&self, spec: Option<&str>) -> Option<Unfollowed> {
        if !self.audit() {
            None
        } else if spec.is_some_and(|s| s.contains('%')) {
            Some(Unfollowed::Macros)
        } else if self.exhausted {
            Some(Unfollowed::OverLimit)
        } else {
            None
        }
    }

    /// Expand a domain-spec (or use the current domain) and shorten it to 253 octets.
    fn target(&self, domain: &str, spec: Option<&str>) -> Result<String, Outcome> {
        let Some(spec) = spec else {
            return Ok(domain.to_string());
        };
        let p = || self.validated_name(domain);
        let mut expanded =
            macros::expand(spec, &self.vars(domain, &p), false).map_err(|error| {
                Outcome::Perm(SpfCause::Macro {
                    spec: spec.to_string(),
                    error,
                })
            })?;
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
        self.dns.query(name, rtype).map(|records| {
            of_type(&records, rtype)
                .filter_map(|r| match r {
                    Rdata::A(a) => Some(IpAddr::V4(*a)),
                    Rdata::Aaaa(a) => Some(IpAddr::V6(*a)),
                    _ => None,
                })
                .collect()
        })
    }

    fn temp(term: &str, name: &str, failure: Failure) -> Outcome {
        Outcome::Temp(SpfCause::TermLookup {
            term: term.to_string(),
            name: name.to_string(),
            failure,
        })
    }

    fn matched(yes: bool) -> Step {
        if yes { Step::Match } else { Step::NoMatch }
    }

    fn mechanism(
        &mut self,
        domain: &str,
        mech: &Mechanism,
        text: &str,
        depth: usize,
        trace: &mut TermTrace,
    ) -> Result<Step, Outcome> {
        match mech {
            Mechanism::All => Ok(Step::Match),
            Mechanism::Ip4(net, len) => Ok(Self::matched(
                !self.audit() && within(self.ip, IpAddr::V4(*net), *len),
            )),
            Mechanism::Ip6(net, len) => Ok(Self::matched(
                !self.audit() && within(self.ip, IpAddr::V6(*net), *len),
            )),
            Mechanism::A {
                domain: spec,
                v4,
                v6,
            } => {
                self.count_lookup(text, trace)?;
                if let Some(why) = self.audit_skip(spec.as_deref()) {
                    return Ok(Step::NotFollowed(why));
                }
                let name = self.target(domain, spec.as_deref())?;
                let addrs = self.lookup_addresses(text, &name)?;
                trace.detail = Some(format!("{name}: {}", list_ips(&addrs)));
                Ok(Self::matched(
                    addrs.iter().any(|a| self.ip_matches(*a, *v4, *v6)),
                ))
            }
            Mechanism::Mx {
                domain: spec,
                v4,
                v6,
            } => {
                self.count_lookup(text, trace)?;
                if let Some(why) = self.audit_skip(spec.as_deref()) {
                    return Ok(Step::NotFollowed(why));
                }
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
                    return Err(Outcome::Perm(SpfCause::TooManyMx {
                        name,
                        count: hosts.len(),
                    }));
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
                        return Ok(Step::Match);
                    }
                }
                Ok(Step::NoMatch)
            }
            Mechanism::Exists(spec) => {
                self.count_lookup(text, trace)?;
                if let Some(why) = self.audit_skip(Some(spec)) {
                    return Ok(Step::NotFollowed(why));
                }
                let name = self.target(domain, Some(spec))?;
                match self.dns.query(&name, RecordType::A) {
                    Ok(r) => {
                        trace.detail = Some(format!("{name} exists"));
                        Ok(Self::matched(of_type(&r, RecordType::A).next().is_some()))
                    }
                    Err(f) if f.is_temporary() => Err(Self::temp(text, &name, f)),
                    Err(f) => {
                        trace.detail = Some(format!("{name}: {f}"));
                        self.count_void(text, &name)?;
                        Ok(Step::NoMatch)
                    }
                }
            }
            Mechanism::Ptr(spec) => {
                self.count_lookup(text, trace)?;
                if self.audit() {
                    return Ok(Step::NotFollowed(Unfollowed::NeedsClient));
                }
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
                Ok(Self::matched(names.iter().any(|n| {
                    crate::dns::name::is_subdomain_of(n, &target.to_ascii_lowercase())
                })))
            }
            Mechanism::Include(spec) => {
                self.count_lookup(text, trace)?;
                if let Some(why) = self.audit_skip(Some(spec)) {
                    return Ok(Step::NotFollowed(why));
                }
                let name = self.target(domain, Some(spec))?;
                if depth >= 2 * MAX_LOOKUPS {
                    return Err(Outcome::Perm(SpfCause::TooDeep {
                        term: text.to_string(),
                        redirect: false,
                    }));
                }
                self.path.push(text.to_string());
                let saved = self.decided_by.take();
                let (inner, node, _) = self.check_host(&name, depth + 1);
                self.decided_by = saved;
                self.path.pop();
                trace.child = Some(Box::new(node));
                match inner {
                    Outcome::Pass => Ok(Step::Match),
                    Outcome::Fail | Outcome::SoftFail | Outcome::Neutral => Ok(Step::NoMatch),
                    Outcome::Temp(r) => Err(Outcome::Temp(r)),
                    Outcome::Perm(r) => Err(Outcome::Perm(r)),
                    Outcome::None(r) => {
                        if matches!(
                            self.dns.txt(&name),
                            Err(Failure::NxDomain | Failure::NoData)
                        ) {
                            self.count_void(text, &name)?;
                        }
                        Err(Outcome::Perm(SpfCause::IncludeNoRecord {
                            term: text.to_string(),
                            inner: Box::new(r),
                        }))
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
        if self.audit() {
            return false;
        }
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
    ) -> (Outcome, Option<String>, Option<Unfollowed>) {
        if let Err(o) = self.count_lookup(term, trace) {
            return (o, None, None);
        }
        if let Some(why) = self.audit_skip(Some(target)) {
            return (Outcome::Neutral, None, Some(why));
        }
        let name = match self.target(domain, Some(target)) {
            Ok(n) => n,
            Err(o) => return (o, None, None),
        };
        if depth >= 2 * MAX_LOOKUPS {
            let cause = SpfCause::TooDeep {
                term: term.to_string(),
                redirect: true,
            };
            return (Outcome::Perm(cause), None, None);
        }
        self.path.push(term.to_string());
        let (outcome, node, explanation) = self.check_host(&name, depth + 1);
        self.path.pop();
        trace.child = Some(Box::new(node));
        match outcome {
            Outcome::None(r) => {
                let cause = SpfCause::RedirectNoRecord {
                    term: term.to_string(),
                    inner: Box::new(r),
                };
                (Outcome::Perm(cause), None, None)
            }
            other => {
                if self.decided_by.is_none() {
                    self.decided_by = Some(term.to_string());
                }
                (other, explanation, None)
            }
        }
    }

    /// PTR names of the client IP that resolve back to it (RFC 7208 §5.5), at most 10 tried.
    fn validated_names(&self) -> Vec<String> {
        let reverse = crate::dns::name::reverse_name(self.ip);
        let Ok(records) = self.dns.query(&reverse, RecordType::Ptr) else {
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
