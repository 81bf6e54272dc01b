//! Received-field vectors (mail-parser's, 181) and Authentication-Results vectors (MimeKit's
//! 27 parse + 61 must-fail, RFC 8601 Appendix B) through `mailverdict trace --format json`.

use serde_json::{Value, json};

use crate::support::{conformance, note, run, temp_dir, write_file};

fn trace_json(dir: &std::path::Path, name: &str, message: &str) -> Value {
    let file = write_file(dir, name, message.as_bytes());
    let r = run(
        &[
            "trace",
            "--format",
            "json",
            "--authserv-id",
            "example.com",
            &file,
        ],
        None,
    );
    assert_eq!(r.code, 0, "{name}: {}", r.stderr);
    r.json()
}

fn host(v: &Value) -> Option<String> {
    v.get("Name")
        .or_else(|| v.get("IpAddr"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Unix time of an expected `date` object.
fn epoch(d: &Value) -> Option<i64> {
    let n = |k: &str| d[k].as_i64();
    let (y, m, day) = (n("year")?, n("month")?, n("day")?);
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let offset = (n("tz_hour")? * 3600 + n("tz_minute")? * 60)
        * if d["tz_before_gmt"].as_bool()? { -1 } else { 1 };
    Some(days * 86_400 + n("hour")? * 3600 + n("minute")? * 60 + n("second")? - offset)
}

fn tls_word(v: &str) -> String {
    v.replace('_', ".")
}

/// Every field mail-parser extracts from the 181 real-world Received vectors comes through our
/// hop model unchanged (from, IP, reverse name, by, for, with, TLS, id, ident, helo, date),
/// with the errata applied (53 expectations the RFC contradicts, each with its reason:
/// testdata/received/errata.json).
#[test]
fn received_vectors() {
    let dir = conformance("received");
    let vectors: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("received.json")).expect("vectors"))
            .expect("json");
    // Expectations of mail-parser's that encode a reading RFC 5321 contradicts, overridden with
    // the RFC's value and the reason (testdata/received/errata.json).
    let errata: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(crate::support::root().join("testdata/received/errata.json"))
            .expect("errata"),
    )
    .expect("errata json");
    let tmp = temp_dir("received");
    let mut mismatches = Vec::new();
    for (i, v) in vectors.iter().enumerate() {
        let header = v["header"].as_str().expect("header");
        let header = header
            .trim_end_matches(['\r', '\n'])
            .replace("\r\n", "\n")
            .replace('\n', "\r\n");
        let message = format!(
            "Received:{}{header}\r\nSubject: vector {i}\r\n\r\nbody\r\n",
            if header.starts_with(' ') { "" } else { " " }
        );
        let out = trace_json(&tmp, &format!("r{i}.eml"), &message);
        let hop = &out["path"]["hops"][0];
        let mut expected = v["expected"].clone();
        for fix in errata
            .iter()
            .filter(|f| f["vector"].as_u64() == Some(i as u64))
        {
            let field = fix["field"].as_str().expect("errata field");
            // An erratum overrides a real expectation with another value, for a stated reason.
            assert_ne!(
                expected[field], fix["value"],
                "erratum for vector {i} {field} is a no-op"
            );
            assert!(
                fix["reason"].as_str().is_some_and(|r| r.len() > 20),
                "erratum for vector {i} {field} gives no reason"
            );
            expected[field] = fix["value"].clone();
        }
        let e = &expected;
        let text = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_string);
        let checks: [(&str, Option<String>, Value); 11] = [
            (
                "from",
                e.get("from").and_then(host),
                hop["from_host"].clone(),
            ),
            ("from_ip", text("from_ip"), hop["from_ip"].clone()),
            ("from_iprev", text("from_iprev"), hop["from_rdns"].clone()),
            ("by", e.get("by").and_then(host), hop["by_host"].clone()),
            ("for", text("for_"), hop["for"].clone()),
            ("with", text("with"), hop["protocol"].clone()),
            (
                "tls_version",
                text("tls_version").map(|t| tls_word(&t)),
                hop["tls_version"].clone(),
            ),
            ("tls_cipher", text("tls_cipher"), hop["tls_cipher"].clone()),
            ("id", text("id"), hop["id"].clone()),
            ("ident", text("ident"), hop["ident"].clone()),
            ("helo", e.get("helo").and_then(host), hop["helo"].clone()),
        ];
        for (key, want, got) in checks {
            // A from-host that is an address literal is also the client IP.
            if key == "from_ip"
                && want.is_none()
                && got.is_string()
                && e.get("from").and_then(|f| f.get("IpAddr")).is_some()
            {
                continue;
            }
            let mut want = want.map_or(Value::Null, Value::String);
            let mut got = got;
            // Protocol names are case-insensitive keywords (RFC 5321 §4.4): `with local` is
            // mail-parser's `Local`.
            if key == "with" {
                let lower = |v: &Value| v.as_str().map(|s| Value::String(s.to_ascii_lowercase()));
                want = lower(&want).unwrap_or(want);
                got = lower(&got).unwrap_or(got);
            }
            if want != got {
                mismatches.push(format!("vector {i} {key}: expected {want}, got {got}"));
            }
        }
        let want_time = e.get("date").and_then(epoch);
        let got_text = hop["timestamp"].as_str();
        let got_time = got_text
            .and_then(mail_parser::DateTime::parse_rfc3339)
            .map(|d| d.to_timestamp());
        // A timestamp the RFC 3339 reader refuses (a garbage year such as 1910) is still a
        // date where none is expected: compare on presence too, not on the parse alone.
        if want_time != got_time || (want_time.is_none() && got_text.is_some()) {
            mismatches.push(format!(
                "vector {i} date: expected {want_time:?}, got {got_text:?}"
            ));
        }
    }
    for m in &mismatches {
        note(&format!("Received vector mismatch: {m}"));
    }
    note(&format!(
        "Received vectors: {}/{} fully matched",
        vectors.len()
            - mismatches
                .iter()
                .map(|m| m.split(' ').nth(1))
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
        vectors.len()
    ));
    assert_eq!(vectors.len(), 181);
    assert_eq!(errata.len(), 53, "the README figure names the errata count");
    assert!(mismatches.is_empty());
}

