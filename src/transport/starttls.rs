//! `domain --probe`: connect to an MX on port 25, EHLO, STARTTLS, and look at what the server
//! presents: TLS version and cipher, the certificate chain against the TLSA records (DANE-EE
//! and DANE-TA), WebPKI validity for the MX name (what MTA-STS requires), and expiry.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use serde::Serialize;

use super::https::{ConnectTo, Deadlined, RootsError};
use super::x509;
use crate::dns::{Dns, Rdata, RecordType, of_type};

#[derive(Debug, Clone, Default, Serialize)]
pub struct Probe {
    pub mx: String,
    pub address: Option<String>,
    pub starttls: bool,
    pub tls_version: Option<String>,
    pub cipher: Option<String>,
    /// WebPKI-valid for the MX name (MTA-STS needs this).
    pub pkix_valid: Option<bool>,
    pub pkix_error: Option<String>,
    /// Which TLSA record matched, or why none did.
    pub dane: Option<String>,
    pub dane_match: Option<bool>,
    /// Per TLSA record (in the order published): whether it matches the presented chain.
    pub tlsa_matched: Vec<bool>,
    pub not_after: Option<i64>,
    /// Why the probe stopped early (JSON: its reason text).
    #[serde(serialize_with = "as_text")]
    pub error: Option<ProbeError>,
}

fn as_text<S: serde::Serializer>(e: &Option<ProbeError>, s: S) -> Result<S::Ok, S::Error> {
    match e {
        Some(e) => s.serialize_some(&e.to_string()),
        None => s.serialize_none(),
    }
}

/// The longest SMTP reply line read (RFC 5321 §4.5.3.1.5 allows 512 octets; some servers send
/// longer EHLO lines), and the most lines in one reply.
const MAX_REPLY_LINE: usize = 4096;
const MAX_REPLY_LINES: usize = 100;

/// Where in the conversation a probe was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Greeting,
    Ehlo,
    StartTls,
    Handshake,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stage::Greeting => "the greeting",
            Stage::Ehlo => "the EHLO reply",
            Stage::StartTls => "the STARTTLS reply",
            Stage::Handshake => "the TLS handshake",
        })
    }
}

/// Why a probe stopped. The variant tells a server's TLS fault ([`ProbeError::is_tls_failure`])
/// from a server that could not be reached or talked to; `Display` is the reason users read.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProbeError {
    #[error("{host} has no address")]
    NoAddress { host: String },
    #[error("--connect-to address {0} is not an IP")]
    ConnectToNotIp(String),
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        addr: SocketAddr,
        source: Arc<std::io::Error>,
    },
    #[error("no answer within {}s (the whole conversation's deadline) during {stage}", limit.as_secs_f64())]
    Deadline { stage: Stage, limit: Duration },
    #[error("reading {stage} failed: {source}")]
    Io {
        stage: Stage,
        source: Arc<std::io::Error>,
    },
    #[error("connection closed during {0}")]
    Closed(Stage),
    #[error("{stage} has a line over {MAX_REPLY_LINE} octets")]
    LineTooLong { stage: Stage },
    #[error("{stage} has over {MAX_REPLY_LINES} lines")]
    TooManyLines { stage: Stage },
    #[error("not an SMTP reply in {stage}: {line:?}")]
    NotSmtp { stage: Stage, line: String },
    #[error("greeting {0}, not 220")]
    Greeting(u16),
    #[error("EHLO answered {0}")]
    Ehlo(u16),
    #[error("STARTTLS answered {0}")]
    StartTls(u16),
    #[error("TLS handshake failed: {0}")]
    Handshake(Arc<std::io::Error>),
    #[error("the server presented no certificate")]
    NoCertificate,
    #[error("bad host name {0}")]
    BadHostName(String),
    #[error("TLS set-up failed: {0}")]
    Setup(rustls::Error),
    #[error("certificate verifier set-up failed: {0}")]
    Verifier(Arc<rustls::client::VerifierBuilderError>),
    #[error(transparent)]
    Roots(Arc<RootsError>),
}

impl ProbeError {
    /// The server was reached and its STARTTLS or TLS went wrong (an error of the server's
    /// configuration); every other failure may be the network between us and it.
    pub fn is_tls_failure(&self) -> bool {
        matches!(
            self,
            ProbeError::StartTls(_)
                | ProbeError::Handshake(_)
                | ProbeError::NoCertificate
                | ProbeError::Deadline {
                    stage: Stage::Handshake,
                    ..
                }
        )
    }
}

