//! Whole real Received chains per MTA and provider (qmail, Exim, Sendmail, Amazon SES,
//! Exchange on-premises, Proofpoint, Mimecast; testdata/received/real/SOURCE.md) through
//! `mailverdict trace`, every hop field by field, with the origin and the judgements.

use serde_json::Value;

use crate::received_real::{anomalies, chain_from_vectors, fields, hops, real, trace_with, want};
use crate::support::{run, testdata};

/// A hop's fields on one line, `-` for none: from-host, client IP, by-host, protocol, `tls`,
/// UTC time, delay in seconds.
fn row(h: &Value) -> String {
    let (from, ip, by, proto, tls, at, delay) = fields(h);
    let or = |v: Option<String>| v.unwrap_or_else(|| "-".to_string());
    [
        or(from),
        or(ip),
        or(by),
        or(proto),
        (if tls { "tls" } else { "-" }).to_string(),
        or(at),
        or(delay.map(|d| d.to_string())),
    ]
    .join(" ")
}

fn judgements(v: &Value) -> Vec<String> {
    hops(v)
        .iter()
        .map(|h| h["judgement"].as_str().unwrap_or("?").to_string())
        .collect()
}

fn origin(v: &Value) -> (Value, Value, Value) {
    let p = &v["path"];
    (
        p["origin_ip"].clone(),
        p["origin_hop"].clone(),
        p["boundary_host"].clone(),
    )
}

/// The human table of a chain (no colour), for the lines an analyst reads.
fn table(name: &str, extra: &[&str]) -> String {
    let file = testdata(&format!("received/real/{name}"));
    let zone = testdata("trace/zone.db");
    let mut args = vec!["trace", "--color", "never", "--dns-zone", &zone, &file];
    args.extend_from_slice(extra);
    let r = run(&args, None);
    assert_eq!(r.code, 0, "{name}: {}", r.stderr);
    r.stdout
}

/// qmail with Sendmail relays (SpamAssassin's corpus): qmail's comment-only
/// `(qmail N invoked from network)` on top is qmail-queue's local record on the receiving
/// host, so the origin is the client qmail-smtpd recorded below it, not lost; qmail-scanner's
/// `from <sender> by host by uid N` and Sendmail's `(from majordomo@localhost)` name a
/// mailbox, not a host, so they are no gap in the chain.
#[test]
fn qmail_chain() {
    let v = real("qmail-sendmail-mpe.eml", &[]);
    let h = hops(&v);
    let got: Vec<String> = h.iter().map(row).collect();
    assert_eq!(
        got,
        [
            "unknown 202.214.129.125 stained-g.net SMTP - 2002-12-16T14:08:43Z 54",
            "shinichiro@stained-g.net - st26.arena.ne.jp qmail-scanner-1.10 - 2002-12-16T14:08:43Z 0",
            "- - - - - 2002-12-16T14:08:43Z 0",
            "st26.arena.ne.jp 210.136.155.2 lorien.mallorn.com ESMTP - 2002-12-16T14:08:44Z 1",
            "majordomo@localhost - lorien.mallorn.com - - 2002-12-16T14:08:47Z 3",
            "lorien.mallorn.com 64.5.98.30 mpehp1.mpe-garching.mpg.de ESMTP - 2002-12-16T14:31:34Z 1367",
            "mpehp1.mpe-garching.mpg.de 130.183.70.10 o05.xray.mpe.mpg.de SMTP - 2002-12-16T14:31:36Z 2",
            "- - - - - 2002-12-16T14:31:36Z 0",
        ]
    );
    assert_eq!(h[0]["helo"], "lune.stained-g");
    // qmail-smtpd writes `(TCPREMOTEINFO@TCPREMOTEIP)`: the ident is the part before the `@`.
    assert_eq!(h[6]["ident"], "root");
    assert_eq!(h[4]["obtained"]["from_host"], "recovered");
    assert_eq!(h[5]["id"], "PAA07075");
    assert_eq!(h[5]["for"], "ach@mpe.mpg.de");
    assert_eq!(
        judgements(&v),
        [
            "external", "external", "external", "external", "external", "external", "boundary",
            "internal"
        ]
    );
    assert!(
        h[7]["judgement_reason"]
            .as_str()
            .is_some_and(|r| r.contains("local")),
        "{}",
        h[7]["judgement_reason"]
    );
    assert_eq!(
        origin(&v),
        (
            "130.183.70.10".into(),
            7.into(),
            "o05.xray.mpe.mpg.de".into()
        )
    );
    let human = table("qmail-sendmail-mpe.eml", &[]);
    for line in [
        "8*  -  ",
        "    internal: the receiving host recorded no network client, only a local handoff",
        "origin: 130.183.70.10 (hop 7, where mail entered the trusted part at o05.xray.mpe.mpg.de; 1 hop internal)",
        "transit: 22m 53s first to last Received; 23m 47s Date field to last Received",
    ] {
        assert!(human.contains(line), "{line}\n{human}");
    }
    assert_eq!(v["path"]["received_transit_seconds"], 1373);
    assert_eq!(v["path"]["date_transit_seconds"], 1427);
    assert_eq!(
        anomalies(&v),
        r#"["hop 1 was sent without TLS","hop 4 was sent without TLS","hop 6 was sent without TLS","hop 7 was sent without TLS"]"#
    );
}

