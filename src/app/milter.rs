//! `mailverdict milter`: its options (`cli::MilterArgs`) become a [`mailverdict::MilterConfig`].

use std::sync::Arc;
use std::time::Duration;

use mailverdict::{CheckOptions, FilterConfig, Listen, MilterConfig};

use super::cli::{MilterArgs, RejectOn};
use super::exit::{Error, code};
use super::settings::{self, OptionError, Settings};

/// Run the milter until SIGTERM.
pub fn run(settings: &Settings, args: MilterArgs) -> Result<i32, Error> {
    let listen = Listen::parse(&args.listen).map_err(OptionError::from)?;
    let memory = mailverdict::parse_size(&args.memory).map_err(OptionError::Memory)?;
    if args.max_connections == 0 {
        return Err(OptionError::MaxConnections.into());
    }
    if !(args.grace.is_finite() && args.grace > 0.0 && args.grace <= 3600.0) {
        return Err(OptionError::Grace(args.grace).into());
    }
    let trust = settings::trust(&args.trust)?;
    let cfg = MilterConfig {
        listen,
        filter: FilterConfig {
            authserv_id: trust.authserv_id.clone(),
            deadline: settings::deadline(args.deadline)?,
            max_size: settings::max_size(&args.input)?,
            extra: args.add_header.into_iter().map(Into::into).collect(),
            check: CheckOptions {
                dmarc_spec: args.dmarc.dmarc_spec.into(),
                ..super::check_options(&trust, settings::clock(&args.at)?, &[], false)
            },
        },
        authserv_id_given: trust.authserv_id_given,
        reject_dmarc: args.reject == Some(RejectOn::Dmarc),
        on_temperror: args.on_temperror.into(),
        on_overload: args.on_overload.into(),
        memory,
        max_connections: args.max_connections,
        metrics: args.metrics,
        grace: Duration::from_secs_f64(args.grace),
    };
    // The edge of the program: the one-line log per message goes to stderr.
    #[allow(clippy::print_stderr)]
    let log: mailverdict::MilterLog = Arc::new(|line: &str| eprintln!("{line}"));
    mailverdict::milter(cfg, settings.backend.clone(), log).map_err(|e| Error::Io {
        what: "running the milter".into(),
        source: std::io::Error::other(e),
    })?;
    Ok(code::PASS)
}
