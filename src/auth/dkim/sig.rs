//! Signing parameters common to DKIM-Signature, ARC-Message-Signature and ARC-Seal, parsed
//! into typed values with typed errors.

use super::canon::Canon;
use super::key::{Hash, KeyType};
use crate::auth::tags::{TagList, decode_base64};

/// What is wrong with a signature header field's tags.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigError {
    /// A required tag is absent.
    #[error("missing required tag {0}=")]
    Missing(&'static str),
    /// A numeric tag that is not a number.
    #[error("{name}= is not a number: {value:?}")]
    NotANumber {
        /// The tag.
        name: &'static str,
        /// Its value.
        value: String,
    },
    /// A number too large.
    #[error("{name}= is out of range: {value:?}")]
    OutOfRange {
        /// The tag.
        name: &'static str,
        /// Its value.
        value: String,
    },
    /// `a=` names no known algorithm.
    #[error("unknown algorithm a={0}")]
    Algorithm(String),
    /// `b=` / `bh=` not base64.
    #[error("{0}= is not valid base64")]
    Base64(&'static str),
    /// `b=` empty.
    #[error("b= is empty")]
    EmptySignature,
    /// `d=` or `s=` empty.
    #[error("d= and s= must not be empty")]
    EmptyDomainOrSelector,
    /// `c=` names no known canonicalization.
    #[error("unknown canonicalization c={0}")]
    Canonicalization(String),
    /// `h=` holds a name that is no field name.
    #[error("h= has an invalid header name {0:?}")]
    HeaderName(String),
    /// `x=` before `t=`.
    #[error("x= ({x}) is before t= ({t})")]
    ExpiresBeforeSigned {
        /// `x=`.
        x: u64,
        /// `t=`.
        t: u64,
    },
    /// DKIM `v=` other than 1.
    #[error("v={0} (must be 1)")]
    Version(String),
    /// DKIM `h=` without From (RFC 6376 §5.4).
    #[error("h= does not include From")]
    FromNotSigned,
    /// `q=` without dns/txt.
    #[error("unsupported query method q={0}")]
    QueryMethod(String),
    /// `i=` without `@`.
    #[error("i= has no '@'")]
    IdentityNoAt,
    /// `i=` outside `d=`.
    #[error("i= domain {identity} is not d={domain} or below it")]
    IdentityOutsideDomain {
        /// The i= domain.
        identity: String,
        /// d=.
        domain: String,
    },
    /// ARC allows SHA-256 only.
    #[error("a={0} is not allowed in ARC")]
    ArcAlgorithm(String),
    /// ARC `d=` that is not a domain name.
    #[error("d={0} is not a valid domain name")]
    ArcDomain(String),
}

#[derive(Debug, Clone)]
pub struct SigParams {
    pub algorithm: String,
    pub key_type: KeyType,
    pub hash: Hash,
    pub b: Vec<u8>,
    pub bh: Vec<u8>,
    pub header_canon: Canon,
    pub body_canon: Canon,
    pub domain: String,
    pub selector: String,
    pub headers: Vec<String>,
    pub length: Option<u64>,
    pub timestamp: Option<u64>,
    pub expiration: Option<u64>,
}

pub(crate) fn required<'a>(tags: &'a TagList, name: &'static str) -> Result<&'a str, SigError> {
    tags.get(name).ok_or(SigError::Missing(name))
}

fn number(tags: &TagList, name: &'static str) -> Result<Option<u64>, SigError> {
    tags.get(name)
        .map(|v| {
            let v = crate::auth::tags::strip_ws(v);
            if v.is_empty() || v.len() > 20 || !v.bytes().all(|b| b.is_ascii_digit()) {
                return Err(SigError::NotANumber { name, value: v });
            }
            v.parse::<u64>().map_err(|_| SigError::OutOfRange {
                name,
                value: v.clone(),
            })
        })
        .transpose()
}

/// A domain at its A-label (RFC 8616 allows U-labels in `d=` and `i=`; DNS holds A-labels).
/// A name IDNA refuses stays as written, and its key is then not found.
pub(crate) fn ascii_domain(d: String) -> String {
    if d.is_ascii() {
        return d;
    }
    crate::message::author::a_label(&d).unwrap_or(d)
}

/// `a=`: the key type and hash it names.
pub fn parse_algorithm(a: &str) -> Result<(KeyType, Hash), SigError> {
    match a.to_ascii_lowercase().as_str() {
        "rsa-sha256" => Ok((KeyType::Rsa, Hash::Sha256)),
        "rsa-sha1" => Ok((KeyType::Rsa, Hash::Sha1)),
        "ed25519-sha256" => Ok((KeyType::Ed25519, Hash::Sha256)),
        other => Err(SigError::Algorithm(other.to_string())),
    }
}

/// Which header the parameters come from: the defaults and required tags differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigKind {
    Dkim,
    /// ARC-Message-Signature: like DKIM, but c= defaults to relaxed/relaxed.
    ArcMessage,
    /// ARC-Seal: no body hash, header list or canonicalization.
    ArcSeal,
}

