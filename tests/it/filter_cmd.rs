//! `mailverdict filter`: the original bytes always come out, with one Authentication-Results
//! field in front; only a failed write asks for a retry (75). Also through real procmail.

use std::process::{Command, Stdio};

use crate::support::{DnsServer, note, run, temp_dir, testdata};

fn filter(args: &[&str], input: &[u8]) -> (i32, Vec<u8>, String) {
    let zone = testdata("dkim/zone.db");
    let mut all = vec![
        "filter",
        "--authserv-id",
        "mx.receiver.test",
        "--dns-zone",
        zone.as_str(),
    ];
    all.extend_from_slice(args);
    let out = raw_run(&all, input);
    (out.0, out.1, out.2)
}

fn raw_run(args: &[&str], input: &[u8]) -> (i32, Vec<u8>, String) {
    let r = run(args, Some(input));
    (r.code, r.stdout_bytes, r.stderr)
}

/// Split the output into the prepended fields and the rest.
fn split_prefix<'a>(out: &'a [u8], original: &[u8]) -> (&'a [u8], &'a [u8]) {
    let at = out
        .len()
        .checked_sub(original.len())
        .expect("output holds the original");
    out.split_at(at)
}

/// A verified message: one folded Authentication-Results field, then every original byte.
#[test]
fn prepends_one_header_and_keeps_bytes() {
    let original = std::fs::read(testdata("demo/signed.eml")).expect("fixture");
    let (code, out, _) = filter(&["--add-header", "verdict"], &original);
    assert_eq!(code, 0);
    let (prefix, rest) = split_prefix(&out, &original);
    assert_eq!(rest, &original[..], "original bytes unchanged");
    let prefix = String::from_utf8_lossy(prefix);
    assert!(
        prefix.starts_with("Authentication-Results: mx.receiver.test;\r\n\tspf=pass"),
        "{prefix}"
    );
    assert!(prefix.contains("\tdmarc=pass (p=reject dis=none) header.from=example.com;\r\n"));
    assert!(prefix.ends_with("X-Mailverdict-Verdict: pass\r\n"));
    assert_eq!(prefix.matches("Authentication-Results:").count(), 1);
    // A bare-LF message gets a bare-LF header.
    let lf: Vec<u8> = original.iter().copied().filter(|&b| b != b'\r').collect();
    let (_, out, _) = filter(&[], &lf);
    let (prefix, rest) = split_prefix(&out, &lf);
    assert_eq!(rest, &lf[..]);
    assert!(!prefix.contains(&b'\r'));
}

/// Not a message, empty input, oversized input, DNS failures: the original comes out, exit 0.
#[test]
fn failures_still_pass_the_message_through() {
    let garbage = b"\x00\x01 not a message \xff\n".to_vec();
    let (code, out, err) = filter(&[], &garbage);
    assert_eq!((code, out.as_slice()), (0, garbage.as_slice()));
    assert!(err.contains("not a message"));

    let (code, out, _) = filter(&[], b"");
    assert_eq!((code, out.len()), (0, 0));

    let big = std::fs::read(testdata("demo/signed.eml")).expect("fixture");
    let (code, out, err) = filter(&["--max-size", "1K"], &big);
    assert_eq!(code, 0);
    let (prefix, rest) = split_prefix(&out, &big);
    assert_eq!(rest, &big[..], "the whole message, beyond the limit too");
    assert_eq!(
        String::from_utf8_lossy(prefix),
        "Authentication-Results: mx.receiver.test;\r\n\tnone (not verified: the message is larger than 1024 bytes)\r\n"
    );
    assert!(err.contains("larger than 1024 bytes"));

    let servfail = std::fs::read(testdata("dkim/dmarc-servfail.eml")).expect("fixture");
    let (code, out, _) = filter(&[], &servfail);
    assert_eq!(code, 0);
    let (prefix, rest) = split_prefix(&out, &servfail);
    assert_eq!(rest, &servfail[..]);
    assert!(String::from_utf8_lossy(prefix).contains("dmarc=temperror"));
}

