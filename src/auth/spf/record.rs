//! SPF record syntax (RFC 7208 §4.6, §5, §6, §12): terms, CIDR lengths, domain-specs.
//! A record with any syntax error anywhere is a permerror before anything is evaluated.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::macros::{self, MacroError};

/// Why an SPF record does not parse (RFC 7208 §4.6, §12): a permerror before any evaluation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxError {
    /// The text does not start with `v=spf1`.
    #[error("not an SPF record (does not start with v=spf1)")]
    NotSpf,
    /// Bytes that are not UTF-8.
    #[error("record is not ASCII")]
    NotUtf8,
    /// Characters outside ASCII.
    #[error("record contains non-ASCII characters")]
    NonAscii,
    /// A control character.
    #[error("record contains control character {0:?}")]
    Control(char),
    /// A modifier given twice.
    #[error("{0}= appears more than once")]
    Repeated(&'static str),
    /// An unknown modifier whose value is not a macro-string.
    #[error("modifier {name}=: {error}")]
    Modifier {
        /// The modifier name.
        name: String,
        /// What is wrong with its value.
        error: MacroError,
    },
    /// A term that is no mechanism.
    #[error("unknown mechanism {0:?}")]
    UnknownMechanism(String),
    /// `include` / `exists` without `:domain`.
    #[error("{0} needs ':domain'")]
    NeedsDomain(String),
    /// `ptr` with something other than `:domain`.
    #[error("bad ptr argument {0:?}")]
    PtrArgument(String),
    /// `ip4` / `ip6` without an address.
    #[error("{0} needs an address")]
    NeedsAddress(&'static str),
    /// An address that does not parse.
    #[error("bad {family} address {text:?}")]
    Address {
        /// `IPv4` or `IPv6`.
        family: &'static str,
        /// The text given.
        text: String,
    },
    /// An `a` / `mx` argument that is neither `:domain` nor a CIDR length.
    #[error("bad argument {0:?}")]
    Argument(String),
    /// A prefix length with leading zeros, too large, or not a number.
    #[error("bad CIDR length /{0}")]
    CidrLength(String),
    /// An empty domain-spec.
    #[error("empty domain-spec")]
    EmptyDomainSpec,
    /// A domain-spec with one label only.
    #[error("domain-spec {0:?} has no top-level label")]
    NoTopLabel(String),
    /// A domain-spec whose last label is not a top-level label.
    #[error("domain-spec {0:?} does not end in a valid top-level label")]
    BadTopLabel(String),
    /// A macro-string that does not follow §7.1.
    #[error(transparent)]
    Macro(#[from] MacroError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier {
    Pass,
    Fail,
    SoftFail,
    Neutral,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mechanism {
    All,
    Include(String),
    A {
        domain: Option<String>,
        v4: u8,
        v6: u8,
    },
    Mx {
        domain: Option<String>,
        v4: u8,
        v6: u8,
    },
    Ptr(Option<String>),
    Ip4(Ipv4Addr, u8),
    Ip6(Ipv6Addr, u8),
    Exists(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    Directive {
        qualifier: Qualifier,
        mechanism: Mechanism,
        text: String,
    },
    Redirect(String),
    Exp(String),
    /// Unknown modifiers are ignored (but must be well-formed).
    Unknown,
}

#[derive(Debug, Clone)]
pub struct Record {
    pub terms: Vec<Term>,
    pub redirect: Option<String>,
    pub exp: Option<String>,
}

/// Whether a TXT string is an SPF record: `v=spf1` followed by a space or nothing.
pub fn is_spf(txt: &[u8]) -> bool {
    txt.len() >= 6 && txt[..6].eq_ignore_ascii_case(b"v=spf1") && (txt.len() == 6 || txt[6] == b' ')
}

/// Parse a whole record; any error anywhere makes it unusable (§4.6).
pub fn parse(txt: &[u8]) -> Result<Record, SyntaxError> {
    if !is_spf(txt) {
        return Err(SyntaxError::NotSpf);
    }
    let text = std::str::from_utf8(txt).map_err(|_| SyntaxError::NotUtf8)?;
    if !text.is_ascii() {
        return Err(SyntaxError::NonAscii);
    }
    if let Some(c) = text.chars().find(|c| c.is_ascii_control()) {
        return Err(SyntaxError::Control(c));
    }
    let mut terms = Vec::new();
    let mut redirect = None;
    let mut exp = None;
    for token in text[6..].split(' ').filter(|t| !t.is_empty()) {
        let term = parse_term(token)?;
        match &term {
            Term::Redirect(d) if redirect.replace(d.clone()).is_some() => {
                return Err(SyntaxError::Repeated("redirect"));
            }
            Term::Exp(d) if exp.replace(d.clone()).is_some() => {
                return Err(SyntaxError::Repeated("exp"));
            }
            _ => {}
        }
        terms.push(term);
    }
    Ok(Record {
        terms,
        redirect,
        exp,
    })
}

fn is_modifier_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn parse_term(token: &str) -> Result<Term, SyntaxError> {
    if let Some((name, value)) = token.split_once('=')
        && is_modifier_name(name)
    {
        return match name.to_ascii_lowercase().as_str() {
            "redirect" => {
                domain_spec(value)?;
                Ok(Term::Redirect(value.to_string()))
            }
            "exp" => {
                domain_spec(value)?;
                Ok(Term::Exp(value.to_string()))
            }
            _ => {
                macros::validate(value, false).map_err(|error| SyntaxError::Modifier {
                    name: name.to_string(),
                    error,
                })?;
                Ok(Term::Unknown)
            }
        };
    }
    let (qualifier, rest) = match token.as_bytes()[0] {
        b'+' => (Qualifier::Pass, &token[1..]),
        b'-' => (Qualifier::Fail, &token[1..]),
        b'~' => (Qualifier::SoftFail, &token[1..]),
        b'?' => (Qualifier::Neutral, &token[1..]),
        _ => (Qualifier::Pass, token),
    };
    let split = rest.find([':', '/']).unwrap_or(rest.len());
    let (name, arg) = rest.split_at(split);
    let mechanism = match name.to_ascii_lowercase().as_str() {
        "all" if arg.is_empty() => Mechanism::All,
        "include" => Mechanism::Include(required_domain(arg, name)?),
        "exists" => Mechanism::Exists(required_domain(arg, name)?),
        "a" | "mx" => {
            let (domain, v4, v6) = domain_and_cidr(arg)?;
            if name.eq_ignore_ascii_case("a") {
                Mechanism::A { domain, v4, v6 }
            } else {
                Mechanism::Mx { domain, v4, v6 }
            }
        }
        "ptr" => {
            let domain = match arg.strip_prefix(':') {
                Some(d) => Some(domain_spec(d)?),
                None if arg.is_empty() => None,
                None => return Err(SyntaxError::PtrArgument(arg.to_string())),
            };
            Mechanism::Ptr(domain)
        }
        "ip4" => {
            let arg = arg
                .strip_prefix(':')
                .ok_or(SyntaxError::NeedsAddress("ip4"))?;
            let (addr, len) = split_cidr(arg, 32)?;
            let ip = addr.parse::<Ipv4Addr>().map_err(|_| SyntaxError::Address {
                family: "IPv4",
                text: addr.to_string(),
            })?;
            Mechanism::Ip4(ip, len.unwrap_or(32))
        }
        "ip6" => {
            let arg = arg
                .strip_prefix(':')
                .ok_or(SyntaxError::NeedsAddress("ip6"))?;
            let (addr, len) = split_cidr(arg, 128)?;
            let ip = addr.parse::<Ipv6Addr>().map_err(|_| SyntaxError::Address {
                family: "IPv6",
                text: addr.to_string(),
            })?;
            Mechanism::Ip6(ip, len.unwrap_or(128))
        }
        _ => return Err(SyntaxError::UnknownMechanism(token.to_string())),
    };
    Ok(Term::Directive {
        qualifier,
        mechanism,
        text: token.to_string(),
    })
}

fn required_domain(arg: &str, name: &str) -> Result<String, SyntaxError> {
    let d = arg
        .strip_prefix(':')
        .ok_or_else(|| SyntaxError::NeedsDomain(name.to_string()))?;
    domain_spec(d)
}

/// `a` / `mx` arguments: `[:domain-spec][/v4-cidr][//v6-cidr]`. The CIDR lengths are taken
/// from the end: a domain-spec may itself hold `/` and `:` (RFC 7208 §7.1).
fn domain_and_cidr(arg: &str) -> Result<(Option<String>, u8, u8), SyntaxError> {
    let digits_after = |s: &str, sep: &str| -> Option<usize> {
        let i = s.rfind(sep)?;
        let tail = &s[i + sep.len()..];
        (!tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit())).then_some(i)
    };
    let mut rest = arg;
    let mut v6 = 128;
    if let Some(i) = digits_after(rest, "//") {
        v6 = cidr_len(&rest[i + 2..], 128)?;
        rest = &rest[..i];
    }
    let mut v4 = 32;
    if let Some(i) = digits_after(rest, "/")
        && !rest[..i].ends_with('/')
    {
        v4 = cidr_len(&rest[i + 1..], 32)?;
        rest = &rest[..i];
    }
    let domain = match rest.strip_prefix(':') {
        Some(d) => Some(domain_spec(d)?),
        None if rest.is_empty() => None,
        None => return Err(SyntaxError::Argument(arg.to_string())),
    };
    Ok((domain, v4, v6))
}

fn split_cidr(arg: &str, max: u8) -> Result<(&str, Option<u8>), SyntaxError> {
    match arg.split_once('/') {
        Some((addr, len)) => Ok((addr, Some(cidr_len(len, max)?))),
        None => Ok((arg, None)),
    }
}

/// `"0" / %x31-39 0*1DIGIT` (no leading zeros), at most `max`.
fn cidr_len(s: &str, max: u8) -> Result<u8, SyntaxError> {
    let ok = !s.is_empty()
        && s.len() <= 3
        && s.bytes().all(|b| b.is_ascii_digit())
        && (s == "0" || !s.starts_with('0'));
    let n: u8 = if ok {
        s.parse().unwrap_or(u8::MAX)
    } else {
        u8::MAX
    };
    if n > max {
        return Err(SyntaxError::CidrLength(s.to_string()));
    }
    Ok(n)
}

/// Check a domain-spec: a valid macro-string ending in a macro or in "." toplabel ["."].
pub fn domain_spec(spec: &str) -> Result<String, SyntaxError> {
    if spec.is_empty() {
        return Err(SyntaxError::EmptyDomainSpec);
    }
    macros::validate(spec, false)?;
    if spec.ends_with('}') {
        return Ok(spec.to_string());
    }
    let trimmed = spec.strip_suffix('.').unwrap_or(spec);
    let Some((_, top)) = trimmed.rsplit_once('.') else {
        return Err(SyntaxError::NoTopLabel(spec.to_string()));
    };
    if !is_toplabel(top) {
        return Err(SyntaxError::BadTopLabel(spec.to_string()));
    }
    Ok(spec.to_string())
}

fn is_toplabel(l: &str) -> bool {
    let b = l.as_bytes();
    if b.is_empty() || !b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-') {
        return false;
    }
    if b.contains(&b'-') {
        b[0].is_ascii_alphanumeric() && b[b.len() - 1].is_ascii_alphanumeric()
    } else {
        b.iter().any(u8::is_ascii_alphabetic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_mechanisms_with_cidr() {
        let r = parse(b"v=spf1 a/24//64 mx:example.com/30 ip4:192.0.2.0/24 -all").expect("parses");
        assert_eq!(r.terms.len(), 4);
        assert!(matches!(
            r.terms[0],
            Term::Directive {
                mechanism: Mechanism::A { v4: 24, v6: 64, .. },
                ..
            }
        ));
    }

    #[test]
    fn rejects_bad_syntax() {
        assert!(parse(b"v=spf1 ip4:1.2.3.4/033").is_err());
        assert!(parse(b"v=spf1 foo:bar").is_err());
        assert!(parse(b"v=spf1 a:example").is_err());
        assert!(parse(b"v=spf1 redirect=a.example redirect=b.example").is_err());
        assert!(parse(b"v=spf1 a/").is_err() && parse(b"v=spf1 a//129").is_err());
        let r =
            parse(b"v=spf1 a:foo:bar/baz.example.com/24").expect("colon and slash in domain-spec");
        assert!(
            matches!(&r.terms[0], Term::Directive { mechanism: Mechanism::A { domain: Some(d), v4: 24, .. }, .. } if d == "foo:bar/baz.example.com")
        );
        assert!(is_spf(b"v=spf1") && !is_spf(b"v=spf10"));
        // Found by the mutation suite: a record shorter than the version tag.
        assert!(parse(b"v=s").is_err() && parse(b"").is_err());
    }
}
