//! The attacker's side: every identity the verdict rests on (client IP, HELO, MAIL FROM, From
//! domain, DKIM d=/i=, ARC, trusted Authentication-Results, the trust boundary, IDN) forged
//! the way a sender can forge it, through the real binary. The victim, example.com, publishes
//! `p=reject`, SPF for 192.0.2.0/24 and 2001:db8:25::/48, and the DKIM key sel1; the attacker
//! sends from 203.0.113.66 and owns evil.test (SPF and DMARC that pass for him). No case may
//! come out PASS for example.com.
//!
//! Classes from "Composition Kills" (Chen et al., USENIX Security 2020) and "Weak Links in
//! Authentication Chains" (Shen et al., USENIX Security 2021) that concern a verifier are
//! marked in each test's comment.

use serde_json::Value;

use crate::support::{run, temp_dir, testdata, write_file};

/// The attacker's own domain and a victim with an internationalized name, beside the DKIM
/// test zone (example.com).
const ZONE: &str = "$ORIGIN evil.test.
$TTL 300
@       TXT \"v=spf1 ip4:203.0.113.0/24 -all\"
_dmarc  TXT \"v=DMARC1; p=none\"
$ORIGIN xn--bcher-kva.test.
@       TXT \"v=spf1 ip4:192.0.2.0/24 -all\"
_dmarc  TXT \"v=DMARC1; p=reject\"
$ORIGIN arpa.
66.113.0.203.in-addr PTR attacker.evil.test.
";

fn zones() -> (String, String) {
    let dir = temp_dir("adversarial-zone");
    (
        testdata("dkim/zone.db"),
        write_file(&dir, "evil.db", ZONE.as_bytes()),
    )
}

/// `check --format json` on message text, with both zones and extra arguments.
fn check(text: &str, extra: &[&str]) -> Value {
    let (victim, evil) = zones();
    let dir = temp_dir("adversarial");
    let file = write_file(&dir, "m.eml", text.as_bytes());
    let mut args = vec![
        "check",
        "--format",
        "json",
        "--dns-zone",
        &victim,
        "--dns-zone",
        &evil,
        &file,
    ];
    args.extend_from_slice(extra);
    let r = run(&args, None);
    assert!(r.code != 101, "panic: {}", r.stderr);
    r.json()
}

/// A message from the attacker claiming example.com, below `received` (our border MTA's
/// field first, then whatever the attacker wrote).
fn spoof(received: &str, from: &str) -> String {
    format!(
        "Return-Path: <bounce@example.com>\r\n{received}From: {from}\r\nTo: bob@receiver.test\r\n\
Subject: wire the money\r\nDate: Mon, 23 Nov 2026 10:15:00 +0000\r\nMessage-ID: <x@evil.test>\r\n\r\nNow.\r\n"
    )
}

fn not_pass(v: &Value, case: &str) {
    assert_ne!(
        v["verdict"]["result"], "pass",
        "{case}: spoofed PASS: {}",
        v["verdict"]
    );
}

fn received(line: &str) -> String {
    format!("Received: {line};\r\n\tMon, 23 Nov 2026 10:15:02 +0000\r\n")
}

