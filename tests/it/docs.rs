//! man pages and completions are generated from the clap definition and committed; this fails
//! when they are stale (regenerate: `cargo run -- generate-docs .`).

use crate::support::{note, root, run, temp_dir};

#[test]
fn man_and_completions_are_current() {
    let dir = temp_dir("docs");
    let r = run(&["generate-docs", &dir.display().to_string()], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
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
                "{sub}/{} is stale: run `cargo run -- generate-docs .`",
                name.to_string_lossy()
            );
        }
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
            text.contains(&stem) && text.contains("--format"),
            "{}: {text}",
            path.display()
        );
        pages += 1;
    }
    assert!(pages >= 6, "one page per command and the main page");
}
