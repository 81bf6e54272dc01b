// A benchmark is a program whose job is to print its figures.
#![allow(clippy::print_stdout)]

//! Zone-file loading scaling: 10^4 and 10^5 records under one owner (the case that was
//! quadratic: a `contains` over the owner's list per insert) and under distinct owners.
//! Prints seconds and the 10^5 / 10^4 ratio (linear ≈ 10, quadratic ≈ 100).
//! Run: `cargo bench --bench zone`.

use std::fmt::Write;
use std::time::Instant;

use mailverdict::dns::Zone;

fn load(text: &str) -> f64 {
    let started = Instant::now();
    let mut zone = Zone::default();
    zone.add_text(text).expect("bench zone parses");
    started.elapsed().as_secs_f64()
}

fn main() {
    for (label, owner) in [("one owner", false), ("distinct owners", true)] {
        let mut times = Vec::new();
        for n in [10_000usize, 100_000] {
            let mut text = String::with_capacity(n * 40);
            for i in 0..n {
                let name = if owner { format!("h{i}") } else { "h".into() };
                let _ = writeln!(
                    text,
                    "{name}.bench.test. A 10.{}.{}.{}",
                    i >> 16,
                    (i >> 8) & 255,
                    i & 255
                );
            }
            let secs = load(&text);
            println!("zone insert, {label}: {n} records in {secs:.3} s");
            times.push(secs);
        }
        println!(
            "zone insert, {label}: 10^5 / 10^4 = {:.1}x (linear ~10x, quadratic ~100x)",
            times[1] / times[0]
        );
    }
}
