//! The adversarial corpus (testdata/hostile/, plus large inputs generated here) through the
//! binary: documented exit codes, JSON that parses, nothing raw on the terminal, bounded time.

use std::time::{Duration, Instant};

use crate::support::{run, temp_dir, testdata, write_file};

const DOCUMENTED: [i32; 5] = [0, 1, 3, 65, 75];

/// No C0/C1 control (but newline, and ESC of our own SGR colour codes) and no bidi override.
fn terminal_safe(out: &str) -> Result<(), String> {
    for (i, c) in out.char_indices() {
        let bidi = ('\u{202a}'..='\u{202e}').contains(&c) || ('\u{2066}'..='\u{2069}').contains(&c);
        if bidi || (c.is_control() && c != '\n' && c != '\x1b') {
            return Err(format!("raw {c:?} at {i}"));
        }
        if c == '\x1b' {
            let seq: String = out[i + 1..]
                .chars()
                .take_while(|c| !c.is_ascii_alphabetic())
                .collect();
            if !out[i + 1..].starts_with('[')
                || !seq[1..].chars().all(|c| c.is_ascii_digit() || c == ';')
            {
                return Err(format!("non-SGR escape at {i}"));
            }
        }
    }
    Ok(())
}

/// Every command on one input: check (JSON and coloured human), trace, filter.
fn survive(file: &str, zone: &str, limit: Duration) {
    let started = Instant::now();
    let r = run(
        &["check", "--format", "json", "--dns-zone", zone, file],
        None,
    );
    assert!(
        DOCUMENTED.contains(&r.code),
        "{file}: exit {} {}",
        r.code,
        r.stderr
    );
    if r.code != 65 {
        let v = r.json();
        assert_eq!(v["schema"], "mailverdict.check.v2", "{file}");
    }
    let r = run(
        &["check", "--color", "always", "--dns-zone", zone, file],
        None,
    );
    assert!(DOCUMENTED.contains(&r.code), "{file}");
    terminal_safe(&r.stdout).unwrap_or_else(|e| panic!("{file}: {e}"));
    let r = run(
        &["trace", "--format", "json", "--dns-zone", zone, file],
        None,
    );
    assert!([0, 65].contains(&r.code), "{file}: trace exit {}", r.code);
    let original = std::fs::read(file).expect("input");
    let r = run(&["filter", "--dns-zone", zone], Some(&original));
    assert_eq!(r.code, 0, "{file}: {}", r.stderr);
    assert!(
        started.elapsed() < limit,
        "{file}: took {:?}",
        started.elapsed()
    );
}

/// Empty input, binary garbage, NUL bytes, invalid UTF-8, several or no From, huge l=, a
/// 16,384-bit key, 3,000 TXT records at a selector, 5,000 A and MX records, escapes in a TXT
/// record.
#[test]
fn committed_corpus() {
    let zone = testdata("hostile/zone.db");
    let dir = crate::support::root().join("testdata/hostile");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("corpus") {
        let path = entry.expect("entry").path();
        if path.file_name().is_some_and(|f| f == "zone.db") {
            continue;
        }
        survive(&path.display().to_string(), &zone, Duration::from_secs(30));
        n += 1;
    }
    assert!(n >= 10);
    let (_, v) = crate::support::check_json(&zone, &testdata("hostile/huge-key.eml"), &[]);
    assert_eq!(v["dkim"][0]["result"], "policy");
    assert_eq!(v["dkim"][0]["key_bits"], 16384);
    assert!(
        v["spf"]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("5000 MX records (limit 10")
    );
    let human = run(
        &[
            "check",
            "--color",
            "never",
            "--dns-zone",
            &zone,
            &testdata("hostile/escape-txt.eml"),
        ],
        None,
    )
    .stdout;
    assert!(
        human.contains("\\x1b]8;;http://evil.example/\\x07click"),
        "TXT escapes shown escaped: {human}"
    );
}

/// Large generated inputs stay within bounds.
#[test]
fn generated_large_inputs() {
    let zone = testdata("hostile/zone.db");
    let dir = temp_dir("hostile-large");
    let head = "Received: from x.hostile.test (x.hostile.test [198.51.100.9]) by mx.receiver.test with ESMTPS; Mon, 23 Nov 2026 10:00:00 +0000\r\nFrom: a@hostile.test\r\n";
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    cases.push((
        "long-line.eml",
        format!("{head}X-Long: {}\r\n\r\nbody\r\n", "x".repeat(10 << 20)).into_bytes(),
    ));
    let mut many = String::from(head);
    for i in 0..200_000 {
        many.push_str(&format!("X-H{i}: v\r\n"));
    }
    many.push_str("\r\nbody\r\n");
    cases.push(("many-headers.eml", many.into_bytes()));
    let mut received = String::new();
    for i in 0..5_000 {
        received.push_str(&format!("Received: from h{i}.example (h{i}.example [198.51.100.{}]) by h{}.example; Mon, 23 Nov 2026 10:00:00 +0000\r\n", i % 250, i + 1));
    }
    cases.push((
        "many-received.eml",
        format!("{received}From: a@hostile.test\r\n\r\nbody\r\n").into_bytes(),
    ));
    // 10,000 signatures, each with an h= of 200 names: 20 MB of DKIM-Signature fields.
    let long_h = vec!["from"; 200].join(":");
    let mut sigs = String::from(head);
    for i in 0..10_000 {
        sigs.push_str(&format!("DKIM-Signature: v=1; a=rsa-sha256; d=hostile.test; s=s{i}; h={long_h}; bh=AAAA; b=AAAA\r\n"));
    }
    sigs.push_str("\r\nbody\r\n");
    cases.push(("many-signatures.eml", sigs.into_bytes()));
    let mut nested = format!(
        "{head}MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n"
    );
    for d in 1..=1000 {
        nested.push_str(&format!(
            "--b{}\r\nContent-Type: multipart/mixed; boundary=\"b{d}\"\r\n\r\n",
            d - 1
        ));
    }
    for d in (0..=1000).rev() {
        nested.push_str(&format!("--b{d}--\r\n"));
    }
    cases.push(("nested-multipart.eml", nested.into_bytes()));
    for (name, data) in cases {
        let file = write_file(&dir, name, &data);
        survive(&file, &zone, Duration::from_secs(60));
    }
    let r = run(
        &[
            "check",
            "--format",
            "json",
            "--dns-zone",
            &zone,
            &dir.join("many-signatures.eml").display().to_string(),
        ],
        None,
    );
    let v = r.json();
    assert_eq!(
        v["dkim"].as_array().map(Vec::len),
        Some(10),
        "at most 10 signatures verified"
    );
    assert!(
        v["errors"]
            .to_string()
            .contains("9990 more DKIM-Signature field(s) not verified"),
        "{}",
        v["errors"]
    );
}
