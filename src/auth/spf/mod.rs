//! Our own RFC 7208 evaluator: check_host() with a full evaluation trace that says which term
//! matched, what every lookup cost, and which term broke a limit.

mod eval;
pub mod macros;
pub mod record;

use std::net::IpAddr;

use serde::Serialize;

use crate::common::AuthResult;
use crate::dns::Dns;
use eval::{Eval, client_ip};
use record::Qualifier;

/// RFC 7208 §4.6.4.
pub const MAX_LOOKUPS: usize = 10;
pub const MAX_VOID_LOOKUPS: usize = 2;
pub(crate) const MAX_NAMES_PER_MECHANISM: usize = 10;
/// Longest domain name after macro expansion (§7.3: drop labels from the left past 253).
pub(crate) const MAX_DOMAIN_LEN: usize = 253;

#[derive(Debug, Clone, Serialize)]
pub struct SpfReport {
    pub result: AuthResult,
    /// The domain check_host() started from (MAIL FROM domain, or the HELO name).
    pub domain: Option<String>,
    /// "mfrom" or "helo".
    pub scope: String,
    pub ip: Option<String>,
    pub sender: Option<String>,
    pub helo: Option<String>,
    /// The term that decided the result, e.g. "-all" or "include:_spf.example.net".
    pub mechanism: Option<String>,
    pub lookups: usize,
    pub void_lookups: usize,
    pub explanation: Option<String>,
    pub reason: String,
    pub trace: Option<TraceNode>,
}

/// One record evaluated: the domain, its record text and what each term did.
#[derive(Debug, Clone, Serialize)]
pub struct TraceNode {
    pub domain: String,
    pub record: Option<String>,
    pub result: AuthResult,
    pub terms: Vec<TermTrace>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TermTrace {
    pub term: String,
    /// "match", "no match", "error", "not reached" ...
    pub outcome: String,
    /// DNS lookups counted against the limit after this term.
    pub lookups: usize,
    pub detail: Option<String>,
    pub child: Option<Box<TraceNode>>,
}

/// What to evaluate.
#[derive(Debug, Clone)]
pub struct SpfRequest {
    pub ip: IpAddr,
    /// The MAIL FROM address ("" for the null sender).
    pub mail_from: String,
    pub helo: String,
    /// Evaluate the HELO identity instead of MAIL FROM.
    pub helo_scope: bool,
    /// Override the starting domain (`spf --domain`).
    pub domain: Option<String>,
    pub now: u64,
    pub receiver: String,
}

#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    Pass,
    Fail,
    SoftFail,
    Neutral,
    None(String),
    Temp(String),
    Perm(String),
}

impl Outcome {
    fn result(&self) -> AuthResult {
        match self {
            Outcome::Pass => AuthResult::Pass,
            Outcome::Fail => AuthResult::Fail,
            Outcome::SoftFail => AuthResult::Softfail,
            Outcome::Neutral => AuthResult::Neutral,
            Outcome::None(_) => AuthResult::None,
            Outcome::Temp(_) => AuthResult::Temperror,
            Outcome::Perm(_) => AuthResult::Permerror,
        }
    }

    fn from_qualifier(q: Qualifier) -> Outcome {
        match q {
            Qualifier::Pass => Outcome::Pass,
            Qualifier::Fail => Outcome::Fail,
            Qualifier::SoftFail => Outcome::SoftFail,
            Qualifier::Neutral => Outcome::Neutral,
        }
    }
}

pub fn evaluate(dns: &Dns, req: &SpfRequest) -> SpfReport {
    let (sender, domain_from_sender) = if req.helo_scope || req.mail_from.is_empty() {
        (format!("postmaster@{}", req.helo), req.helo.clone())
    } else {
        let domain = req
            .mail_from
            .rsplit_once('@')
            .map_or(req.mail_from.as_str(), |(_, d)| d)
            .to_string();
        let sender = if req.mail_from.contains('@') {
            req.mail_from.clone()
        } else {
            format!("postmaster@{}", req.mail_from)
        };
        (sender, domain)
    };
    let domain = req.domain.clone().unwrap_or(domain_from_sender);
    let (local, sender_domain) = match sender.rsplit_once('@') {
        Some(("", d)) => ("postmaster".to_string(), d.to_string()),
        Some((l, d)) => (l.to_string(), d.to_string()),
        None => ("postmaster".to_string(), sender.clone()),
    };
    let mut ev = Eval {
        dns,
        ip: client_ip(req.ip),
        sender,
        local,
        sender_domain,
        helo: req.helo.clone(),
        now: req.now,
        receiver: req.receiver.clone(),
        lookups: 0,
        voids: 0,
        decided_by: None,
        path: Vec::new(),
    };
    let (outcome, node, explanation) = ev.check_host(&domain, 0);
    let reason = match &outcome {
        Outcome::None(r) | Outcome::Temp(r) | Outcome::Perm(r) => r.clone(),
        other => match &ev.decided_by {
            Some(term) => format!("matched {term} -> {}", other.result().word()),
            None => format!("no term matched -> {} (default)", other.result().word()),
        },
    };
    SpfReport {
        result: outcome.result(),
        domain: Some(domain),
        scope: if req.helo_scope { "helo" } else { "mfrom" }.to_string(),
        ip: Some(req.ip.to_string()),
        sender: Some(ev.sender.clone()),
        helo: (!req.helo.is_empty()).then(|| req.helo.clone()),
        mechanism: ev.decided_by.clone(),
        lookups: ev.lookups,
        void_lookups: ev.voids,
        explanation,
        reason,
        trace: Some(node),
    }
}

/// A report for when SPF could not be evaluated at all (no client IP, say).
pub fn not_evaluated(reason: &str, mail_from: Option<&str>, helo: Option<&str>) -> SpfReport {
    SpfReport {
        result: AuthResult::None,
        domain: mail_from.and_then(crate::message::domain_of),
        scope: "mfrom".into(),
        ip: None,
        sender: mail_from.map(str::to_string),
        helo: helo.map(str::to_string),
        mechanism: None,
        lookups: 0,
        void_lookups: 0,
        explanation: None,
        reason: reason.to_string(),
        trace: None,
    }
}