/// The total deadline: a resolver that never answers cannot hold the message; it goes out
/// with dmarc=temperror well before the per-query timeouts would add up (the DMARC record is
/// among the unanswered lookups, so no verdict can be given).
#[test]
fn deadline_passes_the_message_on_time() {
    let zone = "$ORIGIN example.com.\n;! @ ANY TIMEOUT\n;! _dmarc ANY TIMEOUT\n;! sel1._domainkey ANY TIMEOUT\n;! ed1._domainkey ANY TIMEOUT\n;! 10.2.0.192.in-addr.arpa. ANY TIMEOUT\n";
    let server = DnsServer::start(zone);
    let original = std::fs::read(testdata("demo/signed.eml")).expect("fixture");
    let started = std::time::Instant::now();
    let (code, out, err) = raw_run(
        &[
            "filter",
            "--authserv-id",
            "mx.receiver.test",
            "--nameserver",
            &server.nameserver(),
            "--timeout",
            "5",
            "--deadline",
            "0.5",
        ],
        &original,
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        started.elapsed().as_secs_f64() < 4.0,
        "took {:?}",
        started.elapsed()
    );
    let (prefix, rest) = split_prefix(&out, &original);
    assert_eq!(rest, &original[..]);
    let field = String::from_utf8_lossy(prefix);
    // The DMARC record itself went unanswered: nothing is decided, so temperror.
    assert!(field.contains("dmarc=temperror"), "{field}");
    assert!(err.contains("deadline"), "{err}");
}

/// Existing fields claiming our authserv-id are renamed (RFC 8601 §5); nothing else changes.
#[test]
fn our_authserv_id_is_renamed_in_existing_fields() {
    let original = std::fs::read(testdata("demo/signed.eml")).expect("fixture");
    let forged = [b"Authentication-Results: mx.receiver.test; dmarc=pass header.from=bank.example\r\nAuthentication-Results: other.test; spf=pass\r\n".as_slice(), &original].concat();
    let (code, out, _) = filter(&[], &forged);
    assert_eq!(code, 0);
    let text = String::from_utf8_lossy(&out);
    let body_start = text.find("X-Original-Authentication-Results: mx.receiver.test; dmarc=pass header.from=bank.example\r\nAuthentication-Results: other.test; spf=pass\r\n").expect("renamed, other kept");
    assert!(text[body_start..].ends_with(&String::from_utf8_lossy(&original).into_owned()));
}

/// A stdout that cannot be written is the one case for exit 75 (the MTA keeps the message).
#[test]
fn write_failure_is_a_temporary_failure() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        note("SKIP: /dev/full not available");
        return;
    };
    let zone = testdata("dkim/zone.db");
    let out = Command::new(env!("CARGO_BIN_EXE_mailverdict"))
        .args(["filter", "--dns-zone", &zone])
        .stdin(std::fs::File::open(testdata("demo/signed.eml")).expect("fixture"))
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(75));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write the message"));
}

/// Deliver `message` with procmail; `recipe` is the text after the assignments. Returns the
/// delivered file's bytes.
fn procmail_deliver(tag: &str, recipe: &str, message: &[u8]) -> Vec<u8> {
    let home = temp_dir(tag);
    let maildir = home.join("Maildir");
    for d in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(d)).expect("maildir");
    }
    let rc = format!(
        "SHELL=/bin/sh\nMAILDIR={home}\nDEFAULT={maildir}/\nLOGFILE={home}/procmail.log\n\n{recipe}",
        home = home.display(),
        maildir = maildir.display(),
    );
    let rcfile = home.join("procmailrc");
    std::fs::write(&rcfile, rc).expect("rc");
    deliver(&["-m"], &rcfile, &home, message);
    let delivered: Vec<_> = std::fs::read_dir(maildir.join("new"))
        .expect("new")
        .filter_map(Result::ok)
        .collect();
    assert_eq!(
        delivered.len(),
        1,
        "log: {}",
        std::fs::read_to_string(home.join("procmail.log")).unwrap_or_default()
    );
    std::fs::read(delivered[0].path()).expect("delivered")
}

