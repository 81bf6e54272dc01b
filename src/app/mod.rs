//! The application: validated settings, one function per command, exit codes. Only this layer
//! and `main.rs` write to the terminal.

pub mod cli;
mod docs;
pub mod exit;
mod milter;
mod progress;
mod settings;

use std::io::Write;
use std::net::IpAddr;

use mailverdict::report::{arh, human, json};
use mailverdict::{
    AuditOptions, BatchConfig, CheckOptions, ConnectTo, FilterConfig, HttpsClient, InputError,
    ProbeSettings, Shard, SpfDocument, SpfRequest,
};

use cli::{BatchArgs, CheckArgs, Cli, Command, DomainArgs, FilterArgs, Format, SpfArgs, TraceArgs};
use exit::{Error, code};
use settings::Settings;

/// Run one command; the result is the process exit code.
pub fn run(cli: Cli) -> Result<i32, Error> {
    if let Command::GenerateDocs { dir } = &cli.command {
        docs::write_all(dir).map_err(|source| Error::Io {
            what: format!("writing docs into {}", dir.display()),
            source,
        })?;
        return Ok(code::PASS);
    }
    let settings = Settings::from_args(&cli.global)?;
    mailverdict::report::style::init(settings.color);
    let outcome = match cli.command {
        Command::Check(args) => check(&settings, args),
        Command::Trace(args) => trace(&settings, &args),
        Command::Spf(args) => spf(&settings, args),
        Command::Filter(args) => filter(&settings, args),
        Command::Batch(args) => batch(&settings, args),
        Command::Domain(args) => domain(&settings, args),
        Command::Milter(args) => check_options(&settings, &[], None, None, None, false)
            .and_then(|check| milter::run(&settings, args, check)),
        Command::GenerateDocs { .. } => Ok(code::PASS),
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

fn parse_ip(s: &str, option: &str) -> Result<IpAddr, Error> {
    s.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .map_err(|_| Error::Usage(format!("{option} {s:?} is not an IP address")))
}

fn not_a_message(path: Option<&std::path::Path>, why: mailverdict::MessageError) -> Error {
    Error::Input(InputError::NotAMessage {
        what: mailverdict::describe(path),
        why,
    })
}

fn check_options(
    settings: &Settings,
    dnsbl: &[String],
    ip: Option<&str>,
    helo: Option<String>,
    mail_from: Option<String>,
    transport: bool,
) -> Result<CheckOptions, Error> {
    Ok(CheckOptions {
        ip: ip.map(|s| parse_ip(s, "--ip")).transpose()?,
        helo,
        mail_from,
        trusted: settings.trusted.clone(),
        clock: settings.clock,
        receiver: settings.authserv_id.clone(),
        authserv_id: settings
            .authserv_id_given
            .then(|| settings.authserv_id.clone()),
        dnsbl: dnsbl.to_vec(),
        transport,
        dmarc_spec: mailverdict::DmarcSpec::default(),
    })
}

fn check(settings: &Settings, args: CheckArgs) -> Result<i32, Error> {
    let input = mailverdict::read_message(args.file.as_deref(), settings.max_size)?;
    let mut opts = check_options(
        settings,
        &args.dnsbl,
        args.ip.as_deref(),
        args.helo,
        args.mail_from,
        true,
    )?;
    opts.dmarc_spec = args.dmarc_spec.into();
    let report = mailverdict::check_message(&input, &settings.dns, &opts)
        .map_err(|e| not_a_message(args.file.as_deref(), e))?;
    let text = match settings.format {
        Format::Human => human::check(&report),
        Format::Json => json::render(&report),
        Format::Arh => arh::header(&settings.authserv_id, &arh::clauses(&report), "\n"),
    };
    emit(&text)?;
    Ok(exit::verdict(report.verdict.result))
}

fn trace(settings: &Settings, args: &TraceArgs) -> Result<i32, Error> {
    if settings.format == Format::Arh {
        return Err(Error::Usage(
            "trace has no Authentication-Results form; use --format human or json".into(),
        ));
    }
    let input = mailverdict::read_message(args.file.as_deref(), settings.max_size)?;
    let opts = check_options(settings, &args.dnsbl, None, None, None, true)?;
    let report = mailverdict::trace_message(&input, &settings.dns, &opts)
        .map_err(|e| not_a_message(args.file.as_deref(), e))?;
    let text = match settings.format {
        Format::Json => json::render(&report),
        _ => human::trace(&report),
    };
    emit(&text)?;
    Ok(code::PASS)
}

fn spf(settings: &Settings, args: SpfArgs) -> Result<i32, Error> {
    let ip = parse_ip(&args.ip, "--ip")?;
    let req = SpfRequest {
        ip,
        mail_from: args.mail_from.unwrap_or_default(),
        helo: args.helo,
        helo_scope: args.helo_scope,
        domain: args.domain,
        now: settings.clock.time(),
        receiver: settings.authserv_id.clone(),
    };
    if req.mail_from.is_empty() && req.helo.is_empty() && req.domain.is_none() {
        return Err(Error::Usage(
            "spf needs --mail-from, --domain or --helo".into(),
        ));
    }
    let spf = mailverdict::evaluate_spf(&settings.dns, &req);
    let text = match settings.format {
        Format::Human => human::spf(&spf),
        Format::Json => json::render(&SpfDocument::new(&spf)),
        Format::Arh => arh::header(&settings.authserv_id, &[arh::spf_clause(&spf)], "\n"),
    };
    emit(&text)?;
    Ok(exit::spf(spf.result))
}

fn filter(settings: &Settings, args: FilterArgs) -> Result<i32, Error> {
    if !(args.deadline.is_finite() && args.deadline > 0.0 && args.deadline <= 3600.0) {
        return Err(Error::Usage(format!(
            "--deadline {}: expected seconds between 0 and 3600",
            args.deadline
        )));
    }
    let cfg = FilterConfig {
        authserv_id: settings.authserv_id.clone(),
        deadline: std::time::Duration::from_secs_f64(args.deadline),
        max_size: settings.max_size,
        extra: args.add_header.into_iter().map(Into::into).collect(),
        check: CheckOptions {
            dmarc_spec: args.dmarc_spec.into(),
            ..check_options(settings, &[], None, None, None, args.transport)?
        },
    };
    let outcome = mailverdict::filter_stdio(settings.dns.clone(), &cfg);
    Ok(exit::filter(&outcome))
}

fn domain(settings: &Settings, args: DomainArgs) -> Result<i32, Error> {
    if settings.format == Format::Arh {
        return Err(Error::Usage(
            "domain has no Authentication-Results form; use --format human or json".into(),
        ));
    }
    let connect_to = settings
        .connect_to
        .iter()
        .map(|c| ConnectTo::parse(c).map_err(|e| Error::Usage(format!("--connect-to {c}: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let probe = args.probe.then(|| ProbeSettings {
        connect_to: connect_to.clone(),
        ca_file: settings.ca_file.clone(),
        timeout: settings.timeout,
        // Certificate expiry is judged at --at when given.
        now: settings.clock.time_signed(),
    });
    let https = if args.no_https {
        None
    } else {
        Some(
            HttpsClient::new(settings.ca_file.as_deref(), connect_to, settings.timeout)
                .map_err(|e| Error::Usage(e.to_string()))?,
        )
    };
    let opts = AuditOptions {
        selectors: args.selector,
        guess_selectors: args.guess_selectors,
        https,
        probe,
    };
    let report = mailverdict::audit(&settings.dns, &args.domains, &opts);
    let text = match settings.format {
        Format::Json => json::render(&report),
        _ => human::domain(&report),
    };
    emit(&text)?;
    Ok(exit::domain(&report, args.strict))
}

fn batch(settings: &Settings, args: BatchArgs) -> Result<i32, Error> {
    use std::io::BufRead;
    let shard = args
        .shard
        .as_deref()
        .map(Shard::parse)
        .transpose()
        .map_err(|e| Error::Usage(format!("--shard {e}")))?;
    let mut paths = Vec::new();
    for p in args.paths {
        if p.as_os_str() == "-" {
            for line in std::io::stdin().lock().lines() {
                let line = line.map_err(|source| Error::Io {
                    what: "reading paths from standard input".into(),
                    source,
                })?;
                if !line.trim().is_empty() {
                    paths.push(std::path::PathBuf::from(line.trim_end()));
                }
            }
        } else {
            paths.push(p);
        }
    }
    let jobs = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    if jobs == 0 {
        return Err(Error::Usage("--jobs must be at least 1".into()));
    }
    let human = settings.format != Format::Json;
    let cfg = BatchConfig {
        paths,
        jobs,
        shard,
        max_size: settings.max_size,
        check: CheckOptions {
            dmarc_spec: args.dmarc_spec.into(),
            ..check_options(settings, &args.dnsbl, None, None, None, args.transport)?
        },
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