/// Item 1, one forged-field case per Received format we parse: the sender's HELO names an
/// address inside example.com's SPF, the TCP-level part the receiving MTA wrote names the
/// attacker's. The client IP is always the attacker's, SPF fails, DMARC fails.
#[test]
fn helo_literal_never_becomes_the_client_ip() {
    let formats = [
        (
            "Exim",
            "from [203.0.113.66] (helo=[IPv6:2001:db8:25::1])\r\n\tby mx.receiver.test with esmtp (Exim 4.96)\r\n\tid 1tDxyz-000ABC-2Q",
        ),
        (
            "Exim, name known",
            "from attacker.evil.test ([203.0.113.66]:41234 helo=[192.0.2.10])\r\n\tby mx.receiver.test with esmtps (Exim 4.96)",
        ),
        (
            "Postfix",
            "from [192.0.2.10] (attacker.evil.test [203.0.113.66])\r\n\tby mx.receiver.test (Postfix) with ESMTP id 4ABC",
        ),
        (
            "Postfix, HELO with brackets",
            "from x [192.0.2.10] (unknown [203.0.113.66])\r\n\tby mx.receiver.test (Postfix) with ESMTP id 4ABC",
        ),
        (
            "Sendmail",
            "from [192.0.2.10] (attacker.evil.test [203.0.113.66] (may be forged))\r\n\tby mx.receiver.test (8.17.1/8.17.1) with ESMTP id 5AN9",
        ),
        (
            "qmail",
            "from unknown (HELO [192.0.2.10]) (joe@203.0.113.66)\r\n\tby mx.receiver.test with SMTP",
        ),
        (
            "Exchange",
            "from [192.0.2.10] (203.0.113.66) by EX01.receiver.test (10.0.0.2)\r\n\twith Microsoft SMTP Server id 15.2.1118.7",
        ),
        (
            "Microsoft 365",
            "from [192.0.2.10] (attacker.evil.test [203.0.113.66]) by\r\n\tBN1NAM02FT001.mail.protection.outlook.com (10.13.2.8) with Microsoft SMTP\r\n\tServer (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id\r\n\t15.20.8207.18 via Frontend Transport",
        ),
        (
            "Gmail",
            "from [192.0.2.10] (attacker.evil.test. [203.0.113.66])\r\n\tby mx.google.com with ESMTPS id a1si123456wrb.1.2026.11.23.02.15.02",
        ),
        (
            "Zimbra (LMTP)",
            "from mail.receiver.test (LHLO [192.0.2.10]) (203.0.113.66)\r\n\tby mail.receiver.test with LMTP",
        ),
        (
            "Proofpoint",
            "from [192.0.2.10] (attacker.evil.test [203.0.113.66])\r\n\tby mx0a-00123.pphosted.com (8.18.1.2/8.18.1.2) with ESMTPS id 4abc",
        ),
        (
            "Mimecast",
            "from [192.0.2.10] (attacker.evil.test [203.0.113.66]) (Using TLS)\r\n\tby relay.mimecast.com with ESMTP id us-mta-1",
        ),
    ];
    for (name, line) in formats {
        let v = check(&spoof(&received(line), "alice@example.com"), &[]);
        assert_eq!(
            v["path"]["origin_ip"], "203.0.113.66",
            "{name}: {}",
            v["path"]
        );
        assert_eq!(v["spf"]["result"], "fail", "{name}");
        assert_eq!(v["verdict"]["result"], "fail", "{name}");
    }
}

/// Item 1: a HELO that smuggles a parenthesis of its own (Postfix writes a multi-word HELO as
/// is) cannot hide the TCP-info: a field whose parentheses do not balance names no client IP.
#[test]
fn unbalanced_helo_text_gives_no_client_ip() {
    let line = "from [192.0.2.10] (HELO (unknown [203.0.113.66])\r\n\tby mx.receiver.test (Postfix) with ESMTP id 4ABC";
    let v = check(&spoof(&received(line), "alice@example.com"), &[]);
    assert_eq!(v["path"]["origin_ip"], Value::Null, "{}", v["path"]);
    not_pass(&v, "unbalanced");
}

