//! `mailverdict domain` on the rules it used to get wrong (issue 16): `+all` and `?all` wherever
//! a receiver reaches them, null MX (RFC 7505), MTA-STS policy fields in any order and repeated
//! (RFC 8461 §3.2), testing mode, an ignored TLS-RPT record, BIMI under a policy that does not
//! enforce, TLSA digest lengths, and DANE left undetermined over plain DNS.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;

use crate::support::{run, testdata};
use crate::support_dns::{Fault, FaultServer};
use crate::support_servers::HttpsServer;

fn audit(domain: &str) -> (i32, Value) {
    let zone = testdata("domain/rfc.db");
    let r = run(
        &[
            "domain",
            "--format",
            "json",
            "--no-https",
            "--dns-zone",
            &zone,
            domain,
        ],
        None,
    );
    (r.code, r.json())
}

/// Each finding of an audit as `severity:id` (also used by `domain_deep`).
pub(crate) fn ids(v: &Value) -> BTreeSet<String> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            format!(
                "{}:{}",
                f["severity"].as_str().unwrap_or("?"),
                f["id"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

/// The message of finding `id` (also used by `domain_deep`).
pub(crate) fn message<'a>(v: &'a Value, id: &str) -> &'a str {
    v["findings"]
        .as_array()
        .and_then(|l| l.iter().find(|f| f["id"] == id))
        .and_then(|f| f["message"].as_str())
        .unwrap_or_else(|| panic!("no {id} in {}", v["findings"]))
}

/// An include of a `+all` record lets every host pass (the include matches for anyone), so it
/// is the same error as a top-level `+all`, naming the include; a redirect target's `?all`
/// is the domain's own result, so it warns like a top-level one.
#[test]
fn plus_and_neutral_all_wherever_a_receiver_reaches_them() {
    let (code, v) = audit("plusinc.test");
    assert_eq!(code, 1);
    assert!(ids(&v).contains("error:spf.plus-all"), "{:?}", ids(&v));
    assert!(
        message(&v, "spf.plus-all").contains("include:_open.plusinc.test"),
        "{}",
        message(&v, "spf.plus-all")
    );
    let (_, v) = audit("neutredir.test");
    assert!(ids(&v).contains("warning:spf.neutral-all"), "{:?}", ids(&v));
    assert!(message(&v, "spf.neutral-all").contains("redirect=_r.neutredir.test"));
}

/// `MX 10 .` is not a null MX (RFC 7505 §3 requires preference 0): an error, and the domain is
/// not reported as taking no mail; a null MX beside SPF that authorizes senders is a warning
/// (§4.2: such mail cannot receive bounces).
#[test]
fn null_mx_rules() {
    let (code, v) = audit("nullpref.test");
    assert_eq!(code, 1);
    let got = ids(&v);
    assert!(got.contains("error:mx.null-preference"), "{got:?}");
    assert!(!got.contains("info:mx.null"), "{got:?}");
    assert_eq!(v["domains"][0]["mx"]["null_mx"], false);
    let (_, v) = audit("nullspf.test");
    let got = ids(&v);
    assert!(
        got.contains("info:mx.null") && got.contains("warning:mx.null-with-senders"),
        "{got:?}"
    );
}

/// A `_smtp._tls` record that does not start with `v=TLSRPTv1` is published but ignored by
/// every sender: the finding says so instead of "no record".
#[test]
fn tls_rpt_record_with_a_wrong_version_is_ignored() {
    let (_, v) = audit("misc.test");
    assert!(ids(&v).contains("warning:tls-rpt.ignored"), "{:?}", ids(&v));
    let m = message(&v, "tls-rpt.ignored");
    assert!(m.contains("v=TLSRPT1") && m.contains("ignored"), "{m}");
    assert!(!ids(&v).iter().any(|i| i.ends_with("tls-rpt.missing")));
}

/// BIMI needs an enforcing DMARC policy (p=quarantine or reject, sp not none): under p=none,
/// and under sp=none, mailbox providers show no logo.
#[test]
fn bimi_without_an_enforcing_dmarc_policy() {
    let (_, v) = audit("misc.test");
    assert!(
        ids(&v).contains("warning:bimi.dmarc-not-enforcing"),
        "{:?}",
        ids(&v)
    );
    assert!(message(&v, "bimi.dmarc-not-enforcing").contains("p=none"));
    let (_, v) = audit("halfbimi.test");
    assert!(message(&v, "bimi.dmarc-not-enforcing").contains("sp=none"));
}

/// A `3 1 1` TLSA record must carry a 32-octet SHA-256 digest: 8 octets match no certificate.
#[test]
fn tlsa_digest_length_must_match_the_matching_type() {
    let (code, v) = audit("misc.test");
    assert_eq!(code, 1);
    assert!(
        ids(&v).contains("error:dane.digest-length"),
        "{:?}",
        ids(&v)
    );
    assert!(message(&v, "dane.digest-length").contains("8 octets"));
}

const POLICY_BASE: &str = "$ORIGIN sts.test.\n@ TXT \"v=spf1 -all\"\n@ MX 10 mx1.sts.test.\n\
@ MX 20 mx2.sts.test.\nmx1 A 192.0.2.1\nmx2 A 192.0.2.2\n_mta-sts TXT \"v=STSv1; id=1\"\n\
_smtp._tls TXT \"v=TLSRPTv1; rua=mailto:t@sts.test\"\n_dmarc TXT \"v=DMARC1; p=reject; rua=mailto:d@sts.test\"\n";

