//! Our own RFC 7208 evaluator: check_host() with a full evaluation trace that says which term
//! matched, what every lookup cost, and which term broke a limit. The domain audit walks a
//! record with the same code ([`walk_for_audit`]), so the two never disagree on a count.

mod cause;
mod eval;
pub mod macros;
pub mod record;

use std::net::IpAddr;

use serde::Serialize;

use crate::common::{AuthResult, as_opt_text, as_text};
use crate::dns::Dns;
pub use cause::{SpfCause, TermOutcome, Unfollowed};
use eval::{Eval, Mode};
use record::Qualifier;

/// RFC 7208 §4.6.4: DNS-querying terms per evaluation.
pub const MAX_LOOKUPS: usize = 10;
/// RFC 7208 §4.6.4: lookups that return no records.
pub const MAX_VOID_LOOKUPS: usize = 2;
pub(crate) const MAX_NAMES_PER_MECHANISM: usize = 10;
/// Longest domain name after macro expansion (§7.3: drop labels from the left past 253).
pub(crate) const MAX_DOMAIN_LEN: usize = 253;

/// Which identity check_host() evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The MAIL FROM identity (`postmaster@HELO` for the null sender).
    Mfrom,
    /// The HELO identity.
    Helo,
}

/// One SPF evaluation: result, cause, counts and the evaluation tree.
#[derive(Debug, Clone, Serialize)]
pub struct SpfReport {
    /// The check_host() result.
    pub result: AuthResult,
    /// The domain check_host() started from (MAIL FROM domain, or the HELO name).
    pub domain: Option<String>,
    /// `mfrom` or `helo`.
    pub scope: Scope,
    /// The client IP evaluated.
    pub ip: Option<String>,
    /// The sender (`<sender>` of check_host()).
    pub sender: Option<String>,
    /// The HELO name given.
    pub helo: Option<String>,
    /// The term that decided the result, e.g. "-all" or "include:_spf.example.net".
    pub mechanism: Option<String>,
    /// DNS-querying terms counted against the limit of 10.
    pub lookups: usize,
    /// Lookups that returned no records, against the limit of 2.
    pub void_lookups: usize,
    /// The `exp=` explanation on fail.
    pub explanation: Option<String>,
    /// Why: the cause, as words.
    #[serde(serialize_with = "as_text")]
    pub reason: SpfCause,
    /// The evaluation tree.
    pub trace: Option<TraceNode>,
}

/// One record evaluated: the domain, its record text and what each term did.
#[derive(Debug, Clone, Serialize)]
pub struct TraceNode {
    /// The domain whose record this is.
    pub domain: String,
    /// The record text (none when there is no usable record).
    pub record: Option<String>,
    /// This record's result.
    pub result: AuthResult,
    /// The terms evaluated, in order.
    pub terms: Vec<TermTrace>,
    /// Why the record gave no pass/fail/softfail/neutral, when it did not.
    #[serde(serialize_with = "as_opt_text")]
    pub note: Option<SpfCause>,
}

/// One term evaluated.
#[derive(Debug, Clone, Serialize)]
pub struct TermTrace {
    /// The term as written.
    pub term: String,
    /// What it did.
    #[serde(serialize_with = "as_text")]
    pub outcome: TermOutcome,
    /// DNS lookups counted against the limit after this term.
    pub lookups: usize,
    /// What the lookups found (names, addresses, MX hosts).
    pub detail: Option<String>,
    /// The included or redirected record.
    pub child: Option<Box<TraceNode>>,
    /// Lookups this term itself was charged (0 or 1).
    #[serde(skip)]
    pub cost: usize,
    /// Why the term failed, when it did (audit walks keep going and list these).
    #[serde(skip)]
    pub error: Option<SpfCause>,
}

