//! mailverdict: email authentication verification (SPF, DKIM, ARC, DMARC), Received-path
//! forensics and mail DNS audits. `main.rs` parses arguments and calls [`run`]; everything
//! else lives here and never prints.

pub mod auth;
pub mod batch;
pub mod check;
pub mod cli;
pub mod config;
pub mod dns;
pub mod dnsbl;
pub mod docs;
pub mod domain;
pub mod error;
pub mod filter;
pub mod input;
pub mod message;
pub mod report;
pub mod trace;
pub mod transport;

use std::io::Write;
use std::net::IpAddr;

use cli::{Cli, Command, Format};
use config::Settings;
use error::{Error, code};

/// Write to stdout; a reader that went away (broken pipe) is not an error.
fn emit(text: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::Io(format!("writing standard output: {e}")))
        }
        _ => Ok(()),
    }
}

fn parse_ip(s: &str, option: &str) -> Result<IpAddr, Error> {
    s.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .map_err(|_| Error::Usage(format!("{option} {s:?} is not an IP address")))
}

fn not_a_message(path: Option<&std::path::Path>, e: &message::MessageError) -> Error {
    Error::NotAMessage {
        what: input::describe(path),
        why: e.to_string(),
    }
}

fn check_options(
    settings: &Settings,
    dnsbl: &[String],
    ip: Option<&str>,
    helo: Option<String>,
    mail_from: Option<String>,
    transport: bool,
) -> Result<check::CheckOptions, Error> {
    Ok(check::CheckOptions {
        ip: ip.map(|s| parse_ip(s, "--ip")).transpose()?,
        helo,
        mail_from,
        trusted: settings.trusted.clone(),
        at: settings.at,
        now: settings.now,
        receiver: settings.authserv_id.clone(),
        authserv_id: settings
            .authserv_id_given
            .then(|| settings.authserv_id.clone()),
        dnsbl: dnsbl.to_vec(),
        transport,
    })
}

