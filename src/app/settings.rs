//! Raw arguments become validated values here, once: the DNS backend and colour for every
//! command, and one function per option group (`clock`, `trust`, `max_size`, ...) that the
//! commands honouring the group call.

use std::io::IsTerminal;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use mailverdict::dns::{Dns, Live, Recording, Resolve, Zone};
use mailverdict::{At, Clock, ConnectTo, TrustedMta};

use super::cli::{AtArgs, ColorChoice, Command, GlobalArgs, HttpsArgs, InputArgs, TrustArgs};
use super::exit::Error;

/// Why an option's value was refused (exit 2). The text names the option.
#[derive(Debug, thiserror::Error)]
pub enum OptionError {
    #[error("--timeout {0}: expected seconds between 0 and 3600")]
    Timeout(f64),
    #[error("--deadline {0}: expected seconds between 0 and 3600")]
    Deadline(f64),
    #[error("--nameserver {0:?}: expected IP or IP:PORT ([IPv6]:PORT)")]
    Nameserver(String),
    #[error("--at {0}: out of range")]
    AtRange(String),
    #[error("--at {0:?}: expected RFC 3339 (2024-05-01T12:00:00Z), unix seconds or 'arrival'")]
    At(String),
    #[error("--trusted-mta: {0}")]
    TrustedMta(#[from] mailverdict::TrustedMtaError),
    #[error("--max-size: {0}")]
    MaxSize(#[from] mailverdict::SizeError),
    #[error("--shard {value}: {source}")]
    Shard {
        value: String,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// `--ca-file` (or the TLS set-up) could not be used.
    #[error(transparent)]
    Https(Box<dyn std::error::Error + Send + Sync>),
    #[error("--connect-to {value}: {source}")]
    ConnectTo {
        value: String,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("{option} {value:?} is not an IP address")]
    Ip { option: &'static str, value: String },
    #[error("--jobs must be at least 1")]
    Jobs,
    #[error("--explain has no Authentication-Results form; use --format human or json")]
    ExplainArh,
    #[error("spf needs --mail-from, --domain or --helo")]
    SpfIdentity,
    /// Zone replay answers from files: it has no DNSSEC chain to validate, so an anchor would
    /// be ignored, and silently ignoring an option misleads.
    #[error(
        "--trust-anchor has no effect with --dns-zone: zone replay does not validate DNSSEC \
         (it reports the status a recording saw); drop one of the two"
    )]
    AnchorWithZone,
    #[error("--listen {0}")]
    Listen(#[from] mailverdict::ListenError),
    #[error("--memory: {0}")]
    Memory(mailverdict::SizeError),
    #[error("--max-connections must be at least 1")]
    MaxConnections,
    #[error("--grace {0}: expected seconds between 0 and 3600")]
    Grace(f64),
}

/// What every command needs: the DNS backend (and the query timeout), decided once.
pub struct Settings {
    pub dns: std::sync::Arc<Dns>,
    /// The backend behind `dns`, for a cache per message in front of it (`milter`).
    pub backend: std::sync::Arc<dyn Resolve>,
    /// Whether the human report is coloured.
    pub color: bool,
    pub timeout: Duration,
}

impl Settings {
    pub fn from_args(g: &GlobalArgs, command: &Command) -> Result<Settings, Error> {
        if !(g.timeout.is_finite() && g.timeout > 0.0 && g.timeout <= 3600.0) {
            return Err(OptionError::Timeout(g.timeout).into());
        }
        let timeout = Duration::from_secs_f64(g.timeout);
        let nameservers = g
            .nameserver
            .iter()
            .map(|s| parse_nameserver(s))
            .collect::<Result<Vec<_>, _>>()?;
        let anchor = command.trust_anchor();
        let backend: std::sync::Arc<dyn Resolve> = if !g.dns_zone.is_empty() {
            if anchor.is_some() {
                return Err(OptionError::AnchorWithZone.into());
            }
            std::sync::Arc::new(Zone::from_files(&g.dns_zone)?)
        } else {
            let live = Box::new(Live::new(
                &nameservers,
                timeout,
                anchor.map(std::path::Path::to_path_buf),
            )?);
            match &g.record_dns {
                Some(path) => std::sync::Arc::new(Recording::new(live, path)?),
                None => std::sync::Arc::from(live as Box<dyn Resolve>),
            }
        };
        Ok(Settings {
            dns: std::sync::Arc::new(Dns::new(Box::new(backend.clone()))),
            backend,
            color: use_color(command.color()),
            timeout,
        })
    }
}

/// `--at`, resolved once into the evaluation clock.
pub fn clock(a: &AtArgs) -> Result<Clock, OptionError> {
    let at = a.at.as_deref().map(parse_at).transpose()?;
    Ok(Clock::system(at))
}

/// `--authserv-id` and `--trusted-mta`, validated.
pub struct PathTrust {
    pub authserv_id: String,
    /// Whether --authserv-id was given (existing A-R fields are trusted only then).
    pub authserv_id_given: bool,
    pub trusted: Vec<TrustedMta>,
    /// Internal hops are inferred (off with --no-internal-inference).
    pub infer_internal: bool,
}

pub fn trust(t: &TrustArgs) -> Result<PathTrust, OptionError> {
    let trusted = t
        .trusted_mta
        .iter()
        .map(|s| TrustedMta::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PathTrust {
        authserv_id: authserv_id(t.authserv_id.as_deref()),
        authserv_id_given: t.authserv_id.is_some(),
        trusted,
        infer_internal: !t.no_internal_inference,
    })
}

/// `--authserv-id`, or this host's name.
pub fn authserv_id(given: Option<&str>) -> String {
    given.map_or_else(hostname, str::to_string)
}

/// `--max-size` in bytes.
pub fn max_size(i: &InputArgs) -> Result<u64, OptionError> {
    Ok(mailverdict::parse_size(&i.max_size)?)
}

/// `filter --deadline`.
pub fn deadline(secs: f64) -> Result<Duration, OptionError> {
    if secs.is_finite() && secs > 0.0 && secs <= 3600.0 {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err(OptionError::Deadline(secs))
    }
}

/// `--connect-to`, every value.
pub fn connect_to(h: &HttpsArgs) -> Result<Vec<ConnectTo>, OptionError> {
    h.connect_to
        .iter()
        .map(|c| {
            ConnectTo::parse(c).map_err(|e| OptionError::ConnectTo {
                value: c.clone(),
                source: Box::new(e),
            })
        })
        .collect()
}

/// `--ip` (brackets allowed around IPv6).
pub fn parse_ip(s: &str, option: &'static str) -> Result<IpAddr, OptionError> {
    s.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .map_err(|_| OptionError::Ip {
            option,
            value: s.to_string(),
        })
}

/// `batch --jobs` (default: all cores).
pub fn jobs(j: Option<usize>) -> Result<usize, OptionError> {
    let jobs = j.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    if jobs == 0 {
        return Err(OptionError::Jobs);
    }
    Ok(jobs)
}

pub fn parse_at(s: &str) -> Result<At, OptionError> {
    if s.eq_ignore_ascii_case("arrival") {
        return Ok(At::Arrival);
    }
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse()
            .map(At::Fixed)
            .map_err(|_| OptionError::AtRange(s.to_string()));
    }
    mail_parser::DateTime::parse_rfc3339(s)
        .and_then(|d| u64::try_from(d.to_timestamp()).ok())
        .map(At::Fixed)
        .ok_or_else(|| OptionError::At(s.to_string()))
}

pub fn parse_nameserver(s: &str) -> Result<SocketAddr, OptionError> {
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let bare = s.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| OptionError::Nameserver(s.to_string()))
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
                && std::io::stdout().is_terminal()
        }
    }
}

pub fn hostname() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_accepts_three_forms() {
        assert!(matches!(
            parse_at("1667843664"),
            Ok(At::Fixed(1_667_843_664))
        ));
        assert!(matches!(
            parse_at("2022-11-07T17:54:24Z"),
            Ok(At::Fixed(1_667_843_664))
        ));
        assert!(matches!(parse_at("arrival"), Ok(At::Arrival)));
        assert!(matches!(parse_at("yesterday"), Err(OptionError::At(_))));
    }

    #[test]
    fn nameserver_forms() {
        assert_eq!(
            parse_nameserver("127.0.0.1:5353").map(|a| a.port()).ok(),
            Some(5353)
        );
        assert_eq!(parse_nameserver("::1").map(|a| a.port()).ok(), Some(53));
        assert!(parse_nameserver("dns.example").is_err());
    }
}
