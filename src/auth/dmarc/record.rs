//! DMARC Policy Record parsing: RFC 9989 §4.7–4.8 by default, RFC 7489 §6.3–6.4 on request.
//!
//! Only the version tag decides whether a TXT record is a DMARC record at all; every other
//! defect is discarded in favour of the tag's default (or ignored) and kept as a typed
//! [`RecordNote`], because both RFCs say so (RFC 9989 §4.8, RFC 7489 §6.3). Whether the record
//! still carries a policy is decided afterwards by [`Record::policies`] (§4.10.1 / §6.6.3).

use std::rc::Rc;

use serde::Serialize;

use super::DmarcSpec;

/// A Domain Owner Assessment Policy (`p=`, `sp=`, `np=`); also the disposition keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// No preference: failing mail is only reported.
    None,
    /// Failing mail is suspicious.
    Quarantine,
    /// Failing mail should be rejected.
    Reject,
}

impl Policy {
    /// The record word, case-insensitive as ABNF literals are.
    pub fn parse(value: &str) -> Option<Policy> {
        match value.to_ascii_lowercase().as_str() {
            "none" => Some(Policy::None),
            "quarantine" => Some(Policy::Quarantine),
            "reject" => Some(Policy::Reject),
            _ => None,
        }
    }

    /// The lower-case word.
    pub fn word(self) -> &'static str {
        match self {
            Policy::None => "none",
            Policy::Quarantine => "quarantine",
            Policy::Reject => "reject",
        }
    }

    /// One level down: what `t=y` (RFC 9989 §4.7) and `pct=0` (RFC 7489 §6.6.4) apply.
    pub fn lowered(self) -> Policy {
        match self {
            Policy::Reject => Policy::Quarantine,
            Policy::Quarantine | Policy::None => Policy::None,
        }
    }
}

impl std::fmt::Display for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.word())
    }
}

/// Identifier alignment mode (`adkim=`, `aspf=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Mode {
    /// Same Organizational Domain.
    #[default]
    #[serde(rename = "r")]
    Relaxed,
    /// Identical domains.
    #[serde(rename = "s")]
    Strict,
}

impl Mode {
    /// The word used in reasons.
    pub fn word(self) -> &'static str {
        match self {
            Mode::Relaxed => "relaxed",
            Mode::Strict => "strict",
        }
    }
}

/// The `psd=` flag (RFC 9989 §4.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Psd {
    /// The domain is a Public Suffix Domain.
    Y,
    /// The domain is an Organizational Domain (for itself and below).
    N,
    /// Unknown: the tree walk decides.
    #[default]
    U,
}

/// How a `p=` tag was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PTag {
    /// A valid value in a valid place.
    Valid(Policy),
    /// No `p=` at all.
    Missing,
    /// A value that is not none/quarantine/reject.
    Invalid(String),
    /// RFC 7489 only: a valid value that is not the second tag (§6.3 requires `v` then `p`).
    Misplaced(Policy),
}

/// An optional policy tag (`sp=`, `np=`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SubTag {
    /// Not in the record: inherits.
    #[default]
    Absent,
    /// A valid value.
    Valid(Policy),
    /// A value that is not none/quarantine/reject.
    Invalid(String),
}

impl SubTag {
    fn valid(&self) -> Option<Policy> {
        match self {
            SubTag::Valid(p) => Some(*p),
            _ => None,
        }
    }
}

/// Something in a record that was ignored or replaced by a default; its `Display` is what the
/// report says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordNote {
    #[error("an empty tag between ';' separators is ignored")]
    EmptyTag,
    #[error("{0:?} has no '=': ignored")]
    NoEquals(String),
    #[error("{0:?} is not a tag name: ignored")]
    BadName(String),
    #[error("{0}= appears more than once: only the first is used")]
    Duplicate(String),
    #[error("unknown tag {0}= ignored")]
    Unknown(String),
    #[error("{0}= was removed by RFC 9989 and is ignored")]
    Removed(String),
    #[error("{tag}={value} is not valid: the default {tag}={default} applies")]
    Defaulted {
        tag: &'static str,
        value: String,
        default: &'static str,
    },
    #[error("{tag}={value} is not none, quarantine or reject")]
    BadPolicy { tag: &'static str, value: String },
    #[error("no p= tag: RFC 9989 §4.7 reads it as p=none")]
    PMissingNone,
    #[error("no p= tag: RFC 7489 §6.3 requires one")]
    PMissing,
    #[error("p= is not the second tag: RFC 7489 §6.3 requires v= then p=")]
    PNotSecond,
    #[error("{tag}= URI {uri:?} is not a URI: ignored")]
    BadUri { tag: &'static str, uri: String },
    #[error("{tag}= URI {uri:?} has a size limit (!{size}), obsolete in RFC 9989 and ignored")]
    ObsoleteSize {
        tag: &'static str,
        uri: String,
        size: String,
    },
}

/// A parsed DMARC Policy Record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The rules it was read under.
    pub spec: DmarcSpec,
    pub p: PTag,
    pub sp: SubTag,
    /// RFC 9989 only (RFC 7489 does not define it: an unknown tag there).
    pub np: SubTag,
    pub adkim: Mode,
    pub aspf: Mode,
    /// RFC 7489 only: 0..=100, default 100.
    pub pct: Option<u8>,
    /// RFC 9989 `t=y`.
    pub testing: bool,
    pub psd: Psd,
    pub fo: String,
    pub rua: Vec<String>,
    pub ruf: Vec<String>,
    pub notes: Vec<RecordNote>,
}

