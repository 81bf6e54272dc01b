//! MTA-STS (RFC 8461): the `_mta-sts` TXT record.

use std::fmt;

use serde::Serialize;

use crate::auth::tags::{TagError, TagList};
use crate::common::as_opt_text;
use crate::dns::{Dns, Failure};

/// What a domain's `_mta-sts` TXT record says.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TxtPosture {
    /// The record text.
    pub record: Option<String>,
    /// Its `id=`.
    pub id: Option<String>,
    /// Why there is no usable record, when one was expected.
    #[serde(serialize_with = "as_opt_text")]
    pub error: Option<TxtProblem>,
}

/// Why an `_mta-sts` record does not parse (RFC 8461 §3.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxtError {
    /// The tag list does not parse.
    #[error(transparent)]
    Tags(#[from] TagError),
    /// Not `v=STSv1` first.
    #[error("record does not start with v=STSv1")]
    Version,
    /// No `id=`.
    #[error("no id= tag")]
    NoId,
    /// An id that is not 1 to 32 alphanumerics.
    #[error("id={0} is not 1 to 32 letters and digits")]
    BadId(String),
}

/// Why a domain has no usable `_mta-sts` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxtProblem {
    /// The record is invalid.
    Invalid {
        /// `_mta-sts.<domain>`.
        name: String,
        /// What is wrong.
        error: TxtError,
    },
    /// More than one record.
    Multiple {
        /// `_mta-sts.<domain>`.
        name: String,
        /// How many.
        count: usize,
    },
    /// The lookup failed temporarily.
    Lookup {
        /// `_mta-sts.<domain>`.
        name: String,
        /// What the DNS said.
        failure: Failure,
    },
}

impl fmt::Display for TxtProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TxtProblem::Invalid { name, error } => write!(f, "invalid record at {name}: {error}"),
            TxtProblem::Multiple { name, count } => {
                write!(f, "{count} MTA-STS records at {name} (exactly one allowed)")
            }
            TxtProblem::Lookup { name, failure } => write!(f, "lookup of {name} failed: {failure}"),
        }
    }
}

/// RFC 8461 §3.1: `v=STSv1; id=<1-32 alphanumerics>`; exactly one record starting `v=STSv1`.
pub fn parse_txt(text: &str) -> Result<String, TxtError> {
    let tags = TagList::parse(text)?;
    if tags.names().next() != Some("v") || tags.get("v") != Some("STSv1") {
        return Err(TxtError::Version);
    }
    let id = tags.get("id").ok_or(TxtError::NoId)?;
    if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(TxtError::BadId(id.to_string()));
    }
    Ok(id.to_string())
}

/// The `_mta-sts` record of a domain.
pub fn lookup_txt(dns: &Dns, domain: &str) -> TxtPosture {
    let name = format!("_mta-sts.{domain}");
    let mut out = TxtPosture::default();
    match dns.txt(&name) {
        Ok(records) => {
            let sts: Vec<String> = records
                .iter()
                .map(|r| String::from_utf8_lossy(r).into_owned())
                .filter(|r| r.trim_start().starts_with("v=STSv1"))
                .collect();
            match sts.as_slice() {
                [] => {}
                [one] => {
                    out.record = Some(one.clone());
                    match parse_txt(one) {
                        Ok(id) => out.id = Some(id),
                        Err(error) => out.error = Some(TxtProblem::Invalid { name, error }),
                    }
                }
                many => {
                    out.error = Some(TxtProblem::Multiple {
                        name,
                        count: many.len(),
                    });
                }
            }
        }
        Err(failure) if failure.is_temporary() => {
            out.error = Some(TxtProblem::Lookup { name, failure });
        }
        Err(_) => {}
    }
    out
}

/// The largest policy accepted (RFC 8461 §3.3 suggests 64 KiB).
pub const MAX_POLICY: usize = 64 * 1024;

/// An MTA-STS policy mode (RFC 8461 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Senders must deliver over validated TLS or not at all.
    Enforce,
    /// Failures are reported, mail still flows.
    Testing,
    /// The policy is withdrawn.
    None,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Enforce => "enforce",
            Mode::Testing => "testing",
            Mode::None => "none",
        })
    }
}

/// A policy file's contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// `mode:`.
    pub mode: Mode,
    /// `mx:` patterns, lower-cased.
    pub mx: Vec<String>,
    /// `max_age:` seconds.
    pub max_age: u64,
}

