//! Raw arguments become a validated configuration here, once: DNS backend, clock, colour.

use std::io::IsTerminal;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use mailverdict::dns::{Dns, Live, Recording, Resolve, Zone};
use mailverdict::{At, Clock, TrustedMta};

use super::cli::{ColorChoice, Format, GlobalArgs};
use super::exit::Error;

/// The validated global options.
pub struct Settings {
    pub format: Format,
    pub color: bool,
    pub dns: std::sync::Arc<Dns>,
    /// The backend behind `dns`, for a long run that renews its cache (`milter`).
    pub backend: std::sync::Arc<dyn Resolve>,
    /// The evaluation time (`--at`), resolved once.
    pub clock: Clock,
    pub authserv_id: String,
    /// Whether --authserv-id was given (existing A-R fields are trusted only then).
    pub authserv_id_given: bool,
    pub trusted: Vec<TrustedMta>,
    pub max_size: u64,
    pub timeout: Duration,
    pub connect_to: Vec<String>,
    pub ca_file: Option<std::path::PathBuf>,
}

pub fn parse_at(s: &str) -> Result<At, String> {
    if s.eq_ignore_ascii_case("arrival") {
        return Ok(At::Arrival);
    }
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse()
            .map(At::Fixed)
            .map_err(|_| format!("--at {s}: out of range"));
    }
    mail_parser::DateTime::parse_rfc3339(s)
        .and_then(|d| u64::try_from(d.to_timestamp()).ok())
        .map(At::Fixed)
        .ok_or_else(|| {
            format!(
                "--at {s:?}: expected RFC 3339 (2024-05-01T12:00:00Z), unix seconds or 'arrival'"
            )
        })
}

pub fn parse_nameserver(s: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let bare = s.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| format!("--nameserver {s:?}: expected IP or IP:PORT ([IPv6]:PORT)"))
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

impl Settings {
    pub fn from_args(g: &GlobalArgs) -> Result<Settings, Error> {
        if !(g.timeout.is_finite() && g.timeout > 0.0 && g.timeout <= 3600.0) {
            return Err(Error::Usage(format!(
                "--timeout {}: expected seconds between 0 and 3600",
                g.timeout
            )));
        }
        let timeout = Duration::from_secs_f64(g.timeout);
        let nameservers = g
            .nameserver
            .iter()
            .map(|s| parse_nameserver(s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(Error::Usage)?;
        let backend: std::sync::Arc<dyn Resolve> = if !g.dns_zone.is_empty() {
            std::sync::Arc::new(Zone::from_files(&g.dns_zone)?)
        } else {
            let live = Box::new(Live::new(&nameservers, timeout, g.trust_anchor.clone())?);
            match &g.record_dns {
                Some(path) => std::sync::Arc::new(Recording::new(live, path)?),
                None => std::sync::Arc::from(live as Box<dyn Resolve>),
            }
        };
        let at =
            g.at.as_deref()
                .map(parse_at)
                .transpose()
                .map_err(Error::Usage)?;
        let clock = Clock::system(at);
        let trusted = g
            .trusted_mta
            .iter()
            .map(|s| TrustedMta::parse(s).map_err(|e| Error::Usage(format!("--trusted-mta: {e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let max_size = mailverdict::parse_size(&g.max_size)
            .map_err(|e| Error::Usage(format!("--max-size: {e}")))?;
        Ok(Settings {
            format: g.format,
            color: use_color(g.color),
            dns: std::sync::Arc::new(Dns::new(Box::new(backend.clone()))),
            backend,
            clock,
            authserv_id: g.authserv_id.clone().unwrap_or_else(hostname),
            authserv_id_given: g.authserv_id.is_some(),
            trusted,
            max_size,
            timeout,
            connect_to: g.connect_to.clone(),
            ca_file: g.ca_file.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_accepts_three_forms() {
        assert_eq!(parse_at("1667843664"), Ok(At::Fixed(1_667_843_664)));
        assert_eq!(
            parse_at("2022-11-07T17:54:24Z"),
            Ok(At::Fixed(1_667_843_664))
        );
        assert_eq!(parse_at("arrival"), Ok(At::Arrival));
        assert!(parse_at("yesterday").is_err());
    }

    #[test]
    fn nameserver_forms() {
        assert_eq!(
            parse_nameserver("127.0.0.1:5353").map(|a| a.port()),
            Ok(5353)
        );
        assert_eq!(parse_nameserver("::1").map(|a| a.port()), Ok(53));
        assert!(parse_nameserver("dns.example").is_err());
    }
}
