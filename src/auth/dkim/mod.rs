//! DKIM verification (RFC 6376, RFC 8301, RFC 8463) with a precise reason for every result.
//! The signing-parameter parsing and the hash/verify steps are shared with ARC.

pub mod canon;
mod cause;
pub mod explain;
mod fields;
pub mod key;
pub(crate) mod sig;

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use fields::FieldIndex;

use canon::Canon;
use key::{Hash, KeyRecord, MAX_RSA_BITS, MIN_RSA_BITS, PublicKey};
use serde::Serialize;

use crate::auth::tags::TagList;
use crate::common::{AuthResult, as_text};
use crate::dns::{Dns, Failure};
use crate::message::{Field, Message};
pub use cause::{DkimCause, KeyProblem, KeyUnusable};
pub use sig::{SigError, SigKind, SigParams, strip_b_value};

/// One DKIM-Signature verified: result, cause and the facts of signature and key.
#[derive(Debug, Clone, Serialize)]
pub struct DkimReport {
    /// The RFC 8601 result.
    pub result: AuthResult,
    /// `d=`.
    pub domain: Option<String>,
    /// `s=`.
    pub selector: Option<String>,
    /// `a=`.
    pub algorithm: Option<String>,
    /// The key record's `k=`.
    pub key_type: Option<String>,
    /// The key size in bits.
    pub key_bits: Option<usize>,
    /// `c=` as header/body.
    pub canonicalization: Option<String>,
    /// The `l=` value when present.
    pub body_length: Option<u64>,
    /// Body octets (canonical) left outside the signature by `l=`.
    pub body_unsigned_bytes: Option<u64>,
    /// `h=`, lower-cased.
    pub signed_headers: Vec<String>,
    /// Whether `h=` includes From.
    pub from_signed: bool,
    /// Header names signed more often than they occur: protected against added copies.
    pub oversigned: Vec<String>,
    /// `i=` (default `@d=`).
    pub identity: Option<String>,
    /// `t=`.
    pub timestamp: Option<u64>,
    /// `x=`.
    pub expiration: Option<u64>,
    /// The key is in testing mode (`t=y`).
    pub testing: bool,
    /// Why: the cause, as words.
    #[serde(serialize_with = "as_text")]
    pub reason: DkimCause,
    /// Whether `d=` aligns with the author domain (set by DMARC).
    pub aligned: bool,
    /// The first characters of b= (RFC 6008 header.b).
    pub header_b: Option<String>,
}

/// Parameters common to DKIM-Signature and ARC-Message-Signature / ARC-Seal.
/// At most this many DKIM-Signature fields are verified per message; the rest are reported.
pub const MAX_SIGNATURES: usize = 10;

/// Work shared by every signature of one message: canonical bodies and where each header
/// field name occurs, computed once (so many signatures or long h= lists stay linear).
#[derive(Default)]
pub struct Bodies {
    simple: OnceLock<Vec<u8>>,
    relaxed: OnceLock<Vec<u8>>,
    fields: OnceLock<FieldIndex>,
    /// Body hashes computed so far, by (canonicalization, hash, octets hashed): signatures
    /// that share them (DKIM and ARC, RSA and Ed25519 over the same body) hash the body once.
    hashes: Mutex<Vec<BodyHash>>,
}

/// One body hash: (canonicalization, hash, `l=` octets or the whole body) and the digest.
type BodyHash = (Canon, Hash, Option<usize>, Vec<u8>);

impl Bodies {
    pub fn get(&self, c: Canon, body: &[u8]) -> &[u8] {
        let cell = match c {
            Canon::Simple => &self.simple,
            Canon::Relaxed => &self.relaxed,
        };
        cell.get_or_init(|| canon::body(c, body))
    }

    /// The digest of the canonical body (its first `length` octets when given, which the
    /// caller has checked are there), computed once per (canonicalization, hash, length).
    pub fn digest(&self, c: Canon, hash: Hash, length: Option<usize>, body: &[u8]) -> Vec<u8> {
        let key = |h: &BodyHash| h.0 == c && h.1 == hash && h.2 == length;
        if let Ok(done) = self.hashes.lock()
            && let Some(h) = done.iter().find(|h| key(h))
        {
            return h.3.clone();
        }
        let hashed = length.and_then(|l| body.get(..l)).unwrap_or(body);
        let d = key::digest(hash, hashed);
        if let Ok(mut done) = self.hashes.lock() {
            done.push((c, hash, length, d.clone()));
        }
        d
    }