/// What to evaluate.
#[derive(Debug, Clone)]
pub struct SpfRequest {
    /// The client IP.
    pub ip: IpAddr,
    /// The MAIL FROM address ("" for the null sender).
    pub mail_from: String,
    /// The HELO/EHLO name.
    pub helo: String,
    /// Evaluate the HELO identity instead of MAIL FROM.
    pub helo_scope: bool,
    /// Override the starting domain (`spf --domain`).
    pub domain: Option<String>,
    /// `%{t}`: the evaluation time.
    pub now: u64,
    /// `%{r}`: the receiving host.
    pub receiver: String,
}

#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    Pass,
    Fail,
    SoftFail,
    Neutral,
    None(SpfCause),
    Temp(SpfCause),
    Perm(SpfCause),
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

    /// The cause of a none / temperror / permerror outcome.
    fn cause(&self) -> Option<&SpfCause> {
        match self {
            Outcome::None(c) | Outcome::Temp(c) | Outcome::Perm(c) => Some(c),
            _ => None,
        }
    }
}

/// check_host() for one identity (RFC 7208 §4).
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
    let mut ev = Eval::new(dns, Mode::Client(req.ip), &sender, &req.helo, req.now);
    ev.receiver = req.receiver.clone();
    let (outcome, node, explanation) = ev.check_host(&domain, 0);
    SpfReport {
        result: outcome.result(),
        domain: Some(domain),
        scope: if req.helo_scope {
            Scope::Helo
        } else {
            Scope::Mfrom
        },
        ip: Some(req.ip.to_string()),
        sender: Some(ev.sender.clone()),
        helo: (!req.helo.is_empty()).then(|| req.helo.clone()),
        mechanism: ev.decided_by.clone(),
        lookups: ev.lookups,
        void_lookups: ev.voids,
        explanation,
        reason: reason(&outcome, ev.decided_by.as_deref()),
        trace: Some(node),
    }
}

fn reason(outcome: &Outcome, decided_by: Option<&str>) -> SpfCause {
    match (outcome.cause(), decided_by) {
        (Some(c), _) => c.clone(),
        (None, Some(term)) => SpfCause::Matched {
            term: term.to_string(),
            result: outcome.result(),
        },
        (None, None) => SpfCause::Default {
            result: outcome.result(),
        },
    }
}

/// A report for when SPF could not be evaluated at all (no client IP).
pub fn not_evaluated(mail_from: Option<&str>, helo: Option<&str>) -> SpfReport {
    SpfReport {
        result: AuthResult::None,
        domain: mail_from.and_then(crate::message::domain_of),
        scope: Scope::Mfrom,
        ip: None,
        sender: mail_from.map(str::to_string),
        helo: helo.map(str::to_string),
        mechanism: None,
        lookups: 0,
        void_lookups: 0,
        explanation: None,
        reason: SpfCause::NoClientIp,
        trace: None,
    }
}

/// What the domain audit learns from walking a record the way a receiver would, for a client
/// that matches no address term: the worst case for lookups.
#[derive(Debug, Clone)]
pub struct AuditWalk {
    /// The evaluation tree (terms past an error are still walked and listed).
    pub tree: TraceNode,
    /// DNS-querying terms counted (past the limit too, without querying).
    pub lookups: usize,
    /// Names whose lookups came back empty, in order.
    pub void_names: Vec<String>,
    /// Where the lookup limit breaks, when it does.
    pub lookup_limit: Option<SpfCause>,
    /// Where the void-lookup limit breaks, when it does.
    pub void_limit: Option<SpfCause>,
}

/// Walk `domain`'s record with the evaluator's accounting: every term a receiver reaches is
/// counted as check_host() counts it; where a receiver would stop with an error the walk goes
/// on (to show the rest), and past the lookup limit it counts terms without querying them.
pub fn walk_for_audit(dns: &Dns, domain: &str) -> AuditWalk {
    let sender = format!("postmaster@{domain}");
    let mut ev = Eval::new(dns, Mode::Audit, &sender, "", 0);
    let (_, tree, _) = ev.check_host(domain, 0);
    AuditWalk {
        tree,
        lookups: ev.lookups,
        void_names: ev.void_names,
        lookup_limit: ev.lookup_breach,
        void_limit: ev.void_breach,
    }
}
