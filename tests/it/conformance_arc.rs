//! The ValiMail ARC validation suite (171 tests) and mail-auth's two real ARC messages, each
//! run through the binary with the suite's TXT records served by zone replay.

use std::collections::BTreeMap;

use crate::support::{conformance, mail_auth_sample, note, run, temp_dir, txt_rdata, write_file};

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

/// One suite test run through the binary.
struct Case {
    scenario: String,
    name: String,
    cv: String,
    run: crate::support::Run,
}

/// Run the validation-suite tests whose names `take` accepts, each through `check --format
/// json` with its scenario's TXT records served by zone replay.
fn run_suite(tag: &str, take: impl Fn(&str) -> bool) -> Option<Vec<Case>> {
    let dir = conformance("arc");
    let yaml = std::fs::read_to_string(dir.join("arc-draft-validation-tests.yml")).expect("suite");
    let tmp = temp_dir(tag);
    let mut out = Vec::new();
    for (n, doc) in serde_yaml_ng::Deserializer::from_str(&yaml).enumerate() {
        let scenario: Scenario = serde::Deserialize::deserialize(doc).expect("scenario");
        let zone = write_file(
            &tmp,
            &format!("zone{n}.db"),
            zone_of(&scenario.txt_records).as_bytes(),
        );
        for (name, test) in scenario.tests.iter().filter(|(name, _)| take(name)) {
            let file = write_file(
                &tmp,
                &format!("{name}.eml"),
                test.message.replace('\n', "\r\n").as_bytes(),
            );
            let run = run(
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
            out.push(Case {
                scenario: scenario.description.clone(),
                name: name.clone(),
                cv: test.cv.clone(),
                run,
            });
        }
    }
    Some(out)
}

#[test]
fn arc_validation_suite() {
    let Some(cases) = run_suite("arcsuite", |_| true) else {
        return;
    };
    let mut failures = Vec::new();
    for case in &cases {
        // "" marks chains a previous hop already sealed with cv=fail (see the suite notes).
        let expected = match case.cv.trim().to_ascii_lowercase().as_str() {
            "" => "fail".to_string(),
            other => other.to_string(),
        };
        let r = &case.run;
        let got = if r.code == 65 {
            // No header at all: not a message, so certainly no ARC sets.
            "none".to_string()
        } else {
            r.json()["arc"]["result"]
                .as_str()
                .unwrap_or("?")
                .to_string()
        };
        if got != expected {
            let reason = if r.code == 65 {
                r.stderr.clone()
            } else {
                r.json()["arc"]["reason"].to_string()
            };
            failures.push(format!(
                "{} / {}: expected {expected}, got {got} ({reason})",
                case.scenario, case.name
            ));
        }
    }
    for f in &failures {
        note(&format!("ARC suite mismatch: {f}"));
    }
    note(&format!(
        "ARC validation suite: {}/{} pass",
        cases.len() - failures.len(),
        cases.len()
    ));
    assert_eq!(cases.len(), 171);
    assert!(failures.is_empty(), "{} ARC tests failed", failures.len());
}

/// Real-world chains (Gmail RSA; Ed25519 + RSA with t=s keys): ARC pass and DKIM as dkimpy says.
#[test]
fn arc_real_world_samples() {
    let dir = conformance("arc/mail-auth");
    let tmp = temp_dir("arcsamples");
    for (file, dkim_expect) in [
        ("001.txt", vec!["pass", "pass", "fail"]),
        ("002.txt", vec!["pass"]),
    ] {
        let (zone_file, msg_file) = mail_auth_sample(&dir.join(file), &tmp);
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
    let Some(cases) = run_suite("arcwhere", |name| wanted.contains_key(name)) else {
        return;
    };
    for case in &cases {
        let (result, instance, part, oldest) = wanted[case.name.as_str()];
        let name = &case.name;
        let arc = &case.run.json()["arc"];
        assert_eq!(arc["result"], result, "{name}: {arc}");
        assert_eq!(arc["failing_instance"].as_u64(), instance, "{name}: {arc}");
        assert_eq!(arc["failing_part"].as_str(), part, "{name}: {arc}");
        assert_eq!(arc["oldest_pass"].as_u64(), oldest, "{name}: {arc}");
    }
    assert_eq!(cases.len(), wanted.len());
}
