//! ARC chain validation (RFC 8617 §5.2) on the DKIM primitives: which instance failed, in which
//! part (the AMS or the seal), and the oldest instance whose AMS still verifies.

use std::collections::BTreeMap;

use serde::Serialize;

pub use super::arc_cause::{ArcCause, ArcPart, InstanceError, SigProblem};
use crate::auth::dkim::canon::{self, Canon};
use crate::auth::dkim::key::{self, Hash};
use crate::auth::dkim::{
    Bodies, CryptoOutcome, SigError, SigKind, SigParams, check_crypto, key_unusable, lookup_key,
    strip_b_value,
};
use crate::auth::tags::TagList;
use crate::common::{AuthResult, as_text};
use crate::dns::Dns;
use crate::message::{Field, Message};

/// ARC chain validation: the status, where it failed, and each set.
#[derive(Debug, Clone, Serialize)]
pub struct ArcReport {
    /// The chain validation status (RFC 8617 §5.2).
    pub result: AuthResult,
    /// The highest instance present.
    pub instances: usize,
    /// The instance whose check failed, and which part ("ams", "as", "structure").
    pub failing_instance: Option<usize>,
    /// Which part of that instance failed (`ams`, `as`, `aar` or `structure`).
    pub failing_part: Option<ArcPart>,
    /// The oldest instance whose AMS still verifies (RFC 8617 §5.2 oldest-pass).
    pub oldest_pass: Option<usize>,
    /// Why: the cause, as words.
    #[serde(serialize_with = "as_text")]
    pub reason: ArcCause,
    /// Per instance, oldest first.
    pub sets: Vec<ArcSetReport>,
}

/// One ARC set (AAR, AMS, seal) of an instance.
#[derive(Debug, Clone, Serialize)]
pub struct ArcSetReport {
    /// `i=`.
    pub instance: usize,
    /// The seal's `d=`.
    pub domain: Option<String>,
    /// The seal's `s=`.
    pub selector: Option<String>,
    /// The seal's `cv=`.
    pub cv: Option<String>,
    /// Whether this instance's AMS verifies.
    pub ams: AuthResult,
    /// Whether its seal verified (pass for every seal of a valid chain).
    pub seal: AuthResult,
    /// The AAR's authserv-id.
    pub authserv_id: Option<String>,
}

/// RFC 8617 §4.2.1: instance numbers run from 1 to 50.
const MAX_INSTANCE: usize = 50;

#[derive(Default)]
struct Set<'m, 'a> {
    aar: Vec<&'m Field<'a>>,
    ams: Vec<&'m Field<'a>>,
    seal: Vec<&'m Field<'a>>,
}

/// A failed check: failing instance, part, cause.
struct Failed(Option<usize>, ArcPart, ArcCause);

fn fail(instance: usize, part: ArcPart, cause: ArcCause) -> Failed {
    Failed(Some(instance), part, cause)
}

fn report(reason: ArcCause, instances: usize) -> ArcReport {
    ArcReport {
        result: reason.result(),
        instances,
        failing_instance: None,
        failing_part: None,
        oldest_pass: None,
        reason,
        sets: Vec::new(),
    }
}