/// The real procmail runs the README's recipe: what it delivers through our filter is our
/// header followed by exactly what it delivers through an identity filter (`cat`). (procmail
/// hands every filter the message with one extra trailing newline, so plain delivery is not
/// the reference.)
#[test]
fn procmail_recipe_delivers_the_filtered_message() {
    if Command::new("procmail").arg("-v").output().is_err() {
        note("SKIP: procmail not installed (apt-get install procmail)");
        return;
    }
    let original = std::fs::read(testdata("demo/signed.eml")).expect("fixture");
    let lf: Vec<u8> = original.iter().copied().filter(|&b| b != b'\r').collect();
    let recipe = format!(
        ":0 fw\n| {bin} filter --authserv-id mx.receiver.test --dns-zone {zone}\n",
        bin = env!("CARGO_BIN_EXE_mailverdict"),
        zone = testdata("dkim/zone.db"),
    );
    let filtered = procmail_deliver("procmail-filter", &recipe, &lf);
    let plain = procmail_deliver("procmail-identity", ":0 fw\n| cat\n", &lf);
    let (prefix, rest) = split_prefix(&filtered, &plain);
    assert_eq!(
        rest,
        &plain[..],
        "procmail delivered the original bytes after our header"
    );
    assert!(
        String::from_utf8_lossy(prefix)
            .starts_with("Authentication-Results: mx.receiver.test;\n\tspf=pass")
    );
    assert!(String::from_utf8_lossy(prefix).contains("dmarc=pass"));
    let _ = run(&["--version"], None);
}

/// Deliver each message with the real procmail in delivery mode (it writes the mbox `From `
/// envelope line and hands it to the filter) through the README's recipe into an mbox.
fn procmail_into_mbox(messages: &[Vec<u8>]) -> Vec<u8> {
    let home = temp_dir("procmail-mbox");
    let mbox = home.join("inbox.mbox");
    let rc = format!(
        "SHELL=/bin/sh\nMAILDIR={home}\nDEFAULT={mbox}\nLOGFILE={home}/procmail.log\n\n:0 fw\n| {bin} filter --authserv-id mx.receiver.test --dns-zone {zone}\n",
        home = home.display(),
        mbox = mbox.display(),
        bin = env!("CARGO_BIN_EXE_mailverdict"),
        zone = testdata("dkim/zone.db"),
    );
    let rcfile = home.join("procmailrc");
    std::fs::write(&rcfile, rc).expect("rc");
    for m in messages {
        deliver(&["-f", "bounce@example.com"], &rcfile, &home, m);
    }
    std::fs::read(&mbox).expect("the mbox")
}

/// Split an mbox the way mail readers do: a message starts at a `From ` line at the top or
/// after a blank line; the blank line before the next `From ` is the separator.
fn read_mbox(data: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(data);
    let mut messages: Vec<(String, String)> = Vec::new();
    let mut prev_blank = true;
    for line in text.split_inclusive('\n') {
        if prev_blank && line.starts_with("From ") {
            messages.push((line.to_string(), String::new()));
        } else if let Some((_, body)) = messages.last_mut() {
            body.push_str(line);
        }
        prev_blank = line == "\n";
    }
    for (_, m) in &mut messages {
        if m.ends_with("\n\n") {
            m.pop();
        }
    }
    messages
}

