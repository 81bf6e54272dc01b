//! DKIM key records (RFC 6376 §3.6.1) and the signature check itself (ring).

use std::cell::RefCell;
use std::collections::HashMap;

use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use rsa::pkcs1::der::Decode;
use rsa::pkcs8::spki::SubjectPublicKeyInfoRef;

use crate::auth::tags::{TagList, decode_base64};

/// RFC 8301: RSA keys under 1024 bits are not acceptable; ring stops at 8192.
pub const MIN_RSA_BITS: usize = 1024;
pub const MAX_RSA_BITS: usize = 8192;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    Rsa,
    Ed25519,
}

impl KeyType {
    pub fn name(self) -> &'static str {
        match self {
            KeyType::Rsa => "rsa",
            KeyType::Ed25519 => "ed25519",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Sha1,
    Sha256,
}

#[derive(Debug, Clone)]
pub enum PublicKey {
    Rsa { n: Vec<u8>, e: Vec<u8>, bits: usize },
    Ed25519([u8; 32]),
}

impl PublicKey {
    pub fn bits(&self) -> usize {
        match self {
            PublicKey::Rsa { bits, .. } => *bits,
            PublicKey::Ed25519(_) => 256,
        }
    }
}

/// A DKIM key record (RFC 6376 §3.6.1), the TXT record at `selector._domainkey.domain`.
#[derive(Debug, Clone)]
pub struct KeyRecord {
    /// `k=`: the key type (RSA when absent).
    pub key_type: KeyType,
    /// None: the key is revoked (empty `p=`).
    pub key: Option<PublicKey>,
    /// `h=`: hashes the key may be used with (None = any).
    pub hashes: Option<Vec<String>>,
    /// `t=y`: the domain is only testing DKIM (RFC 6376 §3.6.1).
    pub testing: bool,
    /// `t=s`: the i= domain must equal d= exactly.
    pub strict_identity: bool,
    /// `s=`: the service types the key may be used for (`*` when absent means all).
    pub services: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("key record syntax error: {0}")]
    Syntax(String),
    #[error("key record has v={0:?} (must be DKIM1)")]
    Version(String),
    #[error("unknown key type k={0}")]
    UnknownType(String),
    #[error("key p= is not valid base64")]
    Base64,
    #[error("key p= is not a valid {0} public key")]
    BadKey(&'static str),
}

impl KeyRecord {
    /// Parse the TXT text of a key record (`v=DKIM1` first if given, `p=` required).
    pub fn parse(text: &str) -> Result<KeyRecord, KeyError> {
        let tags = TagList::parse(text).map_err(|e| KeyError::Syntax(e.to_string()))?;
        if let Some(v) = tags.get("v") {
            if v != "DKIM1" {
                return Err(KeyError::Version(v.to_string()));
            }
            if tags.names().next() != Some("v") {
                return Err(KeyError::Syntax("v= must be the first tag".into()));
            }
        }
        let key_type = match tags.get("k").unwrap_or("rsa").to_ascii_lowercase().as_str() {
            "rsa" => KeyType::Rsa,
            "ed25519" => KeyType::Ed25519,
            other => return Err(KeyError::UnknownType(other.to_string())),
        };
        let p = tags
            .get("p")
            .ok_or_else(|| KeyError::Syntax("no p= tag".into()))?;
        let key = if p.trim().is_empty() {
            None
        } else {
            let der = decode_base64(p).ok_or(KeyError::Base64)?;
            Some(decode_key(key_type, &der)?)
        };
        let list = |v: &str| -> Vec<String> {
            v.split(':')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect()
        };
        let flags = tags.get("t").map(list).unwrap_or_default();
        Ok(KeyRecord {
            key_type,
            key,
            hashes: tags.get("h").map(list),
            testing: flags.iter().any(|f| f == "y"),
            strict_identity: flags.iter().any(|f| f == "s"),
            services: tags.get("s").map(list).unwrap_or_else(|| vec!["*".into()]),
        })
    }
}

/// Parsed key records by their TXT text. A batch asks for the same few keys for every
/// message; parsing one (tag list, base64, DER) costs about as much as hashing a small body,
/// and the result depends on the text alone. Bounded: past this many texts the memo starts
/// over, and texts longer than any real key record (RSA-8192 is about 1.5 KB) are not kept.
const KEY_MEMO: usize = 256;
const KEY_MEMO_TEXT: usize = 4096;

type KeyMemo = HashMap<Vec<u8>, Result<KeyRecord, KeyError>>;

/// [`KeyRecord::parse`] of a TXT record's text (lossy UTF-8), remembered per thread: the
/// workers of a batch each keep their own memo, so looking a key up takes no lock another
/// worker may hold (a process-wide mutex here cost `--jobs 2` CPU time in contention).
pub fn parse_cached(txt: &[u8]) -> Result<KeyRecord, KeyError> {
    thread_local! {
        static MEMO: RefCell<KeyMemo> = RefCell::new(HashMap::new());
    }
    let known = MEMO.with(|m| m.try_borrow().ok().and_then(|m| m.get(txt).cloned()));
    if let Some(k) = known {
        return k;
    }
    let parsed = KeyRecord::parse(&String::from_utf8_lossy(txt));
    if txt.len() <= KEY_MEMO_TEXT {
        MEMO.with(|m| {
            if let Ok(mut m) = m.try_borrow_mut() {
                if m.len() >= KEY_MEMO {
                    m.clear();
                }
                m.insert(txt.to_vec(), parsed.clone());
            }
        });
    }
    parsed
}

fn decode_key(key_type: KeyType, der: &[u8]) -> Result<PublicKey, KeyError> {
    match key_type {
        KeyType::Rsa => {
            // SubjectPublicKeyInfo is the standard; bare PKCS#1 RSAPublicKey occurs in the wild
            // (the RFC 6376 example key). The DER is read directly: the rsa crate's key types
            // refuse moduli over 4096 bits, and key size is our policy to report, not a parse
            // error.
            let pkcs1_der = match SubjectPublicKeyInfoRef::from_der(der) {
                Ok(spki) => spki
                    .subject_public_key
                    .as_bytes()
                    .ok_or(KeyError::BadKey("RSA"))?,
                Err(_) => der,
            };
            let key = rsa::pkcs1::RsaPublicKey::from_der(pkcs1_der)
                .map_err(|_| KeyError::BadKey("RSA"))?;
            let n = key.modulus.as_bytes().to_vec();
            let e = key.public_exponent.as_bytes().to_vec();
            if n.is_empty() || e.is_empty() {
                return Err(KeyError::BadKey("RSA"));
            }
            let bits = n.len() * 8 - n[0].leading_zeros() as usize;
            Ok(PublicKey::Rsa { n, e, bits })
        }
        KeyType::Ed25519 => {
            let raw: [u8; 32] = der.try_into().map_err(|_| KeyError::BadKey("Ed25519"))?;
            Ok(PublicKey::Ed25519(raw))
        }
    }
}

/// Check `signature` over `data` (the canonical header block). Ed25519-SHA256 signs the
/// SHA-256 digest of the data (RFC 8463 §3).
pub fn verify(key: &PublicKey, hash: Hash, data: &[u8], sig: &[u8]) -> bool {
    match key {
        PublicKey::Rsa { n, e, .. } => {
            let params = match hash {
                Hash::Sha256 => &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
                Hash::Sha1 => &signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
            };
            RsaPublicKeyComponents { n, e }
                .verify(params, data, sig)
                .is_ok()
        }
        PublicKey::Ed25519(raw) => {
            let digest = ring::digest::digest(&ring::digest::SHA256, data);
            UnparsedPublicKey::new(&signature::ED25519, raw)
                .verify(digest.as_ref(), sig)
                .is_ok()
        }
    }
}

pub fn digest(hash: Hash, data: &[u8]) -> Vec<u8> {
    let alg = match hash {
        Hash::Sha1 => &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        Hash::Sha256 => &ring::digest::SHA256,
    };
    ring::digest::digest(alg, data).as_ref().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The memo answers what the parser answers, for a good record, a bad one and a text
    /// too long to be kept, the first time and the second.
    #[test]
    fn cached_parse_equals_parse() {
        let ed = b"v=DKIM1; k=ed25519; p=69BOg5I6GPpk7tg0dM/b2qTioD3+Udy4+Fy/1hafT1o=".to_vec();
        let long = [b"v=DKIM1; k=rsa; n=".as_slice(), &[b'x'; 5000], b"; p="].concat();
        for text in [ed, b"v=DKIM2; p=abc".to_vec(), long] {
            let direct = KeyRecord::parse(&String::from_utf8_lossy(&text));
            for _ in 0..2 {
                let cached = parse_cached(&text);
                assert_eq!(cached.is_ok(), direct.is_ok());
                assert_eq!(cached.as_ref().err(), direct.as_ref().err());
                assert_eq!(
                    cached.ok().map(|k| (k.key_type, k.key.map(|k| k.bits()))),
                    direct
                        .as_ref()
                        .ok()
                        .map(|k| (k.key_type, k.key.as_ref().map(PublicKey::bits)))
                );
            }
        }
    }
}
