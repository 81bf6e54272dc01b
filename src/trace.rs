//! The Received chain: hops in path order, the trust boundary, and the client the trusted part
//! first heard from (the IP / HELO that SPF and iprev evaluate).

use std::net::IpAddr;

use mail_parser::parsers::MessageStream;
use mail_parser::{HeaderValue, Host, Protocol, Received, TlsVersion};

use crate::message::Message;
use crate::report::escape::clip;
use crate::report::model::{Hop, PathInfo};

/// `--trusted-mta`: a host name (exact, case-insensitive) or an address range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustedMta {
    Name(String),
    Net(IpAddr, u8),
}

impl TrustedMta {
    pub fn parse(s: &str) -> Result<TrustedMta, String> {
        if let Some((addr, len)) = s.split_once('/') {
            let ip: IpAddr = addr.parse().map_err(|_| format!("bad address in {s:?}"))?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let len: u8 = len
                .parse()
                .ok()
                .filter(|l| *l <= max)
                .ok_or_else(|| format!("bad prefix length in {s:?}"))?;
            return Ok(TrustedMta::Net(ip, len));
        }
        if let Ok(ip) = s.parse::<IpAddr>() {
            let len = if ip.is_ipv4() { 32 } else { 128 };
            return Ok(TrustedMta::Net(ip, len));
        }
        if s.is_empty() || s.contains(char::is_whitespace) {
            return Err(format!("{s:?} is neither a host name nor an address range"));
        }
        Ok(TrustedMta::Name(crate::dns::name::normalize(s)))
    }

    fn matches(&self, hop: &ParsedHop) -> bool {
        match self {
            TrustedMta::Name(n) => [&hop.from_host, &hop.from_rdns, &hop.helo].iter().any(|h| {
                h.as_deref()
                    .is_some_and(|h| crate::dns::name::normalize(h) == *n)
            }),
            TrustedMta::Net(net, len) => hop.from_ip.is_some_and(|ip| in_range(ip, *net, *len)),
        }
    }
}

fn in_range(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    let (a, b): (Vec<u8>, Vec<u8>) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (a.octets().to_vec(), b.octets().to_vec()),
        (IpAddr::V6(a), IpAddr::V6(b)) => (a.octets().to_vec(), b.octets().to_vec()),
        _ => return false,
    };
    let full = usize::from(len / 8);
    let rem = len % 8;
    a[..full] == b[..full] && (rem == 0 || (a[full] ^ b[full]) & (0xff << (8 - rem)) == 0)
}

struct ParsedHop {
    from_host: Option<String>,
    from_ip: Option<IpAddr>,
    from_rdns: Option<String>,
    helo: Option<String>,
    timestamp: Option<i64>,
    hop: Hop,
}

fn host_text(h: &Host) -> String {
    match h {
        Host::Name(n) => n.to_string(),
        Host::IpAddr(ip) => ip.to_string(),
    }
}

fn tls_name(t: &TlsVersion) -> String {
    match t {
        TlsVersion::SSLv2 => "SSLv2",
        TlsVersion::SSLv3 => "SSLv3",
        TlsVersion::TLSv1_0 => "TLSv1.0",
        TlsVersion::TLSv1_1 => "TLSv1.1",
        TlsVersion::TLSv1_2 => "TLSv1.2",
        TlsVersion::TLSv1_3 => "TLSv1.3",
        TlsVersion::DTLSv1_0 => "DTLSv1.0",
        TlsVersion::DTLSv1_2 => "DTLSv1.2",
        TlsVersion::DTLSv1_3 => "DTLSv1.3",
    }
    .to_string()
}

/// RFC 3848 protocol names with "S" mean TLS was used for the hop.
fn protocol_tls(p: &Protocol) -> bool {
    matches!(
        p,
        Protocol::ESMTPS
            | Protocol::ESMTPSA
            | Protocol::LMTPS
            | Protocol::LMTPSA
            | Protocol::UTF8SMTPS
            | Protocol::UTF8SMTPSA
            | Protocol::UTF8LMTPS
            | Protocol::UTF8LMTPSA
            | Protocol::HTTPS
    )
}

