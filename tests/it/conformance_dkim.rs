//! The DKIM corpus from testdata/conformance/dkim (mail-auth's resources): every signature
//! verifies at the corpus's fixed time (--at 1667843664).

use crate::support::{check_json, conformance, mail_auth_sample, note, temp_dir};

#[test]
fn dkim_corpus_verifies_at_its_time() {
    let dir = conformance("dkim");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("dkim dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let tmp = temp_dir("dkimcorpus");
    let (mut passed, mut total) = (0, 0);
    for path in &files {
        let (zone_file, msg_file) = mail_auth_sample(path, &tmp);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (_, v) = check_json(
            &zone_file,
            &msg_file,
            &["--at", "1667843664", "--ip", "192.0.2.1"],
        );
        for sig in v["dkim"].as_array().expect("dkim list") {
            total += 1;
            if sig["result"] == "pass" {
                passed += 1;
            } else {
                note(&format!(
                    "DKIM corpus {name}: d={} {} — {}",
                    sig["domain"], sig["result"], sig["reason"]
                ));
            }
        }
    }
    note(&format!(
        "DKIM conformance corpus: {passed}/{total} signatures pass in {} files",
        files.len()
    ));
    assert_eq!(total, 8, "the corpus has 8 signatures");
    assert_eq!(passed, total);
}
