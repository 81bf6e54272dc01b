//! Unit tests of record parsing (beside record.rs, which would pass 600 lines with them).

use super::*;

const BIS: DmarcSpec = DmarcSpec::Rfc9989;
const OLD: DmarcSpec = DmarcSpec::Rfc7489;

fn parse(text: &str, spec: DmarcSpec) -> Record {
    std::rc::Rc::unwrap_or_clone(Record::parse(text, spec).expect("a DMARC record"))
}

#[test]
fn version_tag_decides_what_is_a_record() {
    assert!(is_dmarc("v=DMARC1; p=none"));
    assert!(is_dmarc("V = DMARC1"));
    assert!(!is_dmarc(" v=DMARC1; p=none"));
    assert!(!is_dmarc("v=dmarc1; p=none"));
    assert!(!is_dmarc("p=none; v=DMARC1"));
    assert!(!is_dmarc("v=DMARC10"));
    assert!(!is_dmarc("v=spf1 -all"));
}

#[test]
fn rfc9989_tags_and_defaults() {
    let r = parse(
        "v=DMARC1; p=reject; sp=quarantine; np=reject; t=y; psd=n; adkim=s; rua=mailto:a@x.test!10m",
        BIS,
    );
    assert_eq!(r.p, PTag::Valid(Policy::Reject));
    assert_eq!(r.np, SubTag::Valid(Policy::Reject));
    assert!(r.testing);
    assert_eq!(r.psd, Psd::N);
    assert_eq!(r.adkim, Mode::Strict);
    assert_eq!(r.rua, vec!["mailto:a@x.test".to_string()]);
    assert!(matches!(r.notes[..], [RecordNote::ObsoleteSize { .. }]));
    assert_eq!(r.pct, None);
    let p = r.policies().expect("policies");
    assert_eq!(
        (p.p, p.sp, p.np),
        (Policy::Reject, Policy::Quarantine, Policy::Reject)
    );
}

#[test]
fn removed_and_unknown_tags_are_ignored_with_a_note() {
    let r = parse("v=DMARC1; p=reject; pct=0; rf=afrf; ri=1; zz=1", BIS);
    assert_eq!(r.p, PTag::Valid(Policy::Reject));
    assert_eq!(
        r.notes,
        vec![
            RecordNote::Removed("pct".into()),
            RecordNote::Removed("rf".into()),
            RecordNote::Removed("ri".into()),
            RecordNote::Unknown("zz".into())
        ]
    );
    let r = parse("v=DMARC1; p=reject; np=reject; t=y; psd=y", OLD);
    assert!(!r.testing && r.psd == Psd::U && r.np == SubTag::Absent);
    assert_eq!(r.notes.len(), 3);
}

#[test]
fn missing_p_differs_between_the_specs() {
    let bis = parse("v=DMARC1", BIS).policies().expect("p=none");
    assert_eq!((bis.p, bis.fallback), (Policy::None, None));
    assert_eq!(
        parse("v=DMARC1", OLD).policies(),
        Err(PolicyDefect::P(PTag::Missing))
    );
    let old = parse("v=DMARC1; rua=mailto:a@x.test", OLD)
        .policies()
        .expect("rua rescues");
    assert_eq!(old.fallback, Some(PolicyDefect::P(PTag::Missing)));
}

#[test]
fn rfc7489_fallbacks_per_tag() {
    // pct out of range or not a number: 100.
    for v in ["150", "abc", "-1", "", "0100"] {
        let r = parse(&format!("v=DMARC1; p=reject; pct={v}"), OLD);
        assert_eq!(r.pct, Some(100), "pct={v}");
        assert_eq!(r.policies().expect("policy").p, Policy::Reject);
    }
    assert_eq!(parse("v=DMARC1; p=reject; pct=0", OLD).pct, Some(0));
    // adkim/aspf: r.
    let r = parse("v=DMARC1; p=reject; adkim=x; aspf=", OLD);
    assert_eq!((r.adkim, r.aspf), (Mode::Relaxed, Mode::Relaxed));
    // ;; and a tag without '=': ignored, the policy stands.
    let r = parse("v=DMARC1; p=reject;; bogus; sp=none", OLD);
    assert_eq!(r.p, PTag::Valid(Policy::Reject));
    assert_eq!(r.sp, SubTag::Valid(Policy::None));
    assert!(r.notes.contains(&RecordNote::EmptyTag));
    assert!(r.notes.contains(&RecordNote::NoEquals("bogus".into())));
    // Invalid sp with a valid rua: everything none; without rua: no policy.
    let r = parse("v=DMARC1; p=reject; sp=rejected; rua=mailto:a@x.test", OLD);
    let p = r.policies().expect("falls back");
    assert_eq!((p.p, p.sp), (Policy::None, Policy::None));
    assert_eq!(p.fallback, Some(PolicyDefect::Sp("rejected".into())));
    assert!(
        parse("v=DMARC1; p=reject; sp=rejected", OLD)
            .policies()
            .is_err()
    );
    // p after rua: flagged, and read as defective.
    let r = parse("v=DMARC1; rua=mailto:a@x.test; p=reject", OLD);
    assert!(r.notes.contains(&RecordNote::PNotSecond));
    assert_eq!(r.policies().expect("rua").p, Policy::None);
    assert_eq!(
        parse("v=DMARC1; rua=mailto:a@x.test; p=reject", BIS)
            .policies()
            .expect("any order")
            .p,
        Policy::Reject
    );
    // A bad URI is dropped; a bad one alone does not rescue a bad p.
    let r = parse("v=DMARC1; p=bogus; rua=not a uri", OLD);
    assert!(r.rua.is_empty() && r.policies().is_err());
    // Duplicates: the first wins.
    let r = parse("v=DMARC1; p=reject; p=none", BIS);
    assert_eq!(r.p, PTag::Valid(Policy::Reject));
}

#[test]
fn fo_values() {
    assert!(fo_ok("0:d") && fo_ok("1") && fo_ok("d:s"));
    assert!(!fo_ok("0:1") && !fo_ok("x") && !fo_ok("d:d"));
}
