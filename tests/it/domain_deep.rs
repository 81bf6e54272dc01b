//! `mailverdict domain` beyond the usual checkers: DANE rollover readiness (from the records,
//! and against the chain `--probe` sees on a real STARTTLS server), and BIMI: the SVG logo and
//! the VMC served by real HTTPS servers, certificates made with rcgen.

use serde_json::Value;

use crate::domain_rfc::{ids, message};
use crate::support::{run, temp_dir, write_file};
use crate::support_servers::SmtpServer;

/// Audit roll.test whose MX publishes `tlsa` (validated), probing `server` when given.
fn audit_tlsa(tlsa: &[String], server: Option<&SmtpServer>) -> Value {
    let mut zone = String::from(
        "$ORIGIN roll.test.\n@ TXT \"v=spf1 -all\"\n@ MX 10 mx1.roll.test.\nmx1 A 127.0.0.1\n",
    );
    for t in tlsa {
        zone.push_str(&format!("_25._tcp.mx1 TLSA {t}\n"));
    }
    zone.push_str(";! _25._tcp.mx1.roll.test. TLSA SECURE\n");
    let dir = temp_dir("rollover");
    let file = write_file(&dir, "roll.db", zone.as_bytes());
    let mut args = vec![
        "domain".to_string(),
        "--format".into(),
        "json".into(),
        "--no-https".into(),
        "--dns-zone".into(),
        file,
    ];
    if let Some(s) = server {
        args.extend([
            "--probe".into(),
            "--ca-file".into(),
            s.ca_file.clone(),
            "--connect-to".into(),
            format!("mx1.roll.test:25:127.0.0.1:{}", s.port),
        ]);
    }
    args.push("roll.test".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&args, None).json()
}

/// From the records alone: one DANE record breaks at the next key change (a warning); two
/// distinct ones (current and next) are ready.
#[test]
fn rollover_from_the_records() {
    let one = vec![format!("3 1 1 {}", "AB".repeat(32))];
    let v = audit_tlsa(&one, None);
    assert!(ids(&v).contains("warning:dane.rollover"), "{:?}", ids(&v));
    let two = vec![
        format!("3 1 1 {}", "AB".repeat(32)),
        format!("3 1 1 {}", "CD".repeat(32)),
    ];
    let v = audit_tlsa(&two, None);
    assert!(
        ids(&v).contains("info:dane.rollover-ready"),
        "{:?}",
        ids(&v)
    );
    assert!(!ids(&v).contains("warning:dane.rollover"));
}

/// Against the chain a real STARTTLS server presents: a lone `3 1 1` of the current key is not
/// ready; a second `3 1 1` that matches nothing presented (the next key) is; so is a `2 0 1`
/// of the issuing CA, under which the server key may change.
#[test]
fn rollover_against_the_probed_chain() {
    let server = SmtpServer::start("mx1.roll.test", true, None);
    let current = format!("3 1 1 {}", server.spki_sha256);
    let v = audit_tlsa(std::slice::from_ref(&current), Some(&server));
    assert_eq!(
        v["domains"][0]["probes"][0]["dane_match"], true,
        "{}",
        v["findings"]
    );
    assert!(ids(&v).contains("warning:dane.rollover"), "{:?}", ids(&v));
    assert!(message(&v, "dane.rollover").contains("only the server key presented now"));

    let next = format!("3 1 1 {}", "CD".repeat(32));
    let v = audit_tlsa(&[current.clone(), next], Some(&server));
    assert_eq!(
        v["domains"][0]["probes"][0]["tlsa_matched"],
        serde_json::json!([true, false])
    );
    assert!(message(&v, "dane.rollover-ready").contains("next key"));

    let ta = format!("2 0 1 {}", server.ca_sha256);
    let v = audit_tlsa(&[current, ta], Some(&server));
    assert!(
        message(&v, "dane.rollover-ready").contains("issuing CA"),
        "{}",
        v["findings"]
    );
}

/// DER TLV (definite length) for the hand-built logotype extension.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match content.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n < 0x100 => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(content);
    out
}

