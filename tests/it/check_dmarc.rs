//! DMARC outcomes and the exit codes they map to.

use crate::support::{check_json, run, temp_dir, testdata, write_file};

fn zone() -> String {
    testdata("dkim/zone.db")
}

/// SPF pass + aligned DKIM pass: DMARC pass, exit 0.
#[test]
fn pass_exits_zero() {
    let (r, v) = check_json(&zone(), &testdata("demo/signed.eml"), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(v["schema"], "mailverdict.check.v2");
    assert_eq!(v["verdict"]["result"], "pass");
    assert_eq!(v["dmarc"]["result"], "pass");
    assert_eq!(v["dmarc"]["spf_aligned"], true);
    assert_eq!(v["dmarc"]["dkim_aligned"], true);
    assert_eq!(v["spf"]["result"], "pass");
    assert_eq!(v["spf"]["mechanism"], "ip4:192.0.2.0/24");
    assert_eq!(v["iprev"]["result"], "pass");
    assert_eq!(v["path"]["origin_ip"], "192.0.2.10");
    assert_eq!(v["message"]["from_domain"], "example.com");
}

/// Client outside the SPF policy and a broken signature: DMARC fail under p=reject, exit 1,
/// with the reason naming both.
#[test]
fn fail_exits_one_with_disposition() {
    let (r, v) = check_json(
        &zone(),
        &testdata("dkim/body-altered.eml"),
        &["--ip", "203.0.113.5"],
    );
    assert_eq!(r.code, 1);
    assert_eq!(v["spf"]["result"], "fail");
    assert_eq!(v["spf"]["mechanism"], "-all");
    assert_eq!(v["dmarc"]["result"], "fail");
    assert_eq!(v["dmarc"]["disposition"], "reject");
    assert_eq!(v["dmarc"]["policy"], "reject");
    let reason = v["dmarc"]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("SPF fail") && reason.contains("DKIM d=example.com fail"),
        "{reason}"
    );
}

/// Only aligned DKIM saves a message whose SPF fails; only aligned SPF saves one without DKIM.
#[test]
fn either_aligned_mechanism_is_enough() {
    let (r, v) = check_json(
        &zone(),
        &testdata("dkim/pass-relaxed.eml"),
        &["--ip", "203.0.113.5"],
    );
    assert_eq!(
        (
            r.code,
            v["dmarc"]["dkim_aligned"].clone(),
            v["dmarc"]["spf_aligned"].clone()
        ),
        (0, true.into(), false.into())
    );
    let (r, v) = check_json(&zone(), &testdata("dkim/spf-only.eml"), &[]);
    assert_eq!(r.code, 0);
    assert_eq!(v["dmarc"]["spf_aligned"], true);
    assert_eq!(v["dkim"].as_array().map(Vec::len), Some(0));
}

/// A passing signature from another organizational domain does not satisfy DMARC.
#[test]
fn unaligned_pass_is_a_fail() {
    let (r, v) = check_json(
        &zone(),
        &testdata("dkim/unaligned-dkim.eml"),
        &["--ip", "203.0.113.5"],
    );
    assert_eq!(r.code, 1);
    assert!(
        v["dmarc"]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("not aligned")
    );
}

/// No DMARC record at the domain or its organizational domain: no verdict, exit 3.
#[test]
fn no_policy_exits_three() {
    let (r, v) = check_json(&zone(), &testdata("dkim/dmarc-none.eml"), &[]);
    assert_eq!(r.code, 3);
    assert_eq!(v["dmarc"]["result"], "none");
    assert!(
        v["dmarc"]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("_dmarc.nodmarc.test")
    );
}

/// SERVFAIL on the DMARC record and a timeout on the only DKIM key: temperror, exit 75.
#[test]
fn dns_failures_are_temperror_exit_75() {
    let (r, v) = check_json(&zone(), &testdata("dkim/dmarc-servfail.eml"), &[]);
    assert_eq!(r.code, 75);
    assert_eq!(v["dmarc"]["result"], "temperror");
    assert!(
        v["dmarc"]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("SERVFAIL")
    );
    let (r, v) = check_json(
        &zone(),
        &testdata("dkim/dkim-timeout.eml"),
        &["--ip", "203.0.113.5"],
    );
    assert_eq!(
        r.code, 75,
        "aligned DKIM timed out, SPF failed: no verdict possible yet"
    );
    assert_eq!(v["dmarc"]["result"], "temperror");
}

