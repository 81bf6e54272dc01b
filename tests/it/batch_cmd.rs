//! `mailverdict batch`: mbox, Maildir, folders and path lists; results equal to `check` per
//! message; shards partition; jobs do not change results; Ctrl-C stops with a summary.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::support::{run, temp_dir, testdata, write_file};

fn fixtures() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(testdata("dkim"))
        .expect("fixtures")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    files.sort();
    files
}

fn batch(args: &[&str], stdin: Option<&[u8]>) -> (i32, Vec<Value>, String) {
    let zone = testdata("dkim/zone.db");
    let mut all = vec!["batch", "--format", "json", "--dns-zone", zone.as_str()];
    all.extend_from_slice(args);
    let r = run(&all, stdin);
    let lines = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    (r.code, lines, r.stderr)
}

/// Strip what differs by design between a batch line and a `check` document.
fn comparable(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("source");
        o.remove("dns");
    }
    v
}

/// Every batch line equals `check --format json` on the same message (bar `source`, and `dns`
/// counts that a shared cache makes meaningless per message), in input order.
#[test]
fn batch_equals_check_per_message() {
    let dir = temp_dir("maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(dir.join(sub)).expect("maildir");
    }
    let files = fixtures();
    for f in &files {
        std::fs::copy(f, dir.join("cur").join(f.file_name().expect("name"))).expect("copy");
    }
    // --transport makes batch look up what check looks up by default.
    let (code, lines, summary) = batch(
        &["--jobs", "3", "--transport", &dir.display().to_string()],
        None,
    );
    assert_eq!(code, 0, "{summary}");
    assert_eq!(lines.len(), files.len());
    for (line, file) in lines.into_iter().zip(&files) {
        let name = file
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        assert!(
            line["source"]["path"]
                .as_str()
                .unwrap_or_default()
                .ends_with(&name),
            "order: {} vs {name}",
            line["source"]
        );
        let single = run(
            &[
                "check",
                "--format",
                "json",
                "--dns-zone",
                &testdata("dkim/zone.db"),
                &file.display().to_string(),
            ],
            None,
        );
        assert_eq!(comparable(line), comparable(single.json()), "{name}");
    }
    assert!(
        summary.contains(&format!("{} message(s)", files.len())),
        "{summary}"
    );
    assert!(summary.contains("why messages did not pass:"), "{summary}");
}

/// The files as one mboxrd mbox, and the offset of each message's From_ line.
fn mbox_of(files: &[std::path::PathBuf]) -> (Vec<u8>, Vec<u64>) {
    let mut mbox = Vec::new();
    let mut offsets = Vec::new();
    for f in files {
        offsets.push(mbox.len() as u64);
        mbox.extend_from_slice(b"From sender@example.com Mon Nov 23 10:00:00 2026\n");
        let text = std::fs::read(f).expect("fixture");
        for line in text.split_inclusive(|&b| b == b'\n') {
            let body_from = line
                .iter()
                .skip_while(|&&b| b == b'>')
                .take(5)
                .eq(b"From ".iter());
            if body_from {
                mbox.push(b'>');
            }
            mbox.extend_from_slice(line);
        }
        mbox.extend_from_slice(b"\n");
    }
    (mbox, offsets)
}

/// The workers read a folder's files: a folder holding .eml files and two mboxes of more
/// messages than a chunk, in different chunks (so they go out in parts, the second waiting for
/// its turn), gives,
/// with any --jobs, the lines the same files give named one by one on the command line (read
/// by the walk itself), in the same order, with the same summary.
#[test]
fn folder_files_read_by_workers_keep_input_order() {
    let files = fixtures();
    // Chunks close at 64 entries: an mbox of more messages than that goes out in parts, and
    // the two mboxes land in different chunks, the second one's worker ahead of the chunk
    // being written.
    let many: Vec<_> = files.iter().cycle().take(80).cloned().collect();
    let (mbox, _) = mbox_of(&many);
    let dir = temp_dir("folder-mboxes");
    let mut named = Vec::new();
    let eml = 90;
    for (i, f) in files.iter().cycle().take(eml).enumerate() {
        named.push(write_file(
            &dir,
            &format!("{i:02}.eml"),
            &std::fs::read(f).expect("fixture"),
        ));
        if i == 1 || i == 70 {
            named.push(write_file(&dir, &format!("{i:02}x.mbox"), &mbox));
        }
    }
    let mut args: Vec<&str> = vec!["--jobs", "1"];
    args.extend(named.iter().map(String::as_str));
    let (code, expected, expected_summary) = batch(&args, None);
    assert_eq!(code, 0, "{expected_summary}");
    assert_eq!(expected.len(), eml + 2 * 80);
    let folder = dir.display().to_string();
    for jobs in ["1", "2", "4"] {
        let (code, got, summary) = batch(&["--jobs", jobs, &folder], None);
        assert_eq!(code, 0, "{summary}");
        assert_eq!(summary, expected_summary, "--jobs {jobs}");
        assert_eq!(got.len(), expected.len(), "--jobs {jobs}");
        for (i, (a, b)) in got.iter().zip(&expected).enumerate() {
            assert_eq!(a, b, "line {i} with --jobs {jobs}");
        }
    }
}

