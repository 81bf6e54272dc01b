//! A small HTTPS GET for MTA-STS policies: certificate verified (Mozilla roots plus
//! `--ca-file`), no redirects followed (RFC 8461 §3.3), bounded in size and time. Addresses come
//! from the DNS seam, or from `--connect-to HOST:PORT:ADDR:PORT` as in curl.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};

use crate::dns::{Dns, Rdata, RecordType, of_type};

/// `--connect-to HOST:PORT:ADDR:PORT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectTo {
    pub host: String,
    pub port: u16,
    pub addr: String,
    pub addr_port: u16,
}

impl ConnectTo {
    pub fn parse(s: &str) -> Result<ConnectTo, String> {
        // ADDR may be an IPv6 address in brackets.
        let (left, addr_port) = s.rsplit_once(':').ok_or("expected HOST:PORT:ADDR:PORT")?;
        let (left, addr) = if let Some(rest) = left.strip_suffix(']') {
            let (l, a) = rest.rsplit_once(":[").ok_or("bad [IPv6] address")?;
            (l, a.to_string())
        } else {
            let (l, a) = left
                .rsplit_once(':')
                .ok_or("expected HOST:PORT:ADDR:PORT")?;
            (l, a.to_string())
        };
        let (host, port) = left
            .rsplit_once(':')
            .ok_or("expected HOST:PORT:ADDR:PORT")?;
        let num = |p: &str| p.parse::<u16>().map_err(|_| format!("bad port {p:?}"));
        Ok(ConnectTo {
            host: crate::dns::name::normalize(host),
            port: num(port)?,
            addr,
            addr_port: num(addr_port)?,
        })
    }
}

pub struct HttpsClient {
    config: Arc<ClientConfig>,
    connect_to: Vec<ConnectTo>,
    timeout: Duration,
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl HttpsClient {
    pub fn new(
        ca_file: Option<&std::path::Path>,
        connect_to: Vec<ConnectTo>,
        timeout: Duration,
    ) -> Result<HttpsClient, String> {
        let roots = root_store(ca_file)?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(HttpsClient {
            config: Arc::new(config),
            connect_to,
            timeout,
        })
    }

    fn addresses(&self, dns: &Dns, host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
        if let Some(c) = self
            .connect_to
            .iter()
            .find(|c| c.host == host && c.port == port)
        {
            if let Ok(ip) = c.addr.parse::<IpAddr>() {
                return Ok(vec![SocketAddr::new(ip, c.addr_port)]);
            }
            return self.resolve(dns, &c.addr, c.addr_port);
        }
        self.resolve(dns, host, port)
    }

    fn resolve(&self, dns: &Dns, host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
        let mut out = Vec::new();
        let mut last = None;
        for rtype in [RecordType::A, RecordType::Aaaa] {
            match dns.query(host, rtype) {
                Ok(r) => out.extend(of_type(&r, rtype).filter_map(|d| match d {
                    Rdata::A(a) => Some(SocketAddr::new(IpAddr::V4(*a), port)),
                    Rdata::Aaaa(a) => Some(SocketAddr::new(IpAddr::V6(*a), port)),
                    _ => None,
                })),
                Err(e) => last = Some(e),
            }
        }
        if out.is_empty() {
            return Err(format!(
                "{host} has no address ({})",
                last.map_or("no records".into(), |e| e.to_string())
            ));
        }
        Ok(out)
    }

    /// GET `https://host/path`, reading at most `max_body` body octets.
    pub fn get(
        &self,
        dns: &Dns,
        host: &str,
        path: &str,
        max_body: usize,
    ) -> Result<Response, String> {
        let addrs = self.addresses(dns, host, 443)?;
        let mut errors = Vec::new();
        let tcp = addrs
            .iter()
            .find_map(|a| match TcpStream::connect_timeout(a, self.timeout) {
                Ok(s) => Some(s),
                Err(e) => {
                    errors.push(format!("{a}: {e}"));
                    None
                }
            })
            .ok_or_else(|| format!("cannot connect to {host}: {}", errors.join("; ")))?;
        tcp.set_read_timeout(Some(self.timeout))
            .map_err(|e| e.to_string())?;
        tcp.set_write_timeout(Some(self.timeout))
            .map_err(|e| e.to_string())?;
        let name = ServerName::try_from(host.to_string())
            .map_err(|e| format!("bad host name {host}: {e}"))?;
        let conn =
            rustls::ClientConnection::new(self.config.clone(), name).map_err(|e| e.to_string())?;
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: mailverdict/{}\r\nAccept: text/plain\r\nConnection: close\r\n\r\n",
            env!("CARGO_PKG_VERSION")
        );
        tls.write_all(request.as_bytes())
            .map_err(|e| format!("TLS with {host} failed: {e}"))?;
        // Headers plus the body limit, plus one octet to see that the limit was passed.
        let limit = max_body + 16 * 1024 + 1;
        let mut raw = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            match tls.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    raw.extend_from_slice(&chunk[..n]);
                    if raw.len() >= limit {
                        break;
                    }
                }
                // Servers that close without close_notify: what was read is what was sent.
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !raw.is_empty() => break,
                Err(e) => return Err(format!("reading from {host} failed: {e}")),
            }
        }
        parse_response(&raw, max_body)
    }
}

/// Mozilla's roots plus the PEM certificates of `--ca-file`.
pub fn root_store(ca_file: Option<&std::path::Path>) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| format!("cannot read --ca-file {}: {e}", path.display()))?
            .collect::<Result<_, _>>()
            .map_err(|e| format!("--ca-file {}: {e}", path.display()))?;
        if certs.is_empty() {
            return Err(format!(
                "--ca-file {} holds no PEM certificate",
                path.display()
            ));
        }
        for c in certs {
            roots
                .add(c)
                .map_err(|e| format!("--ca-file {}: {e}", path.display()))?;
        }
    }
    Ok(roots)
}

fn parse_response(raw: &[u8], max_body: usize) -> Result<Response, String> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("the response has no complete header")?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut response = Response {
        status,
        headers,
        body: Vec::new(),
    };
    let mut body = raw[split + 4..].to_vec();
    if response
        .header("Transfer-Encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        body = dechunk(&body)?;
    } else if let Some(len) = response
        .header("Content-Length")
        .and_then(|l| l.parse::<usize>().ok())
    {
        if len > max_body {
            return Err(format!("the body is {len} octets (limit {max_body})"));
        }
        body.truncate(len);
    }
    if body.len() > max_body {
        return Err(format!("the body is over the {max_body}-octet limit"));
    }
    response.body = body;
    Ok(response)
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated chunked body")?;
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| format!("bad chunk size {size_text:?}"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = data.get(..size).ok_or("truncated chunk")?;
        out.extend_from_slice(chunk);
        data = data.get(size + 2..).ok_or("truncated chunk")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_to_forms() {
        let c = ConnectTo::parse("mta-sts.example.com:443:127.0.0.1:8443").expect("parses");
        assert_eq!(
            (c.host.as_str(), c.port, c.addr.as_str(), c.addr_port),
            ("mta-sts.example.com", 443, "127.0.0.1", 8443)
        );
        let c = ConnectTo::parse("h:443:[::1]:9").expect("v6");
        assert_eq!(c.addr, "::1");
        assert!(ConnectTo::parse("nope").is_err());
    }

    #[test]
    fn responses_and_chunks() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef", 100)
            .expect("parses");
        assert_eq!((r.status, r.body.as_slice()), (200, b"abc".as_slice()));
        let r = parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", 100).expect("chunked");
        assert_eq!(r.body, b"abcde");
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n", 100).is_err());
    }
}
