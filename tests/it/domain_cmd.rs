//! `mailverdict domain`: findings with stable ids, severities and fixes; exit codes 0 / 1 / 75;
//! several domains at once, each isolated; zone replay and a real DNS server.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::{DnsServer, run, testdata};
use crate::support_servers::HttpsServer;

fn audit(args: &[&str]) -> (i32, Value) {
    let zone = testdata("domain/zone.db");
    let mut all = vec!["domain", "--format", "json", "--dns-zone", zone.as_str()];
    all.extend_from_slice(args);
    let r = run(&all, None);
    (r.code, r.json())
}

/// The first finding with `id`; `what` says why the test expects it.
fn finding<'a>(v: &'a Value, id: &str, what: &str) -> &'a Value {
    v["findings"]
        .as_array()
        .and_then(|list| list.iter().find(|f| f["id"] == id))
        .unwrap_or_else(|| panic!("no {id} finding ({what}): {}", v["findings"]))
}

fn ids(v: &Value, domain: &str) -> BTreeSet<String> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["domain"] == domain)
        .map(|f| {
            format!(
                "{}:{}",
                f["severity"].as_str().unwrap_or("?"),
                f["id"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

const GOOD_POLICY: &[u8] = b"version: STSv1\r\nmode: enforce\r\nmx: mx1.good.test\r\nmx: *.good.test\r\nmax_age: 604800\r\n";

fn policy_server(status: &str, headers: &[&str], body: &[u8]) -> HttpsServer {
    HttpsServer::start("mta-sts.good.test", status, headers, body)
}

/// Audit good.test with its MTA-STS policy served by a real HTTPS server.
fn audit_good(server: &HttpsServer, extra: &[&str]) -> (i32, Value) {
    let connect = server.connect_to("mta-sts.good.test");
    let mut args = vec![
        "good.test",
        "--selector",
        "s1",
        "--ca-file",
        server.ca_file.as_str(),
        "--connect-to",
        connect.as_str(),
    ];
    args.extend_from_slice(extra);
    audit(&args)
}

/// A well-configured domain has no error or warning: exit 0; the details are reported, the
/// MTA-STS policy among them (fetched over HTTPS, certificate verified with --ca-file).
#[test]
fn good_domain_passes() {
    let server = policy_server(
        "HTTP/1.1 200 OK",
        &["Content-Type: text/plain"],
        GOOD_POLICY,
    );
    let (code, v) = audit_good(&server, &[]);
    assert_eq!(code, 0, "{}", v["findings"]);
    assert_eq!(v["schema"], "mailverdict.domain.v2");
    assert_eq!(
        (v["errors"].as_u64(), v["warnings"].as_u64()),
        (Some(0), Some(0))
    );
    let d = &v["domains"][0];
    assert_eq!(d["spf"]["total_lookups"], 2);
    assert_eq!(
        d["spf"]["tree"]["children"][0]["term"],
        "include:_spf.good.test"
    );
    assert_eq!(d["dmarc"]["policy"], "reject", "check's key name");
    assert_eq!(d["dkim"][0]["key_bits"], 2048);
    assert_eq!(d["mx"]["hosts"].as_array().map(Vec::len), Some(2));
    assert_eq!(d["dane"][0]["dnssec"], "secure");
    let got = ids(&v, "good.test");
    for want in [
        "info:dmarc.external-authorized",
        "info:dane.ok",
        "info:tls-rpt.ok",
        "info:mta-sts.txt",
        "info:bimi.present",
        "info:dkim.key",
    ] {
        assert!(got.contains(want), "missing {want} in {got:?}");
    }
}

/// Every kind of breakage gets its finding id and severity, and the limits name the term.
#[test]
fn broken_domain_findings() {
    let (code, v) = audit(&[
        "broken.test",
        "--selector",
        "weak",
        "--selector",
        "testing",
        "--selector",
        "absent",
    ]);
    assert_eq!(code, 1);
    let got = ids(&v, "broken.test");
    for want in [
        "error:spf.too-many-lookups",
        "error:spf.too-many-void-lookups",
        "error:spf.include-broken",
        "warning:spf.neutral-all",
        "warning:spf.ptr",
        "warning:dmarc.p-none",
        "warning:dmarc.pct",
        "error:dmarc.external-unauthorized",
        "error:dkim.weak-key",
        "warning:dkim.testing",
        "error:dkim.missing",
        "error:mx.cname",
        "error:mx.unresolvable",
        "error:mx.ip-literal",
        "error:mta-sts.txt-syntax",
        "error:tls-rpt.syntax",
        "warning:dane.unsigned",
        "warning:dane.pkix-usage",
    ] {
        assert!(got.contains(want), "missing {want} in {got:?}");
    }
    let spf = &v["domains"][0]["spf"];
    assert_eq!(spf["total_lookups"], 12);
    assert_eq!(spf["over_limit_at"], "a:gone3.broken.test");
    let lookups = finding(&v, "spf.too-many-lookups", "finding");
    assert!(
        lookups["fix"]
            .as_str()
            .unwrap_or_default()
            .contains("flatten")
    );
}

/// Null MX, duplicate records, an inherited organizational policy, and DNS failure (exit 75).
#[test]
fn special_cases_and_exit_codes() {
    let (_, v) = audit(&["nullmx.test"]);
    assert!(ids(&v, "nullmx.test").contains("info:mx.null"));
    assert_eq!(v["domains"][0]["mx"]["null_mx"], true);
    let (code, v) = audit(&["multi.test"]);
    assert_eq!(code, 1);
    let got = ids(&v, "multi.test");
    assert!(
        got.contains("error:spf.multiple") && got.contains("error:dmarc.multiple"),
        "{got:?}"
    );
    let (_, v) = audit(&["sub.good.test"]);
    assert!(ids(&v, "sub.good.test").contains("info:dmarc.inherited"));
    assert_eq!(v["domains"][0]["dmarc"]["policy_domain"], "good.test");
    let (code, v) = audit(&["flaky.test"]);
    assert_eq!(code, 75, "a SERVFAIL leaves the audit incomplete");
    assert_eq!(v["incomplete"], true);
}

/// Several domains in one run: each keeps its own findings; the exit code is the worst.
/// --strict makes warnings fail.
#[test]
fn several_domains_and_strict() {
    let (code, v) = audit(&["good.test", "broken.test", "--selector", "s1", "--no-https"]);
    assert_eq!(code, 1);
    assert_eq!(v["domains"].as_array().map(Vec::len), Some(2));
    assert!(ids(&v, "good.test").iter().all(|i| i.starts_with("info:")));
    let (code, _) = audit(&["nullmx.test"]);
    assert_eq!(code, 0, "warnings alone pass");
    let (code, _) = audit(&["nullmx.test", "--strict"]);
    assert_eq!(code, 1, "--strict fails on warnings");
}

/// The human checklist groups by severity and shows the fix.
#[test]
fn human_checklist() {
    let zone = testdata("domain/zone.db");
    let r = run(
        &[
            "domain",
            "--color",
            "never",
            "--dns-zone",
            &zone,
            "broken.test",
        ],
        None,
    );
    assert_eq!(r.code, 1);
    assert!(r.stdout.starts_with("Domain broken.test\n"));
    assert!(r.stdout.contains("  error   spf.too-many-lookups"));
    assert!(
        r.stdout.contains("  warning spf.neutral-all"),
        "the JSON's severity word"
    );
    assert!(r.stdout.contains("fix: flatten includes"));
    assert!(r.stdout.trim_end().ends_with("warning(s) in 1 domain(s)"));
}

/// The same audit against a real DNS server on loopback.
#[test]
fn live_dns_server() {
    let zone = std::fs::read_to_string(testdata("domain/zone.db")).expect("zone");
    let server = DnsServer::start(&zone);
    let r = run(
        &[
            "domain",
            "--format",
            "json",
            "--nameserver",
            &server.nameserver(),
            "broken.test",
            "multi.test",
        ],
        None,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = r.json();
    assert!(ids(&v, "broken.test").contains("error:spf.too-many-lookups"));
    assert!(ids(&v, "multi.test").contains("error:spf.multiple"));
}

/// MTA-STS policy problems, each against a real HTTPS server: an MX outside the policy,
/// testing mode with a short max_age, a redirect (refused), a certificate from an unknown CA,
/// a syntax error, an oversized policy.
#[test]
fn mta_sts_policy_problems() {
    let mismatch = policy_server(
        "HTTP/1.1 200 OK",
        &["Content-Type: text/plain"],
        b"version: STSv1\nmode: testing\nmx: mx1.good.test\nmax_age: 3600\n",
    );
    let (code, v) = audit_good(&mismatch, &[]);
    assert_eq!(code, 0, "testing mode never blocks mail: warnings only");
    let got = ids(&v, "good.test");
    for want in [
        "warning:mta-sts.mx-mismatch",
        "warning:mta-sts.mode-testing",
        "warning:mta-sts.max-age-short",
    ] {
        assert!(got.contains(want), "missing {want} in {got:?}");
    }
    let mx2 = finding(&v, "mta-sts.mx-mismatch", "finding");
    assert!(
        mx2["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("MX mx2.good.test matches no mx")
    );

    let redirect = policy_server(
        "HTTP/1.1 301 Moved Permanently",
        &["Location: https://elsewhere.test/policy"],
        b"",
    );
    let (_, v) = audit_good(&redirect, &[]);
    let got = ids(&v, "good.test");
    assert!(got.contains("error:mta-sts.redirect"), "{got:?}");

    let good = policy_server(
        "HTTP/1.1 200 OK",
        &["Content-Type: text/plain"],
        GOOD_POLICY,
    );
    let connect = good.connect_to("mta-sts.good.test");
    let (_, v) = audit(&["good.test", "--selector", "s1", "--connect-to", &connect]);
    let fetch = finding(
        &v,
        "mta-sts.policy-fetch-failed",
        "untrusted certificate is a failure",
    );
    assert!(
        fetch["message"]
            .as_str()
            .unwrap_or_default()
            .contains("certificate"),
        "{fetch}"
    );

    let bad = policy_server(
        "HTTP/1.1 200 OK",
        &["Content-Type: application/json"],
        b"{\"mode\": \"enforce\"}",
    );
    let got = ids(&audit_good(&bad, &[]).1, "good.test");
    assert!(
        got.contains("error:mta-sts.policy-syntax") && got.contains("warning:mta-sts.content-type"),
        "{got:?}"
    );

    let huge = policy_server(
        "HTTP/1.1 200 OK",
        &["Content-Type: text/plain"],
        &vec![b'x'; 100 * 1024],
    );
    let (_, v) = audit_good(&huge, &[]);
    let fetch = finding(&v, "mta-sts.policy-fetch-failed", "oversized policy");
    assert!(
        fetch["message"]
            .as_str()
            .unwrap_or_default()
            .contains("limit"),
        "{fetch}"
    );
}

/// `--probe` against real STARTTLS responders: TLS details and a DANE-EE match; a TLSA record
/// that matches nothing; no STARTTLS where DANE demands it; an expiring and an expired
/// certificate (judged at --at).
#[test]
fn probe_starttls() {
    let dir = crate::support::temp_dir("probe");
    let run_probe = |server: &crate::support_servers::SmtpServer,
                     tlsa: &str,
                     extra: &[&str]|
     -> (i32, Value) {
        let zone = format!(
            "$ORIGIN probe.test.\n@ MX 10 mx1.probe.test.\nmx1 A 127.0.0.1\n_25._tcp.mx1 TLSA {tlsa}\n;! _25._tcp.mx1.probe.test. TLSA SECURE\n"
        );
        let zone_file =
            crate::support::write_file(&dir, &format!("zone{}.db", server.port), zone.as_bytes());
        let connect = format!("mx1.probe.test:25:127.0.0.1:{}", server.port);
        let mut args = vec![
            "domain",
            "--format",
            "json",
            "--probe",
            "--dns-zone",
            &zone_file,
            "--ca-file",
            &server.ca_file,
            "--connect-to",
            &connect,
            "probe.test",
        ];
        args.extend_from_slice(extra);
        let r = run(&args, None);
        (r.code, r.json())
    };
    let good = crate::support_servers::SmtpServer::start("mx1.probe.test", true, None);
    let (_, v) = run_probe(&good, &format!("3 1 1 {}", good.spki_sha256), &[]);
    let probe = &v["domains"][0]["probes"][0];
    assert_eq!(probe["starttls"], true, "{probe}");
    assert_eq!(probe["dane_match"], true);
    assert_eq!(probe["pkix_valid"], true, "{probe}");
    assert!(
        probe["tls_version"]
            .as_str()
            .unwrap_or_default()
            .starts_with("TLSv1"),
        "{probe}"
    );
    let got = ids(&v, "probe.test");
    assert!(
        got.contains("info:probe.dane-match") && got.contains("info:probe.tls"),
        "{got:?}"
    );

    let (_, v) = run_probe(&good, &format!("2 0 1 {}", good.ca_sha256), &[]);
    assert_eq!(
        v["domains"][0]["probes"][0]["dane"], "TLSA 2 0 1 matches chain certificate 2",
        "DANE-TA against the CA the server sends"
    );

    let (_, v) = run_probe(&good, &format!("3 1 1 {}", "AB".repeat(32)), &[]);
    assert!(ids(&v, "probe.test").contains("error:probe.dane-mismatch"));

    let plain = crate::support_servers::SmtpServer::start("mx1.probe.test", false, None);
    let (_, v) = run_probe(&plain, &format!("3 1 1 {}", plain.spki_sha256), &[]);
    assert!(
        ids(&v, "probe.test").contains("error:probe.no-starttls"),
        "{}",
        v["findings"]
    );

    let expiring =
        crate::support_servers::SmtpServer::start("mx1.probe.test", true, Some((2030, 1, 1)));
    let tlsa = format!("3 1 1 {}", expiring.spki_sha256);
    let (_, v) = run_probe(&expiring, &tlsa, &["--at", "2029-12-25T00:00:00Z"]);
    assert!(
        ids(&v, "probe.test").contains("warning:probe.cert-expiring"),
        "{}",
        v["findings"]
    );
    let (_, v) = run_probe(&expiring, &tlsa, &["--at", "2030-02-01T00:00:00Z"]);
    assert!(
        ids(&v, "probe.test").contains("error:probe.cert-expired"),
        "{}",
        v["findings"]
    );
}

/// DANE end to end: a DNSSEC-signed zone served by hickory-server is validated by our live
/// resolver from a test trust anchor (--trust-anchor), so its TLSA records are secure and DANE
/// applies; without the anchor (the root's keys) nothing in it is reported secure.
#[test]
fn dane_with_a_dnssec_signed_zone() {
    let zone = "dane.test. MX 10 mx.dane.test.\n\
mx.dane.test. A 192.0.2.25\n\
_25._tcp.mx.dane.test. TLSA 3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6\n\
dane.test. TXT \"v=spf1 -all\"\n\
_dmarc.dane.test. TXT \"v=DMARC1; p=reject; rua=mailto:d@dane.test\"\n";
    let server = crate::support_servers::SignedDnsServer::start(zone, "dane.test.");
    let dir = crate::support::temp_dir("anchor");
    let anchor = crate::support::write_file(&dir, "anchor.db", server.anchor.as_bytes());
    let ns = server.addr.to_string();
    let r = run(
        &[
            "domain",
            "--format",
            "json",
            "--timeout",
            "3",
            "--nameserver",
            &ns,
            "--trust-anchor",
            &anchor,
            "--no-https",
            "dane.test",
        ],
        None,
    );
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    let v = r.json();
    let dane = &v["domains"][0]["dane"][0];
    assert_eq!(dane["mx"], "mx.dane.test");
    assert_eq!(dane["dnssec"], "secure", "{dane}");
    assert_eq!(dane["usable"], true);
    assert!(
        ids(&v, "dane.test").contains("info:dane.ok"),
        "{}",
        v["findings"]
    );

    let r = run(
        &[
            "domain",
            "--format",
            "json",
            "--timeout",
            "3",
            "--nameserver",
            &ns,
            "--no-https",
            "dane.test",
        ],
        None,
    );
    let v = r.json();
    assert_ne!(
        v["domains"][0]["dane"][0]["dnssec"], "secure",
        "no chain from the root anchors"
    );

    let bad = crate::support::write_file(&dir, "bad.db", b"dane.test. 3600 IN DNSKEY garbage\n");
    let r = run(
        &[
            "domain",
            "--nameserver",
            &ns,
            "--trust-anchor",
            &bad,
            "dane.test",
        ],
        None,
    );
    assert_eq!(
        r.code, 2,
        "an unusable trust anchor stops the run: {}",
        r.stderr
    );
    assert!(r.stderr.contains("--trust-anchor"));
}
