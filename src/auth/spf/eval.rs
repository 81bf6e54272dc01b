//! check_host() itself: records, terms, lookup accounting and the evaluation trace. One walker
//! for two modes: a real client (`spf`, `check`), and the domain audit's worst case.

use std::net::{IpAddr, Ipv4Addr};

use super::macros::{self, MacroVars};
use super::record::{self, Record, Term};
use super::{
    MAX_DOMAIN_LEN, MAX_LOOKUPS, MAX_VOID_LOOKUPS, Outcome, SpfCause, TermOutcome, TermTrace,
    TraceNode, Unfollowed,
};
use crate::dns::net::Cidr;
use crate::dns::{Dns, Failure, Rdata, RecordType, of_type};

mod terms;

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
}