/// Why a TXT record is not a DMARC record (it is then discarded, RFC 9989 §4.10 step 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotDmarc {
    #[error("the record does not start with v=DMARC1")]
    NoVersion,
}

/// Why a record carries no policy (RFC 9989 §4.10.1, RFC 7489 §6.6.3 step 6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyDefect {
    /// `p=` missing (RFC 7489) or invalid, or misplaced (RFC 7489).
    P(PTag),
    /// `sp=` invalid.
    Sp(String),
    /// `np=` invalid.
    Np(String),
}

impl std::fmt::Display for PolicyDefect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PolicyDefect::P(PTag::Missing) => f.write_str("the record has no p="),
            PolicyDefect::P(PTag::Invalid(v)) => write!(f, "p={v} is not valid"),
            PolicyDefect::P(PTag::Misplaced(p)) => {
                write!(f, "p={p} is not the second tag (RFC 7489 §6.3)")
            }
            PolicyDefect::P(PTag::Valid(p)) => write!(f, "p={p}"),
            PolicyDefect::Sp(v) => write!(f, "sp={v} is not valid"),
            PolicyDefect::Np(v) => write!(f, "np={v} is not valid"),
        }
    }
}

/// The policies a record expresses after its defaults and the fallback rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policies {
    pub p: Policy,
    pub sp: Policy,
    pub np: Policy,
    /// Set when a policy tag was defective and `rua=` made the record read as `p=none`.
    pub fallback: Option<PolicyDefect>,
}

/// WSP of the RFC 5234 core rules.
fn is_wsp(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn trim_wsp(s: &str) -> &str {
    s.trim_matches(is_wsp)
}

/// Whether a TXT record is a DMARC record: it starts (no leading space) with the `v` tag whose
/// value is exactly `DMARC1` (RFC 9989 §4.7: case-sensitive value, first tag).
pub fn is_dmarc(text: &str) -> bool {
    let first = text.split(';').next().unwrap_or_default();
    let Some((name, value)) = first.split_once('=') else {
        return false;
    };
    let name_ok = name
        .strip_prefix(['v', 'V'])
        .is_some_and(|rest| trim_wsp(rest).is_empty());
    name_ok && trim_wsp(value) == "DMARC1"
}

fn uri_ok(uri: &str) -> bool {
    let Some((scheme, rest)) = uri.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && rest.chars().all(|c| c.is_ascii_graphic())
}

/// `!` 1*DIGIT [k/m/g/t] at the end of a report URI.
fn split_size(uri: &str) -> (&str, Option<&str>) {
    if let Some((base, size)) = uri.rsplit_once('!') {
        let digits = size.trim_end_matches(|c: char| "kmgtKMGT".contains(c));
        let suffix_len = size.len() - digits.len();
        if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) && suffix_len <= 1 {
            return (base, Some(size));
        }
    }
    (uri, None)
}

fn uri_list(
    tag: &'static str,
    value: &str,
    spec: DmarcSpec,
    notes: &mut Vec<RecordNote>,
) -> Vec<String> {
    let mut out = Vec::new();
    for raw in value.split(',') {
        let raw = trim_wsp(raw);
        if raw.is_empty() {
            continue;
        }
        let (uri, size) = split_size(raw);
        if let (Some(size), DmarcSpec::Rfc9989) = (size, spec) {
            notes.push(RecordNote::ObsoleteSize {
                tag,
                uri: uri.to_string(),
                size: size.to_string(),
            });
        }
        if uri_ok(uri) {
            out.push(uri.to_string());
        } else {
            notes.push(RecordNote::BadUri {
                tag,
                uri: raw.to_string(),
            });
        }
    }
    out
}

