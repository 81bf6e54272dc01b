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

/// pct below 100 is reported with the disposition it implies.
#[test]
fn pct_sampling_is_explained() {
    let dir = temp_dir("pct");
    let base =
        String::from_utf8_lossy(&std::fs::read(testdata("dkim/spf-only.eml")).expect("fixture"))
            .into_owned();
    let text = base.replace("alice@example.com", "alice@example.net");
    let file = write_file(&dir, "net.eml", text.as_bytes());
    let (r, v) = check_json(
        &zone(),
        &file,
        &["--ip", "203.0.113.5", "--mail-from", "x@example.net"],
    );
    assert_eq!(r.code, 1);
    assert_eq!(v["dmarc"]["pct"], 50);
    assert_eq!(v["spf"]["result"], "softfail");
    assert!(
        v["dmarc"]["disposition"]
            .as_str()
            .unwrap_or_default()
            .starts_with("quarantine (pct=50")
    );
}