fn audit_policy(policy: &[u8]) -> Value {
    let server = HttpsServer::start(
        "mta-sts.sts.test",
        "HTTP/1.1 200 OK",
        &["Content-Type: text/plain"],
        policy,
    );
    let dir = crate::support::temp_dir("sts-order");
    let zone = crate::support::write_file(&dir, "sts.db", POLICY_BASE.as_bytes());
    let connect = server.connect_to("mta-sts.sts.test");
    run(
        &[
            "domain",
            "--format",
            "json",
            "--dns-zone",
            &zone,
            "--ca-file",
            &server.ca_file,
            "--connect-to",
            &connect,
            "sts.test",
        ],
        None,
    )
    .json()
}

/// RFC 8461 §3.2: the policy's fields come in any order, and of a repeated field other than
/// `mx` the first counts. A testing-mode policy that misses an MX is a warning that says mail
/// still flows; in enforce mode it stays an error.
#[test]
fn mta_sts_policy_order_repeats_and_testing_mode() {
    let v = audit_policy(
        b"mode: testing\r\nmx: mx1.sts.test\r\nmax_age: 604800\r\nversion: STSv1\r\n\
          mode: enforce\r\nmax_age: 1\r\nfuture: ignored\r\n",
    );
    let got = ids(&v);
    assert!(!got.contains("error:mta-sts.policy-syntax"), "{got:?}");
    let policy = &v["domains"][0]["mta_sts_policy"];
    assert_eq!(policy["mode"], "testing", "the first mode counts");
    assert_eq!(policy["max_age"], 604_800, "the first max_age counts");
    assert!(got.contains("warning:mta-sts.mx-mismatch"), "{got:?}");
    let m = message(&v, "mta-sts.mx-mismatch");
    assert!(m.contains("mx2.sts.test") && m.contains("testing"), "{m}");
    assert!(!m.contains("will not deliver"), "{m}");

    let v = audit_policy(b"version: STSv1\nmode: enforce\nmx: mx1.sts.test\nmax_age: 604800\n");
    assert!(
        ids(&v).contains("error:mta-sts.mx-mismatch"),
        "{:?}",
        ids(&v)
    );
    assert!(message(&v, "mta-sts.mx-mismatch").contains("will not deliver"));
}

/// Over plain DNS (no DNSSEC anywhere, no TLSA published) DANE is not an error of the domain,
/// and finding out costs a handful of queries, not a DS walk: the whole audit stays within 40
/// queries and 10 s.
#[test]
fn dane_over_plain_dns_is_not_an_error() {
    let zone = "$ORIGIN plain.test.\n@ TXT \"v=spf1 -all\"\n@ MX 10 mx.plain.test.\n\
                mx A 127.0.0.1\n_dmarc TXT \"v=DMARC1; p=reject; rua=mailto:d@plain.test\"\n";
    let server = FaultServer::start(zone, Fault::Delay(Duration::ZERO));
    let started = std::time::Instant::now();
    let r = run(
        &[
            "domain",
            "--format",
            "json",
            "--timeout",
            "3",
            "--no-https",
            "--nameserver",
            &server.nameserver(),
            "plain.test",
        ],
        None,
    );
    let v = r.json();
    assert_eq!(r.code, 0, "{}", v["findings"]);
    assert!(
        !ids(&v).iter().any(|i| i.contains("dane.")),
        "{:?}",
        ids(&v)
    );
    assert!(
        server.queries() <= 40,
        "{} queries for one domain",
        server.queries()
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// Report destinations are checked for a way in: a domain without MX or address records, a
/// null MX and a domain that does not exist each lose the reports (DMARC rua/ruf, TLS-RPT).
#[test]
fn report_destinations_that_take_no_mail() {
    let (code, v) = audit("reports.test");
    assert_eq!(code, 1);
    let list = v["findings"].as_array().expect("findings");
    let said = |id: &str, what: &str| {
        list.iter().any(|f| {
            f["id"] == id
                && f["severity"] == "error"
                && f["message"].as_str().is_some_and(|m| m.contains(what))
        })
    };
    assert!(
        said(
            "dmarc.report-no-mx",
            "nomail.test cannot receive mail (it has no MX and no A/AAAA records)"
        ),
        "{}",
        v["findings"]
    );
    assert!(said("dmarc.report-no-mx", "null MX"), "{}", v["findings"]);
    assert!(
        said(
            "tls-rpt.report-no-mx",
            "gone.test cannot receive mail (the domain does not exist)"
        ),
        "{}",
        v["findings"]
    );
}

/// Every MX address is checked for forward-confirmed reverse DNS (the iprev check), and a
/// domain whose MX hosts have no AAAA record is told IPv6-only senders cannot reach it; a
/// domain with both (good.test) gets neither warning.
#[test]
fn mx_reverse_dns_and_ipv6() {
    let (_, v) = audit("reports.test");
    let got = ids(&v);
    assert!(
        got.contains("warning:mx.fcrdns") && got.contains("warning:mx.no-ipv6"),
        "{got:?}"
    );
    assert!(message(&v, "mx.fcrdns").contains("192.0.2.44"));
    let host = &v["domains"][0]["mx"]["hosts"][0];
    assert_eq!(host["reverse"][0]["result"], "fail", "{host}");

    let zone = testdata("domain/zone.db");
    let r = run(
        &[
            "domain",
            "--format",
            "json",
            "--no-https",
            "--dns-zone",
            &zone,
            "good.test",
        ],
        None,
    );
    let v = r.json();
    let got = ids(&v);
    assert!(
        !got.iter()
            .any(|i| i.contains("mx.fcrdns") || i.contains("mx.no-ipv6")),
        "{got:?}"
    );
    assert_eq!(
        v["domains"][0]["mx"]["hosts"][1]["reverse"][0]["confirmed"],
        "mx2.good.test"
    );
}
