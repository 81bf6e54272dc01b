//! A second independent signer (mail-auth's DKIM signer) for cases dkimpy cannot produce:
//! x= expiry evaluated against --at.

use mail_auth::common::crypto::{RsaKey, Sha256};
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;

use crate::support::{check_json, root, temp_dir, testdata, write_file};

const MESSAGE: &str = "Return-Path: <bounce@example.com>\r\n\
Received: from mail.example.com (mail.example.com [192.0.2.10]) by mx.receiver.test; Mon, 23 Nov 2026 10:15:02 +0000\r\n\
From: alice@example.com\r\nTo: bob@receiver.test\r\nSubject: expiring\r\n\
Date: Mon, 23 Nov 2026 10:15:00 +0000\r\n\r\nThis signature expires.\r\n";

fn signed_with_expiry(expiration: u64) -> Vec<u8> {
    let pem = std::fs::read_to_string(root().join("testdata/keys/sel1-rsa2048.pem")).expect("key");
    // The PEM helper is deprecated upstream in favour of DER plumbing; it is fine for a test key.
    #[allow(deprecated)]
    let key = RsaKey::<Sha256>::from_rsa_pem(&pem).expect("PKCS#1 key");
    let sig = DkimSigner::from_key(key)
        .domain("example.com")
        .selector("sel1")
        .headers(["From", "To", "Subject", "Date"])
        .expiration(expiration)
        .sign(MESSAGE.as_bytes())
        .expect("signs");
    let mut out = sig.to_header().into_bytes();
    out.extend_from_slice(MESSAGE.as_bytes());
    out
}

/// Before x= the signature passes; with --at after x= it fails with "expired".
#[test]
fn expiry_is_judged_at_the_given_time() {
    let dir = temp_dir("expiry");
    let file = write_file(&dir, "exp.eml", &signed_with_expiry(3600));
    let zone = testdata("dkim/zone.db");
    let (_, v) = check_json(&zone, &file, &[]);
    assert_eq!(v["dkim"][0]["result"], "pass", "{}", v["dkim"][0]);
    let x = v["dkim"][0]["expiration"].as_u64().expect("x= reported");
    let later = (x + 10).to_string();
    let (_, v) = check_json(&zone, &file, &["--at", &later]);
    assert_eq!(v["dkim"][0]["result"], "fail");
    assert!(
        v["dkim"][0]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("signature expired")
    );
}

/// A signature with an internationalized `d=` (RFC 8616: a U-label) is verified with the key
/// published at the A-label, and aligns with the A-label author domain (issue 12 item 4).
#[test]
fn unicode_signing_domain_is_looked_up_at_its_a_label() {
    let message = "Return-Path: <bounce@xn--bcher-kva.test>\r\n\
Received: from mail.example.com (mail.example.com [192.0.2.10]) by mx.receiver.test; Mon, 23 Nov 2026 10:15:02 +0000\r\n\
From: ceo@b\u{fc}cher.test\r\nTo: bob@receiver.test\r\nSubject: idn\r\n\
Date: Mon, 23 Nov 2026 10:15:00 +0000\r\n\r\nHallo.\r\n";
    let pem = std::fs::read_to_string(root().join("testdata/keys/sel1-rsa2048.pem")).expect("key");
    #[allow(deprecated)]
    let key = RsaKey::<Sha256>::from_rsa_pem(&pem).expect("PKCS#1 key");
    let sig = DkimSigner::from_key(key)
        .domain("b\u{fc}cher.test")
        .selector("sel1")
        .headers(["From", "To", "Subject", "Date"])
        .sign(message.as_bytes())
        .expect("signs");
    let mut bytes = sig.to_header().into_bytes();
    bytes.extend_from_slice(message.as_bytes());
    let dir = temp_dir("idn-dkim");
    let file = write_file(&dir, "idn.eml", &bytes);
    let key_rdata = std::fs::read_to_string(testdata("dkim/zone.db"))
        .expect("zone")
        .lines()
        .find(|l| l.starts_with("sel1._domainkey"))
        .and_then(|l| l.split_once(" TXT ").map(|(_, r)| r.to_string()))
        .expect("sel1 key in the dkim zone");
    let zone = write_file(
        &dir,
        "zone.db",
        format!(
            "sel1._domainkey.xn--bcher-kva.test. TXT {key_rdata}\n\
             _dmarc.xn--bcher-kva.test. TXT \"v=DMARC1; p=reject\"\n"
        )
        .as_bytes(),
    );
    let (_, v) = check_json(&zone, &file, &["--ip", "203.0.113.7"]);
    assert_eq!(
        v["dkim"][0]["domain"], "xn--bcher-kva.test",
        "{}",
        v["dkim"][0]
    );
    assert_eq!(v["dkim"][0]["result"], "pass", "{}", v["dkim"][0]);
    assert_eq!(v["dmarc"]["result"], "pass", "{}", v["dmarc"]);
}
