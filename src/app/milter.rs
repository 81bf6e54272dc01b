//! `mailverdict milter`: its options and how they become a [`mailverdict::MilterConfig`].

use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use mailverdict::dns::Dns;
use mailverdict::{CheckOptions, DnsSource, FilterConfig, Listen, MilterConfig, OnFailure};

use super::cli::{DmarcSpecArg, ExtraHeader};
use super::exit::{Error, code};
use super::settings::Settings;

/// What `--reject` acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RejectOn {
    /// The DMARC disposition: reject → 550 5.7.1, quarantine → the milter quarantine action
    /// (`t=y`, `pct=` and the spec in force count).
    Dmarc,
}

/// What a message gets when no verdict can be had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnFailureArg {
    /// Accept it, with a field that says why it has no verdict.
    Accept,
    /// Answer 451 so the sender retries.
    Tempfail,
}

impl From<OnFailureArg> for OnFailure {
    fn from(a: OnFailureArg) -> Self {
        match a {
            OnFailureArg::Accept => OnFailure::Accept,
            OnFailureArg::Tempfail => OnFailure::Tempfail,
        }
    }
}

/// `milter` options.
#[derive(Debug, Args)]
#[command(
    after_long_help = "Postfix (main.cf):\n  smtpd_milters = inet:127.0.0.1:8891\n  \
non_smtpd_milters = $smtpd_milters\n  milter_default_action = accept\n  milter_protocol = 6\n\n\
Sendmail (sendmail.mc):\n  INPUT_MAIL_FILTER(`mailverdict', `S=inet:8891@127.0.0.1, T=S:10s;R:10s;E:30s')\n\n\
Every message gets one Authentication-Results field (the text `filter` writes) at the top; \
fields that claim our authserv-id are deleted (RFC 8601 section 5). The authserv-id is \
--authserv-id, else the MTA's {j} macro. One line per message goes to stderr. SIGTERM stops \
accepting, finishes the messages in flight (up to --grace) and exits 0."
)]
pub struct MilterArgs {
    /// Socket to listen on: inet:PORT@HOST, inet6:PORT@HOST or unix:PATH (as in Postfix's
    /// smtpd_milters and Sendmail's INPUT_MAIL_FILTER).
    #[arg(long, value_name = "SOCKET")]
    pub listen: String,
    /// Act on the DMARC disposition: reject → 550 5.7.1 with the reason, quarantine → the
    /// milter quarantine action. Without it every message is accepted with our field.
    #[arg(long, value_enum, value_name = "WHAT")]
    pub reject: Option<RejectOn>,
    /// When DNS fails (dmarc=temperror) or the deadline passes: accept with dmarc=temperror
    /// in the field, or answer 451 so the sender retries.
    #[arg(long, value_enum, value_name = "ACTION", default_value = "accept")]
    pub on_temperror: OnFailureArg,
    /// When the --memory budget is in use: accept unverified (with a field saying so), or 451.
    #[arg(long, value_enum, value_name = "ACTION", default_value = "accept")]
    pub on_overload: OnFailureArg,
    /// Message bytes held in flight over all connections (e.g. 512M, 1G).
    #[arg(long, value_name = "SIZE", default_value = "1G")]
    pub memory: String,
    /// Connections served at once; more wait in the listen queue.
    #[arg(long, value_name = "N", default_value = "256")]
    pub max_connections: usize,
    /// Seconds one message's check may take; past it the field says dmarc=temperror.
    #[arg(long, value_name = "SECS", default_value = "10")]
    pub deadline: f64,
    /// Serve Prometheus text at http://ADDR/metrics (e.g. 127.0.0.1:9325).
    #[arg(long, value_name = "IP:PORT")]
    pub metrics: Option<std::net::SocketAddr>,
    /// Extra fields to add besides Authentication-Results.
    #[arg(long, value_enum, value_name = "WHICH")]
    pub add_header: Vec<ExtraHeader>,
    /// The DMARC rules to evaluate by.
    #[arg(long, value_enum, value_name = "SPEC", default_value = "rfc9989")]
    pub dmarc_spec: DmarcSpecArg,
    /// Seconds in-flight messages may take to finish after SIGTERM.
    #[arg(long, value_name = "SECS", default_value = "30")]
    pub grace: f64,
    /// Seconds a DNS answer is reused before the cache is renewed.
    #[arg(long, value_name = "SECS", default_value = "300")]
    pub dns_cache: f64,
}

fn seconds(v: f64, option: &str) -> Result<Duration, Error> {
    if v.is_finite() && v > 0.0 && v <= 86_400.0 {
        Ok(Duration::from_secs_f64(v))
    } else {
        Err(Error::Usage(format!(
            "{option} {v}: expected seconds between 0 and 86400"
        )))
    }
}

/// Run the milter until SIGTERM.
pub fn run(settings: &Settings, args: MilterArgs, check: CheckOptions) -> Result<i32, Error> {
    let listen = Listen::parse(&args.listen).map_err(|e| Error::Usage(format!("--listen {e}")))?;
    let memory = mailverdict::parse_size(&args.memory)
        .map_err(|e| Error::Usage(format!("--memory: {e}")))?;
    if args.max_connections == 0 {
        return Err(Error::Usage("--max-connections must be at least 1".into()));
    }
    let cfg = MilterConfig {
        listen,
        filter: FilterConfig {
            authserv_id: settings.authserv_id.clone(),
            deadline: seconds(args.deadline, "--deadline")?,
            max_size: settings.max_size,
            extra: args.add_header.into_iter().map(Into::into).collect(),
            check: CheckOptions {
                dmarc_spec: args.dmarc_spec.into(),
                ..check
            },
        },
        authserv_id_given: settings.authserv_id_given,
        reject_dmarc: args.reject == Some(RejectOn::Dmarc),
        on_temperror: args.on_temperror.into(),
        on_overload: args.on_overload.into(),
        memory,
        max_connections: args.max_connections,
        metrics: args.metrics,
        grace: seconds(args.grace, "--grace")?,
    };
    let backend = settings.backend.clone();
    let dns = DnsSource::refreshing(
        settings.dns.clone(),
        seconds(args.dns_cache, "--dns-cache")?,
        Box::new(move || Some(Arc::new(Dns::new(Box::new(backend.clone()))))),
    );
    // The edge of the program: the one-line log per message goes to stderr.
    #[allow(clippy::print_stderr)]
    let log: mailverdict::MilterLog = Arc::new(|line: &str| eprintln!("{line}"));
    mailverdict::milter(cfg, dns, log).map_err(|e| Error::Io {
        what: "running the milter".into(),
        source: std::io::Error::other(e),
    })?;
    Ok(code::PASS)
}
