//! Received chains collected from public sources (testdata/received/real/SOURCE.md) through
//! `mailverdict trace`, field by field; and each class of field main used to read wrong, as
//! one real-world-shaped field through the binary.

use serde_json::Value;

use crate::support::{run, temp_dir, testdata, write_file};

pub(crate) fn trace_with(file: &str, zone: &str, extra: &[&str]) -> Value {
    let mut args = vec!["trace", "--format", "json", "--dns-zone", zone, file];
    args.extend_from_slice(extra);
    let r = run(&args, None);
    assert_eq!(r.code, 0, "{file}: {}", r.stderr);
    r.json()
}

pub(crate) fn real(name: &str, extra: &[&str]) -> Value {
    trace_with(
        &testdata(&format!("received/real/{name}")),
        &testdata("trace/zone.db"),
        extra,
    )
}

/// A hop's fields in one tuple: from-host, client IP, by-host, protocol, TLS, UTC time, delay.
pub(crate) type Fields = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    bool,
    Option<String>,
    Option<i64>,
);

pub(crate) fn fields(h: &Value) -> Fields {
    let s = |k: &str| h[k].as_str().map(str::to_string);
    (
        s("from_host"),
        s("from_ip"),
        s("by_host"),
        s("protocol"),
        h["tls"].as_bool().unwrap_or(false),
        s("timestamp"),
        h["delay_seconds"].as_i64(),
    )
}

pub(crate) fn want(
    from: Option<&str>,
    ip: Option<&str>,
    by: &str,
    proto: Option<&str>,
    tls: bool,
    at: &str,
    delay: Option<i64>,
) -> Fields {
    (
        from.map(str::to_string),
        ip.map(str::to_string),
        Some(by.to_string()),
        proto.map(str::to_string),
        tls,
        Some(at.to_string()),
        delay,
    )
}

pub(crate) fn hops(v: &Value) -> Vec<Value> {
    v["path"]["hops"].as_array().cloned().unwrap_or_default()
}

pub(crate) fn anomalies(v: &Value) -> String {
    v["path"]["anomalies"].to_string()
}

/// Exchange Online / EOP behind PowerMTA (MHA's test chain): every hop field by field, `via`
/// kept, EOP's two names for one host are no gap, the 5h 10m queue at PowerMTA found.
#[test]
fn exchange_online_chain() {
    let v = real("m365-eop-powermta.eml", &[]);
    let h = hops(&v);
    assert_eq!(h.len(), 4);
    let got: Vec<Fields> = h.iter().map(fields).collect();
    assert_eq!(
        got,
        [
            want(
                Some("localhost"),
                Some("10.0.22.21"),
                "vmta6.response.nfcu.org",
                None,
                false,
                "2018-04-20T21:51:19Z",
                None
            ),
            want(
                Some("vmta6.response.nfcu.org"),
                Some("199.204.166.217"),
                "BN3NAM04FT003.mail.protection.outlook.com",
                Some("SMTP"),
                false,
                "2018-04-21T03:01:32Z",
                Some(18_613)
            ),
            want(
                Some("BN3NAM04FT003.eop-NAM04.prod.protection.outlook.com"),
                Some("10.152.92.53"),
                "BN3NAM04HT205.eop-NAM04.prod.protection.outlook.com",
                Some("SMTP"),
                true,
                "2018-04-21T03:01:32Z",
                Some(0)
            ),
            want(
                Some("BN3NAM04HT205.eop-NAM04.prod.protection.outlook.com"),
                Some("2a01:111:e400:c418::34"),
                "SN1PR16MB0494.namprd16.prod.outlook.com",
                Some("HTTPS"),
                true,
                "2018-04-21T03:01:33Z",
                Some(1)
            ),
        ]
    );
    assert_eq!(h[1]["via"], "Frontend Transport");
    assert_eq!(h[1]["with"], "Microsoft SMTP Server");
    assert_eq!(h[1]["obtained"]["protocol"], "recovered");
    assert_eq!(h[2]["tls_version"], "TLSv1.2");
    assert_eq!(
        h[2]["tls_cipher"],
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384_P384"
    );
    assert_eq!(h[3]["via"], "SN1PR15CA0024.NAMPRD15.PROD.OUTLOOK.COM");
    assert_eq!(h[0]["for"], "sgriffin@outlook.com");
    assert_eq!(v["path"]["received_transit_seconds"], 18_614);
    let a = anomalies(&v);
    assert!(!a.contains("gap in the chain"), "{a}");
    assert!(a.contains("hop 2 is timestamped 5h 10m after"), "{a}");
    // Without DNS evidence the Exchange Online relay that handed the message over is where
    // mail entered: its name is the sender's claim.
    assert_eq!(v["path"]["origin_ip"], "2a01:111:e400:c418::34");
    let human = run(
        &[
            "trace",
            "--color",
            "never",
            "--dns-zone",
            &testdata("trace/zone.db"),
            &testdata("received/real/m365-eop-powermta.eml"),
        ],
        None,
    )
    .stdout;
    assert!(human.contains("5h 10m  ██████████ 100%"), "{human}");
    assert!(
        human.contains("via Frontend Transport  id 15.20.696.11"),
        "{human}"
    );
}

