//! DMARC by RFC 9989 through the binary: the tree walk examples of its Appendix B.4, the
//! label limit, Public Suffix Domain policies, `np=` for non-existent subdomains, `t=y`,
//! removed tags, and the one-line comparison with RFC 7489.

use mail_auth::common::crypto::{RsaKey, Sha256};
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;
use serde_json::Value;

use crate::support::{Run, check_json, root, run, temp_dir, write_file};

/// The test key's public half (testdata/keys/sel1-rsa2048.pem), for `sel1._domainkey` records.
const KEY: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAnZHkq+e7+8E2eRDOyPwHI/LwdnRD+oTgwKllSf4RmkSum2gcBWpDzS2z6L2FYGmv+4o2CuZCIGTO5FP0904iyJ70v9QaEvCR+5FfP1z0EmcQ6Rc/Ya77k4W5XD30M2MVO35d3sOq+kj6nhBQ+uspQpTUyGEcyd5tTenFqKfsOOg1/MedgJJAabJFuBq+fMMd1ayTDn/ZQVnAuaesQOh+atOWjdzWoBR0Ux3rJkwgJTTfTdYPtishlyw9HsfEvNo2l9IaamJ1363/tR2SRI3YAwc2yneEgDl7lRDC4EayTspLYWgwiXi7+NTkvmNV1GQtXuoV+DFgzpROjJTzcTp4CQIDAQAB";

/// SPF for every MAIL FROM domain used here: 192.0.2.0/24 passes, anything else fails.
const SPF: &str = "\"v=spf1 ip4:192.0.2.0/24 -all\"";
const PASS_IP: &str = "192.0.2.7";
const FAIL_IP: &str = "203.0.113.9";

fn key_record(domain: &str, testing: bool) -> String {
    let t = if testing { " t=y;" } else { "" };
    let half = KEY.len() / 2;
    format!(
        "sel1._domainkey.{domain}. TXT \"v=DKIM1; k=rsa;{t} p={}\" \"{}\"\n",
        &KEY[..half],
        &KEY[half..]
    )
}

fn message(from: &str, dkim_domain: Option<&str>) -> Vec<u8> {
    let msg = format!(
        "From: <user@{from}>\r\nTo: <rcpt@receiver.test>\r\nSubject: DMARC test\r\n\
         Date: Tue, 01 Dec 2026 10:00:00 +0000\r\nMessage-ID: <t@{from}>\r\n\r\nHello.\r\n"
    );
    let Some(d) = dkim_domain else {
        return msg.into_bytes();
    };
    let pem = std::fs::read_to_string(root().join("testdata/keys/sel1-rsa2048.pem")).expect("key");
    // The PEM helper is deprecated upstream in favour of DER plumbing; it is fine for a test key.
    #[allow(deprecated)]
    let key = RsaKey::<Sha256>::from_rsa_pem(&pem).expect("PKCS#1 key");
    let sig = DkimSigner::from_key(key)
        .domain(d)
        .selector("sel1")
        .headers(["From", "To", "Subject", "Date"])
        .sign(msg.as_bytes())
        .expect("signs");
    let mut out = sig.to_header().into_bytes();
    out.extend_from_slice(msg.as_bytes());
    out
}

/// `check` of a message From `from`, MAIL FROM `mail_from`, client `ip`, optionally signed.
fn check(
    zone: &str,
    from: &str,
    mail_from: &str,
    ip: &str,
    dkim: Option<&str>,
    extra: &[&str],
) -> (Run, Value) {
    let dir = temp_dir("dmarc-bis");
    let z = write_file(&dir, "zone.db", zone.as_bytes());
    let m = write_file(&dir, "m.eml", &message(from, dkim));
    let sender = format!("bounce@{mail_from}");
    let mut args = vec![
        "--ip",
        ip,
        "--mail-from",
        &sender,
        "--helo",
        "mx.sender.test",
    ];
    args.extend_from_slice(extra);
    check_json(&z, &m, &args)
}