    /// Where the fields of each name are (see [`FieldIndex::get`]).
    pub fn positions(&self, msg: &Message) -> &FieldIndex {
        self.fields.get_or_init(|| FieldIndex::new(msg))
    }
}

/// The key record at `selector._domainkey.domain`: the first that parses.
pub fn lookup_key(dns: &Dns, selector: &str, domain: &str) -> Result<KeyRecord, KeyProblem> {
    let name = format!("{selector}._domainkey.{domain}");
    let records = dns.txt(&name).map_err(KeyProblem::Dns)?;
    let mut first_error = None;
    for r in &records {
        match key::parse_cached(r) {
            Ok(k) => return Ok(k),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.map_or(KeyProblem::Dns(Failure::NoData), KeyProblem::Invalid))
}

/// The header block a signature covers: the selected fields (bottom-most unused instance first,
/// RFC 6376 §5.4.2), then the signature field itself with its b= value removed and no CRLF.
pub fn signed_data(
    msg: &Message,
    bodies: &Bodies,
    headers: &[String],
    canon: Canon,
    own: &Field,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    let positions = bodies.positions(msg);
    let own_at = msg.fields.iter().position(|f| std::ptr::eq(f.raw, own.raw));
    let mut used: HashMap<&str, usize> = HashMap::new();
    for name in headers {
        let count = used.entry(name.as_str()).or_insert(0);
        let candidate = nth_from_bottom(positions.get(msg, name), own_at, *count);
        if let Some(i) = candidate {
            canon::header(canon, msg.fields[i].raw, &mut out);
        }
        *count += 1;
    }
    let stripped = strip_b_value(own.raw);
    canon::header(canon, &stripped, &mut out);
    if out.ends_with(b"\r\n") {
        out.truncate(out.len() - 2);
    }
    out
}

/// The `k`-th field (0 = bottom-most) of an ascending position list, skipping the signature's
/// own field: O(log n), so an `h=` that names one field a million times stays linear.
fn nth_from_bottom(at: &[usize], own: Option<usize>, k: usize) -> Option<usize> {
    let own_pos = own.and_then(|o| at.binary_search(&o).ok());
    let len = at.len() - usize::from(own_pos.is_some());
    let j = len.checked_sub(k + 1)?;
    Some(match own_pos {
        Some(p) if j >= p => at[j + 1],
        _ => at[j],
    })
}

/// Body-hash and signature outcome once a usable key is in hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CryptoOutcome {
    Pass,
    BodyTooShort,
    BodyHashMismatch,
    BadSignature,
}

pub fn check_crypto(
    params: &SigParams,
    key: &PublicKey,
    msg: &Message,
    bodies: &Bodies,
    own: &Field,
) -> CryptoOutcome {
    let body = bodies.get(params.body_canon, msg.body);
    let length = match params.length {
        Some(l) => match usize::try_from(l).ok().filter(|&l| l <= body.len()) {
            Some(l) => Some(l),
            None => return CryptoOutcome::BodyTooShort,
        },
        None => None,
    };
    if bodies.digest(params.body_canon, params.hash, length, body) != params.bh {
        return CryptoOutcome::BodyHashMismatch;
    }
    let data = signed_data(msg, bodies, &params.headers, params.header_canon, own);
    if key::verify(key, params.hash, &data, &params.b) {
        CryptoOutcome::Pass
    } else {
        CryptoOutcome::BadSignature
    }
}

