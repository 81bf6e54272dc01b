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

/// DKIM d=/i= forged: a signature by the attacker's domain is not aligned, an i= outside d=
/// does not verify; a copied
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
    // i= moved to the attacker's domain: the signature no longer verifies (i= is signed, and
    // must lie within d=), so it gives no aligned pass.
    let other_i = base.replace("i=@example.com;", "i=@evil.test;");
    let v = check(&other_i, &[]);
    assert_ne!(v["dkim"][0]["result"], "pass");
    not_pass(&v, "i=@evil.test");
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

/// Item 3 (Composition Kills, "multiple From / address parsing"): From text that is not
/// exactly one author domain is a DMARC permerror with a reason, never evaluated for the
/// address we happened to pick. The attacker's domain passes SPF for him, so on the old
/// parser these came out PASS.
#[test]
fn from_that_is_not_one_mailbox_is_permerror() {
    let top = received(
        "from attacker.evil.test (attacker.evil.test [203.0.113.66])\r\n\tby mx.receiver.test (Postfix) with ESMTPS id 2",
    );
    let cases = [
        ("<alice@example.com> bob@evil.test", "does not parse"),
        ("alice@example.com@evil.test", "does not parse"),
        ("alice@example.com bob@evil.test", "does not parse"),
        ("alice@example.com, bob@evil.test", "2 From addresses"),
        ("Team: alice@example.com, bob@evil.test;", "group syntax"),
        ("<@evil.test:alice@example.com>", "source route"),
        ("bob@evil.test (alice@example.com)", "comment"),
        (
            "=?utf-8?q?alice=40example=2Ecom?= <bob@evil.test>",
            "encoded-word",
        ),
        ("\"alice@example.com\"@evil.test", "local-part"),
        ("bob@[203.0.113.66]", "address literal"),
    ];
    for (from, words) in cases {
        let text = spoof(&top, from).replace("bounce@example.com", "bounce@evil.test");
        let v = check(&text, &[]);
        assert_eq!(v["dmarc"]["result"], "permerror", "{from}: {}", v["dmarc"]);
        let reason = v["dmarc"]["reason"].as_str().unwrap_or_default();
        assert!(reason.contains(words), "{from}: {reason}");
        not_pass(&v, from);
    }
    // Several mailboxes of one domain are evaluated for it, with a note (RFC 7489 §6.6.1).
    let text = spoof(&top, "bob@evil.test, carol@evil.test")
        .replace("bounce@example.com", "bounce@evil.test");
    let v = check(&text, &[]);
    assert_eq!(v["message"]["from_domain"], "evil.test");
    assert!(
        v["message"]["author_note"]
            .as_str()
            .unwrap_or_default()
            .contains("2 mailboxes")
    );
}

/// Item 10 (Composition Kills, "header parsing ambiguity"): where another parser would see an
/// author field we do not (a bare CR, a name folded before its colon, a white-space line, a
/// first line `From :`), the message is ambiguous: permerror, never evaluated.
#[test]
fn field_boundary_tricks_are_ambiguous() {
    let top = received(
        "from attacker.evil.test (attacker.evil.test [203.0.113.66])\r\n\tby mx.receiver.test (Postfix) with ESMTPS id 2",
    );
    let base = spoof(&top, "bob@evil.test").replace("bounce@example.com", "bounce@evil.test");
    let cases = [
        (
            "bare CR",
            base.replace(
                "Subject: wire",
                "X-Note: a\rFrom: alice@example.com\r\nSubject: wire",
            ),
        ),
        (
            "folded name",
            base.replace(
                "Subject: wire",
                "From\r\n : alice@example.com\r\nSubject: wire",
            ),
        ),
        (
            "white-space line",
            base.replace("\r\nFrom: ", "\r\n \r\nFrom: "),
        ),
        (
            "first line From :",
            format!("From : alice@example.com\r\n{base}"),
        ),
    ];
    for (name, text) in cases {
        let v = check(&text, &[]);
        assert_eq!(v["dmarc"]["result"], "permerror", "{name}: {}", v["dmarc"]);
        not_pass(&v, name);
    }
}

