//! The mechanisms of RFC 7208 §5 (and redirect=, %{p}, exp=) as the evaluator runs them.

use std::net::IpAddr;

use super::{Eval, Step, valid_domain, within};
use crate::auth::spf::macros;
use crate::auth::spf::record::Mechanism;
use crate::auth::spf::{
    MAX_LOOKUPS, MAX_NAMES_PER_MECHANISM, Outcome, SpfCause, TermTrace, Unfollowed,
};
use crate::dns::{Failure, Rdata, RecordType, of_type};

/// A DNS-querying term's start: its lookup counted, then its target, or why the audit does not
/// follow it.
enum Target {
    Name(String),
    Skip(Unfollowed),
}

impl Eval<'_> {
    fn begin(
        &mut self,
        text: &str,
        domain: &str,
        spec: Option<&str>,
        trace: &mut TermTrace,
    ) -> Result<Target, Outcome> {
        self.count_lookup(text, trace)?;
        if let Some(why) = self.audit_skip(spec) {
            return Ok(Target::Skip(why));
        }
        self.target(domain, spec).map(Target::Name)
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

    pub(super) fn mechanism(
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
                let name = match self.begin(text, domain, spec.as_deref(), trace)? {
                    Target::Name(n) => n,
                    Target::Skip(why) => return Ok(Step::NotFollowed(why)),
                };
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
                let name = match self.begin(text, domain, spec.as_deref(), trace)? {
                    Target::Name(n) => n,
                    Target::Skip(why) => return Ok(Step::NotFollowed(why)),
                };
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
                let name = match self.begin(text, domain, Some(spec), trace)? {
                    Target::Name(n) => n,
                    Target::Skip(why) => return Ok(Step::NotFollowed(why)),
                };
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
                let name = match self.begin(text, domain, Some(spec), trace)? {
                    Target::Name(n) => n,
                    Target::Skip(why) => return Ok(Step::NotFollowed(why)),
                };
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

    pub(super) fn redirect(
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
    pub(super) fn validated_name(&self, domain: &str) -> String {
        let names = self.validated_names();
        names
            .iter()
            .find(|n| crate::dns::name::is_subdomain_of(n, domain))
            .or(names.first())
            .cloned()
            .unwrap_or_else(|| "unknown".to_string())
    }

    pub(super) fn explanation(&mut self, domain: &str, exp: &str) -> Option<String> {
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
