//! Received-SPF (RFC 7208 §9.1): `filter --add-header received-spf` writes one that our own
//! parser reads back; existing fields are judged like Authentication-Results (ours above the
//! trust boundary, compared with our SPF; anyone's below it, never compared).

use serde_json::Value;

use crate::support::{run, temp_dir, testdata, write_file};

fn fixture() -> String {
    String::from_utf8_lossy(&std::fs::read(testdata("dkim/spf-only.eml")).expect("fixture"))
        .into_owned()
}

fn check(file: &str) -> Value {
    let zone = testdata("dkim/zone.db");
    let r = run(
        &["check", "--format", "json", "--dns-zone", &zone, file],
        None,
    );
    r.json()
}

/// The field filter writes: RFC 7208's shape (result, comment naming the receiver, the
/// key-value pairs), one per message, prepended; read back by `check` as ours and agreeing.
#[test]
fn filter_writes_received_spf() {
    let zone = testdata("dkim/zone.db");
    let input = fixture();
    let r = run(
        &[
            "filter",
            "--authserv-id",
            "mx.receiver.test",
            "--dns-zone",
            &zone,
            "--add-header",
            "received-spf",
        ],
        Some(input.as_bytes()),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = r.stdout.clone();
    let start = out.find("Received-SPF: ").expect("field written");
    let field: String = out[start..]
        .split("\r\n")
        .take_while(|l| !l.is_empty())
        .enumerate()
        .take_while(|(k, l)| *k == 0 || l.starts_with('\t'))
        .map(|(_, l)| l)
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(
        field,
        "Received-SPF: pass (mx.receiver.test: domain of bounce@example.com designates 192.0.2.10 as permitted sender) \tclient-ip=192.0.2.10; \tenvelope-from=\"bounce@example.com\"; \thelo=mail.example.com; \treceiver=mx.receiver.test; \tidentity=mailfrom; \tmechanism=\"ip4:192.0.2.0/24\""
    );
    assert!(out.ends_with(&input), "the message follows unchanged");
    let dir = temp_dir("rspf");
    let file = write_file(&dir, "filtered.eml", out.as_bytes());
    let v = check(&file);
    let f = &v["received_spf"][0];
    assert_eq!(f["result"], "pass");
    assert_eq!(f["receiver"], "mx.receiver.test");
    assert_eq!(f["client_ip"], "192.0.2.10");
    assert_eq!(f["envelope_from"], "bounce@example.com");
    assert_eq!(f["trusted"], true);
    assert_eq!(
        (f["ours"].as_str(), f["agrees"].as_bool()),
        (Some("pass"), Some(true))
    );
}

/// A Received-SPF above our Received field that claims fail disagrees with our pass; one
/// below the boundary (written before the message reached us) is untrusted and never
/// compared; one that does not parse is kept as written.
#[test]
fn existing_received_spf_trust_and_comparison() {
    let text = format!(
        "Received-SPF: fail (mx.receiver.test: domain of bounce@example.com does not designate 192.0.2.10 as permitted sender) client-ip=192.0.2.10; envelope-from=\"bounce@example.com\"\r\n{}",
        fixture().replacen(
            "From: ",
            "Received-SPF: pass (forger.example: trust me) receiver=forger.example; client-ip=192.0.2.10\r\nReceived-SPF: maybe\r\nFrom: ",
            1
        )
    );
    let dir = temp_dir("rspf2");
    let file = write_file(&dir, "existing.eml", text.as_bytes());
    let v = check(&file);
    let fields = v["received_spf"].as_array().expect("fields");
    assert_eq!(fields.len(), 3);
    assert_eq!(fields[0]["trusted"], true);
    assert_eq!(fields[0]["agrees"], false);
    assert_eq!(fields[0]["receiver"], "mx.receiver.test");
    assert_eq!(fields[1]["trusted"], false);
    assert_eq!(fields[1]["receiver"], "forger.example");
    assert_eq!(fields[1]["agrees"], Value::Null);
    assert!(
        fields[1]["trust"]
            .as_str()
            .unwrap_or_default()
            .starts_with("below the trust boundary")
    );
    assert_eq!(fields[2]["result"], Value::Null);
    assert!(
        fields[2]["error"]
            .as_str()
            .unwrap_or_default()
            .contains("not an SPF result")
    );
    let zone = testdata("dkim/zone.db");
    let human = run(
        &["check", "--color", "never", "--dns-zone", &zone, &file],
        None,
    )
    .stdout;
    assert!(
        human.contains("field 1 by mx.receiver.test: fail client-ip=192.0.2.10 — trusted — DISAGREES: ours is pass"),
        "{human}"
    );
    let t = run(
        &["trace", "--format", "json", "--dns-zone", &zone, &file],
        None,
    )
    .json();
    assert_eq!(t["received_spf"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        t["received_spf"][0]["agrees"],
        Value::Null,
        "trace evaluates no SPF"
    );
}
