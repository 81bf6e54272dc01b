//! `check --explain dkim`: why a DKIM signature verifies or not, in the terms a signer can act
//! on (the most common DKIM question: why does the body hash differ?). Per signature: the
//! claimed and computed body hashes, the canonical body length and what `l=` leaves unsigned,
//! the exact header block that was hashed, and the key record used. The result and its reason
//! are the verifier's own ([`super::verify_one`]); this module only shows the inputs.

use base64::Engine;
use serde::Serialize;

use super::{Bodies, DkimCause, MAX_SIGNATURES, SigParams, key, sig, signed_data, verify_one};
use crate::auth::tags::TagList;
use crate::common::{AuthResult, as_text};
use crate::dns::Dns;
use crate::message::{Field, Message, MessageError, to_crlf};

/// The schema of the JSON document.
pub const SCHEMA: &str = "mailverdict.dkim-explain.v1";

/// How much of the unsigned body tail is shown.
const PREVIEW: usize = 200;

/// Every DKIM-Signature of a message, explained.
#[derive(Debug, Serialize)]
pub struct DkimExplanation {
    /// [`SCHEMA`].
    pub schema: &'static str,
    /// One per DKIM-Signature field, top to bottom (at most [`MAX_SIGNATURES`]).
    pub signatures: Vec<SignatureExplanation>,
    /// DKIM-Signature fields past [`MAX_SIGNATURES`], not explained.
    pub unexplained: usize,
}

/// One signature: the verifier's result and what went into it.
#[derive(Debug, Serialize)]
pub struct SignatureExplanation {
    /// 1-based position of the DKIM-Signature field among the header fields.
    pub field: usize,
    /// The verifier's result.
    pub result: AuthResult,
    /// The verifier's reason.
    #[serde(serialize_with = "as_text")]
    pub reason: DkimCause,
    /// `d=`.
    pub domain: Option<String>,
    /// `s=`.
    pub selector: Option<String>,
    /// `a=`.
    pub algorithm: Option<String>,
    /// The body hash; null when the tags do not parse.
    pub body: Option<BodyExplanation>,
    /// The hashed header block; null when the tags do not parse.
    pub header: Option<HeaderExplanation>,
    /// The key record; null when the tags do not parse.
    pub key: Option<KeyExplanation>,
}

/// The body as the signature saw it.
#[derive(Debug, Serialize)]
pub struct BodyExplanation {
    /// `simple` or `relaxed`.
    pub canonicalization: &'static str,
    /// Octets of the canonicalized body.
    pub canonical_length: u64,
    /// `l=`, when present.
    pub length_tag: Option<u64>,
    /// Octets that went into the hash.
    pub hashed_length: u64,
    /// Canonical octets after `l=`: anyone may have added them.
    pub unsigned_bytes: u64,
    /// The first octets of that unsigned tail (escaped when shown).
    pub unsigned_preview: Option<String>,
    /// `l=` is larger than the body (the signature fails).
    pub shorter_than_length_tag: bool,
    /// `bh=` as signed, base64.
    pub claimed_hash: String,
    /// The hash of the canonical body (first `l=` octets), base64; null when the body is
    /// shorter than `l=`.
    pub computed_hash: Option<String>,
    /// Whether the two agree.
    pub matches: bool,
}

/// The header block the signature covers, exactly as hashed.
#[derive(Debug, Serialize)]
pub struct HeaderExplanation {
    /// `simple` or `relaxed`.
    pub canonicalization: &'static str,
    /// `h=`, in order, each with whether the message has a field for it.
    pub signed: Vec<SignedName>,
    /// The hashed octets (lossy UTF-8; `block_base64` is exact): the selected fields, then the
    /// DKIM-Signature field with an empty b= and no final CRLF.
    pub block: String,
    /// The same octets, base64.
    pub block_base64: String,
}

/// One `h=` entry.
#[derive(Debug, Serialize)]
pub struct SignedName {
    /// The field name (lower case).
    pub name: String,
    /// A field was there to sign; when false the signature covers its absence.
    pub present: bool,
}

/// Where the key came from.
#[derive(Debug, Serialize)]
pub struct KeyExplanation {
    /// `selector._domainkey.domain`.
    pub name: String,
    /// The TXT records found there (each one's strings joined).
    pub records: Vec<String>,
    /// Why there are none (NXDOMAIN, SERVFAIL, ...).
    pub lookup_error: Option<String>,
}

