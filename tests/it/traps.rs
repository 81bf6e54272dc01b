//! The small traps a newcomer meets in the first hour (issue 17): each is said, not silent.

use crate::support::{run, temp_dir, testdata, write_file};

const DANE_ZONE: &str = "dane.test. MX 10 mx.dane.test.\n\
mx.dane.test. A 192.0.2.25\n\
_25._tcp.mx.dane.test. TLSA 3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6\n\
dane.test. TXT \"v=spf1 -all\"\n\
_dmarc.dane.test. TXT \"v=DMARC1; p=reject; rua=mailto:d@dane.test\"\n";

fn dane_status(ns: &str, anchor: &str) -> crate::support::Run {
    run(
        &[
            "domain",
            "--format",
            "json",
            "--timeout",
            "3",
            "--nameserver",
            ns,
            "--trust-anchor",
            anchor,
            "--no-https",
            "dane.test",
        ],
        None,
    )
}

/// --trust-anchor files are read by our zone parser, like --dns-zone files: an owner written
/// with RFC 1035 `\DDD` escapes (decimal octets: `d\097ne` is `dane`) and a key split over
/// lines in parentheses still validate the signed zone (hickory's reader decodes `\DDD` wrongly).
#[test]
fn trust_anchor_uses_our_zone_parser() {
    let server = crate::support_servers::SignedDnsServer::start(DANE_ZONE, "dane.test.");
    let dir = temp_dir("anchor-escaped");
    let (head, key) = server
        .anchor
        .trim_end()
        .rsplit_once(' ')
        .expect("DNSKEY ... KEY");
    let (k1, k2) = key.split_at(key.len() / 2);
    let escaped = format!(
        "$ORIGIN test.\n{} (\n  {k1}\n  {k2} )\n",
        head.replacen("dane.test.", "d\\097ne", 1)
    );
    let anchor = write_file(&dir, "anchor.db", escaped.as_bytes());
    let r = dane_status(&server.addr.to_string(), &anchor);
    assert!(
        r.code == 0 || r.code == 1,
        "{} {}\n{escaped}",
        r.code,
        r.stderr
    );
    assert_eq!(
        r.json()["domains"][0]["dane"][0]["dnssec"],
        "secure",
        "{escaped}"
    );
}

/// A --trust-anchor file that cannot be opened is exit 66 (cannot open), not 75 (retry later);
/// one without a DNSKEY, or with a syntax error, is a usage error (2) naming the file.
#[test]
fn trust_anchor_errors_have_their_exit_codes() {
    let dir = temp_dir("anchor-errors");
    let missing = dir.join("missing.db").display().to_string();
    let r = dane_status("127.0.0.1:9", &missing);
    assert_eq!(r.code, 66, "{}", r.stderr);
    assert!(r.stderr.contains("--trust-anchor") && r.stderr.contains("missing.db"));
    let no_key = write_file(&dir, "a.db", b"dane.test. A 192.0.2.1\n");
    let r = dane_status("127.0.0.1:9", &no_key);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("no DNSKEY"), "{}", r.stderr);
    let ds = write_file(&dir, "ds.db", b"dane.test. DS 12345 13 2 AABBCC\n");
    let r = dane_status("127.0.0.1:9", &ds);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("DS records"), "{}", r.stderr);
    let syntax = write_file(&dir, "s.db", b"dane.test. DNSKEY 257 3 13 (\n");
    let r = dane_status("127.0.0.1:9", &syntax);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("line"), "{}", r.stderr);
    // Checked before any message is read: check on a file fails the same way.
    let r = run(
        &[
            "check",
            "--trust-anchor",
            &missing,
            &testdata("demo/signed.eml"),
        ],
        None,
    );
    assert_eq!(r.code, 66, "{}", r.stderr);
}

