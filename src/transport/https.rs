//! A small HTTPS GET for MTA-STS policies: certificate verified (Mozilla roots plus
//! `--ca-file`), no redirects followed (RFC 8461 §3.3), bounded in size and time. Addresses come
//! from the DNS seam, or from `--connect-to HOST:PORT:ADDR:PORT` as in curl.
//!
//! Time is bounded per connection, not per read: connect, TLS handshake, request and response
//! together get one deadline ([`Deadlined`]), so a server dripping one octet a second cannot
//! keep the audit waiting. Size is bounded by the body limit plus a 16 KiB header allowance.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};

use crate::dns::{Dns, Failure, Rdata, RecordType, of_type};

/// The response header may take this many octets beyond the body limit.
const MAX_HEADER: usize = 16 * 1024;

/// `--connect-to HOST:PORT:ADDR:PORT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectTo {
    /// The host name (normalised) whose connections are sent elsewhere.
    pub host: String,
    /// The port whose connections are sent elsewhere.
    pub port: u16,
    /// The address to connect to instead (an IPv6 address without brackets).
    pub addr: String,
    /// The port to connect to instead.
    pub addr_port: u16,
}

/// Why a `--connect-to` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectToError {
    #[error("expected HOST:PORT:ADDR:PORT")]
    Shape,
    #[error("bad [IPv6] address")]
    BadIpv6,
    #[error("bad port {0:?}")]
    BadPort(String),
}

impl ConnectTo {
    /// Read `HOST:PORT:ADDR:PORT` (ADDR may be a bracketed IPv6 address).
    pub fn parse(s: &str) -> Result<ConnectTo, ConnectToError> {
        // ADDR may be an IPv6 address in brackets.
        let (left, addr_port) = s.rsplit_once(':').ok_or(ConnectToError::Shape)?;
        let (left, addr) = if let Some(rest) = left.strip_suffix(']') {
            let (l, a) = rest.rsplit_once(":[").ok_or(ConnectToError::BadIpv6)?;
            (l, a.to_string())
        } else {
            let (l, a) = left.rsplit_once(':').ok_or(ConnectToError::Shape)?;
            (l, a.to_string())
        };
        let (host, port) = left.rsplit_once(':').ok_or(ConnectToError::Shape)?;
        let num = |p: &str| {
            p.parse::<u16>()
                .map_err(|_| ConnectToError::BadPort(p.to_string()))
        };
        Ok(ConnectTo {
            host: crate::dns::name::normalize(host),
            port: num(port)?,
            addr,
            addr_port: num(addr_port)?,
        })
    }
}

/// A TCP stream under one total deadline: each read and write waits at most until the
/// deadline, so the whole exchange ends by then however the peer paces its octets.
pub(crate) struct Deadlined {
    tcp: TcpStream,
    until: Instant,
}

impl Deadlined {
    /// Connect to the first address that answers, all attempts within the deadline.
    pub(crate) fn connect(
        addrs: &[SocketAddr],
        until: Instant,
    ) -> Result<Deadlined, Vec<(SocketAddr, std::io::Error)>> {
        let mut errors = Vec::new();
        for a in addrs {
            let Some(left) = left(until) else {
                errors.push((*a, deadline_error()));
                break;
            };
            match TcpStream::connect_timeout(a, left) {
                Ok(tcp) => return Ok(Deadlined { tcp, until }),
                Err(e) => errors.push((*a, e)),
            }
        }
        Err(errors)
    }

    /// Whether the deadline has passed (an error after it is the deadline's doing).
    pub(crate) fn expired(&self) -> bool {
        left(self.until).is_none()
    }
}

/// Time left before `until`, None once it has passed (a zero timeout would mean "none").
fn left(until: Instant) -> Option<Duration> {
    until
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
}

fn deadline_error() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        "the connection's total deadline passed",
    )
}

impl Read for Deadlined {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = left(self.until).ok_or_else(deadline_error)?;
        self.tcp.set_read_timeout(Some(left))?;
        self.tcp.read(buf)
    }
}

impl Write for Deadlined {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let left = left(self.until).ok_or_else(deadline_error)?;
        self.tcp.set_write_timeout(Some(left))?;
        self.tcp.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.tcp.flush()
    }
}

