//! The application: validated settings, one function per command, exit codes. Only this layer
//! and `main.rs` write to the terminal.

pub mod cli;
pub mod exit;
mod milter;
mod progress;
mod settings;

use std::io::Write;

use mailverdict::report::{arh, human, json};
use mailverdict::{
    AuditOptions, BatchConfig, CheckOptions, FilterConfig, HttpsClient, InputError, ProbeSettings,
    Shard, SpfDocument, SpfRequest,
};

use cli::{
    BatchArgs, CheckArgs, Cli, Command, DomainArgs, FilterArgs, Format, ReportFormat, SpfArgs,
    TraceArgs,
};
use exit::{Error, code};
use settings::{OptionError, PathTrust, Settings};

/// Run one command; the result is the process exit code.
pub fn run(cli: Cli) -> Result<i32, Error> {
    let settings = Settings::from_args(&cli.global, &cli.command)?;
    mailverdict::report::style::init(settings.color);
    let outcome = match cli.command {
        Command::Check(args) => check(&settings, args),
        Command::Trace(args) => trace(&settings, &args),
        Command::Spf(args) => spf(&settings, args),
        Command::Filter(args) => filter(&settings, args),
        Command::Batch(args) => batch(&settings, args),
        Command::Domain(args) => domain(&settings, args),
        Command::Milter(args) => milter::run(&settings, args),
    };
    dns_notes(&settings);
    outcome
}

/// What the DNS backend learnt about the service (a silent resolver, one that invents
/// NXDOMAIN), once per run on stderr: the user can act on it (--nameserver, --dns-zone).
fn dns_notes(settings: &Settings) {
    let mut err = std::io::stderr().lock();
    for note in settings.dns.notes() {
        let _ = writeln!(err, "mailverdict: note: {note}");
    }
}

