//! The command-line surface: each command offers only the options it honours (an option it
//! would ignore is a usage error, exit 2), and the global DNS options work on every command,
//! before or after its name.

use crate::support::{run, testdata};

/// Options a command does not honour are refused with exit 2 and clap's message naming them.
#[test]
fn options_a_command_ignores_are_refused() {
    let zone = testdata("demo/zone.db");
    let msg = testdata("demo/signed.eml");
    let cases: &[&[&str]] = &[
        &["trace", "--format", "arh", &msg],
        &["domain", "--format", "arh", "example.com"],
        &["batch", "--format", "arh", &msg],
        &["filter", "--format", "json"],
        &["filter", "--color", "always"],
        &[
            "spf",
            "--ip",
            "192.0.2.1",
            "--mail-from",
            "a@example.com",
            "--max-size",
            "1K",
        ],
        &[
            "spf",
            "--ip",
            "192.0.2.1",
            "--mail-from",
            "a@example.com",
            "--trusted-mta",
            "x",
        ],
        &[
            "spf",
            "--ip",
            "192.0.2.1",
            "--mail-from",
            "a@example.com",
            "--ca-file",
            "x",
        ],
        &[
            "spf",
            "--ip",
            "192.0.2.1",
            "--mail-from",
            "a@example.com",
            "--trust-anchor",
            "x",
        ],
        &["domain", "--max-size", "1K", "example.com"],
        &["domain", "--trusted-mta", "10.0.0.0/8", "example.com"],
        &["domain", "--authserv-id", "mx", "example.com"],
        &["check", "--ca-file", "x", &msg],
        &["check", "--connect-to", "a:1:b:2", &msg],
    ];
    for args in cases {
        let mut all = vec!["--dns-zone", zone.as_str()];
        all.extend_from_slice(args);
        let r = run(&all, None);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        let option = args
            .iter()
            .find(|a| a.starts_with("--"))
            .expect("an option");
        assert!(
            r.stderr.contains(option) || r.stderr.contains("invalid value"),
            "{args:?}: {}",
            r.stderr
        );
    }
}

/// The DNS options are global: accepted before the command name and after it.
#[test]
fn global_options_go_anywhere() {
    let zone = testdata("demo/zone.db");
    let msg = testdata("demo/signed.eml");
    let before = run(
        &["--dns-zone", &zone, "check", "--format", "json", &msg],
        None,
    );
    let after = run(
        &["check", "--format", "json", "--dns-zone", &zone, &msg],
        None,
    );
    assert_eq!(before.code, 0, "{}", before.stderr);
    assert_eq!(after.code, 0, "{}", after.stderr);
    assert_eq!(before.json()["verdict"], after.json()["verdict"]);
}

/// `-h` lists a command's own options first and the shared ones under their headings, the
/// global ones last under "Global options"; filter's help has no --format or --color.
#[test]
fn help_groups_the_options() {
    let r = run(&["check", "-h"], None);
    assert_eq!(r.code, 0);
    let own = r.stdout.find("--ip").expect("--ip");
    let global = r.stdout.find("Global options:").expect("heading");
    let zone = r.stdout.find("--dns-zone").expect("--dns-zone");
    assert!(own < global && global < zone, "{}", r.stdout);
    let filter = run(&["filter", "-h"], None);
    assert!(!filter.stdout.contains("--format") && !filter.stdout.contains("--color"));
    assert!(filter.stdout.contains("--deadline") && filter.stdout.contains("--dns-zone"));
}

/// --trust-anchor is not silently ignored with --dns-zone (zone replay cannot validate).
#[test]
fn trust_anchor_with_zone_replay_is_a_usage_error() {
    let zone = testdata("demo/zone.db");
    let r = run(
        &[
            "check",
            "--dns-zone",
            &zone,
            "--trust-anchor",
            &zone,
            &testdata("demo/signed.eml"),
        ],
        None,
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--trust-anchor") && r.stderr.contains("--dns-zone"));
}
