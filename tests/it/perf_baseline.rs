//! Issue 18's baseline: every output for the benchmark corpus is byte-identical to what main
//! wrote before the performance work began (tests/it/baseline/, made by main's binary at
//! ef4fdf6). The corpus is bench_corpus.rs's, smaller: the kinds of message repeat every ten,
//! so 40 messages hold each kind four times, as a folder of .eml files and as an mbox.
//! `MAILVERDICT_UPDATE_BASELINE=1` rewrites the files (only for a change of output on purpose).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bench_corpus::{self, Keys};
use crate::support::{root, temp_dir};

const MESSAGES: usize = 40;

fn corpus() -> PathBuf {
    let dir = temp_dir("perf-baseline");
    let keys = Keys::load(&root());
    bench_corpus::write_folder(&keys, &dir.join("corpus"), MESSAGES);
    bench_corpus::write_mbox(&keys, &dir.join("corpus.mbox"), MESSAGES);
    dir
}

/// Run the binary in `dir` (so the paths it prints are relative and the same on every
/// machine); stdout and stderr as bytes.
fn run_in(dir: &Path, args: &[&str]) -> (Vec<u8>, Vec<u8>) {
    let zone = root().join(bench_corpus::ZONE);
    let out = Command::new(env!("CARGO_BIN_EXE_mailverdict"))
        .args(args)
        .args([
            "--dns-zone",
            &zone.display().to_string(),
            "--at",
            bench_corpus::AT,
        ])
        // The default authserv-id is the host name: the output must not depend on the machine.
        .args(["--authserv-id", "mx.receiver.test"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("TERM", "dumb")
        .output()
        .expect("binary runs");
    (out.stdout, out.stderr)
}

/// Compare with (or, updating, write) one baseline file.
fn same_as(name: &str, got: &[u8]) {
    let file = root().join("tests/it/baseline").join(name);
    if std::env::var_os("MAILVERDICT_UPDATE_BASELINE").is_some() {
        std::fs::create_dir_all(file.parent().expect("folder")).expect("baseline folder");
        std::fs::write(&file, got).expect("write baseline");
        return;
    }
    let want = std::fs::read(&file).expect("baseline file");
    if got != want {
        let at = got
            .iter()
            .zip(&want)
            .position(|(a, b)| a != b)
            .unwrap_or(got.len().min(want.len()));
        let context = |b: &[u8]| {
            String::from_utf8_lossy(&b[at.saturating_sub(80)..b.len().min(at + 80)]).into_owned()
        };
        panic!(
            "{name}: differs from {} at octet {at} ({} vs {} octets)\n got: {}\nwant: {}",
            file.display(),
            got.len(),
            want.len(),
            context(got),
            context(&want)
        );
    }
}

/// `batch` JSON lines and human lines, with their summaries, for the folder and the mbox,
/// with one job and with several: the same octets as main's.
#[test]
fn batch_output_is_byte_identical_to_the_baseline() {
    let dir = corpus();
    for jobs in ["1", "3"] {
        let (out, err) = run_in(
            &dir,
            &[
                "batch",
                "--format",
                "json",
                "--jobs",
                jobs,
                "corpus",
                "corpus.mbox",
            ],
        );
        same_as("batch.jsonl", &out);
        same_as("batch-json.summary", &err);
        let (out, err) = run_in(
            &dir,
            &[
                "batch",
                "--format",
                "human",
                "--jobs",
                jobs,
                "corpus",
                "corpus.mbox",
            ],
        );
        same_as("batch.txt", &out);
        same_as("batch-human.stderr", &err);
    }
}

/// `check` in its three formats on one message of each kind: the same octets as main's.
#[test]
fn check_output_is_byte_identical_to_the_baseline() {
    let dir = corpus();
    for i in [0, 6, 7, 8, 9] {
        let file = format!("corpus/{i:06}.eml");
        for format in ["json", "human", "arh"] {
            let (out, err) = run_in(&dir, &["check", "--format", format, &file]);
            same_as(&format!("check-{i}.{format}"), &out);
            same_as(&format!("check-{i}.{format}.stderr"), &err);
        }
    }
}