/// Accepts any chain and keeps it: the checks are made afterwards, and reported, not refused.
#[derive(Debug)]
struct Recorder {
    chain: Mutex<Vec<CertificateDer<'static>>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut c) = self.chain.lock() {
            c.push(end_entity.clone().into_owned());
            c.extend(intermediates.iter().map(|i| i.clone().into_owned()));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Reads a conversation under one deadline: an error after it is reported as the deadline's.
struct Conversation {
    reader: BufReader<Deadlined>,
    until: Instant,
    limit: Duration,
}

impl Conversation {
    fn fail(&self, stage: Stage, e: std::io::Error) -> ProbeError {
        if Instant::now() >= self.until {
            ProbeError::Deadline {
                stage,
                limit: self.limit,
            }
        } else {
            ProbeError::Io {
                stage,
                source: Arc::new(e),
            }
        }
    }

    fn send(&mut self, stage: Stage, line: &[u8]) -> Result<(), ProbeError> {
        self.reader
            .get_mut()
            .write_all(line)
            .map_err(|e| self.fail(stage, e))
    }

    /// Read one SMTP reply (all its lines); returns the code and the text lines. Each line is
    /// read at most MAX_REPLY_LINE octets far, so a reply that never ends a line costs nothing.
    fn reply(&mut self, stage: Stage) -> Result<(u16, Vec<String>), ProbeError> {
        let mut lines = Vec::new();
        let mut raw = Vec::new();
        loop {
            raw.clear();
            let cap = MAX_REPLY_LINE as u64 + 1;
            let n = match self.reader.by_ref().take(cap).read_until(b'\n', &mut raw) {
                Ok(n) => n,
                Err(e) => return Err(self.fail(stage, e)),
            };
            if n == 0 {
                return Err(ProbeError::Closed(stage));
            }
            if raw.len() > MAX_REPLY_LINE {
                return Err(ProbeError::LineTooLong { stage });
            }
            if lines.len() == MAX_REPLY_LINES {
                return Err(ProbeError::TooManyLines { stage });
            }
            let text = String::from_utf8_lossy(&raw);
            let line = text.trim_end();
            let code: u16 =
                line.get(..3)
                    .and_then(|c| c.parse().ok())
                    .ok_or_else(|| ProbeError::NotSmtp {
                        stage,
                        line: line.chars().take(200).collect(),
                    })?;
            let more = line.as_bytes().get(3) == Some(&b'-');
            lines.push(line.get(4..).unwrap_or("").to_string());
            if !more {
                return Ok((code, lines));
            }
        }
    }
}

fn target(dns: &Dns, host: &str, connect_to: &[ConnectTo]) -> Result<SocketAddr, ProbeError> {
    if let Some(c) = connect_to.iter().find(|c| c.host == host && c.port == 25) {
        return c
            .addr
            .parse::<IpAddr>()
            .map(|ip| SocketAddr::new(ip, c.addr_port))
            .map_err(|_| ProbeError::ConnectToNotIp(c.addr.clone()));
    }
    for rtype in [RecordType::A, RecordType::Aaaa] {
        if let Ok(r) = dns.query(host, rtype)
            && let Some(ip) = of_type(&r, rtype).find_map(|d| match d {
                Rdata::A(a) => Some(IpAddr::V4(*a)),
                Rdata::Aaaa(a) => Some(IpAddr::V6(*a)),
                _ => None,
            })
        {
            return Ok(SocketAddr::new(ip, 25));
        }
    }
    Err(ProbeError::NoAddress {
        host: host.to_string(),
    })
}

/// DANE-EE (usage 3) against the end-entity certificate, DANE-TA (usage 2) against the others:
/// the first record that matches, and how.
pub fn dane_match(chain: &[CertificateDer<'_>], tlsa: &[(u8, u8, u8, Vec<u8>)]) -> Option<String> {
    tlsa.iter().find_map(|r| record_match(chain, r))
}

/// Whether one TLSA record matches the chain (what it matched, in words).
fn record_match(
    chain: &[CertificateDer<'_>],
    (usage, selector, matching, data): &(u8, u8, u8, Vec<u8>),
) -> Option<String> {
    let candidates: Vec<&CertificateDer<'_>> = match usage {
        3 => chain.first().into_iter().collect(),
        2 => chain.iter().skip(1).collect(),
        _ => return None,
    };
    for (k, cert) in candidates.iter().enumerate() {
        let selected = match selector {
            0 => cert.as_ref().to_vec(),
            1 => match x509::facts(cert.as_ref()) {
                Some(f) => f.spki,
                None => continue,
            },
            _ => return None,
        };
        let digest = match matching {
            0 => selected,
            1 => ring::digest::digest(&ring::digest::SHA256, &selected)
                .as_ref()
                .to_vec(),
            2 => ring::digest::digest(&ring::digest::SHA512, &selected)
                .as_ref()
                .to_vec(),
            _ => return None,
        };
        if &digest == data {
            let which = if *usage == 3 {
                "the server certificate".to_string()
            } else {
                format!("chain certificate {}", k + 2)
            };
            return Some(format!(
                "TLSA {usage} {selector} {matching} matches {which}"
            ));
        }
    }
    None
}

pub struct ProbeConfig<'a> {
    pub connect_to: &'a [ConnectTo],
    pub ca_file: Option<&'a std::path::Path>,
    /// The total for one probe: connect, greeting, EHLO, STARTTLS and the handshake.
    pub timeout: Duration,
    pub now: i64,
}

pub fn probe(dns: &Dns, host: &str, tlsa: &[(u8, u8, u8, Vec<u8>)], cfg: &ProbeConfig) -> Probe {
    let mut out = Probe {
        mx: host.to_string(),
        ..Probe::default()
    };
    if let Err(e) = run(dns, host, tlsa, cfg, &mut out) {
        out.error = Some(e);
    }
    out
}

fn run(
    dns: &Dns,
    host: &str,
    tlsa: &[(u8, u8, u8, Vec<u8>)],
    cfg: &ProbeConfig,
    out: &mut Probe,
) -> Result<(), ProbeError> {
    let addr = target(dns, host, cfg.connect_to)?;
    out.address = Some(addr.to_string());
    let until = Instant::now() + cfg.timeout;
    let tcp = Deadlined::connect(&[addr], until).map_err(|mut errors| ProbeError::Connect {
        addr,
        source: Arc::new(
            errors
                .pop()
                .map_or_else(|| std::io::Error::other("no attempt made"), |(_, e)| e),
        ),
    })?;
    let mut talk = Conversation {
        reader: BufReader::new(tcp),
        until,
        limit: cfg.timeout,
    };
    let (code, _) = talk.reply(Stage::Greeting)?;
    if code != 220 {
        return Err(ProbeError::Greeting(code));
    }
    talk.send(Stage::Ehlo, b"EHLO mailverdict.invalid\r\n")?;
    let (code, lines) = talk.reply(Stage::Ehlo)?;
    if code != 250 {
        return Err(ProbeError::Ehlo(code));
    }
    out.starttls = lines
        .iter()
        .any(|l| l.trim().eq_ignore_ascii_case("STARTTLS"));
    if !out.starttls {
        let _ = talk.send(Stage::Ehlo, b"QUIT\r\n");
        return Ok(());
    }
    talk.send(Stage::StartTls, b"STARTTLS\r\n")?;
    let (code, _) = talk.reply(Stage::StartTls)?;
    if code != 220 {
        return Err(ProbeError::StartTls(code));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let recorder = Arc::new(Recorder {
        chain: Mutex::new(Vec::new()),
        provider: provider.clone(),
    });
    let config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(ProbeError::Setup)?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let name =
        ServerName::try_from(host.to_string()).map_err(|_| ProbeError::BadHostName(host.into()))?;
    let mut conn =
        rustls::ClientConnection::new(Arc::new(config), name.clone()).map_err(ProbeError::Setup)?;
    // Octets the server sent after its 220 belong to the TLS stream; a server that pipelines
    // them is broken, and rustls reports the garbage as a handshake failure.
    let mut sock = talk.reader.into_inner();
    while conn.is_handshaking() {
        if let Err(e) = conn.complete_io(&mut sock) {
            return Err(if sock.expired() {
                ProbeError::Deadline {
                    stage: Stage::Handshake,
                    limit: cfg.timeout,
                }
            } else {
                ProbeError::Handshake(Arc::new(e))
            });
        }
    }
    out.tls_version = conn
        .protocol_version()
        .map(|v| format!("{v:?}").replace('_', "."));
    out.cipher = conn
        .negotiated_cipher_suite()
        .map(|c| format!("{:?}", c.suite()));
    let chain = recorder.chain.lock().map(|c| c.clone()).unwrap_or_default();
    let Some(end_entity) = chain.first() else {
        return Err(ProbeError::NoCertificate);
    };
    out.not_after = x509::facts(end_entity.as_ref()).and_then(|f| f.not_after);
    // WebPKI validity for the MX name, with the same roots as the HTTPS client.
    let roots =
        super::https::root_store(cfg.ca_file).map_err(|e| ProbeError::Roots(Arc::new(e)))?;
    let verifier =
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| ProbeError::Verifier(Arc::new(e)))?;
    let now = UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(cfg.now).unwrap_or(0)));
    match verifier.verify_server_cert(end_entity, &chain[1..], &name, &[], now) {
        Ok(_) => out.pkix_valid = Some(true),
        Err(e) => {
            out.pkix_valid = Some(false);
            out.pkix_error = Some(e.to_string());
        }
    }
    if !tlsa.is_empty() {
        let matched = dane_match(&chain, tlsa);
        out.dane_match = Some(matched.is_some());
        out.tlsa_matched = tlsa
            .iter()
            .map(|r| record_match(&chain, r).is_some())
            .collect();
        out.dane =
            Some(matched.unwrap_or_else(|| "no TLSA record matches the presented chain".into()));
    }
    conn.send_close_notify();
    // Best effort: the result is already in hand.
    let _ = conn.complete_io(&mut sock);
    Ok(())
}