/// Why a key cannot be used for this signature, if it cannot (RFC 6376 §6.1.2, RFC 8301).
pub fn key_unusable(params: &SigParams, rec: &KeyRecord) -> Option<KeyUnusable> {
    let Some(key) = &rec.key else {
        return Some(KeyUnusable::Revoked);
    };
    if rec.key_type != params.key_type {
        return Some(KeyUnusable::TypeMismatch {
            key: rec.key_type.name(),
            algorithm: params.algorithm.clone(),
        });
    }
    let hash = match params.hash {
        Hash::Sha1 => "sha1",
        Hash::Sha256 => "sha256",
    };
    if let Some(h) = &rec.hashes
        && !h.iter().any(|x| x == hash)
    {
        return Some(KeyUnusable::HashNotAllowed {
            allowed: h.clone(),
            hash,
        });
    }
    if !rec.services.iter().any(|s| s == "*" || s == "email") {
        return Some(KeyUnusable::NotForEmail);
    }
    match key {
        PublicKey::Rsa { bits, .. } if *bits < MIN_RSA_BITS => Some(KeyUnusable::Weak(*bits)),
        PublicKey::Rsa { bits, .. } if *bits > MAX_RSA_BITS => Some(KeyUnusable::Huge(*bits)),
        _ => None,
    }
}

/// Verify the DKIM-Signature fields, top to bottom, at most [`MAX_SIGNATURES`]; the second
/// value counts the fields left unverified.
pub fn verify_all(msg: &Message, dns: &Dns, at: u64, bodies: &Bodies) -> (Vec<DkimReport>, usize) {
    let parallel = dns.is_remote();
    let all: Vec<&Field> = msg
        .fields
        .iter()
        .filter(|f| f.is("DKIM-Signature"))
        .collect();
    // On live DNS the key lookups are independent round trips: one thread per signature.
    let first = &all[..all.len().min(MAX_SIGNATURES)];
    let checked = crate::common::map(parallel, first, |f| verify_one(msg, f, dns, at, bodies));
    (checked, all.len().saturating_sub(MAX_SIGNATURES))
}

fn empty_report(reason: DkimCause) -> DkimReport {
    DkimReport {
        result: reason.result(),
        domain: None,
        selector: None,
        algorithm: None,
        key_type: None,
        key_bits: None,
        canonicalization: None,
        body_length: None,
        body_unsigned_bytes: None,
        signed_headers: Vec::new(),
        from_signed: false,
        oversigned: Vec::new(),
        identity: None,
        timestamp: None,
        expiration: None,
        testing: false,
        reason,
        aligned: false,
        header_b: None,
    }
}

/// Verify one DKIM-Signature field.
pub fn verify_one(msg: &Message, field: &Field, dns: &Dns, at: u64, bodies: &Bodies) -> DkimReport {
    let text = field.text();
    let tags = match TagList::parse(&text) {
        Ok(t) => t,
        Err(e) => return empty_report(DkimCause::TagSyntax(e)),
    };
    let params = sig::parse_dkim(&tags);
    let mut report = empty_report(match &params {
        Ok(_) => DkimCause::Verified,
        Err(e) => DkimCause::Syntax(e.clone()),
    });
    report.domain = tags.get("d").map(|d| d.trim().to_ascii_lowercase());
    report.selector = tags.get("s").map(|s| s.trim().to_ascii_lowercase());
    report.header_b = tags.get("b").map(|b| {
        b.chars()
            .filter(|&c| !crate::auth::tags::is_wsp(c))
            .take(8)
            .collect()
    });
    let Ok(params) = params else {
        return report;
    };
    report.domain = Some(params.domain.clone());
    describe(&mut report, &params, msg, bodies);
    report.identity = Some(
        tags.get("i")
            .map_or_else(|| format!("@{}", params.domain), str::to_string),
    );
    let cause = verify_with_key(msg, field, dns, at, bodies, &params, &mut report);
    report.result = cause.result();
    report.reason = cause;
    // Moved, not copied, once nothing else needs them.
    report.signed_headers = params.headers;
    report
}