/// Forward-confirmed reverse DNS of Exchange Online's relay into outlook.com makes that hop
/// internal, the private EOP hop below it too, and the origin becomes the sender's MTA; each
/// reason names its evidence.
#[test]
fn exchange_online_internal_hops_by_fcrdns() {
    let zone = testdata("received/real/fcrdns.db");
    let v = trace_with(&testdata("received/real/m365-eop-powermta.eml"), &zone, &[]);
    let h = hops(&v);
    let judged: Vec<&str> = h
        .iter()
        .map(|x| x["judgement"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(judged, ["external", "boundary", "internal", "internal"]);
    assert_eq!(
        h[3]["judgement_reason"],
        "the client 2a01:111:e400:c418::34 has forward-confirmed reverse DNS bn3nam04ht205.eop-nam04.prod.protection.outlook.com, in the receiving organization outlook.com"
    );
    assert_eq!(v["path"]["origin_ip"], "199.204.166.217");
    assert_eq!(v["path"]["origin_hop"], 2);
    assert!(!anomalies(&v).contains("hop 3 was sent without TLS"));
}

/// GitHub through SendGrid into Exchange Online (MHA): SendGrid's fractional seconds and its
/// `;`-less ISO date are read (and marked recovered), TLS from Microsoft's comment.
#[test]
fn sendgrid_chain() {
    let v = real("github-sendgrid-eop.eml", &[]);
    let h = hops(&v);
    assert_eq!(h.len(), 5);
    assert_eq!(
        fields(&h[0]),
        want(
            Some("smtp.github.com"),
            Some("192.30.252.194"),
            "ismtpd0021p1iad2.sendgrid.net",
            Some("ESMTP"),
            false,
            "2018-04-22T02:54:16Z",
            None
        )
    );
    assert_eq!(h[0]["from_rdns"], "out-3.smtp.github.com");
    assert_eq!(h[0]["obtained"]["timestamp"], "recovered");
    assert_eq!(
        fields(&h[1]),
        want(
            None,
            None,
            "filter0652p1las1.sendgrid.net",
            Some("SMTP"),
            false,
            "2018-04-22T02:54:17Z",
            Some(1)
        )
    );
    assert_eq!(h[1]["id"], "filter0652p1las1-5089-5ADBF958-25");
    assert_eq!(h[1]["obtained"]["timestamp"], "recovered");
    assert_eq!(
        fields(&h[2]),
        want(
            Some("o9.sgmail.github.com"),
            Some("167.89.101.2"),
            "CO1NAM03FT028.mail.protection.outlook.com",
            Some("SMTP"),
            true,
            "2018-04-22T02:54:17Z",
            Some(0)
        )
    );
    assert_eq!(h[2]["via"], "Frontend Transport");
    assert_eq!(h[4]["protocol"], "HTTPS");
    assert_eq!(h[4]["tls"], true);
    let a = anomalies(&v);
    assert!(
        !a.contains("hop 2 was sent without TLS"),
        "local handoff: {a}"
    );
}

/// Gmail into Postfix (the linux-mm list): Gmail's TLS comment, its local handoff, Postfix's
/// `for`, the zone names normalised to UTC, both transits.
#[test]
fn gmail_into_postfix_chain() {
    let v = real("gmail-postfix-kvack.eml", &[]);
    let h = hops(&v);
    let got: Vec<Fields> = h.iter().map(fields).collect();
    assert_eq!(
        got,
        [
            want(
                Some("mga04.intel.com"),
                Some("192.55.52.120"),
                "mx.google.com",
                Some("ESMTPS"),
                true,
                "2017-05-09T16:00:40Z",
                Some(45)
            ),
            want(
                None,
                None,
                "mail-pg0-f72.google.com",
                Some("SMTP"),
                false,
                "2017-05-09T16:00:41Z",
                Some(1)
            ),
            want(
                Some("mail-pg0-f72.google.com"),
                Some("74.125.83.72"),
                "kanga.kvack.org",
                Some("ESMTP"),
                false,
                "2017-05-09T16:00:41Z",
                Some(0)
            ),
        ]
    );
    assert_eq!(
        (h[0]["tls_version"].as_str(), h[0]["tls_cipher"].as_str()),
        (Some("TLSv1.2"), Some("ECDHE-RSA-AES128-GCM-SHA256"))
    );
    assert_eq!(h[0]["from_rdns"], "mga04.intel.com.");
    assert_eq!(h[2]["id"], "3B6FC280730");
    assert_eq!(h[2]["for"], "linux-mm@kvack.org");
    assert_eq!(v["path"]["origin_ip"], "74.125.83.72");
    assert_eq!(v["path"]["received_transit_seconds"], 1);
    assert_eq!(v["path"]["date_transit_seconds"], 46);
    assert_eq!(
        anomalies(&v),
        r#"["hop 3 was sent without TLS"]"#,
        "Postfix recorded no TLS for Google's delivery"
    );
}

/// Zimbra's Postfix → amavisd-new loop on loopback: both hops internal, the whole path ours,
/// no false gap or no-TLS alarm for the content filter.
#[test]
fn zimbra_content_filter_loop() {
    let v = real("zimbra-amavis.eml", &[]);
    let h = hops(&v);
    assert_eq!(
        fields(&h[1]),
        want(
            Some("edge01e.zimbra.com"),
            Some("127.0.0.1"),
            "localhost",
            Some("ESMTP"),
            false,
            "2016-06-24T05:45:31Z",
            Some(0)
        )
    );
    assert_eq!(h[1]["from_rdns"], Value::Null);
    assert_eq!(
        (h[0]["judgement"].as_str(), h[1]["judgement"].as_str()),
        (Some("internal"), Some("internal"))
    );
    assert_eq!(anomalies(&v), "[]");
}

/// One field per class main read wrong, through the binary: fractional seconds, obsolete
/// zones, a digit-laden comment before the date, a repeated `by`, qmail's `(ident@ip)` and
/// comment-only fields, `with` words outside a fixed list (SMTPS counted as TLS), an empty
/// by-domain, a date without `;`, Exchange's `via`.
#[test]
fn wrong_on_main_classes() {
    let dir = temp_dir("classes");
    let cases: [(&str, &str, &str, Value); 12] = [
        (
            "from a.example (a.example [198.51.100.1]) by mx.corp.test (SG) with ESMTP id x; Sun, 22 Apr 2018 02:54:16.987 +0000 (UTC)",
            "timestamp",
            "2018-04-22T02:54:16Z",
            Value::Null,
        ),
        (
            "from a.example (a.example [198.51.100.1]) by mx.corp.test with ESMTP; Wed, 12 Feb 2003 14:22:21 PST",
            "timestamp",
            "2003-02-12T22:22:21Z",
            Value::Null,
        ),
        (
            "from a.example (a.example [198.51.100.1]) by mx.corp.test with ESMTPS id 1; (version=TLSv1/SSLv3 cipher=DHE-RSA-AES256-SHA bits=128/128) Wed, 8 Mar 2017 10:00:00 -0500",
            "timestamp",
            "2017-03-08T15:00:00Z",
            Value::Null,
        ),
        (
            "from 156.56.111.196 by blazing.arsecandle.org by uid 502 with qmail-scanner-1.24; 06 Feb 2005 21:11:38 -0000",
            "by_host",
            "blazing.arsecandle.org",
            Value::Null,
        ),
        (
            "from postfix3-2.free.fr (HELO machine.domain.com) (foobar@213.228.0.169) by totor.bouissou.net with SMTP; 14 Nov 2003 08:05:50 -0000",
            "from_ip",
            "213.228.0.169",
            Value::Null,
        ),
        (
            "from AM0PR02MB5678.eurprd02.prod.outlook.com ([fe80::1]) by AM0PR02MB5678.eurprd02.prod.outlook.com ([fe80::1%6]) with mapi id 15.20.8207.017; Fri, 20 Nov 2026 09:20:08 +0000",
            "protocol",
            "mapi",
            Value::Null,
        ),
        (
            "from a.example (a.example [198.51.100.1]) by mx.corp.test with SMTPS; Fri, 20 Nov 2026 09:20:08 +0000",
            "protocol",
            "SMTPS",
            Value::Bool(true),
        ),
        (
            "from a.example (a.example [198.51.100.1]) by mx.corp.test with local-rmail; Fri, 20 Nov 2026 09:20:08 +0000",
            "protocol",
            "local-rmail",
            Value::Null,
        ),
        (
            "from a.example (a.example [198.51.100.1]) by with ESMTP id 77; Fri, 20 Nov 2026 09:20:08 +0000",
            "protocol",
            "ESMTP",
            Value::Null,
        ),
        (
            "from smtp.github.com (out-8.smtp.github.com [192.30.252.199]) by ismtpd0003p1iad2.sendgrid.net (SG) with ESMTP id gDQRSEGgSqCsi9tFtF1Vtg Mon, 26 Mar 2018 13:35:36.102 +0000 (UTC)",
            "timestamp",
            "2018-03-26T13:35:36Z",
            Value::Null,
        ),
        (
            "from vmta6.response.nfcu.org (199.204.166.217) by BN3NAM04FT003.mail.protection.outlook.com (10.152.92.112) with Microsoft SMTP Server id 15.20.696.11 via Frontend Transport; Sat, 21 Apr 2018 03:01:32 +0000",
            "via",
            "Frontend Transport",
            Value::Null,
        ),
        (
            "from a.example (a.example [198.51.100.1]) by mx.corp.test with spam-scanned; Fri, 20 Nov 2026 09:20:08 +0000",
            "protocol",
            "spam-scanned",
            Value::Null,
        ),
    ];
    for (k, (field, key, value, tls)) in cases.iter().enumerate() {
        let file = write_file(
            &dir,
            &format!("c{k}.eml"),
            format!("Received: {field}\r\nSubject: c\r\n\r\nbody\r\n").as_bytes(),
        );
        let v = trace_with(&file, &testdata("trace/zone.db"), &[]);
        let hop = &v["path"]["hops"][0];
        assert_eq!(hop[*key], *value, "{field}");
        if !tls.is_null() {
            assert_eq!(hop["tls"], *tls, "{field}");
        }
    }
    // qmail's comment-only field names no sender: no host "network", and the origin is the
    // hop above it.
    let v = trace_with(
        &testdata("trace/qmail.eml"),
        &testdata("trace/zone.db"),
        &[],
    );
    assert_eq!(v["path"]["hops"][0]["from_host"], Value::Null);
    assert_eq!(v["path"]["hops"][0]["raw"], Value::Null);
    assert!(!anomalies(&v).contains("network"), "{}", anomalies(&v));
}

/// The message whose Received fields are vectors `range` of mail-parser's suite (consecutive
/// fields of one real message, newest first), as a file.
pub(crate) fn chain_from_vectors(name: &str, range: std::ops::Range<usize>) -> String {
    let vectors: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(crate::support::conformance("received").join("received.json"))
            .expect("vectors"),
    )
    .expect("json");
    let mut text = String::new();
    for v in &vectors[range] {
        let header = v["header"].as_str().expect("header");
        let header = header
            .trim_end_matches(['\r', '\n'])
            .replace("\r\n", "\n")
            .replace('\n', "\r\n");
        text.push_str(&format!("Received: {}\r\n", header.trim_start()));
    }
    text.push_str("Subject: chain\r\n\r\nbody\r\n");
    write_file(&temp_dir("vchains"), name, text.as_bytes())
}

/// Yahoo's outbound chain (web HTTP submission, qmail's `invoked by uid`, three NNFMP hops)
/// into a Postfix list server — consecutive fields of one message in mail-parser's vectors
/// 174-179 (SpamAssassin/mail-parser corpus): hosts, IPs, protocols, UTC times and delays.
#[test]
fn yahoo_into_postfix_chain() {
    let file = chain_from_vectors("yahoo.eml", 174..180);
    let v = trace_with(&file, &testdata("trace/zone.db"), &[]);
    let h = hops(&v);
    assert_eq!(h.len(), 6);
    let got: Vec<Fields> = h.iter().map(fields).collect();
    assert_eq!(
        got,
        [
            want(
                Some("93.48.39.139"),
                Some("93.48.39.139"),
                "web28416.mail.ukl.yahoo.com",
                None,
                false,
                "2011-03-09T11:19:45Z",
                None
            ),
            (
                None,
                None,
                None,
                None,
                false,
                Some("2011-03-09T11:19:46Z".into()),
                Some(1)
            ),
            want(
                Some("127.0.0.1"),
                Some("127.0.0.1"),
                "omp1003.mail.ukl.yahoo.com",
                Some("NNFMP"),
                false,
                "2011-03-09T11:19:46Z",
                Some(0)
            ),
            want(
                Some("217.146.183.162"),
                Some("217.146.183.162"),
                "tm15.bullet.mail.ukl.yahoo.com",
                Some("NNFMP"),
                false,
                "2011-03-09T11:19:46Z",
                Some(0)
            ),
            want(
                Some("217.146.183.184"),
                Some("217.146.183.184"),
                "nm2.bullet.mail.ukl.yahoo.com",
                Some("NNFMP"),
                false,
                "2011-03-09T11:19:46Z",
                Some(0)
            ),
            want(
                Some("nm2-vm1.bullet.mail.ukl.yahoo.com"),
                Some("217.146.183.227"),
                "lists.maptools.org",
                Some("SMTP"),
                false,
                "2011-03-09T11:19:47Z",
                Some(1)
            ),
        ]
    );
    assert_eq!(h[0]["via"], "HTTP");
    assert_eq!(v["path"]["origin_ip"], "217.146.183.227");
    assert!(!anomalies(&v).contains("network"));
}

/// Gmail submission into Pobox's Postfix and its local amavis hop (vectors 152-154): the
/// sender's private HELO literal is not the client, Google's `(version=TLSv1/SSLv3 ...)` is
/// TLS 1.0, the loopback hop is internal, so the origin is Google's outbound IP.
#[test]
fn gmail_into_pobox_chain() {
    let file = chain_from_vectors("pobox.eml", 152..155);
    let v = trace_with(&file, &testdata("trace/zone.db"), &[]);
    let h = hops(&v);
    let got: Vec<Fields> = h.iter().map(fields).collect();
    assert_eq!(
        got,
        [
            want(
                Some("10.231.252.223"),
                Some("174.252.72.79"),
                "mx.google.com",
                Some("ESMTPS"),
                true,
                "2011-06-15T14:42:08Z",
                None
            ),
            want(
                Some("mail-qw0-f46.google.com"),
                Some("209.85.216.46"),
                "maroon.pobox.com",
                Some("ESMTPS"),
                true,
                "2011-06-15T14:42:13Z",
                Some(5)
            ),
            want(
                Some("maroon.pobox.com"),
                Some("127.0.0.1"),
                "maroon.pobox.com",
                Some("ESMTP"),
                false,
                "2011-06-15T14:42:35Z",
                Some(22)
            ),
        ]
    );
    assert_eq!(h[0]["tls_version"], "TLSv1.0");
    assert_eq!(h[2]["judgement"], "internal");
    assert_eq!(v["path"]["origin_ip"], "209.85.216.46");
    assert_eq!(v["path"]["origin_hop"], 2);
    assert_eq!(
        anomalies(&v),
        "[]",
        "no gap or no-TLS alarm for the loopback hop"
    );
}