/// Parse one Received field value; `field` is its position from the top.
fn parse_hop(field: usize, value: &[u8]) -> ParsedHop {
    let received: Option<Box<Received>> = match MessageStream::new(value).parse_received() {
        HeaderValue::Received(r) => Some(r),
        _ => None,
    };
    let Some(r) = received else {
        let text = String::from_utf8_lossy(value);
        return ParsedHop {
            from_host: None,
            from_ip: None,
            from_rdns: None,
            helo: None,
            timestamp: None,
            hop: Hop {
                field,
                raw: Some(clip(text.trim(), 998)),
                ..Hop::default()
            },
        };
    };
    let from_host = r.from.as_ref().map(host_text);
    // A from-host that is an address literal is the client IP when no TCP-info gave one.
    let from_ip = r.from_ip.or(match &r.from {
        Some(Host::IpAddr(ip)) => Some(*ip),
        _ => None,
    });
    let helo = r.helo.as_ref().map(host_text);
    let timestamp = r.date.as_ref().map(mail_parser::DateTime::to_timestamp);
    let from_rdns = r.from_iprev.as_ref().map(|s| s.to_string());
    let tls = r.tls_version.is_some() || r.with.as_ref().is_some_and(protocol_tls);
    let hop = Hop {
        index: 0,
        field,
        from_host: from_host.clone(),
        from_ip: from_ip.map(|ip| ip.to_string()),
        from_rdns: from_rdns.clone(),
        helo: helo.clone(),
        ident: r.ident.as_ref().map(|c| c.to_string()),
        by_host: r.by.as_ref().map(host_text),
        protocol: r.with.as_ref().map(|p| format!("{p:?}")),
        tls,
        tls_version: r.tls_version.as_ref().map(tls_name),
        tls_cipher: r.tls_cipher.as_ref().map(|c| c.to_string()),
        id: r.id.as_ref().map(|c| c.to_string()),
        for_addr: r.for_.as_ref().map(|c| c.to_string()),
        timestamp: timestamp.map(|t| mail_parser::DateTime::from_timestamp(t).to_rfc3339()),
        delay_seconds: None,
        trusted: false,
        raw: None,
    };
    ParsedHop {
        from_host,
        from_ip,
        from_rdns,
        helo,
        timestamp,
        hop,
    }
}

/// Addresses that say nothing about where mail came from on the Internet.
pub fn special_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            if v4.is_loopback() {
                Some("loopback")
            } else if v4.is_private() || (o[0] == 100 && (64..128).contains(&o[1])) {
                Some("private")
            } else if v4.is_link_local() {
                Some("link-local")
            } else if v4.is_documentation() || (o[0] == 198 && (o[1] == 18 || o[1] == 19)) {
                Some("documentation/benchmark")
            } else if v4.is_unspecified() || v4.is_broadcast() || o[0] >= 240 {
                Some("reserved")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            if v6.is_loopback() || v6.is_unspecified() {
                Some("loopback")
            } else if (s[0] & 0xfe00) == 0xfc00 {
                Some("private (unique local)")
            } else if (s[0] & 0xffc0) == 0xfe80 {
                Some("link-local")
            } else if s[0] == 0x2001 && s[1] == 0x0db8 {
                Some("documentation")
            } else if let Some(v4) = v6.to_ipv4_mapped() {
                special_range(IpAddr::V4(v4))
            } else {
                None
            }
        }
    }
}

/// A gap between hops worth a warning (mail normally moves in seconds).
const LONG_GAP_SECONDS: i64 = 3600;

