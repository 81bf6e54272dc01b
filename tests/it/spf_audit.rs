//! The domain audit and `mailverdict spf` walk SPF records with one evaluator: on generated
//! include/redirect trees (shared includes, redirects beside `all`, terms after `all`, void
//! names, trees over the limit, `+all` deep in an include) they agree on lookups, void
//! lookups, the breaking term, and whether anyone passes.

use crate::support::{Rng, run, temp_dir, write_file};

/// A random tree of records under `t.test`: record `r0` is the domain's.
fn tree(rng: &mut Rng, n: usize) -> String {
    let mut zone = String::from("$ORIGIN t.test.\n@ TXT \"v=spf1 include:r0.t.test -all\"\n");
    for i in 0..n {
        let mut terms = Vec::new();
        for _ in 0..rng.below(4) + 1 {
            let j = rng.below(n);
            terms.push(match rng.below(8) {
                // Only forward includes, so the tree has no loop but may share records.
                0..=2 if j > i => format!("include:r{j}.t.test"),
                3 => format!("a:gone{}.t.test", rng.below(3)),
                4 => "mx:t.test".to_string(),
                5 => format!("exists:gone{}.t.test", rng.below(3)),
                6 => "ip4:192.0.2.0/24".to_string(),
                _ => format!("a:host{}.t.test", rng.below(2)),
            });
        }
        match rng.below(5) {
            0 => terms.push("-all".into()),
            // Anyone passes through the include (or redirect) that reaches it.
            3 if rng.below(3) == 0 => terms.push("+all".into()),
            1 if i + 1 < n => terms.push(format!("redirect=r{}.t.test", i + 1)),
            2 if i + 1 < n => {
                // redirect= beside all: never evaluated (RFC 7208 §6.1).
                terms.push("~all".into());
                terms.push(format!("redirect=r{}.t.test", i + 1));
            }
            _ => {}
        }
        zone.push_str(&format!("r{i} TXT \"v=spf1 {}\"\n", terms.join(" ")));
    }
    zone.push_str("host0 A 198.51.100.1\nhost1 A 198.51.100.2\n@ MX 10 host0.t.test.\n");
    zone
}

/// 40 generated trees: where no error stops a receiver, the audit counts exactly what `spf`
/// counts; over the limit, both name the same breaking term.
#[test]
fn audit_and_evaluator_agree_on_generated_trees() {
    let dir = temp_dir("spf-audit");
    let mut rng = Rng(0x5eed_5bf0);
    let mut over = 0;
    let mut passes = 0;
    for case in 0..40 {
        let zone = write_file(&dir, &format!("z{case}.db"), tree(&mut rng, 6).as_bytes());
        let spf = run(
            &[
                "spf",
                "--format",
                "json",
                "--dns-zone",
                &zone,
                "--ip",
                "203.0.113.99",
                "--domain",
                "t.test",
            ],
            None,
        )
        .json();
        let audit = run(
            &[
                "domain",
                "--format",
                "json",
                "--no-https",
                "--dns-zone",
                &zone,
                "t.test",
            ],
            None,
        )
        .json();
        let section = &audit["domains"][0]["spf"];
        // The client matches no address term, so only a reachable +all lets it pass: the
        // audit must say so exactly when the evaluator passes it.
        let plus_all = audit["findings"]
            .as_array()
            .is_some_and(|l| l.iter().any(|f| f["id"] == "spf.plus-all"));
        if spf["result"] == "pass" {
            passes += 1;
            assert!(
                plus_all,
                "case {case}: spf passes, the audit has no spf.plus-all"
            );
        } else if spf["result"] != "permerror" && spf["result"] != "temperror" {
            assert!(
                !plus_all,
                "case {case}: spf.plus-all but spf says {}",
                spf["result"]
            );
        }
        let reason = spf["reason"].as_str().unwrap_or_default();
        let lookups = spf["lookups"].as_u64().unwrap_or(0);
        let audit_lookups = section["total_lookups"].as_u64().unwrap_or(0);
        let voids = section["void_names"].as_array().map_or(0, Vec::len) as u64;
        if reason.contains("DNS lookups (limit 10)") {
            over += 1;
            let at = section["over_limit_at"].as_str().unwrap_or("?");
            assert!(
                reason.contains(&format!("over the limit at {at}")),
                "case {case}: {reason} vs {at}"
            );
            assert!(
                audit_lookups > 10 && lookups == 11,
                "case {case}: {lookups} vs {audit_lookups}"
            );
        } else if spf["result"] != "permerror" {
            // No error stopped the receiver early: the same walk, the same counts.
            assert_eq!(audit_lookups, lookups, "case {case}: lookups; {reason}");
            assert_eq!(
                voids,
                spf["void_lookups"].as_u64().unwrap_or(0),
                "case {case}: voids"
            );
            assert!(section["over_limit_at"].is_null(), "case {case}");
        } else {
            // The receiver stopped at an error (void limit, say): the audit walked past it
            // and counted at least as much.
            assert!(
                audit_lookups >= lookups,
                "case {case}: {lookups} vs {audit_lookups}"
            );
        }
    }
    assert!(over > 0, "the generator made no tree over the limit");
    assert!(
        passes > 0,
        "the generator made no tree that passes everyone"
    );
}