fn names(v: &Value) -> Vec<String> {
    v["dmarc"]["discovery"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| s["name"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// RFC 9989 B.4.1: records at example.com and signing.example.com, none at com. The DKIM
/// identifier signing.example.com has Organizational Domain example.com (the highest name
/// with a record), so its pass is aligned in relaxed mode while SPF fails.
#[test]
fn b41_simple_organizational_and_policy_example() {
    let zone = format!(
        "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n\
         _dmarc.signing.example.com. TXT \"v=DMARC1; p=none\"\n\
         example.com. TXT {SPF}\n{}",
        key_record("signing.example.com", false)
    );
    let (r, v) = check(
        &zone,
        "example.com",
        "example.com",
        FAIL_IP,
        Some("signing.example.com"),
        &[],
    );
    assert_eq!(v["dkim"][0]["result"], "pass", "{}", v["dkim"][0]);
    assert_eq!(v["dmarc"]["result"], "pass", "{}", v["dmarc"]);
    assert_eq!(r.code, 0);
    assert_eq!(v["schema"], "mailverdict.check.v2");
    assert_eq!(v["dmarc"]["spec"], "rfc9989");
    assert_eq!(v["dmarc"]["policy_domain"], "example.com");
    assert_eq!(v["dmarc"]["policy_source"], "author");
    assert_eq!(names(&v), ["_dmarc.example.com", "_dmarc.com"]);
    let dk = &v["dmarc"]["org_domains"]["dkim"][0];
    assert_eq!(dk["domain"], "signing.example.com");
    assert_eq!(dk["org_domain"], "example.com");
    assert_eq!(dk["method"], "highest");
    assert_eq!(
        v["dmarc"]["org_domains"]["author"]["org_domain"],
        "example.com"
    );
}

/// RFC 9989 B.4.2 and §4.10: a 14-label author domain is found with exactly the eight
/// queries the RFC lists (skipping the names between), and the policy of example.com applies
/// to it as a subdomain (sp=).
#[test]
fn b42_deep_tree_walk_uses_eight_queries() {
    let zone = format!(
        "_dmarc.example.com. TXT \"v=DMARC1; p=reject; sp=quarantine\"\n\
         _dmarc.signing.example.com. TXT \"v=DMARC1; p=none\"\n\
         a.b.c.d.e.f.g.h.i.j.k.example.com. A 192.0.2.1\n\
         example.com. TXT {SPF}\n"
    );
    let author = "a.b.c.d.e.f.g.h.i.j.k.example.com";
    let (r, v) = check(&zone, author, "example.com", FAIL_IP, None, &[]);
    assert_eq!(
        names(&v),
        [
            "_dmarc.a.b.c.d.e.f.g.h.i.j.k.example.com",
            "_dmarc.g.h.i.j.k.example.com",
            "_dmarc.h.i.j.k.example.com",
            "_dmarc.i.j.k.example.com",
            "_dmarc.j.k.example.com",
            "_dmarc.k.example.com",
            "_dmarc.example.com",
            "_dmarc.com",
        ]
    );
    assert_eq!(r.code, 1);
    assert_eq!(v["dmarc"]["policy_domain"], "example.com");
    assert_eq!(v["dmarc"]["policy_source"], "organizational");
    assert_eq!(v["dmarc"]["applied_tag"], "sp");
    assert_eq!(v["dmarc"]["disposition"], "quarantine");
    // The SPF domain example.com shares the Organizational Domain: aligned with a pass.
    let (r, v) = check(&zone, author, "example.com", PASS_IP, None, &[]);
    assert_eq!(
        (r.code, v["dmarc"]["spf_aligned"].clone()),
        (0, true.into())
    );
}

/// RFC 9989 B.4.3: bank.example publishes psd=y. The Organizational Domain of
/// mail.giant.bank.example is giant.bank.example (one label below), so SPF aligns; the DKIM
/// identifier mail.mega.bank.example has mega.bank.example and does not.
#[test]
fn b43_public_suffix_domain_record() {
    let zone = format!(
        "_dmarc.bank.example. TXT \"v=DMARC1; p=reject; psd=y\"\n\
         _dmarc.giant.bank.example. TXT \"v=DMARC1; p=quarantine\"\n\
         mail.giant.bank.example. TXT {SPF}\n\
         new.bank.example. A 192.0.2.1\n\
         new.bank.example. TXT {SPF}\n{}",
        key_record("mail.mega.bank.example", false)
    );
    let (r, v) = check(
        &zone,
        "giant.bank.example",
        "mail.giant.bank.example",
        PASS_IP,
        Some("mail.mega.bank.example"),
        &[],
    );
    assert_eq!(r.code, 0, "{}", v["dmarc"]);
    assert_eq!(v["dmarc"]["spf_aligned"], true);
    assert_eq!(v["dmarc"]["dkim_aligned"], false);
    let orgs = &v["dmarc"]["org_domains"];
    assert_eq!(orgs["spf"]["org_domain"], "giant.bank.example");
    assert_eq!(orgs["spf"]["method"], "below-psd");
    assert_eq!(orgs["dkim"][0]["org_domain"], "mega.bank.example");
    // The walk stops at the psd=y record: _dmarc.example is never asked.
    assert_eq!(
        names(&v),
        ["_dmarc.giant.bank.example", "_dmarc.bank.example"]
    );
    // A domain of the PSD without its own record gets the PSD's policy (sp, else p).
    let (r, v) = check(
        &zone,
        "new.bank.example",
        "new.bank.example",
        FAIL_IP,
        None,
        &[],
    );
    assert_eq!(r.code, 1);
    assert_eq!(v["dmarc"]["policy_domain"], "bank.example");
    assert_eq!(v["dmarc"]["policy_source"], "public-suffix");
    assert_eq!(v["dmarc"]["disposition"], "reject");
}

/// np= applies to a From domain that does not exist (NXDOMAIN, RFC 8020), sp= to one that
/// does (an address record, or only names below it); RFC 7489 knows no np= and says so in
/// the one-line comparison.
#[test]
fn np_applies_only_to_non_existent_subdomains() {
    let zone = format!(
        "_dmarc.example.com. TXT \"v=DMARC1; p=quarantine; sp=none; np=reject\"\n\
         real.example.com. A 192.0.2.1\n\
         leaf.ent.example.com. A 192.0.2.2\n\
         example.com. TXT {SPF}\n"
    );
    let (r, v) = check(
        &zone,
        "ghost.example.com",
        "example.com",
        FAIL_IP,
        None,
        &[],
    );
    assert_eq!(r.code, 1);
    let d = &v["dmarc"];
    assert_eq!(d["applied_tag"], "np");
    assert_eq!(d["author_exists"], false);
    assert_eq!(d["disposition"], "reject");
    assert_eq!(d["nonexistent_policy"], "reject");
    let line = d["other_spec"]["line"].as_str().unwrap_or_default();
    assert!(
        line.starts_with("under RFC 7489: fail, disposition none"),
        "{line}"
    );
    for existing in ["real.example.com", "ent.example.com"] {
        let (_, v) = check(&zone, existing, "example.com", FAIL_IP, None, &[]);
        assert_eq!(v["dmarc"]["applied_tag"], "sp", "{existing}");
        assert_eq!(v["dmarc"]["author_exists"], true, "{existing}");
        assert_eq!(v["dmarc"]["disposition"], "none", "{existing}");
        assert!(v["dmarc"]["other_spec"].is_null(), "{existing}");
    }
}

/// t=y asks for one level below the policy (RFC 9989 §4.7); RFC 7489 ignores t= and applies
/// p=reject, which the comparison line says.
#[test]
fn testing_mode_lowers_the_disposition_one_level() {
    let zone =
        format!("_dmarc.example.com. TXT \"v=DMARC1; p=reject; t=y\"\nexample.com. TXT {SPF}\n");
    let (r, v) = check(&zone, "example.com", "example.com", FAIL_IP, None, &[]);
    assert_eq!(r.code, 1);
    assert_eq!(v["dmarc"]["testing"], true);
    assert_eq!(v["dmarc"]["policy"], "reject");
    assert_eq!(v["dmarc"]["disposition"], "quarantine");
    let why = v["dmarc"]["disposition_reason"]
        .as_str()
        .unwrap_or_default();
    assert!(why.contains("t=y"), "{why}");
    assert_eq!(v["dmarc"]["other_spec"]["disposition"], "reject");
    let (_, v) = check(
        &zone,
        "example.com",
        "example.com",
        FAIL_IP,
        None,
        &["--dmarc-spec", "rfc7489"],
    );
    assert_eq!(v["dmarc"]["spec"], "rfc7489");
    assert_eq!(v["dmarc"]["disposition"], "reject");
    assert_eq!(v["dmarc"]["other_spec"]["spec"], "rfc9989");
}

/// pct=, rf= and ri= are removed by RFC 9989: ignored with a note, so pct=0 with p=reject
/// rejects; RFC 7489 samples nothing and gives everything the next policy down (§6.6.4).
#[test]
fn removed_tags_are_ignored_with_a_note() {
    let zone = format!(
        "_dmarc.example.com. TXT \"v=DMARC1; p=reject; pct=0; ri=3600; zz=1\"\nexample.com. TXT {SPF}\n"
    );
    let (_, v) = check(&zone, "example.com", "example.com", FAIL_IP, None, &[]);
    assert_eq!(v["dmarc"]["disposition"], "reject");
    assert!(v["dmarc"]["pct"].is_null());
    let notes = v["dmarc"]["notes"].to_string();
    assert!(notes.contains("pct= was removed by RFC 9989"), "{notes}");
    assert!(notes.contains("unknown tag zz="), "{notes}");
    assert_eq!(v["dmarc"]["other_spec"]["disposition"], "quarantine");
}

/// Several records at the author domain are discarded and the walk goes on to the
/// Organizational Domain (RFC 9989 §4.10 step 2); RFC 7489 stops with no policy (§6.6.3).
#[test]
fn multiple_records_are_discarded_and_the_walk_continues() {
    let zone = format!(
        "_dmarc.a.example.com. TXT \"v=DMARC1; p=none\"\n\
         _dmarc.a.example.com. TXT \"v=DMARC1; p=quarantine\"\n\
         _dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n\
         a.example.com. A 192.0.2.1\nexample.com. TXT {SPF}\n"
    );
    let (r, v) = check(&zone, "a.example.com", "example.com", FAIL_IP, None, &[]);
    assert_eq!(r.code, 1);
    assert_eq!(v["dmarc"]["discovery"][0]["answer"], "multiple");
    assert_eq!(v["dmarc"]["policy_domain"], "example.com");
    assert_eq!(v["dmarc"]["other_spec"]["result"], "none");
    let (r, v) = check(
        &zone,
        "a.example.com",
        "example.com",
        FAIL_IP,
        None,
        &["--dmarc-spec", "rfc7489"],
    );
    assert_eq!(r.code, 3);
    assert!(
        v["dmarc"]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("2 DMARC records")
    );
}

/// A record without p= reads as p=none under RFC 9989 (§4.7): DMARC is evaluated and fails
/// with disposition none; RFC 7489 applies no policy without a valid rua=.
#[test]
fn a_record_without_p_is_p_none() {
    let zone = format!("_dmarc.example.com. TXT \"v=DMARC1; adkim=s\"\nexample.com. TXT {SPF}\n");
    let (r, v) = check(&zone, "example.com", "example.com", FAIL_IP, None, &[]);
    assert_eq!((r.code, v["dmarc"]["result"].clone()), (1, "fail".into()));
    assert_eq!(v["dmarc"]["policy"], "none");
    assert_eq!(v["dmarc"]["disposition"], "none");
    assert_eq!(v["dmarc"]["other_spec"]["result"], "none");
}

/// A SERVFAIL high on the walk hides the Organizational Domain: an identical SPF domain still
/// passes, but a subdomain's pass can no longer be judged aligned (temperror, exit 75).
#[test]
fn a_failure_on_the_walk_only_matters_where_alignment_needs_it() {
    let zone = format!(
        "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n;! _dmarc.com. TXT SERVFAIL\n\
         example.com. TXT {SPF}\nmail.example.com. TXT {SPF}\n"
    );
    let (r, _) = check(&zone, "example.com", "example.com", PASS_IP, None, &[]);
    assert_eq!(r.code, 0);
    let (r, v) = check(&zone, "example.com", "mail.example.com", PASS_IP, None, &[]);
    assert_eq!(r.code, 75, "{}", v["dmarc"]);
    assert_eq!(v["dmarc"]["result"], "temperror");
    assert!(
        v["dmarc"]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("SERVFAIL")
    );
}

/// RFC 6376 §3.6.1: a signature whose key says t=y is treated as unsigned for the verdict,
/// while its own result is still reported as pass.
#[test]
fn dkim_testing_key_is_never_an_aligned_pass() {
    let zone = format!(
        "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\nexample.com. TXT {SPF}\n{}",
        key_record("example.com", true)
    );
    let (r, v) = check(
        &zone,
        "example.com",
        "example.com",
        FAIL_IP,
        Some("example.com"),
        &[],
    );
    assert_eq!(v["dkim"][0]["result"], "pass");
    assert_eq!(v["dkim"][0]["testing"], true);
    assert_eq!(r.code, 1);
    assert_eq!(v["dmarc"]["dkim_aligned"], false);
    assert!(
        v["dmarc"]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("testing mode")
    );
}

/// The A-R clause carries the RFC 9989 registered properties: header.from and policy.dmarc
/// (the disposition); the human report shows the walk and the RFC 7489 line.
#[test]
fn arh_and_human_output() {
    let zone =
        format!("_dmarc.example.com. TXT \"v=DMARC1; p=reject; t=y\"\nexample.com. TXT {SPF}\n");
    let dir = temp_dir("dmarc-out");
    let z = write_file(&dir, "zone.db", zone.as_bytes());
    let m = write_file(&dir, "m.eml", &message("example.com", None));
    let common = [
        "--dns-zone",
        &z,
        "--ip",
        FAIL_IP,
        "--mail-from",
        "b@example.com",
    ];
    let mut args = vec!["check", "--format", "arh", &m];
    args.extend_from_slice(&common);
    let r = run(&args, None);
    // Our field is folded at 78 columns: compare the unfolded text.
    let unfolded = r.stdout.replace("\n\t", " ");
    assert!(
        unfolded.contains(
            "dmarc=fail (p=reject dis=quarantine) header.from=example.com policy.dmarc=quarantine"
        ),
        "{}",
        r.stdout
    );
    let mut args = vec!["check", "--format", "human", "--color", "never", &m];
    args.extend_from_slice(&common);
    let r = run(&args, None);
    assert!(
        r.stdout
            .contains("_dmarc.example.com → \"v=DMARC1; p=reject; t=y\""),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("under RFC 7489: fail, disposition reject"),
        "{}",
        r.stdout
    );
}

/// `filter` and `batch` honour --dmarc-spec: pct=0 with p=reject is reject under RFC 9989 and
/// quarantine under RFC 7489, in the filter's header and in batch's JSON lines.
#[test]
fn filter_and_batch_honour_the_spec() {
    let zone = "_dmarc.example.com. TXT \"v=DMARC1; p=reject; pct=0\"\n";
    let dir = temp_dir("dmarc-spec");
    let z = write_file(&dir, "zone.db", zone.as_bytes());
    let msg = message("example.com", None);
    let m = write_file(&dir, "m.eml", &msg);
    for (spec, dis) in [("rfc9989", "reject"), ("rfc7489", "quarantine")] {
        let r = run(
            &["filter", "--dns-zone", &z, "--dmarc-spec", spec],
            Some(&msg),
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let expected =
            format!("dmarc=fail (p=reject dis={dis}) header.from=example.com policy.dmarc={dis}");
        let unfolded = r.stdout.replace("\r\n\t", " ").replace("\n\t", " ");
        assert!(unfolded.contains(&expected), "{spec}: {}", r.stdout);
        let r = run(
            &[
                "batch",
                "--format",
                "json",
                "--dns-zone",
                &z,
                "--dmarc-spec",
                spec,
                &m,
            ],
            None,
        );
        let line: Value =
            serde_json::from_str(r.stdout.lines().next().unwrap_or("{}")).expect("JSON line");
        assert_eq!(line["dmarc"]["spec"], spec, "{}", r.stdout);
        assert_eq!(line["dmarc"]["disposition"], dis, "{spec}");
    }
}

/// The domain audit uses the same tree walk and reports RFC 9989 findings with stable ids,
/// plus the RFC 7489 reading where it differs (another location, pct still applied).
#[test]
fn domain_audit_by_rfc9989_with_the_rfc7489_reading() {
    let zone = "\
_dmarc.walk.test. TXT \"v=DMARC1; p=reject; pct=0; zz=1; rua=mailto:d@walk.test\"
_dmarc.psd.test. TXT \"v=DMARC1; p=reject; psd=y\"
sub.psd.test. A 192.0.2.1
_dmarc.nop.test. TXT \"v=DMARC1; rua=mailto:d@nop.test\"
_dmarc.late.test. TXT \"v=DMARC1; rua=mailto:d@late.test; p=reject\"
_dmarc.badsp.test. TXT \"v=DMARC1; p=reject; sp=rejected; rua=mailto:d@badsp.test\"
_dmarc.nopol.test. TXT \"v=DMARC1; p=bogus\"
_dmarc.mid.deep.test. TXT \"v=DMARC1; p=quarantine; psd=n; rua=mailto:d@deep.test\"
_dmarc.deep.test. TXT \"v=DMARC1; p=reject; rua=mailto:d@deep.test\"
x.mid.deep.test. A 192.0.2.1
_dmarc.testing.test. TXT \"v=DMARC1; p=quarantine; t=y; rua=mailto:d@testing.test\"
";
    let dir = temp_dir("dmarc-audit");
    let z = write_file(&dir, "zone.db", zone.as_bytes());
    let domains = [
        "walk.test",
        "sub.psd.test",
        "nop.test",
        "late.test",
        "badsp.test",
        "nopol.test",
        "x.mid.deep.test",
        "testing.test",
    ];
    let mut args = vec!["domain", "--format", "json", "--dns-zone", &z];
    args.extend(domains);
    let r = run(&args, None);
    let v = r.json();
    assert_eq!(v["schema"], "mailverdict.domain.v2");
    let ids = |i: usize| -> Vec<String> {
        v["domains"][i]["findings"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|f| f["id"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    let expect = [
        (
            0,
            vec![
                "dmarc.location",
                "dmarc.tag-removed",
                "dmarc.tag-unknown",
                "dmarc.pct",
            ],
        ),
        (1, vec!["dmarc.psd-policy"]),
        (2, vec!["dmarc.p-missing", "dmarc.p-none"]),
        (3, vec!["dmarc.p-not-second", "dmarc.policy"]),
        (4, vec!["dmarc.policy-invalid", "dmarc.policy-fallback"]),
        (5, vec!["dmarc.policy-invalid", "dmarc.no-policy"]),
        (
            6,
            vec![
                "dmarc.inherited",
                "dmarc.rfc7489-location",
                "dmarc.rfc7489-org",
            ],
        ),
        (7, vec!["dmarc.testing", "dmarc.np-advice"]),
    ];
    for (i, wanted) in expect {
        let got = ids(i);
        for w in wanted {
            assert!(
                got.iter().any(|g| g == w),
                "{}: missing {w} in {got:?}",
                domains[i]
            );
        }
    }
    let d = &v["domains"][6]["dmarc"];
    assert_eq!(d["policy_domain"], "mid.deep.test");
    assert_eq!(d["org_domain"], "mid.deep.test");
    assert_eq!(d["rfc7489_policy_domain"], "deep.test");
    assert_eq!(v["domains"][1]["dmarc"]["policy_source"], "public-suffix");
    assert_eq!(v["domains"][0]["dmarc"]["pct"], 0);
}
