//! Every command finishes in bounded time and memory against misbehaving peers and inputs:
//! HTTPS and SMTP servers that drip or never end a line, folders with FIFOs and symbolic-link
//! loops, an mbox line of 1.5 GB, and tag lists sized to buy CPU time.

use std::time::Duration;

use serde_json::Value;

use crate::support::{note, temp_dir, testdata, write_file};
use crate::support_io::{BadServer, FLOOD, Misbehaviour, mkfifo, run_within};

/// Generous bound for "finishes promptly" (debug build, shared 2-core machine).
const PROMPT: Duration = Duration::from_secs(10);

/// `domain --probe slow.test` against `server` as its MX, with `--timeout 2`.
fn probe(server: &BadServer) -> (crate::support::Run, Duration, Value) {
    let dir = temp_dir("probe-fault");
    let zone = write_file(
        &dir,
        "zone.db",
        b"$ORIGIN slow.test.\n@ MX 10 mx1.slow.test.\nmx1 A 127.0.0.1\n",
    );
    let connect = format!("mx1.slow.test:25:127.0.0.1:{}", server.port);
    let args = [
        "domain",
        "--format",
        "json",
        "--probe",
        "--dns-zone",
        &zone,
        "--connect-to",
        &connect,
        "--timeout",
        "2",
        "slow.test",
    ];
    let (r, took) = run_within(&args, None, Duration::from_secs(30));
    let v = if r.code == -1 { Value::Null } else { r.json() };
    (r, took, v)
}

fn probe_error(v: &Value) -> String {
    v["domains"][0]["probes"][0]["error"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// An SMTP server that drips its greeting one octet per second: the probe stops at its total
/// deadline (`--timeout 2` for the whole conversation), not after each octet's timeout.
#[test]
fn probe_of_a_dripping_smtp_server_ends_at_its_deadline() {
    let server = BadServer::smtp(Misbehaviour::Drip);
    let (r, took, v) = probe(&server);
    assert!(took < PROMPT, "took {took:?}; stderr: {}", r.stderr);
    let error = probe_error(&v);
    assert!(
        error.contains("no answer within 2s") && error.contains("greeting"),
        "{error}"
    );
    // A slow server is the network's doing as far as we can tell: a warning, not an error.
    assert!(
        v["findings"].as_array().is_some_and(|f| f
            .iter()
            .any(|f| f["id"] == "probe.connect-failed" && f["severity"] == "warning")),
        "{}",
        v["findings"]
    );
}

/// An SMTP greeting that never ends its line: the probe reads at most one capped line (it does
/// not buffer what the server sends), fails with the typed reason, and finishes promptly.
#[test]
fn probe_reads_at_most_one_capped_line_of_an_endless_greeting() {
    let server = BadServer::smtp(Misbehaviour::EndlessLine);
    let (r, took, v) = probe(&server);
    assert!(took < PROMPT, "took {took:?}; stderr: {}", r.stderr);
    let error = probe_error(&v);
    assert!(error.contains("line over 4096 octets"), "{error}");
    let sent = server.sent.load(std::sync::atomic::Ordering::Relaxed);
    // Socket buffers hold a few MiB; reading the line whole would take all FLOOD octets.
    assert!(
        sent < 16 * 1024 * 1024,
        "the client took {sent} of {FLOOD} octets"
    );
}

/// `domain good.test` (zone replay) with its MTA-STS policy fetched from `server`.
fn audit_good_test(server: &BadServer, extra: &[&str]) -> (crate::support::Run, Duration) {
    let zone = testdata("domain/zone.db");
    let connect = format!("mta-sts.good.test:443:127.0.0.1:{}", server.port);
    let mut args = vec![
        "domain",
        "--format",
        "json",
        "--dns-zone",
        &zone,
        "--ca-file",
        &server.ca_file,
        "--connect-to",
        &connect,
    ];
    args.extend_from_slice(extra);
    args.push("good.test");
    run_within(&args, None, Duration::from_secs(30))
}

/// `domain` fetching an MTA-STS policy from an HTTPS server that answers one octet per second:
/// the fetch has one deadline for connect, TLS, request and body (`--timeout 2`).
#[test]
fn mta_sts_fetch_from_a_dripping_server_ends_at_its_deadline() {
    let server = BadServer::https("mta-sts.good.test", Misbehaviour::Drip);
    let (r, took) = audit_good_test(&server, &["--timeout", "2"]);
    assert!(took < PROMPT, "took {took:?}; stderr: {}", r.stderr);
    let v = r.json();
    let fetch = v["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["id"] == "mta-sts.policy-fetch-failed"))
        .cloned()
        .unwrap_or_default();
    assert!(
        fetch["message"]
            .as_str()
            .is_some_and(|m| m.contains("within 2s")),
        "{}",
        v["findings"]
    );
}

/// An HTTPS status line that never ends: the fetch stops at the header allowance and says so.
#[test]
fn mta_sts_fetch_of_an_endless_line_is_capped() {
    let server = BadServer::https("mta-sts.good.test", Misbehaviour::EndlessLine);
    let (r, took) = audit_good_test(&server, &[]);
    assert!(took < PROMPT, "took {took:?}; stderr: {}", r.stderr);
    assert!(
        r.stdout.contains("the response header is over"),
        "{}",
        r.stdout
    );
    let sent = server.sent.load(std::sync::atomic::Ordering::Relaxed);
    assert!(sent < 16 * 1024 * 1024, "the client took {sent} octets");
}

/// A folder holding a FIFO (as `.eml` and in a Maildir's `cur/`), a symbolic link to itself and
/// one to its parent: batch finishes promptly, checks the one real message, and notes each
/// skipped entry (a FIFO is never opened: opening one blocks until a writer comes).
#[test]
fn batch_skips_fifos_and_symlink_loops() {
    let dir = temp_dir("fifo-loop");
    let message = std::fs::read(testdata("demo/signed.eml")).expect("fixture");
    write_file(&dir, "a.eml", &message);
    mkfifo(&dir.join("pipe.eml"));
    let maildir = dir.join("box");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).expect("maildir");
    }
    mkfifo(&maildir.join("cur").join("1.fifo"));
    std::os::unix::fs::symlink(&dir, dir.join("self")).expect("symlink");
    std::fs::create_dir_all(dir.join("sub")).expect("sub");
    std::os::unix::fs::symlink(&dir, dir.join("sub").join("up")).expect("symlink");
    let zone = testdata("dkim/zone.db");
    let path = dir.display().to_string();
    let args = ["batch", "--format", "json", "--dns-zone", &zone, &path];
    let (r, took) = run_within(&args, None, Duration::from_secs(30));
    assert!(took < PROMPT, "took {took:?} (a FIFO was opened?)");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let checked = lines.iter().filter(|l| l.get("verdict").is_some()).count();
    let skipped: Vec<&str> = lines
        .iter()
        .filter_map(|l| l["error"].as_str())
        .filter(|e| e.starts_with("skipped:"))
        .collect();
    assert_eq!(checked, 1, "{}", r.stdout);
    assert_eq!(
        skipped.iter().filter(|e| e.contains("FIFO")).count(),
        2,
        "{skipped:?}"
    );
    assert_eq!(
        skipped
            .iter()
            .filter(|e| e.contains("already read"))
            .count(),
        2,
        "{skipped:?}"
    );
    assert!(r.stderr.contains("skipped    4"), "{}", r.stderr);
}

/// An mbox whose second line is 1.5 GB long (a sparse file: no disk used), read under a 1 GiB
/// address-space limit: lines are read in pieces and an oversized message is let go as it is
/// read, so batch neither runs out of memory nor loses the message that follows.
#[test]
fn batch_mbox_line_of_one_and_a_half_gigabytes_stays_small() {
    use std::io::Write;
    let dir = temp_dir("long-line");
    let path = dir.join("huge.mbox");
    let mut f = std::fs::File::create(&path).expect("create");
    f.write_all(b"From a@example.com Mon Jan  1 00:00:00 2024\nSubject: huge\n\n")
        .expect("head");
    let huge = 1_500_000_000u64;
    let at = f.metadata().expect("meta").len() + huge;
    f.set_len(at).expect("sparse line");
    drop(f);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("append");
    let message = std::fs::read(testdata("demo/signed.eml")).expect("fixture");
    f.write_all(b"\n\nFrom b@example.com Mon Jan  1 00:00:00 2024\n")
        .expect("sep");
    f.write_all(&message).expect("second message");
    drop(f);
    let script = format!(
        "ulimit -v 1048576 && exec {} batch --format json --jobs 1 --dns-zone {} {}",
        env!("CARGO_BIN_EXE_mailverdict"),
        testdata("dkim/zone.db"),
        path.display()
    );
    let started = std::time::Instant::now();
    let out = std::process::Command::new("sh")
        .args(["-c", &script])
        .output()
        .expect("sh runs");
    let took = started.elapsed();
    let _ = std::fs::remove_file(&path);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("larger than")),
        "{}",
        lines[0]
    );
    assert_eq!(lines[1]["verdict"]["result"], "pass", "{}", lines[1]);
    note(&format!(
        "1.5 GB mbox line read in {took:?} under a 1 GiB limit"
    ));
}