/// Explain every DKIM-Signature of `input`, verifying each at `at` (unix seconds).
pub fn explain(input: &[u8], dns: &Dns, at: u64) -> Result<DkimExplanation, MessageError> {
    let wire = to_crlf(input);
    let msg = Message::parse(&wire)?;
    let bodies = Bodies::default();
    let all: Vec<(usize, &Field)> = msg
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.is("DKIM-Signature"))
        .collect();
    let signatures = all
        .iter()
        .take(MAX_SIGNATURES)
        .map(|&(i, field)| one(&msg, i, field, dns, at, &bodies))
        .collect();
    Ok(DkimExplanation {
        schema: SCHEMA,
        signatures,
        unexplained: all.len().saturating_sub(MAX_SIGNATURES),
    })
}

fn one(
    msg: &Message,
    index: usize,
    field: &Field,
    dns: &Dns,
    at: u64,
    bodies: &Bodies,
) -> SignatureExplanation {
    let verdict = verify_one(msg, field, dns, at, bodies);
    let params = TagList::parse(&field.text())
        .ok()
        .and_then(|tags| sig::parse_dkim(&tags).ok());
    SignatureExplanation {
        field: index + 1,
        result: verdict.result,
        reason: verdict.reason,
        domain: verdict.domain,
        selector: verdict.selector,
        algorithm: verdict.algorithm,
        body: params.as_ref().map(|p| body(msg, p, bodies)),
        header: params.as_ref().map(|p| header(msg, field, p, bodies)),
        key: params.as_ref().map(|p| key_record(dns, p)),
    }
}

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

fn body(msg: &Message, p: &SigParams, bodies: &Bodies) -> BodyExplanation {
    let canonical = bodies.get(p.body_canon, msg.body);
    let total = canonical.len() as u64;
    let hashed: Option<&[u8]> = match p.length {
        Some(l) => usize::try_from(l).ok().and_then(|l| canonical.get(..l)),
        None => Some(canonical),
    };
    let computed = hashed.map(|h| key::digest(p.hash, h));
    let hashed_length = hashed.map_or(total, |h| h.len() as u64);
    let tail = hashed.map_or(&[][..], |h| &canonical[h.len()..]);
    BodyExplanation {
        canonicalization: p.body_canon.name(),
        canonical_length: total,
        length_tag: p.length,
        hashed_length,
        unsigned_bytes: tail.len() as u64,
        unsigned_preview: (!tail.is_empty())
            .then(|| String::from_utf8_lossy(&tail[..tail.len().min(PREVIEW)]).into_owned()),
        shorter_than_length_tag: hashed.is_none(),
        claimed_hash: b64(&p.bh),
        matches: computed.as_deref() == Some(p.bh.as_slice()),
        computed_hash: computed.as_deref().map(b64),
    }
}

fn header(msg: &Message, own: &Field, p: &SigParams, bodies: &Bodies) -> HeaderExplanation {
    let block = signed_data(msg, bodies, &p.headers, p.header_canon, own);
    let positions = bodies.positions(msg);
    let mut used: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let signed = p
        .headers
        .iter()
        .map(|name| {
            let k = used.entry(name.as_str()).or_insert(0);
            // The signature's own field is never one of the fields it signs.
            let own_counts = usize::from(name == "dkim-signature");
            let available = positions.get(msg, name).len().saturating_sub(own_counts);
            let present = *k < available;
            *k += 1;
            SignedName {
                name: name.clone(),
                present,
            }
        })
        .collect();
    HeaderExplanation {
        canonicalization: p.header_canon.name(),
        signed,
        block: String::from_utf8_lossy(&block).into_owned(),
        block_base64: b64(&block),
    }
}

fn key_record(dns: &Dns, p: &SigParams) -> KeyExplanation {
    let name = format!("{}._domainkey.{}", p.selector, p.domain);
    let (records, lookup_error) = match dns.txt(&name) {
        Ok(r) => (
            r.iter()
                .map(|t| String::from_utf8_lossy(t).into_owned())
                .collect(),
            None,
        ),
        Err(f) => (Vec::new(), Some(f.to_string())),
    };
    KeyExplanation {
        name,
        records,
        lookup_error,
    }
}