/// Item 2: the attacker HELOs as our trusted relay and writes a "clean" hop below; the trust
/// boundary stays at the hop our MTA wrote, because a trusted MTA is recognised by the
/// address or reverse-DNS name our MTA recorded, never by what the sender said.
#[test]
fn trusted_mta_name_in_helo_does_not_move_the_boundary() {
    let forged = received(
        "from mail.example.com (mail.example.com [192.0.2.10])\r\n\tby relay.receiver.test (Postfix) with ESMTPS id 1",
    );
    for top in [
        "from relay.receiver.test (attacker.evil.test [203.0.113.66])\r\n\tby mx.receiver.test (Postfix) with ESMTPS id 2",
        "from attacker.evil.test ([203.0.113.66] helo=relay.receiver.test)\r\n\tby mx.receiver.test with esmtps (Exim 4.96)",
        "from unknown (HELO relay.receiver.test) (203.0.113.66)\r\n\tby mx.receiver.test with SMTP",
    ] {
        let text = spoof(&format!("{}{forged}", received(top)), "alice@example.com");
        let v = check(&text, &["--trusted-mta", "relay.receiver.test"]);
        assert_eq!(v["path"]["trusted_hops"], 1, "{top}");
        assert_eq!(v["path"]["origin_ip"], "203.0.113.66", "{top}");
        not_pass(&v, top);
    }
    // The real relay, recognised by the reverse-DNS name our MTA recorded, does move it.
    let real = received(
        "from relay.receiver.test (relay.receiver.test [10.0.0.7])\r\n\tby mx.receiver.test (Postfix) with ESMTPS id 2",
    );
    let v = check(
        &spoof(&format!("{real}{forged}"), "alice@example.com"),
        &["--trusted-mta", "relay.receiver.test"],
    );
    assert_eq!(v["path"]["trusted_hops"], 2);
    assert_eq!(v["path"]["origin_ip"], "192.0.2.10");
}

/// Item 2: a range matches the address our MTA recorded; a trusted address in the sender's
/// HELO does not.
#[test]
fn trusted_range_matches_the_recorded_address_only() {
    let forged = received(
        "from mail.example.com (mail.example.com [192.0.2.10])\r\n\tby relay.receiver.test (Postfix) with ESMTPS id 1",
    );
    let top = received(
        "from [10.0.0.7] (attacker.evil.test [203.0.113.66])\r\n\tby mx.receiver.test (Postfix) with ESMTPS id 2",
    );
    let v = check(
        &spoof(&format!("{top}{forged}"), "alice@example.com"),
        &["--trusted-mta", "10.0.0.0/8"],
    );
    assert_eq!(v["path"]["trusted_hops"], 1);
    not_pass(&v, "range");
}

/// Forged ARC sets (Weak Links, "ARC as a bypass"): an ARC chain claiming dkim=pass that we
/// cannot verify never turns a failing message into a PASS.
#[test]
fn forged_arc_does_not_rescue_a_spoof() {
    let top = received(
        "from attacker.evil.test (attacker.evil.test [203.0.113.66])\r\n\tby mx.receiver.test (Postfix) with ESMTPS id 2",
    );
    let arc = "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=example.com; s=sel1; t=1795440130; b=AAAA\r\n\
ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=sel1; h=from:to:subject; bh=AAAA; b=AAAA\r\n\
ARC-Authentication-Results: i=1; mx.example.com; dkim=pass header.d=example.com; spf=pass smtp.mailfrom=example.com; dmarc=pass header.from=example.com\r\n";
    let v = check(&spoof(&format!("{top}{arc}"), "alice@example.com"), &[]);
    assert_ne!(v["arc"]["result"], "pass");
    not_pass(&v, "forged ARC");
}

/// A trusted-looking Authentication-Results written by the attacker below our boundary, with
/// our authserv-id, is never trusted (Weak Links, "forged upstream results").
#[test]
fn forged_authentication_results_below_the_boundary() {
    let top = received(
        "from attacker.evil.test (attacker.evil.test [203.0.113.66])\r\n\tby mx.receiver.test (Postfix) with ESMTPS id 2",
    );
    let ar = "Authentication-Results: mx.receiver.test; spf=pass smtp.mailfrom=example.com; dkim=pass header.d=example.com; dmarc=pass header.from=example.com\r\n";
    let v = check(
        &spoof(&format!("{top}{ar}"), "alice@example.com"),
        &["--authserv-id", "mx.receiver.test"],
    );
    assert_eq!(v["authentication_results"][0]["trusted"], false);
    not_pass(&v, "forged A-R");
}

