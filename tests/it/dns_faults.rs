//! DNS under faults, through the binary against misbehaving servers on loopback
//! (support_dns.rs): a resolver that never answers, drips, refuses, lies or says NXDOMAIN for
//! everything; the integrity of `--record-dns`; replaying recordings; zone-file and
//! `--max-size` limits.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hickory_proto::rr::rdata::{CNAME, TXT};
use hickory_proto::rr::{Name, RData, Record};

use crate::support::{name_of, run, temp_dir, testdata, write_file};
use crate::support_dns::{Fault, FaultServer, closed_port};

fn demo_zone() -> String {
    std::fs::read_to_string(testdata("demo/zone.db")).expect("demo zone")
}

fn txt(owner: &Name, text: &str) -> Record {
    Record::from_rdata(
        owner.clone(),
        60,
        RData::TXT(TXT::new(vec![text.to_string()])),
    )
}

/// Run `command --format json --timeout 2 --nameserver NS TARGET` and time it.
fn bounded(command: &str, ns: &str, target: &str) -> (crate::support::Run, Duration) {
    let started = Instant::now();
    let r = run(
        &[
            command,
            "--format",
            "json",
            "--timeout",
            "2",
            "--nameserver",
            ns,
            target,
        ],
        None,
    );
    (r, started.elapsed())
}

fn spf_args<'a>(dns: &[&'a str], mail_from: &'a str) -> Vec<&'a str> {
    let mut args = vec![
        "spf",
        "--format",
        "json",
        "--ip",
        "192.0.2.10",
        "--mail-from",
    ];
    args.push(mail_from);
    args.extend_from_slice(dns);
    args
}

/// A resolver that never answers: `check --timeout 2` ends within 2 × timeout + 1 s with exit
/// 75, the queries not sent say "resolver did not answer", and stderr names the resolver and
/// suggests --nameserver or --dns-zone (today's main took 36 s, one query after another).
#[test]
fn dead_resolver_check_is_bounded_and_says_so() {
    let server = FaultServer::start("", Fault::Drop);
    let ns = server.nameserver();
    let (r, took) = bounded("check", &ns, &testdata("demo/signed.eml"));
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(r.code, 75, "{}", r.stderr);
    // Independent lookups go out together on live DNS: those in flight when the resolver
    // proved silent time out, the ones asked after it are not sent at all.
    assert!(
        r.stdout.contains("resolver did not answer") || r.stdout.contains("TIMEOUT"),
        "{}",
        r.stdout
    );
    assert!(r.stderr.contains(&ns), "{}", r.stderr);
    assert!(r.stderr.contains("--nameserver") && r.stderr.contains("--dns-zone"));
    assert_eq!(r.json()["dns"]["notes"][0]["kind"], "resolver_silent");
    assert_eq!(r.json()["dns"]["notes"][0]["resolver"], ns.as_str());
}

/// `domain` against a resolver that never answers is bounded the same way and exits 75.
#[test]
fn dead_resolver_domain_is_bounded() {
    let server = FaultServer::start("", Fault::Drop);
    let (r, took) = bounded("domain", &server.nameserver(), "example.com");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(r.code, 75, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains(&server.nameserver()), "{}", r.stderr);
}

/// A server that drips its TCP answer (after a truncated UDP one) cannot stretch a query
/// past --timeout: the run ends within 2 × timeout + 1 s and exits 75.
#[test]
fn dripping_resolver_is_bounded() {
    let server = FaultServer::start("", Fault::Drip);
    let (r, took) = bounded("check", &server.nameserver(), &testdata("demo/signed.eml"));
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(r.code, 75, "{}", r.stderr);
}

/// A closed port (connection refused) and a server answering REFUSED are both reported as
/// REFUSED, not TIMEOUT.
#[test]
fn refused_is_refused_not_timeout() {
    let closed = closed_port();
    let refusing = FaultServer::start("", Fault::Refuse);
    for ns in [closed.clone(), refusing.nameserver()] {
        let started = Instant::now();
        let r = run(
            &spf_args(&["--timeout", "3", "--nameserver", &ns], "a@example.com"),
            None,
        );
        let v = r.json();
        assert_eq!(v["result"], "temperror", "{ns}: {v}");
        let reason = v["reason"].as_str().unwrap_or_default();
        assert!(reason.contains("REFUSED"), "{ns}: {reason}");
        assert!(!reason.contains("TIMEOUT"), "{ns}: {reason}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{ns}: waited for a timeout"
        );
    }
}

