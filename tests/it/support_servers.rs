//! Test servers beyond plain DNS: a test PKI, HTTPS and STARTTLS responders with rcgen
//! certificates (MTA-STS, BIMI, probes), and a DNSSEC-signed zone on loopback (DANE).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::rr::{Name, RData, Record};
use mailverdict::dns::Zone;
use mailverdict::dns::{Rdata, RecordType, Resolve};

use crate::support::{name_of, serve, temp_dir, to_hickory, write_file};

/// A test CA (written to `ca.pem` for `--ca-file`) and a leaf for `host` signed by it,
/// ready for a rustls server.
pub(crate) struct TestPki {
    pub(crate) ca_file: String,
    ca: rcgen::Certificate,
    leaf_key: rcgen::KeyPair,
    leaf: rcgen::Certificate,
}

impl TestPki {
    pub(crate) fn new(host: &str, not_after: Option<(i32, u8, u8)>) -> TestPki {
        let ca_key = rcgen::KeyPair::generate().expect("CA key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "mailverdict test CA");
        let ca_cert = ca_params.self_signed(&ca_key).expect("CA cert");
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let leaf_key = rcgen::KeyPair::generate().expect("leaf key");
        let mut leaf_params =
            rcgen::CertificateParams::new(vec![host.to_string()]).expect("leaf params");
        if let Some((y, m, d)) = not_after {
            leaf_params.not_after = rcgen::date_time_ymd(y, m, d);
        }
        let leaf = leaf_params
            .signed_by(&leaf_key, &issuer)
            .expect("leaf cert");
        let ca_file = write_file(&temp_dir("pki"), "ca.pem", ca_cert.pem().as_bytes());
        TestPki {
            ca_file,
            ca: ca_cert,
            leaf_key,
            leaf,
        }
    }

    pub(crate) fn server_config(&self) -> std::sync::Arc<rustls::ServerConfig> {
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(self.leaf_key.serialize_der().into());
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        std::sync::Arc::new(
            rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("protocols")
                .with_no_client_auth()
                // The chain as servers usually send it: leaf, then the CA (DANE-TA matches it).
                .with_single_cert(vec![self.leaf.der().clone(), self.ca.der().clone()], key)
                .expect("server config"),
        )
    }
}

/// A real HTTPS server on 127.0.0.1 (rustls, certificate from a test CA made with rcgen) that
/// answers every request with one fixed response. `ca_file` is the CA for `--ca-file`.
pub struct HttpsServer {
    pub port: u16,
    pub ca_file: String,
}

impl HttpsServer {
    pub fn start(host: &str, status_line: &str, headers: &[&str], body: &[u8]) -> HttpsServer {
        use std::io::{Read, Write};
        let pki = TestPki::new(host, None);
        let config = pki.server_config();
        let ca_file = pki.ca_file;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let mut response = format!(
            "{status_line}\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        )
        .into_bytes();
        for h in headers {
            response.extend_from_slice(format!("{h}\r\n").as_bytes());
        }
        response.extend_from_slice(b"\r\n");
        response.extend_from_slice(body);
        std::thread::spawn(move || {
            // Serves until the test process ends; each connection is handled in turn.
            for stream in listener.incoming().flatten() {
                let Ok(conn) = rustls::ServerConnection::new(config.clone()) else {
                    continue;
                };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut tls = rustls::StreamOwned::new(conn, stream);
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = tls.write_all(&response);
                tls.conn.send_close_notify();
                let _ = tls.flush();
            }
        });
        HttpsServer { port, ca_file }
    }

    /// `--connect-to` value that sends `host:443` here.
    pub fn connect_to(&self, host: &str) -> String {
        format!("{host}:443:127.0.0.1:{}", self.port)
    }
}

/// A real SMTP server on 127.0.0.1 that offers STARTTLS (or not) and presents a certificate for
/// `host` from a test CA. `spki_sha256` is the hex SHA-256 of its key (a TLSA 3 1 1 record).
pub struct SmtpServer {
    pub port: u16,
    pub ca_file: String,
    pub spki_sha256: String,
    /// Hex SHA-256 of the CA certificate (a TLSA 2 0 1 record).
    pub ca_sha256: String,
}

impl SmtpServer {
    pub fn start(host: &str, starttls: bool, not_after: Option<(i32, u8, u8)>) -> SmtpServer {
        use std::io::{BufRead, Write};
        let pki = TestPki::new(host, not_after);
        let leaf_key = &pki.leaf_key;
        // SubjectPublicKeyInfo from rcgen's PEM, independent of the parser under test.
        let pem = leaf_key.public_key_pem();
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let spki = {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .expect("SPKI base64")
        };
        let spki_sha256: String = ring::digest::digest(&ring::digest::SHA256, &spki)
            .as_ref()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        let config = pki.server_config();
        let ca_file = pki.ca_file.clone();
        let ca_sha256: String = ring::digest::digest(&ring::digest::SHA256, pki.ca.der())
            .as_ref()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let greeting_host = host.to_string();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let Ok(read_half) = stream.try_clone() else {
                    continue;
                };
                let mut reader = std::io::BufReader::new(read_half);
                let mut writer = stream;
                let mut line = String::new();
                let _ = writer.write_all(format!("220 {greeting_host} ESMTP test\r\n").as_bytes());
                let _ = reader.read_line(&mut line);
                let caps = if starttls {
                    "250-8BITMIME\r\n250 STARTTLS\r\n"
                } else {
                    "250 8BITMIME\r\n"
                };
                let _ = writer.write_all(format!("250-{greeting_host}\r\n{caps}").as_bytes());
                line.clear();
                let _ = reader.read_line(&mut line);
                if !line.to_ascii_uppercase().starts_with("STARTTLS") {
                    continue;
                }
                let _ = writer.write_all(b"220 2.0.0 ready\r\n");
                let Ok(mut conn) = rustls::ServerConnection::new(config.clone()) else {
                    continue;
                };
                let mut sock = writer;
                while conn.is_handshaking() {
                    if conn.complete_io(&mut sock).is_err() {
                        break;
                    }
                }
                let _ = conn.complete_io(&mut sock);
            }
        });
        SmtpServer {
            port,
            ca_file,
            spki_sha256,
            ca_sha256,
        }
    }
}