/// A DKIM-Signature with 80,000 tags (about 700 KB) is refused by its size before any
/// per-tag work: `check` answers promptly with the typed reason (it took 16 s when the
/// duplicate-tag check compared every pair).
#[test]
fn a_huge_tag_list_cannot_buy_cpu_time() {
    let original = std::fs::read(testdata("demo/signed.eml")).expect("fixture");
    let tags: String = (0..80_000).map(|i| format!("x{i}=1; ")).collect();
    let field = format!(
        "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel1; {tags}h=from; bh=AAAA; b=AAAA\r\n"
    );
    let message = [field.as_bytes(), &original].concat();
    let zone = testdata("dkim/zone.db");
    let args = ["check", "--format", "json", "--dns-zone", &zone, "-"];
    let (r, took) = run_within(&args, Some(&message), Duration::from_secs(60));
    assert!(took < PROMPT, "took {took:?}");
    assert!(
        r.stdout.contains("over the 65536-octet limit"),
        "{}",
        &r.stdout[..r.stdout.len().min(2000)]
    );
    // Under the size cap, the tag count is capped too, and both are linear.
    let tags: String = (0..5_000).map(|i| format!("x{i}=1;")).collect();
    let field = format!(
        "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel1; {tags}h=from; bh=AAAA; b=AAAA\r\n"
    );
    let message = [field.as_bytes(), &original].concat();
    let (r, took) = run_within(&args, Some(&message), Duration::from_secs(60));
    assert!(took < PROMPT, "took {took:?}");
    assert!(r.stdout.contains("more than 100 tags"), "{}", r.stdout);
}
