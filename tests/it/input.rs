//! Input handling: files, stdin, line endings, limits, and the exit codes for bad input.

use crate::support::{check_json, run, temp_dir, testdata, write_file};

/// Binary garbage, empty input and a file without any header are "not a message": exit 65.
#[test]
fn not_a_message_exits_65() {
    let zone = testdata("dkim/zone.db");
    for (name, data) in [
        ("garbage", &b"\x00\x01\x02\xff\xfe binary garbage\n"[..]),
        ("empty", &b""[..]),
        ("blank", &b"\r\n\r\n"[..]),
    ] {
        let r = run(&["check", "--dns-zone", &zone, "-"], Some(data));
        assert_eq!(r.code, 65, "{name}: {}", r.stderr);
        assert!(
            r.stderr.contains("standard input is not a message"),
            "{name}: {}",
            r.stderr
        );
        assert!(r.stdout.is_empty());
    }
}

/// A missing file or a directory cannot be opened: exit 66 with the path in the message.
#[test]
fn unopenable_input_exits_66() {
    let zone = testdata("dkim/zone.db");
    let r = run(
        &["check", "--dns-zone", &zone, "/nonexistent/msg.eml"],
        None,
    );
    assert_eq!(r.code, 66);
    assert!(
        r.stderr.contains("cannot open /nonexistent/msg.eml"),
        "{}",
        r.stderr
    );
    let r = run(&["check", "--dns-zone", &zone, &testdata("dkim")], None);
    assert_eq!(r.code, 66, "{}", r.stderr);
}

/// Input over --max-size is refused with a message naming the limit (exit 65).
#[test]
fn size_limit_is_enforced_with_a_clear_message() {
    let zone = testdata("dkim/zone.db");
    let r = run(
        &[
            "check",
            "--dns-zone",
            &zone,
            "--max-size",
            "1K",
            &testdata("demo/signed.eml"),
        ],
        None,
    );
    assert_eq!(r.code, 65);
    assert!(
        r.stderr.contains("1024-byte limit") && r.stderr.contains("--max-size"),
        "{}",
        r.stderr
    );
}

/// Standard input (with and without "-") gives exactly the report the file gives, and a
/// bare-LF copy of a CRLF-signed message still verifies.
#[test]
fn stdin_and_line_endings() {
    let zone = testdata("dkim/zone.db");
    let file = testdata("demo/signed.eml");
    let bytes = std::fs::read(&file).expect("fixture");
    let (_, from_file) = check_json(&zone, &file, &[]);
    for args in [
        vec!["check", "--format", "json", "--dns-zone", &zone, "-"],
        vec!["check", "--format", "json", "--dns-zone", &zone],
    ] {
        let r = run(&args, Some(&bytes));
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(r.json(), from_file);
    }
    let lf: Vec<u8> = bytes.iter().copied().filter(|&b| b != b'\r').collect();
    let dir = temp_dir("lf");
    let (r, v) = check_json(&zone, &write_file(&dir, "lf.eml", &lf), &[]);
    assert_eq!(r.code, 0);
    assert!(
        v["dkim"]
            .as_array()
            .is_some_and(|d| d.iter().all(|s| s["result"] == "pass")),
        "{}",
        v["dkim"]
    );
}

/// Usage errors exit 2: unknown option, bad --at, bad --ip, bad --trusted-mta, bad zone file.
#[test]
fn usage_errors_exit_2() {
    let zone = testdata("dkim/zone.db");
    let msg = testdata("demo/signed.eml");
    for args in [
        vec!["check", "--no-such-flag", &msg],
        vec!["check", "--dns-zone", &zone, "--at", "tomorrow", &msg],
        vec!["check", "--dns-zone", &zone, "--ip", "300.1.1.1", &msg],
        vec![
            "check",
            "--dns-zone",
            &zone,
            "--trusted-mta",
            "10.0.0.0/99",
            &msg,
        ],
        vec!["check", "--dns-zone", &zone, "--timeout", "-1", &msg],
    ] {
        let r = run(&args, None);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(!r.stderr.is_empty());
    }
    let dir = temp_dir("badzone");
    let bad = write_file(&dir, "bad.db", b"example.com. IN A not-an-address\n");
    let r = run(&["check", "--dns-zone", &bad, &msg], None);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("bad.db, line 1") && r.stderr.contains("bad IPv4 address"),
        "{}",
        r.stderr
    );
    let r = run(&["check", "--dns-zone", "/nonexistent.db", &msg], None);
    assert_eq!(r.code, 66, "{}", r.stderr);
}

/// --ip/--helo/--mail-from override what the Received path and Return-Path say.
#[test]
fn overrides_replace_path_values() {
    let zone = testdata("dkim/zone.db");
    let (_, v) = check_json(
        &zone,
        &testdata("dkim/spf-only.eml"),
        &[
            "--ip",
            "2001:db8:25::7",
            "--helo",
            "h.example.org",
            "--mail-from",
            "x@example.com",
        ],
    );
    assert_eq!(v["path"]["origin_ip"], "2001:db8:25::7");
    assert_eq!(v["path"]["helo"], "h.example.org");
    assert_eq!(v["spf"]["result"], "pass");
    assert_eq!(v["spf"]["mechanism"], "ip6:2001:db8:25::/48");
    let sources = v["path"]["sources"].to_string();
    assert!(
        sources.contains("--ip") && sources.contains("--mail-from"),
        "{sources}"
    );
}

/// --trusted-mta moves the trust boundary: the client becomes the sender of the first hop
/// whose sender is not one of ours.
#[test]
fn trusted_mta_moves_the_boundary() {
    let dir = temp_dir("trust");
    let base =
        String::from_utf8_lossy(&std::fs::read(testdata("dkim/spf-only.eml")).expect("fixture"))
            .into_owned();
    let two_hops = base.replacen(
        "Received: ",
        "Received: from relay.forwarder.test (relay.forwarder.test [198.51.100.20])\r\n\tby mx2.receiver.test with ESMTP; Mon, 23 Nov 2026 10:15:09 +0000\r\nReceived: ",
        1,
    );
    let file = write_file(&dir, "two.eml", two_hops.as_bytes());
    let zone = testdata("dkim/zone.db");
    let (_, v) = check_json(&zone, &file, &[]);
    assert_eq!(
        v["path"]["origin_ip"], "198.51.100.20",
        "a relay outside the receiving organization is not inferred to be ours"
    );
    assert_eq!(v["spf"]["result"], "fail");
    for trusted in ["198.51.100.0/24", "relay.forwarder.test"] {
        let (r, v) = check_json(&zone, &file, &["--trusted-mta", trusted]);
        assert_eq!(v["path"]["origin_ip"], "192.0.2.10", "{trusted}");
        assert_eq!(v["path"]["trusted_hops"], 2);
        assert_eq!(r.code, 0);
    }
}