/// A resolver that answers NXDOMAIN for everything (the root's NS included) is detected with
/// that canary and noted in the report and on stderr; the verdict is what the same answers
/// give from a zone file (a note, never a change of verdict).
#[test]
fn nxdomain_for_everything_is_noted_not_a_verdict() {
    let server = FaultServer::start("", Fault::NxdomainAll);
    let msg = testdata("demo/signed.eml");
    let live = run(
        &[
            "check",
            "--format",
            "json",
            "--nameserver",
            &server.nameserver(),
            &msg,
        ],
        None,
    );
    let v = live.json();
    assert_eq!(
        v["dns"]["notes"][0]["kind"], "nxdomain_for_everything",
        "{}",
        v["dns"]
    );
    assert!(live.stderr.contains("NXDOMAIN"), "{}", live.stderr);
    assert!(
        live.stderr.contains(&server.nameserver()),
        "{}",
        live.stderr
    );
    let dir = temp_dir("nxall");
    let empty = write_file(&dir, "empty.db", b"; nothing exists\n");
    let replay = run(
        &["check", "--format", "json", "--dns-zone", &empty, &msg],
        None,
    );
    assert_eq!(live.code, replay.code);
    assert_eq!(v["verdict"], replay.json()["verdict"]);
}

/// A hostile answer cannot add a name to a recording: records owned by names that were not
/// asked are dropped, and text with a newline is escaped; replaying the recording, the foreign
/// name is "not in the recording" (temperror), never the attacker's `+all`.
#[test]
fn hostile_answer_cannot_add_a_name_to_a_recording() {
    let lies: Arc<crate::support_dns::Lies> = Arc::new(|q| {
        let victim = name_of("victim.test");
        vec![
            txt(&victim, "v=spf1 +all"),
            txt(
                q.name(),
                "v=spf1 -all\nvictim.test. 60 IN TXT \"v=spf1 +all\"\n$ORIGIN victim.test.",
            ),
        ]
    });
    let server = FaultServer::start("", Fault::Lie(lies));
    let dir = temp_dir("hostile-rec");
    let rec = dir.join("rec.db").display().to_string();
    let r = run(
        &spf_args(
            &["--nameserver", &server.nameserver(), "--record-dns", &rec],
            "a@sender.test",
        ),
        None,
    );
    assert_eq!(r.json()["domain"], "sender.test", "{}", r.stderr);
    let text = std::fs::read_to_string(&rec).expect("recording");
    assert!(text.starts_with("; recorded by mailverdict"), "{text}");
    for line in text.lines().filter(|l| !l.starts_with(';')) {
        assert!(
            line.starts_with("sender.test. "),
            "foreign line {line:?} in\n{text}"
        );
    }
    let replay = run(&spf_args(&["--dns-zone", &rec], "a@victim.test"), None);
    let v = replay.json();
    assert_eq!(v["result"], "temperror", "{v}\n{text}");
    assert!(
        v["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("not in the recording")
    );
}

/// A live CNAME loop (the server hands back the loop without ending it) is SERVFAIL, as in
/// zone replay and the README; today's main said NODATA.
#[test]
fn live_cname_loop_is_servfail_like_replay() {
    let lies: Arc<crate::support_dns::Lies> = Arc::new(|_| {
        let (a, b) = (name_of("loop.test"), name_of("loop2.test"));
        vec![
            Record::from_rdata(a.clone(), 60, RData::CNAME(CNAME(b.clone()))),
            Record::from_rdata(b, 60, RData::CNAME(CNAME(a))),
        ]
    });
    let server = FaultServer::start("", Fault::Lie(lies));
    let live = run(
        &spf_args(&["--nameserver", &server.nameserver()], "a@loop.test"),
        None,
    );
    let dir = temp_dir("cname-loop");
    let zone = write_file(
        &dir,
        "loop.db",
        b"loop.test. CNAME loop2.test.\nloop2.test. CNAME loop.test.\n",
    );
    let replay = run(&spf_args(&["--dns-zone", &zone], "a@loop.test"), None);
    let (l, z) = (live.json(), replay.json());
    assert_eq!(l["result"], "temperror", "{l}");
    assert!(
        l["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("SERVFAIL"),
        "{l}"
    );
    assert_eq!(l["reason"], z["reason"]);
}

/// A recording made by the main binary of before this change (committed) still replays to
/// the same verdict; a name it never saw is temperror "not in the recording", while a
/// hand-written zone file keeps NXDOMAIN for absent names.
#[test]
fn old_recording_replays_and_unknown_names_are_not_nxdomain() {
    let rec = testdata("dns/recorded-by-main-af4f3f6.db");
    let r = run(
        &[
            "check",
            "--format",
            "json",
            "--dns-zone",
            &rec,
            &testdata("demo/signed.eml"),
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["verdict"]["result"], "pass");
    let unknown = run(&spf_args(&["--dns-zone", &rec], "a@example.net"), None).json();
    assert_eq!(unknown["result"], "temperror", "{unknown}");
    assert!(
        unknown["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("not in the recording")
    );
    let zone = testdata("demo/zone.db");
    let hand = run(&spf_args(&["--dns-zone", &zone], "a@absent.test"), None).json();
    assert_eq!(hand["result"], "none", "{hand}");
    assert!(
        hand["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("NXDOMAIN")
    );
}

/// The delaying server answers correctly (the benchmark's server), and a live run through it
/// gives the report zone replay gives.
#[test]
fn delayed_answers_are_answers() {
    let server = FaultServer::start(&demo_zone(), Fault::Delay(Duration::from_millis(20)));
    let r = run(
        &spf_args(&["--nameserver", &server.nameserver()], "a@example.com"),
        None,
    );
    assert_eq!(r.json()["result"], "pass", "{}", r.stdout);
    assert!(server.queries() >= 1);
}

/// `--max-size 18446744073709551615` (u64::MAX, which wrapped to an empty read) is a usage
/// error naming the option.
#[test]
fn max_size_overflow_is_a_usage_error() {
    for size in [
        "18446744073709551615",
        "18446744073709551616",
        "99999999999G",
    ] {
        let r = run(
            &["check", "--max-size", size, &testdata("demo/signed.eml")],
            None,
        );
        assert_eq!(r.code, 2, "{size}: {}", r.stderr);
        assert!(r.stderr.contains("--max-size"), "{size}: {}", r.stderr);
    }
}

/// A TXT character-string over 255 octets is a zone-file error with its line number
/// (RFC 1035 §3.3), exit 2; 255 octets are fine.
#[test]
fn zone_txt_string_over_255_octets_is_an_error() {
    let dir = temp_dir("long-txt");
    let ok = format!("a.test. TXT \"x\"\nb.test. TXT \"{}\"\n", "y".repeat(255));
    let bad = format!("a.test. TXT \"x\"\nb.test. TXT \"{}\"\n", "y".repeat(256));
    let msg = testdata("demo/signed.eml");
    let fine = write_file(&dir, "ok.db", ok.as_bytes());
    let r = run(
        &["check", "--format", "json", "--dns-zone", &fine, &msg],
        None,
    );
    assert_ne!(r.code, 2, "{}", r.stderr);
    let long = write_file(&dir, "bad.db", bad.as_bytes());
    let r = run(&["check", "--dns-zone", &long, &msg], None);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("line 2") && r.stderr.contains("255"),
        "{}",
        r.stderr
    );
}

/// The live backend serves many threads blocking at once: 20 distinct questions asked from 20
/// threads through one `Dns`, each answered after 200 ms, take about one delay, not twenty
/// (sequential would be 4 s). This is what a concurrent `check` or a `batch` relies on.
#[test]
fn live_backend_answers_threads_concurrently() {
    let zone: String = (0..20)
        .map(|i| format!("h{i}.par.test. A 192.0.2.{i}\n"))
        .collect();
    let server = FaultServer::start(&zone, Fault::Delay(Duration::from_millis(200)));
    let live = mailverdict::dns::Live::new(&[server.addr], Duration::from_secs(5), None)
        .expect("live backend");
    let dns = mailverdict::dns::Dns::new(Box::new(live));
    let started = Instant::now();
    std::thread::scope(|s| {
        for i in 0..20 {
            let dns = &dns;
            s.spawn(move || {
                let answer = dns.query(&format!("h{i}.par.test"), mailverdict::dns::RecordType::A);
                assert!(answer.is_ok(), "h{i}: {answer:?}");
            });
        }
    });
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert_eq!(server.queries(), 20);
}

/// A live `check` asks a sender's questions only: where the MX hosts publish no TLSA records,
/// DANE does not apply (RFC 7672 §2.2), so no validator walks up the zone cuts to prove the
/// absence (five sequential NS/DS round trips for `mail.example.com` before this fix, most of
/// a live check's latency). The only NS question left is the root canary.
#[test]
fn live_check_without_tlsa_asks_no_dnssec_walk() {
    let server = FaultServer::start(&demo_zone(), Fault::Delay(Duration::from_millis(1)));
    let msg = testdata("demo/signed.eml");
    let ns = server.nameserver();
    let r = run(
        &["check", "--format", "json", "--nameserver", &ns, &msg],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let asked: Vec<String> = server.questions().into_iter().map(|(_, q)| q).collect();
    assert!(
        asked.iter().any(|q| q == "_25._tcp.mail.example.com. TLSA"),
        "{asked:?}"
    );
    let walk: Vec<&String> = asked
        .iter()
        .filter(|q| {
            (q.ends_with(" NS") && q.as_str() != ". NS")
                || q.ends_with(" DS")
                || q.ends_with(" DNSKEY")
        })
        .collect();
    assert!(
        walk.is_empty(),
        "validator walk for an absent TLSA: {walk:?}"
    );
}
