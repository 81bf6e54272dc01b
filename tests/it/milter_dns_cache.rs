//! The milter's DNS cache kept across messages, through the binary: messages played by our
//! MTA side of the protocol (tests/it/milter_client.rs), DNS from a loopback server that counts
//! the questions it gets and whose zone a test can change.

use std::time::Duration;

use crate::milter_client::MtaSide;
use crate::support::DnsServer;
use crate::support_milter::Milter;

/// SPF passes for 192.0.2.0/24, DMARC p=reject; both at the default TTL (3600 s).
const ZONE: &str = "pass.test. TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n\
_dmarc.pass.test. TXT \"v=DMARC1; p=reject\"\n";

fn start(zone: &str, extra: &[&str]) -> (DnsServer, Milter) {
    let dns = DnsServer::start(zone);
    let ns = dns.nameserver();
    let mut args = vec!["--nameserver", ns.as_str(), "--timeout", "2"];
    args.extend_from_slice(extra);
    let milter = Milter::start(&args);
    (dns, milter)
}

/// Play one message from a@pass.test over a fresh connection; the value of the
/// Authentication-Results field the milter inserts.
fn play(milter: &Milter, qid: &str) -> String {
    let mut mta = MtaSide::connect(milter.port).expect("milter connection");
    mta.envelope("192.0.2.1", "mail.pass.test", "bounce@pass.test", qid)
        .expect("envelope");
    let headers = [
        ("From", " a@pass.test"),
        ("To", " rcpt@ours.test"),
        ("Subject", " cache"),
    ];
    mta.content(&headers, b"body\r\n").expect("content");
    let replies = mta.end().expect("end of message");
    mta.quit();
    // SMFIR_INSHEADER: index (4 octets), name NUL value NUL.
    replies
        .iter()
        .filter(|(cmd, _)| *cmd == b'i')
        .filter_map(|(_, data)| {
            let text = String::from_utf8_lossy(data.get(4..)?).into_owned();
            let (name, value) = text.split_once('\0')?;
            (name == "Authentication-Results").then(|| value.trim_end_matches('\0').to_string())
        })
        .next()
        .unwrap_or_else(|| panic!("no field inserted: {replies:?}\n{}", milter.log()))
}

/// The second identical message asks the DNS server nothing: every answer of the first,
/// positive and negative (the server sends an SOA with NXDOMAIN and NODATA, RFC 2308), is
/// kept for its TTL, and the metrics count a hit for each question the first one sent on.
#[test]
fn the_second_identical_message_asks_the_server_nothing() {
    let (dns, milter) = start(ZONE, &["--metrics", "127.0.0.1:0"]);
    let first = play(&milter, "QC1");
    assert!(first.contains("dmarc=pass"), "{first}");
    let asked = dns.queries();
    assert!(asked > 0, "the first message asked the server");
    let second = play(&milter, "QC2");
    assert_eq!(second, first, "the same verdict from the cache");
    assert_eq!(
        dns.queries(),
        asked,
        "the second message asked the server nothing\n{}",
        milter.log()
    );
    // The second message asked the first one's questions again, every one from the cache.
    let text = milter.scrape();
    let counter = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("mailverdict_milter_dns_cache_{name}_total ")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} counter in\n{text}"))
    };
    assert!(counter("hits") > 0, "{text}");
    assert_eq!(counter("hits"), counter("misses"), "{text}");
}

/// With a TTL of 1 s (records and negative answers alike), the same message a little over a
/// second later asks the server again.
#[test]
fn a_ttl_of_one_second_expires() {
    let (dns, milter) = start(&format!("$TTL 1\n{ZONE}"), &[]);
    dns.set_negative_ttl(1);
    assert!(play(&milter, "QT1").contains("dmarc=pass"));
    let asked = dns.queries();
    std::thread::sleep(Duration::from_millis(2100));
    assert!(play(&milter, "QT2").contains("dmarc=pass"));
    assert!(
        dns.queries() > asked,
        "expired answers are asked again ({asked} before, {} after)",
        dns.queries()
    );
}

/// A SERVFAIL is not pinned: once the server answers, the very next message gets the record
/// and a verdict instead of a second temperror.
#[test]
fn a_servfail_is_not_pinned() {
    let (dns, milter) = start(
        "pass.test. TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n;! _dmarc.pass.test. TXT SERVFAIL\n",
        &[],
    );
    let first = play(&milter, "QS1");
    assert!(first.contains("dmarc=temperror"), "{first}");
    dns.set_zone(ZONE);
    let second = play(&milter, "QS2");
    assert!(second.contains("dmarc=pass"), "{second}\n{}", milter.log());
}