/// Runs the binary with stdin, stdout and stderr on a pseudo-terminal (python3's pty module),
/// typing `feed` and Ctrl-D once `prompt` has appeared. None when python3 is missing.
fn on_terminal(args: &[&str], prompt: &str, feed: &[u8]) -> Option<(i32, String)> {
    const SCRIPT: &str = r#"
import os, pty, select, sys, time
prompt, feed, argv = sys.argv[1].encode(), bytes.fromhex(sys.argv[2]), sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
out, sent, deadline = b"", not prompt, time.time() + 60
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.2)
    if ready:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        out += data
    if not sent and prompt in out:
        os.write(fd, feed + b"\x04")
        sent = True
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(status))
"#;
    let hex: String = feed.iter().map(|b| format!("{b:02x}")).collect();
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            SCRIPT,
            prompt,
            &hex,
            env!("CARGO_BIN_EXE_mailverdict"),
        ])
        .args(args)
        .env("TERM", "xterm")
        .output()
        .ok()?;
    Some((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

/// `check` reading a terminal says it waits for a message on standard input (instead of
/// seeming to hang), then checks what was typed.
#[test]
fn check_on_a_terminal_says_it_reads_stdin() {
    let zone = testdata("demo/zone.db");
    let msg = std::fs::read(testdata("demo/signed.eml")).expect("demo");
    let Some((code, out)) = on_terminal(
        &["check", "--color", "never", "--dns-zone", &zone],
        "standard input",
        &msg,
    ) else {
        crate::support::note("SKIP: python3 not available for the terminal test");
        return;
    };
    assert!(
        out.contains("reading a message from standard input"),
        "{out}"
    );
    assert!(out.contains("Ctrl-D"), "{out}");
    assert!(out.contains("DMARC"), "the typed message is checked: {out}");
    assert!([0, 1, 3].contains(&code), "{code}: {out}");
    // Not on a pipe: scripts see no hint.
    let r = run(&["check", "--dns-zone", &zone], Some(&msg));
    assert!(!r.stderr.contains("standard input"), "{}", r.stderr);
}

/// The batch progress line shows a readable rate ("1,234/s" or "12.5/s"), never indicatif's
/// raw float ("14,411.6988/s").
#[test]
fn progress_rate_is_readable() {
    let demo = std::fs::read_to_string(testdata("demo/signed.eml")).expect("demo");
    let mut mbox = String::new();
    for _ in 0..3000 {
        mbox.push_str("From bounce@example.com Mon Nov 23 10:15:02 2026\n");
        mbox.push_str(&demo.replace("\r\n", "\n"));
        mbox.push('\n');
    }
    let dir = temp_dir("progress");
    let file = write_file(&dir, "many.mbox", mbox.as_bytes());
    let zone = testdata("demo/zone.db");
    let Some((code, out)) = on_terminal(
        &["batch", "--jobs", "1", "--dns-zone", &zone, &file],
        "",
        b"",
    ) else {
        crate::support::note("SKIP: python3 not available for the terminal test");
        return;
    };
    assert_eq!(code, 0, "{out}");
    let rates: Vec<&str> = out
        .split("messages checked (")
        .skip(1)
        // The rate ends at "/s" (it may hold thousands separators itself: "14,412/s").
        .filter_map(|s| s.split_once("/s").map(|(r, _)| r))
        .collect();
    assert!(!rates.is_empty(), "no progress line drawn: {out}");
    for number in &rates {
        let ok = match number.split_once('.') {
            Some((whole, frac)) => {
                frac.len() == 1 && whole.len() <= 2 && whole.bytes().all(|b| b.is_ascii_digit())
            }
            None => number.bytes().all(|b| b.is_ascii_digit() || b == b','),
        };
        assert!(ok, "unreadable rate {number:?}");
    }
}

/// `check` and `trace` on an mbox of several messages refuse it (65) and say to use batch;
/// a single message with an mbox `From ` line is still checked.
#[test]
fn check_on_an_mbox_says_use_batch() {
    let demo = std::fs::read_to_string(testdata("demo/signed.eml")).expect("demo");
    let one = format!("From bounce@example.com Mon Nov 23 10:15:02 2026\n{demo}");
    let two = format!("{one}\n{one}");
    let dir = temp_dir("mbox-trap");
    let file = write_file(&dir, "two.mbox", two.as_bytes());
    let single = write_file(&dir, "one.mbox", one.as_bytes());
    let zone = testdata("demo/zone.db");
    for command in ["check", "trace"] {
        let r = run(&[command, "--dns-zone", &zone, &file], None);
        assert_eq!(r.code, 65, "{command}: {}", r.stderr);
        assert!(
            r.stderr.contains("several messages")
                && r.stderr.contains(&format!("mailverdict batch {file}")),
            "{}",
            r.stderr
        );
        assert!(r.stdout.is_empty());
    }
    let r = run(&["check", "--dns-zone", &zone, "-"], Some(two.as_bytes()));
    assert_eq!(r.code, 65);
    assert!(r.stderr.contains("mailverdict batch FILE"), "{}", r.stderr);
    let r = run(&["check", "--dns-zone", &zone, &single], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// `batch -0 -` reads a NUL-separated list of paths (find -print0), so names with newlines
/// and spaces work; without -0 the list is one path a line.
#[test]
fn batch_reads_nul_separated_paths() {
    let dir = temp_dir("nul-list");
    let demo = std::fs::read(testdata("demo/signed.eml")).expect("demo");
    let odd = write_file(&dir, "odd\nname one.eml", &demo);
    let plain = write_file(&dir, "plain.eml", &demo);
    let zone = testdata("demo/zone.db");
    let list = format!("{odd}\0{plain}\0");
    let r = run(
        &["batch", "-0", "--format", "json", "--dns-zone", &zone, "-"],
        Some(list.as_bytes()),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 2, "{}", r.stdout);
    assert_eq!(lines[0]["source"]["path"], odd.as_str());
    assert_eq!(lines[0]["verdict"]["result"], "pass");
    // The same list read as lines names paths that do not exist.
    let r = run(
        &["batch", "--format", "json", "--dns-zone", &zone, "-"],
        Some(list.as_bytes()),
    );
    assert_eq!(r.code, 66, "{}", r.stdout);
}