/// Run one command; the result is the process exit code.
pub fn run(cli: Cli) -> Result<i32, Error> {
    if let Command::GenerateDocs { dir } = &cli.command {
        docs::write_all(dir)
            .map_err(|e| Error::Io(format!("writing docs into {}: {e}", dir.display())))?;
        return Ok(code::PASS);
    }
    let settings = Settings::from_args(&cli.global)?;
    report::style::init(settings.color);
    match cli.command {
        Command::Check(args) => {
            let input = input::read_message(args.file.as_deref(), settings.max_size)?;
            let opts = check_options(
                &settings,
                &args.dnsbl,
                args.ip.as_deref(),
                args.helo,
                args.mail_from,
                true,
            )?;
            let report = check::check_message(&input, &settings.dns, &opts)
                .map_err(|e| not_a_message(args.file.as_deref(), &e))?;
            let text = match settings.format {
                Format::Human => report::human::check(&report),
                Format::Json => report::json::render(&report),
                Format::Arh => {
                    report::arh::header(&settings.authserv_id, &report::arh::clauses(&report), "\n")
                }
            };
            emit(&text)?;
            Ok(check::exit_code(report.verdict.result))
        }
        Command::Trace(args) => {
            if settings.format == Format::Arh {
                return Err(Error::Usage(
                    "trace has no Authentication-Results form; use --format human or json".into(),
                ));
            }
            let input = input::read_message(args.file.as_deref(), settings.max_size)?;
            let opts = check_options(&settings, &args.dnsbl, None, None, None, true)?;
            let report = check::trace_message(&input, &settings.dns, &opts)
                .map_err(|e| not_a_message(args.file.as_deref(), &e))?;
            let text = match settings.format {
                Format::Json => report::json::render(&report),
                _ => report::human::trace(&report),
            };
            emit(&text)?;
            Ok(code::PASS)
        }
        Command::Spf(args) => {
            let ip = parse_ip(&args.ip, "--ip")?;
            let at = match settings.at {
                config::At::Fixed(t) => t,
                config::At::Arrival => settings.now,
            };
            let req = auth::spf::SpfRequest {
                ip,
                mail_from: args.mail_from.unwrap_or_default(),
                helo: args.helo,
                helo_scope: args.helo_scope,
                domain: args.domain,
                now: at,
                receiver: settings.authserv_id.clone(),
            };
            if req.mail_from.is_empty() && req.helo.is_empty() && req.domain.is_none() {
                return Err(Error::Usage(
                    "spf needs --mail-from, --domain or --helo".into(),
                ));
            }
            let mut spf = auth::spf::evaluate(&settings.dns, &req);
            if let Some(d) = &req.domain {
                spf.domain = Some(d.clone());
            }
            let text = match settings.format {
                Format::Human => report::human::spf(&spf),
                Format::Json => report::json::render(&SpfDocument {
                    schema: "mailverdict.spf.v1",
                    spf: &spf,
                }),
                Format::Arh => {
                    let mut clause = format!("spf={}", spf.result.word());
                    if let Some(s) = &spf.sender {
                        clause.push_str(&format!(" smtp.mailfrom={s}"));
                    }
                    report::arh::header(&settings.authserv_id, &[clause], "\n")
                }
            };
            emit(&text)?;
            Ok(spf_exit_code(spf.result))
        }
        Command::Filter(args) => {
            if !(args.deadline.is_finite() && args.deadline > 0.0 && args.deadline <= 3600.0) {
                return Err(Error::Usage(format!(
                    "--deadline {}: expected seconds between 0 and 3600",
                    args.deadline
                )));
            }
            let cfg = filter::FilterConfig {
                authserv_id: settings.authserv_id.clone(),
                deadline: std::time::Duration::from_secs_f64(args.deadline),
                max_size: settings.max_size,
                extra: args.add_header,
                check: check_options(&settings, &[], None, None, None, args.transport)?,
            };
            let code = filter::run(
                settings.dns.clone(),
                &cfg,
                &mut std::io::stdin().lock(),
                &mut std::io::stdout().lock(),
                &mut std::io::stderr(),
            );
            Ok(code)
        }
        Command::Batch(args) => run_batch(&settings, args),
        Command::Domain(args) => {
            if settings.format == Format::Arh {
                return Err(Error::Usage(
                    "domain has no Authentication-Results form; use --format human or json".into(),
                ));
            }
            let connect_to = settings
                .connect_to
                .iter()
                .map(|c| {
                    transport::https::ConnectTo::parse(c)
                        .map_err(|e| Error::Usage(format!("--connect-to {c}: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let probe = args.probe.then(|| domain::ProbeSettings {
                connect_to: connect_to.clone(),
                ca_file: settings.ca_file.clone(),
                timeout: settings.timeout,
                // Certificate expiry is judged at --at when given.
                now: i64::try_from(match settings.at {
                    config::At::Fixed(t) => t,
                    config::At::Arrival => settings.now,
                })
                .unwrap_or(i64::MAX),
            });
            let https = if args.no_https {
                None
            } else {
                Some(
                    transport::https::HttpsClient::new(
                        settings.ca_file.as_deref(),
                        connect_to,
                        settings.timeout,
                    )
                    .map_err(Error::Usage)?,
                )
            };
            let opts = domain::AuditOptions {
                selectors: args.selector,
                guess_selectors: args.guess_selectors,
                https,
                probe,
            };
            let report = domain::audit(&settings.dns, &args.domains, &opts);
            let text = match settings.format {
                Format::Json => report::json::render(&report),
                _ => report::human::domain(&report),
            };
            emit(&text)?;
            Ok(domain::exit_code(&report, args.strict))
        }
        Command::GenerateDocs { .. } => Ok(code::PASS),
    }
}

/// Set by Ctrl-C: batch stops reading and reports what it has.
static STOP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn run_batch(settings: &Settings, args: cli::BatchArgs) -> Result<i32, Error> {
    use std::io::{BufRead, IsTerminal};
    let shard = args
        .shard
        .as_deref()
        .map(batch::Shard::parse)
        .transpose()
        .map_err(|e| Error::Usage(format!("--shard {e}")))?;
    let mut paths = Vec::new();
    for p in args.paths {
        if p.as_os_str() == "-" {
            for line in std::io::stdin().lock().lines() {
                let line =
                    line.map_err(|e| Error::Io(format!("reading paths from standard input: {e}")))?;
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
    let cfg = batch::BatchConfig {
        paths,
        jobs,
        shard,
        max_size: settings.max_size,
        check: check_options(settings, &args.dnsbl, None, None, None, args.transport)?,
        human,
    };
    // A second Ctrl-C while stopping is the default: the handler is set once per process.
    let _ = ctrlc::set_handler(|| STOP.store(true, std::sync::atomic::Ordering::Relaxed));
    let bar = std::io::stderr().is_terminal().then(|| {
        let pb = indicatif::ProgressBar::new_spinner();
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {pos} messages checked ({per_sec}, {elapsed})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        pb
    });
    let progress = |n: usize| {
        if let Some(pb) = &bar {
            pb.set_position(n as u64);
        }
    };
    let mut out = std::io::stdout().lock();
    let summary = match batch::run(&cfg, &settings.dns, &STOP, &mut out, &progress) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(code::PASS),
        Err(e) => return Err(Error::Io(format!("writing results: {e}"))),
    };
    if let Some(pb) = bar {
        pb.finish_and_clear();
    }
    let text = batch::summary_text(&summary);
    if human {
        emit(&text)?;
    } else {
        // The edge of the program: the summary of a JSON-lines run goes to stderr.
        #[allow(clippy::print_stderr)]
        {
            eprint!("{text}");
        }
    }
    Ok(if summary.interrupted {
        code::INTERRUPTED
    } else if summary.unreadable_inputs > 0 {
        code::CANNOT_OPEN
    } else {
        code::PASS
    })
}

#[derive(serde::Serialize)]
struct SpfDocument<'a> {
    schema: &'static str,
    #[serde(flatten)]
    spf: &'a auth::spf::SpfReport,
}

fn spf_exit_code(r: report::model::AuthResult) -> i32 {
    use report::model::AuthResult;
    match r {
        AuthResult::Pass => code::PASS,
        AuthResult::Fail | AuthResult::Permerror => code::FAIL,
        AuthResult::Temperror => code::TEMPFAIL,
        _ => code::NO_VERDICT,
    }
}
