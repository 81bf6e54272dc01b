//! JSON Schemas in `schemas/` (one per `schema` value) validated against the real output of
//! every command, with python3-jsonschema (installed by `.ci/run`). Every JSON document and
//! every batch line carries `schema`, and a document with a key the schema does not know fails,
//! so a change of keys is a visible diff of `schemas/*.json`. After an intended change:
//! `MAILVERDICT_UPDATE_SCHEMAS=1 cargo test --test it schemas` regenerates them
//! (`schemas/infer.py`).

use std::process::{Command, Stdio};

use crate::support::{note, root, temp_dir, write_file};

/// The commands whose JSON is checked (run from the repository root), beyond golden/cases.txt.
const MORE: &[&str] = &[
    "check --format json --explain dkim --dns-zone testdata/demo/zone.db testdata/demo/signed.eml",
    "check --format json --explain dkim --dns-zone testdata/dkim/zone.db testdata/dkim/l-tag-appended.eml",
    "check --format json --explain dkim --dns-zone testdata/dkim/zone.db testdata/dkim/body-altered.eml",
    "check --format json --explain dkim --dns-zone testdata/dkim/zone.db testdata/dkim/syntax-error.eml",
    "check --format json --explain dkim --dns-zone testdata/dkim/zone.db testdata/dkim/key-not-found.eml",
    "check --format json --dmarc-spec rfc7489 --dns-zone testdata/dkim/zone.db testdata/dkim/l-tag-appended.eml",
    "domain --format json --no-https --dns-zone testdata/domain/zone.db broken.test --selector weak",
    "spf --format json --dns-zone testdata/demo/zone.db --ip 192.0.2.10 --helo mail.example.com --helo-scope",
];

fn commands() -> Vec<String> {
    let cases = std::fs::read_to_string(root().join("tests/it/golden/cases.txt")).expect("cases");
    let mut all: Vec<String> = cases
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once('|').map(|(_, args)| args.trim().to_string()))
        .collect();
    all.extend(MORE.iter().map(|s| s.to_string()));
    all
}

/// Every document printed by `args`: one, or one a line (batch).
fn documents(args: &[String]) -> Vec<serde_json::Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_mailverdict"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .output()
        .expect("binary runs");
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&text).map_or_else(
        |_| {
            text.lines()
                .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{args:?}: {e}: {l}")))
                .collect()
        },
        |v| vec![v],
    )
}

/// A batch line is check's document plus `source`; the rest is validated as check's.
fn split_source(mut doc: serde_json::Value) -> serde_json::Value {
    if doc["schema"] != "mailverdict.batch-error.v1"
        && let Some(source) = doc.as_object_mut().and_then(|o| o.remove("source"))
    {
        assert!(
            source["path"].is_string()
                && source.get("offset").is_some()
                && source["index"].is_u64(),
            "{source}"
        );
    }
    doc
}

const VALIDATE: &str = r#"
import json, sys
import jsonschema
schemas, failures, names = {}, [], set()
for line in open(sys.argv[1]):
    doc = json.loads(line)
    name = doc["schema"]
    if name not in schemas:
        with open(f"{sys.argv[2]}/{name}.json") as f:
            schemas[name] = jsonschema.Draft202012Validator(json.load(f))
    for e in schemas[name].iter_errors(doc):
        failures.append(f"{name}: {'/'.join(map(str, e.absolute_path))}: {e.message}")
    if name not in names:
        names.add(name)
        extra = dict(doc, unexpected_key=1)
        if schemas[name].is_valid(extra):
            failures.append(f"{name}: accepts an unknown key (not strict)")
print("\n".join(failures[:40]))
print(f"{len(names)} schemas", file=sys.stderr)
sys.exit(1 if failures else 0)
"#;

/// Every command's JSON validates against its schema file, and the schemas are strict.
#[test]
fn json_output_matches_the_schemas() {
    let dir = temp_dir("schemas");
    let mut docs = Vec::new();
    for command in commands() {
        let args: Vec<String> = command.split_whitespace().map(str::to_string).collect();
        docs.extend(documents(&args));
    }
    // A batch run with error lines: an input that cannot be opened, one that is not a message.
    let junk = write_file(&dir, "junk.eml", b"\x00\x01 not a message");
    let missing = dir.join("missing.eml").display().to_string();
    docs.extend(documents(&[
        "batch".into(),
        "--format".into(),
        "json".into(),
        "--dns-zone".into(),
        "testdata/demo/zone.db".into(),
        "testdata/demo/signed.eml".into(),
        junk,
        missing,
    ]));
    for d in &docs {
        let name = d["schema"]
            .as_str()
            .unwrap_or_else(|| panic!("no schema: {d}"));
        assert!(name.starts_with("mailverdict."), "{name}");
    }
    assert!(
        docs.iter()
            .any(|d| d["schema"] == "mailverdict.batch-error.v1"),
        "batch error lines carry their schema"
    );
    let lines: String = docs
        .into_iter()
        .map(|d| split_source(d).to_string() + "\n")
        .collect();
    let file = write_file(&dir, "docs.jsonl", lines.as_bytes());
    let schemas = root().join("schemas");
    if std::env::var_os("MAILVERDICT_UPDATE_SCHEMAS").is_some() {
        let mut child = Command::new("python3")
            .arg(schemas.join("infer.py"))
            .arg(&schemas)
            .stdin(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(lines.as_bytes())
            .expect("write");
        assert!(child.wait().expect("infer.py").success());
    }
    let has_jsonschema = Command::new("python3")
        .args(["-c", "import jsonschema"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_jsonschema {
        note("SKIP: python3 jsonschema not installed (.ci/run installs it)");
        return;
    }
    let out = Command::new("python3")
        .args(["-c", VALIDATE, &file])
        .arg(&schemas)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "JSON differs from schemas/ (MAILVERDICT_UPDATE_SCHEMAS=1 regenerates):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