/// Why a policy fetch failed. The variant says what went wrong (the audit tells a server's TLS
/// fault from an unreachable one by it); `Display` is the reason users read.
#[derive(Debug, thiserror::Error)]
pub enum HttpsError {
    #[error("{host} has no address ({})", cause.map_or_else(|| "no records".to_string(), |f| f.to_string()))]
    NoAddress {
        host: String,
        cause: Option<Failure>,
    },
    #[error("cannot connect to {host}: {}", attempts_text(attempts))]
    Connect {
        host: String,
        attempts: Vec<(SocketAddr, std::io::Error)>,
    },
    #[error("bad host name {host}: {source}")]
    BadHostName {
        host: String,
        source: rustls::pki_types::InvalidDnsNameError,
    },
    /// The handshake or the request failed; a certificate problem is a [`rustls::Error`] inside.
    #[error("TLS with {host} failed: {source}")]
    Tls {
        host: String,
        source: std::io::Error,
    },
    #[error("reading from {host} failed: {source}")]
    Read {
        host: String,
        source: std::io::Error,
    },
    #[error("{host} did not complete the exchange within {}s (connect, TLS, request and response together)", limit.as_secs_f64())]
    Deadline { host: String, limit: Duration },
    #[error("the response has no complete header")]
    NoHeader,
    #[error("the response header is over {limit} octets")]
    HeaderTooLong { limit: usize },
    #[error("bad status line {0:?}")]
    BadStatus(String),
    #[error("the body is {len} octets (limit {limit})")]
    BodyLength { len: usize, limit: usize },
    #[error("the body is over the {limit}-octet limit")]
    BodyTooLarge { limit: usize },
    #[error("bad chunked body: {0}")]
    Chunked(&'static str),
    #[error("TLS set-up failed: {0}")]
    Setup(rustls::Error),
}

fn attempts_text(attempts: &[(SocketAddr, std::io::Error)]) -> String {
    attempts
        .iter()
        .map(|(a, e)| format!("{a}: {e}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Why `--ca-file` could not be used.
#[derive(Debug, thiserror::Error)]
pub enum RootsError {
    #[error("cannot read --ca-file {path}: {source}")]
    Read {
        path: String,
        source: rustls::pki_types::pem::Error,
    },
    #[error("--ca-file {path} holds no PEM certificate")]
    Empty { path: String },
    #[error("--ca-file {path}: {source}")]
    Bad { path: String, source: rustls::Error },
}

/// Why the HTTPS client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Roots(#[from] RootsError),
    #[error("TLS set-up failed: {0}")]
    Setup(#[from] rustls::Error),
}

/// The HTTPS client for MTA-STS policy fetches: `--ca-file` roots, `--connect-to` overrides
/// and a total timeout per fetch.
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
    /// `timeout` is the total for one fetch: connect, TLS, request and response.
    pub fn new(
        ca_file: Option<&std::path::Path>,
        connect_to: Vec<ConnectTo>,
        timeout: Duration,
    ) -> Result<HttpsClient, ClientError> {
        let roots = root_store(ca_file)?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(HttpsClient {
            config: Arc::new(config),
            connect_to,
            timeout,
        })
    }

    fn addresses(&self, dns: &Dns, host: &str, port: u16) -> Result<Vec<SocketAddr>, HttpsError> {
        if let Some(c) = self
            .connect_to
            .iter()
            .find(|c| c.host == host && c.port == port)
        {
            if let Ok(ip) = c.addr.parse::<IpAddr>() {
                return Ok(vec![SocketAddr::new(ip, c.addr_port)]);
            }
            return resolve(dns, &c.addr, c.addr_port);
        }
        resolve(dns, host, port)
    }

    /// GET `https://host/path`, reading at most `max_body` body octets.
    pub fn get(
        &self,
        dns: &Dns,
        host: &str,
        path: &str,
        max_body: usize,
    ) -> Result<Response, HttpsError> {
        let addrs = self.addresses(dns, host, 443)?;
        let until = Instant::now() + self.timeout;
        let tcp = Deadlined::connect(&addrs, until).map_err(|attempts| HttpsError::Connect {
            host: host.to_string(),
            attempts,
        })?;
        let name =
            ServerName::try_from(host.to_string()).map_err(|source| HttpsError::BadHostName {
                host: host.to_string(),
                source,
            })?;
        let conn =
            rustls::ClientConnection::new(self.config.clone(), name).map_err(HttpsError::Setup)?;
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let deadline = |tls: &rustls::StreamOwned<_, Deadlined>| {
            tls.sock.expired().then(|| HttpsError::Deadline {
                host: host.to_string(),
                limit: self.timeout,
            })
        };
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: mailverdict/{}\r\nAccept: text/plain\r\nConnection: close\r\n\r\n",
            env!("CARGO_PKG_VERSION")
        );
        if let Err(source) = tls.write_all(request.as_bytes()) {
            return Err(deadline(&tls).unwrap_or(HttpsError::Tls {
                host: host.to_string(),
                source,
            }));
        }
        // Headers plus the body limit, plus one octet to see that the limit was passed.
        let limit = max_body + MAX_HEADER + 1;
        let mut raw = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            let room = (limit - raw.len()).min(chunk.len());
            match tls.read(&mut chunk[..room]) {
                Ok(0) => break,
                Ok(n) => {
                    raw.extend_from_slice(&chunk[..n]);
                    if raw.len() >= limit {
                        break;
                    }
                }
                // Servers that close without close_notify: what was read is what was sent.
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !raw.is_empty() => break,
                Err(source) => {
                    return Err(deadline(&tls).unwrap_or(HttpsError::Read {
                        host: host.to_string(),
                        source,
                    }));
                }
            }
        }
        parse_response(&raw, max_body)
    }
}

fn resolve(dns: &Dns, host: &str, port: u16) -> Result<Vec<SocketAddr>, HttpsError> {
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
        return Err(HttpsError::NoAddress {
            host: host.to_string(),
            cause: last,
        });
    }
    Ok(out)
}