/// Write to stdout; a reader that went away (broken pipe) is not an error.
fn emit(text: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Io {
            what: "writing standard output".into(),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// Read the one message `check` and `trace` take: with a hint when it comes from a terminal
/// (the program would otherwise seem to hang), and refusing an mbox of several messages.
fn one_message(
    file: Option<&std::path::Path>,
    max_size: u64,
    command: &'static str,
) -> Result<Vec<u8>, Error> {
    use std::io::IsTerminal;
    let from_stdin = file.is_none_or(|f| f.as_os_str() == "-");
    if from_stdin && std::io::stdin().is_terminal() {
        let _ = writeln!(
            std::io::stderr(),
            "mailverdict: reading a message from standard input (end it with Ctrl-D), or give \
             a FILE: mailverdict {command} message.eml"
        );
    }
    let input = mailverdict::read_message(file, max_size)?;
    if mailverdict::mbox_messages(&input, 2) > 1 {
        return Err(Error::Mbox {
            what: mailverdict::describe(file),
            command,
            file: file
                .filter(|_| !from_stdin)
                .map_or_else(|| "FILE".to_string(), |f| f.display().to_string()),
        });
    }
    Ok(input)
}

fn not_a_message(path: Option<&std::path::Path>, why: mailverdict::MessageError) -> Error {
    Error::Input(InputError::NotAMessage {
        what: mailverdict::describe(path),
        why,
    })
}

pub(crate) fn check_options(
    trust: &PathTrust,
    clock: mailverdict::Clock,
    dnsbl: &[String],
    transport: bool,
) -> CheckOptions {
    CheckOptions {
        ip: None,
        helo: None,
        mail_from: None,
        trusted: trust.trusted.clone(),
        infer_internal: trust.infer_internal,
        clock,
        receiver: trust.authserv_id.clone(),
        authserv_id: trust.authserv_id_given.then(|| trust.authserv_id.clone()),
        dnsbl: dnsbl.to_vec(),
        transport,
        dmarc_spec: mailverdict::DmarcSpec::default(),
    }
}

fn check(settings: &Settings, args: CheckArgs) -> Result<i32, Error> {
    let trust = settings::trust(&args.trust)?;
    let opts = CheckOptions {
        ip: args
            .ip
            .as_deref()
            .map(|s| settings::parse_ip(s, "--ip"))
            .transpose()?,
        helo: args.helo,
        mail_from: args.mail_from,
        dmarc_spec: args.dmarc.dmarc_spec.into(),
        ..check_options(&trust, settings::clock(&args.at)?, &args.dnsbl.dnsbl, true)
    };
    let input = one_message(
        args.file.as_deref(),
        settings::max_size(&args.input)?,
        "check",
    )?;
    let report = mailverdict::check_message(&input, &settings.dns, &opts)
        .map_err(|e| not_a_message(args.file.as_deref(), e))?;
    let text = match (args.explain, args.output.format) {
        (Some(cli::Explain::Dkim), format) => {
            let x = mailverdict::explain_dkim(&input, &settings.dns, opts.clock.time())
                .map_err(|e| not_a_message(args.file.as_deref(), e))?;
            match format {
                Format::Json => json::render(&x),
                Format::Human => human::explain_dkim(&x),
                Format::Arh => return Err(OptionError::ExplainArh.into()),
            }
        }
        (None, Format::Human) => human::check(&report),
        (None, Format::Json) => json::render(&report),
        (None, Format::Arh) => arh::header(&trust.authserv_id, &arh::clauses(&report), "\n"),
    };
    emit(&text)?;
    Ok(exit::verdict(report.verdict.result))
}

fn trace(settings: &Settings, args: &TraceArgs) -> Result<i32, Error> {
    let trust = settings::trust(&args.trust)?;
    let opts = check_options(&trust, settings::clock(&args.at)?, &args.dnsbl.dnsbl, true);
    let input = one_message(
        args.file.as_deref(),
        settings::max_size(&args.input)?,
        "trace",
    )?;
    let report = mailverdict::trace_message(&input, &settings.dns, &opts)
        .map_err(|e| not_a_message(args.file.as_deref(), e))?;
    let text = match args.output.format {
        ReportFormat::Json => json::render(&report),
        ReportFormat::Human => human::trace(&report),
    };
    emit(&text)?;
    Ok(code::PASS)
}

fn spf(settings: &Settings, args: SpfArgs) -> Result<i32, Error> {
    let ip = settings::parse_ip(&args.ip, "--ip")?;
    let authserv_id = settings::authserv_id(args.authserv_id.as_deref());
    let req = SpfRequest {
        ip,
        mail_from: args.mail_from.unwrap_or_default(),
        helo: args.helo,
        helo_scope: args.helo_scope,
        domain: args.domain,
        now: settings::clock(&args.at)?.time(),
        receiver: authserv_id.clone(),
    };
    if req.mail_from.is_empty() && req.helo.is_empty() && req.domain.is_none() {
        return Err(OptionError::SpfIdentity.into());
    }
    let spf = mailverdict::evaluate_spf(&settings.dns, &req);
    let text = match args.output.format {
        Format::Human => human::spf(&spf),
        Format::Json => json::render(&SpfDocument::new(&spf)),
        Format::Arh => arh::header(&authserv_id, &[arh::spf_clause(&spf)], "\n"),
    };
    emit(&text)?;
    Ok(exit::spf(spf.result))
}

fn filter(settings: &Settings, args: FilterArgs) -> Result<i32, Error> {
    let deadline = settings::deadline(args.deadline)?;
    let trust = settings::trust(&args.trust)?;
    let cfg = FilterConfig {
        authserv_id: trust.authserv_id.clone(),
        deadline,
        max_size: settings::max_size(&args.input)?,
        extra: args.add_header.into_iter().map(Into::into).collect(),
        check: CheckOptions {
            dmarc_spec: args.dmarc.dmarc_spec.into(),
            ..check_options(&trust, settings::clock(&args.at)?, &[], args.transport)
        },
    };
    let outcome = mailverdict::filter_stdio(settings.dns.clone(), &cfg);
    Ok(exit::filter(&outcome))
}

fn domain(settings: &Settings, args: DomainArgs) -> Result<i32, Error> {
    let connect_to = settings::connect_to(&args.https)?;
    let clock = settings::clock(&args.at)?;
    let probe = args.probe.then(|| ProbeSettings {
        connect_to: connect_to.clone(),
        ca_file: args.https.ca_file.clone(),
        timeout: settings.timeout,
        // Certificate expiry is judged at --at when given.
        now: clock.time_signed(),
    });
    let https = if args.no_https {
        None
    } else {
        Some(
            HttpsClient::new(args.https.ca_file.as_deref(), connect_to, settings.timeout)
                .map_err(|e| OptionError::Https(Box::new(e)))?,
        )
    };
    // Bounded: a trust-anchor file, not a place for gigabytes.
    let ca_pem = match &args.https.ca_file {
        Some(path) => {
            use std::io::Read;
            let mut buf = Vec::new();
            std::fs::File::open(path)
                .and_then(|f| f.take(4 << 20).read_to_end(&mut buf))
                .map_err(|source| Error::Io {
                    what: format!("reading --ca-file {}", path.display()),
                    source,
                })?;
            Some(buf)
        }
        None => None,
    };
    let opts = AuditOptions {
        selectors: args.selector,
        guess_selectors: args.guess_selectors,
        https,
        probe,
        ca_pem,
        now: clock.time_signed(),
    };
    let report = mailverdict::audit(&settings.dns, &args.domains, &opts);
    let text = match args.output.format {
        ReportFormat::Json => json::render(&report),
        ReportFormat::Human => human::domain(&report),
    };
    emit(&text)?;
    Ok(exit::domain(&report, args.strict))
}

/// `batch -`: the paths on standard input, one a line, or NUL-separated with `-0` (names may
/// then hold newlines and any octet).
fn path_list(null: bool) -> Result<Vec<std::path::PathBuf>, Error> {
    use std::io::BufRead;
    let read_error = |source| Error::Io {
        what: "reading paths from standard input".into(),
        source,
    };
    let mut paths = Vec::new();
    let stdin = std::io::stdin().lock();
    if null {
        for name in stdin.split(b'\0') {
            let name = name.map_err(read_error)?;
            if !name.is_empty() {
                paths.push(path_from_bytes(name));
            }
        }
    } else {
        for line in stdin.lines() {
            let line = line.map_err(read_error)?;
            if !line.trim().is_empty() {
                paths.push(std::path::PathBuf::from(line.trim_end()));
            }
        }
    }
    Ok(paths)
}

#[cfg(unix)]
fn path_from_bytes(name: Vec<u8>) -> std::path::PathBuf {
    use std::os::unix::ffi::OsStringExt;
    std::path::PathBuf::from(std::ffi::OsString::from_vec(name))
}

#[cfg(not(unix))]
fn path_from_bytes(name: Vec<u8>) -> std::path::PathBuf {
    std::path::PathBuf::from(String::from_utf8_lossy(&name).into_owned())
}

fn batch(settings: &Settings, args: BatchArgs) -> Result<i32, Error> {
    let shard = args
        .shard
        .as_deref()
        .map(|s| {
            Shard::parse(s).map_err(|e| OptionError::Shard {
                value: s.to_string(),
                source: Box::new(e),
            })
        })
        .transpose()?;
    let jobs = settings::jobs(args.jobs)?;
    let trust = settings::trust(&args.trust)?;
    let check = CheckOptions {
        dmarc_spec: args.dmarc.dmarc_spec.into(),
        ..check_options(
            &trust,
            settings::clock(&args.at)?,
            &args.dnsbl.dnsbl,
            args.transport,
        )
    };
    let max_size = settings::max_size(&args.input)?;
    let mut paths = Vec::new();
    for p in args.paths {
        if p.as_os_str() == "-" {
            paths.extend(path_list(args.null)?);
        } else {
            paths.push(p);
        }
    }
    let human = args.output.format == ReportFormat::Human;
    let cfg = BatchConfig {
        paths,
        jobs,
        shard,
        max_size,
        check,
        human,
    };
    progress::catch_interrupt();
    let bar = progress::Progress::on_terminal();
    let mut out = std::io::stdout().lock();
    let summary = match mailverdict::batch(&cfg, &settings.dns, &progress::STOP, &mut out, &|n| {
        bar.set(n);
    }) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(code::PASS),
        Err(source) => {
            return Err(Error::Io {
                what: "writing results".into(),
                source,
            });
        }
    };
    bar.finish();
    let text = mailverdict::batch_summary_text(&summary);
    if human {
        emit(&text)?;
    } else {
        // The edge of the program: the summary of a JSON-lines run goes to stderr.
        #[allow(clippy::print_stderr)]
        {
            eprint!("{text}");
        }
    }
    Ok(exit::batch(&summary))
}
