//! Mutation suite: a fixed seed mutates real inputs (messages, Received lines, DKIM-Signature
//! and ARC fields, SPF / DMARC / MTA-STS / DKIM key records, Authentication-Results fields,
//! zone files) and every parser and check must return, never panic, and produce a report that
//! serialises to JSON. In-process for volume (over 100,000 cases); a slice also goes through
//! the binary for exit codes and JSON output.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use mailverdict::dns::Dns;
use mailverdict::dns::Zone;
use mailverdict::{CheckOptions, Clock, check_message, trace_message};

use crate::support::{Rng, note, root, run, temp_dir, testdata, write_file};

/// Fragments that steer mutations into the interesting grammar.
const DICT: &[&[u8]] = &[
    b";",
    b"=",
    b":",
    b"\r\n",
    b"\r\n ",
    b"\n",
    b"\x00",
    b"\xff\xfe",
    b"\x1b[31m",
    b"(",
    b")",
    b"\"",
    b"\\",
    b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel1; h=from; bh=AAAA; b=AAAA\r\n",
    b"ARC-Seal: i=1; a=rsa-sha256; cv=none; d=example.com; s=sel1; b=AAAA\r\n",
    b"ARC-Message-Signature: i=1; a=rsa-sha256; d=example.com; s=sel1; h=from; bh=AAAA; b=AAAA\r\n",
    b"ARC-Authentication-Results: i=1; mx.example; spf=pass\r\n",
    b"Authentication-Results: mx.receiver.test; dkim=pass header.d=example.com\r\n",
    b"Received: from a (a [192.0.2.1]) by b with ESMTPS; Mon, 23 Nov 2026 10:00:00 +0000\r\n",
    b"From: x@example.com, y@evil.test\r\n",
    b"l=99999999999",
    b"i=51",
    b"t=",
    b"x=1",
    b"c=simple/relaxed",
    b"h=from:from:subject",
    b"%{l}%{d}%{i}%{ir}.",
    b"include:",
    b"redirect=",
    b"ip6:::1/129",
    b"a//64",
    b"p=",
    b"v=DMARC1",
    b"pct=101",
    b"v=STSv1; id=",
    b"$ORIGIN",
    b";! x TXT SERVFAIL",
    b"\\065\\",
    // Identity-forging fragments: HELO literals inside the victim's SPF, extra addresses in
    // From, a duplicated `by`, trusted names in HELO, encoded-words, field-boundary tricks.
    b" (helo=[IPv6:2001:db8:25::1])",
    b" (HELO [192.0.2.10])",
    b"[192.0.2.10] ",
    b" by mx.receiver.test by evil.test",
    b"From: <alice@example.com> bob@evil.test\r\n",
    b"alice@example.com@",
    b" (alice@example.com)",
    b"=?utf-8?q?alice=40example.com?=",
    b"\"alice@example.com\"@",
    b"\rFrom: alice@example.com",
    b"\r\n \r\n",
    b"From\r\n : ",
    // Multibyte, invalid and overlong UTF-8, invisible code points.
    "é".as_bytes(),
    "ü".as_bytes(),
    "\u{202e}".as_bytes(),
    "\u{200b}".as_bytes(),
    "\u{e0041}".as_bytes(),
    b"\xc3\x28",
    b"\xc0\xaf",
    b"\xe0\x80\xaf",
    b"\xf0\x80\x80\xaf",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
];

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = out.len();
        match rng.below(8) {
            0 if len > 0 => {
                let i = rng.below(len);
                out[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(len + 1);
                out.insert(i, (rng.next() & 0xff) as u8);
            }
            2 if len > 0 => {
                let i = rng.below(len);
                let n = rng.below((len - i).min(64)) + 1;
                out.drain(i..i + n);
            }
            3 => {
                let i = rng.below(len + 1);
                let d = DICT[rng.below(DICT.len())];
                out.splice(i..i, d.iter().copied());
            }
            4 if len > 0 => {
                // Duplicate a line.
                let i = rng.below(len);
                let start = out[..i]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |p| p + 1);
                let end = out[i..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(len, |p| i + p + 1);
                let line = out[start..end].to_vec();
                out.splice(start..start, line);
            }
            5 if len > 0 => out.truncate(rng.below(len)),
            6 if len > 2 => {
                let a = rng.below(len);
                let b = rng.below(len);
                out.swap(a, b);
            }
            _ => {
                let i = rng.below(len + 1);
                let d = DICT[rng.below(DICT.len())];
                out.splice(i..i, d.iter().copied());
            }
        }
    }
    out
}

