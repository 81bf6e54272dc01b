//! DKIM verification (RFC 6376, RFC 8301, RFC 8463) with a precise reason for every result.
//! The signing-parameter parsing and the hash/verify steps are shared with ARC.

pub mod canon;
pub mod key;

use std::collections::HashMap;
use std::sync::OnceLock;

use canon::Canon;
use key::{Hash, KeyError, KeyRecord, KeyType, MAX_RSA_BITS, MIN_RSA_BITS, PublicKey};

use crate::auth::tags::{TagList, decode_base64};
use crate::dns::{Dns, Failure};
use crate::message::{Field, Message};
use serde::Serialize;

use crate::common::AuthResult;

#[derive(Debug, Clone, Serialize)]
pub struct DkimReport {
    pub result: AuthResult,
    pub domain: Option<String>,
    pub selector: Option<String>,
    pub algorithm: Option<String>,
    pub key_type: Option<String>,
    pub key_bits: Option<usize>,
    pub canonicalization: Option<String>,
    /// The `l=` value when present.
    pub body_length: Option<u64>,
    /// Body octets (canonical) left outside the signature by `l=`.
    pub body_unsigned_bytes: Option<u64>,
    pub signed_headers: Vec<String>,
    pub from_signed: bool,
    /// Header names signed more often than they occur: protected against added copies.
    pub oversigned: Vec<String>,
    pub identity: Option<String>,
    pub timestamp: Option<u64>,
    pub expiration: Option<u64>,
    pub testing: bool,
    pub reason: String,
    pub aligned: bool,
    /// The first characters of b= (RFC 6008 header.b).
    pub header_b: Option<String>,
}

/// Parameters common to DKIM-Signature and ARC-Message-Signature / ARC-Seal.
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

/// A problem with a signature header, as words for the report.
pub type SyntaxError = String;

fn required<'a>(tags: &'a TagList, name: &str) -> Result<&'a str, SyntaxError> {
    tags.get(name)
        .ok_or_else(|| format!("missing required tag {name}="))
}

fn number(tags: &TagList, name: &str) -> Result<Option<u64>, SyntaxError> {
    tags.get(name)
        .map(|v| {
            let v = crate::auth::tags::strip_ws(v);
            if v.is_empty() || v.len() > 20 || !v.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("{name}= is not a number: {v:?}"));
            }
            v.parse::<u64>()
                .map_err(|_| format!("{name}= is out of range: {v:?}"))
        })
        .transpose()
}

