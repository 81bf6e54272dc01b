//! The small traps a newcomer meets in the first hour (issue 17): each is said, not silent.

use crate::support::{run, temp_dir, testdata, write_file};

const DANE_ZONE: &str = "dane.test. MX 10 mx.dane.test.\n\
mx.dane.test. A 192.0.2.25\n\
_25._tcp.mx.dane.test. TLSA 3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6\n\
dane.test. TXT \"v=spf1 -all\"\n\
_dmarc.dane.test. TXT \"v=DMARC1; p=reject; rua=mailto:d@dane.test\"\n";

fn dane_status(ns: &str, anchor: &str) -> crate::support::Run {
    run(
        &[
            "domain",
            "--format",
            "json",
            "--timeout",
            "3",
            "--nameserver",
            ns,
            "--trust-anchor",
            anchor,
            "--no-https",
            "dane.test",
        ],
        None,
    )
}

/// --trust-anchor files are read by our zone parser, like --dns-zone files: an owner written
/// with RFC 1035 `\DDD` escapes (decimal octets: `d\097ne` is `dane`) and a key split over
/// lines in parentheses still validate the signed zone (hickory's reader decodes `\DDD` wrongly).
#[test]
fn trust_anchor_uses_our_zone_parser() {
    let server = crate::support::SignedDnsServer::start(DANE_ZONE, "dane.test.");
    let dir = temp_dir("anchor-escaped");
    let (head, key) = server
        .anchor
        .trim_end()
        .rsplit_once(' ')
        .expect("DNSKEY ... KEY");
    let (k1, k2) = key.split_at(key.len() / 2);
    let escaped = format!(
        "$ORIGIN test.\n{} (\n  {k1}\n  {k2} )\n",
        head.replacen("dane.test.", "d\\097ne", 1)
    );
    let anchor = write_file(&dir, "anchor.db", escaped.as_bytes());
    let r = dane_status(&server.addr.to_string(), &anchor);
    assert!(r.code == 0 || r.code == 1, "{} {}\n{escaped}", r.code, r.stderr);
    assert_eq!(
        r.json()["domains"][0]["dane"][0]["dnssec"],
        "secure",
        "{escaped}"
    );
}

/// A --trust-anchor file that cannot be opened is exit 66 (cannot open), not 75 (retry later);
/// one without a DNSKEY, or with a syntax error, is a usage error (2) naming the file.
#[test]
fn trust_anchor_errors_have_their_exit_codes() {
    let dir = temp_dir("anchor-errors");
    let missing = dir.join("missing.db").display().to_string();
    let r = dane_status("127.0.0.1:9", &missing);
    assert_eq!(r.code, 66, "{}", r.stderr);
    assert!(r.stderr.contains("--trust-anchor") && r.stderr.contains("missing.db"));
    let no_key = write_file(&dir, "a.db", b"dane.test. A 192.0.2.1\n");
    let r = dane_status("127.0.0.1:9", &no_key);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("no DNSKEY"), "{}", r.stderr);
    let ds = write_file(&dir, "ds.db", b"dane.test. DS 12345 13 2 AABBCC\n");
    let r = dane_status("127.0.0.1:9", &ds);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("DS records"), "{}", r.stderr);
    let syntax = write_file(&dir, "s.db", b"dane.test. DNSKEY 257 3 13 (\n");
    let r = dane_status("127.0.0.1:9", &syntax);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("line"), "{}", r.stderr);
    // Checked before any message is read: check on a file fails the same way.
    let r = run(
        &[
            "check",
            "--trust-anchor",
            &missing,
            &testdata("demo/signed.eml"),
        ],
        None,
    );
    assert_eq!(r.code, 66, "{}", r.stderr);
}
