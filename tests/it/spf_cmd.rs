//! `mailverdict spf`: results, exit codes, the trace, limits named in the reason, and hostile
//! records that must end with the RFC result quickly.

use crate::support::{run, testdata};

fn spf(args: &[&str]) -> (i32, serde_json::Value) {
    let zone = testdata("spf/zone.db");
    let mut all = vec!["spf", "--format", "json", "--dns-zone", zone.as_str()];
    all.extend_from_slice(args);
    let r = run(&all, None);
    let v = r.json();
    (r.code, v)
}

/// Pass, softfail and fail through includes, each with its exit code and the deciding term.
#[test]
fn results_exit_codes_and_trace() {
    let (code, v) = spf(&["--ip", "198.51.103.9", "--mail-from", "a@five.spf.test"]);
    assert_eq!((code, v["result"].as_str()), (0, Some("pass")));
    assert_eq!(v["schema"], "mailverdict.spf.v1");
    assert_eq!(v["mechanism"], "include:i3.spf.test");
    assert_eq!(v["lookups"], 3, "includes i1..i3 evaluated");
    let trace = &v["trace"];
    assert_eq!(trace["domain"], "five.spf.test");
    assert_eq!(trace["terms"][2]["outcome"], "match");
    assert_eq!(trace["terms"][2]["child"]["terms"][0]["outcome"], "match");
    assert_eq!(
        trace["terms"][0]["child"]["record"],
        "v=spf1 ip4:198.51.101.0/24 ip6:2001:db8:1::/48 ~all"
    );

    let (code, v) = spf(&["--ip", "192.0.2.1", "--mail-from", "a@five.spf.test"]);
    assert_eq!(
        (code, v["result"].as_str(), v["mechanism"].as_str()),
        (1, Some("fail"), Some("-all"))
    );
    assert_eq!(v["lookups"], 5);

    let (code, v) = spf(&["--ip", "192.0.2.1", "--mail-from", "a@neutral.spf.test"]);
    assert_eq!((code, v["result"].as_str()), (3, Some("neutral")));
    let (code, v) = spf(&["--ip", "192.0.2.1", "--mail-from", "a@nothing.spf.test"]);
    assert_eq!((code, v["result"].as_str()), (3, Some("none")));
    let (code, v) = spf(&["--ip", "192.0.2.1", "--mail-from", "a@broken.spf.test"]);
    assert_eq!((code, v["result"].as_str()), (75, Some("temperror")));
    let (code, v) = spf(&["--ip", "192.0.2.1", "--mail-from", "a@two.spf.test"]);
    assert_eq!((code, v["result"].as_str()), (1, Some("permerror")));
    assert!(
        v["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("2 SPF records")
    );
}

/// The reason names the include that pushed the count past 10 and the path to it.
#[test]
fn lookup_limit_names_the_term() {
    let (code, v) = spf(&["--ip", "192.0.2.1", "--mail-from", "a@deep.spf.test"]);
    assert_eq!(code, 1);
    assert_eq!(v["result"], "permerror");
    let reason = v["reason"].as_str().unwrap_or_default();
    assert!(reason.starts_with("11 DNS lookups (limit 10), over the limit at include:c11.spf.test (via include:c1.spf.test > "), "{reason}");
    let (_, v) = spf(&["--ip", "192.0.2.1", "--mail-from", "a@voids.spf.test"]);
    assert_eq!(v["void_lookups"], 3);
    assert!(
        v["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("over the limit at a:nx3.spf.test: nx3.spf.test does not exist")
    );
}

/// A record including itself, a macro that expands past 8 KiB and 10,000 ip4 terms each end
/// with the RFC result and a clear reason.
#[test]
fn hostile_records_are_bounded() {
    let (_, v) = spf(&["--ip", "192.0.2.1", "--mail-from", "a@loop.spf.test"]);
    assert_eq!(v["result"], "permerror");
    assert!(
        v["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("over the limit at include:loop.spf.test")
    );
    let long_local = "x".repeat(1000);
    let (_, v) = spf(&[
        "--ip",
        "192.0.2.1",
        "--mail-from",
        &format!("{long_local}@macro.spf.test"),
    ]);
    assert_eq!(v["result"], "permerror");
    assert!(
        v["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("macro expansion longer than 8192 octets")
    );
    let started = std::time::Instant::now();
    let (_, v) = spf(&["--ip", "10.39.249.1", "--mail-from", "a@huge.spf.test"]);
    assert_eq!(v["result"], "pass");
    assert_eq!(v["mechanism"], "ip4:10.39.249.0/24");
    let (_, v) = spf(&["--ip", "192.0.2.1", "--mail-from", "a@huge.spf.test"]);
    assert_eq!(v["result"], "fail");
    assert!(started.elapsed().as_secs() < 10);
}

/// HELO scope, the null sender (postmaster@HELO) and --domain.
#[test]
fn scopes() {
    let (_, v) = spf(&[
        "--ip",
        "192.0.2.25",
        "--helo",
        "mail.spf.test",
        "--helo-scope",
    ]);
    assert_eq!(
        (v["result"].as_str(), v["scope"].as_str()),
        (Some("pass"), Some("helo"))
    );
    let (_, v) = spf(&[
        "--ip",
        "192.0.2.25",
        "--helo",
        "mail.spf.test",
        "--mail-from",
        "",
    ]);
    assert_eq!(v["sender"], "postmaster@mail.spf.test");
    assert_eq!(v["result"], "pass");
    let (_, v) = spf(&["--ip", "198.51.101.1", "--domain", "five.spf.test"]);
    assert_eq!(v["result"], "pass");
    assert_eq!(v["domain"], "five.spf.test");
}

/// Human output shows the record tree, the lookup counts and the limits.
#[test]
fn human_trace() {
    let zone = testdata("spf/zone.db");
    let r = run(
        &[
            "spf",
            "--color",
            "never",
            "--dns-zone",
            &zone,
            "--ip",
            "192.0.2.1",
            "--mail-from",
            "a@five.spf.test",
        ],
        None,
    );
    assert_eq!(r.code, 1);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "SPF fail for five.spf.test (ip 192.0.2.1) — matched -all -> fail"
    );
    assert!(r.stdout.contains("    include:i1.spf.test -> no match  lookups 1\n      i1.spf.test  \"v=spf1 ip4:198.51.101.0/24 ip6:2001:db8:1::/48 ~all\""), "{}", r.stdout);
    assert!(
        r.stdout
            .ends_with("  DNS lookups: 5 of 10, void lookups: 0 of 2\n")
    );
}

/// Missing --ip, or no identity at all, is a usage error.
#[test]
fn usage() {
    assert_eq!(run(&["spf", "--mail-from", "a@b.example"], None).code, 2);
    let zone = testdata("spf/zone.db");
    let r = run(&["spf", "--dns-zone", &zone, "--ip", "192.0.2.1"], None);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--mail-from, --domain or --helo"));
}
