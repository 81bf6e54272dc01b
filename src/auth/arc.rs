//! ARC chain validation (RFC 8617 §5.2) on the DKIM primitives: which instance failed, in which
//! part (the AMS or the seal), and the oldest instance whose AMS still verifies.

use std::collections::BTreeMap;

use crate::auth::dkim::canon::{self, Canon};
use crate::auth::dkim::key::{self, Hash};
use crate::auth::dkim::{
    Bodies, CryptoOutcome, SigKind, SigParams, check_crypto, key_unusable, lookup_key,
    strip_b_value,
};
use crate::auth::tags::TagList;
use crate::dns::Dns;
use crate::message::{Field, Message};
use serde::Serialize;

use crate::common::AuthResult;

#[derive(Debug, Clone, Serialize)]
pub struct ArcReport {
    pub result: AuthResult,
    pub instances: usize,
    /// The instance whose check failed, and which part ("ams", "as", "structure").
    pub failing_instance: Option<usize>,
    pub failing_part: Option<String>,
    /// The oldest instance whose AMS still verifies (RFC 8617 §5.2 oldest-pass).
    pub oldest_pass: Option<usize>,
    pub reason: String,
    /// Per instance, oldest first.
    pub sets: Vec<ArcSetReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ArcSetReport {
    pub instance: usize,
    pub domain: Option<String>,
    pub selector: Option<String>,
    pub cv: Option<String>,
    pub ams: AuthResult,
    pub seal: AuthResult,
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

/// A failed check: result, failing instance and part, reason.
struct Failed(AuthResult, Option<usize>, &'static str, String);

fn fail(instance: usize, part: &'static str, reason: String) -> Failed {
    Failed(AuthResult::Fail, Some(instance), part, reason)
}

fn report(result: AuthResult, reason: String, instances: usize) -> ArcReport {
    ArcReport {
        result,
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
            Err(e) => {
                let name = String::from_utf8_lossy(field.name).into_owned();
                structure_error.get_or_insert(format!("{name}: {e}"));
            }
        }
    }
    if sets.is_empty() && structure_error.is_none() {
        return report(AuthResult::None, "no ARC sets in the message".into(), 0);
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
            let mut r = report(
                AuthResult::Pass,
                format!("chain of {instances} instance(s) validated"),
                instances,
            );
            r.oldest_pass = Some(oldest);
            r
        }
        Err(Failed(result, instance, part, reason)) => {
            let mut r = report(result, reason, instances);
            r.failing_instance = instance;
            r.failing_part = Some(part.to_string());
            r
        }
    };
    out.sets = sets
        .iter()
        .map(|(&i, set)| describe_set(i, set, ams.get(&i), &out))
        .collect();
    out
}

/// An AMS check: pass, or the result and reason of its failure.
type AmsResult = Result<(), (AuthResult, String)>;

fn check_chain(
    dns: &Dns,
    sets: &BTreeMap<usize, Set>,
    ams: &BTreeMap<usize, AmsResult>,
    n: usize,
    structure_error: Option<String>,
) -> Result<usize, Failed> {
    if let Some(e) = structure_error {
        return Err(Failed(AuthResult::Fail, None, "structure", e));
    }
    for i in 1..=n {
        let Some(set) = sets.get(&i) else {
            return Err(fail(
                i,
                "structure",
                format!("ARC set i={i} is missing (gap in the chain)"),
            ));
        };
        for (part, count) in [
            ("aar", set.aar.len()),
            ("ams", set.ams.len()),
            ("as", set.seal.len()),
        ] {
            if count != 1 {
                let what = if count == 0 { "missing" } else { "duplicated" };
                return Err(fail(
                    i,
                    part,
                    format!("{} of instance {i} is {what}", part_name(part)),
                ));
            }
        }
    }
    // The newest seal's cv=fail means a previous hop already found the chain broken.
    let latest_seal = seal_tags(sets[&n].seal[0]).map_err(|e| fail(n, "as", e))?;
    if latest_seal
        .get("cv")
        .is_some_and(|cv| cv.eq_ignore_ascii_case("fail"))
    {
        return Err(fail(
            n,
            "as",
            format!("instance {n} sealed the chain with cv=fail"),
        ));
    }
    ams[&n]
        .clone()
        .map_err(|(r, e)| Failed(r, Some(n), "ams", e))?;
    let mut oldest = n;
    for i in (1..n).rev() {
        if ams[&i].is_err() {
            break;
        }
        oldest = i;
    }
    for i in (1..=n).rev() {
        verify_seal(dns, sets, i).map_err(|(r, e)| Failed(r, Some(i), "as", e))?;
    }
    Ok(oldest)
}

fn part_name(part: &str) -> &'static str {
    match part {
        "aar" => "ARC-Authentication-Results",
        "ams" => "ARC-Message-Signature",
        _ => "ARC-Seal",
    }
}

fn parse_instance(text: &str) -> Result<usize, String> {
    let t = text.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) || t.len() > 3 {
        return Err(format!("invalid instance i={t:?}"));
    }
    let i: usize = t.parse().map_err(|_| format!("invalid instance i={t:?}"))?;
    if !(1..=MAX_INSTANCE).contains(&i) {
        return Err(format!("instance i={i} is outside 1..{MAX_INSTANCE}"));
    }
    Ok(i)
}

