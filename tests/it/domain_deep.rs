//! `mailverdict domain` beyond the usual checkers: DANE rollover readiness (from the records,
//! and against the chain `--probe` sees on a real STARTTLS server).

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::{SmtpServer, run, temp_dir, write_file};

fn ids(v: &Value) -> BTreeSet<String> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            format!(
                "{}:{}",
                f["severity"].as_str().unwrap_or("?"),
                f["id"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

fn message<'a>(v: &'a Value, id: &str) -> &'a str {
    v["findings"]
        .as_array()
        .and_then(|l| l.iter().find(|f| f["id"] == id))
        .and_then(|f| f["message"].as_str())
        .unwrap_or_else(|| panic!("no {id} in {}", v["findings"]))
}

/// Audit roll.test whose MX publishes `tlsa` (validated), probing `server` when given.
fn audit_tlsa(tlsa: &[String], server: Option<&SmtpServer>) -> Value {
    let mut zone = String::from(
        "$ORIGIN roll.test.\n@ TXT \"v=spf1 -all\"\n@ MX 10 mx1.roll.test.\nmx1 A 127.0.0.1\n",
    );
    for t in tlsa {
        zone.push_str(&format!("_25._tcp.mx1 TLSA {t}\n"));
    }
    zone.push_str(";! _25._tcp.mx1.roll.test. TLSA SECURE\n");
    let dir = temp_dir("rollover");
    let file = write_file(&dir, "roll.db", zone.as_bytes());
    let mut args = vec![
        "domain".to_string(),
        "--format".into(),
        "json".into(),
        "--no-https".into(),
        "--dns-zone".into(),
        file,
    ];
    if let Some(s) = server {
        args.extend([
            "--probe".into(),
            "--ca-file".into(),
            s.ca_file.clone(),
            "--connect-to".into(),
            format!("mx1.roll.test:25:127.0.0.1:{}", s.port),
        ]);
    }
    args.push("roll.test".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&args, None).json()
}

/// From the records alone: one DANE record breaks at the next key change (a warning); two
/// distinct ones (current and next) are ready.
#[test]
fn rollover_from_the_records() {
    let one = vec![format!("3 1 1 {}", "AB".repeat(32))];
    let v = audit_tlsa(&one, None);
    assert!(ids(&v).contains("warning:dane.rollover"), "{:?}", ids(&v));
    let two = vec![
        format!("3 1 1 {}", "AB".repeat(32)),
        format!("3 1 1 {}", "CD".repeat(32)),
    ];
    let v = audit_tlsa(&two, None);
    assert!(
        ids(&v).contains("info:dane.rollover-ready"),
        "{:?}",
        ids(&v)
    );
    assert!(!ids(&v).contains("warning:dane.rollover"));
}

/// Against the chain a real STARTTLS server presents: a lone `3 1 1` of the current key is not
/// ready; a second `3 1 1` that matches nothing presented (the next key) is; so is a `2 0 1`
/// of the issuing CA, under which the server key may change.
#[test]
fn rollover_against_the_probed_chain() {
    let server = SmtpServer::start("mx1.roll.test", true, None);
    let current = format!("3 1 1 {}", server.spki_sha256);
    let v = audit_tlsa(std::slice::from_ref(&current), Some(&server));
    assert_eq!(
        v["domains"][0]["probes"][0]["dane_match"], true,
        "{}",
        v["findings"]
    );
    assert!(ids(&v).contains("warning:dane.rollover"), "{:?}", ids(&v));
    assert!(message(&v, "dane.rollover").contains("only the server key presented now"));

    let next = format!("3 1 1 {}", "CD".repeat(32));
    let v = audit_tlsa(&[current.clone(), next], Some(&server));
    assert_eq!(
        v["domains"][0]["probes"][0]["tlsa_matched"],
        serde_json::json!([true, false])
    );
    assert!(message(&v, "dane.rollover-ready").contains("next key"));

    let ta = format!("2 0 1 {}", server.ca_sha256);
    let v = audit_tlsa(&[current, ta], Some(&server));
    assert!(
        message(&v, "dane.rollover-ready").contains("issuing CA"),
        "{}",
        v["findings"]
    );
}