pub fn validate(msg: &Message, dns: &Dns, bodies: &Bodies) -> ArcReport {
    let mut sets: BTreeMap<usize, Set> = BTreeMap::new();
    let mut structure_error = None;
    for field in &msg.fields {
        let slot = if field.is("ARC-Authentication-Results") {
            aar_instance(field).map(|i| (i, 0))
        } else if field.is("ARC-Message-Signature") {
            tag_instance(field).map(|i| (i, 1))
        } else if field.is("ARC-Seal") {
            tag_instance(field).map(|i| (i, 2))
        } else {
            continue;
        };
        match slot {
            Ok((i, kind)) => {
                let set = sets.entry(i).or_default();
                match kind {
                    0 => set.aar.push(field),
                    1 => set.ams.push(field),
                    _ => set.seal.push(field),
                }
            }
            Err(error) => {
                let field = String::from_utf8_lossy(field.name).into_owned();
                structure_error.get_or_insert(ArcCause::Instance { field, error });
            }
        }
    }
    if sets.is_empty() && structure_error.is_none() {
        return report(ArcCause::NoSets, 0);
    }
    // Each set's AMS, verified once: the chain check and the per-set report both need them.
    let ams: BTreeMap<usize, AmsResult> = sets
        .iter()
        .filter(|(_, set)| set.ams.len() == 1)
        .map(|(&i, set)| (i, verify_ams(msg, dns, bodies, set.ams[0])))
        .collect();
    let instances = sets.keys().next_back().copied().unwrap_or(0);
    let mut out = match check_chain(dns, &sets, &ams, instances, structure_error) {
        Ok(oldest) => {
            let mut r = report(ArcCause::Validated(instances), instances);
            r.oldest_pass = Some(oldest);
            r
        }
        Err(Failed(instance, part, cause)) => {
            let mut r = report(cause, instances);
            r.failing_instance = instance;
            r.failing_part = Some(part);
            r
        }
    };
    out.sets = sets
        .iter()
        .map(|(&i, set)| describe_set(i, set, ams.get(&i), &out))
        .collect();
    out
}

/// An AMS check: pass, or what is wrong with it.
type AmsResult = Result<(), SigProblem>;

fn check_chain(
    dns: &Dns,
    sets: &BTreeMap<usize, Set>,
    ams: &BTreeMap<usize, AmsResult>,
    n: usize,
    structure_error: Option<ArcCause>,
) -> Result<usize, Failed> {
    if let Some(e) = structure_error {
        return Err(Failed(None, ArcPart::Structure, e));
    }
    for i in 1..=n {
        let Some(set) = sets.get(&i) else {
            return Err(fail(i, ArcPart::Structure, ArcCause::Gap(i)));
        };
        for (part, count) in [
            (ArcPart::Aar, set.aar.len()),
            (ArcPart::Ams, set.ams.len()),
            (ArcPart::As, set.seal.len()),
        ] {
            if count != 1 {
                let cause = ArcCause::Count {
                    part,
                    instance: i,
                    duplicated: count > 1,
                };
                return Err(fail(i, part, cause));
            }
        }
    }
    // The newest seal's cv=fail means a previous hop already found the chain broken.
    let latest_text = sets[&n].seal[0].text();
    let latest_seal = seal_tags(&latest_text).map_err(|problem| {
        fail(
            n,
            ArcPart::As,
            ArcCause::Seal {
                instance: n,
                problem,
            },
        )
    })?;
    if latest_seal
        .get("cv")
        .is_some_and(|cv| cv.eq_ignore_ascii_case("fail"))
    {
        return Err(fail(n, ArcPart::As, ArcCause::SealedFail(n)));
    }
    ams[&n]
        .clone()
        .map_err(|p| fail(n, ArcPart::Ams, ArcCause::Ams(p)))?;
    let mut oldest = n;
    for i in (1..n).rev() {
        if ams[&i].is_err() {
            break;
        }
        oldest = i;
    }
    for i in (1..=n).rev() {
        verify_seal(dns, sets, i).map_err(|problem| {
            fail(
                i,
                ArcPart::As,
                ArcCause::Seal {
                    instance: i,
                    problem,
                },
            )
        })?;
    }
    Ok(oldest)
}

fn parse_instance(text: &str) -> Result<usize, InstanceError> {
    let t = text.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) || t.len() > 3 {
        return Err(InstanceError::Invalid(t.to_string()));
    }
    let i: usize = t
        .parse()
        .map_err(|_| InstanceError::Invalid(t.to_string()))?;
    if !(1..=MAX_INSTANCE).contains(&i) {
        return Err(InstanceError::Range(i));
    }
    Ok(i)
}

