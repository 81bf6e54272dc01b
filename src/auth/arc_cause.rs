//! Why an ARC chain validated or not: typed causes whose `Display` is the reason users read.

use std::fmt;

use serde::Serialize;

use crate::auth::dkim::{DkimCause, KeyProblem, KeyUnusable, SigError};
use crate::auth::tags::TagError;
use crate::common::AuthResult;

/// The part of an ARC set a failure is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ArcPart {
    /// ARC-Authentication-Results.
    Aar,
    /// ARC-Message-Signature.
    Ams,
    /// ARC-Seal.
    As,
    /// The sets themselves (instances, gaps).
    Structure,
}

impl ArcPart {
    /// The field name.
    pub fn field(self) -> &'static str {
        match self {
            ArcPart::Aar => "ARC-Authentication-Results",
            ArcPart::Ams => "ARC-Message-Signature",
            ArcPart::As | ArcPart::Structure => "ARC-Seal",
        }
    }

    /// The JSON word, upper-cased in the human report.
    pub fn word(self) -> &'static str {
        match self {
            ArcPart::Aar => "aar",
            ArcPart::Ams => "ams",
            ArcPart::As => "as",
            ArcPart::Structure => "structure",
        }
    }
}

/// An `i=` that does not name an instance.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstanceError {
    /// Not 1 to 3 digits.
    #[error("invalid instance i={0:?}")]
    Invalid(String),
    /// Outside 1..50 (RFC 8617 §4.2.1).
    #[error("instance i={0} is outside 1..50")]
    Range(usize),
    /// An AAR not starting with `i=`.
    #[error("does not start with i=")]
    AarPrefix,
    /// An AAR whose `i=` has no `;` after it.
    #[error("i= is not followed by ';'")]
    AarSemicolon,
    /// The tag list does not parse.
    #[error(transparent)]
    Tags(#[from] TagError),
    /// No `i=` tag.
    #[error("no i= tag")]
    Missing,
}

/// What is wrong with one ARC signature (an AMS or a seal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigProblem {
    /// The tag list does not parse.
    TagSyntax(TagError),
    /// The tags do not make a valid signature.
    Params(SigError),
    /// AMS `h=` lists ARC-Seal (RFC 8617 §4.1.2).
    SignsSeal,
    /// A seal with `h=` (§4.1.3).
    SealHasH,
    /// A seal without `cv=`.
    NoCv,
    /// `cv=` other than the instance requires.
    WrongCv {
        /// What it says.
        cv: String,
        /// What it must say.
        expected: &'static str,
    },
    /// The key could not be had.
    Key {
        /// The key's DNS name.
        name: String,
        /// What went wrong.
        problem: KeyProblem,
    },
    /// The key cannot verify this signature.
    Unusable(KeyUnusable),
    /// The AMS body hash differs.
    BodyHash,
    /// The signature does not verify.
    BadSignature,
}

impl SigProblem {
    fn is_temporary(&self) -> bool {
        matches!(self, SigProblem::Key { problem: KeyProblem::Dns(f), .. } if f.is_temporary())
    }
}

/// The reason for an ARC result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArcCause {
    /// No ARC fields.
    NoSets,
    /// The whole chain validated.
    Validated(usize),
    /// A field whose instance cannot be read.
    Instance {
        /// The field name as written.
        field: String,
        /// Why.
        error: InstanceError,
    },
    /// An instance number is missing below the highest.
    Gap(usize),
    /// A set lacks a field or has two.
    Count {
        /// The part.
        part: ArcPart,
        /// The instance.
        instance: usize,
        /// Two or more (else none).
        duplicated: bool,
    },
    /// The newest seal says `cv=fail`.
    SealedFail(usize),
    /// An AMS problem.
    Ams(SigProblem),
    /// A seal problem.
    Seal {
        /// The instance.
        instance: usize,
        /// What is wrong.
        problem: SigProblem,
    },
}

impl ArcCause {
    /// The chain result this cause gives: pass, none, temperror for DNS trouble, else fail.
    pub fn result(&self) -> AuthResult {
        match self {
            ArcCause::Validated(_) => AuthResult::Pass,
            ArcCause::NoSets => AuthResult::None,
            ArcCause::Ams(p) | ArcCause::Seal { problem: p, .. } if p.is_temporary() => {
                AuthResult::Temperror
            }
            _ => AuthResult::Fail,
        }
    }
}

/// A key problem in DKIM's words.
fn key_words(name: &str, problem: &KeyProblem) -> String {
    DkimCause::Key {
        name: name.to_string(),
        problem: problem.clone(),
    }
    .to_string()
}

impl fmt::Display for ArcCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArcCause::NoSets => f.write_str("no ARC sets in the message"),
            ArcCause::Validated(n) => write!(f, "chain of {n} instance(s) validated"),
            ArcCause::Instance { field, error } => write!(f, "{field}: {error}"),
            ArcCause::Gap(i) => write!(f, "ARC set i={i} is missing (gap in the chain)"),
            ArcCause::Count {
                part,
                instance,
                duplicated,
            } => write!(
                f,
                "{} of instance {instance} is {}",
                part.field(),
                if *duplicated { "duplicated" } else { "missing" }
            ),
            ArcCause::SealedFail(n) => write!(f, "instance {n} sealed the chain with cv=fail"),
            ArcCause::Ams(p) => match p {
                SigProblem::TagSyntax(e) => write!(f, "AMS syntax error: {e}"),
                SigProblem::Params(e) => write!(f, "AMS: {e}"),
                SigProblem::SignsSeal => {
                    f.write_str("AMS h= includes ARC-Seal, which it must not sign")
                }
                SigProblem::Key { name, problem } => {
                    write!(f, "AMS: {}", key_words(name, problem))
                }
                SigProblem::Unusable(u) => write!(f, "AMS: {u}"),
                SigProblem::BodyHash => {
                    f.write_str("AMS body hash mismatch (body altered after this hop signed)")
                }
                SigProblem::BadSignature
                | SigProblem::SealHasH
                | SigProblem::NoCv
                | SigProblem::WrongCv { .. } => {
                    f.write_str("AMS signature did not verify (signed header fields altered)")
                }
            },
            ArcCause::Seal { instance, problem } => match problem {
                SigProblem::TagSyntax(e) => write!(f, "ARC-Seal syntax error: {e}"),
                SigProblem::Params(e) => write!(f, "ARC-Seal: {e}"),
                SigProblem::SealHasH | SigProblem::SignsSeal => {
                    f.write_str("ARC-Seal must not have h=")
                }
                SigProblem::NoCv => f.write_str("ARC-Seal has no cv="),
                SigProblem::WrongCv { cv, expected } => write!(
                    f,
                    "ARC-Seal i={instance} has cv={cv}, expected cv={expected}"
                ),
                SigProblem::Key { name, problem } => {
                    write!(f, "ARC-Seal: {}", key_words(name, problem))
                }
                SigProblem::Unusable(u) => write!(f, "ARC-Seal: {u}"),
                SigProblem::BodyHash | SigProblem::BadSignature => {
                    write!(f, "ARC-Seal i={instance} signature did not verify")
                }
            },
        }
    }
}