fn read_dir_files(dir: &str, ext: &str) -> Vec<Vec<u8>> {
    let mut files: Vec<_> = std::fs::read_dir(root().join(dir))
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .filter_map(|p| std::fs::read(p).ok())
        .collect()
}

fn dns() -> Arc<Dns> {
    let zones = [
        root().join("testdata/dkim/zone.db"),
        root().join("testdata/trace/zone.db"),
        root().join("testdata/spf/zone.db"),
    ];
    Arc::new(Dns::new(Box::new(
        Zone::from_files(&zones).expect("zones parse"),
    )))
}

fn options() -> CheckOptions {
    CheckOptions {
        ip: None,
        helo: None,
        mail_from: None,
        trusted: Vec::new(),
        infer_internal: true,
        clock: Clock::fixed(1_795_440_000),
        receiver: "mx.receiver.test".into(),
        authserv_id: Some("mx.receiver.test".into()),
        dnsbl: Vec::new(),
        transport: true,
        dmarc_spec: mailverdict::DmarcSpec::Rfc9989,
    }
}

/// Run `f` on `cases` mutations of the seeds; a panic is a failure with the input saved.
fn campaign(
    name: &str,
    seed: u64,
    seeds: &[Vec<u8>],
    cases: usize,
    mut f: impl FnMut(&[u8]),
) -> usize {
    assert!(!seeds.is_empty(), "{name}: no seeds");
    let mut rng = Rng(seed);
    let dir = temp_dir(&format!("mutation-{name}"));
    for n in 0..cases {
        let input = mutate(&mut rng, &seeds[n % seeds.len()]);
        if catch_unwind(AssertUnwindSafe(|| f(&input))).is_err() {
            let saved = write_file(&dir, &format!("{name}-{n}.bin"), &input);
            panic!("{name}: case {n} (seed {seed:#x}) panicked; input saved at {saved}");
        }
    }
    cases
}

