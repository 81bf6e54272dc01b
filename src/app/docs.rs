//! man pages and shell completions, generated from the clap definition in `app/cli.rs`.
//!
//! Used by the dev-only `mailverdict-docs` binary (`--features docs`) and by the test that
//! keeps `man/` and `completions/` current, never by the runtime binary: clap_mangen and
//! clap_complete are not linked into `mailverdict`.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;
use clap_complete::Shell;

use super::cli::Cli;

/// Write `man/*.1` and `completions/*` below `dir`.
pub fn write_all(dir: &Path) -> std::io::Result<()> {
    let man = dir.join("man");
    let completions = dir.join("completions");
    std::fs::create_dir_all(&man)?;
    std::fs::create_dir_all(&completions)?;
    let mut cmd = Cli::command();
    // Building propagates the global options into every subcommand's page.
    cmd.build();
    render_man(&cmd, "mailverdict", None, &man)?;
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let name = format!("mailverdict-{}", sub.get_name());
        let sub = sub
            .clone()
            .name(clap::builder::Str::from(leak(name.clone())));
        render_man(&sub, &name, Some(sub_name(&name)), &man)?;
    }
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::PowerShell,
        Shell::Elvish,
    ] {
        let mut cmd = Cli::command();
        clap_complete::generate_to(shell, &mut cmd, "mailverdict", &completions)?;
    }
    Ok(())
}

fn sub_name(page: &str) -> &str {
    page.trim_start_matches("mailverdict-")
}

fn render_man(
    cmd: &clap::Command,
    name: &str,
    command: Option<&str>,
    dir: &Path,
) -> std::io::Result<()> {
    let man = clap_mangen::Man::new(cmd.clone());
    let mut buf = Vec::new();
    man.render_title(&mut buf)?;
    man.render_name_section(&mut buf)?;
    man.render_synopsis_section(&mut buf)?;
    man.render_description_section(&mut buf)?;
    man.render_options_section(&mut buf)?;
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut buf)?;
    }
    extra_sections(&mut buf, command)?;
    if cmd.get_version().is_some() {
        man.render_version_section(&mut buf)?;
    }
    std::fs::write(dir.join(format!("{name}.1")), buf)
}

/// Text in a roff body line: backslashes and hyphens escaped, no leading control character.
fn roff(text: &str) -> String {
    let s = text.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{s}")
    } else {
        s
    }
}

/// EXAMPLES (per command), EXIT STATUS and ENVIRONMENT.
fn extra_sections(w: &mut dyn Write, command: Option<&str>) -> std::io::Result<()> {
    writeln!(w, ".SH EXAMPLES")?;
    for (what, line) in examples(command) {
        writeln!(
            w,
            ".PP\n{}\n.PP\n.RS 4\n.nf\n{}\n.fi\n.RE",
            roff(what),
            roff(line)
        )?;
    }
    writeln!(w, ".SH \"EXIT STATUS\"")?;
    for (code, meaning) in EXIT_STATUS {
        writeln!(w, ".TP\n.B {code}\n{}", roff(meaning))?;
    }
    if let Some(note) = command.and_then(exit_note) {
        writeln!(w, ".PP\n{}", roff(note))?;
    }
    writeln!(w, ".SH ENVIRONMENT")?;
    for (var, meaning) in ENVIRONMENT {
        writeln!(w, ".TP\n.B {var}\n{}", roff(meaning))?;
    }
    Ok(())
}

const EXIT_STATUS: &[(&str, &str)] = &[
    (
        "0",
        "pass: DMARC pass (check), SPF pass (spf), no errors (domain), message written (filter)",
    ),
    (
        "1",
        "fail: DMARC fail or permerror, SPF fail or permerror, or the domain audit found errors",
    ),
    ("2", "usage error: a bad option or option value"),
    (
        "3",
        "no verdict: no DMARC policy; SPF none, neutral or softfail",
    ),
    (
        "65",
        "the input is not a message, or it is larger than --max-size",
    ),
    (
        "66",
        "the input (or a zone or trust-anchor file) cannot be opened",
    ),
    ("74", "I/O error reading input or writing output"),
    (
        "75",
        "temporary failure: DNS (timeout, SERVFAIL) prevented a verdict; retry later",
    ),
    (
        "130",
        "batch interrupted by Ctrl-C (the summary so far was printed)",
    ),
];

