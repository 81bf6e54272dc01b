//! The DKIM corpus from ../shared/conformance/dkim (mail-auth's resources): every signature
//! verifies at the corpus's fixed time (--at 1667843664).

use crate::support::{check_json, conformance, note, temp_dir, txt_rdata, write_file};

#[test]
fn dkim_corpus_verifies_at_its_time() {
    let Some(dir) = conformance("dkim") else {
        return;
    };
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
        let text = std::fs::read_to_string(path).expect("corpus file");
        let (dns, message) = text.split_once("\n\n").expect("DNS part and message");
        let zone: String = dns
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(owner, rec)| format!("{owner}. IN TXT {}\n", txt_rdata(rec)))
            .collect();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let zone_file = write_file(&tmp, &format!("{name}.db"), zone.as_bytes());
        let msg_file = write_file(
            &tmp,
            &format!("{name}.eml"),
            message.replace('\n', "\r\n").as_bytes(),
        );
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
