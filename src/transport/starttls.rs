//! `domain --probe`: connect to an MX on port 25, EHLO, STARTTLS, and look at what the server
//! presents: TLS version and cipher, the certificate chain against the TLSA records (DANE-EE
//! and DANE-TA), WebPKI validity for the MX name (what MTA-STS requires), and expiry.

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use serde::Serialize;

use super::https::ConnectTo;
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
    pub not_after: Option<i64>,
    pub error: Option<String>,
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

/// Read one SMTP reply (all its lines); returns the code and the text lines.
fn reply(reader: &mut impl BufRead) -> Result<(u16, Vec<String>), String> {
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        let n = reader
            .read_line(&mut line)
            .map_err(|e| format!("reading the SMTP reply: {e}"))?;
        if n == 0 {
            return Err("connection closed".into());
        }
        if lines.len() > 100 || line.len() > 4096 {
            return Err("SMTP reply too long".into());
        }
        let line = line.trim_end().to_string();
        let code: u16 = line
            .get(..3)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| format!("not an SMTP reply: {line:?}"))?;
        let more = line.as_bytes().get(3) == Some(&b'-');
        lines.push(line.get(4..).unwrap_or("").to_string());
        if !more {
            return Ok((code, lines));
        }
    }
}

fn target(dns: &Dns, host: &str, connect_to: &[ConnectTo]) -> Result<SocketAddr, String> {
    if let Some(c) = connect_to.iter().find(|c| c.host == host && c.port == 25) {
        return c
            .addr
            .parse::<IpAddr>()
            .map(|ip| SocketAddr::new(ip, c.addr_port))
            .map_err(|_| format!("--connect-to address {} is not an IP", c.addr));
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
    Err(format!("{host} has no address"))
}

/// DANE-EE (usage 3) against the end-entity certificate, DANE-TA (usage 2) against the others.
pub fn dane_match(chain: &[CertificateDer<'_>], tlsa: &[(u8, u8, u8, Vec<u8>)]) -> Option<String> {
    for (usage, selector, matching, data) in tlsa {
        let candidates: Vec<&CertificateDer<'_>> = match usage {
            3 => chain.first().into_iter().collect(),
            2 => chain.iter().skip(1).collect(),
            _ => continue,
        };
        for (k, cert) in candidates.iter().enumerate() {
            let selected = match selector {
                0 => cert.as_ref().to_vec(),
                1 => match x509::facts(cert.as_ref()) {
                    Some(f) => f.spki,
                    None => continue,
                },
                _ => continue,
            };
            let digest = match matching {
                0 => selected,
                1 => ring::digest::digest(&ring::digest::SHA256, &selected)
                    .as_ref()
                    .to_vec(),
                2 => ring::digest::digest(&ring::digest::SHA512, &selected)
                    .as_ref()
                    .to_vec(),
                _ => continue,
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
    }
    None
}

pub struct ProbeConfig<'a> {
    pub connect_to: &'a [ConnectTo],
    pub ca_file: Option<&'a std::path::Path>,
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
) -> Result<(), String> {
    let addr = target(dns, host, cfg.connect_to)?;
    out.address = Some(addr.to_string());
    let tcp = TcpStream::connect_timeout(&addr, cfg.timeout)
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    tcp.set_read_timeout(Some(cfg.timeout))
        .map_err(|e| e.to_string())?;
    tcp.set_write_timeout(Some(cfg.timeout))
        .map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(tcp.try_clone().map_err(|e| e.to_string())?);
    let mut writer = tcp;
    let (code, _) = reply(&mut reader)?;
    if code != 220 {
        return Err(format!("greeting {code}, not 220"));
    }
    writer
        .write_all(b"EHLO mailverdict.invalid\r\n")
        .map_err(|e| e.to_string())?;
    let (code, lines) = reply(&mut reader)?;
    if code != 250 {
        return Err(format!("EHLO answered {code}"));
    }
    out.starttls = lines
        .iter()
        .any(|l| l.trim().eq_ignore_ascii_case("STARTTLS"));
    if !out.starttls {
        let _ = writer.write_all(b"QUIT\r\n");
        return Ok(());
    }
    writer
        .write_all(b"STARTTLS\r\n")
        .map_err(|e| e.to_string())?;
    let (code, _) = reply(&mut reader)?;
    if code != 220 {
        return Err(format!("STARTTLS answered {code}"));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let recorder = Arc::new(Recorder {
        chain: Mutex::new(Vec::new()),
        provider: provider.clone(),
    });
    let config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_string()).map_err(|e| e.to_string())?;
    let mut conn =
        rustls::ClientConnection::new(Arc::new(config), name.clone()).map_err(|e| e.to_string())?;
    let mut sock = reader.into_inner();
    while conn.is_handshaking() {
        conn.complete_io(&mut sock)
            .map_err(|e| format!("TLS handshake failed: {e}"))?;
    }
    out.tls_version = conn
        .protocol_version()
        .map(|v| format!("{v:?}").replace('_', "."));
    out.cipher = conn
        .negotiated_cipher_suite()
        .map(|c| format!("{:?}", c.suite()));
    let chain = recorder.chain.lock().map(|c| c.clone()).unwrap_or_default();
    let Some(end_entity) = chain.first() else {
        return Err("the server presented no certificate".into());
    };
    out.not_after = x509::facts(end_entity.as_ref()).and_then(|f| f.not_after);
    // WebPKI validity for the MX name, with the same roots as the HTTPS client.
    let roots = super::https::root_store(cfg.ca_file)?;
    let verifier =
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| e.to_string())?;
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
        out.dane =
            Some(matched.unwrap_or_else(|| "no TLSA record matches the presented chain".into()));
    }
    conn.send_close_notify();
    // Best effort: the result is already in hand.
    let _ = conn.complete_io(&mut sock);
    Ok(())
}
