//! Why an SPF evaluation ended as it did: the typed cause whose `Display` is the reason users
//! read, naming the term, the limit and the name involved.

use std::fmt;

use super::macros::MacroError;
use super::record::SyntaxError;
use super::{MAX_LOOKUPS, MAX_NAMES_PER_MECHANISM, MAX_VOID_LOOKUPS};
use crate::common::AuthResult;
use crate::dns::Failure;

/// The reason for an SPF result (or for a record's result inside the evaluation tree).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpfCause {
    /// A term matched and decided the result.
    Matched {
        /// The term as written, with its include path when it was inside one.
        term: String,
        /// The result it gave.
        result: AuthResult,
    },
    /// No term matched: the default result (neutral).
    Default {
        /// The default result.
        result: AuthResult,
    },
    /// There was no client IP to evaluate.
    NoClientIp,
    /// The domain to evaluate is not a valid name (RFC 7208 §4.3).
    InvalidDomain(String),
    /// No SPF record at the domain (with the DNS outcome when the lookup had no answer).
    NoRecord {
        /// The domain.
        domain: String,
        /// NXDOMAIN / NODATA when the TXT lookup itself came back empty.
        failure: Option<Failure>,
    },
    /// The TXT lookup of the record failed temporarily.
    RecordLookup {
        /// The domain.
        domain: String,
        /// What the DNS said.
        failure: Failure,
    },
    /// More than one SPF record.
    MultipleRecords {
        /// The domain.
        domain: String,
        /// How many.
        count: usize,
    },
    /// The record does not parse.
    Syntax {
        /// The domain.
        domain: String,
        /// What is wrong.
        error: SyntaxError,
    },
    /// The 11th DNS-querying term (RFC 7208 §4.6.4).
    TooManyLookups {
        /// Lookups counted at the breach.
        count: usize,
        /// The term that went over.
        term: String,
        /// The include/redirect path to it.
        via: Vec<String>,
    },
    /// The third void lookup (§4.6.4).
    TooManyVoids {
        /// Void lookups counted at the breach.
        count: usize,
        /// The term whose lookup was void.
        term: String,
        /// The name that has no records.
        name: String,
    },
    /// A macro that does not expand.
    Macro {
        /// The domain-spec.
        spec: String,
        /// What is wrong with it.
        error: MacroError,
    },
    /// An `mx` whose name has more than 10 MX records (§4.6.4).
    TooManyMx {
        /// The name.
        name: String,
        /// How many MX records.
        count: usize,
    },
    /// A lookup a term needs failed temporarily.
    TermLookup {
        /// The term.
        term: String,
        /// The name looked up.
        name: String,
        /// What the DNS said.
        failure: Failure,
    },
    /// Includes or redirects nested past any sensible depth.
    TooDeep {
        /// The term.
        term: String,
        /// `redirect=` (else `include:`).
        redirect: bool,
    },
    /// An include of a domain without an SPF record (a permerror, §5.2).
    IncludeNoRecord {
        /// The include term.
        term: String,
        /// Why the included domain has none.
        inner: Box<SpfCause>,
    },
    /// A redirect to a domain without an SPF record (a permerror, §6.1).
    RedirectNoRecord {
        /// The redirect term.
        term: String,
        /// Why the target has none.
        inner: Box<SpfCause>,
    },
}

impl fmt::Display for SpfCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpfCause::Matched { term, result } => write!(f, "matched {term} -> {}", result.word()),
            SpfCause::Default { result } => {
                write!(f, "no term matched -> {} (default)", result.word())
            }
            SpfCause::NoClientIp => {
                f.write_str("no client IP to evaluate (no usable Received hop; give --ip)")
            }
            SpfCause::InvalidDomain(d) => write!(f, "{d:?} is not a valid domain name"),
            SpfCause::NoRecord {
                domain,
                failure: Some(fail),
            } => write!(f, "no SPF record at {domain} ({fail})"),
            SpfCause::NoRecord {
                domain,
                failure: None,
            } => write!(f, "no SPF record at {domain}"),
            SpfCause::RecordLookup { domain, failure } => {
                write!(f, "SPF record lookup for {domain} failed: {failure}")
            }
            SpfCause::MultipleRecords { domain, count } => {
                write!(f, "{count} SPF records at {domain} (exactly one allowed)")
            }
            SpfCause::Syntax { domain, error } => {
                write!(f, "syntax error in the SPF record of {domain}: {error}")
            }
            SpfCause::TooManyLookups { count, term, via } => {
                write!(
                    f,
                    "{count} DNS lookups (limit {MAX_LOOKUPS}), over the limit at {term}"
                )?;
                if !via.is_empty() {
                    write!(f, " (via {})", via.join(" > "))?;
                }
                Ok(())
            }
            SpfCause::TooManyVoids { count, term, name } => write!(
                f,
                "{count} void DNS lookups (limit {MAX_VOID_LOOKUPS}), over the limit at {term}: {name} does not exist or has no records"
            ),
            SpfCause::Macro { spec, error } => write!(f, "macro error in {spec:?}: {error}"),
            SpfCause::TooManyMx { name, count } => write!(
                f,
                "{name} has {count} MX records (limit {MAX_NAMES_PER_MECHANISM} for the mx mechanism)"
            ),
            SpfCause::TermLookup {
                term,
                name,
                failure,
            } => write!(f, "DNS lookup of {name} for {term} failed: {failure}"),
            SpfCause::TooDeep { term, redirect } => write!(
                f,
                "{} nesting too deep at {term}",
                if *redirect { "redirect" } else { "include" }
            ),
            SpfCause::IncludeNoRecord { term, inner } => {
                write!(f, "{term}: the included domain has no SPF record ({inner})")
            }
            SpfCause::RedirectNoRecord { term, inner } => {
                write!(f, "{term}: the target has no SPF record ({inner})")
            }
        }
    }
}

impl SpfCause {
    /// Whether the cause is a temporary DNS failure (retrying may change the result).
    pub fn is_temporary(&self) -> bool {
        matches!(
            self,
            SpfCause::RecordLookup { .. } | SpfCause::TermLookup { .. }
        )
    }
}

/// What one term did, in the evaluation tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermOutcome {
    /// The mechanism matched.
    Match,
    /// It did not match.
    NoMatch,
    /// Evaluating it failed (the cause is on the term).
    Error,
    /// A `redirect=`: the target's result.
    Redirected(AuthResult),
    /// Audit only: counted, but not followed.
    NotFollowed(Unfollowed),
}

/// Why the audit walk counted a term without following it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unfollowed {
    /// Its target has macros, which need a real client.
    Macros,
    /// A receiver has already stopped at the lookup limit.
    OverLimit,
    /// `ptr`: the client's own PTR names decide.
    NeedsClient,
}

impl fmt::Display for Unfollowed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unfollowed::Macros => "target has macros; not followed",
            Unfollowed::OverLimit => "over the lookup limit; not followed",
            Unfollowed::NeedsClient => "depends on the client's PTR names; not followed",
        })
    }
}

impl fmt::Display for TermOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TermOutcome::Match => "match",
            TermOutcome::NoMatch => "no match",
            TermOutcome::Error => "error",
            TermOutcome::Redirected(r) => r.word(),
            TermOutcome::NotFollowed(_) => "not followed",
        })
    }
}
