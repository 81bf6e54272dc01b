//! End to end against a real DNS server (hickory-server in this process, UDP+TCP on 127.0.0.1,
//! port 0): the live backend, SERVFAIL and timeouts, and recording a run for replay.

use crate::support::{DnsServer, run, temp_dir, testdata};

fn zone_text() -> String {
    std::fs::read_to_string(testdata("dkim/zone.db")).expect("zone fixture")
}

/// The live resolver path gives the same report as zone replay.
#[test]
fn live_dns_matches_zone_replay() {
    let server = DnsServer::start(&zone_text());
    let ns = server.nameserver();
    let msg = testdata("demo/signed.eml");
    let live = run(
        &["check", "--format", "json", "--nameserver", &ns, &msg],
        None,
    );
    assert_eq!(live.code, 0, "{}", live.stderr);
    let replay = run(
        &[
            "check",
            "--format",
            "json",
            "--dns-zone",
            &testdata("dkim/zone.db"),
            &msg,
        ],
        None,
    );
    // Transport differs on purpose: live TLSA lookups are validated against the root trust
    // anchor, which a loopback server cannot chain to (bogus); a plain zone file says
    // indeterminate. `validating_lookup_against_an_unsigned_server` covers that path.
    let without_transport = |mut v: serde_json::Value| {
        v["transport"] = serde_json::Value::Null;
        v
    };
    assert_eq!(
        without_transport(live.json()),
        without_transport(replay.json())
    );
}

/// SERVFAIL from the server is a temperror and exit 75; a server that never answers is a
/// timeout, reported as such within the --timeout budget.
#[test]
fn servfail_and_timeout_are_temporary() {
    let server = DnsServer::start(&zone_text());
    let ns = server.nameserver();
    let r = run(
        &[
            "check",
            "--format",
            "json",
            "--nameserver",
            &ns,
            &testdata("dkim/dmarc-servfail.eml"),
        ],
        None,
    );
    assert_eq!(r.code, 75, "{}", r.stderr);
    assert!(
        r.json()["dmarc"]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("SERVFAIL")
    );

    let started = std::time::Instant::now();
    let r = run(
        &[
            "check",
            "--format",
            "json",
            "--timeout",
            "0.5",
            "--nameserver",
            &ns,
            "--ip",
            "203.0.113.5",
            &testdata("dkim/dkim-timeout.eml"),
        ],
        None,
    );
    assert_eq!(r.code, 75, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["dkim"][0]["result"], "temperror");
    assert!(
        v["dkim"][0]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("TIMEOUT"),
        "{}",
        v["dkim"][0]
    );
    assert!(started.elapsed().as_secs() < 20);
}

/// --record-dns writes every answer (NXDOMAIN, NODATA and failures included); replaying the
/// recording with --dns-zone gives the identical report.
#[test]
fn recorded_run_replays_identically() {
    let server = DnsServer::start(&zone_text());
    let ns = server.nameserver();
    let dir = temp_dir("record");
    for (i, msg) in [
        "demo/signed.eml",
        "dkim/key-not-found.eml",
        "dkim/dmarc-servfail.eml",
        "dkim/dmarc-none.eml",
    ]
    .iter()
    .enumerate()
    {
        let rec = dir.join(format!("rec{i}.db")).display().to_string();
        let msg = testdata(msg);
        let live = run(
            &[
                "check",
                "--format",
                "json",
                "--nameserver",
                &ns,
                "--record-dns",
                &rec,
                &msg,
            ],
            None,
        );
        let replay = run(
            &["check", "--format", "json", "--dns-zone", &rec, &msg],
            None,
        );
        assert_eq!(live.code, replay.code, "{msg}");
        assert_eq!(
            live.json(),
            replay.json(),
            "{msg}: replay differs; recording:\n{}",
            std::fs::read_to_string(&rec).unwrap_or_default()
        );
    }
}

/// Through a real (unsigned) DNS server the validating lookup cannot prove anything: TLSA
/// records are reported, DANE does not apply, and the run still completes (no false "secure").
#[test]
fn validating_lookup_against_an_unsigned_server() {
    let zone = std::fs::read_to_string(testdata("trace/zone.db")).expect("zone");
    let server = DnsServer::start(&zone);
    let r = run(
        &[
            "trace",
            "--format",
            "json",
            "--timeout",
            "2",
            "--nameserver",
            &server.nameserver(),
            &testdata("trace/gmail.eml"),
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    let corp = &v["transport"][0];
    assert_eq!(corp["domain"], "corp.test");
    assert_eq!(corp["mta_sts"]["id"], "20261120T01");
    let dane = &corp["dane"][0];
    assert_ne!(dane["dnssec"], "secure", "{dane}");
    assert_eq!(dane["usable"], false);
}

/// A recorded `trace` (MX, MTA-STS, TLSA with their DNSSEC status, PTR) replays identically.
#[test]
fn recorded_trace_replays_identically() {
    let zone = std::fs::read_to_string(testdata("trace/zone.db")).expect("zone");
    let server = DnsServer::start(&zone);
    let dir = temp_dir("rectrace");
    let rec = dir.join("trace.db").display().to_string();
    let msg = testdata("trace/gmail.eml");
    let live = run(
        &[
            "trace",
            "--format",
            "json",
            "--timeout",
            "2",
            "--nameserver",
            &server.nameserver(),
            "--record-dns",
            &rec,
            "--dnsbl",
            "bl.test",
            &msg,
        ],
        None,
    );
    let replay = run(
        &[
            "trace",
            "--format",
            "json",
            "--dns-zone",
            &rec,
            "--dnsbl",
            "bl.test",
            &msg,
        ],
        None,
    );
    assert_eq!(
        live.json(),
        replay.json(),
        "recording:\n{}",
        std::fs::read_to_string(&rec).unwrap_or_default()
    );
}
