//! Why DMARC came out as it did, and why the disposition is what it is: typed causes whose
//! `Display` is the reason the report shows.

use std::fmt;

use super::DmarcSpec;
use super::record::{Mode, Policy, PolicyDefect};
use crate::common::AuthResult;
use crate::dns::Failure;
use crate::message::AuthorProblem;

/// What one authentication mechanism contributed to a DMARC failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miss {
    /// SPF passed for a domain that is not aligned.
    SpfUnaligned {
        domain: String,
        author: String,
        mode: Mode,
    },
    /// SPF did not pass.
    Spf {
        result: AuthResult,
        domain: Option<String>,
    },
    /// No DKIM signature at all.
    NoDkim,
    /// A DKIM signature passed for a domain that is not aligned.
    DkimUnaligned { domain: String, author: String },
    /// A DKIM signature passed but its key is in testing mode (RFC 6376 §3.6.1).
    DkimTesting { domain: String },
    /// A DKIM signature did not pass.
    Dkim {
        result: AuthResult,
        domain: Option<String>,
    },
}

impl fmt::Display for Miss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Miss::SpfUnaligned {
                domain,
                author,
                mode,
            } => write!(
                f,
                "SPF passed for {domain}, which is not aligned with {author} ({})",
                mode.word()
            ),
            Miss::Spf {
                result,
                domain: Some(d),
            } => write!(f, "SPF {} for {d}", result.word()),
            Miss::Spf {
                result,
                domain: None,
            } => write!(f, "SPF {}", result.word()),
            Miss::NoDkim => f.write_str("no DKIM signature"),
            Miss::DkimUnaligned { domain, author } => {
                write!(f, "DKIM d={domain} passed but is not aligned with {author}")
            }
            Miss::DkimTesting { domain } => write!(
                f,
                "DKIM d={domain} passed with a key in testing mode (t=y): treated as unsigned (RFC 6376 §3.6.1)"
            ),
            Miss::Dkim { result, domain } => write!(
                f,
                "DKIM d={} {}",
                domain.as_deref().unwrap_or("?"),
                result.word()
            ),
        }
    }
}

/// Why the DMARC result is what it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DmarcCause {
    /// Not evaluated yet (the report's starting state).
    #[default]
    NotEvaluated,
    /// The message has no single author domain.
    Author(AuthorProblem),
    /// No record on any name queried.
    NoRecord { names: Vec<String> },
    /// RFC 7489: several records where discovery stopped.
    Multiple { name: String, records: usize },
    /// The record's policy is defective and no `rua=` rescues it.
    NoPolicy { name: String, defect: PolicyDefect },
    /// A lookup that decides the policy failed.
    Lookup { name: String, failure: Failure },
    /// Whether the author domain exists (for `np=`) could not be learnt.
    Existence { domain: String, failure: Failure },
    /// Aligned passes.
    Pass {
        dkim: Vec<String>,
        dkim_mode: Mode,
        spf: Option<String>,
        spf_mode: Mode,
    },
    /// No aligned pass, and a temporary failure could have hidden one.
    MaybeHidden {
        org_failure: Option<(String, Failure)>,
    },
    /// No aligned pass.
    Fail(Vec<Miss>),
}

impl fmt::Display for DmarcCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DmarcCause::NotEvaluated => f.write_str("not evaluated"),
            DmarcCause::Author(p) => write!(f, "{p}"),
            DmarcCause::NoRecord { names } => {
                let names: Vec<String> = names.iter().map(|n| format!("_dmarc.{n}")).collect();
                write!(f, "no DMARC record at {}", join_or(&names))
            }
            DmarcCause::Multiple { name, records } => write!(
                f,
                "{records} DMARC records at {name} (exactly one allowed): no policy applies (RFC 7489 §6.6.3)"
            ),
            DmarcCause::NoPolicy { name, defect } => write!(
                f,
                "the record at {name} has no usable policy ({defect}) and no valid rua= to fall back on: DMARC does not apply"
            ),
            DmarcCause::Lookup { name, failure } => {
                write!(
                    f,
                    "DMARC record lookup at {name} failed: {failure} (retry later)"
                )
            }
            DmarcCause::Existence { domain, failure } => write!(
                f,
                "no aligned pass, and whether {domain} exists (for np=) is unknown: {failure} (retry later)"
            ),
            DmarcCause::Pass {
                dkim,
                dkim_mode,
                spf,
                spf_mode,
            } => {
                let mut parts = Vec::new();
                if !dkim.is_empty() {
                    parts.push(format!(
                        "DKIM pass aligned ({}: d={})",
                        dkim_mode.word(),
                        dkim.join(", d=")
                    ));
                }
                if let Some(d) = spf {
                    parts.push(format!("SPF pass aligned ({}: {d})", spf_mode.word()));
                }
                f.write_str(&parts.join("; "))
            }
            DmarcCause::MaybeHidden { org_failure } => {
                f.write_str("no aligned pass, and a DNS failure in an aligned SPF or DKIM check may have hidden one")?;
                if let Some((name, failure)) = org_failure {
                    write!(f, " (Organizational Domain unknown: {name} {failure})")?;
                }
                f.write_str(" (retry later)")
            }
            DmarcCause::Fail(misses) => {
                let parts: Vec<String> = misses.iter().map(ToString::to_string).collect();
                write!(f, "no aligned pass: {}", parts.join("; "))
            }
        }
    }
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// Which tag of the record gave the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyTag {
    /// The author domain's own record, or the record's domain itself.
    P,
    /// An existing subdomain.
    Sp,
    /// A non-existent subdomain (RFC 9989).
    Np,
}

impl PolicyTag {
    pub fn word(self) -> &'static str {
        match self {
            PolicyTag::P => "p",
            PolicyTag::Sp => "sp",
            PolicyTag::Np => "np",
        }
    }
}