fn fo_ok(value: &str) -> bool {
    let opts: Vec<&str> = value.split(':').map(trim_wsp).collect();
    let known = opts.iter().all(|o| matches!(*o, "0" | "1" | "d" | "s"));
    let mut dedup = opts.clone();
    dedup.sort_unstable();
    dedup.dedup();
    known && dedup.len() == opts.len() && !(opts.contains(&"0") && opts.contains(&"1"))
}

/// Parse a TXT record as a DMARC Policy Record under RFC 9989 (the embedders' entry point).
pub fn parse(text: &str) -> Result<Record, NotDmarc> {
    Record::parse_text(text, DmarcSpec::Rfc9989)
}

/// Parsed records remembered per thread, by (text, spec): a batch reads the same few records
/// for every message, under both specs and again for each step's `psd=`. Bounded like the
/// DKIM key memo: past this many it starts over; longer texts are not kept.
const MEMO: usize = 256;
const MEMO_TEXT: usize = 4096;

type Memo = std::collections::HashMap<
    DmarcSpec,
    std::collections::HashMap<String, Result<Rc<Record>, NotDmarc>>,
>;

impl Record {
    /// Parse `text` under `spec`. Only a missing or wrong version tag makes it not a record.
    /// Shared with the memo rather than copied: a record is read about four times a message.
    pub fn parse(text: &str, spec: DmarcSpec) -> Result<Rc<Record>, NotDmarc> {
        thread_local! {
            static KNOWN: std::cell::RefCell<Memo> = std::cell::RefCell::default();
        }
        if let Some(r) = KNOWN.with(|m| m.try_borrow().ok()?.get(&spec)?.get(text).cloned()) {
            return r;
        }
        let parsed = Record::parse_text(text, spec).map(Rc::new);
        if text.len() <= MEMO_TEXT {
            KNOWN.with(|m| {
                if let Ok(mut m) = m.try_borrow_mut() {
                    let texts = m.entry(spec).or_default();
                    if texts.len() >= MEMO {
                        texts.clear();
                    }
                    texts.insert(text.to_string(), parsed.clone());
                }
            });
        }
        parsed
    }

