//! Embed mailverdict without its command line: verify one message against zone files (or live
//! DNS when none are given) and print the verdict, each DKIM signature and the SPF result.
//!
//!     cargo run --example verify -- testdata/demo/signed.eml testdata/demo/zone.db

#![allow(clippy::print_stdout, clippy::print_stderr)] // an example program: its edge prints

use std::process::ExitCode;

use mailverdict::dns::{Dns, Live, Resolve, Zone};
use mailverdict::{AuthResult, CheckOptions, Clock, check_message, report};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(message) = args.next() else {
        eprintln!("usage: verify MESSAGE.eml [ZONE-FILE...]");
        return ExitCode::from(2);
    };
    let zones: Vec<std::path::PathBuf> = args.map(Into::into).collect();
    let backend: Box<dyn Resolve> = if zones.is_empty() {
        match Live::new(&[], std::time::Duration::from_secs(5), None) {
            Ok(live) => Box::new(live),
            Err(e) => {
                eprintln!("verify: {e}");
                return ExitCode::from(75);
            }
        }
    } else {
        match Zone::from_files(&zones) {
            Ok(zone) => Box::new(zone),
            Err(e) => {
                eprintln!("verify: {e}");
                return ExitCode::from(66);
            }
        }
    };
    let dns = Dns::new(backend);
    let bytes = match std::fs::read(&message) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("verify: cannot open {message}: {e}");
            return ExitCode::from(66);
        }
    };
    let mut opts = CheckOptions::new(Clock::system(None));
    opts.receiver = "mx.example.org".into();
    let report = match check_message(&bytes, &dns, &opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("verify: {message} is not a message: {e}");
            return ExitCode::from(65);
        }
    };
    println!(
        "{}: {}",
        report.verdict.result.word(),
        report.verdict.summary
    );
    for sig in &report.dkim {
        println!(
            "  dkim d={} s={}: {} ({})",
            sig.domain.as_deref().unwrap_or("?"),
            sig.selector.as_deref().unwrap_or("?"),
            sig.result.word(),
            sig.reason
        );
    }
    println!(
        "  spf: {} ({})",
        report.spf.result.word(),
        report.spf.reason
    );
    // The same report, as the header `filter` writes.
    print!(
        "{}",
        report::arh::header("mx.example.org", &report::arh::clauses(&report), "\n")
    );
    if report.verdict.result == AuthResult::Pass {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