#[test]
fn mutated_inputs_never_panic() {
    let dns = dns();
    let opts = options();
    let mut messages = read_dir_files("testdata/dkim", "eml");
    messages.extend(read_dir_files("testdata/trace", "eml"));
    messages.extend(read_dir_files("testdata/hostile", "eml"));
    let mut total = 0;

    total += campaign("check", 0x00c0_ffee, &messages, 20_000, |m| {
        if let Ok(report) = check_message(m, &dns, &opts) {
            let text = serde_json::to_string(&report).expect("report serialises");
            let _: serde_json::Value = serde_json::from_str(&text).expect("JSON parses back");
            let _ = mailverdict::report::human::check(&report);
            let _ = mailverdict::report::arh::clauses(&report);
        }
    });
    total += campaign("trace", 0x0000_7ace, &messages, 10_000, |m| {
        if let Ok(report) = trace_message(m, &dns, &opts) {
            serde_json::to_string(&report).expect("report serialises");
            let _ = mailverdict::report::human::trace(&report);
        }
    });
    total += campaign("rename", 0x0000_0123, &messages, 8_000, |m| {
        let _ = mailverdict::parse::rename_our_fields(m, "mx.receiver.test");
    });

    let received: Vec<Vec<u8>> =
        std::fs::read_to_string(crate::support::conformance("received").join("received.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<Vec<serde_json::Value>>(&t).ok())
            .map(|v| {
                v.iter()
                    .filter_map(|x| x["header"].as_str())
                    .map(|h| format!("Received: {h}Subject: r\r\n\r\nb\r\n").into_bytes())
                    .collect()
            })
            .unwrap_or_else(|| {
                vec![
            b"Received: from a (a [192.0.2.1]) by b; Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nb\r\n"
                .to_vec(),
        ]
            });
    total += campaign("received", 0x0000_4ecd, &received, 12_000, |m| {
        let _ = trace_message(m, &dns, &opts);
    });

    let authres: Vec<Vec<u8>> = [
        "mx.example.com; spf=pass smtp.mailfrom=a@b.example; dkim=pass (good) header.d=b.example header.b=abc; dmarc=fail reason=\"x y\" header.from=b.example",
        "i=2; mx.example; arc=pass (as=1) smtp.remote-ip=192.0.2.1",
        "foo.example.net (foobar) 1 (baz); dkim (Because I like it) / 1 (One yay) = (wait for it) fail policy (A dot can go here) . (like that) expired (this surprised me) = (as I wasn't expecting it) 1362471462",
        "example.org 1; none",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    total += campaign("authres", 0x0000_a4e5, &authres, 20_000, |v| {
        let text = String::from_utf8_lossy(v);
        let _ = mailverdict::parse::authentication_results(&text, text.starts_with("i="));
    });

    let records: Vec<Vec<u8>> = [
        "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a/24//64 mx:example.com include:_spf.example.net exists:%{ir}.%{v}._spf.%{d2} ptr -all",
        "v=spf1 redirect=_spf.example.com exp=explain.%{d}",
        "v=spf1 a:foo:bar/baz.example.com/24 ~all",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    total += campaign("spf-record", 0x0000_05bf, &records, 15_000, |r| {
        let _ = mailverdict::parse::spf_record(r);
        let text = String::from_utf8_lossy(r);
        let _ = mailverdict::parse::spf_macro(&text, true);
    });
    let spf_zone_seeds: Vec<Vec<u8>> = records
        .iter()
        .map(|r| {
            format!(
                "t.test. TXT \"{}\"\n_spf.example.com. TXT \"v=spf1 -all\"\n",
                String::from_utf8_lossy(r)
            )
            .into_bytes()
        })
        .collect();
    total += campaign("spf-eval", 0x0005_bfe1, &spf_zone_seeds, 4_000, |z| {
        let mut zone = Zone::default();
        if zone.add_text(&String::from_utf8_lossy(z)).is_ok() {
            let dns = Dns::new(Box::new(zone));
            let req = mailverdict::SpfRequest {
                ip: "192.0.2.7".parse().expect("ip"),
                mail_from: "user@t.test".into(),
                helo: "h.t.test".into(),
                helo_scope: false,
                domain: None,
                now: 0,
                receiver: "r".into(),
            };
            let report = mailverdict::evaluate_spf(&dns, &req);
            serde_json::to_string(&report).expect("serialises");
        }
    });

    let policy: Vec<Vec<u8>> = [
        "v=DMARC1; p=reject; sp=quarantine; pct=50; adkim=s; aspf=r; rua=mailto:a@b.example,mailto:c@d.example; ruf=mailto:e@f.example; fo=1",
        "v=STSv1; id=20261120T01",
        "v=DKIM1; k=rsa; t=y:s; h=sha256; s=email; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA",
        "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
        "v=TLSRPTv1; rua=mailto:tls@example.com,https://reports.example.com/v1",
        "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmx: *.example.net\nmax_age: 604800\n",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    total += campaign("records", 0x0000_d3a4, &policy, 15_000, |r| {
        let text = String::from_utf8_lossy(r);
        let _ = mailverdict::parse::dmarc_record(&text);
        let _ = mailverdict::parse::mta_sts_txt(&text);
        let _ = mailverdict::parse::tls_rpt(&text);
        let _ = mailverdict::parse::mta_sts_policy(&text);
        let _ = mailverdict::parse::KeyRecord::parse(&text);
        let _ = mailverdict::parse::TagList::parse(&text);
    });

    let zones: Vec<Vec<u8>> = ["testdata/dkim/zone.db", "testdata/trace/zone.db"]
        .iter()
        .filter_map(|p| std::fs::read(root().join(p)).ok())
        .collect();
    total += campaign("zone", 0x0000_2013, &zones, 3_000, |z| {
        let mut zone = Zone::default();
        let _ = zone.add_text(&String::from_utf8_lossy(z));
    });

    note(&format!("Mutation suite: {total} cases, no panic"));
    assert!(total >= 100_000);
}

/// Whether an address is inside example.com's SPF (the only way SPF can really pass for it).
fn victim_ip(ip: &str) -> bool {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => v4.octets()[..3] == [192, 0, 2],
        Ok(std::net::IpAddr::V6(v6)) => v6.segments()[..3] == [0x2001, 0xdb8, 0x25],
        Err(_) => false,
    }
}

/// Spoofs of example.com (p=reject) sent from 203.0.113.66: a forged HELO literal, a trusted
/// name in HELO over a forged hop, From tricks, a forged trusted A-R.
fn spoof_seeds() -> Vec<Vec<u8>> {
    let body = "To: bob@receiver.test\r\nSubject: pay\r\nDate: Mon, 23 Nov 2026 10:15:00 +0000\r\n\r\nNow.\r\n";
    [
        "Received: from [203.0.113.66] (helo=[IPv6:2001:db8:25::1])\r\n\tby mx.receiver.test with esmtp (Exim 4.96); Mon, 23 Nov 2026 10:15:02 +0000\r\nReturn-Path: <bounce@example.com>\r\nFrom: alice@example.com\r\n",
        "Received: from relay.receiver.test (attacker.evil.test [203.0.113.66])\r\n\tby mx.receiver.test (Postfix) with ESMTPS id 2; Mon, 23 Nov 2026 10:15:02 +0000\r\nReceived: from mail.example.com (mail.example.com [192.0.2.10]) by relay.receiver.test with ESMTPS; Mon, 23 Nov 2026 10:15:01 +0000\r\nReturn-Path: <bounce@example.com>\r\nFrom: Alice <alice@example.com>\r\n",
        "Received: from [192.0.2.10] (unknown [203.0.113.66]) by mx.receiver.test (Postfix) with ESMTP; Mon, 23 Nov 2026 10:15:02 +0000\r\nReturn-Path: <bounce@example.com>\r\nFrom: <alice@example.com> bob@example.net\r\n",
        "Received: from unknown (HELO [192.0.2.10]) (joe@203.0.113.66) by mx.receiver.test with SMTP; Mon, 23 Nov 2026 10:15:02 +0000\r\nAuthentication-Results: mx.receiver.test; spf=pass smtp.mailfrom=example.com; dkim=pass header.d=example.com header.b=\"AjZba9Ué\"\r\nReturn-Path: <bounce@example.com>\r\nFrom: \"alice@example.com\" <alice@example.com>\r\n",
    ]
    .iter()
    .map(|h| format!("{h}{body}").into_bytes())
    .collect()
}

/// "No spoofed PASS": mutated spoofs of a p=reject domain never come out PASS for it unless an
/// aligned mechanism really passes (a DKIM signature that verifies, or SPF for an address the
/// domain authorises), whatever the mutation does to the HELO, From, `by` or the bytes.
#[test]
fn mutated_spoofs_never_pass() {
    let dns = dns();
    let mut opts = options();
    opts.trusted = vec![mailverdict::TrustedMta::parse("relay.receiver.test").expect("name")];
    let seeds = spoof_seeds();
    let mut passes = 0;
    let cases = campaign("spoof", 0x5900_f00d, &seeds, 6_000, |m| {
        let Ok(report) = check_message(m, &dns, &opts) else {
            return;
        };
        if report.verdict.result != mailverdict::AuthResult::Pass
            || report.dmarc.from_domain.as_deref() != Some("example.com")
        {
            return;
        }
        let dkim = report
            .dkim
            .iter()
            .any(|d| d.aligned && d.result == mailverdict::AuthResult::Pass);
        let spf = report.dmarc.spf_aligned
            && report.spf.result == mailverdict::AuthResult::Pass
            && report.spf.ip.as_deref().is_some_and(victim_ip);
        assert!(dkim || spf, "spoofed PASS: {}", report.verdict.summary);
        passes += 1;
    });
    note(&format!(
        "Spoof mutations: {cases} cases, {passes} PASS (each with a really passing aligned mechanism)"
    ));
}

/// A slice of mutated messages through the binary: only documented exit codes, and JSON that
/// parses whenever a report was written.
#[test]
fn mutated_messages_through_the_binary() {
    let mut messages = read_dir_files("testdata/dkim", "eml");
    messages.extend(read_dir_files("testdata/trace", "eml"));
    let mut rng = Rng(0x0000_b1a5);
    let dir = temp_dir("mutation-binary");
    let zone = testdata("dkim/zone.db");
    for n in 0..150 {
        let input = mutate(&mut rng, &messages[n % messages.len()]);
        let file = write_file(&dir, &format!("m{n}.eml"), &input);
        let r = run(
            &["check", "--format", "json", "--dns-zone", &zone, &file],
            None,
        );
        assert!(
            [0, 1, 3, 65, 75].contains(&r.code),
            "case {n}: exit {} ({})",
            r.code,
            r.stderr
        );
        if r.code != 65 {
            let _ = r.json();
        }
    }
}
