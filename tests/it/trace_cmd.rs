//! `mailverdict trace` on real-world-shaped Received chains, trust boundaries, existing
//! Authentication-Results, DNSBL, and hostile input.

use serde_json::Value;

use crate::support::{run, temp_dir, testdata, write_file};

/// `trace --format json` on any file, with the trace test zone.
fn trace_path(path: &str, extra: &[&str]) -> crate::support::Run {
    let zone = testdata("trace/zone.db");
    let mut args = vec![
        "trace",
        "--format",
        "json",
        "--dns-zone",
        zone.as_str(),
        path,
    ];
    args.extend_from_slice(extra);
    run(&args, None)
}

fn trace(file: &str, extra: &[&str]) -> Value {
    let r = trace_path(&testdata(&format!("trace/{file}")), extra);
    assert_eq!(r.code, 0, "{file}: {}", r.stderr);
    r.json()
}

fn anomalies(v: &Value) -> String {
    v["path"]["anomalies"].to_string()
}

/// Gmail: three hops in path order, the submission over IPv6 with ESMTPSA/TLS 1.3, the
/// internal hop without TLS, timestamps normalised to UTC, delays from the Date field on.
#[test]
fn gmail_chain() {
    let v = trace("gmail.eml", &[]);
    let hops = v["path"]["hops"].as_array().expect("hops");
    assert_eq!(v["schema"], "mailverdict.trace.v2");
    assert_eq!(hops.len(), 3);
    assert_eq!(hops[0]["from_ip"], "2a02:1234:5678::9");
    assert_eq!(hops[0]["by_host"], "smtp.gmail.com");
    assert_eq!(hops[0]["protocol"], "ESMTPSA");
    assert_eq!(
        hops[0]["timestamp"], "2026-11-20T09:14:00Z",
        "-0800 normalised to UTC"
    );
    assert_eq!(hops[0]["delay_seconds"], 2, "since the Date field");
    assert_eq!(hops[1]["tls"], false);
    assert_eq!(hops[2]["from_ip"], "209.85.221.54");
    assert_eq!(hops[2]["tls_version"], "TLSv1.3");
    assert_eq!(hops[2]["tls_cipher"], "TLS_AES_256_GCM_SHA384");
    assert_eq!(hops[2]["for"], "bob@corp.test");
    assert_eq!(hops[2]["trusted"], true);
    assert_eq!(v["path"]["origin_ip"], "209.85.221.54");
    assert_eq!(v["path"]["origin_hop"], 3);
    assert_eq!(v["path"]["total_transit_seconds"], 5);
    assert_eq!(v["path"]["received_transit_seconds"], 3);
    assert_eq!(v["path"]["date_transit_seconds"], 5);
    // Hop 2 is Gmail's local handoff (`Received: by host with SMTP id ...`, no client): no
    // network hop, so no "sent without TLS" alarm.
    assert!(!anomalies(&v).contains("without TLS"), "{}", anomalies(&v));
    assert_eq!(hops[2]["judgement"], "boundary");
    assert_eq!(hops[0]["judgement"], "external");
}

/// Microsoft 365: IPv6 (link-local and global) hops, `with mapi`, TLS from the comment, and the
/// by/from gap between the internal and the outbound hop.
#[test]
fn m365_chain() {
    let v = trace("m365.eml", &[]);
    let hops = v["path"]["hops"].as_array().expect("hops");
    assert_eq!(hops[0]["from_ip"], "fe80::1234:5678:9abc:def0");
    assert_eq!(
        (
            hops[0]["protocol"].as_str(),
            hops[0]["obtained"]["protocol"].as_str()
        ),
        (Some("mapi"), Some("parsed")),
        "with mapi: an Atom outside the registered names is kept as written"
    );
    assert_eq!(hops[1]["with"], "Microsoft SMTP Server");
    assert_eq!(
        (
            hops[1]["protocol"].as_str(),
            hops[1]["obtained"]["protocol"].as_str()
        ),
        (Some("SMTP"), Some("recovered"))
    );
    assert_eq!(hops[1]["from_ip"], "2603:10a6:208:1a::15");
    assert_eq!(hops[1]["tls_version"], "TLSv1.2");
    assert_eq!(hops[2]["from_ip"], "40.107.22.101");
    let a = anomalies(&v);
    assert!(a.contains("hop 1 names a link-local client address"), "{a}");
    // DB9PR02MB7000.eurprd02.prod.outlook.com and EUR05-AM6-obe.outbound.protection.outlook.com
    // are one organization (outlook.com): no false gap.
    assert!(!a.contains("a gap in the chain"), "{a}");
}

