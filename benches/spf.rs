// A benchmark is a program whose job is to print its figures.
#![allow(clippy::print_stdout)]

//! SPF evaluations per second on a 5-include policy served by zone replay.
//! Run: `cargo bench --bench spf`. Prints figures; asserts nothing about speed.

use std::sync::Arc;
use std::time::Instant;

use mailverdict::AuthResult;
use mailverdict::dns::Dns;
use mailverdict::dns::Zone;
use mailverdict::{SpfRequest, evaluate_spf as evaluate};

fn main() {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/spf/zone.db");
    let zone = Arc::new(Zone::from_files(&[path]).expect("bench zone parses"));
    let request = |ip: &str| SpfRequest {
        ip: ip.parse().expect("ip"),
        mail_from: "alice@five.spf.test".into(),
        helo: "mail.example.org".into(),
        helo_scope: false,
        domain: None,
        now: 0,
        receiver: "bench".into(),
    };
    // The client matches nothing, so all five includes are evaluated (6 records, 5 lookups).
    let fail = request("192.0.2.1");
    assert_eq!(
        evaluate(&Dns::new(Box::new(zone.clone())), &fail).result,
        AuthResult::Fail
    );

    let runs = 200_000u32;
    let fresh = Instant::now();
    for _ in 0..runs {
        // A new per-message cache every time: every record is looked up and parsed again.
        let dns = Dns::new(Box::new(zone.clone()));
        std::hint::black_box(evaluate(&dns, &fail));
    }
    let fresh = fresh.elapsed();

    let shared = Dns::new(Box::new(zone.clone()));
    let warm = Instant::now();
    for _ in 0..runs {
        std::hint::black_box(evaluate(&shared, &fail));
    }
    let warm = warm.elapsed();

    let per_sec = |d: std::time::Duration| f64::from(runs) / d.as_secs_f64();
    println!(
        "SPF check_host() on a 5-include policy (all includes evaluated, result fail), {runs} runs:"
    );
    println!(
        "  fresh cache per evaluation: {:>10.0} evaluations/s ({:.2} µs each)",
        per_sec(fresh),
        fresh.as_secs_f64() * 1e6 / f64::from(runs)
    );
    println!(
        "  shared run cache:           {:>10.0} evaluations/s ({:.2} µs each)",
        per_sec(warm),
        warm.as_secs_f64() * 1e6 / f64::from(runs)
    );
}
