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

fn protocol_name(p: &Protocol) -> String {
    format!("{p:?}")
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

fn parse_hop(index: usize, value: &[u8]) -> ParsedHop {
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
                index,
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
    let helo = r.helo.as_ref().map(host_text).or_else(|| from_host.clone());
    let timestamp = r.date.as_ref().map(mail_parser::DateTime::to_timestamp);
    let from_rdns = r
        .from_iprev
        .as_ref()
        .map(|s| s.trim_end_matches('.').to_string());
    let hop = Hop {
        index,
        from_host: from_host.clone(),
        from_ip: from_ip.map(|ip| ip.to_string()),
        from_rdns: from_rdns.clone(),
        helo: helo.clone(),
        by_host: r.by.as_ref().map(host_text),
        protocol: r.with.as_ref().map(protocol_name),
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

/// Walk the Received fields top-down. The topmost hop was added by our own border MTA and is
/// always trusted; while a hop's sender is a `--trusted-mta`, the hop below it is trusted too.
pub fn analyse(msg: &Message, trusted: &[TrustedMta]) -> PathInfo {
    let parsed: Vec<ParsedHop> = msg
        .all("Received")
        .enumerate()
        .map(|(i, f)| parse_hop(i + 1, f.value))
        .collect();
    let mut info = PathInfo::default();
    let mut entry = None;
    for (i, hop) in parsed.iter().enumerate() {
        let sender_trusted = trusted.iter().any(|t| t.matches(hop));
        if !sender_trusted {
            entry = Some(i);
            break;
        }
    }
    // Every hop is from a trusted MTA: the bottom one is where mail entered.
    let entry = entry.or(parsed.len().checked_sub(1));
    info.trusted_hops = entry.map_or(0, |e| e + 1);
    if let Some(e) = entry {
        let hop = &parsed[e];
        info.origin_ip = hop.from_ip.map(|ip| ip.to_string());
        info.helo = hop.helo.clone();
        if hop.from_ip.is_none() {
            info.anomalies.push(format!(
                "hop {} (where mail entered the trusted part) names no client IP",
                e + 1
            ));
        }
    }
    let mut hops: Vec<Hop> = Vec::with_capacity(parsed.len());
    for (i, p) in parsed.iter().enumerate() {
        let mut hop = p.hop.clone();
        hop.trusted = i < info.trusted_hops;
        if let (Some(now), Some(prev)) = (p.timestamp, parsed.get(i + 1).and_then(|n| n.timestamp))
        {
            hop.delay_seconds = Some(now - prev);
            if now < prev {
                info.anomalies.push(format!(
                    "hop {} is timestamped {}s before the hop below it (clock skew or forged header)",
                    i + 1,
                    prev - now
                ));
            }
        }
        if hop.raw.is_some() {
            info.anomalies.push(format!(
                "hop {} could not be parsed; kept as written",
                i + 1
            ));
        }
        hops.push(hop);
    }
    info.hops = hops;
    info
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
}
