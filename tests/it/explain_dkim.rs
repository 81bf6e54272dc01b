//! `check --explain dkim`: the body hashes, the canonical body length and what l= leaves
//! unsigned, the exact header block hashed, and the key record, per signature.

use base64::Engine;

use crate::support::{run, temp_dir, testdata, write_file};

fn explain(zone: &str, file: &str, format: &str) -> crate::support::Run {
    run(
        &[
            "check",
            "--explain",
            "dkim",
            "--format",
            format,
            "--color",
            "never",
            "--dns-zone",
            &testdata(zone),
            file,
        ],
        None,
    )
}

fn b64(s: &serde_json::Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s.as_str().expect("base64 text"))
        .expect("base64")
}

/// The header block shown is exactly what was signed: the Ed25519 signature of the demo
/// message (dkimpy) verifies with ring over SHA-256 of that block and the key shown
/// (RFC 8463 §3), and both body hashes agree.
#[test]
fn header_block_is_the_signed_octets() {
    let r = explain("demo/zone.db", &testdata("demo/signed.eml"), "json");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["schema"], "mailverdict.dkim-explain.v1");
    let sigs = v["signatures"].as_array().expect("signatures");
    assert_eq!(sigs.len(), 2);
    let ed = sigs
        .iter()
        .find(|s| s["algorithm"] == "ed25519-sha256")
        .expect("ed25519 signature");
    assert_eq!(ed["result"], "pass");
    assert_eq!(ed["body"]["matches"], true);
    assert_eq!(ed["body"]["claimed_hash"], ed["body"]["computed_hash"]);
    let block = b64(&ed["header"]["block_base64"]);
    assert_eq!(
        ed["header"]["block"].as_str(),
        Some(&*String::from_utf8_lossy(&block))
    );
    assert!(block.ends_with(b"b="), "b= emptied, no final CRLF");
    let record = ed["key"]["records"][0].as_str().expect("key record");
    let p = record.split("p=").nth(1).expect("p=");
    let key = base64::engine::general_purpose::STANDARD
        .decode(p.trim())
        .expect("key");
    let msg = std::fs::read_to_string(testdata("demo/signed.eml")).expect("demo");
    // The first field is the ed25519 signature: unfold it and take its b= tag.
    let mut lines = msg.lines();
    let mut field = lines.next().expect("first line").to_string();
    for l in lines.take_while(|l| l.starts_with([' ', '\t'])) {
        field.push_str(l);
    }
    let b: String = field
        .split(';')
        .map(str::trim)
        .find_map(|t| t.strip_prefix("b="))
        .expect("b= tag")
        .split_whitespace()
        .collect();
    let sig = base64::engine::general_purpose::STANDARD
        .decode(b)
        .expect("signature");
    let digest = ring::digest::digest(&ring::digest::SHA256, &block);
    ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, &key)
        .verify(digest.as_ref(), &sig)
        .expect("the block shown is what was signed");
}

/// A body edited after signing: the claimed hash is the original's, the computed one differs,
/// and the human form says MISMATCH; the exit code is check's own.
#[test]
fn body_hash_mismatch_is_shown() {
    let file = testdata("dkim/body-altered.eml");
    let r = explain("dkim/zone.db", &file, "json");
    let v = r.json();
    let s = &v["signatures"][0];
    assert_eq!(s["result"], "fail");
    assert_eq!(s["body"]["matches"], false);
    assert_ne!(s["body"]["claimed_hash"], s["body"]["computed_hash"]);
    assert_eq!(s["body"]["length_tag"], serde_json::Value::Null);
    assert_eq!(s["body"]["unsigned_bytes"], 0);
    let plain = run(
        &["check", "--dns-zone", &testdata("dkim/zone.db"), &file],
        None,
    );
    assert_eq!(r.code, plain.code, "same exit code as check");
    let h = explain("dkim/zone.db", &file, "human");
    assert!(h.stdout.contains("computed bh="), "{}", h.stdout);
    assert!(h.stdout.contains("MISMATCH"), "{}", h.stdout);
    assert!(
        h.stdout
            .contains("key record at sel1._domainkey.example.com")
    );
    assert!(h.stdout.contains("| from:"), "{}", h.stdout);
}

/// l= shorter than the body: the hashed length, the unsigned octets and the start of the
/// unsigned tail (text appended after signing).
#[test]
fn length_tag_shows_the_unsigned_tail() {
    let r = explain("dkim/zone.db", &testdata("dkim/l-tag-appended.eml"), "json");
    let s = &r.json()["signatures"][0];
    assert_eq!(s["result"], "pass");
    let body = &s["body"];
    let l = body["length_tag"].as_u64().expect("l=");
    let total = body["canonical_length"].as_u64().expect("length");
    assert_eq!(body["hashed_length"].as_u64(), Some(l));
    assert_eq!(body["unsigned_bytes"].as_u64(), Some(total - l));
    assert!(total > l);
    assert!(
        body["unsigned_preview"]
            .as_str()
            .is_some_and(|p| p.contains("evil.example")),
        "{body}"
    );
    let h = explain(
        "dkim/zone.db",
        &testdata("dkim/l-tag-appended.eml"),
        "human",
    );
    assert!(h.stdout.contains("are not signed"), "{}", h.stdout);
}

/// Text from the message is escaped in the human form (an ESC in a DKIM-Signature tag), a
/// missing key is named with its lookup error, and --explain has no A-R form (exit 2).
#[test]
fn explain_escapes_and_refuses_arh() {
    let dir = temp_dir("explain");
    let msg = "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=nokey; h=from; bh=AAAA; b=AAAA; z=\x1b[31mred\r\nFrom: a@example.com\r\nSubject: s\r\n\r\nbody\r\n";
    let file = write_file(&dir, "m.eml", msg.as_bytes());
    let r = explain("dkim/zone.db", &file, "human");
    assert!(!r.stdout.contains('\x1b'), "{:?}", r.stdout);
    assert!(r.stdout.contains("\\x1b[31mred"), "{}", r.stdout);
    assert!(
        r.stdout.contains("nokey._domainkey.example.com"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("none: NXDOMAIN"), "{}", r.stdout);
    let r = explain("dkim/zone.db", &file, "arh");
    assert_eq!(r.code, 2, "{}", r.stderr);
}
