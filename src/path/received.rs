//! One Received field (RFC 5321 §4.4): the client part (address, reverse name, HELO, `by`)
//! from our own tokenizer (`client.rs`: only the TCP-level part the receiving MTA wrote gives
//! the client IP), the rest (protocol, TLS, id, for, date) from mail-parser's parser.

use std::net::IpAddr;

use mail_parser::parsers::MessageStream;
use mail_parser::{HeaderValue, Host, Protocol, Received, TlsVersion};

use super::{Hop, client};
use crate::common::clip;

pub(crate) struct ParsedHop {
    pub from_host: Option<String>,
    /// The client IP as the receiving MTA recorded it.
    pub from_ip: Option<IpAddr>,
    /// Distinct addresses in the client part when there was more than one.
    pub conflicting: Vec<IpAddr>,
    /// The parentheses of the client part do not balance.
    pub unbalanced: bool,
    pub from_rdns: Option<String>,
    pub helo: Option<String>,
    pub timestamp: Option<i64>,
    pub hop: Hop,
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
pub(crate) fn parse_hop(field: usize, value: &[u8]) -> ParsedHop {
    let received: Option<Box<Received>> = match MessageStream::new(value).parse_received() {
        HeaderValue::Received(r) => Some(r),
        _ => None,
    };
    let Some(r) = received else {
        let text = String::from_utf8_lossy(value);
        return ParsedHop {
            from_host: None,
            from_ip: None,
            conflicting: Vec::new(),
            unbalanced: false,
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
    let client = client::parse(value);
    let from_ip = client.ip.map(|(ip, _)| ip);
    let helo = client.helo.clone();
    let timestamp = r.date.as_ref().map(mail_parser::DateTime::to_timestamp);
    let from_rdns = client.rdns.clone();
    let tls = r.tls_version.is_some() || r.with.as_ref().is_some_and(protocol_tls);
    let hop = Hop {
        index: 0,
        field,
        from_host: from_host.clone(),
        from_ip,
        from_rdns: from_rdns.clone(),
        helo: helo.clone(),
        ident: r.ident.as_ref().map(|c| c.to_string()),
        by_host: client.by_host.clone(),
        protocol: r.with.as_ref().map(|p| format!("{p:?}")),
        tls,
        tls_version: r.tls_version.as_ref().map(tls_name),
        tls_cipher: r.tls_cipher.as_ref().map(|c| c.to_string()),
        id: r.id.as_ref().map(|c| c.to_string()),
        for_addr: r.for_.as_ref().map(|c| c.to_string()),
        timestamp,
        delay_seconds: None,
        trusted: false,
        raw: None,
    };
    ParsedHop {
        from_host,
        from_ip,
        conflicting: client.conflicting,
        unbalanced: client.unbalanced,
        from_rdns,
        helo,
        timestamp,
        hop,
    }
}