/// MimeKit's inputs we reject on purpose: not RFC 8601 (bare domain tokens and `action=`
/// between results, no authserv-id).
const REJECTED_BY_DESIGN: [&str; 3] = [
    "TestParseNoAuthServId",
    "TestParseOffice365RandomDomainTokensAndAction",
    "TestParseOffice365RandomDomainTokensAndEmptyPropertyValue",
];

fn authres_message(input: &str, arc: bool) -> String {
    let name = if arc {
        "ARC-Authentication-Results"
    } else {
        "Authentication-Results"
    };
    format!("{name}:{input}\r\nSubject: authres\r\n\r\nbody\r\n")
}

#[test]
fn authentication_results_vectors() {
    let dir = conformance("authres");
    let data: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("mimekit-authentication-results-tests.json"))
            .expect("vectors"),
    )
    .expect("json");
    let tmp = temp_dir("authres");
    let mut failures = Vec::new();
    let mut ok_count = 0;
    for entry in data["parse_ok"].as_array().expect("parse_ok") {
        let name = entry["name"].as_str().unwrap_or("?");
        let input = entry["input"].as_str().expect("input");
        let want = &entry["expected"];
        let arc = input.trim_start().starts_with("i=");
        let out = trace_json(&tmp, &format!("{name}.eml"), &authres_message(input, arc));
        let field = &out["authentication_results"][0];
        if REJECTED_BY_DESIGN.contains(&name) {
            if field["error"].is_null() {
                failures.push(format!("{name}: expected our strict parser to reject it"));
            }
            continue;
        }
        if !field["error"].is_null() {
            failures.push(format!("{name}: rejected: {}", field["error"]));
            continue;
        }
        let mut check = |what: &str, expected: &Value, got: &Value| {
            if expected != got {
                failures.push(format!("{name} {what}: expected {expected}, got {got}"));
            }
        };
        for key in ["instance", "authserv_id", "version"] {
            if let Some(w) = want.get(key) {
                check(key, w, &field[key]);
            }
        }
        let results = field["results"].as_array().cloned().unwrap_or_default();
        if let Some(n) = want.get("result_count") {
            check("result_count", n, &json!(results.len()));
        }
        for (k, wr) in want["results"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let gr = results.get(k).cloned().unwrap_or(Value::Null);
            for key in ["method", "result", "reason", "result_comment"] {
                if let Some(w) = wr.get(key) {
                    check(&format!("results[{k}].{key}"), w, &gr[key]);
                }
            }
            if let Some(w) = wr.get("method_version") {
                check(
                    &format!("results[{k}].method_version"),
                    w,
                    &gr["method_version"],
                );
            }
            if let Some(w) = wr.get("property_count") {
                check(
                    &format!("results[{k}].property_count"),
                    w,
                    &json!(gr["properties"].as_array().map_or(0, Vec::len)),
                );
            }
            for (p, wp) in wr["properties"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                for key in ["ptype", "property", "value"] {
                    check(
                        &format!("results[{k}].properties[{p}].{key}"),
                        &wp[key],
                        &gr["properties"][p][key],
                    );
                }
            }
        }
        ok_count += 1;
    }
    let mut rejected = 0;
    for entry in data["parse_error"].as_array().expect("parse_error") {
        let name = entry["name"].as_str().unwrap_or("?");
        let input = entry["input"].as_str().expect("input");
        let out = trace_json(&tmp, &format!("{name}.eml"), &authres_message(input, false));
        if out["authentication_results"][0]["error"].is_null() {
            failures.push(format!("{name}: accepted {input:?}, must be rejected"));
        } else {
            rejected += 1;
        }
    }
    for f in &failures {
        note(&format!("Authentication-Results vector: {f}"));
    }
    note(&format!(
        "Authentication-Results vectors: {ok_count} parsed as expected, {} rejected by design, {rejected}/61 invalid inputs rejected",
        REJECTED_BY_DESIGN.len()
    ));
    assert!(
        failures.is_empty(),
        "{} Authentication-Results vectors failed",
        failures.len()
    );
}