/// A record found only at the organizational domain applies sp= to a subdomain From.
#[test]
fn subdomain_uses_sp_from_the_organizational_record() {
    let dir = temp_dir("sp");
    let msg = std::fs::read(testdata("dkim/spf-only.eml")).expect("fixture");
    let text = String::from_utf8_lossy(&msg).replace(
        "From: Alice Example <alice@example.com>",
        "From: <alice@news.example.com>",
    );
    let file = write_file(&dir, "sub.eml", text.as_bytes());
    let (r, v) = check_json(&zone(), &file, &["--ip", "203.0.113.5"]);
    assert_eq!(r.code, 1);
    assert_eq!(v["dmarc"]["policy_domain"], "example.com");
    assert_eq!(v["dmarc"]["applied_policy"], "quarantine");
    assert_eq!(v["dmarc"]["disposition"], "quarantine");
}

/// Several From addresses, or none: a clear permerror, exit 1, never a crash.
#[test]
fn from_problems_are_permerror() {
    let dir = temp_dir("from");
    let base =
        String::from_utf8_lossy(&std::fs::read(testdata("dkim/spf-only.eml")).expect("fixture"))
            .into_owned();
    let two = base.replace(
        "From: Alice Example <alice@example.com>",
        "From: a@example.com, b@evil.test",
    );
    let none = base.replace("From: Alice Example <alice@example.com>\r\n", "");
    for (name, text, words) in [
        ("two.eml", two, "2 From addresses"),
        ("none.eml", none, "no From address"),
    ] {
        let file = write_file(&dir, name, text.as_bytes());
        let (r, v) = check_json(&zone(), &file, &[]);
        assert_eq!(r.code, 1, "{name}");
        assert_eq!(v["dmarc"]["result"], "permerror", "{name}");
        assert!(
            v["dmarc"]["reason"]
                .as_str()
                .unwrap_or_default()
                .contains(words),
            "{name}: {}",
            v["dmarc"]["reason"]
        );
    }
    let _ = run(&["--version"], None);
}

/// pct below 100 is reported with the disposition it implies under RFC 7489: a bare keyword,
/// the sampling explained in disposition_reason; RFC 9989 removed pct= and says so in a note.
#[test]
fn pct_sampling_is_explained() {
    let dir = temp_dir("pct");
    let base =
        String::from_utf8_lossy(&std::fs::read(testdata("dkim/spf-only.eml")).expect("fixture"))
            .into_owned();
    let text = base.replace("alice@example.com", "alice@example.net");
    let file = write_file(&dir, "net.eml", text.as_bytes());
    let args = ["--ip", "203.0.113.5", "--mail-from", "x@example.net"];
    let (r, v) = check_json(
        &zone(),
        &file,
        &[&args[..], &["--dmarc-spec", "rfc7489"]].concat(),
    );
    assert_eq!(r.code, 1);
    assert_eq!(v["dmarc"]["pct"], 50);
    assert_eq!(v["spf"]["result"], "softfail");
    assert_eq!(v["dmarc"]["disposition"], "quarantine");
    let why = v["dmarc"]["disposition_reason"]
        .as_str()
        .unwrap_or_default();
    assert!(
        why.contains("pct=50") && why.contains("none for the rest"),
        "{why}"
    );
    let (r, v) = check_json(&zone(), &file, &args);
    assert_eq!(r.code, 1);
    assert!(v["dmarc"]["pct"].is_null());
    assert_eq!(v["dmarc"]["disposition"], "quarantine");
    assert!(
        v["dmarc"]["notes"]
            .to_string()
            .contains("pct= was removed by RFC 9989")
    );
}

/// One zone of RFC 7489 record shapes, one domain each; SPF passes only from 192.0.2.0/24.
fn fallback_zone() -> String {
    let spf = "\"v=spf1 ip4:192.0.2.0/24 -all\"";
    let records = [
        ("pct0", "v=DMARC1; p=reject; pct=0"),
        ("pct0q", "v=DMARC1; p=quarantine; pct=0"),
        ("pct0sp", "v=DMARC1; p=none; sp=reject; pct=0"),
        ("pct50", "v=DMARC1; p=reject; pct=50"),
        ("pctabc", "v=DMARC1; p=reject; pct=abc"),
        ("pct150", "v=DMARC1; p=reject; pct=150"),
        ("adkimx", "v=DMARC1; p=reject; adkim=x; aspf=q"),
        ("emptytag", "v=DMARC1; p=reject;; sp=quarantine"),
        ("noequals", "v=DMARC1; p=reject; bogus"),
        (
            "badsprua",
            "v=DMARC1; p=reject; sp=rejected; rua=mailto:d@badsprua.test",
        ),
        ("badsp", "v=DMARC1; p=reject; sp=rejected"),
        ("nop", "v=DMARC1; sp=reject"),
        ("noprua", "v=DMARC1; rua=mailto:d@noprua.test"),
        ("plate", "v=DMARC1; rua=mailto:d@plate.test; p=reject"),
    ];
    let mut z = String::new();
    for (d, rec) in records {
        z.push_str(&format!(
            "_dmarc.{d}.test. TXT \"{rec}\"\n{d}.test. TXT {spf}\nsub.{d}.test. A 192.0.2.1\n"
        ));
    }
    z
}