/// Exim 4 (SpamAssassin's corpus): `from [ip] (helo=...)` gives the client and the HELO
/// apart, and the topmost `with local-bsmtp` field is Exim's redelivery on a local pipe, so
/// mail entered at the esmtp hop below it (no "names no client IP", no gap for the local
/// user `from user`).
#[test]
fn exim_chain() {
    let v = real("exim-aol.eml", &[]);
    let h = hops(&v);
    let got: Vec<String> = h.iter().map(row).collect();
    assert_eq!(
        got,
        [
            "user@aol.com - imo-d20.mx.aol.com - - 2004-02-18T18:42:23Z 1",
            "205.188.139.136 205.188.139.136 server11.arteryserver11.net ESMTP - 2004-02-18T18:42:41Z 18",
            "user - server11.arteryserver11.net local-bsmtp - 2004-02-18T18:42:47Z 6",
        ]
    );
    assert_eq!(h[0]["id"], "o.23.3af50667");
    assert_eq!(h[1]["helo"], "imo-d20.mx.aol.com");
    assert_eq!(h[1]["id"], "1AtWef-0007Y2-44");
    assert_eq!(h[2]["for"], "user@example.com");
    assert_eq!(judgements(&v), ["external", "boundary", "internal"]);
    assert_eq!(
        origin(&v),
        (
            "205.188.139.136".into(),
            2.into(),
            "server11.arteryserver11.net".into()
        )
    );
    assert_eq!(v["path"]["helo"], "imo-d20.mx.aol.com");
    assert_eq!(v["path"]["received_transit_seconds"], 24);
    assert_eq!(v["path"]["date_transit_seconds"], 25);
    assert_eq!(anomalies(&v), r#"["hop 2 was sent without TLS"]"#);
}

/// Sendmail 8.11 relays into fetchmail and a loopback Postfix (SpamAssassin's spam corpus):
/// every hop field by field; by default mail entered where fetchmail picked it up, and each
/// `--trusted-mta` moves the boundary one relay down to the spam's real source.
#[test]
fn sendmail_chain() {
    let v = real("sendmail-fetchmail.eml", &[]);
    let h = hops(&v);
    let got: Vec<String> = h.iter().map(row).collect();
    assert_eq!(
        got,
        [
            "212.19.84.198 212.19.84.198 online.affis.net SMTP - 2002-07-24T09:35:28Z 174",
            "online.affis.net 211.237.50.21 mandark.labs.netnoteinc.com ESMTP - 2002-07-24T09:40:27Z 299",
            "mandark.labs.netnoteinc.com 213.105.180.140 dogma.slashnull.org ESMTP - 2002-07-24T09:41:15Z 48",
            "dogma.slashnull.org 212.17.35.15 localhost IMAP - 2002-07-24T09:43:09Z 114",
            "localhost 127.0.0.1 phobos.labs.netnoteinc.com ESMTP - 2002-07-24T09:43:09Z 0",
        ]
    );
    assert_eq!(h[0]["from_rdns"], "wireless-084-198.tele2.co.uk");
    assert_eq!(h[2]["id"], "g6O9fF401441");
    assert_eq!(h[2]["for"], "jm@jmason.org");
    assert_eq!(
        judgements(&v),
        ["external", "external", "external", "boundary", "internal"]
    );
    assert_eq!(
        origin(&v),
        ("212.17.35.15".into(), 4.into(), "localhost".into())
    );
    assert_eq!(v["path"]["received_transit_seconds"], 461);
    assert_eq!(v["path"]["date_transit_seconds"], 635);
    assert_eq!(
        anomalies(&v),
        r#"["hop 1 was sent without TLS","hop 2 was sent without TLS","hop 3 was sent without TLS"]"#
    );
    let v = real(
        "sendmail-fetchmail.eml",
        &[
            "--trusted-mta",
            "212.17.35.15",
            "--trusted-mta",
            "213.105.180.140",
        ],
    );
    assert_eq!(
        judgements(&v),
        ["external", "boundary", "internal", "internal", "internal"]
    );
    assert_eq!(
        hops(&v)[2]["judgement_reason"],
        "its client matches --trusted-mta 213.105.180.140/32"
    );
    assert_eq!(
        origin(&v),
        (
            "211.237.50.21".into(),
            2.into(),
            "mandark.labs.netnoteinc.com".into()
        )
    );
    let human = table("sendmail-fetchmail.eml", &[]);
    assert!(
        human.contains(
            "transit: 7m 41s first to last Received; 10m 35s Date field to last Received"
        ),
        "{human}"
    );
    assert!(human.contains("4m 59s  █████·····  47%"), "{human}");
}

/// Proofpoint in front of qmail (SpamScope's corpus), fifteen hops through IBM's gateways:
/// Proofpoint's TLS inbound hop and its `pps.filterd` loopback filter hop, TLS 1.0 from
/// `(version=TLSv1/SSLv3 ...)` after the `;`, a Trend Micro IMSVA loop (`by IMSVA` from
/// loopback, then `from` the host it runs on: no gap), gateways' `from localhost` handoffs
/// (no "without TLS"); qmail's local record on top does not lose the origin.
#[test]
fn proofpoint_chain() {
    let v = real("proofpoint-ibm-qmail.eml", &[]);
    let h = hops(&v);
    assert_eq!(h.len(), 15);
    let got: Vec<String> = h.iter().map(row).collect();
    assert_eq!(
        got,
        [
            "us1a3-mail113.a3.dal06.isc4sb.com 10.146.45.236 us1a3-smtp02.a3.dal06.isc4sb.com ESMTP - 2017-03-08T16:45:50Z 2",
            "us1a3-smtp02.a3.dal06.isc4sb.com 10.106.154.159 smtp.notes.na.collabserv.com ESMTP - 2017-03-08T16:45:51Z 1",
            "localhost - smtp.notes.na.collabserv.com ESMTP - 2017-03-08T16:46:15Z 24",
            "smtp.notes.na.collabserv.com 192.155.248.67 d50lp03.ny.us.ibm.com ESMTP tls 2017-03-08T16:46:17Z 2",
            "localhost - d50lp03.ny.us.ibm.com ESMTP - 2017-03-08T16:46:19Z 2",
            "d50lp03.ny.us.ibm.com 146.89.104.211 d06av25.portsmouth.uk.ibm.com ESMTPS tls 2017-03-08T16:46:11Z -8",
            "d06av25.portsmouth.uk.ibm.com 127.0.0.1 IMSVA ESMTP - 2017-03-08T16:46:11Z 0",
            "d06av25.portsmouth.uk.ibm.com 127.0.0.1 IMSVA ESMTP - 2017-03-08T16:46:12Z 1",
            "d06av25.portsmouth.uk.ibm.com 9.149.105.61 b06cxnps4076.portsmouth.uk.ibm.com ESMTP - 2017-03-08T16:46:21Z 9",
            "b06cxnps4076.portsmouth.uk.ibm.com 9.149.109.198 e06smtp10.uk.ibm.com ESMTP - 2017-03-08T16:46:21Z 0",
            "localhost - e06smtp10.uk.ibm.com ESMTP - 2017-03-08T16:46:25Z 4",
            "e06smtp10.uk.ibm.com 195.75.94.106 mx0b-001b2d01.pphosted.com ESMTP tls 2017-03-08T16:46:27Z 2",
            "pps.filterd 127.0.0.1 mx0b-001b2d01.pphosted.com SMTP - 2017-03-08T16:46:30Z 3",
            "mx0b-001b2d01.pphosted.com 148.163.158.5 smtp.didi.net SMTP - 2017-03-08T16:46:30Z 0",
            "- - - - - 2017-03-08T16:46:30Z 0",
        ]
    );
    assert_eq!(
        (h[3]["tls_version"].as_str(), h[3]["tls_cipher"].as_str()),
        (Some("TLSv1.0"), Some("AES128-GCM-SHA256"))
    );
    assert_eq!(
        (h[11]["tls_version"].as_str(), h[11]["tls_cipher"].as_str()),
        (Some("TLSv1.2"), Some("AES256-SHA"))
    );
    assert_eq!(h[11]["id"], "292hw54kbu-1");
    assert_eq!(h[12]["from_rdns"], "m0098419.ppops.net");
    assert_eq!(h[12]["id"], "v28GdUiK046963");
    assert_eq!(h[13]["helo"], "mx0a-001b2d01.pphosted.com");
    let mut want_judged = vec!["external"; 13];
    want_judged.extend(["boundary", "internal"]);
    assert_eq!(judgements(&v), want_judged);
    assert_eq!(
        origin(&v),
        ("148.163.158.5".into(), 14.into(), "smtp.didi.net".into())
    );
    assert_eq!(v["path"]["received_transit_seconds"], 40);
    assert_eq!(v["path"]["date_transit_seconds"], 42);
    let sender_relay = |hop: usize, ip: &str, class: &str| {
        format!(
            "hop {hop} names a {class} client address {ip} (an internal relay of the sender, or forged)"
        )
    };
    let no_tls = |hop: usize| format!("hop {hop} was sent without TLS");
    let want_anomalies = [
        sender_relay(1, "10.146.45.236", "private"),
        sender_relay(2, "10.106.154.159", "private"),
        "hop 6 is timestamped 8s before the hop before it (clock skew or forged field)".into(),
        sender_relay(7, "127.0.0.1", "loopback"),
        sender_relay(8, "127.0.0.1", "loopback"),
        no_tls(9),
        no_tls(10),
        sender_relay(13, "127.0.0.1", "loopback"),
        no_tls(14),
    ];
    assert_eq!(
        v["path"]["anomalies"],
        serde_json::to_value(want_anomalies).expect("json")
    );
}

/// Exchange 2010 on-premises behind a Cisco IronPort, from a Sendmail VPS (SpamScope's
/// corpus): `with Microsoft SMTP Server id 14.3.498.0` (SMTP, recovered), Exchange's `(ip)`
/// client parts, IronPort's `ESMTP/TLS/<cipher>`, Sendmail's `/Submit` local field; the
/// IronPort made ours with `--trusted-mta` moves the origin to the VPS.
#[test]
fn exchange_onprem_chain() {
    let v = real("exchange-onprem-ironport-sendmail.eml", &[]);
    let h = hops(&v);
    let got: Vec<String> = h.iter().map(row).collect();
    assert_eq!(
        got,
        [
            "www-data@localhost - vps-051e4cda.vps.ovh.net - - 2022-10-10T20:11:32Z 0",
            "vps-051e4cda.vps.ovh.net 127.0.0.1 vps-051e4cda.vps.ovh.net ESMTP - 2022-10-10T20:11:32Z 0",
            "vps-051e4cda.vps.ovh.net 152.228.133.10 apiron13.triara.com ESMTPS tls 2022-10-10T20:11:34Z 2",
            "apiron13.triara.com 200.57.129.98 APCNHUB11.correo.local SMTP - 2022-10-10T20:11:35Z 1",
        ]
    );
    assert_eq!(h[0]["id"], "29AKBWwn005317");
    assert_eq!(h[1]["id"], "29AKBWdZ005349");
    assert_eq!(h[1]["for"], "compliance@akaancasadebolsa.com.mx");
    assert_eq!(h[2]["tls_cipher"], "ECDHE-RSA-AES128-GCM-SHA256");
    assert_eq!(h[3]["with"], "Microsoft SMTP Server");
    assert_eq!(h[3]["id"], "14.3.498.0");
    assert_eq!(h[3]["obtained"]["protocol"], "recovered");
    assert_eq!(
        judgements(&v),
        ["external", "external", "external", "boundary"]
    );
    assert_eq!(
        origin(&v),
        (
            "200.57.129.98".into(),
            4.into(),
            "APCNHUB11.correo.local".into()
        )
    );
    assert_eq!(v["path"]["received_transit_seconds"], 3);
    assert_eq!(
        anomalies(&v),
        r#"["hop 2 names a loopback client address 127.0.0.1 (an internal relay of the sender, or forged)","hop 4 was sent without TLS"]"#
    );
    let v = real(
        "exchange-onprem-ironport-sendmail.eml",
        &["--trusted-mta", "200.57.129.98"],
    );
    assert_eq!(
        judgements(&v),
        ["external", "external", "boundary", "internal"]
    );
    assert_eq!(
        origin(&v),
        (
            "152.228.133.10".into(),
            3.into(),
            "apiron13.triara.com".into()
        )
    );
    assert!(!anomalies(&v).contains("hop 4 was sent without TLS"));
}

/// Amazon SES into a Sendmail relay, forwarded into Gmail (sisimai's corpus, published
/// anonymised): SES's outbound host and address, the relay's `V8/cf`, Gmail's internal
/// `by 10.x with SMTP id` handoff on top (a local record: the origin is the client
/// mx.google.com recorded, flagged as a documentation address because the source is
/// anonymised).
#[test]
fn amazon_ses_chain() {
    let v = real("amazonses-sendmail-gmail.eml", &[]);
    let h = hops(&v);
    let got: Vec<String> = h.iter().map(row).collect();
    assert_eq!(
        got,
        [
            "a27-82.smtp-out.us-west-2.amazonses.com 54.240.27.82 nijo.example.jp ESMTP - 2016-10-21T00:06:41Z 1",
            "nijo.example.jp 192.0.2.153 mx.google.com ESMTP - 2016-10-21T00:06:41Z 0",
            "- - 10.37.47.81 SMTP - 2016-10-21T00:06:41Z 0",
        ]
    );
    assert_eq!(h[0]["from_rdns"], "a27-82.smtp-out.us-west-2.amazonses.com");
    assert_eq!(h[0]["id"], "u9L06fOn017159");
    assert_eq!(h[1]["id"], "c17si30985537pgj.153.2016.10.20.17.06.41");
    assert_eq!(h[2]["id"], "v78csp965841ybv");
    assert_eq!(judgements(&v), ["external", "boundary", "internal"]);
    assert_eq!(
        origin(&v),
        ("192.0.2.153".into(), 2.into(), "mx.google.com".into())
    );
    assert_eq!(v["path"]["date_transit_seconds"], 1);
    assert_eq!(
        anomalies(&v),
        r#"["the origin IP 192.0.2.153 is a documentation/benchmark address, never used on the Internet (test data, or a forged field)","hop 1 was sent without TLS","hop 2 was sent without TLS"]"#
    );
}

/// Mimecast's own hop (`by relay.mimecast.com with ESMTP id us-mta-...`) and its delivery
/// host into two Postfix relays (sisimai's corpus, published anonymised): Mimecast's two
/// host names are one organization (no gap), its internal client is flagged as the sender's
/// relay, and the 2m 54s the published clocks disagree by is reported, not hidden.
#[test]
fn mimecast_chain() {
    let v = real("mimecast-postfix.eml", &[]);
    let h = hops(&v);
    let got: Vec<String> = h.iter().map(row).collect();
    assert_eq!(
        got,
        [
            "us-smtp-inbound-delivery-0.mimecast.com 10.20.30.40 relay.mimecast.com ESMTP - 2025-01-05T22:03:23Z 0",
            "us-smtp-delivery-000.mimecast.com 192.0.2.250 relaying1.ef.example.org ESMTPS tls 2025-01-05T22:00:29Z -174",
            "relaying1.ef.example.org 192.0.2.25 feed.ef.example.org ESMTPS tls 2025-01-05T22:00:30Z 1",
        ]
    );
    assert_eq!(h[0]["from_rdns"], "us-mta-000-route1.us.mimecast.lan");
    assert_eq!(h[0]["id"], "us-mta-000-AAAAAAA-00000000000000-0");
    assert_eq!(
        h[1]["from_rdns"],
        "ip-192-0-2-250.ap-northeast-1.compute.internal"
    );
    assert_eq!(h[2]["for"], "system@errors.ef.example.org");
    assert_eq!(judgements(&v), ["external", "external", "boundary"]);
    assert_eq!(
        origin(&v),
        ("192.0.2.25".into(), 3.into(), "feed.ef.example.org".into())
    );
    assert_eq!(v["path"]["received_transit_seconds"], -173);
    assert_eq!(
        anomalies(&v),
        r#"["the origin IP 192.0.2.25 is a documentation/benchmark address, never used on the Internet (test data, or a forged field)","hop 1 names a private client address 10.20.30.40 (an internal relay of the sender, or forged)","hop 2 is timestamped 2m 54s before the hop before it (clock skew or forged field)","hop 2 names a documentation/benchmark client address 192.0.2.250 (an internal relay of the sender, or forged)"]"#
    );
}

/// Field shapes from public mailing-list traffic that were misread, one per case through the
/// binary: qpsmtpd's TLS note between `with` and the protocol (`with (AES128-SHA encrypted)
/// SMTP`: the protocol kept, the hop counted as TLS), vger's quoted `"EHLO name"` (the HELO
/// read), an anonymous-ECDH cipher in Postfix's `(using ... with cipher AECDH-AES256-SHA ...)`,
/// Mimecast's bare `(Using TLS)` (a TLS hop), and xenproject's `by outflank-mailman (output)
/// from mailman` (a `from` after `by` names no sender).
#[test]
fn list_traffic_shapes() {
    let dir = crate::support::temp_dir("shapes");
    let cases: [(&str, &[(&str, Value)]); 5] = [
        (
            "from coredump.intra.peff.net (HELO coredump.intra.peff.net) (10.0.0.2)\r\n    by peff.net (qpsmtpd/0.40) with (AES128-SHA encrypted) SMTP; Wed, 07 Jan 2009 01:37:01 -0500",
            &[
                ("protocol", Value::from("SMTP")),
                ("tls", Value::Bool(true)),
                ("tls_cipher", Value::from("AES128-SHA")),
                ("timestamp", Value::from("2009-01-07T06:37:01Z")),
            ],
        ),
        (
            "from mx0b-00082601.pphosted.com ([67.231.153.30]:39364 \"EHLO\r\n        mx0a-00082601.pphosted.com\" rhost-flags-OK-OK-OK-FAIL)\r\n        by vger.kernel.org with ESMTP id S1726937AbgCIXhr (ORCPT\r\n        <rfc822;linux-kernel@vger.kernel.org>);\r\n        Mon, 9 Mar 2020 19:37:47 -0400",
            &[
                ("from_ip", Value::from("67.231.153.30")),
                ("helo", Value::from("mx0a-00082601.pphosted.com")),
                ("id", Value::from("S1726937AbgCIXhr")),
                ("timestamp", Value::from("2020-03-09T23:37:47Z")),
            ],
        ),
        (
            "from smtp.corp.redhat.com (int-mx09.intmail.prod.int.rdu2.redhat.com [10.11.54.9])\r\n\t(using TLSv1.2 with cipher AECDH-AES256-SHA (256/256 bits))\r\n\t(No client certificate requested)\r\n\tby mimecast-mx02.redhat.com (Postfix) with ESMTPS id 04E3F380670E;\r\n\tMon, 13 Jun 2022 13:47:00 +0000 (UTC)",
            &[
                ("tls_version", Value::from("TLSv1.2")),
                ("tls_cipher", Value::from("AECDH-AES256-SHA")),
                (
                    "from_rdns",
                    Value::from("int-mx09.intmail.prod.int.rdu2.redhat.com"),
                ),
            ],
        ),
        (
            "from EUR05-AM6-obe.outbound.protection.outlook.com\r\n (mail-am6eur05lp2104.outbound.protection.outlook.com [104.47.18.104])\r\n (Using TLS) by relay.mimecast.com with ESMTP id\r\n de-mta-23-vjnw-j-GPOyLHCbusI4Caw-1; Thu, 23 Sep 2021 14:15:27 +0200",
            &[
                ("tls", Value::Bool(true)),
                ("from_ip", Value::from("104.47.18.104")),
                ("timestamp", Value::from("2021-09-23T12:15:27Z")),
            ],
        ),
        (
            "by outflank-mailman (output) from mailman id 193915.345512; Thu, 23 Sep 2021 12:15:33 +0000",
            &[
                ("from_host", Value::Null),
                ("by_host", Value::from("outflank-mailman")),
                ("id", Value::from("193915.345512")),
            ],
        ),
    ];
    for (k, (field, want)) in cases.iter().enumerate() {
        let file = crate::support::write_file(
            &dir,
            &format!("s{k}.eml"),
            format!("Received: {field}\r\nSubject: s\r\n\r\nbody\r\n").as_bytes(),
        );
        let v = crate::received_real::trace_with(&file, &testdata("trace/zone.db"), &[]);
        let hop = &v["path"]["hops"][0];
        for (key, value) in *want {
            assert_eq!(hop[*key], *value, "{key} of {field}");
        }
    }
}

/// Exim's re-injection after spam scanning (lists.gnu.org's `eggs.gnu.org`, consecutive
/// fields of one list message): `from Debian-exim by eggs.gnu.org with spam-scanned (Exim
/// 4.71)` names Exim's local sender, not a host (Exim writes a `from` without TCP-info only
/// for a message that came on no connection), so it is no gap after the esmtps hop, and as
/// the topmost field it is a local handoff: the origin is the client recorded below it.
#[test]
fn exim_spam_scanned_reinjection() {
    let fields = [
        "from eggs.gnu.org ([2001:470:142:3::10]:47778)\r\n by lists.gnu.org with esmtp (Exim 4.90_1)\r\n (envelope-from <kchamart@redhat.com>) id 1isRao-0005Z8-AQ\r\n for qemu-devel@nongnu.org; Fri, 17 Jan 2020 08:23:22 -0500",
        "from Debian-exim by eggs.gnu.org with spam-scanned (Exim 4.71)\r\n (envelope-from <kchamart@redhat.com>) id 1isRak-0006t2-1J\r\n for qemu-devel@nongnu.org; Fri, 17 Jan 2020 08:23:17 -0500",
        "from us-smtp-1.mimecast.com ([207.211.31.81]:59763\r\n helo=us-smtp-delivery-1.mimecast.com)\r\n by eggs.gnu.org with esmtps (TLS1.0:DHE_RSA_AES_256_CBC_SHA1:32)\r\n (Exim 4.71) (envelope-from <kchamart@redhat.com>) id 1isRaj-0006nV-9G\r\n for qemu-devel@nongnu.org; Fri, 17 Jan 2020 08:23:13 -0500",
    ];
    let dir = crate::support::temp_dir("exim-rescan");
    let message = |fields: &[&str]| {
        let mut text: String = fields
            .iter()
            .map(|f| format!("Received: {f}\r\n"))
            .collect();
        text.push_str("Subject: s\r\n\r\nbody\r\n");
        text
    };
    let whole = crate::support::write_file(&dir, "whole.eml", message(&fields).as_bytes());
    let v = crate::received_real::trace_with(&whole, &testdata("trace/zone.db"), &[]);
    let got: Vec<String> = hops(&v).iter().map(row).collect();
    assert_eq!(
        got,
        [
            "us-smtp-1.mimecast.com 207.211.31.81 eggs.gnu.org ESMTPS tls 2020-01-17T13:23:13Z -",
            "Debian-exim - eggs.gnu.org spam-scanned - 2020-01-17T13:23:17Z 4",
            "eggs.gnu.org 2001:470:142:3::10 lists.gnu.org ESMTP - 2020-01-17T13:23:22Z 5",
        ]
    );
    assert!(!anomalies(&v).contains("gap"), "{}", anomalies(&v));
    let top = crate::support::write_file(&dir, "top.eml", message(&fields[1..]).as_bytes());
    let v = crate::received_real::trace_with(&top, &testdata("trace/zone.db"), &[]);
    assert_eq!(judgements(&v), ["boundary", "internal"]);
    assert_eq!(
        origin(&v),
        ("207.211.31.81".into(), 1.into(), "eggs.gnu.org".into())
    );
}

/// Microsoft 365 outbound through Symantec MessageLabs (vectors 155-157): `with mapi` kept, the
/// link-local and private Exchange hops, MessageLabs' field with no `by` but its cipher, and a
/// field with a time but no date (none read).
#[test]
fn m365_into_messagelabs_chain() {
    let file = chain_from_vectors("messagelabs.eml", 155..158);
    let v = trace_with(&file, &testdata("trace/zone.db"), &[]);
    let h = hops(&v);
    assert_eq!(h.len(), 3);
    assert_eq!(
        (h[0]["protocol"].as_str(), h[0]["timestamp"].as_str()),
        (Some("mapi"), None)
    );
    assert_eq!(h[0]["from_ip"], "fe80::ccea:aa3a:fbcf:883f");
    assert_eq!(
        fields(&h[1]),
        want(
            Some("DB6PR07MB3286.eurprd07.prod.outlook.com"),
            Some("10.175.233.33"),
            "DB6PR07MB3384.eurprd07.prod.outlook.com",
            Some("SMTP"),
            true,
            "2018-09-13T14:47:44Z",
            None
        )
    );
    assert_eq!(h[2]["by_host"], Value::Null);
    assert_eq!(h[2]["tls_cipher"], "AES256-GCM-SHA384");
    assert_eq!(h[2]["helo"], "EUR04-DB3-obe.outb");
    assert_eq!(h[2]["timestamp"], "2018-09-13T14:47:44Z");
    assert!(anomalies(&v).contains("hop 1 has no parseable date"));
}