/// Walk the Received fields. The topmost was added by our own border MTA and is always trusted;
/// while a hop's sender is a `--trusted-mta`, the hop below it is trusted too. `date` is the
/// Date field's time, `at` the evaluation time (future timestamps are measured against it).
pub fn analyse(msg: &Message, trusted: &[TrustedMta], date: Option<i64>, at: i64) -> PathInfo {
    let parsed: Vec<ParsedHop> = msg
        .all("Received")
        .enumerate()
        .map(|(i, f)| parse_hop(i + 1, f.value))
        .collect();
    let n = parsed.len();
    let mut info = PathInfo::default();
    // Top-down: the first hop whose sender is not one of ours is where mail entered.
    let entry = parsed
        .iter()
        .position(|hop| !trusted.iter().any(|t| t.matches(hop)))
        .or(n.checked_sub(1));
    info.trusted_hops = entry.map_or(0, |e| e + 1);
    if let Some(e) = entry {
        let hop = &parsed[e];
        info.origin_ip = hop.from_ip.map(|ip| ip.to_string());
        info.origin_hop = Some(n - e);
        info.boundary_host = hop.hop.by_host.clone();
        info.helo = hop.helo.clone().or_else(|| hop.from_host.clone());
        match hop.from_ip {
            None => info.anomalies.push(format!(
                "hop {} (where mail entered the trusted part) names no client IP",
                n - e
            )),
            Some(ip) => {
                match special_range(ip) {
                    Some(kind) if kind.starts_with("documentation") => info.anomalies.push(format!(
                        "the origin IP {ip} is a {kind} address, never used on the Internet (test data, or a forged field)"
                    )),
                    Some(kind) => info.anomalies.push(format!(
                        "the origin IP {ip} is a {kind} address: the trust boundary is misplaced (add --trusted-mta) or the field is forged"
                    )),
                    None => {}
                }
            }
        }
    }
    // Path order from here on: index 0 is the oldest hop.
    let mut hops: Vec<Hop> = Vec::with_capacity(n);
    let mut previous_time = date;
    for (k, p) in parsed.iter().rev().enumerate() {
        let number = k + 1;
        let mut hop = p.hop.clone();
        hop.index = number;
        hop.trusted = p.hop.field <= info.trusted_hops;
        if hop.raw.is_some() {
            info.anomalies
                .push(format!("hop {number} could not be parsed; kept as written"));
            hops.push(hop);
            continue;
        }
        match p.timestamp {
            Some(t) => {
                if let Some(prev) = previous_time {
                    hop.delay_seconds = Some(t - prev);
                    if t - prev > LONG_GAP_SECONDS {
                        let what = if k == 0 {
                            "the Date field"
                        } else {
                            "the hop before it"
                        };
                        info.anomalies.push(format!(
                            "hop {number} is timestamped {} after {what} (clock skew, or long queueing)",
                            duration(t - prev)
                        ));
                    }
                    if t < prev {
                        let what = if k == 0 {
                            "the Date field"
                        } else {
                            "the hop before it"
                        };
                        info.anomalies.push(format!(
                            "hop {number} is timestamped {} before {what} (clock skew or forged field)",
                            duration(prev - t)
                        ));
                    }
                }
                if t > at + 15 * 60 {
                    info.anomalies.push(format!(
                        "hop {number} is timestamped {} in the future",
                        duration(t - at)
                    ));
                }
                previous_time = Some(t);
            }
            None => info
                .anomalies
                .push(format!("hop {number} has no parseable date")),
        }
        if let Some(ip) = p.from_ip
            && !hop.trusted
            && let Some(kind) = special_range(ip)
            && info.origin_hop != Some(number)
        {
            info.anomalies.push(format!(
                "hop {number} names a {kind} client address {ip} (an internal relay of the sender, or forged)"
            ));
        }
        let smtp = hop
            .protocol
            .as_deref()
            .is_some_and(|p| matches!(p, "SMTP" | "ESMTP" | "ESMTPA" | "UTF8SMTP" | "UTF8SMTPA"));
        let local = p.from_ip.is_some_and(|ip| ip.is_loopback());
        if smtp && !hop.tls && !local {
            info.anomalies
                .push(format!("hop {number} was sent without TLS"));
        }
        hops.push(hop);
    }
    for pair in parsed.iter().rev().collect::<Vec<_>>().windows(2) {
        let (before, after) = (pair[0], pair[1]);
        let (Some(by), Some(next_from)) = (&before.hop.by_host, &after.from_host) else {
            continue;
        };
        let by = crate::dns::name::normalize(by);
        let names = [&after.from_host, &after.helo, &after.from_rdns];
        let same = names
            .iter()
            .filter_map(|n| n.as_deref())
            .any(|n| crate::dns::name::normalize(n) == by);
        let ip_literal = next_from.parse::<IpAddr>().is_ok();
        if !same && !ip_literal && after.from_host.as_deref() != Some("localhost") {
            info.anomalies.push(format!(
                "hop {} says it came from {next_from}, but hop {} was received by {by} (a gap in the chain, or a forged field)",
                n - after.hop.field + 1,
                n - before.hop.field + 1
            ));
        }
    }
    if let (Some(first), Some(last)) = (
        date.or_else(|| parsed.last().and_then(|p| p.timestamp)),
        parsed.first().and_then(|p| p.timestamp),
    ) {
        info.total_transit_seconds = Some(last - first);
    }
    info.hops = hops;
    info
}

/// Position among all header fields (1 = topmost) of the Received field where mail entered
/// the trusted part: fields above it were added on our side.
pub fn boundary_position(msg: &Message, path: &PathInfo) -> Option<usize> {
    let wanted = path.trusted_hops;
    msg.fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.is("Received"))
        .nth(wanted.checked_sub(1)?)
        .map(|(i, _)| i + 1)
}

/// "2h 5m", "40s": short durations for anomaly notes.
fn duration(secs: i64) -> String {
    let s = secs.unsigned_abs();
    match s {
        0..=119 => format!("{s}s"),
        120..=7199 => format!("{}m", s / 60),
        7200..=172_799 => format!("{}h {}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d {}h", s / 86_400, (s % 86_400) / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_mta_parses_names_and_ranges() {
        assert_eq!(
            TrustedMta::parse("192.0.2.0/24"),
            Ok(TrustedMta::Net("192.0.2.0".parse().expect("ip"), 24))
        );
        assert!(
            matches!(TrustedMta::parse("MX.Example.COM"), Ok(TrustedMta::Name(n)) if n == "mx.example.com")
        );
        assert!(TrustedMta::parse("10.0.0.0/40").is_err());
        assert!(in_range(
            "192.0.2.77".parse().expect("ip"),
            "192.0.2.0".parse().expect("ip"),
            24
        ));
    }

    #[test]
    fn special_ranges() {
        let kind = |s: &str| special_range(s.parse().expect("ip"));
        assert_eq!(kind("10.1.2.3"), Some("private"));
        assert_eq!(kind("127.0.0.1"), Some("loopback"));
        assert_eq!(kind("192.0.2.1"), Some("documentation/benchmark"));
        assert_eq!(kind("2001:db8::1"), Some("documentation"));
        assert_eq!(kind("::ffff:10.0.0.1"), Some("private"));
        assert_eq!(kind("8.8.8.8"), None);
    }
}
