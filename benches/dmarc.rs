// A benchmark is a program whose job is to print its figures.
#![allow(clippy::print_stdout)]

//! The RFC 9989 tree walk's queries are sent concurrently: with 20 ms per DNS answer, `check`
//! of a message whose author domain has 14 labels (eight `_dmarc` queries, RFC 9989 §4.10)
//! costs about one round trip for the walk, not eight. Run: `cargo bench --bench dmarc`.
//! Prints figures; asserts nothing about speed.

use std::time::{Duration, Instant};

use mailverdict::dns::{Answer, Dns, RecordType, Resolve, Zone};
use mailverdict::{CheckOptions, Clock, check_message};

const LATENCY: Duration = Duration::from_millis(20);

/// Zone replay that answers like a resolver `LATENCY` away.
struct Slow(Zone);

impl Resolve for Slow {
    fn query(&self, name: &str, rtype: RecordType) -> Answer {
        std::thread::sleep(LATENCY);
        self.0.query(name, rtype)
    }

    fn is_remote(&self) -> bool {
        true
    }
}

fn run(author: &str) -> (Duration, usize) {
    let mut zone = Zone::default();
    zone.add_text(
        "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\nexample.com. TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n",
    )
    .expect("zone");
    let dns = Dns::new(Box::new(Slow(zone)));
    let message = format!(
        "From: <a@{author}>\r\nTo: <b@receiver.test>\r\nSubject: s\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n\r\nbody\r\n"
    );
    let mut opts = CheckOptions::new(Clock::fixed(1_795_440_000));
    opts.ip = Some("192.0.2.7".parse().expect("ip"));
    opts.mail_from = Some("bounce@example.com".into());
    opts.helo = Some("mx.example.com".into());
    opts.transport = false;
    let started = Instant::now();
    let report = check_message(message.as_bytes(), &dns, &opts).expect("a message");
    let took = started.elapsed();
    assert_eq!(
        report.dmarc.discovery.len(),
        if author == "example.com" { 2 } else { 8 }
    );
    (took, dns.queries_sent())
}

fn main() {
    for author in ["example.com", "a.b.c.d.e.f.g.h.i.j.k.example.com"] {
        let (took, queries) = run(author);
        let walk = if author == "example.com" { 2 } else { 8 };
        println!(
            "check, author {author}: {:.0} ms for {queries} queries at {} ms each ({walk} of them the tree walk; {:.0} ms if sent one after another)",
            took.as_secs_f64() * 1000.0,
            LATENCY.as_millis(),
            (queries as u128 * LATENCY.as_millis()) as f64
        );
    }
}
