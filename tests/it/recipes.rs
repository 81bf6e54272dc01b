//! The mail-system recipes the README gives, run for real: the Postfix pipe(8) wrapper
//! `contrib/postfix-filter.sh` (under /bin/sh, with a recording sendmail) and the Sieve
//! recipe (Dovecot Pigeonhole's sieve-test, with the settings the README lists).

use std::process::{Command, Stdio};

use crate::support::{note, root, temp_dir, testdata, write_file};

/// A sendmail stand-in: records its arguments and input, exits with $FAKE_STATUS.
const FAKE_SENDMAIL: &str = "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$FAKE_DIR/args\"\ncat > \"$FAKE_DIR/message\"\nexit \"${FAKE_STATUS:-0}\"\n";

struct Wrapper {
    code: i32,
    stderr: String,
}

fn wrapper(dir: &std::path::Path, extra: &str, sendmail_status: i32, args: &[&str]) -> Wrapper {
    let sendmail = write_file(dir, "sendmail", FAKE_SENDMAIL.as_bytes());
    make_executable(&sendmail);
    let mut cmd = Command::new("/bin/sh");
    cmd.arg(root().join("contrib/postfix-filter.sh"))
        .args(args)
        .env("MAILVERDICT", env!("CARGO_BIN_EXE_mailverdict"))
        .env("SENDMAIL", &sendmail)
        .env("MAILVERDICT_AUTHSERV_ID", "mx.example.org")
        .env("MAILVERDICT_ARGS", extra)
        .env("FAKE_DIR", dir)
        .env("FAKE_STATUS", sendmail_status.to_string())
        .env("TMPDIR", dir)
        .stdin(std::fs::File::open(testdata("demo/signed.eml")).expect("demo"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = cmd.output().expect("/bin/sh runs");
    Wrapper {
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn make_executable(path: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// The wrapper re-injects the filtered message (our field first, then the original bytes)
/// with `sendmail -G -i -f SENDER -- RECIPIENTS`, the null sender included, and leaves no
/// temporary file behind.
#[test]
fn postfix_wrapper_reinjects_the_filtered_message() {
    let dir = temp_dir("postfix-ok");
    let zone = format!("--dns-zone {}", testdata("demo/zone.db"));
    let w = wrapper(
        &dir,
        &zone,
        0,
        &["bounce@example.com", "a@receiver.test", "b@receiver.test"],
    );
    assert_eq!(w.code, 0, "{}", w.stderr);
    let args = std::fs::read_to_string(dir.join("args")).expect("sendmail ran");
    assert_eq!(
        args,
        "-G\n-i\n-f\nbounce@example.com\n--\na@receiver.test\nb@receiver.test\n"
    );
    let message = std::fs::read(dir.join("message")).expect("message");
    let original = std::fs::read(testdata("demo/signed.eml")).expect("demo");
    assert!(message.starts_with(b"Authentication-Results: mx.example.org;"));
    assert!(
        message.ends_with(&original),
        "the original bytes follow our field"
    );
    assert!(
        String::from_utf8_lossy(&message).contains("dmarc=pass"),
        "{}",
        String::from_utf8_lossy(&message)
    );
    let leftovers = std::fs::read_dir(&dir)
        .expect("dir")
        .filter(|e| {
            e.as_ref().is_ok_and(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with("mailverdict-filter")
            })
        })
        .count();
    assert_eq!(leftovers, 0, "temporary file removed");
    let w = wrapper(&dir, &zone, 0, &["", "a@receiver.test"]);
    assert_eq!(w.code, 0, "{}", w.stderr);
    let args = std::fs::read_to_string(dir.join("args")).expect("sendmail ran");
    assert!(
        args.starts_with("-G\n-i\n-f\n\n--\n"),
        "null sender: {args:?}"
    );
}

/// Every exit status is kept: sendmail's 75 (Postfix defers) and 69 (bounces) come out as
/// they are, and when mailverdict fails (here 66, a zone file it cannot open) sendmail is not
/// run at all, so nothing half-filtered is re-injected. A missing recipient is 64 (EX_USAGE).
#[test]
fn postfix_wrapper_keeps_every_exit_status() {
    let zone = format!("--dns-zone {}", testdata("demo/zone.db"));
    for status in [75, 69] {
        let dir = temp_dir("postfix-status");
        let w = wrapper(&dir, &zone, status, &["s@example.com", "r@receiver.test"]);
        assert_eq!(w.code, status, "{}", w.stderr);
    }
    let dir = temp_dir("postfix-fail");
    let missing = format!("--dns-zone {}", dir.join("missing.db").display());
    let w = wrapper(&dir, &missing, 0, &["s@example.com", "r@receiver.test"]);
    assert_eq!(w.code, 66, "{}", w.stderr);
    assert!(!dir.join("args").exists(), "sendmail must not run");
    let w = wrapper(&dir, &zone, 0, &["s@example.com"]);
    assert_eq!(w.code, 64, "{}", w.stderr);
}

/// The Dovecot settings the README's Sieve recipe needs, with the filter bin directory.
fn dovecot_conf(dir: &std::path::Path, bin: &std::path::Path) -> String {
    let mut conf = format!(
        "mail_location = maildir:{}/Maildir\nplugin {{\n  sieve_plugins = sieve_extprograms\n  \
         sieve_extensions = +vnd.dovecot.filter\n  sieve_filter_bin_dir = {}\n}}\n",
        dir.display(),
        bin.display()
    );
    // Dovecot refuses to run mail processes as root: as root, the test drops to nobody.
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if root {
        conf.insert_str(0, "mail_uid = 65534\nmail_gid = 65534\n");
    }
    conf
}

/// The Sieve recipe under Dovecot Pigeonhole's own sieve-test: `filter "mailverdict"` (the
/// program in sieve_filter_bin_dir, vnd.dovecot.filter enabled through sieve_extprograms)
/// replaces the message, and a rule on our Authentication-Results field then files a passing
/// message into Verified and one without a DMARC policy into Unverified.
#[test]
fn sieve_recipe_with_dovecot() {
    if Command::new("sieve-test").arg("--help").output().is_err() {
        note("SKIP: sieve-test (Debian dovecot-sieve) not installed; .ci/run installs it");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("sieve");
    let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777));
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_mailverdict"), bin.join("mailverdict"))
        .expect("symlink");
    let maildir = dir.join("Maildir");
    std::fs::create_dir_all(&maildir).expect("Maildir");
    let _ = std::fs::set_permissions(&maildir, std::fs::Permissions::from_mode(0o777));
    let conf = write_file(&dir, "dovecot.conf", dovecot_conf(&dir, &bin).as_bytes());
    let zone = testdata("demo/zone.db");
    let script = format!(
        "require [\"vnd.dovecot.filter\", \"fileinto\"];\n\
         filter \"mailverdict\" [\"filter\", \"--authserv-id\", \"mx.example.org\", \"--dns-zone\", \"{zone}\"];\n\
         if header :contains \"Authentication-Results\" \"dmarc=pass\" {{ fileinto \"Verified\"; }}\n\
         else {{ fileinto \"Unverified\"; }}\n"
    );
    let script = write_file(&dir, "mailverdict.sieve", script.as_bytes());
    let unsigned = write_file(
        &dir,
        "none.eml",
        b"From: a@nodmarc.test\r\nTo: b@receiver.test\r\nSubject: s\r\n\r\nbody\r\n",
    );
    let _ = std::fs::set_permissions(&unsigned, std::fs::Permissions::from_mode(0o644));
    for (message, folder) in [
        (testdata("demo/signed.eml"), "Verified"),
        (unsigned, "Unverified"),
    ] {
        let out = Command::new("sieve-test")
            .args(["-c", &conf, &script, &message])
            .env("HOME", &dir)
            .output()
            .expect("sieve-test runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{text}");
        assert!(
            text.contains(&format!("store message in folder: {folder}")),
            "{message}: {text}"
        );
    }
}
