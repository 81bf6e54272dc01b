//! DKIM selectors in the domain audit: the key records at `--selector`s and common names.

use serde::Serialize;

use super::findings::Findings;
use crate::auth::dkim::key::{KeyError, KeyRecord, PublicKey};
use crate::dns::Dns;

/// Selectors tried by `--guess-selectors`: the common defaults of mail services.
pub const COMMON_SELECTORS: &[&str] = &[
    "default",
    "dkim",
    "mail",
    "selector1",
    "selector2",
    "google",
    "k1",
    "k2",
    "k3",
    "s1",
    "s2",
    "s1024",
    "s2048",
    "smtp",
    "mx",
    "key1",
    "key2",
    "dkim1",
    "dkim2",
    "mandrill",
    "everlytickey1",
    "everlytickey2",
    "sendgrid",
    "pm",
    "zoho",
    "protonmail",
    "protonmail2",
    "protonmail3",
    "fm1",
    "fm2",
    "fm3",
    "mxvault",
    "amazonses",
    "cm",
    "mailjet",
    "sig1",
];

#[derive(Debug, Clone, Serialize)]
pub struct SelectorSection {
    pub selector: String,
    pub record: Option<String>,
    pub key_type: Option<String>,
    pub key_bits: Option<usize>,
    pub revoked: bool,
    pub testing: bool,
}

pub(super) fn audit_selector(
    dns: &Dns,
    domain: &str,
    selector: &str,
    guessed: bool,
    f: &mut Findings,
) -> Option<SelectorSection> {
    let name = format!("{selector}._domainkey.{domain}");
    let records = match dns.txt(&name) {
        Ok(r) => r,
        Err(e) if e.is_temporary() => {
            f.dns_failure(
                "dkim.dns-error",
                format!("TXT lookup for {name} failed: {e}"),
            );
            return None;
        }
        Err(_) => Vec::new(),
    };
    let Some(text) = records
        .first()
        .map(|r| String::from_utf8_lossy(r).into_owned())
    else {
        if !guessed {
            f.error(
                "dkim.missing",
                format!("no DKIM key at {name}"),
                Some("publish the selector's public key, or fix the selector name"),
            );
        }
        return None;
    };
    let mut s = SelectorSection {
        selector: selector.to_string(),
        record: Some(text.clone()),
        key_type: None,
        key_bits: None,
        revoked: false,
        testing: false,
    };
    if guessed {
        f.info(
            "dkim.found",
            format!("selector {selector} has a key at {name}"),
        );
    }
    match KeyRecord::parse(&text) {
        Err(KeyError::Syntax(e)) => f.error(
            "dkim.syntax",
            format!("{name}: syntax error: {e}"),
            Some("fix the key record"),
        ),
        Err(e) => f.error(
            "dkim.syntax",
            format!("{name}: {e}"),
            Some("fix the key record"),
        ),
        Ok(k) => {
            s.key_type = Some(k.key_type.name().to_string());
            s.testing = k.testing;
            s.revoked = k.key.is_none();
            s.key_bits = k.key.as_ref().map(PublicKey::bits);
            if s.revoked {
                f.info("dkim.revoked", format!("{name}: key revoked (empty p=)"));
            }
            if k.testing {
                f.warning(
                    "dkim.testing",
                    format!("{name}: t=y (testing): receivers treat signatures as unsigned"),
                    Some("remove t=y once signing works"),
                );
            }
            if let Some(PublicKey::Rsa { bits, .. }) = &k.key {
                if *bits < 1024 {
                    f.error(
                        "dkim.weak-key",
                        format!("{name}: RSA key of {bits} bits (RFC 8301 requires 1024 or more)"),
                        Some("rotate to a 2048-bit key"),
                    );
                } else if *bits < 2048 {
                    f.warning(
                        "dkim.short-key",
                        format!("{name}: RSA key of {bits} bits"),
                        Some("rotate to a 2048-bit key"),
                    );
                } else {
                    f.info("dkim.key", format!("{name}: RSA {bits} bits"));
                }
            }
            if let Some(PublicKey::Ed25519(_)) = &k.key {
                f.info("dkim.key", format!("{name}: Ed25519"));
            }
            if let Some(h) = &k.hashes
                && !h.iter().any(|x| x == "sha256")
            {
                f.error(
                    "dkim.hash-sha1-only",
                    format!(
                        "{name}: h={} allows only SHA-1 (not acceptable, RFC 8301)",
                        h.join(":")
                    ),
                    Some("allow sha256"),
                );
            }
        }
    }
    Some(s)
}