/// Exim (helo= and TLS in its own syntax), Sendmail (no TLS, private first hop), qmail.
#[test]
fn exim_sendmail_qmail() {
    let v = trace("exim.eml", &[]);
    let hop = &v["path"]["hops"][0];
    assert_eq!(
        (hop["from_ip"].as_str(), hop["helo"].as_str()),
        (Some("203.0.113.50"), Some("mail.sender.example"))
    );
    assert_eq!(
        (hop["protocol"].as_str(), hop["tls_version"].as_str()),
        (Some("ESMTPS"), Some("TLSv1.3"))
    );
    assert_eq!(hop["id"], "1tDxyz-000ABC-2Q");
    assert_eq!(v["path"]["helo"], "mail.sender.example");
    assert_eq!(v["iprev"]["result"], "pass");

    let v = trace("sendmail.eml", &[]);
    assert_eq!(
        v["path"]["hops"][1]["timestamp"], "2026-11-20T10:00:05Z",
        "+0100 normalised"
    );
    let a = anomalies(&v);
    assert!(
        a.contains("hop 1 names a private client address 10.20.30.40")
            && a.contains("hop 2 was sent without TLS"),
        "{a}"
    );

    let v = trace("qmail.eml", &[]);
    assert_eq!(v["path"]["origin_ip"], "198.51.100.77");
    assert_eq!(
        v["path"]["helo"], "mail.sender.example",
        "qmail's (HELO x) is the HELO name"
    );
    assert_eq!(v["iprev"]["result"], "fail");
    assert!(
        v["iprev"]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("no PTR name of 198.51.100.77 resolves back")
    );
}

