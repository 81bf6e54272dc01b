//! Differential test: our RFC 9989 DMARC discovery and record parsing (through `mailverdict
//! domain`) against checkdmarc (>= 5.16, an independent RFC 9989 implementation), both asking
//! the same real DNS server on loopback about generated zones. Skipped with a note when
//! python3 with checkdmarc is not installed (.ci/run installs it when it can).
//!
//! Known, documented differences (README "DMARC"): checkdmarc raises where RFC 9989 discards
//! and goes on (several records at one name; invalid p/sp/np/t/psd/fo values; duplicate tags).
//! Those cases are compared as "checkdmarc errors ⟺ we flag the same defect".

use std::process::Command;

use serde_json::Value;

use crate::support::{DnsServer, Rng, note, peer_json_lines, run};

const ORGS: usize = 6;

const RECORDS: &[&str] = &[
    "v=DMARC1; p=reject",
    "v=DMARC1; p=quarantine; sp=none",
    "v=DMARC1; p=none; rua=mailto:d@diff.test",
    "v=DMARC1; p=reject; psd=n",
    "v=DMARC1; p=quarantine; psd=y",
    "v=DMARC1; p=reject; np=quarantine; adkim=s",
    "v=DMARC1; p=none; t=y; aspf=s",
    "v=DMARC1",
    "v=DMARC1; p=reject; pct=50",
    "v=DMARC1; p=rejected",
    "v=DMARC1; p=reject; sp=bogus",
    "v=DMARC1; p=reject; adkim=x",
    "v=DMARC1; sp=reject; np=none",
    "v=DMARC1; p=quarantine; foo=bar",
];

fn zone(rng: &mut Rng) -> (String, Vec<String>) {
    let mut z = String::new();
    let mut starts = Vec::new();
    if rng.below(3) == 0 {
        z.push_str("_dmarc.diff.test. TXT \"v=DMARC1; p=reject; psd=y\"\n");
    }
    for o in 0..ORGS {
        let org = format!("org{o}.diff.test");
        let labels = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
        let depth = rng.below(labels.len());
        let mut names = vec![org.clone()];
        for l in labels.iter().take(depth).rev() {
            let below = format!("{l}.{}", names.last().cloned().unwrap_or_default());
            names.push(below);
        }
        for n in &names {
            z.push_str(&format!("{n}. A 192.0.2.1\n"));
            match rng.below(5) {
                0 | 1 => {}
                2 => z.push_str(&format!(
                    "_dmarc.{n}. TXT \"{}\"\n_dmarc.{n}. TXT \"v=DMARC1; p=none\"\n",
                    rng.pick(RECORDS)
                )),
                _ => z.push_str(&format!("_dmarc.{n}. TXT \"{}\"\n", rng.pick(RECORDS))),
            }
        }
        starts.extend(names);
    }
    (z, starts)
}

fn checkdmarc_available() -> bool {
    Command::new("python3")
        .args(["-c", "import checkdmarc, sys; v = tuple(int(x) for x in checkdmarc.__version__.split('.')[:2]); sys.exit(0 if v >= (5, 16) else 1)"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn theirs(server: &DnsServer, domains: &[String]) -> Vec<Value> {
    peer_json_lines(
        "checkdmarc_discover.py",
        server,
        &domains.join("\n"),
        "checkdmarc",
    )
}

fn word(v: &Value, default: &str) -> String {
    v.as_str().unwrap_or(default).to_string()
}

/// For generated trees of names with records at random levels (psd=y/n, several records,
/// defective tags), both implementations find the same record at the same place and read
/// the same p/sp/np/adkim/aspf/t/psd; where checkdmarc raises, we flag that defect.
#[test]
fn agrees_with_checkdmarc_on_generated_trees() {
    if !checkdmarc_available() {
        note(
            "SKIP: differential DMARC test needs python3 with checkdmarc >= 5.16 (pip install checkdmarc)",
        );
        return;
    }
    let mut compared = 0;
    for seed in 0..6u64 {
        let mut rng = Rng(0x0d3a_7c00 + seed);
        let (zone_text, domains) = zone(&mut rng);
        let server = DnsServer::start(&zone_text);
        let ns = server.nameserver();
        let mut args = vec![
            "domain",
            "--format",
            "json",
            "--nameserver",
            &ns,
            "--timeout",
            "5",
        ];
        args.extend(domains.iter().map(String::as_str));
        let ours = run(&args, None);
        let ours = ours.json();
        let theirs = theirs(&server, &domains);
        assert_eq!(theirs.len(), domains.len());
        for (i, t) in theirs.iter().enumerate() {
            let d = &ours["domains"][i]["dmarc"];
            let context = format!("{}\nzone:\n{zone_text}\nours: {d}\ntheirs: {t}", domains[i]);
            let steps = d["discovery"].as_array().cloned().unwrap_or_default();
            // checkdmarc stops at the author domain's own record; we walk on for the
            // Organizational Domain, so only a walk it also made can meet several records.
            let multiple =
                d["policy_source"] != "author" && steps.iter().any(|s| s["answer"] == "multiple");
            match t["error"].as_str() {
                Some("MultipleDMARCRecords") => assert!(multiple, "{context}"),
                Some("DMARCRecordNotFound") => {
                    assert!(d["policy_domain"].is_null(), "{context}");
                    assert!(!multiple, "{context}");
                }
                Some("InvalidDMARCTagValue") => {
                    let notes = ours["domains"][i]["findings"].to_string();
                    assert!(
                        !multiple
                            && (notes.contains("is not valid")
                                || notes.contains("is not none, quarantine or reject")),
                        "{context}"
                    );
                }
                Some(other) => panic!("unexpected checkdmarc error {other}: {context}"),
                None => {
                    assert!(!multiple, "{context}");
                    assert_eq!(d["policy_domain"], t["location"], "{context}");
                    assert_eq!(d["record"], t["record"], "{context}");
                    let tags = &t["tags"];
                    let p = word(&d["policy"], "none");
                    let sp = word(&d["subdomain_policy"], &p);
                    let np = word(&d["nonexistent_policy"], &sp);
                    assert_eq!(word(&tags["p"], "?"), p, "p: {context}");
                    assert_eq!(word(&tags["sp"], "?"), sp, "sp: {context}");
                    assert_eq!(word(&tags["np"], "?"), np, "np: {context}");
                    assert_eq!(
                        word(&tags["adkim"], "?"),
                        word(&d["adkim"], "r"),
                        "{context}"
                    );
                    assert_eq!(word(&tags["aspf"], "?"), word(&d["aspf"], "r"), "{context}");
                    let t_tag = if d["testing"] == true { "y" } else { "n" };
                    assert_eq!(word(&tags["t"], "?"), t_tag, "t: {context}");
                    assert_eq!(
                        word(&tags["psd"], "?"),
                        word(&d["psd"], "u"),
                        "psd: {context}"
                    );
                    compared += 1;
                }
            }
        }
    }
    assert!(compared >= 20, "too few clean comparisons ({compared})");
    note(&format!(
        "differential DMARC: {compared} domains compared field by field with checkdmarc"
    ));
}