    fn parse_text(text: &str, spec: DmarcSpec) -> Result<Record, NotDmarc> {
        if !is_dmarc(text) {
            return Err(NotDmarc::NoVersion);
        }
        let mut r = Record {
            spec,
            p: PTag::Missing,
            sp: SubTag::Absent,
            np: SubTag::Absent,
            adkim: Mode::Relaxed,
            aspf: Mode::Relaxed,
            pct: (spec == DmarcSpec::Rfc7489).then_some(100),
            testing: false,
            psd: Psd::U,
            fo: "0".into(),
            rua: Vec::new(),
            ruf: Vec::new(),
            notes: Vec::new(),
        };
        let pieces: Vec<&str> = text.split(';').skip(1).collect();
        let mut seen: Vec<String> = vec!["v".into()];
        for (i, piece) in pieces.iter().enumerate() {
            let piece = trim_wsp(piece);
            if piece.is_empty() {
                // One trailing ';' is in the grammar; an empty tag elsewhere is not.
                if i + 1 != pieces.len() {
                    r.notes.push(RecordNote::EmptyTag);
                }
                continue;
            }
            let Some((name, value)) = piece.split_once('=') else {
                r.notes.push(RecordNote::NoEquals(piece.to_string()));
                continue;
            };
            let name = trim_wsp(name);
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphabetic()) {
                r.notes.push(RecordNote::BadName(name.to_string()));
                continue;
            }
            let name = name.to_ascii_lowercase();
            if seen.contains(&name) {
                r.notes.push(RecordNote::Duplicate(name));
                continue;
            }
            let second = seen.len() == 1;
            seen.push(name.clone());
            r.tag(&name, trim_wsp(value), second, spec);
        }
        if r.p == PTag::Missing {
            r.notes.push(match spec {
                DmarcSpec::Rfc9989 => RecordNote::PMissingNone,
                DmarcSpec::Rfc7489 => RecordNote::PMissing,
            });
        }
        Ok(r)
    }

    fn tag(&mut self, name: &str, value: &str, second: bool, spec: DmarcSpec) {
        let bis = spec == DmarcSpec::Rfc9989;
        let policy = |tag: &'static str, notes: &mut Vec<RecordNote>| match Policy::parse(value) {
            Some(p) => SubTag::Valid(p),
            None => {
                notes.push(RecordNote::BadPolicy {
                    tag,
                    value: value.to_string(),
                });
                SubTag::Invalid(value.to_string())
            }
        };
        let mode = |tag: &'static str, notes: &mut Vec<RecordNote>| match value
            .to_ascii_lowercase()
            .as_str()
        {
            "r" => Mode::Relaxed,
            "s" => Mode::Strict,
            _ => {
                notes.push(RecordNote::Defaulted {
                    tag,
                    value: value.to_string(),
                    default: "r",
                });
                Mode::Relaxed
            }
        };
        match name {
            "p" => {
                self.p = match policy("p", &mut self.notes) {
                    SubTag::Valid(p) if !bis && !second => {
                        self.notes.push(RecordNote::PNotSecond);
                        PTag::Misplaced(p)
                    }
                    SubTag::Valid(p) => PTag::Valid(p),
                    _ => PTag::Invalid(value.to_string()),
                }
            }
            "sp" => self.sp = policy("sp", &mut self.notes),
            "np" if bis => self.np = policy("np", &mut self.notes),
            "adkim" => self.adkim = mode("adkim", &mut self.notes),
            "aspf" => self.aspf = mode("aspf", &mut self.notes),
            "rua" => self.rua = uri_list("rua", value, spec, &mut self.notes),
            "ruf" => self.ruf = uri_list("ruf", value, spec, &mut self.notes),
            "fo" => {
                if fo_ok(value) {
                    self.fo = value.to_ascii_lowercase();
                } else {
                    self.notes.push(RecordNote::Defaulted {
                        tag: "fo",
                        value: value.to_string(),
                        default: "0",
                    });
                }
            }
            "t" if bis => match value.to_ascii_lowercase().as_str() {
                "y" => self.testing = true,
                "n" => self.testing = false,
                _ => self.notes.push(RecordNote::Defaulted {
                    tag: "t",
                    value: value.to_string(),
                    default: "n",
                }),
            },
            "psd" if bis => match value.to_ascii_lowercase().as_str() {
                "y" => self.psd = Psd::Y,
                "n" => self.psd = Psd::N,
                "u" => self.psd = Psd::U,
                _ => self.notes.push(RecordNote::Defaulted {
                    tag: "psd",
                    value: value.to_string(),
                    default: "u",
                }),
            },
            "pct" | "rf" | "ri" if bis => self.notes.push(RecordNote::Removed(name.to_string())),
            "pct" => match value.parse::<u8>() {
                Ok(n) if n <= 100 && value.len() <= 3 => self.pct = Some(n),
                _ => self.notes.push(RecordNote::Defaulted {
                    tag: "pct",
                    value: value.to_string(),
                    default: "100",
                }),
            },
            "ri" => {
                if value.is_empty() || !value.chars().all(|c| c.is_ascii_digit()) {
                    self.notes.push(RecordNote::Defaulted {
                        tag: "ri",
                        value: value.to_string(),
                        default: "86400",
                    });
                }
            }
            "rf" => {
                let ok = value.split(':').map(trim_wsp).all(|k| {
                    !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                });
                if !ok {
                    self.notes.push(RecordNote::Defaulted {
                        tag: "rf",
                        value: value.to_string(),
                        default: "afrf",
                    });
                }
            }
            _ => self.notes.push(RecordNote::Unknown(name.to_string())),
        }
    }

    /// The policies in force, or why the record applies none: a defective `p=`/`sp=`/`np=`
    /// makes it read as `p=none` when `rua=` holds a valid URI, otherwise no DMARC processing
    /// (RFC 9989 §4.10.1; RFC 7489 §6.6.3 step 6). RFC 9989 reads a missing `p=` as `p=none`
    /// (§4.7); RFC 7489 treats it as defective.
    pub fn policies(&self) -> Result<Policies, PolicyDefect> {
        let defect = match &self.p {
            PTag::Valid(_) => None,
            PTag::Missing if self.spec == DmarcSpec::Rfc9989 => None,
            other => Some(PolicyDefect::P(other.clone())),
        }
        .or_else(|| match &self.sp {
            SubTag::Invalid(v) => Some(PolicyDefect::Sp(v.clone())),
            _ => None,
        })
        .or_else(|| match &self.np {
            SubTag::Invalid(v) => Some(PolicyDefect::Np(v.clone())),
            _ => None,
        });
        if let Some(defect) = defect {
            return if self.rua.is_empty() {
                Err(defect)
            } else {
                Ok(Policies {
                    p: Policy::None,
                    sp: Policy::None,
                    np: Policy::None,
                    fallback: Some(defect),
                })
            };
        }
        let p = match self.p {
            PTag::Valid(p) => p,
            _ => Policy::None,
        };
        let sp = self.sp.valid().unwrap_or(p);
        Ok(Policies {
            p,
            sp,
            np: self.np.valid().unwrap_or(sp),
            fallback: None,
        })
    }

    /// The `p=` value as written when valid (also a misplaced one, for display).
    pub fn p_written(&self) -> Option<Policy> {
        match self.p {
            PTag::Valid(p) | PTag::Misplaced(p) => Some(p),
            _ => None,
        }
    }
}

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
