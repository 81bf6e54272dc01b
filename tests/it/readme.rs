//! Every README example marked ```` ```console ```` runs: its `$ mailverdict ARGS [< FILE]`
//! line is run from the repository root (no shell: arguments split at white space) and its
//! output compared with the block, so an example cannot drift. A line `...` in a block stands
//! for any number of lines. `MAILVERDICT_UPDATE_README=1 cargo test --test it readme` rewrites
//! the blocks from the real output (keeping the lines around each `...`).

use std::process::{Command, Stdio};

use crate::support::root;

struct Example {
    /// Line index (0-based) of the `$ mailverdict` line in README.md.
    command_line: usize,
    command: String,
    expected: Vec<String>,
}

fn examples(readme: &str) -> Vec<Example> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim_end() == "```console" {
            let start = i + 1;
            let end = (start..lines.len())
                .find(|&j| lines[j].trim_end() == "```")
                .expect("console block closed");
            let command = lines[start]
                .strip_prefix("$ mailverdict ")
                .unwrap_or_else(|| panic!("README line {}: not `$ mailverdict ...`", start + 1));
            out.push(Example {
                command_line: start,
                command: command.to_string(),
                expected: lines[start + 1..end]
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
            });
            i = end;
        }
        i += 1;
    }
    out
}

/// Run one example: its output lines.
fn run_example(command: &str) -> (Vec<String>, String) {
    let (args, stdin) = match command.split_once(" < ") {
        Some((args, file)) => (args, Some(root().join(file.trim()))),
        None => (command, None),
    };
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mailverdict"));
    cmd.args(args.split_whitespace())
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("TERM", "dumb")
        .stderr(Stdio::piped())
        .stdout(Stdio::piped());
    match stdin {
        Some(path) => cmd.stdin(std::fs::File::open(&path).expect("example stdin file")),
        None => cmd.stdin(Stdio::null()),
    };
    let out = cmd.output().expect("binary runs");
    (
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Whether `got` matches `want`, where a `...` line in `want` matches any run of lines.
fn matches(want: &[String], got: &[String]) -> bool {
    let Some(gap) = want.iter().position(|l| l == "...") else {
        return want == got;
    };
    let (head, rest) = (&want[..gap], &want[gap + 1..]);
    if got.len() < head.len() || got[..head.len()] != *head {
        return false;
    }
    let got = &got[head.len()..];
    (0..=got.len()).any(|skip| matches(rest, &got[skip..]))
}

/// The block to write in update mode: the real output, shortened around `...` as before.
fn updated(want: &[String], got: &[String]) -> Vec<String> {
    let (Some(first), Some(last)) = (
        want.iter().position(|l| l == "..."),
        want.iter().rposition(|l| l == "..."),
    ) else {
        return got.to_vec();
    };
    let head = first.min(got.len());
    let tail = (want.len() - last - 1).min(got.len() - head);
    let mut out = got[..head].to_vec();
    out.push("...".to_string());
    out.extend_from_slice(&got[got.len() - tail..]);
    out
}

/// Every ```console example in README.md prints what the README shows.
#[test]
fn readme_examples_are_current() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let update = std::env::var_os("MAILVERDICT_UPDATE_README").is_some();
    let found = examples(&readme);
    assert!(found.len() >= 8, "only {} console examples", found.len());
    let mut lines: Vec<String> = readme.lines().map(str::to_string).collect();
    let mut stale = Vec::new();
    // From the bottom up, so that rewriting a block keeps the positions of those above.
    for ex in found.iter().rev() {
        let (got, stderr) = run_example(&ex.command);
        if matches(&ex.expected, &got) {
            continue;
        }
        if update {
            let start = ex.command_line + 1;
            lines.splice(
                start..start + ex.expected.len(),
                updated(&ex.expected, &got),
            );
        } else {
            stale.push(format!(
                "README line {}: $ mailverdict {}\n--- README\n{}\n--- output\n{}\n--- stderr\n{stderr}",
                ex.command_line + 1,
                ex.command,
                ex.expected.join("\n"),
                got.join("\n")
            ));
        }
    }
    if update {
        let mut text = lines.join("\n");
        text.push('\n');
        std::fs::write(&path, text).expect("write README.md");
        return;
    }
    assert!(
        stale.is_empty(),
        "stale README examples (MAILVERDICT_UPDATE_README=1 refreshes them):\n{}",
        stale.join("\n\n")
    );
}

/// The `...` matcher: a gap matches any run of lines, including none; text must match exactly.
#[test]
fn elision_matcher() {
    let v = |s: &str| s.lines().map(str::to_string).collect::<Vec<_>>();
    assert!(matches(&v("a\n...\nd"), &v("a\nb\nc\nd")));
    assert!(matches(&v("a\n...\nd"), &v("a\nd")));
    assert!(matches(&v("...\nc"), &v("a\nb\nc")));
    assert!(matches(&v("a\n..."), &v("a\nb")));
    assert!(!matches(&v("a\n...\nd"), &v("a\nb\nc")));
    assert!(!matches(&v("a\nb"), &v("a\nb\nc")));
    assert_eq!(updated(&v("x\n...\ny"), &v("a\nb\nc\nd")), v("a\n...\nd"));
    assert_eq!(updated(&v("x\ny"), &v("a\nb")), v("a\nb"));
}