/// MAIL FROM forged two ways: the victim's domain from the attacker's IP fails SPF; the
/// attacker's own domain passes SPF but is not aligned with example.com.
#[test]
fn mail_from_forgery() {
    let top = received(
        "from attacker.evil.test (attacker.evil.test [203.0.113.66])\r\n\tby mx.receiver.test (Postfix) with ESMTPS id 2",
    );
    let v = check(&spoof(&top, "alice@example.com"), &[]);
    assert_eq!(v["spf"]["result"], "fail");
    not_pass(&v, "victim MAIL FROM");
    let v = check(
        &spoof(&top, "alice@example.com").replace("bounce@example.com", "bounce@evil.test"),
        &[],
    );
    assert_eq!(v["spf"]["result"], "pass");
    assert_eq!(v["dmarc"]["spf_aligned"], false);
    not_pass(&v, "own MAIL FROM");
}

/// DKIM d=/i= forged: a signature by the attacker's domain is not aligned; a copied
/// example.com signature over a changed From does not verify (Composition Kills, "DKIM
/// signature replay with a changed header").
#[test]
fn dkim_identity_forgery() {
    // Sent again from the attacker's host.
    let base = std::fs::read_to_string(testdata("dkim/pass-relaxed.eml"))
        .expect("fixture")
        .replace(
            "from mail.example.com (mail.example.com [192.0.2.10])",
            "from mail.example.com (attacker.evil.test [203.0.113.66])",
        );
    let changed = base.replace(
        "From: Alice Example <alice@example.com>",
        "From: CEO <ceo@example.com>",
    );
    let v = check(&changed, &[]);
    assert_ne!(v["dkim"][0]["result"], "pass");
    not_pass(&v, "replayed signature");
    let other_d = base.replace("d=example.com;", "d=evil.test;");
    let v = check(&other_d, &[]);
    assert_eq!(v["dmarc"]["dkim_aligned"], false);
    not_pass(&v, "d=evil.test");
}

/// Item 5: a trusted Authentication-Results claim with a multibyte header.b is compared
/// without a panic (exit 101 before), and every command survives it.
#[test]
fn multibyte_header_b_does_not_panic() {
    let base = std::fs::read_to_string(testdata("dkim/pass-relaxed.eml")).expect("fixture");
    let text = format!(
        "Authentication-Results: mx.receiver.test; dkim=pass header.d=example.com header.b=\"AjZba9Ué\"\r\n{base}"
    );
    let dir = temp_dir("mb");
    let file = write_file(&dir, "mb.eml", text.as_bytes());
    let zone = testdata("dkim/zone.db");
    for cmd in ["check", "trace"] {
        let r = run(
            &[
                cmd,
                "--format",
                "json",
                "--dns-zone",
                &zone,
                "--authserv-id",
                "mx.receiver.test",
                &file,
            ],
            None,
        );
        assert!(r.code != 101, "{cmd}: {}", r.stderr);
        r.json();
    }
}

/// Item 6 (Weak Links, "trusting upstream results"): our own `none` against a trusted claim of
/// `pass` is a disagreement, never "not comparable".
#[test]
fn trusted_claim_we_cannot_confirm_disagrees() {
    let base = std::fs::read_to_string(testdata("dkim/spf-only.eml")).expect("fixture");
    let text = format!(
        "Authentication-Results: mx.receiver.test; dkim=pass header.d=example.com\r\n{base}"
    );
    let dir = temp_dir("ar-none");
    let file = write_file(&dir, "ar.eml", text.as_bytes());
    let r = run(
        &[
            "check",
            "--format",
            "json",
            "--dns-zone",
            &testdata("dkim/zone.db"),
            "--authserv-id",
            "mx.receiver.test",
            &file,
        ],
        None,
    );
    let v = r.json();
    let f = &v["authentication_results"][0];
    assert_eq!(f["trusted"], true);
    assert_eq!(f["ours"], serde_json::json!(["none"]));
    assert_eq!(f["agrees"], serde_json::json!([false]));
}