/// The real procmail delivers 3 messages through the filter into an mbox: reading it back gives
/// 3 messages, each with our field right after its `From ` line, bodies byte-identical. (Our
/// field above the envelope line made procmail quote that line: 0 messages.)
#[test]
fn procmail_mbox_delivery_keeps_the_envelope_line_first() {
    if Command::new("procmail").arg("-v").output().is_err() {
        note("SKIP: procmail not installed (apt-get install procmail)");
        return;
    }
    let lf = |name: &str| -> Vec<u8> {
        std::fs::read(testdata(name))
            .expect("fixture")
            .into_iter()
            .filter(|&b| b != b'\r')
            .collect()
    };
    let originals = [
        lf("demo/signed.eml"),
        lf("dkim/spf-only.eml"),
        lf("dkim/unaligned-dkim.eml"),
    ];
    let mbox = procmail_into_mbox(&originals);
    let messages = read_mbox(&mbox);
    assert_eq!(
        messages.len(),
        3,
        "{}",
        String::from_utf8_lossy(&mbox[..mbox.len().min(3000)])
    );
    for ((envelope, message), original) in messages.iter().zip(&originals) {
        assert!(
            envelope.starts_with("From bounce@example.com "),
            "{envelope}"
        );
        assert!(
            message.starts_with("Authentication-Results: mx.receiver.test;\n"),
            "{message}"
        );
        assert_eq!(message.matches("\nAuthentication-Results:").count(), 0);
        let original = String::from_utf8_lossy(original);
        let body = |m: &str| m.split_once("\n\n").map(|(_, b)| b.to_string());
        assert_eq!(body(message), body(&original), "body byte-identical");
        assert!(message.ends_with(original.as_ref()), "header and body kept");
    }
    // Our own reader agrees: 3 messages, none an error.
    let dir = temp_dir("procmail-mbox-read");
    let path = crate::support::write_file(&dir, "inbox.mbox", &mbox);
    let zone = testdata("dkim/zone.db");
    let r = run(
        &["batch", "--format", "json", "--dns-zone", &zone, &path],
        None,
    );
    assert_eq!(r.stdout.lines().count(), 3, "{}", r.stdout);
    for line in r.stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("JSON line");
        assert!(
            v.get("verdict").is_some(),
            "a message, not an error: {line}"
        );
    }
}

/// Input starting with an mbox `From ` line: it stays first, our field follows it.
#[test]
fn envelope_line_stays_first() {
    let original = std::fs::read(testdata("demo/signed.eml")).expect("fixture");
    let input = [
        b"From bounce@example.com Mon Jan  1 00:00:00 2024\n".as_slice(),
        &original,
    ]
    .concat();
    let (code, out, _) = filter(&[], &input);
    assert_eq!(code, 0);
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.starts_with("From bounce@example.com Mon Jan  1 00:00:00 2024\nAuthentication-Results: mx.receiver.test;\r\n\tspf=pass"),
        "{}",
        &text[..300]
    );
    assert!(out.ends_with(&original));
}

/// `filter >&-` (stdout closed: the runtime puts /dev/null there) and `filter >/dev/null` would
/// lose the message: both are exit 75, so the MTA keeps it.
#[test]
fn closed_or_null_stdout_is_a_temporary_failure() {
    let zone = testdata("dkim/zone.db");
    let fixture = testdata("demo/signed.eml");
    let out = Command::new("sh")
        .args([
            "-c",
            "exec \"$0\" filter --dns-zone \"$1\" <\"$2\" >&-",
            env!("CARGO_BIN_EXE_mailverdict"),
            &zone,
            &fixture,
        ])
        .stderr(Stdio::piped())
        .output()
        .expect("sh runs");
    assert_eq!(out.status.code(), Some(75), "{:?}", out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("standard output is closed"));
    let out = Command::new(env!("CARGO_BIN_EXE_mailverdict"))
        .args(["filter", "--dns-zone", &zone])
        .stdin(std::fs::File::open(&fixture).expect("fixture"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(75));
}

/// A forged Authentication-Results claiming our authserv-id is renamed wherever a reader could
/// see it: past `--max-size` (in the streamed part of an oversized header), and after a bare
/// CR (which some readers take as a line end). Only our own field keeps the name.
#[test]
fn forged_claims_are_renamed_past_max_size_and_after_a_bare_cr() {
    let original = std::fs::read(testdata("demo/signed.eml")).expect("fixture");
    let forged =
        "Authentication-Results: mx.receiver.test; dmarc=pass header.from=bank.example\r\n";
    let filler: String = (0..200)
        .map(|i| format!("X-Filler-{i}: {}\r\n", "f".repeat(40)))
        .collect();
    let big = [filler.as_bytes(), forged.as_bytes(), &original].concat();
    let (code, out, _) = filter(&["--max-size", "4K"], &big);
    assert_eq!(code, 0);
    let text = String::from_utf8_lossy(&out);
    assert_eq!(
        text.matches("\nAuthentication-Results: mx.receiver.test")
            .count(),
        0,
        "forgery past --max-size renamed"
    );
    assert!(text.contains("\r\nX-Original-Authentication-Results: mx.receiver.test; dmarc=pass"));
    assert_eq!(
        out.len(),
        big.len() + "X-Original-".len() + text.find(filler.as_str()).expect("kept")
    );

    let cr = [
        b"Subject: hi\rAuthentication-Results: mx.receiver.test; dmarc=pass\r\n".as_slice(),
        &original,
    ]
    .concat();
    let (code, out, _) = filter(&[], &cr);
    assert_eq!(code, 0);
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.contains(
            "Subject: hi\rX-Original-Authentication-Results: mx.receiver.test; dmarc=pass"
        ),
        "{}",
        &text[..text.len().min(1500)]
    );
}