/// Item 4 (Composition Kills, "IDN homograph"; Weak Links, "domain encoding"): an
/// internationalized author domain is looked up at its A-label, so the p=reject published
/// there applies; both forms are shown.
#[test]
fn idn_author_domain_uses_its_a_label() {
    let top = received(
        "from attacker.evil.test (attacker.evil.test [203.0.113.66])\r\n\tby mx.receiver.test (Postfix) with ESMTPS id 2",
    );
    let v = check(&spoof(&top, "ceo@bücher.test"), &[]);
    assert_eq!(v["message"]["from_domain"], "xn--bcher-kva.test");
    assert_eq!(v["message"]["from_domain_unicode"], "bücher.test");
    assert_eq!(v["dmarc"]["result"], "fail", "{}", v["dmarc"]);
    assert_eq!(v["dmarc"]["policy"], "reject");
}

/// Item 8: invisible and reordering characters from the message never reach an A-R header we
/// write, and are escaped in the human report.
#[test]
fn invisible_characters_are_never_raw() {
    let top = received(
        "from attacker.evil.test (attacker.evil.test [203.0.113.66])\r\n\tby mx.receiver.test (Postfix) with ESMTPS id 2",
    );
    let text = spoof(
        &top,
        "\"Pay\u{200b}Pal \u{202e}moc.elpmaxe\" <alice@example.com>",
    )
    .replace("bounce@example.com", "bo\u{202e}unce@example.com");
    let (victim, evil) = zones();
    let dir = temp_dir("invisible");
    let file = write_file(&dir, "m.eml", text.as_bytes());
    let arh = run(
        &[
            "check",
            "--format",
            "arh",
            "--dns-zone",
            &victim,
            "--dns-zone",
            &evil,
            &file,
        ],
        None,
    );
    assert!(arh.stdout.is_ascii(), "{:?}", arh.stdout);
    for line in arh.stdout.lines() {
        assert!(line.len() <= 998, "{line}");
    }
    let human = run(
        &[
            "check",
            "--color",
            "never",
            "--dns-zone",
            &victim,
            "--dns-zone",
            &evil,
            &file,
        ],
        None,
    );
    for c in ['\u{200b}', '\u{202e}'] {
        assert!(!human.stdout.contains(c), "{c:?} raw in {}", human.stdout);
    }
}

/// Item 9: what a PASS vouches for. Text appended past `l=`, and a second Subject above the
/// signed one, leave the DKIM pass standing, but every format says what is not covered: JSON
/// per field and per signature, the verdict summary, the A-R comment and the human report.
#[test]
fn pass_says_what_it_does_not_vouch_for() {
    let zone = testdata("dkim/zone.db");
    let (_, v) = crate::support::check_json(&zone, &testdata("dkim/l-tag-appended.eml"), &[]);
    assert_eq!(v["coverage"]["body_covered"], false, "{}", v["coverage"]);
    assert!(v["coverage"]["signatures"][0]["body_unsigned_bytes"].as_u64() > Some(0));
    let base = std::fs::read_to_string(testdata("dkim/pass-relaxed.eml")).expect("fixture");
    let text = base.replace(
        "Subject: Quarterly report",
        "Subject: URGENT: wire the money today\r\nSubject: Quarterly report",
    );
    let dir = temp_dir("coverage");
    let file = write_file(&dir, "second-subject.eml", text.as_bytes());
    let (_, v) = crate::support::check_json(&zone, &file, &[]);
    assert_eq!(v["dkim"][0]["result"], "pass");
    let subject = v["coverage"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .find(|f| f["name"] == "Subject")
        .cloned()
        .expect("Subject");
    assert_eq!(subject["status"], "extra-unsigned", "{subject}");
    let from = v["coverage"]["fields"][0].clone();
    assert_eq!(
        (from["name"].as_str(), from["status"].as_str()),
        (Some("From"), Some("covered"))
    );
    assert!(
        v["verdict"]["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("2 Subject fields"),
        "{}",
        v["verdict"]
    );
    let arh = run(
        &["check", "--format", "arh", "--dns-zone", &zone, &file],
        None,
    );
    assert!(arh.stdout.contains("(unsigned subject)"), "{}", arh.stdout);
    let human = run(
        &["check", "--color", "never", "--dns-zone", &zone, &file],
        None,
    );
    assert!(
        human.stdout.contains("Not vouched for: 2 Subject fields"),
        "{}",
        human.stdout
    );
}