/// Mozilla's roots plus the PEM certificates of `--ca-file`.
pub fn root_store(ca_file: Option<&std::path::Path>) -> Result<RootCertStore, RootsError> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        let shown = || path.display().to_string();
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .and_then(|certs| certs.collect::<Result<_, _>>())
            .map_err(|source| RootsError::Read {
                path: shown(),
                source,
            })?;
        if certs.is_empty() {
            return Err(RootsError::Empty { path: shown() });
        }
        for c in certs {
            roots.add(c).map_err(|source| RootsError::Bad {
                path: shown(),
                source,
            })?;
        }
    }
    Ok(roots)
}

fn parse_response(raw: &[u8], max_body: usize) -> Result<Response, HttpsError> {
    let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Err(if raw.len() > max_body + MAX_HEADER {
            HttpsError::HeaderTooLong {
                limit: max_body + MAX_HEADER,
            }
        } else {
            HttpsError::NoHeader
        });
    };
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| HttpsError::BadStatus(status_line.chars().take(200).collect()))?;
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
            return Err(HttpsError::BodyLength {
                len,
                limit: max_body,
            });
        }
        body.truncate(len);
    }
    if body.len() > max_body {
        return Err(HttpsError::BodyTooLarge { limit: max_body });
    }
    response.body = body;
    Ok(response)
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, HttpsError> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or(HttpsError::Chunked("truncated"))?;
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| HttpsError::Chunked("bad chunk size"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = data
            .get(..size)
            .ok_or(HttpsError::Chunked("truncated chunk"))?;
        out.extend_from_slice(chunk);
        data = data
            .get(size.saturating_add(2)..)
            .ok_or(HttpsError::Chunked("truncated chunk"))?;
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
        assert_eq!(ConnectTo::parse("nope"), Err(ConnectToError::Shape));
        assert_eq!(
            ConnectTo::parse("h:x:1.2.3.4:9"),
            Err(ConnectToError::BadPort("x".into()))
        );
    }

    #[test]
    fn responses_and_chunks() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef", 100)
            .expect("parses");
        assert_eq!((r.status, r.body.as_slice()), (200, b"abc".as_slice()));
        let r = parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", 100).expect("chunked");
        assert_eq!(r.body, b"abcde");
        assert!(matches!(
            parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n", 100),
            Err(HttpsError::BodyLength {
                len: 500,
                limit: 100
            })
        ));
        let endless = [b"HTTP/1.1 200 OK\r\nX: ".as_slice(), &[b'a'; 20_000]].concat();
        assert!(matches!(
            parse_response(&endless, 100),
            Err(HttpsError::HeaderTooLong { .. })
        ));
    }

    /// A peer that accepts and then sends nothing: the read ends at the deadline, not later.
    #[test]
    fn deadline_bounds_a_silent_peer() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let started = Instant::now();
        let mut s =
            Deadlined::connect(&[addr], started + Duration::from_millis(300)).expect("connects");
        let mut buf = [0u8; 1];
        assert!(s.read(&mut buf).is_err());
        assert!(s.expired() && started.elapsed() < Duration::from_secs(3));
        drop(listener);
    }
}