/// Hand `message` to the real procmail with `args` and the recipe `rcfile`; it must succeed.
fn deliver(args: &[&str], rcfile: &std::path::Path, home: &std::path::Path, message: &[u8]) {
    use std::io::Write;
    let mut child = Command::new("procmail")
        .args(args)
        .arg(rcfile)
        .env("HOME", home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("procmail starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(message)
        .expect("message to procmail");
    let out = child.wait_with_output().expect("procmail finishes");
    assert!(
        out.status.success(),
        "procmail: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An attacker cannot buy a `temperror` with slow DNS (issue: faults): a spoof of a p=reject
/// domain from an unauthorized IP, carrying a signature of the attacker's own domain whose key
/// server never answers, gets `dmarc=fail` by the deadline. The unanswered key belongs to an
/// unaligned identifier, so it cannot change the result; the log says lookups were cut short.
#[test]
fn deadline_keeps_a_fail_that_slow_unaligned_dns_cannot_change() {
    let spoof = b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=attacker.test; s=slow;\r\n h=from; bh=AAAA; b=AAAA\r\n\
Return-Path: <bounce@example.com>\r\n\
Received: from attacker.test (attacker.test [203.0.113.9])\r\n\tby mx.receiver.test (Postfix) with ESMTP id 4SPOOF\r\n\tfor <bob@receiver.test>; Mon, 23 Nov 2026 10:15:02 +0000 (UTC)\r\n\
From: Alice Example <alice@example.com>\r\nTo: bob@receiver.test\r\nSubject: pay this\r\n\
Date: Mon, 23 Nov 2026 10:15:00 +0000\r\nMessage-ID: <spoof@attacker.test>\r\n\r\nPay.\r\n";
    let zone = std::fs::read_to_string(testdata("demo/zone.db")).expect("demo zone");
    let server = crate::support_dns::FaultServer::start(
        &zone,
        crate::support_dns::Fault::DropNames(vec!["slow._domainkey.attacker.test.".into()]),
    );
    let started = std::time::Instant::now();
    let (code, out, err) = raw_run(
        &[
            "filter",
            "--authserv-id",
            "mx.receiver.test",
            "--nameserver",
            &server.nameserver(),
            "--timeout",
            "8",
            "--deadline",
            "2",
        ],
        spoof,
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        started.elapsed().as_secs_f64() < 6.0,
        "took {:?}",
        started.elapsed()
    );
    let (prefix, rest) = split_prefix(&out, spoof);
    assert_eq!(rest, &spoof[..]);
    let field = String::from_utf8_lossy(prefix);
    assert!(field.contains("dmarc=fail"), "{field}");
    assert!(field.contains("dkim=temperror"), "{field}");
    assert!(err.contains("unanswered"), "{err}");
}
