//! man pages and completions are generated from the clap definition and committed; this fails
//! when they are stale (regenerate: `cargo run -- generate-docs .`).

use crate::support::{root, run, temp_dir};

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
        eprintln!("SKIP: bash not available");
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("mailverdict"));
}