pub fn parse_algorithm(a: &str) -> Result<(KeyType, Hash), SyntaxError> {
    match a.to_ascii_lowercase().as_str() {
        "rsa-sha256" => Ok((KeyType::Rsa, Hash::Sha256)),
        "rsa-sha1" => Ok((KeyType::Rsa, Hash::Sha1)),
        "ed25519-sha256" => Ok((KeyType::Ed25519, Hash::Sha256)),
        other => Err(format!("unknown algorithm a={other}")),
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
    pub fn parse(tags: &TagList, kind: SigKind) -> Result<SigParams, SyntaxError> {
        let algorithm = required(tags, "a")?.to_ascii_lowercase();
        let (key_type, hash) = parse_algorithm(&algorithm)?;
        let b = decode_base64(required(tags, "b")?).ok_or("b= is not valid base64")?;
        if b.is_empty() {
            return Err("b= is empty".into());
        }
        let domain = required(tags, "d")?.trim().to_ascii_lowercase();
        let selector = required(tags, "s")?.trim().to_ascii_lowercase();
        if domain.is_empty() || selector.is_empty() {
            return Err("d= and s= must not be empty".into());
        }
        let (bh, header_canon, body_canon, headers) = if kind != SigKind::ArcSeal {
            let bh = decode_base64(required(tags, "bh")?).ok_or("bh= is not valid base64")?;
            let default_c = if kind == SigKind::Dkim {
                "simple/simple"
            } else {
                "relaxed/relaxed"
            };
            let c = tags.get("c").unwrap_or(default_c);
            let (hc, bc) = c.split_once('/').unwrap_or((c, "simple"));
            let hc = Canon::parse(hc.trim()).ok_or(format!("unknown canonicalization c={c}"))?;
            let bc = Canon::parse(bc.trim()).ok_or(format!("unknown canonicalization c={c}"))?;
            // Empty entries (`h=from::to`, `h=`) name no header and are skipped.
            let headers: Vec<String> = required(tags, "h")?
                .split(':')
                .map(|h| crate::auth::tags::strip_ws(h).to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect();
            if let Some(bad) = headers
                .iter()
                .find(|h| !h.bytes().all(|b| (33..=126).contains(&b)))
            {
                return Err(format!("h= has an invalid header name {bad:?}"));
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
            return Err(format!("x= ({x}) is before t= ({t})"));
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

/// At most this many DKIM-Signature fields are verified per message; the rest are reported.
pub const MAX_SIGNATURES: usize = 10;

/// Work shared by every signature of one message: canonical bodies and where each header
/// field name occurs, computed once (so many signatures or long h= lists stay linear).
#[derive(Default)]
pub struct Bodies {
    simple: OnceLock<Vec<u8>>,
    relaxed: OnceLock<Vec<u8>>,
    fields: OnceLock<HashMap<String, Vec<usize>>>,
}

impl Bodies {
    pub fn get(&self, c: Canon, body: &[u8]) -> &[u8] {
        let cell = match c {
            Canon::Simple => &self.simple,
            Canon::Relaxed => &self.relaxed,
        };
        cell.get_or_init(|| canon::body(c, body))
    }

    /// Positions of the fields of each (lower-cased) name, top to bottom.
    pub fn positions(&self, msg: &Message) -> &HashMap<String, Vec<usize>> {
        self.fields.get_or_init(|| {
            let mut map: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, f) in msg.fields.iter().enumerate() {
                map.entry(String::from_utf8_lossy(f.name).to_ascii_lowercase())
                    .or_default()
                    .push(i);
            }
            map
        })
    }
}

/// Why a key could not be had.
#[derive(Debug, Clone)]
pub enum KeyProblem {
    Dns(Failure),
    Invalid(KeyError),
}

pub fn lookup_key(dns: &Dns, selector: &str, domain: &str) -> Result<KeyRecord, KeyProblem> {
    let name = format!("{selector}._domainkey.{domain}");
    let records = dns.txt(&name).map_err(KeyProblem::Dns)?;
    let mut first_error = None;
    for r in &records {
        match KeyRecord::parse(&String::from_utf8_lossy(r)) {
            Ok(k) => return Ok(k),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.map_or(KeyProblem::Dns(Failure::NoData), KeyProblem::Invalid))
}

impl KeyProblem {
    pub fn result_and_reason(&self, selector: &str, domain: &str) -> (AuthResult, String) {
        let name = format!("{selector}._domainkey.{domain}");
        match self {
            KeyProblem::Dns(f) if f.is_temporary() => (
                AuthResult::Temperror,
                format!("key lookup {name} failed: {f} (retry later)"),
            ),
            KeyProblem::Dns(f) => (
                AuthResult::Permerror,
                format!("key not found: no DKIM key record at {name} ({f})"),
            ),
            KeyProblem::Invalid(e) => (AuthResult::Permerror, format!("{e} at {name}")),
        }
    }
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
        let candidate = positions
            .get(name)
            .and_then(|at| at.iter().rev().filter(|&&i| Some(i) != own_at).nth(*count));
        if let Some(&i) = candidate {
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

/// The field with the value of its `b=` tag deleted (whitespace around it included).
pub fn strip_b_value(raw: &[u8]) -> Vec<u8> {
    let colon = raw.iter().position(|&b| b == b':').map_or(0, |c| c + 1);
    let mut out = raw[..colon].to_vec();
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
    let hashed = match params.length {
        Some(l) => match usize::try_from(l).ok().and_then(|l| body.get(..l)) {
            Some(b) => b,
            None => return CryptoOutcome::BodyTooShort,
        },
        None => body,
    };
    if key::digest(params.hash, hashed) != params.bh {
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
pub fn key_unusable(params: &SigParams, rec: &KeyRecord) -> Option<(AuthResult, String)> {
    let Some(key) = &rec.key else {
        return Some((
            AuthResult::Permerror,
            "key revoked (empty p= in the key record)".into(),
        ));
    };
    if rec.key_type != params.key_type {
        return Some((
            AuthResult::Permerror,
            format!(
                "key type {} does not match a={}",
                rec.key_type.name(),
                params.algorithm
            ),
        ));
    }
    let hash_name = match params.hash {
        Hash::Sha1 => "sha1",
        Hash::Sha256 => "sha256",
    };
    if let Some(h) = &rec.hashes
        && !h.iter().any(|x| x == hash_name)
    {
        return Some((
            AuthResult::Permerror,
            format!("key h={} does not allow {hash_name}", h.join(":")),
        ));
    }
    if !rec.services.iter().any(|s| s == "*" || s == "email") {
        return Some((
            AuthResult::Permerror,
            "key s= does not include email".into(),
        ));
    }
    if let PublicKey::Rsa { bits, .. } = key {
        if *bits < MIN_RSA_BITS {
            return Some((
                AuthResult::Policy,
                format!(
                    "RSA key of {bits} bits is too weak (RFC 8301 requires at least {MIN_RSA_BITS})"
                ),
            ));
        }
        if *bits > MAX_RSA_BITS {
            return Some((
                AuthResult::Policy,
                format!("RSA key of {bits} bits is larger than the {MAX_RSA_BITS} bits accepted"),
            ));
        }
    }
    None
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

fn empty_report(reason: String) -> DkimReport {
    DkimReport {
        result: AuthResult::Permerror,
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

pub fn verify_one(msg: &Message, field: &Field, dns: &Dns, at: u64, bodies: &Bodies) -> DkimReport {
    let text = field.text();
    let tags = match TagList::parse(&text) {
        Ok(t) => t,
        Err(e) => return empty_report(format!("syntax error in DKIM-Signature: {e}")),
    };
    let mut report = empty_report(String::new());
    report.domain = tags.get("d").map(|d| d.trim().to_ascii_lowercase());
    report.selector = tags.get("s").map(|s| s.trim().to_ascii_lowercase());
    report.header_b = tags
        .get("b")
        .map(|b| crate::auth::tags::strip_ws(b).chars().take(8).collect());
    let params = match parse_dkim(&tags) {
        Ok(p) => p,
        Err(e) => {
            report.reason = format!("syntax error in DKIM-Signature: {e}");
            return report;
        }
    };
    describe(&mut report, &params, msg, bodies);
    report.identity = Some(
        tags.get("i")
            .map_or_else(|| format!("@{}", params.domain), str::to_string),
    );

    if let Some(x) = params.expiration
        && x < at
    {
        report.result = AuthResult::Fail;
        report.reason = format!(
            "signature expired: x={} is before the verification time {}",
            rfc3339(x),
            rfc3339(at)
        );
        return report;
    }
    let rec = match lookup_key(dns, &params.selector, &params.domain) {
        Ok(k) => k,
        Err(p) => {
            (report.result, report.reason) = p.result_and_reason(&params.selector, &params.domain);
            return report;
        }
    };
    report.testing = rec.testing;
    report.key_type = Some(rec.key_type.name().to_string());
    report.key_bits = rec.key.as_ref().map(PublicKey::bits);
    if let Some((result, reason)) = key_unusable(&params, &rec) {
        report.result = result;
        report.reason = reason;
        return report;
    }
    if rec.strict_identity {
        let i_domain = report
            .identity
            .as_deref()
            .and_then(|i| i.rsplit_once('@'))
            .map(|(_, d)| d.to_ascii_lowercase());
        if i_domain.as_deref() != Some(params.domain.as_str()) {
            report.reason = "key has t=s but the i= domain is not exactly d=".into();
            return report;
        }
    }
    let Some(key) = &rec.key else {
        return report;
    };
    let outcome = check_crypto(&params, key, msg, bodies, field);
    (report.result, report.reason) = match outcome {
        CryptoOutcome::Pass => (AuthResult::Pass, "signature verified".to_string()),
        CryptoOutcome::BodyTooShort => (
            AuthResult::Fail,
            format!(
                "body shorter than l={} (body truncated after signing)",
                params.length.unwrap_or(0)
            ),
        ),
        CryptoOutcome::BodyHashMismatch => (
            AuthResult::Fail,
            if params.length.is_some() {
                "body hash mismatch (the signed part of the body was altered; l= in use)"
                    .to_string()
            } else {
                "body hash mismatch (body altered after signing; l= not used)".to_string()
            },
        ),
        CryptoOutcome::BadSignature => (
            AuthResult::Fail,
            "signature did not verify (signed header fields altered, or wrong key)".to_string(),
        ),
    };
    if params.hash == Hash::Sha1 && report.result == AuthResult::Pass {
        report.result = AuthResult::Policy;
        report.reason = "rsa-sha1 is a weak algorithm no longer allowed (RFC 8301); the signature itself verified".into();
    }
    if rec.testing {
        if report.result != AuthResult::Pass {
            report.result = AuthResult::Neutral;
        }
        report
            .reason
            .push_str("; key is in testing mode (t=y): treat as unsigned");
    }
    report
}

fn parse_dkim(tags: &TagList) -> Result<SigParams, SyntaxError> {
    let v = required(tags, "v")?;
    if v.trim() != "1" {
        return Err(format!("v={v} (must be 1)"));
    }
    let params = SigParams::parse(tags, SigKind::Dkim)?;
    if !params.headers.iter().any(|h| h == "from") {
        return Err("h= does not include From".into());
    }
    if let Some(q) = tags.get("q")
        && !q
            .split(':')
            .any(|m| m.trim().eq_ignore_ascii_case("dns/txt"))
    {
        return Err(format!("unsupported query method q={q}"));
    }
    if let Some(i) = tags.get("i") {
        let domain = i
            .rsplit_once('@')
            .map(|(_, d)| d.trim().to_ascii_lowercase())
            .ok_or("i= has no '@'")?;
        if !crate::dns::name::is_subdomain_of(&domain, &params.domain) {
            return Err(format!(
                "i= domain {domain} is not d={} or below it",
                params.domain
            ));
        }
    }
    Ok(params)
}

/// Fill the descriptive fields of a report from the signing parameters.
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
    report.signed_headers = params.headers.clone();
    report.from_signed = params.headers.iter().any(|h| h == "from");
    let positions = bodies.positions(msg);
    let mut signed: HashMap<&str, usize> = HashMap::new();
    for name in &params.headers {
        *signed.entry(name.as_str()).or_default() += 1;
    }
    let mut over: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for name in &params.headers {
        let present = positions.get(name).map_or(0, Vec::len);
        if signed[name.as_str()] > present && seen.insert(name.as_str()) {
            over.push(name.clone());
        }
    }
    report.oversigned = over;
    report.timestamp = params.timestamp;
    report.expiration = params.expiration;
}

pub fn rfc3339(ts: u64) -> String {
    mail_parser::DateTime::from_timestamp(i64::try_from(ts).unwrap_or(i64::MAX)).to_rfc3339()
}
