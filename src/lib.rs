//! mailverdict: email authentication verification (SPF, DKIM, ARC, DMARC), Received-path
//! forensics and mail DNS audits. `main.rs` parses arguments and calls [`run`]; everything
//! else lives here and never prints.

pub mod auth;
pub mod check;
pub mod cli;
pub mod config;
pub mod dns;
pub mod dnsbl;
pub mod docs;
pub mod error;
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

fn check_options<'a>(
    settings: &'a Settings,
    dnsbl: &'a [String],
    ip: Option<&str>,
    helo: Option<String>,
    mail_from: Option<String>,
) -> Result<check::CheckOptions<'a>, Error> {
    Ok(check::CheckOptions {
        ip: ip.map(|s| parse_ip(s, "--ip")).transpose()?,
        helo,
        mail_from,
        trusted: &settings.trusted,
        at: settings.at,
        now: settings.now,
        receiver: settings.authserv_id.clone(),
        authserv_id: settings
            .authserv_id_given
            .then(|| settings.authserv_id.clone()),
        dnsbl,
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
            let opts = check_options(&settings, &args.dnsbl, None, None, None)?;
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
        Command::GenerateDocs { .. } => Ok(code::PASS),
    }
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