/// Expiry, the key, then body hash and signature: the cause of the result.
fn verify_with_key(
    msg: &Message,
    field: &Field,
    dns: &Dns,
    at: u64,
    bodies: &Bodies,
    params: &SigParams,
    report: &mut DkimReport,
) -> DkimCause {
    if let Some(x) = params.expiration
        && x < at
    {
        return DkimCause::Expired {
            x: rfc3339(x),
            at: rfc3339(at),
        };
    }
    let rec = match lookup_key(dns, &params.selector, &params.domain) {
        Ok(k) => k,
        Err(problem) => {
            return DkimCause::Key {
                name: format!("{}._domainkey.{}", params.selector, params.domain),
                problem,
            };
        }
    };
    report.testing = rec.testing;
    report.key_type = Some(rec.key_type.name().to_string());
    report.key_bits = rec.key.as_ref().map(PublicKey::bits);
    if let Some(u) = key_unusable(params, &rec) {
        return DkimCause::Unusable(u);
    }
    if rec.strict_identity {
        let i_domain = report
            .identity
            .as_deref()
            .and_then(|i| i.rsplit_once('@'))
            .map(|(_, d)| d.to_ascii_lowercase());
        if i_domain.as_deref() != Some(params.domain.as_str()) {
            return DkimCause::StrictIdentity;
        }
    }
    let Some(key) = &rec.key else {
        return DkimCause::Unusable(KeyUnusable::Revoked);
    };
    let cause = match check_crypto(params, key, msg, bodies, field) {
        CryptoOutcome::Pass if params.hash == Hash::Sha1 => DkimCause::Sha1,
        CryptoOutcome::Pass => DkimCause::Verified,
        CryptoOutcome::BodyTooShort => DkimCause::BodyTooShort(params.length.unwrap_or(0)),
        CryptoOutcome::BodyHashMismatch => DkimCause::BodyHashMismatch {
            length_used: params.length.is_some(),
        },
        CryptoOutcome::BadSignature => DkimCause::BadSignature,
    };
    if rec.testing {
        DkimCause::Testing(Box::new(cause))
    } else {
        cause
    }
}

/// Fill the descriptive fields of a report from the signing parameters (but `h=` itself,
/// which the caller moves in when verification is done).
fn describe(report: &mut DkimReport, params: &SigParams, msg: &Message, bodies: &Bodies) {
    report.algorithm = Some(params.algorithm.clone());
    report.canonicalization = Some(format!(
        "{}/{}",
        params.header_canon.name(),
        params.body_canon.name()
    ));
    report.body_length = params.length;
    if let Some(l) = params.length {
        let total = bodies.get(params.body_canon, msg.body).len() as u64;
        report.body_unsigned_bytes = Some(total.saturating_sub(l));
    }
    report.from_signed = params.headers.iter().any(|h| h == "from");
    let positions = bodies.positions(msg);
    let mut signed: HashMap<&str, usize> = HashMap::new();
    for name in &params.headers {
        *signed.entry(name.as_str()).or_default() += 1;
    }
    let mut over: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for name in &params.headers {
        let present = positions.get(msg, name).len();
        if signed[name.as_str()] > present && seen.insert(name.as_str()) {
            over.push(name.clone());
        }
    }
    report.oversigned = over;
    report.timestamp = params.timestamp;
    report.expiration = params.expiration;
}

/// Unix seconds as RFC 3339 (UTC).
pub fn rfc3339(ts: u64) -> String {
    mail_parser::DateTime::from_timestamp(i64::try_from(ts).unwrap_or(i64::MAX)).to_rfc3339()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Header selection takes instances bottom-up and never the signature's own field, the same
    /// as filtering the list each time (RFC 6376 §5.4.2).
    #[test]
    fn nth_from_bottom_skips_the_signature_field() {
        let at = [1, 4, 7, 9];
        let naive = |own: Option<usize>, k: usize| {
            at.iter().rev().copied().filter(|&i| Some(i) != own).nth(k)
        };
        for own in [None, Some(1), Some(4), Some(9), Some(5)] {
            for k in 0..6 {
                assert_eq!(
                    nth_from_bottom(&at, own, k),
                    naive(own, k),
                    "own {own:?} k {k}"
                );
            }
        }
    }

    /// The canonical bodies and field index are computed once per message and shared.
    #[test]
    fn bodies_are_cached_per_canonicalization() {
        let wire = b"From: a@example.com\r\nSubject: x\r\nsubject: y\r\n\r\nbody  \r\n\r\n";
        let msg = Message::parse(wire).expect("message");
        let b = Bodies::default();
        assert_eq!(b.get(Canon::Relaxed, msg.body), b"body\r\n");
        assert_eq!(b.get(Canon::Simple, msg.body), b"body  \r\n");
        assert_eq!(b.positions(&msg).get(&msg, "subject"), &[1, 2]);
    }
}