impl SigParams {
    /// The parameters of one signature field.
    pub fn parse(tags: &TagList, kind: SigKind) -> Result<SigParams, SigError> {
        let algorithm = required(tags, "a")?.to_ascii_lowercase();
        let (key_type, hash) = parse_algorithm(&algorithm)?;
        let b = decode_base64(required(tags, "b")?).ok_or(SigError::Base64("b"))?;
        if b.is_empty() {
            return Err(SigError::EmptySignature);
        }
        let domain = ascii_domain(required(tags, "d")?.trim().to_ascii_lowercase());
        let selector = required(tags, "s")?.trim().to_ascii_lowercase();
        if domain.is_empty() || selector.is_empty() {
            return Err(SigError::EmptyDomainOrSelector);
        }
        let (bh, header_canon, body_canon, headers) = if kind != SigKind::ArcSeal {
            let bh = decode_base64(required(tags, "bh")?).ok_or(SigError::Base64("bh"))?;
            let default_c = if kind == SigKind::Dkim {
                "simple/simple"
            } else {
                "relaxed/relaxed"
            };
            let c = tags.get("c").unwrap_or(default_c);
            let (hc, bc) = c.split_once('/').unwrap_or((c, "simple"));
            let hc =
                Canon::parse(hc.trim()).ok_or_else(|| SigError::Canonicalization(c.to_string()))?;
            let bc =
                Canon::parse(bc.trim()).ok_or_else(|| SigError::Canonicalization(c.to_string()))?;
            // Empty entries (`h=from::to`, `h=`) name no header and are skipped.
            let headers: Vec<String> = required(tags, "h")?
                .split(':')
                .map(crate::auth::tags::strip_ws_lowercase)
                .filter(|h| !h.is_empty())
                .collect();
            if let Some(bad) = headers
                .iter()
                .find(|h| !h.bytes().all(|b| (33..=126).contains(&b)))
            {
                return Err(SigError::HeaderName(bad.clone()));
            }
            (bh, hc, bc, headers)
        } else {
            (Vec::new(), Canon::Relaxed, Canon::Relaxed, Vec::new())
        };
        let timestamp = number(tags, "t")?;
        let expiration = number(tags, "x")?;
        if let (Some(t), Some(x)) = (timestamp, expiration)
            && x < t
        {
            return Err(SigError::ExpiresBeforeSigned { x, t });
        }
        Ok(SigParams {
            algorithm,
            key_type,
            hash,
            b,
            bh,
            header_canon,
            body_canon,
            domain,
            selector,
            headers,
            length: number(tags, "l")?,
            timestamp,
            expiration,
        })
    }
}

/// The field with the value of its `b=` tag deleted (whitespace around it included).
pub fn strip_b_value(raw: &[u8]) -> Vec<u8> {
    let colon = raw.iter().position(|&b| b == b':').map_or(0, |c| c + 1);
    // At most the field itself: one allocation.
    let mut out = Vec::with_capacity(raw.len());
    out.extend_from_slice(&raw[..colon]);
    let value = &raw[colon..];
    let mut start = 0;
    while start <= value.len() {
        let end = value[start..]
            .iter()
            .position(|&b| b == b';')
            .map_or(value.len(), |p| start + p);
        let segment = &value[start..end];
        let eq = segment.iter().position(|&b| b == b'=');
        let is_b = eq.is_some_and(|e| {
            segment[..e]
                .iter()
                .filter(|b| !b.is_ascii_whitespace())
                .eq(b"b".iter())
        });
        match (is_b, eq) {
            (true, Some(e)) => out.extend_from_slice(&segment[..=e]),
            _ => out.extend_from_slice(segment),
        }
        if end < value.len() {
            out.push(b';');
        }
        start = end + 1;
    }
    out
}

/// A DKIM-Signature's parameters with the DKIM-only rules (v=1, From signed, q=, i= in d=).
pub(crate) fn parse_dkim(tags: &TagList) -> Result<SigParams, SigError> {
    let v = required(tags, "v")?;
    if v.trim() != "1" {
        return Err(SigError::Version(v.to_string()));
    }
    let params = SigParams::parse(tags, SigKind::Dkim)?;
    if !params.headers.iter().any(|h| h == "from") {
        return Err(SigError::FromNotSigned);
    }
    if let Some(q) = tags.get("q")
        && !q
            .split(':')
            .any(|m| m.trim().eq_ignore_ascii_case("dns/txt"))
    {
        return Err(SigError::QueryMethod(q.to_string()));
    }
    if let Some(i) = tags.get("i") {
        let domain = i
            .rsplit_once('@')
            .map(|(_, d)| ascii_domain(d.trim().to_ascii_lowercase()))
            .ok_or(SigError::IdentityNoAt)?;
        if !crate::dns::name::is_subdomain_of(&domain, &params.domain) {
            return Err(SigError::IdentityOutsideDomain {
                identity: domain,
                domain: params.domain.clone(),
            });
        }
    }
    Ok(params)
}
