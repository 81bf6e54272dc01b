//! The OpenSPF RFC 7208 and RFC 4408 suites through `mailverdict spf`, each scenario's zone
//! data served by zone replay (converted with the upstream driver's rules, see
//! testdata/conformance/README.md).

use std::collections::BTreeSet;

use mailverdict::dns::Rdata;
use mailverdict::dns::escape_name;
use serde_yaml_ng::Value;

use crate::support::{conformance, note, run, temp_dir, write_file};

/// Types a TIMEOUT marker makes time out (unless listed before it).
const TYPES: [&str; 8] = ["A", "AAAA", "MX", "TXT", "PTR", "CNAME", "SPF", "NS"];

fn strings(v: &Value) -> Vec<Vec<u8>> {
    match v {
        Value::String(s) => vec![s.as_bytes().to_vec()],
        Value::Sequence(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(|s| s.as_bytes().to_vec())
            .collect(),
        _ => Vec::new(),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => serde_yaml_ng::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}

/// One scenario's `zonedata` as a zone file.
fn zone_text(zonedata: &Value) -> String {
    let mut out = String::new();
    let Some(map) = zonedata.as_mapping() else {
        return out;
    };
    for (owner, items) in map {
        let owner = scalar(owner);
        let owner = owner.trim_end_matches('.');
        let name = format!("{}.", escape_name(owner));
        let items = items.as_sequence().cloned().unwrap_or_default();
        let has_txt = items
            .iter()
            .any(|i| i.as_mapping().is_some_and(|m| m.contains_key("TXT")));
        let mut before_timeout: BTreeSet<String> = BTreeSet::new();
        let mut timeout = false;
        let mut spf_copies = Vec::new();
        for item in &items {
            if item.as_str() == Some("TIMEOUT") {
                timeout = true;
                break;
            }
            let Some((rtype, value)) = item.as_mapping().and_then(|m| m.iter().next()) else {
                continue;
            };
            let rtype = scalar(rtype).to_ascii_uppercase();
            if rtype == "TXT" && value.as_str() == Some("NONE") {
                continue;
            }
            before_timeout.insert(rtype.clone());
            let rdata = match rtype.as_str() {
                "TXT" => Rdata::Txt(strings(value)).to_string(),
                "SPF" => {
                    let d = Rdata::Txt(strings(value)).to_string();
                    if !has_txt {
                        spf_copies.push(d.clone());
                    }
                    d
                }
                "MX" => {
                    let pair = value.as_sequence().cloned().unwrap_or_default();
                    let pref = pair.first().map(scalar).unwrap_or_default();
                    let host = pair.get(1).map(scalar).unwrap_or_default();
                    format!("{pref} {}.", escape_name(host.trim_end_matches('.')))
                }
                "PTR" | "CNAME" | "NS" => {
                    format!("{}.", escape_name(scalar(value).trim_end_matches('.')))
                }
                _ => scalar(value),
            };
            out.push_str(&format!("{name} 300 IN {rtype} {rdata}\n"));
        }
        for copy in spf_copies {
            out.push_str(&format!("{name} 300 IN TXT {copy}\n"));
        }
        if timeout {
            for t in TYPES.iter().filter(|t| !before_timeout.contains(**t)) {
                out.push_str(&format!(";! {name} {t} TIMEOUT\n"));
            }
        }
    }
    out
}

struct Tally {
    passed: usize,
    total: usize,
    failures: Vec<String>,
}

fn run_suite(file: &str) -> Option<Tally> {
    let dir = conformance("spf");
    let yaml = std::fs::read_to_string(dir.join(file)).expect("suite file");
    let tmp = temp_dir("spfsuite");
    let mut tally = Tally {
        passed: 0,
        total: 0,
        failures: Vec::new(),
    };
    for (n, doc) in serde_yaml_ng::Deserializer::from_str(&yaml).enumerate() {
        let scenario: Value = serde::Deserialize::deserialize(doc).expect("scenario");
        let Some(tests) = scenario.get("tests").and_then(Value::as_mapping) else {
            continue;
        };
        let zone = write_file(
            &tmp,
            &format!("zone{n}.db"),
            zone_text(&scenario["zonedata"]).as_bytes(),
        );
        for (name, test) in tests {
            let name = scalar(name);
            tally.total += 1;
            let host = scalar(&test["host"]);
            let helo = scalar(&test["helo"]);
            let mailfrom = scalar(&test["mailfrom"]);
            let expected: Vec<String> = match &test["result"] {
                Value::Sequence(s) => s.iter().map(scalar).collect(),
                v => vec![scalar(v)],
            };
            let r = run(
                &[
                    "spf",
                    "--format",
                    "json",
                    "--dns-zone",
                    &zone,
                    "--timeout",
                    "1",
                    "--ip",
                    &host,
                    "--helo",
                    &helo,
                    "--mail-from",
                    &mailfrom,
                ],
                None,
            );
            let v = r.json();
            let got = v["result"].as_str().unwrap_or("?").to_string();
            let mut ok = expected.contains(&got);
            if ok && let Some(exp) = test.get("explanation").map(scalar) {
                let ours = v["explanation"].as_str();
                ok = if exp == "DEFAULT" {
                    ours.is_none()
                } else {
                    ours == Some(exp.as_str())
                };
                if !ok {
                    tally.failures.push(format!(
                        "{file} {name}: explanation {ours:?}, expected {exp:?}"
                    ));
                    continue;
                }
            }
            if ok {
                tally.passed += 1;
            } else {
                tally.failures.push(format!(
                    "{file} {name}: got {got} ({}), expected {expected:?}",
                    v["reason"]
                ));
            }
        }
    }
    for f in &tally.failures {
        note(&format!("SPF suite mismatch: {f}"));
    }
    Some(tally)
}

#[test]
fn openspf_rfc7208_suite() {
    let Some(t) = run_suite("rfc7208-tests.yml") else {
        return;
    };
    note(&format!(
        "OpenSPF RFC 7208 suite: {}/{} pass",
        t.passed, t.total
    ));
    assert_eq!(t.total, 203);
    assert!(
        t.failures.is_empty(),
        "{} RFC 7208 tests failed",
        t.failures.len()
    );
}

#[test]
fn openspf_rfc4408_suite() {
    let Some(t) = run_suite("rfc4408-tests.yml") else {
        return;
    };
    note(&format!(
        "OpenSPF RFC 4408 suite: {}/{} pass",
        t.passed, t.total
    ));
    assert_eq!(t.total, 191);
    assert!(
        t.passed >= t.total - crate::conformance_spf::RFC4408_BY_DESIGN.len(),
        "see README for by-design differences"
    );
}

/// RFC 4408 tests whose expectations RFC 7208 changed (listed in README).
pub const RFC4408_BY_DESIGN: &[&str] = &[];