/// An mbox with mboxrd quoting gives the same messages (and offsets) as the files it was made
/// of; a list of paths on stdin works too.
#[test]
fn mbox_and_path_lists() {
    let files: Vec<_> = fixtures().into_iter().take(6).collect();
    let (mbox, offsets) = mbox_of(&files);
    let dir = temp_dir("mbox");
    let path = write_file(&dir, "corpus.mbox", &mbox);
    let (code, from_mbox, _) = batch(&[&path], None);
    assert_eq!(code, 0);
    assert_eq!(from_mbox.len(), files.len());
    let got_offsets: Vec<u64> = from_mbox
        .iter()
        .map(|l| l["source"]["offset"].as_u64().expect("offset"))
        .collect();
    assert_eq!(got_offsets, offsets);
    let list: String = files.iter().map(|f| format!("{}\n", f.display())).collect();
    let (_, from_list, _) = batch(&["-"], Some(list.as_bytes()));
    for (a, b) in from_mbox.into_iter().zip(from_list) {
        assert_eq!(comparable(a), comparable(b));
    }
}

/// --shard K/N: every message in exactly one shard; --jobs does not change the output.
#[test]
fn shards_partition_and_jobs_agree() {
    let dir = testdata("dkim");
    let (_, all, _) = batch(&["--jobs", "1", &dir], None);
    let (_, all4, _) = batch(&["--jobs", "4", &dir], None);
    assert_eq!(all, all4, "output does not depend on --jobs");
    let key = |v: &Value| v["source"]["path"].as_str().unwrap_or_default().to_string();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for k in 1..=3 {
        let (code, part, _) = batch(&["--shard", &format!("{k}/3"), &dir], None);
        assert_eq!(code, 0);
        for v in &part {
            *seen.entry(key(v)).or_default() += 1;
        }
    }
    assert_eq!(seen.len(), all.len());
    assert!(seen.values().all(|&n| n == 1));
    assert_eq!(run(&["batch", "--shard", "4/3", &dir], None).code, 2);
}

/// A path that cannot be opened and a file that is not a message are reported as lines; the
/// rest is still checked; exit 66 says an input was unreadable.
#[test]
fn bad_inputs_are_reported_not_fatal() {
    let dir = temp_dir("badinputs");
    let junk = write_file(&dir, "junk.eml", b"\x00\x01 not mail");
    let (code, lines, _) = batch(
        &["/nonexistent/inbox", &junk, &testdata("demo/signed.eml")],
        None,
    );
    assert_eq!(code, 66);
    assert_eq!(lines.len(), 3);
    assert!(
        lines[0]["error"]
            .as_str()
            .unwrap_or_default()
            .starts_with("cannot open")
    );
    assert!(
        lines[1]["error"]
            .as_str()
            .unwrap_or_default()
            .starts_with("not a message")
    );
    assert_eq!(lines[2]["verdict"]["result"], "pass");
}

/// Ctrl-C (SIGINT) stops reading, finishes what is in flight, prints the summary so far and
/// exits 130.
#[test]
fn interrupt_stops_with_a_summary() {
    let dir = temp_dir("sigint");
    let one = std::fs::read(testdata("demo/signed.eml")).expect("fixture");
    let mut mbox = Vec::new();
    for _ in 0..20_000 {
        mbox.extend_from_slice(b"From a@b Mon Nov 23 10:00:00 2026\n");
        mbox.extend_from_slice(&one);
        mbox.extend_from_slice(b"\n");
    }
    let path = write_file(&dir, "big.mbox", &mbox);
    let child = Command::new(env!("CARGO_BIN_EXE_mailverdict"))
        .args([
            "batch",
            "--format",
            "json",
            "--jobs",
            "2",
            "--dns-zone",
            &testdata("dkim/zone.db"),
            &path,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    std::thread::sleep(std::time::Duration::from_millis(700));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    assert!(killed.is_ok_and(|s| s.success()));
    let out = child.wait_with_output().expect("finishes");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("(interrupted: the summary so far)"),
        "{stderr}"
    );
    let lines = String::from_utf8_lossy(&out.stdout).lines().count();
    assert!(lines > 0 && lines < 20_000, "{lines} lines");
    assert!(
        stderr.contains(&format!("{lines} message(s)")),
        "summary counts what was written: {stderr}"
    );
}

/// `batch ... | head -1`: once head has its line and exits, the output is a closed pipe; the
/// reader and the workers stop, and batch exits promptly and quietly (it hung forever with the
/// reader waiting for a place in the window).
#[test]
fn batch_into_head_stops_promptly_and_quietly() {
    let dir = temp_dir("head");
    let message = std::fs::read(testdata("demo/signed.eml")).expect("fixture");
    let mut mbox = Vec::new();
    for _ in 0..3000 {
        mbox.extend_from_slice(b"From bounce@example.com Mon Jan  1 00:00:00 2024\r\n");
        mbox.extend_from_slice(&message);
        mbox.extend_from_slice(b"\r\n");
    }
    let path = write_file(&dir, "many.mbox", &mbox);
    let zone = testdata("dkim/zone.db");
    let started = std::time::Instant::now();
    let mut batch = Command::new(env!("CARGO_BIN_EXE_mailverdict"))
        .args([
            "batch",
            "--format",
            "json",
            "--jobs",
            "2",
            "--dns-zone",
            &zone,
            &path,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("batch starts");
    let head = Command::new("head")
        .arg("-1")
        .stdin(batch.stdout.take().expect("stdout"))
        .output()
        .expect("head runs");
    assert_eq!(String::from_utf8_lossy(&head.stdout).lines().count(), 1);
    let status = loop {
        if let Ok(Some(s)) = batch.try_wait() {
            break Some(s);
        }
        if started.elapsed() > std::time::Duration::from_secs(20) {
            let _ = batch.kill();
            let _ = batch.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let took = started.elapsed();
    let status = status.unwrap_or_else(|| panic!("batch still running after {took:?}"));
    assert!(took < std::time::Duration::from_secs(10), "took {took:?}");
    let mut stderr = String::new();
    use std::io::Read;
    let _ = batch
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr);
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(stderr, "", "quiet");
}
