//! The ValiMail ARC validation suite (171 tests) and mail-auth's two real ARC messages, each
//! run through the binary with the suite's TXT records served by zone replay.

use std::collections::BTreeMap;

use crate::support::{conformance, note, run, temp_dir, txt_rdata, write_file};

#[derive(serde::Deserialize)]
struct Scenario {
    description: String,
    tests: BTreeMap<String, Test>,
    #[serde(rename = "txt-records", default)]
    txt_records: BTreeMap<String, String>,
}

#[derive(serde::Deserialize)]
struct Test {
    message: String,
    cv: String,
}

fn zone_of(records: &BTreeMap<String, String>) -> String {
    records
        .iter()
        .map(|(owner, text)| format!("{owner}. IN TXT {}\n", txt_rdata(text)))
        .collect()
}

#[test]
fn arc_validation_suite() {
    let Some(dir) = conformance("arc") else {
        return;
    };
    let yaml = std::fs::read_to_string(dir.join("arc-draft-validation-tests.yml")).expect("suite");
    let tmp = temp_dir("arcsuite");
    let (mut passed, mut total, mut failures) = (0, 0, Vec::new());
    for (n, doc) in serde_yaml_ng::Deserializer::from_str(&yaml).enumerate() {
        let scenario: Scenario = serde::Deserialize::deserialize(doc).expect("scenario");
        let zone = write_file(
            &tmp,
            &format!("zone{n}.db"),
            zone_of(&scenario.txt_records).as_bytes(),
        );
        for (name, test) in &scenario.tests {
            total += 1;
            // "" marks chains a previous hop already sealed with cv=fail (see the suite notes).
            let expected = match test.cv.trim().to_ascii_lowercase().as_str() {
                "" => "fail".to_string(),
                other => other.to_string(),
            };
            let file = write_file(
                &tmp,
                &format!("{name}.eml"),
                test.message.replace('\n', "\r\n").as_bytes(),
            );
            let r = run(
                &[
                    "check",
                    "--format",
                    "json",
                    "--dns-zone",
                    &zone,
                    "--ip",
                    "192.0.2.1",
                    &file,
                ],
                None,
            );
            let got = if r.code == 65 {
                // No header at all: not a message, so certainly no ARC sets.
                "none".to_string()
            } else {
                r.json()["arc"]["result"]
                    .as_str()
                    .unwrap_or("?")
                    .to_string()
            };
            if got == expected {
                passed += 1;
            } else {
                let reason = if r.code == 65 {
                    r.stderr.clone()
                } else {
                    r.json()["arc"]["reason"].to_string()
                };
                failures.push(format!(
                    "{} / {name}: expected {expected}, got {got} ({reason})",
                    scenario.description
                ));
            }
        }
    }
    for f in &failures {
        note(&format!("ARC suite mismatch: {f}"));
    }
    note(&format!("ARC validation suite: {passed}/{total} pass"));
    assert_eq!(total, 171);
    assert!(failures.is_empty(), "{} ARC tests failed", failures.len());
}

/// Real-world chains (Gmail RSA; Ed25519 + RSA with t=s keys): ARC pass and DKIM as dkimpy says.
#[test]
fn arc_real_world_samples() {
    let Some(dir) = conformance("arc/mail-auth") else {
        return;
    };
    let tmp = temp_dir("arcsamples");
    for (file, dkim_expect) in [
        ("001.txt", vec!["pass", "pass", "fail"]),
        ("002.txt", vec!["pass"]),
    ] {
        let text = std::fs::read_to_string(dir.join(file)).expect("sample");
        let (dns, message) = text.split_once("\n\n").expect("DNS part and message");
        let zone: String = dns
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(owner, rec)| format!("{owner}. IN TXT {}\n", txt_rdata(rec)))
            .collect();
        let zone_file = write_file(&tmp, &format!("{file}.db"), zone.as_bytes());
        let msg_file = write_file(
            &tmp,
            &format!("{file}.eml"),
            message.replace('\n', "\r\n").as_bytes(),
        );
        let r = run(
            &[
                "check",
                "--format",
                "json",
                "--dns-zone",
                &zone_file,
                "--ip",
                "192.0.2.1",
                &msg_file,
            ],
            None,
        );
        let v = r.json();
        assert_eq!(v["arc"]["result"], "pass", "{file}: {}", v["arc"]);
        let mut got: Vec<String> = v["dkim"]
            .as_array()
            .expect("list")
            .iter()
            .map(|d| d["result"].as_str().unwrap_or("?").to_string())
            .collect();
        let mut want: Vec<String> = dkim_expect.iter().map(|s| s.to_string()).collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{file}: {}", v["dkim"]);
    }
}

/// Expected result, failing instance, failing part, oldest-pass.
type Where = (&'static str, Option<u64>, Option<&'static str>, Option<u64>);

/// Which instance and which part failed, and oldest-pass, on chosen suite messages.
#[test]
fn arc_failure_location_and_oldest_pass() {
    let Some(dir) = conformance("arc") else {
        return;
    };
    let yaml = std::fs::read_to_string(dir.join("arc-draft-validation-tests.yml")).expect("suite");
    let tmp = temp_dir("arcwhere");
    let wanted: BTreeMap<&str, Where> = [
        ("cv_pass_i2_1_ams1_invalid", ("pass", None, None, Some(2))),
        ("cv_pass_i3_1", ("pass", None, None, Some(1))),
        (
            "cv_fail_i2_as1_invalid",
            ("fail", Some(1), Some("as"), None),
        ),
        (
            "cv_fail_i2_ams_invalid",
            ("fail", Some(2), Some("ams"), None),
        ),
        ("cv_fail_i1_as_pass", ("fail", Some(1), Some("as"), None)),
        ("ams_struct_dup", ("fail", Some(1), Some("ams"), None)),
    ]
    .into_iter()
    .collect();
    let mut checked = 0;
    for (n, doc) in serde_yaml_ng::Deserializer::from_str(&yaml).enumerate() {
        let scenario: Scenario = serde::Deserialize::deserialize(doc).expect("scenario");
        let zone = write_file(
            &tmp,
            &format!("zone{n}.db"),
            zone_of(&scenario.txt_records).as_bytes(),
        );
        for (name, test) in &scenario.tests {
            let Some((result, instance, part, oldest)) = wanted.get(name.as_str()) else {
                continue;
            };
            let file = write_file(
                &tmp,
                &format!("{name}.eml"),
                test.message.replace('\n', "\r\n").as_bytes(),
            );
            let r = run(
                &[
                    "check",
                    "--format",
                    "json",
                    "--dns-zone",
                    &zone,
                    "--ip",
                    "192.0.2.1",
                    &file,
                ],
                None,
            );
            let arc = &r.json()["arc"];
            assert_eq!(arc["result"], *result, "{name}: {arc}");
            assert_eq!(arc["failing_instance"].as_u64(), *instance, "{name}: {arc}");
            assert_eq!(arc["failing_part"].as_str(), *part, "{name}: {arc}");
            assert_eq!(arc["oldest_pass"].as_u64(), *oldest, "{name}: {arc}");
            checked += 1;
        }
    }
    assert_eq!(checked, wanted.len());
}