/// AAR: the value must begin `i=N;` (RFC 8617 §4.1.1).
fn aar_instance(field: &Field) -> Result<usize, String> {
    let text = field.text();
    let rest = text
        .trim_start()
        .strip_prefix("i")
        .map(str::trim_start)
        .and_then(|r| r.strip_prefix('='))
        .ok_or("does not start with i=")?;
    let (num, _) = rest.split_once(';').ok_or("i= is not followed by ';'")?;
    parse_instance(num)
}

fn tag_instance(field: &Field) -> Result<usize, String> {
    let tags = TagList::parse(&field.text()).map_err(|e| e.to_string())?;
    parse_instance(tags.get("i").ok_or("no i= tag")?)
}

fn seal_tags(field: &Field) -> Result<TagList, String> {
    TagList::parse(&field.text()).map_err(|e| format!("ARC-Seal syntax error: {e}"))
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
fn arc_params(tags: &TagList, kind: SigKind) -> Result<SigParams, String> {
    let params = SigParams::parse(tags, kind)?;
    if params.hash != Hash::Sha256 {
        return Err(format!("a={} is not allowed in ARC", params.algorithm));
    }
    if !valid_domain(&params.domain) {
        return Err(format!("d={} is not a valid domain name", params.domain));
    }
    Ok(params)
}

/// The usable key for an AMS or seal: DNS trouble stays temperror, everything else fails the
/// chain.
fn arc_key(
    dns: &Dns,
    params: &SigParams,
    part: &str,
) -> Result<key::PublicKey, (AuthResult, String)> {
    let rec = lookup_key(dns, &params.selector, &params.domain).map_err(|p| {
        let (r, e) = p.result_and_reason(&params.selector, &params.domain);
        let r = if r == AuthResult::Temperror {
            r
        } else {
            AuthResult::Fail
        };
        (r, format!("{part}: {e}"))
    })?;
    if let Some((_, e)) = key_unusable(params, &rec) {
        return Err((AuthResult::Fail, format!("{part}: {e}")));
    }
    rec.key
        .ok_or_else(|| (AuthResult::Fail, format!("{part}: key revoked")))
}

fn verify_ams(
    msg: &Message,
    dns: &Dns,
    bodies: &Bodies,
    field: &Field,
) -> Result<(), (AuthResult, String)> {
    let perm = |e: String| (AuthResult::Fail, e);
    let tags = TagList::parse(&field.text()).map_err(|e| perm(format!("AMS syntax error: {e}")))?;
    let params = arc_params(&tags, SigKind::ArcMessage).map_err(|e| perm(format!("AMS: {e}")))?;
    if params.headers.iter().any(|h| h == "arc-seal") {
        return Err(perm(
            "AMS h= includes ARC-Seal, which it must not sign".into(),
        ));
    }
    let key = arc_key(dns, &params, "AMS")?;
    match check_crypto(&params, &key, msg, bodies, field) {
        CryptoOutcome::Pass => Ok(()),
        CryptoOutcome::BodyHashMismatch | CryptoOutcome::BodyTooShort => Err(perm(
            "AMS body hash mismatch (body altered after this hop signed)".into(),
        )),
        CryptoOutcome::BadSignature => Err(perm(
            "AMS signature did not verify (signed header fields altered)".into(),
        )),
    }
}

fn verify_seal(
    dns: &Dns,
    sets: &BTreeMap<usize, Set>,
    i: usize,
) -> Result<(), (AuthResult, String)> {
    let perm = |e: String| (AuthResult::Fail, e);
    let field = sets[&i].seal[0];
    let tags = seal_tags(field).map_err(perm)?;
    let params = arc_params(&tags, SigKind::ArcSeal).map_err(|e| perm(format!("ARC-Seal: {e}")))?;
    if tags.get("h").is_some() {
        return Err(perm("ARC-Seal must not have h=".into()));
    }
    let cv = tags
        .get("cv")
        .ok_or_else(|| perm("ARC-Seal has no cv=".into()))?;
    let expected = if i == 1 { "none" } else { "pass" };
    if !cv.eq_ignore_ascii_case(expected) {
        return Err(perm(format!(
            "ARC-Seal i={i} has cv={cv}, expected cv={expected}"
        )));
    }
    let key = arc_key(dns, &params, "ARC-Seal")?;
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
    Err(perm(format!("ARC-Seal i={i} signature did not verify")))
}

fn describe_set(i: usize, set: &Set, ams: Option<&AmsResult>, chain: &ArcReport) -> ArcSetReport {
    let seal = set.seal.first().and_then(|f| seal_tags(f).ok());
    let ams_result = match ams {
        Some(Ok(())) => AuthResult::Pass,
        Some(Err((r, _))) => *r,
        None => AuthResult::Permerror,
    };
    let seal_failed =
        chain.failing_instance == Some(i) && chain.failing_part.as_deref() == Some("as");
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