/// By default the walk down from our topmost hop infers internal hops from the private
/// client addresses our MTAs recorded (each with its reason), so the origin is the first hop
/// from outside; --trusted-mta (names or CIDR, repeatable) gives the same boundary.
#[test]
fn trust_boundary_moves_with_trusted_mta() {
    let v = trace("internal-relay.eml", &[]);
    assert_eq!(v["path"]["origin_ip"], "198.51.100.10");
    assert_eq!(v["path"]["trusted_hops"], 3);
    let hops = v["path"]["hops"].as_array().expect("hops");
    let judged: Vec<&str> = hops
        .iter()
        .map(|h| h["judgement"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(judged, ["boundary", "internal", "internal"]);
    assert_eq!(
        hops[2]["judgement_reason"],
        "store.corp.test recorded a private client address 10.1.1.5, not routable on the Internet"
    );
    assert!(!anomalies(&v).contains("misplaced"), "{}", anomalies(&v));
    // The switch turns the inference off: only our topmost hop is trusted.
    let v = trace("internal-relay.eml", &["--no-internal-inference"]);
    assert_eq!(v["path"]["origin_ip"], "10.1.1.5");
    assert_eq!(v["path"]["infer_internal"], false);
    assert!(
        anomalies(&v).contains(
            "the origin IP 10.1.1.5 is a private address: the trust boundary is misplaced"
        )
    );
    assert!(
        v["path"]["hops"][2]["judgement_reason"]
            .as_str()
            .unwrap_or_default()
            .ends_with("(internal-hop inference is off)")
    );
    for args in [
        vec!["--trusted-mta", "10.1.1.0/24"],
        vec![
            "--trusted-mta",
            "filter.corp.test",
            "--trusted-mta",
            "mx.corp.test",
        ],
    ] {
        let v = trace("internal-relay.eml", &args);
        assert_eq!(v["path"]["origin_ip"], "198.51.100.10", "{args:?}");
        assert_eq!(v["path"]["trusted_hops"], 3);
        assert_eq!(v["path"]["boundary_host"], "mx.corp.test");
        let trusted: Vec<bool> = v["path"]["hops"]
            .as_array()
            .expect("hops")
            .iter()
            .map(|h| h["trusted"].as_bool().unwrap_or(false))
            .collect();
        assert_eq!(trusted, [true, true, true]);
    }
}

/// Clock skew, long gaps, future timestamps, missing dates, an unparseable field kept as
/// written, odd spacing and nested comments.
#[test]
fn timing_and_forgery_anomalies() {
    let v = trace("forged.eml", &[]);
    let hops = v["path"]["hops"].as_array().expect("hops");
    assert_eq!(hops[0]["raw"], "this is not a received field at all");
    assert_eq!(
        hops[2]["from_ip"], "198.51.100.10",
        "odd spacing and nested comments parse"
    );
    let a = anomalies(&v);
    for want in [
        "hop 1 could not be parsed; kept as written",
        "hop 2 is timestamped 1m 00s before the hop before it",
        "hop 3 is timestamped 3h 01m after the hop before it",
        "hop 3 says it came from mail.sender.example, but hop 2 was received by relay.elsewhere.example",
    ] {
        assert!(a.contains(want), "missing {want:?} in {a}");
    }
    let v = trace("gmail.eml", &["--at", "2026-11-20T08:00:00Z"]);
    assert!(
        anomalies(&v).contains("hop 3 is timestamped 1h 14m in the future"),
        "{}",
        anomalies(&v)
    );
    let dir = temp_dir("nodate");
    let file = write_file(&dir, "nodate.eml", b"Received: from a.example (a.example [198.51.100.1]) by mx.corp.test with ESMTP\r\nSubject: x\r\n\r\nbody\r\n");
    let r = trace_path(&file, &[]);
    assert!(anomalies(&r.json()).contains("hop 1 has no parseable date"));
}

/// DNSBL: listed with the zone's reason, not listed, and a failed lookup kept apart.
#[test]
fn dnsbl_lookups() {
    let v = trace(
        "exim.eml",
        &[
            "--dnsbl",
            "bl.test",
            "--dnsbl",
            "clean.test",
            "--dnsbl",
            "broken.test",
        ],
    );
    let d = v["dnsbl"].as_array().expect("dnsbl");
    assert_eq!(
        (d[0]["listed"].as_bool(), d[0]["codes"][0].as_str()),
        (Some(true), Some("127.0.0.2"))
    );
    assert!(
        d[0]["reason"]
            .as_str()
            .unwrap_or_default()
            .starts_with("listed for spam")
    );
    assert_eq!(d[1]["listed"], false);
    assert_eq!(d[2]["listed"], Value::Null);
    assert!(
        d[2]["error"]
            .as_str()
            .unwrap_or_default()
            .contains("SERVFAIL")
    );
    let zone = testdata("trace/zone.db");
    let r = run(
        &[
            "trace",
            "--color",
            "never",
            "--dns-zone",
            &zone,
            "--dnsbl",
            "bl.test",
            &testdata("trace/exim.eml"),
        ],
        None,
    );
    assert!(
        r.stdout
            .contains("DNSBL: 203.0.113.50 at bl.test: LISTED (127.0.0.2): listed for spam"),
        "{}",
        r.stdout
    );
}

/// Authentication-Results: ours above the boundary is trusted and compared per mechanism
/// (agreement and disagreement shown); one claiming our id below the boundary is never
/// trusted; another authserv-id is not ours; without --authserv-id nothing is trusted.
#[test]
fn authentication_results_trust_and_comparison() {
    let base =
        String::from_utf8_lossy(&std::fs::read(testdata("dkim/spf-only.eml")).expect("fixture"))
            .into_owned();
    let text = format!(
        "Authentication-Results: mx.receiver.test; spf=pass smtp.mailfrom=bounce@example.com; dmarc=fail header.from=example.com\r\n{}",
        base.replacen(
            "From: ",
            "Authentication-Results: mx.receiver.test; dkim=pass header.d=example.com\r\nAuthentication-Results: other.example; spf=fail\r\nFrom: ",
            1
        )
    );
    let dir = temp_dir("authres");
    let file = write_file(&dir, "ar.eml", text.as_bytes());
    let zone = testdata("dkim/zone.db");
    let r = run(
        &[
            "check",
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
    let v = r.json();
    let fields = v["authentication_results"].as_array().expect("fields");
    assert_eq!(fields.len(), 3);
    assert_eq!(fields[0]["trusted"], true);
    assert_eq!(fields[0]["ours"], serde_json::json!(["pass", "pass"]));
    assert_eq!(
        fields[0]["agrees"],
        serde_json::json!([true, false]),
        "our DMARC passes: the claimed fail disagrees"
    );
    assert_eq!(fields[1]["trusted"], false);
    assert!(
        fields[1]["trust"]
            .as_str()
            .unwrap_or_default()
            .contains("below the trust boundary")
    );
    assert_eq!(
        fields[1]["agrees"],
        serde_json::json!([null]),
        "an untrusted claim is never compared"
    );
    assert_eq!(fields[2]["trust"], "authserv-id other.example is not ours");
    assert!(anomalies(&v).contains("claims our authserv-id from below the trust boundary"));
    let human = run(
        &[
            "check",
            "--color",
            "never",
            "--dns-zone",
            &zone,
            "--authserv-id",
            "mx.receiver.test",
            &file,
        ],
        None,
    )
    .stdout;
    assert!(
        human.contains("dmarc=fail header.from=example.com — DISAGREES: ours is pass"),
        "{human}"
    );
    assert!(
        human.contains("spf=pass smtp.mailfrom=bounce@example.com — agrees with ours (pass)"),
        "{human}"
    );
    let r = run(
        &["check", "--format", "json", "--dns-zone", &zone, &file],
        None,
    );
    assert!(
        r.json()["authentication_results"]
            .as_array()
            .expect("fields")
            .iter()
            .all(|f| f["trusted"] == false)
    );
}

/// 10,000 Received fields and a 1 MB field line stay within bounds; escapes inside Received
/// never reach the terminal raw.
#[test]
fn hostile_paths_are_bounded_and_escaped() {
    let dir = temp_dir("hostilepath");
    let mut many = String::new();
    for i in 0..10_000 {
        many.push_str(&format!("Received: from h{i}.example (h{i}.example [198.51.100.{}]) by h{}.example with ESMTPS; Fri, 20 Nov 2026 10:00:00 +0000\r\n", i % 250, i + 1));
    }
    many.push_str("Subject: many\r\n\r\nbody\r\n");
    let file = write_file(&dir, "many.eml", many.as_bytes());
    let started = std::time::Instant::now();
    let r = trace_path(&file, &[]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.json()["path"]["hops"].as_array().map(Vec::len),
        Some(10_000)
    );
    let long = format!(
        "Received: from x (x [198.51.100.1]) by y; {}\r\nSubject: long\r\n\r\nbody\r\n",
        "A".repeat(1 << 20)
    );
    let file = write_file(&dir, "long.eml", long.as_bytes());
    let r = run(
        &["trace", "--dns-zone", &testdata("trace/zone.db"), &file],
        None,
    );
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.len() < 4096,
        "a 1 MB field is clipped in the report"
    );
    assert!(started.elapsed().as_secs() < 30);
    let esc = "Received: from evil\x1b[31m.example (evil.example [198.51.100.9]) by mx\x07.corp.test\u{202e} with ESMTP; Fri, 20 Nov 2026 10:00:00 +0000\r\nSubject: x\r\n\r\nbody\r\n";
    let file = write_file(&dir, "esc.eml", esc.as_bytes());
    let r = run(
        &[
            "trace",
            "--color",
            "always",
            "--dns-zone",
            &testdata("trace/zone.db"),
            &file,
        ],
        None,
    );
    assert!(
        !r.stdout.contains('\x07')
            && !r.stdout.contains('\u{202e}')
            && !r.stdout.contains("\x1b[31m.example"),
        "{:?}",
        r.stdout
    );
}

/// Transport posture: DANE (validated TLSA) demands TLS and the hop into the MX used it, or
/// did not; unvalidated TLSA records do not count; MTA-STS id is read from the TXT record.
#[test]
fn transport_posture_of_recipient_and_sender() {
    let v = trace("gmail.eml", &[]);
    let t = v["transport"].as_array().expect("transport");
    assert_eq!(
        (t[0]["domain"].as_str(), t[0]["role"].as_str()),
        (Some("corp.test"), Some("recipient"))
    );
    assert_eq!(t[0]["mta_sts"]["id"], "20261120T01");
    assert_eq!(t[0]["dane"][0]["dnssec"], "secure");
    assert_eq!(t[0]["dane"][0]["usable"], true);
    assert_eq!(
        (
            t[0]["requires_tls"].as_bool(),
            t[0]["inbound_hop"].as_u64(),
            t[0]["hop_tls"].as_bool()
        ),
        (Some(true), Some(3), Some(true))
    );
    assert_eq!(
        t[0]["verdict"],
        "DANE requires TLS; hop 3 into mx.corp.test used TLS"
    );
    assert_eq!(t[1]["domain"], "sender.example");
    assert_eq!(t[1]["dane"][0]["usable"], false);
    assert!(
        t[1]["verdict"]
            .as_str()
            .unwrap_or_default()
            .contains("not DNSSEC-validated, so DANE does not apply")
    );

    let v = trace("sendmail.eml", &[]);
    assert_eq!(
        v["transport"][0]["verdict"],
        "DANE requires TLS, but hop 2 into mx.corp.test was sent WITHOUT TLS"
    );
}
