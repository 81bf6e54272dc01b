//! DKIM results and reasons for messages signed by dkimpy (an independent signer).

use crate::support::{check_json, testdata};

fn dkim_of(file: &str, extra: &[&str]) -> serde_json::Value {
    let zone = testdata("dkim/zone.db");
    let (_, v) = check_json(&zone, &testdata(&format!("dkim/{file}")), extra);
    v["dkim"].clone()
}

/// Every failure reason the issue names comes out with the right RFC 8601 word and a reason
/// that says what broke.
#[test]
fn each_dkim_outcome_has_its_result_and_reason() {
    let cases = [
        ("pass-relaxed.eml", "pass", "signature verified"),
        ("pass-simple.eml", "pass", "signature verified"),
        ("pass-ed25519.eml", "pass", "signature verified"),
        (
            "body-altered.eml",
            "fail",
            "body hash mismatch (body altered after signing; l= not used)",
        ),
        ("header-altered.eml", "fail", "signature did not verify"),
        ("revoked-key.eml", "permerror", "revoked"),
        ("key-not-found.eml", "permerror", "key not found"),
        ("testing-altered.eml", "neutral", "testing mode (t=y)"),
        ("sha1.eml", "policy", "rsa-sha1 is a weak algorithm"),
        ("hash-not-allowed.eml", "permerror", "does not allow sha1"),
        (
            "syntax-error.eml",
            "permerror",
            "syntax error in DKIM-Signature: tag v= appears twice",
        ),
        ("tiny-key.eml", "policy", "512 bits is too weak"),
        (
            "bad-key-data.eml",
            "permerror",
            "not a valid RSA public key",
        ),
        (
            "from-not-signed.eml",
            "permerror",
            "h= does not include From",
        ),
        ("dkim-timeout.eml", "temperror", "TIMEOUT"),
    ];
    for (file, result, reason) in cases {
        let dkim = dkim_of(file, &[]);
        assert_eq!(
            dkim.as_array().map(Vec::len),
            Some(1),
            "{file}: one signature"
        );
        assert_eq!(dkim[0]["result"], result, "{file}: {}", dkim[0]);
        let got = dkim[0]["reason"].as_str().unwrap_or_default();
        assert!(
            got.contains(reason),
            "{file}: reason {got:?} lacks {reason:?}"
        );
    }
}

/// Relaxed and simple body canonicalization edge cases that mail-auth 0.13.3 gets wrong
/// (trailing whitespace-only lines), plus trailing blank lines and empty bodies.
#[test]
fn canonicalization_edge_cases_verify() {
    for file in [
        "relaxed-trailing-ws-lines.eml",
        "relaxed-trailing-blank-lines.eml",
        "relaxed-empty-body.eml",
        "relaxed-inner-ws.eml",
        "simple-trailing-ws-lines.eml",
        "simple-empty-body.eml",
    ] {
        let dkim = dkim_of(file, &[]);
        assert_eq!(dkim[0]["result"], "pass", "{file}: {}", dkim[0]);
    }
}

/// Key facts are reported: key type and size from p=, algorithm, canonicalization, signed
/// headers, over-signing, alignment and the l= gap.
#[test]
fn signature_details_are_reported() {
    let dkim = dkim_of("pass-relaxed.eml", &[]);
    let d = &dkim[0];
    assert_eq!(d["key_type"], "rsa");
    assert_eq!(d["key_bits"], 2048);
    assert_eq!(d["algorithm"], "rsa-sha256");
    assert_eq!(d["canonicalization"], "relaxed/relaxed");
    assert_eq!(d["from_signed"], true);
    assert_eq!(d["aligned"], true);
    assert_eq!(d["domain"], "example.com");
    assert_eq!(d["selector"], "sel1");
    assert!(d["signed_headers"].as_array().is_some_and(|h| h.len() == 7));
    assert_eq!(dkim_of("pass-ed25519.eml", &[])[0]["key_bits"], 256);

    let l = dkim_of("l-tag-appended.eml", &[]);
    assert_eq!(
        l[0]["result"], "pass",
        "appended text after l= does not break the signature"
    );
    assert!(l[0]["body_length"].as_u64().is_some());
    assert!(
        l[0]["body_unsigned_bytes"].as_u64().is_some_and(|n| n > 30),
        "{}",
        l[0]
    );
}

/// A signature from another domain verifies but does not align with From.
#[test]
fn unaligned_signature_is_marked() {
    let dkim = dkim_of("unaligned-dkim.eml", &["--ip", "203.0.113.9"]);
    assert_eq!(dkim[0]["result"], "pass");
    assert_eq!(dkim[0]["aligned"], false);
}

/// Headers signed more often than they occur are reported as over-signed (a defence against
/// added copies); the extra instances sign as empty and the signature still verifies.
#[test]
fn oversigned_headers_are_reported() {
    let dkim = dkim_of("oversigned.eml", &[]);
    assert_eq!(dkim[0]["result"], "pass", "{}", dkim[0]);
    assert_eq!(
        dkim[0]["oversigned"],
        serde_json::json!(["from", "subject"])
    );
    assert_eq!(
        dkim_of("pass-relaxed.eml", &[])[0]["oversigned"],
        serde_json::json!([])
    );
}