/// An RFC 3709 logotype extension (implicit tags, as VMCs carry it): subjectLogo, direct,
/// one image of type image/svg+xml with its SHA-256 and a base64 data: URI.
fn logotype(svg: &[u8]) -> Vec<u8> {
    use base64::Engine;
    let sha256_oid = [
        0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
    ];
    let hash = ring::digest::digest(&ring::digest::SHA256, svg);
    let hash_alg_and_value = tlv(
        0x30,
        &[tlv(0x30, &sha256_oid), tlv(0x04, hash.as_ref())].concat(),
    );
    let uri = format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    );
    let details = tlv(
        0x30,
        &[
            tlv(0x16, b"image/svg+xml"),
            tlv(0x30, &hash_alg_and_value),
            tlv(0x30, &tlv(0x16, uri.as_bytes())),
        ]
        .concat(),
    );
    let image = tlv(0x30, &details);
    let data = tlv(0xa0, &tlv(0x30, &image));
    tlv(0x30, &tlv(0xa2, &data))
}

/// A VMC for `san` embedding `logo` (EKU id-kp-BrandIndicatorforMessageIdentification), signed
/// by a test BIMI root: (leaf PEM + root PEM, root PEM).
fn vmc(san: &str, logo: &[u8], not_after: Option<(i32, u8, u8)>) -> (String, String) {
    let root_key = rcgen::KeyPair::generate().expect("key");
    let mut root = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    root.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    root.distinguished_name
        .push(rcgen::DnType::CommonName, "test BIMI root");
    let root_cert = root.self_signed(&root_key).expect("root");
    let issuer = rcgen::Issuer::new(root, root_key);
    let key = rcgen::KeyPair::generate().expect("key");
    let mut leaf = rcgen::CertificateParams::new(vec![san.to_string()]).expect("params");
    leaf.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::Other(vec![
        1, 3, 6, 1, 5, 5, 7, 3, 31,
    ])];
    leaf.custom_extensions = vec![rcgen::CustomExtension::from_oid_content(
        &[1, 3, 6, 1, 5, 5, 7, 1, 12],
        logotype(logo),
    )];
    if let Some((y, m, d)) = not_after {
        leaf.not_after = rcgen::date_time_ymd(y, m, d);
    }
    let leaf_cert = leaf.signed_by(&key, &issuer).expect("leaf");
    (
        format!("{}{}", leaf_cert.pem(), root_cert.pem()),
        root_cert.pem(),
    )
}

const LOGO: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny-ps" viewBox="0 0 64 64"><title>Bimi Test</title><circle cx="32" cy="32" r="30" fill="#c00"/></svg>"##;

/// Audit bimi.test whose logo (`served`) and VMC (`pem`) come from two real HTTPS servers;
/// `anchors` joins the BIMI root to the servers' CAs in one --ca-file.
fn audit_bimi(served: &[u8], pem: &str, bimi_root: &str, at: &str) -> Value {
    use crate::support_servers::HttpsServer;
    let svg = HttpsServer::start(
        "logo.bimi.test",
        "HTTP/1.1 200 OK",
        &["Content-Type: image/svg+xml"],
        served,
    );
    let cert = HttpsServer::start(
        "vmc.bimi.test",
        "HTTP/1.1 200 OK",
        &["Content-Type: application/pem-certificate-chain"],
        pem.as_bytes(),
    );
    let dir = temp_dir("bimi");
    let read = |p: &str| std::fs::read_to_string(p).expect("ca");
    let anchors = format!("{}{}{bimi_root}", read(&svg.ca_file), read(&cert.ca_file));
    let ca = write_file(&dir, "ca.pem", anchors.as_bytes());
    let zone = "$ORIGIN bimi.test.\n@ TXT \"v=spf1 -all\"\n@ MX 0 .\n\
_dmarc TXT \"v=DMARC1; p=reject\"\n\
default._bimi TXT \"v=BIMI1; l=https://logo.bimi.test/logo.svg; a=https://vmc.bimi.test/vmc.pem\"\n";
    let zone = write_file(&dir, "bimi.db", zone.as_bytes());
    let (c1, c2) = (
        svg.connect_to("logo.bimi.test"),
        cert.connect_to("vmc.bimi.test"),
    );
    let r = run(
        &[
            "domain",
            "--format",
            "json",
            "--dns-zone",
            &zone,
            "--ca-file",
            &ca,
            "--connect-to",
            &c1,
            "--connect-to",
            &c2,
            "--at",
            at,
            "bimi.test",
        ],
        None,
    );
    r.json()
}

