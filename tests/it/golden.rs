//! The JSON of every command, whole, against documents taken before the restructure of
//! issue 11 (`golden/*.json`, made by the binary of that time). A restructure changes no
//! output; a change on purpose regenerates them with `MAILVERDICT_UPDATE_GOLDEN=1` and shows up
//! as a diff of these files.

use std::process::Command;

use crate::support::root;

/// One JSON document, or one per line (batch).
fn documents(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n")
        .parse::<serde_json::Value>()
        .map(|v| vec![v])
        .or_else(|_| {
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(serde_json::from_str)
                .collect::<Result<Vec<_>, _>>()
        })
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// Every case in golden/cases.txt gives the same JSON as its snapshot.
#[test]
fn json_documents_are_unchanged() {
    let dir = root().join("tests/it/golden");
    let cases = std::fs::read_to_string(dir.join("cases.txt")).expect("cases.txt");
    let update = std::env::var_os("MAILVERDICT_UPDATE_GOLDEN").is_some();
    let mut checked = 0;
    for line in cases
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (name, args) = line.split_once('|').expect("name | args");
        let name = name.trim();
        let out = Command::new(env!("CARGO_BIN_EXE_mailverdict"))
            .args(args.split_whitespace())
            .current_dir(root())
            .env("NO_COLOR", "1")
            .output()
            .expect("binary runs");
        let got = String::from_utf8_lossy(&out.stdout).into_owned();
        let file = dir.join(format!("{name}.json"));
        if update {
            std::fs::write(&file, &got).expect("write snapshot");
            continue;
        }
        let want = std::fs::read_to_string(&file).expect("snapshot");
        assert_eq!(
            documents(&got),
            documents(&want),
            "{name}: JSON differs from {}\nstderr: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        checked += 1;
    }
    if !update {
        assert!(checked >= 20, "only {checked} golden cases");
    }
}
