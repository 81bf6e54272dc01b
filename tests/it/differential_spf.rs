//! Differential test: our SPF evaluator against pyspf (an independent implementation) on
//! generated policies, both querying the same real DNS server on loopback. Skipped with a note
//! when python3 with pyspf and dnspython is not installed (.ci/run installs them when it can).

use std::process::Command;

use crate::support::{DnsServer, Rng, note, peer_json_lines, run};

const DOMAINS: usize = 14;

fn term(rng: &mut Rng, own: usize) -> String {
    let k = rng.below(DOMAINS);
    let q = rng.pick(&["", "", "", "-", "~", "?", "+"]);
    let body = match rng.below(16) {
        0 => format!(
            "ip4:10.{}.0.0/{}",
            rng.below(DOMAINS),
            rng.pick(&["16", "24", "32", "8"])
        ),
        1 => format!("ip6:2001:db8:{:x}::/48", rng.below(DOMAINS)),
        2 => rng.pick(&["a", "a/24", "a//64"]).to_string(),
        3 => format!("a:d{k}.diff.test"),
        4 => rng.pick(&["mx", "mx/16"]).to_string(),
        5 => format!("mx:d{k}.diff.test"),
        6 if k > own => format!("include:d{k}.diff.test"),
        7 => "exists:%{i}.ex.diff.test".to_string(),
        8 => "exists:%{l}.users.diff.test".to_string(),
        9 => format!("include:missing{k}.diff.test"),
        10 => "a:%{d2}".to_string(),
        _ => format!("ip4:10.{}.{}.0/24", rng.below(DOMAINS), rng.below(3)),
    };
    format!("{q}{body}")
}

fn zone(rng: &mut Rng) -> String {
    let mut z = String::from("$ORIGIN diff.test.\n");
    for d in 0..DOMAINS {
        let mut terms: Vec<String> = (0..1 + rng.below(5)).map(|_| term(rng, d)).collect();
        match rng.below(10) {
            0 => terms.push(format!("redirect=d{}.diff.test", (d + 1) % DOMAINS)),
            1 => {}
            _ => terms.push(
                rng.pick(&["-all", "-all", "-all", "~all", "?all", "+all"])
                    .to_string(),
            ),
        }
        let record = format!("v=spf1 {}", terms.join(" "));
        match rng.below(14) {
            0 => {} // no SPF record at all
            1 => z.push_str(&format!(
                "d{d} TXT \"{record}\"\nd{d} TXT \"v=spf1 -all\"\n"
            )),
            2 => z.push_str(&format!(
                "d{d} TXT \"v=spf1 ip4:10.0.0.0/8 bogus:x -all\"\n"
            )),
            _ => z.push_str(&format!("d{d} TXT \"{record}\"\n")),
        }
        z.push_str(&format!("d{d} A 10.{d}.0.1\nd{d} AAAA 2001:db8:{d:x}::1\n"));
        if rng.below(3) > 0 {
            z.push_str(&format!(
                "d{d} MX 10 mx{d}.diff.test.\nmx{d} A 10.{d}.1.1\n"
            ));
        }
    }
    z.push_str("1.0.3.10.ex A 127.0.0.2\n1.1.5.10.ex A 127.0.0.2\nalice.users A 127.0.0.2\n");
    z.push_str("diff.test. A 10.9.9.9\n");
    z
}

fn pyspf_available() -> bool {
    Command::new("python3")
        .args(["-c", "import spf, dns.resolver"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn agrees_with_pyspf_on_generated_policies() {
    if !pyspf_available() {
        note(
            "SKIP: differential SPF test needs python3 with pyspf and dnspython (pip install pyspf dnspython)",
        );
        return;
    }
    let mut rng = Rng(0x005e_ed0f_5bf1);
    let zone_text = zone(&mut rng);
    let server = DnsServer::start(&zone_text);
    let mut cases = Vec::new();
    for _ in 0..240 {
        let d = rng.below(DOMAINS);
        let ip = match rng.below(6) {
            0 => format!("10.{}.0.1", rng.below(DOMAINS)),
            1 => format!("10.{}.1.1", rng.below(DOMAINS)),
            2 => format!("10.{}.{}.7", rng.below(DOMAINS), rng.below(4)),
            3 => format!("2001:db8:{:x}::1", rng.below(DOMAINS)),
            4 => "10.3.0.1".to_string(),
            _ => "192.0.2.1".to_string(),
        };
        let local = rng.pick(&["alice", "bob"]);
        cases.push((ip, format!("{local}@d{d}.diff.test")));
    }
    let input: String = cases
        .iter()
        .map(|(ip, sender)| {
            format!("{{\"ip\":\"{ip}\",\"sender\":\"{sender}\",\"helo\":\"mail.diff.test\"}}\n")
        })
        .collect();
    let theirs: Vec<String> = peer_json_lines("pyspf_eval.py", &server, &input, "pyspf")
        .iter()
        .map(|v| v["result"].as_str().unwrap_or("?").to_string())
        .collect();
    assert_eq!(theirs.len(), cases.len());
    let ns = server.nameserver();
    let mut disagreements = Vec::new();
    let mut seen = std::collections::BTreeMap::new();
    for ((ip, sender), expected) in cases.iter().zip(&theirs) {
        let r = run(
            &[
                "spf",
                "--format",
                "json",
                "--nameserver",
                &ns,
                "--ip",
                ip,
                "--mail-from",
                sender,
                "--helo",
                "mail.diff.test",
            ],
            None,
        );
        let v = r.json();
        let ours = v["result"].as_str().unwrap_or("?").to_string();
        *seen.entry(ours.clone()).or_insert(0) += 1;
        if &ours != expected {
            disagreements.push(format!(
                "{sender} from {ip}: ours {ours} ({}), pyspf {expected}",
                v["reason"]
            ));
        }
    }
    for d in &disagreements {
        note(&format!("SPF differential: {d}"));
    }
    note(&format!(
        "SPF differential vs pyspf: {}/{} agree over {DOMAINS} generated policies (results seen: {seen:?})",
        cases.len() - disagreements.len(),
        cases.len()
    ));
    assert!(
        seen.len() >= 4,
        "the corpus should exercise several results: {seen:?}"
    );
    assert!(
        disagreements.is_empty(),
        "{} disagreements with pyspf",
        disagreements.len()
    );
}