/// Why a policy file does not parse (RFC 8461 §3.2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// A line without a colon.
    #[error("line {0}: not \"key: value\"")]
    Line(usize),
    /// `max_age` outside 0..31557600.
    #[error("max_age {0:?} is not 0..31557600")]
    MaxAge(String),
    /// No `version: STSv1`.
    #[error("no \"version: STSv1\" line")]
    NoVersion,
    /// No `mode`.
    #[error("no mode line")]
    NoMode,
    /// A mode other than enforce / testing / none.
    #[error("mode {0:?} is not enforce, testing or none")]
    BadMode(String),
    /// No `max_age`.
    #[error("no max_age line")]
    NoMaxAge,
    /// No `mx` while mode is not none.
    #[error("no mx line")]
    NoMx,
}

/// RFC 8461 §3.2: `key: value` lines in any order: version, mode, max_age, and mx patterns
/// (one or more unless mode is none). Of a repeated field other than `mx` the first counts
/// (§3.2: "all entries except for the first SHOULD be ignored"); unknown fields are ignored.
pub fn parse_policy(text: &str) -> Result<Policy, PolicyError> {
    let mut version = None;
    let mut mode = None;
    let mut max_age = None;
    let mut mx = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let (key, value) = line.split_once(':').ok_or(PolicyError::Line(i + 1))?;
        let value = value.trim();
        match key.trim() {
            "version" if version.is_none() => version = Some(value.to_string()),
            "mode" if mode.is_none() => mode = Some(value.to_string()),
            "max_age" if max_age.is_none() => {
                max_age = Some(
                    value
                        .parse::<u64>()
                        .ok()
                        .filter(|v| *v <= 31_557_600)
                        .ok_or_else(|| PolicyError::MaxAge(value.to_string()))?,
                );
            }
            "mx" => mx.push(value.to_ascii_lowercase()),
            _ => {}
        }
    }
    if version.as_deref() != Some("STSv1") {
        return Err(PolicyError::NoVersion);
    }
    let mode = match mode.ok_or(PolicyError::NoMode)?.as_str() {
        "enforce" => Mode::Enforce,
        "testing" => Mode::Testing,
        "none" => Mode::None,
        other => return Err(PolicyError::BadMode(other.to_string())),
    };
    let max_age = max_age.ok_or(PolicyError::NoMaxAge)?;
    if mx.is_empty() && mode != Mode::None {
        return Err(PolicyError::NoMx);
    }
    Ok(Policy { mode, mx, max_age })
}

/// RFC 8461 §4.1: `*.example.com` matches exactly one leftmost label.
pub fn mx_matches(pattern: &str, host: &str) -> bool {
    let host = crate::dns::name::normalize(host);
    let pattern = crate::dns::name::normalize(pattern);
    match pattern.strip_prefix("*.") {
        Some(rest) => host
            .split_once('.')
            .is_some_and(|(first, tail)| !first.is_empty() && tail == rest),
        None => host == pattern,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txt_syntax() {
        assert_eq!(parse_txt("v=STSv1; id=20261120T1"), Ok("20261120T1".into()));
        assert!(parse_txt("v=STSv1;").is_err());
        assert!(parse_txt("v=STSv1; id=has-dash").is_err());
        assert!(parse_txt("id=1; v=STSv1").is_err());
    }

    #[test]
    fn policy_and_patterns() {
        let p = parse_policy("version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n").expect("parses");
        assert_eq!((p.mode, p.mx.len(), p.max_age), (Mode::Enforce, 2, 604_800));
        assert!(
            parse_policy("mode: enforce\nversion: STSv1\n").is_err(),
            "no max_age, no mx"
        );
        let any_order = parse_policy(
            "max_age: 86400\nmx: a.test\nmode: testing\nversion: STSv1\nmode: enforce\nmax_age: x\n",
        );
        assert_eq!(
            any_order,
            Ok(Policy {
                mode: Mode::Testing,
                mx: vec!["a.test".into()],
                max_age: 86_400
            }),
            "any order; the first of a repeated field counts"
        );
        assert!(parse_policy("version: STSv1\nmode: strict\nmx: a\nmax_age: 1\n").is_err());
        assert!(mx_matches("*.example.net", "mx.example.net"));
        assert!(!mx_matches("*.example.net", "a.b.example.net"));
        assert!(!mx_matches("*.example.net", "example.net"));
        assert!(mx_matches("MX1.example.com", "mx1.example.com."));
    }
}
