// A benchmark is a program whose job is to print its figures.
#![allow(clippy::print_stdout)]

//! Time against input size, 10^5 to 10^6 elements, for the loops that read attacker-sized
//! lists: tag lists (DKIM-Signature, key records, DMARC), the filter's Authentication-Results
//! renaming over a header of N fields, and a whole `check` of a message whose DKIM-Signature
//! carries N tags. Linear loops show a flat time per element; bounded ones a flat total.
//! Run: `cargo bench --bench scaling`. Prints figures; asserts nothing about speed.

use std::time::{Duration, Instant};

use mailverdict::dns::{Dns, Zone};
use mailverdict::parse::{TagList, rename_our_fields};
use mailverdict::{CheckOptions, Clock, check_message};

const SIZES: [usize; 4] = [100_000, 200_000, 500_000, 1_000_000];

/// The best of `runs` timings of `f` (the least disturbed by other work on the machine).
fn best(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn per(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1e9 / n as f64
}

fn tag_lists() {
    println!(
        "TagList::parse (refused past 64 KiB / 100 tags; the duplicate check scans at most 100 names):"
    );
    for n in [10, 50, 100] {
        let text: String = (0..n).map(|i| format!("t{i}=v;")).collect();
        let d = best(200, || {
            let _ = std::hint::black_box(TagList::parse(&text));
        });
        println!(
            "  {n:>9} tags ({:>9} octets): {:>10.1} µs",
            text.len(),
            d.as_secs_f64() * 1e6
        );
    }
    for n in SIZES {
        let text: String = (0..n).map(|i| format!("t{i}=v;")).collect();
        let d = best(5, || {
            let _ = std::hint::black_box(TagList::parse(&text));
        });
        println!(
            "  {n:>9} tags ({:>9} octets): {:>10.0} ns (refused by its size)",
            text.len(),
            d.as_secs_f64() * 1e9
        );
    }
}

fn renaming() {
    println!("filter renaming over a header of N fields (every 10th an A-R claiming our id):");
    for n in SIZES {
        let mut msg = Vec::with_capacity(n * 48);
        for i in 0..n {
            if i % 10 == 0 {
                msg.extend_from_slice(b"Authentication-Results: mx.ours.test; spf=pass\r\n");
            } else {
                msg.extend_from_slice(format!("X-Field-{i}: value {i}\r\n").as_bytes());
            }
        }
        msg.extend_from_slice(b"From: a@example.com\r\n\r\nbody\r\n");
        let d = best(3, || {
            let _ = std::hint::black_box(rename_our_fields(&msg, "mx.ours.test"));
        });
        println!(
            "  {n:>9} fields ({:>5.1} MB): {:>8.1} ms  {:>6.0} ns/field",
            msg.len() as f64 / 1e6,
            d.as_secs_f64() * 1e3,
            per(d, n)
        );
    }
}

fn whole_check() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let zone = Zone::from_files(&[root.join("testdata/dkim/zone.db")]).expect("zone parses");
    let dns = Dns::new(Box::new(zone));
    let original = std::fs::read(root.join("testdata/demo/signed.eml")).expect("fixture");
    let opts = CheckOptions::new(Clock::system(None));
    println!("check_message, demo message plus a DKIM-Signature of N tags:");
    for n in SIZES {
        let tags: String = (0..n).map(|i| format!("x{i}=1; ")).collect();
        let field = format!(
            "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel1; {tags}h=from; bh=AA; b=AA\r\n"
        );
        let msg = [field.as_bytes(), &original].concat();
        let d = best(3, || {
            let _ = std::hint::black_box(check_message(&msg, &dns, &opts));
        });
        println!(
            "  {n:>9} tags ({:>5.1} MB): {:>8.1} ms  {:>6.1} ns/octet",
            msg.len() as f64 / 1e6,
            d.as_secs_f64() * 1e3,
            per(d, msg.len())
        );
    }
}

fn main() {
    tag_lists();
    renaming();
    whole_check();
}
