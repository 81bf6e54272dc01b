// A benchmark is a program whose job is to print its figures.
#![allow(clippy::print_stdout)]

//! Live DNS latency: `mailverdict check` of the demo message against a loopback DNS server
//! (tests/it/support_dns.rs) that delays every answer by 50 ms. Prints the wall time, the
//! number of queries the server received, the dependency floor (the longest chain of lookups
//! that must wait for each other × 50 ms) and their ratio (target ≤ 1.5×), then the time
//! `check --timeout 2` takes against a resolver that never answers (bound: 2 × 2 + 1 s).
//! Run: `cargo bench --bench live_dns` (builds the binary first). Asserts nothing about speed.

#[allow(dead_code)]
#[path = "../tests/it/support.rs"]
mod support;
#[allow(dead_code)]
#[path = "../tests/it/support_dns.rs"]
mod support_dns;

use std::time::{Duration, Instant};

use support::{run, testdata};
use support_dns::{Fault, FaultServer};

const DELAY: Duration = Duration::from_millis(50);
/// The demo message's longest dependent chain: PTR → A (iprev) and MX → TLSA (transport);
/// SPF (ip4 only), each DKIM key and DMARC discovery are one round trip each.
const LONGEST_CHAIN: u32 = 2;
const RUNS: u32 = 5;

fn main() {
    let zone = std::fs::read_to_string(testdata("demo/zone.db")).expect("demo zone");
    let msg = testdata("demo/signed.eml");
    let server = FaultServer::start(&zone, Fault::Delay(DELAY));
    let ns = server.nameserver();
    let args = [
        "check",
        "--format",
        "json",
        "--timeout",
        "5",
        "--nameserver",
        &ns,
        &msg,
    ];
    let mut best = Duration::MAX;
    let mut queries = 0;
    for _ in 0..RUNS {
        let before = server.queries();
        let started = Instant::now();
        let r = run(&args, None);
        let took = started.elapsed();
        assert_eq!(r.code, 0, "live check fails: {}", r.stderr);
        queries = server.queries() - before;
        best = best.min(took);
    }
    let asked = server.questions();
    if let Some((first, _)) = asked.get(asked.len().saturating_sub(queries)) {
        println!("questions of the last run, by arrival (ms after the first):");
        for (at, q) in &asked[asked.len() - queries..] {
            println!(
                "  {:>5.0}  {q}",
                at.duration_since(*first).as_secs_f64() * 1000.0
            );
        }
    }
    let floor = DELAY * LONGEST_CHAIN;
    println!(
        "live check, {} ms per answer: wall {:.0} ms (best of {RUNS}), {queries} queries, \
         dependency floor {} ms ({LONGEST_CHAIN} × {} ms), ratio {:.2}x (target <= 1.5x)",
        DELAY.as_millis(),
        best.as_secs_f64() * 1000.0,
        floor.as_millis(),
        DELAY.as_millis(),
        best.as_secs_f64() / floor.as_secs_f64()
    );
    println!(
        "  (queries include the NXDOMAIN canary; TLSA is validated only where records exist; \
         a sequential run costs about queries × {} ms = {} ms)",
        DELAY.as_millis(),
        queries * DELAY.as_millis() as usize
    );

    // The backend alone: many threads blocking at once on one `Dns`.
    let threads = 32;
    let names: String = (0..threads)
        .map(|i| format!("h{i}.par.test. A 192.0.2.{i}\n"))
        .collect();
    let par = FaultServer::start(&names, Fault::Delay(DELAY));
    let live = mailverdict::dns::Live::new(&[par.addr], Duration::from_secs(5), None)
        .expect("live backend");
    let dns = mailverdict::dns::Dns::new(Box::new(live));
    let started = Instant::now();
    std::thread::scope(|s| {
        for i in 0..threads {
            let dns = &dns;
            s.spawn(move || {
                let _ = dns.query(&format!("h{i}.par.test"), mailverdict::dns::RecordType::A);
            });
        }
    });
    println!(
        "live backend, {threads} threads x 1 distinct query, {} ms per answer: wall {:.0} ms \
         (floor {} ms, ratio {:.2}x)",
        DELAY.as_millis(),
        started.elapsed().as_secs_f64() * 1000.0,
        DELAY.as_millis(),
        started.elapsed().as_secs_f64() / DELAY.as_secs_f64()
    );

    let dead = FaultServer::start("", Fault::Drop);
    let dead_ns = dead.nameserver();
    let started = Instant::now();
    let r = run(
        &[
            "check",
            "--format",
            "json",
            "--timeout",
            "2",
            "--nameserver",
            &dead_ns,
            &msg,
        ],
        None,
    );
    println!(
        "dead resolver: check --timeout 2 took {:.2} s, exit {} (bound 2 x 2 + 1 = 5 s); {} \
         datagrams reached it",
        started.elapsed().as_secs_f64(),
        r.code,
        dead.queries()
    );
}