/// A DNSSEC-signed zone (ECDSA P-256, NSEC) served by hickory-server's own in-memory zone
/// handler on 127.0.0.1; `anchor` is its DNSKEY in zone-file form, for `--trust-anchor`.
pub struct SignedDnsServer {
    pub addr: SocketAddr,
    pub anchor: String,
    _runtime: tokio::runtime::Runtime,
}

impl SignedDnsServer {
    pub fn start(zone_text: &str, origin: &str) -> SignedDnsServer {
        use hickory_proto::dnssec::crypto::EcdsaSigningKey;
        use hickory_proto::dnssec::rdata::DNSKEY;
        use hickory_proto::dnssec::{Algorithm, DnssecSigner, SigningKey};
        use hickory_proto::rr::LowerName;
        use hickory_proto::rr::rdata::SOA;
        use hickory_server::store::in_memory::InMemoryZoneHandler;
        use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneType};
        let origin_name = Name::from_ascii(origin).expect("origin");
        let mut handler =
            InMemoryZoneHandler::<hickory_server::net::runtime::TokioRuntimeProvider>::empty(
                origin_name.clone(),
                ZoneType::Primary,
                AxfrPolicy::Deny,
                Some(hickory_server::dnssec::NxProofKind::Nsec),
            );
        let soa = SOA::new(
            Name::from_ascii(format!("ns.{origin}")).expect("ns"),
            Name::from_ascii(format!("admin.{origin}")).expect("admin"),
            1,
            3600,
            600,
            86_400,
            300,
        );
        handler.upsert_mut(
            Record::from_rdata(origin_name.clone(), 300, RData::SOA(soa)),
            1,
        );
        let mut zone = Zone::default();
        zone.add_text(zone_text).expect("signed zone text parses");
        for line in zone_text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with(';') && !l.starts_with('$'))
        {
            let owner = line.split_whitespace().next().expect("owner");
            let owner = owner.trim_end_matches('.');
            for rtype in [
                RecordType::A,
                RecordType::Aaaa,
                RecordType::Mx,
                RecordType::Txt,
                RecordType::Tlsa,
            ] {
                if let Ok(records) = zone.query(owner, rtype) {
                    for r in records.iter().filter(|r| r.rdata.rtype() == rtype) {
                        let rec = match &r.rdata {
                            Rdata::Tlsa {
                                usage,
                                selector,
                                matching,
                                data,
                            } => Some(Record::from_rdata(
                                name_of(&r.owner),
                                r.ttl,
                                RData::TLSA(hickory_proto::rr::rdata::TLSA::new(
                                    (*usage).into(),
                                    (*selector).into(),
                                    (*matching).into(),
                                    data.clone(),
                                )),
                            )),
                            _ => to_hickory(r),
                        };
                        if let Some(rec) = rec {
                            handler.upsert_mut(rec, 1);
                        }
                    }
                }
            }
        }
        let pkcs8 = EcdsaSigningKey::generate_pkcs8(Algorithm::ECDSAP256SHA256).expect("key");
        let key = EcdsaSigningKey::from_pkcs8(&pkcs8, Algorithm::ECDSAP256SHA256).expect("key");
        let public = key.to_public_key().expect("public key");
        let dnskey = DNSKEY::from_key(&public);
        let anchor = format!("{origin} 3600 IN DNSKEY {dnskey}\n");
        let signer = DnssecSigner::new(
            dnskey,
            Box::new(key),
            origin_name.clone(),
            Duration::from_secs(30 * 86_400),
        );
        handler
            .add_zone_signing_key_mut(signer)
            .expect("signing key");
        handler.secure_zone_mut().expect("zone signed");
        let mut catalog = Catalog::new();
        catalog.upsert(LowerName::from(&origin_name), vec![Arc::new(handler)]);
        let (addr, runtime) = serve(catalog);
        SignedDnsServer {
            addr,
            anchor,
            _runtime: runtime,
        }
    }
}