fn exit_note(command: &str) -> Option<&'static str> {
    Some(match command {
        "filter" => {
            "filter exits 0 whenever it wrote the message, whatever the verdict, and 75 only \
             when the message could not be read in full or written (the MTA retries)."
        }
        "milter" => {
            "milter runs until SIGTERM or SIGINT and then exits 0 once the messages in flight \
             are answered; 2 for a bad option, 74 when the socket cannot be opened."
        }
        "trace" => "trace exits 0 once the path is reported (65, 66, 74 as check on bad input).",
        "batch" => {
            "batch exits 0 when every input was read (whatever the verdicts), 66 when one \
             could not be opened, 130 when interrupted."
        }
        "domain" => {
            "domain exits 0 without error findings (--strict: without warnings), 1 with \
             errors, 75 when DNS failures left an audit incomplete."
        }
        _ => return None,
    })
}

const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "NO_COLOR",
        "when set and not empty, --color auto does not colour the human report",
    ),
    (
        "TERM",
        "TERM=dumb turns colour off for --color auto; colour is also off when standard output \
         is not a terminal",
    ),
];

/// A few commands per page, each one a user can run from a clone of the repository.
fn examples(command: Option<&str>) -> &'static [(&'static str, &'static str)] {
    match command {
        None => &[
            (
                "Check a message offline, against the shipped sample zone:",
                "mailverdict check --dns-zone testdata/demo/zone.db testdata/demo/signed.eml",
            ),
            (
                "Check a message you saved, on live DNS:",
                "mailverdict check message.eml",
            ),
            (
                "Audit a domain:",
                "mailverdict domain example.com --selector s1",
            ),
        ],
        Some("check") => &[
            (
                "The human report, from zone files (no network):",
                "mailverdict check --dns-zone testdata/demo/zone.db testdata/demo/signed.eml",
            ),
            (
                "A message on standard input, as JSON:",
                "mailverdict check --format json - < message.eml",
            ),
            (
                "An Authentication-Results header:",
                "mailverdict check --format arh --authserv-id mx.example.org message.eml",
            ),
            (
                "Why does a DKIM body hash differ? (hashes, l=, the hashed header block, the key)",
                "mailverdict check --explain dkim message.eml",
            ),
        ],
        Some("trace") => &[(
            "The path of a message, with a DNS blocklist:",
            "mailverdict trace --dnsbl zen.spamhaus.org message.eml",
        )],
        Some("spf") => &[(
            "Would 203.0.113.5 pass SPF for alice@example.com?",
            "mailverdict spf --ip 203.0.113.5 --mail-from alice@example.com",
        )],
        Some("domain") => &[
            (
                "Audit two domains and one DKIM selector:",
                "mailverdict domain example.com example.org --selector s1",
            ),
            (
                "Fail a CI job on warnings too, with a JSON report:",
                "mailverdict domain --strict --format json example.com > audit.json",
            ),
        ],
        Some("filter") => &[(
            "As a procmail filter (~/.procmailrc: \":0 fw\" then this line):",
            "| mailverdict filter --authserv-id mx.example.org",
        )],
        Some("milter") => &[
            (
                "For Postfix (main.cf: smtpd_milters = inet:127.0.0.1:8891, milter_default_action = accept):",
                "mailverdict milter --listen inet:8891@127.0.0.1 --authserv-id mx.example.org",
            ),
            (
                "Reject p=reject spoofs, with Prometheus metrics on loopback:",
                "mailverdict milter --listen inet:8891@127.0.0.1 --reject dmarc --metrics 127.0.0.1:9325",
            ),
        ],
        Some("batch") => &[
            (
                "A Maildir and an mbox, as JSON lines:",
                "mailverdict batch --format json ~/Maildir archive.mbox > results.jsonl",
            ),
            (
                "Every .eml below a folder, names separated by NUL:",
                "find /srv/mail -name '*.eml' -print0 | mailverdict batch -0 -",
            ),
        ],
        Some(_) => &[],
    }
}

/// clap names are `&'static str` without its `string` feature; the docs generator runs once.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}
