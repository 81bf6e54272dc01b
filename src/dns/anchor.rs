//! `--trust-anchor` files: DNSKEY records in zone-file form, read by our own zone parser (the
//! one `--dns-zone` uses), so both options accept the same files. hickory's own anchor reader
//! goes through its lexer, which decodes `\DDD` escapes wrongly (not as decimal octets).

use std::path::Path;

use base64::Engine;
use hickory_proto::dnssec::{Algorithm, PublicKeyBuf, TrustAnchors};
use hickory_proto::rr::{LowerName, Name};

use super::zone::Zone;
use super::{DnsSetupError, Rdata, RecordType};

const DNSKEY: RecordType = RecordType::Other(48);
const DS: RecordType = RecordType::Other(43);

/// Why a trust-anchor file holds no usable anchor (the file and line are added around it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnchorError {
    /// No DNSKEY record in the file.
    #[error("no DNSKEY record in the file")]
    NoKey,
    /// DS records name a key by digest; a validator needs the key itself.
    #[error("{0}: DS records cannot be used as trust anchors here; give the zone's DNSKEY record")]
    Ds(String),
    /// DNSKEY data that is not `FLAGS PROTOCOL ALGORITHM BASE64`.
    #[error("{owner}: DNSKEY data is not FLAGS PROTOCOL ALGORITHM KEY: {why}")]
    Syntax {
        /// The record's owner.
        owner: String,
        /// What is wrong.
        why: &'static str,
    },
}

/// Read the DNSKEY records of `path` as trust anchors, each for its owner name.
pub fn read(path: &Path) -> Result<TrustAnchors, DnsSetupError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| DnsSetupError::AnchorRead {
        path: shown.clone(),
        source,
    })?;
    let mut zone = Zone::default();
    zone.add_text(&String::from_utf8_lossy(&bytes))
        .map_err(|e| DnsSetupError::AnchorSyntax {
            path: shown.clone(),
            line: e.line,
            error: e.kind,
        })?;
    anchors(&zone).map_err(|error| DnsSetupError::Anchor { path: shown, error })
}

fn anchors(zone: &Zone) -> Result<TrustAnchors, AnchorError> {
    let mut anchors = TrustAnchors::empty();
    let mut keys = 0;
    for record in zone.records() {
        let owner = &record.owner;
        let (flags, protocol, algorithm, key) = match &record.rdata {
            Rdata::Other { rtype, text } if *rtype == DNSKEY => presentation(owner, text)?,
            Rdata::Unknown { rtype, data } if *rtype == DNSKEY => wire(owner, data)?,
            Rdata::Other { rtype, .. } | Rdata::Unknown { rtype, .. } if *rtype == DS => {
                return Err(AnchorError::Ds(owner.clone()));
            }
            _ => continue,
        };
        let bad = |why| AnchorError::Syntax {
            owner: owner.clone(),
            why,
        };
        // RFC 4034 §2.1.1-2: a key that signs zones has the Zone Key flag; protocol is 3.
        if flags & 0x0100 == 0 {
            return Err(bad("the Zone Key flag (256) is not set"));
        }
        if protocol != 3 {
            return Err(bad("the protocol field is not 3"));
        }
        let name = Name::from_labels(
            owner
                .split('.')
                .filter(|l| !l.is_empty())
                .map(str::as_bytes),
        )
        .map_err(|_| bad("the owner is not a DNS name"))?;
        let key = PublicKeyBuf::new(key, Algorithm::from_u8(algorithm));
        anchors.insert_with_name(&key, LowerName::from(name));
        keys += 1;
    }
    if keys == 0 {
        return Err(AnchorError::NoKey);
    }
    Ok(anchors)
}

type Key = (u16, u8, u8, Vec<u8>);

/// `257 3 13 BASE64...` (the key may be split into several tokens).
fn presentation(owner: &str, text: &str) -> Result<Key, AnchorError> {
    let bad = |why| AnchorError::Syntax {
        owner: owner.to_string(),
        why,
    };
    let mut words = text.split_whitespace();
    let flags = words
        .next()
        .and_then(|w| w.parse().ok())
        .ok_or(bad("bad flags"))?;
    let protocol = words
        .next()
        .and_then(|w| w.parse().ok())
        .ok_or(bad("bad protocol"))?;
    let algorithm = words
        .next()
        .and_then(|w| w.parse().ok())
        .ok_or(bad("bad algorithm"))?;
    let key: String = words.collect();
    let key = base64::engine::general_purpose::STANDARD
        .decode(key.as_bytes())
        .map_err(|_| bad("the key is not base64"))?;
    if key.is_empty() {
        return Err(bad("no key"));
    }
    Ok((flags, protocol, algorithm, key))
}

/// RFC 3597 generic form: the DNSKEY wire data.
fn wire(owner: &str, data: &[u8]) -> Result<Key, AnchorError> {
    match data {
        [f1, f2, protocol, algorithm, key @ ..] if !key.is_empty() => Ok((
            u16::from_be_bytes([*f1, *f2]),
            *protocol,
            *algorithm,
            key.to_vec(),
        )),
        _ => Err(AnchorError::Syntax {
            owner: owner.to_string(),
            why: "the data is shorter than a key",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str) -> Result<TrustAnchors, AnchorError> {
        let mut zone = Zone::default();
        zone.add_text(text).expect("zone text");
        anchors(&zone)
    }

    #[test]
    fn keys_in_both_forms_and_escaped_owners() {
        let a = read_text(
            "t\\101st. 3600 IN DNSKEY 257 3 13 ( AQID\n BAU= )\n. 3600 IN DNSKEY 257 3 8 AQID\n",
        )
        .expect("anchors");
        // The root's key counts in len(); the other is stored under its decoded name.
        assert_eq!(a.len(), 1);
        let key = PublicKeyBuf::new(vec![1, 2, 3, 4, 5], Algorithm::from_u8(13));
        let name = LowerName::from(Name::from_labels([&b"test"[..]]).expect("name"));
        assert!(a.contains_with_name(&key, &name));
        let generic = read_text("x. DNSKEY \\# 7 0101030D010203\n").expect("generic");
        let key = PublicKeyBuf::new(vec![1, 2, 3], Algorithm::from_u8(13));
        let x = LowerName::from(Name::from_labels([&b"x"[..]]).expect("name"));
        assert!(generic.contains_with_name(&key, &x));
    }

    #[test]
    fn refusals() {
        assert_eq!(
            read_text("x. A 192.0.2.1\n").err(),
            Some(AnchorError::NoKey)
        );
        assert!(matches!(
            read_text("x. DS 1 13 2 AABB\n"),
            Err(AnchorError::Ds(_))
        ));
        assert!(matches!(
            read_text("x. DNSKEY 256 3 13 !!!\n"),
            Err(AnchorError::Syntax { .. })
        ));
        assert!(matches!(
            read_text("x. DNSKEY 1 3 13 AQID\n"),
            Err(AnchorError::Syntax { .. })
        ));
    }
}