/// `check --dmarc-spec rfc7489` of a message From `from` whose SPF fails.
fn old_check(from: &str) -> serde_json::Value {
    let dir = temp_dir("dmarc-7489");
    let z = write_file(&dir, "zone.db", fallback_zone().as_bytes());
    let msg = format!(
        "From: <a@{from}>\r\nTo: <b@receiver.test>\r\nSubject: s\r\n\
         Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n\r\nbody\r\n"
    );
    let m = write_file(&dir, "m.eml", msg.as_bytes());
    let sender = format!("bounce@{from}");
    let (_, v) = check_json(
        &z,
        &m,
        &[
            "--dmarc-spec",
            "rfc7489",
            "--ip",
            "203.0.113.9",
            "--mail-from",
            &sender,
        ],
    );
    v
}

/// RFC 7489 §6.6.4: with pct=0 no failing message is sampled, so each gets the next policy
/// down (reject → quarantine, quarantine → none), for p= and sp= alike; the disposition is a
/// bare keyword and the explanation has its own key.
#[test]
fn rfc7489_pct_zero_gives_the_next_policy_down() {
    for (from, disposition) in [
        ("pct0.test", "quarantine"),
        ("pct0q.test", "none"),
        ("sub.pct0sp.test", "quarantine"),
    ] {
        let v = old_check(from);
        assert_eq!(v["dmarc"]["result"], "fail", "{from}");
        assert_eq!(v["dmarc"]["disposition"], disposition, "{from}");
        assert_eq!(v["dmarc"]["pct"], 0, "{from}");
        let why = v["dmarc"]["disposition_reason"]
            .as_str()
            .unwrap_or_default();
        assert!(why.contains("pct=0"), "{from}: {why}");
    }
    let v = old_check("pct50.test");
    assert_eq!(v["dmarc"]["disposition"], "reject");
    assert!(
        v["dmarc"]["disposition_reason"]
            .as_str()
            .unwrap_or_default()
            .contains("50%")
    );
}

/// RFC 7489 §6.3: a bad optional tag falls back to its default and the policy stands
/// (pct → 100, adkim/aspf → r, an empty tag or one without '=' ignored), each with a note.
#[test]
fn rfc7489_bad_optional_tags_fall_back_to_defaults() {
    for from in [
        "pctabc.test",
        "pct150.test",
        "adkimx.test",
        "emptytag.test",
        "noequals.test",
    ] {
        let v = old_check(from);
        assert_eq!(v["dmarc"]["result"], "fail", "{from}: {}", v["dmarc"]);
        assert_eq!(v["dmarc"]["policy"], "reject", "{from}");
        assert_eq!(v["dmarc"]["disposition"], "reject", "{from}");
        assert!(
            v["dmarc"]["notes"]
                .as_array()
                .is_some_and(|n| !n.is_empty()),
            "{from}: a note says what was ignored"
        );
    }
    assert_eq!(old_check("pct150.test")["dmarc"]["pct"], 100);
    assert_eq!(old_check("adkimx.test")["dmarc"]["adkim"], "r");
}

/// RFC 7489 §6.6.3 step 6: an invalid sp= (or a missing/invalid/misplaced p=) makes the
/// record read as p=none when rua= holds a valid URI, and applies no policy otherwise.
#[test]
fn rfc7489_invalid_policy_tags_need_rua() {
    let v = old_check("sub.badsprua.test");
    assert_eq!(v["dmarc"]["result"], "fail");
    assert_eq!(v["dmarc"]["disposition"], "none");
    assert!(
        v["dmarc"]["disposition_reason"]
            .as_str()
            .unwrap_or_default()
            .contains("sp=rejected")
    );
    for from in ["badsp.test", "nop.test"] {
        let v = old_check(from);
        assert_eq!(v["dmarc"]["result"], "none", "{from}");
        let reason = v["dmarc"]["reason"].as_str().unwrap_or_default();
        assert!(reason.contains("no usable policy"), "{from}: {reason}");
    }
    let v = old_check("noprua.test");
    assert_eq!(
        (
            v["dmarc"]["result"].clone(),
            v["dmarc"]["disposition"].clone()
        ),
        ("fail".into(), "none".into())
    );
    // p= after rua=: flagged, and RFC 9989 (any order) disagrees in one line.
    let v = old_check("plate.test");
    assert_eq!(v["dmarc"]["disposition"], "none");
    assert!(
        v["dmarc"]["notes"]
            .to_string()
            .contains("not the second tag")
    );
    assert_eq!(v["dmarc"]["other_spec"]["disposition"], "reject");
}