/// Per example file: each Authentication-Results field's authserv-id and `method=result`s.
type Expected = Vec<(&'static str, Vec<&'static str>)>;

/// RFC 8601 Appendix B: the fields of each example, in order, with their authserv-ids and results.
#[test]
fn rfc8601_appendix_b() {
    let dir = conformance("authres/rfc8601-appendix-b");
    let tmp = temp_dir("appb");
    let cases: [(&str, Expected); 7] = [
        ("b1-header-field-not-present.eml", vec![]),
        (
            "b2-no-authentication-done.eml",
            vec![("example.org", vec![])],
        ),
        (
            "b3-authentication-done.eml",
            vec![("example.com", vec!["spf=pass"])],
        ),
        (
            "b4-several-authentications-single-mta.eml",
            vec![
                ("example.com", vec!["auth=pass", "spf=pass"]),
                ("example.com", vec!["iprev=pass"]),
            ],
        ),
        (
            "b5-several-authentications-different-mtas.eml",
            vec![
                ("example.com", vec!["dkim=pass"]),
                ("example.com", vec!["auth=pass", "spf=fail"]),
            ],
        ),
        (
            "b6-multi-tiered-authentication.eml",
            vec![
                ("example.com", vec!["dkim=pass", "dkim=fail"]),
                ("example.net", vec!["dkim=pass"]),
            ],
        ),
        (
            "b7-comment-heavy.txt",
            vec![("foo.example.net", vec!["dkim=fail"])],
        ),
    ];
    for (file, expected) in cases {
        let mut text = std::fs::read_to_string(dir.join(file))
            .expect("example")
            .replace('\n', "\r\n");
        if file.ends_with(".txt") {
            text = format!("{}\r\nSubject: b7\r\n\r\nbody\r\n", text.trim_end());
        }
        let out = trace_json(&tmp, file, &text);
        let fields = out["authentication_results"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let got: Vec<(String, Vec<String>)> = fields
            .iter()
            .filter(|f| f["field"] == "Authentication-Results")
            .map(|f| {
                assert!(f["error"].is_null(), "{file}: {}", f["error"]);
                let results = f["results"].as_array().cloned().unwrap_or_default();
                (
                    f["authserv_id"].as_str().unwrap_or("?").to_string(),
                    results
                        .iter()
                        .map(|r| {
                            format!(
                                "{}={}",
                                r["method"].as_str().unwrap_or("?"),
                                r["result"].as_str().unwrap_or("?")
                            )
                        })
                        .collect(),
                )
            })
            .collect();
        let want: Vec<(String, Vec<String>)> = expected
            .iter()
            .map(|(id, r)| (id.to_string(), r.iter().map(|s| s.to_string()).collect()))
            .collect();
        assert_eq!(got, want, "{file}");
    }
}