/// AAR: the value must begin `i=N;` (RFC 8617 §4.1.1).
fn aar_instance(field: &Field) -> Result<usize, InstanceError> {
    let text = field.text();
    let rest = text
        .trim_start()
        .strip_prefix("i")
        .map(str::trim_start)
        .and_then(|r| r.strip_prefix('='))
        .ok_or(InstanceError::AarPrefix)?;
    let (num, _) = rest.split_once(';').ok_or(InstanceError::AarSemicolon)?;
    parse_instance(num)
}

fn tag_instance(field: &Field) -> Result<usize, InstanceError> {
    let text = field.text();
    let tags = TagList::parse(&text)?;
    parse_instance(tags.get("i").ok_or(InstanceError::Missing)?)
}

/// A seal's tags, from its unfolded text (`Field::text`).
fn seal_tags(text: &str) -> Result<TagList<'_>, SigProblem> {
    TagList::parse(text).map_err(SigProblem::TagSyntax)
}

fn valid_domain(d: &str) -> bool {
    !d.is_empty()
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// ARC allows only SHA-256 algorithms (RFC 8617 §4.1.3 by way of RFC 8301).
fn arc_params(tags: &TagList, kind: SigKind) -> Result<SigParams, SigProblem> {
    let params = SigParams::parse(tags, kind).map_err(SigProblem::Params)?;
    if params.hash != Hash::Sha256 {
        return Err(SigProblem::Params(SigError::ArcAlgorithm(params.algorithm)));
    }
    if !valid_domain(&params.domain) {
        return Err(SigProblem::Params(SigError::ArcDomain(params.domain)));
    }
    Ok(params)
}

/// The usable key for an AMS or seal.
fn arc_key(dns: &Dns, params: &SigParams) -> Result<key::PublicKey, SigProblem> {
    let rec =
        lookup_key(dns, &params.selector, &params.domain).map_err(|problem| SigProblem::Key {
            name: format!("{}._domainkey.{}", params.selector, params.domain),
            problem,
        })?;
    if let Some(u) = key_unusable(params, &rec) {
        return Err(SigProblem::Unusable(u));
    }
    rec.key.ok_or(SigProblem::Unusable(
        crate::auth::dkim::KeyUnusable::Revoked,
    ))
}

fn verify_ams(msg: &Message, dns: &Dns, bodies: &Bodies, field: &Field) -> AmsResult {
    let text = field.text();
    let tags = TagList::parse(&text).map_err(SigProblem::TagSyntax)?;
    let params = arc_params(&tags, SigKind::ArcMessage)?;
    if params.headers.iter().any(|h| h == "arc-seal") {
        return Err(SigProblem::SignsSeal);
    }
    let key = arc_key(dns, &params)?;
    match check_crypto(&params, &key, msg, bodies, field) {
        CryptoOutcome::Pass => Ok(()),
        CryptoOutcome::BodyHashMismatch | CryptoOutcome::BodyTooShort => Err(SigProblem::BodyHash),
        CryptoOutcome::BadSignature => Err(SigProblem::BadSignature),
    }
}

fn verify_seal(dns: &Dns, sets: &BTreeMap<usize, Set>, i: usize) -> Result<(), SigProblem> {
    let field = sets[&i].seal[0];
    let text = field.text();
    let tags = seal_tags(&text)?;
    let params = arc_params(&tags, SigKind::ArcSeal)?;
    if tags.get("h").is_some() {
        return Err(SigProblem::SealHasH);
    }
    let cv = tags.get("cv").ok_or(SigProblem::NoCv)?;
    let expected = if i == 1 { "none" } else { "pass" };
    if !cv.eq_ignore_ascii_case(expected) {
        return Err(SigProblem::WrongCv {
            cv: cv.to_string(),
            expected,
        });
    }
    let key = arc_key(dns, &params)?;
    // The seal covers every set up to its own, in instance order, AAR, AMS, AS (§5.1.1).
    let mut data = Vec::with_capacity(4096);
    for j in 1..=i {
        let set = &sets[&j];
        canon::header(Canon::Relaxed, set.aar[0].raw, &mut data);
        canon::header(Canon::Relaxed, set.ams[0].raw, &mut data);
        if j < i {
            canon::header(Canon::Relaxed, set.seal[0].raw, &mut data);
        }
    }
    canon::header(Canon::Relaxed, &strip_b_value(field.raw), &mut data);
    if data.ends_with(b"\r\n") {
        data.truncate(data.len() - 2);
    }
    if key::verify(&key, params.hash, &data, &params.b) {
        return Ok(());
    }
    Err(SigProblem::BadSignature)
}

fn describe_set(i: usize, set: &Set, ams: Option<&AmsResult>, chain: &ArcReport) -> ArcSetReport {
    let seal_text = set.seal.first().map(|f| f.text());
    let seal = seal_text.as_deref().and_then(|t| seal_tags(t).ok());
    let ams_result = match ams {
        Some(Ok(())) => AuthResult::Pass,
        Some(Err(p)) => ArcCause::Ams(p.clone()).result(),
        None => AuthResult::Permerror,
    };
    let seal_failed = chain.failing_instance == Some(i) && chain.failing_part == Some(ArcPart::As);
    let seal_result = if chain.result == AuthResult::Pass {
        AuthResult::Pass
    } else if seal_failed {
        AuthResult::Fail
    } else {
        AuthResult::None
    };
    let authserv_id = set.aar.first().and_then(|f| {
        let text = f.text();
        let (_, rest) = text.split_once(';')?;
        let id = rest.split(';').next()?.trim();
        (!id.is_empty()).then(|| crate::common::clip(id, 255))
    });
    ArcSetReport {
        instance: i,
        domain: seal
            .as_ref()
            .and_then(|t| t.get("d"))
            .map(str::to_ascii_lowercase),
        selector: seal.as_ref().and_then(|t| t.get("s")).map(str::to_string),
        cv: seal
            .as_ref()
            .and_then(|t| t.get("cv"))
            .map(str::to_ascii_lowercase),
        ams: ams_result,
        seal: seal_result,
        authserv_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::Zone;

    fn validate_text(wire: &[u8]) -> ArcReport {
        let msg = Message::parse(wire).expect("message");
        let dns = Dns::new(Box::new(Zone::default()));
        validate(&msg, &dns, &Bodies::default())
    }

    /// No ARC fields: none, with no failing part.
    #[test]
    fn no_sets_is_none() {
        let r = validate_text(b"From: a@example.com\r\n\r\nx\r\n");
        assert_eq!((r.result, r.instances), (AuthResult::None, 0));
        assert_eq!(r.reason, ArcCause::NoSets);
    }

    /// A set whose instance 1 is missing below instance 2 is a structure failure at i=1.
    #[test]
    fn a_gap_fails_the_structure() {
        let r = validate_text(
            b"ARC-Seal: i=2; a=rsa-sha256; cv=pass; d=x.test; s=s; b=YQ==\r\n\
ARC-Message-Signature: i=2; a=rsa-sha256; d=x.test; s=s; h=from; bh=YQ==; b=YQ==\r\n\
ARC-Authentication-Results: i=2; x.test; spf=pass\r\nFrom: a@example.com\r\n\r\nx\r\n",
        );
        assert_eq!(r.result, AuthResult::Fail);
        assert_eq!(
            (r.failing_instance, r.failing_part),
            (Some(1), Some(ArcPart::Structure))
        );
        assert_eq!(
            r.reason.to_string(),
            "ARC set i=1 is missing (gap in the chain)"
        );
    }

    /// An instance outside 1..50 is named in the reason, with the field.
    #[test]
    fn bad_instances_are_reported() {
        let r = validate_text(b"ARC-Seal: i=51; cv=none\r\nFrom: a@example.com\r\n\r\nx\r\n");
        assert_eq!(r.result, AuthResult::Fail);
        assert_eq!(
            r.reason.to_string(),
            "ARC-Seal: instance i=51 is outside 1..50"
        );
    }
}
