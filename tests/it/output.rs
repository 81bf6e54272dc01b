//! The human report, the Authentication-Results header, colour and terminal safety.

use crate::support::{run, temp_dir, testdata, write_file};

fn demo(args: &[&str]) -> crate::support::Run {
    let zone = testdata("dkim/zone.db");
    let msg = testdata("demo/signed.eml");
    let mut all = vec!["check", "--dns-zone", zone.as_str(), msg.as_str()];
    all.extend_from_slice(args);
    run(&all, None)
}

/// The human report matches the committed snapshot (set MAILVERDICT_UPDATE_SNAPSHOTS=1 to
/// rewrite it after an intended change).
#[test]
fn human_report_snapshot() {
    let r = demo(&["--color", "never"]);
    assert_eq!(r.code, 0);
    let path = crate::support::root().join("tests/snapshots/check-demo.txt");
    if std::env::var_os("MAILVERDICT_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &r.stdout).expect("write snapshot");
    }
    let expected = std::fs::read_to_string(&path).expect("snapshot exists");
    assert_eq!(
        r.stdout, expected,
        "human report changed; review and update the snapshot"
    );
    assert!(r.stdout.starts_with("PASS DMARC pass for example.com"));
}

/// --format arh prints one RFC 8601 header with every mechanism and our authserv-id.
#[test]
fn authentication_results_header() {
    let r = demo(&["--format", "arh", "--authserv-id", "mx.receiver.test"]);
    assert_eq!(r.code, 0);
    let h = &r.stdout;
    // Long results fold at spaces (RFC 5322 line limits); compare the unfolded text.
    let unfolded = h.replace(";\n\t", "; ").replace("\n\t", " ");
    assert!(
        h.starts_with("Authentication-Results: mx.receiver.test;\n\tspf=pass"),
        "{h}"
    );
    for part in [
        "smtp.mailfrom=bounce@example.com",
        "dkim=pass reason=\"signature verified\" header.d=example.com header.s=sel1 header.a=rsa-sha256 header.b=",
        "header.s=ed1",
        "arc=none",
        "dmarc=pass (p=reject dis=none) header.from=example.com",
        "iprev=pass policy.iprev=192.0.2.10",
    ] {
        assert!(unfolded.contains(part), "missing {part:?} in\n{h}");
    }
    // Every line after the first is a folded continuation.
    assert!(h.lines().skip(1).all(|l| l.starts_with('\t')));
    assert!(h.lines().all(|l| l.len() <= 78), "{h}");
}

/// Colour: --color always colours, never/NO_COLOR/TERM=dumb and pipes do not.
#[test]
fn colour_is_decided_once() {
    assert!(demo(&["--color", "always"]).stdout.contains("\x1b["));
    assert!(!demo(&["--color", "never"]).stdout.contains('\x1b'));
    assert!(!demo(&[]).stdout.contains('\x1b'), "auto on a pipe is off");
    let zone = testdata("dkim/zone.db");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailverdict"))
        .args(["check", "--dns-zone", &zone, &testdata("demo/signed.eml")])
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    assert!(!out.stdout.contains(&0x1b));
}

/// Escape sequences, OSC 8 links and bidi overrides in From, Subject and Received never reach
/// the terminal raw, even with colour on.
#[test]
fn hostile_text_is_escaped() {
    let dir = temp_dir("escape");
    let msg = "Received: from evil\x1b]8;;http://x\x07host (evil [192.0.2.10])\r\n\tby mx.receiver.test; Mon, 23 Nov 2026 10:15:02 +0000\r\n\
From: \"\x1b[2J\u{202e}Bank\" <alice@example.com>\r\n\
Subject: hi \x1b]8;;http://evil.example/\x07click\x1b]8;;\x07 \u{9b}31m\r\n\r\nbody\r\n";
    let file = write_file(&dir, "hostile.eml", msg.as_bytes());
    let zone = testdata("dkim/zone.db");
    for color in ["never", "always"] {
        let r = run(
            &[
                "check",
                "--color",
                color,
                "--ip",
                "192.0.2.10",
                "--mail-from",
                "alice@example.com",
                "--dns-zone",
                &zone,
                &file,
            ],
            None,
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let raw_controls = r
            .stdout
            .chars()
            .filter(|&c| {
                (c.is_control() && c != '\n' && c != '\x1b')
                    || ('\u{202a}'..='\u{202e}').contains(&c)
            })
            .count();
        assert_eq!(raw_controls, 0, "{:?}", r.stdout);
        // With colour on, every ESC must start one of our SGR sequences.
        for (i, _) in r.stdout.match_indices('\x1b') {
            assert!(r.stdout[i..].starts_with("\x1b["), "stray ESC at {i}");
            let seq: String = r.stdout[i + 2..]
                .chars()
                .take_while(|c| !c.is_ascii_alphabetic())
                .collect();
            assert!(
                seq.chars().all(|c| c.is_ascii_digit() || c == ';'),
                "non-SGR escape {seq:?}"
            );
        }
        assert!(r.stdout.contains("\\x1b"), "escapes are shown visibly");
        assert!(r.stdout.contains("\\u{202e}"));
    }
}
