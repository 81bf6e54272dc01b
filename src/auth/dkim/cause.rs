//! Why a DKIM signature got its result: typed causes whose `Display` is the reason users read.

use std::fmt;

use super::key::{KeyError, MAX_RSA_BITS, MIN_RSA_BITS};
use super::sig::SigError;
use crate::auth::tags::TagError;
use crate::common::AuthResult;
use crate::dns::Failure;

/// Why a key record cannot verify this signature (RFC 6376 §6.1.2, RFC 8301).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyUnusable {
    /// Empty `p=`.
    Revoked,
    /// `k=` differs from the signature's algorithm.
    TypeMismatch {
        /// The key's type.
        key: &'static str,
        /// The signature's `a=`.
        algorithm: String,
    },
    /// `h=` of the key excludes the signature's hash.
    HashNotAllowed {
        /// The key's `h=` list.
        allowed: Vec<String>,
        /// The signature's hash.
        hash: &'static str,
    },
    /// `s=` of the key excludes email.
    NotForEmail,
    /// RSA under 1024 bits.
    Weak(usize),
    /// RSA over 8192 bits.
    Huge(usize),
}

impl KeyUnusable {
    /// The result the signature gets: local policy for key sizes, permerror otherwise.
    pub fn result(&self) -> AuthResult {
        match self {
            KeyUnusable::Weak(_) | KeyUnusable::Huge(_) => AuthResult::Policy,
            _ => AuthResult::Permerror,
        }
    }
}

impl fmt::Display for KeyUnusable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyUnusable::Revoked => f.write_str("key revoked (empty p= in the key record)"),
            KeyUnusable::TypeMismatch { key, algorithm } => {
                write!(f, "key type {key} does not match a={algorithm}")
            }
            KeyUnusable::HashNotAllowed { allowed, hash } => {
                write!(f, "key h={} does not allow {hash}", allowed.join(":"))
            }
            KeyUnusable::NotForEmail => f.write_str("key s= does not include email"),
            KeyUnusable::Weak(bits) => write!(
                f,
                "RSA key of {bits} bits is too weak (RFC 8301 requires at least {MIN_RSA_BITS})"
            ),
            KeyUnusable::Huge(bits) => write!(
                f,
                "RSA key of {bits} bits is larger than the {MAX_RSA_BITS} bits accepted"
            ),
        }
    }
}

/// Why a key could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyProblem {
    /// The TXT lookup gave no usable answer.
    Dns(Failure),
    /// A record is there but does not parse.
    Invalid(KeyError),
}

/// The reason for a DKIM result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DkimCause {
    /// Body hash and signature verified.
    Verified,
    /// The field's tag list does not parse.
    TagSyntax(TagError),
    /// The tags do not make a valid signature.
    Syntax(SigError),
    /// `x=` is before the verification time.
    Expired {
        /// `x=`, RFC 3339.
        x: String,
        /// The verification time, RFC 3339.
        at: String,
    },
    /// The key could not be had.
    Key {
        /// `selector._domainkey.domain`.
        name: String,
        /// What went wrong.
        problem: KeyProblem,
    },
    /// The key exists but cannot verify this signature.
    Unusable(KeyUnusable),
    /// Key `t=s` and `i=` is a subdomain of `d=`.
    StrictIdentity,
    /// The body is shorter than `l=`.
    BodyTooShort(u64),
    /// The body hash differs; whether `l=` was in use.
    BodyHashMismatch {
        /// `l=` was given.
        length_used: bool,
    },
    /// The header signature does not verify.
    BadSignature,
    /// rsa-sha1: verified, but not allowed (RFC 8301).
    Sha1,
    /// The key is in testing mode (`t=y`): the result as it would be, treated as unsigned.
    Testing(Box<DkimCause>),
}

impl DkimCause {
    /// The result this cause gives a signature.
    pub fn result(&self) -> AuthResult {
        match self {
            DkimCause::Verified => AuthResult::Pass,
            DkimCause::Expired { .. }
            | DkimCause::BodyTooShort(_)
            | DkimCause::BodyHashMismatch { .. }
            | DkimCause::BadSignature => AuthResult::Fail,
            DkimCause::Key {
                problem: KeyProblem::Dns(f),
                ..
            } if f.is_temporary() => AuthResult::Temperror,
            DkimCause::Unusable(u) => u.result(),
            DkimCause::Sha1 => AuthResult::Policy,
            DkimCause::Testing(inner) if inner.result() == AuthResult::Pass => AuthResult::Pass,
            DkimCause::Testing(_) => AuthResult::Neutral,
            DkimCause::TagSyntax(_)
            | DkimCause::Syntax(_)
            | DkimCause::Key { .. }
            | DkimCause::StrictIdentity => AuthResult::Permerror,
        }
    }
}

impl fmt::Display for DkimCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DkimCause::Verified => f.write_str("signature verified"),
            DkimCause::TagSyntax(e) => write!(f, "syntax error in DKIM-Signature: {e}"),
            DkimCause::Syntax(e) => write!(f, "syntax error in DKIM-Signature: {e}"),
            DkimCause::Expired { x, at } => write!(
                f,
                "signature expired: x={x} is before the verification time {at}"
            ),
            DkimCause::Key {
                name,
                problem: KeyProblem::Dns(fail),
            } if fail.is_temporary() => {
                write!(f, "key lookup {name} failed: {fail} (retry later)")
            }
            DkimCause::Key {
                name,
                problem: KeyProblem::Dns(fail),
            } => write!(f, "key not found: no DKIM key record at {name} ({fail})"),
            DkimCause::Key {
                name,
                problem: KeyProblem::Invalid(e),
            } => write!(f, "{e} at {name}"),
            DkimCause::Unusable(u) => write!(f, "{u}"),
            DkimCause::StrictIdentity => {
                f.write_str("key has t=s but the i= domain is not exactly d=")
            }
            DkimCause::BodyTooShort(l) => {
                write!(f, "body shorter than l={l} (body truncated after signing)")
            }
            DkimCause::BodyHashMismatch { length_used: true } => f.write_str(
                "body hash mismatch (the signed part of the body was altered; l= in use)",
            ),
            DkimCause::BodyHashMismatch { length_used: false } => {
                f.write_str("body hash mismatch (body altered after signing; l= not used)")
            }
            DkimCause::BadSignature => f.write_str(
                "signature did not verify (signed header fields altered, or wrong key)",
            ),
            DkimCause::Sha1 => f.write_str(
                "rsa-sha1 is a weak algorithm no longer allowed (RFC 8301); the signature itself verified",
            ),
            DkimCause::Testing(inner) => {
                write!(f, "{inner}; key is in testing mode (t=y): treat as unsigned")
            }
        }
    }
}
