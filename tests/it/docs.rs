//! man pages and completions are generated from the clap definition and committed; this fails
//! when they are stale (regenerate: `cargo run --features docs --bin mailverdict-docs -- .`).
//! The generator is compiled into this test from the same sources as the dev-only binary, so
//! the runtime binary needs no generator.

use crate::support::{note, root, run, temp_dir};

#[allow(dead_code)]
#[path = "../../src/app/cli.rs"]
mod cli;
#[path = "../../src/app/docs.rs"]
mod generate;

const REGENERATE: &str = "cargo run --features docs --bin mailverdict-docs -- .";

/// man/ and completions/ are exactly what the generator makes from src/app/cli.rs.
#[test]
fn man_and_completions_are_current() {
    let dir = temp_dir("docs");
    generate::write_all(&dir).expect("docs generated");
    for sub in ["man", "completions"] {
        let fresh = dir.join(sub);
        let mut names: Vec<_> = std::fs::read_dir(&fresh)
            .expect("generated")
            .map(|e| e.expect("entry").file_name())
            .collect();
        names.sort();
        assert!(!names.is_empty());
        let mut committed_names: Vec<_> = std::fs::read_dir(root().join(sub))
            .expect("committed")
            .map(|e| e.expect("entry").file_name())
            .collect();
        committed_names.sort();
        assert_eq!(
            committed_names, names,
            "{sub}/ holds files the generator no longer makes (or lacks new ones)"
        );
        for name in names {
            let new = std::fs::read(fresh.join(&name)).expect("generated file");
            let committed = std::fs::read(root().join(sub).join(&name)).unwrap_or_default();
            assert!(
                new == committed,
                "{sub}/{} is stale: run `{REGENERATE}`",
                name.to_string_lossy()
            );
        }
    }
}

/// The runtime binary neither offers a docs command nor links the generators: they live in the
/// dev-only `mailverdict-docs` binary (`--features docs`).
#[test]
fn runtime_binary_has_no_doc_generator() {
    let dir = temp_dir("nodocs");
    let r = run(&["generate-docs", &dir.display().to_string()], None);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(!dir.join("man").exists());
    let bin = std::fs::read(env!("CARGO_BIN_EXE_mailverdict")).expect("binary readable");
    // std's substring search is optimized even in a debug test build; a byte-window loop here
    // would take a minute over a debug binary.
    let text = String::from_utf8_lossy(&bin);
    for krate in ["clap_mangen", "clap_complete"] {
        assert!(
            !text.contains(krate),
            "{krate} is linked into the runtime binary"
        );
    }
}

/// The bash completion script loads and registers the command.
#[test]
fn bash_completion_loads() {
    let script = root().join("completions/mailverdict.bash");
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source '{}' && complete -p mailverdict",
            script.display()
        ))
        .output();
    let Ok(out) = out else {
        note("SKIP: bash not available");
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("mailverdict"));
}

/// Every committed man page renders with `man -l` (man-db + groff) and shows its name and
/// options without groff warnings.
#[test]
fn man_pages_render() {
    if std::process::Command::new("man")
        .arg("--version")
        .output()
        .is_err()
    {
        note("SKIP: man not installed");
        return;
    }
    let mut pages = 0;
    for entry in std::fs::read_dir(root().join("man")).expect("man/") {
        let path = entry.expect("entry").path();
        let out = std::process::Command::new("man")
            .arg("-l")
            .arg(&path)
            .env("MANWIDTH", "100")
            .env("MAN_KEEP_FORMATTING", "0")
            .output()
            .expect("man runs");
        // man writes overstrike bold ("N\x08N") when not on a terminal.
        let mut text = String::new();
        for c in String::from_utf8_lossy(&out.stdout).chars() {
            if c == '\x08' {
                text.pop();
            } else {
                text.push(c);
            }
        }
        let warnings = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{}: {warnings}", path.display());
        assert!(
            !warnings.contains("warning"),
            "{}: {warnings}",
            path.display()
        );
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        assert!(
            text.contains(&stem) && text.contains("--dns-zone"),
            "{}: {text}",
            path.display()
        );
        pages += 1;
    }
    assert!(pages >= 6, "one page per command and the main page");
}

/// What bash offers after `mailverdict WORDS... CUR`, run in a folder holding one file (so that
/// file-name completion would show).
fn bash_complete(words: &[&str]) -> Option<Vec<String>> {
    let dir = temp_dir("complete");
    std::fs::write(dir.join("a-file.eml"), b"x").expect("write");
    let script = root().join("completions/mailverdict.bash");
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cmd = format!(
        "source '{}' && COMP_WORDS=(mailverdict {}) && COMP_CWORD={} && COMP_LINE=\"${{COMP_WORDS[*]}}\" \
         && COMP_POINT=${{#COMP_LINE}} && _mailverdict mailverdict \"${{COMP_WORDS[-1]}}\" \"${{COMP_WORDS[-2]}}\" \
         && printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        quoted.join(" "),
        words.len()
    );
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(cmd)
        .current_dir(&dir)
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
    )
}

/// Bash completion offers the commands (no hidden one), each command's own options only, and
/// no file names where a value is an address or a name (--ip, --mail-from, --helo), while a
/// message argument still completes to files.
#[test]
fn bash_completion_values() {
    let Some(commands) = bash_complete(&[""]) else {
        note("SKIP: bash not available");
        return;
    };
    for c in ["check", "trace", "spf", "domain", "filter", "batch"] {
        assert!(commands.contains(&c.to_string()), "{commands:?}");
    }
    assert!(!commands.iter().any(|c| c.contains("docs")), "{commands:?}");
    let check = bash_complete(&["check", "--"]).unwrap_or_default();
    assert!(check.contains(&"--ip".to_string()), "{check:?}");
    assert!(check.contains(&"--dns-zone".to_string()), "{check:?}");
    let spf = bash_complete(&["spf", "--"]).unwrap_or_default();
    assert!(!spf.contains(&"--max-size".to_string()), "{spf:?}");
    let trace = bash_complete(&["trace", "--format", ""]).unwrap_or_default();
    assert_eq!(trace, ["human", "json"], "no arh on trace");
    for words in [
        &["check", "--ip", ""][..],
        &["check", "--mail-from", ""],
        &["check", "--helo", ""],
        &["spf", "--ip", ""],
        &["spf", "--mail-from", ""],
        &["domain", "--selector", ""],
    ] {
        let offered = bash_complete(words).unwrap_or_default();
        assert!(
            !offered.iter().any(|o| o.contains("a-file")),
            "{words:?} offers file names: {offered:?}"
        );
    }
    let files = bash_complete(&["check", "--dns-zone", ""]).unwrap_or_default();
    assert!(files.iter().any(|o| o.contains("a-file")), "{files:?}");
}

/// Every man page has EXAMPLES, EXIT STATUS and ENVIRONMENT (NO_COLOR, TERM) sections.
#[test]
fn man_pages_have_the_usual_sections() {
    let mut pages = 0;
    for entry in std::fs::read_dir(root().join("man")).expect("man/") {
        let path = entry.expect("entry").path();
        let page = std::fs::read_to_string(&path).expect("man page");
        for section in [".SH EXAMPLES", ".SH \"EXIT STATUS\"", ".SH ENVIRONMENT"] {
            assert!(page.contains(section), "{}: no {section}", path.display());
        }
        assert!(page.contains("NO_COLOR") && page.contains("TERM"));
        assert!(page.contains(".B 75"), "{}", path.display());
        pages += 1;
    }
    assert!(pages >= 7);
}