/// BIMI end to end against real HTTPS servers: the SVG passes the Tiny PS checks, the VMC
/// chain verifies to the root given with --ca-file, names the domain, and its logotype hash
/// is the logo served at l=; a different logo, a VMC for another domain, an expired VMC (at
/// --at) and a non-Tiny-PS logo are each an error.
#[test]
fn bimi_logo_and_vmc() {
    let (pem, root) = vmc("bimi.test", LOGO.as_bytes(), Some((2030, 1, 1)));
    let v = audit_bimi(LOGO.as_bytes(), &pem, &root, "2027-01-01T00:00:00Z");
    let got = ids(&v);
    for want in [
        "info:bimi.svg-ok",
        "info:bimi.vmc-chain",
        "info:bimi.vmc-logo",
    ] {
        assert!(got.contains(want), "missing {want}: {}", v["findings"]);
    }
    assert!(
        !got.iter().any(|i| i.starts_with("error:")),
        "{}",
        v["findings"]
    );

    let other = LOGO.replace("#c00", "#00c");
    let v = audit_bimi(other.as_bytes(), &pem, &root, "2027-01-01T00:00:00Z");
    assert!(
        ids(&v).contains("error:bimi.vmc-logo-mismatch"),
        "{}",
        v["findings"]
    );

    let v = audit_bimi(LOGO.as_bytes(), &pem, &root, "2031-01-01T00:00:00Z");
    assert!(
        ids(&v).contains("error:bimi.vmc-expired"),
        "{}",
        v["findings"]
    );

    let (elsewhere, root2) = vmc("other.test", LOGO.as_bytes(), None);
    let v = audit_bimi(LOGO.as_bytes(), &elsewhere, &root2, "2027-01-01T00:00:00Z");
    assert!(message(&v, "bimi.vmc-domain").contains("other.test"));

    let (_, unrelated_root) = vmc("bimi.test", LOGO.as_bytes(), None);
    let v = audit_bimi(
        LOGO.as_bytes(),
        &pem[..pem.find("-----END CERTIFICATE-----").map_or(0, |i| i + 26)],
        &unrelated_root,
        "2027-01-01T00:00:00Z",
    );
    assert!(
        message(&v, "bimi.vmc-chain").contains("no --ca-file anchor"),
        "{}",
        v["findings"]
    );

    let scripted = LOGO.replace("<circle", "<script>alert(1)</script><circle");
    let v = audit_bimi(scripted.as_bytes(), &pem, &root, "2027-01-01T00:00:00Z");
    assert!(
        message(&v, "bimi.svg-profile").contains("<script>"),
        "{}",
        v["findings"]
    );
}

/// DNSSEC status beyond TLSA, against a zone signed by hickory-server: with the test trust
/// anchor the domain and its MX host are validated; without it (the root's keys) neither is
/// reported secure, and over a plain server (no DNSKEY anywhere) the domain is noted unsigned
/// without a validator's walk.
#[test]
fn dnssec_status_of_the_domain_and_its_mx() {
    let zone = "sig.test. MX 10 mx.sig.test.\nmx.sig.test. A 192.0.2.25\n\
sig.test. TXT \"v=spf1 -all\"\n_dmarc.sig.test. TXT \"v=DMARC1; p=reject\"\n";
    let server = crate::support_servers::SignedDnsServer::start(zone, "sig.test.");
    let dir = temp_dir("dnssec");
    let anchor = write_file(&dir, "anchor.db", server.anchor.as_bytes());
    let ns = server.addr.to_string();
    let audit = |extra: &[&str]| {
        let mut args = vec![
            "domain",
            "--format",
            "json",
            "--timeout",
            "3",
            "--no-https",
            "--nameserver",
            &ns,
        ];
        args.extend_from_slice(extra);
        args.push("sig.test");
        run(&args, None).json()
    };
    let v = audit(&["--trust-anchor", &anchor]);
    let statuses = &v["domains"][0]["dnssec"];
    assert_eq!(statuses[0]["name"], "sig.test", "{statuses}");
    assert_eq!(statuses[0]["status"], "secure", "{statuses}");
    assert_eq!(statuses[1]["name"], "mx.sig.test");
    assert_eq!(statuses[1]["status"], "secure", "{statuses}");
    assert!(ids(&v).contains("info:dnssec.secure"));

    let v = audit(&[]);
    assert_ne!(
        v["domains"][0]["dnssec"][0]["status"], "secure",
        "no chain from the root anchors"
    );

    let plain = crate::support::DnsServer::start(zone);
    let r = run(
        &[
            "domain",
            "--format",
            "json",
            "--no-https",
            "--nameserver",
            &plain.nameserver(),
            "sig.test",
        ],
        None,
    );
    let v = r.json();
    assert!(
        message(&v, "dnssec.undetermined").contains("no DNSKEY"),
        "{}",
        v["findings"]
    );
}