/// Why the disposition keyword is what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DispositionCause {
    /// DMARC did not fail: no policy is applied.
    NotFailed(AuthResult),
    /// The policy applies as published.
    Applied {
        tag: PolicyTag,
        policy: Policy,
        fallback: Option<PolicyDefect>,
    },
    /// RFC 9989 `t=y`: one level below the policy.
    Testing { tag: PolicyTag, policy: Policy },
    /// RFC 7489 `pct=0`: no message is sampled, so all get the next policy down (§6.6.4).
    PctZero { tag: PolicyTag, policy: Policy },
    /// RFC 7489 `0<pct<100`: the policy for the sampled share, the next one down otherwise.
    PctSampled {
        tag: PolicyTag,
        policy: Policy,
        pct: u8,
    },
}

impl fmt::Display for DispositionCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DispositionCause::NotFailed(AuthResult::Pass) => f.write_str("DMARC passed"),
            DispositionCause::NotFailed(AuthResult::None) => f.write_str("no DMARC policy applies"),
            DispositionCause::NotFailed(r) => write!(f, "DMARC {}: no policy is applied", r.word()),
            DispositionCause::Applied {
                tag,
                policy,
                fallback: None,
            } => write!(f, "{}={policy}", tag.word()),
            DispositionCause::Applied {
                fallback: Some(defect),
                ..
            } => write!(f, "{defect}, and rua= is valid: the record reads as p=none"),
            DispositionCause::Testing { tag, policy } => write!(
                f,
                "{}={policy} with t=y (testing): one level lower, {}",
                tag.word(),
                policy.lowered()
            ),
            DispositionCause::PctZero { tag, policy } => write!(
                f,
                "{}={policy} with pct=0: no failing mail is sampled, so all of it gets {} (RFC 7489 §6.6.4)",
                tag.word(),
                policy.lowered()
            ),
            DispositionCause::PctSampled { tag, policy, pct } => write!(
                f,
                "{}={policy} with pct={pct}: {policy} for {pct}% of failing mail, {} for the rest (RFC 7489 §6.6.4)",
                tag.word(),
                policy.lowered()
            ),
        }
    }
}

/// The disposition for a failed message under `spec`.
pub fn disposition(
    spec: DmarcSpec,
    tag: PolicyTag,
    policy: Policy,
    testing: bool,
    pct: Option<u8>,
    fallback: Option<PolicyDefect>,
) -> (Policy, DispositionCause) {
    if fallback.is_some() || policy == Policy::None {
        return (
            policy,
            DispositionCause::Applied {
                tag,
                policy,
                fallback,
            },
        );
    }
    match (spec, testing, pct) {
        (DmarcSpec::Rfc9989, true, _) => {
            (policy.lowered(), DispositionCause::Testing { tag, policy })
        }
        (DmarcSpec::Rfc7489, _, Some(0)) => {
            (policy.lowered(), DispositionCause::PctZero { tag, policy })
        }
        (DmarcSpec::Rfc7489, _, Some(pct)) if pct < 100 => {
            (policy, DispositionCause::PctSampled { tag, policy, pct })
        }
        _ => (
            policy,
            DispositionCause::Applied {
                tag,
                policy,
                fallback: None,
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions_by_spec() {
        let d = |spec, policy, testing, pct| {
            disposition(spec, PolicyTag::P, policy, testing, pct, None).0
        };
        let (bis, old) = (DmarcSpec::Rfc9989, DmarcSpec::Rfc7489);
        assert_eq!(d(bis, Policy::Reject, true, None), Policy::Quarantine);
        assert_eq!(d(bis, Policy::Quarantine, true, None), Policy::None);
        assert_eq!(d(bis, Policy::Reject, false, None), Policy::Reject);
        // t= means nothing to RFC 7489, pct= nothing to RFC 9989.
        assert_eq!(d(old, Policy::Reject, true, Some(100)), Policy::Reject);
        assert_eq!(d(bis, Policy::Reject, false, Some(0)), Policy::Reject);
        assert_eq!(d(old, Policy::Reject, false, Some(0)), Policy::Quarantine);
        assert_eq!(d(old, Policy::Quarantine, false, Some(0)), Policy::None);
        assert_eq!(d(old, Policy::Reject, false, Some(30)), Policy::Reject);
        let (_, why) = disposition(old, PolicyTag::Sp, Policy::Reject, false, Some(30), None);
        assert_eq!(
            why.to_string(),
            "sp=reject with pct=30: reject for 30% of failing mail, quarantine for the rest (RFC 7489 §6.6.4)"
        );
        let fallback = Some(PolicyDefect::Sp("rejected".into()));
        let (p, why) = disposition(bis, PolicyTag::P, Policy::None, true, None, fallback);
        assert_eq!(p, Policy::None);
        assert!(why.to_string().starts_with("sp=rejected is not valid"));
    }

    #[test]
    fn reasons_name_what_failed() {
        let fail = DmarcCause::Fail(vec![
            Miss::Spf {
                result: AuthResult::Fail,
                domain: Some("example.com".into()),
            },
            Miss::DkimTesting {
                domain: "example.com".into(),
            },
        ]);
        assert_eq!(
            fail.to_string(),
            "no aligned pass: SPF fail for example.com; DKIM d=example.com passed with a key in testing mode (t=y): treated as unsigned (RFC 6376 §3.6.1)"
        );
        let none = DmarcCause::NoRecord {
            names: vec!["a.example.com".into(), "example.com".into(), "com".into()],
        };
        assert_eq!(
            none.to_string(),
            "no DMARC record at _dmarc.a.example.com, _dmarc.example.com or _dmarc.com"
        );
    }
}
